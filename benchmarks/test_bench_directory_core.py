"""The sans-I/O directory core at LAN scale: time and memory per listing, match and session.

The figures behind docs/operations/scale.md. The core is fed directly (no sockets): a parent
node (lan-cake's role) takes 20,000 listings from 1,000 child links and one match-all search;
a subscriber node takes 20,000 routes through to ``Available``. ``extra_info`` holds bytes
per item (tracemalloc, so times here include its overhead) and µs per item.

    python3 -m nox -s bench -- -k directory_core
"""

from __future__ import annotations

import random
import time
import tracemalloc
import uuid

from layer_cake.net._hostport import HostPort
from layer_cake.pubsub._directory import Directory, Settings
from layer_cake.pubsub._messages import Available, Subscribed
from layer_cake.pubsub._protocol import (
    ListPublication,
    ListSearch,
    OpenSession,
    RouteFound,
    SessionOpened,
)
from layer_cake.pubsub._records import Connect, Tell
from layer_cake.runtime._messages import ScopeOfDirectory

N = 20_000
HOSTS = 1_000
HOST = ScopeOfDirectory.HOST


def node(scope: ScopeOfDirectory) -> Directory:
    return Directory(
        Settings(scope=scope, parent=None, executable="bench"),
        (1, 1),
        alive=lambda address: True,
        clock=time.monotonic,
        rng=random.Random(1),
    )


def told(actions: list, kind: type) -> list:
    return [a.message for a in actions if isinstance(a, Tell) and isinstance(a.message, kind)]


def parent_with_listings() -> tuple[float, float, float, float]:
    """Bytes and seconds per listing, then per match of one match-all search."""
    d = node(HOST)
    d.accept_directories(HostPort("127.0.0.1", 0), (1, 5))
    for h in range(HOSTS):
        d.accepted("accept", (100 + h,), HostPort("127.0.0.1", 9))
    listings = [
        ListPublication(
            f"app:worker:{uuid.uuid4()}",
            HOST,
            uuid.uuid4(),
            HostPort("0.0.0.0", 7000 + i % HOSTS),
            (100 + i % HOSTS, 2),
        )
        for i in range(N)
    ]
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        start = time.perf_counter()
        for i, listing in enumerate(listings):
            d.list_publication(listing, (100 + i % HOSTS, 1))
        listing_s = time.perf_counter() - start
        listed = tracemalloc.get_traced_memory()[0]
        start = time.perf_counter()
        actions = d.list_search(ListSearch("app:worker:.*", HOST, uuid.uuid4()), (100, 7))
        match_s = time.perf_counter() - start
        matched = tracemalloc.get_traced_memory()[0]
    finally:
        tracemalloc.stop()
    assert len(told(actions, RouteFound)) == N
    return (listed - before) / N, listing_s / N, (matched - listed) / N, match_s / N


def subscriber_with_sessions() -> tuple[float, float]:
    """Bytes and seconds per route taken through to ``Available``."""
    d = node(ScopeOfDirectory.PROCESS)
    (sub,) = told(d.subscribe("app:worker:.*", HOST, (1, 2)), Subscribed)
    routes = [
        RouteFound(
            sub.subscribed_id,
            f"app:worker:{uuid.uuid4()}",
            HOST,
            HostPort("127.0.0.1", 7000 + i % HOSTS),
            uuid.uuid4(),
        )
        for i in range(N)
    ]
    available = 0
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        start = time.perf_counter()
        for i, m in enumerate(routes):
            link = (60 + i % HOSTS,)
            actions = d.route_found(m)
            if any(isinstance(a, Connect) for a in actions):
                actions = d.connected(m.listening_ipp, link, HostPort())
            (request,) = told(actions, OpenSession)
            opened = d.session_opened(SessionOpened(request.route_id, (60, i)), link)
            available += len(told(opened, Available))
        seconds = time.perf_counter() - start
        after = tracemalloc.get_traced_memory()[0]
    finally:
        tracemalloc.stop()
    assert available == N
    return (after - before) / N, seconds / N


def test_parent_node_listings_and_matches_at_20000_names(benchmark) -> None:  # type: ignore[no-untyped-def]
    figures = benchmark.pedantic(parent_with_listings, rounds=1, iterations=1)
    listing_b, listing_s, match_b, match_s = figures
    benchmark.extra_info["bytes_per_listing"] = round(listing_b)
    benchmark.extra_info["us_per_listing"] = round(listing_s * 1e6, 1)
    benchmark.extra_info["bytes_per_match"] = round(match_b)
    benchmark.extra_info["us_per_route_found"] = round(match_s * 1e6, 1)


def test_subscriber_node_routes_to_available_at_20000_names(benchmark) -> None:  # type: ignore[no-untyped-def]
    per_b, per_s = benchmark.pedantic(subscriber_with_sessions, rounds=1, iterations=1)
    benchmark.extra_info["bytes_per_session"] = round(per_b)
    benchmark.extra_info["us_per_session"] = round(per_s * 1e6, 1)
