"""What the directory tests share: the scripts they run, child processes whose printed lines
can be awaited, and ``Cake``, which starts daemons and processes and kills them all at the end.

Processes are scripts written into a folder and run with ``lc.create``; they print one line
per event (``PUBLISHED``, ``AVAILABLE <name> <scope> <ok>``, ...). Every process is killed by
its PID, never by name.
"""

from __future__ import annotations

import json
import os
import queue
import re
import signal
import socket
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import layer_cake as lc
import layer_cake_cli
import layer_cake_directory

__all__ = [
    "DEADLINE",
    "PYTHONPATH",
    "Cake",
    "Proc",
    "free_port",
    "hostport",
    "session_events",
]

# The packages under test wherever they are installed (site-packages under nox, or the source
# tree on PYTHONPATH), never the source tree behind an installed compiled build.
PYTHONPATH = os.pathsep.join(
    dict.fromkeys(
        str(Path(module.__file__).resolve().parent.parent)
        for module in (lc, layer_cake_directory, layer_cake_cli)
    )
)
DEADLINE = 20.0  # generous: a loaded machine may start a process slowly

MESSAGES = """
import layer_cake as lc


class Xy:
    def __init__(self, x: int = 1, y: int = 1):
        self.x = x
        self.y = y


class Product:
    def __init__(self, value: int = 0, name: str = ""):
        self.value = value
        self.name = name


lc.bind(Xy)
lc.bind(Product)
table_type = lc.def_type(list[list[float]])
"""

PUBLISHER = """
import sys
import layer_cake as lc
from messages import Xy, Product


def publisher(self, name: str = "svc", scope: str = "HOST", encrypted: bool = False):
    lc.publish(self, name, scope=lc.ScopeOfDirectory[scope], encrypted=encrypted)
    while True:
        m = self.input()
        if isinstance(m, lc.Published):
            print("PUBLISHED", m.listening_ipp.port, flush=True)
        elif isinstance(m, lc.NotPublished):
            print("NOTPUBLISHED", m.note, flush=True)
            return m
        elif isinstance(m, lc.Delivered):
            print("DELIVERED", m.scope.name, flush=True)
        elif isinstance(m, lc.Dropped):
            print("DROPPED", flush=True)
        elif isinstance(m, Xy):
            self.reply(Product(m.x * m.y, name))
        elif isinstance(m, lc.Stop):
            return lc.Aborted()


lc.bind(publisher)

if __name__ == "__main__":
    lc.create(publisher)
"""

SUBSCRIBER = """
import layer_cake as lc
from messages import Xy, Product


def subscriber(self, search: str = "svc", scope: str = "HOST"):
    lc.subscribe(self, search, scope=lc.ScopeOfDirectory[scope])
    peers = {}
    count = 0
    self.start(lc.T1, 0.2, repeating=True)
    while True:
        m = self.input()
        if isinstance(m, lc.Subscribed):
            print("SUBSCRIBED", flush=True)
        elif isinstance(m, lc.Available):
            ok = self.return_address == m.publisher_address
            print("AVAILABLE", m.name, m.scope.name, ok, flush=True)
            peers[m.name] = m.publisher_address
            self.send(Xy(2, 3), m.publisher_address)
        elif isinstance(m, lc.Dropped):
            print("DROPPED", m.name, flush=True)
            peers.pop(m.name, None)
        elif isinstance(m, Product):
            count += 1
            print("PRODUCT", m.value, m.name, count, flush=True)
        elif isinstance(m, lc.T1):
            for address in peers.values():
                self.send(Xy(2, 3), address)
        elif isinstance(m, lc.Stop):
            return lc.Aborted()


lc.bind(subscriber)

if __name__ == "__main__":
    lc.create(subscriber)
"""

WORKER = """
import random
import uuid
import layer_cake as lc
from messages import Xy, table_type


def worker(self):
    lc.publish(self, f"app:worker-10:{uuid.uuid4()}")
    m = self.input()
    if not isinstance(m, lc.Published):
        return m
    print("PUBLISHED", m.name, flush=True)
    while True:
        m = self.input()
        if isinstance(m, Xy):
            table = [[random.random() for _ in range(m.x)] for _ in range(m.y)]
            self.send(lc.cast_to(table, table_type), self.return_address)
        elif isinstance(m, lc.Faulted):
            return m
        elif isinstance(m, lc.Stop):
            return lc.Aborted()


lc.bind(worker)

if __name__ == "__main__":
    lc.create(worker)
"""

