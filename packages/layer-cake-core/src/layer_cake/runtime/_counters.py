"""Runtime counters: every drop, overflow and undeliverable message is counted here."""

from __future__ import annotations

import threading

__all__ = ["COUNTERS", "count", "runtime_counters", "NAMES"]

NAMES = (
    "queue_full",
    "undeliverable",
    "dropped_unhandled",
    "dropped_replay",
    "frames_rejected",
    "http_rejected",
    "http_unanswered",
    "delivery_refused",  # a frame named an address not exported over its link
    "links_shed",  # wire links closed by a limit: buffered frame bytes, no hello in time
)

COUNTERS: dict[str, int] = dict.fromkeys(NAMES, 0)
_lock = threading.Lock()


def count(name: str, n: int = 1) -> None:
    """Add ``n`` to a counter (thread-safe; these are rare events, off the hot path)."""
    with _lock:
        COUNTERS[name] += n


def runtime_counters() -> object:
    """A snapshot: ``Gas`` with one field per name in ``NAMES`` (``queue_full``,
    ``undeliverable``, ..., ``delivery_refused``, ``links_shed``)."""
    from .._utilities import Gas

    with _lock:
        return Gas(**COUNTERS)
