# cython: annotation_typing=False
"""The msgpack wire codec between layer-cake processes (types-and-encoding §11).

A message body is ``[signature, data, aliases, pointer_table]``; a frame payload (networking
§5) is ``[to_address, return_address, kind, body]`` with addresses as ``ExtType(1)``. Each
thread reuses one ``msgpack.Packer``; decoding uses one ``unpackb`` with our ``ext_hook``.
"""

from __future__ import annotations

import struct
import threading

import msgpack
from msgpack import ExtType

from ._convert import (
    ADDRESS_CACHE,
    EXT_LOCAL_ADDRESS,
    Decoder,
    Encoder,
    Fault,
    PointerRef,
    _address_struct,
    address_ext,
    ext_hook,
    fault_text,
)
from ._errors import CodecRuntimeError
from ._portable import Address, Any, Portable, install

__all__ = [
    "KIND_MESSAGE",
    "KIND_BLOCK",
    "KIND_KEEP_ALIVE",
    "KIND_KEY_EXCHANGE",
    "encode_message",
    "decode_message",
    "encode_value",
    "decode_value",
    "pack_payload",
    "pack_control",
    "unpack_payload",
    "cache_sizes",
]

KIND_MESSAGE = 0
KIND_BLOCK = 1
KIND_KEEP_ALIVE = 2
KIND_KEY_EXCHANGE = 3

_ANY = install(Any())
_ADDRESS = install(Address())
_local = threading.local()

#: The first byte of msgpack's fixext encodings, by data length (msgpack spec, "ext format").
_FIXEXT = {1: b"\xd4", 2: b"\xd5", 4: b"\xd6", 8: b"\xd7", 16: b"\xd8"}
_ext_packed: dict = {}  # address ExtType -> its msgpack bytes; bounded like the address caches
_ext_heads: dict = {}  # (code, data length) -> the ext's msgpack head
_local_packed: dict = {}  # a receiver's address -> its ext 3, packed; bounded likewise
_EXT_HEADS_LIMIT = 256  # few (code, length) pairs in use; cleared when full, whatever comes
_PAYLOAD_HEAD = b"\x94"  # a frame payload is an array of 4
_KIND_MESSAGE_PACKED = b"\x00"  # KIND_MESSAGE as a positive fixint


def _packer() -> msgpack.Packer:
    try:
        return _local.packer
    except AttributeError:
        _local.packer = msgpack.Packer(use_bin_type=True, autoreset=True, datetime=False)
        return _local.packer


def _pack(form: object) -> bytes:
    """Pack with this thread's Packer; a failure is a typed error and a fresh Packer."""
    try:
        return _packer().pack(form)
    except Exception as e:  # e.g. a lone surrogate in a str, an int beyond 64 bits
        del _local.packer  # its buffer may hold a partial object
        raise CodecRuntimeError(f"cannot encode ({type(e).__name__}: {e})") from None


def _packed_ext(ext: ExtType) -> bytes:
    """The bytes msgpack's ``Packer`` writes for ``ext``, kept for the next frame.

    The two addresses of a frame payload are spliced in as these bytes: msgpack packs an
    ``ExtType`` through an ``isinstance`` and two attribute lookups (issue 13: a third of
    what packing a small payload cost). A new address (a job's, one per request) is built
    from the head kept for its code and length.
    """
    packed = _ext_packed.get(ext)
    if packed is None:
        data = ext.data  # the namedtuple's fields: indexing a tuple subclass is slower
        packed = _ext_head(ext.code, len(data)) + data
        if len(_ext_packed) >= ADDRESS_CACHE:
            _ext_packed.clear()
        _ext_packed[ext] = packed
    return packed


def _packed_local(a: tuple) -> bytes:
    """``_packed_ext(address_ext(EXT_LOCAL_ADDRESS, a))`` without the ``ExtType``: the
    receiver's address of a frame, packed once per address (a job's is new per request).

    Raises:
        struct.error: an element is not an unsigned 64-bit int.
    """
    packed = _local_packed.get(a)
    if packed is None:
        data = _address_struct(len(a)).pack(*a)
        packed = _ext_head(EXT_LOCAL_ADDRESS, len(data)) + data
        if len(_local_packed) >= ADDRESS_CACHE:
            _local_packed.clear()
        _local_packed[a] = packed
    return packed


def _ext_head(code: int, n: int) -> bytes:
    """msgpack's head of an ext of ``code`` with ``n`` bytes of data, kept per (code, n)."""
    key = (code, n)
    head = _ext_heads.get(key)
    if head is None:
        lead = _FIXEXT.get(n)
        if lead is None:
            if n < 0x100:
                lead = struct.pack(">BB", 0xC7, n)
            elif n < 0x10000:
                lead = struct.pack(">BH", 0xC8, n)
            else:
                lead = struct.pack(">BI", 0xC9, n)
        head = lead + struct.pack(">b", code)
        if len(_ext_heads) >= _EXT_HEADS_LIMIT:
            _ext_heads.clear()
        _ext_heads[key] = head
    return head


