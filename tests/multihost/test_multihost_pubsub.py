"""Publish/subscribe across hosts: real daemons and processes in network namespaces (pubsub §7-§9).

Every test builds a virtual LAN (``netns.Lan``): hosts ``a`` (10.0.0.1), ``b`` (10.0.0.2),
``c`` (10.0.0.3) each run a ``host-cake`` with its defaults (``127.0.0.1:54195``, no LAN
parent given), and host ``lan`` (10.0.0.195) runs a ``lan-cake`` with its default listen
(``0.0.0.0:54195``). Nothing is configured: each host-cake derives the standard LAN directory
from its own primary IP inside its namespace (10.x -> ``10.0.0.195:54195``), which lands on
the namespace host, never on the real network. Processes use their host's default directory.

Events are the lines the scripts of ``directory_support`` print. An absence is proved by a
later event that the same matching pass would have produced after it.
"""

from __future__ import annotations

import re
import signal
import sys
import textwrap
import time
from pathlib import Path

import pytest
from directory_support import SCRIPTS
from netns import Host, Lan, deadline_after, env_for_children, transcript, wait_for_line

DEADLINE = 30.0  # generous: four namespaces of processes on a loaded 2-core machine


class World:
    """The daemons of one virtual LAN and a way to run the scripts on its hosts."""

    def __init__(self, lan: Lan, folder: Path) -> None:
        self.lan = lan
        self.folder = folder
        for name, text in SCRIPTS.items():
            (folder / name).write_text(textwrap.dedent(text))
        env = env_for_children()
        env.pop("LC_PRIMARY_IP", None)  # derived inside each namespace, as on a real host
        self.env = env
        self.daemons: dict[str, object] = {}

    def lan_cake(self) -> None:
        self.daemons["lan"] = self.daemon("lan", "lan_cake", "lan-cake: listening")

    def host_cake(self, name: str) -> None:
        self.daemons[name] = self.daemon(name, "host_cake", "host-cake: listening")

    def daemon(self, host: str, module: str, ready: str):  # type: ignore[no-untyped-def]
        argv = [sys.executable, "-m", f"layer_cake_directory.{module}"]
        p = self.host(host).popen(argv, env=self.env, cwd=self.folder)
        wait_for_line(p, re.escape(ready), deadline_after(DEADLINE))
        return p

    def host(self, name: str) -> Host:
        return self.lan.host(name)

    def run(self, host: str, script: str, *args: str):  # type: ignore[no-untyped-def]
        argv = [sys.executable, script, *args]
        return self.host(host).popen(argv, env=self.env, cwd=self.folder)


def expect(proc, prefix: str, seconds: float = DEADLINE) -> str:  # type: ignore[no-untyped-def]
    """The next line of ``proc`` that starts with ``prefix`` (lines before it are passed)."""
    return wait_for_line(proc, "^" + re.escape(prefix) + ".*", deadline_after(seconds)).group(0)


def events(proc, count: int) -> list[str]:  # type: ignore[no-untyped-def]
    """The next ``count`` AVAILABLE/DROPPED lines, in the order printed."""
    return [
        wait_for_line(proc, r"^(AVAILABLE|DROPPED) .*", deadline_after(DEADLINE)).group(0)
        for _ in range(count)
    ]


@pytest.fixture
def world(lan: Lan, tmp_path: Path) -> World:
    w = World(lan, tmp_path)
    w.lan_cake()
    for name in ("a", "b"):
        w.host_cake(name)
    return w


def test_a_lan_name_is_found_across_hosts_with_no_address_configured(world: World) -> None:
    pub = world.run("b", "publisher.py", "--name=svc:x", "--scope=LAN")
    expect(pub, "PUBLISHED")
    sub = world.run("a", "subscriber.py", "--search=svc:x", "--scope=LAN")
    assert expect(sub, "AVAILABLE svc:x") == "AVAILABLE svc:x LAN True"
    expect(sub, "PRODUCT 6 svc:x")  # request and reply between 10.0.0.1 and 10.0.0.2
    assert expect(pub, "DELIVERED") == "DELIVERED LAN"


def test_host_names_stay_on_their_host_while_lan_names_cross(world: World) -> None:
    hidden = world.run("b", "publisher.py", "--name=svc:host")
    expect(hidden, "PUBLISHED")
    shown = world.run("b", "publisher.py", "--name=svc:lan", "--scope=LAN")
    expect(shown, "PUBLISHED")
    local = world.run("b", "subscriber.py", "--search=svc:[a-z]+", "--scope=LAN")
    seen = sorted(expect(local, "AVAILABLE") for _ in range(2))
    assert seen == ["AVAILABLE svc:host HOST True", "AVAILABLE svc:lan HOST True"]
    remote = world.run("a", "subscriber.py", "--search=svc:[a-z]+", "--scope=LAN")
    assert expect(remote, "AVAILABLE svc:lan") == "AVAILABLE svc:lan LAN True"
    expect(remote, "PRODUCT 6 svc:lan")
    shown.send_signal(signal.SIGKILL)
    expect(remote, "DROPPED svc:lan")
    assert not [line for line in transcript(remote) if "svc:host" in line]


