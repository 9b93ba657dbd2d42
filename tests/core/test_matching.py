"""The directory's matching engine (pubsub §3, §5): pure data in, matches out, no runtime."""

from __future__ import annotations

import re
import warnings

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from layer_cake.pubsub._matching import (
    AlreadyPublished,
    AlreadySubscribed,
    BadSearch,
    Listings,
    Match,
    is_plain,
    literal_prefix,
)

WORKER_SEARCH = r"app:worker-10:[-a-f0-9]+"


def pairs(matches: object) -> set[tuple[str, object]]:
    return {(m.name, m.subscription) for m in matches}  # type: ignore[attr-defined]


# Examples -----------------------------------------------------------------------------------------


def test_a_name_then_a_matching_search_makes_one_match():
    listings = Listings()
    assert listings.add_name("billing:ledger", "P") == []
    assert listings.add_search("billing:ledger", "S") == [
        Match("billing:ledger", "billing:ledger", "P", "S")
    ]


def test_a_search_then_a_matching_name_makes_one_match():
    listings = Listings()
    assert listings.add_search(r"billing:\w+", "S") == []
    assert listings.add_name("billing:ledger", "P") == [
        Match("billing:ledger", r"billing:\w+", "P", "S")
    ]


def test_searches_match_whole_names_only():
    listings = Listings()
    listings.add_name("worker-1", "P1")
    listings.add_name("a-worker", "P2")
    assert listings.add_search("worker", "S") == []
    assert listings.add_search("work", "S2") == []
    assert listings.add_search("worker-.", "S3") == [Match("worker-1", "worker-.", "P1", "S3")]


def test_one_search_matches_every_instance_of_a_service():
    listings = Listings()
    names = [f"app:worker-10:{i:08x}-0000" for i in range(8)]
    for n in names:
        listings.add_name(n, n)
    listings.add_name("app:worker-9", "other")
    made = listings.add_search(WORKER_SEARCH, "S")
    assert sorted(m.name for m in made) == names


def test_a_name_is_published_once():
    listings = Listings()
    listings.add_name("svc", "P1")
    with pytest.raises(AlreadyPublished):
        listings.add_name("svc", "P2")
    assert listings.publication("svc") == "P1"


def test_a_name_can_be_published_again_after_removal():
    listings = Listings()
    listings.add_search("svc", "S")
    listings.add_name("svc", "P1")
    assert listings.remove_name("svc") == [Match("svc", "svc", "P1", "S")]
    assert listings.add_name("svc", "P2") == [Match("svc", "svc", "P2", "S")]


def test_a_subscription_value_is_registered_once():
    listings = Listings()
    listings.add_search("a", "S")
    with pytest.raises(AlreadySubscribed):
        listings.add_search("b", "S")


def test_different_subscriptions_may_share_a_search():
    listings = Listings()
    listings.add_name("svc:1", "P")
    assert pairs(listings.add_search(r"svc:\d", "S1")) == {("svc:1", "S1")}
    assert pairs(listings.add_search(r"svc:\d", "S2")) == {("svc:1", "S2")}
    assert pairs(listings.remove_search("S1")) == {("svc:1", "S1")}
    assert pairs(listings.matches()) == {("svc:1", "S2")}


@pytest.mark.parametrize("search", ["(", "[a-", "*a", "a{2,1}", "(?P<x>a)(?P<x>b)"])
def test_an_invalid_regex_is_a_bad_search_and_leaves_no_trace(search):
    listings = Listings()
    with pytest.raises(BadSearch):
        listings.add_search(search, "S")
    assert listings.search_of("S") is None
    listings.add_name("a", "P")
    assert listings.add_search("a", "S") == [Match("a", "a", "P", "S")]  # the value is still free


def test_a_search_with_a_future_syntax_warning_is_still_a_valid_search():
    listings = Listings()
    listings.add_name("[", "P")
    assert pairs(listings.add_search("[[]", "S")) == {("[", "S")}


def test_a_search_that_is_not_a_string_is_a_bad_search():
    with pytest.raises(BadSearch):
        Listings().add_search(42, "S")  # type: ignore[arg-type]


def test_removing_a_name_ends_only_its_matches():
    listings = Listings()
    listings.add_search("svc:.*", "S")
    listings.add_name("svc:a", "A")
    listings.add_name("svc:b", "B")
    assert pairs(listings.remove_name("svc:a")) == {("svc:a", "S")}
    assert pairs(listings.matches()) == {("svc:b", "S")}
    assert listings.remove_name("svc:a") == []


def test_removing_an_unknown_subscription_is_harmless():
    assert Listings().remove_search("nobody") == []


def test_matches_are_reported_for_a_name_and_for_a_subscription():
    listings = Listings()
    listings.add_search("svc:.*", "S1")
    listings.add_search("svc:a", "S2")
    listings.add_name("svc:a", "A")
    assert pairs(listings.matches_for_name("svc:a")) == {("svc:a", "S1"), ("svc:a", "S2")}
    assert pairs(listings.matches_for_subscription("S1")) == {("svc:a", "S1")}
    assert len(listings) == 2


