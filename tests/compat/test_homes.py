"""Homes and roles (compat.md §3.9), written from the entries: ``open_home``,
``open_role``, ``HomeRole``, ``StartStop``, ``HR`` and ``edit_role``."""

from __future__ import annotations

import collections
import json
import os
import subprocess
import sys
import textwrap
import uuid
from pathlib import Path

import pytest

import layer_cake as lc
from layer_cake.process._role import HeadLock, make_home, make_role, role_values


def home_with_roles(tmp_path: Path) -> str:
    home = str(tmp_path / "home")
    make_home(home)
    make_role(home, "group", "group-cake", {})
    make_role(home, "server", "/src/server.py", {"port": (5050, lc.Integer8())})
    make_role(home, "server.worker", "/src/worker.py", {})
    return home


def editor(tmp_path: Path, body: str) -> str:
    """A small editor program: ``body`` runs with ``path`` the file to edit."""
    script = tmp_path / "editor.py"
    script.write_text(f"import sys\npath = sys.argv[-1]\n{textwrap.dedent(body)}")
    return f"{sys.executable} {script}"


def test_open_home_lists_roles_with_group_and_sub_roles_on_request(tmp_path):
    home = home_with_roles(tmp_path)
    assert sorted(lc.open_home(home)) == ["server"]
    assert sorted(lc.open_home(home, grouping=True)) == ["group", "server"]
    assert sorted(lc.open_home(home, sub_roles=True)) == ["server", "server.worker"]
    assert lc.open_home(str(tmp_path / "nope")) is None
    os.remove(os.path.join(home, "role", "server", "log_storage.json"))
    assert lc.open_home(home) is None  # an incomplete role


def test_open_role_gives_callable_files_and_folders(tmp_path):
    home = home_with_roles(tmp_path)
    role = lc.open_role(os.path.join(home, "role", "server"), os.path.join(home, "resource"))
    assert isinstance(role, lc.HomeRole)
    assert isinstance(role.unique_id(), uuid.UUID)
    port = role.settings()["port"]
    assert port[0] == 5050 and port[1].signature() == "integer8"  # name -> (value, portable)
    assert role.log_storage() == 268435456
    assert role.executable_file() == "/src/server.py"
    assert list(role.start_stop()) == []
    for name in ("model", "tmp", "logs", "lock"):
        assert isinstance(getattr(role, name), lc.Folder)
        assert getattr(role, name).path == os.path.join(home, "role", "server", name)
    assert role.resource.path == os.path.join(home, "resource", "server.py")
    role.log_storage.update(1000)
    assert role.log_storage() == 1000
    role.settings.update({"port": (6060, lc.Integer8())})
    assert role_values(home, "server") == {"port": 6060}


def test_open_role_of_a_missing_folder_or_file(tmp_path):
    home = home_with_roles(tmp_path)
    resource = os.path.join(home, "resource")
    assert lc.open_role(os.path.join(home, "role", "nope"), resource) is None
    folder = os.path.join(home, "role", "server")
    os.remove(os.path.join(folder, "unique_id.json"))
    with pytest.raises(
        ValueError, match=f'^cannot open "{folder}" \\(missing property "unique_id"\\)$'
    ):
        lc.open_role(folder, resource)


def test_starting_and_stopped_keep_sixteen_records(tmp_path):
    home = home_with_roles(tmp_path)
    role = lc.open_role(os.path.join(home, "role", "server"), os.path.join(home, "resource"))
    for i in range(18):
        role.starting()
        role.stopped(i)
    runs = role.start_stop()
    assert isinstance(runs, collections.deque) and len(runs) == 16
    assert [lc.cast_back(r.returned)[0] for r in runs] == list(range(2, 18))  # Any: typed
    assert all(isinstance(r, lc.StartStop) and r.start.tzinfo is not None for r in runs)
    role.starting()
    assert role.start_stop()[-1].stop is None
    assert lc.StartStop.__lc_message__.signature == "layer_cake.object_startup.StartStop"


