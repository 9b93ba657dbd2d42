"""The programs of ``examples/compat/``, written for layer-cake 0.1's documented API, run
unchanged: timers and a machine with save, the JSON codec, persistence, ``object_table``
sub-commands, and an embedding program logging through ``start_up``."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "compat"
LOG_LINE = re.compile(
    r"^\[\d{8}\] \d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3} \^ <[0-9a-f]{8}>square - "
    r"Squaring \(n=(\d)\)$"
)


def run(cwd: Path, program: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(EXAMPLES / program), *args],
        cwd=cwd,
        env=dict(os.environ, LC_PRIMARY_IP="none"),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_notes_store_and_recall_through_files(tmp_path):
    done = run(tmp_path, "notes.py", "store", "milk", "eggs", "--folder=nb")
    assert (done.returncode, done.stdout, done.stderr) == (0, "2\n", "")
    stored = json.loads((tmp_path / "nb" / "milk.json").read_text())
    assert stored == {"value": {"text": "milk", "count": 0}}
    done = run(tmp_path, "notes.py", "--folder=nb", "recall", "eggs", "milk")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == ["eggs:1", "milk:0"]


def test_notes_encode_with_the_json_codec(tmp_path):
    done = run(tmp_path, "notes.py", "encode", "hello", "world")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == '{"value":{"text":"hello world","count":2}}'


def test_notes_queue_saves_until_the_timer_has_ticked(tmp_path):
    done = run(tmp_path, "notes.py", "queue", "c", "a", "b", "--ticks=2", "-v", "-dl=CONSOLE")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == ["a", "b", "c"]
    assert "Running (sub_command=queue)" in done.stderr


def test_notes_without_a_sub_command_is_a_fault(tmp_path):
    done = run(tmp_path, "notes.py")
    assert (done.returncode, done.stdout) == (71, "")
    assert done.stderr == "notes.py: no sub-command (store, recall, encode or queue)\n"
    done = run(tmp_path, "notes.py", "erase")
    assert (done.returncode, done.stderr) == (71, 'notes.py: unknown sub-command "erase"\n')


def test_embedded_program_logs_through_start_up_and_tears_down(tmp_path):
    done = run(tmp_path, "embedded.py", "3")
    assert done.returncode == 0, done.stderr
    assert done.stdout == "[1, 4, 9]\n"
    lines = done.stderr.splitlines()
    found = sorted(int(m.group(1)) for m in map(LOG_LINE.match, lines) if m)
    assert found == [1, 2, 3], done.stderr
    assert len(lines) == 3
