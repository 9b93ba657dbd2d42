# cython: annotation_typing=False
"""Objects: addresses, the address table, sending, creating and ending (api-core §3-4, §7).

Every object kind (function, async, machine) derives from ``Agent``, which holds the API of
``self`` that all kinds share. The address table is a dict read under the GIL and written
only on create and end, so a send takes no lock.
"""

from __future__ import annotations

import contextlib
import itertools
import sys
import threading
import time

from .._utilities import Gas
from ..types._infer import infer_portable
from ..types._message import cast_to
from ..types._portable import K_ANY, Portable
from ..types._registry import SPECS
from . import _counters
from ._dispatch import (
    TABLE,
    Core,
    agent_reply,
    agent_send,
    configure,
    machine_deliver,
    machine_receive,
    send_from,
    unwrap,
)
from ._log import LOG, text_of, write_entry
from ._loop import LOOP
from ._messages import _LEVELS, Faulted, Returned, Stop

__all__ = [
    "Agent",
    "OnReturned",
    "QueueFull",
    "Completion",
    "returned_object",
    "no_ending",
    "TABLE",
    "new_address",
    "make_live",
    "send_from",
    "create_object",
    "set_queue_capacity",
    "QUEUE",
    "TIMER_ADDRESS",
    "hex_of",
    "unwrap",
    "END_HOOKS",
    "add_end_hook",
    "report_end",
]

_ids = itertools.count(16)
_FAULT, _WARNING, _CONSOLE, _TRACE, _DEBUG, _OBJECT = _LEVELS  # per log call and object made
TIMER_ADDRESS = (1,)  # return address of timer expiries
REPLAY_LIMIT = 8  # the 8th save of one message discards it
#: Called with the address of each ended object that asked for it (``report_end``). Layers
#: above register here (pub/sub: the directory node forgets the object's listings), as they
#: configure ``_dispatch``: the runtime imports nothing of them.
END_HOOKS: list = []


def add_end_hook(hook: object) -> None:
    """Register ``hook(address)``, called when an object that asked for it ends (once)."""
    if hook not in END_HOOKS:
        END_HOOKS.append(hook)


def report_end(agent: object) -> None:
    """From now on the end of ``agent`` is passed to the end hooks (others pay nothing)."""
    agent._report_end = True  # type: ignore[attr-defined]


class _QueueSettings:
    __slots__ = ("block_seconds", "capacity")

    def __init__(self) -> None:
        self.capacity = 16384
        self.block_seconds = 10.0


QUEUE = _QueueSettings()


def set_queue_capacity(n: int) -> None:
    """Bound of every object's queue (default 16384); set before start-up."""
    if not isinstance(n, int) or n < 1:
        raise ValueError(f"queue capacity must be a positive int, not {n!r}")
    QUEUE.capacity = n
    configure(n, None, None, None, None, None)


def new_address() -> tuple:
    """A fresh process-unique address."""
    return (next(_ids),)


def make_live(agent: Agent, parent: tuple, threshold: int) -> tuple:
    """Make ``agent`` live: a fresh address, its parent and log threshold, and its entry in
    the address table, from which on it receives. Returns the address.

    The one way anything becomes addressable: objects (``create_object``, which then starts
    them), channels and the proxies of connections. What the agent needs to receive must be
    set before: a message may reach it as soon as it is in the table.
    """
    address = new_address()
    agent.object_address = address
    agent.parent_address = parent
    agent._threshold = threshold
    TABLE[address] = agent
    return address


def hex_of(address: object) -> str:
    """Last address component as 8 lowercase hex digits (log form)."""
    if isinstance(address, tuple) and address:
        return f"{address[-1]:08x}"
    return "00000000"


class QueueFull(Exception):
    """A send found the receiver's queue full (counted and logged; never silent)."""


class Completion(BaseException):
    """Raised by ``complete()`` to unwind to the object's runner; not an error."""

    def __init__(self, value: object) -> None:
        BaseException.__init__(self)
        self.value = value


