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

``_pending`` (queued, not yet received) is updated without a lock: increments by senders and
decrements on the receiving thread are single attribute updates under the GIL.
"""

from __future__ import annotations

import collections
import threading

from ..types._portable import Portable
from ..types._registry import SPECS

__all__ = [
    "TABLE",
    "RunQueue",
    "run_queue",
    "send_from",
    "machine_receive",
    "machine_deliver",
    "configure",
    "unwrap",
]

#: Address -> object. Written only on create and end; read under the GIL with no lock.
TABLE: dict = {}

_MISS = object()
_BATCH = 4096
_get_ident = threading.get_ident


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
    sender: object, message: object, to: object, back: object, logged: bool = False
) -> None:
    """The send path: look up, copy if the type asks for it, log if on, deliver."""
    target = TABLE.get(to)
    if target is None:
        if type(to) is tuple and len(to) > 1:
            target = TABLE.get(to[:1])  # a proxy: the rest of the address lies beyond it
        if target is None:
            HOOKS.undeliverable(sender, message, to)
            return
    spec = SPECS.get(type(message))
    if spec is not None and spec.needs_copy:
        message = HOOKS.copy(message, spec)
    if (
        sender is not None
        and not logged
        and sender._trail_sent
        and (spec is None or spec.message_trail)
    ):
        HOOKS.log_sent(sender, message, to)
    target.deliver(message, to, back)


class RunQueue:
    """The loop's single run queue of ``(object, message, to, back)``."""

    def __init__(self) -> None:
        self.queue = collections.deque()
        self.scheduled = False
        self.ident = 0
        self.loop = None

    def post(self, obj: object, message: object, to: object, back: object) -> None:
        """Queue a message for a loop-hosted object (any thread)."""
        self.queue.append((obj, message, to, back))
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
        pop = q.popleft
        n = 0
        while n < _BATCH:
            try:
                item = pop()
            except IndexError:
                return
            item[0].receive(item[1], item[2], item[3])
            n += 1
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
    spec = self._spec
    table = spec.tables[self.current_state]
    handler = table.exact.get(key, _MISS)
    if handler is _MISS:
        handler = table.lookup(key, value)
    if handler is None or self._trail_recv or spec.stateful:
        # Logging, saving, dropping and state checks: the general path.
        HOOKS.dispatch_slow(self, message, to, back, replays, value, key, handler)
        return
    try:
        handler(self, value)
    except BaseException as e:
        self._handler_raised(e)
