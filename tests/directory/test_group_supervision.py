"""group-cake as the supervisor of a home's roles (cli.md §5, pubsub §7).

Every test makes a home in ``tmp_path`` with ``make_home``/``make_role`` (the files
``layer-cake create``/``add`` make), whose ``group`` role points at the test's own host-cake
(never the standard one), then runs ``group-cake --home-path=H --role-name=group`` as
``layer-cake run`` does. Roles print their events on stderr (their stdout is their result,
read by the ProcessObject), which group-cake shares; the test reads group-cake's stderr.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from directory_support import DEADLINE, Cake, Proc, free_port

import layer_cake as lc
from layer_cake.process._role import (
    make_home,
    make_role,
    role_locked_out,
    role_running,
    role_start_stop,
)
from layer_cake_directory import read_supervision
from layer_cake_directory._group import START_SLOTS, start_order

ROLE_SCRIPTS = {
    "offer.py": """
import sys
import layer_cake as lc


def say(*parts):
    sys.stderr.write(" ".join(str(p) for p in parts) + "\\n")
    sys.stderr.flush()


def offer(self, name: str = "svc", scope: str = "GROUP"):
    lc.publish(self, name, scope=lc.ScopeOfDirectory[scope])
    while True:
        m = self.input()
        if isinstance(m, lc.Published):
            say("OFFER PUBLISHED", m.name)
        elif isinstance(m, lc.Delivered):
            say("OFFER DELIVERED", m.name, m.scope.name)
        elif isinstance(m, lc.Stop):
            say("OFFER STOPPED")
            return lc.Aborted()


lc.bind(offer)

if __name__ == "__main__":
    lc.create(offer)
""",
    "seek.py": """
import sys
import layer_cake as lc


def say(*parts):
    sys.stderr.write(" ".join(str(p) for p in parts) + "\\n")
    sys.stderr.flush()


def seek(self, search: str = "svc", scope: str = "GROUP", done: bool = False):
    lc.subscribe(self, search, scope=lc.ScopeOfDirectory[scope])
    while True:
        m = self.input()
        if isinstance(m, lc.Available):
            say("SEEK AVAILABLE", m.name, m.scope.name)
            if done:
                return m.name
        elif isinstance(m, lc.Stop):
            say("SEEK STOPPED")
            return lc.Aborted()


lc.bind(seek)

if __name__ == "__main__":
    lc.create(seek)
""",
    "slow.py": """
import sys
import time

def say(*parts):
    sys.stderr.write(" ".join(str(p) for p in parts) + "\\n")
    sys.stderr.flush()

ROLE = next(a.split("=", 1)[1] for a in sys.argv if a.startswith("--role-name="))
say("LOAD BEGIN", ROLE)
time.sleep(0.3)  # a module that takes long to load
say("LOAD END", ROLE)

import layer_cake as lc
from layer_cake.process import _role

_acquire = _role.HeadLock.acquire.__func__


def acquire(cls, home, role):
    loaded = all(m in sys.modules for m in ("asyncio", "layer_cake.pubsub._node"))
    say("LOCK", role, "loaded" if loaded else "NOT LOADED")
    return _acquire(cls, home, role)


_role.HeadLock.acquire = classmethod(acquire)


def slow(self, value: int = 0):
    return value


lc.bind(slow)

if __name__ == "__main__":
    lc.create(slow)
""",
    "plain.py": """
import sys
import time

sys.stderr.write("PLAIN BEGIN\\n")
sys.stderr.flush()
time.sleep(8.0)  # a program that is not a layer-cake one: it never takes a head lock
sys.stderr.write("PLAIN END\\n")
sys.stderr.flush()
""",
    "brief.py": """
import sys
import layer_cake as lc


def brief(self, value: int = 7):
    sys.stderr.write("BRIEF RAN\\n")
    sys.stderr.flush()
    return value


lc.bind(brief)

if __name__ == "__main__":
    lc.create(brief)
