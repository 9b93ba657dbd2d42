"""Object kinds, lifecycle, faults, machine dispatch, bind errors and the OBJECT log trail
(api-core §1-§4, §9; acceptance 1-8, 43)."""

from __future__ import annotations

import pytest
from runtime_support import (
    LINE,
    Counters,
    entries,
    hex_of,
    log_at,
    result_of,
    texts,
    wait_for,
    wait_returned,
)

import layer_cake as lc

# Function objects --------------------------------------------------------------------------------


def double(self, x: int = 1) -> int:
    return 2 * x


lc.bind(double)


def raiser(self, text: str = "boom") -> int:
    raise ValueError(text)


lc.bind(raiser)


def interrupted(self) -> None:
    raise KeyboardInterrupt


lc.bind(interrupted)


def exits(self) -> None:
    raise SystemExit(3)


lc.bind(exits)


def until_stopped(self) -> object:
    while True:
        m = self.input()
        if isinstance(m, lc.Stop):
            return lc.Aborted()


lc.bind(until_stopped)


def completes_early(self) -> object:
    self.complete(lc.Ack())
    return lc.Nak()  # never reached


lc.bind(completes_early)


def echo_once(self) -> None:
    m = self.input()
    self.reply(m)


lc.bind(echo_once)


def test_function_object_result_is_cast_to_its_return_hint(ch):
    a = ch.create(double, x=4)
    m = wait_returned(ch)
    assert ch.return_address == a
    assert m.cast_back() == (8, lc.int_type)


def test_function_object_default_argument_applies(ch):
    assert lc.cast_back(result_of(ch, double)) == (2, lc.int_type)


def test_create_returns_a_fresh_address_at_once(ch):
    a = ch.create(until_stopped)
    b = ch.create(until_stopped)
    assert a != b and isinstance(a, tuple)
    ended = set()
    for address in (a, b):
        ch.send(lc.Stop(), address)
        wait_returned(ch)
        ended.add(ch.return_address)
    assert ended == {a, b}


def test_complete_ends_the_object_with_its_value(ch):
    assert isinstance(result_of(ch, completes_early), lc.Ack)


def test_unhandled_exception_returns_object_faulted_and_logs_fault(ch):
    with log_at(lc.USER_LOG.FAULT) as log:
        a = ch.create(raiser)
        fault = wait_returned(ch).message
    assert isinstance(fault, lc.Faulted)
    assert (fault.condition, fault.explanation) == ("object faulted", "unhandled exception (boom)")
    assert texts(log, "!", a) == ["unhandled exception (boom)"]


@pytest.mark.parametrize("target", [interrupted, exits])
def test_keyboard_interrupt_and_system_exit_compromise_the_object(ch, target):
    fault = result_of(ch, target)
    assert isinstance(fault, lc.Faulted)
    assert fault.condition == "object compromised"


def test_stop_ends_an_input_loop_with_aborted(ch):
    a = ch.create(until_stopped)
    ch.send(lc.Stop(), a)
    result = wait_returned(ch).message
    assert isinstance(result, lc.Aborted) and isinstance(result, lc.Faulted)
    assert str(result) == "aborted (user or software interrupt)"


def test_reply_goes_to_the_return_address(ch):
    a = ch.create(echo_once)
    ch.send(lc.Ack(), a)
    _m, _ = wait_for(ch, lc.Ack)
    assert ch.return_address == a
    wait_returned(ch)


def test_returned_of_a_child_whose_parent_is_gone_is_discarded():
    with lc.channel() as parent:
        a = parent.create(until_stopped)
    with lc.channel() as c:
        c.send(lc.Stop(), a)  # the child ends; its parent is gone: nothing happens
        c.send(lc.Ping(), c.object_address)
        assert wait_for(c, lc.Ping)[1] == 0


# Machines ----------------------------------------------------------------------------------------


class Recorder(lc.Point, lc.Stateless):
    def __init__(self) -> None:
        lc.Point.__init__(self)
        lc.Stateless.__init__(self)
        self.seen: list[str] = []


def Recorder_Start(self, m):
    self.seen.append("Start")


def Recorder_T1(self, m):
    self.seen.append("T1")


def Recorder_Stop(self, m):
    self.seen.append("Stop")
    self.complete(lc.cast_to(self.seen, lc.def_type(list[str])))


lc.bind(Recorder, (lc.Start, lc.T1, lc.Stop))


