"""Command-line words (compat.md §2.6, §3.2), written from the entry: ``*args`` main
objects, the ``object_table`` sub-command protocol with its exact 4-tuple, the fault texts,
hinted positional words decoded by type, and argument errors exiting 71. Real processes run
``python prog.py a b --n=2 c`` and their stdout and exit status are checked."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import layer_cake as lc
from layer_cake.process._command_line import CL, update_command_line

WORDS = """
    import layer_cake as lc

    def main(self, *word, n: int = 1):
        return {"word": list(word), "types": sorted({type(w).__name__ for w in word}), "n": n}

    lc.bind(main)

    if __name__ == "__main__":
        lc.create(main)
"""

NH = """
    import layer_cake as lc

    def nohint(self, v: int = 3, w=None):
        return [v, type(v).__name__, w]

    lc.bind(nohint)

    if __name__ == "__main__":
        lc.create(nohint)
"""

TOOL = """
    import sys
    import layer_cake as lc

    def list_(self, word, remainder, long_listing: bool = False):
        return {"word": word, "ll": long_listing, "rem": list(remainder)}

    def add(self, word, remainder, count: int = 1):
        return {"word": word, "count": count, "rem": list(remainder)}

    def clash(self, word, remainder, verbose: bool = False):
        return "never"

    def unbound(self, word, remainder):
        return "never"

    def tool(self, *word, verbose: bool = False):
        if not word:
            return lc.Faulted("no sub-command")
        sub_command, function, kw, remainder = word[0]
        shape = [
            type(word[0]).__name__, len(word[0]), sub_command, function.__name__,
            type(kw).__name__, type(remainder).__name__, len(remainder),
        ]
        value = function(self, list(word[1:]), remainder, **kw)
        return {"shape": shape, "verbose": verbose, "value": value}

    for f in (list_, add, clash, tool):
        lc.bind(f)

    if __name__ == "__main__":
        strict = "STRICT" in __import__("os").environ
        lc.create(tool, object_table=[list_, add, clash, unbound], strict=strict)
"""


def run(tmp_path: Path, text: str, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    name = "prog.py"
    (tmp_path / name).write_text(textwrap.dedent(text))
    environment = dict(os.environ, LC_PRIMARY_IP="none", **env)
    return subprocess.run(
        [sys.executable, name, *args],
        cwd=tmp_path,
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_words_go_to_the_star_parameter_anywhere_between_settings(tmp_path):
    done = run(tmp_path, WORDS, "a", "b", "--n=2", "c")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == {"word": ["a", "b", "c"], "types": ["str"], "n": 2}


def test_no_words_give_no_positional_arguments(tmp_path):
    done = run(tmp_path, WORDS)
    assert json.loads(done.stdout) == {"word": [], "types": [], "n": 1}


def test_unknown_arguments_exit_71(tmp_path):
    done = run(tmp_path, WORDS, "--bogus=1")
    assert (done.returncode, done.stdout) == (71, "")
    assert done.stderr == "prog.py: unknown arguments (bogus)\n"


def test_a_hinted_positional_word_is_decoded_by_its_type(tmp_path):
    done = run(tmp_path, NH, "7", "eight")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == [7, "int", "eight"]  # the unhinted one stays text


def test_a_word_and_a_setting_for_one_parameter_collide(tmp_path):
    done = run(tmp_path, NH, "7", "--v=8")
    assert (done.returncode, done.stderr) == (71, "prog.py: collision in settings names - v\n")


def test_sub_command_gets_its_words_and_settings(tmp_path):
    done = run(tmp_path, TOOL, "list", "x", "y", "-ll")
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout)
    assert out["shape"] == ["tuple", 4, "list", "list_", "dict", "tuple", 2]
    assert out["value"] == {"word": ["x", "y"], "ll": True, "rem": [{}, {}]}


def test_settings_before_the_sub_command_and_leftovers_in_the_remainder(tmp_path):
    done = run(tmp_path, TOOL, "--verbose", "add", "z", "--count=3", "--other=1", "-q")
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout)
    assert out["verbose"] is True
    assert out["value"] == {"word": ["z"], "count": 3, "rem": [{"other": "1"}, {"q": None}]}
    done = run(tmp_path, TOOL, "add", "--other-thing=a=b")  # raw text, names as typed
    assert json.loads(done.stdout)["value"]["rem"] == [{"other-thing": "a=b"}, {}]


def test_sub_command_faults(tmp_path):
    cases = [
        (("nosuch",), {}, 'unknown sub-command "nosuch"'),
        (("unbound",), {}, 'cannot use sub-command "unbound", not registered?'),
        (("clash",), {}, "collision in settings names - verbose"),
        (("add", "--k1=1", "--k2"), {"STRICT": "1"}, "unknown arguments (k1, k2)"),
        ((), {}, "no sub-command"),
    ]
    for args, env, text in cases:
        done = run(tmp_path, TOOL, *args, **env)
        assert (done.returncode, done.stdout) == (71, ""), (args, done.stdout)
        assert done.stderr == f"prog.py: {text}\n", args


@pytest.fixture
def restore_command_line():
    yield
    update_command_line({})


def tool_main(self, *word, verbose: bool = False):
    return None


def list_(self, word, remainder, long_listing: bool = False):
    return None


lc.bind(tool_main)
lc.bind(list_)


def test_command_arguments_parse_process_and_object_settings(restore_command_line):
    executable, extracted, words = lc.command_arguments(
        tool_main, ["x.py", "a", "--verbose", "-dl=DEBUG", "b"]
    )
    assert executable == os.path.abspath("x.py")
    assert extracted == {"verbose": (True, lc.Boolean())}
    assert words == ["a", "b"]
    assert CL.debug_level == lc.USER_LOG.DEBUG
    with pytest.raises(ValueError, match=r"^unknown arguments \(k\)$"):
        lc.command_arguments(tool_main, ["x.py", "--k"])


def test_command_sub_arguments_replace_the_first_word(restore_command_line):
    _, extracted, words = lc.command_sub_arguments(
        tool_main, [list_], ["x.py", "list", "a", "-ll", "--zz=1"], strict=False
    )
    assert extracted == {}
    assert words == [("list", list_, {"long_listing": True}, ({"zz": "1"}, {})), "a"]
    with pytest.raises(ValueError, match='unknown sub-command "nope"'):
        lc.command_sub_arguments(tool_main, [list_], ["x.py", "nope"])


class Variables:
    def __init__(self, greeting: str = "hello", count: int = 1) -> None:
        self.greeting = greeting
        self.count = count


lc.bind(Variables)


def test_command_variables_read_lc_v_variables():
    v = Variables()
    lc.command_variables(v, {"LC_V_GREETING": "hi there", "LC_V_COUNT": "3", "OTHER": "x"})
    assert (v.greeting, v.count) == ("hi there", 3)
    with pytest.raises(ValueError, match='cannot decode value for "LC_V_COUNT"'):
        lc.command_variables(v, {"LC_V_COUNT": "many"})
