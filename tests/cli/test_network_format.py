"""What ``layer-cake network`` prints (cli §4.1), from hand-built listings: no sockets."""

from __future__ import annotations

import uuid

import pytest

import layer_cake as lc
from layer_cake.pubsub._inspect import (
    CONNECTED,
    NO_ACTIVE_ROUTE,
    TO_BE_CONFIRMED,
    DirectoryListing,
    DirectoryPeer,
    DirectoryRoute,
    PeerSession,
)
from layer_cake_cli._network import (
    ListingFlags,
    NetworkNode,
    address_text,
    holds_listing_identity,
    identity_text,
    matching_nodes,
    shown_lists,
    tree_lines,
)

HOST, GROUP, PROCESS, LAN = (
    lc.ScopeOfDirectory.HOST,
    lc.ScopeOfDirectory.GROUP,
    lc.ScopeOfDirectory.PROCESS,
    lc.ScopeOfDirectory.LAN,
)
LAN_ID = uuid.UUID("5e0d11a2-0000-4000-8000-000000000001")
HOST_ID = uuid.UUID("a71c03f4-0000-4000-8000-000000000002")
GROUP_ID = uuid.UUID("0c9e88b1-0000-4000-8000-000000000003")
SERVER_ID = uuid.UUID("2b7f6d90-0000-4000-8000-000000000004")
TOOL_ID = uuid.UUID("e4d2a617-0000-4000-8000-000000000005")
PUB_ID = uuid.UUID("11111111-aaaa-4000-8000-000000000006")
SUB_ID = uuid.UUID("22222222-bbbb-4000-8000-000000000007")
LOOP = "127.0.0.1"


def listing(scope, executable, unique_id, **fields) -> DirectoryListing:
    return DirectoryListing(unique_id, executable, (1,), scope, **fields)


def spec_tree() -> NetworkNode:
    """The example of cli §4.1 (less the LIBRARY child)."""
    server = NetworkNode(listing(PROCESS, "test_server_10.py", SERVER_ID))
    group = NetworkNode(listing(GROUP, "group-cake", GROUP_ID), children=[server])
    tool = NetworkNode(listing(PROCESS, "layer-cake", TOOL_ID))
    host = NetworkNode(listing(HOST, "host-cake", HOST_ID), children=[group, tool])
    return NetworkNode(listing(LAN, "lan-cake", LAN_ID), children=[host])


def lines_of(node_listing: DirectoryListing, **flags: bool) -> list[str]:
    return tree_lines(NetworkNode(node_listing), ListingFlags(**flags))


def test_tree_prints_one_indent_per_level() -> None:
    assert tree_lines(spec_tree(), ListingFlags()) == [
        "[LAN] lan-cake (5e0d11a2)",
        "+   [HOST] host-cake (a71c03f4)",
        "+   +   [GROUP] group-cake (0c9e88b1)",
        "+   +   +   [PROCESS] test_server_10.py (2b7f6d90)",
        "+   +   [PROCESS] layer-cake (e4d2a617)",
    ]


def test_full_identity_prints_whole_uuids() -> None:
    lines = tree_lines(spec_tree(), ListingFlags(full_identity=True))
    assert lines[0] == f"[LAN] lan-cake ({LAN_ID})"
    assert lines[3] == f"+   +   +   [PROCESS] test_server_10.py ({SERVER_ID})"


def test_directory_addresses_say_not_set_when_absent() -> None:
    root = listing(
        HOST,
        "host-cake",
        HOST_ID,
        primary_ip="10.0.0.1",  # lan-doc: a text field of a listing, no traffic
        connect_to_directory=lc.HostPort(),
        accept_directories_at=lc.HostPort(LOOP, 54195),
    )
    child = listing(
        PROCESS,
        "a.py",
        SERVER_ID,
        primary_ip="(not detected)",
        connect_to_directory=lc.HostPort(LOOP, 54195),
    )
    tree = NetworkNode(root, children=[NetworkNode(child)])
    assert tree_lines(tree, ListingFlags(directory_addresses=True)) == [
        "[HOST] host-cake (a71c03f4) 10.0.0.1 <C>(not set) <L>127.0.0.1:54195",  # lan-doc: text
        "+   [PROCESS] a.py (2b7f6d90) (not detected) <C>127.0.0.1:54195 <L>(not set)",
    ]


def test_published_names_show_id_and_listener() -> None:
    node = listing(
        PROCESS,
        "p.py",
        SERVER_ID,
        published=[
            lc.Published("svc:b", HOST, False, SUB_ID, lc.HostPort(LOOP, 40001)),
            lc.Published("svc:a", PROCESS, False, PUB_ID, lc.HostPort()),
        ],
    )
    assert lines_of(node, list_published=True) == [
        "[PROCESS] p.py (2b7f6d90)",
        '+   # "svc:a" (11111111) [(not set)]',
        '+   # "svc:b" (22222222) [127.0.0.1:40001]',
    ]


def test_subscribed_searches_show_id() -> None:
    node = listing(PROCESS, "s.py", SERVER_ID, subscribed=[lc.Subscribed("svc:.*", HOST, SUB_ID)])
    assert lines_of(node, list_subscribed=True)[1:] == ['+   ? "svc:.*" (22222222)']


def test_routed_show_subscription_and_publication() -> None:
    node = listing(HOST, "host-cake", HOST_ID, routed=[DirectoryRoute("svc:a", SUB_ID, PUB_ID)])
    assert lines_of(node, list_routed=True)[1:] == ['+   <> "svc:a" (22222222 -> 11111111)']
    assert lines_of(node, list_routed=True, full_identity=True)[1:] == [
        f'+   <> "svc:a" ({SUB_ID} -> {PUB_ID})'
    ]


