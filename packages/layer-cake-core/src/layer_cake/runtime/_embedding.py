"""Embedding the runtime in ordinary programs, as layer-cake 0.1 did (compat §3.6, §3.7, §3.13).

``start_up(logs)`` starts the runtime once and returns a root channel; every log entry then
reaches ``logs`` as a ``PointLog`` record (``log_to_stderr`` prints the stderr line,
``select_logs(level)`` filters first, ``log_to_nowhere`` drops them). ``tear_down()`` stops
what is still running, runs the ``AddOn`` stop hooks, detaches the logs and, when
``PB.exit_status`` is set, exits the process with it. ``lc.create`` needs neither.

Also here: the other 0.1 runtime names that old programs touch: ``PB`` (the process block),
``VP``, ``StartTimer``/``CancelTimer`` (registered classes only; timers are ``self.start``),
``select_list_adhoc``, the ``Runtime``/``PointRuntime`` records, and the refused dispatcher
loops ``object_dispatch``/``threaded_object``.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import sys
import threading
import time

from .._refused import refused_function
from .._utilities import Gas
from ..types import NO_SUCH_ADDRESS
from ..types._message import Unknown
from ..types._portable import Address, Float8, Type
from ..types._registry import bind_library_message
from ._bind import THREAD_CLASSES, flatten
from ._lingering import stop_lingering
from ._log import TAG_LEVEL, set_records
from ._loop import LOOP
from ._machine import named_dispatchers
from ._messages import USER_LOG, USER_TAG
from ._object import make_live
from ._routine import Channel, SelectTable, drop_channel

__all__ = [
    "PointLog",
    "log_to_nowhere",
    "log_to_stderr",
    "select_logs",
    "tag_to_log",
    "TAG_LOG",
    "PID",
    "PB",
    "AddOn",
    "QuietChannel",
    "start_up",
    "tear_down",
    "Runtime",
    "PointRuntime",
    "PlatformRequirementError",
    "StartTimer",
    "CancelTimer",
    "select_list_adhoc",
    "VP",
    "object_dispatch",
    "threaded_object",
]

#: The process id at import.
PID = os.getpid()

_TAG_OF_CHAR = {t.value: t for t in USER_TAG}


class _TagLog(dict):
    """Tag character -> level; a ``USER_TAG`` member finds its character's entry too."""

    def __missing__(self, key: object) -> object:
        if isinstance(key, USER_TAG):
            return self[key.value]
        raise KeyError(key)


#: ``USER_TAG`` (by character) -> ``USER_LOG`` level of its entries.
TAG_LOG = _TagLog(TAG_LEVEL)


def tag_to_log(tag: object) -> USER_LOG:
    """The level of entries with ``tag`` (a ``USER_TAG`` or its character)."""
    return USER_LOG(TAG_LOG[tag])


# Log records -------------------------------------------------------------------------------------


class PointLog:
    """One log entry as a record: epoch ``stamp``, ``USER_TAG``, object address, object
    name, state name (or None) and text."""

    def __init__(
        self,
        stamp: float = 0.0,
        tag: USER_TAG | None = None,
        address: tuple | None = None,
        name: str | None = None,
        state: str | None = None,
        text: str | None = None,
    ) -> None:
        self.stamp = stamp
        self.tag = tag
        self.address = NO_SUCH_ADDRESS if address is None else address
        self.name = name
        self.state = state
        self.text = text


bind_library_message(
    PointLog,
    "layer_cake.virtual_point.PointLog",
    stamp=Float8(),
    tag=USER_TAG,
    address=Address(),
    name=str,
    state=str,
    text=str,
)


def log_to_nowhere(log: PointLog) -> None:
    """Discard a record."""


