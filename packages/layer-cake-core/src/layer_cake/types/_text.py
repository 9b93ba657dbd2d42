"""Text forms of the four time types (spec types-and-encoding §7) and a few time helpers.

Used by the JSON/msgpack codecs and by command-line decoding, so everything here is a pure
function over precompiled regexes.

How exact round trips work: a decimal with an integer part and a fraction is turned into a
float by one correctly rounded integer division, ``(whole * 10**k + fraction) / 10**k``.
TimeSpan encodes the shortest decimal that reads back as the same float (``repr``), so
``text_to_span(span_to_text(x)) == x`` for every finite float. ClockTime text carries
microseconds, which the nearest float recovers for ``|epoch| < 2**33`` (until year 2242).

Decoders match the whole text (``fullmatch``, so no trailing newline slips through ``$``) and
accept ASCII digits only. Numeric fields are as wide as the spec's regexes allow and are
normalised, not range checked: ``90s``, ``1h75m`` and ``00:99:00`` are accepted.
"""

from __future__ import annotations

import re
import time
from datetime import datetime, timedelta, timezone
from math import isfinite

from ._errors import ConversionDecodeError

__all__ = [
    "UTC",
    "clock_now",
    "clock_to_text",
    "delta_to_text",
    "short_delta",
    "span_to_text",
    "text_to_clock",
    "text_to_delta",
    "text_to_span",
    "text_to_world",
    "world_now",
    "world_to_text",
]

UTC = timezone.utc

_ONE_MICROSECOND = timedelta(microseconds=1)

_SPAN = re.compile(r"-?(?:(\d+)d)?(?:(\d+)h)?(?:(\d{1,2})m)?(?:(\d{1,2})(?:\.(\d+))?s)?", re.ASCII)
_CLOCK = re.compile(r"(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,6}))?", re.ASCII)
_WORLD = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})"
    r"(?:[Tt](\d{2})(?::(\d{2})(?::(\d{2})(?:\.(\d{1,6}))?)?)?"
    r"(?:([+-])(\d{2}):?(\d{2}))?)?",
    re.ASCII,
)
_DELTA = re.compile(r"-?(?:(\d+):)?(\d{1,2}):(\d{1,2}):(\d{1,2})(?:\.(\d+))?", re.ASCII)

_MAX_FRACTION_DIGITS = 6  # microseconds
_MAX_ZONE_HOURS = 23  # datetime.timezone needs |offset| < 24h
_MINUTES_PER_HOUR = 60

# Fixed-offset zones by offset in minutes; decoding reuses them rather than building new ones.
_ZONES: dict[int, timezone] = {0: UTC}


def clock_now() -> float:
    """The current ClockTime: seconds since the epoch (``time.time()``)."""
    return time.time()


def world_now() -> datetime:
    """The current WorldTime: an aware datetime in UTC."""
    return datetime.now(UTC)


def _fraction(digits: str) -> str:
    """Fraction digits as text: ``.d...`` without trailing zeros, or nothing."""
    digits = digits.rstrip("0")
    return "." + digits if digits else ""


def _to_float(whole: int, digits: str | None) -> float:
    """The float nearest to ``whole + 0.digits`` (the fraction counts up, also below zero)."""
    if not digits:
        return float(whole)
    scale = 10 ** len(digits)
    return (whole * scale + int(digits)) / scale  # int / int rounds correctly


# TimeSpan ------------------------------------------------------------------------------------


def span_to_text(seconds: float) -> str:
    """Encode a TimeSpan as ``[-][Nd][Nh][Nm][S[.f]s]``, e.g. ``1d2h``, ``2m34.1s``, ``0s``.

    The seconds come from the shortest decimal that reads back as the same float, so
    decoding the text gives back exactly ``seconds``. ``-0.0`` encodes as ``0s``.

    Raises:
        ValueError: ``seconds`` is infinite or NaN.
    """
    seconds = float(seconds)
    if not isfinite(seconds):
        raise ValueError(f"cannot represent TimeSpan {seconds!r}")
    text = repr(seconds)
    if "e" in text:  # below 1e-4 or from 1e16: spell the same digits out positionally
        from decimal import Decimal  # rare; decimal is slow to import

        text = format(Decimal(text), "f")
    negative = text[0] == "-"
    whole_text, _, digits = text.lstrip("-").partition(".")
    whole = int(whole_text)
    minutes, secs = divmod(whole, 60)
    hours, minutes = divmod(minutes, 60)
    days, hours = divmod(hours, 24)
    fraction = _fraction(digits)
    parts = []
    if days:
        parts.append(f"{days}d")
    if hours:
        parts.append(f"{hours}h")
    if minutes:
        parts.append(f"{minutes}m")
    if secs or fraction:
        parts.append(f"{secs}{fraction}s")
    if not parts:
        return "0s"
    return ("-" if negative else "") + "".join(parts)


