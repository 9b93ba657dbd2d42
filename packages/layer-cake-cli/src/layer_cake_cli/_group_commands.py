"""The sub-commands that run a home's roles under ``group-cake`` (cli §4, §5): ``run``,
``start``, ``stop`` and ``status``.

``run`` starts ``group-cake --origin=RUN --full-output`` as a child in the tool's own
process group, so a control-c at the terminal reaches the group and every role at once; the
tool relays the signals it gets (SIGINT, SIGTERM, SIGHUP) to the group as SIGINT, which the
group ignores when it has one already. The group's stderr, and so its roles', is the tool's.
Its stdout is the full form of its result, which the tool prints as any process prints its
value (api-core §11.3): the bare JSON of the main role's value or of the table of last values
(``[[role, [sig, data, []]], ...]``); a fault on stderr with exit status 71.

``start`` runs the same command detached: a new session, cwd ``/``, stdin and stderr to
``/dev/null`` (so the roles' stderr goes there too; their log lines go to the rolling logs
each process of origin START or START_CHILD writes itself, core ``process._rolling``), stdout
a pipe read only if the group ends early. It returns, with no output, once every selected
role is running or has run since the start; it fails ``(unexpected response from group: ...)``
when the group ends first, and stops the group when the roles are not up in
``START_SECONDS``. This stands in for the spec's double fork and ``CommandResponse(
'background-daemon')`` handshake.

``--site-key=FILE`` on ``run`` and ``start`` is checked, then given to group-cake as an
absolute path; its roles inherit it (``ProcessObject``). Without it they find the key as any
process does (``LC_SITE_KEY_FILE``, else ``<home>/site.key``; docs/security.md).

A role that ends with a fault while the group runs is reported as it happens: group-cake
writes ``<role> ended: <fault>`` on its stderr (the tool's, under ``run``). ``run`` prints the
table of last values and then fails (exit 71) when a role's last value is a fault; ``start``
fails when a role ends with a fault before every role is up or within ``SETTLE_SECONDS``
after (the group goes on: ``status`` shows it).

``status`` prints a header (the group: running or not, its pid, its directory's address)
and a table of every role: state (running, starting, exited, stopped, faulted, killed,
restarting in N s, never run), pid, uptime, restarts and last result, the restarts, pending
restarts and roles still starting from the group's ``supervision.json``. ``-ll`` keeps the
spec's lines of running roles; ``--json`` gives the table as JSON.

``stop`` sends SIGINT to the group of the home when it runs (its pid from ``lock/head.json``),
and to each running role whose recorded parent is not itself a running role or group of the
home (a role started by hand, or left by a group that was killed): the role itself, never a
recorded parent that may be a stranger by now. ``--wait`` then waits until no role runs.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import time
from collections.abc import Iterator
from datetime import datetime, timezone
from typing import Any

import click

import layer_cake as lc
from layer_cake.daemon import (
    LockedOut,
    decode_data,
    role_locked_out,
    role_running,
    role_values,
)
from layer_cake_directory import read_supervision

from ._arguments import HomeCommand
from ._fault import fail
from ._home import (
    GROUP_ROLE,
    group_command,
    home_debug_options,
    home_options,
    home_roles,
    is_group,
    listed_roles,
    member_roles,
    open_home,
    refuse_running,
    select_roles,
)
from ._key_command import passed_site_key_option
from ._progress import waiting
from ._records import RecordsUnreadable, Run, fault_shaped, read_runs

__all__ = [
    "run",
    "start",
    "stop",
    "status",
    "START_SECONDS",
    "STOP_SECONDS",
    "GroupResult",
    "group_result",
    "stop_targets",
]

#: How long ``start`` waits for the selected roles to be up.
START_SECONDS = 30.0
#: How long ``stop --wait`` waits for every role to end (cli §4).
STOP_SECONDS = 30.0
#: How long ``start`` keeps watching for a role that fails once every role is up (a role
#: takes its head lock before its main object runs, so "up" is not yet "working").
SETTLE_SECONDS = 1.0
_POLL = 0.1
_RELAYED = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)


def _members(home: str, search: tuple[str, ...], verb: str) -> list[str]:
    """The roles the group will run for ``search`` (as group-cake selects them)."""
    if not search:
        roles = member_roles(home)
        if not roles:
            fail(f"cannot {verb} (empty)")
        return roles
    return select_roles([r for r in home_roles(home) if not is_group(r)], search, verb)


def _group_argv(
    home: str,
    search: tuple[str, ...],
    origin: lc.ProcessOrigin,
    main_role: str | None,
    debug_level: str | None,
    site_key: str | None = None,
) -> list[str]:
    return [
        *group_command(),
        f"--home-path={home}",
        f"--role-name={GROUP_ROLE}",
        f"--origin={origin.name}",
        "--full-output",
        *([f"--main-role={main_role}"] if main_role else []),
        *([f"--debug-level={debug_level}"] if debug_level else []),
        *([f"--site-key={site_key}"] if site_key else []),  # a path: its roles inherit it
        *search,
    ]


def _prepare(
    home_path: str | None, search: tuple[str, ...], main_role: str | None, verb: str
) -> tuple[str, list[str]]:
    """The home and the selected roles, checked: none running, the main role selected."""
    home = open_home(home_path)
    roles = _members(home, search, verb)
    if main_role is not None and main_role not in roles:
        fail(f'cannot {verb} (main role "{main_role}" is not one of the roles selected)')
    if main_role is None:
        stored = _stored_main_role(home)
        if stored and stored not in roles:
            fail(f'cannot {verb} (stored main role "{stored}" is not one of the roles selected)')
    refuse_running(home, [GROUP_ROLE, *roles], verb, "already running")
    return home, roles


def _stored_main_role(home: str) -> str | None:
    try:
        value = role_values(home, GROUP_ROLE).get("main_role")
    except (OSError, lc.CodecRuntimeError):
        return None
    return value if isinstance(value, str) else None


class GroupResult:
    """What a group's full output says: a fault (its text) or the bare JSON of its value
    (None for no value)."""

    def __init__(
        self, fault: str | None = None, text: str | None = None, faulted: list | None = None
    ) -> None:
        self.fault = fault
        self.text = text
        self.faulted: list[str] = faulted or []  # roles whose last value is a fault


class GroupOutputError(ValueError):
    """The group's stdout is not the full form of a value."""


