"""The directory core (``pubsub/_directory.py``) without I/O: inputs in, actions out, a fake
clock, no sockets and no runtime (pubsub §6-§9, §11; issue 16's retries; issue 12's loop).

Addresses are plain tuples: ``(1, n)`` local objects, ``(L,)`` links (proxies), ``(L, n)`` an
object seen through link ``L``.
"""

from __future__ import annotations

import random
import uuid

import pytest

from layer_cake.net._hostport import HostPort
from layer_cake.pubsub._directory import LIMITS, Directory, Settings
from layer_cake.pubsub._inspect import (
    DirectoryListing,
    DirectoryOpened,
    ListDirectory,
    NodeJoined,
    OpenDirectory,
)
from layer_cake.pubsub._messages import (
    Available,
    Delivered,
    Dropped,
    NotPublished,
    Published,
    Subscribed,
)
from layer_cake.pubsub._protocol import (
    EndSession,
    ListPublication,
    ListSearch,
    OpenSession,
    PublicationRefused,
    RouteFound,
    RouteLost,
    SessionOpened,
    SessionRefused,
)
from layer_cake.pubsub._records import (
    DEADLINE_TIMER,
    PARENT_TIMER,
    PARENT_TRANSITIONS,
    SESSION_TRANSITIONS,
    ArmTimer,
    CloseLink,
    Connect,
    Listen,
    ParentEvent,
    ParentState,
    SessionEvent,
    SessionState,
    Tell,
    Warn,
    step,
)
from layer_cake.runtime._messages import ScopeOfDirectory

PROCESS = ScopeOfDirectory.PROCESS
GROUP = ScopeOfDirectory.GROUP
HOST = ScopeOfDirectory.HOST
LAN = ScopeOfDirectory.LAN
NODE = (1, 1)
SUB = (1, 2)
PUB = (1, 3)
PARENT = (50,)
HOST_CAKE = HostPort("127.0.0.1", 54195)


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


def node(clock: Clock, scope=PROCESS, parent: HostPort | None = None, alive=None) -> Directory:
    settings = Settings(scope=scope, parent=parent, executable="test")
    return Directory(
        settings,
        NODE,
        alive=alive or (lambda address: True),
        clock=clock,
        rng=random.Random(1),
    )


def told(actions: list, kind: type) -> list:
    """The messages of class ``kind`` sent by ``actions``."""
    return [a.message for a in actions if isinstance(a, Tell) and isinstance(a.message, kind)]


def only(actions: list, kind: type) -> list:
    return [a for a in actions if isinstance(a, kind)]


def subscribed(d: Directory, search: str, who: tuple = SUB) -> Subscribed:
    (m,) = told(d.subscribe(search, HOST, who), Subscribed)
    return m


def route(sub: Subscribed, name: str, scope=HOST, port: int = 7000, pid=None) -> RouteFound:
    return RouteFound(
        sub.subscribed_id, name, scope, HostPort("127.0.0.1", port), pid or uuid.uuid4()
    )


def deadline(actions: list) -> float:
    """When the deadline timer is due after ``actions`` (the node re-arms: the last wins)."""
    arms = [a for a in only(actions, ArmTimer) if a.timer == DEADLINE_TIMER]
    return arms[-1].at


def next_request(d: Directory, clock: Clock, link: tuple) -> OpenSession:
    """Let time run to each deadline until the core asks for a session again."""
    for _ in range(100):
        clock.now = max(clock.now, d.book.deadlines[0][0])
        actions = d.tick()
        for connect in only(actions, Connect):  # the idle connection closed meanwhile
            actions = d.connected(connect.ipp, link, HostPort())
        requests = told(actions, OpenSession)
        if requests:
            return requests[0]
    raise AssertionError("never asked again")


def open_route(d: Directory, m: RouteFound, link: tuple = (60,)) -> OpenSession:
    """Feed a route, connect its publisher's listener, return the OpenSession sent there."""
    actions = d.route_found(m)
    if only(actions, Connect):
        actions = d.connected(m.listening_ipp, link, HostPort("127.0.0.1", 40000))
    (request,) = told(actions, OpenSession)
    return request


# Transition tables --------------------------------------------------------------------------------


