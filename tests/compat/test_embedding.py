"""Logging and embedding (compat.md §3.6), timers (§3.7) and runtime internals (§3.13),
written from the entries: ``start_up``/``tear_down``, the ``log_to_stderr`` line, log
records, ``PB``, ``StartTimer``/``CancelTimer``, ``select_list_adhoc``, ``VP``."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import layer_cake as lc
from layer_cake.types._json import encode_json

HEATER = lc.PointLog(
    stamp=1748773230.125,
    tag=lc.USER_TAG.CONSOLE,
    address=(0, 16),
    name="mod.Heater",
    state="IDLE",
    text="Warming up",
)


def test_log_to_stderr_writes_the_line_format(capsys):
    lc.log_to_stderr(HEATER)
    err = capsys.readouterr().err
    expected = "2025-06-01T10:20:30.125 ^ <00000010>Heater[IDLE] - Warming up\n"
    assert err == f"[{os.getpid():08d}] {expected}"


def test_log_to_stderr_leaves_out_an_unset_state(capsys):
    record = lc.PointLog(1748773230.0, lc.USER_TAG.FAULT, (5,), "Name", None, "bad")
    lc.log_to_stderr(record)
    assert capsys.readouterr().err.endswith(" 2025-06-01T10:20:30.000 ! <00000005>Name - bad\n")


def test_select_logs_forwards_records_at_or_above_the_level(capsys):
    logs = lc.select_logs(lc.USER_LOG.WARNING)
    logs(HEATER)  # CONSOLE < WARNING
    assert capsys.readouterr().err == ""
    logs(lc.PointLog(1748773230.125, lc.USER_TAG.WARNING, (0, 16), "Heater", None, "hot"))
    assert capsys.readouterr().err.endswith("? <00000010>Heater - hot\n")
    lc.log_to_nowhere(HEATER)
    assert capsys.readouterr().err == ""


def test_tag_levels():
    assert lc.tag_to_log(lc.USER_TAG.FAULT) == lc.USER_LOG.FAULT
    assert lc.tag_to_log(lc.USER_TAG.CREATED) == lc.USER_LOG.OBJECT
    assert lc.TAG_LOG["!"] == lc.USER_LOG.FAULT
    assert lc.TAG_LOG["="] == lc.USER_LOG.WARNING
    assert lc.TAG_LOG["&"] == lc.USER_LOG.TRACE
    assert lc.TAG_LOG["_"] == lc.USER_LOG.DEBUG
    assert {c for c in "+X><()"} == {c for c, v in lc.TAG_LOG.items() if v == lc.USER_LOG.OBJECT}


def test_point_log_defaults_and_process_block():
    record = lc.PointLog()
    assert (record.stamp, record.tag, record.address) == (0.0, None, lc.NO_SUCH_ADDRESS)
    assert (record.name, record.state, record.text) == (None, None, None)
    assert os.getpid() == lc.PID
    assert lc.PB.tear_down_atexit is True
    assert lc.PB.exit_status is None
    for name in ("output_value", "root", "thread_dispatch", "add_ons"):
        assert hasattr(lc.PB, name)
    assert issubclass(lc.QuietChannel, lc.Channel)
    e = lc.PlatformRequirementError("needs POSIX (try Linux)")
    assert str(e) == "needs POSIX (try Linux)"


def test_start_and_cancel_timer_are_registered_classes():
    s = lc.StartTimer()
    assert (s.timer, s.seconds, s.repeating) == (None, 1, False)
    assert lc.CancelTimer().timer is None
    text = encode_json(lc.StartTimer(lc.T1, 2.5, True), lc.Any())
    value = json.loads(text)["value"]
    assert value[0] == "layer_cake.virtual_point.StartTimer"
    assert value[1]["seconds"] == 2.5 and value[1]["repeating"] is True


def test_select_list_adhoc_uses_installed_types_only():
    table = lc.select_list_adhoc(lc.Ack, lc.Nak, int)
    assert isinstance(table, lc.SelectTable)
    with pytest.raises(lc.PointConstructionError, match=r'portable "map<integer8,vector<rune>>"'):
        lc.select_list_adhoc(lc.Ack, lc.MapOf(lc.Integer8(), lc.VectorOf(lc.Rune())))


class VpMachine(lc.Point, lc.Stateless):
    def __init__(self) -> None:
        lc.Point.__init__(self)
        lc.Stateless.__init__(self)


def VpMachine_Start(self, message):
    pass


lc.bind(VpMachine, (lc.Start,), thread="compat-vp")


def test_vp_holds_service_addresses_and_thread_classes():
    for name in ("log_address", "timer_address", "test_address", "circuit_address"):
        assert getattr(lc.VP, name) == lc.NO_SUCH_ADDRESS
    assert VpMachine in lc.VP.thread_classes["compat-vp"]


def test_dispatcher_loops_are_refused():
    for f in (lc.object_dispatch, lc.threaded_object):
        with pytest.raises(NotImplementedError, match=r"internal of layer-cake 0\.1\.1"):
            f(None)


EMBEDDED = """
    import sys
    import layer_cake as lc

    def worker(self, n: int = 1):
        self.console("Working", n=n)
        self.debug("not selected")
        return n * 2

    lc.bind(worker)

    calls = []
    lc.AddOn(lambda root: calls.append("create"), lambda root: print("stop", flush=True))

    root = lc.start_up(lc.select_logs(lc.USER_LOG.CONSOLE))
    assert lc.start_up(lc.log_to_stderr) is root  # once: same root, logs ignored
    assert isinstance(root, lc.QuietChannel)
    root.create(worker, n=21)
    m = root.input()
    print(m.message, calls, flush=True)
    lc.PB.exit_status = int(sys.argv[1]) if len(sys.argv) > 1 else None
    if "--explicit" in sys.argv:
        lc.tear_down()
        lc.tear_down()  # no-op once stopped
"""

LINE = re.compile(
    r"^\[(\d{8})\] \d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3} \^ <[0-9a-f]{8}>worker - "
    r"Working \(n=21\)$"
)


def run(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    (tmp_path / "embedded.py").write_text(textwrap.dedent(EMBEDDED))
    return subprocess.run(
        [sys.executable, "embedded.py", *args],
        cwd=tmp_path,
        env=dict(os.environ, LC_PRIMARY_IP="none"),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_start_up_sends_selected_records_and_tear_down_runs_at_exit(tmp_path):
    done = run(tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout == "42 ['create']\nstop\n"
    lines = done.stderr.splitlines()
    assert len(lines) == 1, done.stderr
    match = LINE.match(lines[0])
    assert match, lines[0]


def test_tear_down_exits_with_the_exit_status(tmp_path):
    done = run(tmp_path, "3", "--explicit")
    assert done.returncode == 3, done.stderr
    assert done.stdout == "42 ['create']\nstop\n"
    done = run(tmp_path, "5")  # the exit hook does the same
    assert done.returncode == 5, done.stderr
