"""Runtime kernel throughput: round trips, fan-out, object churn, timer lateness and CPU per
expiry, and raw asyncio/uvloop baselines in the same run. Nothing asserts on time; run with
``-p no:xdist``::

    PYTHONPATH=packages/layer-cake-core/src python3 -m pytest benchmarks/test_bench_runtime.py \\
        -p no:xdist -p no:cacheprovider --benchmark-columns=median,ops,rounds

Each round creates one driver object and waits for its ``Returned``, so a round covers N
operations; ``extra_info["per_second"]`` is N divided by the median round time.
"""

from __future__ import annotations

import asyncio
import os
import statistics
import time

import pytest

import layer_cake as lc
from layer_cake.runtime._loop import loop_kind

ROUND_TRIPS = 20_000
THREAD_ROUND_TRIPS = 5_000
FAN_OUT_WORKERS = 8
FAN_OUT_MESSAGES = 80_000
CHURN = 1_000
TIMER_PERIOD = 0.01
TIMER_EXPIRIES = 200


@pytest.fixture(scope="module")
def ch():
    with lc.channel() as c:
        yield c


@pytest.fixture(autouse=True)
def _record_setup(benchmark) -> None:  # type: ignore[no-untyped-def]
    benchmark.extra_info["loop"] = loop_kind()
    benchmark.extra_info["pure_python"] = os.environ.get("LC_PURE_PYTHON", "") not in ("", "0")


def run_rounds(benchmark, ch, ops: int, object_type, *args, rounds: int = 5, **kw) -> None:  # type: ignore[no-untyped-def]
    """Benchmark ``create(object_type) + wait for Returned``; record ops per second."""

    def one() -> None:
        ch.create(object_type, *args, **kw)
        m, i = ch.select(lc.Returned, seconds=120)
        assert i == 0 and not isinstance(m.message, lc.Faulted), m.message

    benchmark.pedantic(one, rounds=rounds, iterations=1, warmup_rounds=1)
    if benchmark.stats is None:  # --benchmark-disable: ran once, nothing measured
        return
    median = benchmark.stats.stats.median
    benchmark.extra_info["ops_per_round"] = ops
    benchmark.extra_info["per_second"] = round(ops / median)
    benchmark.extra_info["median_per_op_us"] = round(median / ops * 1e6, 3)


# Machine <-> machine -----------------------------------------------------------------------------


class Ponger(lc.Point, lc.Stateless):
    def __init__(self) -> None:
        lc.Point.__init__(self)
        lc.Stateless.__init__(self)


def Ponger_Start(self, m):
    pass


def Ponger_Ping(self, m):
    self.reply(lc.Ack())


def Ponger_Stop(self, m):
    self.complete()


lc.bind(Ponger, (lc.Start, lc.Ping, lc.Stop))


class Pinger(lc.Point, lc.Stateless):
    def __init__(self, n: int = ROUND_TRIPS) -> None:
        lc.Point.__init__(self)
        lc.Stateless.__init__(self)
        self.n = n
        self.count = 0
        self.peer = None


def Pinger_Start(self, m):
    self.peer = self.create(Ponger)
    self.send(lc.Ping(), self.peer)


def Pinger_Ack(self, m):
    self.count += 1
    if self.count < self.n:
        self.send(lc.Ping(), self.peer)
        return
    self.send(lc.Stop(), self.peer)
    self.complete()


lc.bind(Pinger, (lc.Start, lc.Ack))


def test_round_trips_machine_to_machine(benchmark, ch):
    run_rounds(benchmark, ch, ROUND_TRIPS, Pinger, n=ROUND_TRIPS)


# Async <-> async ---------------------------------------------------------------------------------


async def async_ponger(self):
    while True:
        m = await self.input()
        if isinstance(m, lc.Stop):
            return None
        self.reply(lc.Ack())


lc.bind(async_ponger)


async def async_pinger(self, n: int = ROUND_TRIPS):
    peer = self.create(async_ponger)
    for _ in range(n):
        self.send(lc.Ping(), peer)
        await self.input()
    self.send(lc.Stop(), peer)
    await self.input()  # its Returned


lc.bind(async_pinger)


def test_round_trips_async_to_async(benchmark, ch):
    run_rounds(benchmark, ch, ROUND_TRIPS, async_pinger, n=ROUND_TRIPS)


# Function <-> function (threads) -----------------------------------------------------------------


def thread_ponger(self):
    while True:
        m = self.input()
        if isinstance(m, lc.Stop):
            return None
        self.reply(lc.Ack())


lc.bind(thread_ponger)


def thread_pinger(self, n: int = THREAD_ROUND_TRIPS, machine: bool = False):
    peer = self.create(Ponger if machine else thread_ponger)
    for _ in range(n):
        self.send(lc.Ping(), peer)
        self.input()
    self.send(lc.Stop(), peer)
    self.input()  # its Returned


