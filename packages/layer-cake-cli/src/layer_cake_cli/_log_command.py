"""``layer-cake log <role>`` (cli §4.2): print lines of a role's rolling logs.

The logs are files of ``<home>/role/<role>/logs/`` named by the UTC start of their first
line (``layer_cake.process._rolling``); their lines begin with a fixed-width UTC stamp
``YYYY-MM-DDTHH:MM:SS.mmm``, so a time compares as text. A selection is a begin (a line
count from the end, ``--tail``, or a time) and an optional end (a time, exclusive, or a
count of lines). Reading streams: files are opened one at a time in name order, starting at
the last file that began at or before the begin time; ``--tail`` counts the lines of files
from the newest back until it has enough, then reads forward. A line without a stamp (the
rest of a multi-line text) goes with the line before it.

``--follow`` (``-f``) goes on printing lines as the role writes them (polling the newest
file and looking for the next one), until control-c (exit 0). Errors name the options as
they are typed (``--from``, not the parameter name ``from_``).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import sys
import time
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from typing import Any

import click

import layer_cake as lc
from layer_cake.daemon import log_files, logs_path, role_exists

from ._arguments import HomeCommand
from ._fault import fail
from ._home import home_options, open_home
from ._records import RecordsUnreadable, read_runs

__all__ = [
    "log",
    "LAST_UNITS",
    "DEFAULT_TAIL",
    "unit_start",
    "stamp_of",
    "name_stamp",
    "select_files",
    "read_lines",
    "tail_lines",
]

#: ``--tail`` when stdout is not a terminal (NEW in the spec).
DEFAULT_TAIL = 40
#: The calendar units of ``--last``: the minutes of the sub-hour ones.
LAST_UNITS = {
    "MONTH": None,
    "WEEK": None,
    "DAY": None,
    "HOUR": 60,
    "HALF": 30,
    "QUARTER": 15,
    "TEN": 10,
    "FIVE": 5,
    "MINUTE": 1,
}

#: How often ``--follow`` looks for new lines.
FOLLOW_SECONDS = 0.25
_STAMP_WIDTH = 23  # YYYY-MM-DDTHH:MM:SS.mmm
_TAG_COLUMN = 24


class MomentParam(click.ParamType):
    """An ISO time (``2025-06-01T10:20``, ``t`` accepted); naive times are placed in UTC, or
    in local time with ``--clock``, later (``resolve``)."""

    name = "iso-time"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        if isinstance(value, datetime):
            return value
        text = str(value).strip()
        if len(text) > 10 and text[10] == "t":
            text = f"{text[:10]}T{text[11:]}"
        try:
            return datetime.fromisoformat(text)
        except ValueError:
            self.fail(f'expecting an ISO time such as 2025-06-01T10:20:30, not "{value}"')


class SpanParam(click.ParamType):
    """A TimeSpan (``1h30m``, ``90s``), in seconds."""

    name = "time-span"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        if isinstance(value, float):
            return value
        try:
            return lc.text_to_span(str(value))
        except ValueError as error:
            self.fail(str(error))


MOMENT = MomentParam()
SPAN = SpanParam()


# Times -----------------------------------------------------------------------------------------


def _zone(clock: bool) -> Any:
    return datetime.now().astimezone().tzinfo if clock else timezone.utc


def resolve(moment: datetime, clock: bool) -> datetime:
    """An aware time: a naive one is UTC, or local with ``clock``."""
    if moment.tzinfo is None:
        if clock:
            return moment.astimezone()  # naive as local time
        return moment.replace(tzinfo=timezone.utc)
    return moment


def unit_start(unit: str, now: datetime) -> datetime:
    """The start of the calendar ``unit`` (``LAST_UNITS``) that holds ``now``, in the zone of
    ``now``; weeks start on Monday."""
    day = now.replace(hour=0, minute=0, second=0, microsecond=0)
    if unit == "MONTH":
        return day.replace(day=1)
    if unit == "WEEK":
        return day - timedelta(days=now.weekday())
    if unit == "DAY":
        return day
    minutes = LAST_UNITS[unit]
    assert minutes is not None
    return now.replace(minute=now.minute - now.minute % minutes, second=0, microsecond=0)


def stamp_of(moment: datetime) -> str:
    """The UTC stamp of a log line at ``moment`` (aware): ``YYYY-MM-DDTHH:MM:SS.mmm``."""
    utc = moment.astimezone(timezone.utc)
    return utc.strftime("%Y-%m-%dT%H:%M:%S") + f".{utc.microsecond // 1000:03d}"


def _shown(moment: datetime, clock: bool) -> str:
    """A time for an error message: as lines show them (UTC, or local with ``t``)."""
    if not clock:
        return stamp_of(moment)
    local = moment.astimezone()
    return local.strftime("%Y-%m-%dt%H:%M:%S") + f".{local.microsecond // 1000:03d}"


def _local_stamp(stamp: str) -> str:
    """A line's UTC stamp as local time, lower-case ``t`` (``--clock``)."""
    try:
        utc = datetime.strptime(stamp, "%Y-%m-%dT%H:%M:%S.%f").replace(tzinfo=timezone.utc)
    except ValueError:
        return stamp
    return _shown(utc, True)


