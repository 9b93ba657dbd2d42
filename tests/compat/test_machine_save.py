"""``self.save(message)`` in machines (compat.md §2.3, api-core §6), written from the entry:
saved messages replay right after the next fresh message to the same machine, in save
order; messages to other machines on a shared dispatcher do not trigger the replay; the 8th
save discards the message."""

from __future__ import annotations

import layer_cake as lc

PATIENCE = 30.0


class Xy:
    def __init__(self, x: int = 0) -> None:
        self.x = x


lc.bind(Xy)


def trace_of(self, message):
    if isinstance(message, Xy):
        return f"Xy{message.x}"
    return type(message).__name__


# Stateless: saves every Xy until Ack -----------------------------------------------------------


class M(lc.Point, lc.Stateless):
    def __init__(self) -> None:
        lc.Point.__init__(self)
        lc.Stateless.__init__(self)
        self.trace = []
        self.acked = False


def M_Start(self, message):
    self.trace.append("Start")


def M_Xy(self, message):
    if not self.acked:
        self.save(message)
        self.trace.append(f"Xy{message.x}(saved)")
        return
    self.trace.append(f"Xy{message.x}")


def M_Ack(self, message):
    self.acked = True
    self.trace.append("Ack")


def M_Nak(self, message):
    self.trace.append("Nak")
    self.complete(self.trace)


lc.bind(M, (lc.Start, Xy, lc.Ack, lc.Nak))


class MThreaded(lc.Threaded, lc.Stateless):
    def __init__(self) -> None:
        lc.Threaded.__init__(self)
        lc.Stateless.__init__(self)
        self.trace = []
        self.acked = False


def MThreaded_Start(self, message):
    M_Start(self, message)


def MThreaded_Xy(self, message):
    M_Xy(self, message)


def MThreaded_Ack(self, message):
    M_Ack(self, message)


def MThreaded_Nak(self, message):
    M_Nak(self, message)


lc.bind(MThreaded, (lc.Start, Xy, lc.Ack, lc.Nak))

EXPECTED = ["Start", "Xy1(saved)", "Xy2(saved)", "Xy1(saved)", "Ack", "Xy2", "Xy1", "Xy3", "Nak"]


def run_sequence(machine: type) -> object:
    with lc.channel() as ch:
        address = ch.create(machine)
        for m in (Xy(1), Xy(2), lc.Ack(), Xy(3), lc.Nak()):
            ch.send(m, address)
        m, i = ch.select(lc.Returned, seconds=PATIENCE)
        assert i == 0
        return m.message


def test_point_stateless_saves_and_replays_after_the_next_fresh_message():
    assert run_sequence(M) == EXPECTED


def test_threaded_stateless_saves_and_replays_the_same_way():
    assert run_sequence(MThreaded) == EXPECTED


# StateMachine: saves in INITIAL, completes in READY ----------------------------------------------


class INITIAL:
    pass


class READY:
    pass


class S(lc.Point, lc.StateMachine):
    def __init__(self) -> None:
        lc.Point.__init__(self)
        lc.StateMachine.__init__(self, INITIAL)
        self.seen = []


def S_INITIAL_Start(self, message):
    return INITIAL


def S_INITIAL_Xy(self, message):
    self.save(message)
    return INITIAL


def S_INITIAL_Ack(self, message):
    return READY


def S_READY_Xy(self, message):
    self.seen.append(message.x)
    if len(self.seen) == 2:
        self.complete(self.seen)
    return READY


lc.bind(S, {INITIAL: ((lc.Start, Xy, lc.Ack), ()), READY: ((Xy,), ())})


class T(lc.Point, lc.StateMachine):
    """The same with a state saving tuple instead of save()."""

    def __init__(self) -> None:
        lc.Point.__init__(self)
        lc.StateMachine.__init__(self, INITIAL)
        self.seen = []


def T_INITIAL_Start(self, message):
    return INITIAL


def T_INITIAL_Ack(self, message):
    return READY


def T_READY_Xy(self, message):
    return S_READY_Xy(self, message)


lc.bind(T, {INITIAL: ((lc.Start, lc.Ack), (Xy,)), READY: ((Xy,), ())})


def test_state_machine_save_replays_like_a_saving_tuple():
    results = []
    for machine in (S, T):
        with lc.channel() as ch:
            address = ch.create(machine)
            for m in (Xy(1), Xy(2), lc.Ack()):
                ch.send(m, address)
            m, i = ch.select(lc.Returned, seconds=PATIENCE)
            assert i == 0
            results.append(m.message)
    assert results == [[2, 1], [2, 1]]


# The 8-save limit --------------------------------------------------------------------------------


class Hoarder(lc.Point, lc.Stateless):
    def __init__(self) -> None:
        lc.Point.__init__(self)
        lc.Stateless.__init__(self)
        self.xy_seen = 0


def Hoarder_Start(self, message):
    pass


def Hoarder_Xy(self, message):
    self.xy_seen += 1
    self.save(message)


def Hoarder_Ack(self, message):
    pass


def Hoarder_Nak(self, message):
    self.complete(self.xy_seen)


lc.bind(Hoarder, (lc.Start, Xy, lc.Ack, lc.Nak))


def test_the_eighth_save_discards_the_message_and_counts_it():
    before = lc.runtime_counters().dropped_replay
    with lc.channel() as ch:
        address = ch.create(Hoarder)
        ch.send(Xy(1), address)
        for _ in range(12):
            ch.send(lc.Ack(), address)
        ch.send(lc.Nak(), address)
        m, i = ch.select(lc.Returned, seconds=PATIENCE)
        assert i == 0
    # handled fresh once, then replayed after 7 of the Acks; the 8th save discarded it
    assert m.message == 8
    assert lc.runtime_counters().dropped_replay == before + 1


# Shared dispatcher -------------------------------------------------------------------------------


class Shared(lc.Point, lc.Stateless):
    def __init__(self) -> None:
        lc.Point.__init__(self)
        lc.Stateless.__init__(self)
        self.xy_seen = 0


def Shared_Start(self, message):
    pass


def Shared_Xy(self, message):
    self.xy_seen += 1
    if self.xy_seen == 1:
        self.save(message)


def Shared_Ack(self, message):
    self.reply(Xy(self.xy_seen))


lc.bind(Shared, (lc.Start, Xy, lc.Ack), thread="compat-save-shared")


def test_messages_to_another_machine_on_the_dispatcher_do_not_replay():
    with lc.channel() as ch:
        a = ch.create(Shared)
        b = ch.create(Shared)
        ch.send(Xy(1), a)  # a saves it
        ch.send(lc.Ack(), b)  # b's message: no replay in a
        reply, i = ch.select(Xy, seconds=PATIENCE)
        assert (i, ch.return_address, reply.x) == (0, b, 0)
        ch.send(lc.Ack(), a)  # a's fresh Ack is handled, then the saved Xy replays
        reply, i = ch.select(Xy, seconds=PATIENCE)
        assert (i, reply.x) == (0, 1)
        ch.send(lc.Ack(), a)
        reply, i = ch.select(Xy, seconds=PATIENCE)
        assert (i, reply.x) == (0, 2)
        for address in (a, b):
            ch.send(lc.Stop(), address)
