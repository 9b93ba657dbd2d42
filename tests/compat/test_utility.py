"""``lc.Utility`` arguments and keywords (compat.md §2.7), written from the entry: 0.1's
tuple rules and fault texts, its keywords as parameters (stdin, stdout, stderr, cwd,
args_schema), and the remaining keywords passed to ``subprocess.Popen``."""

from __future__ import annotations

import os
import sys

import layer_cake as lc

PATIENCE = 30.0


def result(*args: object, **kw: object) -> object:
    with lc.channel() as ch:
        address = ch.create(lc.Utility, *args, **kw)
        m, i = ch.select(lc.Returned, seconds=PATIENCE)
        assert i == 0 and ch.return_address == address
        return m.message


def test_positional_items_become_argv_entries():
    text = result(
        "echo",
        "plain",
        ("name", "v"),
        ("n", 3),
        ("flag", None),
        ("sep", " ", "x"),
        ("two", None, "y"),
        4.5,
        stdout=str,
    )
    assert text == ("plain --name=v -n=3 --flag --sep x --two y 4.5\n", lc.Unicode())


def test_separator_in_a_three_tuple_makes_one_entry():
    # one entry: the program sees a single argument holding the separator
    code = "import sys; print(len(sys.argv) - 1, sys.argv[1])"
    text, _ = result(sys.executable, "-c", code, ("sep", ":", "x"), stdout=str)
    assert text == "1 --sep:x\n"


def test_stdin_text_is_written_to_the_program():
    assert result("cat", stdin="from-stdin", stdout=str) == ("from-stdin", lc.Unicode())
    assert result("cat", stdin=b"raw", stdout=bytes) == (b"raw", lc.String())


def test_non_zero_exit_is_a_fault():
    fault = result("false")
    assert isinstance(fault, lc.Faulted)
    assert (fault.condition, fault.explanation) == ("child exit code 1", "expecting 0 (zero)")


def test_captured_stderr_is_appended_to_the_explanation():
    fault = result("sh", "-c", "echo oops >&2; exit 3", stderr=str)
    assert isinstance(fault, lc.Faulted)
    assert fault.condition == "child exit code 3"
    assert fault.explanation.startswith("expecting 0 (zero)")
    assert "oops" in fault.explanation


def test_a_program_not_on_path_cannot_be_resolved():
    fault = result("no-such-program-xyz")
    assert str(fault) == f'cannot resolve executable "no-such-program-xyz" from "{os.getcwd()}"'


def test_a_tuple_of_another_length_is_refused():
    fault = result("echo", ("a", "b", "c", "d"))
    assert str(fault) == (
        'cannot process arguments for "echo", tuple flag [0] with unexpected length 4'
    )


def test_cwd_is_honoured(tmp_path):
    text, _ = result("pwd", cwd=str(tmp_path), stdout=str)
    assert os.path.samefile(text.strip(), tmp_path)


def test_args_schema_encodes_a_flag_by_its_type():
    at = lc.text_to_clock("2025-06-01T10:20:30")
    text, _ = result("echo", ("at", at), args_schema={"at": lc.ClockTime}, stdout=str)
    assert text == f"--at={lc.clock_to_text(at)}\n"
    assert "2025-06-01T10:20:30" in text


def test_other_keywords_go_to_popen():
    text, _ = result("sh", "-c", "echo $COMPAT_X", env={"COMPAT_X": "42"}, stdout=str)
    assert text == "42\n"
    fault = result("echo", no_such_popen_keyword=1)
    assert isinstance(fault, lc.Faulted)
    assert str(fault).startswith('cannot start process "echo" (')
