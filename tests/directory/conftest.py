"""Fixtures of the directory tests (helpers are in directory_support.py)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from directory_support import Cake


@pytest.fixture
def cake(tmp_path: Path) -> Iterator[Cake]:
    """Scripts in ``tmp_path``, a way to start daemons and processes, all killed at the end."""
    c = Cake(tmp_path)
    try:
        yield c
    finally:
        c.close()
