"""Python type hints to portables (``def_type``) and back-references to bound classes."""

from __future__ import annotations

import collections
import datetime
import enum
import types
import typing
import uuid

from ._errors import PointConstructionError
from ._portable import (
    SIMPLE_PORTABLES,
    Block,
    Boolean,
    DequeOf,
    Enumeration,
    Float8,
    Integer8,
    MapOf,
    Portable,
    SetOf,
    String,
    TimeDelta,
    Unicode,
    UserDefined,
    VectorOf,
    WorldTime,
    install,
)
from ._portable import UUID as _UUID

__all__ = ["def_type", "hint_to_portable"]

_SCALARS: dict[object, type[Portable]] = {
    bool: Boolean,
    int: Integer8,
    float: Float8,
    str: Unicode,
    bytes: String,
    bytearray: Block,
    datetime.datetime: WorldTime,
    datetime.timedelta: TimeDelta,
    uuid.UUID: _UUID,
}

_SEQUENCES: dict[object, type[Portable]] = {
    list: VectorOf,
    typing.List: VectorOf,  # noqa: UP006 - old-style hints are still accepted
    set: SetOf,
    frozenset: SetOf,
    typing.Set: SetOf,  # noqa: UP006
    collections.deque: DequeOf,
    typing.Deque: DequeOf,  # noqa: UP006
}

_LEFT_OUT = (typing.Any, None, type(None), object)

_UNION_TYPES: tuple[object, ...] = (typing.Union, getattr(types, "UnionType", typing.Union))


def hint_to_portable(hint: object) -> Portable | None:
    """Convert a hint or portable; None for hints that leave a parameter out of a schema."""
    if isinstance(hint, Portable):
        return install(hint)
    if any(hint is x for x in _LEFT_OUT):
        return None
    scalar = _SCALARS.get(hint)  # type: ignore[call-overload]
    if scalar is not None:
        return install(scalar())
    if isinstance(hint, type):
        if issubclass(hint, Portable):
            if hint in SIMPLE_PORTABLES.values():
                return install(hint())
            raise PointConstructionError(
                f'cannot convert hint "{hint.__name__}" (container needs an instance)'
            )
        if issubclass(hint, enum.Enum):
            return install(Enumeration(hint))
        if hint in _SEQUENCES or hint is dict:
            raise PointConstructionError(f'cannot convert hint "{hint.__name__}" (no element type)')
        return install(UserDefined(hint))
    origin = typing.get_origin(hint)
    if origin is not None:
        args = typing.get_args(hint)
        if origin in _UNION_TYPES:
            members = [a for a in args if a is not type(None)]
            return hint_to_portable(members[0]) if members else None
        container = _SEQUENCES.get(origin)
        if container is not None and len(args) == 1:
            return install(container(_required(args[0], hint)))
        if origin is dict and len(args) == 2:
            return install(MapOf(_required(args[0], hint), _required(args[1], hint)))
    raise PointConstructionError(f'cannot convert hint "{_hint_text(hint)}"')


def _required(hint: object, whole: object) -> Portable:
    p = hint_to_portable(hint)
    if p is None:
        raise PointConstructionError(f'cannot convert hint "{_hint_text(whole)}"')
    return p


def _hint_text(hint: object) -> str:
    if isinstance(hint, type):
        return hint.__qualname__
    return str(hint).replace("typing.", "")


def def_type(hint: object) -> Portable:
    """Register a type expression (hint or portable) and return its canonical portable.

    Raises:
        PointConstructionError: the expression names no encodable type.
    """
    p = hint_to_portable(hint)
    if p is None:
        raise PointConstructionError(f'cannot convert hint "{_hint_text(hint)}"')
    return p
