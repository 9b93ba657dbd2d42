"""The process entry point ``lc.create`` (api-core §11): parser units, then real processes.

The parser is a pure function and is tested without processes. Everything else runs small
scripts written into ``tmp_path`` in fresh interpreters (acceptance scenarios 40-47 and 56).
"""

from __future__ import annotations

import json
import os
import re
import selectors
import signal
import statistics
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

import layer_cake as lc
from layer_cake.process._command_line import (
    Arguments,
    initials,
    parse_arguments,
    process_schema,
    split_command,
)
from layer_cake.types._hints import hint_to_portable

SRC = Path(lc.__file__).resolve().parent.parent
LOG_LINE = re.compile(
    r"^\[\d{8}\] \d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3} [+X<>()!?^~_&=] <[0-9a-f]{8}>\S+ - "
)
ABORTED = "aborted (user or software interrupt)"


# The parser (a pure function) --------------------------------------------------------------------


def schema(**hints: object) -> dict:
    return {name: hint_to_portable(hint) for name, hint in hints.items()}


PROCESS = process_schema()
TEXTURE = schema(x=int, y=int)


def parse(
    argv: list[str], object_schema: dict | None = None, strict: bool = True
) -> Arguments | lc.Faulted:
    return parse_arguments(
        argv, PROCESS, TEXTURE if object_schema is None else object_schema, strict=strict
    )


def fault_text(argv: list[str], object_schema: dict | None = None) -> str:
    result = parse(argv, object_schema)
    assert isinstance(result, lc.Faulted), result
    return str(result)


def test_initials_are_the_first_letters_of_the_words():
    assert initials("debug_level") == "dl"
    assert initials("long_listing") == "ll"
    assert initials("from_") == "f"
    assert initials("x") == "x"


def test_long_settings_decode_by_declared_type():
    result = parse(["--x=2", "--y=3"])
    assert result.settings == {"x": 2, "y": 3}
    assert result.process == {}


def test_dashes_in_long_names_become_underscores():
    result = parse(["--debug-level=DEBUG", "--dump-all=1"], schema(dump_all=int))
    assert result.process == {"debug_level": lc.USER_LOG.DEBUG}
    assert result.settings == {"dump_all": 1}


def test_name_alone_is_true_for_bool_and_none_otherwise():
    result = parse(["--full-output", "--x"])
    assert result.process == {"full_output": True}
    assert result.settings == {"x": None}


def test_bool_takes_json_false():
    assert parse(["--child-process=false"]).process == {"child_process": False}


def test_short_forms_are_initials_with_optional_value():
    result = parse(["-dl=TRACE", "-fo", "-x=4"])
    assert result.process == {"debug_level": lc.USER_LOG.TRACE, "full_output": True}
    assert result.settings == {"x": 4}


def test_short_form_of_trailing_underscore_name():
    assert parse(["-f=a"], schema(from_=str)).settings == {"from_": "a"}


def test_text_like_values_are_verbatim_and_structured_values_are_json():
    s = schema(name=str, span=lc.TimeSpan, at=lc.HostPort, ids=list[int], scope=lc.ScopeOfDirectory)
    result = parse(
        [
            "--name=Ada Lovelace",
            "--span=1h",
            '--at={"host": "127.0.0.1", "port": 5051}',
            "--ids=[1,2]",
            "--scope=LAN",
        ],
        s,
    )
    assert result.settings["name"] == "Ada Lovelace"
    assert result.settings["span"] == 3600.0
    assert result.settings["at"] == lc.HostPort("127.0.0.1", 5051)
    assert result.settings["ids"] == [1, 2]
    assert result.settings["scope"] is lc.ScopeOfDirectory.LAN


def test_process_host_port_arguments_decode_from_json():
    result = parse(['--connect-to-directory={"host": "127.0.0.1", "port": 54195}'])
    assert result.process["connect_to_directory"] == lc.HostPort("127.0.0.1", 54195)


def test_process_host_port_arguments_also_take_host_colon_port():
    result = parse(["--connect-to-directory=127.0.0.1:54195"])
    assert result.process["connect_to_directory"] == lc.HostPort("127.0.0.1", 54195)
    assert fault_text(["--connect-to-directory=127.0.0.1:"], schema()) == (
        'cannot decode value for "connect_to_directory" '
        '(expecting {"host": ..., "port": ...} or host:port, not 127.0.0.1:)'
    )


