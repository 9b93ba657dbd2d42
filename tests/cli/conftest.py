"""Fixtures of the CLI tests; the helpers are in cli_support.py."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

# The scripts and helpers of the directory tests (tests/directory/directory_support.py).
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "directory"))
from directory_support import Cake


@pytest.fixture
def cake(tmp_path: Path) -> Iterator[Cake]:
    """Scripts in ``tmp_path``, a way to start daemons and processes, all killed at the end."""
    c = Cake(tmp_path)
    try:
        yield c
    finally:
        c.close()
