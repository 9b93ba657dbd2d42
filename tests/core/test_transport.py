"""TCP transports between layer-cake processes (networking-and-http §1-§5; acceptance 57-66).

Real sockets on 127.0.0.1 with port 0 (the actual port comes from ``Listening``), and real
subprocesses wherever a second process matters: small ``lc.create`` scripts written into
``tmp_path`` that print ``listening <port>`` (and other progress lines) on stdout. Tests wait
for messages and lines with generous deadlines, never for fixed sleeps; a short bounded wait
appears only where a test proves that something does *not* arrive. Every subprocess a test
starts is killed (by its own PID) in a ``finally``.
"""

from __future__ import annotations

import os
import queue
import re
import signal
import socket
import struct
import subprocess
import sys
import textwrap
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from runtime_support import PATIENCE, Counters, queue_capacity, wait_for

import layer_cake as lc
from layer_cake.net._frame import FrameEncoder
from layer_cake.runtime._loop import LOOP

SRC = Path(lc.__file__).resolve().parent.parent
LOOPBACK = "127.0.0.1"
#: How long a test watches for something that must *not* happen (another Closed, a delivery).
QUIET = 0.3


# Subprocesses ------------------------------------------------------------------------------------


def environment() -> dict:
    """This environment (loop and build choice included) with our sources on the path."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(SRC), env.get("PYTHONPATH", "")) if p)
    return env


def script(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(textwrap.dedent(text))
    return path


class Peer:
    """A script in its own interpreter; stdout lines are collected by a reader thread."""

    def __init__(self, path: Path, *args: str) -> None:
        self.name = path.name
        self.stderr_path = path.parent / f"{path.stem}.{id(self):x}.stderr"
        self.stderr_file = self.stderr_path.open("wb")
        self.proc = subprocess.Popen(
            [sys.executable, path.name, *args],
            cwd=path.parent,
            env=environment(),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=self.stderr_file,
        )
        self.lines: queue.Queue = queue.Queue()
        self.seen: list[str] = []
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for raw in self.proc.stdout:
            self.lines.put(raw.decode().rstrip("\n"))
        self.lines.put(None)

    def expect(self, prefix: str, seconds: float = PATIENCE) -> str:
        """The next stdout line that starts with ``prefix`` (earlier lines are kept in ``seen``)."""
        deadline = time.monotonic() + seconds
        while True:
            left = deadline - time.monotonic()
            try:
                line = self.lines.get(timeout=max(left, 0.0))
            except queue.Empty:
                raise AssertionError(
                    f"{self.name}: no {prefix!r} in {seconds} s; {self.report()}"
                ) from None
            if line is None:
                self.lines.put(None)
                raise AssertionError(
                    f"{self.name}: stdout ended before {prefix!r}; {self.report()}"
                )
            self.seen.append(line)
            if line.startswith(prefix):
                return line

    def port(self) -> int:
        return int(self.expect("listening ").split()[1])

    def wait(self, seconds: float = PATIENCE) -> int:
        return self.proc.wait(timeout=seconds)

    def stderr(self) -> str:
        self.stderr_file.flush()
        return self.stderr_path.read_text()

    def report(self) -> str:
        return f"stdout {self.seen!r}, stderr {self.stderr()!r}"

    def kill(self) -> None:
        """Stop this process (SIGKILL by PID) if it still runs; reap it and its reader."""
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait(timeout=PATIENCE)
        self.reader.join(timeout=PATIENCE)
        if self.proc.stdout is not None:
            self.proc.stdout.close()
        self.stderr_file.close()


@contextmanager
def peers(*started: Peer) -> Iterator[tuple[Peer, ...]]:
    """Kill every peer on the way out, whatever happened."""
    try:
        yield started
    finally:
        for p in started:
            p.kill()


# An echo server: replies with whatever it receives. ``--greet`` sends a Ping to each new
# connection (and prints ``pong`` when the Ack comes back); ``--count`` prints every message.
ECHO_SERVER = """
    import layer_cake as lc

    def echo_server(self, port: int = 0, greet: bool = False):
        lc.listen(self, lc.HostPort("127.0.0.1", port))
        m = self.input()
        if isinstance(m, lc.NotListening):
            return m
        print(f"listening {m.listening_ipp.port}", flush=True)
        while True:
            m = self.input()
            if isinstance(m, lc.Accepted):
                print(f"accepted {m.opened_ipp.port}", flush=True)
                if greet:
                    self.send(lc.Ping(), m.proxy_address)
            elif isinstance(m, lc.Closed):
                print(f"closed {m.reason.name}", flush=True)
            elif isinstance(m, lc.Stop):
                return lc.Aborted()
            elif isinstance(m, lc.Ack) and greet:
                print("pong", flush=True)
            else:
                self.reply(lc.cast_to(m, self.received_type))

    lc.bind(echo_server)

    if __name__ == "__main__":
        lc.create(echo_server)
"""

# A hub between two connections: whatever one side sends (to the hub itself) is forwarded,
# with its return address, to the other side; the first connection is A, the second C.
RELAY = """
    import layer_cake as lc

    def relay(self):
        lc.listen(self, lc.HostPort("127.0.0.1", 0))
        m = self.input()
        print(f"listening {m.listening_ipp.port}", flush=True)
        sides = []
        while True:
            m = self.input()
            if isinstance(m, lc.Accepted):
                sides.append(m.proxy_address)
                print(f"accepted {len(sides)}", flush=True)
            elif isinstance(m, lc.Closed):
                print(f"closed {m.reason.name}", flush=True)
            elif isinstance(m, lc.Stop):
                return lc.Aborted()
            else:
                back = self.return_address
                other = [s for s in sides if back[:1] != s[:1]]
                print(f"relayed {type(m).__name__}", flush=True)
                self.forward(m, other[0], back)

    lc.bind(relay)

    if __name__ == "__main__":
        lc.create(relay)