def test_ambiguous_short_settings_name_the_long_form():
    text = fault_text(["-da=1"], schema(dump_all=int, done_after=int))
    assert (
        text == "ambiguous short settings (dump_all, done_after), use long form --dump-all=<value>"
    )


def test_ambiguous_short_process_settings():
    assert fault_text(["-dr"]).startswith("ambiguous short settings (dump_role, delete_role)")


def test_long_and_short_of_one_name_collide():
    assert fault_text(["--x=1", "-x=2"]) == "collision in settings names - x"
    assert (
        fault_text(["-dl=DEBUG", "--debug-level=TRACE"])
        == "collision in settings names - debug_level"
    )


def test_one_name_given_twice_collides():
    assert fault_text(["--y=1", "--y=2"]) == "collision in settings names - y"


def test_process_arguments_match_before_the_object_schema():
    s = schema(help=int, data_type=int)
    result = parse(["--help", "-dt"], s)
    assert result.process == {"help": True, "dump_types": True}
    assert result.settings == {}


def test_unknown_arguments_are_listed_in_order():
    assert fault_text(["--bogus=1", "-zz", "--x=1"]) == "unknown arguments (bogus, zz)"


def test_undecodable_value_names_the_setting():
    text = fault_text(["--x=abc"])
    assert text.startswith('cannot decode value for "x" (')
    assert text.endswith(")")
    assert fault_text(["--debug-level=LOUD"]).startswith('cannot decode value for "debug_level" (')


# Words are positional arguments of the object (compat §2.6 supersedes api-core §11.1's
# "words fill the schema"): hinted parameters get them decoded, in ``args``, not ``settings``.


def test_not_strict_keeps_leftovers_aside():
    result = parse(["--bogus=1", "1", "2", "c", "-zz"], strict=False)
    assert isinstance(result, Arguments)
    assert result.args == [1, 2]
    assert result.settings == {}
    assert result.remainder == ["--bogus=1", "-zz", "c"]
    assert (result.long, result.short) == ({"bogus": "1"}, {"zz": None})


def test_words_fill_parameters_in_order():
    result = parse(["3", "4"])
    assert result.args == [3, 4]
    assert result.positional == ["x", "y"]
    assert result.words == ["3", "4"]


def test_word_and_setting_for_one_parameter_collide():
    assert fault_text(["5", "--x=1"]) == "collision in settings names - x"


def test_extra_words_are_unknown():
    assert fault_text(["1", "2", "three"]) == "unknown arguments (three)"


def test_words_after_double_dash_are_words():
    result = parse(["--", "-1"], schema(n=int))
    assert result.args == [-1]


def test_split_command_takes_the_first_word_only_when_it_names_a_command():
    assert split_command(["--x=1", "list", "a"], {"list", "add"}) == ("list", ["--x=1", "a"])
    assert split_command(["other", "list"], {"list"}) == (None, ["other", "list"])
    assert split_command(["--", "list"], {"list"}) == (None, ["--", "list"])


def test_every_process_argument_has_its_declared_type_and_default():
    cl = lc.CommandLine()
    assert cl.origin is lc.ProcessOrigin.SHELL
    assert cl.directory_scope is lc.ScopeOfDirectory.PROCESS
    assert cl.debug_level is None and cl.output_file is None
    expected = {
        "origin": "layer_cake.command_line.ProcessOrigin",
        "child_process": "boolean",
        "full_output": "boolean",
        "debug_level": "layer_cake.virtual_runtime.USER_LOG",
        "home_path": "unicode",
        "role_name": "unicode",
        "resource_path": "unicode",
        "model_path": "unicode",
        "help": "boolean",
        "create_role": "boolean",
        "update_role": "boolean",
        "factory_reset": "boolean",
        "dump_role": "boolean",
        "edit_role": "boolean",
        "delete_role": "boolean",
        "role_file": "unicode",
        "dump_types": "boolean",
        "output_file": "unicode",
        "keep_logs": "boolean",
        "directory_scope": "layer_cake.command_line.ScopeOfDirectory",
        "connect_to_directory": "layer_cake.ip_networking.HostPort",
        "accept_directories_at": "layer_cake.ip_networking.HostPort",
        "encrypted_process": "boolean",
        "site_key": "unicode",
    }
    assert {n: p.signature() for n, p in PROCESS.items()} == expected
    assert (
        lc.portable_to_signature(hint_to_portable(lc.CommandLine))
        == "layer_cake.command_line.CommandLine"
    )
    assert lc.DEFAULT_HOME == ".layer-cake"


