"""The compiled message path (``runtime/_dispatch``): machines reached directly, overrides of
``deliver``/``receive`` still honoured, and the per-object fields the same in both builds
(issue 13)."""

from __future__ import annotations

import threading

from runtime_support import Counters, wait_for, wait_returned

import layer_cake as lc
from layer_cake.runtime._dispatch import Core, run_queue
from layer_cake.runtime._loop import LOOP

ROUND_TRIPS = 2_000


class Echo(lc.Point, lc.Stateless):
    def __init__(self) -> None:
        lc.Point.__init__(self)
        lc.Stateless.__init__(self)


def Echo_Start(self, m):
    pass


def Echo_Ping(self, m):
    self.reply(lc.Ack())


def Echo_Stop(self, m):
    self.complete()


lc.bind(Echo, (lc.Start, lc.Ping, lc.Stop))


class Volley(lc.Point, lc.Stateless):
    """``n`` Ping/Ack round trips with an Echo, then returns how many Acks came back."""

    def __init__(self, n: int = 1) -> None:
        lc.Point.__init__(self)
        lc.Stateless.__init__(self)
        self.n = n
        self.acks = 0
        self.peer = None


def Volley_Start(self, m):
    self.peer = self.create(Echo)
    self.send(lc.Ping(), self.peer)


def Volley_Ack(self, m):
    self.acks += 1
    if self.acks < self.n:
        self.send(lc.Ping(), self.peer)
        return
    self.send(lc.Stop(), self.peer)


def Volley_Returned(self, m):
    self.complete(self.acks)


lc.bind(Volley, (lc.Start, lc.Ack, lc.Returned))


def test_machine_round_trips_arrive_once_each_in_order(ch):
    ch.create(Volley, n=ROUND_TRIPS)
    assert wait_returned(ch).message == ROUND_TRIPS


class Counted(Echo):
    """An Echo whose ``deliver`` and ``receive`` are its own: both must still run."""

    def __init__(self) -> None:
        Echo.__init__(self)
        self.delivered = 0
        self.received = 0

    def deliver(self, message, to, back):  # type: ignore[no-untyped-def]
        self.delivered += 1
        lc.Point.deliver(self, message, to, back)

    def receive(self, message, to, back):  # type: ignore[no-untyped-def]
        self.received += 1
        lc.Point.receive(self, message, to, back)


def Counted_Start(self, m):
    pass


def Counted_Ping(self, m):
    self.reply(lc.Ack())


def Counted_Enquiry(self, m):
    self.reply(lc.Ready())  # before this Enquiry: Start and three Pings


def Counted_Stop(self, m):
    self.complete((self.delivered, self.received))


lc.bind(Counted, (lc.Start, lc.Ping, lc.Enquiry, lc.Stop))


def test_a_machine_overriding_deliver_and_receive_still_sees_each_message_through_them(ch):
    a = ch.create(Counted)
    for _ in range(3):
        ch.send(lc.Ping(), a)
        wait_for(ch, lc.Ack)
    ch.send(lc.Enquiry(), a)
    wait_for(ch, lc.Ready)
    ch.send(lc.Stop(), a)
    delivered, received = wait_returned(ch).message
    assert (delivered, received) == (6, 6)  # Start, three Pings, Enquiry, Stop


class Base:
    """A plain message class and a subclass of it: dispatch falls back on ``isinstance``."""


class Derived(Base):
    pass


lc.bind(Base)
lc.bind(Derived)


class Catcher(lc.Point, lc.Stateless):
    def __init__(self) -> None:
        lc.Point.__init__(self)
        lc.Stateless.__init__(self)


def Catcher_Start(self, m):
    pass


def Catcher_Base(self, m):
    self.reply(lc.Ack())


def Catcher_Stop(self, m):
    self.complete()


lc.bind(Catcher, (lc.Start, Base, lc.Stop))


def test_a_stateless_machine_dispatches_a_subclass_to_its_base_handler_and_drops_the_unknown(ch):
    counters = Counters()
    a = ch.create(Catcher)
    ch.send(Derived(), a)
    wait_for(ch, lc.Ack)
    ch.send(lc.Ping(), a)  # no handler: dropped and counted, the machine carries on
    ch.send(Base(), a)
    wait_for(ch, lc.Ack)
    ch.send(lc.Stop(), a)
    wait_returned(ch)
    assert counters.delta().get("dropped_unhandled") == 1


def test_every_object_starts_with_the_same_hot_fields_in_either_build():
    e = Echo()
    assert isinstance(e, Core)
    assert e._ended is False and e._pending == 0 and e._replays == 0
    assert e._host is None and e._space is None and e.current_state is None
    assert e.object_address is None and e._spec is None and e._exact is None
    assert e._saved == [] and e.return_address == () and e.to_address == ()
    assert "_ended" not in vars(e)  # a field of the object, not an entry of its __dict__


class _Receiver(Core):
    """A loop-hosted object reduced to what the run queue calls: ``receive``."""

    def __init__(self, fail: bool) -> None:
        self.fail = fail
        self.got = threading.Event()

    def receive(self, message: object, to: object, back: object) -> None:
        self.got.set()
        if self.fail:
            raise RuntimeError("a receive that raises (the loop logs it)")


def test_a_receive_that_raises_does_not_strand_what_is_queued_behind_it(ch):
    """Issue 16: the drain stopped at the raise and what was queued after it waited for the
    next post, which might never come (every loop object stood still)."""
    raising, behind = _Receiver(True), _Receiver(False)

    def both() -> None:  # one batch of the run queue, on the loop thread
        run_queue.post(raising, "first", (1,), (2,))
        run_queue.post(behind, "second", (1,), (2,))

    LOOP.call(both)
    assert raising.got.wait(10.0)
    assert behind.got.wait(10.0), "the message behind the raise was never delivered"
