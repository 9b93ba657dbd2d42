"""HOST-scope publish/subscribe across real processes through ``host-cake`` (pubsub §6-§9).

Every test starts its own host-cake on a free loopback port and passes it to the publisher
and subscriber processes with ``--connect-to-directory``; the scripts and processes are in
``directory_support.py``. Events are read from the lines they print; every process is killed
by its PID at the end.
"""

from __future__ import annotations

import json
import signal
import socket
import threading
import time
import urllib.request
import uuid

import pytest
from directory_support import DEADLINE, free_port, session_events

import layer_cake as lc
from layer_cake.net._frame import FrameDecoder, FrameEncoder, PeerHello
from layer_cake.pubsub import _node
from layer_cake.pubsub._directory import LIMITS
from layer_cake.pubsub._protocol import RouteFound

# Tests --------------------------------------------------------------------------------------------


def test_subscriber_started_before_publisher_gets_available(cake) -> None:
    cake.host()
    sub = cake.run("subscriber.py", "--search=svc:one")
    sub.expect("SUBSCRIBED")
    pub = cake.run("publisher.py", "--name=svc:one")
    pub.expect("PUBLISHED")
    assert sub.expect("AVAILABLE svc:one") == "AVAILABLE svc:one HOST True"
    assert pub.expect("DELIVERED") == "DELIVERED HOST"
    assert sub.expect("PRODUCT 6 svc:one")  # a request and its reply over the session


def test_subscriber_started_after_publisher_gets_available(cake) -> None:
    cake.host()
    pub = cake.run("publisher.py", "--name=svc:two")
    line = pub.expect("PUBLISHED")
    assert int(line.split()[1]) > 0  # Published.listening_ipp: the session listener
    sub = cake.run("subscriber.py", "--search=svc:[a-z]+")
    assert sub.expect("AVAILABLE svc:two") == "AVAILABLE svc:two HOST True"
    pub.expect("DELIVERED")
    sub.expect("PRODUCT 6 svc:two")


def test_publisher_killed_gives_dropped_to_subscriber(cake) -> None:
    cake.host()
    pub = cake.run("publisher.py", "--name=svc:three")
    sub = cake.run("subscriber.py", "--search=svc:three")
    sub.expect("PRODUCT 6 svc:three")
    pub.kill(signal.SIGKILL)
    sub.expect("DROPPED svc:three", deadline=5.0)


def test_subscriber_killed_gives_dropped_to_publisher(cake) -> None:
    cake.host()
    pub = cake.run("publisher.py", "--name=svc:four")
    sub = cake.run("subscriber.py", "--search=svc:four")
    pub.expect("DELIVERED")
    sub.expect("PRODUCT")
    sub.kill(signal.SIGKILL)
    pub.expect("DROPPED", deadline=5.0)


def test_duplicate_name_from_another_process_is_refused_at_host(cake) -> None:
    cake.host()
    first = cake.run("publisher.py", "--name=svc:five")
    first.expect("PUBLISHED")
    sub = cake.run("subscriber.py", "--search=svc:five")
    sub.expect("AVAILABLE svc:five")
    second = cake.run("publisher.py", "--name=svc:five")
    line = second.expect("NOTPUBLISHED")
    assert line == "NOTPUBLISHED already published at HOST by another process"
    assert second.popen.wait(timeout=DEADLINE) == 71


def test_host_cake_restart_keeps_sessions_and_forms_new_ones(cake) -> None:
    host = cake.host()
    pub = cake.run("publisher.py", "--name=svc:six")
    sub = cake.run("subscriber.py", "--search=svc:[a-z]+")
    sub.expect("AVAILABLE svc:six")
    sub.expect("PRODUCT 6 svc:six")
    host.kill(signal.SIGKILL)
    later = cake.run("publisher.py", "--name=svc:seven")  # listed while host-cake is down
    later.expect("PUBLISHED")
    host = cake.host()  # same port: the children reconnect and push their listings again
    sub.expect("AVAILABLE svc:seven")  # a new session through the new host-cake
    sub.drain()
    sub.expect("PRODUCT 6 svc:six")  # the established session still carries messages
    assert not any(line.startswith("DROPPED") for line in sub.seen)
    assert not any(line.startswith("AVAILABLE svc:six") for line in sub.seen)
    pub.drain()
    assert not any(line.startswith("DROPPED") for line in pub.seen)