""",
}


class Home:
    """A home with a group role, and a way to run group-cake over it."""

    def __init__(self, cake: Cake, folder: Path, **group_settings: object) -> None:
        self.cake = cake
        self.path = str(folder / "home")
        make_home(self.path)
        for name, text in ROLE_SCRIPTS.items():
            (folder / name).write_text(text)
        self.folder = folder
        settings = {"directory_at_host": lc.HostPort("127.0.0.1", cake.port), **group_settings}
        make_role(self.path, "group", "group-cake", settings)

    def role(self, role: str, script: str, **settings: object) -> None:
        make_role(self.path, role, str(self.folder / script), settings)

    def run(self, *words: str) -> Proc:
        argv = ["-m", "layer_cake_directory.group_cake", *words]
        argv += [f"--home-path={self.path}", "--role-name=group", "--origin=RUN"]
        return self.cake.start(argv)


def result_of(proc: Proc) -> object:
    """group-cake's exit status and stdout (its result as bare JSON)."""
    code = proc.popen.wait(timeout=DEADLINE * 2)
    for reader in proc.readers:
        reader.join(timeout=DEADLINE)
    proc.drain_into_seen()
    return code


def test_the_group_runs_its_roles_and_they_meet_in_its_directory(cake: Cake, tmp_path) -> None:  # type: ignore[no-untyped-def]
    home = Home(cake, tmp_path)
    home.role("worker", "offer.py", name="svc:g")
    home.role("server", "seek.py", search="svc:g")
    group = home.run()
    group.expect("group-cake: listening")
    assert group.expect("SEEK AVAILABLE") == "SEEK AVAILABLE svc:g GROUP"
    assert group.expect("OFFER DELIVERED") == "OFFER DELIVERED svc:g GROUP"
    assert role_running(home.path, "worker") and role_running(home.path, "server")
    group.popen.send_signal(signal.SIGINT)  # control-c: Stop to every role
    assert result_of(group) == 71
    assert {"OFFER STOPPED", "SEEK STOPPED"} <= set(group.seen)
    assert any("aborted (user or software interrupt)" in line for line in group.seen)
    assert not role_running(home.path, "worker") and not role_running(home.path, "server")
    runs = role_start_stop(home.path, "worker")
    assert len(runs) == 1 and isinstance(runs[0].returned, lc.Aborted)


def test_the_end_of_the_main_role_stops_the_others_and_is_the_group_value(
    cake: Cake, tmp_path
) -> None:  # type: ignore[no-untyped-def]
    home = Home(cake, tmp_path, main_role="server")
    home.role("worker", "offer.py", name="svc:m")
    home.role("server", "seek.py", search="svc:m", done=True)
    group = home.run()
    assert result_of(group) == 0
    assert "OFFER STOPPED" in group.seen  # the worker was stopped when the server ended
    value = [line for line in group.seen if line.startswith('"')]
    assert value == ['"svc:m"'], group.seen


def test_a_role_that_ends_is_restarted_per_retry_then_the_group_ends_with_the_table(
    cake: Cake, tmp_path
) -> None:  # type: ignore[no-untyped-def]
    retry = lc.RetryIntervals(first_steps=[0.1, 0.1])
    home = Home(cake, tmp_path, retry=retry)
    home.role("brief", "brief.py", value=9)
    group = home.run()
    assert result_of(group) == 0
    assert group.seen.count("BRIEF RAN") == 3  # the first run, then two restarts
    assert len(role_start_stop(home.path, "brief")) == 3
    printed = [line for line in group.seen if not line.startswith(("BRIEF", "group-cake"))]
    # The table of last values: a JSON list of [role, [signature, data, pointers]].
    assert json.loads("\n".join(printed)) == [["brief", ["integer8", 9, []]]], group.seen


def test_search_words_select_roles_and_a_word_matching_nothing_is_a_fault(
    cake: Cake, tmp_path
) -> None:  # type: ignore[no-untyped-def]
    home = Home(cake, tmp_path)
    home.role("brief-0", "brief.py", value=1)
    home.role("other", "brief.py", value=2)
    group = home.run("brief")
    assert result_of(group) == 0
    assert group.seen.count("BRIEF RAN") == 1
    assert len(role_start_stop(home.path, "other")) == 0
    none = home.run("nothing")
    assert result_of(none) == 71
    assert any('No roles matching "nothing"' in line for line in none.seen), none.seen
    bad = home.run("(")
    assert result_of(bad) == 71
    assert any('cannot compile search "("' in line for line in bad.seen), bad.seen


