"""Compat §2.15, directory links: a peer that is not a layer-cake (LCW1) peer, e.g. a
layer-cake 0.1 process whose JSON text frames start ``<n>,<n>,<n>\\n``, is faulted once per
address while the link retries with its back-off; ``publish`` still answers at once, and
``layer-cake network`` / ``ping`` end with the fault. Real processes, loopback only."""

from __future__ import annotations

import contextlib
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator

import pytest
from directory_support import DEADLINE, hostport

FAULTY_EXIT = 71
MISMATCH = (
    'protocol mismatch (expected layer-cake wire protocol LCW1; peer sent "12,34,56\\x0a", '
    "e.g. a layer-cake 0.1 process using JSON text frames)"
)


class OldPeer:
    """A TCP server on loopback that answers every connection as layer-cake 0.1 would start
    a frame (``12,34,56\\n``) and closes it; ``accepted`` counts the connections."""

    def __init__(self) -> None:
        self.server = socket.create_server(("127.0.0.1", 0))
        self.port = self.server.getsockname()[1]
        self.server.settimeout(0.1)  # to see ``stop`` between connections
        self.stop = threading.Event()
        self.accepted = 0
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        while not self.stop.is_set():
            try:
                connection, _ = self.server.accept()
            except TimeoutError:
                continue
            self.accepted += 1
            with connection, contextlib.suppress(OSError):
                connection.sendall(b"12,34,56\n")

    def wait_accepted(self, count: int) -> None:
        end = time.monotonic() + DEADLINE
        while self.accepted < count:
            assert time.monotonic() < end, f"only {self.accepted} connections, not {count}"
            time.sleep(0.05)  # polling a counter, not a timing assumption

    def close(self) -> None:
        self.stop.set()
        self.thread.join(timeout=10)
        self.server.close()


@pytest.fixture
def old_peer() -> Iterator[OldPeer]:
    peer = OldPeer()
    try:
        yield peer
    finally:
        peer.close()


def test_a_parent_link_to_an_old_peer_is_faulted_once_and_retried(cake, old_peer) -> None:
    publisher = cake.run("publisher.py", "--debug-level=FAULT", directory=old_peer.port)
    publisher.expect("PUBLISHED")  # the call answers at once all the same
    fault = publisher.expect("Cannot connect to", anywhere=True)
    assert fault.endswith(
        f'DirectoryNode - Cannot connect to "127.0.0.1:{old_peer.port}": {MISMATCH}'
    )
    assert " ! " in fault  # logged at FAULT
    old_peer.wait_accepted(4)  # retried with the back-off, again and again
    publisher.drain_into_seen()
    assert [line for line in publisher.seen if "protocol mismatch" in line] == []  # once


def run_tool(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "layer_cake_cli", *args],
        check=False,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.parametrize("command", [["network"], ["ping", "0123abcd"]])
def test_network_and_ping_end_with_the_mismatch_fault(old_peer, command) -> None:
    result = run_tool(
        *command, f"--connect-to-directory=127.0.0.1:{old_peer.port}", "--connect-timeout=60"
    )
    assert result.returncode == FAULTY_EXIT, result.stderr
    assert result.stdout == ""
    assert result.stderr == (
        f"layer-cake: cannot connect to the directory at 127.0.0.1:{old_peer.port} ({MISMATCH})\n"
    )


def test_the_directory_port_given_as_json_works_the_same(old_peer) -> None:
    result = run_tool("network", f"--connect-to-directory={hostport(old_peer.port)}")
    assert result.returncode == FAULTY_EXIT
    assert MISMATCH in result.stderr
