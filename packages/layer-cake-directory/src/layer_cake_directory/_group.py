"""``group-cake``: the GROUP node of a composite process and the supervisor of its roles
(pubsub §7-§8, cli.md §5).

The node listens for the nodes of its member processes at an ephemeral loopback port (or
``--accept-directories-at``) and says where on stderr. GROUP names stay inside the group;
wider listings go on to ``--directory-at-host`` (else ``--directory-at-lan``, else
``127.0.0.1:54195``), linked at the first listing wider than GROUP, so a group that lists
nothing wider never connects to host-cake.

In a home (``--home-path``, role ``group``: what ``layer-cake run`` and ``start`` start) it
also runs the home's roles: one ``ProcessObject`` per selected role, each joined to the
group's node with ``--connect-to-directory``. A role that ends is restarted after the next
interval of ``retry`` while that sequence lasts; the end of ``main_role`` stops the others
and ends the group with its value; otherwise the group ends when no role runs and no restart
is pending, with the table of last values. ``Stop`` stops every role (the ProcessObject
sends SIGINT, then SIGKILL after 10 s) and the group ends ``Aborted()``.

Roles start in waves (``start_order``, ``_start_waiting``): the main role first, then the
first instance of every role family (``worker-1`` of ``worker-1..8``), then the second, and
so on; at most ``START_SLOTS`` (one per core) are loading at once. A role is loading from its
start until its process holds its head lock (it is in ``lc.create``: its modules are
imported), it ends, or ``LOADING_CAP`` passes. Nine roles loading at once on two cores each
took four times as long to serve: the first answer of the seed's demo waited for all of them.

Words on the command line (``group-cake worker server``) select roles: regular expressions
matched at the start of role names; none selects every role but ``group`` and sub-roles.
"""

from __future__ import annotations

import bisect
import collections
import contextlib
import json
import os
import re
import signal
import sys
import time
from datetime import datetime, timezone
from typing import Any

import layer_cake as lc
from layer_cake.daemon import (
    CL,
    HeadLock,
    ProcessOrigin,
    configure_node,
    home_fault,
    home_roles,
    record_stop,
    role_executable,
    role_locked_out,
    role_running,
    role_start_stop,
)

from ._serve import listen_for_directories
from ._supervision import RoleState, Supervision, write_supervision

__all__ = [
    "group_directory",
    "main",
    "select_roles",
    "start_order",
    "DAEMON_PROGRAMS",
    "START_SLOTS",
    "LOADING_CAP",
    "signal_of",
]

#: The group's own role in a home (never one of the roles it runs).
GROUP_ROLE = "group"

#: Programs that are directory nodes of their own scope: a role running one is not a
#: PROCESS child of the group (the group's own parent may be that very node).
DAEMON_PROGRAMS = ("host-cake", "lan-cake")

_EXIT_CODE = re.compile(r"non-standard process exit - code=(-\d+)")
# How often a stop looks for role processes still loading, and for how long.
_SWEEP_SECONDS = 0.05
_LOADING_GRACE = 10.0
_FAULTY_OUTPUT = re.compile(r"non-standard process exit - code=71\b")
#: Roles loading (started, not yet in ``lc.create``) at once: one per core, at least two.
START_SLOTS = max(2, os.cpu_count() or 2)
#: Seconds after which a role that has not taken its head lock no longer holds a slot (a
#: program that is not a layer-cake one, or one that loads for long, never blocks the rest).
LOADING_CAP = 2.0
#: How often the group looks whether a loading role has taken its head lock.
_LOADING_POLL = 0.01
_INSTANCE = re.compile(r"^(.*?)-(\d+)$")

_SEARCH: list[str] = []  # the command line's words, taken before lc.create parses the rest
_table_type = lc.def_type(dict[str, lc.Any])


def group_directory(
    self,
    directory_at_host: lc.HostPort | None = None,
    directory_at_lan: lc.HostPort | None = None,
    encrypted_directory: bool = False,
    retry: lc.RetryIntervals | None = None,
    main_role: str | None = None,
) -> object:
    """The main object of group-cake: the GROUP node's listen, then its roles until done."""
    parent = _given(directory_at_host) or _given(directory_at_lan)
    configure_node(lc.ScopeOfDirectory.GROUP, parent, encrypted_directory)
    ipp = _given(CL.accept_directories_at) or lc.HostPort("127.0.0.1", 0)
    at = listen_for_directories(self, "group-cake", ipp)
    if not isinstance(at, lc.HostPort):
        return at  # NotListening, or Aborted by a Stop while waiting
    if not CL.home_path:
        return _wait_for_stop(self)
    roles = select_roles(CL.home_path, _SEARCH)
    if isinstance(roles, lc.Faulted):
        return roles
    return _supervise(self, roles, at, encrypted_directory, retry, main_role)


