"""``layer-cake run``, ``start``, ``stop``, ``status``, ``history`` and ``returned`` (cli §4,
§5) as real subprocesses: group-cake runs the roles of a home; control-c, ``stop`` and the
main role end them; the runs are remembered in the roles' ``start_stop.json``.

Each home's group points at a port no one listens on (``NOBODY``); roles print on stderr.
"""

from __future__ import annotations

import json
import os
import re
import signal

import pytest
from home_support import (
    Jobs,
    alive,
    cli,
    home_pids,
    make_home,
    wait_until,
)

from layer_cake.process._role import HeadLock

FAULTY = 71
ABORTED = "layer-cake: aborted (user or software interrupt)"


def fault_of(done) -> str:
    assert done.returncode == FAULTY, (done.stdout, done.stderr)
    assert done.stdout == ""
    return done.stderr.strip().splitlines()[-1]


def all_gone(pids) -> bool:
    return not any(alive(pid) for pid in pids)


@pytest.fixture
def jobs():
    j = Jobs()
    try:
        yield j
    finally:
        j.close()


def test_run_joins_the_roles_in_a_group_and_control_c_ends_them_all(tmp_path, jobs) -> None:
    home = make_home(tmp_path, ("publisher.py", "pub"), ("subscriber.py", "sub"))
    job = jobs(tmp_path, "run")
    job.expect("AVAILABLE svc:group GROUP")
    pids = wait_until(lambda: len(home_pids(home)) == 3 and home_pids(home), "all running")
    assert [line.split()[0] for line in cli(tmp_path, "status", "-ll").stdout.splitlines()] == [
        "pub",
        "sub",
    ]
    assert [
        line.split()[0] for line in cli(tmp_path, "status", "-ll", "-gr").stdout.splitlines()
    ] == ["group", "pub", "sub"]
    long = cli(tmp_path, "status", "--long-listing").stdout.splitlines()
    assert [line.split()[:2] for line in long] == [
        ["pub", f"<{pids['pub']}>"],
        ["sub", f"<{pids['sub']}>"],
    ]
    assert all(re.fullmatch(r"\w{3} {21,}<\d+> [\d.hms]+", line) for line in long), long

    job.interrupt()
    assert job.wait() == FAULTY
    assert job.stdout == []
    assert job.stderr[-1] == ABORTED
    wait_until(lambda: all_gone(pids.values()), "every process gone")
    assert home_pids(home) == {}
    for role in ("pub", "sub", "group"):
        assert cli(tmp_path, "history", role).stdout.rstrip().endswith("(Aborted)")


def test_run_with_main_role_ends_with_its_value(tmp_path, jobs) -> None:
    make_home(
        tmp_path,
        ("role.py", "quick", "--value=5", "--after=0.5"),
        ("role.py", "slow"),
    )
    job = jobs(tmp_path, "run", "--main-role=quick")
    assert job.wait() == 0, job.stderr
    assert job.stdout == ["5"]
    assert cli(tmp_path, "history", "slow").stdout.rstrip().endswith("(Aborted)")
    assert json.loads(cli(tmp_path, "returned").stdout) == 5
    full = json.loads(cli(tmp_path, "returned", "--full-output").stdout)
    assert full == {"value": ["integer8", 5, []]}


def test_run_without_main_role_prints_the_table_of_last_values(tmp_path) -> None:
    make_home(
        tmp_path,
        ("role.py", "a", "--value=1", "--after=0.1"),
        ("role.py", "b", "--value=2", "--after=0.2"),
        ("role.py", "c", "--value=3", "--after=0.1"),
    )
    done = cli(tmp_path, "run", "a", "b")
    assert done.returncode == 0, done.stderr
    assert sorted(json.loads(done.stdout)) == [
        ["a", ["integer8", 1, []]],
        ["b", ["integer8", 2, []]],
    ]
    assert done.stdout.startswith("[\n    [\n")  # pretty, 4-space indent
    assert cli(tmp_path, "history", "c").stdout == ""  # not selected: never ran


def test_run_ends_with_the_fault_of_the_main_role(tmp_path) -> None:
    make_home(tmp_path, ("role.py", "broken", "--fail"), ("role.py", "slow"))
    done = cli(tmp_path, "run", "--main-role=broken")
    assert fault_of(done) == "layer-cake: cannot do the work (asked to fail)"
    assert cli(tmp_path, "history", "broken").stdout.rstrip().endswith("(Faulted)")


