"""The directory's matching engine (DESIGN-NOTES "Directory"): 10,000 names x 100 searches.

Goal: filling one node with 10,000 names and 100 searches, in either order, stays well under
a second. Names follow the convention (``app:worker-<k>:<uuid>``, 100 per service); each
search is a service's pattern (``app:worker-<k>:[-a-f0-9]+``), so every name matches one
search: 10,000 matches per fill. The "no literal prefix" rows hide the prefix behind a group
(``(?:app):worker-<k>:...``), which defeats the engine's prefix screening and makes it run
``fullmatch`` on every pair (1,000,000 calls): the worst case. The per-add rows time one
``add`` + ``remove`` pair against a full node. Nothing here asserts on time.
"""

from __future__ import annotations

import uuid

import pytest

from layer_cake.pubsub._matching import Listings

NAMES = 10_000
SEARCHES = 100

_NAMES = [f"app:worker-{i % SEARCHES}:{uuid.UUID(int=i * 7919 + 1)}" for i in range(NAMES)]
_PREFIXED = [f"app:worker-{k}:[-a-f0-9]+" for k in range(SEARCHES)]
_UNPREFIXED = [f"(?:app):worker-{k}:[-a-f0-9]+" for k in range(SEARCHES)]
_SEARCH_SETS = {"prefixed": _PREFIXED, "no literal prefix": _UNPREFIXED}


def _names_then_searches(searches: list[str]) -> int:
    listings = Listings()
    made = 0
    for name in _NAMES:
        made += len(listings.add_name(name, name))
    for i, search in enumerate(searches):
        made += len(listings.add_search(search, i))
    return made


def _searches_then_names(searches: list[str]) -> int:
    listings = Listings()
    made = 0
    for i, search in enumerate(searches):
        made += len(listings.add_search(search, i))
    for name in _NAMES:
        made += len(listings.add_name(name, name))
    return made


def _full(searches: list[str]) -> Listings:
    listings = Listings()
    for name in _NAMES:
        listings.add_name(name, name)
    for i, search in enumerate(searches):
        listings.add_search(search, i)
    return listings


@pytest.mark.parametrize("kind", list(_SEARCH_SETS))
@pytest.mark.parametrize(
    "order", [_names_then_searches, _searches_then_names], ids=["names-first", "searches-first"]
)
def test_fill_10000_names_and_100_searches(benchmark, order, kind):
    searches = _SEARCH_SETS[kind]
    made = benchmark.pedantic(order, args=(searches,), rounds=5, iterations=1, warmup_rounds=1)
    assert made == NAMES
    benchmark.extra_info["matches"] = made


@pytest.mark.parametrize("kind", list(_SEARCH_SETS))
def test_add_and_remove_one_name_in_a_full_node(benchmark, kind):
    listings = _full(_SEARCH_SETS[kind])
    name = f"app:worker-7:{uuid.uuid4()}"

    def once() -> int:
        made = len(listings.add_name(name, name))
        listings.remove_name(name)
        return made

    assert benchmark.pedantic(once, rounds=200, iterations=10, warmup_rounds=1) == 1


@pytest.mark.parametrize("kind", list(_SEARCH_SETS))
def test_add_and_remove_one_search_in_a_full_node(benchmark, kind):
    listings = _full(_SEARCH_SETS[kind])
    search = _SEARCH_SETS[kind][7].replace("[-a-f0-9]+", "[-a-f0-9]{36}")

    def once() -> int:
        made = len(listings.add_search(search, "extra"))
        listings.remove_search("extra")
        return made

    assert benchmark.pedantic(once, rounds=50, iterations=5, warmup_rounds=1) == NAMES // SEARCHES