def test_a_killed_remote_publisher_is_dropped_and_its_restart_is_available(world: World) -> None:
    pub = world.run("b", "publisher.py", "--name=svc:r", "--scope=LAN")
    sub = world.run("a", "subscriber.py", "--search=svc:r", "--scope=LAN")
    expect(sub, "PRODUCT 6 svc:r")
    pub.send_signal(signal.SIGKILL)
    assert events(sub, 1) == ["DROPPED svc:r"]
    world.run("b", "publisher.py", "--name=svc:r", "--scope=LAN")
    assert events(sub, 1) == ["AVAILABLE svc:r LAN True"]
    expect(sub, "PRODUCT 6 svc:r")


def test_fallback_to_another_host_and_upgrade_back(world: World) -> None:
    near = world.run("a", "publisher.py", "--name=svc:log")  # HOST, on the subscriber's host
    expect(near, "PUBLISHED")
    far = world.run("b", "publisher.py", "--name=svc:log", "--scope=LAN")
    expect(far, "PUBLISHED")
    sub = world.run("a", "subscriber.py", "--search=svc:log", "--scope=LAN")
    assert events(sub, 1) == ["AVAILABLE svc:log HOST True"]
    near.send_signal(signal.SIGKILL)
    assert events(sub, 2) == ["DROPPED svc:log", "AVAILABLE svc:log LAN True"]
    expect(sub, "PRODUCT 6 svc:log")  # now served from 10.0.0.2
    near = world.run("a", "publisher.py", "--name=svc:log")
    assert events(sub, 2) == ["DROPPED svc:log", "AVAILABLE svc:log HOST True"]
    assert expect(far, "DROPPED") == "DROPPED"  # the far publisher's session was ended
    assert expect(near, "DELIVERED") == "DELIVERED HOST"


def test_a_host_whose_link_goes_down_is_dropped_and_rejoins_when_it_returns(
    world: World,
) -> None:
    pub = world.run("b", "publisher.py", "--name=svc:link", "--scope=LAN")
    sub = world.run("a", "subscriber.py", "--search=svc:link", "--scope=LAN")
    expect(sub, "PRODUCT 6 svc:link")
    world.lan.link_down("b")  # silence: no FIN, no RST; only keep-alive can tell
    down = time.monotonic()
    assert events(sub, 1) == ["DROPPED svc:link"]
    noticed = time.monotonic() - down  # reported, not asserted (a loaded machine is slow)
    print(f"silent host noticed after {noticed:.2f} s")
    assert expect(pub, "DROPPED") == "DROPPED"  # b's side noticed too
    world.lan.link_up("b")  # host-cake b reconnects to lan-cake and lists svc:link again
    assert events(sub, 1) == ["AVAILABLE svc:link LAN True"]
    expect(sub, "PRODUCT 6 svc:link")


def test_a_restarted_lan_cake_rebuilds_the_directory_and_keeps_sessions(world: World) -> None:
    pub = world.run("b", "publisher.py", "--name=svc:one", "--scope=LAN")
    sub = world.run("a", "subscriber.py", "--search=svc:[a-z]+", "--scope=LAN")
    expect(sub, "PRODUCT 6 svc:one")
    world.daemons["lan"].send_signal(signal.SIGKILL)  # type: ignore[attr-defined]
    world.daemons["lan"].wait(timeout=DEADLINE)  # type: ignore[attr-defined]
    later = world.run("c", "publisher.py", "--name=svc:two", "--scope=LAN")  # no host-cake on c:
    expect(later, "PUBLISHED")  # its node links to 127.0.0.1:54195 there... and retries
    world.host_cake("c")
    world.lan_cake()  # host-cakes reconnect and push their listings again
    assert expect(sub, "AVAILABLE svc:two") == "AVAILABLE svc:two LAN True"
    expect(sub, "PRODUCT 6 svc:two")
    expect(sub, "PRODUCT 6 svc:one")  # the established session still carries messages
    lines = transcript(sub)
    assert not [line for line in lines if line.startswith("DROPPED")], lines
    assert sum(line.startswith("AVAILABLE svc:one") for line in lines) == 1, lines
    assert not [line for line in transcript(pub) if line.startswith("DROPPED")]


def test_network_shows_the_lan_tree_and_the_remote_session(world: World) -> None:
    """§12 across hosts: ``layer-cake network -lc`` on host a prints the tree from lan-cake
    down and the remote session as ``> "<name>"[LAN] (<a ip:port> -> <b ip:port>)``."""
    pub = world.run("b", "publisher.py", "--name=svc:net", "--scope=LAN")
    sub = world.run("a", "subscriber.py", "--search=svc:net", "--scope=LAN")
    expect(sub, "PRODUCT 6 svc:net")
    argv = [sys.executable, "-m", "layer_cake_cli", "network", "--list-connected"]
    done = world.host("a").run(argv, env=world.env, timeout=DEADLINE * 2)
    lines = done.stdout.splitlines()
    assert lines[0].startswith("[LAN] lan-cake ("), lines
    assert sum(line.startswith("+   [HOST] host-cake (") for line in lines) == 2, lines
    assert any(line.startswith("+   +   [PROCESS] publisher.py (") for line in lines), lines
    assert any(line.startswith("+   +   [PROCESS] layer-cake (") for line in lines), lines
    session = [line for line in lines if '> "svc:net"[LAN] (' in line]
    assert len(session) == 1, lines
    assert re.search(r"\(10\.0\.0\.1:\d+ -> 10\.0\.0\.2:\d+\)$", session[0]), session
    del pub
