"""``layer-cake resource``, ``model`` and ``script`` (compat.md §4.1, §4.3-§4.6), and a
portable image of a composite process (§4.7), as real subprocesses. "Running" is a head lock
held by the test (what a running role holds)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from cli_support import HANG_GUARD
from home_support import NOBODY, cli, cli_env

from layer_cake.process._role import HeadLock, make_role

FAULTY = 71

# Each test runs the tool (and the roles' programs) a dozen times, on a shared machine.
pytestmark = pytest.mark.timeout(400)

OKROLE = """
import layer_cake as lc
import api1


def okrole(self, n: int = 5) -> list[str]:
    return [api1.NAME, str(n), lc.resource_path(), lc.model_path()]


lc.bind(okrole)

if __name__ == "__main__":
    lc.create(okrole)
"""


def fault_of(done) -> str:
    assert done.returncode == FAULTY, (done.stdout, done.stderr)
    assert done.stdout == ""
    return done.stderr.strip().splitlines()[-1]


def ok(done) -> list[str]:
    assert done.returncode == 0, done.stderr
    return done.stdout.splitlines()


@pytest.fixture
def c(tmp_path: Path) -> Path:
    """A folder with ``src/okrole.py`` (importing ``src/api1.py``) and a home in
    ``.layer-cake`` whose role ``okrole`` runs it."""
    src = tmp_path / "src"
    src.mkdir()
    (src / "okrole.py").write_text(textwrap.dedent(OKROLE))
    (src / "api1.py").write_text('NAME = "api1"\n')
    assert cli(tmp_path, "create", f"--directory-at-host={NOBODY}").returncode == 0
    done = cli(tmp_path, "add", "src/okrole.py")
    assert done.returncode == 0, done.stderr
    return tmp_path


def media(c: Path) -> Path:
    (c / "media" / "img").mkdir(parents=True)
    (c / "media" / "a.txt").write_text("a")
    (c / "media" / "img" / "b.png").write_bytes(b"png")
    return c / "media"


# §4.3 ------------------------------------------------------------------------------------------


def test_create_and_add_make_resource_folders(c):
    home = c / ".layer-cake"
    assert sorted(os.listdir(home / "resource")) == ["group-cake", "okrole.py"]
    assert ok(cli(c, "add", "src/okrole.py", "second")) == []
    assert sorted(os.listdir(home / "resource")) == ["group-cake", "okrole.py"]  # shared


# resource --------------------------------------------------------------------------------------


def test_resource_sequence_of_the_spec(c):
    target = c / ".layer-cake" / "resource" / "okrole.py"
    assert ok(cli(c, "resource", "okrole.py")) == []
    media(c)
    assert ok(cli(c, "resource", "okrole.py", "media")) == [
        f"AddFolder(path={c}/media, target={target})"
    ]
    assert ok(cli(c, "resource", "okrole.py", "media", "--make-changes")) == []
    assert ok(cli(c, "resource", "okrole.py")) == ["media"]
    assert ok(cli(c, "resource", "okrole.py", "-rl")) == [
        "media",
        "media/a.txt",
        "media/img",
        "media/img/b.png",
    ]
    assert ok(cli(c, "resource", "okrole.py", "-fp")) == [f"{target}/media"]
    st = os.stat(target / "media" / "img")
    assert f"drwxr-xr-x {st.st_uid}/{st.st_gid} media/img" in ok(
        cli(c, "resource", "okrole.py", "-rl", "-ll")
    )
    assert ok(cli(c, "resource", "okrole.py", "media")) == []  # in sync
    (c / "media" / "img" / "c.png").write_bytes(b"c")
    (c / "media" / "img" / "b.png").unlink()
    os.utime(c / "media" / "a.txt", (4_000_000_000, 4_000_000_000))
    lines = ok(cli(c, "resource", "okrole.py", "media"))
    assert len(lines) == 3
    assert f"AddFile(path={c}/media/img/c.png, target={target}/media/img)" in lines
    assert any(
        line.startswith(f"RemoveFile(path={target}/media/img/b.png, modified=") for line in lines
    )
    assert any(
        line.startswith(f"UpdateFile(path={c}/media/a.txt, modified=2096-")
        and line.endswith(f", target={target}/media)")
        for line in lines
    )
    assert ok(cli(c, "resource", "okrole.py", "media", "-mc")) == []
    assert (target / "media" / "img" / "c.png").exists()
    assert not (target / "media" / "img" / "b.png").exists()
    lines = ok(cli(c, "resource", "okrole.py", "media/a.txt", "media/img"))
    assert lines[0].startswith(f"RemoveFolder(path={target}/media, modified=")
    assert lines[0].endswith(", contents=2)")
    assert sorted(lines[1:]) == [
        f"AddFile(path={c}/media/a.txt, target={target})",
        f"AddFolder(path={c}/media/img, target={target})",
    ]


def test_resource_path_mirrors_the_contents_and_clear_all_empties(c):
    media(c)
    target = c / ".layer-cake" / "resource" / "okrole.py"
    assert ok(cli(c, "resource", "okrole.py", "--resource-path=media")) == [
        f"AddFile(path={c}/media/a.txt, target={target})",
        f"AddFolder(path={c}/media/img, target={target})",
    ]
    assert ok(cli(c, "resource", "okrole.py", "-rp=media", "-mc")) == []
    assert sorted(os.listdir(target)) == ["a.txt", "img"]
    assert ok(cli(c, "resource", "okrole.py", "--clear-all")) == []
    assert os.listdir(target) == []


def test_resource_errors(c):
    home = c / ".layer-cake"
    media(c)
    assert (
        fault_of(cli(c, "resource"))
        == "layer-cake: cannot resource group (no executable specified)"
    )
    missing = home / "resource" / "nosuch.py"
    assert fault_of(cli(c, "resource", "nosuch.py")) == (
        f'layer-cake: cannot resource "nosuch.py" (folder "{missing}" does not exist)'
    )
    inappropriate = 'layer-cake: cannot resource "okrole.py" (inappropriate argument(s))'
    for extra in ("--resource-path=media", "--clear-all", "-fp", "-rl"):
        assert fault_of(cli(c, "resource", "okrole.py", "media", extra)) == inappropriate
    assert fault_of(cli(c, "resource", "okrole.py", "nope")) == (
        f'layer-cake: cannot resource "okrole.py" ("{c}/nope" does not exist)'
    )
    (c / "other").mkdir()
    (c / "other" / "a.txt").write_text("")
    assert fault_of(cli(c, "resource", "okrole.py", "media/a.txt", "other/a.txt")) == (
        'layer-cake: cannot resource "okrole.py" (multiple selections of "a.txt")'
    )
    assert fault_of(cli(c, "resource", "okrole.py", "--home-path=nohome")) == (
        'layer-cake: cannot resource "okrole.py" '
        "(does not exist or contains unexpected/incomplete materials)"
    )


def test_resource_changes_refused_while_a_role_of_the_program_runs(c):
    assert ok(cli(c, "add", "src/okrole.py", "second")) == []
    home = str(c / ".layer-cake")
    media(c)
    with HeadLock.acquire(home, "okrole"):
        assert ok(cli(c, "resource", "okrole.py", "media")) != []  # a dry run is fine
        assert ok(cli(c, "resource", "okrole.py")) == []  # and a listing
        assert fault_of(cli(c, "resource", "okrole.py", "media", "-mc")) == (
            'layer-cake: cannot resource "okrole.py" (role "okrole" is running)'
        )
        with HeadLock.acquire(home, "second"):
            assert fault_of(cli(c, "resource", "okrole.py", "--clear-all")) == (
                'layer-cake: cannot resource "okrole.py" (roles "okrole,second" are running)'
            )


# model -----------------------------------------------------------------------------------------


def test_model_sequence_of_the_spec(c):
    (c / "db" / "tables").mkdir(parents=True)
    (c / "db" / "cfg.json").write_text("{}")
    (c / "db" / "tables" / "t1").write_text("t")
    target = c / ".layer-cake" / "role" / "okrole" / "model"
    assert ok(cli(c, "model", "okrole", "db")) == [f"AddFolder(path={c}/db, target={target})"]
    assert ok(cli(c, "model", "okrole", "db", "--make-changes")) == []
    assert ok(cli(c, "model", "okrole")) == ["db"]
    st = os.stat(target / "db")
    assert ok(cli(c, "model", "okrole", "-ll")) == [f"drwxr-xr-x {st.st_uid}/{st.st_gid} db"]
    assert ok(cli(c, "model", "okrole", "-rl")) == [
        "db",
        "db/cfg.json",
        "db/tables",
        "db/tables/t1",
    ]
    snap = c / "snap"
    assert ok(cli(c, "model", "okrole", f"--get-latest={snap}")) == [
        f"AddFolder(path={target}/db, target={snap})"
    ]
    assert not snap.exists()  # DECISION: created only with --make-changes
    assert ok(cli(c, "model", "okrole", f"--get-latest={snap}", "-mc")) == []
    assert (snap / "db" / "cfg.json").read_text() == "{}"
    assert (snap / "db" / "tables" / "t1").read_text() == "t"
    assert ok(cli(c, "model", "okrole", "--model-path=db", "-mc")) == []
    assert sorted(os.listdir(target)) == ["cfg.json", "tables"]  # a mirror: db removed
    assert ok(cli(c, "model", "okrole", "--clear-all")) == []
    assert os.listdir(target) == []


def test_model_errors(c):
    home = c / ".layer-cake"
    (c / "db").mkdir()
    assert fault_of(cli(c, "model")) == f'layer-cake: cannot model "{home}" (no role specified)'
    assert fault_of(cli(c, "model", "nosuch")) == 'layer-cake: cannot model "nosuch" (unknown role)'
    inappropriate = 'layer-cake: cannot model "okrole" (inappropriate argument(s))'
    assert fault_of(cli(c, "model", "okrole", "db", "--get-latest=snap")) == inappropriate
    assert fault_of(cli(c, "model", "okrole", "db", "--model-path=db")) == inappropriate
    assert fault_of(cli(c, "model", "okrole", "db", "--clear-all")) == inappropriate
    (c / "file").write_text("")
    assert fault_of(cli(c, "model", "okrole", "--get-latest=file")) == (
        f'layer-cake: cannot model "okrole" (path "{c}/file" is not a usable folder)'
    )
    with HeadLock.acquire(str(home), "okrole"):
        assert fault_of(cli(c, "model", "okrole", "db", "-mc")) == (
            'layer-cake: cannot model "okrole" (role "okrole" is running)'
        )
    shutil.rmtree(home / "role" / "okrole" / "model")
    (home / "role" / "okrole" / "model").write_text("")
    # the home is then incomplete: a model folder that is a file
    assert "does not exist or contains unexpected/incomplete materials" in fault_of(
        cli(c, "model", "okrole")
    )


# script ----------------------------------------------------------------------------------------


def test_script_sequence_of_the_spec(c):
    src = c / "src"
    (src / "notes.txt").write_text("n")
    (src / "__pycache__").mkdir(exist_ok=True)  # ``add`` may have written one already
    (src / "__pycache__" / "stale.cpython-311.pyc").write_bytes(b"")
    (src / "pkg").mkdir()
    (src / "pkg" / "__init__.py").write_text("")
    target = c / ".layer-cake" / "script"
    assert ok(cli(c, "script")) == [
        f"AddFile(path={src}/api1.py, target={target})",
        f"AddFile(path={src}/notes.txt, target={target})",
        f"AddFile(path={src}/okrole.py, target={target})",
        f"AddFolder(path={src}/pkg, target={target})",
    ]
    assert ok(cli(c, "script", "--make-changes")) == []
    assert ok(cli(c, "script", "--list-scripts")) == ["api1.py", "notes.txt", "okrole.py", "pkg"]
    assert ok(cli(c, "script", "--list-scripts", "-rl", "-fp"))[-1] == f"{target}/pkg/__init__.py"
    os.utime(src / "okrole.py", (4_000_000_000, 4_000_000_000))
    (target / "stray.py").write_text("")
    lines = ok(cli(c, "script"))
    assert len(lines) == 2
    assert lines[1].startswith(f"UpdateFile(path={src}/okrole.py, modified=2096-")
    assert lines[1].endswith(f", target={target})")
    assert lines[0].startswith(f"RemoveFile(path={target}/stray.py, modified=")
    assert ok(cli(c, "script", "--list-executables")) == [
        f"{'group':<24} group-cake",
        f"{'okrole':<24} {src}/okrole.py",
    ]
    assert ok(cli(c, "script", "--list-paths")) == [str(src)]
    assert ok(cli(c, "script", "--clear-all")) == []
    assert os.listdir(target) == []


def test_script_errors(c):
    home = c / ".layer-cake"
    other = c / "other"
    other.mkdir()
    (other / "api1.py").write_text("")
    (other / "two.py").write_text(textwrap.dedent(OKROLE))
    assert ok(cli(c, "add", "other/two.py")) == []
    assert fault_of(cli(c, "script")) == (
        f'layer-cake: cannot script "{home}" (duplicated names "api1.py")'
    )
    for flag in ("-ll", "-fp", "-rl"):
        assert fault_of(cli(c, "script", flag)) == (
            f'layer-cake: cannot script "{home}" (inappropriate argument(s))'
        )
    with HeadLock.acquire(str(home), "okrole"), HeadLock.acquire(str(home), "group"):
        assert fault_of(cli(c, "script", "-mc")) == (
            f'layer-cake: cannot script "{home}" (roles "okrole" are running)'
        )  # the group runs no script


def test_script_with_no_python_roles(tmp_path):
    assert cli(tmp_path, "create", f"--directory-at-host={NOBODY}").returncode == 0
    home = tmp_path / ".layer-cake"
    assert fault_of(cli(tmp_path, "script")) == (
        f'layer-cake: cannot script "{home}" (no scripts in use)'
    )


# §4.7 ------------------------------------------------------------------------------------------


def test_portable_image_runs_from_a_copy_without_its_sources(c, tmp_path_factory):
    media(c)
    (c / "db").mkdir()
    (c / "db" / "cfg.json").write_text("{}")
    assert ok(cli(c, "resource", "okrole.py", "media", "-mc")) == []
    assert ok(cli(c, "model", "okrole", "db", "-mc")) == []
    assert ok(cli(c, "script", "-mc")) == []
    original = cli(c, "run", "okrole")
    assert original.returncode == 0, original.stderr
    # The sources go away, the home is copied to another folder.
    elsewhere = tmp_path_factory.mktemp("elsewhere")
    shutil.move(str(c / "src"), str(elsewhere / "src"))
    assert not (c / "src").exists()
    home2 = elsewhere / "home2"
    shutil.copytree(c / ".layer-cake", home2, symlinks=True)
    shutil.rmtree(elsewhere / "src")  # gone for good
    run = cli(elsewhere, "run", "okrole", f"--home-path={home2}")
    assert run.returncode == 0, run.stderr
    [[role, [signature, value, _]]] = json.loads(run.stdout)
    assert (role, signature) == ("okrole", "vector<unicode>")
    assert value == ["api1", "5", f"{home2}/resource/okrole.py", f"{home2}/role/okrole/model"]
    [[_, [_, before, _]]] = json.loads(original.stdout)
    assert before[:2] == value[:2]  # the same result, from the copy
    assert (home2 / "role" / "okrole" / "model" / "db" / "cfg.json").exists()


def test_a_program_recorded_elsewhere_is_found_by_name_on_path(tmp_path):
    # DECISION (compat §4.7): a non-.py program recorded by an absolute path that is gone
    # (e.g. from another virtualenv) is looked up by its base name on PATH.
    assert cli(tmp_path, "create", f"--directory-at-host={NOBODY}").returncode == 0
    home = tmp_path / ".layer-cake"
    bin_folder = tmp_path / "bin"
    bin_folder.mkdir()
    program = bin_folder / "myprog"
    program.write_text(
        f"#!{sys.executable}\n"
        "import layer_cake as lc\n\n\n"
        "def myprog(self) -> str:\n    return 'found'\n\n\n"
        "lc.bind(myprog)\nlc.create(myprog)\n"
    )
    program.chmod(0o755)
    make_role(str(home), "mine", "/gone/venv/bin/myprog", {})
    os.makedirs(home / "resource" / "myprog")
    env = cli_env()
    env["PATH"] = os.pathsep.join([str(bin_folder), env["PATH"]])
    done = subprocess.run(
        [sys.executable, "-m", "layer_cake_cli", "run", "mine"],
        cwd=tmp_path,
        env=env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=HANG_GUARD,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == [["mine", ["unicode", "found", []]]]


def test_an_unusable_home_is_refused_by_every_storage_command(tmp_path):
    home = tmp_path / ".layer-cake"
    why = "does not exist or contains unexpected/incomplete materials"
    assert fault_of(cli(tmp_path, "resource", "okrole.py")) == (
        f'layer-cake: cannot resource "okrole.py" ({why})'
    )
    assert (
        fault_of(cli(tmp_path, "model", "okrole")) == f'layer-cake: cannot model "okrole" ({why})'
    )
    assert fault_of(cli(tmp_path, "script")) == f'layer-cake: cannot script "{home}" ({why})'
    assert fault_of(cli(tmp_path, "edit", "okrole")) == f'layer-cake: cannot edit "{home}" ({why})'
