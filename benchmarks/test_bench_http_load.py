"""HTTP servers under load from wrk (spec networking-and-http); run with ``-p no:xdist``.

Each row starts one server as a subprocess on a free port of 127.0.0.1, waits until it
accepts connections, and drives ``GET /Xy?x=2&y=2`` at it with
``wrk -t2 -c16 -d10s --latency`` (``-d5s`` when ``LC_BENCH_QUICK=1``); the server is stopped
in ``finally``. The measurement is wrk's: requests/s and the latency percentiles are parsed
from its output into ``extra_info`` and printed as a table at the end of the module.
pytest-benchmark times the whole wrk run once, for the record only. Nothing asserts on time;
a row fails only if a response was not 2xx or no request completed.

Rows: the inline demo server (one function object answers every request), the spool demo
server (a function object hands each request to an ``ObjectSpool`` of 8 worker function
objects), and a raw uvloop + httptools ``Protocol`` that sends the same JSON body without
layer-cake, as the ceiling for one Python process on this machine. The demo servers are
``examples/multithreading/test_server_1.py`` and ``test_server_4.py`` when they exist, else
their stand-ins in ``benchmarks/servers/``. Needs ``wrk`` on the PATH (``apt-get install
wrk``); the nox ``bench`` session installs it.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SERVERS = Path(__file__).resolve().parent / "servers"
EXAMPLES = ROOT / "examples" / "multithreading"

CONNECTIONS = 16
THREADS = 2
SECONDS = 5 if os.environ.get("LC_BENCH_QUICK", "") == "1" else 10
PATH = "/Xy?x=2&y=2"
PERCENTILES = ("50%", "75%", "90%", "99%")
TABLE_TIMES = ("p50_ms", "p90_ms", "p99_ms", "max_ms")
STARTUP_SECONDS = 20.0


ROWS = {
    "inline": EXAMPLES / "test_server_1.py",
    "spool": EXAMPLES / "test_server_4.py",
    "raw uvloop": SERVERS / "uvloop_server.py",
}


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_listener(port: int, process: subprocess.Popen, seconds: float) -> None:
    """Poll-connect until the server accepts, it exits, or ``seconds`` pass."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited with {process.returncode} before listening")
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.2):
            return
        time.sleep(0.05)
    raise RuntimeError(f"server not listening on port {port} after {seconds:g} s")


@contextlib.contextmanager
def running_server(script: Path, log: Path) -> Iterator[int]:
    """Start ``script`` on a free port; its port once it listens; stopped (then killed)."""
    port = free_port()
    address = json.dumps({"host": "127.0.0.1", "port": port})
    with log.open("wb") as output:
        process = subprocess.Popen(
            [sys.executable, str(script), f"--server-address={address}"],
            stdin=subprocess.DEVNULL,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
        try:
            try:
                wait_for_listener(port, process, STARTUP_SECONDS)
            except RuntimeError as e:
                raise RuntimeError(f"{e}; its output:\n{log.read_text(errors='replace')}") from None
            yield port
        finally:
            if process.poll() is None:
                process.send_signal(signal.SIGINT)
                try:
                    process.wait(5)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait(5)


_UNITS = {"us": 1e-3, "ms": 1.0, "s": 1e3, "m": 60e3, "h": 3600e3}
_DURATION = re.compile(r"([\d.]+)(us|ms|s|m|h)$")


def milliseconds(text: str) -> float:
    """A wrk duration (``812.00us``, ``1.25ms``, ``2.00s``) in milliseconds."""
    match = _DURATION.match(text)
    if match is None:
        raise ValueError(f"not a wrk duration: {text!r}")
    return float(match.group(1)) * _UNITS[match.group(2)]


def parse_wrk(output: str) -> dict[str, float]:
    """Requests/s, latency percentiles (ms), counts and errors from ``wrk --latency``."""
    result: dict[str, float] = {}
    match = re.search(r"Requests/sec:\s+([\d.]+)", output)
    if match is None:
        raise ValueError(f"no Requests/sec in wrk output:\n{output}")
    result["requests_per_second"] = float(match.group(1))
    for percentile in PERCENTILES:
        match = re.search(rf"^\s*{re.escape(percentile)}\s+(\S+)\s*$", output, re.MULTILINE)
        if match is not None:
            result[f"p{percentile[:-1]}_ms"] = round(milliseconds(match.group(1)), 3)
    match = re.search(r"^\s*Latency\s+(\S+)\s+(\S+)\s+(\S+)", output, re.MULTILINE)
    if match is not None:
        result["mean_ms"] = round(milliseconds(match.group(1)), 3)
        result["max_ms"] = round(milliseconds(match.group(3)), 3)
    match = re.search(r"(\d+) requests in", output)
    result["requests"] = int(match.group(1)) if match else 0
    match = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", output)
    result["non_2xx"] = int(match.group(1)) if match else 0
    match = re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output
    )
    result["socket_errors"] = sum(int(n) for n in match.groups()) if match else 0
    return result


def run_wrk(port: int, seconds: int = SECONDS) -> str:
    command = [
        "wrk",
        f"-t{THREADS}",
        f"-c{CONNECTIONS}",
        f"-d{seconds}s",
        "--latency",
        f"http://127.0.0.1:{port}{PATH}",
    ]
    done = subprocess.run(command, capture_output=True, text=True, timeout=seconds + 30, check=True)
    return done.stdout


@pytest.fixture(scope="module")
def table(request: pytest.FixtureRequest) -> Iterator[dict[str, dict[str, float]]]:
    """Rows collected by the tests; printed once the module is done."""
    rows: dict[str, dict[str, float]] = {}
    yield rows
    plugins = request.config.pluginmanager
    reporter = plugins.get_plugin("terminalreporter")
    capture = plugins.get_plugin("capturemanager")
    if reporter is None or not rows:
        return
    lines = [
        "",
        f"wrk -t{THREADS} -c{CONNECTIONS} -d{SECONDS}s --latency 'http://127.0.0.1:PORT{PATH}'",
        f"{'server':<12} {'req/s':>10} {'p50 ms':>8} {'p90 ms':>8} {'p99 ms':>8} {'max ms':>8}",
    ]
    for name, row in rows.items():
        times = " ".join(f"{row.get(key, 0):>8.2f}" for key in TABLE_TIMES)
        lines.append(f"{name:<12} {row['requests_per_second']:>10,.0f} {times}")
    # Teardown output is captured; the table is for the person running the benchmark.
    with capture.global_and_fixture_disabled() if capture else contextlib.nullcontext():
        for line in lines:
            reporter.write_line(line)


@pytest.fixture(scope="module")
def wrk() -> str:
    path = shutil.which("wrk")
    if path is None:
        pytest.skip("wrk is not installed (apt-get install -y wrk; nox -s bench installs it)")
    return path


@pytest.mark.timeout(SECONDS + 90)
@pytest.mark.parametrize("name", list(ROWS))
def test_http_server_under_wrk_load(benchmark, wrk, table, tmp_path, name) -> None:  # type: ignore[no-untyped-def]
    script = ROWS[name]
    with running_server(script, tmp_path / "server.log") as port:
        output = benchmark.pedantic(run_wrk, args=(port,), rounds=1, iterations=1)
    result = parse_wrk(output)
    benchmark.extra_info.update(result)
    benchmark.extra_info["server"] = str(script.relative_to(ROOT))
    benchmark.extra_info["wrk"] = f"-t{THREADS} -c{CONNECTIONS} -d{SECONDS}s --latency"
    table[name] = result
    assert result["requests"] > 0, output
    assert result["non_2xx"] == 0, output
