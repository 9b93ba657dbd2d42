"""The process's file-descriptor limit (issue 16): a match-all subscriber over thousands of
publisher processes holds one connection per publisher, and a directory daemon one link per
child, so every process that runs a directory node raises its soft ``RLIMIT_NOFILE`` to the
hard limit, and a failure for want of descriptors is reported naming that limit.
"""

from __future__ import annotations

import errno
import os

try:
    import resource
except ImportError:  # not on this platform: nothing to raise
    resource = None  # type: ignore[assignment]

__all__ = ["raise_descriptor_limit", "descriptor_limit_text"]

_RAISED = [False]


def raise_descriptor_limit() -> tuple[int, int] | None:
    """Raise the soft descriptor limit to the hard one (once); the (soft, hard) now in force,
    or None where the platform has no such limit."""
    if resource is None:
        return None
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if not _RAISED[0] and soft != hard:
        _RAISED[0] = True
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
            soft = hard
        except (ValueError, OSError):  # some systems cap an unlimited hard limit
            pass
    return soft, hard


def descriptor_limit_text(error_text: str | None) -> str | None:
    """For an error that says the process ran out of descriptors, a text naming the limit;
    None for any other error."""
    if not error_text or os.strerror(errno.EMFILE) not in error_text:
        return None
    limits = raise_descriptor_limit()
    if limits is None:
        return "the process has too many open files"
    soft, hard = limits
    return f"the process has too many open files (RLIMIT_NOFILE soft {soft}, hard {hard})"