def test_hr_is_set_by_create_in_a_role(tmp_path):
    home = home_with_roles(tmp_path)
    program = tmp_path / "probe.py"
    program.write_text(
        textwrap.dedent(
            """
            import layer_cake as lc

            def probe(self) -> list[str]:
                hr = lc.HR
                return [hr.home_path, hr.role_name, hr.home_role.home_role, hr.model.path,
                        hr.tmp.path, hr.resource.path, hr.temp_dir,
                        str(hr.edit_role is lc.edit_role)]

            lc.bind(probe)
            if __name__ == "__main__":
                lc.create(probe)
            """
        )
    )
    make_role(home, "probe", str(program), {})
    done = subprocess.run(
        [sys.executable, str(program), f"--home-path={home}", "--role-name=probe"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    role = os.path.join(home, "role", "probe")
    assert json.loads(done.stdout) == [
        home,
        "probe",
        role,
        os.path.join(role, "model"),
        os.path.join(role, "tmp"),
        os.path.join(home, "resource", "probe.py"),
        os.path.join(role, "tmp"),
        "True",
    ]


def test_edit_role_stores_edited_settings(tmp_path):
    home = home_with_roles(tmp_path)
    role = lc.open_role(os.path.join(home, "role", "server"), os.path.join(home, "resource"))
    ed = editor(
        tmp_path,
        """
        import json
        with open(path) as f:
            settings = json.load(f)
        assert settings == {"value": [["port", ["integer8", 5050, []]]]}, settings
        settings["value"][0][1][1] = 7070
        with open(path, "w") as f:
            json.dump(settings, f)
        """,
    )
    assert lc.edit_role(None, role, ed) is None
    assert role_values(home, "server") == {"port": 7070}


@pytest.mark.parametrize(
    ("body", "fault"),
    [
        ("pass", "settings not modified"),
        (
            "open(path, 'w').close()",
            "cannot update settings (cannot decode (Expecting value: line 1 column 1 (char 0)))",
        ),
        (
            'open(path, \'w\').write(\'{"value": [["port", ["integer8", "x", []]]]}\')',
            "no transform str/Integer8",
        ),
        ("sys.exit(3)", "child exit code 3 (expecting 0 (zero))"),
    ],
)
def test_edit_role_faults_store_nothing(tmp_path, body, fault):
    home = home_with_roles(tmp_path)
    role = lc.open_role(os.path.join(home, "role", "server"), os.path.join(home, "resource"))
    value = lc.edit_role(None, role, editor(tmp_path, body))
    assert isinstance(value, lc.Faulted)
    assert fault in str(value)
    assert role_values(home, "server") == {"port": 5050}


def test_edit_role_with_a_schema_refuses_unknown_names(tmp_path):
    home = home_with_roles(tmp_path)
    role = lc.open_role(os.path.join(home, "role", "server"), os.path.join(home, "resource"))
    body = (
        'open(path, \'w\').write(\'{"value": [["bogus", ["integer8", 1, []]],'
        ' ["port", ["integer8", 1, []]]]}\')'
    )
    value = lc.edit_role(None, role, editor(tmp_path, body), schema={"port": lc.Integer8()})
    assert str(value) == "cannot update settings (unknown arguments (bogus))"
    assert role_values(home, "server") == {"port": 5050}


def test_edit_role_of_a_running_role_or_an_unknown_editor(tmp_path):
    home = home_with_roles(tmp_path)
    role = lc.open_role(os.path.join(home, "role", "server"), os.path.join(home, "resource"))
    with HeadLock.acquire(home, "server"):
        assert str(lc.edit_role(None, role, "true")) == "role is running"
    value = lc.edit_role(None, role, "no-such-editor-here")
    assert str(value) == f'cannot resolve executable "no-such-editor-here" from "{os.getcwd()}"'
    assert str(lc.edit_role(None, lc.HomeRole(), "true")).startswith("no settings available")