SERVER = """
import layer_cake as lc
from messages import Xy


def server(self, port: int = 0):
    lc.listen(self, lc.HostPort("127.0.0.1", port), http_server=[Xy])
    m = self.input()
    if not isinstance(m, lc.Listening):
        return m
    lc.subscribe(self, "app:worker-10:[-a-f0-9]+")
    m = self.input()
    if not isinstance(m, lc.Subscribed):
        return m
    print("SUBSCRIBED", flush=True)
    worker_spool = self.create(lc.ObjectSpool, None)
    while True:
        m = self.input()
        if isinstance(m, Xy):
            pass
        elif isinstance(m, lc.Returned):
            d = self.debrief()
            if isinstance(d, lc.OnReturned):
                d(self, m)
            continue
        elif isinstance(m, lc.Available):
            self.send(lc.JoinSpool(m.publisher_address), worker_spool)
            print("AVAILABLE", m.name, flush=True)
            continue
        elif isinstance(m, lc.Dropped):
            self.send(lc.LeaveSpool(m.remote_address), worker_spool)
            print("DROPPED", m.name, flush=True)
            continue
        elif isinstance(m, lc.Faulted):
            return m
        elif isinstance(m, lc.Stop):
            return lc.Aborted()
        else:
            continue

        def respond(self, response, args):
            self.send(lc.cast_to(response, self.returned_type), args.return_address)

        a = self.create(lc.GetResponse, m, worker_spool)
        self.on_return(a, respond, return_address=self.return_address)


lc.bind(server)

if __name__ == "__main__":
    lc.create(server)
"""

UPGRADER = """
import sys
import threading
import layer_cake as lc
from messages import Xy, Product

_lock = threading.Lock()


def say(*parts):
    # Two objects print from two threads: one whole line per write, never interleaved.
    with _lock:
        sys.stdout.write(" ".join(str(p) for p in parts) + "\\n")
        sys.stdout.flush()


def local(self, name: str = "svc", hold: float = 1.5):
    lc.publish(self, name, scope=lc.ScopeOfDirectory.PROCESS)
    published = None
    while True:
        m = self.input()
        if isinstance(m, lc.Published):
            published = m
            say("LOCAL PUBLISHED")
            self.start(lc.T1, hold)
        elif isinstance(m, Xy):
            self.reply(Product(m.x * m.y, "local"))
        elif isinstance(m, lc.T1):
            lc.clear_published(self, published)
            say("LOCAL CLEARED")
        elif isinstance(m, lc.Stop):
            return lc.Aborted()


def upgrader(self, search: str = "svc", after: float = 0.5, hold: float = 1.5):
    \"\"\"Subscribe at HOST; once a HOST session is up, publish the same name in this process
    for ``hold`` seconds.\"\"\"
    lc.subscribe(self, search)
    peers = {}
    started = False
    self.start(lc.T1, 0.2, repeating=True)
    while True:
        m = self.input()
        if isinstance(m, lc.Subscribed):
            say("SUBSCRIBED")
        elif isinstance(m, lc.Available):
            say("AVAILABLE", m.name, m.scope.name)
            peers[m.name] = m.publisher_address
            self.send(Xy(2, 3), m.publisher_address)
            if not started and m.scope == lc.ScopeOfDirectory.HOST:
                started = True
                self.start(lc.T2, after)
        elif isinstance(m, lc.Dropped):
            say("DROPPED", m.name, m.scope.name)
            peers.pop(m.name, None)
        elif isinstance(m, lc.T2):
            self.create(local, search, hold)
        elif isinstance(m, Product):
            say("PRODUCT", m.value, m.name)
        elif isinstance(m, lc.T1):
            for address in peers.values():
                self.send(Xy(2, 3), address)
        elif isinstance(m, lc.Stop):
            return lc.Aborted()


lc.bind(local)
lc.bind(upgrader)

if __name__ == "__main__":
    lc.create(upgrader)
"""


# Processes ----------------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def hostport(port: int) -> str:
    return json.dumps({"host": "127.0.0.1", "port": port})


