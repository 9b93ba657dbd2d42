"""Concurrency helpers and the object spool (api-core §10, acceptance 23-32 and 34).

The test's ``self`` is a channel. Nothing sleeps for a fixed time: every wait is a ``select``
with a generous limit, and times are checked only as lower bounds.
"""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
from runtime_support import log_at, queue_capacity, texts

import layer_cake as lc

WAIT = 10.0  # generous limit on any single wait


class Job:
    """A request to a test worker; ``n < 0`` asks for a failure."""

    def __init__(self, n: int = 0) -> None:
        self.n = n


class Done:
    """A test worker's answer: the job number and the worker's last address component."""

    def __init__(self, n: int = 0, worker: int = 0) -> None:
        self.n = n
        self.worker = worker


lc.bind(Job)
lc.bind(Done)

END_WITHOUT_REPLY = -1
RAISE = -2


# Workers: a loop-hosted machine, a function object and an async object ---------------------------


class Worker(lc.Point, lc.Stateless):
    """Answers a ``Job`` after ``seconds`` (at once if 0, never if None). Tells ``watcher``
    ``Ready`` when it starts and ``Nak`` when stopped."""

    def __init__(self, seconds: float | None = 0.0, watcher=None) -> None:  # type: ignore[no-untyped-def]
        lc.Point.__init__(self)
        lc.Stateless.__init__(self)
        self.seconds = seconds
        self.watcher = watcher
        self.job: tuple = ()


def Worker_Start(self: Worker, message: lc.Start) -> None:
    if self.watcher:
        self.send(lc.Ready(), self.watcher)


def Worker_Job(self: Worker, message: Job) -> None:
    if message.n == END_WITHOUT_REPLY:
        self.complete(lc.Aborted())
    if message.n == RAISE:
        raise ValueError("boom")
    if self.seconds is None:
        return
    if self.seconds == 0:
        self.reply(Done(message.n, self.object_address[-1]))
        return
    self.job = (message.n, self.return_address)
    self.start(lc.T1, self.seconds)


def Worker_T1(self: Worker, message: lc.T1) -> None:
    n, requester = self.job
    self.send(Done(n, self.object_address[-1]), requester)


def Worker_Stop(self: Worker, message: lc.Stop) -> None:
    if self.watcher:
        self.send(lc.Nak(), self.watcher)
    self.complete(lc.Aborted())


lc.bind(Worker, (lc.Start, Job, lc.T1, lc.Stop))


def thread_worker(self, watcher=None) -> lc.Faulted:  # type: ignore[no-untyped-def]
    """A function object: answers jobs at once, tells ``watcher`` ``Nak`` when stopped."""
    while True:
        m = self.input()
        if isinstance(m, lc.Stop):
            if watcher:
                self.send(lc.Nak(), watcher)
            return lc.Aborted()
        if isinstance(m, Job):
            if m.n == RAISE:
                raise ValueError("boom")
            self.reply(Done(m.n, self.object_address[-1]))


lc.bind(thread_worker)


async def async_worker(self) -> lc.Faulted:  # type: ignore[no-untyped-def]
    """An async object: answers jobs, doubles cast ints."""
    while True:
        m = await self.input()
        if isinstance(m, lc.Stop):
            return lc.Aborted()
        if isinstance(m, Job):
            self.reply(Done(m.n, self.object_address[-1]))
        elif isinstance(m, int):
            self.reply(lc.cast_to(2 * m, lc.int_type))


lc.bind(async_worker)

CREATED: list[str] = []


def step(self, name: str = "", fail: bool = False) -> str:  # type: ignore[no-untyped-def]
    """A sequence step: notes that it ran; faults when asked."""
    CREATED.append(name)
    if fail:
        raise ValueError(f"{name} failed")
    return name


lc.bind(step)


def stop_watcher(self, watcher=None) -> lc.Faulted:  # type: ignore[no-untyped-def]
    """Waits for ``Stop``, then tells ``watcher`` ``Nak``."""
    while True:
        m = self.input()
        if isinstance(m, lc.Stop):
            self.send(lc.Nak(), watcher)
            return lc.Aborted()


lc.bind(stop_watcher)


# Fixtures and helpers ----------------------------------------------------------------------------


@pytest.fixture
def me() -> Iterator[lc.Channel]:
    with lc.channel() as c:
        yield c


