# cython: annotation_typing=False
"""Sans-I/O framing of the layer-cake wire protocol (spec: networking-and-http §5).

Bytes in, events out; no sockets here. A transport's ``data_received`` calls
``FrameDecoder.feed(data)`` and gets every frame completed by that read in one list; it sends
what ``FrameEncoder`` returns.

The stream, exactly::

    hello  = b"LCW1" + uint32_be(len(body)) + body
    body   = msgpack map {"v": 1, "enc": <bool>, "max": <int>}   # at most 4096 bytes
    frame  = uint32_be(len(payload)) + payload                    # repeated until close

For example ``FrameEncoder().hello(False)`` is the 26 bytes::

    4c 43 57 31                     "LCW1"
    00 00 00 12                     body length 18
    83 a1 76 01                     {"v": 1,
       a3 65 6e 63 c2                "enc": False,
       a3 6d 61 78 ce 01 00 00 00    "max": 16777216}

``max`` is the largest payload the sender of the hello accepts; ``enc`` says whether it wants
the link encrypted (the key exchange and sealing happen above this layer). Each side sends its
hello first and may send frames right after it, but must not send a frame larger than the
peer's ``max``, so a transport holds outbound messages until the peer's hello has arrived.

The hello is always first: there are no frames before it. Any first bytes other than
``LCW1`` (an HTTP client, a port scanner) fail with ``NotAPeer`` as soon as the first
mismatching byte arrives.

How the decoder stays linear: it is a four-state machine (hello header, hello body, frame
header, frame body). ``_need`` is the size of the unit being read; ``_parts`` holds only the
pieces of that one unit that have arrived so far (``_buffered`` bytes), so it is empty whenever
a read ends on a unit boundary. A read first completes the buffered unit (if it can; otherwise
it keeps a reference to the read and returns at once, without re-parsing), then parses the
rest of the read in place and slices each payload out of it once. A 16 MiB frame arriving in
64 KiB reads is therefore 256 list appends and one ``b"".join``: each byte is copied once.
(A ``bytearray`` accumulator copies twice, append and copy-out, and its 64 KiB grow-and-free
cycle per big frame measured 5x slower at the median under glibc.)

Errors are split by side as in h11: ``RemoteFrameError`` (the peer broke the protocol; the
decoder is dead from then on and raises the same class on every later ``feed``) and
``LocalFrameError`` (we asked for something the wire or the peer cannot take).

This module is Cython "pure Python mode": ``_frame.pxd`` beside it declares the types, and
the file runs unchanged as plain Python when not compiled. Annotations are for readers and
mypy only (``annotation_typing=False``): the ``.pxd`` alone sets C types, so both builds accept
the same arguments (``frame`` takes a ``bytearray`` in either).
"""

from __future__ import annotations

from struct import Struct
from typing import NamedTuple

from msgpack import packb as _packb
from msgpack import unpackb as _unpackb

try:
    import cython

    _COMPILED = cython.compiled  # a constant True once compiled
except ImportError:  # a pure-Python install without Cython
    _COMPILED = False

__all__ = [
    "DEFAULT_MAX_FRAME",
    "HELLO_MAGIC",
    "HELLO_LIMIT",
    "WIRE_VERSION",
    "FrameDecoder",
    "FrameEncoder",
    "FrameError",
    "LocalFrameError",
    "MalformedHello",
    "NotAPeer",
    "OutboundFrameTooLarge",
    "OversizeFrame",
    "PeerHello",
    "RemoteFrameError",
]

HELLO_MAGIC = b"LCW1"
WIRE_VERSION = 1
DEFAULT_MAX_FRAME = 16 * 1024 * 1024
#: Largest hello body accepted; a peer announcing more is not speaking this protocol.
HELLO_LIMIT = 4096
#: Largest length a 4-byte header can carry.
_WIRE_MAX = 0xFFFFFFFF

_HEADER = Struct(">I")
_pack_header = _HEADER.pack
_unpack_header = _HEADER.unpack_from
_MAGIC_SIZE = 4
_HEADER_SIZE = 4
_HELLO_HEADER_SIZE = _MAGIC_SIZE + _HEADER_SIZE

# Decoder states; the unit each one reads is _need bytes long.
_HELLO_HEADER = 0  # magic + hello body length (8 bytes)
_HELLO_BODY = 1  # msgpack map (length from the hello header)
_FRAME_HEADER = 2  # payload length (4 bytes)
_FRAME_BODY = 3  # payload (length from the frame header)

_bytes = bytes
_memoryview = memoryview
_join = b"".join
#: Up to this many bytes, slicing (a copy) is cheaper than a memoryview (a reference).
_SMALL = 4096
_type = type


class FrameError(Exception):
    """Any failure of the framing layer."""


