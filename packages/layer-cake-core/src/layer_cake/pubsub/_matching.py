"""The directory's matching engine: names against searches, with no I/O (pubsub §3, §5).

Every directory node (process, group, host, LAN) runs one ``Listings``. How it works:

- Names live in a dict (``name -> publication``): at most one publication per name.
- A search without regex metacharacters is an exact name: it is filed in a dict keyed by
  that name, so matching it is one lookup in each direction.
- Other searches are compiled once and filed by their *literal prefix* (the characters before
  the first metacharacter, less one when a ``*``, ``?`` or ``{`` may repeat it zero times;
  empty when the pattern has a ``|``). A name can only ``fullmatch`` a search whose prefix it
  starts with. With colon-separated names, most general field first, prefixes are long and
  screen out nearly every ``fullmatch`` (a few hundred ns each):
  - a new name looks up ``name[:n]`` in the prefix dict for each distinct prefix length ``n``
    (a handful), then runs ``fullmatch`` only for the searches filed there;
  - a new search scans only the names that start with its prefix: names are also kept in a
    sorted list, and ``bisect`` finds that run (an empty prefix scans them all).
- Every current match is indexed both ways, so a removal returns the matches it ends
  without re-matching.

Publications and subscriptions are opaque, hashable values chosen by the caller (the node
passes its own records); the engine only compares the name and search strings.
"""

from __future__ import annotations

import bisect
import re
import warnings
from collections.abc import Iterator
from typing import NamedTuple

__all__ = [
    "Listings",
    "Match",
    "MatchingError",
    "BadSearch",
    "AlreadyPublished",
    "AlreadySubscribed",
    "is_plain",
    "literal_prefix",
]

_METACHARACTERS = frozenset(".^$*+?{}[]\\|()")
_MAY_BE_ABSENT = frozenset("*?{")  # a quantifier that allows zero of the character before it


class MatchingError(Exception):
    """A listing the engine refuses (the caller's fault, never the engine's)."""


class BadSearch(MatchingError):
    """A search that is not a valid regular expression."""


class AlreadyPublished(MatchingError):
    """A name that already has a publication here."""


class AlreadySubscribed(MatchingError):
    """A subscription value that is already registered."""


class Match(NamedTuple):
    """One name matched by one search: a session to open (or, on removal, to drop)."""

    name: str
    search: str
    publication: object
    subscription: object


def is_plain(search: str) -> bool:
    """True when ``search`` has no regex metacharacters: it matches only itself."""
    return _METACHARACTERS.isdisjoint(search)


def literal_prefix(search: str) -> str:
    """Characters every ``fullmatch`` of ``search`` must start with (may be empty)."""
    if "|" in search:
        return ""
    for i, c in enumerate(search):
        if c in _METACHARACTERS:
            if c in _MAY_BE_ABSENT and i > 0:
                return search[: i - 1]
            return search[:i]
    return search


class _Search:
    """One search string and the subscriptions that share it (in registration order)."""

    __slots__ = ("pattern", "prefix", "search", "subscriptions")

    def __init__(self, search: str, pattern: re.Pattern | None, prefix: str) -> None:
        self.search = search
        self.pattern = pattern  # None: a plain name, matched by equality
        self.prefix = prefix
        self.subscriptions: dict[object, None] = {}