def test_roles_do_not_outlive_a_killed_group(cake: Cake, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """§9: a group-cake that dies leaves no role running: each role gets SIGTERM from the
    kernel when its parent dies (PR_SET_PDEATHSIG), stops as on SIGINT and records its end."""
    home = Home(cake, tmp_path)
    home.role("worker", "offer.py", name="svc:k")
    home.role("server", "seek.py", search="svc:k")
    group = home.run()
    group.expect("SEEK AVAILABLE")
    pids = [role_locked_out(home.path, r).pid for r in ("worker", "server")]  # type: ignore[union-attr]
    group.kill(signal.SIGKILL)
    end = time.monotonic() + DEADLINE
    while any(_alive(pid) for pid in pids):
        assert time.monotonic() < end, f"roles {pids} outlived their group"
        time.sleep(0.05)  # polling for an event (the processes' end), not a fixed wait
    assert not role_running(home.path, "worker") and not role_running(home.path, "server")
    for role in ("worker", "server"):
        last = role_start_stop(home.path, role)[-1]
        assert last.stop is not None and isinstance(last.returned, lc.Aborted), (role, last)


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rpartition(")")[2].split()[0] != "Z"
    except FileNotFoundError:
        return False


def test_an_exact_role_name_selects_that_role_only(cake: Cake, tmp_path) -> None:  # type: ignore[no-untyped-def]
    home = Home(cake, tmp_path)
    for i in (1, 10, 11):
        home.role(f"w-{i}", "brief.py", value=i)
    group = home.run("w-1")
    assert result_of(group) == 0
    assert group.seen.count("BRIEF RAN") == 1
    assert [len(role_start_stop(home.path, f"w-{i}")) for i in (1, 10, 11)] == [1, 0, 0]
    empty = home.run("")
    assert result_of(empty) == 71
    assert any("empty search word" in line for line in empty.seen), empty.seen


def test_a_faulting_role_is_reported_and_the_supervision_file_counts_restarts(
    cake: Cake, tmp_path
) -> None:  # type: ignore[no-untyped-def]
    retry = lc.RetryIntervals(first_steps=[0.1])
    home = Home(cake, tmp_path, retry=retry)
    home.role("brief", "brief.py", value=3)
    home.role("broken", "nosuch.py")  # the program is missing: a fault at each start
    group = home.run("--debug-level=WARNING")
    assert result_of(group) == 0
    ended = [line for line in group.seen if line.startswith("broken ended: ")]
    assert len(ended) == 2, group.seen  # the first run and the one restart
    assert any('Role "broken" ended: ' in line for line in group.seen)  # logged at WARNING
    state = read_supervision(home.path)
    assert state is not None and state.directory is not None
    assert state.directory.startswith("127.0.0.1:")
    assert (state.roles["brief"].restarts, state.roles["brief"].last) == (1, "3")
    assert state.roles["broken"].faulted and state.roles["broken"].restarts == 1
    assert state.roles["broken"].restart_at is None


def test_a_killed_role_gets_its_end_recorded_by_the_group(cake: Cake, tmp_path) -> None:  # type: ignore[no-untyped-def]
    home = Home(cake, tmp_path)
    home.role("victim", "seek.py", search="nothing")
    home.role("other", "seek.py", search="nothing")
    group = home.run()
    group.expect("group-cake: listening")
    end = time.monotonic() + DEADLINE
    while not (role_running(home.path, "victim") and role_start_stop(home.path, "victim")):
        assert time.monotonic() < end, "victim not running"
        time.sleep(0.05)  # polling for an event (the role's lock and record), not a fixed wait
    pid = role_locked_out(home.path, "victim").pid  # type: ignore[union-attr]
    os.kill(pid, signal.SIGKILL)
    assert group.expect("victim ended: ") == "victim ended: killed by signal SIGKILL"
    last = role_start_stop(home.path, "victim")[-1]
    assert last.stop is not None
    assert isinstance(last.returned, lc.Faulted)
    assert str(last.returned) == "killed by signal SIGKILL"
    group.popen.send_signal(signal.SIGINT)
    assert result_of(group) == 71


def test_a_host_cake_role_is_not_a_process_child_of_the_group(cake: Cake, tmp_path) -> None:  # type: ignore[no-untyped-def]
    port = free_port()
    home = Home(cake, tmp_path)
    program = os.path.join(os.path.dirname(sys.executable), "host-cake")  # this install's
    listen = lc.HostPort("127.0.0.1", port)
    make_role(home.path, "host-cake", program, {"directory_at_host": listen})
    group = home.run()
    group.expect(f'host-cake: listening for directories at "127.0.0.1:{port}"')
    end = time.monotonic() + DEADLINE
    while not role_running(home.path, "host-cake"):
        assert time.monotonic() < end, "host-cake not running"
        time.sleep(0.05)  # polling for an event (the role's lock), not a fixed wait
    pid = role_locked_out(home.path, "host-cake").pid  # type: ignore[union-attr]
    with open(f"/proc/{pid}/cmdline", "rb") as f:
        argv = f.read().decode().split("\0")
    assert not [a for a in argv if a.startswith(("--directory-scope", "--connect-to-directory"))]
    group.popen.send_signal(signal.SIGINT)
    assert result_of(group) == 71


def test_start_order_puts_the_main_role_first_then_one_instance_of_each_family_per_wave() -> None:
    roles = ["api", "server", *(f"worker-{i}" for i in (1, 10, 2, 3)), "cache-1", "cache-2"]
    assert start_order(roles) == [
        "api",
        "server",
        "worker-1",
        "cache-1",
        "worker-2",
        "cache-2",
        "worker-3",
        "worker-10",
    ]
    assert start_order(roles, main_role="cache-2")[:4] == ["cache-2", "api", "server", "worker-1"]
    assert start_order([]) == []


def test_roles_load_in_waves_of_one_per_core_and_each_has_loaded_when_it_takes_its_lock(
    cake: Cake, tmp_path
) -> None:  # type: ignore[no-untyped-def]
    """Nine roles loading at once on two cores each took four times as long: the first
    answer of the seed's demo waited for all of them (issue 12). A role counts as loading
    until its process holds its head lock, which it takes once its runtime is imported."""
    count = START_SLOTS + 3
    home = Home(cake, tmp_path)
    for i in range(1, count + 1):
        home.role(f"slow-{i}", "slow.py", value=i)
    home.role("first", "slow.py", value=0)
    group = home.run()
    assert result_of(group) == 0, group.seen
    events = [line.split() for line in group.seen if line.startswith(("LOAD ", "LOCK "))]
    begins = [e[2] for e in events if e[:2] == ["LOAD", "BEGIN"]]
    names = ["first", *(f"slow-{i}" for i in range(1, count + 1))]
    first_wave = set(start_order(names)[:START_SLOTS])  # in any order: they start together
    assert {"first", "slow-1"} <= first_wave  # one of each family first
    assert set(begins[:START_SLOTS]) == first_wave, events
    assert sorted(begins) == sorted(names)
    loading: set[str] = set()
    most = 0
    for event in events:
        if event[:2] == ["LOAD", "BEGIN"]:
            loading.add(event[2])
            most = max(most, len(loading))
        elif event[0] == "LOCK":
            assert event[2] == "loaded", events  # the runtime is in before the lock is taken
            loading.discard(event[1])
    assert most == START_SLOTS, events  # never more loading at once than there are slots
    printed = [line for line in group.seen if not line.startswith(("LOAD", "LOCK", "group-cake"))]
    table = json.loads("\n".join(printed))
    assert sorted(value for _, (_, value, _) in table) == list(range(count + 1))
    state = read_supervision(home.path)
    assert state is not None and not any(r.starting for r in state.roles.values()), state


def test_a_role_with_no_directory_to_join_takes_its_lock_without_loading_the_loop(
    cake: Cake, tmp_path
) -> None:  # type: ignore[no-untyped-def]
    """Only a role that joins a directory (as every role of a group does) imports the loop
    before its lock: one run by hand with no directory may never need it (issue 13's lean
    processes)."""
    home = Home(cake, tmp_path)
    home.role("solo", "slow.py", value=5)
    done = subprocess.run(
        [sys.executable, str(tmp_path / "slow.py"), f"--home-path={home.path}", "--role-name=solo"],
        capture_output=True,
        text=True,
        timeout=DEADLINE,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "LOCK solo NOT LOADED" in done.stderr.splitlines(), done.stderr


def test_a_role_that_never_takes_its_lock_holds_its_slot_for_the_loading_cap_only(
    cake: Cake, tmp_path
) -> None:  # type: ignore[no-untyped-def]
    """Programs that are not layer-cake ones fill every slot of the first wave and never take
    a lock: the next role starts once ``LOADING_CAP`` (2 s) has passed, long before they end
    (8 s)."""
    home = Home(cake, tmp_path)
    for i in range(START_SLOTS):
        home.role(f"p{i}", "plain.py")
    home.role("quick", "brief.py", value=4)  # sorts after the p<n>: the second wave
    group = home.run()
    group.expect("BRIEF RAN")
    before = [line for line in group.seen if line.startswith("PLAIN")]  # the lines before it
    assert before == ["PLAIN BEGIN"] * START_SLOTS, group.seen
    group.popen.send_signal(signal.SIGINT)  # the plain programs are stopped while loading
    assert result_of(group) == 71
