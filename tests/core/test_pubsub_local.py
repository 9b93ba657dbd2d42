"""Publish/subscribe inside one process (pubsub §1-§6, acceptance pub/sub scenarios in one
process): the process's directory node matches names and searches and opens sessions between
channels, machines and function objects. Networking is not involved.

Names carry a fresh uuid per test so that tests never meet each other's listings.
"""

from __future__ import annotations

import re
import uuid

import pytest
from runtime_support import PATIENCE, wait_for, wait_returned

import layer_cake as lc
from layer_cake.pubsub import _api as pubsub
from layer_cake.pubsub._node import NODE, DirectoryNode, node_address
from layer_cake.runtime._dispatch import TABLE

SEED_SEARCH = r"app:worker-10:[-a-f0-9]+"  # the seed's test_server_10 pattern, minus its prefix


def unique(text: str) -> str:
    return f"{text}:{uuid.uuid4()}"


# Messages and objects of the tests ----------------------------------------------------------------


class Xy:
    """A request: multiply."""

    def __init__(self, x: int = 0, y: int = 0) -> None:
        self.x = x
        self.y = y


class Product:
    """The answer, and which worker computed it."""

    def __init__(self, value: int = 0, worker: tuple | None = None) -> None:
        self.value = value
        self.worker = worker


lc.bind_message(Xy)
lc.bind_message(Product, worker=lc.Address())


def worker(self, name: str) -> object:
    """The seed's worker: publish, then answer Xy until stopped."""
    pubsub.publish(self, name)
    m = self.input()
    if not isinstance(m, pubsub.Published):
        return m
    while True:
        m = self.input()
        if isinstance(m, Xy):
            self.reply(Product(m.x * m.y, self.object_address))
        elif isinstance(m, lc.Stop):
            return lc.Aborted()
        elif isinstance(m, lc.Faulted):
            return m


lc.bind(worker)


class Service(lc.Point, lc.Stateless):
    """A loop-hosted publisher: reports every directory message to its parent, echoes Ack."""

    def __init__(self, name: str, scope: lc.ScopeOfDirectory = lc.ScopeOfDirectory.HOST) -> None:
        lc.Point.__init__(self)
        lc.Stateless.__init__(self)
        self.name = name
        self.scope = scope


def Service_Start(self: Service, message: lc.Start) -> None:
    pubsub.publish(self, self.name, scope=self.scope)


def _report(self: Service, message: object) -> None:
    self.send(message, self.parent_address)


Service_Published = _report
Service_NotPublished = _report
Service_Delivered = _report
Service_Dropped = _report


def Service_Ack(self: Service, message: lc.Ack) -> None:
    self.reply(lc.Nak())


def Service_Stop(self: Service, message: lc.Stop) -> None:
    self.complete(lc.Aborted())


lc.bind(
    Service,
    (
        lc.Start,
        pubsub.Published,
        pubsub.NotPublished,
        pubsub.Delivered,
        pubsub.Dropped,
        lc.Ack,
        lc.Stop,
    ),
)


def client(self, search: str) -> object:
    """A function-object subscriber: on Available, Ack the publisher; returns who sent the Nak."""
    pubsub.subscribe(self, search)
    m = self.input()
    if not isinstance(m, pubsub.Subscribed):
        return m
    m, i = self.select(pubsub.Available, lc.Stop)
    if i != 0:
        return lc.Aborted()
    self.send(lc.Ack(), m.publisher_address)
    self.select(lc.Nak)
    return Product(1, self.return_address)


lc.bind(client)


def stop_and_wait(ch: lc.Channel, address: tuple) -> None:
    ch.send(lc.Stop(), address)
    while True:
        wait_returned(ch)
        if ch.return_address == address:
            return


# Listing ------------------------------------------------------------------------------------------


def test_publish_is_answered_published_with_name_scope_id_and_home(ch):
    name = unique("svc")
    pubsub.publish(ch, name)
    m, _ = wait_for(ch, pubsub.Published)
    assert (m.name, m.scope, m.encrypted) == (name, lc.ScopeOfDirectory.HOST, False)
    assert isinstance(m.published_id, uuid.UUID)
    assert m.home_address == ch.object_address
    assert str(m.listening_ipp) == "(not set)"  # in-process only: no session listener


