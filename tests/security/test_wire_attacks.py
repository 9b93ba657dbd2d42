"""Attacks on the layer-cake wire protocol (issue 10 items 1 and 3; docs/security.md, "Wire
limits"; compat §2.15).

Written as an attacker would: a raw TCP socket on 127.0.0.1 that speaks the wire spec
(networking §5: ``LCW1`` hello, 4-byte length, msgpack ``[to, return, kind, body]``) and holds
no secret. It may know the exact number of an object it wants to reach. Each attack must fail
(refused, counted, logged, closed) while the legitimate traffic in the same test goes on.

Nothing waits a fixed time for an outcome; a short bounded wait (``QUIET``) appears only where
a test proves that something does *not* arrive.
"""

from __future__ import annotations

import contextlib
import io
import socket
import struct
from collections.abc import Callable, Iterator

import msgpack
import pytest
from msgpack import ExtType

import layer_cake as lc
from layer_cake.net import _grants, _link, _transport
from layer_cake.runtime._log import LOG, set_level
from layer_cake.runtime._loop import LOOP
from layer_cake.types import _convert, _message, _wire
from layer_cake.types._portable import installed
from layer_cake.types._wire import KIND_KEEP_ALIVE, pack_control, pack_payload, unpack_payload

LOOPBACK = "127.0.0.1"
PATIENCE = 20.0
QUIET = 0.3
MiB = 1024 * 1024
EXT_ADDRESS, EXT_LOCAL_ADDRESS = 1, 3  # networking §5: in the sender's / receiver's terms


# The attacker --------------------------------------------------------------------------------


def hello(max_frame: int = 16 * MiB, encrypted: bool = False) -> bytes:
    body = msgpack.packb({"v": 1, "enc": encrypted, "max": max_frame})
    return b"LCW1" + struct.pack(">I", len(body)) + body


def ext(kind: int, address: tuple) -> ExtType:
    return ExtType(kind, struct.pack(f">{len(address)}Q", *address))


class RawPeer:
    """A plain socket that speaks just enough of the wire spec."""

    def __init__(self, port: int) -> None:
        self.sock = socket.create_connection((LOOPBACK, port), timeout=PATIENCE)
        self.local_port = self.sock.getsockname()[1]  # the server logs "ip:port"
        self.buffer = b""

    def close(self) -> None:
        self.sock.close()

    def handshake(self) -> None:
        """Send our hello and read the server's."""
        self.sock.sendall(hello())
        header = self.read(8)
        assert header[:4] == b"LCW1", header
        self.read(struct.unpack(">I", header[4:])[0])

    def read(self, n: int) -> bytes:
        while len(self.buffer) < n:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise ConnectionError("closed")
            self.buffer += chunk
        data, self.buffer = self.buffer[:n], self.buffer[n:]
        return data

    def payload(self, payload: bytes) -> None:
        self.sock.sendall(struct.pack(">I", len(payload)) + payload)

    def send(
        self,
        to: tuple,
        message: object,
        back: tuple = (7,),
        forge: Callable[[tuple], bool] = lambda a: False,
    ) -> None:
        """A message frame to ``to`` (in the server's terms); addresses inside travel in ours,
        unless ``forge(address)``: then as if the server had given it to us (ExtType 3)."""

        def address_out(a: tuple) -> ExtType:
            return ext(EXT_LOCAL_ADDRESS if forge(a) else EXT_ADDRESS, a)

        self.payload(pack_payload(to, back, message, address_out))

    def frame(self) -> tuple:
        """The next frame: ``(to, return, kind, message)``, addresses as sent."""
        (size,) = struct.unpack(">I", self.read(4))
        return unpack_payload(self.read(size))

    def closed_by_server(self) -> bool:
        """Read (and drop) whatever comes until the server closes; True once it has."""
        try:
            while self.sock.recv(65536):
                pass
        except ConnectionResetError:
            pass
        return True


@contextlib.contextmanager
def attacker(port: int) -> Iterator[RawPeer]:
    peer = RawPeer(port)
    try:
        yield peer
    finally:
        peer.close()


# The server side ---------------------------------------------------------------------------


@pytest.fixture
def srv() -> Iterator[lc.Channel]:
    with lc.channel() as c:
        yield c


@pytest.fixture
def cli() -> Iterator[lc.Channel]:
    with lc.channel() as c:
        yield c


