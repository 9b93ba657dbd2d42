"""Portables: the library's description of a type, with its signature and tag.

Each portable carries a small integer ``kind`` that the codecs switch on (no isinstance
chains on the hot path). Portables compare and hash by signature; ``install`` keeps one
canonical instance per signature in a process-wide table, so codecs can cache per portable.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

__all__ = [
    "Portable",
    "Container",
    "Boolean",
    "Integer2",
    "Integer4",
    "Integer8",
    "Unsigned2",
    "Unsigned4",
    "Unsigned8",
    "Float4",
    "Float8",
    "Byte",
    "Character",
    "Rune",
    "Block",
    "String",
    "Unicode",
    "Enumeration",
    "ClockTime",
    "TimeSpan",
    "WorldTime",
    "TimeDelta",
    "UUID",
    "ArrayOf",
    "VectorOf",
    "DequeOf",
    "SetOf",
    "MapOf",
    "UserDefined",
    "PointerTo",
    "Any",
    "Address",
    "TargetAddress",
    "Type",
    "Word",
    "install",
    "installed",
    "lookup_signature",
    "class_path",
    "SIMPLE_PORTABLES",
    "K_BOOLEAN",
    "K_INTEGER",
    "K_FLOAT",
    "K_UNICODE",
    "K_STRING",
    "K_BLOCK",
    "K_ENUM",
    "K_CLOCK",
    "K_SPAN",
    "K_WORLD",
    "K_DELTA",
    "K_UUID",
    "K_VECTOR",
    "K_ARRAY",
    "K_SET",
    "K_MAP",
    "K_DEQUE",
    "K_USER",
    "K_POINTER",
    "K_ANY",
    "K_ADDRESS",
    "K_TYPE",
    "K_WORD",
]

# Kinds, switched on by the codecs; the numbers are private and may change.
K_BOOLEAN = 1
K_INTEGER = 2
K_FLOAT = 3
K_UNICODE = 4
K_STRING = 5
K_BLOCK = 6
K_ENUM = 7
K_CLOCK = 8
K_SPAN = 9
K_WORLD = 10
K_DELTA = 11
K_UUID = 12
K_VECTOR = 13
K_ARRAY = 14
K_SET = 15
K_MAP = 16
K_DEQUE = 17
K_USER = 18
K_POINTER = 19
K_ANY = 20
K_ADDRESS = 21
K_TYPE = 22
K_WORD = 23


def class_path(c: type) -> str:
    """Dotted ``module.Name`` of a class or function."""
    return f"{c.__module__}.{c.__qualname__}"


class Portable:
    """Base of every library type description."""

    __slots__ = ("_signature",)
    kind = 0
    structural = False  # a None value is an error when encoded or decoded
    name = ""  # simple signature name
    tag_name = ""  # simple tag
    length = 0  # for single-character types; 0 = any length

    def signature(self) -> str:
        s = self._signature
        if s is None:
            s = self._signature = self._make_signature()
        return s

    def _make_signature(self) -> str:
        return self.name

    def tag(self) -> str:
        return self.tag_name

    def __init__(self) -> None:
        self._signature = None

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Portable) and other.signature() == self.signature()

    def __hash__(self) -> int:
        return hash(self.signature())

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.signature()}>"


def _simple(cls_name: str, kind: int, name: str, tag: str, length: int = 0) -> type[Portable]:
    return type(
        cls_name,
        (Portable,),
        {"__slots__": (), "kind": kind, "name": name, "tag_name": tag, "length": length},
    )


class _Integer(Portable):
    __slots__ = ()
    kind = K_INTEGER
    low = -(2**63)
    high = 2**63 - 1


def _integer(cls_name: str, name: str, tag: str, low: int, high: int) -> type[Portable]:
    return type(
        cls_name,
        (_Integer,),
        {"__slots__": (), "name": name, "tag_name": tag, "low": low, "high": high},
    )


Boolean = _simple("Boolean", K_BOOLEAN, "boolean", "bool")
Integer2 = _integer("Integer2", "integer2", "integer2", -(2**15), 2**15 - 1)
Integer4 = _integer("Integer4", "integer4", "integer4", -(2**31), 2**31 - 1)
Integer8 = _integer("Integer8", "integer8", "int", -(2**63), 2**63 - 1)
Unsigned2 = _integer("Unsigned2", "unsigned2", "unsigned2", 0, 2**16 - 1)
Unsigned4 = _integer("Unsigned4", "unsigned4", "unsigned4", 0, 2**32 - 1)
Unsigned8 = _integer("Unsigned8", "unsigned8", "unsigned8", 0, 2**64 - 1)
Byte = _integer("Byte", "byte", "byte", 0, 255)
Float4 = _simple("Float4", K_FLOAT, "float4", "float4")
Float8 = _simple("Float8", K_FLOAT, "float8", "float")
Block = _simple("Block", K_BLOCK, "block", "bytearray")
String = _simple("String", K_STRING, "string", "bytes")
Character = _simple("Character", K_STRING, "character", "character", 1)
Unicode = _simple("Unicode", K_UNICODE, "unicode", "str")
Rune = _simple("Rune", K_UNICODE, "rune", "rune", 1)
ClockTime = _simple("ClockTime", K_CLOCK, "clock", "clock")
TimeSpan = _simple("TimeSpan", K_SPAN, "span", "span")
WorldTime = _simple("WorldTime", K_WORLD, "world", "datetime")
TimeDelta = _simple("TimeDelta", K_DELTA, "delta", "timedelta")
UUID = _simple("UUID", K_UUID, "uuid", "UUID")
Any = _simple("Any", K_ANY, "any", "any")
Address = _simple("Address", K_ADDRESS, "address", "address")
TargetAddress = _simple("TargetAddress", K_ADDRESS, "target", "target")
Type = _simple("Type", K_TYPE, "type", "type")
Word = _simple("Word", K_WORD, "word", "word")

#: Simple (argument-less) portable classes by signature name.
SIMPLE_PORTABLES: dict[str, type[Portable]] = {
    c.name: c
    for c in (
        Boolean,
        Integer2,
        Integer4,
        Integer8,
        Unsigned2,
        Unsigned4,
        Unsigned8,
        Byte,
        Float4,
        Float8,
        Block,
        String,
        Character,
        Unicode,
        Rune,
        ClockTime,
        TimeSpan,
        WorldTime,
        TimeDelta,
        UUID,
        Any,
        Address,
        TargetAddress,
        Type,
        Word,
    )
}


def _element(x: object, what: str) -> Portable:
    """Promote a simple portable class; hints are converted by the hint layer (late import)."""
    if isinstance(x, Portable):
        return install(x)
    from ._hints import def_type  # hints know about bound classes; avoids an import cycle

    return def_type(x)


class Enumeration(Portable):
    """An ``Enum`` subclass; encoded as the member name."""

    __slots__ = ("element",)
    kind = K_ENUM

    def __init__(self, element: type) -> None:
        super().__init__()
        self.element = element

    def _make_signature(self) -> str:
        # Library enums keep their original canonical signature (types-and-encoding §5).
        return getattr(self.element, "__lc_signature__", None) or class_path(self.element)

    def tag(self) -> str:
        return self._make_signature().replace(".", "_")


class Container(Portable):
    """Base of the container portables (vector, array, deque, set, map, class, pointer)."""

    __slots__ = ()


class _Container(Container):
    __slots__ = ("element",)
    structural = True

    def __init__(self, element: object) -> None:
        super().__init__()
        self.element = _element(element, self.name)

    def _make_signature(self) -> str:
        return f"{self.name}<{self.element.signature()}>"

    def tag(self) -> str:
        return f"{self.tag_name}_{self.element.tag()}"


class VectorOf(_Container):
    """``list[X]``."""

    __slots__ = ()
    kind = K_VECTOR
    name = "vector"
    tag_name = "list"


class SetOf(_Container):
    """``set[X]``."""

    __slots__ = ()
    kind = K_SET
    name = "set"
    tag_name = "set"


class DequeOf(_Container):
    """``collections.deque[X]``."""

    __slots__ = ()
    kind = K_DEQUE
    name = "deque"
    tag_name = "deque"


class PointerTo(_Container):
    """A shared reference: encoded once, shared (and possibly cyclic) after decoding."""

    __slots__ = ()
    kind = K_POINTER
    name = "pointer"
    tag_name = "pointer"
    structural = False

    def __init__(self, element: object) -> None:
        super().__init__(element)
        if isinstance(self.element, PointerTo):
            raise TypeError("pointer to pointer is not supported")


class ArrayOf(Container):
    """A fixed-length sequence of ``size`` elements."""

    __slots__ = ("element", "size")
    kind = K_ARRAY
    name = "array"
    structural = True

    def __init__(self, element: object, size: int) -> None:
        super().__init__()
        if not isinstance(size, int) or isinstance(size, bool) or size < 0:
            raise TypeError(f"array size must be a non-negative int, not {size!r}")
        self.element = _element(element, "array")
        self.size = size

    def _make_signature(self) -> str:
        return f"array<{self.element.signature()},{self.size}>"

    def tag(self) -> str:
        return f"array_{self.element.signature()}_{self.size}"


class MapOf(Container):
    """``dict[K, V]``; encoded as ``[key, value]`` pairs so any key type works."""

    __slots__ = ("key", "value")
    kind = K_MAP
    name = "map"
    structural = True

    def __init__(self, key: object, value: object) -> None:
        super().__init__()
        self.key = _element(key, "map")
        self.value = _element(value, "map")

    def _make_signature(self) -> str:
        return f"map<{self.key.signature()},{self.value.signature()}>"

    def tag(self) -> str:
        return f"dict_{self.key.tag()}_{self.value.tag()}"


class UserDefined(Container):
    """A class registered with ``bind``; encoded as an object of its fields."""

    __slots__ = ("element",)
    kind = K_USER
    structural = True

    def __init__(self, element: type) -> None:
        super().__init__()
        if not isinstance(element, type):
            raise TypeError(f"UserDefined needs a class, not {element!r}")
        self.element = element

    def _make_signature(self) -> str:
        spec = self.element.__dict__.get("__lc_message__")
        return spec.signature if spec is not None else class_path(self.element)

    def tag(self) -> str:
        return self.element.__name__


# The canonical table: one portable per signature.
_table: dict[str, Portable] = {}
_table_lock = threading.Lock()


def install(p: Portable) -> Portable:
    """Return the canonical portable for ``p``'s signature, installing ``p`` if it is new."""
    s = p.signature()
    found = _table.get(s)
    if found is not None:
        return found
    with _table_lock:
        return _table.setdefault(s, p)


def lookup_signature(signature: str) -> Portable | None:
    """The installed portable for an exact canonical signature, if any."""
    return _table.get(signature)


#: Importers of the modules the package loads on demand (``layer_cake/__init__`` adds one):
#: their types are registered only once imported, so listing or resolving every type runs
#: them first (issue 13).
_loaders: list[Callable[[], object]] = []


def add_loader(loader: Callable[[], object]) -> None:
    """Run ``loader`` before every type is listed or an unknown library type is resolved."""
    _loaders.append(loader)


def load_everything() -> bool:
    """Run the pending loaders (each once); whether any ran."""
    ran = False
    while _loaders:
        try:
            loader = _loaders.pop()
        except IndexError:  # another thread took the last one
            break
        loader()
        ran = True
    return ran


def installed() -> list[str]:
    """Sorted signatures of every installed type (``--dump-types``)."""
    load_everything()
    return sorted(_table)


def _install_simple() -> None:
    for c in SIMPLE_PORTABLES.values():
        install(c())


_install_simple()
