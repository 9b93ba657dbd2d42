"""Receiving: select, save and replay, ask/stop, callbacks and child contexts
(api-core §4-§6, §8; acceptance 9-15)."""

from __future__ import annotations

import time

from runtime_support import (
    Counters,
    log_at,
    texts,
    wait_for,
    wait_returned,
)

import layer_cake as lc

LIST_INT = lc.def_type(list[int])
LIST_STR = lc.def_type(list[str])
TABLE = lc.def_type(list[list[float]])


def to_self(c: lc.Channel, *messages: object) -> None:
    for m in messages:
        c.send(m, c.object_address)


# select ------------------------------------------------------------------------------------------


def test_select_distinguishes_constructed_types(ch):
    to_self(ch, lc.cast_to(["a"], LIST_STR))
    assert ch.select(list[int], list[str], seconds=5) == (["a"], 1)
    assert ch.received_type is LIST_STR
    to_self(ch, lc.cast_to([7], LIST_INT))
    assert ch.select(list[int], list[str], seconds=5) == ([7], 0)
    assert ch.received_type is LIST_INT


def test_select_times_out_with_select_timer_and_the_count_of_types(ch):
    t0 = time.monotonic()
    m, i = ch.select(lc.Ack, seconds=0.5)
    elapsed = time.monotonic() - t0
    assert isinstance(m, lc.SelectTimer) and i == 1
    assert 0.5 <= elapsed < 1.0


def test_select_without_types_takes_the_next_message(ch):
    to_self(ch, lc.Nak())
    m, i = ch.select(seconds=5)
    assert isinstance(m, lc.Nak) and i == 0


def test_select_matches_base_classes_and_unknown(ch):
    to_self(ch, lc.Busy(), lc.Ping())
    m, i = ch.select(lc.Ack, lc.Faulted, lc.Unknown, seconds=5)
    assert isinstance(m, lc.Busy) and i == 1
    m, i = ch.select(lc.Ack, lc.Faulted, lc.Unknown, seconds=5)
    assert isinstance(m, lc.Ping) and i == 2


def test_select_drops_unlisted_messages_and_counts_them(ch):
    counters = Counters()
    to_self(ch, lc.Ping(), lc.Ack())
    assert wait_for(ch, lc.Ack)[1] == 0
    assert counters.delta() == {"dropped_unhandled": 1}


def test_select_saves_messages_matching_saving_for_later(ch):
    to_self(ch, lc.Ping(), lc.Ack(), lc.Nak())
    m, _i = ch.select(lc.Ack, saving=(lc.Ping,), seconds=5)
    assert isinstance(m, lc.Ack)
    assert isinstance(ch.input(), lc.Ping)  # replayed after the next fresh message (Ack)...
    assert isinstance(ch.input(), lc.Nak)  # ...before further fresh ones


def test_select_accepts_a_precompiled_select_list(ch):
    table = lc.select_list(lc.Ack, list[str], saving=lc.Ping)
    to_self(ch, lc.Ping(), lc.cast_to(["z"], LIST_STR))
    assert ch.select(table, seconds=5) == (["z"], 1)


def test_select_sets_the_receive_context(ch):
    with lc.channel() as other:
        other.send(lc.Ack(), ch.object_address)
        wait_for(ch, lc.Ack)
        assert ch.return_address == other.object_address
        assert ch.to_address == ch.object_address
        assert ch.received_type is lc.Ack.__lc_message__.portable


def test_select_on_a_builtin_scalar_class_matches_its_cast(ch):
    to_self(ch, lc.cast_to(5, lc.int_type))
    assert ch.select(int, seconds=0.5) == (5, 0)


# save and replay ---------------------------------------------------------------------------------


def saver(self) -> list[str]:
    order = []
    for _ in range(3):
        m = self.input()
        order.append(type(m).__name__)
        if isinstance(m, lc.Ack) and len(order) == 1:
            self.save(m)
    return order


lc.bind(saver)


def test_saved_message_replays_after_the_next_fresh_one(ch):
    a = ch.create(saver)
    ch.send(lc.Ack(), a)
    ch.send(lc.Nak(), a)
    assert wait_returned(ch).cast_back() == (["Ack", "Nak", "Ack"], LIST_STR)


def test_replay_comes_before_further_fresh_messages(ch):
    to_self(ch, lc.T1(), lc.T2(), lc.T3())
    ch.save(ch.input())
    order = [type(ch.input()).__name__ for _ in range(3)]
    assert order == ["T2", "T1", "T3"]