"""

# C of the two-hop test: connects to the hub, sends its own address, then answers a Ping
# with an Ack and returns any JoinSpool to where it came from.
FAR_END = """
    import layer_cake as lc

    def far_end(self, port: int = 0):
        lc.connect(self, lc.HostPort("127.0.0.1", port))
        m = self.input()
        print(f"connected {type(m).__name__}", flush=True)
        self.send(lc.JoinSpool(self.object_address), m.proxy_address)
        while True:
            m = self.input()
            if isinstance(m, lc.Ping):
                print(f"ping from {len(self.return_address)} hops", flush=True)
                self.reply(lc.Ack())
            elif isinstance(m, lc.JoinSpool):
                print("join", flush=True)
                self.reply(m)
            elif isinstance(m, (lc.Stop, lc.Closed)):
                return lc.Aborted()

    lc.bind(far_end)

    if __name__ == "__main__":
        lc.create(far_end)
"""

# A message type that only some processes know.
SECRET = """
    import layer_cake as lc

    class Secret:
        def __init__(self, text: str = "", count: int = 0, origin: lc.Address = None):
            self.text = text
            self.count = count
            self.origin = origin

    lc.bind_message(Secret, origin=lc.Address())
"""

SECRET_SENDER = """
    import layer_cake as lc
    from secret import Secret

    def secret_sender(self, port: int = 0):
        lc.connect(self, lc.HostPort("127.0.0.1", port))
        m = self.input()
        self.send(Secret("hush", 7, self.object_address), m.proxy_address)
        proxy = m.proxy_address
        m = self.input()
        if isinstance(m, Secret):
            home = m.origin == self.object_address
            print(f"reply {m.text} {m.count} home={home}", flush=True)
        else:
            print(f"unexpected {type(m).__name__}", flush=True)
        self.send(lc.Close(), proxy)  # leave no connection behind
        self.select(lc.Closed, seconds=10)

    lc.bind(secret_sender)

    if __name__ == "__main__":
        lc.create(secret_sender)
"""

SECRET_RECEIVER = """
    import layer_cake as lc
    from secret import Secret

    def secret_receiver(self, port: int = 0):
        lc.connect(self, lc.HostPort("127.0.0.1", port))
        m = self.input()
        print(f"connected {type(m).__name__}", flush=True)
        while True:
            m = self.input()
            if isinstance(m, Secret):
                print(f"got {m.text} {m.count}", flush=True)
                self.reply(Secret(m.text.upper(), m.count + 1, m.origin))
            elif isinstance(m, (lc.Stop, lc.Closed)):
                return lc.Aborted()

    lc.bind(secret_receiver)

    if __name__ == "__main__":
        lc.create(secret_receiver)
"""

# A slow receiver with a tiny queue: checks order, then reports what it saw.
SLOW_SINK = """
    import time
    import layer_cake as lc

    lc.set_queue_capacity(16)

    def slow_sink(self):
        lc.listen(self, lc.HostPort("127.0.0.1", 0))
        m = self.input()
        print(f"listening {m.listening_ipp.port}", flush=True)
        expected = 0
        in_order = True
        while True:
            m = self.input()
            if isinstance(m, int):
                in_order = in_order and m == expected
                expected += 1
                if expected % 64 == 0:
                    time.sleep(0.002)  # slow: about 3 ms per 64 messages
            elif isinstance(m, lc.Ack):
                gas = lc.runtime_counters()
                self.reply(lc.cast_to([expected, int(in_order), gas.queue_full, gas.undeliverable],
                                      lc.def_type(list[int])))
            elif isinstance(m, lc.Stop):
                return lc.Aborted()

    lc.bind(slow_sink)

    if __name__ == "__main__":
        lc.create(slow_sink)
