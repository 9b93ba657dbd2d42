"""``Sequentially`` and ``Concurrently`` results (compat.md §2.4), written from the entry:
``Sequentially`` ends with a plain list (``[]`` for no items) or the first fault;
``Concurrently`` with the pair ``(list, VectorOf(Any()))``."""

from __future__ import annotations

import layer_cake as lc

PATIENCE = 30.0


class Xy:
    def __init__(self, x: int = 0) -> None:
        self.x = x

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Xy) and other.x == self.x

    __hash__ = None  # type: ignore[assignment]


lc.bind(Xy)


def echo(self):
    """Multiplies by 10; x == 0 is refused with a fault."""
    while True:
        m = self.input()
        if isinstance(m, lc.Stop):
            return lc.Aborted()
        if isinstance(m, Xy):
            self.reply(Xy(m.x * 10) if m.x else lc.Faulted("zero refused"))


lc.bind(echo)


def result_of(ch: lc.Channel, helper: type, *items: object) -> object:
    address = ch.create(helper, *items)
    while True:
        m, i = ch.select(lc.Returned, seconds=PATIENCE)
        assert i == 0, "no Returned"
        if ch.return_address == address:
            return m.message


def test_sequentially_returns_a_plain_list():
    with lc.channel() as ch:
        e = ch.create(echo)
        value = result_of(ch, lc.Sequentially, (Xy(1), e), (Xy(2), e))
        assert type(value) is list
        assert value == [Xy(10), Xy(20)]
        ch.send(lc.Stop(), e)


def test_sequentially_with_no_items_returns_an_empty_list():
    with lc.channel() as ch:
        assert result_of(ch, lc.Sequentially) == []


def test_sequentially_returns_the_first_fault():
    with lc.channel() as ch:
        e = ch.create(echo)
        value = result_of(ch, lc.Sequentially, (Xy(1), e), (Xy(0), e), (Xy(2), e))
        assert isinstance(value, lc.Faulted) and str(value) == "zero refused"
        ch.send(lc.Stop(), e)


def test_concurrently_returns_the_cast_list():
    with lc.channel() as ch:
        e = ch.create(echo)
        value = result_of(ch, lc.Concurrently, (Xy(1), e), (Xy(2), e))
        assert value == ([Xy(10), Xy(20)], lc.VectorOf(lc.Any()))
        ch.send(lc.Stop(), e)
