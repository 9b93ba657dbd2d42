# cython: annotation_typing=False
"""Function objects (a thread each, blocking ``input``) and async objects (on the loop).

Both are routines: ``f(self, *args, **kw)`` whose return value is the object's result. Their
``self`` is a ``Buffering``: an inbox plus ``input``/``select``/``save``/``ask``. Function
objects read a ``queue.SimpleQueue``; async objects await a future set by the loop.
"""

from __future__ import annotations

import collections
import queue
import threading
import time
from typing import TYPE_CHECKING

from ..types._errors import PointConstructionError
from ._bind import DispatchTable, flatten, message_key
from ._dispatch import run_queue as RUN
from ._dispatch import unwrap
from ._log import LOG
from ._loop import LOOP
from ._messages import USER_LOG, Faulted, Returned, SelectTimer, Stop
from ._object import QUEUE, TABLE, Agent, Completion, hex_of, make_live, tag_of

if TYPE_CHECKING:
    import asyncio

__all__ = [
    "Buffering",
    "Channel",
    "AsyncBuffering",
    "SelectTable",
    "select_list",
    "make_routine",
    "launch_routine",
    "open_channel",
    "drop_channel",
    "channel",
    "halt",
]


class SelectTable:
    """A precompiled ``select`` list: matching types and types to save."""

    __slots__ = ("count", "matching", "saving")

    def __init__(self, types: tuple, saving: object = None) -> None:
        self.matching = DispatchTable()
        flat = flatten(types)
        for i, t in enumerate(flat):
            self.matching.add(message_key(t), i)
        self.count = len(flat)
        self.saving = None
        if saving:
            self.saving = DispatchTable()
            for t in flatten(saving):
                self.saving.add(message_key(t), True)


_get_ident = threading.get_ident


def select_list(*types: object, saving: object = None) -> SelectTable:
    """Precompile the types of a ``select`` call."""
    return SelectTable(types, saving)


class Buffering(Agent):
    """``self`` of a function object: an inbox read by blocking ``input``/``select``."""

    halted = False

    def __init__(self) -> None:
        self._agent_init()
        self._inbox: queue.SimpleQueue = queue.SimpleQueue()
        self._saved: list = []
        self._replay: collections.deque = collections.deque()
        self._current: tuple = ((), 0)  # (message, replays) just received, for save()

    # Delivery (any thread) ---------------------------------------------------------------------

    def deliver(self, message: object, to: tuple, back: tuple) -> None:
        q = self._inbox
        if q.qsize() >= QUEUE.capacity:
            if LOOP.on_loop() or getattr(threading.current_thread(), "lc_dispatcher", False):
                self.queue_full(message, None)
            self.wait_for_space(message, None)
        q.put((message, to, back))

    def deliver_returned(self, message: object, to: tuple, back: tuple) -> None:
        """Into the inbox past its capacity (``Agent.deliver_returned``)."""
        self._inbox.put((message, to, back))

    def queued(self) -> int:
        return self._inbox.qsize()

    # The input API (blocking) -------------------------------------------------------------------

    def input(self) -> object:
        """The next message (bare value); sets the receive context."""
        if _get_ident() == RUN.ident:  # LOOP.on_loop(), without a call into a pure module
            raise PointConstructionError(
                "input() blocks: not on the event loop (use an async object)"
            )
        return _accept(self, _next(self, None))  # type: ignore[arg-type]

    def select(self, *types: object, saving: object = None, seconds: float | None = None) -> tuple:
        """Wait for a message matching ``types``: ``(value, index)``; ``(SelectTimer(),
        len(types))`` when ``seconds`` pass first. Others matching ``saving`` are saved."""
        if _get_ident() == RUN.ident:
            raise PointConstructionError(
                "select() blocks: not on the event loop (use an async object)"
            )
        table = (
            types[0]
            if len(types) == 1 and isinstance(types[0], SelectTable)
            else SelectTable(types, saving)
        )
        deadline = None if seconds is None else time.monotonic() + seconds
        while True:
            timeout = None if deadline is None else max(deadline - time.monotonic(), 0.0)
            item = _next(self, timeout)
            if item is None:
                return SelectTimer(), table.count
            result = self._match(table, item)
            if result is not None:
                return result

    def _match(self, table: SelectTable, item: tuple) -> tuple | None:
        message = item[0]
        value, key = unwrap(message)
        if table.count == 0:
            return _accept(self, item), 0
        index = table.matching.lookup(key, value)
        if index is not None:
            return _accept(self, item), index
        if table.saving is not None and table.saving.lookup(key, value):
            self.keep_for_replay(*item)
            return None
        self.dropped(message, item[2])
        return None

    def save(self, value: object = None, *, message: object = None) -> None:
        """Push back the message just received; it replays after the next fresh one.

        (``message`` is the original library's parameter name, compat §2.2.)"""
        received, replays = self._current
        self.keep_for_replay(received, self.to_address, self.return_address, replays)

    def ask(
        self,
        request: object = None,
        responses: object = None,
        address: tuple | None = None,
        saving: object = None,
        seconds: float | None = None,
        **orig: object,
    ) -> tuple:
        """``send`` then ``select``. The original names ``q``, ``r``, ``a`` are accepted as
        keywords (compat §2.2)."""
        request, responses, address = _ask_arguments(request, responses, address, orig)
        self.send(request, address)  # type: ignore[arg-type]
        types = responses if isinstance(responses, (tuple, list)) else (responses,)
        return self.select(*types, saving=saving, seconds=seconds)

    def stop(
        self,
        address: tuple | None = None,
        responses: object = None,
        saving: object = None,
        seconds: float | None = None,
        **orig: object,
    ) -> tuple:
        """``ask(Stop(), ...)``; original keywords ``a``, ``r`` accepted (compat §2.2)."""
        address, responses = _stop_arguments(address, responses, orig)
        return self.ask(Stop(), responses, address, saving=saving, seconds=seconds)