# Real processes ----------------------------------------------------------------------------------

FN = """
    import random
    import layer_cake as lc

    def texture(self, x: int = 1, y: int = 1) -> list[list[float]]:
        return [[random.random() for _ in range(x)] for _ in range(y)]

    lc.bind(texture, return_type=lc.def_type(list[list[float]]), x=int, y=int)

    if __name__ == "__main__":
        lc.create(texture)
"""

SERVER = """
    import layer_cake as lc

    def server(self):
        self.console("ready")
        while True:
            m = self.input()
            if isinstance(m, lc.Stop):
                return lc.Aborted()

    lc.bind(server)

    if __name__ == "__main__":
        lc.create(server)
"""


def environment(**extra: str) -> dict:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(SRC), env.get("PYTHONPATH", "")) if p)
    env.update(extra)
    return env


def script(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(textwrap.dedent(text))
    return path


def run(path: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, path.name, *args],
        cwd=path.parent,
        env=environment(**env),
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )


def wait_for_line(proc: subprocess.Popen, needle: str, seconds: float = 15.0) -> str:
    """Read ``proc.stderr`` until a line holds ``needle``; everything read so far."""
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


def test_table_function_prints_bare_json(tmp_path):  # scenario 40
    fn = script(tmp_path, "fn.py", FN)
    done = run(fn, "--x=2", "--y=2")
    assert done.returncode == 0, done.stderr
    table = json.loads(done.stdout)
    assert len(table) == 2 and all(
        len(row) == 2 and all(isinstance(v, float) for v in row) for row in table
    )
    assert "\n    [\n        " in done.stdout  # 4-space indent
    assert done.stderr == ""


def test_full_output_is_the_any_triple(tmp_path):  # scenario 40
    fn = script(tmp_path, "fn.py", FN)
    done = run(fn, "--x=2", "--y=2", "--full-output")
    assert done.returncode == 0, done.stderr
    value = json.loads(done.stdout)["value"]
    assert value[0] == "vector<vector<float8>>"
    assert len(value[1]) == 2 and len(value[1][0]) == 2
    assert value[2] == []


def test_child_process_output_is_compact(tmp_path):
    fn = script(tmp_path, "fn.py", FN)
    done = run(fn, "-x=3", "--child-process")
    assert done.returncode == 0, done.stderr
    assert done.stdout.count("\n") == 1 and " " not in done.stdout
    assert len(json.loads(done.stdout)[0]) == 3


def test_undecodable_and_unknown_arguments_fault(tmp_path):  # scenario 41
    fn = script(tmp_path, "fn.py", FN)
    bad = run(fn, "--x=abc")
    assert bad.returncode == 71
    assert bad.stdout == ""
    assert re.fullmatch(r'fn\.py: cannot decode value for "x" \(.+\)\n', bad.stderr), bad.stderr
    unknown = run(fn, "--bogus=1")
    assert unknown.returncode == 71
    assert unknown.stderr == "fn.py: unknown arguments (bogus)\n"


CLIENT_MODULE = """
    import layer_cake as lc

    class ConnectAndRequest(lc.Point, lc.Stateless):
        def __init__(self):
            lc.Point.__init__(self)
            lc.Stateless.__init__(self)

    def ConnectAndRequest_Start(self, message):
        self.complete(lc.Ack())

    lc.bind(ConnectAndRequest, (lc.Start,))

    class Request:
        def __init__(self, text: str = None):
            self.text = text

    lc.bind(Request)
"""

TYPED = """
    import layer_cake as lc
    import connect_and_request_state_machine as car

    def typed(self, server_address: lc.HostPort = None, test_span: lc.TimeSpan = None,
              client_type: lc.Type = None) -> list[str]:
        if client_type is not None:
            is_user_defined = isinstance(client_type, lc.UserDefined)
            return ["type", str(is_user_defined), client_type.element.__name__]
        if test_span is not None:
            return ["span", repr(test_span)]
        return ["address", server_address.host, str(server_address.port)]

    lc.bind(typed)

    if __name__ == "__main__":
        lc.create(typed)
"""