def _unpack(data: bytes) -> object:
    try:
        return msgpack.unpackb(
            data, raw=False, strict_map_key=False, ext_hook=ext_hook, use_list=True
        )
    except Exception as e:  # msgpack raises several unrelated types for bad input
        raise CodecRuntimeError(f"cannot decode ({type(e).__name__}: {e})") from None


def _body(message: object, address_out: object = None, encoder: Encoder | None = None) -> list:
    if encoder is None:
        encoder = Encoder(False, address_out)
    try:
        body = encoder.any(message)
    except Fault as f:
        raise CodecRuntimeError(fault_text("encode", f)) from None
    body.append(encoder.table or [])
    return body


def _message(body: object, address_in: object = None) -> object:
    if type(body) is not list or len(body) != 4 or type(body[3]) is not list:
        raise CodecRuntimeError("cannot decode (malformed message body)")
    table = None
    if body[3]:
        table = {}
        for entry in body[3]:
            if type(entry) is not list or len(entry) != 2 or type(entry[0]) is not PointerRef:
                raise CodecRuntimeError("cannot decode (malformed pointer table)")
            table[entry[0].n] = entry[1]
    decoder = Decoder(False, table, address_in)
    try:
        return decoder.any(body[:3])
    except Fault as f:
        raise CodecRuntimeError(fault_text("decode", f)) from None
    except RecursionError:
        raise CodecRuntimeError("cannot decode (nested too deeply)") from None


def encode_message(message: object) -> bytes:
    """msgpack bytes of one message (a bound-class instance or a ``cast_to`` pair)."""
    return _pack(_body(message))


def decode_message(data: bytes) -> object:
    """The message in ``data``; unknown signatures give ``Incognito``.

    Raises:
        CodecRuntimeError: malformed bytes or data that does not fit the type.
    """
    return _message(_unpack(data))


def encode_value(value: object, portable: Portable) -> bytes:
    """msgpack bytes of a value of a known type: ``[data, pointer_table]``."""
    encoder = Encoder(False)
    try:
        data = encoder.convert(value, portable)
    except Fault as f:
        raise CodecRuntimeError(fault_text("encode", f)) from None
    return _pack([data, encoder.table or []])


def decode_value(data: bytes, portable: Portable) -> object:
    """Inverse of ``encode_value``."""
    form = _unpack(data)
    if type(form) is not list or len(form) != 2 or type(form[1]) is not list:
        raise CodecRuntimeError("cannot decode (malformed value)")
    table = {
        e[0].n: e[1]
        for e in form[1]
        if type(e) is list and len(e) == 2 and type(e[0]) is PointerRef
    } or None
    decoder = Decoder(False, table)
    try:
        return decoder.convert(form[0], portable)
    except Fault as f:
        raise CodecRuntimeError(fault_text("decode", f)) from None


def pack_payload(
    to_address: tuple, return_address: tuple, message: object, address_out: object = None
) -> bytes:
    """One frame payload ``[to, return, 0, body]`` for a message.

    ``to_address`` is already in the receiver's terms (``ExtType(3)``); the return address and
    addresses inside the message go through ``address_out`` (the transport's rewrite), or are
    sent in the sender's terms (``ExtType(1)``) when there is none.
    """
    encoder = Encoder(False, address_out)
    try:
        to = _packed_local(to_address if type(to_address) is tuple else tuple(to_address))
        back = encoder.address(return_address)
    except (Fault, struct.error) as e:
        reason = e.reason if isinstance(e, Fault) else str(e)
        raise CodecRuntimeError(f"cannot encode (malformed address: {reason})") from None
    body = _pack(_body(message, address_out, encoder))
    # Byte for byte what packing [to, back, KIND_MESSAGE, body] gives (tested against msgpack):
    # the return address is an ExtType (address_ext, or the transport's address_out using it).
    parts = (_PAYLOAD_HEAD, to, _packed_ext(back), _KIND_MESSAGE_PACKED, body)
    return b"".join(parts)


def pack_control(kind: int, body: object) -> bytes:
    """A payload of another kind (keep-alive, key exchange) with empty addresses."""
    empty = address_ext(EXT_LOCAL_ADDRESS, ())
    return _pack([empty, empty, kind, body])


def unpack_payload(data: bytes, address_in: object = None) -> tuple:
    """``(to_address, return_address, kind, message_or_body)`` from a frame payload.

    Kind 0 bodies are decoded to messages; other kinds are returned as received.
    """
    form = _unpack(data)
    if type(form) is not list or len(form) != 4:
        raise CodecRuntimeError("cannot decode (malformed frame payload)")
    to, back, kind, body = form
    if not isinstance(to, tuple) or not isinstance(back, tuple) or type(kind) is not int:
        raise CodecRuntimeError("cannot decode (malformed frame header)")
    to = tuple(to)
    back = address_in(back) if address_in is not None else tuple(back)
    if kind == KIND_MESSAGE:
        return to, back, kind, _message(body, address_in)
    return to, back, kind, body


def cache_sizes() -> dict[str, int]:
    """Entries held by each cache of packed wire forms (tests and diagnostics: a peer that
    names a new address in every frame must not grow them without bound)."""
    return {"ext_packed": len(_ext_packed), "local_packed": len(_local_packed)}
