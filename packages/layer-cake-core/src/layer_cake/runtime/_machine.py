# cython: annotation_typing=False
"""Machines: reactive objects whose handlers run per message (api-core §1.1).

``Point`` machines run on the loop thread, or on a named dispatcher thread shared by every
class bound with that ``thread=`` name; ``Threaded`` machines have a thread each. A handler
must not block. Dispatch uses the tables built at bind (``_bind.DispatchTable``).
"""

from __future__ import annotations

import queue
import threading

from ._dispatch import configure, machine_deliver, machine_receive
from ._dispatch import run_queue as RUN
from ._log import LOG
from ._loop import LOOP
from ._messages import USER_LOG, Faulted, Start
from ._object import QUEUE, REPLAY_LIMIT, Agent, Completion, hex_of, tag_of

__all__ = [
    "Point",
    "Threaded",
    "Machine",
    "Stateless",
    "StateMachine",
    "Dispatching",
    "make_machine",
    "launch_machine",
    "named_dispatchers",
    "REPLAY_LIMIT",
]

DISPATCHER_PREFIX = (
    "layer-cake-dispatcher-"  # named dispatcher threads: shared, live for the process
)


class Dispatching(Agent):
    """Dispatch of received messages to handlers, with save and replay."""

    # current_state and _replays (saves of the message being handled) are Core's fields.
    receive = machine_receive  # compiled hot path (_dispatch.py)

    def save(self, message: object = None) -> None:
        """Keep the message being handled; it replays right after the next fresh message to
        this machine, in save order (api-core §6, compat §2.3). The 8th save discards it."""
        received = self._received
        if message is not None and message is not received:
            value = received[0] if type(received) is tuple and len(received) == 2 else received
            if message is not value:
                received = message  # another message: kept as given
        self.keep_for_replay(received, self.to_address, self.return_address, self._replays)

    def _handler_raised(self, e: BaseException) -> None:
        """A handler ended the machine (``complete``) or raised."""
        if isinstance(e, Completion):
            self.end(e.value)
        elif isinstance(e, Exception):
            self._fault(e)
        else:  # KeyboardInterrupt, SystemExit
            if self._threshold <= USER_LOG.FAULT or LOG.level <= USER_LOG.FAULT:
                self._log("!", f"unhandled exception ({type(e).__name__})")
            self.end(Faulted("object compromised", f"unhandled exception ({type(e).__name__})"))

    def _fault(self, e: BaseException) -> None:
        if self._threshold <= USER_LOG.FAULT or LOG.level <= USER_LOG.FAULT:
            self._log("!", f"unhandled exception ({e})")
        self.end(Faulted("object faulted", f"unhandled exception ({e})"))


def _dispatch_slow(
    self: Dispatching,
    message: object,
    to: tuple,
    back: tuple,
    replays: int,
    value: object,
    key: object,
    handler: object,
) -> None:
    """Dispatch with logging, saving, dropping and state changes (the general path)."""
    spec = self._spec
    state = self.current_state
    if self._trail_recv:
        self._log("<", f"Received {tag_of(message)} from <{hex_of(back)}>")
    if handler is None:
        saving = spec.saving.get(state) if spec.stateful else None  # type: ignore[attr-defined]
        if saving is not None and saving.lookup(key, value):
            self.keep_for_replay(message, to, back, replays)
            return
        self.dropped(message, back)
        return
    try:
        result = handler(self, value)  # type: ignore[operator]
    except BaseException as e:
        self._handler_raised(e)
        return
    if spec.stateful:  # type: ignore[attr-defined]
        if result not in spec.tables:  # type: ignore[attr-defined]
            self.end(
                Faulted(
                    f'machine "{spec.name}" returned no state',  # type: ignore[attr-defined]
                    f"handler {handler.__name__}",
                )
            )  # type: ignore[attr-defined]
            return
        self.current_state = result


def _full(target: Agent, message: object) -> None:
    """A machine's queue is full: loop-side senders get QueueFull, thread senders wait."""
    if LOOP.on_loop() or getattr(threading.current_thread(), "lc_dispatcher", False):
        target.queue_full(message, None)
    target.wait_for_space(message, None)


configure(QUEUE.capacity, None, None, None, _full, _dispatch_slow)


class Point(Dispatching):
    """Base of machines hosted on the loop (or a named dispatcher thread)."""

    def __init__(self) -> None:
        self._agent_init()
        self._saved: list = []

    deliver = machine_deliver  # compiled hot path (_dispatch.py)
    # _host (Core's field): a named dispatcher's queue, the machine's own (Threaded) or None.

    def deliver_returned(self, message: object, to: tuple, back: tuple) -> None:
        """``machine_deliver`` without the capacity check (``Agent.deliver_returned``)."""
        self._pending += 1
        host = self._host
        if host is None:
            RUN.post(self, message, to, back)
        else:
            host.put((self, message, to, back))


class Threaded(Point):
    """Base of machines with a dedicated thread each."""


class Machine:
    """Marker base of the two dispatch flavours."""


class Stateless(Machine):
    """Handlers ``M_<tag>(self, message)``; the result is ignored."""

    def __init__(self) -> None:
        self.current_state = None


class StateMachine(Machine):
    """Handlers ``M_<STATE>_<tag>(self, message)`` return the next state."""

    def __init__(self, initial: object = None) -> None:
        self.current_state = initial


# Hosting ---------------------------------------------------------------------------------------

_named: dict[str, queue.SimpleQueue] = {}
_named_lock = threading.Lock()


def _serve(q: queue.SimpleQueue, single: Dispatching | None) -> None:
    """A dispatcher thread: receive until its (single) machine ends."""
    threading.current_thread().lc_dispatcher = True  # type: ignore[attr-defined]
    get = q.get
    while True:
        item = get()
        if item is None:
            return
        obj, message, to, back = item
        obj.receive(message, to, back)
        if single is not None and single._ended:
            return


def named_dispatchers() -> dict[str, queue.SimpleQueue]:
    """The named dispatcher threads' queues by name (live: ``lc.PB.thread_dispatch``)."""
    return _named


def _named_host(name: str) -> queue.SimpleQueue:
    with _named_lock:
        q = _named.get(name)
        if q is None:
            q = _named[name] = queue.SimpleQueue()
            t = threading.Thread(
                target=_serve, args=(q, None), name=f"{DISPATCHER_PREFIX}{name}", daemon=True
            )
            t.start()
        return q


def make_machine(spec: object, cls: type, args: tuple, kw: dict) -> Point:
    machine = cls(*args, **kw)
    if not hasattr(machine, "_contexts"):
        raise TypeError(f'"{cls.__qualname__}.__init__" must call lc.Point.__init__(self)')
    if machine._saved is None:
        machine._saved = []
    if spec.stateful and machine.current_state not in spec.tables:  # type: ignore[attr-defined]
        raise TypeError(
            f'"{cls.__qualname__}" initial state {machine.current_state!r} is not dispatched'
        )
    if not spec.stateful:  # type: ignore[attr-defined]
        machine._exact = spec.tables[None].exact  # type: ignore[attr-defined]
    if spec.threaded:  # type: ignore[attr-defined]
        q: queue.SimpleQueue = queue.SimpleQueue()
        machine._host = q
        threading.Thread(
            target=_serve, args=(q, machine), name=f"layer-cake-{cls.__name__}", daemon=True
        ).start()
    elif spec.thread is not None:  # type: ignore[attr-defined]
        machine._host = _named_host(spec.thread)  # type: ignore[attr-defined]
    return machine


def launch_machine(spec: object, machine: Point) -> None:
    machine.deliver(Start(), machine.object_address, machine.parent_address)
