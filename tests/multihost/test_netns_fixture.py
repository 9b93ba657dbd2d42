"""The network-namespace LAN does what multi-host tests rely on.

Every wait is for an event with a generous deadline; the one short window (1.5 s) asserts an
absence - that nothing arrived across a pulled cable - not a speed.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import threading
from pathlib import Path

import netns
import pytest
from netns import (
    Lan,
    deadline_after,
    env_for_children,
    netns_unavailable,
    remove_stale,
    transcript,
    wait_for_line,
    wait_for_port,
)

PATIENCE = 20.0
ECHO_PORT = 7000
ROOT = Path(__file__).resolve().parents[2]

#: An echo server on argv[1]:argv[2]; prints "listening" once it accepts connections.
ECHO_SERVER = """\
import socketserver, sys

class Echo(socketserver.BaseRequestHandler):
    def handle(self):
        while data := self.request.recv(4096):
            self.request.sendall(data)

socketserver.ThreadingTCPServer.allow_reuse_address = True
socketserver.ThreadingTCPServer.daemon_threads = True
with socketserver.ThreadingTCPServer((sys.argv[1], int(sys.argv[2])), Echo) as server:
    print("listening", flush=True)
    server.serve_forever()
"""

#: Connects once to argv[1]:argv[2]; each stdin line "<seconds> <word>" sends the word and
#: waits up to <seconds> for its echo: prints "reply <everything received>", "timeout" (data
#: received so far is kept for the next word), or "eof".
ECHO_CLIENT = """\
import socket, sys

connection = socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=20)
print("connected", flush=True)
received = b""
for command in sys.stdin:
    seconds, word = command.split()
    connection.settimeout(float(seconds))
    connection.sendall(word.encode() + b"\\n")
    try:
        while word.encode() not in received.split(b"\\n"):
            data = connection.recv(4096)
            if not data:
                print("eof", flush=True)
                sys.exit(0)
            received += data
    except TimeoutError:
        print("timeout", flush=True)
        continue
    print("reply", received.decode().split(), flush=True)
    received = b""
"""

#: The source address the OS picks for an off-host datagram (nothing is sent).
SOURCE_ADDRESS = """\
import socket
with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
    s.connect(("192.0.2.123", 9))
    print(s.getsockname()[0])
"""


def namespace_list() -> list[str]:
    out = subprocess.run(
        ["ip", "netns", "list"], capture_output=True, text=True, check=True, timeout=PATIENCE
    ).stdout
    return [line.split()[0] for line in out.splitlines() if line.strip()]


def root_namespace_state() -> tuple[list[str], str, str]:
    """Link names, IPv4 addresses and routes of the root namespace (read, nothing sent)."""

    def ip(*args: str) -> str:
        return subprocess.run(
            ["ip", *args], capture_output=True, text=True, check=True, timeout=PATIENCE
        ).stdout

    links = sorted(line.split(":")[1].strip() for line in ip("-o", "link").splitlines())
    return links, ip("-4", "-o", "addr"), ip("-4", "route")


def start_echo_server(lan: Lan, name: str) -> subprocess.Popen:
    host = lan.host(name)
    server = host.popen([sys.executable, "-c", ECHO_SERVER, host.ip, str(ECHO_PORT)])
    wait_for_line(server, "^listening$", deadline_after(PATIENCE))
    return server


def next_result(client: subprocess.Popen) -> str:
    """The client's next "reply ...", "timeout" or "eof" line."""
    return wait_for_line(client, r"^(reply|timeout|eof)\b.*$", deadline_after(PATIENCE)).group(0)