def next_message(me: lc.Channel, *types: object, seconds: float = WAIT) -> object:
    value, _ = me.select(*types, seconds=seconds)
    assert not isinstance(value, lc.SelectTimer), f"nothing arrived in {seconds} s"
    return value


def returned(me: lc.Channel, seconds: float = WAIT) -> object:
    """The bare value of the next ``Returned``."""
    r = next_message(me, lc.Returned, seconds=seconds)
    return r.cast_back()[0] if isinstance(r.message, tuple) else r.message


def stop(me: lc.Channel, address: tuple) -> object:
    me.send(lc.Stop(), address)
    return returned(me)


def spool_of(me: lc.Channel, *args: object, **kw: object) -> tuple:
    return me.create(lc.ObjectSpool, *args, **kw)


def ask(me: lc.Channel, request: object, address: tuple) -> object:
    me.send(request, address)
    return next_message(me)


# GetResponse (23) --------------------------------------------------------------------------------


def test_get_response_ends_with_the_reply(me: lc.Channel) -> None:
    server = me.create(Worker)
    me.create(lc.GetResponse, Job(7), server)
    done = returned(me)
    assert isinstance(done, Done) and done.n == 7
    stop(me, server)


def test_get_response_recasts_a_cast_reply(me: lc.Channel) -> None:
    server = me.create(async_worker)
    me.create(lc.GetResponse, lc.cast_to(21, lc.int_type), server)
    r = next_message(me, lc.Returned)
    assert r.cast_back() == (42, lc.int_type)
    stop(me, server)


def test_get_response_from_silent_server_times_out(me: lc.Channel) -> None:
    server = me.create(Worker, seconds=None)
    started = time.monotonic()
    me.create(lc.GetResponse, Job(1), server, seconds=0.5)
    result = returned(me)
    assert time.monotonic() - started >= 0.5
    assert isinstance(result, lc.TimedOut)
    assert str(result) == 'timed out ("T1" exceeded)'
    stop(me, server)


def test_get_response_stopped_while_waiting_is_aborted(me: lc.Channel) -> None:
    server = me.create(Worker, seconds=None)
    job = me.create(lc.GetResponse, Job(1), server)
    assert isinstance(stop(me, job), lc.Aborted)
    stop(me, server)


# Without ``seconds`` (and with no object-level log) a GetResponse is not a machine but a
# lighter stand-in (runtime/_concurrency.py): each test runs both and expects the same.
SHAPES = [
    pytest.param({}, id="without seconds"),
    pytest.param({"seconds": 600.0}, id="with seconds, a machine"),
]


@pytest.mark.parametrize("shape", SHAPES)
def test_get_response_ends_with_the_first_answer_and_a_second_is_undeliverable(
    me: lc.Channel, shape: dict
) -> None:
    before = lc.runtime_counters().undeliverable
    with lc.channel() as server:
        me.create(lc.GetResponse, Job(1), server.object_address, **shape)
        request, _ = server.select(Job, seconds=WAIT)
        assert isinstance(request, Job)
        server.reply(Done(1))
        server.reply(Done(2))
        answer = returned(me)
        assert isinstance(answer, Done) and answer.n == 1
        deadline = time.monotonic() + WAIT  # the machine counts it when its queue gets to it
        while lc.runtime_counters().undeliverable == before and time.monotonic() < deadline:
            time.sleep(0.01)
        assert lc.runtime_counters().undeliverable - before == 1
    value, _ = me.select(lc.Returned, seconds=0.2)  # and no second Returned
    assert isinstance(value, lc.SelectTimer)


@pytest.mark.parametrize("shape", SHAPES)
def test_get_response_whose_request_is_refused_ends_faulted_as_a_machine_does(
    me: lc.Channel, shape: dict
) -> None:
    with queue_capacity(8), lc.channel() as worker:
        for _ in range(8):
            me.send(lc.Ack(), worker.object_address)
        me.create(lc.GetResponse, Job(1), worker.object_address, **shape)
        fault = returned(me)  # sent from the loop: refused, never blocked
        assert isinstance(fault, lc.Faulted)
        assert fault.condition == "object faulted"
        assert f"Queue full, Job to <{worker.object_address[-1]:08x}> rejected" in str(fault)
        for _ in range(8):
            assert isinstance(worker.input(), lc.Ack)