def connected_listing(*sessions: PeerSession) -> DirectoryListing:
    return listing(
        PROCESS,
        "s.py",
        SERVER_ID,
        subscribed=[lc.Subscribed("svc:.*", HOST, SUB_ID)],
        peer={SUB_ID: DirectoryPeer(SUB_ID, "svc:.*", list(sessions))},
    )


@pytest.mark.parametrize(
    ("session", "expected"),
    [
        pytest.param(
            PeerSession(
                "svc:a",
                GROUP,
                CONNECTED,
                lc.HostPort(LOOP, 50000),
                lc.HostPort(LOOP, 40001),
                PUB_ID,
            ),
            '> "svc:a"[GROUP] (127.0.0.1:50000 -> 127.0.0.1:40001)',
            id="through-a-connection",
        ),
        pytest.param(
            PeerSession("svc:a", PROCESS, CONNECTED, published_id=PUB_ID),
            '> "svc:a"[PROCESS] (22222222 -> 11111111)',
            id="in-process",
        ),
        pytest.param(
            PeerSession("svc:a", PROCESS, CONNECTED),
            '> "svc:a"[PROCESS] (22222222 -> ?)',
            id="in-process-publication-unknown",
        ),
        pytest.param(
            PeerSession("svc:a", HOST, TO_BE_CONFIRMED, None, lc.HostPort(LOOP, 40001), PUB_ID),
            '"svc:a"[HOST] 127.0.0.1:40001 (ToBeConfirmed)',
            id="to-be-confirmed",
        ),
        pytest.param(
            PeerSession("svc:a", HOST, "no such publication", None, lc.HostPort(LOOP, 40001)),
            '"svc:a"[HOST] 127.0.0.1:40001 (no such publication)',
            id="fault",
        ),
        pytest.param(
            PeerSession("svc:a", HOST, NO_ACTIVE_ROUTE, None, lc.HostPort(LOOP, 40001), PUB_ID),
            '> "svc:a" (no active route)',
            id="no-active-route",
        ),
    ],
)
def test_connected_prints_each_session_under_its_search(session, expected) -> None:
    assert lines_of(connected_listing(session), list_connected=True) == [
        "[PROCESS] s.py (2b7f6d90)",
        '+   ? "svc:.*" (22222222)',
        "+   +   " + expected,
    ]


def test_subscribed_and_connected_print_a_search_once() -> None:
    session = PeerSession("svc:a", PROCESS, CONNECTED, published_id=PUB_ID)
    lines = lines_of(connected_listing(session), list_subscribed=True, list_connected=True)
    assert lines[1:] == [
        '+   ? "svc:.*" (22222222)',
        '+   +   > "svc:a"[PROCESS] (22222222 -> 11111111)',
    ]


def test_flags_print_published_then_subscribed_then_routed() -> None:
    node = listing(
        HOST,
        "host-cake",
        HOST_ID,
        published=[lc.Published("p", HOST, False, PUB_ID, lc.HostPort(LOOP, 1))],
        subscribed=[lc.Subscribed("s", HOST, SUB_ID)],
        routed=[DirectoryRoute("p", SUB_ID, PUB_ID)],
    )
    lines = lines_of(node, list_published=True, list_subscribed=True, list_routed=True)
    assert [line[4:6] for line in lines[1:]] == ["# ", "? ", "<>"]


def test_a_child_that_did_not_answer_prints_its_link() -> None:
    root = listing(HOST, "host-cake", HOST_ID)
    tree = NetworkNode(root, children=[NetworkNode(None, lc.HostPort(LOOP, 41000))])
    assert tree_lines(tree, ListingFlags(list_published=True)) == [
        "[HOST] host-cake (a71c03f4)",
        "+   ... 127.0.0.1:41000 (not responding)",
    ]


def test_identity_and_address_texts() -> None:
    assert identity_text(None, full=False) == "?"
    assert identity_text(HOST_ID, full=False) == "a71c03f4"
    assert address_text(None) == address_text(lc.HostPort()) == "(not set)"
    assert address_text(lc.HostPort("", 1)) == "(not set)"


def test_matching_nodes_by_prefix() -> None:
    tree = spec_tree()
    assert [n.executable for n in matching_nodes(tree, "A71C")] == ["host-cake"]
    assert matching_nodes(tree, "ffff") == []
    assert len(matching_nodes(tree, "")) == 5  # every node: ping refuses an empty prefix first
    both = matching_nodes(tree, "0000") + matching_nodes(tree, str(LAN_ID)[:1])
    assert [n.executable for n in both] == ["lan-cake"]


def test_an_identity_of_a_listing_is_not_a_node() -> None:
    tree = spec_tree()
    tree.children[0].listing.routed = [DirectoryRoute("svc:a", SUB_ID, PUB_ID)]
    assert holds_listing_identity(tree, "1111")
    assert holds_listing_identity(tree, "2222")
    assert not holds_listing_identity(tree, "a71c")


def test_the_lists_fetched_are_those_the_flags_print() -> None:
    """Issue 16: what ``network`` asks each node for (``GetDirectory.lists``)."""
    assert shown_lists(ListingFlags()) == []
    assert shown_lists(ListingFlags(full_identity=True, directory_addresses=True)) == []
    assert shown_lists(ListingFlags(list_published=True)) == ["published"]
    assert shown_lists(ListingFlags(list_connected=True)) == ["subscribed", "peer"]
    assert shown_lists(ListingFlags(list_routed=True, list_subscribed=True)) == [
        "subscribed",
        "routed",
    ]
    assert shown_lists(ListingFlags(), as_json=True) == ["published", "subscribed"]
