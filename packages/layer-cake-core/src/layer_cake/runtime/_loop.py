"""The event-loop thread: one per process, owning I/O, timers and loop-hosted objects.

Delivery to a loop-hosted object goes through the run queue of ``_dispatch`` (``RUN``): one
deque, drained in bounded batches, woken once per batch rather than once per message.

uvloop is used when installed, unless ``LC_EVENT_LOOP=asyncio`` asks for the stdlib loop.

Timers are never early, and an expiry costs one turn of the loop. uvloop keeps time in whole
milliseconds and rounds a delay to the nearest one, so a timer asked for at its deadline
runs up to a millisecond early. It is asked for half a millisecond more (``TIMER_MARGIN``);
one that comes early anyway (measured over 2,000 expiries: none compiled, 3 % with the pure
twins) is re-armed for the remainder, never for less than a millisecond: a delay under half
a millisecond rounds to zero, which uvloop runs at once, and re-arming by the bare remainder
spun the loop until the deadline (about twenty turns per expiry, issue 13). Lateness of a
10 ms repeating timer: p50 0.8 ms, max 1.4 ms (``test_timer_lateness_repeating_10ms``).

Process end (``stop``, also an ``atexit`` hook): the loop closes what registered a closer
(every listen and connection), gives the sockets a moment to flush, stops and its thread is
joined, all before the interpreter finalises. A loop thread still inside a socket callback
while the interpreter tears down crashes the process (SIGSEGV in ``PyGILState_Ensure``).
"""

from __future__ import annotations

import atexit
import contextlib
import os
import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from ._dispatch import run_queue as RUN

if TYPE_CHECKING:
    import asyncio

__all__ = ["LOOP", "EventLoop", "loop_kind", "TIMER_MARGIN"]

#: Seconds added to a timer's delay, and the least delay of a re-arm, by loop: uvloop rounds
#: delays to whole milliseconds; the stdlib loop keeps float time and needs neither.
TIMER_MARGIN = {"uvloop": (0.0005, 0.001), "asyncio": (0.0, 0.0)}


def loop_kind() -> str:
    """``uvloop`` or ``asyncio``: which loop this process runs."""
    if os.environ.get("LC_EVENT_LOOP", "").lower() == "asyncio":
        return "asyncio"
    try:
        import uvloop  # noqa: F401
    except ImportError:
        return "asyncio"
    return "uvloop"


class EventLoop:
    """The runtime's loop thread and its run queue."""

    def __init__(self) -> None:
        self.loop: asyncio.AbstractEventLoop | None = None
        self.thread: threading.Thread | None = None
        self.ident = 0
        self._lock = threading.Lock()
        self.kind = ""
        self.margin = 0.0  # TIMER_MARGIN of the loop in use: added to a delay,
        self.rearm = 0.0  # and the least delay of a re-arm
        #: Called on the loop thread at process end; each returns ``finished() -> bool``.
        self.closers: list[Callable[[], Callable[[], bool]]] = []
        self.stopped = False

    # Start-up --------------------------------------------------------------------------------

    def start(self) -> None:
        """Start the loop thread once; later calls return at once."""
        if self.loop is not None:
            return
        with self._lock:
            if self.loop is not None:
                return
            import asyncio  # with the loop only: a process of function objects runs without

            self.kind = loop_kind()
            self.margin, self.rearm = TIMER_MARGIN[self.kind]
            if self.kind == "uvloop":
                import uvloop

                loop = uvloop.new_event_loop()
            else:
                loop = asyncio.new_event_loop()
            ready = threading.Event()

            def run() -> None:
                asyncio.set_event_loop(loop)
                self.ident = threading.get_ident()
                RUN.ident = self.ident
                loop.call_soon(ready.set)
                loop.run_forever()

            self.thread = threading.Thread(target=run, name="layer-cake-loop", daemon=True)
            RUN.loop = loop
            self.thread.start()
            ready.wait()
            self.loop = loop
            atexit.register(self.stop)

    # Process end -----------------------------------------------------------------------------

    def stop(self, grace: float = 2.0) -> None:
        """Close the transports, stop the loop and join its thread (not on the loop thread).

        ``grace`` bounds the wait for sockets to flush and close; the join is bounded too.
        Later calls (and calls before the loop started) return at once.
        """
        loop, thread = self.loop, self.thread
        if loop is None or thread is None or self.stopped or self.on_loop():
            return
        self.stopped = True
        if not thread.is_alive():
            return
        deadline = time.monotonic() + grace
        try:
            loop.call_soon_threadsafe(self._close_all, deadline)
        except RuntimeError:  # closed meanwhile
            return
        thread.join(grace + 1.0)

    def _close_all(self, deadline: float) -> None:
        checks = []
        for closer in self.closers:
            with contextlib.suppress(Exception):  # process end: close what can be closed
                checks.append(closer())
        self._finish(deadline, checks)

    def _finish(self, deadline: float, checks: list) -> None:
        loop = self.loop
        assert loop is not None
        try:
            finished = all(check() for check in checks)
        except Exception:  # a closer's check failed: do not wait for it
            finished = True
        if finished or time.monotonic() >= deadline:
            _abandon_tasks(loop)
            loop.stop()  # run_forever returns and the thread ends
            return
        loop.call_later(0.005, self._finish, deadline, checks)

    def on_loop(self) -> bool:
        """True on the loop thread."""
        return threading.get_ident() == self.ident

    # Calls onto the loop ---------------------------------------------------------------------

    def call(self, f: Callable, *args: object) -> None:
        """Run ``f(*args)`` on the loop thread: now if already there, else soon."""
        if threading.get_ident() == self.ident:
            f(*args)
            return
        loop = self.loop
        if loop is None:  # started on first use (a process of function objects may need none)
            self.start()
            loop = self.loop
        loop.call_soon_threadsafe(f, *args)  # type: ignore[union-attr]

    def call_at_monotonic(self, deadline: float, f: Callable, *args: object) -> asyncio.TimerHandle:
        """Schedule ``f`` at a ``time.monotonic()`` deadline, never early (loop thread)."""
        loop = self.loop
        assert loop is not None
        delay = deadline - time.monotonic()
        if delay <= 0:
            return loop.call_soon(f, *args)  # type: ignore[return-value]
        return loop.call_later(delay + self.margin, self._not_early, deadline, f, args)

    def _not_early(self, deadline: float, f: Callable, args: tuple) -> object:
        # Run early despite the margin: wait out the remainder, at least ``rearm`` (a delay
        # that rounds to zero would run at once, again early: see the module's docstring).
        remaining = deadline - time.monotonic()
        if remaining > 0:
            loop = self.loop
            assert loop is not None
            delay = max(remaining + self.margin, self.rearm)
            return loop.call_later(delay, self._not_early, deadline, f, args)
        return f(*args)


def _abandon_tasks(loop: asyncio.AbstractEventLoop) -> None:
    """Keep asyncio from printing "Task was destroyed but it is pending!" for each task still
    pending as the process ends (an async object that ignored its Stop, a connect in flight)
    when the interpreter collects it: the loop stops right after this, so nothing would run a
    cancellation; ending them is the process's own choice, not an error for the user's
    stderr."""
    import asyncio  # loaded with the loop: a dict lookup

    for task in asyncio.all_tasks(loop):
        task._log_destroy_pending = False  # type: ignore[attr-defined]


LOOP = EventLoop()