def _next(self: Buffering, timeout: float | None) -> tuple | None:
    """Next (message, to, back, replays) of a ``Buffering``: replays first, then fresh ones.

    Module functions, not methods: compiled, a call is a C call, not an attribute lookup on
    an object with a ``__dict__`` (issue 13: two per ``input``)."""
    if self._replay:
        return self._replay.popleft()
    try:
        message, to, back = (
            self._inbox.get(timeout=timeout) if timeout is not None else self._inbox.get()
        )
    except queue.Empty:
        return None
    if self._space is not None:
        self.took_one()
    if self._saved:  # saved messages replay right after this fresh one
        self._replay.extend(self._saved)
        self._saved = []
    return message, to, back, 0


def _accept(self: Buffering, item: tuple) -> object:
    """Make ``item`` (from ``_next``) the message just received; its bare value."""
    message, to, back, replays = item
    self.return_address = back
    self.to_address = to
    self._received = message
    self._current = (message, replays)
    if self._trail_recv:
        self._log("<", f"Received {tag_of(message)} from <{hex_of(back)}>")
    return unwrap(message)[0]


class AsyncBuffering(Buffering):
    """``self`` of an async object: ``input``/``select``/``ask``/``stop`` are coroutines."""

    def __init__(self) -> None:
        super().__init__()
        self._fresh: collections.deque = collections.deque()
        self._waiter: asyncio.Future | None = None

    def deliver(self, message: object, to: tuple, back: tuple) -> None:
        """On the loop thread straight into the coroutine's queue (it wakes in the next turn
        of the loop, not one later); from any other thread through the run queue. Each
        sender's order holds: a sender sends from one thread, so by one path."""
        if self._pending >= QUEUE.capacity:
            if _get_ident() == RUN.ident:  # the loop never blocks
                self.queue_full(message, None)
            self.wait_for_space(message, None)
        self._hand_over(message, to, back)

    def deliver_returned(self, message: object, to: tuple, back: tuple) -> None:
        """Past the capacity (``Agent.deliver_returned``), by the same path as ``deliver``."""
        self._hand_over(message, to, back)

    def _hand_over(self, message: object, to: tuple, back: tuple) -> None:
        """Count it, then: on the loop thread, into the queue now; elsewhere, the run queue."""
        self._pending += 1
        if _get_ident() == RUN.ident:
            self.receive(message, to, back)
        else:
            RUN.post(self, message, to, back)

    def queued(self) -> int:
        """Posted and not yet taken by the coroutine (the inbox of threads is unused)."""
        return self._pending

    def receive(self, message: object, to: tuple, back: tuple) -> None:
        """Loop side of delivery: queue and wake the awaiting coroutine."""
        self._fresh.append((message, to, back))
        w = self._waiter
        if w is not None and not w.done():
            w.set_result(None)

    async def _next_async(self, timeout: float | None) -> tuple | None:
        if self._replay:
            return self._replay.popleft()
        deadline = None if timeout is None else time.monotonic() + timeout
        while not self._fresh:
            self._waiter = LOOP.loop.create_future()  # type: ignore[union-attr]
            try:
                if deadline is None:
                    await self._waiter
                else:
                    left = deadline - time.monotonic()
                    if left <= 0:
                        return None
                    import asyncio  # loaded with the loop: the import is a dict lookup

                    try:
                        await asyncio.wait_for(asyncio.shield(self._waiter), left)
                    except asyncio.TimeoutError:
                        return None
            finally:
                self._waiter = None
        message, to, back = self._fresh.popleft()
        self.took_one()  # _pending counts posted and not yet taken by the coroutine
        if self._saved:
            self._replay.extend(self._saved)
            self._saved = []
        return message, to, back, 0

    async def input(self) -> object:  # type: ignore[override]
        """The next message (bare value)."""
        return _accept(self, await self._next_async(None))  # type: ignore[arg-type]

    async def select(
        self, *types: object, saving: object = None, seconds: float | None = None
    ) -> tuple:  # type: ignore[override]
        table = (
            types[0]
            if len(types) == 1 and isinstance(types[0], SelectTable)
            else SelectTable(types, saving)
        )
        deadline = None if seconds is None else time.monotonic() + seconds
        while True:
            timeout = None if deadline is None else max(deadline - time.monotonic(), 0.0)
            item = await self._next_async(timeout)
            if item is None:
                return SelectTimer(), table.count
            result = self._match(table, item)
            if result is not None:
                return result

    async def ask(  # type: ignore[override]
        self,
        request: object = None,
        responses: object = None,
        address: tuple | None = None,
        saving: object = None,
        seconds: float | None = None,
        **orig: object,
    ) -> tuple:
        request, responses, address = _ask_arguments(request, responses, address, orig)
        self.send(request, address)  # type: ignore[arg-type]
        types = responses if isinstance(responses, (tuple, list)) else (responses,)
        return await self.select(*types, saving=saving, seconds=seconds)

    async def stop(  # type: ignore[override]
        self,
        address: tuple | None = None,
        responses: object = None,
        saving: object = None,
        seconds: float | None = None,
        **orig: object,
    ) -> tuple:
        address, responses = _stop_arguments(address, responses, orig)
        return await self.ask(Stop(), responses, address, saving=saving, seconds=seconds)