def test_machine_receives_start_before_any_other_message(ch):
    a = ch.create(Recorder)
    ch.send(lc.T1(), a)
    ch.send(lc.Stop(), a)
    value, portable = wait_returned(ch).cast_back()
    assert value == ["Start", "T1", "Stop"]
    assert portable == lc.def_type(list[str])


class Parented(lc.Point, lc.Stateless):
    def __init__(self) -> None:
        lc.Point.__init__(self)
        lc.Stateless.__init__(self)


def Parented_Start(self, m):
    self.complete(lc.cast_to([self.return_address == self.parent_address], lc.def_type(list[bool])))


lc.bind(Parented, (lc.Start,))


def test_machine_start_comes_from_the_parent(ch):
    a = ch.create(Parented)
    assert wait_returned(ch).cast_back()[0] == [True]
    assert ch.return_address == a


class Faulty(lc.Point, lc.Stateless):
    def __init__(self) -> None:
        lc.Point.__init__(self)
        lc.Stateless.__init__(self)


def Faulty_Start(self, m):
    pass


def Faulty_Ack(self, m):
    raise RuntimeError("handler broke")


lc.bind(Faulty, (lc.Start, lc.Ack))


def test_machine_handler_exception_ends_it_with_a_fault(ch):
    with log_at(lc.USER_LOG.FAULT) as log:
        a = ch.create(Faulty)
        ch.send(lc.Ack(), a)
        fault = wait_returned(ch).message
    assert (fault.condition, fault.explanation) == (
        "object faulted",
        "unhandled exception (handler broke)",
    )
    assert texts(log, "!", a) == ["unhandled exception (handler broke)"]


class IDLE:
    pass


class BUSY:
    pass


class Lazy(lc.Point, lc.StateMachine):
    def __init__(self) -> None:
        lc.Point.__init__(self)
        lc.StateMachine.__init__(self, IDLE)


def Lazy_IDLE_Start(self, m):
    return IDLE


def Lazy_IDLE_Ack(self, m):
    return BUSY


def Lazy_BUSY_Ack(self, m):
    return None  # not a state


def Lazy_BUSY_Stop(self, m):
    self.complete(lc.Aborted())


lc.bind(Lazy, {IDLE: ((lc.Start, lc.Ack), ()), BUSY: ((lc.Ack, lc.Stop), ())})


def test_state_machine_changes_state_per_handler_result(ch):
    a = ch.create(Lazy)
    ch.send(lc.Stop(), a)  # dropped in IDLE
    ch.send(lc.Ack(), a)  # -> BUSY
    ch.send(lc.Stop(), a)
    assert isinstance(wait_returned(ch).message, lc.Aborted)


def test_state_machine_handler_returning_no_state_ends_with_a_fault(ch):
    a = ch.create(Lazy)
    ch.send(lc.Ack(), a)
    ch.send(lc.Ack(), a)
    fault = wait_returned(ch).message
    assert isinstance(fault, lc.Faulted)
    assert fault.condition == 'machine "Lazy" returned no state'
    assert fault.explanation == "handler Lazy_BUSY_Ack"


class Catcher(lc.Point, lc.Stateless):
    def __init__(self) -> None:
        lc.Point.__init__(self)
        lc.Stateless.__init__(self)


def Catcher_Start(self, m):
    pass


def Catcher_Busy(self, m):
    self.reply(lc.cast_to("Busy", lc.str_type))


def Catcher_Faulted(self, m):
    self.reply(lc.cast_to(f"Faulted {type(m).__name__}", lc.str_type))


def Catcher_Unknown(self, m):
    self.reply(lc.cast_to(f"Unknown {type(m).__name__}", lc.str_type))


def Catcher_Incognito(self, m):
    self.reply(lc.cast_to(f"Incognito {m.type_name}", lc.str_type))


def Catcher_Stop(self, m):
    self.complete()


# Declaration order decides the isinstance fallback: Busy before Faulted.
lc.bind(Catcher, (lc.Start, lc.Busy, lc.Faulted, lc.Incognito, lc.Unknown, lc.Stop))


class NotListeningYet(lc.Faulted):
    """Stands in for the networking fault (lc.NotListening) in acceptance 6."""


lc.bind(NotListeningYet)