class LocalFrameError(FrameError):
    """We asked for something the wire or the peer cannot take."""


class RemoteFrameError(FrameError):
    """The peer broke the wire protocol; the decoder that saw it is dead.

    ``events`` holds what the same ``feed`` call decoded before the fault (in order), so a
    transport can deliver them before it closes the link. It is empty on later calls.
    """

    events: tuple | list = ()


class NotAPeer(RemoteFrameError):
    """The stream did not start with ``LCW1`` (for example an HTTP client)."""

    def __init__(self, message: str = "not a layer-cake peer") -> None:
        super().__init__(message)


class MalformedHello(RemoteFrameError):
    """The hello body is not a valid ``{"v", "enc", "max"}`` map, or its version is unknown."""


class OversizeFrame(RemoteFrameError):
    """An inbound frame header announced more than this side's ``max_frame``."""

    def __init__(self, size: int, limit: int) -> None:
        super().__init__(size, limit)
        self.size = size
        self.limit = limit

    def __str__(self) -> str:
        return f"oversize frame of {self.size} bytes"


class OutboundFrameTooLarge(LocalFrameError):
    """An outbound payload is larger than the peer's ``max`` (or the 4-byte header allows)."""

    def __init__(self, size: int, limit: int) -> None:
        super().__init__(size, limit)
        self.size = size
        self.limit = limit

    def __str__(self) -> str:
        return f"{self.size} bytes > limit {self.limit}"


class PeerHello(NamedTuple):
    """The peer's hello: the first event ``FrameDecoder.feed`` returns."""

    version: int
    encrypted: bool
    max_frame: int


def _check_limit(max_frame: int) -> int:
    if _type(max_frame) is not int or not 0 < max_frame <= _WIRE_MAX:
        raise ValueError(f"max_frame must be an int in 1..{_WIRE_MAX}, not {max_frame!r}")
    return max_frame


def _parse_hello(body: bytes) -> PeerHello:
    """Validate a hello body (the msgpack map)."""
    try:
        fields = _unpackb(body, raw=False)
    except Exception as error:  # msgpack raises several unrelated types on garbage
        raise MalformedHello(f"hello is not msgpack: {error}") from None
    if _type(fields) is not dict:
        raise MalformedHello("hello is not a map")
    version = fields.get("v")
    encrypted = fields.get("enc")
    max_frame = fields.get("max")
    if _type(version) is not int:
        raise MalformedHello("hello has no integer 'v'")
    if version != WIRE_VERSION:
        raise MalformedHello(f"unsupported wire version {version}")
    if _type(encrypted) is not bool:
        raise MalformedHello("hello has no boolean 'enc'")
    if _type(max_frame) is not int or max_frame < 1:
        raise MalformedHello("hello has no positive integer 'max'")
    return PeerHello(version, encrypted, max_frame)


class FrameEncoder:
    """Produces the bytes this side sends: one hello, then length-prefixed frames.

    Args:
        max_frame: the largest inbound payload this side accepts, announced in the hello
            (give the ``FrameDecoder`` the same value).
    """

    __slots__ = ("_peer_limit", "max_frame")

    def __init__(self, max_frame: int = DEFAULT_MAX_FRAME) -> None:
        self.max_frame = _check_limit(max_frame)
        self._peer_limit = _WIRE_MAX

    @property
    def peer_limit(self) -> int:
        """Largest payload ``frame`` accepts: the peer's ``max`` once known, else 4 GiB - 1."""
        return self._peer_limit

    def hello(self, encrypted: bool) -> bytes:
        """Return the hello to send first on a new link."""
        body = _packb({"v": WIRE_VERSION, "enc": bool(encrypted), "max": self.max_frame})
        return HELLO_MAGIC + _pack_header(len(body)) + body

    def set_peer_limit(self, limit: int) -> None:
        """Refuse outbound payloads above ``limit`` (the ``max_frame`` of the peer's hello)."""
        if _type(limit) is not int or limit < 1:
            raise ValueError(f"peer limit must be a positive int, not {limit!r}")
        self._peer_limit = limit if limit < _WIRE_MAX else _WIRE_MAX

    def frame(self, payload: bytes) -> bytes:
        """Return header + payload as one ``bytes`` (best for small payloads).

        Raises:
            OutboundFrameTooLarge: the payload is over the peer's limit; nothing is produced.
        """
        size = len(payload)
        if size > self._peer_limit:
            raise OutboundFrameTooLarge(size, self._peer_limit)
        return _pack_header(size) + payload

    def frame_parts(self, payload: bytes) -> tuple[bytes, bytes]:
        """Return ``(header, payload)`` for ``transport.writelines``; the payload is not copied.

        Raises:
            OutboundFrameTooLarge: the payload is over the peer's limit; nothing is produced.
        """
        size = len(payload)
        if size > self._peer_limit:
            raise OutboundFrameTooLarge(size, self._peer_limit)
        return _pack_header(size), payload