"""


def start(tmp_path: Path, name: str, text: str, *args: str) -> Peer:
    return Peer(script(tmp_path, name, text), *args)


def run_script(tmp_path: Path, name: str, text: str, *args: str) -> subprocess.CompletedProcess:
    """Run a script to its end in its own interpreter; its exit code, stdout and stderr."""
    path = script(tmp_path, name, text)
    return subprocess.run(
        [sys.executable, path.name, *args],
        cwd=tmp_path,
        env=environment(),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


# In-process helpers ------------------------------------------------------------------------------


def as_int(n: int) -> object:
    return lc.cast_to(n, lc.int_type)


def listening(server: lc.Channel, **kw: object) -> tuple[lc.Listening, int]:
    """Listen on an ephemeral loopback port; ``(Listening, port)``."""
    lid = lc.listen(server, lc.HostPort(LOOPBACK, 0), **kw)
    m, _ = wait_for(server, lc.Listening, lc.NotListening)
    assert isinstance(m, lc.Listening), m
    assert m.request.lid == lid
    assert m.listening_ipp.port > 0
    return m, m.listening_ipp.port


def connected(client: lc.Channel, port: int, **kw: object) -> lc.Connected:
    lc.connect(client, lc.HostPort(LOOPBACK, port), **kw)
    m, _ = wait_for(client, lc.Connected, lc.NotConnected)
    assert isinstance(m, lc.Connected), m
    assert client.return_address == m.proxy_address
    return m


def accepted(server: lc.Channel) -> lc.Accepted:
    m, _ = wait_for(server, lc.Accepted)
    assert server.return_address == m.proxy_address
    return m


def behind(address: tuple, proxy: tuple) -> bool:
    """``address`` is a remote object reached through ``proxy`` (one hop)."""
    return len(proxy) == 1 and len(address) == 2 and address[:1] == proxy


def nothing_more(c: lc.Channel, seconds: float = QUIET) -> None:
    """Nothing arrives at ``c`` for ``seconds``."""
    m, _ = c.select(seconds=seconds)  # no types: any message matches
    assert isinstance(m, lc.SelectTimer), f"unexpected {m!r} from {c.return_address}"


def free_port() -> int:
    """A loopback port with nothing listening on it (bound, then released)."""
    with socket.socket() as s:
        s.bind((LOOPBACK, 0))
        return s.getsockname()[1]


def raw_client(port: int) -> socket.socket:
    s = socket.create_connection((LOOPBACK, port), timeout=PATIENCE)
    return s


def read_until_closed(s: socket.socket) -> bytes:
    """Everything the server sends until it closes the connection."""
    data = b""
    while True:
        chunk = s.recv(65536)
        if not chunk:
            return data
        data += chunk


@pytest.fixture
def server() -> Iterator[lc.Channel]:
    with lc.channel() as c:
        yield c


@pytest.fixture
def client() -> Iterator[lc.Channel]:
    with lc.channel() as c:
        yield c


def round_trip(sender: lc.Channel, proxy: tuple, receiver: lc.Channel, n: int) -> None:
    """``n`` from sender to receiver through ``proxy``, and ``n + 1`` back as the reply."""
    sender.send(as_int(n), proxy)
    m, _ = wait_for(receiver, lc.int_type)
    assert m == n
    receiver.reply(as_int(n + 1))
    m, _ = wait_for(sender, lc.int_type)
    assert m == n + 1
    assert behind(sender.return_address, proxy)


# Listen and connect ------------------------------------------------------------------------------


def test_listen_on_port_zero_reports_the_actual_port(server):  # acceptance 57
    m, port = listening(server)
    assert m.listening_ipp.host == LOOPBACK
    assert m.controller_address == server.object_address
    with socket.create_connection((LOOPBACK, port), timeout=PATIENCE):
        pass  # the port really accepts


def test_accepted_and_connected_precede_every_message(server, client):
    _, port = listening(server)
    for n in range(20):
        lc.connect(client, lc.HostPort(LOOPBACK, port))
        c, _ = wait_for(client, lc.Connected)
        client.send(as_int(n), c.proxy_address)  # at once: races the Accepted
        first = server.input()
        assert isinstance(first, lc.Accepted), first
        assert first.opened_ipp.port == c.opened_ipp.port
        m = server.input()
        assert m == n and behind(server.return_address, first.proxy_address)
        client.send(lc.Close(), c.proxy_address)
        wait_for(client, lc.Closed)
        wait_for(server, lc.Closed)


def test_connected_precedes_a_greeting_from_the_server(tmp_path, client):
    with peers(start(tmp_path, "echo_server.py", ECHO_SERVER, "--greet")) as (echo,):
        port = echo.port()
        lc.connect(client, lc.HostPort(LOOPBACK, port))
        first = client.input()
        assert isinstance(first, lc.Connected), first
        greeting = client.input()
        assert isinstance(greeting, lc.Ping), greeting
        assert behind(client.return_address, first.proxy_address)
        client.reply(lc.Ack())
        echo.expect("pong")


def test_messages_round_trip_both_ways_in_one_process(server, client):
    _, port = listening(server)
    c = connected(client, port)
    a = accepted(server)
    assert a.opened_ipp == c.opened_ipp  # the client's end, seen from both sides
    assert a.listening.listening_ipp.port == port
    for n in range(0, 20, 2):
        round_trip(client, c.proxy_address, server, n)  # client asks, server replies
        round_trip(server, a.proxy_address, client, n)  # server asks, client replies


def test_messages_round_trip_with_another_process(tmp_path, client):
    with peers(start(tmp_path, "echo_server.py", ECHO_SERVER)) as (echo,):
        c = connected(client, echo.port())
        echo.expect("accepted ")
        for n in range(50):
            client.send(as_int(n), c.proxy_address)
            m, _ = wait_for(client, lc.int_type)
            assert m == n and behind(client.return_address, c.proxy_address)
        client.send(lc.cast_to(["a", "b"], lc.def_type(list[str])), c.proxy_address)
        m, _ = wait_for(client, lc.def_type(list[str]))
        assert m == ["a", "b"]


def test_replies_reach_the_sender_behind_the_proxy(server, client):
    _, port = listening(server)
    with lc.channel() as other:  # a second local object sending through the same proxy
        c = connected(client, port)
        accepted(server)
        other.send(lc.Ping(), c.proxy_address)
        wait_for(server, lc.Ping)
        remote_other = server.return_address
        assert remote_other[1:] == other.object_address
        server.reply(lc.Ack())
        wait_for(other, lc.Ack)
        client.send(lc.Ping(), c.proxy_address)
        wait_for(server, lc.Ping)
        assert server.return_address != remote_other  # another sender, another address
        server.send(lc.Nak(), remote_other)  # an address kept and used later
        wait_for(other, lc.Nak)
        assert behind(other.return_address, c.proxy_address)


def test_fifty_clients_are_served_at_once(tmp_path, client):
    clients = 50
    with peers(start(tmp_path, "echo_server.py", ECHO_SERVER)) as (echo,):
        port = echo.port()
        for _ in range(clients):
            lc.connect(client, lc.HostPort(LOOPBACK, port))
        proxies = []
        for _ in range(clients):
            m, _ = wait_for(client, lc.Connected)
            proxies.append(m.proxy_address)
        assert len(set(proxies)) == clients
        for n, proxy in enumerate(proxies):
            client.send(as_int(n), proxy)
        for _ in range(clients):
            m, _ = wait_for(client, lc.int_type)
            assert client.return_address[:1] == proxies[m]
            proxies[m] = None
        assert proxies == [None] * clients
        for _ in range(clients):
            echo.expect("accepted ")


def test_a_thousand_messages_arrive_in_send_order(tmp_path, client):
    count = 1000
    with peers(start(tmp_path, "echo_server.py", ECHO_SERVER)) as (echo,):
        c = connected(client, echo.port())
        for n in range(count):
            client.send(as_int(n), c.proxy_address)
        received = []
        for _ in range(count):
            m, _ = wait_for(client, lc.int_type)
            received.append(m)
        assert received == list(range(count))


# Address portability (§4.1) ----------------------------------------------------------------------


def test_addresses_stay_valid_across_two_hops(tmp_path, client):  # acceptance 61
    with peers(start(tmp_path, "relay.py", RELAY)) as (hub,):
        port = hub.port()
        to_hub = connected(client, port)  # A, the first side
        hub.expect("accepted 1")
        with peers(start(tmp_path, "far_end.py", FAR_END, f"--port={port}")) as (far,):
            far.expect("connected Connected")
            # C sent its own address to the hub, which passed it on to us.
            join, _ = wait_for(client, lc.JoinSpool)
            c_address = join.worker_address
            assert c_address == client.return_address  # one remote object, one address
            assert c_address[0] == to_hub.proxy_address[0] and len(c_address) == 3
            hub.expect("relayed JoinSpool")

            client.send(lc.Ping(), c_address)
            assert far.expect("ping from ") == "ping from 3 hops"
            wait_for(client, lc.Ack)
            assert client.return_address == c_address

            # Our own address goes out, is sent back, and is local again at home.
            client.send(lc.JoinSpool(client.object_address), c_address)
            far.expect("join")
            back, _ = wait_for(client, lc.JoinSpool)
            assert back.worker_address == client.object_address
            assert client.return_address == c_address


def test_unknown_message_type_relays_as_incognito(tmp_path, server):
    script(tmp_path, "secret.py", SECRET)
    _, port = listening(server)
    with peers(start(tmp_path, "secret_receiver.py", SECRET_RECEIVER, f"--port={port}")) as (far,):
        to_far = accepted(server)
        far.expect("connected Connected")
        with peers(start(tmp_path, "secret_sender.py", SECRET_SENDER, f"--port={port}")) as (near,):
            accepted(server)
            m, _ = wait_for(server, lc.Incognito)
            assert m.type_name == "secret.Secret"
            # This process does not know Secret; it passes it on untouched.
            server.forward(m, to_far.proxy_address, server.return_address)
            assert far.expect("got ") == "got hush 7"
            assert near.expect("reply ") == "reply HUSH 8 home=True"
            assert near.wait() == 0, near.report()


# Closing -----------------------------------------------------------------------------------------


def test_close_gives_one_closed_at_each_end(server, client):  # acceptance 60
    _, port = listening(server)
    c = connected(client, port)
    a = accepted(server)
    client.send(lc.Close(message=lc.Ack()), c.proxy_address)
    local, _ = wait_for(client, lc.Closed)
    assert local.reason == lc.EndOfTransport.ON_REQUEST
    assert isinstance(local.message, lc.Ack)
    assert client.return_address == c.proxy_address
    remote, _ = wait_for(server, lc.Closed)
    assert remote.reason == lc.EndOfTransport.ABANDONED_BY_REMOTE
    assert remote.message is None
    assert server.return_address == a.proxy_address
    assert remote.opened_ipp == a.opened_ipp
    nothing_more(client)
    nothing_more(server)
    client.send(lc.Ping(), c.proxy_address)  # the proxy is gone: nothing reaches the server
    nothing_more(server)


@pytest.mark.parametrize("killed", ["server", "client"])
def test_a_killed_peer_is_abandoned_by_remote(tmp_path, server, client, killed):
    if killed == "server":
        with peers(start(tmp_path, "echo_server.py", ECHO_SERVER)) as (echo,):
            c = connected(client, echo.port())
            round_trip_echo(client, c.proxy_address)
            echo.proc.send_signal(signal.SIGKILL)
            m, _ = wait_for(client, lc.Closed)
            assert m.reason.name == "ABANDONED_BY_REMOTE"
            assert client.return_address == c.proxy_address
            nothing_more(client)
    else:
        _, port = listening(server)
        with peers(start(tmp_path, "far_end.py", FAR_END, f"--port={port}")) as (far,):
            a = accepted(server)
            wait_for(server, lc.JoinSpool)
            far.proc.send_signal(signal.SIGKILL)
            m, _ = wait_for(server, lc.Closed)
            assert m.reason.name == "ABANDONED_BY_REMOTE"
            assert server.return_address == a.proxy_address
            nothing_more(server)


def round_trip_echo(client: lc.Channel, proxy: tuple) -> None:
    client.send(lc.Ping(), proxy)
    wait_for(client, lc.Ping)
    assert behind(client.return_address, proxy)


# Stopping and failing to listen or connect -------------------------------------------------------


def test_stop_listening_confirms_and_keeps_connections(server, client):  # acceptance 66
    m, port = listening(server)
    lid = m.request.lid
    c = connected(client, port)
    a = accepted(server)
    lc.stop_listening(server, lid)
    stopped, _ = wait_for(server, lc.NotListening)
    assert stopped.request.lid == lid
    lc.connect(client, lc.HostPort(LOOPBACK, port))
    refused, _ = wait_for(client, lc.NotConnected, lc.Connected)
    assert isinstance(refused, lc.NotConnected), refused
    round_trip(client, c.proxy_address, server, 1)
    round_trip(server, a.proxy_address, client, 3)


def test_stop_listening_an_unknown_lid_is_no_such_entry(server):
    import uuid

    lid = uuid.uuid4()
    lc.stop_listening(server, lid)
    m, _ = wait_for(server, lc.NotListening)
    assert m.error_text == f'no such entry "{lid}"'
    assert str(m).endswith(f'(no such entry "{lid}")')


def test_listen_on_a_port_in_use_is_not_listening(server):  # acceptance 58
    _, port = listening(server)
    lc.listen(server, lc.HostPort(LOOPBACK, port))
    m, _ = wait_for(server, lc.NotListening)
    assert str(m) == f'cannot listen at "127.0.0.1:{port}" ([Errno 98] Address already in use)'
    assert m.error_code == 98


def test_a_server_process_on_a_port_in_use_exits_71(tmp_path, server):  # acceptance 58
    _, port = listening(server)
    done = run_script(tmp_path, "echo_server.py", ECHO_SERVER, f"--port={port}")
    assert done.returncode == 71, done.stderr
    assert done.stdout == ""
    assert done.stderr == (
        f'echo_server.py: cannot listen at "127.0.0.1:{port}" ([Errno 98] Address already in use)\n'
    )


LISTENER = """
import os
import sys

