"""Homes and their roles on disk (cli.md §2, §3): the folders, the files and the head lock.

A home holds ``script/ resource/ role/ departures/ arrivals/``; each ``role/<role>/`` holds
``unique_id.json``, ``executable_file.json``, ``settings.json`` (``map<unicode,any>``, so each
value keeps its signature), ``start_stop.json`` (the last ``MAX_RUNS`` runs, newest last),
``log_storage.json`` and the folders ``model/ tmp/ logs/ lock/``. Files are written with the
persistence layer (full JSON form, atomic replace).

A role is running iff ``lock/head`` is locked: its run holds an exclusive ``flock`` on it
for the life of the process (the kernel drops it when the process ends, however it ends) and
writes ``lock/head.json`` (``LockedOut``) for whoever wants to know who. Probes
(``role_running``) take a shared lock for an instant; since a probe may collide with a
starting run, taking the head lock retries for a short while before it gives up.
"""

from __future__ import annotations

import collections
import contextlib
import fcntl
import os
import shutil
import time
import uuid
from datetime import datetime, timedelta

from ..types._errors import CodecRuntimeError
from ..types._hints import hint_to_portable
from ..types._message import cast_back
from ..types._portable import Any, MapOf, Unicode
from ..types._registry import bind_library_message
from ._persistence import File, remove_folder

__all__ = [
    "MAX_RUNS",
    "LOG_STORAGE",
    "ROLE_FILES",
    "ROLE_FOLDERS",
    "HOME_FOLDERS",
    "INCOMPLETE_HOME",
    "StartStop",
    "LockedOut",
    "HeadLock",
    "role_path",
    "home_roles",
    "home_fault",
    "role_exists",
    "role_executable",
    "role_unique_id",
    "role_log_storage",
    "role_settings",
    "role_values",
    "store_role_settings",
    "role_start_stop",
    "record_start",
    "record_stop",
    "role_running",
    "role_locked_out",
    "make_role",
    "remove_role",
    "make_home",
]

#: Runs remembered in ``start_stop.json`` (cli.md §2).
MAX_RUNS = 16

#: Default of ``log_storage.json``: bytes of rolling logs a role may keep.
LOG_STORAGE = 268435456

#: The files (names without ``.json``) and folders of every role folder.
ROLE_FILES = ("unique_id", "executable_file", "settings", "start_stop", "log_storage")
ROLE_FOLDERS = ("model", "tmp", "logs", "lock")

#: The folders of a home.
HOME_FOLDERS = ("script", "resource", "role", "departures", "arrivals")

#: The explanation given for a home that is missing or not as it should be (cli.md §2).
INCOMPLETE_HOME = "does not exist or contains unexpected/incomplete materials"

# How long taking the head lock keeps trying while a probe (a shared lock held for an
# instant) is in the way; a run holds the lock far longer than this.
_LOCK_ATTEMPTS = 10
_LOCK_PAUSE = 0.02


class StartStop:
    """One run of a role: its start, its stop (None while running) and the value it ended with.

    Args:
        start: when the run began (UTC).
        stop: when it ended, None while running (or when the process was killed).
        returned: the value of the main object (a ``Faulted`` too); None while running.
    """

    def __init__(
        self,
        start: datetime | None = None,
        stop: datetime | None = None,
        returned: object = None,
    ) -> None:
        self.start = start
        self.stop = stop
        self.returned = returned

    def __repr__(self) -> str:
        return f"StartStop(start={self.start!r}, stop={self.stop!r}, returned={self.returned!r})"


class LockedOut:
    """Who holds a role's head lock: the home, the process and its parent.

    Args:
        path: the home (absolute).
        pid: the running role's process id.
        parent_pid: its parent's (group-cake under ``layer-cake run``/``start``).
    """

    def __init__(
        self, path: str | None = None, pid: int | None = None, parent_pid: int | None = None
    ) -> None:
        self.path = path
        self.pid = pid
        self.parent_pid = parent_pid

    def __str__(self) -> str:
        if self.path is None or self.pid is None or self.parent_pid is None:
            return "locked out and missing details"
        return f'locked out of "{self.path}" by <{self.pid}>({self.parent_pid})'

    def __repr__(self) -> str:
        return f"LockedOut(path={self.path!r}, pid={self.pid!r}, parent_pid={self.parent_pid!r})"