def _unexpected(method: str, orig: dict) -> TypeError:
    return TypeError(f"{method}() got an unexpected keyword argument '{next(iter(orig))}'")


def _ask_arguments(request: object, responses: object, address: object, orig: dict) -> tuple:
    """``ask`` arguments under either name: ``request/q``, ``responses/r``, ``address/a``."""
    request = orig.pop("q", request)
    responses = orig.pop("r", responses)
    address = orig.pop("a", address)
    if orig:
        raise _unexpected("ask", orig)
    if request is None or responses is None or address is None:
        raise TypeError("ask() needs a request, the responses and an address")
    return request, responses, address


def _stop_arguments(address: object, responses: object, orig: dict) -> tuple:
    """``stop`` arguments under either name: ``address/a``, ``responses/r``."""
    address = orig.pop("a", address)
    responses = orig.pop("r", responses)
    if orig:
        raise _unexpected("stop", orig)
    if address is None:
        raise TypeError("stop() needs an address")
    return address, (Returned,) if responses is None else responses


def make_routine(spec: object, fn: object) -> Buffering:
    return AsyncBuffering() if spec.kind == "async" else Buffering()  # type: ignore[attr-defined]


def _result_of_exception(agent: Agent, e: BaseException) -> Faulted:
    if isinstance(e, (KeyboardInterrupt, SystemExit)):
        text = f"unhandled exception ({type(e).__name__})"
        condition = "object compromised"
    else:
        text = f"unhandled exception ({e})"
        condition = "object faulted"
    if agent._threshold <= USER_LOG.FAULT or LOG.level <= USER_LOG.FAULT:
        agent._log("!", text)
    return Faulted(condition, text)


def launch_routine(spec: object, agent: Buffering, args: tuple, kw: dict) -> None:
    fn = spec.target  # type: ignore[attr-defined]
    if spec.kind == "async":  # type: ignore[attr-defined]
        LOOP.call(_start_task, fn, agent, args, kw)
        return

    def run() -> None:
        try:
            value = fn(agent, *args, **kw)
        except Completion as c:
            value = c.value
        except BaseException as e:
            value = _result_of_exception(agent, e)
        agent.end(value)

    threading.Thread(target=run, name=f"layer-cake-{spec.name}", daemon=True).start()  # type: ignore[attr-defined]


def _start_task(fn: object, agent: AsyncBuffering, args: tuple, kw: dict) -> None:
    import asyncio  # on the loop thread: asyncio is loaded

    async def run() -> None:
        try:
            value = await fn(agent, *args, **kw)  # type: ignore[operator]
        except Completion as c:
            value = c.value
        except asyncio.CancelledError:
            value = Faulted("object compromised", "unhandled exception (CancelledError)")
        except BaseException as e:
            value = _result_of_exception(agent, e)
        agent.end(value)

    LOOP.loop.create_task(run())  # type: ignore[union-attr]


# Channels: a self for ordinary code --------------------------------------------------------------


class Channel(Buffering):
    """A ``self`` for code that is not an object (tests, scripts, REPL)."""

    _name = "channel"

    def __enter__(self) -> Channel:
        return self

    def __exit__(self, *exc: object) -> None:
        drop_channel(self)


def open_channel() -> Channel:
    """A new channel with its own address (the loop starts when something needs it)."""
    c = Channel()
    level = LOG.level
    c._trail_sent = c._trail_recv = level <= USER_LOG.OBJECT
    make_live(c, (), max(level, int(USER_LOG.DEBUG)))
    return c


def drop_channel(c: Channel) -> None:
    """Remove a channel: messages to it are then undeliverable."""
    c._ended = True
    TABLE.pop(c.object_address, None)


def channel() -> Channel:
    """Context manager form: ``with lc.channel() as self: ...``."""
    return open_channel()


def halt(address: tuple) -> None:
    """Set ``halted`` on a function or async object (it checks the flag itself)."""
    agent = TABLE.get(address)
    if agent is not None:
        agent.halted = True  # type: ignore[attr-defined]
