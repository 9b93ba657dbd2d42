# cython: annotation_typing=False
"""The layer-cake wire protocol on a socket: ``WireLink`` and its limits.

A ``WireLink`` is the ``Link`` of a layer-cake ↔ layer-cake connection: a hello each way,
then length-prefixed msgpack frames, sealed when the link is encrypted. It only moves bytes:
framing is ``_frame`` (sans-I/O), bodies ``_wire``, sealing ``_crypto``.

Over 600 lines for a reason: ``WireLink`` is one class whose parts (hello, cipher,
capability check, keep-alive, back-pressure) read and write one per-link state on every
frame; the jobs that stand apart are already modules of their own (``_frame``, ``_crypto``,
``_grants``, ``_liveness``, ``_link``, ``_endpoints``).

Addresses are rewritten in exactly one place, here. A remote object seen through proxy ``p``
has the local address ``(p, *its address over there)``; sending to it routes to ``p``
(``send_from`` looks up the first element), which strips its own id. On the way out an
address that starts with ``p`` is going home and travels in the receiver's terms
(``ExtType(3)``); any other travels in ours (``ExtType(1)``) and the receiver prefixes its
own proxy. So addresses stay valid over any number of hops and come back home as local ones.

Capability delivery (issue 10; ``_grants``): a frame may reach only an address exported over
this link, or the controller (an empty ``to``). Any other ``to``, or an address "coming home"
(``ExtType(3)``) that was never exported here, is refused, counted as ``delivery_refused``
and logged once per peer; after ``LIMITS.violations`` refusals the link closes. Ended objects
are pruned from the set when it has doubled; a frame to an ended object is only
``undeliverable``, as any late message, so a legitimate peer racing an object's end is never
punished.

Limits (docs/security.md, "Wire limits"): the peer's hello must arrive within
``LIMITS.hello_timeout`` of this process's responsive time (``_liveness``: a stall of our
own loop is not the peer's delay; ``Accepted``/``Connected`` wait for it), partial frames held over
all links are capped per process (the largest holders are closed first), keep-alive answers
are rate-limited, reading pauses while writing is paused, and an outbound message is checked
against the peer's limit before it is sealed (so an oversize one never uses up a nonce).

Frames written by the sender's thread (issue 13): a message sent from another thread to a
plain link's proxy is written to the socket in the sender's call when nothing can be ahead of
it: the proxy holds nothing queued (a message the loop is still encoding counts until it is
written), the transport's write buffer is empty (uvloop counts libuv's queue in it: libuv
writes without the GIL only what is queued there) and no remainder of an earlier such write
waits. The check and the ``write(2)`` run under the GIL with nothing between them that could
release it (``_write_now``, a C call in the compiled build), so no other write to the socket
interleaves. What the socket did not take is kept (``rest``) for the loop, which hands it to
the transport before its own next write (or in the turn after, whichever comes first); no
thread writes while it waits, so it is one frame's tail at most.
Otherwise the message goes through the run queue as before. It saves the loop's wake-up per
message of a function object (a worker's reply): about a sixth of a seed worker's CPU per
request. The pure build, and the stdlib loop (whose own writes release the GIL), never write
from another thread.

``listen``/``connect`` (``_endpoints``) make these links.
"""

from __future__ import annotations

import asyncio
import collections
import re
import time

from msgpack import ExtType

from ..runtime import _counters
from ..runtime._dispatch import TABLE, send_from
from ..runtime._log import LOG, write_entry
from ..runtime._loop import LOOP
from ..runtime._messages import USER_LOG, Faulted
from ..runtime._object import QUEUE, QueueFull, hex_of, tag_of
from ..types._convert import EXT_ADDRESS, EXT_LOCAL_ADDRESS, LocalAddress, address_ext
from ..types._errors import CodecRuntimeError
from ..types._wire import KIND_KEEP_ALIVE, KIND_MESSAGE, pack_control, pack_payload, unpack_payload
from . import _crypto
from ._crypto import LinkCipher, RemoteCryptoError
from ._frame import (
    FrameDecoder,
    FrameEncoder,
    NotAPeer,
    OutboundFrameTooLarge,
    OversizeFrame,
    PeerHello,
    RemoteFrameError,
)
from ._grants import INFORMATIONAL
from ._hostport import loopback
from ._link import LINKS, RETRY_FULL, Link, full, ipp_of, trace, warn, warn_once
from ._liveness import PROBE, STALE, Liveness, ResponsiveSilence
from ._messages import Close, EndOfTransport

