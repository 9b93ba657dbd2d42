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

Words on the command line (``group-cake worker server``) select roles: regular expressions
matched at the start of role names; none selects every role but ``group`` and sub-roles.
"""

from __future__ import annotations

import os
import re
import sys
import time
from typing import Any

import layer_cake as lc
from layer_cake.daemon import (
    CL,
    ProcessOrigin,
    configure_node,
    home_fault,
    home_roles,
    role_executable,
)

from ._serve import listen_for_directories

__all__ = ["group_directory", "main", "select_roles"]

#: The group's own role in a home (never one of the roles it runs).
GROUP_ROLE = "group"

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
    if not search:
        chosen = [r for r in names if "." not in r]
        if not chosen:
            return lc.Faulted(f'No roles at location "{home}"')
        return chosen
    chosen = []
    for word in search:
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

    def next_interval(self, role: str) -> float | None:
        if self.retry is None or self.retry.empty():
            return None
        sequence = self.intervals.get(role)
        if sequence is None:
            sequence = self.intervals[role] = iter(lc.smart_intervals(self.retry))
        return next(sequence, None)


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
    for role in roles:
        _start_role(self, book, home, role, at, encrypted)
    while book.running or book.due:
        m = self.input()
        if isinstance(m, lc.Returned):
            role = book.running.pop(self.return_address, None)
            if role is None:
                continue
            book.values[role] = m.message
            if role == main_role:
                _stop_all(self, book)
                return m.message
            delay = book.next_interval(role)
            if delay is not None:
                self.trace(f'Restart "{role}" ({delay} seconds)')
                book.due[role] = time.monotonic() + delay
                _arm(self, book)
        elif isinstance(m, lc.T1):
            now = time.monotonic()
            for role in [r for r, t in book.due.items() if t <= now]:
                del book.due[role]
                _start_role(self, book, home, role, at, encrypted)
            _arm(self, book)
        elif isinstance(m, lc.Stop):
            book.due.clear()
            _stop_all(self, book)
            return lc.Aborted()
    return lc.cast_to(book.values, _table_type)


def _start_role(self, book: _Roles, home: str, role: str, at: lc.HostPort, encrypted: bool) -> None:
    executable = role_executable(home, role)
    copy = os.path.join(home, "script", os.path.basename(executable))
    if executable.endswith(".py") and os.path.isfile(copy):
        executable = copy  # a portable image's copy first (cli.md §6)
    origin = ProcessOrigin.START_CHILD if CL.origin == ProcessOrigin.START else None
    a = self.create(
        lc.ProcessObject,
        executable,
        origin=origin,
        home_path=home,
        role_name=role,
        top_role=True,
        directory_scope=lc.ScopeOfDirectory.PROCESS,
        connect_to_directory=at,
        encrypted_process=encrypted,
    )
    book.running[a] = role


def _arm(self, book: _Roles) -> None:
    if book.due:
        self.start(lc.T1, max(min(book.due.values()) - time.monotonic(), 0.0))
    else:
        self.cancel(lc.T1)


def _stop_all(self, book: _Roles) -> None:
    """Stop every running role and wait for each to return."""
    for a in book.running:
        self.send(lc.Stop(), a)
    while book.running:
        m = self.input()
        if isinstance(m, lc.Returned):
            role = book.running.pop(self.return_address, None)
            if role is not None:
                book.values[role] = m.message


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