def test_the_parent_link_table_names_every_move_and_ignores_the_rest():
    assert step(PARENT_TRANSITIONS, ParentState.IDLE, ParentEvent.NEEDED) is ParentState.CONNECTING
    assert step(PARENT_TRANSITIONS, ParentState.JOINED, ParentEvent.CLOSED) is ParentState.WAITING
    assert (
        step(PARENT_TRANSITIONS, ParentState.WAITING, ParentEvent.TIMER) is ParentState.CONNECTING
    )
    assert step(PARENT_TRANSITIONS, ParentState.UP, ParentEvent.TIMER) is None  # late timer
    assert step(PARENT_TRANSITIONS, ParentState.JOINED, ParentEvent.NEEDED) is None


def test_the_session_table_opens_only_after_the_request():
    assert step(SESSION_TRANSITIONS, SessionState.CONNECTING, SessionEvent.OPENED) is None
    asked = step(SESSION_TRANSITIONS, SessionState.CONNECTING, SessionEvent.CONNECTED)
    assert step(SESSION_TRANSITIONS, asked, SessionEvent.OPENED) is SessionState.OPEN


# Local sessions -----------------------------------------------------------------------------------


def test_a_local_match_tells_available_then_delivered_after_the_answers(clock):
    d = node(clock)
    subscribed(d, "svc:a")
    actions = d.publish("svc:a", HOST, False, PUB, PUB)
    kinds = [type(a.message) for a in only(actions, Tell)]
    assert kinds == [Published, Available, Delivered]
    assert only(actions, Tell)[1].to == SUB and only(actions, Tell)[1].back == PUB


def test_an_owner_found_gone_is_purged_when_its_name_is_contested(clock):
    gone = {PUB}
    d = node(clock, alive=lambda a: a not in gone)
    d.publish("svc:a", PROCESS, False, PUB, PUB)
    actions = d.publish("svc:a", PROCESS, False, (1, 9), (1, 9))
    assert told(actions, Published) and not told(actions, NotPublished)


def test_a_second_publication_of_a_name_is_refused(clock):
    d = node(clock)
    d.publish("svc:a", PROCESS, False, PUB, PUB)
    (refused,) = told(d.publish("svc:a", PROCESS, False, (1, 9), (1, 9)), NotPublished)
    assert refused.note == "already published"


# Remote sessions: upgrade and fallback (§6) -------------------------------------------------------


def test_a_route_opens_one_session_and_available_follows_session_opened(clock):
    d = node(clock)
    sub = subscribed(d, "svc:.*")
    m = route(sub, "svc:a")
    actions = d.route_found(m)
    (connect,) = only(actions, Connect)
    assert connect.ipp == m.listening_ipp and not connect.keep_alive  # loopback: no probes
    request = told(d.connected(m.listening_ipp, (60,), HostPort()), OpenSession)[0]
    (available,) = told(
        d.session_opened(SessionOpened(request.route_id, (60, 7)), (60,)), Available
    )
    assert available.name == "svc:a" and available.publisher_address == (60, 7)


def test_a_nearer_route_upgrades_an_open_session(clock):
    d = node(clock)
    sub = subscribed(d, "svc:a")
    far = open_route(d, route(sub, "svc:a", LAN, 7000))
    d.session_opened(SessionOpened(far.route_id, (60, 7)), (60,))
    actions = d.route_found(route(sub, "svc:a", HOST, 7001))
    (dropped,) = told(actions, Dropped)
    assert dropped.scope == LAN
    assert told(actions, EndSession)[0].route_id == far.route_id
    assert only(actions, Connect)[0].ipp.port == 7001  # the nearer one is asked next


def test_a_wider_route_never_disturbs_an_open_nearer_session(clock):
    d = node(clock)
    sub = subscribed(d, "svc:a")
    near = open_route(d, route(sub, "svc:a", HOST, 7000))
    d.session_opened(SessionOpened(near.route_id, (60, 7)), (60,))
    actions = d.route_found(route(sub, "svc:a", LAN, 7001))
    assert not told(actions, Dropped) and not only(actions, Connect)


def test_a_lost_publisher_falls_back_to_a_wider_route_at_once(clock):
    d = node(clock)
    sub = subscribed(d, "svc:a")
    d.route_found(route(sub, "svc:a", LAN, 7001))
    d.connected(HostPort("127.0.0.1", 7001), (61,), HostPort())  # the LAN one's connection
    near = open_route(d, route(sub, "svc:a", HOST, 7000), (60,))
    d.session_opened(SessionOpened(near.route_id, (60, 7)), (60,))
    actions = d.closed((60,))  # the near publisher's process went
    assert [m.scope for m in told(actions, Dropped)] == [HOST]
    (request,) = told(actions, OpenSession)  # at once, on the wider route
    assert request.scope == LAN


