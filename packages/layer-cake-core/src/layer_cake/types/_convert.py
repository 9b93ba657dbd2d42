"""Typed values <-> data forms (plain lists, dicts, numbers, strings) for JSON and msgpack.

This is the hot path of every codec. One walker serves both encodings; ``json_form`` picks
the few representations that differ (types-and-encoding §2 and §11): bytes, UUIDs, clock
and span times, addresses and pointer aliases. The walker switches on the portable's integer
``kind``; scalar fields of classes and scalar elements of containers take inline fast paths.

Over 600 lines for a reason: it is one compiled module whose typed helpers (kinds,
addresses, faults), shared by the encoder and the decoder, are C calls inside it; split, each
of those calls on every field would cross a module boundary (a shared ``.pxd`` interface).

Failures raise ``Fault``; each enclosing field or index adds itself to ``Fault.path`` while
the exception unwinds, so the happy path pays nothing for error reporting. The public entry
points turn a ``Fault`` into ``CodecRuntimeError('cannot encode, near "a.b[2]" (...)')``.

Compiled by Cython in pure-Python mode (declarations in ``_convert.pxd``).
"""

from __future__ import annotations

import base64
import binascii
import collections
import datetime
import struct
import uuid

from msgpack import ExtType

from . import _portable, _text
from ._infer import infer_portable
from ._message import Incognito, default_of, resolve_signature
from ._portable import Portable
from ._portable import _table as _SIGNATURES  # signature -> installed portable (never rebound)
from ._registry import SPECS, bind_message

__all__ = [
    "Encoder",
    "Decoder",
    "Fault",
    "PointerRef",
    "EXT_ADDRESS",
    "EXT_POINTER",
    "EXT_LOCAL_ADDRESS",
    "LocalAddress",
    "address_ext",
    "ext_hook",
    "fault_text",
    "KIND_NUMBERS",
]

# Kinds: the numbers are written once, in _portable; bound here to the C ints of the .pxd.
K_BOOLEAN = _portable.K_BOOLEAN
K_INTEGER = _portable.K_INTEGER
K_FLOAT = _portable.K_FLOAT
K_UNICODE = _portable.K_UNICODE
K_STRING = _portable.K_STRING
K_BLOCK = _portable.K_BLOCK
K_ENUM = _portable.K_ENUM
K_CLOCK = _portable.K_CLOCK
K_SPAN = _portable.K_SPAN
K_WORLD = _portable.K_WORLD
K_DELTA = _portable.K_DELTA
K_UUID = _portable.K_UUID
K_VECTOR = _portable.K_VECTOR
K_ARRAY = _portable.K_ARRAY
K_SET = _portable.K_SET
K_MAP = _portable.K_MAP
K_DEQUE = _portable.K_DEQUE
K_USER = _portable.K_USER
K_POINTER = _portable.K_POINTER
K_ANY = _portable.K_ANY
K_ADDRESS = _portable.K_ADDRESS
K_TYPE = _portable.K_TYPE
K_WORD = _portable.K_WORD

#: The kind numbers by name, visible from Python in both builds (a test compares them with
#: ``_portable``'s; compiled, the ``K_*`` names are C constants).
KIND_NUMBERS = {
    "K_BOOLEAN": K_BOOLEAN,
    "K_INTEGER": K_INTEGER,
    "K_FLOAT": K_FLOAT,
    "K_UNICODE": K_UNICODE,
    "K_STRING": K_STRING,
    "K_BLOCK": K_BLOCK,
    "K_ENUM": K_ENUM,
    "K_CLOCK": K_CLOCK,
    "K_SPAN": K_SPAN,
    "K_WORLD": K_WORLD,
    "K_DELTA": K_DELTA,
    "K_UUID": K_UUID,
    "K_VECTOR": K_VECTOR,
    "K_ARRAY": K_ARRAY,
    "K_SET": K_SET,
    "K_MAP": K_MAP,
    "K_DEQUE": K_DEQUE,
    "K_USER": K_USER,
    "K_POINTER": K_POINTER,
    "K_ANY": K_ANY,
    "K_ADDRESS": K_ADDRESS,
    "K_TYPE": K_TYPE,
    "K_WORD": K_WORD,
}