def test_publish_keeps_the_requested_scope_and_encryption(ch):
    pubsub.publish(ch, unique("svc"), scope=lc.ScopeOfDirectory.LAN, encrypted=True)
    m, _ = wait_for(ch, pubsub.Published)
    assert (m.scope, m.encrypted) == (lc.ScopeOfDirectory.LAN, True)


def test_subscribe_is_answered_subscribed_even_when_nothing_matches(ch):
    search = unique("svc") + ":.*"
    pubsub.subscribe(ch, search)
    m, _ = wait_for(ch, pubsub.Subscribed)
    assert (m.search, m.scope) == (search, lc.ScopeOfDirectory.HOST)
    assert isinstance(m.subscribed_id, uuid.UUID)
    assert m.home_address == ch.object_address
    m, i = ch.select(pubsub.Available, seconds=0.1)
    assert i == 1  # no Available


def test_arguments_of_the_wrong_type_are_refused_at_the_call(ch):
    with pytest.raises(TypeError):
        pubsub.publish(ch, 42)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        pubsub.subscribe(ch, None)  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        pubsub.publish(ch, "x", scope=99)  # type: ignore[arg-type]


# Sessions -----------------------------------------------------------------------------------------


def test_subscriber_started_before_publisher_gets_available():
    name = unique("svc")
    with lc.channel() as sub, lc.channel() as pub:
        pubsub.subscribe(sub, name)
        subscribed, _ = wait_for(sub, pubsub.Subscribed)
        pubsub.publish(pub, name)
        published, _ = wait_for(pub, pubsub.Published)
        available, _ = wait_for(sub, pubsub.Available)
        assert (available.name, available.scope) == (name, lc.ScopeOfDirectory.PROCESS)
        assert available.subscribed_id == subscribed.subscribed_id
        assert available.published_id == published.published_id
        assert available.publisher_address == pub.object_address


def test_subscriber_started_after_publisher_gets_available():
    name = unique("svc")
    with lc.channel() as sub, lc.channel() as pub:
        pubsub.publish(pub, name)
        wait_for(pub, pubsub.Published)
        pubsub.subscribe(sub, name)
        m, _ = wait_for(sub, pubsub.Subscribed, pubsub.Available)
        assert isinstance(m, pubsub.Subscribed)  # the answer comes before the session
        available, _ = wait_for(sub, pubsub.Available)
        assert available.publisher_address == pub.object_address


def test_available_and_delivered_return_addresses_are_the_other_side():
    name = unique("svc")
    with lc.channel() as sub, lc.channel() as pub:
        pubsub.publish(pub, name)
        wait_for(pub, pubsub.Published)
        pubsub.subscribe(sub, name)
        available, _ = wait_for(sub, pubsub.Available)
        assert sub.return_address == pub.object_address == available.publisher_address
        delivered, _ = wait_for(pub, pubsub.Delivered)
        assert pub.return_address == sub.object_address == delivered.subscriber_address
        assert delivered.route_id == available.route_id
        assert delivered.opened_at == available.opened_at
        assert delivered.opened_at.tzinfo is not None

        sub.reply(Xy(6, 7))  # over the session: straight to the publisher
        request, _ = wait_for(pub, Xy)
        assert pub.return_address == sub.object_address
        pub.reply(Product(request.x * request.y))
        answer, _ = wait_for(sub, Product)
        assert answer.value == 42


def test_a_machine_publisher_and_a_function_subscriber_exchange_messages(ch):
    name = unique("svc")
    service = ch.create(Service, name)
    wait_for(ch, pubsub.Published)
    subscriber = ch.create(client, name)
    delivered, _ = wait_for(ch, pubsub.Delivered)  # relayed by the service
    assert delivered.subscriber_address == subscriber
    # The client ends: its Returned, and the service's session drops (relayed), in any order.
    got = {}
    while len(got) < 2:
        m, i = wait_for(ch, lc.Returned, pubsub.Dropped)
        got[i] = (m, ch.return_address)
    (returned, child), (dropped, _) = got[0], got[1]
    assert child == subscriber
    assert returned.message.worker == service  # the Nak came from the service
    assert dropped.remote_address == subscriber
    assert dropped.route_id == delivered.route_id
    stop_and_wait(ch, service)


