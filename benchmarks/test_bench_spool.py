"""ObjectSpool throughput (api-core §10.5); run with ``-p no:xdist``.

A loop-hosted driver machine sends the requests and counts the replies, so the driver costs
no thread switch; each round is timed from the driver's first send to its last reply.
``extra_info["replies_per_second"]`` holds the figure the goal is stated in (≥ 50,000 with
loop-hosted workers). Nothing here asserts on time.
"""

from __future__ import annotations

import time

import pytest

import layer_cake as lc
from layer_cake.runtime._loop import LOOP

REPLIES = 20_000  # per round, replies/s rows
FAN_OUT = 10_000  # per round, fan-out row
IN_FLIGHT = 256
WORKERS = 8


class Echo(lc.Point, lc.Stateless):
    """A loop-hosted worker: answers each Ack with a Nak."""

    def __init__(self) -> None:
        lc.Point.__init__(self)
        lc.Stateless.__init__(self)


def Echo_Start(self: Echo, message: lc.Start) -> None:
    pass


def Echo_Ack(self: Echo, message: lc.Ack) -> None:
    self.reply(lc.Nak())


def Echo_Stop(self: Echo, message: lc.Stop) -> None:
    self.complete(lc.Aborted())


lc.bind(Echo, (lc.Start, lc.Ack, lc.Stop))


def echo_thread(self) -> lc.Faulted:  # type: ignore[no-untyped-def]
    """A function-object worker: a thread that answers each Ack with a Nak."""
    while True:
        m = self.input()
        if isinstance(m, lc.Stop):
            return lc.Aborted()
        self.reply(lc.Nak())


lc.bind(echo_thread)


class Driver(lc.Point, lc.Stateless):
    """Keeps ``in_flight`` requests outstanding at ``server`` until ``total`` replies came
    back; ends with the elapsed seconds."""

    def __init__(self, server: tuple, total: int, in_flight: int) -> None:
        lc.Point.__init__(self)
        lc.Stateless.__init__(self)
        self.server = server
        self.total = total
        self.in_flight = in_flight
        self.sent = 0
        self.received = 0
        self.started = 0.0


def Driver_Start(self: Driver, message: lc.Start) -> None:
    self.started = time.perf_counter()
    first = min(self.in_flight, self.total)
    for _ in range(first):
        self.send(lc.Ack(), self.server)
    self.sent = first


def Driver_Nak(self: Driver, message: lc.Nak) -> None:
    self.received += 1
    if self.received == self.total:
        self.complete(time.perf_counter() - self.started)
    if self.sent < self.total:
        self.sent += 1
        self.send(lc.Ack(), self.server)


def Driver_Faulted(self: Driver, message: lc.Faulted) -> None:
    self.complete(message)


lc.bind(Driver, (lc.Start, lc.Nak, lc.Faulted))


@pytest.fixture
def channel():  # type: ignore[no-untyped-def]
    with lc.channel() as c:
        yield c


def start_spool(channel: lc.Channel, worker: object) -> tuple:
    return channel.create(lc.ObjectSpool, worker, object_count=WORKERS)


def stop_spool(channel: lc.Channel, spool: tuple) -> None:
    channel.send(lc.Stop(), spool)
    ended, _ = channel.select(lc.Returned, seconds=30.0)
    assert isinstance(ended, lc.Returned)


def drive(channel: lc.Channel, server: tuple, total: int, in_flight: int) -> float:
    channel.create(Driver, server, total, in_flight)
    returned, _ = channel.select(lc.Returned, seconds=120.0)
    assert isinstance(returned, lc.Returned), returned
    seconds = returned.message[0] if isinstance(returned.message, tuple) else returned.message
    assert isinstance(seconds, float), seconds
    return seconds


def run_rounds(benchmark, channel: lc.Channel, server: tuple, total: int, in_flight: int) -> None:  # type: ignore[no-untyped-def]
    timings: list[float] = []
    def one_round() -> None:
        timings.append(drive(channel, server, total, in_flight))

    benchmark.pedantic(one_round, rounds=5, iterations=1)
    best = min(timings)
    benchmark.extra_info["replies"] = total
    benchmark.extra_info["in_flight"] = in_flight
    benchmark.extra_info["loop"] = LOOP.kind
    benchmark.extra_info["replies_per_second"] = round(total / best)
    benchmark.extra_info["replies_per_second_mean"] = round(total * len(timings) / sum(timings))


def test_fan_out_10k_through_spool_of_8_machines(benchmark, channel) -> None:  # type: ignore[no-untyped-def]
    spool = start_spool(channel, Echo)
    run_rounds(benchmark, channel, spool, FAN_OUT, FAN_OUT)
    stop_spool(channel, spool)


def test_replies_256_in_flight_spool_of_8_machines(benchmark, channel) -> None:  # type: ignore[no-untyped-def]
    spool = start_spool(channel, Echo)
    run_rounds(benchmark, channel, spool, REPLIES, IN_FLIGHT)
    stop_spool(channel, spool)


def test_replies_256_in_flight_spool_of_8_threads(benchmark, channel) -> None:  # type: ignore[no-untyped-def]
    spool = start_spool(channel, echo_thread)
    run_rounds(benchmark, channel, spool, REPLIES, IN_FLIGHT)
    stop_spool(channel, spool)


def test_replies_256_in_flight_one_machine_without_spool(benchmark, channel) -> None:  # type: ignore[no-untyped-def]
    """The baseline: the same driver straight at one loop-hosted worker."""
    worker = channel.create(Echo)
    run_rounds(benchmark, channel, worker, REPLIES, IN_FLIGHT)
    stop_spool(channel, worker)