class Listings:
    """The names and searches held by one directory node, and their current matches."""

    def __init__(self) -> None:
        self._names: dict[str, object] = {}  # name -> publication
        self._sorted: list[str] = []  # the names, sorted: a prefix is a contiguous run
        self._plain: dict[str, _Search] = {}  # plain search == the name it matches
        self._regex: dict[str, _Search] = {}  # search text -> entry
        self._by_prefix: dict[str, list[_Search]] = {}  # literal prefix -> regex entries
        self._lengths: dict[int, int] = {}  # prefix length -> number of prefixes that long
        self._subscriptions: dict[object, _Search] = {}  # subscription -> its entry
        self._on_name: dict[str, dict[object, Match]] = {}  # name -> subscription -> match
        self._on_subscription: dict[object, dict[str, Match]] = {}  # subscription -> name -> match

    # Names -------------------------------------------------------------------------------------

    def add_name(self, name: str, publication: object) -> list[Match]:
        """List ``name``; the matches it makes (plain search first, then by prefix group).

        Raises:
            AlreadyPublished: ``name`` is listed already.
        """
        names = self._names
        if name in names:
            raise AlreadyPublished(name)
        names[name] = publication
        bisect.insort(self._sorted, name)
        entries: list[_Search] = []
        plain = self._plain.get(name)
        if plain is not None:
            entries.append(plain)
        by_prefix = self._by_prefix
        for length in self._lengths:
            group = by_prefix.get(name[:length])
            if group is not None:
                for entry in group:
                    if entry.pattern.fullmatch(name) is not None:  # type: ignore[union-attr]
                        entries.append(entry)
        if not entries:
            return []
        made = []
        for entry in entries:
            for subscription in entry.subscriptions:
                made.append(self._link(Match(name, entry.search, publication, subscription)))
        return made

    def remove_name(self, name: str) -> list[Match]:
        """Unlist ``name`` (no error if absent); the matches that end with it."""
        if self._names.pop(name, _ABSENT) is _ABSENT:
            return []
        ordered = self._sorted
        del ordered[bisect.bisect_left(ordered, name)]
        ended = self._on_name.pop(name, None)
        if not ended:
            return []
        on_subscription = self._on_subscription
        for subscription in ended:
            del on_subscription[subscription][name]
        return list(ended.values())

    def publication(self, name: str) -> object:
        """The publication listed under ``name``, or None."""
        return self._names.get(name)

    def names(self) -> dict[str, object]:
        """A copy of ``name -> publication``."""
        return dict(self._names)

    # Searches ----------------------------------------------------------------------------------

    def add_search(self, search: str, subscription: object) -> list[Match]:
        """Register ``subscription`` under ``search``; the matches it makes, in sorted name order.

        Raises:
            BadSearch: ``search`` is not a string or not a valid regular expression.
            AlreadySubscribed: ``subscription`` is registered already.
        """
        if subscription in self._subscriptions:
            raise AlreadySubscribed(search)
        entry = self._entry(search)
        entry.subscriptions[subscription] = None
        self._subscriptions[subscription] = entry
        self._on_subscription[subscription] = {}
        names = self._names
        if entry.pattern is None:
            publication = names.get(search, _ABSENT)
            if publication is _ABSENT:
                return []
            return [self._link(Match(search, search, publication, subscription))]
        fullmatch = entry.pattern.fullmatch
        prefix = entry.prefix
        made = []
        if not prefix:  # every name is a candidate
            for name, publication in names.items():
                if fullmatch(name) is not None:
                    made.append(self._link(Match(name, search, publication, subscription)))
            return made
        ordered = self._sorted
        for i in range(bisect.bisect_left(ordered, prefix), len(ordered)):
            name = ordered[i]
            if not name.startswith(prefix):
                break
            if fullmatch(name) is not None:
                made.append(self._link(Match(name, search, names[name], subscription)))
        return made

    def remove_search(self, subscription: object) -> list[Match]:
        """Unregister ``subscription`` (no error if absent); the matches that end with it."""
        entry = self._subscriptions.pop(subscription, None)
        if entry is None:
            return []
        del entry.subscriptions[subscription]
        if not entry.subscriptions:
            self._drop_entry(entry)
        ended = self._on_subscription.pop(subscription)
        on_name = self._on_name
        for name in ended:
            matches = on_name[name]
            del matches[subscription]
            if not matches:
                del on_name[name]
        return list(ended.values())

    def search_of(self, subscription: object) -> str | None:
        """The search ``subscription`` is registered under, or None."""
        entry = self._subscriptions.get(subscription)
        return None if entry is None else entry.search

    # Matches -----------------------------------------------------------------------------------

    def matches_for_name(self, name: str) -> list[Match]:
        """The current matches of ``name``."""
        return list(self._on_name.get(name, {}).values())

    def matches_for_subscription(self, subscription: object) -> list[Match]:
        """The current matches of ``subscription``."""
        return list(self._on_subscription.get(subscription, {}).values())

    def matches(self) -> Iterator[Match]:
        """Every current match."""
        for by_name in self._on_subscription.values():
            yield from by_name.values()

    def __len__(self) -> int:
        """Number of current matches."""
        return sum(len(m) for m in self._on_subscription.values())

    # Internals ---------------------------------------------------------------------------------

    def _link(self, match: Match) -> Match:
        self._on_subscription[match.subscription][match.name] = match
        by_name = self._on_name.get(match.name)
        if by_name is None:
            by_name = self._on_name[match.name] = {}
        by_name[match.subscription] = match
        return match

    def _entry(self, search: str) -> _Search:
        """The shared entry of ``search``, compiled and filed on first use."""
        if not isinstance(search, str):
            raise BadSearch(f"not a string ({type(search).__name__})")
        entry = self._plain.get(search) or self._regex.get(search)
        if entry is not None:
            return entry
        if is_plain(search):
            entry = self._plain[search] = _Search(search, None, search)
            return entry
        try:
            with warnings.catch_warnings():  # e.g. FutureWarning "possible nested set": still valid
                warnings.simplefilter("ignore")
                pattern = re.compile(search)
        except (re.error, OverflowError, RecursionError) as e:
            raise BadSearch(str(e)) from None
        entry = self._regex[search] = _Search(search, pattern, literal_prefix(search))
        group = self._by_prefix.get(entry.prefix)
        if group is None:
            group = self._by_prefix[entry.prefix] = []
            length = len(entry.prefix)
            self._lengths[length] = self._lengths.get(length, 0) + 1
        group.append(entry)
        return entry

    def _drop_entry(self, entry: _Search) -> None:
        if entry.pattern is None:
            del self._plain[entry.search]
            return
        del self._regex[entry.search]
        group = self._by_prefix[entry.prefix]
        group.remove(entry)
        if not group:
            del self._by_prefix[entry.prefix]
            length = len(entry.prefix)
            left = self._lengths[length] - 1
            if left:
                self._lengths[length] = left
            else:
                del self._lengths[length]


_ABSENT = object()
