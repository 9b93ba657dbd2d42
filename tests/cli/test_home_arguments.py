"""The parts of the home sub-commands that need no process: argument handling (click's
``CliRunner``), reading a group's output, choosing whom ``stop`` signals, the lines of
``history``."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

import layer_cake as lc
from layer_cake.process._role import LockedOut
from layer_cake.types._json import encode_json
from layer_cake_cli._arguments import SettingsCommand, passed_settings
from layer_cake_cli._fault import FAULTY_EXIT
from layer_cake_cli._group_commands import GroupOutputError, group_result, stop_targets
from layer_cake_cli._home import select_roles
from layer_cake_cli._main import main
from layer_cake_cli._records import Run, value_label
from layer_cake_cli._run_records import long_run_line, run_line


def invoke(*args: str):
    return CliRunner().invoke(main, list(args))


@click.command(name="probe", cls=SettingsCommand)
@click.argument("word", required=False)
@click.option("--count", "-c", type=int, default=None)
@click.option("--long-listing", "-ll", is_flag=True)
def probe(word, count, long_listing) -> None:
    click.echo(json.dumps([word, count, long_listing, passed_settings()]))


def test_settings_commands_pass_unknown_arguments_on_in_order() -> None:
    result = CliRunner().invoke(
        probe, ["--x=1", "w", "-c=3", "-ab", "extra", "-ll=true", '--y={"a": 1}']
    )
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == ["w", 3, True, ["--x=1", "-ab", "extra", '--y={"a": 1}']]


@pytest.mark.parametrize(
    ("args", "stderr"),
    [
        (["list", "a", "-x"], 'cannot execute "list" (unknown arg(s) "-x")'),
        (["status", "--long-listing=maybe"], 'cannot decode value for "long_listing"'),
        (["run", "--debug-level=LOUD"], 'cannot decode value for "debug_level"'),
        (["returned", "--start=last"], 'cannot decode value for "start"'),
        (["returned", "-s=last"], 'cannot decode value for "start"'),
        (["returned", "--timeout=0"], 'cannot decode value for "timeout"'),
        (["add", "x.py", "--role-count=many"], 'cannot decode value for "role_count"'),
        (["stop", "x"], 'cannot execute "stop" (unknown arg(s) "x")'),
        (["add"], "cannot add (no module specified)"),
        (["history"], "cannot report history (no role specified)"),
        (["update"], "cannot update (no roles specified)"),
    ],
)
def test_argument_faults_exit_71(args, stderr, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    result = invoke(*args)
    assert result.exit_code == FAULTY_EXIT, result.output
    assert result.stderr.startswith("layer-cake: " + stderr), result.stderr
    assert result.stdout == ""


@pytest.mark.parametrize(
    "verb", ["add x.py", "list", "update r", "delete r", "run", "start", "stop", "status"]
)
def test_a_missing_home_cannot_be_opened(verb: str, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    result = invoke(*verb.split(), "--home-path=nowhere")
    assert result.exit_code == FAULTY_EXIT
    assert result.stderr == (
        f'layer-cake: cannot open path "{tmp_path / "nowhere"}" '
        "(does not exist or contains unexpected/incomplete materials)\n"
    )


def test_help_lists_the_short_forms() -> None:
    shorts = {
        "add": ("-rc", "-rs", "-hp", "-dl"),
        "list": ("-ll", "-gr", "-sr"),
        "status": ("-ll", "-gr", "-sr"),
        "delete": ("-ar",),
        "run": ("-mr",),
        "start": ("-mr",),
        "stop": ("-w",),
        "history": ("-ll",),
        "returned": ("-s", "-t"),
    }
    for command, names in shorts.items():
        text = invoke(command, "--help").stdout
        for short in names:
            assert f"{short}, --" in text, (command, short)


def test_select_roles_takes_an_exact_name_else_matches_at_the_start_of_names() -> None:
    roles = ["server", "worker-0", "worker-1", "worker-10"]
    assert select_roles(roles, ["worker-1"], "x") == ["worker-1"]  # an exact name: that role
    assert select_roles(roles, ["worker-1.*"], "x") == ["worker-1", "worker-10"]
    assert select_roles(roles, ["worker-1$", "s"], "x") == ["server", "worker-1"]


def test_select_roles_faults(capsys) -> None:
    for search, stderr in (
        (["orker"], 'layer-cake: cannot list (no roles matching "orker")'),
        (["("], 'layer-cake: cannot list (cannot compile search "("'),
    ):
        with pytest.raises(SystemExit) as exited:
            select_roles(["worker"], search, "list")
        assert exited.value.code == FAULTY_EXIT
        assert capsys.readouterr().err.startswith(stderr)


def full(value: object, portable: lc.Portable | None = None) -> str:
    """What ``--full-output`` writes for ``value``."""
    return encode_json(value if portable is None else (value, portable), pretty=False)


def test_group_result_prints_the_bare_value() -> None:
    table = lc.def_type(dict[str, lc.Any])
    values = {"a": lc.cast_to(1, lc.def_type(int)), "b": lc.cast_to("x", lc.def_type(str))}
    result = group_result(full(values, table))
    assert result.fault is None
    assert json.loads(result.text) == [["a", ["integer8", 1, []]], ["b", ["unicode", "x", []]]]
    assert result.text.startswith("[\n    [\n")
    assert group_result(full(5, lc.def_type(int))).text == "5"
    assert group_result(full(None)).text is None
    assert group_result("").text is None
    unknown = '{"value": ["their.Thing", {"b": 1, "a": 2}, []]}'
    assert json.loads(group_result(unknown).text) == {"a": 2, "b": 1}


def test_group_result_of_a_fault() -> None:
    assert group_result(full(lc.Aborted())).fault == "aborted (user or software interrupt)"
    assert group_result(full(lc.Faulted("cannot x", "why"))).fault == "cannot x (why)"
    for garbage in ("oops", '{"no": 1}', '{"value": [1, 2]}'):
        with pytest.raises(GroupOutputError):
            group_result(garbage)


def test_stop_signals_the_group_and_roles_outside_it() -> None:
    running = {
        "group": LockedOut("/h", pid=100, parent_pid=99),
        "server": LockedOut("/h", pid=101, parent_pid=100),
        "server.helper": LockedOut("/h", pid=102, parent_pid=101),
        "stray": LockedOut("/h", pid=103, parent_pid=55),
        "starting": None,
    }
    assert stop_targets(running) == {100, 103}
    del running["group"]
    assert stop_targets(running) == {101, 103}


def _run(start, stop, value) -> Run:
    carried = None if value is None else json.loads(encode_json(value))["value"]
    return Run(start, stop, carried, value)


def test_history_lines() -> None:
    start = datetime(2025, 6, 1, 8, 0, 1, 512000, tzinfo=timezone.utc)
    done = _run(start, start + timedelta(minutes=41, seconds=7), lc.Aborted())
    going = Run(start + timedelta(hours=3), None, None)
    now = start + timedelta(hours=3, minutes=2, seconds=12.4)
    assert run_line(0, done, now) == "[0] 3h2m ago ... 41m7s (Aborted)"
    assert run_line(1, going, now, open_ended=True) == "[1] 2m12.4s ago ... ?"
    assert run_line(1, going, now) == "[1] 2m12.4s ago ... ? (killed)"
    assert long_run_line(done) == (
        "2025-06-01T08:00:01.512000 ... 2025-06-01T08:41:08.512000 (41m7s) Aborted"
    )
    assert long_run_line(going, open_ended=True) == "2025-06-01T11:00:01.512000 ... ?"


def test_value_labels() -> None:
    moment = datetime(2025, 6, 1, tzinfo=timezone.utc)
    assert value_label(_run(moment, moment, lc.Faulted("x"))) == "Faulted"
    assert value_label(_run(moment, moment, (3, lc.def_type(int)))) == "integer8"
    assert value_label(Run(moment, moment, None)) == "None"
    unknown = Run(moment, moment, ["api1.Xy", {"x": 5, "y": 1}, []], known=False)
    assert value_label(unknown) == "api1.Xy"
    killed = _run(moment, moment, lc.Faulted("killed by signal SIGKILL", "exit code 9"))
    assert value_label(killed) == "killed"


def test_options_before_the_sub_command_are_moved_after_it() -> None:
    from layer_cake_cli._main import sub_command_first

    names = {"list", "run"}
    assert sub_command_first(["-hp", "h1", "list"], names) == ["list", "-hp", "h1"]
    assert sub_command_first(["-ll", "list", "--home-path=h1"], names) == [
        "list",
        "-ll",
        "--home-path=h1",
    ]
    assert sub_command_first(["--version"], names) == ["--version"]
    assert sub_command_first(["--help", "list"], names) == ["--help", "list"]
    assert sub_command_first(["list", "-ll"], names) == ["list", "-ll"]


def test_group_level_argument_errors_are_faults_not_usage_errors(tmp_path) -> None:
    done = invoke("--no-such-option")
    assert done.exit_code == FAULTY_EXIT
    assert done.output.startswith("layer-cake: cannot execute (No such option")
    moved = invoke("-hp", str(tmp_path / "nowhere"), "list")
    assert moved.exit_code == FAULTY_EXIT
    assert moved.output.startswith(f'layer-cake: cannot open path "{tmp_path / "nowhere"}"')


def test_debug_level_is_offered_only_where_processes_log() -> None:
    for command in ("list", "status", "history", "returned", "stop", "delete", "destroy"):
        assert "--debug-level" not in invoke(command, "--help").output, command
    for command in ("create", "add", "update", "run", "start"):
        assert "--debug-level" in invoke(command, "--help").output, command
    assert invoke("list", "--debug-level=DEBUG", "--home-path=/nonexistent").exit_code == 71


def test_progress_shows_only_at_a_terminal_and_is_cleared(monkeypatch, capsys) -> None:
    import threading

    from layer_cake_cli import _progress

    with _progress.waiting("starting 2 role(s)"):
        pass
    assert capsys.readouterr().err == ""  # not a terminal: nothing
    monkeypatch.setattr(_progress, "_at_terminal", lambda: True)
    monkeypatch.setattr(_progress, "SHOW_AFTER", 0.0)
    shown = threading.Event()
    real_write = _progress.sys.stderr.write

    def write(text: str) -> int:
        if "starting" in text:
            shown.set()
        return real_write(text)

    monkeypatch.setattr(_progress.sys.stderr, "write", write)
    with _progress.waiting("starting 2 role(s)"):
        assert shown.wait(30)
    err = capsys.readouterr().err
    assert "\r| starting 2 role(s)" in err
    assert err.endswith("\r" + " " * len("| starting 2 role(s)") + "\r")
