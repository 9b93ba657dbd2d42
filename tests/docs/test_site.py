"""The documentation site builds with MkDocs in strict mode and documents every public name.

Strict mode turns every warning into a failure: a page missing from the navigation, a broken
link or anchor, an included example file that moved, a docstring mkdocstrings cannot read.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import layer_cake as lc

ROOT = Path(__file__).resolve().parents[2]


def test_site_builds_strict_and_lists_every_public_name(tmp_path: Path) -> None:
    site = tmp_path / "site"
    done = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(site)],
        check=False,
        cwd=ROOT,
        env=dict(os.environ, NO_MKDOCS_2_WARNING="1"),
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr[-4000:]
    assert "WARNING" not in done.stderr, done.stderr[-4000:]
    api = (site / "reference" / "api" / "index.html").read_text()
    listed = set(re.findall(r'id="name-([A-Za-z_0-9]+)"', api))
    assert [name for name in lc.__all__ if name not in listed] == []
    cli = (site / "reference" / "cli" / "index.html").read_text()
    for command in ("create", "add", "run", "start", "stop", "status", "network", "log"):
        assert f'id="layer-cake-{command}"' in cli
