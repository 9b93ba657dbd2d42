"""Publish/subscribe across hosts: network namespaces joined by a bridge; ``-p no:xdist``.

The LAN of ``tests/multihost/netns.py``: hosts ``a`` (10.0.0.1) and ``b`` (10.0.0.2) run a
host-cake each with its defaults, host ``lan`` (10.0.0.195) runs lan-cake; each host-cake
derives the standard LAN directory inside its namespace. The subscriber runs on ``a``, the
publishers on ``b``, both at LAN scope, so every session crosses the bridge.

Rows:

* publish -> ``Available`` across hosts: ``REPEATS`` publications in sequence (each cleared
  once delivered), from the publisher's ``Published`` to the subscriber's ``Available``,
  both stamped with ``time.time()`` (one kernel clock for all namespaces).
* SIGKILL -> ``Dropped`` across hosts: a publisher process on ``b`` killed (stamped before
  the kill); ``KILLS`` repetitions.
* link down -> ``Dropped``: the switch port of ``b`` is set down (no FIN, no RST), so only
  keep-alive notices; stamped before ``ip link set down``; ``LINKS`` repetitions (the link
  comes back and the session is found again between them). Goal: within 3 s.

Skipped where network namespaces cannot be made (not root). Nothing asserts on time.
"""

from __future__ import annotations

import os
import re
import signal
import sys
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "multihost"))
from netns import Lan, deadline_after, env_for_children, netns_unavailable, wait_for_line
from test_bench_pubsub import PUBLISHER, SUBSCRIBER, stamp_of, summary

REPEATS = 20
KILLS = 5
LINKS = 3
DEADLINE = 30.0

# The scripts of test_bench_pubsub, at LAN scope (their --scope and --prefix/--search).
LAN_PUBLISHER = ("--scope=LAN", "--prefix=bench:lan")
LAN_SUBSCRIBER = ("--scope=LAN", "--search=bench:lan:[-a-f0-9]+")


class World:
    def __init__(self, lan: Lan, folder: Path) -> None:
        self.lan = lan
        self.folder = folder
        (folder / "publisher.py").write_text(textwrap.dedent(PUBLISHER))
        (folder / "subscriber.py").write_text(textwrap.dedent(SUBSCRIBER))
        self.env = env_for_children()
        self.env.pop("LC_PRIMARY_IP", None)  # derived inside each namespace
        self.daemon("lan", "lan_cake")
        self.daemon("a", "host_cake")
        self.daemon("b", "host_cake")

    def daemon(self, host: str, module: str) -> None:
        argv = [sys.executable, "-m", f"layer_cake_directory.{module}"]
        p = self.lan.host(host).popen(argv, env=self.env, cwd=self.folder)
        wait_for_line(p, "listening for directories", deadline_after(DEADLINE))

    def run(self, host: str, *argv: str):  # type: ignore[no-untyped-def]
        return self.lan.host(host).popen([sys.executable, *argv], env=self.env, cwd=self.folder)


def line(proc, prefix: str) -> str:  # type: ignore[no-untyped-def]
    pattern = "^" + re.escape(prefix) + ".*"
    return wait_for_line(proc, pattern, deadline_after(DEADLINE)).group(0)


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    reason = netns_unavailable()
    if reason is not None:
        pytest.skip(reason)
    hosts = {"a": "10.0.0.1", "b": "10.0.0.2", "lan": "10.0.0.195"}  # lan-doc: in-namespace only
    with Lan(hosts) as lan:
        yield World(lan, tmp_path)


def publish_to_available(w: World) -> list[float]:
    sub = w.run("a", "subscriber.py", *LAN_SUBSCRIBER)
    line(sub, "SUBSCRIBED")
    pub = w.run("b", "publisher.py", f"--count={REPEATS}", *LAN_PUBLISHER)
    available: dict[str, float] = {}
    published: dict[str, float] = {}
    while len(available) < REPEATS:
        name, t = stamp_of(line(sub, "AVAILABLE"))
        available[name] = t
    while len(published) < REPEATS:
        name, t = stamp_of(line(pub, "PUBLISHED"))
        published[name] = t
    return [(available[n] - published[n]) * 1e3 for n in available if n in published]


@pytest.mark.timeout(180)
def test_publish_to_available_across_hosts(benchmark, world: World) -> None:  # type: ignore[no-untyped-def]
    ms = benchmark.pedantic(publish_to_available, args=(world,), rounds=1, iterations=1)
    assert len(ms) == REPEATS
    benchmark.extra_info.update(summary(ms))


def kill_to_dropped(w: World) -> list[float]:
    ms = []
    sub = w.run("a", "subscriber.py", *LAN_SUBSCRIBER)
    line(sub, "SUBSCRIBED")
    for _ in range(KILLS):
        pub = w.run("b", "publisher.py", *LAN_PUBLISHER)
        name = line(pub, "PUBLISHED").split()[1]
        line(sub, f"AVAILABLE {name}")
        line(pub, "DONE")  # Delivered: the session is up on both sides
        t0 = time.time()
        os.kill(pub.pid, signal.SIGKILL)
        _, t1 = stamp_of(line(sub, f"DROPPED {name}"))
        ms.append((t1 - t0) * 1e3)
        pub.wait(timeout=DEADLINE)
    return ms


@pytest.mark.timeout(180)
def test_sigkill_to_dropped_across_hosts(benchmark, world: World) -> None:  # type: ignore[no-untyped-def]
    ms = benchmark.pedantic(kill_to_dropped, args=(world,), rounds=1, iterations=1)
    assert len(ms) == KILLS
    benchmark.extra_info.update(summary(ms))


def link_down_to_dropped(w: World) -> list[float]:
    ms = []
    sub = w.run("a", "subscriber.py", *LAN_SUBSCRIBER)
    line(sub, "SUBSCRIBED")
    pub = w.run("b", "publisher.py", *LAN_PUBLISHER)
    name = line(pub, "PUBLISHED").split()[1]
    line(sub, f"AVAILABLE {name}")
    for _ in range(LINKS):
        t0 = time.time()
        w.lan.link_down("b")
        _, t1 = stamp_of(line(sub, f"DROPPED {name}"))
        ms.append((t1 - t0) * 1e3)
        w.lan.link_up("b")
        line(sub, f"AVAILABLE {name}")  # host-cake b rejoins lan-cake; the name is found again
    return ms


@pytest.mark.timeout(180)
def test_link_down_to_dropped(benchmark, world: World) -> None:  # type: ignore[no-untyped-def]
    ms = benchmark.pedantic(link_down_to_dropped, args=(world,), rounds=1, iterations=1)
    assert len(ms) == LINKS
    benchmark.extra_info.update(summary(ms))
