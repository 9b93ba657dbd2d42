"""The sub-commands that read a role's remembered runs (``start_stop.json``, cli §2, §4):
``history`` and ``returned``, in the formats of compat §2.12.

Records are read without the role's types (``_records``): a value of a type unknown here
shows by its full type name and prints as its JSON data. Times print in UTC. A run without a
stop time is ``?`` while the role runs, ``? (killed)`` once it no longer does (its process
ended without recording its end). ``returned`` prints a value the way a process prints its
result: the bare data, a fault wrapped ``{"fault": [sig, data, pointers]}`` (exit 0);
``--full-output`` prints ``{"value": [sig, data, pointers]}``. On a run still going on it
fails at once unless ``--timeout`` says how long to wait (an operator's ``returned`` never
hangs).
"""

from __future__ import annotations

import json
import time
from datetime import datetime, timezone

import click

import layer_cake as lc
from layer_cake.daemon import role_exists, role_running

from ._arguments import HomeCommand
from ._command import SECONDS
from ._fault import fail
from ._home import GROUP_ROLE, home_options, open_home
from ._records import KILLED_LABEL, RecordsUnreadable, Run, read_runs, value_label

__all__ = [
    "history",
    "returned",
    "run_line",
    "long_run_line",
    "bare_text",
    "POLL_SECONDS",
    "runs_or_fail",
]

#: Interval of ``returned``'s checks while the run goes on (cli §4: "1 s polls").
POLL_SECONDS = 1.0


def _micro(moment: datetime) -> str:
    """``2026-12-06T02:55:50.290718`` (UTC, microseconds: ``world_to_text``)."""
    moment = moment.astimezone(timezone.utc)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%f")


def run_line(index: int, run: Run, now: datetime, open_ended: bool = False) -> str:
    """``[0] 3h2m ago ... 41m7s (Aborted)``; ``[1] 12.4s ago ... ?`` for the run going on;
    ``... ? (killed)`` for one that ended without a record (``open_ended`` false)."""
    began = f"{lc.short_delta(now - run.start)} ago" if run.start is not None else "?"
    if run.stop is None or run.start is None:
        return f"[{index}] {began} ... ?" + ("" if open_ended else f" ({KILLED_LABEL})")
    took = lc.short_delta(run.stop - run.start)
    return f"[{index}] {began} ... {took} ({value_label(run)})"


def long_run_line(run: Run, open_ended: bool = False) -> str:
    """``2026-12-06T02:55:50.290718 ... 2026-12-06T02:55:50.542869 (0.2s) api1.Xy``, or
    ``... ?`` (``... ? killed``)."""
    began = _micro(run.start) if run.start is not None else "?"
    if run.stop is None or run.start is None:
        return f"{began} ... ?" + ("" if open_ended else f" {KILLED_LABEL}")
    took = lc.short_delta(run.stop - run.start)
    return f"{began} ... {_micro(run.stop)} ({took}) {value_label(run)}"


def runs_or_fail(home: str, role: str, failing: str) -> list[Run]:
    """The runs of ``role``; a fault ``<failing> (<why>)`` when the file is unreadable."""
    try:
        return read_runs(home, role)
    except RecordsUnreadable as error:
        fail(f"{failing} ({error})")


def _going_on(home: str, role: str, runs: list[Run], index: int) -> bool:
    """Whether run ``index`` without a stop is the one going on (the latest, role running)."""
    return index == len(runs) - 1 and role_running(home, role)


@click.command(name="history", cls=HomeCommand)
@click.argument("role", required=False)
@click.option("--long-listing", "-ll", is_flag=True, help="Start and stop times in full.")
@click.option("--json", "as_json", is_flag=True, help="The runs as a JSON list.")
@home_options
def history(
    role: str | None,
    long_listing: bool,
    as_json: bool,
    home_path: str | None,
    debug_level: str | None,
) -> None:
    """Print the remembered runs of ROLE, oldest first."""
    if not role:
        fail("cannot report history (no role specified)")
    home = open_home(home_path)
    failing = f'cannot report history of "{role}"'
    if not role_exists(home, role):
        fail(f"{failing} (does not exist)")
    now = datetime.now(timezone.utc)
    runs = runs_or_fail(home, role, failing)
    if as_json:
        click.echo(json.dumps([_run_json(home, role, runs, i) for i in range(len(runs))], indent=4))
        return
    for index, run in enumerate(runs):
        going = run.stop is None and _going_on(home, role, runs, index)
        line = long_run_line(run, going) if long_listing else run_line(index, run, now, going)
        click.echo(line)