# Reading ---------------------------------------------------------------------------------------


def _is_stamp(line: str) -> bool:
    return (
        len(line) > _TAG_COLUMN
        and line[4] == "-"
        and line[10] == "T"
        and line[19] == "."
        and line[:4].isdigit()
    )


def select_files(names: list[str], begin: str | None, end: str | None) -> list[str]:
    """The files (sorted names) that may hold lines from ``begin`` to before ``end`` (stamps,
    None for open): from the last that started at or before ``begin``, up to the last that
    started before ``end``."""
    starts = [name_stamp(n) for n in names]
    first = 0
    if begin is not None:
        for i, stamp in enumerate(starts):
            if stamp <= begin:
                first = i
    if end is None:
        return names[first:]
    return [n for n, stamp in zip(names[first:], starts[first:], strict=True) if stamp < end]


def name_stamp(name: str) -> str:
    """The stamp of the first line of a file named ``YYYYhMMhDDTHHcMMcSSpmmm``."""
    return name.replace("h", "-").replace("c", ":").replace("p", ".")


def _entries(folder: str, names: list[str], skip: int = 0) -> Iterator[tuple[str, str]]:
    """``(stamp, line)`` of the files in order, after the first ``skip`` physical lines; a
    line without a stamp gets the stamp of the line before it."""
    stamp = ""
    for name in names:
        path = os.path.join(folder, name)
        try:
            f = open(path, encoding="utf-8", errors="replace")  # noqa: SIM115 - closed below
        except OSError:
            continue  # deleted by the running role meanwhile
        with f:
            for physical in f:
                if skip:
                    skip -= 1
                    continue
                line = physical.rstrip("\n")
                if _is_stamp(line):
                    stamp = line[:_STAMP_WIDTH]
                yield stamp, line


def read_lines(
    folder: str, begin: str | None, end: str | None, names: list[str] | None = None
) -> Iterator[tuple[str, str]]:
    """``(stamp, line)`` of the lines from ``begin`` to before ``end``, in time order."""
    if names is None:
        names = log_files(folder)
    for stamp, line in _entries(folder, select_files(names, begin, end)):
        if begin is not None and stamp < begin:
            continue
        if end is not None and stamp >= end:
            return
        yield stamp, line


def _count(path: str) -> int:
    try:
        with open(path, "rb") as f:
            return sum(chunk.count(b"\n") for chunk in iter(lambda: f.read(1 << 16), b""))
    except OSError:
        return 0


def tail_lines(folder: str, n: int, names: list[str] | None = None) -> Iterator[tuple[str, str]]:
    """``(stamp, line)`` of the last ``n`` lines, oldest first."""
    if names is None:
        names = log_files(folder)
    total = 0
    first = len(names)
    while first > 0 and total < n:
        first -= 1
        total += _count(os.path.join(folder, names[first]))
    yield from _entries(folder, names[first:], skip=max(0, total - n))


