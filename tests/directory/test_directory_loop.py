"""Issue 12, defect 1: no message may circulate in the directory tree.

Two host-cakes each given the other as its LAN parent make a node whose parent is its own
child. ``layer-cake network`` must still get an answer (the ``ListDirectory`` it sends comes
back to a node that already passed it on, which answers and warns), and exit 0.
"""

from __future__ import annotations

import subprocess
import time

from directory_support import DEADLINE, free_port

LOOP_WARNING = "Directory loop: ListDirectory came back"


def test_network_over_a_directory_loop_is_answered_instead_of_circulating(cake) -> None:
    one, two = free_port(), free_port()
    first = cake.host(one, two, "--debug-level=WARNING")  # one's parent: two
    second = cake.host(two, one, "--debug-level=WARNING")  # two's parent: one, its own child
    end = time.monotonic() + DEADLINE
    while True:  # until both parent links are up and the request has met the loop
        tool = cake.start(
            ["-m", "layer_cake_cli", "network", f"--connect-to-directory=127.0.0.1:{one}"]
        )
        try:
            status = tool.popen.wait(timeout=60)
        except subprocess.TimeoutExpired as e:
            raise AssertionError("network never answered: the request circulates") from e
        for reader in tool.readers:
            reader.join(timeout=10)  # EOF: every line is in
        tool.drain_into_seen()
        assert status == 0, tool.seen  # answered every time, loop or not
        assert any("host-cake" in line for line in tool.seen), tool.seen
        for daemon in (first, second):
            daemon.drain_into_seen()
        if any(LOOP_WARNING in line for line in first.seen + second.seen):
            break
        assert time.monotonic() < end, "the loop never formed or was never detected"