import layer_cake as lc


def listener(self, host: str = "127.0.0.1"):
    lc.listen(self, lc.HostPort(host, 0))
    m = self.input()
    assert isinstance(m, lc.Listening), m
    names = set()
    for task in os.listdir("/proc/self/task"):
        with open(f"/proc/self/task/{task}/comm") as f:
            names.add(f.read().strip())
    print(m.listening_ipp.port, "encodings.idna" in sys.modules, "libuv-worker" in names)
    return None


lc.bind(listener)

if __name__ == "__main__":
    lc.create(listener)
"""


@pytest.mark.skipif(not Path("/proc/self/task").exists(), reason="needs /proc")
def test_listening_at_an_ip_literal_starts_no_resolver_threads(tmp_path):
    done = run_script(tmp_path, "listener.py", LISTENER, f"--host={LOOPBACK}")
    assert done.returncode == 0, done.stderr
    port, idna, resolver = done.stdout.split()
    assert int(port) > 0
    assert (idna, resolver) == ("False", "False")  # no getaddrinfo on a thread pool


def test_listen_at_a_name_is_resolved_by_the_loop(server, client):
    lc.listen(server, lc.HostPort("localhost", 0))
    m, _ = wait_for(server, lc.Listening, lc.NotListening)
    assert isinstance(m, lc.Listening), m
    connected(client, m.listening_ipp.port)
    accepted(server)


def test_listen_at_the_ipv6_loopback_accepts_a_connection(server, client):
    try:
        probe = socket.socket(socket.AF_INET6)
        probe.bind(("::1", 0))
        probe.close()
    except OSError:
        pytest.skip("no IPv6 loopback here")
    lc.listen(server, lc.HostPort("::1", 0))
    m, _ = wait_for(server, lc.Listening, lc.NotListening)
    assert isinstance(m, lc.Listening), m
    lc.connect(client, lc.HostPort("::1", m.listening_ipp.port))
    c, _ = wait_for(client, lc.Connected, lc.NotConnected)
    assert isinstance(c, lc.Connected), c
    accepted(server)


def test_connect_to_a_closed_port_is_not_connected(client):  # acceptance 59
    port = free_port()
    lc.connect(client, lc.HostPort(LOOPBACK, port))
    m, _ = wait_for(client, lc.NotConnected, lc.Connected)
    assert isinstance(m, lc.NotConnected), m
    assert str(m) == f'cannot connect to "127.0.0.1:{port}" ([Errno 111] Connection refused)'
    assert m.request.requested_ipp == lc.HostPort(LOOPBACK, port)


# Broken peers ------------------------------------------------------------------------------------


def test_an_http_client_is_not_a_peer_and_the_server_keeps_serving(server, client):  # acc. 65
    _, port = listening(server)
    with raw_client(port) as s:
        s.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        sent = read_until_closed(s)
    assert sent.startswith(b"LCW1")  # our hello, then the close
    # compat §2.15: a foreign peer is never announced (no Accepted, no Closed), only logged.
    c = connected(client, port)
    a = accepted(server)
    assert a.opened_ipp == c.opened_ipp  # the first Accepted is the real client's
    round_trip(client, c.proxy_address, server, 5)


def test_a_truncated_frame_delivers_nothing(server):
    _, port = listening(server)
    with raw_client(port) as s:
        s.sendall(FrameEncoder().hello(False) + struct.pack(">I", 100) + b"x" * 10)
    accepted(server)
    m = server.input()
    assert isinstance(m, lc.Closed), m
    assert m.reason.name == "ABANDONED_BY_REMOTE"
    nothing_more(server)


def test_an_oversize_frame_closes_the_link_and_is_counted(server):  # acceptance 64
    _, port = listening(server, max_frame=1024)
    counters = Counters()
    with raw_client(port) as s:
        s.sendall(FrameEncoder().hello(False) + struct.pack(">I", 2000) + b"x" * 2000)
        read_until_closed(s)
    accepted(server)
    m = server.input()
    assert isinstance(m, lc.Closed), m
    assert (m.reason.name, m.note) == ("INBOUND_STREAMING", "oversize frame of 2000 bytes")
    assert counters.delta().get("frames_rejected") == 1
    nothing_more(server)


def blob(size: int) -> object:
    return lc.cast_to(bytearray(size), lc.bytearray_type)


def test_a_message_too_large_for_the_peer_faults_and_the_link_stays_up(server, client):
    _, port = listening(server, max_frame=1024)
    c = connected(client, port)
    accepted(server)
    round_trip(client, c.proxy_address, server, 1)  # the server's hello has arrived
    client.send(blob(4000), c.proxy_address)
    m, _ = wait_for(client, lc.Faulted)
    assert m.condition == "message too large"
    assert re.fullmatch(r"\S+ \d+ bytes > limit 1024", m.explanation), m.explanation
    assert client.return_address == c.proxy_address
    client.send(blob(500), c.proxy_address)  # fits
    m, _ = wait_for(server, lc.bytearray_type)
    assert len(m) == 500
    round_trip(client, c.proxy_address, server, 2)
    nothing_more(server)


def loop_caught_up() -> None:
    """Everything queued for loop-hosted objects so far has been handled."""
    done = threading.Event()
    LOOP.call(lambda: LOOP.loop.call_soon(LOOP.loop.call_soon, done.set))
    assert done.wait(PATIENCE)


def test_connected_waits_for_the_peer_hello_and_then_its_limit_applies(client):
    """compat §2.15: ``Connected`` only after the peer's hello; its ``max`` applies at once."""
    with socket.socket() as listener:
        listener.bind((LOOPBACK, 0))
        listener.listen(1)
        lc.connect(client, lc.HostPort(LOOPBACK, listener.getsockname()[1]))
        conn, _ = listener.accept()
    with conn:
        conn.settimeout(PATIENCE)
        nothing_more(client)  # TCP is open, but no hello yet: no Connected
        conn.sendall(FrameEncoder(1024).hello(False))
        c, _ = wait_for(client, lc.Connected)
        client.send(blob(4000), c.proxy_address)
        client.send(as_int(1), c.proxy_address)
        m, _ = wait_for(client, lc.Faulted, lc.Closed)
        assert isinstance(m, lc.Faulted) and m.condition == "message too large", m
        hello_header = conn.recv(8, socket.MSG_WAITALL)
        conn.recv(struct.unpack(">I", hello_header[4:])[0], socket.MSG_WAITALL)
        (size,) = struct.unpack(">I", conn.recv(4, socket.MSG_WAITALL))
        assert size < 1024  # the first frame is the small message


