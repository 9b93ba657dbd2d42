"""Chaos under bounded load (issue 10): SIGKILL of workers, host-cake, lan-cake and group-cake
while a client thread asks the ``examples/multihosting`` server for tables.

Every scenario runs on 127.0.0.1 with private ports (``LC_PRIMARY_IP=none`` comes from
tests/conftest.py). The load is a few hundred ``GET /Xy`` at most, one at a time, each with
its own timeout: an answer is 200 or 503, a request that times out is hung. The tests assert
counts (hung, lost sessions, answers after a kill), never times; they wait for events (log
lines, answers, processes gone) with generous deadlines.

Scenarios: workers killed (some, then all); host-cake killed and restarted on its port, with
standalone processes and with a home's group beneath it; lan-cake killed and restarted under
two host-cakes; a home's group-cake killed, then ``layer-cake start`` again.
"""

from __future__ import annotations

import os
import shutil
import signal
import sys
import threading
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "directory"))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "cli"))
from directory_support import DEADLINE, Cake, Proc, free_port, hostport
from home_support import Jobs, alive, cli, home_pids, wait_until

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "multihosting"
REQUEST_TIMEOUT = 15.0  # past this a request is hung
MOST = 400  # requests of one load, at most
AVAILABLE = "server - worker available"
DROPPED = "server - worker dropped"


@pytest.fixture
def cake(tmp_path: Path) -> Iterator[Cake]:
    c = Cake(tmp_path)
    try:
        yield c
    finally:
        c.close()


@pytest.fixture
def jobs() -> Iterator[Jobs]:
    j = Jobs()
    try:
        yield j
    finally:
        j.close()


def example(cake: Cake, script: str, *args: str, directory: int | None = None) -> Proc:
    """``examples/multihosting/<script>`` with its directory at ``directory`` (default the
    test's host-cake)."""
    at = f"--connect-to-directory={hostport(directory or cake.port)}"
    p = Proc([str(EXAMPLES / script), at, *args], EXAMPLES)
    cake.started.append(p)
    return p


def ask(port: int) -> int | str:
    """One ``GET /Xy``: its status, ``"hung"`` past the timeout, else the error's name."""
    url = f"http://127.0.0.1:{port}/Xy?x=2&y=2"
    try:
        with urllib.request.urlopen(url, timeout=REQUEST_TIMEOUT) as response:
            response.read()
            return response.status
    except urllib.error.HTTPError as e:
        e.read()
        return e.code
    except TimeoutError:
        return "hung"
    except urllib.error.URLError as e:
        return "hung" if isinstance(e.reason, TimeoutError) else type(e.reason).__name__
    except OSError as e:
        return type(e).__name__