def test_searches_match_whole_names_only():
    tag = unique("t")
    with lc.channel() as sub, lc.channel() as pub:
        pubsub.publish(pub, f"{tag}:worker-1")
        wait_for(pub, pubsub.Published)
        pubsub.subscribe(sub, f"{tag}:worker")
        partial, _ = wait_for(sub, pubsub.Subscribed)
        pubsub.subscribe(sub, re.escape(tag) + ":worker-[0-9]")
        whole, _ = wait_for(sub, pubsub.Subscribed)
        # The node answers in order: an Available for `partial` would have come first.
        available, _ = wait_for(sub, pubsub.Available)
        assert available.subscribed_id == whole.subscribed_id != partial.subscribed_id
        assert available.name == f"{tag}:worker-1"
        _, i = sub.select(pubsub.Available, seconds=0.05)
        assert i == 1


def test_one_regex_search_opens_one_session_per_matching_name(ch):
    names = [f"app:worker-10:{uuid.uuid4()}" for _ in range(8)]
    publishers = []
    for name in names:
        publishers.append(ch.create(Service, name))
        wait_for(ch, pubsub.Published)
    with lc.channel() as sub:
        pubsub.subscribe(sub, SEED_SEARCH)
        wait_for(sub, pubsub.Subscribed)
        seen = {}
        for _ in names:
            m, _ = wait_for(sub, pubsub.Available)
            seen[m.name] = m.publisher_address
        assert sorted(seen) == sorted(names)
        assert sorted(seen.values()) == sorted(publishers)
        assert len({m for m in seen.values()}) == 8
    for _ in names:
        wait_for(ch, pubsub.Delivered)
    for p in publishers:
        stop_and_wait(ch, p)


def test_different_objects_may_share_a_search():
    name = unique("svc")
    with lc.channel() as a, lc.channel() as b, lc.channel() as pub:
        pubsub.subscribe(a, name)
        pubsub.subscribe(b, name)
        wait_for(a, pubsub.Subscribed)
        wait_for(b, pubsub.Subscribed)
        pubsub.publish(pub, name)
        first, _ = wait_for(a, pubsub.Available)
        second, _ = wait_for(b, pubsub.Available)
        assert first.route_id != second.route_id
        delivered = {wait_for(pub, pubsub.Delivered)[0].subscriber_address for _ in range(2)}
        assert delivered == {a.object_address, b.object_address}


# Ends and clears ----------------------------------------------------------------------------------


def test_publisher_end_drops_the_session_at_the_subscriber(ch):
    name = unique("svc")
    service = ch.create(Service, name)
    wait_for(ch, pubsub.Published)
    with lc.channel() as sub:
        pubsub.subscribe(sub, name)
        available, _ = wait_for(sub, pubsub.Available)
        wait_for(ch, pubsub.Delivered)
        stop_and_wait(ch, service)
        dropped, _ = wait_for(sub, pubsub.Dropped)
        assert dropped.remote_address == service == sub.return_address
        assert (dropped.route_id, dropped.name) == (available.route_id, name)


def test_subscriber_end_drops_the_session_at_the_publisher(ch):
    name = unique("svc")
    with lc.channel() as pub:
        pubsub.publish(pub, name)
        wait_for(pub, pubsub.Published)
        subscriber = ch.create(client, name)
        delivered, _ = wait_for(pub, pubsub.Delivered)
        wait_for(pub, lc.Ack)
        pub.reply(lc.Nak())
        wait_returned(ch)
        dropped, _ = wait_for(pub, pubsub.Dropped)
        assert dropped.remote_address == subscriber
        assert dropped.route_id == delivered.route_id


def test_clear_published_drops_both_sides_then_confirms():
    name = unique("svc")
    with lc.channel() as sub, lc.channel() as pub:
        pubsub.publish(pub, name)
        published, _ = wait_for(pub, pubsub.Published)
        pubsub.subscribe(sub, name)
        available, _ = wait_for(sub, pubsub.Available)
        wait_for(pub, pubsub.Delivered)
        pubsub.clear_published(pub, published, note="maintenance")
        m, _ = wait_for(pub, pubsub.Dropped)
        assert m.remote_address == sub.object_address and m.route_id == available.route_id
        cleared, _ = wait_for(pub, pubsub.PublishedCleared)
        assert (cleared.name, cleared.published_id, cleared.note) == (
            name,
            published.published_id,
            "maintenance",
        )
        m, _ = wait_for(sub, pubsub.Dropped)
        assert m.remote_address == pub.object_address and m.route_id == available.route_id
        # The subscription stays: the name published again is matched again.
        pubsub.publish(pub, name)
        wait_for(pub, pubsub.Published)
        again, _ = wait_for(sub, pubsub.Available)
        assert again.route_id != available.route_id


