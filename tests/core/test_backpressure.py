"""Bounded queues: thread senders block, loop-side senders get ``QueueFull`` (counted, logged)
(api-core §16; acceptance 21-22). Capacities are made small for the test and restored."""

from __future__ import annotations

import time

import pytest
from runtime_support import (
    Counters,
    hex_of,
    log_at,
    queue_capacity,
    texts,
    wait_returned,
)

import layer_cake as lc
from layer_cake.runtime._object import QUEUE

CAPACITY = 64
COUNT = 2000
INTS = lc.def_type(list[int])


@pytest.fixture
def small_queues():
    with queue_capacity(CAPACITY):
        yield CAPACITY


def slow_reader(self, n: int = COUNT, pause: float = 0.3) -> list[int]:
    time.sleep(pause)  # slow: the sender fills the queue meanwhile
    in_order, most = 1, 0
    for i in range(n):
        most = max(most, self.queued())
        if self.input() != i:
            in_order = 0
    return [n, in_order, most]


lc.bind(slow_reader)


def fast_sender(self, to=None, n: int = COUNT) -> float:
    t0 = time.monotonic()
    for i in range(n):
        self.send(lc.cast_to(i, lc.int_type), to)
    return time.monotonic() - t0


lc.bind(fast_sender)


def test_thread_sender_blocks_on_a_full_queue_and_everything_arrives_in_order(ch, small_queues):
    counters = Counters()
    reader = ch.create(slow_reader, n=COUNT, pause=0.3)
    sender = ch.create(fast_sender, to=reader, n=COUNT)
    results = {}
    for _ in range(2):
        m = wait_returned(ch)
        results[ch.return_address] = m.cast_back()[0]
    count, in_order, most = results[reader]
    assert (count, in_order) == (COUNT, 1)
    assert most <= CAPACITY
    assert results[sender] >= 0.2  # the sender waited for the reader
    assert counters.delta().get("queue_full", 0) == 0


class SlowAckCounter(lc.Threaded, lc.Stateless):
    def __init__(self, n: int = COUNT) -> None:
        lc.Threaded.__init__(self)
        lc.Stateless.__init__(self)
        self.n = n
        self.received = 0
        self.most = 0


def SlowAckCounter_Start(self, m):
    time.sleep(0.3)


def SlowAckCounter_Ack(self, m):
    self.received += 1
    self.most = max(self.most, self.queued() + 1)
    if self.received == self.n:
        self.complete(lc.cast_to([self.received, self.most], INTS))


lc.bind(SlowAckCounter, (lc.Start, lc.Ack))


def ack_sender(self, to=None, n: int = COUNT) -> float:
    t0 = time.monotonic()
    for _ in range(n):
        self.send(lc.Ack(), to)
    return time.monotonic() - t0


lc.bind(ack_sender)


def test_thread_sender_to_a_slow_threaded_machine_blocks_without_loss(ch, small_queues):
    counters = Counters()
    machine = ch.create(SlowAckCounter, n=COUNT)
    sender = ch.create(ack_sender, to=machine, n=COUNT)
    results = {}
    for _ in range(2):
        m = wait_returned(ch)
        results[ch.return_address] = m.cast_back()[0]
    received, most = results[machine]
    assert received == COUNT
    assert most <= CAPACITY
    assert results[sender] >= 0.2
    assert counters.delta().get("queue_full", 0) == 0


class Flooder(lc.Point, lc.Stateless):
    def __init__(self, to=None, n: int = 0, catch: bool = False) -> None:
        lc.Point.__init__(self)
        lc.Stateless.__init__(self)
        self.to = to
        self.n = n
        self.catch = catch


def Flooder_Start(self, m):
    sent = 0
    try:
        for _ in range(self.n):
            self.send(lc.Ack(), self.to)
            sent += 1
    except lc.QueueFull:
        if not self.catch:
            raise
    self.complete(lc.cast_to([sent], INTS))


lc.bind(Flooder, (lc.Start,))


def test_loop_sender_to_a_full_queue_gets_queue_full_logged_counted_and_faults(ch):
    counters = Counters()
    with queue_capacity(8), log_at(lc.USER_LOG.FAULT) as log, lc.channel() as full:
        flooder = ch.create(Flooder, to=full.object_address, n=9)
        fault = wait_returned(ch).message
        assert isinstance(fault, lc.Faulted) and fault.condition == "object faulted"
        assert "Queue full" in fault.explanation
        for _ in range(8):  # what fitted is all there
            assert isinstance(full.select(lc.Ack, seconds=5)[0], lc.Ack)
    rejected = f"Queue full, Ack to <{hex_of(full.object_address)}> rejected (capacity 8)"
    assert rejected in texts(log, "!")
    assert texts(log, "!", flooder) == [f"unhandled exception ({rejected})"]
    assert counters.delta() == {"queue_full": 1}


def test_loop_sender_can_handle_queue_full_and_carry_on(ch):
    with queue_capacity(8), lc.channel() as full:
        ch.create(Flooder, to=full.object_address, n=100, catch=True)
        assert wait_returned(ch).cast_back()[0] == [8]