EXT_ADDRESS = 1  # an address in the sender's terms: the receiving transport prefixes its proxy
EXT_POINTER = 2
EXT_LOCAL_ADDRESS = 3  # an address in the receiver's own terms (it came back home)
FIRST_ALIAS = 1100

_deque = collections.deque
_datetime = datetime.datetime
_timedelta = datetime.timedelta
_UUIDType = uuid.UUID
_u64 = struct.Struct(">Q")
_address_structs: dict = {}


class Fault(Exception):
    """A conversion failure; ``path`` collects field names and ``[i]`` while unwinding."""

    def __init__(self, reason: str) -> None:
        Exception.__init__(self, reason)
        self.reason = reason
        self.path: list = []

    def near(self) -> str:
        text = ""
        for segment in reversed(self.path):
            if segment[0] == "[" or not text:
                text += segment
            else:
                text += "." + segment
        return text


def fault_text(verb: str, fault: Fault) -> str:
    """``cannot <verb>, near "<path>" (<reason>)`` or ``cannot <verb> (<reason>)``."""
    if fault.path:
        return f'cannot {verb}, near "{fault.near()}" ({fault.reason})'
    return f"cannot {verb} ({fault.reason})"


def _mismatch(value: object, p: object) -> Fault:
    return Fault(f"no transform {type(value).__name__}/{type(p).__name__}")


class PointerRef:
    """A pointer alias read from msgpack (``ExtType(2, n)``)."""

    __slots__ = ("n",)

    def __init__(self, n: int) -> None:
        self.n = n

    def __eq__(self, other: object) -> bool:
        return isinstance(other, PointerRef) and other.n == self.n

    def __hash__(self) -> int:
        return hash(self.n)

    def __repr__(self) -> str:
        return f"PointerRef({self.n})"


def _address_struct(n: object) -> struct.Struct:  # object: as its cpdef in the .pxd
    s = _address_structs.get(n)
    if s is None:
        s = struct.Struct(f">{n}Q")
        if n <= 64:  # a peer's odd lengths must not grow the cache without bound
            _address_structs[n] = s
    return s


_tuple_new = tuple.__new__


#: Wire forms of addresses, both ways: the same few addresses cross a link with every message
#: (a return address, a proxy's far end), and building one cost as much as the rest of the
#: frame's header. Bounded, as anything a peer can fill: emptied when full.
ADDRESS_CACHE = 4096
_out_address: dict = {}  # address -> ExtType(EXT_ADDRESS)
_out_local: dict = {}  # address -> ExtType(EXT_LOCAL_ADDRESS)
_in_address: dict = {}  # ext bytes -> address
_in_local: dict = {}  # ext bytes -> LocalAddress


def address_ext(code: object, a: tuple) -> ExtType:
    """``ExtType(code, <a as >nQ>)``: an address (a tuple of ints) in wire form.

    Built as ``tuple.__new__`` (msgpack's ``ExtType.__new__`` checks its arguments in Python
    bytecode) and kept for the next message.

    Raises:
        struct.error: an element is not an unsigned 64-bit int.
    """
    cache = _out_local if code == EXT_LOCAL_ADDRESS else _out_address
    ext = cache.get(a)
    if ext is None:
        ext = _tuple_new(ExtType, (code, _address_struct(len(a)).pack(*a)))
        if len(cache) >= ADDRESS_CACHE:
            cache.clear()
        cache[a] = ext
    return ext


class LocalAddress(tuple):
    """An address read from the wire that is already in the receiver's terms."""

    __slots__ = ()


