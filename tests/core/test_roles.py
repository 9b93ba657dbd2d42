"""Roles of a home (cli.md §2, §3; api-core §11.1, §13): the ``_role`` helpers, then real
processes running ``lc.create`` scripts with ``--home-path`` and ``--role-name``.

A process that must stay running says ``ready`` on stderr once its role run has begun (the
head lock is held by then) and waits for a line on stdin (``--hold``) or for ``Stop``
(``--serve``, a SIGINT); the tests wait on that line with generous deadlines, never on fixed
sleeps, and kill leftovers by pid.
"""

from __future__ import annotations

import contextlib
import json
import os
import selectors
import signal
import subprocess
import sys
import textwrap
import time
import uuid
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

import layer_cake as lc
from layer_cake.process import _role
from layer_cake.process._process_object import ProcessObject
from layer_cake.process._role import (
    INCOMPLETE_HOME,
    LOG_STORAGE,
    MAX_RUNS,
    HeadLock,
    LockedOut,
    StartStop,
    home_fault,
    home_roles,
    make_home,
    make_role,
    record_start,
    record_stop,
    remove_role,
    role_executable,
    role_locked_out,
    role_log_storage,
    role_path,
    role_running,
    role_settings,
    role_start_stop,
    role_unique_id,
    role_values,
    store_role_settings,
)
from layer_cake.types._json import decode_json, encode_json

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="flock and POSIX signals")

# The installed package's parent: never the source tree (no compiled modules there under nox).
INSTALLED = Path(lc.__file__).resolve().parent.parent
PATIENCE = 30.0  # only reached when a test fails
FAULTY = 71

# A role's executable: reports what it ran with; `--hold` waits for a line on stdin.
APP = """
import os
import sys

import layer_cake as lc


def app(
    self,
    big_table: int = 1,
    server_address: lc.HostPort = None,
    name: str = "x",
    fail: bool = False,
    hold: bool = False,
    serve: bool = False,
    scratch: bool = False,
) -> dict[str, str]:
    tmp = lc.tmp_path()
    listed = ",".join(sorted(os.listdir(tmp)))
    if scratch:
        with open(os.path.join(tmp, "scratch.txt"), "w") as f:
            f.write("left behind")
    if hold:
        sys.stderr.write("ready\\n")
        sys.stderr.flush()
        sys.stdin.readline()
    if serve:
        sys.stderr.write("ready\\n")
        sys.stderr.flush()
        while not isinstance(self.input(), lc.Stop):
            pass
        return lc.Aborted()
    if fail:
        return lc.Faulted("deliberate fault", "asked for")
    return {
        "big_table": str(big_table),
        "port": str(server_address.port) if server_address is not None else "none",
        "name": name,
        "model": lc.model_folder().path,
        "tmp": tmp,
        "tmp_listed": listed,
        "role": str(lc.CL.role_name),
        "home": str(lc.CL.home_path),
    }


lc.bind(app)

if __name__ == "__main__":
    lc.create(app)
"""

SETTINGS_SIGNATURE = "map<unicode,any>"


# Helpers ---------------------------------------------------------------------------------------


def environment(**extra: str) -> dict:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(INSTALLED), env.get("PYTHONPATH", "")) if p)
    env.update(extra)
    return env


@pytest.fixture
def app(tmp_path: Path) -> Path:
    path = tmp_path / "app.py"
    path.write_text(textwrap.dedent(APP))
    return path


@pytest.fixture
def home(tmp_path: Path) -> str:
    path = str(tmp_path / "home")
    make_home(path)
    return path


def run(
    program: Path, home: str | None, role: str | None, *args: str, **env: str
) -> subprocess.CompletedProcess[str]:
    """Run ``program`` in its folder with the role arguments and ``args``; wait for its end."""
    command = [sys.executable, program.name]
    if home is not None:
        command.append(f"--home-path={home}")
    if role is not None:
        command.append(f"--role-name={role}")
    return subprocess.run(
        [*command, *args],
        cwd=program.parent,
        env=environment(**env),
        capture_output=True,
        text=True,
        timeout=PATIENCE,
        check=False,
        stdin=subprocess.DEVNULL,
    )


