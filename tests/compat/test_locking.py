"""Locking (compat.md §3.10), written from the entries: ``head_lock``, ``LockedOut``,
``LockUp``, ``lock_file``/``unlock_file``."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

import pytest

import layer_cake as lc
from layer_cake.process._role import make_home, make_role, role_running

PATIENCE = 30.0

# Holds a lock in another process until its stdin closes.
HOLDER = textwrap.dedent(
    """
    import sys
    import layer_cake as lc

    path, name = sys.argv[1], sys.argv[2]
    with lc.channel() as c:
        a = c.create(lc.head_lock, path, name)
        m, i = c.select(lc.Ready, lc.Returned, seconds=30)
        print("READY" if i == 0 else f"ENDED {m.message}", flush=True)
        sys.stdin.read()
        c.send(lc.Stop(), a)
        m, i = c.select(lc.Returned, seconds=30)
        print(f"RELEASED {m.message}", flush=True)
    """
)


def holder(path: str, name: str) -> subprocess.Popen:
    proc = subprocess.Popen(
        [sys.executable, "-c", HOLDER, path, name],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout.readline().strip() == "READY"
    return proc


def release(proc: subprocess.Popen) -> str:
    out, _ = proc.communicate(timeout=PATIENCE)
    return out.strip()


def test_locked_out_text_forms():
    assert (
        str(lc.LockedOut("/x/lk/head", 14719, 14714))
        == 'locked out of "/x/lk/head" by <14719>(14714)'
    )
    assert str(lc.LockedOut()) == "locked out and missing details"
    assert str(lc.LockedOut("/x", 1)) == "locked out and missing details"
    assert lc.LockedOut.__lc_message__.signature == "layer_cake.head_lock.LockedOut"


def test_head_lock_holds_until_stopped_and_writes_who(tmp_path):
    with lc.channel() as c:
        a = c.create(lc.head_lock, str(tmp_path), "head")
        m, i = c.select(lc.Ready, lc.Returned, seconds=PATIENCE)
        assert i == 0
        assert c.return_address == a
        record = json.loads((tmp_path / "head.json").read_text())["value"]
        assert record == {
            "path": str(tmp_path / "head"),
            "pid": os.getpid(),
            "parent_pid": os.getppid(),
        }
        c.send(lc.Stop(), a)
        m, i = c.select(lc.Returned, seconds=PATIENCE)
        assert i == 0 and m.message is None
    assert (tmp_path / "head").exists()


def test_head_lock_held_by_another_process_ends_with_its_locked_out(tmp_path):
    proc = holder(str(tmp_path), "head")
    try:
        with lc.channel() as c:
            c.create(lc.head_lock, str(tmp_path), "head")
            m, i = c.select(lc.Ready, lc.Returned, seconds=PATIENCE)
            assert i == 1
            locked = m.message
            assert isinstance(locked, lc.LockedOut)
            assert (
                str(locked) == f'locked out of "{tmp_path / "head"}" by <{proc.pid}>({os.getpid()})'
            )
    finally:
        assert release(proc).endswith("RELEASED None")
    with lc.channel() as c:  # free again
        a = c.create(lc.head_lock, str(tmp_path), "head")
        m, i = c.select(lc.Ready, lc.Returned, seconds=PATIENCE)
        assert i == 0
        c.send(lc.Stop(), a)
        c.select(lc.Returned, seconds=PATIENCE)


def test_head_lock_on_a_role_head_makes_the_role_running(tmp_path):
    # The same lock as a running role: layer-cake sees the role as running.
    home = str(tmp_path / "home")
    make_home(home)
    make_role(home, "r", "r.py", {})
    lock_folder = os.path.join(home, "role", "r", "lock")
    with lc.channel() as c:
        a = c.create(lc.head_lock, lock_folder, "head")
        c.select(lc.Ready, seconds=PATIENCE)
        assert role_running(home, "r")
        c.send(lc.Stop(), a)
        c.select(lc.Returned, seconds=PATIENCE)
    assert not role_running(home, "r")


def test_lock_up_locks_records_and_releases(tmp_path):
    path = str(tmp_path / "data")
    with lc.LockUp(path, "w") as f:
        f.write("text")
        record = json.loads((tmp_path / "data.json").read_text())["value"]
        assert record["pid"] == os.getpid()
        probe = subprocess.run(
            [
                sys.executable,
                "-c",
                "import sys, layer_cake as lc\n"
                "try:\n    lc.LockUp(sys.argv[1], 'a').__enter__()\n"
                "except OSError:\n    print('HELD')\n",
                path,
            ],
            capture_output=True,
            text=True,
            timeout=PATIENCE,
            check=False,
        )
        assert probe.stdout.strip() == "HELD"
    assert f.closed
    assert (tmp_path / "data").read_text() == "text"
    with lc.LockUp(path, "a"):  # released
        pass


def test_lock_file_and_unlock_file(tmp_path):
    path = tmp_path / "f"
    script = (
        "import sys, layer_cake as lc\n"
        "f = open(sys.argv[1], 'a')\n"
        "try:\n    lc.lock_file(f)\n    print('GOT')\n    lc.unlock_file(f)\n"
        "except OSError:\n    print('HELD')\n"
    )

    def probe() -> str:
        done = subprocess.run(
            [sys.executable, "-c", script, str(path)],
            capture_output=True,
            text=True,
            timeout=PATIENCE,
            check=False,
        )
        return done.stdout.strip()

    with open(path, "a") as f:
        lc.lock_file(f)
        assert probe() == "HELD"
        lc.unlock_file(f)
        assert probe() == "GOT"


def test_head_lock_in_a_missing_folder_is_a_fault(tmp_path):
    with lc.channel() as c:
        c.create(lc.head_lock, str(tmp_path / "nope"), "head")
        m, i = c.select(lc.Ready, lc.Returned, seconds=PATIENCE)
    assert i == 1
    assert isinstance(m.message, lc.Faulted)


@pytest.mark.parametrize("name", ["lock_file", "unlock_file", "LockUp", "LockedOut", "head_lock"])
def test_names_are_exported(name):
    assert name in lc.__all__
