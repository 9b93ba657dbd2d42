"""No process ends by a signal it did not receive (issue 10 item 5).

A process used to crash at exit about once in 25 ends: its loop thread was still inside a
socket callback (``__loop_alloc_buffer -> PyGILState_Ensure``) while the interpreter tore
itself down. Here servers, workers and a host-cake daemon are started and ended in parallel
batches, with their connections (to each other and to the directory) still open at the end:
workers return normally, servers and the daemon are stopped with SIGINT. Every exit status
must be non-negative (a negative one is "killed by that signal").
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

import layer_cake as lc

SRC = Path(lc.__file__).resolve().parent.parent
PATIENCE = 60.0
BATCHES = 4
SERVERS = 3  # per batch, stopped with SIGINT
WORKERS = 14  # per batch, return normally (about 80 process ends in all, with the daemons)

PEER = """
    import sys

    import layer_cake as lc

    def server(self):
        lc.listen(self, lc.HostPort("127.0.0.1", 0))
        m = self.input()
        print(f"listening {m.listening_ipp.port}", flush=True)
        while True:
            m = self.input()
            if isinstance(m, lc.Stop):
                return lc.Aborted()
            if isinstance(m, lc.Ping):
                self.reply(lc.Ack())

    def worker(self, port: int = 0, count: int = 20):
        lc.publish(self, f"exit-test-{port}-{id(self)}", scope=lc.ScopeOfDirectory.HOST)
        lc.connect(self, lc.HostPort("127.0.0.1", port))
        m = self.input()
        if not isinstance(m, lc.Connected):
            return m
        proxy = m.proxy_address
        for _ in range(count):
            self.send(lc.Ping(), proxy)
        acks = 0
        while acks < count:
            m = self.input()
            if isinstance(m, lc.Ack):
                acks += 1
        for _ in range(count * 10):  # answers still arriving: the loop reads at the end
            self.send(lc.Ping(), proxy)
        return acks

    lc.bind(server)
    lc.bind(worker)

    if __name__ == "__main__":
        role = sys.argv.pop(1)  # the rest are the object's arguments
        lc.create(server if role == "server" else worker)
"""


def environment() -> dict:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(SRC), env.get("PYTHONPATH", "")) if p)
    return env


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start(argv: list[str], folder: Path) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, *argv],
        cwd=folder,
        env=environment(),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,  # a daemon's "listening" line is a log line
        text=True,
    )


def first_line(p: subprocess.Popen, prefix: str) -> str:
    """The first output line of ``p`` that starts with (or, a log line, holds) ``prefix``."""
    assert p.stdout is not None
    for line in p.stdout:
        if line.startswith(prefix) or f" {prefix}" in line:
            return line[line.index(prefix) :]
    raise AssertionError(f"stdout ended before {prefix!r} (status {p.wait(PATIENCE)})")


def stop(p: subprocess.Popen, sig: int | None) -> int:
    """Send ``sig`` (by PID: a process this test started), wait; the exit status."""
    if sig is not None and p.poll() is None:
        os.kill(p.pid, sig)
    try:
        return p.wait(timeout=PATIENCE)
    finally:
        if p.poll() is None:
            p.kill()
            p.wait(PATIENCE)
        if p.stdout is not None:
            p.stdout.close()


@pytest.mark.timeout(600)  # about 70 process starts on a shared machine
def test_processes_end_with_their_own_status_never_by_a_signal(tmp_path: Path) -> None:
    (tmp_path / "peer.py").write_text(textwrap.dedent(PEER))
    statuses: list[tuple[str, int]] = []
    started: list[subprocess.Popen] = []
    try:
        for _ in range(BATCHES):
            directory = json.dumps({"host": "127.0.0.1", "port": free_port()})
            daemon = start(
                ["-m", "layer_cake_directory.host_cake", f"--directory-at-host={directory}"],
                tmp_path,
            )
            started.append(daemon)
            first_line(daemon, "host-cake: listening")
            servers = [start(["peer.py", "server"], tmp_path) for _ in range(SERVERS)]
            started.extend(servers)
            ports = [int(first_line(s, "listening ").split()[1]) for s in servers]
            workers = [
                start(
                    [
                        "peer.py",
                        "worker",
                        f"--port={ports[i % SERVERS]}",
                        f"--connect-to-directory={directory}",
                    ],
                    tmp_path,
                )
                for i in range(WORKERS)
            ]
            started.extend(workers)
            statuses += [("worker", stop(w, None)) for w in workers]
            statuses += [("server", stop(s, signal.SIGINT)) for s in servers]
            statuses += [("host-cake", stop(daemon, signal.SIGINT))]
    finally:
        for p in started:
            if p.poll() is None:
                p.kill()
                p.wait(PATIENCE)
    assert len(statuses) == BATCHES * (SERVERS + WORKERS + 1)
    killed = [(kind, status) for kind, status in statuses if status < 0]
    assert not killed, f"ended by a signal: {killed} of {len(statuses)}"
    assert all(status == 0 for kind, status in statuses if kind == "worker"), statuses


def test_a_process_stopped_while_its_peer_floods_it_exits_cleanly(tmp_path: Path) -> None:
    """A server busy reading a flood of frames at the moment SIGINT arrives."""
    (tmp_path / "peer.py").write_text(textwrap.dedent(PEER))
    server = start(["peer.py", "server"], tmp_path)
    try:
        port = int(first_line(server, "listening ").split()[1])
        from layer_cake.net._frame import FrameEncoder
        from layer_cake.types._wire import KIND_KEEP_ALIVE, pack_control

        encoder = FrameEncoder()
        probe = encoder.frame(pack_control(KIND_KEEP_ALIVE, 1))  # answers: never answered
        with socket.create_connection(("127.0.0.1", port), timeout=PATIENCE) as s:
            s.sendall(encoder.hello(False))
            s.recv(64)  # its hello: the link is up
            end = time.monotonic() + PATIENCE
            s.settimeout(0.05)
            sent = 0
            while server.poll() is None and time.monotonic() < end:
                with contextlib.suppress(TimeoutError, OSError):  # it may be gone already
                    s.sendall(probe * 256)
                sent += 1
                if sent == 50:
                    os.kill(server.pid, signal.SIGINT)  # by PID: started by this test
        status = stop(server, None)
    finally:
        if server.poll() is None:
            server.kill()
            server.wait(PATIENCE)
    assert status >= 0, f"ended by signal {-status}"
