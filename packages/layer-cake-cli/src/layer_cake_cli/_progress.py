"""Feedback on a wait: a spinner line on stderr once a wait has lasted 1 s, only when the
tool runs at a terminal (stdout and stderr both terminals), cleared when the wait ends.
Scripts and pipes see nothing of it.
"""

from __future__ import annotations

import contextlib
import sys
import threading
from collections.abc import Iterator

__all__ = ["waiting", "SHOW_AFTER"]

#: A wait shorter than this shows nothing.
SHOW_AFTER = 1.0
_FRAMES = "|/-\\"
_TICK = 0.2


def _at_terminal() -> bool:
    try:
        return sys.stdout.isatty() and sys.stderr.isatty()
    except (AttributeError, ValueError):
        return False


@contextlib.contextmanager
def waiting(text: str) -> Iterator[None]:
    """While inside, after ``SHOW_AFTER`` seconds: ``<spinner> <text>`` on stderr."""
    if not _at_terminal():
        yield
        return
    done = threading.Event()
    shown = threading.Event()

    def spin() -> None:
        if done.wait(SHOW_AFTER):
            return
        i = 0
        while not done.is_set():
            shown.set()
            sys.stderr.write(f"\r{_FRAMES[i % len(_FRAMES)]} {text}")
            sys.stderr.flush()
            i += 1
            done.wait(_TICK)

    spinner = threading.Thread(target=spin, name="progress", daemon=True)
    spinner.start()
    try:
        yield
    finally:
        done.set()
        spinner.join()
        if shown.is_set():
            sys.stderr.write("\r" + " " * (len(text) + 2) + "\r")
            sys.stderr.flush()