def group_result(output: str) -> GroupResult:
    """Read a group's ``--full-output`` (``{"value": [sig, data, pointers]}``).

    Raises:
        GroupOutputError: anything else.
    """
    if not output.strip():
        return GroupResult()
    try:
        shipment = json.loads(output)
    except ValueError as error:
        raise GroupOutputError(f"cannot decode output ({error})") from None
    if not isinstance(shipment, dict) or "value" not in shipment:
        raise GroupOutputError("cannot decode output (not a shipment)")
    carried = shipment["value"]
    if carried is None:
        return GroupResult()
    if not (isinstance(carried, list) and len(carried) == 3 and isinstance(carried[0], str)):
        raise GroupOutputError("cannot decode output (not a value of any type)")
    try:
        value = decode_data(shipment)
    except lc.CodecRuntimeError:
        value = None  # a type unknown here cannot be a fault of this tool's kind
    if isinstance(value, lc.Faulted):
        return GroupResult(fault=str(value))
    _, data, pointers = carried
    bare: Any = {"value": data, "pointer": pointers} if pointers else data
    text = json.dumps(bare, indent=4, sort_keys=True, ensure_ascii=False)
    return GroupResult(text=text, faulted=_faulted_entries(carried))


def _faulted_entries(carried: list) -> list[str]:
    """The roles of a table of last values (``map<unicode,any>``) whose value is a fault."""
    if not str(carried[0]).startswith("map<") or not isinstance(carried[1], list):
        return []
    faulted = []
    for entry in carried[1]:
        if not (isinstance(entry, list) and len(entry) == 2 and isinstance(entry[0], str)):
            continue
        try:
            value = decode_data({"value": entry[1]})
        except lc.CodecRuntimeError:
            if fault_shaped(entry[1]) is not None:  # a fault holding a type unknown here
                faulted.append(entry[0])
            continue
        if isinstance(value, lc.Faulted):
            faulted.append(entry[0])
    return faulted