def test_lan_makes_namespaces_addresses_and_routes_and_nothing_in_the_root_namespace(
    netns_ready: None,
) -> None:
    root_before = root_namespace_state()
    with Lan(hosts={"a": "10.0.0.1", "b": "10.0.0.2", "lan": "10.0.0.195"}) as lan:
        pid = os.getpid()
        assert lan.namespaces == [f"lct{pid}-sw", f"lct{pid}-a", f"lct{pid}-b", f"lct{pid}-lan"]
        assert set(lan.namespaces) <= set(namespace_list())
        for name in lan.names:
            host = lan.host(name)
            assert (host.name, host.ns) == (name, f"lct{pid}-{name}")
            addresses = host.run(["ip", "-4", "addr", "show", "dev", "eth0"]).stdout
            assert f"inet {host.ip}/24" in addresses
            assert "default dev eth0" in host.run(["ip", "route", "show", "default"]).stdout
            assert "<LOOPBACK,UP," in host.run(["ip", "link", "show", "dev", "lo"]).stdout
        ports = subprocess.run(
            ["ip", "-n", lan.switch_ns, "-o", "link", "show", "master", "br0"],
            capture_output=True,
            text=True,
            check=True,
            timeout=PATIENCE,
        ).stdout
        assert sorted(re.findall(r"^\d+: (v\d+)@", ports, re.MULTILINE)) == ["v0", "v1", "v2"]
        assert root_namespace_state() == root_before
    assert not set(lan.namespaces) & set(namespace_list())
    assert root_namespace_state() == root_before


def test_close_kills_a_process_left_running_and_deletes_the_namespaces(
    netns_ready: None,
) -> None:
    lan = Lan(hosts={"a": "10.0.0.1", "b": "10.0.0.2"})
    try:
        sleeper = lan.host("a").popen(
            [sys.executable, "-c", "import time; print('started', flush=True); time.sleep(600)"]
        )
        wait_for_line(sleeper, "^started$", deadline_after(PATIENCE))
        assert sleeper.poll() is None
    finally:
        lan.close()
    assert sleeper.returncode == -9
    assert not set(lan.namespaces) & set(namespace_list())
    readers = [t.name for t in threading.enumerate() if t.name.startswith("netns-reader-")]
    assert readers == []
    lan.close()  # idempotent
    with pytest.raises(RuntimeError, match="closed"):
        lan.host("a").popen(["true"])


def test_echo_server_in_b_answers_a_client_in_a_and_c(lan: Lan) -> None:
    start_echo_server(lan, "b")
    for name in ("a", "c"):
        wait_for_port(lan.host(name), "10.0.0.2", ECHO_PORT, deadline_after(PATIENCE))
        client = lan.host(name).run(
            [sys.executable, "-c", ECHO_CLIENT, "10.0.0.2", str(ECHO_PORT)],
            input=f"20 from-{name}\n",
        )
        assert client.stdout.splitlines() == ["connected", f"reply ['from-{name}']"]


@pytest.mark.parametrize(("name", "ip"), [("a", "10.0.0.1"), ("lan", "10.0.0.195")])
def test_udp_connect_picks_the_host_address_as_source(lan: Lan, name: str, ip: str) -> None:
    assert lan.host(name).run([sys.executable, "-c", SOURCE_ADDRESS]).stdout.strip() == ip


def test_children_import_the_installed_packages_never_the_source_tree(lan: Lan) -> None:
    script = (
        "import layer_cake, layer_cake_directory\n"
        "print(layer_cake.__file__)\n"
        "print(layer_cake_directory.__file__)\n"
    )
    env = env_for_children()
    assert env["PYTHONUNBUFFERED"] == "1"
    lines = lan.host("a").run([sys.executable, "-c", script], env=env).stdout.splitlines()
    assert len(lines) == 2
    for path in lines:
        assert not Path(path).resolve().is_relative_to(ROOT / "packages")


