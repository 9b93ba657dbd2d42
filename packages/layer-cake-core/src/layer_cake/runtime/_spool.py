# cython: annotation_typing=False
"""ObjectSpool (api-core §10.5): one address in front of a pool of interchangeable workers.

How it works: every message that is not spool control is a request. A request goes to the
idle worker that has waited longest, sent from a job (a return address of its own), or waits
in a FIFO queue; the job's ``Returned`` is relayed to the requester and frees the worker.
Every job records its worker, requester and start time; ``on_worker`` maps a busy worker to
its job, so a worker that ends (or leaves) with a request in flight is found at once: its
job is stopped and marked lost. A lost job that ends ``Aborted`` is answered
``TemporarilyUnavailable('worker terminated during request')``; one whose reply was already
queued ends with that reply, which is relayed as usual (run-queue order guarantees the reply
is seen first).

Deviation (measured): a job does not run its own ``T1``. Arming and cancelling one loop timer
per request cost a fifth of the spool's throughput (51k -> 65k replies/s with 8 loop-hosted
workers); jobs are bounded by the worker count, so the spool keeps one ``T3`` armed for the
earliest deadline and, when it fires, stops the jobs that are due. Such a job is answered
``TimedOut(T1)`` after ``responsiveness * 5`` s exactly as its own timer would have, or with
the reply if one was already on its way.

Deviation (measured): a job is not a ``GetResponse`` object but a ``_Job``, an address of its
own in the table that behaves as one seen from outside: the request goes out from it, the
first message to arrive is the reply, ``Stop`` from the spool ends it ``Aborted()``, and the
spool gets its ``Returned``. Creating, starting and ending a machine per request (a ``Start``
through the run queue, a ``Completion`` unwound, a dispatch table walked) was most of the
spool's cost per request: a round of ``test_replies_256_in_flight_spool_of_8_machines`` took
158 ms before, 75 ms after; the seed demo's server spent 387k instructions a request, 363k after.
"""

from __future__ import annotations

import collections
import contextlib
import time

from .._utilities import spread_out
from ..types._message import Unknown
from ._bind import bind_stateless
from ._machine import Point, Stateless
from ._messages import (
    T1,
    T2,
    T3,
    Aborted,
    Busy,
    Faulted,
    JoinSpool,
    LeaveSpool,
    Overloaded,
    Returned,
    Start,
    Stop,
    TemporarilyUnavailable,
    TimedOut,
)
from ._object import TABLE, TIMER_ADDRESS, Agent, QueueFull, make_live

__all__ = ["ObjectSpool"]

_WINDOW = 32  # response times in the Busy mean
_NO_PROSPECTS = "Service temporarily unavailable (no worker and no immediate prospects of one)"
_LOST = "worker terminated during request"
_RUNNING, _GONE, _LATE = 0, 1, 2  # job states: waiting; its worker ended or left; timed out


class ObjectSpool(Point, Stateless):
    """A pool of ``object_count`` workers used like one worker address.

    Args:
        object_type: the worker type, or None for an externally fed spool
            (``JoinSpool``/``LeaveSpool``).
        role_name: ProcessObject workers get ``role_name.format(i=i)`` (default ``spool-{i}``).
        object_count: workers to create.
        size_of_queue: requests that may wait for a worker (None: no limit).
        responsiveness: mean response time (s) from which requests are refused ``Busy``;
            each request times out after five times this.
        busy_pass_rate: while busy, every this-th request still passes.
        stand_down: seconds (spread out) before an ended worker is replaced; None: the spool
            stops when a worker ends.
    """

    def __init__(
        self,
        object_type: object,
        *args: object,
        role_name: str | None = None,
        object_count: int = 8,
        size_of_queue: int | None = None,
        responsiveness: float = 5.0,
        busy_pass_rate: int = 10,
        stand_down: float = 30.0,
        **settings: object,
    ) -> None:
        Point.__init__(self)
        Stateless.__init__(self)
        self.object_type = object_type
        self.args = args
        self.settings = settings
        self.role_name = role_name
        self.object_count = object_count
        self.size_of_queue = size_of_queue
        self.responsiveness = responsiveness
        self.busy_pass_rate = busy_pass_rate
        self.stand_down = stand_down
        self.request_seconds = responsiveness * 5 if responsiveness else None
        self.workers: dict = {}  # worker address -> slot number (self-created) or None (joined)
        self.idle: collections.deque = collections.deque()  # idle workers, longest-waiting first
        self.on_worker: dict = {}  # busy worker -> its job
        self.jobs: dict = {}  # job address -> [worker, requester, start time, state]
        self.pending: collections.deque = collections.deque()  # (request, requester) waiting
        self.times = [0.0] * _WINDOW  # ring of recent response times
        self.times_count = 0
        self.times_next = 0
        self.times_sum = 0.0
        self.busy_count = 0
        self.replacements: list = []  # (deadline, slot) of ended workers
        self.watching = False  # T3 armed for the earliest job deadline
        self.stopping = False