def test_host_port_and_text_form_arguments(tmp_path):  # scenarios 42 and 44
    script(tmp_path, "connect_and_request_state_machine.py", CLIENT_MODULE)
    typed = script(tmp_path, "typed.py", TYPED)
    address = run(typed, '--server-address={"host": "127.0.0.1", "port": 5051}')
    assert json.loads(address.stdout) == ["address", "127.0.0.1", "5051"], address.stderr
    span = run(typed, "--test-span=1h")
    assert json.loads(span.stdout) == ["span", "3600.0"], span.stderr
    message_type = run(typed, "--client-type=connect_and_request_state_machine.Request")
    assert json.loads(message_type.stdout) == ["type", "True", "Request"], message_type.stderr


def test_type_argument_names_a_machine_class(tmp_path):  # scenario 44
    script(tmp_path, "connect_and_request_state_machine.py", CLIENT_MODULE)
    typed = script(tmp_path, "typed.py", TYPED)
    client = run(typed, "--client-type=connect_and_request_state_machine.ConnectAndRequest")
    assert json.loads(client.stdout) == ["type", "True", "ConnectAndRequest"], client.stderr


def test_debug_level_lines_have_the_log_format(tmp_path):  # scenario 43
    fn = script(tmp_path, "fn.py", FN)
    done = run(fn, "-dl=DEBUG")
    assert done.returncode == 0
    lines = done.stderr.splitlines()
    assert lines, "no log lines"
    for line in lines:
        assert LOG_LINE.match(line), line
    assert any("texture - Created by <" in line for line in lines)
    assert all(line.startswith(f"[{int(line[1:9]):08d}] ") for line in lines)


def test_output_file_holds_the_full_encoding(tmp_path):  # scenario 46
    fn = script(tmp_path, "fn.py", FN)
    done = run(fn, "--x=2", "--output-file=out")
    assert done.returncode == 0, done.stderr
    assert done.stdout == ""
    value = json.loads((tmp_path / "out.json").read_text())["value"]
    assert value[0] == "vector<vector<float8>>" and len(value[1][0]) == 2


def test_ambiguous_short_settings_from_the_command_line(tmp_path):  # scenario 47
    job = script(
        tmp_path,
        "job.py",
        """
        import layer_cake as lc

        def job(self, dump_all: int = 0, done_after: int = 0) -> int:
            return dump_all

        lc.bind(job)

        if __name__ == "__main__":
            lc.create(job)
    """,
    )
    done = run(job, "-da=1")
    assert done.returncode == 71
    assert done.stderr == (
        "job.py: ambiguous short settings (dump_all, done_after), "
        "use long form --dump-all=<value>\n"
    )


def test_full_output_of_a_message(tmp_path):  # scenario 56
    job = script(
        tmp_path,
        "job.py",
        """
        import layer_cake as lc

        def job(self):
            return lc.Ack()

        lc.bind(job)

        if __name__ == "__main__":
            lc.create(job)
    """,
    )
    done = run(job, "--full-output")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == {"value": ["layer_cake.point_runtime.Ack", {}, []]}


FAULTY = """
    import layer_cake as lc

    def faulty(self, code: int = None, boom: bool = False):
        if boom:
            raise ValueError("boom")
        return lc.Faulted("bad", "very", exit_status=code)

    lc.bind(faulty)

    if __name__ == "__main__":
        lc.create(faulty)
"""


def test_fault_goes_to_stderr_with_its_exit_status(tmp_path):
    faulty = script(tmp_path, "faulty.py", FAULTY)
    done = run(faulty)
    assert (done.returncode, done.stdout, done.stderr) == (71, "", "faulty.py: bad (very)\n")
    done = run(faulty, "--code=3")
    assert (done.returncode, done.stderr) == (3, "faulty.py: bad (very)\n")
    done = run(faulty, "--boom")
    assert (done.returncode, done.stderr) == (
        71,
        "faulty.py: object faulted (unhandled exception (boom))\n",
    )


def test_fault_with_full_output_is_encoded_on_stdout_only(tmp_path):
    faulty = script(tmp_path, "faulty.py", FAULTY)
    done = run(faulty, "--code=4", "--full-output", "--child-process")
    assert done.returncode == 4
    assert done.stderr == ""
    signature, data, _ = json.loads(done.stdout)["value"]
    assert signature == "layer_cake.point_runtime.Faulted"
    assert data["condition"] == "bad" and data["exit_status"] == 4