class OnReturned:
    """A callback context: ``d(self, returned)`` calls ``routine(self, value, args)``."""

    __slots__ = ("args", "routine")

    def __init__(self, routine: object, args: object) -> None:
        self.routine = routine
        self.args = args

    def __call__(self, agent: Agent, message: Returned) -> object:
        value = message.message
        if type(value) is tuple and len(value) == 2 and isinstance(value[1], Portable):
            agent.returned_type = value[1]
            value = value[0]
        elif value is None:
            agent.returned_type = None
        else:
            spec = SPECS.get(type(value))
            # A raw result (no declared return type): its type inferred (compat §2.1).
            agent.returned_type = spec.portable if spec is not None else infer_portable(value)
        return self.routine(agent, value, self.args)  # type: ignore[operator]


def _portable_of(message: object) -> object:
    if type(message) is tuple and len(message) == 2 and isinstance(message[1], Portable):
        return message[1]
    spec = SPECS.get(type(message))
    return spec.portable if spec is not None else None


def tag_of(message: object) -> str:
    """Log tag: class name for instances, type tag for cast values."""
    if type(message) is tuple and len(message) == 2 and isinstance(message[1], Portable):
        return message[1].tag()
    return type(message).__name__


class Agent(Core):
    """What every object's ``self`` can do: send, create, timers, contexts and logs.

    The fields read on every message (``_ended``, ``_spec``, ``_trail_sent``...) are
    ``Core``'s, never class attributes here (see ``_dispatch.Core``)."""

    # Set by the runtime before the object runs (object_address is Core's field).
    parent_address = ()  # a tuple (no annotation: compiled, one would declare a C field)
    _name = "object"
    _threshold = 100  # level of this object's own log calls; below it: suppressed
    _trail = False  # OBJECT level selected and lifecycle entries wanted
    _report_end = False  # set by report_end: end() then calls the END_HOOKS
    _ending = None  # object_ending given to create (None: returned_object)

    def _agent_init(self) -> None:
        self.return_address: tuple = ()
        self.to_address: tuple = ()
        self._received: object = None
        self.returned_type: object = None
        self.aborted_message: object = None
        self._contexts: dict = {}
        self._timers: dict = {}
        self._pending = 0  # messages queued and not yet received
        self._space: threading.Condition | None = None  # thread senders blocked on a full queue

    # Receive context ----------------------------------------------------------------------------

    @property
    def received_type(self) -> object:
        """Portable of the message just received."""
        return _portable_of(self._received)

    # Sending ------------------------------------------------------------------------------------

    # ``send(message, to)``: queue ``message`` for the object at ``to``.
    # ``reply(message)``: send to the return address of the message just received.
    # Both compiled with the rest of the hot path (_dispatch.py).
    send = agent_send
    reply = agent_reply

    def forward(self, message: object, to: tuple, return_address: tuple) -> None:
        """Send with a substituted return address."""
        if self._trail_sent:
            self._log(
                ">",
                f"Forward {tag_of(message)} to <{hex_of(to)}> (from <{hex_of(return_address)}>)",
            )
        send_from(self, message, to, return_address, logged=True)

    # Children -----------------------------------------------------------------------------------

    def create(
        self, object_type: object, *args: object, object_ending: object = None, **kw: object
    ) -> tuple:
        """Start a child object; its address at once, its ``Returned`` later.

        ``object_ending`` (compat §2.2): ``returned_object`` (the default) sends the parent
        ``Returned(value)``; ``no_ending`` ends the child silently.
        """
        return create_object(object_type, args, kw, self.object_address, self, object_ending)

    def assign(self, address: tuple, context: object = True) -> None:
        """Remember a context for a child."""
        self._contexts[address] = context

    def progress(self, address: tuple | None = None) -> object:
        """The context of a child (default: the return address), kept."""
        return self._contexts.get(self.return_address if address is None else address)

    def debrief(self, address: tuple | None = None) -> object:
        """The context of a child (default: the return address), removed."""
        return self._contexts.pop(self.return_address if address is None else address, None)

    def working(self) -> int:
        """Number of remembered children."""
        return len(self._contexts)

    def running(self):  # type: ignore[no-untyped-def]
        """``(context, address)`` of each remembered child."""
        return ((c, a) for a, c in list(self._contexts.items()))

    def abort(self, value: object = None, *, message: object = None) -> int:
        """Store ``aborted_message``, stop every remembered child, return their count.

        ``message=`` is the original library's name of ``value`` (compat §2.2)."""
        self.aborted_message = message if value is None else value
        children = list(self._contexts)
        for a in children:
            self.send(Stop(), a)
        return len(children)

    def on_return(self, address: tuple, f: object, **kw: object) -> None:
        """Call ``f(self, value, args)`` when the child at ``address`` returns."""
        args = object.__new__(Gas)
        args.__dict__ = kw  # what Gas(**kw) holds; kw is this call's own dict
        self._contexts[address] = OnReturned(f, args)

    def continuation(self, address: tuple, f: object, args: object) -> None:
        """Chain a callback with existing ``args``."""
        self._contexts[address] = OnReturned(f, args)

    # Ending -------------------------------------------------------------------------------------

    def complete(self, value: object = None, *, message: object = None) -> None:
        """End now with ``value`` (an ``abort`` value wins). Never returns.

        ``message=`` is the original library's name of ``value`` (compat §2.2)."""
        raise Completion(message if value is None else value)

    # Timers -------------------------------------------------------------------------------------

    def start(self, timer: type, seconds: float, repeating: bool = False) -> None:
        """``timer()`` arrives after at least ``seconds``; restarting re-arms."""
        deadline = time.monotonic() + max(float(seconds), 0.0)
        LOOP.call(_arm, self, timer, deadline, float(seconds), repeating)

    def cancel(self, timer: type) -> None:
        """Forget a timer (no error if absent; an expiry already queued may still arrive)."""
        LOOP.call(_disarm, self, timer)

    # Logging ------------------------------------------------------------------------------------

    def _log(self, char: str, text: str) -> None:
        write_entry(char, self.object_address, self._log_name(), text)

    def _log_name(self) -> str:
        state = getattr(self, "current_state", None)
        if state is not None and hasattr(state, "__name__"):
            return f"{self._name}[{state.__name__}]"
        return self._name

    def fault(self, *a: object, **kv: object) -> None:
        if self._threshold <= _FAULT:
            self._user_log("!", a, kv)

    def warning(self, *a: object, **kv: object) -> None:
        if self._threshold <= _WARNING:
            self._user_log("?", a, kv)

    def console(self, *a: object, **kv: object) -> None:
        if self._threshold <= _CONSOLE:
            self._user_log("^", a, kv)

    def trace(self, *a: object, **kv: object) -> None:
        if self._threshold <= _TRACE:
            self._user_log("~", a, kv)

    def debug(self, *a: object, **kv: object) -> None:
        if self._threshold <= _DEBUG:
            self._user_log("_", a, kv)

    def sample(self, name: str, **kv: object) -> None:
        if self._threshold <= _TRACE:
            self._user_log("&", (name,), kv)

    def test(self, condition: object, note: str) -> None:
        if not condition and self._threshold <= _WARNING:
            # The caller's frame: compiled, this method has no frame of its own to skip.
            frame = sys._getframe(0)
            while frame.f_back is not None and frame.f_code.co_name == "test" and (
                frame.f_globals.get("__name__") == __name__
            ):
                frame = frame.f_back
            self._log("=", f"{note} ({frame.f_code.co_filename}:{frame.f_lineno})")

    def log(self, tag: object, text: str) -> None:
        char = getattr(tag, "value", tag)
        from ._log import TAG_LEVEL

        if TAG_LEVEL.get(char, 100) >= self._threshold:
            self._log(char, text)

    def _user_log(self, char: str, a: tuple, kv: dict) -> None:
        text = text_of(a, kv)
        if text:
            self._log(char, text)

    # Unhandled and saved messages (shared by machines and function objects) ---------------------

    def dropped(self, message: object, back: tuple) -> None:
        """A message nothing matched: counted, and logged with the OBJECT trail."""
        _counters.count("dropped_unhandled")
        if self._trail_recv or LOG.level <= _OBJECT:
            value = unwrap(message)[0]
            text = f"Dropped {tag_of(message)} from <{hex_of(back)}>"
            if isinstance(value, Faulted):
                text += f" ({value})"
            self._log("<", text)

    def keep_for_replay(self, message: object, to: tuple, back: tuple, replays: int) -> None:
        """Save a message to replay after the next fresh one; the 8th save discards it."""
        if replays + 1 >= REPLAY_LIMIT:
            _counters.count("dropped_replay")
            if self._threshold <= _WARNING or LOG.level <= _WARNING:
                self._log("?", f"Saved {tag_of(message)} discarded after {REPLAY_LIMIT} replays")
            return
        self._saved.append((message, to, back, replays + 1))

    # Delivery (overridden per kind) -------------------------------------------------------------

    def deliver(self, message: object, to: tuple, back: tuple) -> None:  # pragma: no cover
        raise NotImplementedError

    def deliver_returned(self, message: object, to: tuple, back: tuple) -> None:
        """Deliver a child's ``Returned`` past the queue's capacity (overridden per kind).

        The parent bounded these by creating its children (one each), and a refused one
        would leave it waiting for ever: a ``Concurrently`` over more items than the capacity
        never ended. Kinds with no unbounded path deliver as any send."""
        with contextlib.suppress(QueueFull):  # counted and logged by queue_full
            self.deliver(message, to, back)

    def queue_full(self, message: object, sender: Agent | None) -> None:
        """Count, log and raise: a full queue is never a silent drop."""
        _counters.count("queue_full")
        text = (
            f"Queue full, {tag_of(message)} to <{hex_of(self.object_address)}> rejected "
            f"(capacity {QUEUE.capacity})"
        )
        if sender is not None:
            sender._log("!", text)
        else:
            write_entry("!", self.object_address, self._name, text)
        raise QueueFull(text)

    def wait_for_space(self, message: object, sender: Agent | None) -> None:
        """A thread sender blocks until the queue has room, at most ``block_seconds``."""
        cond = self._space
        if cond is None:
            cond = self._space = threading.Condition()
        deadline = time.monotonic() + QUEUE.block_seconds
        with cond:
            while self.queued() >= QUEUE.capacity and not self._ended:
                left = deadline - time.monotonic()
                if left <= 0:
                    self.queue_full(message, sender)
                cond.wait(min(left, 0.05))  # bounded wait: a missed notify costs 50 ms, not 10 s

    def queued(self) -> int:
        """Messages queued for this object and not yet taken."""
        return self._pending

    def took_one(self) -> None:
        """Bookkeeping after a message is taken; wakes blocked senders at half capacity."""
        self._pending -= 1
        cond = self._space
        if cond is not None and self.queued() <= QUEUE.capacity // 2:
            with cond:
                cond.notify_all()

    # Ending (runtime side) ----------------------------------------------------------------------

    def end(self, value: object) -> None:
        """Remove the object and send ``Returned(value)`` to its parent. Idempotent."""
        if self._ended:
            return
        self._ended = True
        if self.aborted_message is not None and not isinstance(value, Faulted):
            value = self.aborted_message
        value = _typed_result(value, getattr(self._spec, "return_type", None))
        TABLE.pop(self.object_address, None)
        if self._report_end:
            for hook in END_HOOKS:
                hook(self.object_address)
        if self._timers:
            LOOP.call(_disarm_all, self)
        cond = self._space
        if cond is not None:
            with cond:
                cond.notify_all()
        if self._trail:
            self._log("X", "Destroyed")
        ending = self._ending
        if ending is not None and ending is not returned_object:
            ending(value, self.parent_address, self.object_address)  # type: ignore[operator]
            return
        parent = TABLE.get(self.parent_address)
        if parent is not None:
            parent.deliver_returned(Returned(value), self.parent_address, self.object_address)