# Issue 16: never abandoned ------------------------------------------------------------------------


def test_an_unanswered_open_is_ended_at_its_limit_and_retried_after_a_back_off(clock):
    d = node(clock)
    sub = subscribed(d, "svc:a")
    m = route(sub, "svc:a")
    actions = d.route_found(m)
    due = deadline(actions)
    assert due == clock.now + LIMITS.session_open
    first = told(d.connected(m.listening_ipp, (60,), HostPort()), OpenSession)[0]
    clock.now = due - 0.01
    assert not told(d.tick(), EndSession)  # never before the limit
    clock.now = due
    actions = d.tick()
    assert told(actions, EndSession)[0].route_id == first.route_id
    assert not told(actions, Available) and not told(actions, Dropped)  # it heard nothing
    retry = deadline(actions)
    assert 0.9 * LIMITS.first_session_retry <= retry - clock.now <= LIMITS.first_session_retry
    clock.now = retry
    (second,) = told(d.tick(), OpenSession)  # the same connection, a new request
    assert second.route_id != first.route_id and second.published_id == m.published_id


def test_an_open_due_while_this_node_stalled_is_not_given_up_for_our_own_lag(clock):
    """Issue 16: the deadline tick came 8 s late (this node's loop stalled or its queue was
    long): the publisher's answer may be waiting unread, so the open gets that time again
    and the answer that follows is taken. Excused at most ``lag_excuses`` times."""
    d = node(clock)
    sub = subscribed(d, "svc:a")
    request = open_route(d, route(sub, "svc:a"))
    clock.now += LIMITS.session_open + 8.0  # the tick, 8 s late
    actions = d.tick()
    assert not told(actions, EndSession) and not only(actions, Warn)
    (available,) = told(
        d.session_opened(SessionOpened(request.route_id, (60, 7)), (60,)), Available
    )
    assert available.name == "svc:a"


def test_a_node_that_always_lags_still_gives_up_an_unanswered_open(clock):
    d = node(clock)
    sub = subscribed(d, "svc:a")
    request = open_route(d, route(sub, "svc:a"))
    ended = []
    for _ in range(LIMITS.lag_excuses + 1):
        clock.now = d.book.deadlines[0][0] + 5.0  # every tick late
        ended += told(d.tick(), EndSession)
    assert [e.route_id for e in ended] == [request.route_id]


def test_a_route_is_retried_indefinitely_with_a_capped_back_off_until_it_opens(clock):
    d = node(clock)
    sub = subscribed(d, "svc:a")
    m = route(sub, "svc:a")
    d.route_found(m)
    request = told(d.connected(m.listening_ipp, (60,), HostPort()), OpenSession)[0]
    waits = []
    for i in range(12):  # far past any limit: still asked
        d.session_refused(SessionRefused(request.route_id, "busy"))
        refused = clock.now
        request = next_request(d, clock, (60 + i,))
        waits.append(clock.now - refused)
    assert max(waits) <= LIMITS.most_session_retry
    assert waits[-1] >= 0.9 * LIMITS.most_session_retry  # backed off to the cap
    (available,) = told(
        d.session_opened(SessionOpened(request.route_id, (60, 7)), (60,)), Available
    )
    assert available.name == "svc:a"


def test_a_late_answer_to_a_given_up_request_is_ended(clock):
    d = node(clock)
    sub = subscribed(d, "svc:a")
    request = open_route(d, route(sub, "svc:a"))
    clock.now += LIMITS.session_open
    d.tick()
    actions = d.session_opened(SessionOpened(request.route_id, (60, 7)), (60,))
    assert told(actions, EndSession) and not told(actions, Available)


def test_a_failed_connection_keeps_the_route_and_tries_again(clock):
    d = node(clock)
    sub = subscribed(d, "svc:a")
    m = route(sub, "svc:a")
    d.route_found(m)
    actions = d.not_connected(m.listening_ipp)
    assert not only(actions, Connect)
    clock.now = deadline(actions)
    assert only(d.tick(), Connect)[0].ipp == m.listening_ipp


def test_route_lost_stops_the_retries(clock):
    d = node(clock)
    sub = subscribed(d, "svc:a")
    m = route(sub, "svc:a")
    d.route_found(m)
    d.not_connected(m.listening_ipp)
    d.route_lost(RouteLost(sub.subscribed_id, "svc:a", HOST, m.published_id))
    clock.now += 100.0
    assert not only(d.tick(), Connect)