def _get_table(port: int) -> list:
    url = f"http://127.0.0.1:{port}/Xy?x=2&y=2"
    with urllib.request.urlopen(url, timeout=10) as response:
        body = json.loads(response.read())
    value = body["value"]
    table = value[1] if isinstance(value, list) and len(value) == 3 else value
    return table


def test_seed_server_spools_over_three_workers_and_survives_a_killed_one(cake) -> None:
    cake.host()
    port = free_port()
    server = cake.run("server.py", f"--port={port}")
    server.expect("SUBSCRIBED")
    workers = [cake.run("worker.py") for _ in range(3)]
    names = {w.expect("PUBLISHED").split()[1]: w for w in workers}
    available = {server.expect("AVAILABLE").split()[1] for _ in range(3)}
    assert available == set(names)
    table = _get_table(port)
    assert len(table) == 2 and all(len(row) == 2 for row in table)
    victim_name, victim = next(iter(names.items()))
    victim.kill(signal.SIGKILL)
    assert server.expect("DROPPED") == f"DROPPED {victim_name}"
    for _ in range(6):  # the others keep answering
        table = _get_table(port)
        assert len(table) == 2 and all(len(row) == 2 for row in table)


def test_a_process_publication_upgrades_then_falls_back_to_the_host_one(cake) -> None:
    cake.host()
    pub = cake.run("publisher.py", "--name=svc:up")
    pub.expect("PUBLISHED")
    # Margins for a loaded machine: 2 s of HOST replies first, then 5 s of the local session.
    sub = cake.run("upgrader.py", "--search=svc:up", "--after=2", "--hold=5")
    assert session_events(sub, 1) == ["AVAILABLE svc:up HOST"]
    sub.expect("PRODUCT 6 svc:up")
    assert session_events(sub, 2) == ["DROPPED svc:up HOST", "AVAILABLE svc:up PROCESS"]
    sub.expect("PRODUCT 6 local")  # messages now go to the local publisher
    pub.expect("DROPPED")  # the old publisher hears its session ended
    sub.expect("LOCAL CLEARED")
    assert session_events(sub, 2) == ["DROPPED svc:up PROCESS", "AVAILABLE svc:up HOST"]
    assert pub.expect("DELIVERED") == "DELIVERED HOST"  # the first, then the fallback's
    assert pub.expect("DELIVERED") == "DELIVERED HOST"
    sub.drain()
    sub.expect("PRODUCT 6 svc:up")


def _publish_when_free(cake, name: str):  # type: ignore[no-untyped-def]
    """Start a publisher of ``name`` once host-cake has freed it (after the previous owner's
    link closed): a refused one is retried, until a generous deadline."""
    end = time.monotonic() + DEADLINE
    while True:
        p = cake.run("publisher.py", f"--name={name}")
        line = p.expect(("PUBLISHED", "NOTPUBLISHED"))
        if line.startswith("PUBLISHED"):
            return p
        p.kill(signal.SIGKILL)
        assert time.monotonic() < end, f"{name} never freed at host-cake"


def test_wider_routes_coming_and_going_leave_a_nearer_session_alone(cake) -> None:
    cake.host()
    first = cake.run("publisher.py", "--name=svc:near")
    first.expect("PUBLISHED")
    # The local session is held for 20 s: ample for the route changes below on a loaded machine.
    sub = cake.run("upgrader.py", "--search=svc:near", "--after=0.2", "--hold=20")
    assert session_events(sub, 3) == [
        "AVAILABLE svc:near HOST",
        "DROPPED svc:near HOST",
        "AVAILABLE svc:near PROCESS",
    ]
    first.kill(signal.SIGKILL)  # its HOST route goes
    second = _publish_when_free(cake, "svc:near")  # a new HOST route comes
    sub.drain()
    sub.expect("PRODUCT 6 local")  # still the local session
    assert not any(line.startswith(("AVAILABLE", "DROPPED")) for line in sub.seen)
    line = sub.expect("LOCAL CLEARED")
    assert line == "LOCAL CLEARED", "the hold ended before the wider routes changed"
    assert session_events(sub, 2) == ["DROPPED svc:near PROCESS", "AVAILABLE svc:near HOST"]
    assert second.expect("DELIVERED") == "DELIVERED HOST"  # fell back to the new route