bind_library_message(StartStop, "layer_cake.object_startup.StartStop", returned=Any())
bind_library_message(LockedOut, "layer_cake.head_lock.LockedOut")

_SETTINGS = MapOf(Unicode(), Any())
_START_STOP = collections.deque[StartStop]

# Bare values of these types are typed by their Python type when stored as settings.
_SCALARS = (bool, int, float, str, bytes, bytearray, datetime, timedelta, uuid.UUID)


# Paths and listings --------------------------------------------------------------------------


def role_path(home: str, role: str) -> str:
    """``<home>/role/<role>``."""
    return os.path.join(home, "role", role)


def _role_file(home: str, role: str, name: str, tip: object, create_default: bool = False) -> File:
    return File(os.path.join(role_path(home, role), name), tip, create_default=create_default)


def home_roles(home: str) -> list[str]:
    """Sorted names of the role folders under ``<home>/role`` (sub-roles ``a.b`` included).

    Returns:
        the names; empty when there is no ``<home>/role``.
    """
    try:
        with os.scandir(os.path.join(home, "role")) as entries:
            names = [e.name for e in entries if e.is_dir() and not e.name.startswith(".")]
    except (FileNotFoundError, NotADirectoryError):
        return []
    return sorted(names)


def _role_complete(folder: str) -> bool:
    return all(os.path.isfile(os.path.join(folder, f"{n}.json")) for n in ROLE_FILES) and all(
        os.path.isdir(os.path.join(folder, n)) for n in ROLE_FOLDERS
    )


def home_fault(home: str) -> str | None:
    """Why ``home`` is not a complete home, or None when it is.

    Complete: the folders ``script/ resource/ role/ departures/ arrivals/`` exist and every
    role folder has all its files and folders.

    Returns:
        None, or the explanation ``INCOMPLETE_HOME``.
    """
    if not all(os.path.isdir(os.path.join(home, n)) for n in HOME_FOLDERS):
        return INCOMPLETE_HOME
    for role in home_roles(home):
        if not _role_complete(role_path(home, role)):
            return INCOMPLETE_HOME
    return None


def role_exists(home: str, role: str) -> bool:
    """Whether ``<home>/role/<role>`` is a folder."""
    return os.path.isdir(role_path(home, role))


# The files of a role -------------------------------------------------------------------------


def role_executable(home: str, role: str) -> str:
    """The role's program: the absolute path of a ``.py``, or a program name on PATH.

    Raises:
        FileNotFoundError: no such role (or file).
        CodecRuntimeError: the file does not hold a string.
    """
    return _role_file(home, role, "executable_file", str).recover()  # type: ignore[return-value]


def role_unique_id(home: str, role: str) -> uuid.UUID:
    """The identity given to the role when it was made."""
    return _role_file(home, role, "unique_id", uuid.UUID).recover()  # type: ignore[return-value]


def role_log_storage(home: str, role: str) -> int:
    """Bytes of rolling logs the role may keep (``LOG_STORAGE`` unless changed)."""
    return _role_file(home, role, "log_storage", int).recover()  # type: ignore[return-value]


def role_settings(home: str, role: str) -> dict:
    """The stored settings, ``{name: value}``, each value typed as stored: an instance of a
    registered class (``HostPort``) or a ``(value, portable)`` pair (``lc.cast_back`` turns
    either into its bare value; ``role_values`` does it for all).

    Raises:
        FileNotFoundError: no such role.
        CodecRuntimeError: the file is not a ``map<unicode,any>``.
    """
    return _role_file(home, role, "settings", _SETTINGS).recover()  # type: ignore[return-value]


