# cython: annotation_typing=False
"""The message hot path: send, the loop's run queue, and machine dispatch.

Everything a message touches between ``self.send`` and a handler lives here, so it can be
compiled as one Cython module (pure-Python mode, declarations in ``_dispatch.pxd``):

- ``send_from``: one dict lookup of the address, a schema-driven copy only when the class
  asks for one and has mutable fields, an OBJECT log line only when that level is on.
- ``RunQueue``: one deque for every loop-hosted object; a drain is scheduled only when none is
  pending (``call_soon`` on the loop, ``call_soon_threadsafe`` once per batch elsewhere).
- ``machine_receive``/``machine_deliver``: installed as the ``receive``/``deliver`` methods
  of machines; dispatch reads the table built at bind (exact key first, then the cached
  ``isinstance`` fallback), then replays messages saved before this one.

``Core`` is the base of every object (``Agent``): the fields read on each message. Compiled, it
is a C struct read by offset; pure, it is a class whose attributes are the defaults.

``_pending`` (queued, not yet received) is updated without a lock: increments by senders and
decrements on the receiving thread are single attribute updates under the GIL.
"""

from __future__ import annotations

import collections
import threading

from ..types._portable import Portable
from ..types._registry import SPECS

try:
    import cython

    _COMPILED = cython.compiled  # a constant True once compiled
except ImportError:  # a pure-Python install without Cython
    _COMPILED = False

__all__ = [
    "Core",
    "TABLE",
    "RunQueue",
    "run_queue",
    "send_from",
    "machine_receive",
    "machine_deliver",
    "agent_send",
    "agent_reply",
    "configure",
    "unwrap",
]

#: Address -> object. Written only on create and end; read under the GIL with no lock.
TABLE: dict = {}
_TABLE = TABLE  # the same dicts, typed for the compiled module (module globals are not)
_SPECS = SPECS

_MISS = object()
_BATCH = 4096
_get_ident = threading.get_ident


class Core:
    """The per-object fields the hot path reads on every message (base of ``Agent``).

    Subclasses must not shadow these names with class attributes: compiled, the value lives
    in the instance's struct and a class attribute would hide it from Python code.
    """


#: Defaults of Core's fields. Compiled, the struct starts at the same values (False, 0, None).
_CORE_DEFAULTS = (
    ("_pending", 0),  # queued and not yet received
    ("_host", None),  # a dispatcher thread's queue; None: the loop's run queue
    ("_space", None),  # Condition for thread senders blocked on a full queue
    ("_ended", False),
    ("_direct", False),  # deliver/receive are machine_deliver/machine_receive: call them directly
    ("_saved", None),  # messages kept for replay (a list once the object is built)
    ("_spec", None),
    ("_exact", None),  # a stateless machine's exact-key handler dict (set at create)
    ("object_address", None),  # set when the object is created
    ("_trail_sent", False),  # Sent/Forward entries
    ("_trail_recv", False),  # Received/Dropped entries
    ("_replays", 0),  # saves of the message being handled (set only while replaying)
    ("current_state", None),
    ("return_address", None),
    ("to_address", None),
    ("_received", None),
)
if not _COMPILED:
    for _name, _value in _CORE_DEFAULTS:
        setattr(Core, _name, _value)


class _Hooks:
    """Slow paths and settings supplied by the kernel modules (set once by ``configure``)."""

    def __init__(self) -> None:
        self.capacity = 16384
        self.undeliverable = None  # (sender, message, to) -> None
        self.copy = None  # (message, spec) -> copy
        self.log_sent = None  # (sender, message, to) -> None
        self.full = None  # (target, message) -> None: blocks or raises QueueFull
        self.dispatch_slow = None  # (machine, message, to, back, replays, value, key, handler)


HOOKS = _Hooks()


def configure(
    capacity: int,
    undeliverable: object,
    copy: object,
    log_sent: object,
    full: object,
    dispatch_slow: object,
) -> None:
    """Install the kernel's slow paths (called once at import of ``_object``/``_machine``)."""
    HOOKS.capacity = capacity
    if undeliverable is not None:
        HOOKS.undeliverable = undeliverable
    if copy is not None:
        HOOKS.copy = copy
    if log_sent is not None:
        HOOKS.log_sent = log_sent
    if full is not None:
        HOOKS.full = full
    if dispatch_slow is not None:
        HOOKS.dispatch_slow = dispatch_slow


def unwrap(message: object) -> tuple:
    """``(bare value, dispatch key)``: the portable for cast values, else the class."""
    if type(message) is tuple and len(message) == 2 and isinstance(message[1], Portable):
        return message[0], message[1]
    return message, type(message)