lc.bind(thread_pinger)


def test_round_trips_thread_to_thread(benchmark, ch):
    run_rounds(benchmark, ch, THREAD_ROUND_TRIPS, thread_pinger, n=THREAD_ROUND_TRIPS)


def test_round_trips_thread_to_machine(benchmark, ch):
    run_rounds(benchmark, ch, THREAD_ROUND_TRIPS, thread_pinger, n=THREAD_ROUND_TRIPS, machine=True)


# Fan-out -----------------------------------------------------------------------------------------


class Worker(lc.Point, lc.Stateless):
    def __init__(self, n: int = 0) -> None:
        lc.Point.__init__(self)
        lc.Stateless.__init__(self)
        self.n = n
        self.count = 0


def Worker_Start(self, m):
    pass


def Worker_Ping(self, m):
    self.count += 1
    if self.count == self.n:
        self.complete()


lc.bind(Worker, (lc.Start, lc.Ping))


class Distributor(lc.Point, lc.Stateless):
    def __init__(self, workers: int = FAN_OUT_WORKERS, messages: int = FAN_OUT_MESSAGES) -> None:
        lc.Point.__init__(self)
        lc.Stateless.__init__(self)
        self.workers = workers
        self.messages = messages
        self.sent = 0
        self.ended = 0
        self.addresses: list = []


def Distributor_Start(self, m):
    share = self.messages // self.workers
    self.addresses = [self.create(Worker, n=share) for _ in range(self.workers)]
    self.send(lc.T1(), self.object_address)


def Distributor_T1(self, m):
    # Sends in slices below the queue capacity so a worker's queue never fills.
    slice_ = min(8 * 1024, self.messages - self.sent)
    addresses = self.addresses
    k = len(addresses)
    for i in range(self.sent, self.sent + slice_):
        self.send(lc.Ping(), addresses[i % k])
    self.sent += slice_
    if self.sent < self.messages:
        self.send(lc.T1(), self.object_address)


def Distributor_Returned(self, m):
    self.ended += 1
    if self.ended == self.workers:
        self.complete()


lc.bind(Distributor, (lc.Start, lc.T1, lc.Returned))


def test_fan_out_to_8_machines(benchmark, ch):
    run_rounds(benchmark, ch, FAN_OUT_MESSAGES, Distributor)


# Object churn ------------------------------------------------------------------------------------


def short_function(self) -> None:
    return None


lc.bind(short_function)


class ShortMachine(lc.Point, lc.Stateless):
    def __init__(self) -> None:
        lc.Point.__init__(self)
        lc.Stateless.__init__(self)


def ShortMachine_Start(self, m):
    self.complete()


lc.bind(ShortMachine, (lc.Start,))


class Spawner(lc.Point, lc.Stateless):
    def __init__(self, n: int = CHURN, machines: bool = True) -> None:
        lc.Point.__init__(self)
        lc.Stateless.__init__(self)
        self.n = n
        self.left = n
        self.machines = machines


def Spawner_Start(self, m):
    child = ShortMachine if self.machines else short_function
    for _ in range(self.n):
        self.create(child)


def Spawner_Returned(self, m):
    self.left -= 1
    if self.left == 0:
        self.complete()


lc.bind(Spawner, (lc.Start, lc.Returned))


def test_create_and_complete_short_lived_machines(benchmark, ch):
    run_rounds(benchmark, ch, CHURN, Spawner, n=CHURN, machines=True)


def test_create_and_complete_short_lived_function_objects(benchmark, ch):
    run_rounds(benchmark, ch, CHURN, Spawner, n=CHURN, machines=False)


# Timer lateness ----------------------------------------------------------------------------------


class Metronome(lc.Point, lc.Stateless):
    def __init__(self, period: float = TIMER_PERIOD, expiries: int = TIMER_EXPIRIES) -> None:
        lc.Point.__init__(self)
        lc.Stateless.__init__(self)
        self.period = period
        self.expiries = expiries
        self.lateness: list[float] = []
        self.t0 = 0.0
        self.cpu0 = 0.0


def Metronome_Start(self, m):
    self.t0 = time.monotonic()
    self.cpu0 = time.thread_time()  # the loop thread's: a machine runs on it
    self.start(lc.T1, self.period, repeating=True)


def Metronome_T1(self, m):
    k = len(self.lateness) + 1
    self.lateness.append(time.monotonic() - (self.t0 + k * self.period))
    if k == self.expiries:
        self.cancel(lc.T1)
        # The last entry: the loop thread's CPU seconds per expiry over the run.
        self.lateness.append((time.thread_time() - self.cpu0) / k)
        self.complete(lc.cast_to(self.lateness, lc.def_type(list[float])))


