"""Locks on files (compat.md §3.10): ``head_lock`` as an object, ``LockUp`` as a ``with``
block, and ``lock_file``/``unlock_file`` for an open file.

``head_lock`` takes the same kind of lock as a running role on its ``lock/head``
(``flock``, module ``_role``), so a ``head_lock`` on a role's head and a run of that role
exclude each other and ``layer-cake`` sees either as "running". DECISION: ORIG used POSIX
record locks, which a second lock from the same process does not exclude; ``flock`` locks
belong to an open file, so a second ``head_lock`` in the same process is locked out too.
``lock_file`` keeps ORIG's record locks (``lockf``; ``msvcrt.locking`` on Windows).
"""

from __future__ import annotations

import contextlib
import os
import sys
from typing import IO, Any

from ..runtime._bind import bind_routine
from ..runtime._messages import Ready, Stop
from ..types._errors import CodecRuntimeError
from ._persistence import File
from ._role import LockedOut

if sys.platform == "win32":  # pragma: no cover - POSIX here
    import msvcrt
else:
    import fcntl

__all__ = ["LockedOut", "LockUp", "head_lock", "lock_file", "unlock_file"]


def lock_file(f: IO) -> None:
    """Lock the open, writable file ``f`` exclusively, without waiting.

    Raises:
        OSError: another process holds a lock on it.
    """
    if sys.platform == "win32":  # pragma: no cover
        msvcrt.locking(f.fileno(), msvcrt.LK_NBLCK, 1)
    else:
        fcntl.lockf(f, fcntl.LOCK_EX | fcntl.LOCK_NB)


def unlock_file(f: IO) -> None:
    """Release the lock of ``lock_file``."""
    if sys.platform == "win32":  # pragma: no cover
        msvcrt.locking(f.fileno(), msvcrt.LK_UNLCK, 1)
    else:
        fcntl.lockf(f, fcntl.LOCK_UN)


def _record(path: str) -> File:
    """``<path>.json``: who holds the lock on ``path``."""
    return File(path, LockedOut)


def _holder(path: str) -> LockedOut:
    """The ``LockedOut`` recorded beside ``path`` (empty when it cannot be read)."""
    try:
        value = _record(path).recover()
    except (OSError, CodecRuntimeError):
        return LockedOut()
    return value if isinstance(value, LockedOut) else LockedOut()


class LockUp:
    """``with LockUp(path, "w") as f:`` opens ``path`` (``open`` arguments), locks it and
    records the holder in ``<path>.json``; the exit flushes, syncs, unlocks and closes.

    Raises:
        OSError: on entry, when another process holds the lock (the file is closed again).
    """

    def __init__(self, path: str, *args: Any, **kwargs: Any) -> None:
        self.path = path
        self.args = args
        self.kwargs = kwargs
        self.file: IO | None = None

    def __enter__(self) -> IO:
        f = open(self.path, *self.args, **self.kwargs)
        try:
            lock_file(f)
            _record(self.path).store(
                LockedOut(path=self.path, pid=os.getpid(), parent_pid=os.getppid())
            )
        except BaseException:
            f.close()
            raise
        self.file = f
        return f

    def __exit__(self, *exc: object) -> None:
        f, self.file = self.file, None
        if f is None:
            return
        try:
            with contextlib.suppress(OSError, ValueError):
                f.flush()
                os.fsync(f.fileno())
            with contextlib.suppress(OSError):
                unlock_file(f)
        finally:
            f.close()


def head_lock(self: Any, path: str, name: str) -> LockedOut | None:
    """Hold an exclusive lock on ``<path>/<name>`` until stopped.

    Sends ``Ready()`` to the parent once held (``<path>/<name>.json`` then names this
    process), waits for ``Stop``, releases and ends with None. Ends at once with the holder's
    ``LockedOut`` when another holds it.

    Raises:
        OSError: ``path`` is not a usable folder (the object's end is then a fault).
    """
    lock_path = os.path.join(path, name)
    fd = os.open(lock_path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o666)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return _holder(lock_path)
        _record(lock_path).store(
            LockedOut(path=lock_path, pid=os.getpid(), parent_pid=os.getppid())
        )
        self.send(Ready(), self.parent_address)
        while not isinstance(self.input(), Stop):
            pass
        with contextlib.suppress(OSError):
            os.remove(lock_path + ".json")
        return None
    finally:
        os.close(fd)  # releases the lock


bind_routine(head_lock)