@contextlib.contextmanager
def _relaying(target: list[subprocess.Popen], received: list[int]) -> Iterator[None]:
    """While inside: SIGINT, SIGTERM and SIGHUP are noted in ``received`` and relayed to
    the process in ``target`` as SIGINT (the group ignores a repeat while it stops)."""

    def relay(number: int, frame: object) -> None:
        received.append(number)
        for process in target:
            if process.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    process.send_signal(signal.SIGINT)

    previous = {number: signal.signal(number, relay) for number in _RELAYED}
    try:
        yield
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)


@click.command(name="run", cls=HomeCommand)
@click.argument("search", nargs=-1)
@click.option("--main-role", "-mr", default=None, help="End with this role's value.")
@passed_site_key_option
@home_debug_options
def run(
    search: tuple[str, ...],
    main_role: str | None,
    site_key: str | None,
    home_path: str | None,
    debug_level: str | None,
) -> None:
    """Run the roles (those matching SEARCH) under group-cake until they end; print the
    result.

    Roles start in waves: the main role, then one instance of each role, then the next, at
    most one loading per core."""
    home, _ = _prepare(home_path, search, main_role, "run")
    argv = _group_argv(home, search, lc.ProcessOrigin.RUN, main_role, debug_level, site_key)
    target: list[subprocess.Popen] = []
    received: list[int] = []
    with _relaying(target, received):
        try:
            group = subprocess.Popen(argv, stdout=subprocess.PIPE, text=True)
        except OSError as error:
            fail(f'cannot run (cannot execute "{argv[0]}", {error.strerror or error})')
        target.append(group)
        if received:
            group.send_signal(signal.SIGINT)
        output, _ = group.communicate()
    try:
        result = group_result(output)
    except GroupOutputError as error:
        if received:
            fail(str(lc.Aborted()))
        code = group.returncode
        fail(f"cannot run (unexpected response from group: exit status {code}, {error})")
    if result.fault is not None:
        fail(result.fault)
    if group.returncode != 0:
        if received:
            fail(str(lc.Aborted()))
        fail(f"cannot run (unexpected response from group: exit status {group.returncode})")
    if result.text is not None:
        click.echo(result.text)
    if result.faulted:
        fail(f'cannot run (roles "{",".join(result.faulted)}" ended with a fault)')


@click.command(name="start", cls=HomeCommand)
@click.argument("search", nargs=-1)
@click.option("--main-role", "-mr", default=None, help="End with this role's value.")
@passed_site_key_option
@home_debug_options
def start(
    search: tuple[str, ...],
    main_role: str | None,
    site_key: str | None,
    home_path: str | None,
    debug_level: str | None,
) -> None:
    """Start the roles (those matching SEARCH) under a detached group-cake; return once they
    are up."""
    home, roles = _prepare(home_path, search, main_role, "start")
    argv = _group_argv(home, search, lc.ProcessOrigin.START, main_role, debug_level, site_key)
    launched = datetime.now(timezone.utc)
    try:
        group = subprocess.Popen(
            argv,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            cwd="/",
            start_new_session=True,
        )
    except OSError as error:
        fail(f'cannot start (cannot execute "{argv[0]}", {error.strerror or error})')
    try:
        with waiting(f"starting {len(roles)} role(s)"):
            _await_roles(home, roles, group, launched)
    except KeyboardInterrupt:  # the group has its own session: it goes on
        fail("cannot start (aborted while waiting for the roles, the group goes on)")
    assert group.stdout is not None
    group.stdout.close()


def _await_roles(home: str, roles: list[str], group: subprocess.Popen, launched: datetime) -> None:
    """Return once every role of ``roles`` is running or has run since ``launched``; fail
    when the group ends first, or (stopping the group) after ``START_SECONDS``."""
    deadline = time.monotonic() + START_SECONDS
    settled: float | None = None
    while True:
        ended = _faulted_since(home, roles, launched)
        if ended:
            role, fault = ended[0]
            fail(f'cannot start (role "{role}" ended: {fault})')
        if settled is None and all(_started(home, r, launched) for r in roles):
            settled = time.monotonic() + SETTLE_SECONDS
        if settled is not None and time.monotonic() >= settled:
            return
        code = group.poll()
        if code is not None:
            if all(_started(home, r, launched) for r in roles):
                ended = _faulted_since(home, roles, launched)
                if ended:
                    role, fault = ended[0]
                    fail(f'cannot start (role "{role}" ended: {fault})')
                return
            fail(f"cannot start (unexpected response from group: {_early_end(group, code)})")
        if time.monotonic() > deadline:
            late = [r for r in roles if not _started(home, r, launched)]
            with contextlib.suppress(ProcessLookupError):
                group.send_signal(signal.SIGINT)
            fail(
                "cannot start (unexpected response from group: "
                f'roles "{",".join(late)}" not running after {START_SECONDS:g}s, group stopped)'
            )
        time.sleep(_POLL)  # polling the role locks, not a fixed wait


