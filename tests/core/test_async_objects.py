"""Async objects: coroutines on the loop with the same ``self`` API (api-core §1, §15;
acceptance 20); blocking channel calls on the loop are refused."""

from __future__ import annotations

import threading
import time

from runtime_support import (
    log_at,
    texts,
    wait_for,
    wait_returned,
)

import layer_cake as lc
from layer_cake.runtime._loop import LOOP


async def doubler(self, factor: int = 2):
    while True:
        m = await self.input()
        if isinstance(m, lc.Stop):
            return lc.Aborted()
        self.reply(lc.cast_to(m * factor, lc.int_type))


lc.bind(doubler)


def test_async_object_receives_replies_and_ends_aborted_on_stop(ch):
    a = ch.create(doubler, factor=3)
    for n in (1, 7, 14):
        ch.send(lc.cast_to(n, lc.int_type), a)
        value, _ = wait_for(ch, lc.int_type)
        assert value == 3 * n
        assert ch.return_address == a
    ch.send(lc.Stop(), a)
    result = wait_returned(ch).message
    assert isinstance(result, lc.Aborted)
    assert ch.return_address == a


async def located(self) -> list[str]:
    return [str(threading.get_ident() == LOOP.ident)]


lc.bind(located)


def test_async_object_runs_on_the_loop_thread(ch):
    ch.create(located)
    assert wait_returned(ch).cast_back()[0] == ["True"]


async def chooser(self):
    m, i = await self.select(lc.Ack, list[int], seconds=5)
    first = i
    m, i = await self.select(lc.Ack, seconds=0.05)
    return lc.cast_to([first, i, int(isinstance(m, lc.SelectTimer))], lc.def_type(list[int]))


lc.bind(chooser)


def test_async_select_matches_and_times_out(ch):
    a = ch.create(chooser)
    ch.send(lc.Ping(), a)  # dropped: not selected
    ch.send(lc.cast_to([1], lc.def_type(list[int])), a)
    assert wait_returned(ch).cast_back()[0] == [1, 1, 1]


class Echo(lc.Point, lc.Stateless):
    def __init__(self) -> None:
        lc.Point.__init__(self)
        lc.Stateless.__init__(self)


def Echo_Start(self, m):
    pass


def Echo_Ack(self, m):
    self.reply(lc.Nak())


def Echo_Stop(self, m):
    self.complete(lc.Aborted())


lc.bind(Echo, (lc.Start, lc.Ack, lc.Stop))


async def asker(self):
    e = self.create(Echo)
    _m, i = await self.ask(lc.Ack(), (lc.Nak,), e, seconds=5)
    r, j = await self.stop(e, seconds=5)
    return lc.cast_to([i, j, int(isinstance(r.message, lc.Aborted))], lc.def_type(list[int]))


lc.bind(asker)


def test_async_ask_and_stop(ch):
    ch.create(asker)
    assert wait_returned(ch).cast_back()[0] == [0, 0, 1]


async def saving(self):
    order = []
    for _ in range(3):
        m = await self.input()
        order.append(type(m).__name__)
        if len(order) == 1:
            self.save(m)
    return lc.cast_to(order, lc.def_type(list[str]))


lc.bind(saving)


def test_async_save_and_replay(ch):
    a = ch.create(saving)
    ch.send(lc.Ack(), a)
    ch.send(lc.Nak(), a)
    assert wait_returned(ch).cast_back()[0] == ["Ack", "Nak", "Ack"]


async def timed(self):
    self.start(lc.T1, 0.05)
    m = await self.input()
    return m


lc.bind(timed)


def test_async_object_timer(ch):
    ch.create(timed)
    assert isinstance(wait_returned(ch).message, lc.T1)


async def breaks(self):
    raise ValueError("async boom")


lc.bind(breaks)


def test_async_object_exception_faults_with_a_log(ch):
    with log_at(lc.USER_LOG.FAULT) as log:
        a = ch.create(breaks)
        fault = wait_returned(ch).message
    assert (fault.condition, fault.explanation) == (
        "object faulted",
        "unhandled exception (async boom)",
    )
    assert texts(log, "!", a) == ["unhandled exception (async boom)"]