def test_none_result_prints_nothing(tmp_path):
    nothing = script(
        tmp_path,
        "nothing.py",
        """
        import layer_cake as lc

        def nothing(self):
            return None

        lc.bind(nothing)

        if __name__ == "__main__":
            lc.create(nothing)
    """,
    )
    done = run(nothing)
    assert (done.returncode, done.stdout, done.stderr) == (0, "", "")


def test_help_prints_the_schema(tmp_path):
    fn = script(tmp_path, "fn.py", FN)
    done = run(fn, "--help")
    assert done.returncode == 0
    assert done.stdout == "--x=integer8\n--y=integer8\n"


def test_dump_types_prints_sorted_signatures(tmp_path):
    fn = script(tmp_path, "fn.py", FN)
    done = run(fn, "--dump-types")
    assert done.returncode == 0
    names = done.stdout.splitlines()
    assert names == sorted(names)
    assert {"vector<vector<float8>>", "layer_cake.command_line.CommandLine", "integer8"} <= set(
        names
    )


def test_role_flags_without_a_home_and_a_role_name_are_faults(tmp_path):
    fn = script(tmp_path, "fn.py", FN)
    for flag, text in (
        ("--create-role", "cannot create role (needs --home-path and --role-name)"),
        ("--role-name=server", 'cannot use role "server" (no --home-path)'),
        ("--home-path=/tmp/x", 'cannot use home "/tmp/x" (no --role-name)'),
    ):
        done = run(fn, flag)
        assert done.returncode == 71
        assert done.stderr == f"fn.py: {text}\n"


def test_object_table_word_becomes_the_sub_command_tuple(tmp_path):
    # compat §2.6 supersedes api-core §11 here: the main object runs and gets the first
    # word replaced by (sub_command, function, kw, remainder); it calls the function itself.
    tool = script(
        tmp_path,
        "tool.py",
        """
        import layer_cake as lc

        def list_(self, word, remainder, long_listing: bool = False) -> str:
            return "list long" if long_listing else "list"

        def add(self, word, remainder, count: int = 1) -> str:
            return f"add {word[0]} {count}"

        def usage(self, *word) -> str:
            if not word:
                return "usage"
            sub_command, function, kw, remainder = word[0]
            return function(self, list(word[1:]), remainder, **kw)

        for f in (list_, add, usage):
            lc.bind(f)

        if __name__ == "__main__":
            lc.create(usage, object_table=[list_, add])
    """,
    )
    assert json.loads(run(tool, "list").stdout) == "list"
    assert json.loads(run(tool, "list", "-ll").stdout) == "list long"
    assert json.loads(run(tool, "add", "worker", "--count=8").stdout) == "add worker 8"
    assert json.loads(run(tool).stdout) == "usage"
    done = run(tool, "nosuch")
    assert (done.returncode, done.stderr) == (71, 'tool.py: unknown sub-command "nosuch"\n')


def test_not_strict_tolerates_leftovers(tmp_path):
    loose = script(
        tmp_path,
        "loose.py",
        """
        import layer_cake as lc

        def loose(self, x: int = 1) -> int:
            return x

        lc.bind(loose)

        if __name__ == "__main__":
            lc.create(loose, strict=False)
    """,
    )
    done = run(loose, "5", "--bogus=1", "extra")
    assert (done.returncode, done.stdout) == (0, "5\n"), done.stderr


def test_environment_variables_fill_the_instance(tmp_path):
    env = script(
        tmp_path,
        "env.py",
        """
        import layer_cake as lc

        class Settings:
            def __init__(self, greeting: str = "hello", count: int = 1):
                self.greeting = greeting
                self.count = count

        lc.bind(Settings)
        SETTINGS = Settings()

        def env(self) -> list[str]:
            return [SETTINGS.greeting, str(SETTINGS.count)]

        lc.bind(env)

        if __name__ == "__main__":
            lc.create(env, environment_variables=SETTINGS)
    """,
    )
    done = run(env, LC_V_GREETING="hi there", LC_V_COUNT="3")
    assert json.loads(done.stdout) == ["hi there", "3"], done.stderr
    done = run(env, LC_V_COUNT="many")
    assert done.returncode == 71
    assert done.stderr.startswith('env.py: cannot decode value for "LC_V_COUNT" (')