CONNECT_AND_RETURN = """
    import layer_cake as lc

    def connect_and_return(self, port: int = 0):
        lc.connect(self, lc.HostPort("127.0.0.1", port))
        m = self.input()
        print(f"connected {type(m).__name__}", flush=True)

    lc.bind(connect_and_return)

    if __name__ == "__main__":
        lc.create(connect_and_return)
"""


def test_process_end_closes_its_connections_at_once(tmp_path, server):
    _, port = listening(server)
    with peers(start(tmp_path, "connect_and_return.py", CONNECT_AND_RETURN, f"--port={port}")) as (
        p,
    ):
        a = accepted(server)
        p.expect("connected Connected")
        started = time.monotonic()
        assert p.wait() == 0, p.report()
        m = server.input()
        assert isinstance(m, lc.Closed), m  # no Stop passed on from the exiting process
        assert server.return_address == a.proxy_address
        assert time.monotonic() - started < 5.0


# Backpressure ------------------------------------------------------------------------------------


def test_a_slow_receiver_with_a_small_queue_loses_nothing(tmp_path, client):
    count = 5000
    with peers(start(tmp_path, "slow_sink.py", SLOW_SINK)) as (sink,):
        c = connected(client, sink.port())
        started = time.monotonic()
        for n in range(count):
            client.send(as_int(n), c.proxy_address)
            assert time.monotonic() - started < 60, "sending stalled"
        client.send(lc.Ack(), c.proxy_address)
        m, _ = wait_for(client, lc.def_type(list[int]), seconds=60)
        received, in_order, queue_full, undeliverable = m
        assert (received, in_order) == (count, 1), sink.report()
        assert (queue_full, undeliverable) == (0, 0)


