"""benchmarks/summary.py: the summary table of a run, and the README section it regenerates."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[2] / "benchmarks" / "summary.py"


@pytest.fixture(scope="module")
def summary():  # type: ignore[no-untyped-def]
    spec = importlib.util.spec_from_file_location("bench_summary", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


def bench(name: str, median: float, **extra: float) -> dict:
    return {"name": name, "stats": {"median": median}, "extra_info": extra}


REPORT = {
    "datetime": "2026-12-06T04:00:00",
    "machine_info": {"python_version": "3.11.7", "python_implementation": "CPython"},
    "commit_info": {"id": "0123456789abcdef", "dirty": False},
    "benchmarks": [
        bench("test_round_trips_machine_to_machine", 0.1, per_second=600_000),
        bench("test_raw_loop_round_trip_baseline[call_soon]", 0.1, per_second=750_000),
        bench("test_process_object_spawn_to_result", 0.184),
        bench("test_http_server_under_wrk_load[inline]", 10, requests_per_second=20_000),
        bench("test_http_server_under_wrk_load[raw uvloop]", 10, requests_per_second=20_000),
        bench(
            "test_http_servers_interleaved", 45, raw_rps=20_000, inline_rps=19_000, demo_rps=9_000
        ),
    ],
}


def test_row_shows_value_baseline_ratio_and_whether_the_goal_is_met(summary) -> None:
    lines = summary.table(REPORT)
    (machines,) = [line for line in lines if line.startswith("| round trips machine ↔ machine")]
    assert "600,000 /s" in machines and "750,000 /s" in machines
    assert "| 0.80x |" in machines and "≥ 1x ✗" in machines and "15,000/s" in machines
    (http,) = [line for line in lines if line.startswith("| HTTP inline server, in turn")]
    assert "| 19,000 req/s | 20,000 req/s" in http  # two figures of one benchmark
    assert "| 0.95x |" in http and "≥ 0.9x ✓" in http
    (demo,) = [
        line
        for line in lines
        if line.startswith("| HTTP seed demo, 8 published worker processes, in turn")
    ]
    assert "| 9,000 req/s | 19,000 req/s" in demo
    assert "| 0.47x |" in demo and "≥ 0.5x ✗" in demo
    (alone,) = [
        line for line in lines if line.startswith("| HTTP inline server (wrk, its own test)")
    ]
    assert "| 1.00x |" in alone and "≥" not in alone  # a figure, not the goal's verdict


def test_time_rows_are_read_from_the_median_and_missing_rows_say_not_run(summary) -> None:
    report = dict(
        REPORT,
        benchmarks=[
            *REPORT["benchmarks"],
            bench("test_parse_request_and_build_2x2_response", 0.0015, requests_per_round=100),
        ],
    )
    lines = summary.table(report)
    (parse,) = [line for line in lines if line.startswith("| parse GET /Xy")]
    assert "| 15 µs |" in parse  # the median of a round of 100 requests, per request
    (spawn,) = [line for line in lines if line.startswith("| ProcessObject spawn")]
    assert "| 184 ms |" in spawn
    (fan_out,) = [line for line in lines if line.startswith("| direct fan-out")]
    assert "not run" in fan_out
    assert len(lines) == 2 + len(summary.ROWS)


def test_every_other_benchmark_of_the_run_gets_a_row_with_its_raw_baseline_twin(summary) -> None:
    report = dict(
        REPORT,
        benchmarks=[
            *REPORT["benchmarks"],
            bench("test_json[compact-xy]", 10e-6),
            bench("test_json_raw_baseline[compact-xy]", 4e-6),
            bench("test_spool_server_under_wrk_load[thread spool (8)]", 10, requests_per_second=84),
            bench("test_host_cake_restart_to_rejoin", 3.2, p50_ms=401.8),
            bench("test_fill_10000_names", 0.0243),
        ],
    )
    lines = summary.table(report)
    assert len(lines) == 2 + len(summary.ROWS) + 4  # the twin is a baseline, not a row
    (json_row,) = [line for line in lines if line.startswith("| test_json[compact-xy] ")]
    assert "| 10 µs | 4 µs (test_json_raw_baseline[compact-xy]) | 0.40x |" in json_row
    (spool,) = [line for line in lines if line.startswith("| test_spool_server_under")]
    assert "| 84 req/s |" in spool
    (rejoin,) = [line for line in lines if line.startswith("| test_host_cake_restart")]
    assert "| 402 ms (p50) |" in rejoin
    (fill,) = [line for line in lines if line.startswith("| test_fill_10000_names ")]
    assert "| 24.3 ms |" in fill  # the median, in ms from 10 ms up
    assert not [line for line in lines if line.startswith("| test_json_raw_baseline")]


def test_write_readme_replaces_only_the_generated_section(summary, tmp_path: Path) -> None:
    readme = tmp_path / "README.md"
    generated = f"{summary.BEGIN}\nold table\n{summary.END}"
    readme.write_text(f"# Benchmarks\n\nby hand\n\n{generated}\n\ntail\n")
    summary.write_readme(REPORT, readme)
    text = readme.read_text()
    assert text.startswith("# Benchmarks\n\nby hand\n\n") and text.endswith("\n\ntail\n")
    assert "old table" not in text and "commit 0123456789" in text
    assert "| round trips machine ↔ machine |" in text


def test_command_prints_the_table_from_a_json_report(summary, tmp_path: Path, capsys) -> None:
    report = tmp_path / "bench.json"
    report.write_text(json.dumps(REPORT))
    assert summary.main([str(report)]) == 0
    out = capsys.readouterr().out
    assert out.splitlines()[0].startswith("Run of 2026-12-06T04:00:00")
    assert "| Row | layer-cake |" in out


def test_readme_without_markers_is_refused(summary, tmp_path: Path) -> None:
    readme = tmp_path / "README.md"
    readme.write_text("# Benchmarks\n")
    with pytest.raises(SystemExit, match="markers"):
        summary.write_readme(REPORT, readme)


def test_rows_with_a_limit_show_the_goal_in_their_unit_and_whether_it_is_met(summary) -> None:
    report = dict(
        REPORT,
        benchmarks=[
            bench("test_lan_scale_all_available[20x1x2000]", 40.0, all_available_s=42.5),
            bench("test_lan_cake_restart_at_scale", 1.0, sessions_dropped=0, routes_back_s=1.5),
        ],
    )
    lines = summary.table(report)
    (names,) = [line for line in lines if line.startswith("| LAN 40,000 names (20 x 1")]
    assert "| 42.5 s |" in names and "≤ 30 s ✗" in names
    (dropped,) = [line for line in lines if "restart at 40,000 names: sessions dropped" in line]
    assert "| 0 sessions |" in dropped and "≤ 0 sessions ✓" in dropped
    (routes,) = [line for line in lines if "restart at 40,000 names: routes back" in line]
    assert "| 1.5 s |" in routes and "≤ 5 s ✓" in routes
    (wide,) = [line for line in lines if line.startswith("| LAN 20 hosts x 20 publishers")]
    assert "not run" in wide and "≤ 10 s |" in wide  # the goal shown, not judged