class BlockingOnLoop(lc.Point, lc.Stateless):
    def __init__(self) -> None:
        lc.Point.__init__(self)
        lc.Stateless.__init__(self)


def BlockingOnLoop_Start(self, m):
    refused = []
    c = lc.open_channel()
    try:
        for call in (c.input, c.select):
            try:
                call()
            except lc.PointConstructionError:
                refused.append(call.__name__)
    finally:
        lc.drop_channel(c)
    self.complete(lc.cast_to(refused, lc.def_type(list[str])))


lc.bind(BlockingOnLoop, (lc.Start,))


def test_blocking_input_on_the_loop_raises_point_construction_error(ch):
    ch.create(BlockingOnLoop)
    assert wait_returned(ch).cast_back()[0] == ["input", "select"]


async def calls_blocking(self):
    try:
        lc.Buffering.input(self)
    except lc.PointConstructionError as e:
        return lc.cast_to([str(e)], lc.def_type(list[str]))
    return None


lc.bind(calls_blocking)


def test_async_object_calling_the_blocking_input_is_refused(ch):
    ch.create(calls_blocking)
    (text,) = wait_returned(ch).cast_back()[0]
    assert "event loop" in text


# Delivery from the loop thread goes straight into the coroutine's queue (issue 13); other
# threads still post to the run queue. Each sender's order must hold on both paths.


class Burst(lc.Point, lc.Stateless):
    """On Start (on the loop): ``n`` ints to ``to``, then ends; its Returned follows them."""

    def __init__(self, to: tuple = (), n: int = 0, base: int = 0) -> None:
        lc.Point.__init__(self)
        lc.Stateless.__init__(self)
        self.to, self.n, self.base = to, n, base


def Burst_Start(self, m):
    for i in range(self.n):
        self.send(lc.cast_to(self.base + i, lc.int_type), self.to)
    self.complete()


lc.bind(Burst, (lc.Start,))


async def collector(self, n: int = 0):
    """Two bursts of ``n`` at once: one from a machine child on the loop, one from the channel
    (another thread). Returns [loop values in order?, thread values in order?, child's Returned
    after its last value?]."""
    self.create(Burst, self.object_address, n, 0)
    from_loop, from_thread, returned_after = [], [], False
    while len(from_loop) < n or len(from_thread) < n or not returned_after:
        m = await self.input()
        if isinstance(m, lc.Returned):
            returned_after = len(from_loop) == n
            if not returned_after:
                break
        elif m < n:
            from_loop.append(m)
        else:
            from_thread.append(m)
    checks = [from_loop == list(range(n)), from_thread == list(range(n, 2 * n)), returned_after]
    return lc.cast_to([int(c) for c in checks], lc.def_type(list[int]))


lc.bind(collector)


def test_an_async_object_gets_each_senders_messages_in_order_from_the_loop_and_a_thread(ch):
    n = 3_000
    a = ch.create(collector, n)
    for i in range(n, 2 * n):  # meanwhile, from this thread
        ch.send(lc.cast_to(i, lc.int_type), a)
    assert wait_returned(ch).cast_back()[0] == [1, 1, 1]


HOLD = threading.Event()


async def idle_reader(self):
    import asyncio

    m = await self.input()
    while HOLD.is_set():  # the rest wait unread
        await asyncio.sleep(0.01)
    while not isinstance(m, lc.Stop):
        m = await self.input()


lc.bind(idle_reader)


def test_an_async_objects_queued_count_is_what_waits_for_its_coroutine(ch):
    """Links read ``queued()`` to hold a frame back instead of sending into a full queue; it
    counted an unused inbox (always 0) for async objects."""
    from layer_cake.runtime._dispatch import TABLE

    HOLD.set()
    try:
        a = ch.create(idle_reader)
        agent = TABLE[a]
        for i in range(10):
            ch.send(lc.cast_to(i, lc.int_type), a)
        end = time.monotonic() + 30.0
        while agent.queued() != 9 and time.monotonic() < end:  # the first is taken, 9 wait
            time.sleep(0.01)
        assert agent.queued() == 9
    finally:
        HOLD.clear()
    ch.send(lc.Stop(), a)
    wait_returned(ch)
    assert agent.queued() == 0