class Proc:
    """A child process whose stdout and stderr lines are collected by a thread each."""

    def __init__(self, argv: list[str], cwd: Path) -> None:
        env = dict(os.environ, PYTHONPATH=f"{cwd}{os.pathsep}{PYTHONPATH}")
        self.popen = subprocess.Popen(
            [sys.executable, *argv],
            cwd=cwd,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        self.lines: queue.Queue = queue.Queue()
        self.seen: list[str] = []
        self.readers = [
            threading.Thread(target=self._read, args=(stream,), daemon=True)
            for stream in (self.popen.stdout, self.popen.stderr)
        ]
        for reader in self.readers:
            reader.start()

    def _read(self, stream) -> None:
        for line in stream:
            self.lines.put(line.rstrip("\n"))

    def expect(self, prefix: str, deadline: float = DEADLINE, anywhere: bool = False) -> str:
        """The next unseen line starting with ``prefix`` (containing it, if ``anywhere``: a
        log line); earlier other lines are kept."""

        def match(line: str) -> bool:
            return prefix in line if anywhere else line.startswith(prefix)

        for i, line in enumerate(self.seen):
            if match(line):
                del self.seen[i]
                return line
        end = time.monotonic() + deadline
        while True:
            left = end - time.monotonic()
            if left <= 0:
                raise AssertionError(f"no {prefix!r} line; saw {self.seen}")
            try:
                line = self.lines.get(timeout=left)
            except queue.Empty:
                continue
            if match(line):
                return line
            self.seen.append(line)

    def drain_into_seen(self) -> None:
        """Move the lines printed so far into ``seen`` (to look for one that must be absent)."""
        while True:
            try:
                self.seen.append(self.lines.get_nowait())
            except queue.Empty:
                break

    def drain(self) -> None:
        """Forget the lines seen so far."""
        while True:
            try:
                self.seen.append(self.lines.get_nowait())
            except queue.Empty:
                break
        self.seen.clear()

    def kill(self, sig: int = signal.SIGKILL) -> None:
        if self.popen.poll() is None:
            os.kill(self.popen.pid, sig)  # by PID: only processes these tests started
        try:
            self.popen.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.kill(self.popen.pid, signal.SIGKILL)
            self.popen.wait(timeout=10)
        for reader in self.readers:
            reader.join(timeout=10)  # EOF once the process is gone
        self.popen.stdout.close()
        self.popen.stderr.close()


SCRIPTS = {
    "messages.py": MESSAGES,
    "publisher.py": PUBLISHER,
    "subscriber.py": SUBSCRIBER,
    "worker.py": WORKER,
    "server.py": SERVER,
    "upgrader.py": UPGRADER,
}
_LISTENING = re.compile(r'^(\S+): listening for directories at "([^"]+):(\d+)"')


class Cake:
    """Daemons and processes of one test, on loopback; ``close`` kills them all.

    ``port`` is the test's own host-cake port: the default directory of ``run``."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        for name, text in SCRIPTS.items():
            (folder / name).write_text(textwrap.dedent(text))
        self.started: list[Proc] = []
        self.port = free_port()

    def start(self, argv: list[str]) -> Proc:
        p = Proc(argv, self.folder)
        self.started.append(p)
        return p

    def daemon(self, module: str, *args: str) -> tuple[Proc, int]:
        """Start ``layer_cake_directory.<module>``; wait for its listening line (the port)."""
        p = self.start(["-m", f"layer_cake_directory.{module}", *args])
        match = _LISTENING.match(p.expect(module.replace("_", "-") + ": listening"))
        assert match is not None
        return p, int(match.group(3))

    def host(self, port: int | None = None, lan: int | None = None, *args: str) -> Proc:
        """A host-cake at ``127.0.0.1:port`` (default ``self.port``), its LAN parent at
        ``127.0.0.1:lan`` if given."""
        argv = [f"--directory-at-host={hostport(port or self.port)}", *args]
        if lan is not None:
            argv.append(f"--directory-at-lan={hostport(lan)}")
        return self.daemon("host_cake", *argv)[0]

    def group(self, host: int | None = None, *args: str) -> tuple[Proc, int]:
        """A group-cake whose parent is the host-cake at ``host`` (default ``self.port``)."""
        parent = f"--directory-at-host={hostport(host or self.port)}"
        return self.daemon("group_cake", parent, *args)

    def lan(self, port: int, *args: str) -> Proc:
        """A lan-cake at ``127.0.0.1:port``."""
        return self.daemon("lan_cake", f"--directory-at-lan={hostport(port)}", *args)[0]

    def run(self, script: str, *args: str, directory: int | None = None) -> Proc:
        """Run ``script`` with its directory at ``127.0.0.1:directory`` (default ``self.port``)."""
        argv = [script, f"--connect-to-directory={hostport(directory or self.port)}", *args]
        return self.start(argv)

    def close(self) -> None:
        for p in self.started:
            p.kill()


def session_events(proc: Proc, count: int) -> list[str]:
    """The next ``count`` AVAILABLE/DROPPED lines of ``proc``, in the order printed."""
    found = [line for line in proc.seen if line.startswith(("AVAILABLE", "DROPPED"))]
    proc.seen = [line for line in proc.seen if line not in found]
    while len(found) < count:
        line = proc.expect(("AVAILABLE", "DROPPED"))  # type: ignore[arg-type]  # startswith
        found.append(line)
    return found