def test_saved_messages_replay_in_save_order(ch):
    to_self(ch, lc.T1(), lc.T2(), lc.T3())
    received = []
    for _ in range(3):  # T1 fresh, T2 fresh, T1 replayed: each saved again
        m = ch.input()
        received.append(type(m).__name__)
        ch.save(m)
    assert received == ["T1", "T2", "T1"]
    order = [type(ch.input()).__name__ for _ in range(3)]
    assert order == ["T3", "T2", "T1"]


def test_a_message_saved_eight_times_is_discarded_with_a_warning(ch):
    counters = Counters()
    with log_at(lc.USER_LOG.WARNING) as log, lc.channel() as c:
        to_self(c, lc.Ack(), *(lc.Ping() for _ in range(8)))
        acks = pings = 0
        while True:
            m, _i = c.select(seconds=0.3)
            if isinstance(m, lc.SelectTimer):
                break
            if isinstance(m, lc.Ack):
                acks += 1
                c.save(m)
            else:
                pings += 1
        assert (acks, pings) == (8, 8)  # the first delivery and 7 replays; the 8th save discards it
        warnings = texts(log, "?", c.object_address)
    assert warnings == ["Saved Ack discarded after 8 replays"]
    assert counters.delta() == {"dropped_replay": 1}


class WAITING:
    pass


class READY:
    pass


class Gate(lc.Point, lc.StateMachine):
    def __init__(self) -> None:
        lc.Point.__init__(self)
        lc.StateMachine.__init__(self, WAITING)
        self.order: list[str] = []


def Gate_WAITING_Start(self, m):
    return WAITING


def Gate_WAITING_Ready(self, m):
    self.order.append("Ready")
    return READY


def Gate_READY_Ack(self, m):
    self.order.append("Ack")
    return READY


def Gate_READY_Nak(self, m):
    self.order.append("Nak")
    return READY


def Gate_READY_Stop(self, m):
    self.complete(lc.cast_to(self.order, LIST_STR))


lc.bind(
    Gate,
    {
        WAITING: ((lc.Start, lc.Ready), (lc.Ack, lc.Nak)),
        READY: ((lc.Ack, lc.Nak, lc.Stop), ()),
    },
)


def test_state_saving_tuple_replays_after_the_next_fresh_message(ch):
    a = ch.create(Gate)
    for m in (lc.Ack(), lc.Ready(), lc.Nak(), lc.Stop()):
        ch.send(m, a)
    assert wait_returned(ch).cast_back()[0] == ["Ready", "Ack", "Nak"]


def test_state_saved_message_is_retried_after_each_fresh_message(ch):
    a = ch.create(Gate)
    for m in (lc.Ack(), lc.Nak(), lc.Ready(), lc.Ack(), lc.Stop()):
        ch.send(m, a)
    # Ack was saved, retried after the fresh Nak (saved too) and saved again behind it.
    assert wait_returned(ch).cast_back()[0] == ["Ready", "Nak", "Ack", "Ack"]


class Hoarder(lc.Point, lc.StateMachine):
    def __init__(self) -> None:
        lc.Point.__init__(self)
        lc.StateMachine.__init__(self, WAITING)


def Hoarder_WAITING_Start(self, m):
    return WAITING


def Hoarder_WAITING_Ping(self, m):
    return WAITING


def Hoarder_WAITING_Stop(self, m):
    self.complete()


lc.bind(Hoarder, {WAITING: ((lc.Start, lc.Ping, lc.Stop), (lc.Ack,))})


def test_machine_saved_message_is_discarded_after_eight_replays(ch):
    counters = Counters()
    with log_at(lc.USER_LOG.WARNING) as log:
        a = ch.create(Hoarder)
        ch.send(lc.Ack(), a)
        for _ in range(10):
            ch.send(lc.Ping(), a)
        ch.send(lc.Stop(), a)
        wait_returned(ch)
    assert texts(log, "?", a) == ["Saved Ack discarded after 8 replays"]
    assert counters.delta() == {"dropped_replay": 1}


# ask and stop ------------------------------------------------------------------------------------


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


def test_ask_sends_then_selects_the_response(ch):
    e = ch.create(Echo)
    m, i = ch.ask(lc.Ack(), (lc.Ack, lc.Nak), e, seconds=5)
    assert isinstance(m, lc.Nak) and i == 1
    m, i = ch.stop(e, seconds=5)
    assert i == 0 and isinstance(m.message, lc.Aborted)


