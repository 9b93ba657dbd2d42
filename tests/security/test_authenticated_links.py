"""Encrypted links authenticate both ends with the site key (issue 10 item 2, docs/security.md).

Written as an attacker would: raw sockets on loopback that speak the wire spec (hello, frames,
the Noise NNpsk0 handshake) but do not hold the site key, and relays in the middle. Each attack
must fail within one round trip, with a typed reason at the layer-cake end (``NotAccepted`` /
``NotConnected`` / ``Closed``) and a WARNING log line; the legitimate keyed traffic in the same
test must be unaffected. The suite's site key comes from ``LC_SITE_KEY_FILE`` (tests/conftest).
"""

from __future__ import annotations

import contextlib
import io
import os
import socket
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from security_support import KeyedServer

import layer_cake as lc
from layer_cake.net._crypto import PROLOGUE
from layer_cake.net._frame import FrameDecoder, FrameEncoder, PeerHello
from layer_cake.net._noise import HandshakeState
from layer_cake.runtime._log import LOG, set_level
from layer_cake.types._wire import KIND_KEY_EXCHANGE, pack_control, pack_payload

PATIENCE = 15.0  # generous: only reached when a test fails
QUIET = 0.5  # how long a test watches for something that must not arrive
LOOPBACK = "127.0.0.1"
SECRET = "the launch code is 0000"
WRONG_KEY = os.urandom(32)
HELLO = FrameEncoder().hello(True)
REFUSAL = pack_control(KIND_KEY_EXCHANGE, 0)


class Note:
    """What the legitimate client says (and the attacker tries to say)."""

    def __init__(self, text: str = "") -> None:
        self.text = text


lc.bind_message(Note)


# The attacker's tools -----------------------------------------------------------------------------


def first_message(key: bytes = WRONG_KEY) -> bytes:
    """An initiator's hello and first handshake message, keyed with ``key``."""
    handshake = HandshakeState(True, key, PROLOGUE)
    return HELLO + FrameEncoder().frame(
        pack_control(KIND_KEY_EXCHANGE, handshake.write_message(HELLO))
    )


def forged_answer(key: bytes = WRONG_KEY) -> bytes:
    """A responder's hello and second handshake message, from an exchange the forger ran with
    itself under ``key`` (it cannot answer the real first message without the site key)."""
    initiator = HandshakeState(True, key, PROLOGUE)
    responder = HandshakeState(False, key, PROLOGUE)
    responder.read_message(initiator.write_message(HELLO))
    return HELLO + FrameEncoder().frame(
        pack_control(KIND_KEY_EXCHANGE, responder.write_message(HELLO))
    )


def plain_message() -> bytes:
    """A message frame to the receiver's controller (an empty address), in clear."""
    return FrameEncoder().frame(pack_payload((), (7,), Note("attack: " + SECRET)))


def read_until_eof(sock: socket.socket) -> list:
    """Every hello and frame the peer sends until it closes (fails the test if it never does)."""
    sock.settimeout(PATIENCE)
    data = bytearray()
    while True:
        chunk = sock.recv(65536)
        if not chunk:
            break
        data += chunk
    return FrameDecoder().feed(bytes(data))


def handshake_length(hello: bytes = HELLO) -> int:
    """Bytes an initiator sends before its first sealed frame: hello + framed first message."""
    return len(hello) + 4 + len(pack_control(KIND_KEY_EXCHANGE, bytes(32 + len(hello) + 16)))


class Relay:
    """A man in the middle on loopback for one connection: bytes from the client go through
    ``upstream(offset, chunk)``, bytes from the server through ``downstream(offset, chunk)``
    (``offset``: bytes already seen that way), and every byte is recorded."""

    def __init__(
        self,
        target: lc.HostPort,
        upstream: Callable[[int, bytes], bytes] | None = None,
        downstream: Callable[[int, bytes], bytes] | None = None,
    ) -> None:
        self.target = (target.host, target.port)
        self.listener = socket.create_server((LOOPBACK, 0))
        self.ipp = lc.HostPort(LOOPBACK, self.listener.getsockname()[1])
        self.seen = bytearray()
        self.sockets: list[socket.socket] = [self.listener]
        self.threads = [threading.Thread(target=self._run, name="relay", daemon=True)]
        self.filters = (upstream or (lambda _o, c: c), downstream or (lambda _o, c: c))
        self.threads[0].start()

    def _run(self) -> None:
        self.listener.settimeout(PATIENCE)
        try:
            client, _ = self.listener.accept()
        except OSError:
            return
        server = socket.create_connection(self.target)
        self.sockets += [client, server]
        for src, dst, fn in ((client, server, self.filters[0]), (server, client, self.filters[1])):
            pump = threading.Thread(target=self._pump, args=(src, dst, fn), daemon=True)
            self.threads.append(pump)
            pump.start()

    def _pump(self, src: socket.socket, dst: socket.socket, fn: Callable) -> None:
        offset = 0
        with contextlib.suppress(OSError):
            while chunk := src.recv(65536):
                out = fn(offset, chunk)
                offset += len(chunk)
                self.seen += chunk + out
                dst.sendall(out)
        with contextlib.suppress(OSError):
            dst.shutdown(socket.SHUT_WR)

    def close(self) -> None:
        for sock in self.sockets:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
            sock.close()
        for thread in self.threads:
            thread.join(PATIENCE)