def select_roles(home: str, search: list[str]) -> list[str] | lc.Faulted:
    """The roles to run: those matching a search word (``re.match``), else all but the group
    and sub-roles; a fault as cli.md §5 words it."""
    fault = home_fault(home)
    if fault is not None:
        return lc.Faulted(f'cannot open path "{home}"', fault)
    names = [r for r in home_roles(home) if r != GROUP_ROLE]
    if any(not word for word in search):
        return lc.Faulted("cannot select roles", "empty search word")
    if not search:
        chosen = [r for r in names if "." not in r]
        if not chosen:
            return lc.Faulted(f'No roles at location "{home}"')
        return chosen
    chosen = []
    for word in search:
        if word in names:  # a role's exact name selects that role only
            if word not in chosen:
                chosen.append(word)
            continue
        try:
            pattern = re.compile(word)
        except re.error as e:
            return lc.Faulted(f'cannot compile search "{word}"', str(e))
        matched = [r for r in names if pattern.match(r) and r not in chosen]
        if not matched and not any(pattern.match(r) for r in chosen):
            return lc.Faulted(f'No roles matching "{word}"')
        chosen += matched
    return chosen


class _Roles:
    """Bookkeeping of the running roles: who runs where, what is due to restart."""

    def __init__(self, retry: lc.RetryIntervals | None) -> None:
        self.retry = retry
        self.running: dict[tuple, str] = {}  # ProcessObject address -> role
        self.intervals: dict[str, Any] = {}  # role -> its restart sequence (an iterator)
        self.due: dict[str, float] = {}  # role -> monotonic time of its restart
        self.values: dict[str, Any] = {}  # role -> last value
        self.stopping = False
        self.state = Supervision(os.getpid())
        self.waiting: collections.deque = collections.deque()  # roles not started yet, in order
        self.loading: dict[str, float] = {}  # role -> monotonic time it was started

    def note(self, role: str) -> RoleState:
        return self.state.roles.setdefault(role, RoleState())

    def next_interval(self, role: str) -> float | None:
        if self.retry is None or self.retry.empty():
            return None
        sequence = self.intervals.get(role)
        if sequence is None:
            sequence = self.intervals[role] = iter(lc.smart_intervals(self.retry))
        return next(sequence, None)


def _instance(name: str) -> tuple[str, int]:
    """``("worker", 3)`` for ``worker-3``; a name without ``-<n>`` is ``(name, 0)``."""
    matched = _INSTANCE.match(name)
    return (matched.group(1), int(matched.group(2))) if matched else (name, 0)


def start_order(roles: list[str], main_role: str | None = None) -> list[str]:
    """The order roles start in: the main role, then by rank within the family (``worker-3``
    is the third of ``worker-1..8``; a name without ``-<n>`` is the first of its own), then
    as given."""
    parts = {name: _instance(name) for name in roles}
    numbers: dict[str, list[int]] = collections.defaultdict(list)
    for family, n in parts.values():
        numbers[family].append(n)
    for family_numbers in numbers.values():
        family_numbers.sort()
    given = {name: i for i, name in enumerate(roles)}

    def key(name: str) -> tuple:
        family, n = parts[name]
        return (name != main_role, bisect.bisect_left(numbers[family], n), given[name])

    return sorted(roles, key=key)


def _supervise(
    self,
    roles: list[str],
    at: lc.HostPort,
    encrypted: bool,
    retry: lc.RetryIntervals | None,
    main_role: str | None,
) -> object:
    home = CL.home_path
    book = _Roles(retry)
    book.state.directory = f"{at.host}:{at.port}"
    for role in roles:
        book.note(role).starting = True
    book.waiting.extend(start_order(roles, main_role))
    _start_waiting(self, book, home, at, encrypted)
    _publish(home, book)
    while book.running or book.due or book.waiting:
        m = self.input()
        if isinstance(m, lc.Returned):
            role = book.running.pop(self.return_address, None)
            if role is None:
                continue
            book.loading.pop(role, None)
            book.note(role).starting = False
            value = _ended(self, home, role, m.message)
            book.values[role] = value
            state = book.note(role)
            state.faulted = isinstance(value, lc.Faulted)
            state.last = _result_text(value)
            if role == main_role:
                for waiting in book.waiting:
                    book.note(waiting).starting = False
                book.waiting.clear()
                _stop_all(self, book)
                _publish(home, book)
                return value
            delay = book.next_interval(role)
            if delay is not None:
                self.trace(f'Restart "{role}" ({delay} seconds)')
                book.due[role] = time.monotonic() + delay
                state.restart_at = time.time() + delay
                _arm(self, book)
            _start_waiting(self, book, home, at, encrypted)
            _publish(home, book)
        elif isinstance(m, lc.T3):
            if _start_waiting(self, book, home, at, encrypted):
                _publish(home, book)
        elif isinstance(m, lc.T1):
            now = time.monotonic()
            for role in [r for r, t in book.due.items() if t <= now]:
                del book.due[role]
                state = book.note(role)
                state.restarts += 1
                state.restart_at = None
                _start_role(self, book, home, role, at, encrypted)
            _arm(self, book)
            _publish(home, book)
        elif isinstance(m, lc.Stop):
            book.due.clear()
            book.waiting.clear()
            for state in book.state.roles.values():
                state.restart_at = None
                state.starting = False
            _stop_all(self, book)
            _publish(home, book)
            return lc.Aborted()
    _publish(home, book)
    return lc.cast_to(book.values, _table_type)