@pytest.mark.parametrize(
    ("search", "plain"),
    [
        ("billing:ledger", True),
        ("worker-1", True),
        ("a b", True),
        ("", True),
        ("a.b", False),
        ("a+", False),
        ("[ab]", False),
        (r"a\d", False),
        ("a|b", False),
    ],
)
def test_a_search_without_metacharacters_is_a_plain_name(search, plain):
    assert is_plain(search) is plain


@pytest.mark.parametrize(
    ("search", "prefix"),
    [
        ("app:worker-10:[-a-f0-9]+", "app:worker-10:"),
        ("abc*", "ab"),
        ("abc?", "ab"),
        ("abc{2}", "ab"),
        ("abc+", "abc"),
        ("a|b", ""),
        ("(?i)abc", ""),
        (r"ab\d", "ab"),
        ("^ab", ""),
        ("ab$", "ab"),
        (".*", ""),
    ],
)
def test_the_literal_prefix_is_what_every_match_starts_with(search, prefix):
    assert literal_prefix(search) == prefix


# Properties ---------------------------------------------------------------------------------------

ALPHABET = "ab:-1"
NAMES = st.text(alphabet=ALPHABET, max_size=5)
SEARCH_POOL = [
    "a",
    "ab",
    "a:b",
    "",
    "a.*",
    ".*",
    "a:[0-9]+",
    "(a|b)+",
    "a*",
    "ab?",
    "a{2}",
    "a{0,2}b",
    "[ab]+:?",
    r"\w+",
    r"a\-1",
    "a(:b)?",
    "(?:ab)+",
    "b|a:1",
    "^a$",
    "a+?b",
    ".",
    "-1?",
    "(",
    "[",
    "*a",
    "a{2,1}",  # invalid: BadSearch
]
SEARCHES = st.one_of(
    st.sampled_from(SEARCH_POOL), st.text(alphabet=ALPHABET + ".*+?|()[]{}", max_size=4)
)

OPERATIONS = st.lists(
    st.one_of(
        st.tuples(st.just("add_name"), NAMES),
        st.tuples(st.just("remove_name"), NAMES),
        st.tuples(st.just("add_search"), SEARCHES, st.integers(0, 5)),
        st.tuples(st.just("remove_search"), st.integers(0, 5)),
    ),
    max_size=40,
)


def _compiled(search: str) -> re.Pattern | None:
    """The brute-force side: ``re`` itself (warnings about future syntax ignored)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            return re.compile(search)
        except re.error:
            return None


def _valid(search: str) -> bool:
    return _compiled(search) is not None


@settings(max_examples=300, deadline=None)
@given(OPERATIONS)
def test_matches_equal_a_brute_force_fullmatch_over_all_pairs(operations):
    listings = Listings()
    names: dict[str, str] = {}  # name -> publication
    searches: dict[int, str] = {}  # subscription -> search

    def expected() -> set[tuple[str, int]]:
        return {(n, s) for n in names for s, q in searches.items() if _compiled(q).fullmatch(n)}

    for op in operations:
        before = expected()
        if op[0] == "add_name":
            name = op[1]
            if name in names:
                with pytest.raises(AlreadyPublished):
                    listings.add_name(name, f"P{name}")
                reported: set = set()
            else:
                names[name] = f"P{name}"
                made = listings.add_name(name, f"P{name}")
                assert all(m.publication == f"P{name}" for m in made)
                reported = pairs(made)
        elif op[0] == "remove_name":
            names.pop(op[1], None)
            reported = pairs(listings.remove_name(op[1]))
        elif op[0] == "add_search":
            search, sub = op[1], op[2]
            if sub in searches:
                with pytest.raises(AlreadySubscribed):
                    listings.add_search(search, sub)
                reported = set()
            elif not _valid(search):
                with pytest.raises(BadSearch):
                    listings.add_search(search, sub)
                reported = set()
            else:
                searches[sub] = search
                made = listings.add_search(search, sub)
                assert all(m.search == search for m in made)
                reported = pairs(made)
        else:
            searches.pop(op[1], None)
            reported = pairs(listings.remove_search(op[1]))
        after = expected()
        assert reported == before ^ after  # each operation only adds or only removes
        assert pairs(listings.matches()) == after
        assert len(listings) == len(after)
    for sub, search in searches.items():
        assert listings.search_of(sub) == search


@settings(max_examples=200, deadline=None)
@given(st.data())
def test_every_fullmatch_of_a_search_starts_with_its_literal_prefix(data):
    search = data.draw(st.sampled_from([s for s in SEARCH_POOL if _valid(s)]))
    name = data.draw(st.from_regex(search, fullmatch=True))
    assert name.startswith(literal_prefix(search))
