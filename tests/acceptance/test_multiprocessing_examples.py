"""The servers of ``examples/multiprocessing`` (api-core §10.5-10.6) as real processes.

Each server runs in its own interpreter on a free port of 127.0.0.1, from the examples folder,
with the *installed* packages on ``PYTHONPATH`` (the folders that hold the imported
``layer_cake`` and ``layer_cake_directory``: the compiled build under nox, not the source
tree). A test waits for the port to accept, never for a fixed time, and kills the server by
PID in a ``finally``. Child processes are read from ``/proc/<pid>/task/*/children``.
"""

from __future__ import annotations

import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

import layer_cake as lc
import layer_cake_directory

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "multiprocessing"
LOOPBACK = "127.0.0.1"
TABLE_SIGNATURE = "vector<vector<float8>>"
#: An interpreter start, an import, and for the library servers the workers' own starts.
STARTUP = 60.0
#: How long the server and its children may take to go after SIGINT.
SHUTDOWN = 30.0
SERVERS = ("test_server_5.py", "test_server_6.py", "test_server_7.py")
SPOOL_SERVER = "test_server_7.py"
SPOOL_WORKERS = 4


def package_parents() -> list[str]:
    """The folders the imported packages came from, each once, in import order."""
    folders = (Path(m.__file__).resolve().parent.parent for m in (lc, layer_cake_directory))
    return list(dict.fromkeys(str(f) for f in folders))


def environment() -> dict[str, str]:
    """This environment (loop and build choice included) with the installed packages' path."""
    return dict(os.environ, PYTHONPATH=os.pathsep.join(package_parents()))


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((LOOPBACK, 0))
        return s.getsockname()[1]


def children_of(pid: int) -> set[int]:
    """The child processes of ``pid`` (empty once it has gone)."""
    found: set[int] = set()
    for children in Path(f"/proc/{pid}/task").glob("*/children"):
        try:
            found.update(int(n) for n in children.read_text().split())
        except OSError:  # the task ended meanwhile
            continue
    return found


def descendants_of(pid: int) -> set[int]:
    found, frontier = set(), children_of(pid)
    while frontier:
        found |= frontier
        frontier = set().union(*(children_of(p) for p in frontier)) - found
    return found


def alive(pid: int) -> bool:
    """True while ``pid`` exists and is not a zombie."""
    try:
        status = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return status.rsplit(")", 1)[1].split()[0] != "Z"


def wait_until(predicate: Callable[[], object], what: str, seconds: float) -> object:
    deadline = time.monotonic() + seconds
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"not {what} within {seconds:g} s")
        time.sleep(0.1)  # a poll interval, not a wait for an outcome


class Server:
    """One example server in its own interpreter on a free port; output to files."""

    def __init__(self, tmp_path: Path, name: str) -> None:
        self.name = name
        self.port = free_port()
        self.stderr_path = tmp_path / f"{name}.stderr"
        address = json.dumps({"host": LOOPBACK, "port": self.port})
        with (tmp_path / f"{name}.stdout").open("wb") as out, self.stderr_path.open("wb") as err:
            self.proc = subprocess.Popen(
                [sys.executable, name, f"--server-address={address}"],
                cwd=EXAMPLES,
                env=environment(),
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=err,
            )

    def stderr(self) -> str:
        return self.stderr_path.read_text(errors="replace")

    def wait_for_port(self) -> None:
        deadline = time.monotonic() + STARTUP
        while True:
            if self.proc.poll() is not None:
                raise AssertionError(f"{self.name} ended ({self.proc.returncode}): {self.stderr()}")
            try:
                with socket.create_connection((LOOPBACK, self.port), timeout=1.0):
                    return
            except OSError:
                if time.monotonic() > deadline:
                    raise AssertionError(f"{self.name} not listening in {STARTUP:g} s") from None
                time.sleep(0.05)

    def get(self, path: str) -> tuple[int, object]:
        """``GET path`` on a connection of its own: the status and the decoded JSON body."""
        connection = http.client.HTTPConnection(LOOPBACK, self.port, timeout=STARTUP)
        try:
            connection.request("GET", path)
            response = connection.getresponse()
            return response.status, json.loads(response.read())
        finally:
            connection.close()

    def kill(self) -> None:
        """SIGKILL the server (by its PID) and any children it left, then reap it."""
        leftovers = descendants_of(self.proc.pid)
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait(timeout=SHUTDOWN)
        for pid in leftovers:
            if alive(pid):
                os.kill(pid, signal.SIGKILL)


@contextmanager
def running(tmp_path: Path, name: str) -> Iterator[Server]:
    server = Server(tmp_path, name)
    try:
        server.wait_for_port()
        yield server
    finally:
        server.kill()


def assert_table(status: int, body: object, x: int, y: int) -> None:
    assert status == 200, body
    signature, table, _ = body["value"]
    assert signature == TABLE_SIGNATURE
    assert len(table) == y and all(len(row) == x for row in table), table
    assert all(isinstance(v, float) and 0.0 <= v < 1.0 for row in table for v in row)


@pytest.mark.timeout(180)
@pytest.mark.parametrize("name", SERVERS)
def test_server_answers_get_xy_with_a_3_by_2_table(tmp_path, name):
    with running(tmp_path, name) as server:
        assert_table(*server.get("/Xy?x=2&y=3"), x=2, y=3)


@pytest.mark.timeout(180)
def test_spool_server_answers_8_concurrent_requests(tmp_path):
    with running(tmp_path, SPOOL_SERVER) as server:
        answers: dict[int, tuple[int, object]] = {}
        errors: list[BaseException] = []

        def ask(n: int) -> None:
            try:
                answers[n] = server.get(f"/Xy?x=1&y={n}")
            except BaseException as e:  # reported by the test, not lost in the thread
                errors.append(e)

        threads = [threading.Thread(target=ask, args=(n,)) for n in range(1, 9)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(STARTUP)
        assert not errors, errors
        assert sorted(answers) == list(range(1, 9))
        for n, (status, body) in answers.items():
            assert_table(status, body, x=1, y=n)
        assert len(children_of(server.proc.pid)) == SPOOL_WORKERS


@pytest.mark.timeout(180)
@pytest.mark.parametrize("name", SERVERS)
def test_control_c_exits_71_and_leaves_no_child_processes(tmp_path, name):
    with running(tmp_path, name) as server:
        assert_table(*server.get("/Xy?x=2&y=3"), x=2, y=3)
        if name == SPOOL_SERVER:
            wait_until(
                lambda: len(children_of(server.proc.pid)) == SPOOL_WORKERS,
                f"{SPOOL_WORKERS} workers",
                STARTUP,
            )
        elif name == "test_server_6.py":
            assert len(children_of(server.proc.pid)) == 1  # the one library worker
        before = descendants_of(server.proc.pid)
        server.proc.send_signal(signal.SIGINT)
        assert server.proc.wait(timeout=SHUTDOWN) == 71, server.stderr()
        assert "aborted (user or software interrupt)" in server.stderr()
        wait_until(lambda: not any(alive(p) for p in before), "all children gone", SHUTDOWN)
