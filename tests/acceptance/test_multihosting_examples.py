"""The seed's multihosting scenarios with our examples (pubsub §12): test_server_9 with its one
named worker, and test_server_11 with a tuned spool.

Each test starts a private host-cake on a free loopback port and runs the examples from
``examples/multihosting`` with ``--connect-to-directory`` for it and ``--server-address`` on a
free port. HTTP is asked with urllib once the server has a worker: the seed's server code
returns any message other than ``Subscribed`` that arrives right after it subscribes, and an
HTTP connection's ``Accepted`` would be one. Waits poll for an answer with generous deadlines.
"""

from __future__ import annotations

import json
import signal
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "directory"))
from directory_support import DEADLINE, Cake, Proc, free_port, hostport

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "multihosting"


@pytest.fixture
def cake(tmp_path: Path):  # type: ignore[no-untyped-def]
    c = Cake(tmp_path)
    try:
        yield c
    finally:
        c.close()


def example(cake: Cake, script: str, *args: str) -> Proc:
    argv = [str(EXAMPLES / script), f"--connect-to-directory={hostport(cake.port)}", *args]
    p = Proc(argv, EXAMPLES)
    cake.started.append(p)
    return p


def get(port: int, x: int = 2, y: int = 2) -> tuple[int, object]:
    """``GET /Xy``: the status and the decoded body."""
    url = f"http://127.0.0.1:{port}/Xy?x={x}&y={y}"
    try:
        with urllib.request.urlopen(url, timeout=DEADLINE) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read() or b"null")


def until(port: int, status: int) -> object:
    """Ask until the answer has ``status`` (the directory works in the background)."""
    end = time.monotonic() + DEADLINE
    while True:
        code, body = get(port) if _answers(port) else (0, None)
        if code == status:
            return body
        assert time.monotonic() < end, f"no {status} from :{port} (last {code} {body})"
        time.sleep(0.05)  # polling for an event (the server's state), not a fixed wait


def _answers(port: int) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=DEADLINE):
            return True
    except urllib.error.HTTPError:
        return True  # it answers (404 or so)
    except OSError:
        return False


def test_server_9_serves_through_its_named_worker_then_503_when_it_stops(cake: Cake) -> None:
    cake.host()
    port = free_port()
    server = example(
        cake, "test_server_9.py", f"--server-address={hostport(port)}", "--debug-level=CONSOLE"
    )
    worker = example(cake, "test_worker_9.py")
    server.expect("server - worker available", anywhere=True)
    body = until(port, 200)
    assert body["value"][0] == "vector<vector<float8>>"  # type: ignore[index]
    table = body["value"][1]  # type: ignore[index]
    assert len(table) == 2 and all(len(row) == 2 for row in table)
    second = example(cake, "test_worker_9.py")  # the name is taken at HOST
    assert second.popen.wait(timeout=DEADLINE) == 71
    second.drain_into_seen()
    assert any("already published at HOST by another process" in line for line in second.seen)
    worker.kill(signal.SIGINT)  # stopped: Dropped at the server, LeaveSpool
    server.expect("server - worker dropped", anywhere=True)
    signature, fault, _ = until(port, 503)["value"]  # type: ignore[index]
    assert signature == "layer_cake.point_runtime.TemporarilyUnavailable"
    assert fault["condition"] == (
        "Service temporarily unavailable (no worker and no immediate prospects of one)"
    )


def test_server_11_rejects_beyond_its_queue_with_overloaded(cake: Cake) -> None:
    cake.host()
    port = free_port()
    server = example(
        cake,
        "test_server_11.py",
        f"--server-address={hostport(port)}",
        "--size-of-queue=1",
        "--responsiveness=30",
        "--debug-level=CONSOLE",
    )
    example(cake, "test_worker_11.py", "--delay=3")
    server.expect("server - worker available", anywhere=True)
    until(port, 200)  # this request takes the worker's 3 s
    answers: list[tuple[int, object]] = []
    lock = threading.Lock()

    def ask() -> None:
        answer = get(port)
        with lock:
            answers.append(answer)

    threads = [threading.Thread(target=ask) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=DEADLINE * 2)
    codes = sorted(code for code, _ in answers)
    # One in flight on the worker, one queued, the rest rejected: never all accepted.
    assert codes.count(503) >= 1, answers
    rejected = [body for code, body in answers if code == 503]
    assert all("Overloaded" in json.dumps(body) for body in rejected), rejected
    assert codes.count(200) >= 2, answers
