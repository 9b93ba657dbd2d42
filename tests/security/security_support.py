"""Helpers of the attack tests: raw client sockets on 127.0.0.1, servers, waiting for events.

An attacker here knows only the wire spec: it opens plain TCP sockets to loopback and writes
bytes. Tests wait for events with generous deadlines (``PATIENCE``), never for fixed times.
"""

from __future__ import annotations

import concurrent.futures
import os
import queue
import select
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from http_wire import RawConnection, Response, get, raw  # noqa: F401  (re-exported to the attack tests)

import layer_cake as lc
from layer_cake.net._http_server import HttpLimits, set_http_limits
from layer_cake.runtime._loop import LOOP

LOOPBACK = "127.0.0.1"
#: Upper bound for anything that should happen "soon"; only reached when a test fails.
PATIENCE = 20.0


def wait_for(c: lc.Channel, *types: object, seconds: float = PATIENCE) -> tuple:
    """``(value, index)`` of the next message matching ``types``; fails on timeout."""
    m, i = c.select(*types, seconds=seconds)
    assert i < len(types), f"none of {types} within {seconds} s"
    return m, i


def until(predicate: Callable[[], bool], seconds: float = PATIENCE, what: str = "") -> None:
    """Return once ``predicate()`` is true; fail after ``seconds`` (polls, never one sleep)."""
    deadline = time.monotonic() + seconds
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {seconds} s: {what or predicate}")
        time.sleep(0.02)  # a poll interval, not a wait for an outcome


def on_loop(function: Callable[[], object]) -> object:
    """Run ``function`` on the runtime's loop thread (where the connections live); its result."""
    future: concurrent.futures.Future = concurrent.futures.Future()

    def run() -> None:
        try:
            future.set_result(function())
        except BaseException as e:  # handed to the test thread
            future.set_exception(e)

    LOOP.loop.call_soon_threadsafe(run)  # type: ignore[union-attr]
    return future.result(PATIENCE)


def links() -> list:
    """The server side of every open HTTP connection of this process (read on the loop)."""
    from layer_cake.net._http_link import server_links

    return on_loop(server_links)  # type: ignore[return-value]


@contextmanager
def limits(**changes: object) -> Iterator[HttpLimits]:
    """HTTP limits for the listens made in the block."""
    previous = set_http_limits(**changes)
    try:
        yield previous
    finally:
        set_http_limits(previous)


@contextmanager
def listening(ch: lc.Channel, **kw: object) -> Iterator[int]:
    """The test's channel listening as an HTTP server on port 0: its port."""
    lid = lc.listen(ch, lc.HostPort(LOOPBACK, 0), **kw)
    m, i = wait_for(ch, lc.Listening, lc.NotListening)
    assert i == 0, str(m)
    try:
        yield m.listening_ipp.port
    finally:
        lc.stop_listening(ch, lid)
        wait_for(ch, lc.NotListening)


class Flood:
    """A thread writing ``data`` to a socket that never reads what comes back.

    It writes while the socket takes bytes and stops when told; ``sent`` is how far it got.
    """

    def __init__(self, port: int, data: bytes) -> None:
        self.sock = socket.create_connection((LOOPBACK, port), timeout=PATIENCE)
        self.sock.setblocking(False)
        self.data = memoryview(data)
        self.sent = 0
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, name="flood", daemon=True)
        self.thread.start()

    def _run(self) -> None:
        try:
            while self.sent < len(self.data) and not self.stop.is_set():
                _, writable, _ = select.select([], [self.sock], [], 0.05)
                if writable:
                    self.sent += self.sock.send(self.data[self.sent : self.sent + 65536])
        except OSError:
            pass  # the server closed it: the flood is over

    @property
    def done(self) -> bool:
        return self.sent >= len(self.data)

    def close(self) -> None:
        self.stop.set()
        self.thread.join(PATIENCE)
        self.sock.close()


@contextmanager
def flood(port: int, data: bytes) -> Iterator[Flood]:
    f = Flood(port, data)
    try:
        yield f
    finally:
        f.close()


# A keyed server in its own process -----------------------------------------------------------

KEYED_SERVER = """
import layer_cake as lc


def keyed_server(self):
    lc.listen(self, lc.HostPort("127.0.0.1", 0), encrypted=True)
    m = self.input()
    if isinstance(m, lc.NotListening):
        print(f"refused {m.error_text}", flush=True)
        return m
    print(f"listening {m.listening_ipp.port}", flush=True)
    while True:
        m = self.input()
        if isinstance(m, lc.Accepted):
            print("accepted", flush=True)
        elif isinstance(m, lc.NotAccepted):
            print(f"not accepted {m.error_text}", flush=True)
        elif isinstance(m, lc.Stop):
            return lc.Aborted()


lc.bind(keyed_server)

if __name__ == "__main__":
    lc.create(keyed_server)
"""


class KeyedServer:
    """The server process, holding ``--site-key=<key>``; its stdout lines in a queue."""

    def __init__(self, folder: Path, key: Path) -> None:
        (folder / "keyed_server.py").write_text(KEYED_SERVER)
        env = {k: v for k, v in os.environ.items() if k != "LC_SITE_KEY_FILE"}
        env["PYTHONPATH"] = os.pathsep.join(
            p for p in (os.path.dirname(os.path.dirname(lc.__file__)), env.get("PYTHONPATH")) if p
        )
        self.proc = subprocess.Popen(
            [sys.executable, "keyed_server.py", f"--site-key={key}"],
            cwd=folder,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
        )
        self.lines: queue.Queue = queue.Queue()
        out = self.proc.stdout
        self.reader = threading.Thread(target=lambda: [self.lines.put(x) for x in out], daemon=True)  # type: ignore[union-attr]
        self.reader.start()
        first = self.line().split()
        assert first[0] == "listening", first
        self.at = lc.HostPort(LOOPBACK, int(first[1]))

    def line(self) -> str:
        return self.lines.get(timeout=PATIENCE)  # queue.Empty fails the test rather than hang

    def close(self) -> None:
        self.proc.kill()  # by PID: the process this test started
        self.proc.wait(PATIENCE)
        self.reader.join(PATIENCE)
        self.proc.stdout.close()  # type: ignore[union-attr]
