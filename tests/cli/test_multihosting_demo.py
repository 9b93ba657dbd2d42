"""The seed's composite-process demo, end to end, with the real ``examples/multihosting``
scripts:

    layer-cake create
    layer-cake add test_server_10.py server
    layer-cake add test_worker_10.py worker --role-count=8
    layer-cake run
    curl 'http://127.0.0.1:5050/Xy?x=2&y=2'

The group's parent is the test's own host-cake (the workers publish at LAN scope, so the
group links upward; ``LC_PRIMARY_IP=none`` stops the search there), and the server listens
at a free port instead of 5050.
"""

from __future__ import annotations

import json
import shutil
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from directory_support import free_port, hostport
from home_support import DEADLINE, Jobs, alive, cli, home_pids, wait_until

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "multihosting"
WORKERS = 8


@pytest.fixture
def jobs():
    j = Jobs()
    try:
        yield j
    finally:
        j.close()


def get_table(port: int) -> object:
    """The body of ``GET /Xy?x=2&y=2`` once the server answers 200 (retried until then)."""

    def attempt() -> object:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/Xy?x=2&y=2", timeout=5) as r:
                return json.loads(r.read()) if r.status == 200 else None
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            return None  # not listening yet, or no worker in the pool yet

    return wait_until(attempt, "answering 200", DEADLINE)


def test_server_and_eight_workers_answer_tables(tmp_path: Path, cake, jobs) -> None:
    for name in ("test_api.py", "test_server_10.py", "test_worker_10.py"):
        shutil.copy(EXAMPLES / name, tmp_path)
    cake.host()
    port = free_port()
    created = cli(tmp_path, "create", f"--directory-at-host={hostport(cake.port)}")
    assert created.returncode == 0, created.stderr
    address = f"--server-address={hostport(port)}"
    server = cli(tmp_path, "add", "test_server_10.py", "server", address)
    assert server.returncode == 0, server.stderr
    workers = cli(tmp_path, "add", "test_worker_10.py", "worker", f"--role-count={WORKERS}")
    assert workers.returncode == 0, workers.stderr
    listing = cli(tmp_path, "list", "--long-listing").stdout.splitlines()
    assert [line.split()[0] for line in listing] == ["server"] + [f"worker-{i}" for i in range(8)]
    assert listing[1].split()[1] == str(tmp_path / "test_worker_10.py")

    job = jobs(tmp_path, "run", "--debug-level=CONSOLE")
    job.expect("server - worker available", count=WORKERS)
    home = tmp_path / ".layer-cake"
    pids = wait_until(lambda: len(home_pids(home)) == 2 + WORKERS and home_pids(home), "running")
    for _ in range(3 * WORKERS):
        body = get_table(port)
        signature, table, pointers = body["value"]
        assert (signature, pointers) == ("vector<vector<float8>>", [])
        assert len(table) == 2 and all(len(row) == 2 for row in table)
        assert all(isinstance(x, float) for row in table for x in row)

    # With host-cake up, a standalone worker joins the pool through it (the 9th session), and
    # `layer-cake network` shows the group (server and 8 workers) and the standalone worker
    # under host-cake, beside the tool itself (pubsub §12).
    standalone = cake.run("test_worker_10.py")
    job.expect("server - worker available", count=WORKERS + 1)  # the 9th: the standalone one
    tree = cli(tmp_path, "network", f"--connect-to-directory=127.0.0.1:{cake.port}")
    assert tree.returncode == 0, tree.stderr
    lines = tree.stdout.splitlines()
    assert lines[0].startswith("[HOST] host-cake ("), lines
    assert sum(line.startswith("+   [GROUP] group-cake (") for line in lines) == 1, lines
    members = [line for line in lines if line.startswith("+   +   [PROCESS] ")]
    assert len(members) == 1 + WORKERS, lines
    assert sum("test_worker_10.py" in line for line in members) == WORKERS, lines
    assert any(line.startswith("+   [PROCESS] test_worker_10.py (") for line in lines), lines
    assert any(line.startswith("+   [PROCESS] layer-cake (") for line in lines), lines
    standalone.kill()

    job.interrupt()
    assert job.wait() == 71
    assert job.stderr[-1] == "layer-cake: aborted (user or software interrupt)"
    wait_until(lambda: not any(alive(pid) for pid in pids.values()), "every process gone")