def test_twenty_thousand_names_matched_by_one_search_all_become_available(clock):
    d = node(clock)
    sub = subscribed(d, "svc:.*")
    opened = 0
    for i in range(20_000):
        m = route(sub, f"svc:{i}", port=7000)  # one publisher process, one connection
        actions = d.route_found(m)
        if only(actions, Connect):
            actions = d.connected(m.listening_ipp, (60,), HostPort())
        (request,) = told(actions, OpenSession)
        opened += len(
            told(d.session_opened(SessionOpened(request.route_id, (60, i)), (60,)), Available)
        )
    assert opened == 20_000
    assert len(d.book.deadlines) <= 20_001  # one entry per request, no sweep


def test_an_idle_connection_closes_after_the_idle_delay_unless_reused(clock):
    d = node(clock)
    sub = subscribed(d, "svc:a")
    m = route(sub, "svc:a")
    request = open_route(d, m)
    d.session_opened(SessionOpened(request.route_id, (60, 7)), (60,))
    d.end_session(EndSession(request.route_id))  # the publisher ended it
    d.route_lost(RouteLost(sub.subscribed_id, "svc:a", HOST, m.published_id))
    idle_at = clock.now
    clock.now = idle_at + LIMITS.idle_close - 0.01
    assert not only(d.tick(), CloseLink)
    clock.now = idle_at + LIMITS.idle_close
    assert only(d.tick(), CloseLink)[0].link == (60,)


# The parent link ----------------------------------------------------------------------------------


def test_an_explicit_parent_is_joined_at_start_and_rejoined_with_back_off(clock):
    d = node(clock, parent=HOST_CAKE)
    (connect,) = only(d.start(), Connect)
    assert connect.ipp == HOST_CAKE and not connect.keep_alive  # loopback: the kernel tells
    actions = d.not_connected(HOST_CAKE)
    (arm,) = only(actions, ArmTimer)
    assert arm.timer == PARENT_TIMER and arm.at - clock.now <= LIMITS.first_retry
    assert only(d.parent_timer(), Connect)
    assert not only(d.parent_timer(), Connect)  # a late timer while connecting: ignored


def test_directory_links_off_loopback_probe_their_peer(clock):
    lan = HostPort("10.0.0.195", 54195)
    (connect,) = only(node(clock, scope=HOST, parent=lan).start(), Connect)
    assert connect.keep_alive and connect.limit == LIMITS.probe_limit
    d = node(clock, scope=LAN)
    (listen,) = only(d.accept_directories(HostPort("0.0.0.0", 54195), (1, 5)), Listen)
    assert listen.keep_alive
    d = node(clock, scope=HOST)
    (listen,) = only(d.accept_directories(HostPort("127.0.0.1", 54195), (1, 5)), Listen)
    assert not listen.keep_alive


def test_re_registration_pushes_every_wide_listing_on_each_new_parent_link(clock):
    d = node(clock, parent=HOST_CAKE)
    d.start()
    d.publish("svc:p", PROCESS, False, PUB, PUB)  # stays here
    d.subscribe("svc:s", HOST, SUB)
    actions = d.connected(HOST_CAKE, PARENT, HostPort())
    assert told(actions, NodeJoined)
    assert [m.search for m in told(actions, ListSearch)] == ["svc:s"]
    d.closed(PARENT)
    d.parent_timer()
    again = d.connected(HOST_CAKE, (51,), HostPort())
    assert [m.search for m in told(again, ListSearch)] == ["svc:s"]
    assert all(a.to == (51,) for a in only(again, Tell))


def test_a_parent_link_lost_keeps_open_sessions(clock):
    d = node(clock, parent=HOST_CAKE)
    d.start()
    d.connected(HOST_CAKE, PARENT, HostPort())
    sub = subscribed(d, "svc:a")
    request = open_route(d, route(sub, "svc:a"))
    d.session_opened(SessionOpened(request.route_id, (60, 7)), (60,))
    actions = d.closed(PARENT)
    assert not told(actions, Dropped) and not told(actions, EndSession)


def test_open_directory_is_answered_once_the_parent_joined(clock):
    d = node(clock, parent=HOST_CAKE)
    d.start()
    assert not told(d.open_directory(OpenDirectory(HOST), (1, 7)), DirectoryOpened)
    d.connected(HOST_CAKE, PARENT, HostPort())
    (opened,) = told(d.node_joined(NodeJoined(uuid.uuid4(), HOST), (50, 1)), DirectoryOpened)
    assert opened.opened


# Parent role --------------------------------------------------------------------------------------


