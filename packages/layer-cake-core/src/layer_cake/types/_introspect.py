"""Type introspection of layer-cake 0.1: look-ups, installs, predicates (compat §3.3, §3.4).

The type system itself lives in ``_portable``, ``_hints`` and ``_registry``; these are the
names old programs used to reach it. ``lookup_*`` never installs a type: it computes the
signature of the expression and asks the table.
"""

from __future__ import annotations

import collections
import enum
import typing

from .._refused import refused_function
from ._errors import MessageRegistrationError, PointConstructionError, TypeTrack
from ._hints import _SCALARS, _SEQUENCES, _UNION_TYPES, def_type
from ._message import resolve_signature
from ._portable import (
    SIMPLE_PORTABLES,
    UUID,
    Address,
    Any,
    ArrayOf,
    Block,
    Boolean,
    Byte,
    Character,
    ClockTime,
    Container,
    DequeOf,
    Enumeration,
    Float4,
    Float8,
    Integer2,
    Integer4,
    Integer8,
    MapOf,
    PointerTo,
    Portable,
    Rune,
    SetOf,
    String,
    TargetAddress,
    TimeDelta,
    TimeSpan,
    Type,
    Unicode,
    Unsigned2,
    Unsigned4,
    Unsigned8,
    UserDefined,
    VectorOf,
    Word,
    WorldTime,
    install,
)
from ._portable import lookup_signature as _exact_signature
from ._registry import SPECS, _schema

__all__ = [
    "TypeType",
    "NoneType",
    "deque",
    "Message",
    "VIRTUAL_MEMORY_LIST",
    "VIRTUAL_MEMORY_SET",
    "lookup_type",
    "install_type",
    "lookup_signature",
    "lookup_hint",
    "lookup_portable",
    "install_hint",
    "install_portable",
    "install_hints",
    "convert_hint",
    "convert_portable",
    "fix_expression",
    "compile_schema",
    "type_schema",
    "un_cast",
    "from_any",
    "is_message",
    "is_message_class",
    "is_portable",
    "is_portable_class",
    "is_container",
    "is_container_class",
    "is_structural",
    "is_address",
    "address_on_proxy",
    "correct_track",
    "type_to_text",
    "text_to_type",
]

TypeType = type
NoneType = type(None)
deque = collections.deque


class Message:
    """An empty marker base for message classes (layer-cake 0.1); binding does not need it."""


#: The library type classes, in layer-cake 0.1's order.
VIRTUAL_MEMORY_LIST: list[type[Portable]] = [
    Boolean,
    Integer2,
    Integer4,
    Integer8,
    Unsigned2,
    Unsigned4,
    Unsigned8,
    Float4,
    Float8,
    Byte,
    Character,
    Rune,
    String,
    Unicode,
    Block,
    Enumeration,
    ClockTime,
    TimeSpan,
    WorldTime,
    TimeDelta,
    UUID,
    UserDefined,
    ArrayOf,
    VectorOf,
    DequeOf,
    SetOf,
    MapOf,
    PointerTo,
    Any,
    TargetAddress,
    Address,
    Type,
    Word,
]
VIRTUAL_MEMORY_SET: set[type[Portable]] = set(VIRTUAL_MEMORY_LIST)

_ANY = install(Any())


# Look-ups and installs -------------------------------------------------------------------------


def _expression_signature(t: object) -> str:
    """The signature ``def_type(t)`` would install, computed without installing anything."""
    if isinstance(t, Portable):
        return t.signature()
    try:
        scalar = _SCALARS.get(t)  # type: ignore[call-overload]
    except TypeError:  # unhashable
        scalar = None
    if scalar is not None:
        return scalar().signature()
    if isinstance(t, type):
        if issubclass(t, Portable):
            if t in SIMPLE_PORTABLES.values():
                return t().signature()
        elif issubclass(t, enum.Enum):
            return Enumeration(t).signature()
        elif t not in _SEQUENCES and t is not dict:
            return UserDefined(t).signature()
    origin = typing.get_origin(t)
    if origin is not None:
        args = typing.get_args(t)
        if origin in _UNION_TYPES:
            members = [a for a in args if a is not type(None)]
            if members:
                return _expression_signature(members[0])
        container = _SEQUENCES.get(origin)
        if container is not None and len(args) == 1:
            return f"{container.name}<{_expression_signature(args[0])}>"
        if origin is dict and len(args) == 2:
            return f"map<{_expression_signature(args[0])},{_expression_signature(args[1])}>"
    return def_type(t).signature()  # raises the usual PointConstructionError


def lookup_type(t: object) -> Portable:
    """The installed portable for a hint, class or portable (``int`` -> integer8).

    Raises:
        PointConstructionError: ``portable "<signature>" was not loaded`` (not installed yet).
    """
    signature = _expression_signature(t)
    p = _exact_signature(signature)
    if p is None:
        raise PointConstructionError(f'portable "{signature}" was not loaded')
    return p


def install_type(t: object) -> Portable:
    """Install a type expression and return its canonical portable (as ``def_type``)."""
    return def_type(t)


def lookup_signature(s: str) -> Portable | None:
    """The portable named by a signature, or None (unknown or malformed; no exception)."""
    try:
        return resolve_signature(s)
    except ValueError:
        return None


def lookup_hint(t: object) -> Portable:
    """``lookup_type`` for a hint.

    Raises:
        PointConstructionError: ``t`` is a portable, or its type was not loaded.
    """
    if isinstance(t, Portable):
        raise PointConstructionError(f"cannot look up {t!r} (not a hint)")
    return lookup_type(t)


