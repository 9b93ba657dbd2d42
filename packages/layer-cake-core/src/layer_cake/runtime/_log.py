"""Log entries: levels, tag characters and the stderr line format (api-core §9).

The process threshold is an int read once per object at create; a disabled log call costs one
comparison and builds no string. Enabled entries are written synchronously under one lock:
the log path never drops and never reorders.
"""

from __future__ import annotations

import os
import sys
import threading
import time

from ._messages import USER_LOG

__all__ = ["LOG", "TAG_LEVEL", "format_line", "write_entry", "set_level", "text_of"]

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
    __slots__ = ("level", "lock", "pid", "prefix", "stream")

    def __init__(self) -> None:
        self.level = int(USER_LOG.NONE)  # entries below this are not written
        self.stream = sys.stderr
        self.lock = threading.Lock()
        self.pid = os.getpid()
        self.prefix = True  # "[PID] " at the start of stderr lines


LOG = _LogState()


def set_level(level: int, stream: object = None) -> None:
    """Select the entries written (``--debug-level``); ``USER_LOG.NONE`` writes none."""
    LOG.level = int(level)
    if stream is not None:
        LOG.stream = stream
    LOG.pid = os.getpid()


def text_of(args: tuple, kv: dict) -> str:
    """Positionals joined by a space, then `` (k=v, k=v)``; ``k=v, k=v`` alone if no args."""
    text = " ".join(str(a) for a in args)
    if kv:
        pairs = ", ".join(f"{k}={v}" for k, v in kv.items())
        text = f"{text} ({pairs})" if text else pairs
    return text


def format_line(char: str, address: tuple, name: str, text: str, when: float | None = None) -> str:
    """``[PID] YYYY-MM-DDTHH:MM:SS.mmm C <AAAAAAAA>Name - text`` (UTC, ms)."""
    t = time.time() if when is None else when
    seconds = int(t)
    stamp = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(seconds))
    ms = int((t - seconds) * 1000)
    last = address[-1] if address else 0
    head = f"[{LOG.pid:08d}] " if LOG.prefix else ""
    return f"{head}{stamp}.{ms:03d} {char} <{last:08x}>{name} - {text}\n"


def write_entry(char: str, address: tuple, name: str, text: str) -> None:
    """Write one entry if its level is selected (callers usually test the level first)."""
    if TAG_LEVEL[char] < LOG.level:
        return
    line = format_line(char, address, name, text)
    with LOG.lock:
        try:
            LOG.stream.write(line)
            LOG.stream.flush()
        except (OSError, ValueError):
            pass  # stderr closed at exit: nothing left to tell
