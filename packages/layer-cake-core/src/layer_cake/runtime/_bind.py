"""Binding objects: routines (``def``/``async def``) and machines, with their dispatch tables.

``bind`` builds everything dispatch needs once: per state a dict from exact type (class, or
portable for cast values) to handler, plus the ordered class list for the ``isinstance``
fallback, whose first result per type is cached in the dict. Handlers are never looked up by
name at dispatch time.
"""

from __future__ import annotations

import datetime
import inspect
import sys
import threading
import typing
import uuid

from ..types._errors import PointConstructionError
from ..types._hints import hint_to_portable
from ..types._message import Unknown
from ..types._portable import Any, Portable, install
from ..types._registry import bind_message
from ._messages import USER_LOG

__all__ = [
    "ObjectSpec",
    "DispatchTable",
    "object_spec",
    "bind",
    "bind_routine",
    "bind_point",
    "bind_stateless",
    "bind_statemachine",
    "flatten",
    "message_key",
    "key_tag",
    "THREAD_CLASSES",
]

_lock = threading.RLock()
_MISS = object()

#: Thread name -> the machine classes bound with ``thread=`` that name (``lc.VP``).
THREAD_CLASSES: dict[str, set] = {}


def flatten(types: object) -> list:
    """A dispatch list flattened: nested tuples and lists become one list, in order."""
    out: list = []
    if isinstance(types, (tuple, list)):
        for t in types:
            out.extend(flatten(t))
    elif types is not None:
        out.append(types)
    return out


# Hints that name a scalar portable: their values travel as casts, keyed by the portable.
_SCALAR_HINTS = frozenset(
    (bool, int, float, str, bytes, bytearray, datetime.datetime, datetime.timedelta, uuid.UUID)
)


def message_key(expr: object) -> object:
    """The dispatch key of a type expression: the class itself, or a canonical portable."""
    if isinstance(expr, type) and not issubclass(expr, Portable) and expr not in _SCALAR_HINTS:
        return expr
    p = hint_to_portable(expr)
    if p is None:
        raise PointConstructionError(f'cannot dispatch "{expr}"')
    if p.kind == 18:  # UserDefined: dispatch on the class
        return p.element  # type: ignore[attr-defined]
    return p


def key_tag(key: object) -> str:
    """Handler-name tag of a dispatch key: class name, or the type tag."""
    if isinstance(key, type):
        return key.__name__
    return key.tag()  # type: ignore[attr-defined]


class DispatchTable:
    """Exact-key dict plus ordered ``isinstance`` fallback, cached per type."""

    __slots__ = ("classes", "exact", "unknown")

    def __init__(self) -> None:
        self.exact: dict = {}
        self.classes: list = []
        self.unknown: object = None

    def add(self, key: object, value: object) -> None:
        if key is Unknown:
            self.unknown = value
            return
        self.exact[key] = value
        if isinstance(key, type):
            self.classes.append((key, value))

    def lookup(self, key: object, value: object) -> object:
        found = self.exact.get(key, _MISS)
        if found is not _MISS:
            return found
        found = self.unknown
        if isinstance(key, type):
            for cls, v in self.classes:
                if isinstance(value, cls):
                    found = v
                    break
            self.exact[key] = found  # cache the fallback result for this type
        return found


class ObjectSpec:
    """What the runtime knows about a bound routine or machine class."""

    def __init__(self, target: object, kind: str) -> None:
        self.target = target
        self.kind = kind  # "function", "async", "machine"
        self.name = getattr(target, "__name__", "object")
        self.schema: dict[str, Portable] = {}
        self.return_type: Portable | None = None
        self.entry_point: list = []
        self.lifecycle = True
        self.message_trail = True
        self.execution_trace = True
        self.user_logs = USER_LOG.DEBUG
        self.thread: str | None = None
        self.threaded = False
        self.stateful = False
        self.tables: dict = {}  # state (or None) -> DispatchTable of handlers
        self.saving: dict = {}  # state -> DispatchTable of True

    # Filled in by the kind modules (imports kept late to avoid cycles).
    def make(self, target: object, args: tuple, kw: dict) -> object:
        if self.kind == "machine":
            return _kinds()[0].make_machine(self, target, args, kw)
        return _kinds()[1].make_routine(self, target)

    def launch(self, agent: object, args: tuple, kw: dict) -> None:
        if self.kind == "machine":
            _kinds()[0].launch_machine(self, agent)
        else:
            _kinds()[1].launch_routine(self, agent, args, kw)


_KINDS: tuple = ()