def bare(done: subprocess.CompletedProcess[str]) -> object:
    """The decoded stdout of a successful run."""
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def report(done: subprocess.CompletedProcess[str]) -> dict[str, str]:
    """What the app ran with (its ``dict[str, str]`` value: JSON pairs on stdout)."""
    return dict(bare(done))  # type: ignore[call-overload]


def fault(done: subprocess.CompletedProcess[str]) -> str:
    """The fault text on stderr of a failed run (exit 71, nothing on stdout)."""
    assert done.returncode == FAULTY, (done.returncode, done.stdout, done.stderr)
    assert done.stdout == ""
    prefix = "app.py: "
    assert done.stderr.startswith(prefix), done.stderr
    return done.stderr[len(prefix) :].rstrip("\n")


@contextlib.contextmanager
def holding(
    program: Path, home: str, role: str, *args: str, mode: str = "--hold"
) -> Iterator[subprocess.Popen]:
    """A run of the role that waits once its run has begun (``--hold``: for a line on stdin,
    ``--serve``: for ``Stop``); killed at the end if still there."""
    proc = subprocess.Popen(
        [sys.executable, program.name, f"--home-path={home}", f"--role-name={role}", mode, *args],
        cwd=program.parent,
        env=environment(),
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        wait_for_line(proc, "ready")
        yield proc
    finally:
        if proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=PATIENCE)
        for stream in (proc.stdin, proc.stdout, proc.stderr):
            with contextlib.suppress(OSError):
                stream.close()  # type: ignore[union-attr]


def release(proc: subprocess.Popen) -> tuple[int, str]:
    """Let a holding run end; its exit status and stdout."""
    assert proc.stdin is not None and proc.stdout is not None
    proc.stdin.write("go\n")
    proc.stdin.close()
    output = proc.stdout.read()
    return proc.wait(timeout=PATIENCE), output


def wait_for_line(proc: subprocess.Popen, needle: str, seconds: float = PATIENCE) -> str:
    """Read ``proc.stderr`` until it holds ``needle``; everything read so far."""
    assert proc.stderr is not None
    selector = selectors.DefaultSelector()
    selector.register(proc.stderr, selectors.EVENT_READ)
    seen = ""
    deadline = time.monotonic() + seconds
    try:
        while needle not in seen:
            left = deadline - time.monotonic()
            assert left > 0, f"no {needle!r} on stderr: {seen!r}"
            if selector.select(left):
                chunk = os.read(proc.stderr.fileno(), 4096).decode()
                assert chunk, f"stderr closed before {needle!r}: {seen!r}"
                seen += chunk
    finally:
        selector.close()
    return seen


def settings_json(home: str, role: str) -> object:
    with open(os.path.join(role_path(home, role), "settings.json"), encoding="utf-8") as f:
        return json.load(f)


def returned_value(record: StartStop) -> object:
    value, _ = lc.cast_back(record.returned)
    return value


# The helpers of _role ------------------------------------------------------------------------


def test_start_stop_and_locked_out_keep_their_canonical_signatures():
    assert StartStop.__lc_message__.signature == "layer_cake.object_startup.StartStop"
    assert LockedOut.__lc_message__.signature == "layer_cake.head_lock.LockedOut"
    fields = {name: p.signature() for name, p in StartStop.__lc_message__.fields}
    assert fields == {"start": "world", "stop": "world", "returned": "any"}
    fields = {name: p.signature() for name, p in LockedOut.__lc_message__.fields}
    assert fields == {"path": "unicode", "pid": "integer8", "parent_pid": "integer8"}


def test_start_stop_round_trips_a_fault_as_its_returned_value():
    start = datetime(2025, 6, 1, 8, 0, 1, 500000, tzinfo=timezone.utc)
    record = StartStop(start, start + timedelta(seconds=2), lc.Faulted("gone", "away"))
    text = encode_json(record, StartStop.__lc_message__.portable)
    back = decode_json(text, StartStop.__lc_message__.portable)
    assert (back.start, back.stop) == (record.start, record.stop)
    assert isinstance(back.returned, lc.Faulted)
    assert str(back.returned) == "gone (away)"


def test_make_home_makes_the_folders_and_refuses_an_existing_one(tmp_path):
    home = str(tmp_path / "a" / "home")
    make_home(home)
    assert sorted(os.listdir(home)) == ["arrivals", "departures", "resource", "role", "script"]
    assert home_fault(home) is None
    assert home_roles(home) == []
    with pytest.raises(FileExistsError):
        make_home(home)


