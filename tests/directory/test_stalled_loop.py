"""A process whose loop stalls keeps its links; a peer that is really gone is still noticed.

Issue 16: keep-alive counted wall-clock silence, so a process whose loop was blocked longer
than the limit (a subscriber handling 40,000 matches) declared its own links stale when it ran
again, and the directory resubscribed in a burst. Now silence counts only while this process
was responsive (net/_liveness.py). The stall here is real: a machine on the loop thread sleeps
for 8 s (four times the directory's 2 s limit), so no timer and no read runs meanwhile.

Every process is on loopback with explicit addresses and is killed by its PID.
"""

from __future__ import annotations

import os
import signal

import pytest
from directory_support import DEADLINE, Cake, free_port

STALL = 8.0  # seconds the loop thread is blocked: four keep-alive limits
PERIOD, LIMIT = 0.5, 2.0  # the directory's figures between hosts

LOOP_HOG = """
import time
import layer_cake as lc


class LoopHog(lc.Point, lc.Stateless):
    \"\"\"Blocks the loop thread (a Point machine's handler runs there) for ``seconds``.\"\"\"

    def __init__(self, seconds: float = 8.0):
        lc.Point.__init__(self)
        lc.Stateless.__init__(self)
        self.seconds = seconds


def LoopHog_Start(self, message):
    print("STALL BEGIN", flush=True)
    time.sleep(self.seconds)  # no I/O, no timer of this process runs meanwhile
    print("STALL END", flush=True)
    self.complete(lc.Ack())


lc.bind(LoopHog, (lc.Start,))
"""

ECHO_PEER = """
import layer_cake as lc


def echo_peer(self):
    \"\"\"Listens without probing; answers Enquiry with Ack (and probes, as every link).\"\"\"
    lc.listen(self, lc.HostPort("127.0.0.1", 0))
    m = self.input()
    if not isinstance(m, lc.Listening):
        return m
    print("LISTENING", m.listening_ipp.port, flush=True)
    while True:
        m = self.input()
        if isinstance(m, lc.Enquiry):
            self.reply(lc.Ack())
        elif isinstance(m, lc.Stop):
            return lc.Aborted()


lc.bind(echo_peer)

if __name__ == "__main__":
    lc.create(echo_peer)
"""

PROBER = """
import layer_cake as lc
from loop_hog import LoopHog


def prober(
    self, port: int = 0, stall: float = 0.0, period: float = 0.5, limit: float = 2.0,
    hold: float = 6.0,
):
    \"\"\"Connects with keep-alive; after ``stall`` s of a blocked loop asks the peer once and
    stays up ``hold`` s more.\"\"\"
    lc.connect(
        self, lc.HostPort("127.0.0.1", port), keep_alive=True,
        keep_alive_period=period, keep_alive_limit=limit,
    )
    m = self.input()
    if not isinstance(m, lc.Connected):
        print("NOTCONNECTED", flush=True)
        return m
    peer = m.proxy_address
    print("CONNECTED", flush=True)
    if stall > 0:
        self.create(LoopHog, stall)
    while True:
        m = self.input()
        if isinstance(m, lc.Returned):  # the loop runs again
            self.send(lc.Enquiry(), peer)
        elif isinstance(m, lc.Ack):
            print("ANSWERED", flush=True)
            self.start(lc.T1, hold)
        elif isinstance(m, lc.T1):
            print("STILL UP", flush=True)
        elif isinstance(m, lc.Closed):
            print("CLOSED", m.reason.name, m.note, flush=True)
            return lc.Aborted()
        elif isinstance(m, lc.Stop):
            return lc.Aborted()


lc.bind(prober)

if __name__ == "__main__":
    lc.create(prober)
"""