def returned_object(message: object, parent: tuple, address: tuple) -> None:
    """``object_ending`` of ``create``: the parent gets ``Returned(message)`` (the default)."""
    target = TABLE.get(parent)
    if target is not None:
        target.deliver_returned(Returned(message), parent, address)


def no_ending(message: object, parent: tuple, address: tuple) -> None:
    """``object_ending`` of ``create``: the child ends silently (its parent hears nothing)."""


def _typed_result(value: object, return_type: object) -> object:
    """Wrap a result per a declared ``return_type``; instances and casts pass unchanged.

    Without one (no return hint, ``Any``, a machine) the result is exactly what was
    returned (compat §2.1): its type is inferred only when it is encoded.
    """
    if value is None or type(value) in SPECS:
        return value
    if type(value) is tuple and len(value) == 2 and isinstance(value[1], Portable):
        return value
    if return_type is not None and getattr(return_type, "kind", K_ANY) != K_ANY:
        return cast_to(value, return_type)
    return value


def _log_sent(sender: Agent, message: object, to: tuple) -> None:
    sender._log(">", f"Sent {tag_of(message)} to <{hex_of(to)}>")


def _copy(message: object, spec: object) -> object:
    from ._copy import copy_message

    try:
        return copy_message(message, spec)
    except Exception:  # a field that does not fit its type: send as is rather than fail here
        return message