lc.bind(Metronome, (lc.Start, lc.T1))


def test_timer_lateness_repeating_10ms(benchmark, ch):
    lateness: list[float] = []

    def one() -> None:
        ch.create(Metronome)
        m, i = ch.select(lc.Returned, seconds=60)
        assert i == 0
        lateness.extend(m.cast_back()[0])

    benchmark.pedantic(one, rounds=1, iterations=1)
    benchmark.extra_info["cpu_us_per_expiry"] = round(lateness.pop() * 1e6, 1)
    ordered = sorted(lateness)
    benchmark.extra_info["expiries"] = len(ordered)
    benchmark.extra_info["lateness_p50_ms"] = round(statistics.median(ordered) * 1e3, 3)
    benchmark.extra_info["lateness_p99_ms"] = round(
        ordered[int(0.99 * (len(ordered) - 1))] * 1e3, 3
    )
    benchmark.extra_info["lateness_max_ms"] = round(ordered[-1] * 1e3, 3)
    benchmark.extra_info["early"] = sum(1 for x in ordered if x < 0)


# Raw loop baselines (no layer-cake) --------------------------------------------------------------


def new_loop() -> asyncio.AbstractEventLoop:
    if loop_kind() == "uvloop":
        import uvloop

        return uvloop.new_event_loop()
    return asyncio.new_event_loop()


def call_soon_ping_pong(loop: asyncio.AbstractEventLoop, n: int) -> None:
    done = loop.create_future()
    count = [0]

    def ping() -> None:
        loop.call_soon(pong)

    def pong() -> None:
        count[0] += 1
        if count[0] < n:
            loop.call_soon(ping)
        else:
            done.set_result(None)

    loop.call_soon(ping)
    loop.run_until_complete(done)


def repeating_timer_cpu(loop: asyncio.AbstractEventLoop, period: float, n: int) -> float:
    """CPU seconds of this thread per expiry of a ``call_later`` chain of ``period``."""
    done = loop.create_future()
    count = [0]

    def tick() -> None:
        count[0] += 1
        if count[0] < n:
            loop.call_later(period, tick)
        else:
            done.set_result(None)

    cpu0 = time.thread_time()
    loop.call_later(period, tick)
    loop.run_until_complete(done)
    return (time.thread_time() - cpu0) / n


def test_raw_timer_expiry_baseline(benchmark):
    """The loop's own timer at the Metronome's period: what an expiry costs without us."""
    loop = new_loop()
    try:
        cpu = benchmark.pedantic(
            repeating_timer_cpu, args=(loop, TIMER_PERIOD, TIMER_EXPIRIES), rounds=1, iterations=1
        )
    finally:
        loop.close()
    benchmark.extra_info["cpu_us_per_expiry"] = round(cpu * 1e6, 1)


async def queue_ping_pong(n: int) -> None:
    to_b: asyncio.Queue = asyncio.Queue()
    to_a: asyncio.Queue = asyncio.Queue()

    async def b() -> None:
        while True:
            m = await to_b.get()
            if m is None:
                return
            to_a.put_nowait(m)

    task = asyncio.get_running_loop().create_task(b())
    for i in range(n):
        to_b.put_nowait(i)
        await to_a.get()
    to_b.put_nowait(None)
    await task


@pytest.mark.parametrize("style", ["call_soon", "queues"])
def test_raw_loop_round_trip_baseline(benchmark, style):
    loop = new_loop()
    try:
        if style == "call_soon":
            benchmark.pedantic(
                call_soon_ping_pong, args=(loop, ROUND_TRIPS), rounds=5, warmup_rounds=1
            )
        else:
            benchmark.pedantic(
                lambda: loop.run_until_complete(queue_ping_pong(ROUND_TRIPS)),
                rounds=5,
                warmup_rounds=1,
            )
    finally:
        loop.close()
    if benchmark.stats is None:  # --benchmark-disable: ran once, nothing measured
        return
    median = benchmark.stats.stats.median
    benchmark.extra_info["ops_per_round"] = ROUND_TRIPS
    benchmark.extra_info["per_second"] = round(ROUND_TRIPS / median)
    benchmark.extra_info["median_per_op_us"] = round(median / ROUND_TRIPS * 1e6, 3)


def test_suppressed_log_call(benchmark, ch):
    """``self.trace(...)`` below the object's log level, as a handler calls it per message:
    one comparison with a level read once at import (issue 13: reading ``USER_LOG.TRACE`` each
    call went through ``EnumType.__getattr__``'s slot, ~70 ns)."""
    assert ch._threshold > lc.USER_LOG.TRACE  # suppressed: nothing is written
    benchmark(ch.trace, "handled", n=1)