class Asker(lc.Point, lc.Stateless):
    """Creates a GetResponse to ``server`` and, in the same handler, sends ``Job(0)`` to
    the server (or, with ``stop``, a ``Stop`` to the GetResponse); ends with the
    GetResponse's result."""

    def __init__(self, server=(), shape=None, stop=False) -> None:  # type: ignore[no-untyped-def]
        lc.Point.__init__(self)
        lc.Stateless.__init__(self)
        self.server = server
        self.shape = shape or {}
        self.stop = stop


def Asker_Start(self: Asker, message: lc.Start) -> None:
    job = self.create(lc.GetResponse, Job(1), self.server, **self.shape)
    if self.stop:
        self.send(lc.Stop(), job)
    else:
        self.send(Job(0), self.server)


def Asker_Returned(self: Asker, message: lc.Returned) -> None:
    self.complete(message.message)


lc.bind(Asker, (lc.Start, lc.Returned))


@pytest.mark.parametrize("shape", SHAPES)
def test_get_response_sends_its_request_after_what_its_creator_sends_next(
    me: lc.Channel, shape: dict
) -> None:
    with lc.channel() as server:
        me.create(Asker, server.object_address, shape)
        first, _ = server.select(Job, seconds=WAIT)
        second, _ = server.select(Job, seconds=WAIT)
        assert (first.n, second.n) == (0, 1)  # the request went out from the run queue
        server.reply(Done(1))
        answer = returned(me)
        assert isinstance(answer, Done) and answer.n == 1


@pytest.mark.parametrize("shape", SHAPES)
def test_get_response_stopped_at_once_still_sends_its_request_then_is_aborted(
    me: lc.Channel, shape: dict
) -> None:
    with lc.channel() as server:
        me.create(Asker, server.object_address, shape, stop=True)
        request, _ = server.select(Job, seconds=WAIT)
        assert isinstance(request, Job) and request.n == 1
        assert isinstance(returned(me), lc.Aborted)


def test_get_response_is_a_machine_only_with_seconds_or_object_logs(me: lc.Channel) -> None:
    from layer_cake.runtime._object import TABLE

    with lc.channel() as server:
        silent = server.object_address
        light = me.create(lc.GetResponse, Job(1), silent)
        timed = me.create(lc.GetResponse, Job(2), silent, seconds=600.0)
        with log_at(lc.USER_LOG.OBJECT) as stream:
            logged = me.create(lc.GetResponse, Job(3), silent)
            assert isinstance(stop(me, logged), lc.Aborted)
        assert not isinstance(TABLE[light], lc.GetResponse)
        assert isinstance(TABLE[timed], lc.GetResponse)
        assert texts(stream, "+", logged) == [f"Created by <{me.object_address[-1]:08x}>"]
        assert texts(stream, "X", logged) == ["Destroyed"]
        assert isinstance(stop(me, light), lc.Aborted)
        assert isinstance(stop(me, timed), lc.Aborted)


def test_get_response_with_missing_arguments_is_refused_by_its_constructor(
    me: lc.Channel,
) -> None:
    with pytest.raises(TypeError, match="__init__"):
        me.create(lc.GetResponse, Job(1))


# Concurrently (24, 25) ---------------------------------------------------------------------------


def test_concurrently_results_are_in_item_order(me: lc.Channel) -> None:
    s1, s2, s3 = me.create(Worker, 0.3), me.create(Worker, 0.0), me.create(Worker, 0.2)
    me.create(lc.Concurrently, (Job(1), s1), (Job(2), s2), (Job(3), s3))
    results = returned(me)
    assert [(type(r), r.n) for r in results] == [(Done, 1), (Done, 2), (Done, 3)]
    assert [r.worker for r in results] == [s1[-1], s2[-1], s3[-1]]
    for s in (s1, s2, s3):
        stop(me, s)


def test_concurrently_without_items_is_an_empty_list(me: lc.Channel) -> None:
    me.create(lc.Concurrently)
    assert returned(me) == []


def test_concurrently_timeout_stops_children(me: lc.Channel) -> None:
    silent = me.create(Worker, seconds=None)
    started = time.monotonic()
    watcher = lc.CreateFrame(stop_watcher, watcher=me.object_address)
    me.create(lc.Concurrently, (Job(1), silent), watcher, seconds=0.3)
    seen = {type(next_message(me, lc.Returned, lc.Nak)) for _ in range(2)}
    assert seen == {lc.Returned, lc.Nak}  # the result, and the frame child was stopped
    assert time.monotonic() - started >= 0.3
    stop(me, silent)


