"""Fixtures of the multi-host tests: a virtual LAN in network namespaces (see netns.py)."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

# The scripts and helpers of the directory tests (tests/directory/directory_support.py).
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "directory"))
from netns import DEFAULT_HOSTS, Lan, netns_unavailable


@pytest.fixture
def netns_ready() -> None:
    """Skip the test, saying why, where network namespaces cannot be made."""
    reason = netns_unavailable()
    if reason is not None:
        pytest.skip(reason)


@pytest.fixture
def lan_hosts() -> dict[str, str]:
    """Host name -> address of the ``lan`` fixture; override it in a module for another LAN."""
    return dict(DEFAULT_HOSTS)


@pytest.fixture
def lan(netns_ready: None, lan_hosts: dict[str, str]) -> Iterator[Lan]:
    """A fresh LAN for one test; its processes are killed and its namespaces deleted after."""
    with Lan(hosts=lan_hosts) as network:
        yield network
