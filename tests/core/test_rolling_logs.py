"""Rolling logs (cli.md §2; api-core §9, §11.2 ``keep-logs``): the file names, the rotation
and the second sink of the log path, then real role processes run with ``--keep-logs``.

The processes are waited for (their end), never slept on; deadlines are generous.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import textwrap
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

import layer_cake as lc
from layer_cake.process._persistence import File
from layer_cake.process._role import make_home, make_role, role_path, role_start_stop
from layer_cake.process._rolling import (
    BYTES_PER_FILE,
    LINES_PER_FILE,
    RollingLog,
    file_name,
    files_kept,
    log_files,
    logs_path,
    name_time,
)
from layer_cake.runtime._log import LOG, set_rolling, write_entry

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX processes")

# The installed package's parent: never the source tree (no compiled modules there under nox).
INSTALLED = Path(lc.__file__).resolve().parent.parent
PATIENCE = 60.0  # only reached when a test fails

LINE = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3} . <[0-9a-f]{8}>\S+ - .*")

# A role that logs `count` CONSOLE lines as fast as it can, from `threads` threads at once.
LOGGER = """
import threading

import layer_cake as lc


def logger(self, count: int = 10, threads: int = 1):
    def burst(t):
        for i in range(count // threads):
            self.console("line", t=t, i=i)

    workers = [threading.Thread(target=burst, args=(t,)) for t in range(threads)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    return count


lc.bind(logger)

if __name__ == "__main__":
    lc.create(logger)
"""


@pytest.fixture
def home(tmp_path: Path) -> str:
    path = str(tmp_path / "home")
    make_home(path)
    script = tmp_path / "logger.py"
    script.write_text(textwrap.dedent(LOGGER))
    make_role(path, "logger", str(script), {})
    return path


def run_role(home: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(INSTALLED), env.get("PYTHONPATH", "")) if p)
    script = Path(home).parent / "logger.py"
    return subprocess.run(
        [sys.executable, str(script), f"--home-path={home}", "--role-name=logger", *args],
        cwd=script.parent,
        env=env,
        capture_output=True,
        text=True,
        timeout=PATIENCE,
        check=False,
        stdin=subprocess.DEVNULL,
    )


def read_logs(folder: str) -> list[list[str]]:
    """The lines of each rolling-log file, oldest file first."""
    files = []
    for name in log_files(folder):
        with open(os.path.join(folder, name), encoding="utf-8") as f:
            files.append(f.read().splitlines())
    return files


def stamp_name(line: str) -> str:
    return line[:23].replace("-", "h").replace(":", "c").replace(".", "p")


# Names and selection -----------------------------------------------------------------------------


def test_file_name_is_the_utc_stamp_with_letters_for_punctuation():
    when = 1748773230.125  # 2025-06-01T10:20:30.125Z
    assert file_name(when) == "2025h06h01T10c20c30p125"
    assert name_time("2025h06h01T10c20c30p125") == when
    assert file_name(1748773230.9999) == "2025h06h01T10c20c30p999"  # truncated, as line stamps


def test_names_that_are_not_rolling_logs_are_ignored(tmp_path: Path):
    for name in ("2025h06h01T10c20c30p125", "2024h01h01T00c00c00p000", "notes.txt", "2025-06-01"):
        (tmp_path / name).write_text("")
    assert name_time("notes.txt") is None
    assert log_files(str(tmp_path)) == ["2024h01h01T00c00c00p000", "2025h06h01T10c20c30p125"]
    assert log_files(str(tmp_path / "missing")) == []


def test_files_kept_is_log_storage_over_120_times_16384_at_least_one():
    assert BYTES_PER_FILE == 120 * 16384
    assert files_kept(268435456) == 136
    assert files_kept(3 * BYTES_PER_FILE + 1) == 3
    assert files_kept(BYTES_PER_FILE - 1) == 1
    assert files_kept(0) == 1


def test_a_file_takes_16384_lines_and_the_oldest_beyond_the_limit_are_deleted(tmp_path: Path):
    sink = RollingLog(str(tmp_path), keep=2)
    total = 3 * LINES_PER_FILE + 5
    try:
        for i in range(total):
            sink.write(f"line {i}\n", 1748773230.0 + i / 1000)
    finally:
        sink.close()
    names = log_files(str(tmp_path))
    assert len(names) == 2
    files = read_logs(str(tmp_path))
    assert len(files[0]) == LINES_PER_FILE and len(files[1]) == 5
    assert files[1][-1] == f"line {total - 1}"
    assert names[1] == file_name(1748773230.0 + (3 * LINES_PER_FILE) / 1000)


def test_files_opened_within_one_millisecond_get_distinct_later_names(tmp_path: Path):
    for _ in range(3):
        sink = RollingLog(str(tmp_path), keep=10)
        sink.write("x\n", 1748773230.125)
        sink.close()
    assert log_files(str(tmp_path)) == [
        "2025h06h01T10c20c30p125",
        "2025h06h01T10c20c30p126",
        "2025h06h01T10c20c30p127",
    ]


@pytest.fixture
def log_state() -> Iterator[None]:
    """The log path's levels as they were before the test (other helpers set ``LOG.level``
    directly)."""
    saved = (LOG.level, LOG.stderr_level, LOG.rolling, LOG.rolling_level)
    try:
        yield
    finally:
        LOG.level, LOG.stderr_level, LOG.rolling, LOG.rolling_level = saved


class Collected:
    def __init__(self) -> None:
        self.lines: list[tuple[str, float]] = []

    def write(self, line: str, when: float) -> None:
        self.lines.append((line, when))


def test_the_second_sink_gets_entries_at_its_own_level_without_the_pid(log_state):
    sink = Collected()
    old_stderr = LOG.stderr_level
    set_rolling(sink, lc.USER_LOG.CONSOLE)
    try:
        assert LOG.level == min(old_stderr, int(lc.USER_LOG.CONSOLE))
        write_entry("^", (0, 0x11), "app", "milestone")
        write_entry("~", (0, 0x11), "app", "below the level")
    finally:
        set_rolling(None)
    assert LOG.level == old_stderr
    assert len(sink.lines) == 1
    line, when = sink.lines[0]
    assert LINE.fullmatch(line.rstrip("\n")), line
    assert line.endswith(" ^ <00000011>app - milestone\n") and line[23] == " " and line[24] == "^"
    assert file_name(when) == stamp_name(line)


def test_lines_from_many_threads_are_whole_and_in_time_order(tmp_path: Path, log_state):
    sink = RollingLog(str(tmp_path), keep=5)
    set_rolling(sink, lc.USER_LOG.DEBUG)
    try:

        def burst(t: int) -> None:
            for i in range(2000):
                write_entry("_", (0, t), "worker", f"t={t} i={i}")

        workers = [threading.Thread(target=burst, args=(t,)) for t in range(8)]
        for w in workers:
            w.start()
        for w in workers:
            w.join()
    finally:
        set_rolling(None)
        sink.close()
    lines = [line for f in read_logs(str(tmp_path)) for line in f]
    assert len(lines) == 16000
    assert all(LINE.fullmatch(line) for line in lines)
    stamps = [line[:23] for line in lines]
    assert stamps == sorted(stamps)


# Real processes ----------------------------------------------------------------------------------


def test_a_role_run_with_keep_logs_leaves_its_lines_in_a_file_named_by_its_first(home: str):
    done = run_role(home, "--keep-logs", "--count=5")
    assert (done.returncode, done.stdout.strip(), done.stderr) == (0, "5", "")
    files = read_logs(logs_path(home, "logger"))
    assert len(files) == 1
    lines = files[0]
    assert all(LINE.fullmatch(line) for line in lines)
    assert log_files(logs_path(home, "logger")) == [stamp_name(lines[0])]
    console = [line for line in lines if line[24] == "^"]
    assert [line.partition(" - ")[2] for line in console] == [
        f"line (t=0, i={i})" for i in range(5)
    ]
    assert any(" + <" in line and "logger - Created by" in line for line in lines)  # DEBUG
    run = role_start_stop(home, "logger")[-1]
    assert lines[0][:19] >= run.start.strftime("%Y-%m-%dT%H:%M:%S")


def test_debug_level_sets_the_level_of_the_rolling_log_too(home: str):
    done = run_role(home, "--keep-logs", "--count=3", "--debug-level=CONSOLE")
    assert done.returncode == 0, done.stderr
    lines = read_logs(logs_path(home, "logger"))[0]
    assert {line[24] for line in lines} == {"^"}
    assert len(done.stderr.splitlines()) == 3  # and stderr, with the [PID] prefix
    assert [line[11:] for line in done.stderr.splitlines()] == lines


def test_a_role_run_from_the_shell_keeps_no_logs(home: str):
    done = run_role(home, "--count=3")
    assert done.returncode == 0, done.stderr
    assert log_files(logs_path(home, "logger")) == []


def test_each_run_starts_a_new_file(home: str):
    for _ in range(2):
        assert run_role(home, "--keep-logs", "--count=2").returncode == 0
    names = log_files(logs_path(home, "logger"))
    assert len(names) == 2
    starts = [r.start for r in role_start_stop(home, "logger")]
    assert all(name_time(n) >= s.timestamp() - 0.001 for n, s in zip(names, starts, strict=True))


def test_a_role_that_logs_40000_lines_keeps_at_most_its_share_of_files(home: str):
    keep = 2
    File(os.path.join(role_path(home, "logger"), "log_storage"), int).store(keep * BYTES_PER_FILE)
    done = run_role(home, "--keep-logs", "--count=40000", "--threads=4")
    assert done.returncode == 0, done.stderr
    names = log_files(logs_path(home, "logger"))
    assert len(names) == keep
    files = read_logs(logs_path(home, "logger"))
    assert len(files[0]) == LINES_PER_FILE  # a full file, then the rest
    total = sum(1 for line in files[0] + files[1] if line[24] == "^")
    assert 0 < total <= 40000
    assert names == [stamp_name(f[0]) for f in files]
    assert all(LINE.fullmatch(line) for f in files for line in f)