def _start_waiting(self, book: _Roles, home: str, at: lc.HostPort, encrypted: bool) -> bool:
    """Start waiting roles while fewer than ``START_SLOTS`` are loading; look again in
    ``_LOADING_POLL`` while any wait or load. Whether a role's state changed."""
    now = time.monotonic()
    running = set(book.running.values())
    changed = False
    for role, since in list(book.loading.items()):
        if role not in running or now - since >= LOADING_CAP or role_running(home, role):
            del book.loading[role]
            book.note(role).starting = False
            changed = True
    while book.waiting and len(book.loading) < START_SLOTS:
        role = book.waiting.popleft()
        book.loading[role] = now
        _start_role(self, book, home, role, at, encrypted)
        changed = True
    if book.waiting or book.loading:
        self.start(lc.T3, _LOADING_POLL)
    return changed


def _publish(home: str, book: _Roles) -> None:
    write_supervision(home, book.state)


def signal_of(value: object) -> int | None:
    """The signal that ended a child process, from the fault its ProcessObject gave."""
    if not isinstance(value, lc.Faulted):
        return None
    found = _EXIT_CODE.match(str(value.condition))
    return -int(found.group(1)) if found else None


def _signal_name(number: int) -> str:
    try:
        return signal.Signals(number).name
    except ValueError:
        return str(number)


def _ended(self, home: str, role: str, value: object) -> object:
    """A role's process ended with ``value``: say so unless it was asked to stop; a process
    ended by a signal becomes ``Faulted("killed by signal SIGKILL")`` in the role's own
    record too (it could not write one)."""
    number = signal_of(value)
    if number is not None:
        value = lc.Faulted(f"killed by signal {_signal_name(number)}")
        _record_killed(home, role, value)
    elif _FAULTY_OUTPUT.match(str(getattr(value, "condition", ""))):
        value = _recorded_fault(home, role) or value
    if isinstance(value, lc.Faulted) and not isinstance(value, lc.Aborted):
        self.warning(f'Role "{role}" ended: {value}')
        sys.stderr.write(f"{role} ended: {value}\n")
        sys.stderr.flush()
    elif isinstance(value, lc.Aborted):
        self.console(f'Role "{role}" ended: {value}')
    else:
        self.console(f'Role "{role}" ended')
    return value


def _recorded_fault(home: str, role: str) -> lc.Faulted | None:
    """The fault a role recorded as its last value, read as plain JSON: a fault of the
    role's own making may hold types only the role knows (``NotListening`` of a listen with
    its HTTP message types), which the group cannot decode from the role's output."""
    try:
        with open(os.path.join(home, "role", role, "start_stop.json"), encoding="utf-8") as f:
            records = json.load(f)["value"]
        carried = records[-1]["returned"]
        data = carried[1]
    except (OSError, ValueError, KeyError, IndexError, TypeError):
        return None
    if not isinstance(data, dict) or not isinstance(data.get("condition"), str):
        return None
    explanation = data.get("explanation")
    return lc.Faulted(data["condition"], explanation if isinstance(explanation, str) else None)


def _record_killed(home: str, role: str, fault: lc.Faulted) -> None:
    """Close the open run of a role whose process was killed (best effort)."""
    with contextlib.suppress(OSError, lc.CodecRuntimeError):
        lock = HeadLock.acquire(home, role)
        if lock is None:
            return  # running again: a new run owns the record
        with lock:
            runs = role_start_stop(home, role)
            if runs and runs[-1].stop is None:
                record_stop(home, role, datetime.now(timezone.utc), fault)


def _result_text(value: object) -> str:
    """A short text of a role's last value for ``layer-cake status``."""
    if value is None:
        return "None"
    if isinstance(value, lc.Faulted):
        return str(value)
    if isinstance(value, tuple) and len(value) == 2 and isinstance(value[1], lc.Portable):
        text = repr(value[0])
    else:
        text = type(value).__name__
    return text if len(text) <= 60 else text[:57] + "..."