class SilentPublisher:
    """A fake session listener: accepts, sends its hello, then never answers a request.

    Counts the connections it accepted, the frames each one carried and the ones closed."""

    def __init__(self) -> None:
        self.server = socket.create_server(("127.0.0.1", 0))
        self.port = self.server.getsockname()[1]
        self.accepted = 0
        self.frames: list[int] = []  # per connection, in the order accepted
        self.closed: list[float] = []  # monotonic times of EOFs seen
        self.lock = threading.Lock()
        self.stopping = threading.Event()
        self.threads = [threading.Thread(target=self._accept, daemon=True)]
        self.threads[0].start()

    def _accept(self) -> None:
        self.server.settimeout(0.1)
        while not self.stopping.is_set():
            try:
                conn, _ = self.server.accept()
            except TimeoutError:
                continue
            with self.lock:
                index = self.accepted
                self.accepted += 1
                self.frames.append(0)
            thread = threading.Thread(target=self._serve, args=(conn, index), daemon=True)
            self.threads.append(thread)
            thread.start()

    def _serve(self, conn: socket.socket, index: int) -> None:
        decoder = FrameDecoder()
        with conn:
            conn.sendall(FrameEncoder().hello(False))
            conn.settimeout(0.1)
            while not self.stopping.is_set():
                try:
                    data = conn.recv(65536)
                except TimeoutError:
                    continue
                if not data:
                    with self.lock:
                        self.closed.append(time.monotonic())
                    return
                events = decoder.feed(data)
                with self.lock:
                    self.frames[index] += sum(1 for e in events if not isinstance(e, PeerHello))

    def stop(self) -> None:
        self.stopping.set()
        for thread in self.threads:
            thread.join(timeout=5)
        self.server.close()


@pytest.fixture
def silent():
    fake = SilentPublisher()
    try:
        yield fake
    finally:
        fake.stop()


def poll(condition, seconds: float = DEADLINE) -> float:
    """Wait until ``condition()`` holds; the monotonic time it was first seen to."""
    end = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > end:
            raise AssertionError("condition not met in time")
        time.sleep(0.02)
    return time.monotonic()


def route_to(channel: lc.Channel, subscribed: lc.Subscribed, name: str, port: int) -> None:
    """Tell this process's node what a parent would: ``name`` is served at ``port``."""
    route = RouteFound(
        subscribed.subscribed_id,
        name,
        lc.ScopeOfDirectory.HOST,
        lc.HostPort("127.0.0.1", port),
        uuid.uuid4(),
    )
    channel.send(route, _node.node_address())


def subscribed_channel(channel: lc.Channel, name: str) -> lc.Subscribed:
    lc.subscribe(channel, name)
    m = channel.input()
    assert isinstance(m, lc.Subscribed)
    return m


def test_an_unanswered_session_request_is_given_up_and_retried_on_the_same_connection(
    silent, monkeypatch
) -> None:
    """Issue 16: a route is never abandoned: after the open limit the request is ended and,
    after a back-off, asked again (the core's tests pin the figures with a fake clock)."""
    monkeypatch.setattr(LIMITS, "session_open", 0.5)
    monkeypatch.setattr(LIMITS, "idle_close", 60.0)  # the connection stays: only sessions go
    name = f"svc:silent:{uuid.uuid4()}"
    with lc.channel() as sub:
        subscribed = subscribed_channel(sub, name)
        route_to(sub, subscribed, name, silent.port)
        poll(lambda: silent.frames and silent.frames[0] >= 1)  # OpenSession arrived
        poll(lambda: silent.frames[0] >= 2)  # EndSession: the publisher may forget it too
        poll(lambda: silent.frames[0] >= 3)  # OpenSession again: retried, not abandoned
        heard, index = sub.select(lc.Available, lc.Dropped, seconds=0.3)
        assert index == 2, f"the subscriber heard {heard!r}"  # nothing: it was never Available
        assert silent.accepted == 1 and not silent.closed
        lc.clear_subscribed(sub, subscribed)
        sub.input()


def test_a_connection_left_without_sessions_closes_after_the_idle_delay(
    silent, monkeypatch
) -> None:
    monkeypatch.setattr(LIMITS, "idle_close", 1.5)
    name = f"svc:idle:{uuid.uuid4()}"
    with lc.channel() as sub:
        subscribed = subscribed_channel(sub, name)
        route_to(sub, subscribed, name, silent.port)
        poll(lambda: silent.frames and silent.frames[0] >= 1)  # OpenSession arrived
        lc.clear_subscribed(sub, subscribed)  # its only session ends: EndSession
        sub.input()
        ended = poll(lambda: silent.frames[0] >= 2)
        assert not silent.closed
        closed = poll(lambda: bool(silent.closed), seconds=10.0)
        assert silent.accepted == 1
        assert closed - ended >= 1.0  # not before the idle delay (no upper bound: loaded CI)
