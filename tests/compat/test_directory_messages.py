"""The directory messages of layer-cake 0.1 (compat §3.8): ``PublishAs``, ``SubscribeTo``,
``ClearPublished``, ``ClearSubscribed``, ``ConnectTo``, ``AcceptAt`` sent to ``PD.directory``
do what the API calls do; ``PD`` and ``DIRECTORY_AT_LAN`` keep their old meaning."""

from __future__ import annotations

import uuid

import pytest

import layer_cake as lc
from layer_cake.pubsub._node import node_address

PATIENCE = 30.0  # seconds: generous, the machine is shared


def wait_for(c: lc.Channel, *types: object) -> tuple:
    """``(message, index)`` of the next message matching ``types``; fails on timeout."""
    m, i = c.select(*types, seconds=PATIENCE)
    assert i < len(types), f"none of {types} within {PATIENCE} s"
    return m, i


def unique(kind: str) -> str:
    return f"compat:{kind}:{uuid.uuid4()}"


@pytest.mark.parametrize(
    ("cls", "fields"),
    [
        (lc.PublishAs, ["name", "scope", "publisher_address", "encrypted"]),
        (lc.SubscribeTo, ["search", "scope", "subscriber_address"]),
        (lc.ClearPublished, ["name", "scope", "published_id", "note"]),
        (lc.ClearSubscribed, ["search", "scope", "subscribed_id", "note"]),
        (lc.ConnectTo, ["ipp"]),
        (lc.AcceptAt, ["ipp"]),
    ],
)
def test_messages_are_registered_under_their_old_signatures(cls, fields):
    spec = cls.__lc_message__
    assert spec.signature == f"layer_cake.object_directory.{cls.__name__}"
    assert [name for name, _ in spec.fields] == fields


def test_connect_to_and_accept_at_default_to_an_empty_host_port():
    assert lc.ConnectTo().ipp == lc.HostPort()
    assert lc.AcceptAt().ipp == lc.HostPort()


def test_pd_directory_is_this_processs_directory_node():
    assert lc.PD.directory == node_address()
    assert repr(lc.PD) == f"Gas(directory={node_address()!r})"


def test_directory_at_lan_is_the_old_constant():
    expected = ("192.168.0.195", 54195)  # lan-doc: a value only, never connected to
    assert (lc.DIRECTORY_AT_LAN.host, lc.DIRECTORY_AT_LAN.port) == expected


def test_publish_as_to_pd_directory_lists_the_sender():
    name = unique("publish-as")
    with lc.channel() as pub, lc.channel() as sub:
        pub.send(lc.PublishAs(name, lc.ScopeOfDirectory.PROCESS), lc.PD.directory)
        published, _ = wait_for(pub, lc.Published)
        assert published.name == name
        lc.subscribe(sub, name, lc.ScopeOfDirectory.PROCESS)
        available, _ = wait_for(sub, lc.Available)
        assert available.publisher_address == pub.object_address
        delivered, _ = wait_for(pub, lc.Delivered)
        assert delivered.subscriber_address == sub.object_address


def test_publish_as_lists_the_publisher_address_and_answers_the_sender():
    name = unique("publish-for")
    with lc.channel() as requester, lc.channel() as pub, lc.channel() as sub:
        request = lc.PublishAs(name, lc.ScopeOfDirectory.PROCESS, pub.object_address)
        requester.send(request, lc.PD.directory)
        wait_for(requester, lc.Published)
        lc.subscribe(sub, name, lc.ScopeOfDirectory.PROCESS)
        available, _ = wait_for(sub, lc.Available)
        assert available.publisher_address == pub.object_address
        wait_for(pub, lc.Delivered)


def test_publish_as_without_a_name_is_refused():
    with lc.channel() as pub:
        pub.send(lc.PublishAs(), lc.PD.directory)
        refused, _ = wait_for(pub, lc.NotPublished)
        assert "name must be a str" in refused.note


def test_subscribe_to_pd_directory_matches_a_publication():
    name = unique("subscribe-to")
    with lc.channel() as pub, lc.channel() as sub:
        sub.send(lc.SubscribeTo(name, lc.ScopeOfDirectory.PROCESS), lc.PD.directory)
        subscribed, _ = wait_for(sub, lc.Subscribed)
        assert subscribed.search == name
        lc.publish(pub, name, lc.ScopeOfDirectory.PROCESS)
        available, _ = wait_for(sub, lc.Available)
        assert available.publisher_address == pub.object_address


def test_subscribe_to_with_a_bad_search_is_refused():
    with lc.channel() as sub:
        sub.send(lc.SubscribeTo("(", lc.ScopeOfDirectory.PROCESS), lc.PD.directory)
        wait_for(sub, lc.NotSubscribed)


def test_clear_published_ends_the_sessions_and_confirms():
    name = unique("clear-published")
    with lc.channel() as pub, lc.channel() as sub:
        lc.publish(pub, name, lc.ScopeOfDirectory.PROCESS)
        published, _ = wait_for(pub, lc.Published)
        lc.subscribe(sub, name, lc.ScopeOfDirectory.PROCESS)
        wait_for(sub, lc.Available)
        clear = lc.ClearPublished(name, published.scope, published.published_id, "bye")
        pub.send(clear, lc.PD.directory)
        cleared, _ = wait_for(pub, lc.PublishedCleared)
        assert (cleared.published_id, cleared.note) == (published.published_id, "bye")
        dropped, _ = wait_for(sub, lc.Dropped)
        assert dropped.remote_address == pub.object_address


def test_clear_subscribed_confirms_without_dropped_to_the_subscriber():
    name = unique("clear-subscribed")
    with lc.channel() as pub, lc.channel() as sub:
        lc.publish(pub, name, lc.ScopeOfDirectory.PROCESS)
        wait_for(pub, lc.Published)
        lc.subscribe(sub, name, lc.ScopeOfDirectory.PROCESS)
        subscribed, _ = wait_for(sub, lc.Subscribed)
        wait_for(sub, lc.Available)
        clear = lc.ClearSubscribed(name, subscribed.scope, subscribed.subscribed_id, "done")
        sub.send(clear, lc.PD.directory)
        cleared, i = wait_for(sub, lc.SubscribedCleared, lc.Dropped)
        assert i == 0 and cleared.note == "done"
        dropped, _ = wait_for(pub, lc.Dropped)
        assert dropped.remote_address == sub.object_address


def test_accept_at_makes_the_node_listen_for_child_nodes():
    with lc.channel() as ch:
        ch.send(lc.AcceptAt(lc.HostPort("127.0.0.1", 0)), lc.PD.directory)
        listening, _ = wait_for(ch, lc.Listening, lc.NotListening)
        assert isinstance(listening, lc.Listening)
        assert listening.listening_ipp.host == "127.0.0.1" and listening.listening_ipp.port > 0


def test_connect_to_makes_the_node_link_to_that_parent():
    name = unique("connect-to")
    with lc.channel() as parent, lc.channel() as pub:
        lc.listen(parent, lc.HostPort("127.0.0.1", 0))
        listening, _ = wait_for(parent, lc.Listening)
        port = listening.listening_ipp.port
        try:
            pub.send(lc.ConnectTo(lc.HostPort("127.0.0.1", port)), lc.PD.directory)
            lc.publish(pub, name, lc.ScopeOfDirectory.GROUP)  # wider than the process
            accepted, _ = wait_for(parent, lc.Accepted)
            assert accepted.opened_ipp.host == "127.0.0.1"
        finally:
            pub.send(lc.ConnectTo(), lc.PD.directory)  # no parent again (the default here)
        wait_for(parent, lc.Closed)