ECHO_PUBLISHER = """
import layer_cake as lc
from messages import Xy, Product


def echo_publisher(self, count: int = 10, prefix: str = "echo", scope: str = "HOST"):
    for i in range(count):
        lc.publish(self, f"{prefix}:{i}", scope=lc.ScopeOfDirectory[scope])
    published = delivered = 0
    while True:
        m = self.input()
        if isinstance(m, lc.Published):
            published += 1
            if published == count:
                print("PUBLISHED ALL", published, flush=True)
        elif isinstance(m, lc.NotPublished):
            print("NOTPUBLISHED", m.name, m.note, flush=True)
        elif isinstance(m, lc.Delivered):
            delivered += 1
            if delivered == count:
                print("DELIVERED ALL", delivered, flush=True)
        elif isinstance(m, lc.Dropped):
            print("DROPPED", flush=True)
        elif isinstance(m, Xy):
            self.reply(Product(m.x * m.y, "echo"))
        elif isinstance(m, lc.Stop):
            return lc.Aborted()


lc.bind(echo_publisher)

if __name__ == "__main__":
    lc.create(echo_publisher)
"""

STALLING_SUBSCRIBER = """
import layer_cake as lc
from loop_hog import LoopHog
from messages import Xy, Product


def stalling_subscriber(
    self,
    search: str = "echo:.*",
    count: int = 10,
    stall: float = 8.0,
    hold: float = 6.0,
    scope: str = "HOST",
):
    \"\"\"Once every name is Available, blocks its loop ``stall`` s, then asks every publisher
    over the sessions it had; stays ``hold`` s more to show nothing is dropped later.\"\"\"
    lc.subscribe(self, search, scope=lc.ScopeOfDirectory[scope])
    publishers = {}
    answered = 0
    while True:
        m = self.input()
        if isinstance(m, lc.Subscribed):
            print("SUBSCRIBED", flush=True)
        elif isinstance(m, lc.Available):
            if m.name in publishers:
                print("AVAILABLE AGAIN", m.name, flush=True)  # a session opened twice
            publishers[m.name] = m.publisher_address
            if len(publishers) == count:
                print("AVAILABLE ALL", count, flush=True)
                self.create(LoopHog, stall)
        elif isinstance(m, lc.Dropped):
            print("DROPPED", m.name, flush=True)
        elif isinstance(m, lc.Returned):  # the loop runs again
            for address in publishers.values():
                self.send(Xy(2, 3), address)
        elif isinstance(m, Product):
            answered += 1
            if answered == count:
                print("ANSWERED ALL", answered, flush=True)
                self.start(lc.T1, hold)
        elif isinstance(m, lc.T1):
            print("HELD", flush=True)
        elif isinstance(m, lc.Stop):
            return lc.Aborted()


lc.bind(stalling_subscriber)

if __name__ == "__main__":
    lc.create(stalling_subscriber)
"""


@pytest.fixture
def stall_cake(cake: Cake) -> Cake:
    for name, text in (
        ("loop_hog.py", LOOP_HOG),
        ("echo_peer.py", ECHO_PEER),
        ("prober.py", PROBER),
        ("echo_publisher.py", ECHO_PUBLISHER),
        ("stalling_subscriber.py", STALLING_SUBSCRIBER),
    ):
        (cake.folder / name).write_text(text)
    return cake


def _peer(cake: Cake):
    peer = cake.start(["echo_peer.py"])
    port = int(peer.expect("LISTENING").split()[1])
    return peer, port


@pytest.mark.parametrize("loop", ["uvloop", "asyncio"])
def test_a_process_whose_own_loop_stalled_four_limits_keeps_its_probed_link(
    stall_cake: Cake, monkeypatch: pytest.MonkeyPatch, loop: str
) -> None:
    """Its probe timer fires 8 s late (uvloop runs it before reading the socket): that is its
    own lag, so it probes, hears the answer and keeps the link."""
    monkeypatch.setenv("LC_EVENT_LOOP", loop)
    _, port = _peer(stall_cake)
    prober = stall_cake.start(
        ["prober.py", f"--port={port}", f"--stall={STALL}", f"--period={PERIOD}",
         f"--limit={LIMIT}"]
    )
    prober.expect("CONNECTED")
    prober.expect("STALL END", DEADLINE + STALL)
    line = prober.expect(("ANSWERED", "CLOSED"))  # type: ignore[arg-type]  # startswith
    assert line == "ANSWERED"
    assert prober.expect(("STILL UP", "CLOSED")) == "STILL UP"  # type: ignore[arg-type]
    prober.drain_into_seen()
    assert not [seen for seen in prober.seen if seen.startswith("CLOSED")]


