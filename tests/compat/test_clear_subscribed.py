"""Compat §2.10: ``clear_subscribed`` tells the subscriber only ``SubscribedCleared`` (no
``Dropped`` for the sessions it ended itself); the publisher still gets ``Dropped``.

As observed in layer-cake 0.1: publisher and subscriber in one process, one request/reply
over the session, then the subscriber clears with a note."""

from __future__ import annotations

import uuid

import layer_cake as lc

PATIENCE = 30.0  # seconds: generous, the machine is shared


class Mark:
    """Sent by the test after the clear: whatever the subscriber gets before it came first."""


lc.bind(Mark)


def next_of(c: lc.Channel, *types: object) -> object:
    m, i = c.select(*types, seconds=PATIENCE)
    assert i < len(types), f"none of {types} within {PATIENCE} s"
    return m


def received_until_mark(c: lc.Channel) -> list[str]:
    """The class names of the messages ``c`` gets until ``Mark``."""
    names = []
    c.send(Mark(), c.object_address)
    while True:
        m = c.input()
        if isinstance(m, Mark):
            return names
        names.append(type(m).__name__)


def test_the_subscriber_hears_only_subscribed_cleared_and_the_publisher_dropped():
    name = f"compat:clear:{uuid.uuid4()}"
    with lc.channel() as pub, lc.channel() as sub:
        lc.publish(pub, name, lc.ScopeOfDirectory.PROCESS)
        next_of(pub, lc.Published)
        lc.subscribe(sub, name, lc.ScopeOfDirectory.PROCESS)
        subscribed = next_of(sub, lc.Subscribed)
        available = next_of(sub, lc.Available)
        next_of(pub, lc.Delivered)
        sub.send(lc.Ack(), available.publisher_address)  # the one request
        assert isinstance(next_of(pub, lc.Ack), lc.Ack)
        pub.reply(lc.Ack())
        assert isinstance(next_of(sub, lc.Ack), lc.Ack)
        lc.clear_subscribed(sub, subscribed, note="done")
        cleared = next_of(sub, lc.SubscribedCleared, lc.Dropped)
        assert isinstance(cleared, lc.SubscribedCleared), cleared
        assert (cleared.subscribed_id, cleared.note) == (subscribed.subscribed_id, "done")
        dropped = next_of(pub, lc.Dropped)
        assert dropped.remote_address == sub.object_address
        assert dropped.route_id == available.route_id
        assert received_until_mark(sub) == []  # no late Dropped either
        assert received_until_mark(pub) == []
