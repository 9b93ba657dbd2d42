"""Values built from a type: empty (``make``), sample (``fake``), and structural equality
(``equal_to``), as layer-cake 0.1 provided them (compat §3.5).

All three walk a portable by its ``kind``. Hints and classes are accepted too (converted
first); anything else is refused with layer-cake 0.1's registration error.
"""

from __future__ import annotations

import uuid
from collections import deque
from datetime import datetime, timedelta, timezone

from ._errors import MessageRegistrationError, PointConstructionError
from ._hints import def_type
from ._portable import (
    K_ADDRESS,
    K_ANY,
    K_ARRAY,
    K_BLOCK,
    K_BOOLEAN,
    K_CLOCK,
    K_DELTA,
    K_DEQUE,
    K_ENUM,
    K_FLOAT,
    K_INTEGER,
    K_MAP,
    K_POINTER,
    K_SET,
    K_SPAN,
    K_STRING,
    K_UNICODE,
    K_USER,
    K_UUID,
    K_VECTOR,
    K_WORLD,
    Portable,
)
from ._registry import SPECS

__all__ = ["make", "fake", "equal_to", "set_sample_message"]

#: The sample world time of ``fake`` (aware, so that it encodes).
_FAKE_WORLD = datetime(1963, 3, 26, tzinfo=timezone.utc)
_FAKE_ADDRESS = (12, 10, 15, 14)
#: The class ``fake(Any)`` instantiates: a message of a layer above (the runtime sets its
#: ``Ack``, ``set_sample_message``); types import nothing above them.
_SAMPLE_MESSAGE: list = [None]


def set_sample_message(cls: type) -> None:
    """Make ``cls()`` the sample value of ``Any`` (called by the runtime with ``Ack``)."""
    _SAMPLE_MESSAGE[0] = cls


def _portable(t: object) -> Portable:
    if isinstance(t, Portable):
        return t
    try:
        return def_type(t)
    except (PointConstructionError, TypeError):
        raise MessageRegistrationError(
            f"registration failed (non-memory type presented for construction - {t})"
        ) from None


def make(t: object) -> object:
    """The empty value of a type: None for scalars, empty containers, ``C()`` for classes.

    ``ArrayOf(X, n)`` gives ``n`` empty values of ``X``.

    Raises:
        MessageRegistrationError: ``t`` is not a type.
    """
    p = _portable(t)
    k = p.kind
    if k == K_VECTOR:
        return []
    if k == K_MAP:
        return {}
    if k == K_SET:
        return set()
    if k == K_DEQUE:
        return deque()
    if k == K_ARRAY:
        return [make(p.element) for _ in range(p.size)]  # type: ignore[attr-defined]
    if k == K_USER:
        return p.element()  # type: ignore[attr-defined]
    return None


def fake(t: object) -> object:
    """A sample value of a type: ``0``, ``'CAFE'``, one-element containers, classes with every
    field faked. An ``Any`` gives ``Ack()``; an address ``(12, 10, 15, 14)``.

    Raises:
        MessageRegistrationError: ``t`` is not a type.
    """
    return _fake(_portable(t), set())