@contextlib.contextmanager
def warnings_logged() -> Iterator[io.StringIO]:
    stream = io.StringIO()
    old_level, old_stream = LOG.level, LOG.stream
    set_level(lc.USER_LOG.WARNING, stream)
    try:
        yield stream
    finally:
        LOG.level, LOG.stream = old_level, old_stream


@pytest.fixture
def server() -> Iterator[tuple[lc.Channel, lc.HostPort]]:
    """An encrypted listener: its channel and address."""
    with lc.channel() as ch:
        lc.listen(ch, lc.HostPort(LOOPBACK, 0), encrypted=True)
        listening, i = ch.select(lc.Listening, lc.NotListening, seconds=PATIENCE)
        assert i == 0, f"cannot listen: {listening}"
        yield ch, listening.listening_ipp


def keyed_exchange(server_ch: lc.Channel, at: lc.HostPort) -> None:
    """A legitimate keyed client connects (at ``at``), sends the secret, and it arrives."""
    with lc.channel() as client:
        lc.connect(client, at, encrypted=True)
        connected, i = client.select(lc.Connected, lc.NotConnected, seconds=PATIENCE)
        assert i == 0, f"a keyed client was refused: {connected}"
        accepted, i = server_ch.select(lc.Accepted, lc.NotAccepted, seconds=PATIENCE)
        assert i == 0, f"a keyed client was refused: {accepted}"
        client.send(Note(SECRET), connected.proxy_address)
        got, i = server_ch.select(Note, seconds=PATIENCE)
        assert i == 0 and got.text == SECRET
        client.send(lc.Close(), connected.proxy_address)
        client.select(lc.Closed, seconds=PATIENCE)
        server_ch.select(lc.Closed, seconds=PATIENCE)


def assert_nothing_delivered(ch: lc.Channel) -> None:
    got, i = ch.select(Note, seconds=QUIET)
    assert i != 0, f"an unauthenticated peer delivered {got}"


# Attacks on a listener ----------------------------------------------------------------------------


def test_a_peer_without_the_key_is_refused_at_its_first_handshake_message(server) -> None:
    ch, at = server
    with warnings_logged() as log:
        with socket.create_connection((at.host, at.port)) as attacker:
            attacker.sendall(first_message() + plain_message())
            events = read_until_eof(attacker)
        refused, i = ch.select(lc.NotAccepted, lc.Accepted, seconds=PATIENCE)
    assert i == 0, "the listener accepted a peer without the key"
    assert "initiator does not hold this site key" in refused.error_text
    # All the attacker got: the listener's hello and a refusal, then the end of the stream.
    assert events[0] == PeerHello(1, True, 16 * 1024 * 1024)
    assert events[1:] == [REFUSAL]
    assert "does not hold this site key" in log.getvalue()
    assert_nothing_delivered(ch)
    keyed_exchange(ch, at)


def test_a_peer_that_skips_the_handshake_delivers_nothing(server) -> None:
    ch, at = server
    with socket.create_connection((at.host, at.port)) as attacker:
        attacker.sendall(HELLO + plain_message())
        events = read_until_eof(attacker)
    refused, i = ch.select(lc.NotAccepted, lc.Accepted, seconds=PATIENCE)
    assert i == 0 and "expected a handshake" in refused.error_text
    assert len(events) == 1  # only the listener's hello
    assert_nothing_delivered(ch)
    keyed_exchange(ch, at)


def test_a_plaintext_peer_is_refused_by_an_encrypted_listener(server) -> None:
    ch, at = server
    with socket.create_connection((at.host, at.port)) as attacker:
        attacker.sendall(FrameEncoder().hello(False) + plain_message())
        read_until_eof(attacker)
    refused, i = ch.select(lc.NotAccepted, lc.Accepted, seconds=PATIENCE)
    assert i == 0 and refused.error_text == "encryption mismatch"
    assert_nothing_delivered(ch)
    keyed_exchange(ch, at)


