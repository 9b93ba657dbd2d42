"""Fixtures of the attack tests (helpers are in security_support.py)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

import layer_cake as lc


@pytest.fixture
def ch() -> Iterator[lc.Channel]:
    """A channel: the test's own ``self``, the controller of the servers it listens with."""
    with lc.channel() as c:
        yield c
