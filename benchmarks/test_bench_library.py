"""Library-mode ProcessObjects (api-core §10.5-10.6) under load; run with ``-p no:xdist``.

Two measurements, printed as a table at the end of the module:

- ``library round trip``: a channel sends ``Xy(x=2, y=2)`` to a ``ProcessObject`` of the
  library worker of ``examples/multiprocessing/test_worker_6.py`` and waits for each table
  (the reply comes straight from the child, bypassing the proxy); ``ROUND_TRIPS`` in a row,
  after the child is up. Round trips/s = ``ROUND_TRIPS`` / the wall time of the run.
- HTTP requests/s with ``wrk -t2 -c16 -d10s --latency`` (``-d5s`` when ``LC_BENCH_QUICK=1``)
  against ``examples/multiprocessing/test_server_7.py`` (an ``ObjectSpool`` of 4 library worker
  processes) and, in the same run, the thread spool ``examples/multithreading/test_server_4.py``
  (8 worker objects in the server process). Server start, wrk and its parsing are those of
  ``test_bench_http_load.py``. Skipped when ``wrk`` is not on the PATH.

Nothing asserts on time; a row fails only on a wrong answer, a non-2xx response or no request.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from test_bench_http_load import CONNECTIONS, SECONDS, THREADS, parse_wrk, run_wrk, running_server

import layer_cake as lc
from layer_cake.process._process_object import ProcessObject

ROOT = Path(__file__).resolve().parents[1]
MULTIPROCESSING = ROOT / "examples" / "multiprocessing"
MULTITHREADING = ROOT / "examples" / "multithreading"
ROUND_TRIPS = 2000
PATIENCE = 30.0
TABLE = list[list[float]]

HTTP_ROWS = {
    "process spool (4)": MULTIPROCESSING / "test_server_7.py",
    "thread spool (8)": MULTITHREADING / "test_server_4.py",
}


def package_parents() -> list[str]:
    """The folders of the imported layer-cake packages (the compiled build under nox)."""
    modules = [lc]
    with contextlib.suppress(ImportError):
        import layer_cake_directory

        modules.append(layer_cake_directory)
    return list(dict.fromkeys(str(Path(m.__file__).resolve().parent.parent) for m in modules))


@pytest.fixture(scope="module")
def example() -> lc.Gas:
    """``Xy`` and the library ``worker``, imported from the examples folder (their module
    names, ``test_api`` and ``test_worker_6``, are the signatures the child uses too)."""
    sys.path.insert(0, str(MULTIPROCESSING))
    try:
        import test_api  # type: ignore[import-not-found]
        import test_worker_6  # type: ignore[import-not-found]
    finally:
        sys.path.remove(str(MULTIPROCESSING))
    return lc.Gas(Xy=test_api.Xy, worker=test_worker_6.worker)


@pytest.fixture(scope="module")
def table(request: pytest.FixtureRequest) -> Iterator[dict[str, str]]:
    """Rows collected by the tests (name -> formatted cells); printed once the module is done."""
    rows: dict[str, str] = {}
    yield rows
    plugins = request.config.pluginmanager
    reporter = plugins.get_plugin("terminalreporter")
    capture = plugins.get_plugin("capturemanager")
    if reporter is None or not rows:
        return
    lines = [
        "",
        f"{'row':<24} {'per second':>11} {'p50 ms':>8} {'p90 ms':>8} {'p99 ms':>8} {'max ms':>8}",
        *(f"{name:<24} {cells}" for name, cells in rows.items()),
    ]
    with capture.global_and_fixture_disabled() if capture else contextlib.nullcontext():
        for line in lines:
            reporter.write_line(line)


def cells(per_second: float, times: dict[str, float]) -> str:
    keys = ("p50_ms", "p90_ms", "p99_ms", "max_ms")
    return f"{per_second:>11,.0f} " + " ".join(f"{times.get(k, 0.0):>8.2f}" for k in keys)


@pytest.mark.timeout(300)
def test_library_process_object_round_trips(benchmark, example, table, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(package_parents()))
    with lc.channel() as ch:
        worker = ch.create(ProcessObject, example.worker, role_name="bench-library")
        try:
            request = example.Xy(x=2, y=2)

            def round_trip() -> None:
                ch.send(request, worker)
                m, i = ch.select(TABLE, lc.Returned, seconds=PATIENCE)
                assert i == 0, f"no table within {PATIENCE} s: {m!r}"
                assert len(m) == 2 and len(m[0]) == 2, m

            round_trip()  # waits for the child: the first message is queued until Available
            latencies: list[float] = []

            def run() -> None:
                for _ in range(ROUND_TRIPS):
                    started = time.perf_counter()
                    round_trip()
                    latencies.append(time.perf_counter() - started)

            started = time.perf_counter()
            benchmark.pedantic(run, rounds=1, iterations=1)
            elapsed = time.perf_counter() - started
        finally:
            ch.send(lc.Stop(), worker)
            m, i = ch.select(lc.Returned, seconds=PATIENCE)
    assert i == 0 and isinstance(m.message, lc.Aborted), m
    latencies.sort()
    result = {
        "round_trips": ROUND_TRIPS,
        "round_trips_per_second": round(ROUND_TRIPS / elapsed, 1),
        "p50_ms": latencies[len(latencies) // 2] * 1e3,
        "p90_ms": latencies[int(len(latencies) * 0.9)] * 1e3,
        "p99_ms": latencies[int(len(latencies) * 0.99)] * 1e3,
        "max_ms": latencies[-1] * 1e3,
    }
    benchmark.extra_info.update(result)
    table["library round trip"] = cells(result["round_trips_per_second"], result)


@pytest.fixture(scope="module")
def wrk() -> str:
    path = shutil.which("wrk")
    if path is None:
        pytest.skip("wrk is not installed (apt-get install -y wrk; nox -s bench installs it)")
    return path


@pytest.mark.timeout(SECONDS + 120)
@pytest.mark.parametrize("name", list(HTTP_ROWS))
def test_spool_server_under_wrk_load(benchmark, wrk, table, tmp_path, name) -> None:  # type: ignore[no-untyped-def]
    script = HTTP_ROWS[name]
    with running_server(script, tmp_path / "server.log") as port:
        output = benchmark.pedantic(run_wrk, args=(port,), rounds=1, iterations=1)
    result = parse_wrk(output)
    benchmark.extra_info.update(result)
    benchmark.extra_info["server"] = str(script.relative_to(ROOT))
    benchmark.extra_info["wrk"] = f"-t{THREADS} -c{CONNECTIONS} -d{SECONDS}s --latency"
    table[f"http {name}"] = cells(result["requests_per_second"], result)
    assert result["requests"] > 0, output
    assert result["non_2xx"] == 0, output