def test_run_and_start_refuse(tmp_path) -> None:
    home = make_home(tmp_path)
    for verb in ("run", "start"):
        assert fault_of(cli(tmp_path, verb)) == f"layer-cake: cannot {verb} (empty)"
    assert cli(tmp_path, "add", "role.py", "r").returncode == 0
    for verb in ("run", "start"):
        assert fault_of(cli(tmp_path, verb, "x")) == (
            f'layer-cake: cannot {verb} (no roles matching "x")'
        )
        assert fault_of(cli(tmp_path, verb, "--main-role=q")) == (
            f'layer-cake: cannot {verb} (main role "q" is not one of the roles selected)'
        )
        with HeadLock.acquire(str(home), "r"):
            assert fault_of(cli(tmp_path, verb)) == (
                f'layer-cake: cannot {verb} (roles "r" are already running)'
            )
    (home / "role" / "r" / "settings.json").unlink()
    assert fault_of(cli(tmp_path, "run")) == (
        f'layer-cake: cannot open path "{home}" '
        "(does not exist or contains unexpected/incomplete materials, missing role/r/settings.json)"
    )


def test_start_status_and_stop_wait(tmp_path, jobs) -> None:
    home = jobs.watch(make_home(tmp_path, ("role.py", "worker", "-rc=3")))
    done = cli(tmp_path, "start")
    assert (done.returncode, done.stdout, done.stderr) == (0, "", "")
    pids = home_pids(home)  # start returns once every role runs
    assert sorted(pids) == ["group", "worker-0", "worker-1", "worker-2"]
    running = [line.split()[0] for line in cli(tmp_path, "status", "-ll").stdout.splitlines()]
    assert running == ["worker-0", "worker-1", "worker-2"]
    one = cli(tmp_path, "status", "-ll", "worker-1").stdout.splitlines()
    assert [line.split()[0] for line in one] == ["worker-1"]
    assert fault_of(cli(tmp_path, "start")) == (
        'layer-cake: cannot start (roles "group,worker-0,worker-1,worker-2" are already running)'
    )
    assert fault_of(cli(tmp_path, "destroy")).endswith(
        '(running roles "group,worker-0,worker-1,worker-2")'
    )

    done = cli(tmp_path, "stop", "--wait")
    assert (done.returncode, done.stdout, done.stderr) == (0, "", "")
    assert home_pids(home) == {}
    wait_until(lambda: all_gone(pids.values()), "every process gone")
    assert fault_of(cli(tmp_path, "status", "-ll")) == (
        "layer-cake: cannot report status (nothing running)"
    )
    assert fault_of(cli(tmp_path, "stop")) == "layer-cake: cannot stop (nothing running)"
    assert cli(tmp_path, "history", "worker-0").stdout.rstrip().endswith("(Aborted)")


def test_stop_returns_at_once_and_the_group_stops_its_roles(tmp_path, jobs) -> None:
    home = make_home(tmp_path, ("role.py", "r"))
    job = jobs(tmp_path, "run")
    job.expect("READY r")
    pids = wait_until(lambda: len(home_pids(home)) == 2 and home_pids(home), "all running")
    done = cli(tmp_path, "stop")
    assert (done.returncode, done.stdout, done.stderr) == (0, "", "")
    assert job.wait() == FAULTY
    assert job.stderr[-1] == ABORTED
    assert any(line.startswith("STOPPED r") for line in job.stderr)
    wait_until(lambda: all_gone(pids.values()), "every process gone")


def test_stop_and_status_of_an_empty_home(tmp_path) -> None:
    make_home(tmp_path)
    assert fault_of(cli(tmp_path, "stop")) == "layer-cake: cannot stop (empty)"
    assert fault_of(cli(tmp_path, "status")) == "layer-cake: cannot report status (empty)"