@pytest.fixture
def victim() -> Iterator[lc.Channel]:
    """An object of the server's process that was never exported to anybody."""
    with lc.channel() as c:
        yield c


@pytest.fixture(autouse=True)
def fresh_warnings(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each test sees its own once-per-peer WARNING lines."""
    monkeypatch.setattr(_link, "_WARNED", set())


@contextlib.contextmanager
def warnings_logged() -> Iterator[io.StringIO]:
    stream = io.StringIO()
    old_level, old_stream = LOG.stderr_level, LOG.stream
    set_level(lc.USER_LOG.WARNING, stream)
    try:
        yield stream
    finally:
        set_level(old_level, old_stream)


def wait_for(c: lc.Channel, *types: object, seconds: float = PATIENCE) -> tuple:
    m, i = c.select(*types, seconds=seconds)
    assert i < len(types), f"none of {types} within {seconds} s"
    return m, i


def nothing_more(c: lc.Channel, seconds: float = QUIET) -> None:
    m, _ = c.select(seconds=seconds)
    assert isinstance(m, lc.SelectTimer), f"unexpected {m!r}"


def counters() -> dict:
    return dict(vars(lc.runtime_counters()))


def delta(before: dict) -> dict:
    now = counters()
    return {k: now[k] - before.get(k, 0) for k in now if now[k] != before.get(k, 0)}


def listening(srv: lc.Channel, **kw: object) -> int:
    lc.listen(srv, lc.HostPort(LOOPBACK, 0), **kw)
    m, _ = wait_for(srv, lc.Listening, lc.NotListening)
    assert isinstance(m, lc.Listening), m
    return m.listening_ipp.port


def legit_round_trip(cli: lc.Channel, srv: lc.Channel, port: int, **kw: object) -> tuple:
    """A real client connects and exchanges one message each way; ``(client proxy, server
    proxy)``."""
    lc.connect(cli, lc.HostPort(LOOPBACK, port), **kw)
    c, _ = wait_for(cli, lc.Connected, lc.NotConnected)
    assert isinstance(c, lc.Connected), c
    a, _ = wait_for(srv, lc.Accepted)
    assert a.opened_ipp == c.opened_ipp
    again(cli, srv, c.proxy_address)
    return c.proxy_address, a.proxy_address


def again(cli: lc.Channel, srv: lc.Channel, proxy: tuple, n: int = 1) -> None:
    cli.send(lc.cast_to(n, lc.int_type), proxy)
    m, _ = wait_for(srv, lc.int_type)
    assert m == n
    srv.reply(lc.cast_to(n + 1, lc.int_type))
    m, _ = wait_for(cli, lc.int_type)
    assert m == n + 1


def accepted_attacker(srv: lc.Channel, peer: RawPeer) -> tuple:
    peer.handshake()
    a, _ = wait_for(srv, lc.Accepted)
    return a.proxy_address


# 1. Capability delivery ----------------------------------------------------------------------


def test_a_guessed_address_is_refused_even_with_the_right_number(srv, cli, victim):
    port = listening(srv)
    legit_proxy, _ = legit_round_trip(cli, srv, port)
    before = counters()
    with warnings_logged() as log, attacker(port) as peer:
        proxy = accepted_attacker(srv, peer)
        peer.send(victim.object_address, lc.Ping())  # the exact number of a live object
        nothing_more(victim)
        assert delta(before).get("delivery_refused") == 1

        # What the server does send out is exported: the attacker may answer that address.
        srv.send(lc.Ping(), proxy)
        _to, back, _kind, ping = peer.frame()
        assert isinstance(ping, lc.Ping)
        peer.send(back, lc.Ack())
        wait_for(srv, lc.Ack)

        peer.send(victim.object_address, lc.Ping())
        peer.send(victim.object_address, lc.Stop())  # the third refusal closes the link
        assert peer.closed_by_server()
    m, _ = wait_for(srv, lc.Closed)
    assert m.reason == lc.EndOfTransport.INBOUND_STREAMING
    assert "not exported" in m.note
    nothing_more(victim)
    assert delta(before).get("delivery_refused") == 3
    refusals = [line for line in log.getvalue().splitlines() if "Refused" in line]
    assert len(refusals) == 1, log.getvalue()  # once per peer, not once per frame
    assert "not exported on this link" in refusals[0]
    again(cli, srv, legit_proxy, 5)  # the real client never noticed


def test_an_address_forged_inside_a_message_is_refused(srv, cli, victim):
    port = listening(srv)
    legit_proxy, _ = legit_round_trip(cli, srv, port)
    before = counters()
    with attacker(port) as peer:
        accepted_attacker(srv, peer)
        # To the controller (allowed), but carrying the victim as if it had been given to us.
        forged = lc.Accepted(proxy_address=victim.object_address)
        peer.send((), forged, forge=lambda a: a == victim.object_address)
        nothing_more(srv)
        assert delta(before).get("delivery_refused") == 1
        peer.send((), lc.Accepted(proxy_address=(42,)))  # our own address: fine
        m, _ = wait_for(srv, lc.Accepted)
        assert m.proxy_address[1:] == (42,)  # seen behind the attacker's proxy
    again(cli, srv, legit_proxy, 3)


def test_addresses_in_an_informational_message_grant_nothing(srv, victim, monkeypatch):
    port = listening(srv)
    monkeypatch.setitem(_grants.INFORMATIONAL, lc.Listening, None)  # deleted again afterwards
    _grants.informational(lc.Listening)
    before = counters()
    with attacker(port) as peer:
        proxy = accepted_attacker(srv, peer)
        srv.send(lc.Listening(controller_address=victim.object_address), proxy)  # shown only
        _to, back, _kind, shown = peer.frame()
        told = tuple(shown.controller_address)  # the number, as the attacker sees it
        assert told == victim.object_address
        peer.send(told, lc.Ping())
        nothing_more(victim)
        assert delta(before).get("delivery_refused") == 1
        srv.send(lc.Accepted(proxy_address=victim.object_address), proxy)  # a real grant
        _to, _back, _kind, granted = peer.frame()
        peer.send(tuple(granted.proxy_address), lc.Ping())
        wait_for(victim, lc.Ping)
        peer.send(back, lc.Ack())  # the sender of a shown listing may still be answered
        wait_for(srv, lc.Ack)


def test_the_directory_can_grant_and_withdraw_an_export(srv, victim):
    port = listening(srv)
    with attacker(port) as peer:
        proxy = accepted_attacker(srv, peer)
        assert victim.object_address not in _grants.exported_addresses(proxy)
        assert _grants.export_address(proxy, victim.object_address)
        peer.send(victim.object_address, lc.Ping())
        wait_for(victim, lc.Ping)
        assert _grants.withdraw_address(proxy, victim.object_address)
        before = counters()
        peer.send(victim.object_address, lc.Ping())
        nothing_more(victim)
        assert delta(before).get("delivery_refused") == 1
    assert not _grants.export_address((123456789,), victim.object_address)  # no such link


# 3. Protocol mismatch (compat §2.15) ---------------------------------------------------------


OLD_FRAME = b'12,34,5\n{"value": ["layer_cake.Ping", {}, []]}'


def test_connecting_to_an_older_library_process_is_a_protocol_mismatch(cli, srv):
    with socket.socket() as listener:
        listener.bind((LOOPBACK, 0))
        listener.listen(1)
        port = listener.getsockname()[1]
        lc.connect(cli, lc.HostPort(LOOPBACK, port))
        conn, _ = listener.accept()
        with conn:
            conn.settimeout(PATIENCE)
            conn.sendall(OLD_FRAME)  # what a layer-cake 0.1 process writes
            m, _ = wait_for(cli, lc.NotConnected, lc.Connected)
            assert conn.recv(4) == b"LCW1"  # we spoke first, as the spec says
    assert isinstance(m, lc.ProtocolMismatch), m
    assert m.received == '12,34,5\\x0a{"value"'  # the first 16 bytes, escaped
    assert str(m) == (
        f'cannot connect to "127.0.0.1:{port}" (protocol mismatch (expected layer-cake wire '
        f'protocol LCW1; peer sent "{m.received}", e.g. a layer-cake 0.1 process using JSON '
        "text frames))"
    )
    nothing_more(cli)  # no Connected, no Closed
    legit_round_trip(cli, srv, listening(srv))


def test_a_peer_that_closes_or_stays_silent_is_a_protocol_mismatch(cli, monkeypatch):
    monkeypatch.setattr(_transport.LIMITS, "hello_timeout", 0.5)
    with socket.socket() as listener:
        listener.bind((LOOPBACK, 0))
        listener.listen(2)
        port = listener.getsockname()[1]
        lc.connect(cli, lc.HostPort(LOOPBACK, port))
        conn, _ = listener.accept()
        conn.close()  # closes first
        m, _ = wait_for(cli, lc.NotConnected, lc.Connected)
        assert isinstance(m, lc.ProtocolMismatch) and m.received == "", m
        lc.connect(cli, lc.HostPort(LOOPBACK, port))
        conn, _ = listener.accept()
        with conn:  # says nothing
            m, _ = wait_for(cli, lc.NotConnected, lc.Connected)
    assert isinstance(m, lc.ProtocolMismatch) and m.received == "", m


def test_an_older_library_client_is_rejected_without_accepted(srv, cli):
    port = listening(srv)
    before = counters()
    with warnings_logged() as log, attacker(port) as peer:
        peer.sock.sendall(OLD_FRAME)
        assert peer.read(4) == b"LCW1"
        assert peer.closed_by_server()
        with attacker(port) as other:
            other.sock.sendall(b"GET / HTTP/1.1\r\n\r\n")
            assert other.closed_by_server()
    legit_round_trip(cli, srv, port)  # its Accepted is the first the server sees
    lines = log.getvalue()
    assert (
        f'Rejected "127.0.0.1:{peer.local_port}" (protocol mismatch: expected LCW1, got '
        "layer-cake 0.1 text framing)"
    ) in lines, lines
    assert delta(before).get("delivery_refused") is None


# 2. Bounds -----------------------------------------------------------------------------------


def test_a_half_open_connection_is_closed_after_the_hello_timeout(srv, cli, monkeypatch):
    monkeypatch.setattr(_transport.LIMITS, "hello_timeout", 0.5)
    port = listening(srv)
    before = counters()
    with attacker(port) as peer:
        assert peer.read(4) == b"LCW1"  # the server's hello; ours never comes
        assert peer.closed_by_server()
    assert delta(before).get("links_shed") == 1
    legit_round_trip(cli, srv, port)


def test_partial_frames_over_the_process_cap_close_the_largest_holders(srv, cli, monkeypatch):
    monkeypatch.setattr(_transport.LIMITS, "buffered_per_process", 4 * MiB)
    port = listening(srv)
    legit_proxy, _ = legit_round_trip(cli, srv, port)
    before = counters()
    held = 3 * MiB // 2
    peers = [RawPeer(port) for _ in range(6)]  # 9 MiB of partial frames against a 4 MiB cap
    try:
        for peer in peers:
            peer.handshake()
            wait_for(srv, lc.Accepted)
        for peer in peers:
            with contextlib.suppress(OSError):  # shed while we were still sending
                peer.sock.sendall(struct.pack(">I", 8 * MiB) + bytes(held))  # never finished
        cli.send(lc.cast_to(bytearray(256 * 1024), lc.bytearray_type), legit_proxy)
        closed, blob = 0, None
        while blob is None or closed < 4:  # at least 4 of the 6 go: 2 x 1.5 MiB fit in 4 MiB
            m, i = wait_for(srv, lc.bytearray_type, lc.Closed)
            if i == 0:
                blob = m  # a legitimate big message still arrives
            else:
                closed += 1
                assert m.reason == lc.EndOfTransport.INBOUND_STREAMING
        assert len(blob) == 256 * 1024
        total = on_loop(lambda: _transport._buffered[0])
        assert total <= 4 * MiB
        assert delta(before).get("links_shed", 0) >= 4
    finally:
        for peer in peers:
            peer.close()
    again(cli, srv, legit_proxy, 9)


def test_a_flood_of_probes_is_answered_once_and_the_real_session_stays(srv, cli, monkeypatch):
    monkeypatch.setattr(_transport.LIMITS, "probe_answer_interval", 3600.0)
    port = listening(srv, keep_alive=True, keep_alive_period=0.25, keep_alive_limit=3.0)
    legit_proxy, _ = legit_round_trip(
        cli, srv, port, keep_alive=True, keep_alive_period=0.25, keep_alive_limit=3.0
    )
    probe = struct.pack(">I", len(pack_control(KIND_KEEP_ALIVE, 0))) + pack_control(
        KIND_KEEP_ALIVE, 0
    )
    with attacker(port) as peer:
        accepted_attacker(srv, peer)
        peer.sock.sendall(probe * 20_000)
        peer.sock.sendall(struct.pack(">I", 3) + b"\x93\x01\x02")  # then garbage: closed
        answers = 0
        with contextlib.suppress(ConnectionError):
            while True:
                _to, _back, kind, body = peer.frame()
                if kind == KIND_KEEP_ALIVE and body == 1:
                    answers += 1
    assert answers == 1
    m, _ = wait_for(srv, lc.Closed)
    assert m.reason == lc.EndOfTransport.INBOUND_STREAMING  # the attacker's link only
    nothing_more(srv, seconds=1.0)  # four probe periods: the real session stays up
    nothing_more(cli, seconds=0.1)
    again(cli, srv, legit_proxy, 11)


def test_an_oversize_message_does_not_kill_an_encrypted_link(srv, cli):
    port = listening(srv, encrypted=True, max_frame=1024)
    lc.connect(cli, lc.HostPort(LOOPBACK, port), encrypted=True)
    c, _ = wait_for(cli, lc.Connected, lc.NotConnected)
    assert isinstance(c, lc.Connected), c
    wait_for(srv, lc.Accepted)
    again(cli, srv, c.proxy_address, 1)
    cli.send(lc.cast_to(bytearray(4000), lc.bytearray_type), c.proxy_address)
    m, _ = wait_for(cli, lc.Faulted)
    assert m.condition == "message too large", m
    for n in (20, 40):  # the next messages still arrive: no nonce was spent on the big one
        again(cli, srv, c.proxy_address, n)


def test_signatures_from_a_peer_are_remembered_in_a_bounded_cache(srv, monkeypatch):
    monkeypatch.setattr(_message, "LEARNED_LIMIT", 50)
    monkeypatch.setattr(_message, "_learned", {})
    monkeypatch.setattr(_message, "_parsed", {})
    port = listening(srv)
    kinds = len(installed())
    with attacker(port) as peer:
        accepted_attacker(srv, peer)
        for n in range(1, 151):  # 150 distinct, well-formed signatures
            signature = f"array<integer8,{n}>"
            body = [signature, [], [], []]
            payload = msgpack.packb([ext(3, ()), ext(1, (7,)), 0, body], use_bin_type=True)
            peer.payload(payload)
        for n in range(1, 151):
            m, _ = srv.select(seconds=PATIENCE)  # any message
            assert len(m) == n, m  # each delivered, as an array of n defaults
    assert len(_message._learned) <= 50 and len(_message._parsed) <= 50
    assert len(installed()) == kinds  # nothing installed for good


def test_addresses_from_a_peer_are_remembered_in_a_bounded_cache(srv, monkeypatch):
    """Decoded addresses are kept for the next frame (issue 13); a peer naming a new one in
    every frame must not grow that memory, nor get a stale address back."""
    monkeypatch.setattr(_convert, "ADDRESS_CACHE", 50)
    monkeypatch.setattr(_wire, "ADDRESS_CACHE", 50)
    monkeypatch.setattr(_convert, "_in_address", {})
    monkeypatch.setattr(_convert, "_out_local", {})
    port = listening(srv)
    with attacker(port) as peer:
        proxy = accepted_attacker(srv, peer)
        for n in range(1, 151):  # 150 distinct return addresses
            peer.send((), lc.Ping(), back=(n, 7))
        for n in range(1, 151):
            wait_for(srv, lc.Ping)
            assert srv.return_address == (*proxy[:1], n, 7)  # each its own, in order
            srv.reply(lc.Ack())  # back through the cache of wire forms on the way out
        for n in range(1, 151):
            to, _, _, message = peer.frame()
            assert type(message) is lc.Ack and to == (n, 7)
    assert len(_convert._in_address) <= 50 and len(_convert._out_local) <= 50
    assert max(_wire.cache_sizes().values()) <= 50  # the packed forms of the addresses too


# Flow control: reading pauses while writing is paused ---------------------------------------


class FakeTransport:
    """Stands in for a socket transport: records what the link asks of it."""

    def __init__(self) -> None:
        self.reading = True
        self.written: list = []
        self.closing = False
        self.size = 0  # bytes "waiting to be written"

    def get_extra_info(self, name: str) -> object:
        return ("127.0.0.1", 1) if name == "peername" else None

    def write(self, data: bytes) -> None:
        self.written.append(data)

    def writelines(self, parts: object) -> None:
        self.written.extend(parts)  # type: ignore[arg-type]

    def pause_reading(self) -> None:
        self.reading = False

    def resume_reading(self) -> None:
        self.reading = True

    def is_closing(self) -> bool:
        return self.closing

    def close(self) -> None:
        self.closing = True

    def abort(self) -> None:
        self.closing = True

    def get_write_buffer_size(self) -> int:
        return self.size


def on_loop(function: Callable[[], object]) -> object:
    import concurrent.futures

    future: concurrent.futures.Future = concurrent.futures.Future()

    def run() -> None:
        try:
            future.set_result(function())
        except BaseException as e:
            future.set_exception(e)

    LOOP.start()
    LOOP.call(run)
    return future.result(PATIENCE)


def test_reading_pauses_while_writing_is_paused(srv):
    fake = FakeTransport()
    link = _transport.WireLink(srv.object_address, 1024, lambda link: lc.Ping())

    def steps() -> list:
        seen = []
        link.connection_made(fake)
        link.pause_writing()  # the peer does not read what we write...
        seen.append(fake.reading)  # ...so we stop reading what it sends
        link._hold_reading(_transport._STALLED)  # and a receiver's queue is full too
        link.resume_writing()
        seen.append(fake.reading)  # still held for the full queue
        link._release_reading(_transport._STALLED)
        seen.append(fake.reading)
        link.connection_lost(None)
        return seen

    assert on_loop(steps) == [False, False, True]


# The attack of the issue: a publication port, GetDirectory, then Stop to what it showed ------

PUBLISHER = """
    import layer_cake as lc

    def publisher(self):
        lc.publish(self, "wire-attack-target", scope=lc.ScopeOfDirectory.HOST)
        m = self.input()
        print(f"published {type(m).__name__} {m.listening_ipp.port}", flush=True)
        while True:
            m = self.input()
            if isinstance(m, lc.Stop):  # from a peer, the address has the proxy in front
                where = 'a peer' if len(self.return_address) > 1 else 'here'
                print(f"stopped from {where}", flush=True)
                return lc.Aborted()

    lc.bind(publisher)

    if __name__ == "__main__":
        lc.create(publisher)
"""


def test_a_publication_port_shows_its_listing_but_grants_no_stop(tmp_path):
    import json
    import os
    import subprocess
    import sys
    import textwrap
    from pathlib import Path

    from layer_cake.pubsub._inspect import DirectoryListing, GetDirectory

    src = str(Path(lc.__file__).resolve().parent.parent)
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (src, env.get("PYTHONPATH", "")) if p)
    with socket.socket() as s:
        s.bind((LOOPBACK, 0))
        directory = json.dumps({"host": LOOPBACK, "port": s.getsockname()[1]})
    (tmp_path / "publisher.py").write_text(textwrap.dedent(PUBLISHER))

    def start(*argv: str) -> subprocess.Popen:
        return subprocess.Popen(
            [sys.executable, *argv], cwd=tmp_path, env=env, stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        )

    def line(p: subprocess.Popen, prefix: str) -> str:
        assert p.stdout is not None
        for text in p.stdout:
            if prefix in text:
                return text[text.index(prefix) :].strip()
        raise AssertionError(f"no {prefix!r} (status {p.poll()})")

    daemon = start("-m", "layer_cake_directory.host_cake", f"--directory-at-host={directory}")
    publisher = None
    try:
        line(daemon, "host-cake: listening")
        publisher = start("publisher.py", f"--connect-to-directory={directory}")
        words = line(publisher, "published ").split()
        assert words[1] == "Published", words
        with attacker(int(words[2])) as peer:
            peer.handshake()
            peer.send((), GetDirectory())  # the node's own entry point: answered
            while True:
                _to, _back, _kind, listing = peer.frame()
                if isinstance(listing, DirectoryListing):
                    break
            shown = [tuple(p.home_address) for p in listing.published]
            assert shown, listing.published  # the publisher's address is shown...
            peer.send((), lc.Ping())  # the node itself still answers
            while not isinstance(peer.frame()[3], lc.Ping):
                pass
            for address in shown * 3:  # ...but a Stop to it is refused, and the link closed
                with contextlib.suppress(OSError):
                    peer.send(address, lc.Stop())
            assert peer.closed_by_server()
        assert publisher.poll() is None  # still running
        publisher.send_signal(2)  # SIGINT, by PID: this test started it
        assert line(publisher, "stopped") == "stopped from here"  # the signal's, not the peer's
        assert publisher.wait(PATIENCE) >= 0
    finally:
        for p in (publisher, daemon):
            if p is not None and p.poll() is None:
                p.kill()
            if p is not None:
                p.wait(PATIENCE)
                if p.stdout is not None:
                    p.stdout.close()


def test_the_exported_set_forgets_ended_objects_and_keeps_live_ones(srv, victim):
    """A long-lived link that has carried many short-lived addresses holds only live ones."""
    fake = FakeTransport()
    link = _transport.WireLink(srv.object_address, 1024, lambda link: lc.Ping())

    def steps() -> tuple:
        link.connection_made(fake)
        link.address_out(victim.object_address)  # alive: must stay
        for n in range(5000):  # ids of objects that do not exist (any more)
            link.address_out((10**12 + n,))
        sizes = len(link.exported), victim.object_address in link.exported
        link.connection_lost(None)
        return sizes

    size, kept = on_loop(steps)
    assert kept
    assert size <= 1025


def test_a_write_stall_without_progress_reads_again_so_two_busy_peers_never_deadlock(srv):
    """Each side paused reading because the other does not read: the one rule that would
    otherwise hold both forever. Without progress of our writes, reading resumes."""
    fake = FakeTransport()
    link = _transport.WireLink(srv.object_address, 1024, lambda link: lc.Ping())

    def steps() -> list:
        seen = []
        link.connection_made(fake)
        fake.size = 100_000
        link.pause_writing()
        seen.append(fake.reading)  # paused with writing
        link.check_stall()  # a stall period later, nothing was drained
        seen.append(fake.reading)  # reading again: the peer may be waiting for us
        fake.size = 40_000
        link.check_stall()  # the peer drains now
        seen.append(fake.reading)  # held again while it does
        link.resume_writing()
        seen.append(fake.reading)
        link.connection_lost(None)
        return seen

    assert on_loop(steps) == [False, True, False, True]


def test_two_peers_streaming_at_each_other_both_get_everything(srv, cli):
    """Both write buffers full, both paused: still no deadlock (the write-stall rule)."""
    import threading

    port = listening(srv)
    client_proxy, server_proxy = legit_round_trip(cli, srv, port)
    count, size = 24, 1024 * 1024  # well beyond the socket buffers, each way
    blob = lc.cast_to(bytearray(size), lc.bytearray_type)
    got: dict = {}

    def pump(ch: lc.Channel, proxy: tuple, name: str) -> None:
        for _ in range(count):  # send everything before reading anything
            ch.send(blob, proxy)
        n = 0
        while n < count:
            _m, i = ch.select(lc.bytearray_type, seconds=PATIENCE)
            if i != 0:
                break
            n += 1
        got[name] = n

    threads = [
        threading.Thread(target=pump, args=(cli, client_proxy, "client")),
        threading.Thread(target=pump, args=(srv, server_proxy, "server")),
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(PATIENCE * 3)
    assert got == {"client": count, "server": count}


def test_a_peer_that_never_reads_is_closed_and_holds_nobody(srv, cli, monkeypatch):
    monkeypatch.setattr(_transport.LIMITS, "write_stall", 0.2)
    monkeypatch.setattr(_transport.LIMITS, "not_reading", 1.0)
    port = listening(srv)
    legit_proxy, _ = legit_round_trip(cli, srv, port)
    before = counters()
    with attacker(port) as peer:
        proxy = accepted_attacker(srv, peer)
        blob = lc.cast_to(bytearray(1024 * 1024), lc.bytearray_type)
        for _ in range(32):  # far more than the socket buffers hold; it reads none of it
            srv.send(blob, proxy)
        m, _ = wait_for(srv, lc.Closed)
        assert (m.reason, m.note) == (lc.EndOfTransport.WENT_STALE, "not reading")
        assert srv.return_address == proxy
    assert delta(before).get("links_shed") == 1
    again(cli, srv, legit_proxy, 13)
