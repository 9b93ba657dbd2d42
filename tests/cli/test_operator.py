"""The ``layer-cake`` command as an operator uses it beyond the walkthrough (issue 12), as
real subprocesses: daemon roles, roles that fail or are killed, records holding types the
tool cannot import, bad settings and names, exact role selection, ``status`` and its JSON,
options before the sub-command, ``log --follow``, the daemons' ``--help``/``--version``.

Each home's group points at a port no one listens on (``NOBODY``) or at the test's own
host-cake on a free port, never the standard one; roles print on stderr.
"""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import textwrap

import pytest
from cli_support import HANG_GUARD, start_scenario
from directory_support import free_port, hostport
from home_support import Jobs, alive, cli, cli_env, home_pids, make_home, wait_until

FAULTY = 71
ABORTED = "layer-cake: aborted (user or software interrupt)"

# A module of user types the tool cannot import, and a role that returns one of them.
API = """
import layer_cake as lc


class Xy:
    def __init__(self, x: int = 1, y: int = 1):
        self.x = x
        self.y = y


lc.bind(Xy)
"""

XY_ROLE = """
import layer_cake as lc
from api1 import Xy


def xyrole(self, x: int = 5, y: int = 1) -> Xy:
    return Xy(x, y)


lc.bind(xyrole)

if __name__ == "__main__":
    lc.create(xyrole)
"""

# A server that listens at ``port`` for HTTP requests of its own type (a fault of its listen
# then names a type only it knows).
LISTENER = """
import layer_cake as lc
from api1 import Xy


def listener(self, port: int = 0):
    lc.listen(self, lc.HostPort("127.0.0.1", port), http_server=[Xy])
    m = self.input()
    if not isinstance(m, lc.Listening):
        return m
    while True:
        m = self.input()
        if isinstance(m, lc.Stop):
            return lc.Aborted()


lc.bind(listener)

if __name__ == "__main__":
    lc.create(listener)
"""