@pytest.mark.parametrize(
    ("message", "handled"),
    [
        (NotListeningYet("cannot listen"), "Faulted NotListeningYet"),
        (lc.TimedOut(lc.T1), "Faulted TimedOut"),
        (lc.Aborted(), "Faulted Aborted"),
        (lc.Busy(), "Busy"),
        (lc.Ack(), "Unknown Ack"),
        (lc.cast_to([1, 2], lc.def_type(list[int])), "Unknown list"),
        (lc.Incognito("mod.Z"), "Incognito mod.Z"),
    ],
)
def test_machine_dispatch_exact_then_isinstance_then_unknown(ch, message, handled):
    a = ch.create(Catcher)
    ch.send(message, a)
    text, _ = wait_for(ch, lc.str_type)
    assert text == handled
    ch.send(lc.Stop(), a)
    wait_returned(ch)


def test_isinstance_fallback_is_cached_and_stays_correct(ch):
    a = ch.create(Catcher)
    for _ in range(3):
        ch.send(lc.TimedOut(), a)
        assert wait_for(ch, lc.str_type)[0] == "Faulted TimedOut"
        ch.send(lc.Busy(), a)
        assert wait_for(ch, lc.str_type)[0] == "Busy"
    ch.send(lc.Stop(), a)
    wait_returned(ch)


def test_machine_not_listing_a_type_drops_logs_and_counts_it(ch):
    counters = Counters()
    with log_at(lc.USER_LOG.OBJECT) as log:
        a = ch.create(Recorder)
        ch.send(lc.Ack(), a)
        ch.send(lc.Busy("busy now"), a)
        ch.send(lc.Stop(), a)
        assert wait_returned(ch).cast_back()[0] == ["Start", "Stop"]
    dropped = [t for t in texts(log, "<", a) if t.startswith("Dropped")]
    assert dropped == [
        f"Dropped Ack from <{hex_of(ch.object_address)}>",
        f"Dropped Busy from <{hex_of(ch.object_address)}> (busy now)",
    ]
    assert counters.delta() == {"dropped_unhandled": 2}


def test_drop_is_counted_with_logging_off(ch):
    counters = Counters()
    a = ch.create(Recorder)
    ch.send(lc.Ack(), a)
    ch.send(lc.Stop(), a)
    wait_returned(ch)
    assert counters.delta() == {"dropped_unhandled": 1}


def test_send_to_an_ended_object_is_counted_and_traced(ch):
    a = ch.create(double)
    wait_returned(ch)
    counters = Counters()
    with log_at(lc.USER_LOG.TRACE) as log, lc.channel() as sender:
        sender.send(lc.Ack(), a)
        lines = texts(log, "~", sender.object_address)
    assert counters.delta() == {"undeliverable": 1}
    assert lines == [f"Undeliverable Ack to <{hex_of(a)}>"]


class IntTaker(lc.Point, lc.Stateless):
    def __init__(self) -> None:
        lc.Point.__init__(self)
        lc.Stateless.__init__(self)


def IntTaker_Start(self, m):
    pass


def IntTaker_int(self, m):
    self.complete(lc.cast_to([m], lc.def_type(list[int])))


def IntTaker_Stop(self, m):
    self.complete()


lc.bind(IntTaker, (lc.Start, int, lc.Stop))


def test_machine_dispatching_int_receives_cast_ints(ch):
    a = ch.create(IntTaker)
    ch.send(lc.cast_to(5, lc.int_type), a)
    ch.send(lc.Stop(), a)
    assert wait_returned(ch).cast_back()[0] == [5]


# Bind errors -------------------------------------------------------------------------------------


class M(lc.Point, lc.Stateless):
    def __init__(self) -> None:
        lc.Point.__init__(self)
        lc.Stateless.__init__(self)


class MS(lc.Point, lc.StateMachine):
    def __init__(self) -> None:
        lc.Point.__init__(self)
        lc.StateMachine.__init__(self, IDLE)


def MS_IDLE_Ack(self, m):
    return IDLE


def test_bind_reports_a_missing_handler_by_name_and_class():
    with pytest.raises(lc.PointConstructionError) as e:
        lc.bind(M, (lc.T1,))
    assert str(e.value) == f'function "M_T1" not found ({__name__}.M)'


def test_bind_rejects_a_type_both_matched_and_saved():
    with pytest.raises(lc.PointConstructionError, match="both matched and saved"):
        lc.bind(MS, {IDLE: ((lc.Ack,), (lc.Ack,))})