def lookup_portable(t: object) -> Portable:
    """``lookup_type`` for a portable.

    Raises:
        PointConstructionError: ``t`` is not a portable, or its type was not loaded.
    """
    if not isinstance(t, Portable):
        raise PointConstructionError(f"cannot look up {t!r} (not a portable)")
    return lookup_type(t)


def install_hint(t: object) -> Portable:
    """``install_type`` for a hint."""
    if isinstance(t, Portable):
        raise PointConstructionError(f"cannot install {t!r} (not a hint)")
    return def_type(t)


def install_portable(t: object) -> Portable:
    """``install_type`` for a portable."""
    if not isinstance(t, Portable):
        raise PointConstructionError(f"cannot install {t!r} (not a portable)")
    return def_type(t)


def install_hints(hints: dict[str, object]) -> tuple[dict[str, Portable], Portable | None]:
    """``({name: portable}, return portable or None)`` of a function's ``__annotations__``."""
    schema = {n: def_type(h) for n, h in hints.items() if n != "return"}
    returned = hints.get("return")
    return schema, (def_type(returned) if returned is not None else None)


def fix_expression(a: object, bread: object = None) -> Portable:
    """Normalise a type expression (hint, simple portable class, portable) to a portable."""
    return def_type(a)


convert_hint = refused_function("convert_hint")
convert_portable = refused_function("convert_portable")


def compile_schema(message: type, explicit_schema: dict[str, object] | None) -> dict[str, Portable]:
    """``{field: portable}`` of a class, from its hints and defaults plus explicit entries.

    Raises:
        MessageRegistrationError: a field without type information, or no default instance.
    """
    try:
        default = message()
    except Exception as e:
        raise MessageRegistrationError(
            f'cannot register "{message.__qualname__}" (not default-constructible: {e})'
        ) from None
    return dict(_schema(message, default, dict(explicit_schema or {})))


def type_schema(p: object) -> dict[str, Portable] | None:
    """``{name: portable}`` of a bound message class, routine or machine; None if unbound."""
    if isinstance(p, UserDefined):
        p = p.element
    obj = getattr(p, "__lc_object__", None)
    if obj is not None and getattr(obj, "target", None) is p:
        return dict(obj.schema)
    spec = SPECS.get(p) if isinstance(p, type) else None  # type: ignore[call-overload]
    if spec is not None:
        return dict(spec.fields)
    return None


def _is_cast(m: object) -> bool:
    return type(m) is tuple and len(m) == 2 and isinstance(m[1], Portable)  # type: ignore[arg-type]


def un_cast(message: object) -> tuple[object, Portable, object]:
    """``(value, portable, runtime-or-None)`` of a message; a raw value's type is inferred.

    The runtime record of a class instance is its ``MessageSpec`` (``path``, ``schema``).

    Raises:
        ValueError: ``cannot unroll <value>`` (no type can be inferred).
    """
    if message is None:
        return (None, _ANY, None)
    spec = SPECS.get(type(message))
    if spec is not None:
        return (message, spec.portable, getattr(type(message), "__art__", spec))  # type: ignore[return-value]
    if _is_cast(message):
        return (message[0], message[1], None)  # type: ignore[index]
    from ._infer import infer_portable

    p = infer_portable(message)
    if p is None:
        raise ValueError(f"cannot unroll {message!r}")
    return (message, p, None)


def from_any(v: object) -> object:
    """The value of a cast pair (``(3, Integer8())`` -> 3); anything else unchanged."""
    if _is_cast(v):
        return v[0]  # type: ignore[index]
    return v


# Predicates ----------------------------------------------------------------------------------


def is_message(m: object) -> bool:
    """An instance of a class bound as a message."""
    return type(m) in SPECS


def is_message_class(c: object) -> bool:
    """A class bound as a message."""
    return isinstance(c, type) and c in SPECS


def is_portable(a: object) -> bool:
    """A portable instance (``Integer8()``; not the class)."""
    return isinstance(a, Portable)


def is_portable_class(c: object) -> bool:
    """A portable class (``Integer8``)."""
    return isinstance(c, type) and issubclass(c, Portable)


def is_container(a: object) -> bool:
    """A vector, array, deque, set, map, class or pointer portable."""
    return isinstance(a, Container)


def is_container_class(c: object) -> bool:
    """A container portable class."""
    return isinstance(c, type) and issubclass(c, Container)


def is_structural(a: object) -> bool:
    """A container other than a pointer."""
    return isinstance(a, Container) and not isinstance(a, PointerTo)


def is_address(a: object) -> bool:
    """A non-empty tuple (the form of every address)."""
    return isinstance(a, tuple) and len(a) > 0


def address_on_proxy(a: tuple, p: tuple) -> bool:
    """True when ``a`` is a remote address reached through proxy ``p``.

    Here a remote address is the proxy's element followed by the address beyond it
    (layer-cake 0.1 kept the proxy at the other end of the tuple).
    """
    return len(p) == 1 and len(a) > 1 and a[0] == p[0]


def correct_track(e: TypeTrack) -> str:
    """The dotted path of a ``TypeTrack``, outermost first (``a.rows[2]``)."""
    text = ""
    for step in reversed(e.path):
        if isinstance(step, int):
            text += f"[{step}]"
        else:
            text = f"{text}.{step}" if text else str(step)
    return text


# Type text -----------------------------------------------------------------------------------


def type_to_text(s: object) -> str:
    """The signature of a portable, hint or class (``UserDefined(Xy)`` -> ``'__main__.Xy'``)."""
    if isinstance(s, Portable):
        return s.signature()
    return def_type(s).signature()


def text_to_type(t: str) -> Portable | None:
    """The portable for a signature, or None when unknown (no exception)."""
    return lookup_signature(t)
