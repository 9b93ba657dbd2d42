"""Applying a delta of ``storage_delta`` to disk (compat.md §3.11): ``FolderTransfer``.

The transfer has two phases, so that a failure or a ``Stop`` leaves the target as it was:
every copy is made first, under a unique temporary name (an "alias") beside its final
place; only when all copies are made are removals done and the aliases renamed into place,
then modes set. A failure or a stop during the copies removes the aliases. Copies keep mode
and modification time. The copying runs in a function object on its own thread (file I/O
must not hold the event loop); it checks a stop flag before each 4 KiB block.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import stat
import threading
import uuid
from collections.abc import Iterable

from ..runtime._bind import bind_routine, bind_statemachine
from ..runtime._machine import Point, StateMachine
from ..runtime._messages import Aborted, Ack, Faulted, Returned, Start, Stop
from ..types._portable import Any
from ._storage import (
    AddFile,
    AddFolder,
    RemoveFile,
    RemoveFolder,
    ReplaceWithFile,
    ReplaceWithFolder,
    UpdateFile,
    UpdateMode,
)

__all__ = ["FolderTransfer", "DeltaMachine"]

#: Bytes copied between two checks of the stop flag.
BLOCK = 4096


class _Stopped(Exception):
    """The transfer was stopped while copying."""


class _Report:
    """What the copying thread did: the value to end with, aliases moved and cleared."""

    def __init__(self, value: object, moved: int = 0, cleared: int = 0) -> None:
        self.value = value
        self.moved = moved
        self.cleared = cleared


def _alias(final: str) -> str:
    folder, base = os.path.split(final)
    return os.path.join(folder, f".{base}.{uuid.uuid4().hex[:12]}.transfer")


def _copy_file(source: str, target: str, stop: threading.Event) -> None:
    with open(source, "rb") as s, open(target, "xb") as t:
        while True:
            if stop.is_set():
                raise _Stopped
            block = s.read(BLOCK)
            if not block:
                break
            t.write(block)
    shutil.copystat(source, target)


def _copy_folder(source: str, target: str, stop: threading.Event) -> None:
    os.mkdir(target)
    with os.scandir(source) as entries:
        listed = sorted(entries, key=lambda e: e.name)
    for entry in listed:
        if stop.is_set():
            raise _Stopped
        st = entry.stat(follow_symlinks=False)
        if stat.S_ISDIR(st.st_mode):
            _copy_folder(entry.path, os.path.join(target, entry.name), stop)
        elif stat.S_ISREG(st.st_mode):
            _copy_file(entry.path, os.path.join(target, entry.name), stop)
    shutil.copystat(source, target)  # after the contents: keeps the folder's time


def _remove(path: str) -> None:
    with contextlib.suppress(FileNotFoundError):
        if os.path.isdir(path) and not os.path.islink(path):
            shutil.rmtree(path)
        else:
            os.remove(path)


def _apply_delta(self, delta, stop):  # type: ignore[no-untyped-def]
    """Copy, then remove and move into place, then set modes (the module docstring)."""
    aliases: list[tuple[str, str]] = []  # (alias, final place)
    removals: list[str] = []
    modes: list[tuple[str, int]] = []
    try:
        for change in delta:
            if isinstance(change, (AddFile, UpdateFile)):
                source = change.source.full_path()  # type: ignore[union-attr]
                final = os.path.join(change.target.full_path(), change.source.name)  # type: ignore[union-attr, arg-type]
                aliases.append((_alias(final), final))
                _copy_file(source, aliases[-1][0], stop)
            elif isinstance(change, AddFolder):
                source = change.source.full_path()  # type: ignore[union-attr, assignment]
                final = os.path.join(change.target.full_path(), os.path.basename(source))  # type: ignore[union-attr, arg-type]
                aliases.append((_alias(final), final))
                _copy_folder(source, aliases[-1][0], stop)
            elif isinstance(change, (ReplaceWithFile, ReplaceWithFolder)):
                final = change.target.full_path()  # type: ignore[union-attr, assignment]
                aliases.append((_alias(final), final))
                removals.append(final)
                copy = _copy_file if isinstance(change, ReplaceWithFile) else _copy_folder
                copy(change.source.full_path(), aliases[-1][0], stop)  # type: ignore[union-attr, arg-type]
            elif isinstance(change, RemoveFile):
                removals.append(change.file.full_path())  # type: ignore[union-attr]
            elif isinstance(change, RemoveFolder):
                removals.append(change.folder.full_path())  # type: ignore[union-attr, arg-type]
            elif isinstance(change, UpdateMode) and change.mode is not None:
                modes.append((change.target.full_path(), change.mode))  # type: ignore[union-attr]
            # UpdateUser, UpdateGroup: reported, never applied (no chown, compat.md §3.11).
    except _Stopped:
        return _Report(Aborted(), cleared=_clear(aliases))
    except OSError as e:
        return _Report(Faulted(str(e)), cleared=_clear(aliases))
    try:
        for path in removals:
            _remove(path)
        for alias, final in aliases:
            os.replace(alias, final)
        for path, mode in modes:
            os.chmod(path, stat.S_IMODE(mode))
    except OSError as e:
        return _Report(Faulted(str(e)), moved=len(aliases), cleared=_clear(aliases))
    return _Report(Ack(), moved=len(aliases))


def _clear(aliases: list[tuple[str, str]]) -> int:
    for alias, _ in aliases:
        with contextlib.suppress(OSError):
            _remove(alias)
    return len(aliases)


# Arguments passed in process (never encoded): typed as Any for the binding.
bind_routine(_apply_delta, delta=Any(), stop=Any())


class INITIAL:
    """Not started."""


class TRANSFERRING:
    """The copying thread runs."""


class FolderTransfer(Point, StateMachine):
    """Apply ``delta`` (changes of ``storage_delta``) to the folder ``target``.

    Ends with ``Ack()``, ``Faulted(<OS error text>)``, or ``Aborted()`` after a ``Stop``;
    the target is left as it was unless the transfer ends with ``Ack()``.
    """

    def __init__(self, delta: Iterable[object], target: object = None) -> None:
        Point.__init__(self)
        StateMachine.__init__(self, INITIAL)
        self.delta = list(delta)
        self.target = target
        self.stop = threading.Event()


def FolderTransfer_INITIAL_Start(self: FolderTransfer, message: Start) -> type:
    target = self.target.full_path() if hasattr(self.target, "full_path") else self.target
    self.console(f"File transfer ({len(self.delta)} deltas) to {target}")
    self.create(_apply_delta, self.delta, self.stop)
    return TRANSFERRING


def FolderTransfer_TRANSFERRING_Returned(self: FolderTransfer, message: Returned) -> type:
    report = message.message
    if type(report) is tuple and len(report) == 2:  # a result cast with its type
        report = report[0]
    if not isinstance(report, _Report):  # the thread itself failed
        self.complete(report if isinstance(report, Faulted) else Faulted(str(report)))
    if report.moved:
        self.console(f"Move {report.moved} aliases to targets")
    if report.cleared:
        self.console(f"Clear {report.cleared} aliases")
    self.complete(report.value)


def FolderTransfer_TRANSFERRING_Stop(self: FolderTransfer, message: Stop) -> type:
    self.stop.set()
    return TRANSFERRING


bind_statemachine(
    FolderTransfer,
    {
        INITIAL: ((Start,), ()),
        TRANSFERRING: ((Returned, Stop), ()),
    },
    delta=Any(),
    target=Any(),
)


class DeltaMachine:
    """Not provided (compat.md §3.11, INTERNAL (R)): the helper of 0.1's ``FolderTransfer``."""

    def __init__(self, *a: object, **kw: object) -> None:
        raise NotImplementedError(
            '"DeltaMachine" is an internal of layer-cake 0.1.1 and is not provided; see compat.md'
        )