# Link events behind a full queue ---------------------------------------------------------------


def until_closed(c: lc.Channel) -> list:
    """Every message at ``c`` up to and including its ``Closed`` (fails if one never comes)."""
    seen: list = []
    while not seen or not isinstance(seen[-1], lc.Closed):
        m, _ = c.select(seconds=PATIENCE)
        assert not isinstance(m, lc.SelectTimer), f"{len(seen)} arrived, then nothing"
        seen.append(m)
    return seen


def fill(c: lc.Channel, n: int) -> None:
    """Queue ``n`` Acks at ``c`` from this thread (a thread sender: fits up to the capacity)."""
    for _ in range(n):
        c.send(lc.Ack(), c.object_address)


@pytest.mark.parametrize("room_check", ["right", "beaten"])
def test_connected_and_closed_wait_behind_a_full_queue_and_arrive_in_order(
    server, client, room_check, monkeypatch
):
    """Issue 16: a node busy with 40,000 publications had a full queue when its parent link
    came up; the loop's send of ``Connected`` raised ``QueueFull`` inside the transport, the
    link died and the node never joined. Link events now wait for room, in order with the
    frames before them: ``Connected`` after what filled the queue, ``Closed`` after the last
    message that came over the link. "beaten": the room check says there is room, as when a
    thread sender takes the last of it between the check and the send."""
    from layer_cake.net import _link, _transport

    if room_check == "beaten":
        monkeypatch.setattr(_transport, "full", lambda to: False)
        monkeypatch.setattr(_link, "full", lambda to: False)
    counters = Counters()
    capacity = 8
    with queue_capacity(capacity):
        _, port = listening(server)
        fill(client, capacity)
        lc.connect(client, lc.HostPort(LOOPBACK, port))
        a = accepted(server)  # the link is up; the client's Connected waits for room
        for n in range(3):
            server.send(as_int(n), a.proxy_address)  # these wait behind the Connected
        server.send(lc.Close(), a.proxy_address)
        wait_for(server, lc.Closed)
        seen = until_closed(client)
    assert [type(m).__name__ for m in seen] == ["Ack"] * capacity + [
        "Connected",
        "int",
        "int",
        "int",
        "Closed",
    ]
    assert seen[capacity + 1 : capacity + 4] == [0, 1, 2]
    assert seen[-1].reason == lc.EndOfTransport.ABANDONED_BY_REMOTE
    if room_check == "right":
        assert counters.delta().get("queue_full", 0) == 0


def test_a_hello_that_waited_out_our_own_stall_is_not_refused(client, monkeypatch):
    """Issue 16: the hello limit counts only time this process ran on time. Our loop stalls
    for three limits while the peer's hello sits in the socket; when it runs again (uvloop:
    due timers before reads) the link is still taken, not closed as "no hello"."""
    from layer_cake.net import _transport

    monkeypatch.setattr(_transport.LIMITS, "hello_timeout", 0.5)
    stalled = threading.Event()
    trigger, stalling = socket.socketpair()

    def stall() -> None:  # an I/O callback: after it, uvloop runs due timers, then reads
        LOOP.loop.remove_reader(stalling.fileno())
        stalled.set()
        time.sleep(1.5)  # the loop thread blocked: the stall under test, not a wait

    with socket.socket() as listener, trigger, stalling:
        listener.bind((LOOPBACK, 0))
        listener.listen(1)
        lc.connect(client, lc.HostPort(LOOPBACK, listener.getsockname()[1]))
        conn, _ = listener.accept()
        with conn:
            LOOP.loop.call_soon_threadsafe(LOOP.loop.add_reader, stalling.fileno(), stall)
            trigger.send(b"x")
            assert stalled.wait(PATIENCE)
            conn.sendall(FrameEncoder(1024).hello(False))  # arrives while the loop is stalled
            m, _ = wait_for(client, lc.Connected, lc.NotConnected, lc.Closed)
            assert isinstance(m, lc.Connected), m