def text_to_span(text: str) -> float:
    """Decode a TimeSpan: ``1d2h`` -> 93600.0, ``1h0m0s`` -> 3600.0, ``-0.25s`` -> -0.25.

    Raises:
        ConversionDecodeError: the text is empty, a bare ``-`` or does not match the grammar
            (``cannot recover TimeSpan from "bad"``; also a ``ValueError``).
    """
    match = _SPAN.fullmatch(text)
    if match is None or match.end() == 0 or text == "-":
        raise ConversionDecodeError("TimeSpan", text)
    days, hours, minutes, secs, digits = match.groups()
    whole = (
        int(days or 0) * 86400 + int(hours or 0) * 3600 + int(minutes or 0) * 60 + int(secs or 0)
    )
    value = _to_float(whole, digits)
    return -value if text[0] == "-" else value


# ClockTime -----------------------------------------------------------------------------------


def clock_to_text(epoch: float) -> str:
    """Encode a ClockTime as local wall-clock text ``YYYY-MM-DDTHH:MM:SS[.f]``, no zone.

    The time is rounded to the microsecond. In the hour repeated when daylight saving ends,
    the text names two instants and decodes to the earlier one.

    Raises:
        ValueError: ``epoch`` is NaN or outside the platform's local-time range.
    """
    try:
        local = datetime.fromtimestamp(epoch)
    except (OverflowError, OSError, ValueError):
        raise ValueError(f"cannot represent ClockTime {epoch!r}") from None
    fraction = _fraction(f"{local.microsecond:06d}") if local.microsecond else ""
    return (
        f"{local.year:04d}-{local.month:02d}-{local.day:02d}"
        f"T{local.hour:02d}:{local.minute:02d}:{local.second:02d}{fraction}"
    )


def text_to_clock(text: str) -> float:
    """Decode local wall-clock text (``T`` or ``t``, up to 6 fraction digits) to an epoch.

    Raises:
        ConversionDecodeError: the text does not match, names an impossible date, or carries
            a zone.
    """
    match = _CLOCK.fullmatch(text)
    if match is None:
        raise ConversionDecodeError("ClockTime", text)
    year, month, day, hour, minute, second, digits = match.groups()
    try:
        local = datetime(int(year), int(month), int(day), int(hour), int(minute), int(second))
        whole = int(local.timestamp())  # local wall clock -> epoch, whole seconds
    except (OverflowError, OSError, ValueError):
        raise ConversionDecodeError("ClockTime", text) from None
    return _to_float(whole, digits)


# WorldTime -----------------------------------------------------------------------------------


def world_to_text(dt: datetime) -> str:
    """Encode a WorldTime as ``YYYY-MM-DDTHH:MM:SS[.ffffff]`` plus ``+HHMM`` unless UTC.

    The wall clock is the datetime's own (not converted to UTC); fraction zeros are dropped.

    Raises:
        ValueError: ``dt`` is naive, its tzinfo is not a ``datetime.timezone`` (zoneinfo
            offsets vary, so a fixed offset would lose meaning), or its offset is not whole
            minutes.
    """
    zone = dt.tzinfo
    if zone is None:
        raise ValueError("cannot represent a naive datetime")
    if type(zone) is not timezone:
        raise ValueError(f"cannot represent tzinfo {zone!r}")
    fraction = _fraction(f"{dt.microsecond:06d}") if dt.microsecond else ""
    text = (
        f"{dt.year:04d}-{dt.month:02d}-{dt.day:02d}"
        f"T{dt.hour:02d}:{dt.minute:02d}:{dt.second:02d}{fraction}"
    )
    offset = zone.utcoffset(None)
    if not offset:
        return text
    sign = "-" if offset < timedelta(0) else "+"
    minutes, rest = divmod(abs(offset), timedelta(minutes=1))
    if rest:
        raise ValueError(f"cannot represent tzinfo {zone!r}")
    return f"{text}{sign}{minutes // 60:02d}{minutes % 60:02d}"