def test_concurrently_timeout_result_is_timed_out(me: lc.Channel) -> None:
    silent = me.create(Worker, seconds=None)
    me.create(lc.Concurrently, (Job(1), silent), seconds=0.3)
    assert isinstance(returned(me), lc.TimedOut)
    stop(me, silent)


def test_concurrently_failed_slot_holds_its_fault(me: lc.Channel) -> None:
    server = me.create(Worker)
    bad_step = lc.CreateFrame(step, name="bad", fail=True)
    me.create(lc.Concurrently, bad_step, (Job(5), server))
    bad, good = returned(me)
    assert isinstance(bad, lc.Faulted)
    assert str(bad) == "object faulted (unhandled exception (bad failed))"
    assert isinstance(good, Done) and good.n == 5
    stop(me, server)


def test_concurrently_stopped_is_aborted(me: lc.Channel) -> None:
    silent = me.create(Worker, seconds=None)
    c = me.create(lc.Concurrently, (Job(1), silent))
    assert isinstance(stop(me, c), lc.Aborted)
    stop(me, silent)


# Sequentially (26) -------------------------------------------------------------------------------


def test_sequentially_runs_items_in_order() -> None:
    CREATED.clear()
    with lc.channel() as me:
        server = me.create(Worker)
        x, z = lc.CreateFrame(step, name="x"), lc.CreateFrame(step, name="z")
        me.create(lc.Sequentially, x, (Job(2), server), z)
        x, done, z = returned(me)
        assert (x[0], done.n, z[0]) == ("x", 2, "z")  # cast results stay (value, portable)
        assert CREATED == ["x", "z"]
        stop(me, server)


def test_sequentially_stops_at_first_fault_and_never_creates_the_rest() -> None:
    CREATED.clear()
    with lc.channel() as me:
        me.create(
            lc.Sequentially,
            lc.CreateFrame(step, name="x"),
            lc.CreateFrame(step, name="y", fail=True),
            lc.CreateFrame(step, name="z"),
        )
        result = returned(me)
        assert isinstance(result, lc.Faulted)
        assert str(result) == "object faulted (unhandled exception (y failed))"
        assert CREATED == ["x", "y"]  # z never created


def test_sequentially_timeout_is_timed_out(me: lc.Channel) -> None:
    silent = me.create(Worker, seconds=None)
    me.create(lc.Sequentially, lc.CreateFrame(step, name="x"), (Job(1), silent), seconds=0.3)
    assert isinstance(returned(me), lc.TimedOut)
    stop(me, silent)


# Delay (27) --------------------------------------------------------------------------------------


def test_delay_times_out_after_its_seconds(me: lc.Channel) -> None:
    started = time.monotonic()
    me.create(lc.Delay, seconds=0.3)
    result = returned(me)
    assert time.monotonic() - started >= 0.3
    assert isinstance(result, lc.TimedOut)


def test_delay_stopped_first_is_aborted(me: lc.Channel) -> None:
    d = me.create(lc.Delay, seconds=5.0)
    assert isinstance(stop(me, d), lc.Aborted)


# ObjectSpool (28-32, 34) -------------------------------------------------------------------------


def test_spool_of_eight_workers_spreads_concurrent_requests(me: lc.Channel) -> None:
    spool = spool_of(me, Worker, 0.2, watcher=me.object_address)
    for _ in range(8):
        next_message(me, lc.Ready)
    for n in range(16):
        me.send(Job(n), spool)
    answers = [next_message(me, Done) for _ in range(16)]
    assert sorted(a.n for a in answers) == list(range(16))
    assert len({a.worker for a in answers}) == 8  # the first 8 went to 8 different idle workers
    assert isinstance(stop(me, spool), lc.Aborted)


@pytest.mark.parametrize("worker", [thread_worker, async_worker], ids=["function", "async"])
def test_spool_relays_replies_from_function_and_async_workers(
    me: lc.Channel, worker: object
) -> None:
    spool = spool_of(me, worker, object_count=3)
    for n in range(12):
        me.send(Job(n), spool)
    assert sorted(next_message(me, Done).n for _ in range(12)) == list(range(12))
    me.create(lc.GetResponse, Job(99), spool)
    assert returned(me).n == 99
    assert isinstance(stop(me, spool), lc.Aborted)


def test_spool_keeps_the_type_of_cast_values(me: lc.Channel) -> None:
    spool = spool_of(me, async_worker, object_count=2)
    me.send(lc.cast_to(21, lc.int_type), spool)
    assert next_message(me) == 42
    assert me.received_type is lc.int_type or me.received_type == lc.int_type
    stop(me, spool)