def log_to_stderr(log: PointLog) -> None:
    """Write a record as ``[PID] YYYY-MM-DDTHH:MM:SS.mmm C <AAAAAAAA>Name[STATE] - text``
    (UTC, PID 8 digits, last address element in 8 hex digits, last dotted part of the name),
    flushed."""
    t = float(log.stamp or 0.0)
    seconds = int(t)
    stamp = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(seconds))
    millis = int(round((t - seconds) * 1000, 6))
    char = getattr(log.tag, "value", log.tag) or "?"
    address = log.address if isinstance(log.address, tuple) and log.address else (0,)
    name = (log.name or "").rsplit(".", 1)[-1]
    state = f"[{log.state}]" if log.state else ""
    line = (
        f"[{os.getpid():08d}] {stamp}.{millis:03d} {char} <{address[-1]:08x}>"
        f"{name}{state} - {log.text}\n"
    )
    with contextlib.suppress(OSError, ValueError):
        sys.stderr.write(line)
        sys.stderr.flush()


def select_logs(level: USER_LOG) -> object:
    """A ``logs`` function passing records whose tag level is at least ``level`` to
    ``log_to_stderr``."""
    threshold = int(level)

    def logs(log: PointLog) -> None:
        if TAG_LOG.get(getattr(log.tag, "value", log.tag), 0) >= threshold:
            log_to_stderr(log)

    logs.level = threshold  # type: ignore[attr-defined]  # read by start_up: less to make
    return logs


def _records(logs: object) -> object:
    """The runtime's sink for ``logs``: each entry becomes a ``PointLog``."""

    def sink(char: str, address: tuple, name: str, text: str, when: float) -> None:
        state = None
        if name.endswith("]") and "[" in name:
            name, _, state = name[:-1].partition("[")
        record = PointLog(when, _TAG_OF_CHAR.get(char), address, name, state, text)
        with contextlib.suppress(Exception):  # a failing user sink must not break the sender
            logs(record)  # type: ignore[operator]

    return sink


# Start-up and tear-down --------------------------------------------------------------------------


class QuietChannel(Channel):
    """A channel whose own activity is not logged (the root of ``start_up``)."""

    _name = "root"


def _quiet_channel() -> QuietChannel:
    LOOP.start()
    c = QuietChannel()
    make_live(c, (), int(USER_LOG.NONE))
    return c


#: The process block: ``tear_down_atexit`` (harnesses set False), ``output_value``,
#: ``exit_status`` (``tear_down`` exits with it when set), ``root``, ``thread_dispatch``
#: (named dispatcher threads), ``add_ons``.
PB = Gas(
    tear_down_atexit=True,
    output_value=None,
    exit_status=None,
    root=None,
    thread_dispatch=named_dispatchers(),
    add_ons=[],
)

_lock = threading.RLock()
_atexit_registered = [False]


class AddOn:
    """Hooks run by ``start_up`` (``create(root)``) and ``tear_down`` (``stop(root)``);
    registered when made (run at once if the runtime is already up)."""

    def __init__(self, create: object = None, stop: object = None) -> None:
        self.create = create
        self.stop = stop
        with _lock:
            PB.add_ons.append(self)
            root = PB.root
        if root is not None and callable(create):
            create(root)


def start_up(logs: object = log_to_nowhere) -> QuietChannel:
    """Start the runtime once (later calls return the same root and ignore ``logs``).

    Args:
        logs: called with a ``PointLog`` for every log entry (``log_to_stderr``,
            ``select_logs(level)``, ``log_to_nowhere``).

    Returns:
        The root channel: ``create``, ``send``, ``input``, ``select`` as any ``self``.
    """
    with _lock:
        if PB.root is not None:
            return PB.root  # type: ignore[no-any-return]
        if logs is not None and logs is not log_to_nowhere:
            set_records(_records(logs), getattr(logs, "level", int(USER_LOG.DEBUG)))
        root = _quiet_channel()
        PB.root = root
        if PB.tear_down_atexit and not _atexit_registered[0]:
            atexit.register(_tear_down_at_exit)
            _atexit_registered[0] = True
        add_ons = list(PB.add_ons)
    for add_on in add_ons:
        if callable(add_on.create):
            add_on.create(root)
    return root


def _tear_down_at_exit() -> None:
    if PB.tear_down_atexit:
        tear_down()


#: How long objects still alive at tear-down get to end once stopped.
TEAR_DOWN_GRACE = 5.0


