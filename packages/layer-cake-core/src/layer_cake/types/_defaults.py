"""Default values of the library types, as layer-cake 0.1 named them (compat §3.4, §3.13)."""

from __future__ import annotations

import uuid
from collections import deque
from datetime import datetime, timedelta, timezone

__all__ = [
    "DEFAULT",
    "DEFAULT_CLOCK",
    "DEFAULT_SPAN",
    "DEFAULT_DELTA",
    "DEFAULT_STRING",
    "DEFAULT_UNICODE",
    "DEFAULT_UUID",
    "DEFAULT_WORLD",
    "DEFAULT_ZONE",
    "default_byte",
    "default_character",
    "default_rune",
    "default_block",
    "default_string",
    "default_unicode",
    "default_clock",
    "default_span",
    "default_world",
    "default_delta",
    "default_uuid",
    "default_vector",
    "default_set",
    "default_map",
    "default_deque",
    "default_none",
    "default_array",
]

DEFAULT_ZONE = timezone.utc
DEFAULT_CLOCK = 0.0
DEFAULT_SPAN = 0.0
DEFAULT_DELTA = timedelta(0)
DEFAULT_STRING = b""
DEFAULT_UNICODE = ""
#: Chosen once per process.
DEFAULT_UUID = uuid.uuid4()
#: ``datetime(1, 1, 1)``; aware (UTC) so that it encodes (compat §3.13 DECISION).
DEFAULT_WORLD = datetime(1, 1, 1, tzinfo=DEFAULT_ZONE)


class DEFAULT:
    """An unused marker class, kept because layer-cake 0.1 exported it."""


def default_byte() -> int:
    return 0


def default_character() -> bytes:
    return b" "


def default_rune() -> str:
    return " "


def default_block() -> bytearray:
    return bytearray()


def default_string() -> bytes:
    return DEFAULT_STRING


def default_unicode() -> str:
    return DEFAULT_UNICODE


def default_clock() -> float:
    return DEFAULT_CLOCK


def default_span() -> float:
    return DEFAULT_SPAN


def default_world() -> datetime:
    """``datetime(1, 1, 1)``, naive, as layer-cake 0.1 returned it."""
    return datetime(1, 1, 1)


def default_delta() -> timedelta:
    return DEFAULT_DELTA


def default_uuid() -> uuid.UUID:
    return DEFAULT_UUID


def default_vector() -> list:
    return []


def default_set() -> set:
    return set()


def default_map() -> dict:
    return {}


def default_deque() -> deque:
    return deque()


def default_none() -> None:
    return None


def default_array(value: object, size: int) -> list:
    """``[value] * size``."""
    return [value] * size
