"""The ``layer-cake`` command as an operator feels it (issue 12): the time of ``list`` and
``status`` on a home of the seed's demo (a server and 8 workers), and of ``layer-cake run``
of that demo to the first HTTP 200 answer.

Each round runs the real command as a child process (a fresh interpreter, as a shell would).
The demo runs under a private host-cake on a free loopback port, and the server listens at
a free port instead of 5050. The processes keep bytecode caches (in a folder of the run,
filled by the warm-up round), as an installed package does. Nothing here asserts on time::

    python3 -m pytest benchmarks/test_bench_cli.py -p no:xdist -p no:cacheprovider \\
        --benchmark-columns=median,min,max,rounds
"""

from __future__ import annotations

import atexit
import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

import layer_cake
import layer_cake_cli
import layer_cake_directory

EXAMPLES = Path(__file__).resolve().parents[1] / "examples" / "multihosting"
WORKERS = 8
DEADLINE = 60.0
_PYTHONPATH = os.pathsep.join(
    dict.fromkeys(
        str(Path(m.__file__).resolve().parent.parent)
        for m in (layer_cake, layer_cake_directory, layer_cake_cli)
    )
)


# Bytecode caches as an installed package has them (pip compiles at install), in a folder of
# this run: a shell that sets PYTHONDONTWRITEBYTECODE (or an editable install) would otherwise
# time the compiling of every module in each of the 11 processes of a round.
_PYCACHE = tempfile.mkdtemp(prefix="bench_cli_pycache_")
atexit.register(shutil.rmtree, _PYCACHE, True)


def _env() -> dict[str, str]:
    path = os.pathsep.join([os.path.dirname(sys.executable), os.environ.get("PATH", "")])
    env = dict(os.environ, PYTHONPATH=_PYTHONPATH, PATH=path, LC_PRIMARY_IP="none")
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env["PYTHONPYCACHEPREFIX"] = _PYCACHE
    return env


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _hostport(port: int) -> str:
    return json.dumps({"host": "127.0.0.1", "port": port})


def _cli(cwd: Path, *args: str) -> subprocess.CompletedProcess:
    done = subprocess.run(
        [sys.executable, "-m", "layer_cake_cli", *args],
        cwd=cwd,
        env=_env(),
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        check=False,
        timeout=DEADLINE,
    )
    assert done.returncode == 0, done.stderr
    return done


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, int]]:
    """A home of the seed's demo under a private host-cake; the folder and the HTTP port."""
    folder = tmp_path_factory.mktemp("bench_cli")
    for name in ("test_api.py", "test_server_10.py", "test_worker_10.py"):
        shutil.copy(EXAMPLES / name, folder)
    directory = _free_port()
    host = subprocess.Popen(
        [
            os.path.join(os.path.dirname(sys.executable), "host-cake"),
            f"--directory-at-host={_hostport(directory)}",
        ],
        env=_env(),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        port = _free_port()
        _cli(folder, "create", f"--directory-at-host={_hostport(directory)}")
        _cli(folder, "add", "test_server_10.py", "server", f"--server-address={_hostport(port)}")
        _cli(folder, "add", "test_worker_10.py", "worker", f"--role-count={WORKERS}")
        yield folder, port
    finally:
        host.send_signal(signal.SIGINT)
        try:
            host.wait(timeout=DEADLINE)
        except subprocess.TimeoutExpired:
            host.kill()
            host.wait()


def test_cli_list(benchmark, demo) -> None:  # type: ignore[no-untyped-def]
    folder, _ = demo
    benchmark.pedantic(lambda: _cli(folder, "list"), rounds=10, iterations=1, warmup_rounds=1)


def test_cli_status(benchmark, demo) -> None:  # type: ignore[no-untyped-def]
    folder, _ = demo
    benchmark.pedantic(lambda: _cli(folder, "status"), rounds=10, iterations=1, warmup_rounds=1)


def _answers(port: int) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/Xy?x=2&y=2", timeout=5) as r:
            return r.status == 200
    except (urllib.error.URLError, ConnectionError, TimeoutError):
        return False  # not listening yet, or no worker in the pool yet


def _stop(job: subprocess.Popen) -> None:
    """Control-c to the whole job, as at a terminal; waits until every role has ended."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(job.pid, signal.SIGINT)
    try:
        job.wait(timeout=DEADLINE)
    except subprocess.TimeoutExpired:
        os.killpg(job.pid, signal.SIGKILL)
        job.wait()


def test_cli_run_demo_to_first_answer(benchmark, demo) -> None:  # type: ignore[no-untyped-def]
    """From ``layer-cake run`` to the first 200; the previous run is stopped untimed."""
    folder, port = demo
    jobs: list[subprocess.Popen] = []

    def stop_previous() -> None:
        while jobs:
            _stop(jobs.pop())

    errors = folder / "run.stderr"

    def once() -> None:
        with open(errors, "w") as stderr:
            job = subprocess.Popen(
                [sys.executable, "-m", "layer_cake_cli", "run"],
                cwd=folder,
                env=_env(),
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=stderr,
                start_new_session=True,
            )
        jobs.append(job)
        end = time.monotonic() + DEADLINE
        while not _answers(port):
            assert job.poll() is None, errors.read_text()
            assert time.monotonic() < end, errors.read_text()
            time.sleep(0.005)  # polling the HTTP port

    try:
        benchmark.pedantic(once, setup=stop_previous, rounds=5, iterations=1, warmup_rounds=1)
    finally:
        stop_previous()
