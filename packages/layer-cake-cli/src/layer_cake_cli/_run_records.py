"""The sub-commands that read a role's remembered runs (``start_stop.json``, cli §2, §4):
``history`` and ``returned``.

Times print in UTC. A run without a stop time is shown ``?``: the run going on, or one whose
process was killed before it could record its end. ``returned`` of a fault prints it like any
value, exit 0 (a DECISION of the spec).
"""

from __future__ import annotations

import time
from datetime import datetime, timezone

import click

import layer_cake as lc
from layer_cake.daemon import (
    StartStop,
    encode_json,
    role_exists,
    role_running,
    role_start_stop,
)

from ._arguments import HomeCommand
from ._command import SECONDS
from ._fault import fail
from ._home import GROUP_ROLE, home_options, open_home

__all__ = ["history", "returned", "run_line", "long_run_line", "value_label", "POLL_SECONDS"]

#: Interval of ``returned``'s checks while the run goes on (cli §4: "1 s polls").
POLL_SECONDS = 1.0


def value_label(value: object) -> str:
    """A short name for a returned value: its class (``Aborted``), its type signature
    (``integer8``), or the name of a type unknown here."""
    if value is None:
        return "None"
    if isinstance(value, lc.Incognito):
        return str(value.type_name).rpartition(".")[2]
    if isinstance(value, tuple) and len(value) == 2 and isinstance(value[1], lc.Portable):
        return value[1].signature()
    return type(value).__name__


def _tenths(moment: datetime) -> str:
    """``2025-06-01T08:00:01.5`` (UTC, tenths of a second)."""
    moment = moment.astimezone(timezone.utc)
    return moment.strftime("%Y-%m-%dT%H:%M:%S") + f".{moment.microsecond // 100_000}"


def run_line(index: int, run: StartStop, now: datetime) -> str:
    """``[0] 3h2m ago ... 41m7s (Aborted)``, or ``[1] 12.4s ago ... ?`` for a run without an
    end."""
    began = f"{lc.short_delta(now - run.start)} ago" if run.start is not None else "?"
    if run.stop is None or run.start is None:
        return f"[{index}] {began} ... ?"
    took = lc.short_delta(run.stop - run.start)
    return f"[{index}] {began} ... {took} ({value_label(run.returned)})"


def long_run_line(run: StartStop) -> str:
    """``2025-06-01T08:00:01.5 ... 2025-06-01T08:41:08.7 (41m7s) Aborted``, or
    ``2025-06-01T08:00:01.5 ... ?``."""
    began = _tenths(run.start) if run.start is not None else "?"
    if run.stop is None or run.start is None:
        return f"{began} ... ?"
    took = lc.short_delta(run.stop - run.start)
    return f"{began} ... {_tenths(run.stop)} ({took}) {value_label(run.returned)}"


def _runs(home: str, role: str, verb: str) -> list[StartStop]:
    try:
        return role_start_stop(home, role)
    except (OSError, lc.CodecRuntimeError) as error:
        fail(f'cannot {verb} of "{role}" ({error})')


@click.command(name="history", cls=HomeCommand)
@click.argument("role", required=False)
@click.option("--long-listing", "-ll", is_flag=True, help="Start and stop times in full.")
@home_options
def history(
    role: str | None, long_listing: bool, home_path: str | None, debug_level: str | None
) -> None:
    """Print the remembered runs of ROLE, oldest first."""
    if not role:
        fail("cannot report history (no role specified)")
    home = open_home(home_path)
    if not role_exists(home, role):
        fail(f'cannot report history of "{role}" (does not exist)')
    now = datetime.now(timezone.utc)
    for index, run in enumerate(_runs(home, role, "report history")):
        click.echo(long_run_line(run) if long_listing else run_line(index, run, now))


@click.command(name="returned", cls=HomeCommand)
@click.argument("role", required=False)
@click.option("--start", "-s", type=int, default=None, help="The run (negative: from the end).")
@click.option("--timeout", "-t", type=SECONDS, default=None, help="Seconds to wait for the run.")
@home_options
def returned(
    role: str | None,
    start: int | None,
    timeout: float | None,
    home_path: str | None,
    debug_level: str | None,
) -> None:
    """Print the value a run of ROLE (default the group) ended with, in full JSON."""
    role = role or GROUP_ROLE
    verb = "report returned value"
    home = open_home(home_path)
    if not role_exists(home, role):
        fail(f'cannot {verb} of "{role}" (does not exist)')
    runs = _runs(home, role, verb)
    if not runs:
        fail(f'cannot {verb} of "{role}" (no start/stop records)')
    n = -1 if start is None else start
    index = n if n >= 0 else len(runs) + n
    if not 0 <= index < len(runs):
        fail(f'cannot {verb} of "{role}" (start [{n}] out of bounds)')
    run = runs[index]
    latest = index == len(runs) - 1
    if run.stop is None and latest:
        run = _await_stop(home, role, run, timeout, f'cannot {verb} of "{role}"', n)
    if run.stop is None:
        fail(f'cannot {verb} of "{role}" (no record of {role}[{n}] stopping and never will be)')
    click.echo(encode_json(run.returned, pretty=True))


def _await_stop(
    home: str, role: str, run: StartStop, timeout: float | None, failing: str, n: int
) -> StartStop:
    """The run that began at ``run.start``, once it has a stop time; as it is when the role
    no longer runs; a fault after ``timeout`` seconds."""
    deadline = None if timeout is None else time.monotonic() + timeout
    while True:
        if not role_running(home, role):
            break  # ended: read its record once more, below
        if deadline is not None and time.monotonic() >= deadline:
            fail(f'{failing} (timed out ("T1" exceeded))')
        pause = POLL_SECONDS if deadline is None else min(POLL_SECONDS, deadline - time.monotonic())
        time.sleep(max(pause, 0.0))  # the spec's 1 s polls of a run going on
        same = [r for r in _runs(home, role, "report returned value") if r.start == run.start]
        if not same:
            fail(f"{failing} (no record of {role}[{n}] stopping and never will be)")
        run = same[0]
        if run.stop is not None:
            return run
    same = [r for r in _runs(home, role, "report returned value") if r.start == run.start]
    return same[0] if same else run