def test_a_replayed_first_message_opens_nothing(server) -> None:
    """NNpsk0's first message can be replayed, but the answer is keyed to an ephemeral key only
    the real client holds: whatever the replayer sends next fails and closes the link."""
    ch, at = server
    recorded = bytearray()
    relay = Relay(at, upstream=lambda _o, c: recorded.extend(c) or c)
    try:
        keyed_exchange(ch, relay.ipp)
    finally:
        relay.close()
    with socket.create_connection((at.host, at.port)) as attacker:
        attacker.sendall(bytes(recorded[: handshake_length()]))
        attacker.sendall(bytes(recorded[handshake_length() :]))  # the client's sealed frames
        events = read_until_eof(attacker)
    ch.select(lc.Accepted, seconds=PATIENCE)
    closed, i = ch.select(lc.Closed, seconds=PATIENCE)
    assert i == 0 and "failed authentication" in (closed.note or "")
    assert len(events) == 2  # hello and the answer the replayer cannot use
    assert_nothing_delivered(ch)


# Attacks on a connecting side ---------------------------------------------------------------------


def test_a_listener_without_the_key_is_refused_by_the_connecting_side() -> None:
    rogue = socket.create_server((LOOPBACK, 0))
    received: list = []

    def answer() -> None:
        conn, _ = rogue.accept()
        with conn:
            conn.settimeout(PATIENCE)
            received.append(conn.recv(65536))
            conn.sendall(forged_answer())
            with contextlib.suppress(OSError):
                while conn.recv(65536):
                    pass

    thread = threading.Thread(target=answer, name="rogue-listener", daemon=True)
    thread.start()
    try:
        with warnings_logged() as log, lc.channel() as client:
            lc.connect(client, lc.HostPort(LOOPBACK, rogue.getsockname()[1]), encrypted=True)
            refused, i = client.select(lc.NotConnected, lc.Connected, seconds=PATIENCE)
            assert i == 0, "connected to a listener that does not hold the key"
            assert "responder does not hold this site key" in refused.error_text
        assert "responder does not hold this site key" in log.getvalue()
    finally:
        thread.join(PATIENCE)
        rogue.close()


def test_a_relay_running_its_own_exchange_with_each_side_is_refused_by_both(server) -> None:
    """The relay answers the client with a handshake of its own and opens its own to the
    server; it holds no site key, so both ends refuse within one round trip and the client's
    message never reaches the server."""
    ch, at = server
    relay = socket.create_server((LOOPBACK, 0))
    upstream_events: list = []

    def middle() -> None:
        client, _ = relay.accept()
        with client, socket.create_connection((at.host, at.port)) as upstream:
            client.settimeout(PATIENCE)
            client.recv(65536)  # the client's hello and first message: useless without the key
            client.sendall(forged_answer())
            upstream.sendall(first_message())
            upstream_events.extend(read_until_eof(upstream))
            with contextlib.suppress(OSError):
                while client.recv(65536):
                    pass

    thread = threading.Thread(target=middle, name="relay", daemon=True)
    thread.start()
    try:
        with lc.channel() as client:
            lc.connect(client, lc.HostPort(LOOPBACK, relay.getsockname()[1]), encrypted=True)
            refused, i = client.select(lc.NotConnected, lc.Connected, seconds=PATIENCE)
            assert i == 0 and "does not hold this site key" in refused.error_text
        refused, i = ch.select(lc.NotAccepted, lc.Accepted, seconds=PATIENCE)
        assert i == 0 and "does not hold this site key" in refused.error_text
    finally:
        thread.join(PATIENCE)
        relay.close()
    assert upstream_events[1:] == [REFUSAL]
    assert_nothing_delivered(ch)
    keyed_exchange(ch, at)


# Relays that pass the handshake through -----------------------------------------------------------


def test_a_relay_that_forwards_everything_sees_only_ciphertext(server) -> None:
    ch, at = server
    relay = Relay(at)
    try:
        keyed_exchange(ch, relay.ipp)
    finally:
        relay.close()
    seen = bytes(relay.seen)
    assert len(seen) > 2 * handshake_length()
    assert SECRET.encode() not in seen
    assert b"Note" not in seen  # not even the message's type