def ext_hook(code: int, data: bytes) -> object:
    """msgpack ``ext_hook``: addresses become tuples, pointer aliases ``PointerRef``."""
    if code in (EXT_ADDRESS, EXT_LOCAL_ADDRESS):
        cache = _in_address if code == EXT_ADDRESS else _in_local
        a = cache.get(data)
        if a is None:
            if len(data) % 8:
                raise ValueError("malformed address")
            a = _address_struct(len(data) // 8).unpack(data)
            if code == EXT_LOCAL_ADDRESS:
                a = LocalAddress(a)
            if len(cache) >= ADDRESS_CACHE:
                cache.clear()
            cache[data] = a
        return a
    if code == EXT_POINTER:
        if len(data) != 8:
            raise ValueError("malformed pointer alias")
        return PointerRef(_u64.unpack(data)[0])
    return ExtType(code, data)


def _spec_of(cls: type) -> object:
    spec = cls.__dict__.get("__lc_message__")
    if spec is None:
        bind_message(cls)  # a class used as a field type but never bound: default options
        spec = cls.__dict__["__lc_message__"]
    return spec


class Encoder:
    """Typed value -> data form. One instance per encode call (holds pointer state)."""

    def __init__(self, json_form: bool, address_out: object = None) -> None:
        self.json_form = json_form
        self.address_out = address_out
        self.seen = None
        self.table = None
        self.frames = None
        self.next_alias = FIRST_ALIAS
        self.space = ""


    def convert(self, value: object, p: object) -> object:
        if value is None:
            if p.structural:
                raise Fault("null structure")
            return None
        kind = p.kind
        t = type(value)
        if kind == K_USER:
            return self.user(value, p.element)
        if kind == K_INTEGER:
            if (t is int or (isinstance(value, int) and t is not bool)) and (
                p.low <= value <= p.high
            ):
                return int(value)
            if t is int:
                raise Fault(f"value {value} out of range for {type(p).__name__}")
            raise _mismatch(value, p)
        if kind == K_FLOAT:
            if t is float:
                return value
            if isinstance(value, (int, float)) and t is not bool:
                return float(value)
            raise _mismatch(value, p)
        if kind == K_UNICODE:
            if t is str or isinstance(value, str):
                if p.length and len(value) != p.length:
                    raise Fault(f"expected {p.length} character, got {len(value)}")
                return str(value)
            raise _mismatch(value, p)
        if kind == K_BOOLEAN:
            if t is bool:
                return value
            raise _mismatch(value, p)
        if kind == K_VECTOR:
            if t is list or t is tuple:
                return self.sequence(value, p.element)
            raise _mismatch(value, p)
        if kind == K_ANY:
            return self.any(value)
        if kind == K_MAP:
            if isinstance(value, dict):
                return self.mapping(value, p)
            raise _mismatch(value, p)
        if kind == K_ARRAY:
            if t is list or t is tuple:
                if len(value) != p.size:
                    raise Fault(f"array [{len(value)}] vs type [{p.size}]")
                return self.sequence(value, p.element)
            raise _mismatch(value, p)
        if kind == K_SET:
            if t is set or t is frozenset:
                return self.sequence(value, p.element)
            raise _mismatch(value, p)
        if kind == K_DEQUE:
            if t is _deque or t is list:
                return self.sequence(value, p.element)
            raise _mismatch(value, p)
        if kind == K_ENUM:
            if isinstance(value, p.element):
                return value._name_  # .name is a property: a Python call per value
            raise _mismatch(value, p)
        if kind == K_STRING:
            if t is bytes or t is bytearray:
                if p.length and len(value) != p.length:
                    raise Fault(f"expected {p.length} byte, got {len(value)}")
                if self.json_form:
                    return bytes(value).decode("latin-1")
                return bytes(value)
            raise _mismatch(value, p)
        if kind == K_BLOCK:
            if t is bytearray or t is bytes:
                if self.json_form:
                    return base64.b64encode(value).decode("ascii")
                return value
            raise _mismatch(value, p)
        if kind == K_CLOCK or kind == K_SPAN:  # noqa: PLR1714, SIM109 - C int compares when compiled
            if (t is float or t is int) or (isinstance(value, (int, float)) and t is not bool):
                if not self.json_form:
                    return float(value)
                try:
                    if kind == K_SPAN:
                        return _text.span_to_text(value)
                    return _text.clock_to_text(value)
                except (ValueError, OverflowError, OSError) as e:
                    raise Fault(str(e)) from None
            raise _mismatch(value, p)
        if kind == K_WORLD:
            if isinstance(value, _datetime):
                try:
                    return _text.world_to_text(value)
                except ValueError as e:
                    raise Fault(str(e)) from None
            raise _mismatch(value, p)
        if kind == K_DELTA:
            if isinstance(value, _timedelta):
                return _text.delta_to_text(value)
            raise _mismatch(value, p)
        if kind == K_UUID:
            if isinstance(value, _UUIDType):
                return str(value) if self.json_form else value.bytes
            raise _mismatch(value, p)
        if kind == K_POINTER:
            return self.pointer(value, p.element)
        if kind == K_ADDRESS:
            return self.address(value)
        if kind == K_TYPE:
            return self.type_path(value)
        if kind == K_WORD:
            return value
        raise Fault(f"no transform {t.__name__}/{type(p).__name__}")

    def user(self, value: object, cls: type) -> dict:
        if not isinstance(value, cls):
            raise Fault(f"no transform {type(value).__name__}/UserDefined({cls.__name__})")
        spec = _spec_of(cls)
        if spec.not_portable:
            raise Fault(f'"{spec.signature}" is not portable')
        return self.fields(value, spec)

    def fields(self, value: object, spec: object) -> dict:
        out = {}
        for name, fp in spec.fields:
            v = getattr(value, name, None)
            t = type(v)
            kind = fp.kind
            # Inline fast paths for the commonest scalar fields.
            if v is None:
                if fp.structural:
                    f = Fault("null structure")
                    f.path.append(name)
                    raise f
                out[name] = None
            elif (
                (kind == K_INTEGER and t is int and fp.low <= v <= fp.high)
                or (kind == K_FLOAT and t is float)
                or (kind == K_UNICODE and t is str and not fp.length)
                or (kind == K_BOOLEAN and t is bool)
            ):
                out[name] = v
            else:
                try:
                    out[name] = self.convert(v, fp)
                except Fault as f:
                    f.path.append(name)
                    raise
        return out

    def sequence(self, value: object, element: object) -> list:
        kind = element.kind
        if kind == K_FLOAT:
            for x in value:
                if type(x) is not float:
                    break
            else:
                return value if type(value) is list else list(value)
        elif kind == K_INTEGER:
            for x in value:
                if type(x) is not int:
                    break
            else:
                if not value or (element.low <= min(value) and max(value) <= element.high):
                    return value if type(value) is list else list(value)
        elif kind == K_UNICODE and not element.length:
            for x in value:
                if type(x) is not str:
                    break
            else:
                return value if type(value) is list else list(value)
        out = []
        i = 0
        try:
            for x in value:
                out.append(self.convert(x, element))
                i += 1
        except Fault as f:
            f.path.append(f"[{i}]")
            raise
        return out

    def mapping(self, value: dict, p: object) -> list:
        i = 0
        key = p.key
        item = p.value
        out = []
        try:
            for k, v in value.items():
                out.append([self.convert(k, key), self.convert(v, item)])
                i += 1
        except Fault as f:
            f.path.append(f"[{i}]")
            raise
        return out

    def any(self, value: object) -> list:
        t = type(value)
        frame: list = []
        if self.frames is None:
            self.frames = []
        self.frames.append(frame)
        try:
            if t is Incognito:
                return self.incognito(value, frame)
            spec = SPECS.get(t)
            if spec is not None:
                if spec.not_portable:
                    raise Fault(f'"{spec.signature}" is not portable')
                return [spec.signature, self.fields(value, spec), frame]
            if t is tuple and len(value) == 2 and isinstance(value[1], Portable):
                p = value[1]
                return [p.signature(), self.convert(value[0], p), frame]
            inferred = infer_portable(value)  # a raw result (compat §2.1)
            if inferred is not None:
                return [inferred.signature(), self.convert(value, inferred), frame]
            raise Fault(f"no transform {t.__name__}/Any (not a message)")
        finally:
            self.frames.pop()

    def incognito(self, value: Incognito, frame: list) -> list:
        word = value.decoded_word
        saved = value.saved_pointers or []
        if saved:
            if self.table is None:
                self.table = []
            if self.json_form:
                for alias, data in saved:
                    self.table.append([alias, data])
                    frame.append(alias)
            else:
                # Renumber the saved aliases so they cannot collide with this encoding's.
                mapping = {}
                for alias, _data in saved:
                    key = alias.n if type(alias) is PointerRef else alias
                    mapping[key] = self.new_alias()
                for alias, data in saved:
                    key = alias.n if type(alias) is PointerRef else alias
                    new = mapping[key]
                    self.table.append([new, self.relabel(data, mapping)])
                    frame.append(new)
        if not self.json_form:
            word = self.relabel(word, mapping if saved else None)
        return [value.type_name, word, frame]

    def relabel(self, word: object, mapping: object) -> object:
        """A raw msgpack word made ready to re-send: pointer aliases renumbered, and address
        tuples (msgpack arrays decode as lists, so a tuple is always an address) re-encoded."""
        t = type(word)
        if t is PointerRef:
            return mapping.get(word.n, word) if mapping is not None else word
        if t is tuple or t is LocalAddress:
            return self.address(word)
        if t is list:
            return [self.relabel(x, mapping) for x in word]
        if t is dict:
            return {k: self.relabel(v, mapping) for k, v in word.items()}
        return word

    def new_alias(self) -> object:
        n = self.next_alias
        self.next_alias = n + 1
        if self.json_form:
            if not self.space:
                self.space = str(uuid.uuid4())
            return f"{n}:{self.space}"
        return _tuple_new(ExtType, (EXT_POINTER, _u64.pack(n)))

    def pointer(self, value: object, element: object) -> object:
        if self.seen is None:
            self.seen = {}
            self.table = self.table if self.table is not None else []
            if self.frames is None:
                self.frames = []
        key = id(value)
        entry = self.seen.get(key)
        if entry is not None:
            alias = entry[0]
            self.mention(alias)
            return alias
        alias = self.new_alias()
        self.seen[key] = (alias, value)  # holding value keeps its id unique
        self.mention(alias)  # first-use order, before the aliases inside it
        slot = [alias, None]
        self.table.append(slot)
        slot[1] = self.convert(value, element)
        return alias

    def mention(self, alias: object) -> None:
        """List an alias in every open ``Any`` frame (once each)."""
        for frame in self.frames:
            if alias not in frame:
                frame.append(alias)

    def address(self, value: object) -> object:
        if not isinstance(value, (tuple, list)):
            raise Fault(f"no transform {type(value).__name__}/Address")
        for x in value:
            if type(x) is not int or x < 0:
                raise Fault(f"malformed address {value!r}")
        if self.address_out is not None:
            return self.address_out(tuple(value))  # the transport's rewrite to wire form
        if self.json_form:
            return list(value)
        try:
            return address_ext(EXT_ADDRESS, tuple(value))
        except struct.error as e:
            raise Fault(f"malformed address ({e})") from None

    def type_path(self, value: object) -> str:
        if isinstance(value, Portable):
            if value.kind != K_USER:
                raise Fault(f"no transform {type(value).__name__}/Type")
            return value.signature()
        if isinstance(value, type):
            spec = value.__dict__.get("__lc_message__")
            return (
                spec.signature if spec is not None else f"{value.__module__}.{value.__qualname__}"
            )
        if callable(value) and hasattr(value, "__qualname__"):
            return f"{value.__module__}.{value.__qualname__}"
        raise Fault(f"no transform {type(value).__name__}/Type")


class Decoder:
    """Data form -> typed value. One instance per decode call (holds pointer state)."""

    def __init__(self, json_form: bool, table: object = None, address_in: object = None) -> None:
        self.json_form = json_form
        self.address_in = address_in
        self.table = table  # alias key -> raw data
        self.cache = None  # alias key -> decoded object


    def convert(self, data: object, p: object) -> object:
        if data is None:
            if p.structural:
                raise Fault("null structure")
            return None
        kind = p.kind
        t = type(data)
        if kind == K_USER:
            return self.user(data, p.element)
        if kind == K_INTEGER:
            if t is int and p.low <= data <= p.high:
                return data
            if t is int:
                raise Fault(f"value {data} out of range for {type(p).__name__}")
            raise _mismatch(data, p)
        if kind == K_FLOAT:
            if t is float:
                return data
            if t is int:
                return float(data)
            raise _mismatch(data, p)
        if kind == K_UNICODE:
            if t is str:
                if p.length and len(data) != p.length:
                    raise Fault(f"expected {p.length} character, got {len(data)}")
                return data
            raise _mismatch(data, p)
        if kind == K_BOOLEAN:
            if t is bool:
                return data
            raise _mismatch(data, p)
        if kind == K_VECTOR:
            if t is list:
                return self.sequence(data, p.element)
            raise _mismatch(data, p)
        if kind == K_ANY:
            return self.any(data)
        if kind == K_MAP:
            if t is list:
                return self.mapping(data, p)
            raise _mismatch(data, p)
        if kind == K_ARRAY:
            if t is list:
                return self.array(data, p)
            raise _mismatch(data, p)
        if kind == K_SET:
            if t is list:
                try:
                    return set(self.sequence(data, p.element))
                except TypeError as e:
                    raise Fault(str(e)) from None
            raise _mismatch(data, p)
        if kind == K_DEQUE:
            if t is list:
                return _deque(self.sequence(data, p.element))
            raise _mismatch(data, p)
        if kind == K_ENUM:
            if t is str:
                member = p.element._member_map_.get(data)  # Enum[name] without its Python frame
                if member is None:
                    raise Fault(f'undefined enum "{p.element.__name__}.{data}"')
                return member
            raise _mismatch(data, p)
        if kind == K_STRING:
            if t is bytes:
                b = data
            elif t is str:
                try:
                    b = data.encode("latin-1")
                except UnicodeEncodeError:
                    raise Fault("character out of byte range") from None
            else:
                raise _mismatch(data, p)
            if p.length and len(b) != p.length:
                raise Fault(f"expected {p.length} byte, got {len(b)}")
            return b
        if kind == K_BLOCK:
            if t is bytes:
                return bytearray(data)
            if t is str:
                try:
                    return bytearray(base64.b64decode(data, validate=True))
                except (binascii.Error, ValueError) as e:
                    raise Fault(f"bad base64 ({e})") from None
            raise _mismatch(data, p)
        if kind == K_CLOCK or kind == K_SPAN:  # noqa: PLR1714, SIM109 - C int compares when compiled
            if t is float:
                return data
            if t is int:
                return float(data)
            if t is str:
                try:
                    if kind == K_SPAN:
                        return _text.text_to_span(data)
                    return _text.text_to_clock(data)
                except ValueError as e:
                    raise Fault(str(e)) from None
            raise _mismatch(data, p)
        if kind == K_WORLD:
            if t is str:
                try:
                    return _text.text_to_world(data)
                except ValueError as e:
                    raise Fault(str(e)) from None
            raise _mismatch(data, p)
        if kind == K_DELTA:
            if t is str:
                try:
                    return _text.text_to_delta(data)
                except ValueError as e:
                    raise Fault(str(e)) from None
            raise _mismatch(data, p)
        if kind == K_UUID:
            try:
                if t is str:
                    return _UUIDType(data)
                if t is bytes:
                    return _UUIDType(bytes=data)
            except ValueError as e:
                raise Fault(f"bad UUID ({e})") from None
            raise _mismatch(data, p)
        if kind == K_POINTER:
            return self.pointer(data, p.element)
        if kind == K_ADDRESS:
            return self.address(data)
        if kind == K_TYPE:
            return self.type_value(data)
        if kind == K_WORD:
            return data
        raise _mismatch(data, p)

    def user(self, data: object, cls: type) -> object:
        if type(data) is not dict:
            raise Fault(f"no transform {type(data).__name__}/UserDefined({cls.__name__})")
        spec = _spec_of(cls)
        obj = cls()
        self.fill(obj, data, spec)
        return obj

    def fill(self, obj: object, data: dict, spec: object) -> None:
        for name, fp in spec.fields:
            d = data.get(name)
            if d is None:
                if name in data and fp.structural:
                    f = Fault("null structure")
                    f.path.append(name)
                    raise f
                continue  # absent or null: the constructor's default stands
            t = type(d)
            kind = fp.kind
            if (
                (kind == K_INTEGER and t is int and fp.low <= d <= fp.high)
                or (kind == K_FLOAT and t is float)
                or (kind == K_UNICODE and t is str and not fp.length)
                or (kind == K_BOOLEAN and t is bool)
            ):
                setattr(obj, name, d)
            else:
                try:
                    setattr(obj, name, self.convert(d, fp))
                except Fault as f:
                    f.path.append(name)
                    raise

    def sequence(self, data: list, element: object) -> list:
        kind = element.kind
        if kind == K_FLOAT:
            for x in data:
                if type(x) is not float:
                    break
            else:
                return data
        elif kind == K_INTEGER:
            for x in data:
                if type(x) is not int:
                    break
            else:
                if not data or (element.low <= min(data) and max(data) <= element.high):
                    return data
        elif kind == K_UNICODE and not element.length:
            for x in data:
                if type(x) is not str:
                    break
            else:
                return data
        out = []
        i = 0
        try:
            for x in data:
                out.append(self.convert(x, element))
                i += 1
        except Fault as f:
            f.path.append(f"[{i}]")
            raise
        return out

    def array(self, data: list, p: object) -> list:
        size = p.size
        out = self.sequence(data[:size], p.element)
        if out is data:
            out = list(out)
        while len(out) < size:
            out.append(default_of(p.element))
        return out

    def mapping(self, data: list, p: object) -> dict:
        i = 0
        key = p.key
        item = p.value
        out = {}
        try:
            for pair in data:
                if type(pair) is not list or len(pair) != 2:
                    raise Fault(f"no transform {type(pair).__name__}/map pair")
                out[self.convert(pair[0], key)] = self.convert(pair[1], item)
                i += 1
        except Fault as f:
            f.path.append(f"[{i}]")
            raise
        except TypeError as e:  # unhashable key
            raise Fault(str(e)) from None
        return out

    def any(self, data: object) -> object:
        if type(data) is not list or len(data) != 3 or type(data[0]) is not str:
            raise Fault(f"no transform {type(data).__name__}/Any")
        signature = data[0]
        p = _SIGNATURES.get(signature)  # an installed type: what resolve_signature finds first
        if p is None:
            try:
                p = resolve_signature(signature)
            except ValueError as e:
                raise Fault(str(e)) from None
        if p is None:
            return self.incognito(signature, data[1], data[2])
        if p.kind == K_USER:
            cls = p.element
            spec = SPECS.get(cls)  # a dict lookup; _spec_of reads the class's own __dict__
            if spec is None:
                spec = _spec_of(cls)
            body = data[1]
            if type(body) is not dict:
                raise Fault(f"no transform {type(body).__name__}/UserDefined({cls.__name__})")
            obj = cls()
            self.fill(obj, body, spec)
            return obj
        return (self.convert(data[1], p), p)

    def incognito(self, signature: str, word: object, aliases: object) -> Incognito:
        saved = []
        if aliases and self.table is not None and type(aliases) is list:
            for alias in aliases:
                key = alias.n if type(alias) is PointerRef else alias
                if key in self.table:
                    saved.append([alias, self.localize(self.table[key])])
        return Incognito(signature, self.localize(word), saved, [])

    def localize(self, word: object) -> object:
        """Addresses inside an unknown type's raw data, rewritten like typed ones (msgpack
        arrays decode as lists, so a tuple there is always an address)."""
        if self.address_in is None:
            return word
        t = type(word)
        if t is tuple or t is LocalAddress:
            return self.address_in(word)
        if t is list:
            return [self.localize(x) for x in word]
        if t is dict:
            return {k: self.localize(v) for k, v in word.items()}
        return word

    def pointer(self, data: object, element: object) -> object:
        t = type(data)
        if t is PointerRef:
            key = data.n
        elif t is str:
            key = data
        else:
            raise Fault(f"no transform {t.__name__}/PointerTo")
        if self.cache is None:
            self.cache = {}
        elif key in self.cache:
            return self.cache[key]
        if self.table is None or key not in self.table:
            raise Fault("dangling pointer")
        raw = self.table[key]
        kind = element.kind
        # Containers are registered before their contents are decoded, so cycles close.
        if kind == K_USER:
            cls = element.element
            if type(raw) is not dict:
                raise Fault(f"no transform {type(raw).__name__}/UserDefined({cls.__name__})")
            obj = cls()
            self.cache[key] = obj
            self.fill(obj, raw, _spec_of(cls))
            return obj
        if kind == K_VECTOR and type(raw) is list:
            out: list = []
            self.cache[key] = out
            out.extend(self.sequence(raw, element.element))
            return out
        if kind == K_MAP and type(raw) is list:
            d: dict = {}
            self.cache[key] = d
            d.update(self.mapping(raw, element))
            return d
        value = self.convert(raw, element)
        self.cache[key] = value
        return value

    def address(self, data: object) -> object:
        if not isinstance(data, (tuple, list)):
            raise Fault(f"no transform {type(data).__name__}/Address")
        for x in data:
            if type(x) is not int or x < 0:
                raise Fault(f"malformed address {data!r}")
        if self.address_in is not None:
            return self.address_in(data)  # the transport's rewrite to local form
        return data if type(data) is tuple else tuple(data)

    def type_value(self, data: object) -> object:
        if type(data) is not str:
            raise Fault(f"no transform {type(data).__name__}/Type")
        try:
            p = resolve_signature(data)
        except ValueError:
            p = None
        if p is None or p.kind != K_USER:
            raise Fault(f'unknown type "{data}"')
        return p