def _undeliverable(sender: Agent | None, message: object, to: object) -> None:
    _counters.count("undeliverable")
    if LOG.level <= _TRACE:
        text = f"Undeliverable {tag_of(message)} to <{hex_of(to)}>"
        if sender is not None:
            sender._log("~", text)
        else:
            write_entry("~", (0,), "runtime", text)


configure(QUEUE.capacity, _undeliverable, _copy, _log_sent, None, None)


# Timers (loop thread) --------------------------------------------------------------------------


class _Timer:
    __slots__ = ("agent", "cls", "deadline", "handle", "period", "repeating")

    def __init__(self, agent: Agent, cls: type, deadline: float, period: float, repeating: bool):
        self.agent = agent
        self.cls = cls
        self.deadline = deadline
        self.period = period
        self.repeating = repeating
        self.handle = None


def _arm(agent: Agent, cls: type, deadline: float, period: float, repeating: bool) -> None:
    if agent._ended:
        return
    old = agent._timers.get(cls)
    if old is not None and old.handle is not None:
        old.handle.cancel()
    t = _Timer(agent, cls, deadline, period, repeating)
    agent._timers[cls] = t
    t.handle = LOOP.call_at_monotonic(deadline, _expire, t)


def _expire(t: _Timer) -> None:
    agent = t.agent
    if agent._timers.get(t.cls) is not t or agent._ended:
        return
    if t.repeating and t.period > 0:
        t.deadline += t.period
        now = time.monotonic()
        if t.deadline < now:  # fell behind: skip missed periods rather than burst
            t.deadline = now + t.period - ((now - t.deadline) % t.period)
        t.handle = LOOP.call_at_monotonic(t.deadline, _expire, t)
    else:
        del agent._timers[t.cls]
    with contextlib.suppress(QueueFull):  # counted and logged by queue_full
        agent.deliver(t.cls(), agent.object_address, TIMER_ADDRESS)


