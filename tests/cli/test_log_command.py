"""``layer-cake log`` (cli §4.2) over rolling logs (cli §2) written by real processes: roles
run with ``--keep-logs``, and a home started with ``layer-cake start``; then the selections,
the formats and each error text. The pure parts (units, stamps, file selection) run in-process.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from datetime import datetime, timezone
from pathlib import Path

import pytest
from cli_support import HANG_GUARD
from home_support import Jobs, alive, cli, cli_env, home_pids, make_home, wait_until

from layer_cake.process._rolling import log_files, logs_path
from layer_cake_cli._log_command import name_stamp, select_files, stamp_of, unit_start

FAULTY = 71
FAILING = 'layer-cake: cannot show log of "logger"'

# Logs `count` CONSOLE lines and as many samples, then ends.
LOGGER = """
import layer_cake as lc


def logger(self, count: int = 10):
    for i in range(count):
        self.console("line", i=i)
        self.sample("pos", x=i, y=i * 2)
    return count


lc.bind(logger)

if __name__ == "__main__":
    lc.create(logger)
"""


@pytest.fixture
def jobs():
    j = Jobs()
    try:
        yield j
    finally:
        j.close()


def fault_of(done) -> str:
    assert done.returncode == FAULTY, (done.stdout, done.stderr)
    assert done.stdout == ""
    return done.stderr.strip().splitlines()[-1]


def lines_of(done) -> list[str]:
    assert done.returncode == 0, done.stderr
    return done.stdout.splitlines()


def run_logger(cwd: Path, home: Path, count: int) -> None:
    done = subprocess.run(
        [
            sys.executable,
            "logger.py",
            f"--home-path={home}",
            "--role-name=logger",
            "--keep-logs",
            f"--count={count}",
        ],
        cwd=cwd,
        env=cli_env(),
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=HANG_GUARD,
        check=False,
    )
    assert done.returncode == 0, done.stderr


def stored(home: Path, role: str) -> list[str]:
    """Every stored line of a role, oldest first."""
    folder = logs_path(str(home), role)
    return [
        line
        for name in log_files(folder)
        for line in Path(folder, name).read_text(encoding="utf-8").splitlines()
    ]


@pytest.fixture
def logged(tmp_path: Path) -> Path:
    """A home whose role ``logger`` ran twice with ``--keep-logs`` (5, then 7 lines), and a
    role ``quiet`` that never ran."""
    (tmp_path / "logger.py").write_text(textwrap.dedent(LOGGER))
    home = make_home(tmp_path, ("logger.py",), ("logger.py", "quiet"))
    run_logger(tmp_path, home, 5)
    run_logger(tmp_path, home, 7)
    return home


# Pure parts ----------------------------------------------------------------------------------


def test_last_units_start_at_the_calendar_boundary():
    now = datetime(2025, 6, 5, 10, 47, 31, 500, tzinfo=timezone.utc)  # a Thursday
    expected = {
        "MONTH": datetime(2025, 6, 1, tzinfo=timezone.utc),
        "WEEK": datetime(2025, 6, 2, tzinfo=timezone.utc),
        "DAY": datetime(2025, 6, 5, tzinfo=timezone.utc),
        "HOUR": datetime(2025, 6, 5, 10, tzinfo=timezone.utc),
        "HALF": datetime(2025, 6, 5, 10, 30, tzinfo=timezone.utc),
        "QUARTER": datetime(2025, 6, 5, 10, 45, tzinfo=timezone.utc),
        "TEN": datetime(2025, 6, 5, 10, 40, tzinfo=timezone.utc),
        "FIVE": datetime(2025, 6, 5, 10, 45, tzinfo=timezone.utc),
        "MINUTE": datetime(2025, 6, 5, 10, 47, tzinfo=timezone.utc),
    }
    assert {unit: unit_start(unit, now) for unit in expected} == expected


def test_stamps_and_file_names_compare_as_text():
    moment = datetime(2025, 6, 1, 10, 20, 30, 125999, tzinfo=timezone.utc)
    assert stamp_of(moment) == "2025-06-01T10:20:30.125"
    assert name_stamp("2025h06h01T10c20c30p125") == "2025-06-01T10:20:30.125"


def test_files_are_selected_from_the_last_that_began_before_the_begin():
    names = ["2025h06h01T10c00c00p000", "2025h06h01T11c00c00p000", "2025h06h01T12c00c00p000"]
    assert select_files(names, None, None) == names
    assert select_files(names, "2025-06-01T11:30:00.000", None) == names[1:]
    assert select_files(names, "2025-06-01T11:00:00.000", None) == names[1:]
    assert select_files(names, "2025-06-01T09:00:00.000", None) == names
    assert select_files(names, "2025-06-01T10:30:00.000", "2025-06-01T11:00:00.000") == names[:1]
    assert select_files(names, "2025-06-01T13:00:00.000", "2025-06-01T14:00:00.000") == names[2:]


# Processes -------------------------------------------------------------------------------------


def test_tail_prints_the_last_lines_across_runs(logged: Path, tmp_path: Path):
    every = stored(logged, "logger")
    assert len(log_files(logs_path(str(logged), "logger"))) == 2
    assert lines_of(cli(tmp_path, "log", "logger", "--tail=3")) == every[-3:]
    assert lines_of(cli(tmp_path, "log", "logger", f"--tail={len(every) + 10}")) == every
    assert lines_of(cli(tmp_path, "log", "logger")) == every[-40:]  # stdout is not a terminal
    assert lines_of(cli(tmp_path, "log", "logger", "--tail=10", "--count=4")) == every[-10:-6]


def test_from_and_to_select_by_time(logged: Path, tmp_path: Path):
    every = stored(logged, "logger")
    begin, end = every[3][:23], every[-4][:23]
    expected = [line for line in every if begin <= line[:23] < end]
    assert lines_of(cli(tmp_path, "log", "logger", f"--from_={begin}", f"--to={end}")) == expected
    assert lines_of(cli(tmp_path, "log", "logger", f"--from_={begin}")) == [
        line for line in every if line[:23] >= begin
    ]
    got = lines_of(cli(tmp_path, "log", "logger", "--from_=2000-01-01", "--count=2"))
    assert got == every[:2]
    assert lines_of(cli(tmp_path, "log", "logger", "--back=1d")) == every
    assert lines_of(cli(tmp_path, "log", "logger", "--from_=2000-01-01", "--span=1d")) == []


def test_start_selects_one_run(logged: Path, tmp_path: Path):
    first = lines_of(cli(tmp_path, "log", "logger", "--start=0"))
    second = lines_of(cli(tmp_path, "log", "logger", "--start=1"))
    assert first + second == stored(logged, "logger")
    assert [line.partition(" - ")[2] for line in first if line[24] == "^"] == [
        f"line (i={i})" for i in range(5)
    ]
    assert lines_of(cli(tmp_path, "log", "logger", "--start=-1")) == second


def test_tags_sample_and_clock(logged: Path, tmp_path: Path):
    every = stored(logged, "logger")
    first = lines_of(cli(tmp_path, "log", "logger", "--start=0"))
    got = lines_of(cli(tmp_path, "log", "logger", "--start=0", "--tags=^&"))
    assert got == [line for line in first if line[24] in "^&"]
    assert {line[24] for line in got} == {"^", "&"} and len(got) == 10
    sampled = lines_of(cli(tmp_path, "log", "logger", "--start=1", "--sample=pos"))
    assert [line.split("\t")[1:] for line in sampled] == [[str(i), str(i * 2)] for i in range(7)]
    assert all(len(line.split("\t")[0]) == 23 for line in sampled)
    assert lines_of(cli(tmp_path, "log", "logger", "--start=1", "--sample=nothing")) == []
    clocked = lines_of(cli(tmp_path, "log", "logger", "--tail=2", "--clock"))
    assert [line[10] for line in clocked] == ["t", "t"]
    assert [line[23:] for line in clocked] == [line[23:] for line in every[-2:]]


def test_each_error(logged: Path, tmp_path: Path):
    def fault(*args: str) -> str:
        return fault_of(cli(tmp_path, "log", *args))

    assert fault() == "layer-cake: cannot show log (no role specified)"
    assert fault("nobody") == 'layer-cake: cannot show log of "nobody" (does not exist)'
    assert fault("logger", "--tail=3", "--back=1h") == (
        f"{FAILING} (need one of --tail, --from, --last, --start or --back)"
    )
    assert fault("logger", "--last=DAY", "--to=2025-01-01", "--count=3") == (
        f"{FAILING} (optional use of --to, --span or --count)"
    )
    assert fault("logger", "--tail=0") == f"{FAILING} (tail [0] out of range)"
    assert fault("logger", "--start=2") == f"{FAILING} (start [2 out of range])"
    assert fault("logger", "--start=-3") == f"{FAILING} (start [-3 out of range])"
    assert (
        fault("quiet", "--start=0")
        == 'layer-cake: cannot show log of "quiet" (no history available)'
    )
    assert fault("logger", "--span=1h") == f"{FAILING} (span has nowhere to start)"
    assert fault("logger", "--from_=2025-06-02", "--to=2025-06-01T12:00") == (
        f"{FAILING} (2025-06-01T12:00:00.000 comes before 2025-06-02T00:00:00.000)"
    )
    assert fault("logger", "--sample=pos", "--tags=&") == (
        f"{FAILING} (sampling is by a specific tag)"
    )
    assert fault("logger", "--from_=yesterday").startswith(
        'layer-cake: cannot decode value for "from_"'
    )


def test_a_started_home_logs_to_rolling_files(tmp_path: Path, jobs):
    home = jobs.watch(make_home(tmp_path, ("role.py", "worker")))
    done = cli(tmp_path, "start")
    assert (done.returncode, done.stderr) == (0, "")
    pids = home_pids(home)
    assert sorted(pids) == ["group", "worker"]
    done = cli(tmp_path, "stop", "--wait")
    assert done.returncode == 0, done.stderr
    wait_until(lambda: not any(alive(pid) for pid in pids.values()), "every process gone")
    for role in ("group", "worker"):
        names = log_files(logs_path(str(home), role))
        lines = stored(home, role)
        assert names and lines, role
        assert name_stamp(names[0]) == lines[0][:23]
    worker = stored(home, "worker")
    assert any(line[24] == "+" and "role - Created by" in line for line in worker)  # DEBUG
    assert any("Received Stop" in line for line in worker)
    group = lines_of(cli(tmp_path, "log", "group", "--start=0"))
    assert any(line[24] == "(" and "Started process" in line for line in group)
    assert lines_of(cli(tmp_path, "log", "worker", "--start=0")) == worker
    assert os.path.isdir(logs_path(str(home), "worker"))