def test_make_role_writes_every_file_in_the_full_json_form(home):
    make_role(home, "server", "/opt/server.py", {"big_table": (50, lc.def_type(int))})
    folder = role_path(home, "server")
    assert folder == os.path.join(home, "role", "server")
    assert sorted(os.listdir(folder)) == [
        "executable_file.json",
        "lock",
        "log_storage.json",
        "logs",
        "model",
        "settings.json",
        "start_stop.json",
        "tmp",
        "unique_id.json",
    ]
    assert isinstance(role_unique_id(home, "server"), uuid.UUID)
    assert role_executable(home, "server") == "/opt/server.py"
    assert role_log_storage(home, "server") == LOG_STORAGE == 268435456
    assert role_start_stop(home, "server") == []
    assert role_values(home, "server") == {"big_table": 50}
    with open(os.path.join(folder, "log_storage.json"), encoding="utf-8") as f:
        assert json.load(f) == {"value": 268435456}
    with open(os.path.join(folder, "start_stop.json"), encoding="utf-8") as f:
        assert json.load(f) == {"value": []}
    assert settings_json(home, "server") == {
        "value": [["big_table", ["integer8", 50, []]]],
    }


def test_make_role_refuses_an_existing_role_and_a_missing_home(home, tmp_path):
    make_role(home, "server", "server.py", {})
    with pytest.raises(FileExistsError):
        make_role(home, "server", "other.py", {})
    assert role_executable(home, "server") == "server.py"
    with pytest.raises(FileNotFoundError):
        make_role(str(tmp_path / "nowhere"), "server", "server.py", {})


def test_make_role_leaves_nothing_when_a_setting_cannot_be_stored(home):
    with pytest.raises(lc.CodecRuntimeError):
        make_role(home, "server", "server.py", {"bad": object()})
    assert os.listdir(os.path.join(home, "role")) == []


def test_settings_keep_the_signature_of_each_value(home):
    address = lc.HostPort("127.0.0.1", 5051)
    make_role(home, "server", "server.py", {"server_address": address})
    store_role_settings(
        home, "server", {**role_settings(home, "server"), "big_table": (50, lc.def_type(int))}
    )
    stored = role_settings(home, "server")
    assert isinstance(stored["server_address"], lc.HostPort)
    assert stored["server_address"].port == 5051
    value, portable = stored["big_table"]
    assert (value, portable.signature()) == (50, "integer8")
    assert role_values(home, "server") == {"server_address": address, "big_table": 50}
    assert settings_json(home, "server") == {  # sorted by name (types-and-encoding §9.5)
        "value": [
            ["big_table", ["integer8", 50, []]],
            [
                "server_address",
                ["layer_cake.ip_networking.HostPort", {"host": "127.0.0.1", "port": 5051}, []],
            ],
        ]
    }


def test_bare_scalar_settings_are_typed_by_their_python_type(home):
    make_role(home, "brief", "brief.py", {"value": 9, "name": "svc:g", "ratio": 0.5, "on": True})
    assert settings_json(home, "brief") == {
        "value": [
            ["name", ["unicode", "svc:g", []]],
            ["on", ["boolean", True, []]],
            ["ratio", ["float8", 0.5, []]],
            ["value", ["integer8", 9, []]],
        ]
    }
    assert role_values(home, "brief") == {"value": 9, "name": "svc:g", "ratio": 0.5, "on": True}
    retry = lc.RetryIntervals(regular_steps=30.0)
    store_role_settings(home, "brief", {"retry": retry, "main_role": "server"})
    stored = role_settings(home, "brief")
    assert isinstance(stored["retry"], lc.RetryIntervals)
    assert stored["retry"].regular_steps == 30.0
    assert role_values(home, "brief")["main_role"] == "server"


def test_home_roles_lists_sorted_roles_and_sub_roles(home):
    for role in ("worker-1", "server", "server.spool-0", "group"):
        make_role(home, role, "x.py", {})
    os.mkdir(os.path.join(home, "role", ".half.0123456789ab.partial"))  # a role being made
    assert home_roles(home) == ["group", "server", "server.spool-0", "worker-1"]