async def async_flooder(self, to=None, n: int = 0):
    for i in range(n):
        try:
            self.send(lc.Ack(), to)
        except lc.QueueFull:
            return lc.cast_to([i], INTS)
    return None


lc.bind(async_flooder)


def test_async_sender_gets_queue_full_at_once(ch):
    counters = Counters()
    with queue_capacity(8), lc.channel() as full:
        ch.create(async_flooder, to=full.object_address, n=100)
        assert wait_returned(ch).cast_back()[0] == [8]
    assert counters.delta() == {"queue_full": 1}


class NamedFlooder(Flooder):
    pass


def NamedFlooder_Start(self, m):
    Flooder_Start(self, m)


lc.bind(NamedFlooder, (lc.Start,), thread="test-backpressure")


def test_named_dispatcher_sender_gets_queue_full_at_once(ch):
    with queue_capacity(8), lc.channel() as full:
        t0 = time.monotonic()
        ch.create(NamedFlooder, to=full.object_address, n=100, catch=True)
        assert wait_returned(ch).cast_back()[0] == [8]
        assert time.monotonic() - t0 < QUEUE.block_seconds / 2


def test_thread_sender_still_blocked_after_the_limit_gets_queue_full(ch):
    counters = Counters()
    old = QUEUE.block_seconds
    QUEUE.block_seconds = 0.2
    try:
        with queue_capacity(4), lc.channel() as full:
            ch.create(ack_sender, to=full.object_address, n=5)
            fault = wait_returned(ch).message
    finally:
        QUEUE.block_seconds = old
    assert isinstance(fault, lc.Faulted) and "Queue full" in fault.explanation
    assert counters.delta() == {"queue_full": 1}


def test_queue_capacity_must_be_a_positive_int():
    for bad in (0, -1, 1.5, "8"):
        with pytest.raises(ValueError):
            lc.set_queue_capacity(bad)


# A child's Returned always reaches its parent -------------------------------------------------

CHILDREN = 3 * CAPACITY  # more children than the parent's queue holds


class Brief(lc.Point, lc.Stateless):
    def __init__(self, value: int = 0) -> None:
        lc.Point.__init__(self)
        lc.Stateless.__init__(self)
        self.value = value


def Brief_Start(self, m):
    self.complete(lc.cast_to(self.value, lc.int_type))


lc.bind(Brief, (lc.Start,))


class Parent(lc.Point, lc.Stateless):
    """Creates ``n`` children in one handler, then counts their ``Returned``."""

    def __init__(self, n: int = 0) -> None:
        lc.Point.__init__(self)
        lc.Stateless.__init__(self)
        self.left = n
        self.n = n


def Parent_Start(self, m):
    for i in range(self.n):
        self.create(Brief, i)


def Parent_Returned(self, m):
    self.left -= 1
    if self.left == 0:
        self.complete(lc.cast_to([self.n], INTS))


lc.bind(Parent, (lc.Start, lc.Returned))


def routine_parent(self, n: int = 0) -> list[int]:
    for i in range(n):
        self.create(Brief, i)
    values = []
    for _ in range(n):
        m = self.input()
        assert isinstance(m, lc.Returned)
        values.append(m.message[0])  # (value, portable): the child's cast result
    return [len(values), sum(values)]


lc.bind(routine_parent)


async def async_parent(self, n: int = 0) -> list[int]:
    for i in range(n):
        self.create(Brief, i)
    for _ in range(n):
        m = await self.input()
        assert isinstance(m, lc.Returned)
    return [n]


lc.bind(async_parent)


def test_a_machine_that_creates_more_children_than_its_queue_holds_gets_every_returned(ch):
    """Before, the Returned of the children that ended while the parent's queue was full were
    refused (logged ``Queue full``) and the parent waited for ever."""
    counters = Counters()
    with queue_capacity(CAPACITY):
        ch.create(Parent, CHILDREN)
        assert wait_returned(ch).cast_back()[0] == [CHILDREN]
    assert "queue_full" not in counters.delta()


def test_function_and_async_objects_get_the_returned_of_every_child_too(ch):
    counters = Counters()
    with queue_capacity(CAPACITY):
        ch.create(routine_parent, CHILDREN)
        assert wait_returned(ch).cast_back()[0] == [CHILDREN, sum(range(CHILDREN))]
        ch.create(async_parent, CHILDREN)
        assert wait_returned(ch).cast_back()[0] == [CHILDREN]
    assert "queue_full" not in counters.delta()


def test_concurrently_over_more_items_than_the_queue_holds_ends_with_every_result(ch):
    with queue_capacity(CAPACITY):
        frames = [lc.CreateFrame(Brief, i) for i in range(CHILDREN)]
        ch.create(lc.Concurrently, *frames)
        results = wait_returned(ch).cast_back()[0]
    assert [value for value, _ in results] == list(range(CHILDREN))