def _run_json(home: str, role: str, runs: list[Run], index: int) -> dict:
    run = runs[index]
    going = run.stop is None and _going_on(home, role, runs, index)
    return {
        "start": _micro(run.start) if run.start is not None else None,
        "stop": _micro(run.stop) if run.stop is not None else None,
        "running": going,
        "label": None if run.stop is None else value_label(run),
        "faulted": run.faulted,
        "value": run.carried,
    }


def bare_text(carried: list | None) -> str:
    """A value printed as a process prints its result: bare data, 4-space indent; a fault
    wrapped ``{"fault": [sig, data, pointers]}``."""
    if carried is None:
        return "null"
    _, data, pointers = carried
    bare = {"value": data, "pointer": pointers} if pointers else data
    return json.dumps(bare, indent=4, sort_keys=True, ensure_ascii=False)


def _printed(run: Run, full_output: bool) -> str:
    if full_output:
        return json.dumps({"value": run.carried}, indent=4, ensure_ascii=False)
    if run.faulted:
        return json.dumps({"fault": run.carried}, indent=4, ensure_ascii=False)
    return bare_text(run.carried)


@click.command(name="returned", cls=HomeCommand)
@click.argument("role", required=False)
@click.option("--start", "-s", type=int, default=None, help="The run (negative: from the end).")
@click.option(
    "--timeout", "-t", type=SECONDS, default=None, help="Seconds to wait for a run going on."
)
@click.option("--full-output", "-fo", is_flag=True, help='In full: {"value": [sig, data, []]}.')
@home_options
def returned(
    role: str | None,
    start: int | None,
    timeout: float | None,
    full_output: bool,
    home_path: str | None,
    debug_level: str | None,
) -> None:
    """Print the value a run of ROLE (default the group) ended with."""
    role = role or GROUP_ROLE
    failing = f'cannot report returned value of "{role}"'
    home = open_home(home_path)
    if not role_exists(home, role):
        fail(f"{failing} (does not exist)")
    runs = runs_or_fail(home, role, failing)
    if not runs:
        fail(f"{failing} (no start/stop records)")
    n = -1 if start is None else start
    index = n if n >= 0 else len(runs) + n
    if not 0 <= index < len(runs):
        fail(f"{failing} (start [{n}] out of bounds)")
    run = runs[index]
    if run.stop is None and _going_on(home, role, runs, index):
        if timeout is None:
            fail(f"{failing} ({role}[{n}] is still running, give --timeout=S to wait)")
        try:
            run = _await_stop(home, role, run, timeout, failing, n)
        except KeyboardInterrupt:
            fail(str(lc.Aborted()))
    if run.stop is None:
        fail(f"{failing} (no record of {role}[{n}] stopping and never will be)")
    click.echo(_printed(run, full_output))


def _await_stop(home: str, role: str, run: Run, timeout: float, failing: str, n: int) -> Run:
    """The run that began at ``run.start`` once it has a stop time, or as it is once the
    role no longer runs; a fault after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while role_running(home, role):
        left = deadline - time.monotonic()
        if left <= 0:
            fail(f'{failing} (timed out ("T1" exceeded))')
        time.sleep(min(POLL_SECONDS, left))  # the spec's 1 s polls of a run going on
        same = [r for r in runs_or_fail(home, role, failing) if r.start == run.start]
        if not same:
            fail(f"{failing} (no record of {role}[{n}] stopping and never will be)")
        run = same[0]
        if run.stop is not None:
            return run
    same = [r for r in runs_or_fail(home, role, failing) if r.start == run.start]
    return same[0] if same else run
