"""The README's main job: examples/demo.py answers with a 2x2 table and leaves nothing running."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import layer_cake
import layer_cake_directory

ROOT = Path(__file__).resolve().parents[2]
# The packages under test where they are installed (the compiled build under nox), as absolute
# paths: the demo's children run in examples/multihosting.
PYTHONPATH = os.pathsep.join(
    str(Path(m.__file__).resolve().parent.parent) for m in (layer_cake, layer_cake_directory)
)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_the_demo_serves_a_table_from_published_workers():
    env = dict(os.environ, LC_DEMO_PORT=str(free_port()), PYTHONPATH=PYTHONPATH)
    r = subprocess.run(
        [sys.executable, str(ROOT / "examples" / "demo.py")],
        capture_output=True,
        text=True,
        env=env,
        timeout=180,
        check=False,
    )
    assert r.returncode == 0, r.stdout + r.stderr
    assert "demo: 8 workers found through the directory" in r.stdout
    assert "demo: HTTP 200, 2x2 table: OK" in r.stdout
    assert '"vector<vector<float8>>"' in r.stdout