def _disarm(agent: Agent, cls: type) -> None:
    t = agent._timers.pop(cls, None)
    if t is not None and t.handle is not None:
        t.handle.cancel()


def _disarm_all(agent: Agent) -> None:
    for cls in list(agent._timers):
        _disarm(agent, cls)


# Creating --------------------------------------------------------------------------------------


def create_object(
    object_type: object,
    args: tuple,
    kw: dict,
    parent: tuple,
    creator: Agent | None,
    ending: object = None,
) -> tuple:
    """Instantiate and start an object of a bound type; returns its address."""
    spec = getattr(object_type, "__lc_object__", None)
    if spec is None or spec.target is not object_type:
        from ._bind import object_spec

        spec = object_spec(object_type)  # raises the not-registered error
    if LOOP.loop is None and spec.kind != "function":
        LOOP.start()  # a function object runs on its own thread: no loop until one is used
    agent = spec.make(object_type, args, kw)
    agent._spec = spec
    agent._name = spec.name
    if ending is not None:
        agent._ending = ending
    level = LOG.level
    agent._trail = level <= _OBJECT and spec.lifecycle
    agent._trail_sent = level <= _OBJECT and spec.message_trail
    agent._trail_recv = level <= _OBJECT and spec.execution_trace
    cls = type(agent)
    agent._direct = (
        getattr(cls, "deliver", None) is machine_deliver
        and getattr(cls, "receive", None) is machine_receive
    )
    address = make_live(agent, parent, max(level, int(spec.user_logs)))
    if agent._trail:
        agent._log("+", f"Created by <{hex_of(parent)}>")
    spec.launch(agent, args, kw)
    return address