def test_ask_times_out_on_a_silent_server(ch):
    e = ch.create(Echo)
    m, i = ch.ask(lc.Ping(), lc.Nak, e, seconds=0.2)
    assert isinstance(m, lc.SelectTimer) and i == 1
    ch.stop(e, seconds=5)


# callbacks ---------------------------------------------------------------------------------------


def table(self, x: int = 2, y: int = 3) -> list[list[float]]:
    return [[float(i * x + j) for i in range(x)] for j in range(y)]


lc.bind(table)


def relay(self, value, args):
    report = [args.client == self.parent_address, lc.portable_to_signature(self.returned_type)]
    self.send(lc.cast_to(value, self.returned_type), args.client)
    self.send(lc.cast_to([str(r) for r in report], LIST_STR), args.client)
    second = self.create(table, x=1, y=1)
    self.first_args = args
    self.continuation(second, chained, args)


def chained(self, value, args):
    self.complete(lc.cast_to([args is self.first_args], lc.def_type(list[bool])))


class Relay(lc.Point, lc.Stateless):
    def __init__(self) -> None:
        lc.Point.__init__(self)
        lc.Stateless.__init__(self)


def Relay_Start(self, m):
    job = self.create(table, x=2, y=3)
    self.on_return(job, relay, client=self.return_address)


def Relay_Returned(self, m):
    d = self.debrief()
    if isinstance(d, lc.OnReturned):
        d(self, m)


lc.bind(Relay, (lc.Start, lc.Returned))


def test_on_return_calls_back_with_value_type_and_args_then_continuation_keeps_args(ch):
    ch.create(Relay)
    value, _ = wait_for(ch, list[list[float]])
    assert value == table(None)
    assert lc.portable_to_signature(ch.received_type) == "vector<vector<float8>>"
    report, _ = wait_for(ch, list[str])
    assert report == ["True", "vector<vector<float8>>"]
    assert wait_returned(ch).cast_back()[0] == [True]


def test_on_return_args_are_a_gas_of_the_keywords_one_per_call(ch):
    from layer_cake._utilities import Gas

    ch.on_return((1, 1), relay, client=(7,), n=1)
    ch.on_return((1, 2), relay, client=(7,), n=1)
    first, second = ch.debrief((1, 1)), ch.debrief((1, 2))
    assert isinstance(first.args, Gas) and first.args == Gas(client=(7,), n=1)
    first.args.n = 2  # each call's own: the other callback's args do not change
    assert second.args == Gas(client=(7,), n=1) and repr(second.args) == "Gas(client=(7,), n=1)"


def until_stopped(self) -> object:
    while not isinstance(self.input(), lc.Stop):
        pass
    return lc.Aborted()


lc.bind(until_stopped)


class Supervisor(lc.Point, lc.Stateless):
    def __init__(self, aborted_with: bool = False) -> None:
        lc.Point.__init__(self)
        lc.Stateless.__init__(self)
        self.aborted_with = aborted_with
        self.facts: list[int] = []


def Supervisor_Start(self, m):
    for i in range(3):
        self.assign(self.create(until_stopped), i)
    self.facts.append(self.working())
    self.facts.append(sorted(c for c, _ in self.running()) == [0, 1, 2])
    self.facts.append(self.abort(lc.Nak() if self.aborted_with else None))


def Supervisor_Returned(self, m):
    child = self.return_address
    self.facts.append(isinstance(m.message, lc.Aborted))
    kept = self.progress()
    assert self.progress(child) == kept
    assert self.debrief() == kept
    assert self.debrief(child) is None
    if self.working() == 0:
        self.complete(lc.cast_to(self.facts, LIST_INT))


lc.bind(Supervisor, (lc.Start, lc.Returned))


def test_abort_stops_every_assigned_child_and_working_counts_down(ch):
    ch.create(Supervisor)
    facts = wait_returned(ch).cast_back()[0]
    assert facts == [3, True, 3, True, True, True]


def test_an_abort_value_wins_over_the_completion_value(ch):
    ch.create(Supervisor, aborted_with=True)
    assert isinstance(wait_returned(ch).message, lc.Nak)


def test_callback_context_can_be_called_from_a_function_object(ch):
    def collector(self) -> list[list[float]]:
        job = self.create(table, x=1, y=2)
        self.on_return(job, lambda s, value, args: s.complete(lc.cast_to(value, s.returned_type)))
        m = self.input()
        self.debrief()(self, m)
        return None

    lc.bind(collector)
    ch.create(collector)
    value, portable = wait_returned(ch).cast_back()
    assert value == [[0.0], [1.0]] and portable is TABLE
