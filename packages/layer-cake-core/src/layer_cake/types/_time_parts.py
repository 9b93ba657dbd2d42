"""Times built from and broken into parts, and UUID text (compat §3.3).

ClockTime values are epoch floats read as **local** wall-clock time; WorldTime values are
aware datetimes, UTC unless a zone is given. These helpers keep layer-cake 0.1 programs that
build or inspect times by parts working unchanged.
"""

from __future__ import annotations

import math
import time
import uuid
from datetime import datetime, timedelta, timezone, tzinfo

__all__ = [
    "clock_at",
    "clock_break",
    "clock_span",
    "span_break",
    "world_at",
    "world_break",
    "world_delta",
    "uuid_to_text",
    "text_to_uuid",
]

_UTC = timezone.utc


def clock_at(
    year: int,
    month: int,
    day: int,
    hour: int = 0,
    minute: int = 0,
    second: int = 0,
    millisecond: int = 0,
    microsecond: int = 0,
) -> float:
    """The ClockTime (epoch seconds) of a local wall-clock time.

    ``clock_at(2025, 6, 1, 10, 20, 30, 125)`` is ``1748773230.125`` when the local zone is UTC.
    """
    local = datetime(year, month, day, hour, minute, second)
    return local.timestamp() + (millisecond * 1000 + microsecond) / 1_000_000


def clock_break(t: float) -> tuple[int, ...]:
    """``(Y, M, D, h, m, s, weekday, day of year, DST flag, µs)`` of a ClockTime, local time.

    Weekday counts from Monday = 0, as ``time.struct_time`` does.
    """
    whole = math.floor(t)
    parts = time.localtime(whole)
    micro = round((t - whole) * 1_000_000)
    if micro >= 1_000_000:  # rounding reached the next second
        whole += 1
        parts = time.localtime(whole)
        micro = 0
    return (*tuple(parts)[:9], micro)


def clock_span(
    days: float = 0,
    hours: float = 0,
    minutes: float = 0,
    seconds: float = 0,
    milliseconds: float = 0,
    microseconds: float = 0,
) -> float:
    """A TimeSpan (float seconds) from parts: ``clock_span(1, 2, 3, 4, 5)`` is ``93784.005``."""
    return timedelta(
        days=days,
        hours=hours,
        minutes=minutes,
        seconds=seconds,
        milliseconds=milliseconds,
        microseconds=microseconds,
    ).total_seconds()


def span_break(s: float) -> tuple[bool, int, int, int, int, float]:
    """``(negative, days, hours, minutes, seconds, fraction)`` of a TimeSpan.

    ``-1.5`` gives ``(True, 0, 0, 0, 1, 0.5)``: the parts are of the magnitude.
    """
    negative = s < 0
    magnitude = abs(s)
    whole = int(magnitude)
    fraction = magnitude - whole
    minutes, seconds = divmod(whole, 60)
    hours, minutes = divmod(minutes, 60)
    days, hours = divmod(hours, 24)
    return (negative, days, hours, minutes, seconds, fraction)


def world_at(
    year: int,
    month: int,
    day: int,
    hour: int = 0,
    minute: int = 0,
    second: int = 0,
    millisecond: int = 0,
    microsecond: int = 0,
    tz: tzinfo | None = None,
) -> datetime:
    """An aware WorldTime in UTC; with ``tz`` the parts are wall time in ``tz``, converted.

    ``world_at(2025, 6, 1, tz=timezone(timedelta(hours=10)))`` is 2025-05-31T14:00 UTC.
    """
    micro = millisecond * 1000 + microsecond
    if tz is None:
        return datetime(year, month, day, hour, minute, second, tzinfo=_UTC) + timedelta(
            microseconds=micro
        )
    wall = datetime(year, month, day, hour, minute, second, tzinfo=tz) + timedelta(
        microseconds=micro
    )
    return wall.astimezone(_UTC)


def world_break(w: datetime, tz: tzinfo | None = None) -> tuple[int, ...]:
    """``(Y, M, D, h, m, s, µs)`` of a WorldTime, converted to ``tz`` first when given."""
    if tz is not None:
        w = w.astimezone(tz)
    return (w.year, w.month, w.day, w.hour, w.minute, w.second, w.microsecond)


def world_delta(
    days: float = 0,
    hours: float = 0,
    minutes: float = 0,
    seconds: float = 0,
    milliseconds: float = 0,
    microseconds: float = 0,
) -> timedelta:
    """A TimeDelta from parts."""
    return timedelta(
        days=days,
        hours=hours,
        minutes=minutes,
        seconds=seconds,
        milliseconds=milliseconds,
        microseconds=microseconds,
    )


def uuid_to_text(u: uuid.UUID) -> str:
    """The canonical text of a UUID."""
    return str(u)


def text_to_uuid(t: str) -> uuid.UUID:
    """The UUID written as ``t``.

    Raises:
        ValueError: ``badly formed hexadecimal UUID string``.
    """
    return uuid.UUID(t)