def test_link_events_and_frames_keep_their_order_while_a_thread_floods_the_receiver(
    server, client
):
    """Issue 16: a thread sender fills a queue to the brim concurrently, so a link event the
    loop found room for could still be refused (the publisher of 40,000 names then never
    joined). Whatever the interleaving, everything arrives: Connected before the frames, the
    frames in order, Closed last."""
    capacity, flood, frames = 64, 5000, 200
    with queue_capacity(capacity):
        _, port = listening(server)
        flooder = threading.Thread(target=fill, args=(client, flood))
        flooder.start()
        lc.connect(client, lc.HostPort(LOOPBACK, port))
        a = accepted(server)
        for n in range(frames):
            server.send(as_int(n), a.proxy_address)
        server.send(lc.Close(), a.proxy_address)
        wait_for(server, lc.Closed)
        seen = until_closed(client)
        # The flood is a thread of its own: on a loaded machine part of it may still be on
        # its way when the link has closed. Read it to the end, then nothing else may come.
        while sum(isinstance(m, lc.Ack) for m in seen) < flood:
            m, _ = client.select(seconds=PATIENCE)
            assert not isinstance(m, lc.SelectTimer), f"{len(seen)} arrived, then nothing"
            seen.append(m)
        flooder.join(PATIENCE)
    kinds = [type(m).__name__ for m in seen]
    assert kinds.count("Ack") == flood
    assert [m for m in seen if isinstance(m, int)] == list(range(frames))
    assert kinds.index("Connected") < kinds.index("int")
    link = [k for k in kinds if k != "Ack"]  # the link's own events and frames, in order
    assert link[-1] == "Closed" and link.count("Closed") == 1, link


# A send made on the loop thread is written in the sender's call (issue 13) -----------------------


class OnTheWire(lc.Point, lc.Stateless):
    """On Start (on the loop): one Ping to ``proxy``, then returns how many bytes the socket
    of the far end (``fd``, in this process) holds before this handler has returned."""

    def __init__(self, proxy: tuple = (), fd: int = -1) -> None:
        lc.Point.__init__(self)
        lc.Stateless.__init__(self)
        self.proxy, self.fd = proxy, fd


def OnTheWire_Start(self, m):
    import fcntl
    import termios

    self.send(lc.Ping(), self.proxy)
    end = time.monotonic() + 2.0  # loopback: the bytes are there once send() returns
    waiting = 0
    while not waiting and time.monotonic() < end:
        waiting = struct.unpack("i", fcntl.ioctl(self.fd, termios.FIONREAD, b"\0" * 4))[0]
        if not waiting:
            time.sleep(0.001)  # the loop is held on purpose: no turn may pass
    self.complete(lc.cast_to(waiting, lc.int_type))


lc.bind(OnTheWire, (lc.Start,))


def test_a_send_on_the_loop_is_on_the_wire_before_the_sending_handler_returns(server, client):
    """Through the run queue the frame waited for the next turn of the loop: one more
    ``epoll_wait`` per message, a third of an echo process's system calls."""
    from layer_cake.runtime._dispatch import TABLE

    _, port = listening(server)
    c = connected(client, port)
    a = accepted(server)
    far_end = TABLE[a.proxy_address[:1]].link.transport.get_extra_info("socket").fileno()
    client.create(OnTheWire, c.proxy_address, far_end)
    m, _ = wait_for(client, lc.Returned)
    assert m.cast_back()[0] > 0  # the whole frame, before the handler returned
    wait_for(server, lc.Ping)
    assert behind(server.return_address, a.proxy_address)


# A send from another thread is written by that thread (issue 13) ---------------------------------

DIRECT = lc.COMPILED  # and the loop is uvloop: checked once the loop runs (LOOP.kind)


class HoldTheLoop(lc.Point, lc.Stateless):
    """On Start (on the loop): sets ``held``, then keeps the loop until ``release`` is set
    (at most ``PATIENCE``): nothing the loop would do can happen meanwhile."""

    def __init__(self, held: threading.Event | None = None, release: threading.Event | None = None):
        lc.Point.__init__(self)
        lc.Stateless.__init__(self)
        self.held, self.release = held, release


def HoldTheLoop_Start(self, m):
    self.held.set()
    self.release.wait(PATIENCE)
    self.complete()


lc.bind(HoldTheLoop, (lc.Start,))


@contextmanager
def loop_held(c: lc.Channel) -> Iterator[None]:
    held, release = threading.Event(), threading.Event()
    c.create(HoldTheLoop, held, release)
    assert held.wait(PATIENCE)
    try:
        yield
    finally:
        release.set()
        wait_for(c, lc.Returned)


def waiting_bytes(fd: int) -> int:
    import fcntl
    import termios

    return struct.unpack("i", fcntl.ioctl(fd, termios.FIONREAD, b"\0" * 4))[0]


def link_of(proxy: tuple) -> object:
    from layer_cake.runtime._dispatch import TABLE

    return TABLE[proxy[:1]].link


def test_only_the_compiled_build_on_uvloop_writes_from_other_threads(server, client):
    _, port = listening(server)
    c = connected(client, port)
    accepted(server)
    link = link_of(c.proxy_address)
    assert (link.fd >= 0) == (lc.COMPILED and LOOP.kind == "uvloop")


def test_a_send_from_a_thread_is_on_the_wire_before_the_send_returns(server, client):
    """The loop is held: through the run queue the frame could not leave before the release."""
    _, port = listening(server)
    c = connected(client, port)
    a = accepted(server)
    if not (DIRECT and LOOP.kind == "uvloop"):
        pytest.skip("frames are written from other threads by the compiled build on uvloop")
    far_end = link_of(a.proxy_address).transport.get_extra_info("socket").fileno()
    with loop_held(server):
        client.send(as_int(5), c.proxy_address)
        end = time.monotonic() + 2.0  # loopback: the bytes are there once write() returns
        while not waiting_bytes(far_end) and time.monotonic() < end:
            time.sleep(0.001)
        assert waiting_bytes(far_end) > 0
    m, _ = wait_for(server, lc.int_type)
    assert m == 5


