"""``layer-cake create``, ``add``, ``list``, ``update``, ``delete`` and ``destroy`` (cli §2-§4)
as real subprocesses: the tool runs the roles' programs for their settings (§3) and never
writes settings itself. "Running" is a head lock held by the test (what a running role holds).
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from home_support import NOBODY, cli, make_home, write_roles

import layer_cake as lc
from layer_cake.process._role import (
    HeadLock,
    home_roles,
    make_role,
    role_executable,
    role_values,
)

FAULTY = 71


def fault_of(done) -> str:
    assert done.returncode == FAULTY, (done.stdout, done.stderr)
    assert done.stdout == ""
    return done.stderr.strip().splitlines()[-1]


def roles_listed(cwd: Path, *args: str) -> list[str]:
    done = cli(cwd, "list", *args)
    assert done.returncode == 0, done.stderr
    return done.stdout.split()


def test_create_makes_the_folders_and_the_group_role(tmp_path: Path) -> None:
    done = cli(tmp_path, "create", f"--directory-at-host={NOBODY}", '--retry={"regular_steps": 30}')
    assert (done.returncode, done.stdout, done.stderr) == (0, "", "")
    home = tmp_path / ".layer-cake"
    for folder in ("script", "resource", "role", "departures", "arrivals"):
        assert (home / folder).is_dir()
    assert home_roles(str(home)) == ["group"]
    settings = role_values(str(home), "group")
    assert settings["directory_at_host"] == lc.HostPort("127.0.0.1", 1)
    assert settings["retry"].regular_steps == 30.0
    assert role_executable(str(home), "group") == "group-cake"
    assert roles_listed(tmp_path) == []
    assert roles_listed(tmp_path, "-gr") == ["group"]


def test_create_takes_the_home_as_a_word_or_as_home_path(tmp_path: Path) -> None:
    assert cli(tmp_path, "create", "first", f"-dah={NOBODY}").returncode == 0
    second = f"--home-path={tmp_path}/second"
    assert cli(tmp_path, "create", second, f"-dah={NOBODY}").returncode == 0
    assert roles_listed(tmp_path, "-gr", "--home-path=first") == ["group"]
    assert roles_listed(tmp_path, "-gr", "-hp=second") == ["group"]


def test_create_refuses_an_existing_folder_or_file(tmp_path: Path) -> None:
    (tmp_path / ".layer-cake").mkdir()
    (tmp_path / "file").write_text("x")
    home = tmp_path / ".layer-cake"
    assert fault_of(cli(tmp_path, "create")) == (
        f'layer-cake: cannot create "{home}" (existing folder)'
    )
    assert fault_of(cli(tmp_path, "create", "file")) == (
        f'layer-cake: cannot create "{tmp_path / "file"}" (existing file)'
    )


def test_create_with_a_bad_group_setting_leaves_nothing(tmp_path: Path) -> None:
    fault = fault_of(cli(tmp_path, "create", "--retry=soon"))
    assert fault.startswith('layer-cake: cannot decode value for "retry"'), fault
    assert not (tmp_path / ".layer-cake").exists()
    fault = fault_of(cli(tmp_path, "create", "--no-such-setting=1"))
    assert fault == "layer-cake: unknown arguments (no_such_setting)", fault
    assert not (tmp_path / ".layer-cake").exists()
    fault = fault_of(cli(tmp_path, "create", f"-dah={NOBODY}", f"--directory-at-lan={NOBODY}"))
    assert "give one of --directory-at-host and --directory-at-lan" in fault
    assert not (tmp_path / ".layer-cake").exists()


def test_add_records_the_program_and_its_checked_settings(tmp_path: Path) -> None:
    home = make_home(tmp_path, ("role.py", "r", "--value=3", "--after=1.5"))
    assert role_executable(str(home), "r") == str(tmp_path / "role.py")
    assert role_values(str(home), "r") == {"value": 3, "after": 1.5}
    done = cli(tmp_path, "add", "role.py")  # the role's name: the program's base name
    assert done.returncode == 0, done.stderr
    assert roles_listed(tmp_path) == ["r", "role"]


def test_add_and_update_a_program_on_path(tmp_path: Path) -> None:
    home = str(make_home(tmp_path, ("host-cake",)))
    assert role_executable(home, "host-cake") == "host-cake"
    assert role_values(home, "host-cake") == {}
    done = cli(tmp_path, "update", "host", f"--directory-at-host={NOBODY}")
    assert done.returncode == 0, done.stderr
    assert role_values(home, "host-cake") == {"directory_at_host": lc.HostPort("127.0.0.1", 1)}


def test_add_with_role_count_numbers_the_roles(tmp_path: Path) -> None:
    make_home(tmp_path, ("role.py", "worker", "--role-count=8"))
    assert roles_listed(tmp_path) == [f"worker-{i}" for i in range(8)]
    done = cli(tmp_path, "add", "role.py", "spare", "-rc=2", "--role-start=10", "--value=4")
    assert done.returncode == 0, done.stderr
    home = str(tmp_path / ".layer-cake")
    assert roles_listed(tmp_path, "spare") == ["spare-10", "spare-11"]
    assert role_values(home, "spare-11") == {"value": 4}


@pytest.mark.parametrize(
    ("args", "fault"),
    [
        ([], "cannot add (no module specified)"),
        (["role.py", "group-b"], 'cannot add "group-b" (reserved name)'),
        (["role.py", "grouping"], 'cannot add "grouping" (reserved name)'),
        (["role.py", "a.b"], 'cannot add "a.b" (not a valid name, use letters, digits, _ and -)'),
        (["role.py", "w", "--role-count=0"], "expecting role_count in the range 1...1000"),
        (["role.py", "w", "--role-count=1001"], "expecting role_count in the range 1...1000"),
        (["role.py", "w", "--role-count=4"], 'cannot add "w" (collision of roles "w-1,w-3")'),
        (["missing.py"], 'cannot add "missing.py" (not found)'),
        (["role.py", "r", "--value=many"], 'cannot decode value for "value"'),
        (["role.py", "r", "--colour=red"], "unknown arguments (colour)"),
    ],
)
def test_add_faults_leave_the_home_as_it_was(tmp_path: Path, args, fault) -> None:
    home = make_home(tmp_path, ("role.py", "w-1"), ("role.py", "w-3"))
    before = home_roles(str(home))
    got = fault_of(cli(tmp_path, "add", *args))
    assert got.startswith("layer-cake: ") and fault in got, got
    assert home_roles(str(home)) == before
    assert not [p for p in (home / "role").iterdir() if p.name.startswith(".")]


def test_add_without_a_home(tmp_path: Path) -> None:
    write_roles(tmp_path)
    home = tmp_path / ".layer-cake"
    assert fault_of(cli(tmp_path, "add", "role.py")) == (
        f'layer-cake: cannot open path "{home}" '
        "(does not exist or contains unexpected/incomplete materials)"
    )


def test_list_long_listing_shows_program_and_usage(tmp_path: Path) -> None:
    make_home(tmp_path, ("role.py", "server"), ("role.py", "worker", "--role-count=2"))
    done = cli(tmp_path, "list", "--long-listing")
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert [line.split()[0] for line in lines] == ["server", "worker-0", "worker-1"]
    program = re.escape(str(tmp_path / "role.py"))
    for line in lines:
        assert re.fullmatch(rf"[-\w]{{1,24}} +{program} 4/5/\d+", line), line
        assert line[24] == " " and line[25] == "/"
    assert (
        cli(tmp_path, "list", "-ll", "-gr")
        .stdout.splitlines()[0]
        .startswith(f"{'group':<24} group-cake 4/5/")
    )


def test_list_selects_with_search_words_and_flags(tmp_path: Path) -> None:
    home = make_home(tmp_path, ("role.py", "server"), ("role.py", "worker", "-rc=3"))
    make_role(str(home), "server.helper", str(tmp_path / "role.py"), {})
    assert roles_listed(tmp_path, "work") == ["worker-0", "worker-1", "worker-2"]
    assert roles_listed(tmp_path, "worker-[02]", "ser") == ["server", "worker-0", "worker-2"]
    assert roles_listed(tmp_path, "-sr", "server") == ["server"]  # the exact name
    assert roles_listed(tmp_path, "-sr", "server.*") == ["server", "server.helper"]
    assert roles_listed(tmp_path, "-gr", "-sr") == [
        "group",
        "server",
        "server.helper",
        "worker-0",
        "worker-1",
        "worker-2",
    ]
    assert fault_of(cli(tmp_path, "list", "nothing")) == (
        'layer-cake: cannot list (no roles matching "nothing")'
    )
    assert fault_of(cli(tmp_path, "list", "a", "-x")) == (
        'layer-cake: cannot execute "list" (unknown arg(s) "-x")'
    )


def test_update_merges_settings_of_the_selected_roles(tmp_path: Path) -> None:
    home = str(make_home(tmp_path, ("role.py", "worker", "-rc=3", "--value=1", "--after=2.5")))
    done = cli(tmp_path, "update", "worker-[01]", "--value=7")
    assert (done.returncode, done.stdout, done.stderr) == (0, "", "")
    assert role_values(home, "worker-0") == {"value": 7, "after": 2.5}
    assert role_values(home, "worker-1") == {"value": 7, "after": 2.5}
    assert role_values(home, "worker-2") == {"value": 1, "after": 2.5}


def test_update_group_retry(tmp_path: Path) -> None:
    home = str(make_home(tmp_path))
    done = cli(tmp_path, "update", "group", '--retry={"regular_steps": 30.0}')
    assert done.returncode == 0, done.stderr
    values = role_values(home, "group")
    assert values["retry"].regular_steps == 30.0
    assert values["directory_at_host"] == lc.HostPort("127.0.0.1", 1)


def test_update_faults(tmp_path: Path) -> None:
    home = str(make_home(tmp_path, ("role.py", "r", "--value=1")))
    got = fault_of(cli(tmp_path, "update", "r", "--value=lots"))
    assert got.startswith('layer-cake: cannot decode value for "value"'), got
    assert role_values(home, "r") == {"value": 1}
    assert fault_of(cli(tmp_path, "update")) == "layer-cake: cannot update (no roles specified)"
    assert fault_of(cli(tmp_path, "update", "q")) == (
        'layer-cake: cannot update (no roles matching "q")'
    )
    with HeadLock.acquire(home, "r"):
        assert fault_of(cli(tmp_path, "update", "r", "--value=2")) == (
            'layer-cake: cannot update (roles "r" are currently running)'
        )
    assert role_values(home, "r") == {"value": 1}


def test_delete_removes_roles_and_their_sub_roles_never_the_group(tmp_path: Path) -> None:
    home = str(make_home(tmp_path, ("role.py", "server"), ("role.py", "worker", "-rc=3")))
    make_role(home, "server.helper", str(tmp_path / "role.py"), {})
    assert cli(tmp_path, "delete", "server", "worker-1").returncode == 0
    assert home_roles(home) == ["group", "worker-0", "worker-2"]
    assert fault_of(cli(tmp_path, "delete")) == (
        "layer-cake: cannot delete (no roles specified, use --all-roles?)"
    )
    assert fault_of(cli(tmp_path, "delete", "group")) == (
        'layer-cake: cannot delete (no roles matching "group")'
    )
    with HeadLock.acquire(home, "worker-2"):
        assert fault_of(cli(tmp_path, "delete", "--all-roles")) == (
            'layer-cake: cannot delete (roles "worker-2" are currently running)'
        )
    assert home_roles(home) == ["group", "worker-0", "worker-2"]
    assert cli(tmp_path, "delete", "--all-roles").returncode == 0
    assert home_roles(home) == ["group"]


def test_destroy_deletes_the_home_unless_a_role_runs(tmp_path: Path) -> None:
    home = make_home(tmp_path, ("role.py", "r"))
    with HeadLock.acquire(str(home), "r"):
        assert fault_of(cli(tmp_path, "destroy")) == (
            f'layer-cake: cannot destroy "{home}" (running roles "r")'
        )
    assert home.is_dir()
    done = cli(tmp_path, "destroy")
    assert (done.returncode, done.stdout, done.stderr) == (0, "", "")
    assert not home.exists()
    assert fault_of(cli(tmp_path, "destroy")) == (
        f'layer-cake: cannot destroy "{home}" '
        "(does not exist or contains unexpected/incomplete materials)"
    )


def test_destroy_refuses_what_is_not_a_home(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("x")
    (tmp_path / "folder").mkdir()
    os.symlink(tmp_path / "nowhere", tmp_path / "dangling")
    assert fault_of(cli(tmp_path, "destroy", "file")).endswith("(existing file)")
    assert fault_of(cli(tmp_path, "destroy", "dangling")).endswith("(not a folder)")
    assert fault_of(cli(tmp_path, "destroy", "folder")).endswith(
        "(does not exist or contains unexpected/incomplete materials)"
    )
    assert (tmp_path / "folder").is_dir()