def test_home_fault_finds_missing_folders_and_incomplete_roles(home, tmp_path):
    assert home_fault(home) is None
    make_role(home, "server", "server.py", {})
    assert home_fault(home) is None
    os.remove(os.path.join(role_path(home, "server"), "log_storage.json"))
    assert home_fault(home) == INCOMPLETE_HOME
    assert INCOMPLETE_HOME == "does not exist or contains unexpected/incomplete materials"
    remove_role(home, "server")
    assert home_fault(home) is None
    os.mkdir(os.path.join(home, "role", "empty"))  # a role folder without its files
    assert home_fault(home) == INCOMPLETE_HOME
    os.rmdir(os.path.join(home, "role", "empty"))
    os.rmdir(os.path.join(home, "departures"))
    assert home_fault(home) == INCOMPLETE_HOME
    assert home_fault(str(tmp_path / "nowhere")) == INCOMPLETE_HOME
    assert home_roles(str(tmp_path / "nowhere")) == []


def test_start_stop_keeps_the_newest_max_runs(home):
    make_role(home, "server", "server.py", {})
    first = datetime(2025, 1, 1, tzinfo=timezone.utc)
    for i in range(MAX_RUNS + 1):
        start = first + timedelta(hours=i)
        record_start(home, "server", start)
        record_stop(home, "server", start + timedelta(minutes=1), lc.cast_to(i, lc.def_type(int)))
    records = role_start_stop(home, "server")
    assert MAX_RUNS == 16
    assert len(records) == MAX_RUNS
    assert [returned_value(r) for r in records] == list(range(1, MAX_RUNS + 1))
    assert records[-1].start == first + timedelta(hours=MAX_RUNS)
    assert records[-1].stop == records[-1].start + timedelta(minutes=1)


def test_head_lock_is_exclusive_and_running_follows_it(home):
    make_role(home, "server", "server.py", {})
    assert role_running(home, "server") is False
    assert role_locked_out(home, "server") is None
    lock = HeadLock.acquire(home, "server")
    assert lock is not None
    try:
        lock.announce(home)
        assert role_running(home, "server") is True
        locked = role_locked_out(home, "server")
        assert isinstance(locked, LockedOut)
        assert (locked.path, locked.pid, locked.parent_pid) == (home, os.getpid(), os.getppid())
        assert HeadLock.acquire(home, "server") is None
    finally:
        lock.release()
    assert role_running(home, "server") is False
    assert role_locked_out(home, "server") is None
    assert not os.path.exists(os.path.join(role_path(home, "server"), "lock", "head.json"))
    with HeadLock.acquire(home, "server") as again:  # type: ignore[union-attr]
        assert again is not None and role_running(home, "server")


def test_missing_roles_are_not_running_and_have_no_records(home):
    assert role_running(home, "nosuch") is False
    assert role_locked_out(home, "nosuch") is None
    with pytest.raises(FileNotFoundError):
        role_start_stop(home, "nosuch")
    with pytest.raises(FileNotFoundError):
        role_settings(home, "nosuch")
    with pytest.raises(FileNotFoundError):
        store_role_settings(home, "nosuch", {})
    assert remove_role(home, "nosuch") is False


def test_role_module_names_its_public_helpers():
    for name in _role.__all__:
        assert hasattr(_role, name), name


# lc.create with a home: role settings (cli.md §3) -------------------------------------------


def test_create_role_stores_the_settings_given(app, home):
    done = run(
        app,
        home,
        "server",
        "--create-role",
        '--server-address={"host": "127.0.0.1", "port": 5051}',
        "--big-table=50",
    )
    assert bare(done) == {"command": "create-role", "note": "big_table,server_address"}
    assert role_executable(home, "server") == str(app)
    assert home_fault(home) is None
    assert settings_json(home, "server") == {
        "value": [
            ["big_table", ["integer8", 50, []]],
            [
                "server_address",
                ["layer_cake.ip_networking.HostPort", {"host": "127.0.0.1", "port": 5051}, []],
            ],
        ]
    }


def test_create_role_full_output_is_the_command_response(app, home):
    done = run(app, home, "server", "--create-role", "--full-output")
    assert bare(done) == {
        "value": [
            "layer_cake.object_startup.CommandResponse",
            {"command": "create-role", "note": "empty"},
            [],
        ]
    }
    assert role_settings(home, "server") == {}


