"""Fixtures of the runtime tests (helpers are in runtime_support.py)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

import layer_cake as lc


@pytest.fixture
def ch() -> Iterator[lc.Channel]:
    """A channel: the test's own ``self``."""
    with lc.channel() as c:
        yield c