# The command -----------------------------------------------------------------------------------


def _failing(role: str) -> str:
    return f'cannot show log of "{role}"'


@click.command(name="log", cls=HomeCommand)
@click.argument("role", required=False)
@click.option("--tail", type=int, default=None, help="The last N lines.")
@click.option("--from_", "--from", "from_", type=MOMENT, default=None, help="From this time.")
@click.option(
    "--last",
    "-l",
    type=click.Choice(list(LAST_UNITS), case_sensitive=False),
    default=None,
    help="From the start of the current calendar unit.",
)
@click.option("--start", type=int, default=None, help="Run N of history (negative: from the end).")
@click.option("--back", "-b", type=SPAN, default=None, help="From this long ago.")
@click.option("--to", type=MOMENT, default=None, help="Up to this time.")
@click.option("--span", type=SPAN, default=None, help="For this long.")
@click.option("--count", type=int, default=None, help="At most N lines.")
@click.option("--clock", is_flag=True, help="Local time in and out.")
@click.option("--tags", default=None, help="Only lines with these tag characters.")
@click.option("--sample", default=None, help="The values of the & lines named NAME.")
@click.option("--follow", "-f", is_flag=True, help="Go on printing new lines until control-c.")
@home_options
def log(
    role: str | None,
    tail: int | None,
    from_: datetime | None,
    last: str | None,
    start: int | None,
    back: float | None,
    to: datetime | None,
    span: float | None,
    count: int | None,
    clock: bool,
    tags: str | None,
    sample: str | None,
    follow: bool,
    home_path: str | None,
    debug_level: str | None,
) -> None:
    """Print lines of the rolling logs of ROLE."""
    if not role:
        fail("cannot show log (no role specified)")
    failing = _failing(role)
    home = open_home(home_path)
    if not role_exists(home, role):
        fail(f"{failing} (does not exist)")
    begins = [x for x in (tail, from_, last, start, back) if x is not None]
    if len(begins) > 1:
        fail(f"{failing} (need one of --tail, --from, --last, --start or --back)")
    if len([x for x in (to, span, count) if x is not None]) > 1:
        fail(f"{failing} (optional use of --to, --span or --count)")
    if follow and any(x is not None for x in (to, span, count)):
        fail(f"{failing} (--follow with --to, --span or --count)")
    if sample is not None and tags is not None:
        fail(f"{failing} (sampling is by a specific tag)")
    if not begins:
        tail = _default_tail()
    if tail is not None and tail < 1:
        fail(f"{failing} (tail [{tail}] out of range)")
    if count is not None and count < 0:
        fail(f"{failing} (count [{count}] out of range)")

    now = datetime.now(_zone(clock))
    begin: datetime | None = None
    end: datetime | None = None
    if from_ is not None:
        begin = resolve(from_, clock)
    elif last is not None:
        begin = unit_start(last.upper(), now)
    elif back is not None:
        begin = now - timedelta(seconds=back)
    elif start is not None:
        begin, end = _run_bounds(home, role, start, failing)
    if to is not None:
        end = resolve(to, clock)
    elif span is not None:
        if begin is None:
            fail(f"{failing} (span has nowhere to start)")
        end = begin + timedelta(seconds=span)
    if begin is not None and end is not None and end < begin:
        fail(f"{failing} ({_shown(end, clock)} comes before {_shown(begin, clock)})")

    folder = logs_path(home, role)
    if tail is not None:
        lines = tail_lines(folder, tail)
        if end is not None:
            lines = _before(lines, stamp_of(end))
    else:
        assert begin is not None
        lines = read_lines(folder, stamp_of(begin), None if end is None else stamp_of(end))
    start_of_follow = _follow_start(folder) if follow else (None, 0)
    try:
        _print(lines, count, clock, tags, sample)
        if follow:
            _print(_followed(folder, start_of_follow), None, clock, tags, sample)
    except KeyboardInterrupt:
        if follow:
            sys.exit(0)  # the one way to end a follow
        fail(str(lc.Aborted()))
    except BrokenPipeError:
        _quiet_exit()


