"""The type of a raw value, inferred when it must be encoded (compat §2.1).

Objects without a declared return type return exactly what they returned (``3``, ``[1, 2]``,
an ``Ack``). Only when such a value is encoded (process output, files, the wire, ``Any``
fields) or unrolled by ``cast_back``/``on_return`` is its portable inferred:
``bool``→boolean, ``int``→integer8, ``float``→float8, ``str``→unicode, ``bytes``→string,
``bytearray``→block, ``datetime``→world, ``timedelta``→delta, ``UUID``→uuid, other plain
JSON data → word; a list or tuple holding messages → ``vector<any>``, a dict with text keys
holding messages → ``map<unicode,any>`` (their elements inferred in turn).
"""

from __future__ import annotations

import datetime
import uuid

from ._portable import (
    UUID,
    Any,
    Block,
    Boolean,
    Float8,
    Integer8,
    MapOf,
    Portable,
    String,
    TimeDelta,
    Unicode,
    VectorOf,
    Word,
    WorldTime,
    install,
)
from ._registry import SPECS

__all__ = ["infer_portable", "infer_cast"]

_SCALARS: dict[type, Portable] = {
    bool: install(Boolean()),
    int: install(Integer8()),
    float: install(Float8()),
    str: install(Unicode()),
    bytes: install(String()),
    bytearray: install(Block()),
    datetime.datetime: install(WorldTime()),
    datetime.timedelta: install(TimeDelta()),
    uuid.UUID: install(UUID()),
}
_WORD = install(Word())
_VECTOR_ANY = install(VectorOf(Any()))
_MAP_ANY = install(MapOf(Unicode(), Any()))


def _plain(value: object, depth: int = 0) -> bool:
    """Whether ``value`` is plain JSON data (None, bool, int, float, str, lists, text-keyed
    dicts)."""
    if depth > 64:
        return False
    if value is None or type(value) in (bool, int, float, str):
        return True
    if type(value) in (list, tuple):
        return all(_plain(v, depth + 1) for v in value)  # type: ignore[attr-defined]
    if type(value) is dict:
        return all(
            type(k) is str and _plain(v, depth + 1)
            for k, v in value.items()  # type: ignore[attr-defined]
        )
    return False


def _cast(value: object) -> bool:
    return type(value) is tuple and len(value) == 2 and isinstance(value[1], Portable)  # type: ignore[arg-type]


def infer_portable(value: object) -> Portable | None:
    """The portable a raw (unregistered, uncast) value is encoded as, or None."""
    p = _SCALARS.get(type(value))
    if p is not None:
        return p
    if _plain(value):
        return _WORD
    if type(value) in (list, tuple) and all(
        v is None or type(v) in SPECS or _cast(v) or infer_portable(v) is not None
        for v in value  # type: ignore[attr-defined]
    ):
        return _VECTOR_ANY
    if type(value) is dict and all(
        type(k) is str and (v is None or type(v) in SPECS or _cast(v) or infer_portable(v))
        for k, v in value.items()  # type: ignore[attr-defined]
    ):
        return _MAP_ANY
    return None


def infer_cast(value: object) -> object:
    """A value as a message: instances, casts and None unchanged; a raw value cast to its
    inferred portable (unchanged when none can be inferred; encoding then reports it)."""
    if value is None or type(value) in SPECS or _cast(value):
        return value
    p = infer_portable(value)
    if p is None:
        return value
    if p is _VECTOR_ANY and type(value) is tuple:
        value = list(value)  # type: ignore[call-overload]
    return (value, p)