def test_pulled_cable_silences_an_open_connection_which_resumes_when_plugged_back(
    lan: Lan,
) -> None:
    start_echo_server(lan, "b")
    wait_for_port(lan.host("a"), "10.0.0.2", ECHO_PORT, deadline_after(PATIENCE))
    client = lan.host("a").popen(
        [sys.executable, "-c", ECHO_CLIENT, "10.0.0.2", str(ECHO_PORT)], stdin=subprocess.PIPE
    )
    wait_for_line(client, "^connected$", deadline_after(PATIENCE))

    def send(line: str) -> None:
        client.stdin.write(line + "\n")
        client.stdin.flush()

    send("20 hello")
    assert next_result(client) == "reply ['hello']"

    lan.link_down("b")
    # The host keeps its address: only the switch port went down.
    assert "inet 10.0.0.2/24" in lan.host("b").run(["ip", "-4", "addr"]).stdout
    send("1.5 lost")
    assert next_result(client) == "timeout"  # neither data nor EOF crossed the pulled cable

    lan.link_up("b")
    send("20 back")  # the same connection: "lost" is retransmitted, then "back"
    assert next_result(client) == "reply ['lost', 'back']"
    assert transcript(client) == [
        "connected",
        "reply ['hello']",
        "timeout",
        "reply ['lost', 'back']",
    ]


def test_remove_stale_deletes_namespaces_of_dead_processes_only(lan: Lan) -> None:
    pid = 999999
    while netns._pid_alive(pid):
        pid -= 1
    stale = f"lct{pid}-x"
    subprocess.run(["ip", "netns", "add", stale], check=True, timeout=PATIENCE)
    try:
        assert stale in namespace_list()
        assert stale in remove_stale()
        present = namespace_list()
        assert stale not in present
        assert set(lan.namespaces) <= set(present)  # this process is alive: kept
    finally:
        if stale in namespace_list():
            subprocess.run(["ip", "netns", "del", stale], check=True, timeout=PATIENCE)


def test_wait_for_line_reads_lines_in_sequence_and_reports_the_transcript() -> None:
    proc = subprocess.Popen(
        [sys.executable, "-c", "print('one'); print('two 2'); print('three')"],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert wait_for_line(proc, "^one$", deadline_after(PATIENCE)).group(0) == "one"
        assert wait_for_line(proc, re.compile(r"two (\d)"), deadline_after(PATIENCE))[1] == "2"
        with pytest.raises(AssertionError, match="output ended") as failure:
            wait_for_line(proc, "^four$", deadline_after(PATIENCE))
        assert "| one\n  | two 2\n  | three" in str(failure.value)
        with pytest.raises(AssertionError, match="output ended"):
            wait_for_line(proc, "^four$", deadline_after(PATIENCE))
    finally:
        proc.wait(PATIENCE)
        proc.stdout.close()
    assert transcript(proc) == ["one", "two 2", "three"]


def test_wait_for_line_fails_at_the_deadline_showing_what_was_seen(lan: Lan) -> None:
    proc = lan.host("a").popen(
        [sys.executable, "-c", "import time; print('ready', flush=True); time.sleep(600)"]
    )
    wait_for_line(proc, "^ready$", deadline_after(PATIENCE))
    with pytest.raises(AssertionError, match=r"(?s)no output line matched 'never'.*\| ready"):
        wait_for_line(proc, "never", deadline_after(0.2))
    assert proc.poll() is None  # still running: the fixture's close() kills it


def test_netns_unavailable_says_root_is_needed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(os, "geteuid", lambda: 1000)
    assert netns_unavailable() == "network namespaces need root (ip netns add)"


def test_netns_unavailable_says_ip_is_missing(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(os, "geteuid", lambda: 0)
    monkeypatch.setenv("PATH", str(tmp_path))
    reason = netns_unavailable()
    assert reason is not None
    assert "ip command" in reason


def test_lan_rejects_addresses_outside_the_lan_and_bad_names() -> None:
    with pytest.raises(ValueError, match="not a host address"):
        Lan(hosts={"a": "192.168.1.1"})
    with pytest.raises(ValueError, match="used twice"):
        Lan(hosts={"a": "10.0.0.1", "b": "10.0.0.1"})
    with pytest.raises(ValueError, match="host name"):
        Lan(hosts={"sw": "10.0.0.1"})