def _follow_start(folder: str) -> tuple[str | None, int]:
    """Where a follow begins: the newest file and its size now (taken before the first lines
    print, so a line written meanwhile is printed, perhaps twice, never lost)."""
    names = log_files(folder)
    current = names[-1] if names else None
    return current, _size(os.path.join(folder, current)) if current else 0


def _followed(folder: str, start: tuple[str | None, int]) -> Iterator[tuple[str, str]]:
    """``(stamp, line)`` of the lines written after ``start``, as they come (forever)."""
    current, offset = start
    stamp = ""
    partial = b""
    while True:
        if current is not None:
            path = os.path.join(folder, current)
            with _opened(path) as f:
                if f is not None:
                    f.seek(offset)
                    chunk = f.read()
                    offset += len(chunk)
                    partial += chunk
            *complete, partial = partial.split(b"\n")
            for raw in complete:
                line = raw.decode("utf-8", errors="replace")
                if _is_stamp(line):
                    stamp = line[:_STAMP_WIDTH]
                yield stamp, line
        later = [n for n in log_files(folder) if current is None or n > current]
        if later:
            current, offset, partial = later[0], 0, b""
            continue  # read the next file at once
        sys.stdout.flush()
        time.sleep(FOLLOW_SECONDS)  # polling the file for new lines


def _size(path: str) -> int:
    try:
        return os.path.getsize(path)
    except OSError:
        return 0


@contextlib.contextmanager
def _opened(path: str) -> Iterator[Any]:
    try:
        f = open(path, "rb")  # noqa: SIM115 - closed below
    except OSError:
        yield None
        return
    with f:
        yield f


def _default_tail() -> int:
    if sys.stdout.isatty():
        return max(1, shutil.get_terminal_size().lines - 2)
    return DEFAULT_TAIL


def _run_bounds(home: str, role: str, n: int, failing: str) -> tuple[datetime, datetime | None]:
    """The start of run ``n`` of the role's history and the start of the next run."""
    try:
        runs = read_runs(home, role)
    except RecordsUnreadable as error:
        fail(f"{failing} ({error})")
    if not runs:
        fail(f"{failing} (no history available)")
    index = n if n >= 0 else len(runs) + n
    if not 0 <= index < len(runs) or runs[index].start is None:
        fail(f"{failing} (start [{n} out of range])")
    following = runs[index + 1].start if index + 1 < len(runs) else None
    return runs[index].start, following  # type: ignore[return-value]


def _before(lines: Iterator[tuple[str, str]], end: str) -> Iterator[tuple[str, str]]:
    for stamp, line in lines:
        if stamp >= end:
            return
        yield stamp, line


def _print(
    lines: Iterator[tuple[str, str]],
    count: int | None,
    clock: bool,
    tags: str | None,
    sample: str | None,
) -> None:
    printed = 0
    out = sys.stdout
    head = f"{sample} (" if sample is not None else ""
    for stamp, line in lines:
        if count is not None and printed >= count:
            break
        tag = line[_TAG_COLUMN] if len(line) > _TAG_COLUMN and line[:_STAMP_WIDTH] == stamp else ""
        if tags is not None and tag not in tags:
            continue
        shown = _local_stamp(stamp) if clock else stamp
        if sample is not None:
            values = _sampled(line, tag, head)
            if values is None:
                continue
            out.write("\t".join([shown, *values]) + "\n")
        else:
            out.write(f"{shown}{line[_STAMP_WIDTH:]}\n" if clock and tag else f"{line}\n")
        printed += 1
    out.flush()


def _sampled(line: str, tag: str, head: str) -> list[str] | None:
    """The values of an ``&`` line ``... - name (k=v, k=v)`` named by ``head``, or None."""
    if tag != "&":
        return None
    _, found, text = line.partition(" - ")
    if not found or not text.startswith(head) or not text.endswith(")"):
        return None
    pairs = text[len(head) : -1].split(", ")
    return [pair.partition("=")[2] for pair in pairs]


def _quiet_exit() -> None:
    """The reader went away (``| head``): stop without a traceback."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    sys.exit(0)