class FrameDecoder:
    """Turns the bytes received on a link into a ``PeerHello`` and then payloads.

    Args:
        max_frame: the largest inbound payload accepted (what this side's hello announces).
    """

    __slots__ = ("_buffered", "_error", "_need", "_parts", "_state", "max_frame")

    def __init__(self, max_frame: int = DEFAULT_MAX_FRAME) -> None:
        self.max_frame = _check_limit(max_frame)
        self._parts: list = []
        self._buffered = 0
        self._state = _HELLO_HEADER
        self._need = _HELLO_HEADER_SIZE
        self._error = None

    @property
    def buffered(self) -> int:
        """Bytes received but not yet part of a complete unit."""
        return self._buffered

    def feed(self, data: bytes | bytearray | memoryview) -> list:
        """Take the next bytes of the stream; return the events they complete, in order.

        The first event is a ``PeerHello``; every later one is a payload (``bytes``, possibly
        empty). Incomplete input is kept for the next call.

        Raises:
            NotAPeer, MalformedHello, OversizeFrame: the peer broke the protocol. The decoder
                is dead: every later call raises the same error class again.
        """
        if self._error is not None:
            error = self._error
            raise _type(error)(*error.args)
        if _type(data) is not _bytes:
            data = _bytes(data)  # a bytearray or memoryview may be the caller's reused buffer
        out: list = []
        size = len(data)
        start = 0
        try:
            if self._buffered:
                missing = self._need - self._buffered
                if size < missing:
                    self._keep(data)
                    return out
                parts = self._parts
                parts.append(data[:missing] if missing <= _SMALL else _memoryview(data)[:missing])
                unit = _join(parts)
                parts.clear()
                self._buffered = 0
                self._parse(unit, 0, out)
                start = missing
            elif size < self._need:
                self._keep(data)
                return out
            if start < size:
                self._parse(data, start, out)
        except RemoteFrameError as error:
            self._error = error
            self._parts.clear()
            self._buffered = 0
            error.events = out
            raise
        return out

    def _keep(self, piece: bytes | memoryview) -> None:
        """Hold part of an incomplete unit; fail early if the stream cannot start with LCW1."""
        self._parts.append(piece)
        self._buffered += len(piece)
        if self._state == _HELLO_HEADER:
            _check_magic(_join(self._parts))

    def _parse(self, src: bytes, pos: int, out: list) -> None:
        """Decode the complete units of ``src[pos:]`` into ``out``; buffer the incomplete tail."""
        end = len(src)
        state = self._state
        need = self._need
        limit = self.max_frame
        while True:
            if state == _FRAME_HEADER:
                if end - pos < _HEADER_SIZE:
                    break
                if _COMPILED:  # C byte reads beat a Struct call 2:1 compiled, lose 1:2.5 in Python
                    length = src[pos]  # shifted as a 64-bit Py_ssize_t, never a C int
                    length = (length << 8) | src[pos + 1]
                    length = (length << 8) | src[pos + 2]
                    length = (length << 8) | src[pos + 3]
                else:
                    length = _unpack_header(src, pos)[0]
                if length > limit:
                    raise OversizeFrame(length, limit)
                pos += _HEADER_SIZE
                if end - pos >= length:
                    out.append(src[pos : pos + length])
                    pos += length
                else:
                    state = _FRAME_BODY
                    need = length
                    break
            elif end - pos < need:
                break
            elif state == _FRAME_BODY:
                out.append(src[pos : pos + need])
                pos += need
                state = _FRAME_HEADER
                need = _HEADER_SIZE
            elif state == _HELLO_HEADER:
                if src[pos : pos + _MAGIC_SIZE] != HELLO_MAGIC:
                    raise NotAPeer
                need = _unpack_header(src, pos + _MAGIC_SIZE)[0]
                if need > HELLO_LIMIT:
                    raise MalformedHello(f"hello of {need} bytes > limit {HELLO_LIMIT}")
                pos += _HELLO_HEADER_SIZE
                state = _HELLO_BODY
            else:  # _HELLO_BODY
                out.append(_parse_hello(src[pos : pos + need]))
                pos += need
                state = _FRAME_HEADER
                need = _HEADER_SIZE
        self._state = state
        self._need = need
        if pos < end:
            self._keep(src if pos == 0 else _memoryview(src)[pos:])


def _check_magic(prefix: bytes) -> None:
    """Fail as soon as the first bytes of the stream cannot be ``LCW1``."""
    if not HELLO_MAGIC.startswith(prefix[:_MAGIC_SIZE]):
        raise NotAPeer