def _kinds() -> tuple:
    """``(_machine, _routine)``, imported on first use (they import this module)."""
    global _KINDS  # noqa: PLW0603 - a lazy import, set once
    if not _KINDS:
        from . import _machine, _routine

        _KINDS = (_machine, _routine)
    return _KINDS


def object_spec(target: object) -> ObjectSpec:
    """The spec of a bound routine or machine class.

    Raises:
        PointConstructionError: the target was never bound.
    """
    spec = getattr(target, "__lc_object__", None)
    if spec is None or spec.target is not target:
        name = getattr(target, "__qualname__", repr(target))
        raise PointConstructionError(f'cannot create "{name}" (not registered)')
    return spec


def _options(spec: ObjectSpec, options: dict, allowed_thread: bool) -> dict:
    entry_point = options.pop("entry_point", None)
    api = options.pop("api", None)
    if entry_point is not None and api is not None:
        raise PointConstructionError(f'cannot bind "{spec.name}" (both entry_point and api given)')
    spec.entry_point = list(entry_point or api or [])
    return_type = options.pop("return_type", None)
    if return_type is not None:
        spec.return_type = (
            install(return_type)
            if isinstance(return_type, Portable)
            else hint_to_portable(return_type)
        )
    spec.lifecycle = bool(options.pop("lifecycle", True))
    spec.message_trail = bool(options.pop("message_trail", True))
    spec.execution_trace = bool(options.pop("execution_trace", True))
    spec.user_logs = options.pop("user_logs", USER_LOG.DEBUG)
    thread = options.pop("thread", None)
    if thread is not None:
        if not allowed_thread:
            raise PointConstructionError(
                f'cannot bind "{spec.name}" (thread is for Point machines)'
            )
        spec.thread = str(thread)
    return options  # what is left: parameter types


def _schema(f: object, skip_self: bool, param_types: dict, name: str) -> dict[str, Portable]:
    try:
        hints = typing.get_type_hints(f)
    except Exception:
        hints = dict(getattr(f, "__annotations__", {}) or {})
    params = list(inspect.signature(f).parameters.values())  # type: ignore[arg-type]
    if skip_self and params:
        params = params[1:]
    schema: dict[str, Portable] = {}
    kinds = (inspect.Parameter.POSITIONAL_OR_KEYWORD, inspect.Parameter.KEYWORD_ONLY)
    for p in params:
        if p.kind not in kinds:
            continue
        hint = param_types.get(p.name, hints.get(p.name))
        if hint is None or isinstance(hint, str):
            continue
        try:
            portable = hint_to_portable(hint)
        except PointConstructionError as e:
            raise PointConstructionError(f'cannot bind "{name}.{p.name}" ({e})') from None
        if portable is not None:
            schema[p.name] = portable
    unknown = set(param_types) - {p.name for p in params}
    if unknown:
        raise PointConstructionError(
            f'cannot bind "{name}" (no parameters {", ".join(sorted(unknown))})'
        )
    return schema


def bind_routine(fn: object, **options: object) -> ObjectSpec:
    """Register a ``def f(self, ...)`` or ``async def f(self, ...)`` as an object type."""
    if not callable(fn) or isinstance(fn, type):
        raise PointConstructionError(f'cannot bind "{fn!r}" (not a function)')
    kind = "async" if inspect.iscoroutinefunction(fn) else "function"
    spec = ObjectSpec(fn, kind)
    rest = _options(spec, dict(options), allowed_thread=False)
    spec.schema = _schema(fn, True, rest, spec.name)
    if spec.return_type is None:
        try:
            hint = typing.get_type_hints(fn).get("return")
        except Exception:
            hint = None
        spec.return_type = hint_to_portable(hint) if hint is not None else install(Any())
    with _lock:
        fn.__lc_object__ = spec  # type: ignore[attr-defined]
    return spec


def _machine_spec(cls: type, options: dict) -> ObjectSpec:
    from ._machine import Point, Threaded

    if not (isinstance(cls, type) and issubclass(cls, Point)):
        raise PointConstructionError(
            f'cannot bind "{getattr(cls, "__qualname__", cls)}" (not a Point or Threaded class)'
        )
    spec = ObjectSpec(cls, "machine")
    rest = _options(spec, dict(options), allowed_thread=True)
    spec.threaded = issubclass(cls, Threaded)
    if spec.threaded and spec.thread is not None:
        raise PointConstructionError(
            f'cannot bind "{cls.__qualname__}" (Threaded machines have their own thread)'
        )
    spec.schema = _schema(cls.__init__, True, rest, spec.name)
    if spec.thread is not None:
        with _lock:
            THREAD_CLASSES.setdefault(spec.thread, set()).add(cls)
    return spec