def _check_parameters(self: ObjectSpool) -> list[str]:
    problems = []

    def number(name: str, value: object, least: float, optional: bool) -> None:
        if value is None and optional:
            return
        if isinstance(value, bool) or not isinstance(value, (int, float)) or value < least:
            problems.append(f"{name}={value!r}, at least {least:g} expected")

    number("object_count", self.object_count, 1, False)
    number("size_of_queue", self.size_of_queue, 1, True)
    number("responsiveness", self.responsiveness, 0.5, True)
    number("busy_pass_rate", self.busy_pass_rate, 1, False)
    number("stand_down", self.stand_down, 2.0, True)
    return problems


def _create_worker(self: ObjectSpool, slot: int) -> None:
    kw = self.settings
    if getattr(self.object_type, "__name__", None) == "ProcessObject":
        kw = dict(kw, role_name=(self.role_name or "spool-{i}").format(i=slot))
    worker = self.create(self.object_type, *self.args, **kw)
    self.workers[worker] = slot
    _ready(self, worker)


def _ready(self: ObjectSpool, worker: tuple) -> None:
    """A worker is free: give it the oldest waiting request, else make it idle."""
    if self.pending:
        request, requester = self.pending.popleft()
        _run(self, request, requester, worker)
    else:
        self.idle.append(worker)


class _Job(Agent):
    """One request in flight: the return address the worker answers to.

    Not a machine: nothing is queued for it. Its ``deliver`` (any thread) takes the first
    message to arrive off the table, atomically, and hands the spool that message, or
    ``Aborted()`` for a ``Stop`` from the spool, as the job's ``Returned``; whatever comes
    later finds no one at the address (undeliverable, counted), as after a machine's end.
    """

    _name = "spool-job"

    def deliver(self, message: object, to: tuple, back: tuple) -> None:
        address = self.object_address
        if TABLE.pop(address, None) is None:
            return  # ended already: a later message is as undeliverable as after an end
        self._ended = True
        parent = self.parent_address
        value = Aborted() if type(message) is Stop and back == parent else message
        spool = TABLE.get(parent)
        if spool is not None:
            spool.deliver_returned(Returned(value), parent, address)

    deliver_returned = deliver


def _start_job(self: ObjectSpool, request: object, worker: tuple) -> tuple:
    """A job's address, its request sent to ``worker`` from it."""
    job = _Job()
    job._trail_sent = self._trail_sent
    address = make_live(job, self.object_address, self._threshold)
    try:
        job.send(request, worker)
    except QueueFull as e:  # the worker's queue is full: the requester is told, not the spool
        job.deliver(Faulted("object faulted", f"unhandled exception ({e})"), address, address)
    return address


def _run(self: ObjectSpool, request: object, requester: tuple, worker: tuple) -> None:
    job = _start_job(self, request, worker)
    started = time.monotonic()
    self.jobs[job] = [worker, requester, started, _RUNNING]
    self.on_worker[worker] = job
    if not self.watching and self.request_seconds is not None:
        self.watching = True
        self.start(T3, self.request_seconds)


def _record(self: ObjectSpool, seconds: float) -> None:
    i = self.times_next
    self.times_sum += seconds - self.times[i]
    self.times[i] = seconds
    self.times_next = (i + 1) % _WINDOW
    if self.times_count < _WINDOW:
        self.times_count += 1


def _lose(self: ObjectSpool, worker: tuple) -> None:
    """A worker is gone: forget it; a request in flight on it is answered by its job."""
    del self.workers[worker]
    with contextlib.suppress(ValueError):
        self.idle.remove(worker)
    job = self.on_worker.pop(worker, None)
    if job is not None:
        self.jobs[job][3] = _GONE
        self.send(Stop(), job)
    if self.object_type is None and not self.workers:
        while self.pending:  # no worker and no prospects: nobody will serve these
            _, requester = self.pending.popleft()
            self.send(TemporarilyUnavailable(_NO_PROSPECTS), requester)


def _stop_all(self: ObjectSpool) -> None:
    """Stop jobs and own workers; end ``Aborted()`` once all of them have returned."""
    self.stopping = True
    self.replacements.clear()
    self.cancel(T2)
    self.cancel(T3)
    for job in self.jobs:
        self.send(Stop(), job)
    for worker, slot in self.workers.items():
        if slot is not None:
            self.send(Stop(), worker)
    while self.pending:
        _, requester = self.pending.popleft()
        self.send(Aborted(), requester)
    _maybe_done(self)


