"""The main job: a server with a pool of workers answering an HTTP request for a table.

Starts ``multithreading/test_server_4.py`` (an HTTP front on 127.0.0.1:5050 feeding an
``ObjectSpool`` of 8 workers), asks it ``GET /Xy?x=2&y=2`` as ``curl`` would, prints the
answer, and stops the server with SIGINT. Exits non-zero if any step fails.

The publish/subscribe version of this demo (workers published by name, found through the
directory) arrives with the directory daemons.
"""

from __future__ import annotations

import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
HOST, PORT = "127.0.0.1", int(os.environ.get("LC_DEMO_PORT", "5050"))


def wait_for_port(deadline: float) -> None:
    while time.monotonic() < deadline:
        try:
            with socket.create_connection((HOST, PORT), timeout=0.5):
                return
        except OSError:
            time.sleep(0.05)
    raise SystemExit(f"demo: server did not listen on {HOST}:{PORT}")


def main() -> int:
    server = subprocess.Popen(
        [sys.executable, str(HERE / "multithreading" / "test_server_4.py"),
         f'--server-address={{"host": "{HOST}", "port": {PORT}}}'],
    )
    try:
        wait_for_port(time.monotonic() + 30)
        print(f"$ curl 'http://{HOST}:{PORT}/Xy?x=2&y=2'")
        conn = http.client.HTTPConnection(HOST, PORT, timeout=30)
        conn.request("GET", "/Xy?x=2&y=2")
        response = conn.getresponse()
        body = response.read().decode()
        print(body)
        table = json.loads(body)["value"]
        ok = response.status == 200 and table[0] == "vector<vector<float8>>" and len(table[1]) == 2
        print(f"demo: HTTP {response.status}, {len(table[1])}x{len(table[1][0])} table: "
              f"{'OK' if ok else 'UNEXPECTED'}")
        return 0 if ok else 1
    finally:
        server.send_signal(signal.SIGINT)
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


if __name__ == "__main__":
    sys.exit(main())