def test_a_relay_that_alters_a_sealed_frame_is_cut_off(server) -> None:
    ch, at = server
    start = handshake_length()

    def tamper(offset: int, chunk: bytes) -> bytes:
        at_byte = start + 4 + 8 - offset  # inside the first sealed frame's ciphertext
        if 0 <= at_byte < len(chunk):
            chunk = chunk[:at_byte] + bytes([chunk[at_byte] ^ 1]) + chunk[at_byte + 1 :]
        return chunk

    relay = Relay(at, upstream=tamper)
    try:
        with lc.channel() as client:
            lc.connect(client, relay.ipp, encrypted=True)
            connected, i = client.select(lc.Connected, lc.NotConnected, seconds=PATIENCE)
            assert i == 0
            ch.select(lc.Accepted, seconds=PATIENCE)
            client.send(Note(SECRET), connected.proxy_address)
            closed, i = ch.select(lc.Closed, Note, seconds=PATIENCE)
            assert i == 0, "a tampered frame was delivered"
            assert "failed authentication" in (closed.note or "")
            client.select(lc.Closed, seconds=PATIENCE)
    finally:
        relay.close()
    assert_nothing_delivered(ch)
    keyed_exchange(ch, at)


def test_a_relay_that_alters_a_hello_is_refused(server) -> None:
    """Each side's hello travels again inside its authenticated handshake message, so a relay
    that lowers the listener's ``max`` (to cut the client's messages short) is caught."""
    ch, at = server
    small = FrameEncoder(1024).hello(True)
    done = []

    def rewrite(offset: int, chunk: bytes) -> bytes:
        if offset == 0 and chunk.startswith(HELLO) and not done:
            done.append(True)
            return small + chunk[len(HELLO) :]
        return chunk

    relay = Relay(at, downstream=rewrite)
    try:
        with lc.channel() as client:
            lc.connect(client, relay.ipp, encrypted=True)
            refused, i = client.select(lc.NotConnected, lc.Connected, seconds=PATIENCE)
            assert i == 0 and "altered in transit" in refused.error_text
    finally:
        relay.close()
    assert done, "the relay never saw the listener's hello"
    keyed_exchange(ch, at)


# Configuration ------------------------------------------------------------------------------------


def test_an_encrypted_listen_without_a_usable_site_key_is_refused(monkeypatch, tmp_path) -> None:
    from layer_cake.net._site_key import use_site_key

    loose = tmp_path / "site.key"
    loose.write_text("bm90IGEga2V5\n")
    os.chmod(loose, 0o644)
    try:
        use_site_key(loose)
        with lc.channel() as ch:
            lc.listen(ch, lc.HostPort(LOOPBACK, 0), encrypted=True)
            refused, i = ch.select(lc.NotListening, lc.Listening, seconds=PATIENCE)
            assert i == 0 and "accessible by other users" in refused.error_text
            assert "bm90IGEga2V5" not in refused.error_text  # never the key itself
            lc.connect(ch, lc.HostPort(LOOPBACK, 9), encrypted=True)
            refused, i = ch.select(lc.NotConnected, lc.Connected, seconds=PATIENCE)
            assert i == 0 and "accessible by other users" in refused.error_text
    finally:
        use_site_key(None)


# A process with its own key -----------------------------------------------------------------------


def test_a_process_takes_its_key_from_site_key_and_links_only_with_its_holders(tmp_path) -> None:
    from layer_cake.net._site_key import generate_site_key, use_site_key

    key = generate_site_key(tmp_path / "other-site.key")
    server = KeyedServer(tmp_path, Path(key))
    try:
        with lc.channel() as client:  # this process holds the suite's key, not the other site's
            lc.connect(client, server.at, encrypted=True)
            refused, i = client.select(lc.NotConnected, lc.Connected, seconds=PATIENCE)
            assert i == 0 and "refused our handshake" in refused.error_text
        line = server.line()
        assert line.startswith("not accepted authentication failed"), line
        use_site_key(key)  # now this process holds the other site's key too
        try:
            with lc.channel() as client:
                lc.connect(client, server.at, encrypted=True)
                connected, i = client.select(lc.Connected, lc.NotConnected, seconds=PATIENCE)
                assert i == 0, f"refused with the right key: {connected}"
                assert server.line() == "accepted\n"
                client.send(lc.Close(), connected.proxy_address)
                client.select(lc.Closed, seconds=PATIENCE)
        finally:
            use_site_key(None)
        with open(f"/proc/{server.proc.pid}/cmdline", "rb") as f:
            assert read_site_key_bytes(key) not in f.read()  # argv holds the path, never the key
    finally:
        server.close()


def read_site_key_bytes(path: str) -> bytes:
    with open(path, "rb") as f:
        return f.read().strip()