def send_from(
    sender: object,
    message: object,
    to: object,
    back: object,
    logged: bool = False,
    owned: bool = False,
) -> None:
    """The send path: look up, copy if the type asks for it, log if on, deliver.

    ``owned``: no other reference to ``message`` exists (it was just decoded from the wire or
    built for this one send), so the copy that protects the receiver from the sender is
    skipped; for a listing of 40,000 names that copy was half the node's time."""
    source = sender
    target = _TABLE.get(to)
    if target is None:
        if type(to) is tuple and len(to) > 1:
            target = _TABLE.get(to[:1])  # a proxy: the rest of the address lies beyond it
        if target is None:
            HOOKS.undeliverable(sender, message, to)
            return
    spec = _SPECS.get(type(message))
    if not owned and spec is not None and spec.needs_copy:
        message = HOOKS.copy(message, spec)
    if (
        source is not None
        and not logged
        and source._trail_sent
        and (spec is None or spec.message_trail)
    ):
        HOOKS.log_sent(sender, message, to)
    if target._direct:
        machine_deliver(target, message, to, back)
    else:
        target.deliver(message, to, back)


def agent_send(self: object, message: object, to: object) -> None:
    """``send`` of every object: queue ``message`` for the object at ``to``."""
    send_from(self, message, to, self.object_address, False)


def agent_reply(self: object, message: object) -> None:
    """``reply`` of every object: send to the return address of the message just received."""
    send_from(self, message, self.return_address, self.object_address, False)


class RunQueue:
    """The loop's single run queue of ``(object, message, to, back)``."""

    def __init__(self) -> None:
        self.queue = collections.deque()
        self._append = self.queue.append  # bound once: no method lookup per message
        self._popleft = self.queue.popleft
        self.scheduled = False
        self.ident = 0
        self.loop = None

    def post(self, obj: object, message: object, to: object, back: object) -> None:
        """Queue a message for a loop-hosted object (any thread)."""
        self._append((obj, message, to, back))
        if not self.scheduled:
            self.scheduled = True
            if _get_ident() == self.ident:
                self.loop.call_soon(self.drain)
            else:
                self.loop.call_soon_threadsafe(self.drain)

    def drain(self) -> None:
        """Deliver queued messages in order, a bounded batch per turn (loop thread)."""
        self.scheduled = False
        q = self.queue
        pop = self._popleft
        n = 0
        try:
            while n < _BATCH:
                try:
                    item = pop()
                except IndexError:
                    return
                obj = item[0]
                if obj._direct:
                    machine_receive(obj, item[1], item[2], item[3])
                else:
                    obj.receive(item[1], item[2], item[3])
                n += 1
        finally:  # also when a receive raised: what is left must not wait for the next post
            if q and not self.scheduled:
                self.scheduled = True
                self.loop.call_soon(self.drain)


RUN = RunQueue()
#: The run queue as other modules see it (when compiled, ``RUN`` is a C-level global).
run_queue = RUN


def machine_deliver(self: object, message: object, to: object, back: object) -> None:
    """``deliver`` of machines: count, then the run queue or the machine's own thread."""
    if self._pending >= HOOKS.capacity:
        HOOKS.full(self, message)
    self._pending += 1
    host = self._host
    if host is None:
        RUN.post(self, message, to, back)
    else:
        host.put((self, message, to, back))


def machine_receive(self: object, message: object, to: object, back: object) -> None:
    """``receive`` of machines: dispatch one fresh message, then replay earlier saves."""
    if self._space is None:
        self._pending -= 1
    else:
        self.took_one()
    if self._ended:
        HOOKS.undeliverable(None, message, to)
        return
    saved = self._saved
    if saved:
        self._saved = []
        machine_dispatch(self, message, to, back, 0)
        for item in saved:
            if self._ended:
                break
            self._replays = item[3]  # read by save(): how often this one was saved
            machine_dispatch(self, item[0], item[1], item[2], item[3])
        self._replays = 0
    else:
        machine_dispatch(self, message, to, back, 0)


def machine_dispatch(self: object, message: object, to: object, back: object, replays: int) -> None:
    """Run the handler of one message in the machine's current state."""
    self.return_address = back
    self.to_address = to
    self._received = message
    if type(message) is tuple and len(message) == 2 and isinstance(message[1], Portable):
        value = message[0]
        key = message[1]
    else:
        value = message
        key = type(message)
    exact = self._exact
    if exact is not None:  # stateless: the one table's dict, cached on the object
        handler = exact.get(key, _MISS)
        if handler is _MISS:
            handler = self._spec.tables[self.current_state].lookup(key, value)
        general = handler is None or self._trail_recv
    else:
        spec = self._spec
        table = spec.tables[self.current_state]
        handler = table.exact.get(key, _MISS)
        if handler is _MISS:
            handler = table.lookup(key, value)
        general = handler is None or self._trail_recv or spec.stateful
    if general:
        # Logging, saving, dropping and state checks: the general path.
        HOOKS.dispatch_slow(self, message, to, back, replays, value, key, handler)
        return
    try:
        handler(self, value)
    except BaseException as e:
        self._handler_raised(e)