def _runs(home: str, role: str) -> list[Run]:
    try:
        return read_runs(home, role)
    except RecordsUnreadable:
        return []


def _started(home: str, role: str, launched: datetime) -> bool:
    """Whether ``role`` runs, or has begun a run at or after ``launched``."""
    if role_running(home, role):
        return True
    runs = _runs(home, role)
    return bool(runs) and runs[-1].start is not None and runs[-1].start >= launched


def _faulted_since(home: str, roles: list[str], launched: datetime) -> list[tuple[str, str]]:
    """``(role, fault)`` of the roles whose run since ``launched`` ended with a fault."""
    ended = []
    for role in roles:
        for run in _runs(home, role):
            if run.start is not None and run.start >= launched and run.faulted:
                ended.append((role, str(run.fault_text)))
                break
    return ended


def _early_end(group: subprocess.Popen, code: int) -> str:
    """Why a detached group ended before its roles were up."""
    assert group.stdout is not None
    output = group.stdout.read().decode("utf-8", "replace")
    try:
        result = group_result(output)
    except GroupOutputError:
        return f"exit status {code}"
    if result.fault is not None:
        return result.fault
    return f"exit status {code}"


def stop_targets(running: dict[str, LockedOut | None]) -> set[int]:
    """The processes ``stop`` signals, from the running roles and their ``LockedOut``: the
    group, and every role whose recorded parent is not a running role or group of the home."""
    own = {locked.pid for locked in running.values() if locked is not None}
    targets = set()
    for role, locked in running.items():
        if locked is None:
            continue  # its lock is being taken or given up this instant
        if is_group(role) or locked.parent_pid not in own:
            targets.add(locked.pid)
    targets.discard(os.getpid())
    return {pid for pid in targets if pid > 1}


@click.command(name="stop", cls=HomeCommand)
@click.option("--wait", "-w", is_flag=True, help=f"Until no role runs (at most {STOP_SECONDS:g}s).")
@home_options
def stop(wait: bool, home_path: str | None, debug_level: str | None) -> None:
    """Stop the running roles of the home (SIGINT to their group)."""
    home = open_home(home_path)
    roles = home_roles(home)
    if not [r for r in roles if not is_group(r)]:
        fail("cannot stop (empty)")
    running = {r: role_locked_out(home, r) for r in roles if role_running(home, r)}
    if not running:
        fail("cannot stop (nothing running)")
    for pid in sorted(stop_targets(running)):
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.kill(pid, signal.SIGINT)
    if not wait:
        return
    deadline = time.monotonic() + STOP_SECONDS
    with waiting(f"stopping {len(running)} role(s)"):
        while True:
            left = [r for r in roles if role_running(home, r)]
            if not left:
                return
            if time.monotonic() > deadline:
                fail(f'cannot stop (timed out, roles "{",".join(left)}" still running)')
            time.sleep(_POLL)  # polling the role locks, not a fixed wait


