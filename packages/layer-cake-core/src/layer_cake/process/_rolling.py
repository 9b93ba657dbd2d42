"""Rolling logs of a role (cli.md §2): its log lines in ``<home>/role/<role>/logs/``.

A file is named by the UTC time of its first line, ``YYYYhMMhDDTHHcMMcSSpmmm`` (the stamp
of a log line with ``-``→``h``, ``:``→``c``, ``.``→``p``), so that the names sort in time
order; it takes ``LINES_PER_FILE`` entries, then the next line opens a new file. At most
``files_kept(log_storage)`` files are kept: opening a file deletes the oldest beyond that.

The sink is called by ``runtime._log.write_entry`` under the log lock, so it needs no lock
of its own and its lines are in the order of the stderr lines. Each line is one ``os.write``
to a file opened ``O_APPEND``: nothing is held in a user-space buffer, so a crash of the
process loses no line that was logged (the page cache does the buffering; a crash of the
machine may lose what the kernel had not written back).
"""

from __future__ import annotations

import calendar
import contextlib
import os
import re
import time
from collections.abc import Iterable

from ..runtime._log import set_rolling
from ..runtime._messages import USER_LOG, ProcessOrigin
from ..types._errors import CodecRuntimeError
from ._command_line import CL
from ._role import role_log_storage, role_path

__all__ = [
    "LINES_PER_FILE",
    "BYTES_PER_FILE",
    "DEFAULT_ROLLING_LEVEL",
    "RollingLog",
    "file_name",
    "name_time",
    "files_kept",
    "log_files",
    "logs_path",
    "rolling_wanted",
    "begin_rolling",
    "end_rolling",
]

#: Entries written to one file before the next file is opened (cli.md §2).
LINES_PER_FILE = 16384
#: Storage counted per file kept: 120 bytes a line (cli.md §2: ``log_storage / (120 * 16384)``).
BYTES_PER_FILE = 120 * LINES_PER_FILE
#: The level of a rolling log when the process has no ``--debug-level`` (always so under
#: ``start``, whose children get none): every entry, so that the file tells the whole story.
DEFAULT_ROLLING_LEVEL = USER_LOG.DEBUG

_NAME = re.compile(r"(\d{4})h(\d{2})h(\d{2})T(\d{2})c(\d{2})c(\d{2})p(\d{3})", re.ASCII)


def _milliseconds(when: float) -> int:
    """``when`` (epoch seconds) in whole ms, truncated as the stamp of a log line is."""
    seconds = int(when)
    return seconds * 1000 + int((when - seconds) * 1000)


def file_name(when: float) -> str:
    """The name of a file whose first line was logged at ``when`` (epoch seconds, UTC): the
    stamp of that line with ``-``→``h``, ``:``→``c``, ``.``→``p``."""
    return _name_of_ms(_milliseconds(when))


def _name_of_ms(ms: int) -> str:
    seconds, ms = divmod(ms, 1000)
    return time.strftime("%Yh%mh%dT%Hc%Mc%S", time.gmtime(seconds)) + f"p{ms:03d}"


def name_time(name: str) -> float | None:
    """The start (epoch seconds) of a file named by ``file_name``; None for any other name."""
    match = _NAME.fullmatch(name)
    if match is None:
        return None
    year, month, day, hour, minute, second, ms = (int(g) for g in match.groups())
    try:
        whole = calendar.timegm((year, month, day, hour, minute, second, 0, 0, 0))
    except (OverflowError, ValueError):
        return None
    return whole + ms / 1000


def files_kept(log_storage: int) -> int:
    """How many files a role keeps: ``log_storage / (120 * 16384)``, at least 1."""
    return max(1, int(log_storage) // BYTES_PER_FILE)


def log_files(folder: str) -> list[str]:
    """The names of the rolling-log files in ``folder``, oldest first (none if no folder)."""
    try:
        names: Iterable[str] = os.listdir(folder)
    except OSError:
        return []
    return sorted(n for n in names if _NAME.fullmatch(n))


def logs_path(home: str, role: str) -> str:
    """``<home>/role/<role>/logs``."""
    return os.path.join(role_path(home, role), "logs")


class RollingLog:
    """The sink of a role's rolling log (see the module docstring). Not thread-safe by
    itself: ``write`` is called under the log lock."""

    __slots__ = ("fd", "folder", "keep", "last_ms", "lines")

    def __init__(self, folder: str, keep: int) -> None:
        self.folder = folder
        self.keep = max(1, keep)
        self.fd: int | None = None
        self.lines = 0  # entries in the open file
        self.last_ms = -1  # start of the newest file made, in ms: names never repeat

    def write(self, line: str, when: float) -> None:
        """Append one line (ending in a newline) logged at ``when``."""
        if self.fd is None or self.lines >= LINES_PER_FILE:
            self._roll(when)
            if self.fd is None:
                return  # the folder is unusable: the line is lost, the process goes on
        data = line.encode("utf-8", "replace")
        try:
            while data:
                data = data[os.write(self.fd, data) :]
        except OSError:
            return  # disk full: nothing sensible to do from inside the log path
        self.lines += 1

    def _roll(self, when: float) -> None:
        """Close the file in use, open the next one and delete the oldest beyond ``keep``."""
        self.close()
        ms = max(_milliseconds(when), self.last_ms + 1)
        for _ in range(1000):  # a name taken (two runs within one ms): the next ms
            path = os.path.join(self.folder, _name_of_ms(ms))
            try:
                flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_APPEND | os.O_CLOEXEC
                self.fd = os.open(path, flags, 0o644)
                break
            except FileExistsError:
                ms += 1
            except OSError:
                return
        else:
            return
        self.last_ms = ms
        self.lines = 0
        for name in log_files(self.folder)[: -self.keep]:
            with contextlib.suppress(OSError):
                os.remove(os.path.join(self.folder, name))

    def close(self) -> None:
        """Close the file in use (the next ``write`` opens a new one)."""
        if self.fd is not None:
            with contextlib.suppress(OSError):
                os.close(self.fd)
            self.fd = None


def rolling_wanted() -> bool:
    """Whether this process keeps rolling logs: started by ``layer-cake start`` (origin
    START, START_CHILD) or given ``--keep-logs``."""
    return bool(CL.keep_logs) or CL.origin in (ProcessOrigin.START, ProcessOrigin.START_CHILD)


def begin_rolling(home: str, role: str) -> RollingLog | None:
    """Install the rolling log of a role's run when the process wants one (at the
    ``--debug-level`` given, else ``DEFAULT_ROLLING_LEVEL``); the sink, or None."""
    if not rolling_wanted():
        return None
    folder = logs_path(home, role)
    try:
        keep = files_kept(role_log_storage(home, role))
    except (OSError, CodecRuntimeError):
        keep = files_kept(0)
    if not os.path.isdir(folder):
        return None
    sink = RollingLog(folder, keep)
    level = CL.debug_level if CL.debug_level is not None else DEFAULT_ROLLING_LEVEL
    set_rolling(sink, int(level))
    return sink


def end_rolling(sink: RollingLog | None) -> None:
    """Remove the sink installed by ``begin_rolling`` and close its file."""
    if sink is None:
        return
    set_rolling(None)
    sink.close()