def text_to_world(text: str) -> datetime:
    """Decode a WorldTime: a date, optionally ``THH[:MM[:SS[.f]]]`` and ``±HH[:]MM``.

    Without a zone the time is UTC. A zone needs a time part; ``Z`` is not accepted.

    Raises:
        ConversionDecodeError: the text does not match or names an impossible date, time or
            offset.
    """
    match = _WORLD.fullmatch(text)
    if match is None:
        raise ConversionDecodeError("WorldTime", text)
    year, month, day, hour, minute, second, digits, sign, zone_hours, zone_minutes = match.groups()
    zone = UTC
    if sign is not None:
        zh, zm = int(zone_hours), int(zone_minutes)
        if zh > _MAX_ZONE_HOURS or zm >= _MINUTES_PER_HOUR:
            raise ConversionDecodeError("WorldTime", text)
        offset = zh * _MINUTES_PER_HOUR + zm
        if sign == "-":
            offset = -offset
        zone = _ZONES.get(offset)
        if zone is None:
            zone = _ZONES[offset] = timezone(timedelta(minutes=offset))
    try:
        return datetime(
            int(year),
            int(month),
            int(day),
            int(hour or 0),
            int(minute or 0),
            int(second or 0),
            int(digits.ljust(6, "0")) if digits else 0,
            zone,
        )
    except ValueError:
        raise ConversionDecodeError("WorldTime", text) from None


# TimeDelta -----------------------------------------------------------------------------------


def delta_to_text(td: timedelta) -> str:
    """Encode a TimeDelta as ``[-][D:]HH:MM:SS[.f]``, e.g. ``01:02:03``, ``2:00:00:00.5``."""
    sign = "-" if td < timedelta(0) else ""
    td = abs(td)
    minutes, secs = divmod(td.seconds, 60)
    hours, minutes = divmod(minutes, 60)
    days = f"{td.days}:" if td.days else ""
    fraction = _fraction(f"{td.microseconds:06d}") if td.microseconds else ""
    return f"{sign}{days}{hours:02d}:{minutes:02d}:{secs:02d}{fraction}"


def text_to_delta(text: str) -> timedelta:
    """Decode a TimeDelta; fields are normalised (``00:90:00`` is 1h30m), ≤6 fraction digits.

    Raises:
        ConversionDecodeError: the text does not match, has more than 6 fraction digits or
            overflows.
    """
    match = _DELTA.fullmatch(text)
    if match is None:
        raise ConversionDecodeError("TimeDelta", text)
    days, hours, minutes, secs, digits = match.groups()
    if digits is not None and len(digits) > _MAX_FRACTION_DIGITS:
        raise ConversionDecodeError("TimeDelta", text)
    try:
        td = timedelta(
            days=int(days or 0),
            hours=int(hours),
            minutes=int(minutes),
            seconds=int(secs),
            microseconds=int(digits.ljust(6, "0")) if digits else 0,
        )
    except OverflowError:
        raise ConversionDecodeError("TimeDelta", text) from None
    return -td if text[0] == "-" else td


# Human form ----------------------------------------------------------------------------------


def short_delta(td: timedelta | float) -> str:
    """A compact human form for logs and listings: ``6h21m``, ``8m18.8s``, ``2d3h``, ``0.0s``.

    ``td`` is a timedelta or seconds. The time is **truncated** to a tenth of a second, as
    layer-cake 0.1 did (compat §2.11: ``1.25`` -> ``1.2s``, ``59.99`` -> ``59.9s``). Below a
    minute the seconds always show one decimal (``0.0s``, ``5.0s``); otherwise the two most
    significant non-zero units among d/h/m/s show, seconds with a decimal only when it is not
    zero (``1m1s``, ``8m18.8s``).
    """
    if not isinstance(td, timedelta):
        td = timedelta(seconds=td)
    sign = "-" if td < timedelta(0) else ""
    tenths = (abs(td) // _ONE_MICROSECOND) // 100_000
    minutes, secs = divmod(tenths, 600)
    if not minutes:
        whole, tenth = divmod(secs, 10)
        return f"{sign}{whole}.{tenth}s"
    hours, minutes = divmod(minutes, 60)
    days, hours = divmod(hours, 24)
    units = []
    if days:
        units.append(f"{days}d")
    if hours:
        units.append(f"{hours}h")
    if minutes:
        units.append(f"{minutes}m")
    if secs:
        whole, tenth = divmod(secs, 10)
        units.append(f"{whole}.{tenth}s" if tenth else f"{whole}s")
    return sign + "".join(units[:2])