def test_clear_subscribed_confirms_to_the_subscriber_and_drops_the_publisher():
    name = unique("svc")
    with lc.channel() as sub, lc.channel() as pub:
        pubsub.publish(pub, name)
        wait_for(pub, pubsub.Published)
        pubsub.subscribe(sub, name)
        subscribed, _ = wait_for(sub, pubsub.Subscribed)
        wait_for(sub, pubsub.Available)
        pubsub.clear_subscribed(sub, subscribed)
        # Compat §2.10: no Dropped for the sessions the subscriber ended itself.
        cleared, i = wait_for(sub, pubsub.SubscribedCleared, pubsub.Dropped)
        assert i == 0, f"the subscriber got {cleared!r} first"
        assert (cleared.search, cleared.subscribed_id) == (name, subscribed.subscribed_id)
        wait_for(pub, pubsub.Delivered)
        m, _ = wait_for(pub, pubsub.Dropped)
        assert m.remote_address == sub.object_address
        # Cleared: the same object may subscribe with that search again.
        pubsub.subscribe(sub, name)
        wait_for(sub, pubsub.Subscribed)
        wait_for(sub, pubsub.Available)


def test_clearing_twice_is_confirmed_twice(ch):
    pubsub.publish(ch, unique("svc"))
    published, _ = wait_for(ch, pubsub.Published)
    pubsub.clear_published(ch, published)
    pubsub.clear_published(ch, published)
    wait_for(ch, pubsub.PublishedCleared)
    wait_for(ch, pubsub.PublishedCleared)


def test_a_name_is_free_again_once_its_publisher_ended(ch):
    name = unique("svc")
    service = ch.create(Service, name)
    wait_for(ch, pubsub.Published)
    stop_and_wait(ch, service)
    pubsub.publish(ch, name)
    m, _ = wait_for(ch, pubsub.Published, pubsub.NotPublished)
    assert isinstance(m, pubsub.Published)


def test_a_dropped_channel_does_not_hold_its_name():
    name = unique("svc")
    with lc.channel() as first:
        pubsub.publish(first, name)
        wait_for(first, pubsub.Published)
    with lc.channel() as second:  # the first never ended through Agent.end: found gone here
        pubsub.publish(second, name)
        m, _ = wait_for(second, pubsub.Published, pubsub.NotPublished)
        assert isinstance(m, pubsub.Published)


# Refusals -----------------------------------------------------------------------------------------


def test_same_name_twice_is_not_published():
    name = unique("svc")
    with lc.channel() as a, lc.channel() as b:
        pubsub.publish(a, name)
        wait_for(a, pubsub.Published)
        pubsub.publish(b, name)
        m, _ = wait_for(b, pubsub.NotPublished)
        assert isinstance(m, lc.Faulted)
        assert (m.name, m.note) == (name, "already published")
        assert m.condition == f'cannot publish as "{name}"'
        assert m.explanation == "already published"
        pubsub.publish(a, name)  # the same object again: refused too
        m, _ = wait_for(a, pubsub.NotPublished)
        assert m.note == "already published"


def test_same_object_same_search_twice_is_not_subscribed(ch):
    search = unique("svc")
    pubsub.subscribe(ch, search)
    wait_for(ch, pubsub.Subscribed)
    pubsub.subscribe(ch, search)
    m, _ = wait_for(ch, pubsub.NotSubscribed)
    assert isinstance(m, lc.Faulted)
    assert (m.search, m.note) == (search, "already subscribed")
    assert m.condition == f'cannot subscribe to "{search}"'


def test_an_invalid_regex_is_not_subscribed(ch):
    pubsub.subscribe(ch, "svc:(")
    m, _ = wait_for(ch, pubsub.NotSubscribed)
    assert (m.search, m.note) == ("svc:(", "duplicates/search expression")
    assert str(m) == 'cannot subscribe to "svc:(" (duplicates/search expression)'


# The node -----------------------------------------------------------------------------------------