def twice_worker(self) -> lc.Faulted:  # type: ignore[no-untyped-def]
    """Answers every job twice: the second answer must go nowhere."""
    while True:
        m = self.input()
        if isinstance(m, lc.Stop):
            return lc.Aborted()
        if isinstance(m, Job):
            self.reply(Done(m.n))
            self.reply(Done(m.n + 1000))


lc.bind(twice_worker)


def test_a_second_answer_to_a_spool_request_is_undeliverable_not_relayed(me: lc.Channel) -> None:
    spool = spool_of(me, twice_worker, object_count=1)
    before = lc.runtime_counters().undeliverable
    # One worker: it sends both answers to job k before it is given job k + 1, so a relayed
    # second answer would arrive before Done(k + 1).
    for n in range(1, 4):
        me.send(Job(n), spool)
    assert [next_message(me, Done).n for _ in range(3)] == [1, 2, 3]
    assert ask(me, Job(4), spool).n == 4  # and the worker is still in the pool
    assert lc.runtime_counters().undeliverable - before >= 3  # the answers of jobs 1-3 ended
    assert isinstance(stop(me, spool), lc.Aborted)


def test_a_request_to_a_worker_whose_queue_is_full_is_answered_faulted(me: lc.Channel) -> None:
    spool = spool_of(me, None)
    with queue_capacity(8), lc.channel() as worker:
        me.send(lc.JoinSpool(worker.object_address), spool)
        for _ in range(8):
            me.send(lc.Ack(), worker.object_address)
        fault = ask(me, Job(1), spool)  # the spool, on the loop, is refused: never blocked
        assert isinstance(fault, lc.Faulted)
        assert fault.condition == "object faulted"
        assert f"Queue full, Job to <{worker.object_address[-1]:08x}> rejected" in str(fault)
        for _ in range(8):  # room again: the same worker serves the next request
            assert isinstance(worker.input(), lc.Ack)
        me.send(Job(2), spool)
        assert isinstance(worker.input(), Job)
        worker.reply(Done(2))
        assert next_message(me, Done).n == 2
    assert isinstance(stop(me, spool), lc.Aborted)


@pytest.mark.parametrize(
    "settings",
    [
        {"object_count": 0},
        {"size_of_queue": 0},
        {"responsiveness": 0.1},
        {"stand_down": 1.0},
    ],
    ids=["object_count", "size_of_queue", "responsiveness", "stand_down"],
)
def test_spool_rejects_unexpected_parameters(me: lc.Channel, settings: dict) -> None:
    spool_of(me, Worker, **settings)
    fault = returned(me)
    assert isinstance(fault, lc.Faulted)
    name = next(iter(settings))
    assert str(fault).startswith("unexpected parameters (") and name in str(fault)


def test_spool_queue_full_is_overloaded(me: lc.Channel) -> None:
    spool = spool_of(me, Worker, 1.0, object_count=1, size_of_queue=2)
    for n in range(4):
        me.send(Job(n), spool)
    first = next_message(me)
    assert isinstance(first, lc.Overloaded)
    assert str(first) == "message rejected by spool (overloaded, 2 pending)"
    answered = [next_message(me, Done).n for _ in range(3)]
    assert answered == [0, 1, 2]  # the queue is served oldest first
    stop(me, spool)


def test_spool_refuses_most_requests_while_busy(me: lc.Channel) -> None:
    spool = spool_of(me, Worker, 1.0, responsiveness=0.5)
    for n in range(8):  # warm-up: one slow answer per worker
        me.send(Job(n), spool)
    for _ in range(8):
        next_message(me, Done)
    for n in range(40):
        me.send(Job(100 + n), spool)
    busy = [m for m in (next_message(me) for _ in range(40)) if isinstance(m, lc.Busy)]
    assert len(busy) == 36  # every 10th passes
    text = str(busy[0])
    assert text.startswith("message rejected by spool (average response time 1.")
    assert float(text.rsplit(" ", 1)[1].rstrip(")")) >= 1.0
    stop(me, spool)