def test_stored_settings_are_defaults_that_the_command_line_overrides(app, home):
    run(app, home, "server", "--create-role", "--big-table=50", "--name=stored")
    ran = report(run(app, home, "server"))
    assert (ran["big_table"], ran["name"], ran["port"]) == ("50", "stored", "none")
    ran = report(
        run(app, home, "server", "--big-table=3", '--server-address={"host": "h", "port": 7}')
    )
    assert (ran["big_table"], ran["name"], ran["port"]) == ("3", "stored", "7")
    assert role_values(home, "server") == {"big_table": 50, "name": "stored"}


def test_create_role_twice_is_a_fault(app, home):
    assert run(app, home, "server", "--create-role", "--big-table=50").returncode == 0
    done = run(app, home, "server", "--create-role", "--big-table=7")
    path = os.path.join(home, "role", "server")
    assert fault(done) == f'cannot create "{path}" (already exists)'
    assert role_values(home, "server") == {"big_table": 50}


def test_a_bad_value_is_the_decode_fault_and_nothing_is_stored(app, home):
    done = run(app, home, "server", "--create-role", "--big-table=abc")
    assert fault(done).startswith('cannot decode value for "big_table" (')
    assert home_roles(home) == []
    run(app, home, "server", "--create-role", "--big-table=5")
    done = run(app, home, "server", "--update-role", "--big-table=abc", "--name=z")
    assert fault(done).startswith('cannot decode value for "big_table" (')
    assert role_values(home, "server") == {"big_table": 5}
    done = run(app, home, "server", "--update-role", "--nosuch=1")
    assert fault(done) == "unknown arguments (nosuch)"


def test_create_role_needs_a_home(app, tmp_path):
    missing = str(tmp_path / "nowhere")
    done = run(app, missing, "server", "--create-role")
    path = os.path.join(missing, "role", "server")
    assert fault(done) == f'cannot create "{path}" (home does not exist)'
    assert not os.path.exists(missing)


def test_update_role_merges_and_a_name_alone_removes(app, home):
    run(app, home, "server", "--create-role", "--big-table=50", "--name=first")
    done = run(app, home, "server", "--update-role", '--server-address={"host": "h", "port": 9}')
    assert bare(done) == {"command": "update-role", "note": "server_address"}
    assert role_values(home, "server") == {
        "big_table": 50,
        "name": "first",
        "server_address": lc.HostPort("h", 9),
    }
    done = run(app, home, "server", "--update-role", "--big-table=2", "--name")
    assert bare(done) == {"command": "update-role", "note": "big_table,name"}
    values = role_values(home, "server")
    assert sorted(values) == ["big_table", "server_address"]
    assert values["big_table"] == 2


def test_update_role_of_an_unknown_role_is_a_fault(app, home):
    done = run(app, home, "nosuch", "--update-role", "--big-table=2")
    assert fault(done) == 'cannot update role "nosuch" (does not exist)'
    assert home_roles(home) == []


def test_dump_role_prints_the_stored_settings(app, home):
    run(
        app,
        home,
        "server",
        "--create-role",
        "--big-table=50",
        '--server-address={"host": "h", "port": 9}',
    )
    assert bare(run(app, home, "server", "--dump-role")) == [
        ["big_table", ["integer8", 50, []]],
        ["server_address", ["layer_cake.ip_networking.HostPort", {"host": "h", "port": 9}, []]],
    ]
    full = bare(run(app, home, "server", "--dump-role", "--full-output"))
    assert full["value"][0] == SETTINGS_SIGNATURE


def test_factory_reset_empties_the_settings(app, home):
    run(app, home, "server", "--create-role", "--big-table=50")
    done = run(app, home, "server", "--factory-reset")
    assert bare(done) == {"command": "factory-reset", "note": None}
    assert role_settings(home, "server") == {}
    assert report(run(app, home, "server"))["big_table"] == "1"