def test_the_process_has_one_node_that_does_not_linger(ch):
    pubsub.subscribe(ch, unique("svc"))
    wait_for(ch, pubsub.Subscribed)
    assert node_address() == node_address() == NODE.address
    assert isinstance(TABLE[NODE.address], DirectoryNode)
    assert DirectoryNode._lingers is False


def test_messages_have_canonical_signatures():
    for cls in (
        pubsub.Published,
        pubsub.NotPublished,
        pubsub.Subscribed,
        pubsub.NotSubscribed,
        pubsub.Available,
        pubsub.Delivered,
        pubsub.Dropped,
        pubsub.PublishedCleared,
        pubsub.SubscribedCleared,
    ):
        assert (
            lc.portable_to_signature(lc.UserDefined(cls))
            == f"layer_cake.object_directory.{cls.__name__}"
        )


# The seed's server pattern: an externally fed spool -----------------------------------------------


def test_available_and_dropped_feed_an_external_spool_that_answers_requests(ch):
    tag = unique("app")
    names = [f"{tag}:worker-10:{uuid.uuid4()}" for _ in range(8)]
    spool = ch.create(lc.ObjectSpool, None)
    pubsub.subscribe(ch, re.escape(tag) + r":worker-10:[-a-f0-9]+")
    wait_for(ch, pubsub.Subscribed)
    workers = [ch.create(worker, name) for name in names]
    for _ in names:
        m, _ = wait_for(ch, pubsub.Available)
        ch.send(lc.JoinSpool(m.publisher_address), spool)

    answered_by = set()
    for i in range(16):
        ch.send(Xy(i, 2), spool)
        m, _ = wait_for(ch, Product)
        assert m.value == 2 * i
        answered_by.add(m.worker)
    assert answered_by == set(workers)  # spread over all of them

    for w in workers:
        ch.send(lc.Stop(), w)
    dropped, ended = set(), set()
    while len(dropped) < len(workers):  # each worker's Dropped and Returned, in any order
        m, i = wait_for(ch, pubsub.Dropped, lc.Returned)
        if i == 0:
            dropped.add(m.remote_address)
            ch.send(lc.LeaveSpool(m.remote_address), spool)
        else:
            ended.add(ch.return_address)
    assert dropped == set(workers)
    ch.send(Xy(1, 1), spool)
    m, i = ch.select(lc.TemporarilyUnavailable, Product, saving=lc.Returned, seconds=PATIENCE)
    assert i == 0 and isinstance(m, lc.TemporarilyUnavailable)
    ch.send(lc.Stop(), spool)
    while ended != {spool, *workers}:
        wait_returned(ch)
        ended.add(ch.return_address)


# The standard LAN directory (§7) ------------------------------------------------------------------


def test_directory_constants():
    assert pubsub.DIRECTORY_PORT == 54195
    assert lc.HostPort("127.0.0.1", 54195) == pubsub.DIRECTORY_AT_HOST


# The addresses below only feed the derivation table of pubsub §7: nothing is sent anywhere.
@pytest.mark.parametrize(
    ("primary_ip", "expected"),
    [
        ("10.1.2.3", "10.0.0.195"),  # lan-doc: a table input, no traffic
        ("10.255.255.254", "10.0.0.195"),  # lan-doc: a table input, no traffic
        ("172.16.0.1", "172.16.0.195"),  # lan-doc: a table input, no traffic
        ("172.20.5.6", "172.16.0.195"),  # lan-doc: a table input, no traffic
        ("172.31.255.1", "172.16.0.195"),  # lan-doc: a table input, no traffic
        ("192.168.1.20", "192.168.0.195"),  # lan-doc: a table input, no traffic
        ("192.168.0.195", "192.168.0.195"),  # lan-doc: a table input, no traffic
        ("172.15.0.1", None),  # lan-doc: a table input, no traffic
        ("172.32.0.1", None),
        ("8.8.8.8", None),
        ("127.0.0.1", None),
        ("0.0.0.0", None),
        ("169.254.3.4", None),
        ("192.169.0.1", None),
        ("not an address", None),
        ("", None),
    ],
)
def test_directory_at_lan_derives_the_range_base_with_octet_195(primary_ip, expected):
    found = pubsub.directory_at_lan(primary_ip=primary_ip)
    if expected is None:
        assert found is None
    else:
        assert found == lc.HostPort(expected, 54195)