__all__ = ["WireLink", "WireLimits", "LIMITS", "MiB"]

MiB = 1024 * 1024


class WireLimits:
    """The limits of wire links (docs/security.md, "Wire limits"); change before use."""

    def __init__(self) -> None:
        #: Seconds a new link waits for the peer's hello (and key exchange, when encrypted).
        self.hello_timeout = 5.0
        #: Partial-frame bytes held over all wire links of this process; above it the links
        #: holding the most are closed. (Per link the cap is its ``max_frame``.)
        self.buffered_per_process = 128 * MiB
        #: Refused deliveries a link may send before it is closed.
        self.violations = 3
        #: Keep-alive answers per link: at most one per this many seconds.
        self.probe_answer_interval = 0.1
        #: While writing is paused, reading is too; every this many seconds without progress
        #: of our writes, reading resumes (the peer may be waiting for us: no deadlock).
        self.write_stall = 0.5
        #: A peer that drains none of our writes for this long is closed (``WENT_STALE``,
        #: note ``not reading``): it would hold our senders waiting on its proxy forever.
        self.not_reading = 60.0


LIMITS = WireLimits()
_BUFFERING: dict = {}  # wire link -> partial-frame bytes it holds (only links holding some)
_buffered = [0]  # total of _BUFFERING
#: The older library's JSON text framing (compat §2.15): ``<n>,<n>,<n>\n``.
_OLD_FRAMING = re.compile(rb"^\d+,\d+,\d+\n")
_SEAL_OVERHEAD = getattr(_crypto, "SEAL_OVERHEAD", 40)
_INFINITY = float("inf")
_monotonic = time.monotonic
#: Largest frame a thread writes itself; larger ones go through the loop (``writelines``).
_DIRECT_MAX = 65536

try:
    import cython

    _COMPILED = cython.compiled  # a constant True once compiled
except ImportError:  # a pure-Python install without Cython
    _COMPILED = False


def _write_now(fd: int, data: bytes) -> int:
    """Write ``data`` to ``fd`` without releasing the GIL; the bytes written (0 on any error:
    the loop then writes the whole frame, and meets the error itself). Compiled only: the
    pure build never calls it (its ``os.write`` would release the GIL mid-write)."""
    if _COMPILED:
        buf = cython.declare(cython.p_char, data)  # the bytes' own buffer, no copy
        n = _c_write(fd, buf, len(data))  # noqa: F821 - cimported by _transport.pxd
        return n if n > 0 else 0
    raise RuntimeError("a frame written from another thread needs the compiled build")


def _printable(data: bytes) -> str:
    """The first 16 bytes a peer sent, printable-escaped (``ProtocolMismatch.received``)."""
    return "".join(chr(b) if 32 <= b < 127 and b != 92 else f"\\x{b:02x}" for b in data[:16])


_REFUSALS_LOGGED: dict = {}  # peer host -> refusals logged (a flood logs a few lines, not all)


def _refusal(link: WireLink, error: Exception) -> None:
    """Log why an encrypted link was refused (WARNING; the first few per peer host)."""
    host = link.opened_ipp.host
    logged = _REFUSALS_LOGGED.get(host, 0)
    if logged >= 3 or LOG.level > USER_LOG.WARNING:
        return
    if len(_REFUSALS_LOGGED) >= 1024:
        _REFUSALS_LOGGED.clear()
    _REFUSALS_LOGGED[host] = logged + 1
    text = f'Refusing link with "{link.opened_ipp}" ({error})'
    write_entry("?", link.proxy_address, "proxy", text)