def test_lingering_objects_are_stopped_at_exit(tmp_path):
    parent = script(
        tmp_path,
        "parent.py",
        """
        import layer_cake as lc

        def idle(self):
            while True:
                if isinstance(self.input(), lc.Stop):
                    return lc.Aborted()

        def parent(self) -> int:
            for _ in range(3):
                self.create(idle)
            return 7

        lc.bind(idle)
        lc.bind(parent)

        if __name__ == "__main__":
            lc.create(parent)
    """,
    )
    started = time.monotonic()
    done = run(parent, "-dl=OBJECT")
    assert (done.returncode, done.stdout) == (0, "7\n"), done.stderr
    assert done.stderr.count("idle - Destroyed") == 3
    assert time.monotonic() - started < 5.0  # ended by event, not by the stop grace


@pytest.mark.parametrize("number", [signal.SIGINT, signal.SIGTERM])
def test_signal_aborts_a_server(tmp_path, number):  # scenario 45
    server = script(tmp_path, "server.py", SERVER)
    proc = subprocess.Popen(
        [sys.executable, server.name, "-dl=TRACE"],
        cwd=tmp_path,
        env=environment(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        seen = wait_for_line(proc, "server - ready")
        proc.send_signal(number)
        out, err = proc.communicate(timeout=15)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    err = seen + err.decode()
    assert proc.returncode == 71
    assert out == b""
    assert err.endswith(f"server.py: {ABORTED}\n")
    alias = f"Accepting signal {int(number)} as SIGINT alias"
    assert (alias in err) == (number != signal.SIGINT)


def test_repeated_sigint_is_ignored_while_stopping(tmp_path):
    server = script(tmp_path, "server.py", SERVER)
    proc = subprocess.Popen(
        [sys.executable, server.name, "-dl=CONSOLE"],
        cwd=tmp_path,
        env=environment(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        wait_for_line(proc, "server - ready")
        proc.send_signal(signal.SIGINT)
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=15)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert proc.returncode == 71
    assert err.decode().endswith(f"server.py: {ABORTED}\n")
    assert "Traceback" not in err.decode()


def test_usr1_is_ignored_and_other_signals_are_logged_as_unexpected(tmp_path):
    server = script(tmp_path, "server.py", SERVER)
    proc = subprocess.Popen(
        [sys.executable, server.name, "-dl=CONSOLE"],
        cwd=tmp_path,
        env=environment(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        wait_for_line(proc, "server - ready")
        proc.send_signal(signal.SIGUSR1)
        proc.send_signal(signal.SIGALRM)
        seen = wait_for_line(proc, f"Unexpected signal {int(signal.SIGALRM)}")
        assert proc.poll() is None
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=15)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert proc.returncode == 71
    assert f"channel - Unexpected signal {int(signal.SIGALRM)}" in seen
    assert f"Unexpected signal {int(signal.SIGUSR1)}" not in seen + err.decode()


def test_an_async_object_still_waiting_at_exit_ends_without_a_word_on_stderr(tmp_path):
    """It ignores Stop, so its task is pending when the loop stops: asyncio then printed
    "Task was destroyed but it is pending!" and the task on stderr (CI saw it from a role
    that ended while its directory connect was in flight)."""
    program = script(
        tmp_path,
        "deaf.py",
        """
        import layer_cake as lc

        async def deaf(self):
            while True:
                await self.input()  # Stop included: it never ends by itself

        def parent(self) -> int:
            self.create(deaf)
            return 3

        lc.bind(deaf)
        lc.bind(parent)

        if __name__ == "__main__":
            lc.create(parent)
    """,
    )
    done = run(program)
    assert (done.returncode, done.stdout, done.stderr) == (0, "3\n", "")


def test_start_up_and_exit_time_of_a_trivial_function(tmp_path, record_property, capsys):
    quick = script(
        tmp_path,
        "quick.py",
        """
        import layer_cake as lc

        def quick(self) -> int:
            return 1

        lc.bind(quick)

        if __name__ == "__main__":
            lc.create(quick)
    """,
    )
    env = environment()
    times = []
    for _ in range(10):
        started = time.perf_counter()
        done = subprocess.run(
            [sys.executable, quick.name],
            cwd=tmp_path,
            env=env,
            capture_output=True,
            timeout=30,
            check=True,
        )
        times.append(time.perf_counter() - started)
        assert done.returncode == 0 and done.stdout == b"1\n"
    median = statistics.median(times)
    record_property("entry_median_seconds", median)
    with capsys.disabled():
        print(f"\nlc.create end-to-end, trivial function: median {median * 1000:.0f} ms of 10")
