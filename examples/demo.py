"""The main job: a server with a pool of published workers answering an HTTP request.

1. starts a ``host-cake`` (the host's directory) on a free loopback port, so the demo never
   meets another directory on this machine;
2. starts ``multihosting/test_server_10.py`` (HTTP on 127.0.0.1:5050, subscribed to
   ``test-multihosting:worker-10:[-a-f0-9]+``) and 8 ``multihosting/test_worker_10.py``
   processes, each publishing ``test-multihosting:worker-10:<uuid>``; the directory connects
   them with no address configured in the programs;
3. asks ``GET /Xy?x=2&y=2`` as ``curl`` would, prints the answer, then stops everything with
   SIGINT. Exits non-zero if a step fails.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import queue
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent / "multihosting"
HOST, PORT = "127.0.0.1", int(os.environ.get("LC_DEMO_PORT", "5050"))
WORKERS = 8
# The demo stays on loopback: with no primary IP, host-cake derives no standard LAN directory
# and the LAN listings of test_server_10/test_worker_10 stop at it (pubsub §7).
CHILD_ENV = {**os.environ, "LC_PRIMARY_IP": "none"}
DEADLINE = 60.0


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def hostport(port: int) -> str:
    return json.dumps({"host": HOST, "port": port})


class Process:
    """A child whose stderr lines are read by a thread, so the demo can wait for one."""

    def __init__(self, *argv: str) -> None:
        self.proc = subprocess.Popen([sys.executable, *argv], cwd=HERE, stderr=subprocess.PIPE,
                                     stdin=subprocess.DEVNULL, text=True, env=CHILD_ENV)
        self.lines: queue.Queue = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        for line in self.proc.stderr:  # type: ignore[union-attr]
            self.lines.put(line.rstrip("\n"))

    def expect(self, text: str, count: int = 1) -> None:
        end = time.monotonic() + DEADLINE
        while count:
            try:
                line = self.lines.get(timeout=max(end - time.monotonic(), 0.01))
            except queue.Empty:
                raise SystemExit(f"demo: gave up waiting for {text!r}") from None
            if text in line:
                count -= 1

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
        try:
            self.proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


def main() -> int:
    directory = hostport(free_port())
    started: list[Process] = []
    try:
        host = Process("-m", "layer_cake_directory.host_cake", f"--directory-at-host={directory}")
        started.append(host)
        host.expect("listening for directories")
        server = Process("test_server_10.py", f"--server-address={hostport(PORT)}",
                         f"--connect-to-directory={directory}", "--debug-level=CONSOLE")
        started.append(server)
        started += [Process("test_worker_10.py", f"--connect-to-directory={directory}")
                    for _ in range(WORKERS)]
        server.expect("worker available", WORKERS)
        print(f"demo: {WORKERS} workers found through the directory")
        print(f"$ curl 'http://{HOST}:{PORT}/Xy?x=2&y=2'")
        conn = http.client.HTTPConnection(HOST, PORT, timeout=30)
        conn.request("GET", "/Xy?x=2&y=2")
        response = conn.getresponse()
        body = response.read().decode()
        print(body)
        signature, table, _ = json.loads(body)["value"]
        ok = response.status == 200 and signature == "vector<vector<float8>>" and len(table) == 2
        print(f"demo: HTTP {response.status}, {len(table)}x{len(table[0])} table: "
              f"{'OK' if ok else 'UNEXPECTED'}")
        return 0 if ok else 1
    finally:
        for p in reversed(started):
            with contextlib.suppress(Exception):
                p.stop()


if __name__ == "__main__":
    sys.exit(main())