def test_history_and_returned_after_runs(tmp_path) -> None:
    make_home(tmp_path, ("role.py", "quick", "--value=5", "--after=0.1"))
    for value in (5, 6):
        assert cli(tmp_path, "update", "quick", f"--value={value}").returncode == 0
        assert cli(tmp_path, "run").returncode == 0
    lines = cli(tmp_path, "history", "quick").stdout.splitlines()
    assert len(lines) == 2
    for i, line in enumerate(lines):
        assert re.fullmatch(rf"\[{i}\] [\d.dhms]+ ago \.\.\. [\d.hms]+ \(integer8\)", line), line
    long = cli(tmp_path, "history", "quick", "-ll").stdout.splitlines()
    stamp = r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}"
    for line in long:
        assert re.fullmatch(rf"{stamp} \.\.\. {stamp} \([\d.hms]+\) integer8", line), line

    def value_of(*args: str):
        done = cli(tmp_path, "returned", "--full-output", *args)
        assert done.returncode == 0, done.stderr
        return json.loads(done.stdout)["value"]

    assert value_of("quick") == ["integer8", 6, []]
    assert value_of("quick", "--start=0") == ["integer8", 5, []]
    assert value_of("quick", "--start=-2") == ["integer8", 5, []]
    assert value_of()[0] == "map<unicode,any>"  # the group's: the table
    assert value_of("group", "-s=0")[1] == [["quick", ["integer8", 5, []]]]
    failing = 'layer-cake: cannot report returned value of "quick"'
    assert fault_of(cli(tmp_path, "returned", "quick", "--start=2")) == (
        f"{failing} (start [2] out of bounds)"
    )
    assert fault_of(cli(tmp_path, "returned", "quick", "--start=-3")) == (
        f"{failing} (start [-3] out of bounds)"
    )


def test_history_and_returned_faults(tmp_path) -> None:
    make_home(tmp_path, ("role.py", "r"))
    assert cli(tmp_path, "history", "r").stdout == ""
    assert fault_of(cli(tmp_path, "history")) == (
        "layer-cake: cannot report history (no role specified)"
    )
    assert fault_of(cli(tmp_path, "history", "q")) == (
        'layer-cake: cannot report history of "q" (does not exist)'
    )
    assert fault_of(cli(tmp_path, "returned", "r")) == (
        'layer-cake: cannot report returned value of "r" (no start/stop records)'
    )
    assert fault_of(cli(tmp_path, "returned", "q")) == (
        'layer-cake: cannot report returned value of "q" (does not exist)'
    )


def test_returned_waits_for_the_run_going_on(tmp_path, jobs) -> None:
    home = make_home(
        tmp_path, ("role.py", "quick", "--value=8", "--after=2.0"), ("role.py", "slow")
    )
    job = jobs(tmp_path, "run", "--main-role=quick")
    job.expect("READY quick")
    wait_until(lambda: "quick" in home_pids(home), "quick running")
    assert fault_of(cli(tmp_path, "returned", "slow", "--timeout=0.5")).endswith(
        '(timed out ("T1" exceeded))'
    )
    done = cli(tmp_path, "returned", "quick", "--timeout=60")  # waits until quick ends (2 s)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == 8
    assert job.wait() == 0
    assert job.stdout == ["8"]


def test_a_killed_run_has_its_end_recorded_by_the_group(tmp_path, jobs) -> None:
    home = make_home(tmp_path, ("role.py", "victim"))
    job = jobs(tmp_path, "run")
    job.expect("READY victim")
    pid = wait_until(lambda: home_pids(home).get("victim"), "victim running")
    os.kill(pid, signal.SIGKILL)  # by pid: a role of this test's home
    assert job.wait() == FAULTY  # the group ends with the table: the victim's fault in it
    assert job.stderr[-1] == 'layer-cake: cannot run (roles "victim" ended with a fault)'
    assert cli(tmp_path, "history", "victim").stdout.rstrip().endswith("(killed)")
    returned = json.loads(cli(tmp_path, "returned", "victim").stdout)
    assert returned["fault"][1]["condition"] == "killed by signal SIGKILL"


def test_start_reports_a_group_that_ends_before_its_roles_run(tmp_path, jobs) -> None:
    home = jobs.watch(make_home(tmp_path, ("role.py", "r")))
    (home / "role" / "group" / "settings.json").write_text("not json")
    got = fault_of(cli(tmp_path, "start"))
    assert got.startswith(
        'layer-cake: cannot start (unexpected response from group: cannot run role "group"'
    ), got
    assert fault_of(cli(tmp_path, "run")).startswith('layer-cake: cannot run role "group"')
    assert home_pids(home) == {}