@pytest.mark.parametrize(
    "entry",
    [(lc.Ack,), ((lc.Ack,),), ((lc.Ack,), (), ()), [(lc.Ack,), ()], ((lc.Ack,), lc.Nak)],
)
def test_bind_rejects_a_state_entry_that_is_not_two_tuples(entry):
    with pytest.raises(lc.PointConstructionError, match="not a 2-tuple of tuples"):
        lc.bind(MS, {IDLE: entry})


def test_bind_rejects_thread_on_a_function():
    def worker(self, x: int = 0) -> int:
        return x

    with pytest.raises(lc.PointConstructionError):
        lc.bind(worker, thread="x")


def test_create_of_an_unbound_type_is_refused(ch):
    def never_bound(self) -> None:
        pass

    with pytest.raises(lc.PointConstructionError, match="not registered"):
        ch.create(never_bound)


# The log trail -----------------------------------------------------------------------------------


def chatty(self) -> None:
    self.input()
    self.console("Warming up", target=21, step=0.5)
    self.warning(a=1, b="x")
    self.debug("plain")
    self.trace()  # nothing at all
    self.sample("load", n=3)
    self.test(1 + 1 == 3, "arithmetic")


lc.bind(chatty)


def quiet(self) -> None:
    self.console("not shown")
    self.warning("shown")


lc.bind(quiet, lifecycle=False, user_logs=lc.USER_LOG.WARNING)


def test_object_trail_logs_created_sent_received_destroyed():
    with log_at(lc.USER_LOG.OBJECT) as log, lc.channel() as c:
        a = c.create(chatty)
        c.send(lc.Ack(), a)
        wait_returned(c)
    me, it = hex_of(c.object_address), a
    assert texts(log, "+", it) == [f"Created by <{me}>"]
    assert texts(log, "<", it) == [f"Received Ack from <{me}>"]
    assert texts(log, "X", it) == ["Destroyed"]
    assert f"Sent Ack to <{hex_of(a)}>" in texts(log, ">", c.object_address)
    names = {name for _, address, name, _ in entries(log) if address == hex_of(a)}
    assert names == {"chatty"}


def test_user_logs_format_positionals_and_key_values():
    with log_at(lc.USER_LOG.DEBUG) as log, lc.channel() as c:
        a = c.create(chatty)
        c.send(lc.Ack(), a)
        wait_returned(c)
    assert texts(log, "^", a) == ["Warming up (target=21, step=0.5)"]
    assert texts(log, "?", a) == ["a=1, b=x"]
    assert texts(log, "_", a) == ["plain"]
    assert texts(log, "~", a) == []
    assert texts(log, "&", a) == ["load (n=3)"]
    (check,) = texts(log, "=", a)
    assert check.startswith("arithmetic (") and "test_objects.py:" in check


def test_user_logs_below_the_bound_level_are_suppressed():
    with log_at(lc.USER_LOG.DEBUG) as log, lc.channel() as c:
        a = c.create(quiet)
        wait_returned(c)
    assert [(char, text) for char, address, _, text in entries(log) if address == hex_of(a)] == [
        ("?", "shown")
    ]


def test_nothing_is_logged_below_the_selected_level():
    with log_at(lc.USER_LOG.WARNING) as log, lc.channel() as c:
        a = c.create(chatty)
        c.send(lc.Ack(), a)
        wait_returned(c)
    assert {char for char, *_ in entries(log)} == {"?", "="}


def test_state_machine_log_name_shows_the_state(ch):
    with log_at(lc.USER_LOG.OBJECT) as log:
        a = ch.create(Lazy)
        ch.send(lc.Ack(), a)
        ch.send(lc.Stop(), a)
        wait_returned(ch)
    names = [name for _, address, name, _ in entries(log) if address == hex_of(a)]
    assert names[0] == "Lazy[IDLE]" and names[-1] == "Lazy[BUSY]"


def test_every_log_line_matches_the_stderr_format():
    with log_at(lc.USER_LOG.DEBUG) as log, lc.channel() as c:
        a = c.create(chatty)
        c.send(lc.Ack(), a)
        wait_returned(c)
        b = c.create(Lazy)
        c.send(lc.Ack(), b)
        c.send(lc.Ack(), b)
        wait_returned(c)
    lines = log.getvalue().splitlines()
    assert len(lines) > 10
    for line in lines:
        assert LINE.match(line), line