def test_a_frame_a_thread_wrote_in_part_is_finished_before_any_other(server, client, monkeypatch):
    """A socket that takes part of a thread's frame: the loop writes the rest first, and
    whatever was sent meanwhile (by the thread, by the loop) follows it, in order."""
    from layer_cake.net import _transport

    _, port = listening(server)
    c = connected(client, port)
    accepted(server)
    link = link_of(c.proxy_address)
    written: list[int] = []

    def seven_bytes(fd: int, data: bytes) -> int:  # a socket with room for 7 bytes only
        written.append(os.write(fd, data[:7]))
        return 7

    monkeypatch.setattr(_transport, "_write_now", seven_bytes)
    monkeypatch.setattr(link, "fd", link.transport.get_extra_info("socket").fileno())
    with loop_held(client):
        client.send(as_int(1), c.proxy_address)  # 7 bytes written, the rest left to the loop
        assert written == [7] and link.rest is not None
        client.send(as_int(2), c.proxy_address)  # behind the rest: through the run queue
        client.send(lc.cast_to("x" * 5000, lc.str_type), c.proxy_address)
        assert written == [7]
    client.send(as_int(3), c.proxy_address)
    received = [wait_for(server, lc.int_type, lc.str_type)[0] for _ in range(4)]
    assert received == [1, 2, "x" * 5000, 3]
    assert link.rest is None


def test_a_thread_send_never_overtakes_its_earlier_send_the_loop_is_still_writing(
    server, client, monkeypatch
):
    """The loop has taken the thread's first message off the queue and is encoding it (which
    may run Python code, so the thread may run meanwhile) when the thread sends again: the
    second waits behind the first, on the wire too."""
    from layer_cake.net import _transport

    _, port = listening(server)
    c = connected(client, port)
    accepted(server)
    link = link_of(c.proxy_address)
    sender = threading.get_ident()
    encoding, second_sent = threading.Event(), threading.Event()
    asked: list[object] = []
    write_now, payload = link.write_now, link._payload

    def first_refused(message, to, back):  # as if the socket's buffer held something then
        asked.append(message)
        return len(asked) > 1 and write_now(message, to, back)

    def slow_first_payload(message, to, back):
        if threading.get_ident() != sender and not encoding.is_set():  # the loop, on the first
            encoding.set()
            second_sent.wait(PATIENCE)
        return payload(message, to, back)

    def whole(fd: int, data: bytes) -> int:  # the pure build's stand-in for the C write
        return os.write(fd, data)

    if not (DIRECT and LOOP.kind == "uvloop"):
        monkeypatch.setattr(_transport, "_write_now", whole)
        monkeypatch.setattr(link, "fd", link.transport.get_extra_info("socket").fileno())
    monkeypatch.setattr(link, "write_now", first_refused)
    monkeypatch.setattr(link, "_payload", slow_first_payload)
    client.send(as_int(1), c.proxy_address)  # refused: through the run queue
    assert encoding.wait(PATIENCE)  # the loop took it and is encoding it
    client.send(as_int(2), c.proxy_address)
    second_sent.set()
    received = [wait_for(server, lc.int_type)[0] for _ in range(2)]
    assert received == [1, 2]
    assert len(asked) == 1  # the second never tried the socket: the first was not written yet


def test_messages_held_for_the_hello_still_read_as_held_while_they_are_written(
    server, client, monkeypatch
):
    """A thread's direct write checks ``held``: while the loop writes what waited for the
    peer's hello, the link must still read as holding it, to the last one."""
    _, port = listening(server)
    c = connected(client, port)
    accepted(server)
    link = link_of(c.proxy_address)
    still_held: list[int] = []
    write = link._write

    def recording_write(payload, message, back):
        still_held.append(len(link.held))  # what write_now would see if the thread ran now
        write(payload, message, back)

    def flush_two_held() -> None:  # on the loop, as when the hello arrives
        back = client.object_address
        link.held = [(link._payload(as_int(n), c.proxy_address, back), n, back) for n in (1, 2)]
        link._ready()

    monkeypatch.setattr(link, "_write", recording_write)
    LOOP.loop.call_soon_threadsafe(flush_two_held)
    received = [wait_for(server, lc.int_type)[0] for _ in range(2)]
    assert received == [1, 2]
    assert still_held == [2, 2] and link.held == []


def test_the_loops_next_write_hands_over_a_threads_tail_first(server, client):
    """The tail of a frame a thread wrote in part waits for nothing: the loop's own next
    frame hands it to the transport first, in that same call, so it is never more than one
    frame's tail and nothing overtakes it."""
    _, port = listening(server)
    c = connected(client, port)
    accepted(server)
    link = link_of(c.proxy_address)
    fd = link.transport.get_extra_info("socket").fileno()
    tail_left: list[object] = []
    done = threading.Event()

    def on_the_loop() -> None:
        back = client.object_address
        header, body = link.encoder.frame_parts(link._payload(as_int(1), c.proxy_address, back))
        data = header + body
        os.write(fd, data[:7])  # as a thread's write that the socket took in part
        link.rest = data[7:]
        link.send_out(as_int(2), c.proxy_address, back)
        tail_left.append(link.rest)
        done.set()

    LOOP.loop.call_soon_threadsafe(on_the_loop)
    assert done.wait(PATIENCE)
    assert tail_left == [None]
    received = [wait_for(server, lc.int_type)[0] for _ in range(2)]
    assert received == [1, 2]


def test_a_peer_that_shuts_its_write_side_is_closed_with_no_protocol_error(server):
    """A peer's end of input (``shutdown(SHUT_WR)``) ends the link as a close does: the
    listener hears ``Closed`` and the loop reports no protocol failure (``Link`` is an
    asyncio protocol by its own methods, ``eof_received`` among them)."""
    from layer_cake.runtime._loop import LOOP

    _, port = listening(server)  # the loop runs from here on
    errors: list = []
    loop = LOOP.loop
    previous = loop.get_exception_handler()
    loop.set_exception_handler(lambda _loop, context: errors.append(context))
    try:
        with raw_client(port) as s:
            s.sendall(FrameEncoder().hello(False))
            accepted(server)
            s.shutdown(socket.SHUT_WR)
            read_until_closed(s)  # the server closes its side in turn
        m = server.input()
        assert isinstance(m, lc.Closed), m
        assert m.reason.name == "ABANDONED_BY_REMOTE"
    finally:
        loop.set_exception_handler(previous)
    assert errors == []
    nothing_more(server)