def _fake(p: Portable, bread: set) -> object:
    k = p.kind
    if k == K_BOOLEAN:
        return False
    if k == K_INTEGER:
        return 0
    if k == K_FLOAT:
        return 0.0
    if k == K_UNICODE:
        return "C" if p.length == 1 else "CAFE"
    if k == K_STRING:
        return b"c" if p.length == 1 else b"CAFE"
    if k == K_BLOCK:
        return bytearray(b"\x0c\n\x0f\x0e")
    if k == K_CLOCK:
        return datetime(1963, 3, 26).timestamp()  # local midnight
    if k == K_SPAN:
        return 0.5
    if k == K_WORLD:
        return _FAKE_WORLD
    if k == K_DELTA:
        return timedelta(seconds=0.5)
    if k == K_UUID:
        return uuid.uuid4()
    if k == K_ENUM:
        return next(iter(p.element))  # type: ignore[attr-defined]
    if k == K_VECTOR:
        return [_fake(p.element, bread)]  # type: ignore[attr-defined]
    if k == K_ARRAY:
        return [_fake(p.element, bread) for _ in range(p.size)]  # type: ignore[attr-defined]
    if k == K_DEQUE:
        return deque([_fake(p.element, bread)])  # type: ignore[attr-defined]
    if k == K_SET:
        return {_fake(p.element, bread)}  # type: ignore[attr-defined]
    if k == K_MAP:
        return {_fake(p.key, bread): _fake(p.value, bread)}  # type: ignore[attr-defined]
    if k == K_USER:
        return _fake_instance(p.element, bread)  # type: ignore[attr-defined]
    if k == K_POINTER:
        return _fake(p.element, bread)  # type: ignore[attr-defined]
    if k == K_ADDRESS:
        return _FAKE_ADDRESS
    if k == K_ANY:
        cls = _SAMPLE_MESSAGE[0]
        return None if cls is None else cls()
    return None


def _fake_instance(cls: type, bread: set) -> object:
    value = cls()
    if cls in bread:  # a class reached again through its own fields: stop at its default
        return value
    spec = SPECS.get(cls)
    if spec is None:
        return value
    bread.add(cls)
    try:
        for name, fp in spec.fields:
            setattr(value, name, _fake(fp, bread))
    finally:
        bread.discard(cls)
    return value


def equal_to(a: object, b: object, t: object = None, bread: dict | None = None) -> bool:
    """Structural equality of two values, by type ``t`` when given.

    Without ``t``: when ``b`` is a message, ``a`` must be an instance of ``b``'s class and the
    fields are compared by its schema; when ``b`` is a portable, signatures are compared;
    otherwise ``a == b``. Sequences compare element-wise in order, sets by ``==``, maps by keys
    then values, pointers are followed once (cycles are safe).
    """
    if bread is None:
        bread = {}
    if t is None:
        spec = SPECS.get(type(b))
        if spec is not None:
            return _equal(a, b, spec.portable, bread)  # type: ignore[arg-type]
        if isinstance(b, Portable):
            return isinstance(a, Portable) and a.signature() == b.signature()
        return a == b
    return _equal(a, b, _portable(t), bread)


def _equal(a: object, b: object, p: Portable, bread: dict) -> bool:
    k = p.kind
    if k in (K_VECTOR, K_ARRAY, K_DEQUE):
        if not isinstance(a, (list, tuple, deque)) or not isinstance(b, (list, tuple, deque)):
            return False
        if len(a) != len(b):
            return False
        e = p.element  # type: ignore[attr-defined]
        return all(_equal(x, y, e, bread) for x, y in zip(a, b, strict=True))
    if k == K_MAP:
        if not isinstance(a, dict) or not isinstance(b, dict):
            return False
        if a.keys() != b.keys():
            return False
        v = p.value  # type: ignore[attr-defined]
        return all(_equal(a[key], b[key], v, bread) for key in a)
    if k == K_USER:
        cls = p.element  # type: ignore[attr-defined]
        if not isinstance(a, cls) or not isinstance(b, cls):
            return False
        spec = SPECS.get(cls)
        if spec is None:
            return a == b
        missing = object()
        for name, fp in spec.fields:
            x = getattr(a, name, missing)
            y = getattr(b, name, missing)
            if x is missing or y is missing:
                return False
            if not _equal(x, y, fp, bread):
                return False
        return True
    if k == K_POINTER:
        key = (id(a), id(b))
        if key in bread:  # already being compared further up: a cycle
            return True
        bread[key] = (a, b)  # keep both alive so their ids stay theirs
        return _equal(a, b, p.element, bread)  # type: ignore[attr-defined]
    if k == K_ANY:
        spec = SPECS.get(type(b))
        if spec is not None:
            return _equal(a, b, spec.portable, bread)  # type: ignore[arg-type]
        return a == b
    return a == b