def test_delete_role_removes_the_folder(app, home):
    run(app, home, "server", "--create-role")
    run(app, home, "worker", "--create-role")
    done = run(app, home, "server", "--delete-role")
    assert bare(done) == {"command": "delete-role", "note": None}
    assert home_roles(home) == ["worker"]
    assert fault(run(app, home, "server")) == 'cannot run role "server" (does not exist)'
    assert fault(run(app, home, "server", "--delete-role")) == (
        'cannot delete role "server" (does not exist)'
    )


def test_edit_role_edits_in_the_program_itself(app, home, tmp_path):
    # compat.md §4.2 overrides "left to the layer-cake command": the program edits its own
    # stored settings in $LC_EDITOR, checked against its schema.
    run(app, home, "server", "--create-role", "--big-table=3")
    editor = tmp_path / "editor.py"
    editor.write_text(
        "import sys\n"
        "text = open(sys.argv[1]).read().replace('3,', '9,')\n"
        "open(sys.argv[1], 'w').write(text)\n"
    )
    done = run(app, home, "server", "--edit-role", LC_EDITOR=f"{sys.executable} {editor}")
    assert (done.returncode, done.stdout, done.stderr) == (0, "", "")
    assert role_values(home, "server")["big_table"] == 9
    assert fault(run(app, home, "server", "--edit-role", LC_EDITOR="true")) == (
        "settings not modified"
    )
    assert fault(run(app, home, "nosuch", "--edit-role", LC_EDITOR="true")).startswith(
        "no settings available"
    )


def test_role_arguments_must_come_together(app, home):
    assert fault(run(app, home, None)) == f'cannot use home "{home}" (no --role-name)'
    assert fault(run(app, None, "server")) == 'cannot use role "server" (no --home-path)'
    assert fault(run(app, None, None, "--create-role")) == (
        "cannot create role (needs --home-path and --role-name)"
    )
    assert fault(run(app, home, "server", "--create-role", "--dump-role")) == (
        "cannot perform several role operations (create-role, dump-role)"
    )
    assert fault(run(app, home, "../escape", "--create-role")) == (
        'cannot use role "../escape" (not a valid name)'
    )
    assert home_roles(home) == []