def _start_role(self, book: _Roles, home: str, role: str, at: lc.HostPort, encrypted: bool) -> None:
    executable = role_executable(home, role)
    copy = os.path.join(home, "script", os.path.basename(executable))
    if executable.endswith(".py") and os.path.isfile(copy):
        executable = copy  # a portable image's copy first (cli.md §6)
    origin = ProcessOrigin.START_CHILD if CL.origin == ProcessOrigin.START else None
    if os.path.basename(executable) in DAEMON_PROGRAMS:
        directory: dict[str, object] = {}  # a node of its own scope, with its own settings
    else:
        directory = {
            "directory_scope": lc.ScopeOfDirectory.PROCESS,
            "connect_to_directory": at,
            "encrypted_process": encrypted,
        }
    if origin is not None and CL.debug_level is not None:
        directory["debug_level"] = CL.debug_level  # `start -dl`: the level of the rolling logs
    a = self.create(
        lc.ProcessObject,
        executable,
        origin=origin,
        home_path=home,
        role_name=role,
        top_role=True,
        **directory,
    )
    book.running[a] = role


def _arm(self, book: _Roles) -> None:
    if book.due:
        self.start(lc.T1, max(min(book.due.values()) - time.monotonic(), 0.0))
    else:
        self.cancel(lc.T1)


def _stop_all(self, book: _Roles) -> None:
    """Stop every running role and wait for each to return.

    A role process still loading its modules would meet the SIGINT of a ``Stop`` as a
    ``KeyboardInterrupt`` and print a traceback. So the stop sweeps every ``_SWEEP_SECONDS``:
    a role whose process holds its head lock (it is in ``lc.create``) gets ``Stop``; any other
    child process of the group (still loading) gets SIGTERM, which ends it quietly. After
    ``_LOADING_GRACE`` every role left gets ``Stop`` whatever its state."""
    book.stopping = True
    home = CL.home_path
    stopped: set = set()
    deadline = time.monotonic() + _LOADING_GRACE

    def sweep() -> None:
        holders = _lock_holders(home, list(book.running.values()))
        for pid in _children():
            if pid not in holders:
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.kill(pid, signal.SIGTERM)
        late = time.monotonic() >= deadline
        for a, role in book.running.items():
            if a not in stopped and (late or role in holders.values()):
                self.send(lc.Stop(), a)
                stopped.add(a)

    sweep()
    self.start(lc.T2, _SWEEP_SECONDS)
    while book.running:
        m = self.input()
        if isinstance(m, lc.T2):
            sweep()
            self.start(lc.T2, _SWEEP_SECONDS)
        elif isinstance(m, lc.Returned):
            role = book.running.pop(self.return_address, None)
            if role is not None:
                value = m.message
                if signal_of(value) in (signal.SIGTERM, signal.SIGINT):
                    value = lc.Aborted()  # stopped while it loaded
                elif signal_of(value) is not None:
                    value = _ended(self, CL.home_path, role, value)
                book.values[role] = value
                state = book.note(role)
                state.faulted = isinstance(value, lc.Faulted)
                state.last = _result_text(value)
    self.cancel(lc.T2)


def _children() -> list[int]:
    """Process ids of this process's children (Linux ``/proc``; none elsewhere)."""
    me = os.getpid()
    found = []
    with contextlib.suppress(OSError):
        for entry in os.listdir("/proc"):
            if not entry.isdigit():
                continue
            try:
                with open(f"/proc/{entry}/stat", encoding="ascii", errors="replace") as f:
                    fields = f.read().rpartition(")")[2].split()
            except OSError:
                continue
            if len(fields) > 1 and fields[1] == str(me):
                found.append(int(entry))
    return found


def _lock_holders(home: str, roles: list[str]) -> dict[int, str]:
    """``pid -> role`` of the roles whose process holds its head lock."""
    holders = {}
    for role in roles:
        with contextlib.suppress(OSError, lc.CodecRuntimeError):
            if not role_running(home, role):
                continue
            locked = role_locked_out(home, role)
            if locked is not None:
                holders[locked.pid] = role
    return holders


def _wait_for_stop(self) -> object:
    while True:
        m = self.input()
        if isinstance(m, lc.Stop):
            return lc.Aborted()


def _given(ipp: lc.HostPort | None) -> lc.HostPort | None:
    return ipp if ipp is not None and ipp.host else None


lc.bind(group_directory)


def main() -> None:
    """Run ``group_directory`` as a layer-cake process; words select roles."""
    words = [a for a in sys.argv[1:] if not a.startswith("-")]
    _SEARCH[:] = words
    sys.argv[1:] = [a for a in sys.argv[1:] if a.startswith("-")]
    lc.create(group_directory)
