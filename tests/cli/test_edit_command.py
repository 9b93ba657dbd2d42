"""``layer-cake edit`` and ``--edit-role`` (compat.md §4.2) as real subprocesses, with
``LC_EDITOR`` a small program that edits the file it is given."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from cli_support import HANG_GUARD
from home_support import NOBODY, cli, cli_env

from layer_cake.process._role import HeadLock, role_values

FAULTY = 71

# Each test runs the tool (and the roles' programs) a dozen times, on a shared machine.
pytestmark = pytest.mark.timeout(400)

OKROLE = """
import layer_cake as lc


def okrole(self, n: int = 5) -> int:
    return n


lc.bind(okrole)

if __name__ == "__main__":
    lc.create(okrole)
"""


def edit(cwd: Path, *args: str, editor: str | None = None) -> subprocess.CompletedProcess:
    env = cli_env()
    env.pop("EDITOR", None)
    if editor is not None:
        env["LC_EDITOR"] = editor
    return subprocess.run(
        [sys.executable, "-m", "layer_cake_cli", "edit", *args],
        cwd=cwd,
        env=env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=HANG_GUARD,
        check=False,
    )


def editor(folder: Path, body: str) -> str:
    """``LC_EDITOR`` running ``body`` with ``path`` the file to edit (and ``json``, ``sys``)."""
    script = folder / "editor.py"
    script.write_text("import json\nimport sys\npath = sys.argv[-1]\n" + textwrap.dedent(body))
    return f"{sys.executable} {script}"


def fault_of(done) -> str:
    assert done.returncode == FAULTY, (done.stdout, done.stderr)
    return done.stderr.strip().splitlines()[-1]


@pytest.fixture
def home(tmp_path: Path) -> Path:
    (tmp_path / "okrole.py").write_text(textwrap.dedent(OKROLE))
    assert cli(tmp_path, "create", f"--directory-at-host={NOBODY}").returncode == 0
    done = cli(tmp_path, "add", "okrole.py", "--n=5")
    assert done.returncode == 0, done.stderr
    return tmp_path / ".layer-cake"


SET_N_7 = """
with open(path) as f:
    settings = json.load(f)
assert settings == {"value": [["n", ["integer8", 5, []]]]}, settings
settings["value"][0][1][1] = 7
with open(path, "w") as f:
    json.dump(settings, f)
"""


def test_edit_stores_the_edited_settings(home, tmp_path):
    done = edit(tmp_path, "okrole", editor=editor(tmp_path, SET_N_7))
    assert (done.returncode, done.stdout, done.stderr) == (0, "", "")
    assert role_values(str(home), "okrole") == {"n": 7}
    run = cli(tmp_path, "run", "okrole")
    assert run.returncode == 0, run.stderr
    assert json.loads(run.stdout) == [["okrole", ["integer8", 7, []]]]


def test_edit_takes_role_and_home_as_words_or_options(home, tmp_path):
    ed = editor(tmp_path, SET_N_7)
    done = edit(tmp_path / "..", "--role-name=okrole", f"--home-path={home}", editor=ed)
    assert done.returncode == 0, done.stderr
    assert role_values(str(home), "okrole") == {"n": 7}
    reset = editor(
        tmp_path, "text = open(path).read().replace('7,', '5,')\nopen(path, 'w').write(text)\n"
    )
    assert edit(tmp_path / "..", "okrole", str(home), editor=reset).returncode == 0
    assert role_values(str(home), "okrole") == {"n": 5}


def test_edit_the_group(home, tmp_path):
    body = """
    with open(path) as f:
        settings = json.load(f)
    settings["value"] = [e for e in settings["value"] if e[0] != "main_role"]
    settings["value"].append(["main_role", ["unicode", "okrole", []]])
    with open(path, "w") as f:
        json.dump(settings, f)
    """
    done = edit(tmp_path, "group", editor=editor(tmp_path, body))
    assert done.returncode == 0, done.stderr
    assert role_values(str(home), "group")["main_role"] == "okrole"


@pytest.mark.parametrize(
    ("body", "fault"),
    [
        ("pass\n", "layer-cake: settings not modified"),
        (
            "open(path, 'w').close()\n",
            "layer-cake: cannot update settings (cannot decode "
            "(Expecting value: line 1 column 1 (char 0)))",
        ),
        (
            'open(path, "w").write(\'{"value": [["n", ["integer8", "five", []]]]}\')\n',
            "no transform str/Integer8)",
        ),
        ("sys.exit(3)\n", "layer-cake: child exit code 3 (expecting 0 (zero))"),
        (
            'open(path, "w").write(\'{"value": [["bogus", ["integer8", 1, []]]]}\')\n',
            "layer-cake: cannot update settings (unknown arguments (bogus))",
        ),
    ],
)
def test_edit_faults_store_nothing(home, tmp_path, body, fault):
    done = edit(tmp_path, "okrole", editor=editor(tmp_path, body))
    text = fault_of(done)
    assert text == fault or (
        text.startswith("layer-cake: cannot update settings") and fault in text
    )
    assert role_values(str(home), "okrole") == {"n": 5}


def test_edit_errors(home, tmp_path):
    assert fault_of(edit(tmp_path, editor="true")) == (
        f'layer-cake: cannot edit "{home}" (no role specified)'
    )
    assert fault_of(edit(tmp_path, "nosuch", editor="true")) == (
        'layer-cake: cannot edit "nosuch" (does not exist)'
    )
    with HeadLock.acquire(str(home), "okrole"):
        assert fault_of(edit(tmp_path, "okrole", editor="true")) == (
            'layer-cake: cannot edit "okrole" (role is running)'
        )
    assert fault_of(edit(tmp_path, "okrole", editor="no-such-editor")) == (
        f'layer-cake: cannot resolve executable "no-such-editor" from "{tmp_path}"'
    )
    assert role_values(str(home), "okrole") == {"n": 5}


def test_edit_role_flag_in_the_program(home, tmp_path):
    env = cli_env()
    env["LC_EDITOR"] = editor(tmp_path, SET_N_7)
    done = subprocess.run(
        [
            sys.executable,
            str(tmp_path / "okrole.py"),
            "--edit-role",
            "--origin=RUN",
            f"--home-path={home}",
            "--role-name=okrole",
        ],
        env=env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=HANG_GUARD,
        check=False,
    )
    assert (done.returncode, done.stdout, done.stderr) == (0, "", "")
    assert role_values(str(home), "okrole") == {"n": 7}
    done = subprocess.run(
        [
            sys.executable,
            str(tmp_path / "okrole.py"),
            "--edit-role",
            f"--home-path={home}",
            "--role-name=nosuch",
        ],
        env=env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=HANG_GUARD,
        check=False,
    )
    assert done.returncode == FAULTY
    assert done.stderr.strip() == f'okrole.py: no settings available "{home}/role/nosuch"'
