"""Log entries: levels, tag characters and the stderr line format (api-core §9).

The process threshold is an int read once per object at create; a disabled log call costs one
comparison and builds no string. Enabled entries are written synchronously under one lock:
the log path never drops and never reorders.

Two sinks: stderr (``set_level``, ``--debug-level``) and a role's rolling log
(``set_rolling``, ``process._rolling``), each with its own level; ``LOG.level``, the one
callers test, is the lower of the two. An entry's time is taken under the lock, so the
stamps of a rolling log never go back.
"""

from __future__ import annotations

import os
import sys
import threading
import time

from ._messages import USER_LOG

__all__ = [
    "LOG",
    "TAG_LEVEL",
    "format_line",
    "write_entry",
    "set_level",
    "set_rolling",
    "set_records",
    "text_of",
]

# Tag character -> level of the entry.
TAG_LEVEL = {
    "+": USER_LOG.OBJECT,
    "X": USER_LOG.OBJECT,
    ">": USER_LOG.OBJECT,
    "<": USER_LOG.OBJECT,
    "(": USER_LOG.OBJECT,
    ")": USER_LOG.OBJECT,
    "!": USER_LOG.FAULT,
    "?": USER_LOG.WARNING,
    "^": USER_LOG.CONSOLE,
    "~": USER_LOG.TRACE,
    "_": USER_LOG.DEBUG,
    "&": USER_LOG.TRACE,
    "=": USER_LOG.WARNING,
}


class _LogState:
    __slots__ = (
        "level",
        "lock",
        "pid",
        "prefix",
        "records",
        "records_level",
        "rolling",
        "rolling_level",
        "stderr_level",
        "stream",
    )

    def __init__(self) -> None:
        self.level = int(USER_LOG.NONE)  # entries below this are not written
        self.stderr_level = int(USER_LOG.NONE)
        self.rolling: object = None  # a sink with write(line, when), or None
        self.rolling_level = int(USER_LOG.NONE)
        self.records: object = None  # a function given each entry as a record (start_up)
        self.records_level = int(USER_LOG.NONE)
        self.stream = sys.stderr
        self.lock = threading.Lock()
        self.pid = os.getpid()
        self.prefix = True  # "[PID] " at the start of stderr lines


LOG = _LogState()


def set_level(level: int, stream: object = None) -> None:
    """Select the entries written (``--debug-level``); ``USER_LOG.NONE`` writes none."""
    LOG.stderr_level = int(level)
    if stream is not None:
        LOG.stream = stream
    LOG.pid = os.getpid()
    _settle()


def set_rolling(sink: object, level: int = USER_LOG.NONE) -> None:
    """Install (or with None remove) the second sink: ``sink.write(line, when)`` gets each
    entry at or above ``level``, without the ``[PID] `` prefix, under the log lock."""
    with LOG.lock:
        LOG.rolling = sink
        LOG.rolling_level = int(level) if sink is not None else int(USER_LOG.NONE)
    _settle()


def set_records(sink: object, level: int = USER_LOG.NONE) -> None:
    """Install (or with None remove) the third sink: ``sink(char, address, name, text, when)``
    for each entry at or above ``level`` (``lc.start_up``'s ``logs``, compat §3.6)."""
    with LOG.lock:
        LOG.records = sink
        LOG.records_level = int(level) if sink is not None else int(USER_LOG.NONE)
    _settle()


def _settle() -> None:
    LOG.level = min(LOG.stderr_level, LOG.rolling_level, LOG.records_level)


def text_of(args: tuple, kv: dict) -> str:
    """Positionals joined by a space, then `` (k=v, k=v)``; ``k=v, k=v`` alone if no args."""
    text = " ".join(str(a) for a in args)
    if kv:
        pairs = ", ".join(f"{k}={v}" for k, v in kv.items())
        text = f"{text} ({pairs})" if text else pairs
    return text


def format_line(char: str, address: tuple, name: str, text: str, when: float | None = None) -> str:
    """``[PID] YYYY-MM-DDTHH:MM:SS.mmm C <AAAAAAAA>Name - text`` (UTC, ms)."""
    body = _body(char, address, name, text, time.time() if when is None else when)
    return f"[{LOG.pid:08d}] {body}" if LOG.prefix else body


def _body(char: str, address: tuple, name: str, text: str, t: float) -> str:
    """The line without the ``[PID] `` prefix (what a rolling log stores)."""
    seconds = int(t)
    stamp = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(seconds))
    last = address[-1] if address else 0
    return f"{stamp}.{int((t - seconds) * 1000):03d} {char} <{last:08x}>{name} - {text}\n"


def write_entry(char: str, address: tuple, name: str, text: str) -> None:
    """Write one entry if its level is selected (callers usually test the level first)."""
    level = TAG_LEVEL[char]
    if level < LOG.level:
        return
    with LOG.lock:
        t = time.time()  # under the lock: the stamps of a rolling log never go back
        body = _body(char, address, name, text, t)
        if level >= LOG.stderr_level:
            try:
                LOG.stream.write(f"[{LOG.pid:08d}] {body}" if LOG.prefix else body)
                LOG.stream.flush()
            except (OSError, ValueError):
                pass  # stderr closed at exit: nothing left to tell
        rolling = LOG.rolling
        if rolling is not None and level >= LOG.rolling_level:
            rolling.write(body, t)  # type: ignore[attr-defined]
        records = LOG.records if level >= LOG.records_level else None
    if records is not None:  # outside the lock: the sink may be user code that logs
        records(char, address, name, text, t)  # type: ignore[operator]