def test_externally_fed_spool_serves_only_while_a_worker_joined(me: lc.Channel) -> None:
    spool = spool_of(me, None)
    unavailable = ask(me, Job(1), spool)
    assert isinstance(unavailable, lc.TemporarilyUnavailable)
    assert str(unavailable) == (
        "Service temporarily unavailable (no worker and no immediate prospects of one)"
    )
    w = me.create(async_worker)
    me.send(lc.JoinSpool(w), spool)
    done = ask(me, Job(2), spool)
    assert isinstance(done, Done) and done.worker == w[-1]
    me.send(lc.LeaveSpool(w), spool)
    assert isinstance(ask(me, Job(3), spool), lc.TemporarilyUnavailable)
    assert isinstance(stop(me, spool), lc.Aborted)
    stop(me, w)


def test_leaving_worker_with_request_in_flight_is_temporarily_unavailable(me: lc.Channel) -> None:
    spool = spool_of(me, None)
    w = me.create(Worker, seconds=None)
    me.send(lc.JoinSpool(w), spool)
    me.send(Job(1), spool)
    me.send(lc.LeaveSpool(w), spool)
    lost = next_message(me)
    assert isinstance(lost, lc.TemporarilyUnavailable)
    assert str(lost) == "worker terminated during request"
    stop(me, spool)
    stop(me, w)


def test_stopped_spool_stops_its_workers_and_is_aborted(me: lc.Channel) -> None:
    spool = spool_of(me, thread_worker, watcher=me.object_address)
    me.send(Job(1), spool)
    next_message(me, Done)
    me.send(lc.Stop(), spool)
    seen = [next_message(me, lc.Nak, lc.Returned) for _ in range(9)]
    assert sum(isinstance(m, lc.Nak) for m in seen) == 8
    assert isinstance(seen[-1], lc.Returned) and isinstance(seen[-1].message, lc.Aborted)


# Spool failure paths -----------------------------------------------------------------------------


@pytest.mark.parametrize("n", [END_WITHOUT_REPLY, RAISE], ids=["ends", "faults"])
def test_worker_ending_mid_request_is_answered_and_replaced(me: lc.Channel, n: int) -> None:
    watcher = me.object_address
    spool = spool_of(me, Worker, object_count=1, stand_down=2.0, watcher=watcher)
    next_message(me, lc.Ready)
    started = time.monotonic()
    me.send(Job(n), spool)
    lost = next_message(me, lc.TemporarilyUnavailable, seconds=5.0)  # job timeout: 25 s
    assert str(lost) == "worker terminated during request"
    next_message(me, lc.Ready, seconds=30.0)  # the replacement, after spread_out(2.0)
    assert time.monotonic() - started >= 2.0 * 0.75
    done = ask(me, Job(3), spool)
    assert isinstance(done, Done) and done.n == 3
    stop(me, spool)


def test_thread_worker_that_faults_mid_request_is_answered(me: lc.Channel) -> None:
    spool = spool_of(me, thread_worker, object_count=2)
    lost = ask(me, Job(RAISE), spool)
    assert isinstance(lost, lc.TemporarilyUnavailable)
    assert str(lost) == "worker terminated during request"
    assert isinstance(ask(me, Job(4), spool), Done)
    stop(me, spool)


def test_spool_without_stand_down_ends_when_a_worker_ends(me: lc.Channel) -> None:
    spool = spool_of(me, Worker, object_count=2, stand_down=None)
    me.send(Job(END_WITHOUT_REPLY), spool)
    seen = [next_message(me, lc.TemporarilyUnavailable, lc.Returned) for _ in range(2)]
    assert isinstance(seen[0], lc.TemporarilyUnavailable)
    assert isinstance(seen[1], lc.Returned) and isinstance(seen[1].message, lc.Aborted)


def test_spool_request_that_outlives_five_times_responsiveness_times_out(me: lc.Channel) -> None:
    spool = spool_of(me, Worker, None, object_count=1, responsiveness=0.5)
    started = time.monotonic()
    late = ask(me, Job(1), spool)
    assert isinstance(late, lc.TimedOut)
    assert time.monotonic() - started >= 2.5
    stop(me, spool)


def test_spool_stop_answers_queued_requests(me: lc.Channel) -> None:
    spool = spool_of(me, Worker, None, object_count=1)
    me.send(Job(1), spool)  # in flight, never answered
    me.send(Job(2), spool)  # queued
    me.send(lc.Stop(), spool)
    seen = [next_message(me) for _ in range(3)]
    assert sum(isinstance(m, lc.Aborted) for m in seen) == 2
    assert isinstance(seen[-1], lc.Returned) and isinstance(seen[-1].message, lc.Aborted)