def test_a_peer_stopped_while_this_process_is_responsive_is_closed_as_stale(
    stall_cake: Cake,
) -> None:
    """SIGSTOP of the peer: it answers no probe while the prober runs on time."""
    peer, port = _peer(stall_cake)
    prober = stall_cake.start(
        ["prober.py", f"--port={port}", f"--period={PERIOD}", f"--limit={LIMIT}"]
    )
    prober.expect("CONNECTED")
    os.kill(peer.popen.pid, signal.SIGSTOP)  # by PID: a process this test started
    try:
        assert prober.expect("CLOSED") == "CLOSED WENT_STALE unresponsive"
    finally:
        os.kill(peer.popen.pid, signal.SIGCONT)


def test_a_peer_stopped_during_our_own_stall_is_closed_as_stale_once_we_run_again(
    stall_cake: Cake,
) -> None:
    """Our lag is excused, the peer's silence after it is not: probed, unanswered, stale."""
    peer, port = _peer(stall_cake)
    prober = stall_cake.start(
        ["prober.py", f"--port={port}", f"--stall={STALL}", f"--period={PERIOD}",
         f"--limit={LIMIT}"]
    )
    prober.expect("CONNECTED")
    prober.expect("STALL BEGIN")
    os.kill(peer.popen.pid, signal.SIGSTOP)  # by PID: a process this test started
    try:
        prober.expect("STALL END", DEADLINE + STALL)
        line = prober.expect(("ANSWERED", "CLOSED"))  # type: ignore[arg-type]  # startswith
        assert line == "CLOSED WENT_STALE unresponsive"
    finally:
        os.kill(peer.popen.pid, signal.SIGCONT)


def test_a_peer_killed_is_noticed_at_once_through_the_socket(stall_cake: Cake) -> None:
    peer, port = _peer(stall_cake)
    prober = stall_cake.start(["prober.py", f"--port={port}"])
    prober.expect("CONNECTED")
    peer.kill(signal.SIGKILL)
    assert prober.expect("CLOSED").startswith("CLOSED ABANDONED_BY_REMOTE")


@pytest.mark.parametrize("scope", ["HOST", "LAN"])
def test_a_subscriber_whose_loop_stalled_keeps_every_session_and_resubscribes_nothing(
    stall_cake: Cake, scope: str
) -> None:
    """Issue 16's "stalled subscriber": host-cake, one process publishing 50 names, a
    subscriber that blocks its loop for 8 s once all are Available. Afterwards every
    publisher answers over the same sessions; no Dropped, no session opened again.

    At LAN scope (a lan-cake above host-cake, all on loopback) the sessions go through the
    publisher's LAN listener, which probes links from other hosts only: a peer on this host
    that is busy is not one that is gone (the kernel reports a local peer's end)."""
    count = 50
    lan = None
    if scope == "LAN":
        lan = free_port()
        stall_cake.lan(lan)
    stall_cake.host(None, lan)
    sub = stall_cake.run(
        "stalling_subscriber.py",
        f"--count={count}",
        f"--stall={STALL}",
        "--hold=6",
        f"--scope={scope}",
    )
    sub.expect("SUBSCRIBED")
    pub = stall_cake.run("echo_publisher.py", f"--count={count}", f"--scope={scope}")
    deadline = 120.0  # generous: a loaded 2-core machine
    assert pub.expect("PUBLISHED ALL", deadline) == f"PUBLISHED ALL {count}"
    assert sub.expect("AVAILABLE ALL", deadline) == f"AVAILABLE ALL {count}"
    sub.expect("STALL END", deadline + STALL)
    assert sub.expect("ANSWERED ALL", deadline) == f"ANSWERED ALL {count}"
    sub.expect("HELD", deadline)
    sub.drain_into_seen()
    pub.drain_into_seen()
    assert not [line for line in sub.seen if line.startswith(("DROPPED", "AVAILABLE AGAIN"))]
    assert [line for line in sub.seen if line == "SUBSCRIBED"] == []  # subscribed once
    assert not [line for line in pub.seen if line.startswith(("DROPPED", "NOTPUBLISHED"))]