def host_node(clock: Clock) -> Directory:
    d = node(clock, scope=HOST)
    d.accept_directories(HostPort("127.0.0.1", 0), (1, 5))
    return d


def test_children_listings_meet_and_the_subscriber_node_gets_route_found(clock):
    d = host_node(clock)
    for link in ((70,), (71,)):
        d.accepted("accept", link, HostPort("127.0.0.1", 9))
    search = ListSearch("svc:a", HOST, uuid.uuid4())
    d.list_search(search, (70, 1))
    publication = ListPublication("svc:a", HOST, uuid.uuid4(), HostPort("0.0.0.0", 7000), (71, 2))
    actions = d.list_publication(publication, (71, 1))
    (found,) = told(actions, RouteFound)
    assert found.listening_ipp == HostPort("127.0.0.1", 7000) and found.scope == HOST
    assert [a.to for a in only(actions, Tell)] == [(70, 1)]
    lost = d.closed((71,))
    assert told(lost, RouteLost)


def test_a_name_held_here_is_refused_to_another_child(clock):
    d = host_node(clock)
    for link in ((70,), (71,)):
        d.accepted("accept", link, HostPort("127.0.0.1", 9))
    first = ListPublication("svc:a", HOST, uuid.uuid4(), HostPort("0.0.0.0", 7000), (70, 2))
    second = ListPublication("svc:a", HOST, uuid.uuid4(), HostPort("0.0.0.0", 7001), (71, 2))
    d.list_publication(first, (70, 1))
    (refused,) = told(d.list_publication(second, (71, 1)), PublicationRefused)
    assert refused.note == "already published at HOST by another process"


def test_a_child_that_relists_over_a_new_link_before_the_old_one_closed_is_not_refused(clock):
    """Re-registration: a child whose link went stale reconnects and pushes its listings again
    while this node still holds them on the old link: the same listing moves, it is no rival."""
    d = host_node(clock)
    for link in ((70,), (71,), (72,)):
        d.accepted("accept", link, HostPort("127.0.0.1", 9))
    d.list_search(ListSearch("svc:a", HOST, uuid.uuid4()), (72, 1))
    listing = ListPublication("svc:a", HOST, uuid.uuid4(), HostPort("0.0.0.0", 7000), (70, 2))
    d.list_publication(listing, (70, 1))
    actions = d.list_publication(listing, (71, 1))  # the same child, reconnected
    assert not told(actions, PublicationRefused)
    lost = d.closed((70,))  # the old link's Closed comes late: the listing stays
    assert not told(lost, RouteLost)
    gone = d.closed((71,))
    assert told(gone, RouteLost)


def test_a_listing_goes_out_without_a_copy_and_shares_no_address_with_the_node(clock):
    """Issue 16: the send-side copy of a 40,000-name listing was half of ``network``'s time;
    the listing is sent owned, so it must hold its own address objects, equal to the node's."""
    d = node(clock, scope=GROUP, parent=HOST_CAKE)
    d.accept_directories(HostPort("127.0.0.1", 0), (1, 5))
    d.accepted("accept", (70,), HostPort("127.0.0.1", 9))
    d.node_joined(NodeJoined(uuid.uuid4(), PROCESS), (70, 1))  # a child node
    (listen,) = only(d.publish("svc:a", HOST, False, PUB, PUB), Listen)

    class Listening:
        listening_ipp = HostPort("127.0.0.1", 7000)

    d.listening(listen.token, Listening())
    (tell,) = only(d.get_directory((1, 99)), Tell)
    assert tell.owned and isinstance(tell.message, DirectoryListing)
    (record,) = d.published.values()
    (shown,) = tell.message.published
    assert shown.listening_ipp == record.listening_ipp == HostPort("127.0.0.1", 7000)
    assert shown.listening_ipp is not record.listening_ipp
    (child,) = tell.message.sub_directory
    assert child == HostPort("127.0.0.1", 9)
    assert all(child is not kept for kept in d.child_ipps.values())
    assert not any(a.owned for a in only(d.subscribe("x", HOST, (1, 7)), Tell))  # copied


