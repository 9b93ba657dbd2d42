"""compat §3.3 and §2.11: time, UUID and type text helpers of layer-cake 0.1, and the
truncating ``short_delta``. Expected values are copied from compat.md."""

from __future__ import annotations

import os
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta, timezone

import pytest

import layer_cake as lc


@contextmanager
def local_zone(name: str) -> Iterator[None]:
    """Switch the process's local time zone, then put the old one back."""
    saved = os.environ.get("TZ")
    os.environ["TZ"] = name
    time.tzset()
    try:
        yield
    finally:
        if saved is None:
            del os.environ["TZ"]
        else:
            os.environ["TZ"] = saved
        time.tzset()


# --- clock ----------------------------------------------------------------------------------


def test_clock_at_is_local_wall_clock_time():
    with local_zone("UTC"):
        t = lc.clock_at(2025, 6, 1, 10, 20, 30, 125)
        assert t == 1748773230.125
        assert lc.clock_to_text(t) == "2025-06-01T10:20:30.125"
    with local_zone("Australia/Sydney"):
        t = lc.clock_at(2025, 6, 1, 10, 20, 30, 125)
        assert t == 1748737230.125
        assert lc.clock_to_text(t) == "2025-06-01T10:20:30.125"


def test_clock_at_adds_microseconds():
    with local_zone("UTC"):
        assert lc.clock_at(2025, 6, 1, 10, 20, 30, 0, 500) == 1748773230.0005


def test_clock_break_gives_local_parts_and_microseconds():
    with local_zone("UTC"):
        parts = lc.clock_break(1748773230.125)
    assert parts == (2025, 6, 1, 10, 20, 30, 6, 152, 0, 125000)


def test_clock_span_adds_parts_as_seconds():
    assert lc.clock_span(1, 2, 3, 4, 5) == 93784.005
    assert lc.clock_span(seconds=1.5) == 1.5


def test_span_break():
    negative, days, hours, minutes, seconds, fraction = lc.span_break(93784.005)
    assert (negative, days, hours, minutes, seconds) == (False, 1, 2, 3, 4)
    assert fraction == pytest.approx(0.005)
    assert lc.span_break(-1.5) == (True, 0, 0, 0, 1, 0.5)


# --- world ----------------------------------------------------------------------------------


def test_world_at_is_aware_utc():
    w = lc.world_at(2025, 6, 1, 10, 20, 30, 125)
    assert w == datetime(2025, 6, 1, 10, 20, 30, 125000, tzinfo=timezone.utc)
    assert w.utcoffset() == timedelta(0)


def test_world_at_reads_the_wall_time_in_tz():
    w = lc.world_at(2025, 6, 1, tz=timezone(timedelta(hours=10)))
    assert w == datetime(2025, 5, 31, 14, 0, tzinfo=timezone.utc)
    assert w.utcoffset() == timedelta(0)
    assert lc.world_to_text(w) == "2025-05-31T14:00:00"


def test_world_break_gives_parts_converted_to_tz_first():
    w = datetime(2025, 6, 1, 10, 20, 30, 125000, tzinfo=timezone.utc)
    assert lc.world_break(w) == (2025, 6, 1, 10, 20, 30, 125000)
    assert lc.world_break(w, tz=timezone(timedelta(hours=10))) == (2025, 6, 1, 20, 20, 30, 125000)


def test_world_delta_is_a_timedelta():
    assert lc.world_delta(1, 2, 3, 4, 5, 6) == timedelta(
        days=1, hours=2, minutes=3, seconds=4, milliseconds=5, microseconds=6
    )


# --- uuid and type text ---------------------------------------------------------------------


def test_uuid_text_round_trip():
    u = uuid.uuid4()
    assert lc.uuid_to_text(u) == str(u)
    assert lc.text_to_uuid(str(u)) == u


def test_text_to_uuid_refuses_bad_text():
    with pytest.raises(ValueError, match="badly formed hexadecimal UUID string"):
        lc.text_to_uuid("nope")


class Xy:
    def __init__(self, x: int = 1, y: int = 2) -> None:
        self.x = x
        self.y = y


lc.bind_message(Xy)


def test_type_to_text_gives_signatures():
    assert lc.type_to_text(lc.UserDefined(Xy)) == f"{__name__}.Xy"
    assert lc.type_to_text(lc.Integer8()) == "integer8"


def test_type_to_text_accepts_classes_and_hints():
    assert lc.type_to_text(Xy) == f"{__name__}.Xy"
    assert lc.type_to_text(list[float]) == "vector<float8>"


def test_text_to_type_finds_installed_types_and_none_otherwise():
    assert lc.text_to_type(f"{__name__}.Xy") == lc.UserDefined(Xy)
    assert lc.text_to_type("integer8") == lc.Integer8()
    assert lc.text_to_type("nowhere.Nothing") is None
    assert lc.text_to_type("vector<") is None


# --- short_delta (§2.11) --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (0.004, "0.0s"),
        (1.25, "1.2s"),
        (59.99, "59.9s"),
        (61, "1m1s"),
        (3725, "1h2m"),
        (90061, "1d1h"),
    ],
)
def test_short_delta_truncates(seconds, text):
    assert lc.short_delta(timedelta(seconds=seconds)) == text


def test_delta_to_text_keeps_two_digit_seconds_and_reads_one_digit():
    assert lc.delta_to_text(timedelta(milliseconds=1.5)) == "00:00:00.0015"
    assert lc.delta_to_text(timedelta(hours=1, minutes=2, seconds=3)) == "01:02:03"
    assert lc.delta_to_text(-timedelta(seconds=90)) == "-00:01:30"
    assert lc.text_to_delta("00:00:0.0015") == timedelta(microseconds=1500)
    assert lc.text_to_delta("2:00:00:0.5") == timedelta(days=2, seconds=0.5)
