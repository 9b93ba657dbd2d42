"""Keyword names of ``self`` methods (compat.md §2.2) and ``object_ending`` (§3.13),
written from the entries: the original names are accepted alongside ours."""

from __future__ import annotations

import time

import pytest

import layer_cake as lc
from layer_cake.runtime._object import TABLE

PATIENCE = 30.0


class Completer(lc.Point, lc.Stateless):
    def __init__(self) -> None:
        lc.Point.__init__(self)
        lc.Stateless.__init__(self)


def Completer_Start(self, message):
    self.complete(message=lc.Ack())


lc.bind(Completer, (lc.Start,))


def completes_seven(self):
    self.complete(message=7)


def aborts(self):
    self.abort(message=lc.Nak())
    self.complete()


def echo(self):
    while True:
        m = self.input()
        if isinstance(m, lc.Stop):
            return lc.Aborted()
        self.reply(m)


def asker(self):
    server = self.create(echo)
    reply, i = self.ask(q=lc.Ack(), r=(lc.Ack,), a=server, seconds=PATIENCE)
    stopped, j = self.stop(a=server, r=(lc.Returned,), seconds=PATIENCE)
    return [type(reply).__name__, i, type(stopped.message).__name__, j]


def saver(self):
    first = self.input()
    self.save(message=first)  # replays after the next fresh message
    second = self.input()
    replayed = self.input()
    return [type(first).__name__, type(second).__name__, type(replayed).__name__]


def waits(self):
    self.input()


for f in (completes_seven, aborts, echo, asker, saver, waits):
    lc.bind(f)


def returned(ch: lc.Channel, address: tuple) -> object:
    m, i = ch.select(lc.Returned, seconds=PATIENCE)
    assert i == 0 and ch.return_address == address
    return m.message


def test_complete_accepts_message_keyword_in_a_machine():
    with lc.channel() as ch:
        assert isinstance(returned(ch, ch.create(Completer)), lc.Ack)


def test_complete_and_abort_accept_message_keyword_in_a_function():
    with lc.channel() as ch:
        assert returned(ch, ch.create(completes_seven)) == 7
        assert isinstance(returned(ch, ch.create(aborts)), lc.Nak)


def test_ask_and_stop_accept_the_original_short_names():
    with lc.channel() as ch:
        address = ch.create(asker)
        assert returned(ch, address) == ["Ack", 0, "Aborted", 0]


def test_save_accepts_the_message_argument():
    with lc.channel() as ch:
        address = ch.create(saver)
        ch.send(lc.Ack(), address)
        ch.send(lc.Nak(), address)
        assert returned(ch, address) == ["Ack", "Nak", "Ack"]


def test_unknown_keyword_of_ask_is_a_type_error():
    with lc.channel() as ch, pytest.raises(TypeError, match="unexpected keyword argument 'b'"):
        ch.ask(lc.Ack(), (lc.Ack,), ch.object_address, b=1)


def test_create_with_returned_object_sends_returned():
    with lc.channel() as ch:
        address = ch.create(completes_seven, object_ending=lc.returned_object)
        assert returned(ch, address) == 7


def wait_gone(address: tuple) -> None:
    deadline = time.monotonic() + PATIENCE
    while address in TABLE:
        assert time.monotonic() < deadline, "child never ended"
        time.sleep(0.01)


def test_create_with_no_ending_ends_the_child_silently():
    with lc.channel() as ch:
        address = ch.create(waits, object_ending=lc.no_ending)
        ch.send(lc.Ack(), address)
        wait_gone(address)
        ch.send(lc.Nak(), ch.object_address)  # a marker after the child's end
        m = ch.input()
        assert isinstance(m, lc.Nak), f"the child's end reached its parent: {m!r}"


def test_object_ending_functions_take_message_parent_and_address():
    with lc.channel() as ch:
        lc.returned_object(lc.Ack(), ch.object_address, (99,))
        m = ch.input()
        assert isinstance(m, lc.Returned) and isinstance(m.message, lc.Ack)
        assert ch.return_address == (99,)
        assert lc.no_ending(lc.Ack(), ch.object_address, (99,)) is None
