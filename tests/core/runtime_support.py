"""Helpers shared by the runtime tests: a channel, waiting for results, counters and logs.

Tests wait for events (a ``select`` with a generous timeout), never for fixed sleeps.
"""

from __future__ import annotations

import contextlib
import io
import re
from collections.abc import Iterator

import layer_cake as lc
from layer_cake.runtime._log import LOG, set_level
from layer_cake.runtime._object import QUEUE

#: Upper bound for anything that should happen "soon"; only reached when a test fails.
PATIENCE = 10.0

#: Acceptance 43: every stderr log line.
LINE = re.compile(
    r"^\[\d{8}\] \d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3} [+X<>()!?^~_&=] <[0-9a-f]{8}>\S+ - "
)


def hex_of(address: tuple) -> str:
    """The log form of an address: last component, 8 lowercase hex digits."""
    return f"{address[-1]:08x}"


def wait_returned(c: lc.Channel, seconds: float = PATIENCE) -> lc.Returned:
    """The next ``Returned`` at ``c``; fails the test if none arrives in ``seconds``."""
    m, i = c.select(lc.Returned, seconds=seconds)
    assert i == 0, f"no Returned within {seconds} s"
    return m


def wait_for(c: lc.Channel, *types: object, seconds: float = PATIENCE) -> tuple:
    """``(value, index)`` of the next message matching ``types``; fails on timeout."""
    m, i = c.select(*types, seconds=seconds)
    assert i < len(types), f"none of {types} within {seconds} s"
    return m, i


def result_of(c: lc.Channel, object_type: object, *args: object, **kw: object) -> object:
    """Create a child, wait for it to end, return its (bare) result."""
    a = c.create(object_type, *args, **kw)
    m = wait_returned(c)
    assert c.return_address == a
    return m.message


class Counters:
    """Runtime counters relative to when this was made."""

    def __init__(self) -> None:
        self.before = vars(lc.runtime_counters()).copy()

    def delta(self) -> dict[str, int]:
        now = vars(lc.runtime_counters())
        return {k: now[k] - self.before[k] for k in now if now[k] != self.before[k]}


@contextlib.contextmanager
def log_at(level: lc.USER_LOG) -> Iterator[io.StringIO]:
    """Capture log entries at ``level`` (the ``--debug-level`` stand-in), then restore.

    Objects read the level when they are created: create them inside the block.
    """
    stream = io.StringIO()
    old_level, old_stream = LOG.level, LOG.stream
    set_level(level, stream)
    try:
        yield stream
    finally:
        LOG.level, LOG.stream = old_level, old_stream


ENTRY = re.compile(r"^\[\d{8}\] \S+ (\S) <([0-9a-f]{8})>(\S+) - (.*)$")


def entries(stream: io.StringIO) -> list[tuple[str, str, str, str]]:
    """``(char, address hex, name, text)`` of each captured line."""
    out = []
    for line in stream.getvalue().splitlines():
        m = ENTRY.match(line)
        assert m is not None, f"not a log line: {line!r}"
        out.append(m.groups())
    return out


def texts(stream: io.StringIO, char: str, address: tuple | None = None) -> list[str]:
    """Texts of the captured entries tagged ``char`` (of the object at ``address``)."""
    return [
        text
        for c, a, _, text in entries(stream)
        if c == char and (address is None or a == hex_of(address))
    ]


@contextlib.contextmanager
def queue_capacity(n: int) -> Iterator[None]:
    """Every queue bounded at ``n`` for the block, then the previous bound again."""
    old = QUEUE.capacity
    lc.set_queue_capacity(n)
    try:
        yield
    finally:
        lc.set_queue_capacity(old)