def role_values(home: str, role: str) -> dict[str, object]:
    """The stored settings as bare values, ``{name: value}``, ready to pass to an object."""
    return {name: cast_back(typed)[0] for name, typed in role_settings(home, role).items()}


def _typed_settings(settings: dict) -> dict:
    """The settings sorted by name, each value typed: a message (a registered-class instance
    or a ``(value, portable)`` pair) as it is, a bare scalar (``9``, ``"svc"``) by its type."""
    return {
        name: (value, hint_to_portable(type(value))) if type(value) in _SCALARS else value
        for name, value in sorted(settings.items())
    }


def store_role_settings(home: str, role: str, settings: dict) -> None:
    """Replace the stored settings (written sorted by name). Each value is a registered-class
    instance or a ``(value, portable)`` pair (``lc.cast_to``), so that it keeps its type; a
    bare ``bool``, ``int``, ``float``, ``str``, ``bytes``, ``datetime``, ``timedelta`` or
    ``UUID`` is typed by its Python type.

    Raises:
        FileNotFoundError: no such role.
        CodecRuntimeError: a value is none of those; the file is left as it was.
    """
    if not role_exists(home, role):
        raise FileNotFoundError(f'no role "{role}" in "{home}"')
    _role_file(home, role, "settings", _SETTINGS).store(_typed_settings(settings))


def role_start_stop(home: str, role: str) -> list[StartStop]:
    """The remembered runs, oldest first (at most ``MAX_RUNS``).

    Raises:
        FileNotFoundError: no such role.
        CodecRuntimeError: the file does not decode.
    """
    if not role_exists(home, role):
        raise FileNotFoundError(f'no role "{role}" in "{home}"')
    records = _role_file(home, role, "start_stop", _START_STOP, create_default=True).recover()
    return list(records)  # type: ignore[call-overload]


def _store_start_stop(home: str, role: str, records: list[StartStop]) -> None:
    runs = collections.deque(records[-MAX_RUNS:])
    _role_file(home, role, "start_stop", _START_STOP).store(runs)


def record_start(home: str, role: str, start: datetime) -> None:
    """Add a run that began at ``start`` (the oldest is dropped beyond ``MAX_RUNS``).
    Only the holder of the head lock should call it."""
    records = role_start_stop(home, role)
    records.append(StartStop(start=start))
    _store_start_stop(home, role, records)


def record_stop(home: str, role: str, stop: datetime, returned: object) -> None:
    """Close the newest run with its stop time and value. Only the holder of the head lock
    should call it.

    Raises:
        CodecRuntimeError: ``returned`` cannot be encoded; the file is left as it was.
    """
    records = role_start_stop(home, role)
    if not records:
        records.append(StartStop(start=stop))
    records[-1].stop = stop
    records[-1].returned = returned
    _store_start_stop(home, role, records)


# The head lock -------------------------------------------------------------------------------


def _head(home: str, role: str) -> str:
    return os.path.join(role_path(home, role), "lock", "head")


def role_running(home: str, role: str) -> bool:
    """Whether ``lock/head`` is locked by a process (this one included)."""
    try:
        fd = os.open(_head(home, role), os.O_RDONLY)
    except OSError:
        return False
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            return True
        fcntl.flock(fd, fcntl.LOCK_UN)
        return False
    finally:
        os.close(fd)


def role_locked_out(home: str, role: str) -> LockedOut | None:
    """The contents of ``lock/head.json`` while the role is running, else None."""
    if not role_running(home, role):
        return None
    try:
        locked = File(_head(home, role), LockedOut).recover()
    except (OSError, CodecRuntimeError):  # released meanwhile, or a foreign file
        return None
    return locked  # type: ignore[return-value]