NOT_LAYER_CAKE = """
print("hello, I am not a layer-cake program")
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
    return done.stderr.strip().splitlines()[-1]


def all_gone(pids) -> bool:
    return not any(alive(pid) for pid in pids)


# 1. Daemon roles -------------------------------------------------------------------------------


def test_a_host_cake_role_runs_at_host_scope_with_the_group_beneath_it(tmp_path, jobs) -> None:
    port = free_port()
    home = jobs.watch(make_home(tmp_path, group=hostport(port)))
    added = cli(tmp_path, "add", "host-cake", f"--directory-at-host={hostport(port)}")
    assert added.returncode == 0, added.stderr
    assert cli(tmp_path, "add", "publisher.py", "pub").returncode == 0
    done = cli(tmp_path, "start")
    assert done.returncode == 0, done.stderr
    wait_until(lambda: len(home_pids(home)) == 3, "group, host-cake and pub running")

    def tree():
        listed = cli(tmp_path, "network", f"--connect-to-directory=127.0.0.1:{port}", "-lp")
        return listed.returncode == 0 and "publisher.py" in listed.stdout and listed.stdout

    lines = wait_until(tree, "the tree listed").splitlines()
    assert re.fullmatch(r"\[HOST\] host-cake \(\w{8}\)", lines[0]), lines
    assert re.fullmatch(r"\+   \[GROUP\] group-cake \(\w{8}\)", lines[1]), lines
    assert re.fullmatch(r"\+   \+   \[PROCESS\] publisher\.py \(\w{8}\)", lines[2]), lines
    pids = home_pids(home)
    assert cli(tmp_path, "stop", "--wait").returncode == 0
    wait_until(lambda: all_gone(pids.values()), "every process gone")


# 2, 13. Failing and killed roles are reported ---------------------------------------------------


def test_run_reports_a_role_that_faults_as_it_ends_and_exits_non_zero(tmp_path) -> None:
    make_home(
        tmp_path,
        ("role.py", "bad", "--fail"),
        ("role.py", "good", "--value=2", "--after=0.5"),
    )
    done = cli(tmp_path, "run")
    assert "bad ended: cannot do the work (asked to fail)" in done.stderr.splitlines()
    assert fault_of(done) == 'layer-cake: cannot run (roles "bad" ended with a fault)'
    table = json.loads(done.stdout)
    assert ["good", ["integer8", 2, []]] in table


def test_a_server_whose_port_is_taken_is_reported_by_run_start_and_status(tmp_path, jobs) -> None:
    home = jobs.watch(make_home(tmp_path))
    (tmp_path / "api1.py").write_text(textwrap.dedent(API))
    (tmp_path / "listener.py").write_text(textwrap.dedent(LISTENER))
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        assert cli(tmp_path, "add", "listener.py", "server", f"--port={port}").returncode == 0
        why = f'cannot listen at "127.0.0.1:{port}" ([Errno 98] Address already in use)'
        ran = cli(tmp_path, "run")
        assert f"server ended: {why}" in ran.stderr.splitlines(), ran.stderr
        assert fault_of(ran) == 'layer-cake: cannot run (roles "server" ended with a fault)'
        started = cli(tmp_path, "start")
        assert fault_of(started) == f'layer-cake: cannot start (role "server" ended: {why})'
        wait_until(lambda: home_pids(home) == {}, "the group ended")
        row = cli(tmp_path, "status").stdout.splitlines()[2]
        assert row.split()[:2] == ["server", "faulted"]
        assert row.endswith(why)


def test_start_fails_when_a_role_faults_during_start_up(tmp_path, jobs) -> None:
    home = jobs.watch(make_home(tmp_path, ("role.py", "bad", "--fail"), ("role.py", "ok")))
    done = cli(tmp_path, "start")
    assert fault_of(done) == (
        'layer-cake: cannot start (role "bad" ended: cannot do the work (asked to fail))'
    )
    wait_until(lambda: "ok" in home_pids(home), "the other role running")
    status = cli(tmp_path, "status").stdout.splitlines()
    bad = next(line for line in status if line.startswith("bad "))
    assert bad.split()[1] == "faulted"
    assert bad.endswith("cannot do the work (asked to fail)")
    assert cli(tmp_path, "stop", "--wait").returncode == 0


def test_status_shows_a_role_due_to_restart(tmp_path, jobs) -> None:
    home = jobs.watch(make_home(tmp_path, ("role.py", "bad", "--fail"), ("role.py", "ok")))
    retry = cli(tmp_path, "update", "group", '--retry={"regular_steps": 600.0}')
    assert retry.returncode == 0, retry.stderr
    assert fault_of(cli(tmp_path, "start")).startswith('layer-cake: cannot start (role "bad"')

    def bad_row():
        rows = cli(tmp_path, "status").stdout.splitlines()[2:]
        row = next(line for line in rows if line.startswith("bad "))
        return "restarting in" in row and row

    row = wait_until(bad_row, "bad due to restart")
    assert re.match(r"bad +restarting in \d+s +- +- +0 +cannot do the work", row), row
    assert cli(tmp_path, "stop", "--wait").returncode == 0
    assert home_pids(home) == {}


def test_a_killed_role_is_reported_by_run_and_shows_killed_in_history(tmp_path, jobs) -> None:
    home = make_home(tmp_path, ("role.py", "victim"), ("role.py", "bystander"))
    job = jobs(tmp_path, "run", "--debug-level=WARNING")
    job.expect("READY victim")
    pid = wait_until(lambda: home_pids(home).get("victim"), "victim running")
    os.kill(pid, signal.SIGKILL)  # by pid: a role of this test's home
    assert job.expect("victim ended: ")[0] == "victim ended: killed by signal SIGKILL"
    job.expect('Role "victim" ended: killed by signal SIGKILL')  # logged at WARNING
    history = cli(tmp_path, "history", "victim").stdout.rstrip()
    assert history.endswith("(killed)"), history
    job.interrupt()
    assert job.wait() == FAULTY
    assert job.stderr[-1] == ABORTED


def test_control_c_during_start_up_prints_one_line_and_no_traceback(tmp_path, jobs) -> None:
    home = make_home(tmp_path, ("role.py", "w", "-rc=4"))
    job = jobs(tmp_path, "run")
    job.expect("listening for directories at")
    job.interrupt()
    assert job.wait() == FAULTY
    assert job.stderr[-1] == ABORTED
    assert not [line for line in job.stderr if "Traceback" in line], job.stderr
    wait_until(lambda: home_pids(home) == {}, "every role ended")


# 3, 4. Records with unknown types; returned on a running role ---------------------------------


def test_history_and_returned_read_records_of_types_the_tool_cannot_import(tmp_path) -> None:
    make_home(tmp_path)
    (tmp_path / "api1.py").write_text(textwrap.dedent(API))
    (tmp_path / "xyrole.py").write_text(textwrap.dedent(XY_ROLE))
    assert cli(tmp_path, "add", "xyrole.py", "xy").returncode == 0
    cli(tmp_path, "run", "xy")  # group-cake does not know Xy either; the role's record does
    history = cli(tmp_path, "history", "xy")
    assert history.returncode == 0, history.stderr
    assert re.fullmatch(r"\[0\] [\d.dhms]+ ago \.\.\. [\d.hms]+ \(api1\.Xy\)\n", history.stdout)
    long = cli(tmp_path, "history", "xy", "-ll").stdout
    stamp = r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}"
    assert re.fullmatch(rf"{stamp} \.\.\. {stamp} \([\d.hms]+\) api1\.Xy\n", long), long
    bare = cli(tmp_path, "returned", "xy")
    assert bare.returncode == 0, bare.stderr
    assert json.loads(bare.stdout) == {"x": 5, "y": 1}
    assert bare.stdout.startswith('{\n    "x"')
    full = json.loads(cli(tmp_path, "returned", "xy", "--full-output").stdout)
    assert full == {"value": ["api1.Xy", {"x": 5, "y": 1}, []]}
    assert cli(tmp_path, "log", "xy", "--start=0").returncode == 0
    as_json = json.loads(cli(tmp_path, "history", "xy", "--json").stdout)
    assert as_json[0]["label"] == "api1.Xy"
    assert as_json[0]["value"] == ["api1.Xy", {"x": 5, "y": 1}, []]


def test_returned_of_a_fault_is_wrapped_and_exits_zero(tmp_path) -> None:
    make_home(tmp_path, ("role.py", "bad", "--fail"))
    cli(tmp_path, "run")
    done = cli(tmp_path, "returned", "bad")
    assert done.returncode == 0, done.stderr
    fault = json.loads(done.stdout)["fault"]
    assert fault[0] == "layer_cake.point_runtime.Faulted"
    assert fault[1]["condition"] == "cannot do the work"
    full = json.loads(cli(tmp_path, "returned", "bad", "-fo").stdout)
    assert full["value"][0] == "layer_cake.point_runtime.Faulted"


def test_returned_on_a_running_role_fails_at_once(tmp_path, jobs) -> None:
    home = make_home(tmp_path, ("role.py", "slow"))
    job = jobs(tmp_path, "run")
    job.expect("READY slow")
    wait_until(lambda: "slow" in home_pids(home), "slow running")
    assert fault_of(cli(tmp_path, "returned", "slow")) == (
        'layer-cake: cannot report returned value of "slow" '
        "(slow[-1] is still running, give --timeout=S to wait)"
    )
    job.interrupt()
    assert job.wait() == FAULTY


def test_control_c_on_returned_with_a_timeout_is_a_clean_fault(tmp_path, jobs) -> None:
    home = make_home(tmp_path, ("role.py", "slow"))
    job = jobs(tmp_path, "run")
    job.expect("READY slow")
    wait_until(lambda: "slow" in home_pids(home), "slow running")
    waiter = subprocess.Popen(
        [sys.executable, "-m", "layer_cake_cli", "returned", "slow", "--timeout=60"],
        cwd=tmp_path,
        env=cli_env(),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        wait_until(lambda: _sleeping_in_poll(waiter.pid), "returned waiting")
        waiter.send_signal(signal.SIGINT)
        _, err = waiter.communicate(timeout=HANG_GUARD)
    finally:
        if waiter.poll() is None:
            waiter.kill()
            waiter.communicate()
    assert waiter.returncode == FAULTY
    assert err.strip() == ABORTED
    assert "Aborted!" not in err
    job.interrupt()
    assert job.wait() == FAULTY


def _sleeping_in_poll(pid: int) -> bool:
    """Whether the tool has got past its imports (its main thread has slept once)."""
    try:
        with open(f"/proc/{pid}/status") as f:
            status = f.read()
    except OSError:
        return False
    switches = re.search(r"voluntary_ctxt_switches:\s+(\d+)", status)
    return "State:\tS" in status and switches is not None and int(switches.group(1)) > 20


# 5. Settings checked before they are stored --------------------------------------------------


def test_settings_that_cannot_work_are_refused_and_nothing_is_stored(tmp_path) -> None:
    home = make_home(tmp_path, ("role.py", "r"))
    settings = home / "role" / "group" / "settings.json"
    before = settings.read_text()
    misspelt = cli(tmp_path, "update", "group", '--retry={"regular_step": 2.0}')
    assert fault_of(misspelt).startswith(
        'layer-cake: cannot update "group" (cannot decode value for "retry" '
        '(unknown key(s) "regular_step", expecting first_steps, regular_steps'
    )
    far = '--directory-at-host={"host": "127.0.0.1", "port": 99999}'
    port = cli(tmp_path, "update", "group", far)
    assert fault_of(port) == (
        'layer-cake: cannot update "group" (cannot decode value for "directory_at_host" '
        "(port 99999 not in the range 1...65535))"
    )
    main_role = cli(tmp_path, "update", "group", "--main-role=nosuch")
    assert fault_of(main_role) == (
        'layer-cake: cannot update "group" (main role "nosuch" is not a role of the home)'
    )
    both = cli(tmp_path, "update", "group", '--directory-at-lan={"host": "127.0.0.1", "port": 2}')
    assert fault_of(both) == (
        'layer-cake: cannot update "group" (give one of --directory-at-host and --directory-at-lan)'
    )
    assert settings.read_text() == before
    good = cli(tmp_path, "update", "group", '--retry={"regular_steps": 2.0}', "--main-role=r")
    assert good.returncode == 0, good.stderr
    assert settings.read_text() != before


# 6, 7. Names, programs and selection -----------------------------------------------------------


def test_bad_role_names_and_programs_are_refused(tmp_path) -> None:
    home = make_home(tmp_path)
    for name in ("bad name", "server ", "GROUP", "group-2", "a.b", ""):
        done = cli(tmp_path, "add", "role.py", name)
        assert done.returncode == FAULTY, name
        assert f'cannot add "{name}" (' in done.stderr, done.stderr
    (tmp_path / "plain.py").write_text(NOT_LAYER_CAKE)
    assert fault_of(cli(tmp_path, "add", "plain.py")) == (
        'layer-cake: cannot add "plain.py" (not a layer-cake program, no role was stored)'
    )
    assert not (home / "role" / "plain").exists()
    assert cli(tmp_path, "list").stdout == ""


def test_delete_selects_the_exact_name_refuses_empty_words_and_says_what_it_removed(
    tmp_path,
) -> None:
    make_home(tmp_path, ("role.py", "w", "-rc=12"))
    assert fault_of(cli(tmp_path, "delete", "")) == (
        'layer-cake: cannot delete (empty search word "")'
    )
    done = cli(tmp_path, "delete", "w-1")
    assert (done.returncode, done.stdout) == (0, 'removed "w-1"\n')
    listed = cli(tmp_path, "list").stdout.split()
    assert listed == [f"w-{i}" for i in range(12) if i != 1]  # natural order: w-2 before w-10
    done = cli(tmp_path, "delete", "w-1[01]")  # an explicit pattern
    assert done.stdout.splitlines() == ['removed "w-10"', 'removed "w-11"']


# 11. Arguments ----------------------------------------------------------------------------------


def test_options_before_the_sub_command(tmp_path) -> None:
    home = make_home(tmp_path)
    other = tmp_path / "elsewhere"
    other.mkdir()
    assert cli(other, "-hp", str(home), "list").returncode == 0
    assert cli(other, f"--home-path={home}", "-ll", "list").returncode == 0
    done = cli(other, "--debug-level=DEBUG", f"--home-path={home}", "list", "-gr")
    assert (done.returncode, done.stdout) == (0, "group\n")
    assert fault_of(cli(other, "--bogus")).startswith("layer-cake: cannot execute (")


def test_start_debug_level_is_the_level_of_the_rolling_logs(tmp_path, jobs) -> None:
    home = jobs.watch(make_home(tmp_path, ("role.py", "r")))
    assert cli(tmp_path, "start", "-dl=WARNING").returncode == 0
    assert cli(tmp_path, "stop", "--wait").returncode == 0
    for role in ("group", "r"):
        lines = cli(tmp_path, "log", role, "--tail=1000").stdout.splitlines()
        assert not [line for line in lines if " - Received " in line], (role, lines)
    assert cli(tmp_path, "start").returncode == 0  # no level: every entry (DEBUG)
    assert cli(tmp_path, "stop", "--wait").returncode == 0
    lines = cli(tmp_path, "log", "r", "--start=-1").stdout.splitlines()
    assert [line for line in lines if " - Received " in line], lines
    assert home_pids(home) == {}


def test_the_daemons_answer_help_and_version() -> None:
    for program in ("group-cake", "host-cake", "lan-cake"):
        script = os.path.join(os.path.dirname(sys.executable), program)
        helped = subprocess.run(
            [script, "--help"], capture_output=True, text=True, timeout=HANG_GUARD, check=False
        )
        assert helped.returncode == 0
        assert helped.stdout.startswith(f"usage: {program} ")
        assert "<class" not in helped.stdout and "layer_cake." not in helped.stdout
        version = subprocess.run(
            [script, "--version"], capture_output=True, text=True, timeout=HANG_GUARD, check=False
        )
        assert (version.returncode, version.stdout.split()[0]) == (0, program)


def test_log_follow_prints_lines_as_they_are_written(tmp_path, jobs) -> None:
    home = jobs.watch(make_home(tmp_path, ("role.py", "r")))
    assert cli(tmp_path, "start").returncode == 0
    follower = jobs(tmp_path, "log", "r", "--follow", "--tail=1")
    wait_until(lambda: follower.stdout, "the tail printed")  # following from here on
    assert cli(tmp_path, "stop", "--wait").returncode == 0
    # the role logs its end after the follow began: the follower prints it
    wait_until(lambda: any("Destroyed" in line for line in follower.stdout), "the end followed")
    follower.interrupt()
    assert follower.wait() == 0
    assert home_pids(home) == {}


# 12. status, list and incomplete homes --------------------------------------------------------


def test_status_shows_every_role_with_its_state_under_a_header(tmp_path, jobs) -> None:
    home = jobs.watch(
        make_home(
            tmp_path,
            ("role.py", "w", "-rc=3"),
            ("role.py", "a-role-name-longer-than-24-characters"),
        )
    )
    assert cli(tmp_path, "start", "w-0", "w-2").returncode == 0
    pids = home_pids(home)
    done = cli(tmp_path, "status")
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0].startswith(f"home {home}: group running (pid {pids['group']}")
    assert "directory at 127.0.0.1:" in lines[0]
    assert lines[1].split() == ["ROLE", "STATE", "PID", "UPTIME", "RESTARTS", "LAST", "RESULT"]
    rows = {line.split()[0]: line.split() for line in lines[2:]}
    assert list(rows) == ["a-role-name-longer-than-24-characters", "w-0", "w-1", "w-2"]
    assert rows["w-0"][1:3] == ["running", str(pids["w-0"])]
    assert rows["w-1"][1:3] == ["never", "run"]
    widths = {line.index("STATE") if i == 0 else None for i, line in enumerate(lines[1:2])}
    assert all(line[min(widths) - 2 : min(widths)] == "  " for line in lines[2:])
    one = cli(tmp_path, "status", "w-1").stdout.splitlines()  # a down role among running ones
    assert one[2].split()[:3] == ["w-1", "never", "run"]
    report = json.loads(cli(tmp_path, "status", "--json").stdout)
    assert report["group"]["state"] == "running"
    assert report["group"]["directory"].startswith("127.0.0.1:")
    assert [r["role"] for r in report["roles"]][1:] == ["w-0", "w-1", "w-2"]
    long = cli(tmp_path, "status", "-ll").stdout.splitlines()
    assert [line.split()[0] for line in long] == ["w-0", "w-2"]
    listed = json.loads(cli(tmp_path, "list", "--json").stdout)
    assert [r["role"] for r in listed][1:] == ["w-0", "w-1", "w-2"]
    assert cli(tmp_path, "stop", "--wait").returncode == 0
    after = cli(tmp_path, "status").stdout.splitlines()
    assert after[0] == f"home {home}: group not running"
    assert [line.split()[1] for line in after[2:]] == ["never", "stopped", "never", "stopped"]


def test_a_role_folder_missing_a_file_is_named_and_destroy_still_works(tmp_path) -> None:
    home = make_home(tmp_path, ("role.py", "r"))
    (home / "role" / "r" / "settings.json").unlink()
    assert fault_of(cli(tmp_path, "list")) == (
        f'layer-cake: cannot open path "{home}" (does not exist or contains '
        "unexpected/incomplete materials, missing role/r/settings.json)"
    )
    done = cli(tmp_path, "destroy")
    assert done.returncode == 0, done.stderr
    assert not home.exists()
    plain = tmp_path / "plain"
    plain.mkdir()
    assert fault_of(cli(tmp_path, "destroy", str(plain))) == (
        f'layer-cake: cannot destroy "{plain}" '
        "(does not exist or contains unexpected/incomplete materials)"
    )
    assert plain.exists()


# 10. network and ping without host-cake --------------------------------------------------------


def test_network_without_a_directory_says_so_quickly(tmp_path) -> None:
    port = 1  # tcpmux, a privileged port no one listens on (a free port may be taken meanwhile)
    done = cli(tmp_path, "network", f"--connect-to-directory=127.0.0.1:{port}")
    assert fault_of(done) == (
        f"layer-cake: cannot connect to the directory at 127.0.0.1:{port} "
        "(no directory listening there; is host-cake running?)"
    )
    pinged = cli(tmp_path, "ping", "abc", f"--connect-to-directory=127.0.0.1:{port}")
    assert "(no directory listening there; is host-cake running?)" in fault_of(pinged)


def test_network_as_json_and_watched(cake) -> None:
    scenario = start_scenario(cake)
    listed = scenario.network("--json")
    assert listed.returncode == 0, listed.stderr
    tree = json.loads(listed.stdout)
    assert (tree["scope"], tree["executable"]) == ("HOST", "host-cake")
    group = next(c for c in tree["children"] if c["executable"] == "group-cake")
    publisher = next(c for c in group["children"] if c["executable"] == "publisher.py")
    assert publisher["published"][0]["name"] == "svc:a"
    assert publisher["published"][0]["listening"] == f"127.0.0.1:{scenario.listening_port}"
    watcher = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "layer_cake_cli",
            "network",
            f"--connect-to-directory=127.0.0.1:{cake.port}",
            "--watch=0.2",
        ],
        env=cli_env(),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert watcher.stdout is not None
        seen = [watcher.stdout.readline() for _ in range(20)]  # blocks until printed
        assert sum(line.startswith("[HOST] host-cake (") for line in seen) >= 2, seen
        assert any(line.startswith("--- ") for line in seen), seen
        watcher.send_signal(signal.SIGINT)
        _, err = watcher.communicate(timeout=HANG_GUARD)
    finally:
        if watcher.poll() is None:
            watcher.kill()
            watcher.communicate()
    assert watcher.returncode == 0, err


def test_status_shows_a_role_waiting_for_its_wave_or_loading_as_starting(tmp_path) -> None:
    """group-cake starts roles in waves (one loading per core): until a role has loaded,
    its supervision entry says ``starting``, and so does ``status``."""
    from datetime import datetime, timezone

    from layer_cake.process._role import make_home as make_bare_home
    from layer_cake.process._role import make_role
    from layer_cake_cli._group_commands import role_status
    from layer_cake_directory import RoleState, Supervision

    home = str(tmp_path / "home")
    make_bare_home(home)
    make_role(home, "w-2", str(tmp_path / "role.py"), {})
    now = datetime.now(timezone.utc)
    starting = Supervision(1, None, {"w-2": RoleState(starting=True)})
    assert role_status(home, "w-2", now, starting)["state"] == "starting"
    loaded = Supervision(1, None, {"w-2": RoleState()})
    assert role_status(home, "w-2", now, loaded)["state"] == "never run"