@click.command(name="status", cls=HomeCommand)
@click.argument("search", nargs=-1)
@click.option("--long-listing", "-ll", is_flag=True, help="Running roles: pid and time running.")
@click.option("--group-role", "-gr", is_flag=True, help="Include the group.")
@click.option("--sub-roles", "-sr", is_flag=True, help="Include sub-roles.")
@click.option("--json", "as_json", is_flag=True, help="The group and its roles as JSON.")
@home_options
def status(
    search: tuple[str, ...],
    long_listing: bool,
    group_role: bool,
    sub_roles: bool,
    as_json: bool,
    home_path: str | None,
    debug_level: str | None,
) -> None:
    """Print every role (those matching SEARCH) with its state, pid, uptime, restarts and
    last result, under a header about the group."""
    home = open_home(home_path)
    if not [r for r in home_roles(home) if not is_group(r)]:
        fail("cannot report status (empty)")
    roles = listed_roles(home, group_role, sub_roles)
    if search:
        roles = select_roles(roles, search, "report status")
    now = datetime.now(timezone.utc)
    if long_listing:
        running = [r for r in roles if role_running(home, r)]
        if not running:
            fail("cannot report status (nothing running)")
        width = max([24, *(len(r) for r in running)])
        for role in running:
            row = role_status(home, role, now, None)
            click.echo(f"{role:<{width}} <{row['pid'] or '?'}> {row['uptime'] or '?'}")
        return
    group = role_status(home, GROUP_ROLE, now, None)
    supervision = read_supervision(home) if group["state"] == "running" else None
    rows = [role_status(home, role, now, supervision) for role in roles]
    if as_json:
        directory = supervision.directory if supervision is not None else None
        report = {"group": {**group, "directory": directory}, "roles": rows}
        click.echo(json.dumps(report, indent=4))
        return
    click.echo(_header(home, group, supervision))
    for line in _table(rows):
        click.echo(line)


def role_status(home: str, role: str, now: datetime, supervision: Any) -> dict[str, Any]:
    """One row of ``status``: role, state, pid, uptime, restarts, last result."""
    runs = _runs(home, role)
    last = runs[-1] if runs else None
    noted = supervision.roles.get(role) if supervision is not None else None
    row: dict[str, Any] = {
        "role": role,
        "state": "never run",
        "pid": None,
        "uptime": None,
        "restarts": noted.restarts if noted is not None else None,
        "last": None,
    }
    finished = [r for r in runs if r.stop is not None]
    if finished:
        row["last"] = _result_text(finished[-1])
    if role_running(home, role):
        locked = role_locked_out(home, role)
        row["state"] = "running"
        row["pid"] = locked.pid if locked is not None else None
        if last is not None and last.start is not None and last.stop is None:
            row["uptime"] = lc.short_delta(now - last.start)
        return row
    if noted is not None and noted.starting:  # only read while the group runs
        row["state"] = "starting"  # waiting for its wave, or loading (group-cake)
        return row
    if noted is not None and noted.restart_at is not None:
        seconds = max(noted.restart_at - now.timestamp(), 0.0)
        row["state"] = f"restarting in {seconds:.0f}s"
        return row
    if last is None:
        return row
    if last.stop is None:
        row["state"] = "killed"
        row["last"] = "ended without a record"
    elif last.faulted and str(last.fault_text).startswith("killed by signal"):
        row["state"] = "killed"
    elif isinstance(last.value, lc.Aborted):
        row["state"] = "stopped"
    elif last.faulted:
        row["state"] = "faulted"
    else:
        row["state"] = "exited"
    return row


def _result_text(run: Run) -> str:
    if run.carried is None:
        return "None"
    if run.faulted:
        return str(run.fault_text)
    if not run.known:
        return str(run.signature)
    if isinstance(run.value, tuple) and len(run.value) == 2:
        text = json.dumps(run.carried[1])
        return text if len(text) <= 40 else text[:37] + "..."
    return type(run.value).__name__


def _header(home: str, group: dict[str, Any], supervision: Any) -> str:
    if group["state"] != "running":
        return f"home {home}: group not running"
    directory = supervision.directory if supervision is not None else None
    at = f", directory at {directory}" if directory else ""
    return f"home {home}: group running (pid {group['pid']}, up {group['uptime']}{at})"


_COLUMNS = (
    ("ROLE", "role"),
    ("STATE", "state"),
    ("PID", "pid"),
    ("UPTIME", "uptime"),
    ("RESTARTS", "restarts"),
    ("LAST RESULT", "last"),
)


def _table(rows: list[dict[str, Any]]) -> list[str]:
    """Aligned columns, each as wide as its widest cell; ``-`` for nothing."""
    cells = [[title for title, _ in _COLUMNS]]
    for row in rows:
        cells.append(["-" if row[key] is None else str(row[key]) for _, key in _COLUMNS])
    widths = [max(len(line[i]) for line in cells) for i in range(len(_COLUMNS) - 1)]
    lines = []
    for line in cells:
        parts = [cell.ljust(width) for cell, width in zip(line, widths, strict=False)]
        lines.append("  ".join([*parts, line[-1]]).rstrip())
    return lines