def test_a_program_on_path_is_recorded_by_its_name(app, home, tmp_path):
    bin_folder = tmp_path / "bin"
    bin_folder.mkdir()
    program = bin_folder / "role-app"
    program.write_text(f"#!{sys.executable}\n" + textwrap.dedent(APP))
    program.chmod(0o755)
    path = os.pathsep.join((str(bin_folder), os.environ.get("PATH", "")))
    done = subprocess.run(
        ["role-app", f"--home-path={home}", "--role-name=server", "--create-role"],
        cwd=tmp_path,
        env=environment(PATH=path),
        capture_output=True,
        text=True,
        timeout=PATIENCE,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert role_executable(home, "server") == "role-app"


# lc.create with a home: runs ------------------------------------------------------------------


def test_a_run_is_recorded_with_its_value(app, home):
    run(app, home, "server", "--create-role", "--big-table=50")
    before = datetime.now(timezone.utc)
    ran = report(run(app, home, "server"))
    after = datetime.now(timezone.utc)
    records = role_start_stop(home, "server")
    assert len(records) == 1
    record = records[0]
    assert before <= record.start <= record.stop <= after
    assert returned_value(record) == ran
    assert role_running(home, "server") is False


def test_a_faulted_run_is_recorded_with_the_fault(app, home):
    run(app, home, "server", "--create-role")
    assert fault(run(app, home, "server", "--fail")) == "deliberate fault (asked for)"
    record = role_start_stop(home, "server")[-1]
    assert isinstance(record.returned, lc.Faulted)
    assert str(record.returned) == "deliberate fault (asked for)"
    assert record.stop is not None


def test_runs_beyond_max_runs_drop_the_oldest(app, home):
    run(app, home, "server", "--create-role")
    for i in range(MAX_RUNS + 1):
        assert run(app, home, "server", f"--big-table={i}").returncode == 0
    records = role_start_stop(home, "server")
    assert len(records) == MAX_RUNS
    assert [returned_value(r)["big_table"] for r in records] == [
        str(i) for i in range(1, MAX_RUNS + 1)
    ]
    starts = [r.start for r in records]
    assert starts == sorted(starts)


def test_model_and_tmp_are_the_roles_own(app, home):
    run(app, home, "server", "--create-role")
    ran = report(run(app, home, "server", "--scratch"))
    folder = role_path(home, "server")
    assert ran["model"] == os.path.join(folder, "model")
    assert ran["tmp"] == os.path.join(folder, "tmp")
    assert (ran["role"], ran["home"]) == ("server", home)
    assert os.listdir(os.path.join(folder, "tmp")) == ["scratch.txt"]
    ran = report(run(app, home, "server"))
    assert ran["tmp_listed"] == ""  # emptied at the start of the run
    assert home_fault(home) is None


def test_a_second_run_while_the_first_holds_the_lock_is_refused(app, home):
    run(app, home, "server", "--create-role", "--big-table=50")
    with holding(app, home, "server") as first:
        assert role_running(home, "server") is True
        locked = role_locked_out(home, "server")
        assert locked is not None
        assert (locked.pid, locked.parent_pid, locked.path) == (first.pid, os.getpid(), home)
        records = role_start_stop(home, "server")
        assert len(records) == 1 and records[0].stop is None and records[0].returned is None

        assert fault(run(app, home, "server")) == 'role "server" is already running'
        for flag in ("--update-role", "--factory-reset", "--delete-role"):
            assert fault(run(app, home, "server", flag)) == 'role "server" is running'
        assert bare(run(app, home, "server", "--dump-role")) == [
            ["big_table", ["integer8", 50, []]]
        ]

        status, output = release(first)
        assert status == 0
        assert dict(json.loads(output))["big_table"] == "50"
    assert role_running(home, "server") is False
    assert role_locked_out(home, "server") is None
    records = role_start_stop(home, "server")
    assert len(records) == 1  # the refused run left no record
    assert records[0].stop is not None
    assert returned_value(records[0])["big_table"] == "50"


def test_a_killed_run_leaves_the_role_free(app, home):
    run(app, home, "server", "--create-role")
    with holding(app, home, "server") as first:
        os.kill(first.pid, signal.SIGKILL)
        first.wait(timeout=PATIENCE)
        assert role_running(home, "server") is False
        assert role_start_stop(home, "server")[-1].stop is None  # never recorded
    assert report(run(app, home, "server"))["big_table"] == "1"
    records = role_start_stop(home, "server")
    assert len(records) == 2 and records[-1].stop is not None


def test_an_interrupted_run_is_recorded_as_aborted(app, home):
    run(app, home, "server", "--create-role")
    with holding(app, home, "server", mode="--serve") as first:
        os.kill(first.pid, signal.SIGINT)
        assert first.wait(timeout=PATIENCE) == FAULTY
        assert first.stderr is not None
        assert "app.py: aborted (user or software interrupt)" in first.stderr.read()
    assert role_running(home, "server") is False
    record = role_start_stop(home, "server")[-1]
    assert record.stop is not None
    assert isinstance(record.returned, lc.Aborted)


# Children of ProcessObjects ------------------------------------------------------------------


def child_result(ch: lc.Channel, *args: object, **kw: object) -> object:
    address = ch.create(ProcessObject, *args, **kw)
    m, i = ch.select(lc.Returned, seconds=PATIENCE)
    assert i == 0, f"no Returned within {PATIENCE} s"
    assert ch.return_address == address
    value = m.message
    if type(value) is tuple and len(value) == 2 and isinstance(value[1], lc.Portable):
        return value[0]
    return value


def test_a_child_in_a_home_runs_its_role(ch, app, home):
    run(app, home, "server", "--create-role", "--big-table=50")
    value = child_result(ch, str(app), home_path=home, role_name="server", top_role=True)
    assert isinstance(value, dict), value
    assert (value["big_table"], value["role"]) == ("50", "server")
    assert value["model"] == os.path.join(role_path(home, "server"), "model")
    records = role_start_stop(home, "server")
    assert len(records) == 1 and returned_value(records[0]) == value


def test_a_child_without_a_role_folder_runs_as_an_ordinary_process(ch, app, home):
    value = child_result(ch, str(app), home_path=home, role_name="server.spool-0", top_role=True)
    assert isinstance(value, dict), value
    assert value["role"] == "server.spool-0"
    assert value["home"] == "None"
    assert not value["model"].startswith(home)
    assert home_roles(home) == []
    assert home_fault(home) is None