def _handler(cls: type, name: str) -> object:
    """``name`` in the class's module first, then in other loaded modules."""
    module = sys.modules.get(cls.__module__)
    f = getattr(module, name, None) if module is not None else None
    if callable(f):
        return f
    for m in list(sys.modules.values()):
        f = getattr(m, name, None) if m is not None else None
        if callable(f) and not isinstance(f, type):
            return f
    raise PointConstructionError(
        f'function "{name}" not found ({cls.__module__}.{cls.__qualname__})'
    )


def bind_stateless(cls: type, dispatch: object, **options: object) -> ObjectSpec:
    """Register a ``Stateless`` machine; each dispatched type needs ``M_<tag>(self, m)``."""
    from ._machine import Stateless

    spec = _machine_spec(cls, options)
    if not issubclass(cls, Stateless):
        raise PointConstructionError(f'cannot bind "{cls.__qualname__}" (not Stateless)')
    table = DispatchTable()
    for expr in flatten(dispatch):
        key = message_key(expr)
        table.add(key, _handler(cls, f"{cls.__name__}_{key_tag(key)}"))
    spec.tables = {None: table}
    with _lock:
        cls.__lc_object__ = spec  # type: ignore[attr-defined]
    return spec


def bind_statemachine(cls: type, dispatch: object, **options: object) -> ObjectSpec:
    """Register a ``StateMachine``: ``{STATE: (matching, saving)}``, handlers
    ``M_<STATE>_<tag>(self, m)`` returning the next state."""
    from ._machine import StateMachine

    spec = _machine_spec(cls, options)
    if not issubclass(cls, StateMachine):
        raise PointConstructionError(f'cannot bind "{cls.__qualname__}" (not a StateMachine)')
    if not isinstance(dispatch, dict):
        raise PointConstructionError(
            f'cannot bind "{cls.__qualname__}" (dispatch must be a dict of states)'
        )
    spec.stateful = True
    for state, entry in dispatch.items():
        if not (
            isinstance(entry, tuple)
            and len(entry) == 2
            and all(isinstance(e, (tuple, list)) for e in entry)
        ):
            raise PointConstructionError(
                f'cannot bind "{cls.__qualname__}" (entry for '
                f'{getattr(state, "__name__", state)} is not a 2-tuple of tuples)'
            )
        matching, saving = (flatten(e) for e in entry)
        state_name = getattr(state, "__name__", str(state))
        table = DispatchTable()
        keys = []
        for expr in matching:
            key = message_key(expr)
            keys.append(key)
            table.add(key, _handler(cls, f"{cls.__name__}_{state_name}_{key_tag(key)}"))
        saved = DispatchTable()
        for expr in saving:
            key = message_key(expr)
            if key in keys:
                raise PointConstructionError(
                    f'cannot bind "{cls.__qualname__}" '
                    f"({key_tag(key)} both matched and saved in {state_name})"
                )
            saved.add(key, True)
        spec.tables[state] = table
        spec.saving[state] = saved
    with _lock:
        cls.__lc_object__ = spec  # type: ignore[attr-defined]
    return spec


def bind_point(cls: type, **options: object) -> ObjectSpec:
    """Register a machine whose dispatch is set elsewhere (rare; for completeness)."""
    from ._machine import StateMachine

    if issubclass(cls, StateMachine):
        raise PointConstructionError(
            f'cannot bind "{cls.__qualname__}" (StateMachine needs a dispatch dict)'
        )
    return bind_stateless(cls, (), **options)


def bind(target: object, *args: object, **options: object) -> object:
    """Register a message class, routine or machine (routes by what it is given)."""
    from ._machine import Point, StateMachine

    if isinstance(target, type):
        if issubclass(target, Point):
            dispatch = args[0] if args else options.pop("dispatch", ())
            if issubclass(target, StateMachine):
                return bind_statemachine(target, dispatch, **options)
            return bind_stateless(target, dispatch, **options)
        if args:
            raise PointConstructionError(
                f'cannot bind "{target.__qualname__}" (dispatch given for a message class)'
            )
        return bind_message(target, **options)  # type: ignore[arg-type]
    if callable(target):
        if args:
            raise PointConstructionError(
                f'cannot bind "{getattr(target, "__qualname__", target)}" (unexpected arguments)'
            )
        return bind_routine(target, **options)
    raise PointConstructionError(f'cannot bind "{target!r}"')