class HeadLock:
    """The exclusive lock on a role's ``lock/head``, held from ``acquire`` to ``release``.

    The file descriptor is not inherited by programs this process runs, so children do not
    keep a role locked after it ended.
    """

    def __init__(self, home: str, role: str, fd: int) -> None:
        self.home = home
        self.role = role
        self.fd: int | None = fd
        self.announced = False

    @classmethod
    def acquire(cls, home: str, role: str) -> HeadLock | None:
        """Lock the role's head; None when another process holds it.

        Raises:
            OSError: the lock folder is missing or unusable.
        """
        fd = os.open(_head(home, role), os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o666)
        for attempt in range(_LOCK_ATTEMPTS):
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                return cls(home, role, fd)
            except BlockingIOError:
                if attempt + 1 < _LOCK_ATTEMPTS:
                    time.sleep(_LOCK_PAUSE)  # a probe's instant, or a run holding it for good
            except BaseException:
                os.close(fd)
                raise
        os.close(fd)
        return None

    def announce(self, home_path: str) -> None:
        """Write ``lock/head.json``: this process holds the role."""
        File(_head(self.home, self.role), LockedOut).store(
            LockedOut(path=home_path, pid=os.getpid(), parent_pid=os.getppid())
        )
        self.announced = True

    def release(self) -> None:
        """Remove ``lock/head.json`` (while still holding the lock), then unlock."""
        if self.fd is None:
            return
        if self.announced:
            with contextlib.suppress(OSError):
                os.remove(_head(self.home, self.role) + ".json")
        with contextlib.suppress(OSError):
            fcntl.flock(self.fd, fcntl.LOCK_UN)
        os.close(self.fd)
        self.fd = None

    def __enter__(self) -> HeadLock:
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()


# Making and removing -------------------------------------------------------------------------


def make_role(home: str, role: str, executable: str, settings: dict) -> None:
    """Create ``<home>/role/<role>/`` with its files and folders.

    The folder is built under a hidden name and renamed into place, so no one sees a role
    half made.

    Args:
        home: the home (``<home>/role`` must exist).
        role: the role's name.
        executable: the absolute path of a ``.py``, or a program name on PATH.
        settings: ``{name: value}``, each value a registered-class instance, a
            ``(value, portable)`` pair or a bare scalar (as ``store_role_settings``).

    Raises:
        FileExistsError: the role folder exists.
        FileNotFoundError: ``<home>/role`` does not exist.
        CodecRuntimeError: a setting cannot be encoded (nothing is left behind).
    """
    roles = os.path.join(home, "role")
    target = role_path(home, role)
    if not os.path.isdir(roles):
        raise FileNotFoundError(f'no folder "{roles}"')
    if os.path.lexists(target):
        raise FileExistsError(f'"{target}" already exists')
    partial = os.path.join(roles, f".{role}.{uuid.uuid4().hex[:12]}.partial")
    os.mkdir(partial)
    try:
        for name in ROLE_FOLDERS:
            os.mkdir(os.path.join(partial, name))
        File(os.path.join(partial, "unique_id"), uuid.UUID).store(uuid.uuid4())
        File(os.path.join(partial, "executable_file"), str).store(executable)
        File(os.path.join(partial, "settings"), _SETTINGS).store(_typed_settings(settings))
        File(os.path.join(partial, "start_stop"), _START_STOP).store(collections.deque())
        File(os.path.join(partial, "log_storage"), int).store(LOG_STORAGE)
        if os.path.lexists(target):  # made meanwhile
            raise FileExistsError(f'"{target}" already exists')
        os.rename(partial, target)
    except BaseException:
        shutil.rmtree(partial, ignore_errors=True)
        raise


def remove_role(home: str, role: str) -> bool:
    """Delete ``<home>/role/<role>/`` and everything in it; False when there was none."""
    target = role_path(home, role)
    if not os.path.isdir(target):
        return False
    remove_folder(target)
    return True


def make_home(home: str) -> None:
    """Create the folder ``home`` (and missing parents) with ``script/ resource/ role/
    departures/ arrivals/``.

    Raises:
        FileExistsError: ``home`` exists.
    """
    os.makedirs(home)
    for name in HOME_FOLDERS:
        os.mkdir(os.path.join(home, name))