def _maybe_done(self: ObjectSpool) -> None:
    if self.jobs:
        return
    for slot in self.workers.values():
        if slot is not None:
            return
    self.complete(Aborted())


def _arm_replacement(self: ObjectSpool) -> None:
    if self.replacements:
        self.start(T2, self.replacements[0][0] - time.monotonic())


def ObjectSpool_Start(self: ObjectSpool, message: object) -> None:
    problems = _check_parameters(self)
    if problems:
        self.complete(Faulted(f"unexpected parameters ({'; '.join(problems)})"))
    if self.object_type is not None:
        for slot in range(self.object_count):
            _create_worker(self, slot)


def ObjectSpool_Unknown(self: ObjectSpool, message: object) -> None:
    """A request: run, queue or refuse it."""
    request = self._received  # as received: cast values keep their type
    requester = self.return_address
    if self.stopping:
        self.send(Aborted(), requester)
        return
    count = self.times_count
    if count and self.responsiveness is not None:
        mean = self.times_sum / count
        if mean >= self.responsiveness:
            self.busy_count += 1
            if self.busy_count % self.busy_pass_rate:
                text = f"message rejected by spool (average response time {mean:.2f})"
                self.send(Busy(text), requester)
                return
        else:
            self.busy_count = 0
    idle = self.idle
    if idle:
        _run(self, request, requester, idle.popleft())
    elif self.object_type is None and not self.workers:
        self.send(TemporarilyUnavailable(_NO_PROSPECTS), requester)
    elif self.size_of_queue is None or len(self.pending) < self.size_of_queue:
        self.pending.append((request, requester))
    else:
        text = f"message rejected by spool (overloaded, {len(self.pending)} pending)"
        self.send(Overloaded(text), requester)


def ObjectSpool_Returned(self: ObjectSpool, message: Returned) -> None:
    sender = self.return_address
    job = self.jobs.pop(sender, None)
    if job is not None:  # a request is done
        worker, requester, started, state = job
        result = message.message
        if state == _GONE:
            if isinstance(result, Aborted):
                result = TemporarilyUnavailable(_LOST)
            self.send(result, requester)
        else:
            del self.on_worker[worker]
            if state == _LATE:
                if isinstance(result, Aborted):
                    result = TimedOut(T1)
            elif not isinstance(result, TimedOut):
                _record(self, time.monotonic() - started)
            self.send(result, requester)
            if not self.stopping:
                _ready(self, worker)
        if self.stopping:
            _maybe_done(self)
        return
    slot = self.workers.get(sender)
    if slot is None:
        return  # not one of our workers
    self.trace(f"Spool process termination ({message.message})")
    _lose(self, sender)
    if self.stopping:
        _maybe_done(self)
    elif self.stand_down is None:
        _stop_all(self)
    else:
        self.replacements.append((time.monotonic() + spread_out(self.stand_down), slot))
        self.replacements.sort()
        _arm_replacement(self)


def ObjectSpool_T2(self: ObjectSpool, message: object) -> None:
    if self.return_address != TIMER_ADDRESS:
        ObjectSpool_Unknown(self, message)
        return
    if self.stopping:
        return
    now = time.monotonic()
    while self.replacements and self.replacements[0][0] <= now:
        _, slot = self.replacements.pop(0)
        _create_worker(self, slot)
    _arm_replacement(self)


def ObjectSpool_T3(self: ObjectSpool, message: object) -> None:
    """The earliest job deadline passed: stop the jobs that are due, re-arm for the next."""
    if self.return_address != TIMER_ADDRESS:
        ObjectSpool_Unknown(self, message)
        return
    self.watching = False
    if self.stopping:
        return
    seconds = self.request_seconds
    due = time.monotonic() - seconds
    earliest = None
    for job, record in self.jobs.items():
        if record[3] != _RUNNING:
            continue
        started = record[2]
        if started <= due:
            record[3] = _LATE
            self.send(Stop(), job)
        elif earliest is None or started < earliest:
            earliest = started
    if earliest is not None:
        self.watching = True
        self.start(T3, earliest + seconds - time.monotonic())


def ObjectSpool_JoinSpool(self: ObjectSpool, message: JoinSpool) -> None:
    worker = message.worker_address or self.return_address
    if worker in self.workers or self.stopping:
        return
    self.workers[worker] = None
    _ready(self, worker)


def ObjectSpool_LeaveSpool(self: ObjectSpool, message: LeaveSpool) -> None:
    worker = message.worker_address or self.return_address
    if worker in self.workers and self.workers[worker] is None:  # joined ones; unknown: ignored
        _lose(self, worker)


def ObjectSpool_Stop(self: ObjectSpool, message: object) -> None:
    if not self.stopping:
        _stop_all(self)


bind_stateless(ObjectSpool, (Start, Returned, T2, T3, JoinSpool, LeaveSpool, Stop, Unknown))