def tear_down() -> None:
    """Stop the runtime started by ``start_up`` (no-op otherwise): live objects are stopped
    and awaited (``TEAR_DOWN_GRACE`` s at most), add-ons stopped, logs detached; then, if
    ``PB.exit_status`` is not None, the process exits with it."""
    with _lock:
        root = PB.root
        PB.root = None
    if root is not None:
        with contextlib.suppress(Exception):
            stop_lingering(root, TEAR_DOWN_GRACE)  # the rule lc.create ends with
        for add_on in reversed(list(PB.add_ons)):
            if callable(add_on.stop):
                with contextlib.suppress(Exception):
                    add_on.stop(root)
        drop_channel(root)
        set_records(None)
    status = PB.exit_status
    if status is not None:
        with contextlib.suppress(OSError, ValueError):
            sys.stdout.flush()
            sys.stderr.flush()
        os._exit(int(status))


# Runtime records ---------------------------------------------------------------------------------


class PlatformRequirementError(Exception):
    """The platform cannot run this (``str()`` names what is missing and how to help)."""

    def __init__(self, identify_and_help: str) -> None:
        Exception.__init__(self, identify_and_help)
        self.identify_and_help = identify_and_help


class Runtime:
    """What 0.1 recorded for a bound type (``__art__``): its path and flags."""

    def __init__(
        self,
        name: str,
        module: str,
        lifecycle: bool = True,
        message_trail: bool = True,
        execution_trace: bool = True,
        copy_before_sending: bool = True,
        not_portable: bool = False,
        user_logs: USER_LOG = USER_LOG.DEBUG,
    ) -> None:
        self.name = name
        self.module = module
        self.path = f"{module}.{name}"
        self.schema: dict = {}
        self.lifecycle = lifecycle
        self.message_trail = message_trail
        self.execution_trace = execution_trace
        self.copy_before_sending = copy_before_sending
        self.not_portable = not_portable
        self.user_logs = user_logs


class PointRuntime(Runtime):
    """``Runtime`` of an object type: also its return type and entry point."""

    def __init__(
        self,
        name: str,
        module: str,
        return_type: object = None,
        entry_point: object = None,
        **flags: object,
    ) -> None:
        Runtime.__init__(self, name, module, **flags)  # type: ignore[arg-type]
        self.return_type = return_type
        self.entry_point = entry_point


# Timers and selection ------------------------------------------------------------------------


class StartTimer:
    """0.1's request to its timer service. Registered so old code can name it; no service
    listens: use ``self.start(timer, seconds, repeating)``."""

    def __init__(
        self, timer: type | None = None, seconds: float = 1, repeating: bool = False
    ) -> None:
        self.timer = timer
        self.seconds = seconds
        self.repeating = repeating


class CancelTimer:
    """0.1's cancel request (registered only): use ``self.cancel(timer)``."""

    def __init__(self, timer: type | None = None) -> None:
        self.timer = timer


bind_library_message(
    StartTimer,
    "layer_cake.virtual_point.StartTimer",
    timer=Type(),
    seconds=Float8(),
    repeating=bool,
)
bind_library_message(CancelTimer, "layer_cake.virtual_point.CancelTimer", timer=Type())


def select_list_adhoc(*selection: object) -> SelectTable:
    """``select_list`` over types already installed (``lookup_type``): one not yet installed
    raises ``PointConstructionError`` (``portable "<signature>" was not loaded``)."""
    from ..types._introspect import lookup_type  # the types layer's lookup (compat §3.4)

    for t in flatten(selection):
        if t is Unknown or isinstance(t, SelectTable):
            continue
        lookup_type(t)
    return SelectTable(selection)


#: 0.1's service addresses (none here: every service is a loop function) and the classes
#: bound with each ``thread=`` name.
VP = Gas(
    log_address=NO_SUCH_ADDRESS,
    timer_address=NO_SUCH_ADDRESS,
    test_address=NO_SUCH_ADDRESS,
    circuit_address=NO_SUCH_ADDRESS,
    thread_classes=THREAD_CLASSES,
)

object_dispatch = refused_function("object_dispatch")
threaded_object = refused_function("threaded_object")