class WireLink(Link):
    """A layer-cake ↔ layer-cake connection: hello, then length-prefixed msgpack frames.

    ``Accepted``/``Connected`` wait for the peer's hello (and, encrypted, for its key): a peer
    that is not a layer-cake one is never announced (compat §2.15). A failure before that
    gives the connect side ``ProtocolMismatch`` (no hello) or ``NotConnected`` (encryption),
    the accept side a WARNING (no hello) or ``NotAccepted`` (encryption), never ``Closed``.
    """

    def __init__(
        self,
        controller: tuple,
        max_frame: int,
        announce: object,
        encrypted: bool = False,
        refuse: object = None,
        keep_alive: tuple | None = None,
        initiator: bool = False,
        mismatch: object = None,
        probe_local: bool = True,
    ) -> None:
        super().__init__(controller)
        self.keep_alive = keep_alive  # (period, limit) seconds, or None: no probes from this side
        self.probe_local = probe_local  # False: no probes when the peer is on this host
        self.liveness: Liveness | None = None  # keep-alive verdicts, from the announce on
        self.probes_logged = 0
        self.probe_timer: asyncio.TimerHandle | None = None
        self.hello_timer: asyncio.TimerHandle | None = None
        self.hello_wait: ResponsiveSilence | None = None  # time waited for it, our lag excused
        self.encoder = FrameEncoder(max_frame)
        self.decoder = FrameDecoder(max_frame)
        self.announce = announce  # () -> the Accepted/Connected message
        self.refuse = refuse  # (link, text) -> the NotAccepted/NotConnected message
        self.mismatch = mismatch  # (link, text) -> ProtocolMismatch, or None: log it only
        self.announced = False
        self.cipher = LinkCipher(encrypted, initiator)  # initiator: the connecting side
        self.plain = not encrypted  # frames pass the cipher untouched: no call per frame
        self.seal_overhead = _SEAL_OVERHEAD if encrypted else 0
        self.hello_seen = False  # outbound frames wait for the peer's limit (its hello)
        self.first_bytes = b""  # what the peer sent before its hello (for a mismatch report)
        self.held: list = []  # outbound (payload, message, back) until the cipher is ready
        self.stalled: collections.deque = collections.deque()  # inbound (to, back, message, owned)
        self.read_holds = 0  # why reading is paused: _STALLED | _WRITE_PAUSED
        self.buffered = 0  # partial-frame bytes the decoder holds (as last accounted)
        self.exported: set = set()  # addresses the peer may send to (see the module doc)
        self.prune_at = 1024
        self.forged = False  # the frame being decoded names an address never exported here
        self.violations = 0
        self.last_answer = -_INFINITY  # when a keep-alive probe was last answered
        self.write_size = 0  # write buffer size at the last probe while writing was paused
        self.stall_size = 0  # write buffer size at the last write-stall check
        #: How long our writes made no progress (while paused), counted while we ran on time.
        self.write_quiet = ResponsiveSilence(LIMITS.write_stall, 0.0)
        self.stall_timer: asyncio.TimerHandle | None = None
        self.fd = -1  # the socket, when threads may write frames themselves (see the module doc)
        self.rest: bytes | None = None  # the tail of a frame a thread wrote in part

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.attach(transport)
        if _COMPILED and self.plain and LOOP.kind == "uvloop":
            sock = transport.get_extra_info("socket")
            if sock is not None:
                self.fd = sock.fileno()
        self.opened_ipp = ipp_of(transport.get_extra_info("peername"))
        hello = self.encoder.hello(self.cipher.encrypted)
        key = self.cipher.start(hello)  # the initiator's handshake, right after the hello
        transport.write(hello if key is None else hello + self.encoder.frame(key))  # type: ignore[attr-defined]
        wait = self.hello_wait = ResponsiveSilence(
            LIMITS.hello_timeout / _HELLO_TICKS, time.monotonic()
        )
        self.hello_timer = LOOP.loop.call_later(wait.interval, self._hello_late)  # type: ignore[union-attr]
        if LOOP.stopped:  # opened while the process ends: not kept
            self.close(EndOfTransport.ON_REQUEST, note="process end")

    def _hello_late(self) -> None:
        """No hello (or no key exchange) in time: a half-open or foreign peer (loop thread).

        Ticks ``_HELLO_TICKS`` times per limit and counts only the time this process ran on
        time: after a stall of our own loop the hello may be waiting in the socket, and uvloop
        runs due timers before it reads (issue 16)."""
        self.hello_timer = None
        if self.announced or self.ended or self.closing is not None:
            return
        wait = self.hello_wait
        if wait is not None:
            wait.tick(time.monotonic())
            if wait.silence < LIMITS.hello_timeout:
                self.hello_timer = LOOP.loop.call_later(wait.interval, self._hello_late)  # type: ignore[union-attr]
                return
        _counters.count("links_shed")
        what = "key exchange" if self.hello_seen else "hello"
        note = f"no {what} within {LIMITS.hello_timeout:g} s"
        if not self.hello_seen and self.mismatch is None:
            warn_once(
                "hello",
                self.opened_ipp.host,
                self.proxy_address,
                f'Rejected "{self.opened_ipp}" ({note})',
            )
        self.close(EndOfTransport.INBOUND_STREAMING, note=note)

    def _announce(self) -> None:
        self.announced = True
        if self.hello_timer is not None:
            self.hello_timer.cancel()
            self.hello_timer = None
        self.to_controller(self.announce(self))
        if self.keep_alive is not None and (self.probe_local or not self._peer_on_this_host()):
            self.liveness = Liveness(*self.keep_alive, time.monotonic())
            self._schedule_probe()

    # Keep-alive (networking §4.3): any inbound frame is a sign of life ------------------------

    def _peer_on_this_host(self) -> bool:
        """Whether the peer is a process of this host: a loopback address, or this side's own
        (a local peer that connected to the host's LAN address)."""
        if loopback(self.opened_ipp):
            return True
        if self.transport is None:
            return False
        return self.opened_ipp.host == ipp_of(self.transport.get_extra_info("sockname")).host

    def _schedule_probe(self) -> None:
        tick = self.liveness.interval  # type: ignore[union-attr]
        self.probe_timer = LOOP.loop.call_later(tick, self._probe)  # type: ignore[union-attr]

    def _probe(self) -> None:
        self.probe_timer = None
        if self.ended or self.closing is not None or self.transport is None:
            return
        live = self.liveness
        assert live is not None
        now = time.monotonic()
        if self.paused:
            # Maybe not reading while the peer drains our writes: its progress is a sign of life.
            size = self.transport.get_write_buffer_size()
            if size < self.write_size:
                live.heard(now)
            self.write_size = size
        # Silence counts only while this process ran on time (issue 16): a tick that fires
        # late is our own stall, answered with a probe, never with a verdict.
        verdict = live.tick(now)
        if verdict == STALE:
            self.close(EndOfTransport.WENT_STALE, note="unresponsive")
            return
        if verdict == PROBE and self.cipher.ready and self.hello_seen:
            if self.probes_logged < 3:
                self.probes_logged += 1
                trace(self.proxy_address, "proxy", "Keep-alive probe")
            self._write_control(0)
        self._schedule_probe()

    def _write_control(self, body: int) -> None:
        header, sealed = self.encoder.frame_parts(
            self.cipher.seal(pack_control(KIND_KEEP_ALIVE, body))
        )
        if self.rest is not None:
            self._write_rest()  # a thread's frame is finished first
        self.transport.write(header + sealed)  # type: ignore[union-attr]
        if self.liveness is not None:
            self.liveness.sent(time.monotonic())

    def _answer_probe(self) -> None:
        """Answer a probe, at most one per ``probe_answer_interval`` and never into a full
        write buffer: a flood of probes costs us no memory and no time of other links."""
        if self.paused:
            return
        now = time.monotonic()
        if now - self.last_answer < LIMITS.probe_answer_interval:
            return
        self.last_answer = now
        self._write_control(1)

    # Address rewriting (the one place) ---------------------------------------------------------

    def address_out(self, a: tuple) -> ExtType:
        if a and a[0] == self.proxy_id:  # going home: in the receiver's own terms
            rest = a[1:]
            return address_ext(EXT_LOCAL_ADDRESS, rest)
        exported = self.exported
        exported.add(a)  # the peer may send to it over this link from now on
        if len(exported) > self.prune_at:
            self._prune()
        return address_ext(EXT_ADDRESS, a)

    def address_told(self, a: tuple) -> ExtType:
        """``address_out`` of an informational message: the address grants nothing."""
        if a and a[0] == self.proxy_id:
            rest = a[1:]
            return address_ext(EXT_LOCAL_ADDRESS, rest)
        return address_ext(EXT_ADDRESS, a)

    def address_in(self, a: tuple) -> tuple:
        if type(a) is LocalAddress:
            if a and a not in self.exported:
                self.forged = True  # "coming home", but it never left over this link
            return tuple(a)
        return (self.proxy_id, *a)

    def _prune(self) -> None:
        """Forget exported addresses of objects (or proxies) that have ended."""
        self.exported = {a for a in self.exported if a and (a[:1] in TABLE)}
        self.prune_at = max(1024, 2 * len(self.exported))

    # Outbound -----------------------------------------------------------------------------------

    def _payload(self, message: object, to: tuple, back: tuple) -> bytes:
        """The frame payload of a message; raises ``CodecRuntimeError``."""
        grants = INFORMATIONAL.get(type(message)) if INFORMATIONAL else None
        if grants is None:
            return pack_payload(to[1:], back, message, self.address_out)
        if back:
            self.address_out(back)  # the sender may be answered
        for a in grants(message):  # and these; other addresses inside are only shown
            if a:
                self.address_out(tuple(a))
        return pack_payload(to[1:], back, message, self.address_told)

    def send_out(self, message: object, to: tuple, back: tuple) -> None:
        if len(to) == 1 and type(message) is Close:
            self.close(message.reason, message.message, message.note, message.error_code)
            return
        if self.transport is None or self.transport.is_closing():
            _counters.count("undeliverable")
            return
        try:
            payload = self._payload(message, to, back)
        except CodecRuntimeError as e:
            trace(self.proxy_address, "proxy", f"cannot send {tag_of(message)} ({e})")
            self.close(EndOfTransport.OUTBOUND_STREAMING, note=str(e))
            return
        if not self.hello_seen or not (self.plain or self.cipher.ready):
            self.held.append((payload, message, back))
            return
        self._write(payload, message, back)

    def _write(self, payload: bytes, message: object, back: tuple) -> None:
        limit = self.encoder.peer_limit
        if len(payload) + self.seal_overhead > limit:  # before sealing: no nonce is spent
            size = len(payload) + self.seal_overhead
            fault = Faulted("message too large", f"{tag_of(message)} {size} bytes > limit {limit}")
            self.reply_fault(fault, back)
            return
        try:
            sealed = payload if self.plain else self.cipher.seal(payload)
            header, body = self.encoder.frame_parts(sealed)
        except OutboundFrameTooLarge as e:
            self.reply_fault(Faulted("message too large", f"{tag_of(message)} {e}"), back)
            return
        if self.rest is not None:
            self._write_rest()  # a thread's frame is finished first
        if len(body) > _DIRECT_MAX:
            self.transport.writelines((header, body))
        else:
            self.transport.write(header + body)
        liveness = self.liveness
        if liveness is not None:
            liveness.last_out = _monotonic()  # Liveness.sent, inlined: once per frame

    # Frames written by the sender's thread (see the module doc) -------------------------------

    def write_now(self, message: object, to: tuple, back: tuple) -> bool:
        """From a thread other than the loop's: write the frame now if nothing can be ahead
        of it; False when the loop must send it (through the proxy's queue, as before)."""
        if self.fd < 0 or not self.hello_seen or self.held or self.closing is not None:
            return False
        if len(to) == 1 and type(message) is Close:
            return False
        try:
            payload = self._payload(message, to, back)  # may run Python code: checks after it
            if len(payload) > self.encoder.peer_limit:
                return False  # the loop's path answers the sender with the fault
            header, body = self.encoder.frame_parts(payload)
        except (CodecRuntimeError, OutboundFrameTooLarge):
            return False  # the loop's path meets it again and reports it
        if len(body) > _DIRECT_MAX:
            return False
        data = header + body
        # From here to the write nothing may release the GIL: no other write can start.
        transport = self.transport
        if (
            self.rest is not None
            or self.paused
            or transport is None
            or transport.is_closing()
            or transport.get_write_buffer_size()
        ):
            return False
        n = _write_now(self.fd, data)
        if n < len(data):  # the socket took part: the loop writes the rest before anything
            self.rest = data[n:]
            LOOP.loop.call_soon_threadsafe(self._write_rest)  # type: ignore[union-attr]
        liveness = self.liveness
        if liveness is not None:
            liveness.last_out = _monotonic()
        return True

    def _write_rest(self) -> None:
        """Loop thread: hand the tail of a frame a thread wrote in part to the transport."""
        rest, self.rest = self.rest, None
        if rest is None:
            return
        if self.transport is None or self.transport.is_closing():
            _counters.count("undeliverable")  # the link went down with a frame half written
            return
        self.transport.write(rest)

    def close(
        self,
        reason: EndOfTransport,
        message: object = None,
        note: str | None = None,
        error_code: int | None = None,
    ) -> None:
        if self.rest is not None:  # a closing transport still writes what it was given
            self._write_rest()
        super().close(reason, message, note, error_code)

    # Inbound ------------------------------------------------------------------------------------

    def data_received(self, data: bytes) -> None:
        liveness = self.liveness
        if liveness is not None:
            liveness.heard(_monotonic())
        if not self.hello_seen and len(self.first_bytes) < 64:
            self.first_bytes += data[: 64 - len(self.first_bytes)]
        try:
            events = self.decoder.feed(data)
        except RemoteFrameError as e:
            for event in getattr(e, "events", ()):
                self.frame(event)
            if isinstance(e, OversizeFrame):
                _counters.count("frames_rejected")
            if isinstance(e, NotAPeer) and not self.hello_seen:
                self._not_a_peer(str(e))
                return
            warn(self.proxy_address, f"Closing connection ({e})")
            self.close(EndOfTransport.INBOUND_STREAMING, note=str(e))
            self._set_buffered(0)
            return
        for event in events:
            self.frame(event)
        buffered = self.decoder.buffered
        if buffered != self.buffered:
            self._account(buffered)

    def _not_a_peer(self, note: str) -> None:
        """The peer's first bytes are not ``LCW1`` (compat §2.15)."""
        if _OLD_FRAMING.match(self.first_bytes):
            reason = "protocol mismatch: expected LCW1, got layer-cake 0.1 text framing"
        else:
            reason = note
        if self.mismatch is None:  # accept side: no Accepted, a WARNING, closed
            warn_once(
                "peer",
                self.opened_ipp.host,
                self.proxy_address,
                f'Rejected "{self.opened_ipp}" ({reason})',
            )
        self.close(EndOfTransport.INBOUND_STREAMING, note=note)

    def _set_buffered(self, buffered: int) -> None:
        _buffered[0] += buffered - self.buffered
        self.buffered = buffered
        if buffered:
            _BUFFERING[self] = buffered
        else:
            _BUFFERING.pop(self, None)

    def _account(self, buffered: int) -> None:
        """Track partial-frame bytes; over the process cap, close the links holding most."""
        self._set_buffered(buffered)
        if _buffered[0] <= LIMITS.buffered_per_process:
            return
        for link in sorted(_BUFFERING, key=_BUFFERING.__getitem__, reverse=True):
            if _buffered[0] <= LIMITS.buffered_per_process:
                break
            link.shed(f"{link.buffered} bytes of partial frames over the process limit")

    def shed(self, note: str) -> None:
        """Close this link to free what it holds (a resource limit; counted, logged once)."""
        _counters.count("links_shed")
        warn_once(
            "shed",
            self.opened_ipp.host,
            self.proxy_address,
            f'Closing connection from "{self.opened_ipp}" ({note})',
        )
        self.decoder = FrameDecoder(self.decoder.max_frame)  # drop the partial frame now
        self._set_buffered(0)
        if self.transport is not None:
            self.transport.pause_reading()
        self.close(EndOfTransport.INBOUND_STREAMING, note=note)

    def frame(self, event: object) -> None:
        if self.closing is not None:
            return
        try:
            if type(event) is PeerHello:
                self.encoder.set_peer_limit(event.max_frame)  # type: ignore[attr-defined]
                self.hello_seen = True  # a layer-cake peer: a mismatch below is NotAccepted/...
                self.first_bytes = b""
                self.cipher.receive_hello(event)  # the first event: a mismatch shows at once
                if self.cipher.ready:
                    self._ready()  # announce; send what waited for the peer's limit
                return
            if not self.plain:
                if not self.cipher.ready:
                    answer = self.cipher.receive_key(event)  # type: ignore[arg-type]
                    if answer is not None:  # the responder's handshake message
                        self.transport.write(self.encoder.frame(answer))  # type: ignore[union-attr]
                    self._ready()
                    return
                event = self.cipher.open(event)  # type: ignore[arg-type]
        except RemoteCryptoError as e:
            if e.reply is not None and self.transport is not None:
                self.transport.write(self.encoder.frame(e.reply))  # a refusal, then close
            _refusal(self, e)
            self.close(EndOfTransport.INBOUND_STREAMING, note=str(e))
            return
        try:
            to, back, kind, message = unpack_payload(event, self.address_in)  # type: ignore[arg-type]
        except CodecRuntimeError as e:
            self.forged = False
            self.close(EndOfTransport.INBOUND_STREAMING, note=str(e))
            return
        if kind != KIND_MESSAGE:
            if kind == KIND_KEEP_ALIVE and message == 0:
                self._answer_probe()  # whichever side asked
            return
        if not to:
            to = self.controller
        elif to not in self.exported:
            self._refuse(to, message)
            return
        if self.forged:
            self._refuse(None, message)
            return
        self._inbound(to, back, message, True)  # decoded here: no other reference

    def _inbound(self, to: tuple, back: tuple, message: object, owned: bool) -> None:
        """Deliver what came in, in arrival order: behind a full queue (or behind what already
        waits for one) it waits, reading paused, and is retried; nothing is dropped."""
        if not self.stalled and not full(to):
            try:
                send_from(None, message, to, back, False, owned)
                return
            except QueueFull:  # a thread sender took the last room between check and send
                pass
        self.stalled.append((to, back, message, owned))
        self._stall()

    def to_controller(self, message: object) -> None:
        """Link events go in order with the frames before them (``Closed`` after the last)."""
        self._inbound(self.controller, self.proxy_address, message, False)

    def _refuse(self, to: tuple | None, message: object) -> None:
        """A frame named an address this link may not reach (see the module doc)."""
        self.forged = False
        if to is not None and TABLE.get(to) is None and TABLE.get(to[:1]) is None:
            _counters.count("undeliverable")  # no such object (any more): as any late message
            return
        _counters.count("delivery_refused")
        self.violations += 1
        where = "an address never exported" if to is None else f"<{hex_of(to)}>"
        warn_once(
            "refused",
            self.opened_ipp.host,
            self.proxy_address,
            f'Refused {tag_of(message)} from "{self.opened_ipp}" to {where}'
            " (not exported on this link)",
        )
        if self.violations >= LIMITS.violations:
            note = f"{self.violations} messages to addresses not exported on this link"
            warn(self.proxy_address, f'Closing connection from "{self.opened_ipp}" ({note})')
            self.close(EndOfTransport.INBOUND_STREAMING, note=note)

    def _ready(self) -> None:
        """Hello (and key exchange) complete: announce the link and send what was held."""
        if not self.announced:
            self._announce()
        # ``held`` stays as it is until all are written: a thread's direct write (``write_now``)
        # waits behind them even if writing one lets the thread run.
        for payload, message, back in self.held:
            if self.transport is None or self.transport.is_closing():
                _counters.count("undeliverable")
                continue
            self._write(payload, message, back)
        self.held = []

    def connection_lost(self, exc: Exception | None) -> None:
        for timer in (self.probe_timer, self.hello_timer, self.stall_timer):
            if timer is not None:
                timer.cancel()
        self.probe_timer = self.hello_timer = self.stall_timer = None
        if self.buffered:
            self._set_buffered(0)
        if self.announced or self.ended:
            for _ in self.held:  # sent after the link went down, before the peer's hello
                _counters.count("undeliverable")
            self.held = []
            super().connection_lost(exc)
            return
        # Never announced: a refusal (or, accepting a foreign peer, nothing), never Closed.
        LINKS.discard(self)
        self.ended = True
        if self.proxy is not None:
            self.proxy._ended = True
        TABLE.pop(self.proxy_address, None)
        for _ in self.held:
            _counters.count("undeliverable")
        self.held = []
        note = self.closing.note if self.closing is not None else None
        if not self.hello_seen:
            if self.mismatch is not None:
                fault = self.mismatch(self, _printable(self.first_bytes))  # type: ignore[operator]
                send_from(None, fault, self.controller, self.controller)
            return
        if self.refuse is None:
            return
        text = note or (str(exc) if exc is not None else "closed before the key exchange")
        send_from(None, self.refuse(self, text), self.controller, self.controller)  # type: ignore[operator]

    # Flow control: reading pauses while writing is paused, or a receiver's queue is full -----

    def pause_writing(self) -> None:
        self.paused = True
        self._hold_reading(_WRITE_PAUSED)
        if self.transport is not None:
            self.stall_size = self.transport.get_write_buffer_size()
        self.write_quiet = ResponsiveSilence(LIMITS.write_stall, time.monotonic())
        if self.stall_timer is None and LOOP.loop is not None:
            self.stall_timer = LOOP.loop.call_later(LIMITS.write_stall, self.check_stall)

    def resume_writing(self) -> None:
        self.paused = False
        if self.stall_timer is not None:
            self.stall_timer.cancel()
            self.stall_timer = None
        self._release_reading(_WRITE_PAUSED)
        if self.proxy is not None:
            self.proxy.resume()

    def check_stall(self) -> None:
        """Writing still paused: hold reading while the peer drains our writes, read again
        when it does not (two peers each waiting for the other to read would never move)."""
        self.stall_timer = None
        if not self.paused or self.ended or self.transport is None:
            return
        size = self.transport.get_write_buffer_size()
        now = time.monotonic()
        quiet = self.write_quiet
        quiet.tick(now)  # our own stall drained nothing either: it does not count (issue 16)
        if size < self.stall_size:
            quiet.heard(now)
            self._hold_reading(_WRITE_PAUSED)
        elif quiet.silence > LIMITS.not_reading:
            _counters.count("links_shed")
            note = "not reading"
            warn_once(
                "stale",
                self.opened_ipp.host,
                self.proxy_address,
                f'Closing connection to "{self.opened_ipp}" ({note})',
            )
            self.close(EndOfTransport.WENT_STALE, note=note)
            self.transport.abort()  # what it did not read is dropped, and counted below
            return
        else:
            self._release_reading(_WRITE_PAUSED)
        self.stall_size = size
        self.stall_timer = LOOP.loop.call_later(LIMITS.write_stall, self.check_stall)  # type: ignore[union-attr]

    def _hold_reading(self, why: int) -> None:
        if not self.read_holds and self.transport is not None and not self.transport.is_closing():
            self.transport.pause_reading()
        self.read_holds |= why
        self.reading_paused = True

    def _release_reading(self, why: int) -> None:
        if not self.read_holds & why:
            return
        self.read_holds &= ~why
        if not self.read_holds:
            self.reading_paused = False
            if self.transport is not None and not self.transport.is_closing():
                self.transport.resume_reading()

    def _stall(self) -> None:
        """A receiver's queue is full: stop reading until it is half empty (nothing dropped)."""
        if not self.read_holds & _STALLED:
            self._hold_reading(_STALLED)
            LOOP.loop.call_later(RETRY_FULL, self._retry)  # type: ignore[union-attr]

    def _retry(self) -> None:
        while self.stalled:
            to, back, message, owned = self.stalled[0]
            target = TABLE.get(to) or (TABLE.get(to[:1]) if len(to) > 1 else None)
            if target is not None and target.queued() > QUEUE.capacity // 2:
                LOOP.loop.call_later(RETRY_FULL, self._retry)  # type: ignore[union-attr]
                return
            try:
                send_from(None, message, to, back, False, owned)
            except QueueFull:  # a thread sender took the room meanwhile: wait again
                LOOP.loop.call_later(RETRY_FULL, self._retry)  # type: ignore[union-attr]
                return
            self.stalled.popleft()
        self._release_reading(_STALLED)


_STALLED = 1
_HELLO_TICKS = 5  # timer ticks per hello limit
_WRITE_PAUSED = 2