class Load:
    """A client thread asking one request after another until stopped or ``MOST`` asked."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.answers: list[int | str] = []
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self) -> None:
        while not self.stopping.is_set() and len(self.answers) < MOST:
            self.answers.append(ask(self.port))

    def mark(self) -> int:
        return len(self.answers)

    def await_answers(self, since: int, count: int, status: int | None = None) -> None:
        """Wait until ``count`` answers (of ``status``, if given) came after ``since``."""

        def enough() -> bool:
            after = self.answers[since:]
            return sum(1 for a in after if status is None or a == status) >= count

        wait_until(lambda: enough() or not self.thread.is_alive(), f"{count} answers", DEADLINE)
        assert enough(), self.summary()

    def stop(self) -> list[int | str]:
        self.stopping.set()
        self.thread.join(timeout=REQUEST_TIMEOUT * 2)
        assert not self.thread.is_alive(), "the client thread is stuck"
        return self.answers

    def summary(self) -> dict[object, int]:
        counts: dict[object, int] = {}
        for a in self.answers:
            counts[a] = counts.get(a, 0) + 1
        return counts


def serving(port: int) -> None:
    """Wait until the server answers 200 (it subscribes and gets workers in the background)."""
    wait_until(lambda: ask(port) == 200, f"200 from :{port}", DEADLINE)


def start_server(cake: Cake, directory: int | None = None) -> tuple[Proc, int]:
    port = free_port()
    server = example(
        cake,
        "test_server_10.py",
        f"--server-address={hostport(port)}",
        "--debug-level=CONSOLE",
        directory=directory,
    )
    return server, port


def count_lines(proc: Proc, text: str) -> int:
    proc.drain_into_seen()
    return sum(text in line for line in proc.seen)


def joined(server: Proc) -> set[str]:
    """The names of the workers the server was told were available."""
    server.drain_into_seen()
    return {line.rpartition("name=")[2] for line in server.seen if AVAILABLE in line}


def await_lines(proc: Proc, text: str, count: int) -> None:
    wait_until(lambda: count_lines(proc, text) >= count, f"{count} x {text!r}", DEADLINE)


def descendants(pid: int) -> set[int]:
    """The living processes below ``pid`` (children, their children, ...), from /proc."""
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue  # gone meanwhile
            parents[int(entry.name)] = int(stat.rpartition(")")[2].split()[1])
    below: set[int] = set()
    frontier = {pid}
    while frontier:
        frontier = {child for child, parent in parents.items() if parent in frontier} - below
        below |= frontier
    return {p for p in below if alive(p)}


def make_demo_home(tmp_path: Path, cake: Cake) -> Path:
    """A home holding the example scripts, its group's parent the test's own host-cake
    (started here)."""
    home_dir = tmp_path / "home"
    home_dir.mkdir()
    for name in ("test_api.py", "test_server_10.py", "test_worker_10.py"):
        shutil.copy(EXAMPLES / name, home_dir)
    cake.host()
    created = cli(home_dir, "create", f"--directory-at-host={hostport(cake.port)}")
    assert created.returncode == 0, created.stderr
    return home_dir


# 1. Workers ---------------------------------------------------------------------------------------


def test_killed_workers_leave_the_pool_and_no_request_hangs(cake: Cake) -> None:
    cake.host()
    server, port = start_server(cake)
    workers = [example(cake, "test_worker_10.py") for _ in range(4)]
    await_lines(server, AVAILABLE, 4)
    serving(port)
    load = Load(port)
    load.await_answers(0, 20)
    for worker in workers[:2]:
        worker.kill()  # SIGKILL, by pid
    await_lines(server, DROPPED, 2)
    answers = load.stop()
    assert answers.count("hung") == 0, load.summary()
    assert set(answers) <= {200, 503}, load.summary()
    load = Load(port)  # a second bounded load: the two left keep serving
    load.await_answers(0, 30, status=200)
    answers = load.stop()
    assert answers.count("hung") == 0, load.summary()
    assert set(answers) == {200}, load.summary()
    assert count_lines(server, DROPPED) == 2  # exactly the killed ones
    assert all(w.popen.poll() is None for w in workers[2:])


def test_with_every_worker_killed_requests_get_503_until_a_new_worker_joins(cake: Cake) -> None:
    cake.host()
    server, port = start_server(cake)
    workers = [example(cake, "test_worker_10.py") for _ in range(2)]
    await_lines(server, AVAILABLE, 2)
    serving(port)
    load = Load(port)
    load.await_answers(0, 20)
    for worker in workers:
        worker.kill()  # SIGKILL, by pid
    await_lines(server, DROPPED, 2)
    load.await_answers(load.mark(), 10, status=503)  # an empty pool answers at once
    answers = load.stop()
    assert answers.count("hung") == 0, load.summary()
    assert set(answers) == {200, 503}, load.summary()
    assert answers[-1] == 503
    example(cake, "test_worker_10.py")
    await_lines(server, AVAILABLE, 3)
    load = Load(port)
    load.await_answers(0, 10, status=200)
    assert set(load.stop()) == {200}, load.summary()


# 2. host-cake -------------------------------------------------------------------------------------


def test_a_killed_host_cake_leaves_open_sessions_alone_and_restarts_on_its_port(
    cake: Cake,
) -> None:
    host = cake.host()
    server, port = start_server(cake)
    for _ in range(2):
        example(cake, "test_worker_10.py")
    await_lines(server, AVAILABLE, 2)
    serving(port)
    load = Load(port)
    load.await_answers(0, 20)
    host.kill()  # SIGKILL
    down = load.mark()
    load.await_answers(down, 30, status=200)  # sessions are peer to peer: untouched
    late = example(cake, "test_worker_10.py")  # started while host-cake is down
    cake.host()  # the same port
    await_lines(server, AVAILABLE, 3)  # the late worker joins once host-cake is back
    answers = load.stop()
    assert answers.count("hung") == 0, load.summary()
    assert set(answers) == {200}, load.summary()  # zero lost: no request without a worker
    load = Load(port)
    load.await_answers(0, 30, status=200)
    answers = load.stop()
    assert set(answers) == {200}, load.summary()
    assert count_lines(server, DROPPED) == 0
    assert count_lines(server, AVAILABLE) == len(joined(server)) == 3  # the late one, once
    assert late.popen.poll() is None


def test_a_group_reconnects_to_a_restarted_host_cake_and_loses_no_session(
    tmp_path: Path, cake: Cake, jobs: Jobs
) -> None:
    home_dir = make_demo_home(tmp_path, cake)
    port = free_port()
    address = f"--server-address={hostport(port)}"
    added = cli(home_dir, "add", "test_server_10.py", "server", address)
    assert added.returncode == 0, added.stderr
    added = cli(home_dir, "add", "test_worker_10.py", "worker", "--role-count=2")
    assert added.returncode == 0, added.stderr
    job = jobs(home_dir, "run", "--debug-level=CONSOLE")
    job.expect(AVAILABLE, count=2)
    serving(port)
    host = cake.started[0]
    load = Load(port)
    load.await_answers(0, 20)
    host.kill()  # SIGKILL: the group loses its parent
    load.await_answers(load.mark(), 30, status=200)
    outside = example(cake, "test_worker_10.py")  # beside the group, started while it is down
    cake.host()  # the same port
    job.expect(AVAILABLE, count=3)  # the group is back under host-cake: the outside one joins
    answers = load.stop()
    assert answers.count("hung") == 0, load.summary()
    assert set(answers) == {200}, load.summary()
    assert not [line for line in job.stderr if DROPPED in line]  # zero sessions lost
    names = [line.rpartition("name=")[2] for line in job.stderr if AVAILABLE in line]
    assert len(set(names)) == len(names) == 3, names  # the outside one, once
    assert outside.popen.poll() is None


# 3. lan-cake --------------------------------------------------------------------------------------


def test_a_killed_lan_cake_loses_no_session_across_hosts_and_listings_meet_after_restart(
    cake: Cake,
) -> None:
    lan_port, h1, h2 = free_port(), free_port(), free_port()
    lan = cake.lan(lan_port)
    cake.host(h1, lan_port)
    cake.host(h2, lan_port)
    server, port = start_server(cake, directory=h1)
    for _ in range(2):
        example(cake, "test_worker_10.py", directory=h2)  # on the other "host"
    await_lines(server, AVAILABLE, 2)
    serving(port)
    load = Load(port)
    load.await_answers(0, 20)
    lan.kill()  # SIGKILL
    load.await_answers(load.mark(), 30, status=200)  # cross-host sessions still serve
    late = example(cake, "test_worker_10.py", directory=h2)  # listed while lan-cake is down
    cake.lan(lan_port)  # the same port
    await_lines(server, AVAILABLE, 3)  # a new listing meets across hosts again
    answers = load.stop()
    assert answers.count("hung") == 0, load.summary()
    assert set(answers) == {200}, load.summary()
    load = Load(port)
    load.await_answers(0, 30, status=200)
    answers = load.stop()
    assert set(answers) == {200}, load.summary()
    assert count_lines(server, DROPPED) == 0  # zero sessions lost
    assert count_lines(server, AVAILABLE) == len(joined(server)) == 3  # the late one, once
    assert late.popen.poll() is None


# 4. group-cake ------------------------------------------------------------------------------------


def test_a_killed_group_cake_leaves_no_orphan_role_and_start_serves_again(
    tmp_path: Path, cake: Cake, jobs: Jobs
) -> None:
    home_dir = make_demo_home(tmp_path, cake)
    port = free_port()
    home = jobs.watch(home_dir / ".layer-cake")
    address = f"--server-address={hostport(port)}"
    added = cli(home_dir, "add", "test_server_10.py", "server", address)
    assert added.returncode == 0, added.stderr
    added = cli(home_dir, "add", "test_worker_10.py", "worker", "--role-count=2")
    assert added.returncode == 0, added.stderr
    started = cli(home_dir, "start")
    assert started.returncode == 0, started.stderr
    pids = wait_until(lambda: len(home_pids(home)) == 4 and home_pids(home), "4 running")
    serving(port)
    load = Load(port)
    load.await_answers(0, 20)
    roles = {pid for role, pid in pids.items() if role != "group"}
    below = descendants(pids["group"])
    assert roles <= below, (roles, below)
    os.kill(pids["group"], signal.SIGKILL)  # by pid: the group of this test's home
    wait_until(lambda: not any(alive(pid) for pid in below), "every role gone")  # no orphan
    answers = load.stop()
    assert answers.count("hung") == 0, load.summary()
    # The server dies with its group: a request in flight is cut, later ones are refused.
    gone = {"RemoteDisconnected", "ConnectionRefusedError", "ConnectionResetError"}
    assert set(answers) <= {200, 503} | gone, load.summary()

    again = cli(home_dir, "start")
    assert again.returncode == 0, again.stderr
    fresh = wait_until(lambda: len(home_pids(home)) == 4 and home_pids(home), "4 running again")
    assert not set(fresh.values()) & set(pids.values())
    serving(port)
    load = Load(port)
    load.await_answers(0, 30, status=200)
    answers = load.stop()
    assert answers.count("hung") == 0, load.summary()
    assert set(answers) == {200}, load.summary()
    stopped = cli(home_dir, "stop", "--wait")
    assert stopped.returncode == 0, stopped.stderr
    wait_until(lambda: home_pids(home) == {}, "every role of the home stopped")