def test_a_listing_carries_only_the_lists_asked_for_and_list_directory_passes_them_up(clock):
    """Issue 16: the tree alone (``lists=[]``) is the node and its children, no names."""
    d = node(clock, scope=GROUP, parent=HOST_CAKE)
    d.accept_directories(HostPort("127.0.0.1", 0), (1, 5))
    d.accepted("accept", (70,), HostPort("127.0.0.1", 9))
    d.node_joined(NodeJoined(uuid.uuid4(), PROCESS), (70, 1))
    d.publish("svc:a", GROUP, False, PUB, PUB)
    d.subscribe("svc:.*", GROUP, SUB)

    def parts(listing: DirectoryListing) -> list[str]:
        shown = [("published", listing.published), ("subscribed", listing.subscribed)]
        shown += [("routed", listing.routed), ("peer", listing.peer)]
        return [name for name, value in shown if value]

    def answer(lists):
        (tell,) = only(d.get_directory((1, 99), lists), Tell)
        assert list(tell.message.sub_directory) == [HostPort("127.0.0.1", 9)]  # always
        return parts(tell.message)

    assert answer(None) == ["published", "subscribed", "routed", "peer"]
    assert answer([]) == []
    assert answer(["peer", "published"]) == ["published", "peer"]
    assert answer(["nonsense"]) == []
    d.start()
    d.connected(HOST_CAKE, PARENT, HostPort())
    (forward,) = told(d.list_directory(ListDirectory(lists=["routed"]), (1, 99)), ListDirectory)
    assert forward.lists == ["routed"] and forward.visited == [d.unique_id]


# Issue 12: no message circulates ------------------------------------------------------------------


def test_list_directory_in_a_loop_is_answered_instead_of_circulating(clock):
    """A node whose parent is its own child: A forwards to B, B to A, A finds itself."""
    a = node(clock, scope=GROUP, parent=HOST_CAKE)
    b = node(clock, scope=PROCESS, parent=HostPort("127.0.0.1", 40001))
    a.start()
    a.connected(HOST_CAKE, (80,), HostPort())  # A's parent link is to B
    b.start()
    b.connected(HostPort("127.0.0.1", 40001), (81,), HostPort())  # B's parent link is to A
    tool = (1, 99)
    message, hops = ListDirectory(), 0
    at, links = a, {(80,): b, (81,): a}
    while True:
        (tell,) = only(at.list_directory(message, tool), Tell)
        hops += 1
        assert hops < 10, "ListDirectory circulates"
        if isinstance(tell.message, DirectoryListing):
            break
        message, at = tell.message, links[tell.to]
    assert tell.to == tool and hops == 3  # A, B, then A answers


def test_list_directory_past_the_hop_limit_is_answered(clock):
    d = node(clock, parent=HOST_CAKE)
    d.start()
    d.connected(HOST_CAKE, PARENT, HostPort())
    actions = d.list_directory(ListDirectory([uuid.uuid4() for _ in range(8)]), (1, 99))
    assert told(actions, DirectoryListing) and only(actions, Warn)


def test_a_listing_that_comes_back_to_its_own_node_is_refused(clock):
    d = node(clock, scope=GROUP, parent=HOST_CAKE)
    d.accept_directories(HostPort("127.0.0.1", 0), (1, 5))
    d.accepted("accept", (70,), HostPort("127.0.0.1", 9))
    d.start()
    d.connected(HOST_CAKE, PARENT, HostPort())
    (pushed,) = told(d.subscribe("svc:a", HOST, SUB), ListSearch)
    actions = d.list_search(pushed, (70, 1))  # the same search, back from a child
    assert only(actions, Warn) and not told(actions, ListSearch)


# The publisher side -------------------------------------------------------------------------------


def test_a_wide_publication_waits_for_its_session_listener(clock):
    d = node(clock, parent=HOST_CAKE)
    actions = d.publish("svc:a", HOST, False, PUB, PUB)
    (listen,) = only(actions, Listen)
    assert not told(actions, Published)

    class Listening:
        listening_ipp = HostPort("127.0.0.1", 7000)

    (published,) = told(d.listening(listen.token, Listening()), Published)
    assert published.listening_ipp == HostPort("127.0.0.1", 7000)


def test_a_session_asked_of_a_publication_is_delivered_and_ended_with_it(clock):
    d = node(clock)
    (published,) = told(d.publish("svc:a", PROCESS, False, PUB, PUB), Published)
    d.accepted(("x",), (90,), HostPort())  # not a known listen: ignored
    request = OpenSession(
        uuid.uuid4(), "svc:a", HOST, uuid.uuid4(), published.published_id, (90, 4)
    )
    actions = d.open_session(request, (90, 1))
    assert told(actions, SessionOpened) and told(actions, Delivered)
    actions = d.end_session(EndSession(request.route_id))
    (dropped,) = told(actions, Dropped)
    assert dropped.remote_address == (90, 4)
