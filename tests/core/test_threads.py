"""Where objects run: Threaded machines in parallel, named dispatcher threads shared, Point
machines on the loop thread, a thread per function object (api-core §1; acceptance 19)."""

from __future__ import annotations

import importlib.util
import threading
import time
from pathlib import Path

import pytest
from runtime_support import (
    wait_returned,
)

import layer_cake as lc
from layer_cake.runtime._loop import LOOP
from layer_cake.runtime._machine import DISPATCHER_PREFIX

STRS = lc.def_type(list[str])


def where() -> list[str]:
    t = threading.current_thread()
    return [t.name, str(t.ident)]


class Blocker(lc.Threaded, lc.Stateless):
    def __init__(self, seconds: float = 1.0) -> None:
        lc.Threaded.__init__(self)
        lc.Stateless.__init__(self)
        self.seconds = seconds


def Blocker_Start(self, m):
    time.sleep(self.seconds)  # a Threaded machine may block its own thread
    self.complete(lc.cast_to(where(), STRS))


lc.bind(Blocker, (lc.Start,))


def test_threaded_machines_block_in_parallel(ch):
    t0 = time.monotonic()
    ch.create(Blocker, seconds=1.0)
    ch.create(Blocker, seconds=1.0)
    places = [wait_returned(ch).cast_back()[0] for _ in range(2)]
    elapsed = time.monotonic() - t0
    assert 1.0 <= elapsed < 1.8
    assert places[0][1] != places[1][1]
    assert str(LOOP.ident) not in (places[0][1], places[1][1])


class SharedA(lc.Point, lc.Stateless):
    def __init__(self) -> None:
        lc.Point.__init__(self)
        lc.Stateless.__init__(self)


class SharedB(lc.Point, lc.StateMachine):
    def __init__(self) -> None:
        lc.Point.__init__(self)
        lc.StateMachine.__init__(self, SharedB)


def SharedA_Start(self, m):
    self.complete(lc.cast_to(where(), STRS))


def SharedB_SharedB_Start(self, m):
    self.complete(lc.cast_to(where(), STRS))


lc.bind(SharedA, (lc.Start,), thread="test-threads-x")
lc.bind(SharedB, {SharedB: ((lc.Start,), ())}, thread="test-threads-x")


def test_classes_bound_to_one_thread_name_share_one_dispatcher_thread(ch):
    ch.create(SharedA)
    ch.create(SharedB)
    ch.create(SharedA)
    places = [wait_returned(ch).cast_back()[0] for _ in range(3)]
    assert len({ident for _, ident in places}) == 1
    assert places[0][0] == f"{DISPATCHER_PREFIX}test-threads-x"
    assert places[0][1] != str(LOOP.ident)


class OnLoop(lc.Point, lc.Stateless):
    def __init__(self) -> None:
        lc.Point.__init__(self)
        lc.Stateless.__init__(self)


def OnLoop_Start(self, m):
    self.complete(lc.cast_to(where(), STRS))


lc.bind(OnLoop, (lc.Start,))


def test_unnamed_point_machines_run_on_the_loop_thread(ch):
    ch.create(OnLoop)
    ch.create(OnLoop)
    places = [wait_returned(ch).cast_back()[0] for _ in range(2)]
    assert places[0] == places[1] == ["layer-cake-loop", str(LOOP.ident)]


def napper(self, seconds: float = 0.5) -> list[str]:
    time.sleep(seconds)
    return where()


lc.bind(napper)


def test_function_objects_run_on_a_thread_each(ch):
    t0 = time.monotonic()
    for _ in range(4):
        ch.create(napper, seconds=0.5)
    places = [wait_returned(ch).cast_back()[0] for _ in range(4)]
    assert time.monotonic() - t0 < 1.5
    assert len({ident for _, ident in places}) == 4
    assert str(LOOP.ident) not in {ident for _, ident in places}


class Sleepy(lc.Threaded, lc.Stateless):
    def __init__(self) -> None:
        lc.Threaded.__init__(self)
        lc.Stateless.__init__(self)


def Sleepy_Start(self, m):
    pass


def Sleepy_Stop(self, m):
    self.complete(lc.Aborted())


lc.bind(Sleepy, (lc.Start, lc.Stop))


def test_a_threaded_machine_thread_ends_with_the_machine(ch):
    before = set(threading.enumerate())
    a = ch.create(Sleepy)
    started = [t for t in threading.enumerate() if t not in before]
    assert [t.name for t in started] == ["layer-cake-Sleepy"]
    ch.send(lc.Stop(), a)
    assert isinstance(wait_returned(ch).message, lc.Aborted)
    started[0].join(5.0)
    assert not started[0].is_alive()


def test_threaded_with_a_thread_name_is_refused():
    class Both(lc.Threaded, lc.Stateless):
        def __init__(self) -> None:
            lc.Threaded.__init__(self)
            lc.Stateless.__init__(self)

    with pytest.raises(lc.PointConstructionError):
        lc.bind(Both, (), thread="y")


def until_stopped(self) -> None:
    while not isinstance(self.input(), lc.Stop):
        pass


lc.bind(until_stopped)


class GuardShared(lc.Point, lc.Stateless):
    def __init__(self) -> None:
        lc.Point.__init__(self)
        lc.Stateless.__init__(self)


def GuardShared_Start(self, m):
    self.complete()


lc.bind(GuardShared, (lc.Start,), thread="test-threads-guard")


def suite_guard():  # type: ignore[no-untyped-def]
    """tests/conftest.py as a module (``import conftest`` finds the nearest one)."""
    path = Path(__file__).resolve().parents[1] / "conftest.py"
    spec = importlib.util.spec_from_file_location("suite_conftest", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_leak_guard_flags_object_threads_but_not_the_runtime_threads(ch):
    threads_left = suite_guard().threads_left
    before = set(threading.enumerate())
    ch.create(GuardShared)  # starts the shared dispatcher thread: it persists by design
    wait_returned(ch)
    a = ch.create(until_stopped)  # an object thread: a leak until it is stopped
    left = threads_left(before, time.monotonic() + 0.2)
    assert [t.name for t in left] == ["layer-cake-until_stopped"]
    ch.send(lc.Stop(), a)
    wait_returned(ch)
    assert threads_left(before, time.monotonic() + 5.0) == []
