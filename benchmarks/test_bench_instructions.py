"""Instructions per message under callgrind: figures that hold still on a noisy machine.

Wall-clock rows on a shared 2-core machine move by a third from run to run (the small round
trips between processes measured 5,600 to 8,000/s on one build within an hour), which hides a
change of 10 or 20 %. The number of user-space instructions a process executes per message does
not move: valgrind's callgrind counts them exactly, whatever else runs on the machine.

How: an echo process (``ECHO_SERVER`` of ``test_bench_transport``: an async object that answers
each ``Ping`` with an ``Ack``) runs under ``valgrind --tool=callgrind`` while this process sends
it ``SHORT`` and then, in a second run, ``LONG`` small round trips (one in flight, after
``WARM_UP`` that are not counted apart). The difference of the two runs' totals over
``LONG - SHORT`` is what one message costs the echo process, its start-up and exit cancelled
out. The raw uvloop echo (``RAW_SERVER``: a length-prefixed ``asyncio.Protocol``, no codec, no
runtime) is measured the same way and is the baseline. Kernel work (the system calls) is not
counted; it is the same for both, one ``epoll_wait``, one ``read`` and one ``write`` per
message (issue 13).

The same difference of two runs gives the instructions of a round trip between two function
objects of one process (``THREADS_SCRIPT``: a thread each, the hand-off included), beside two
plain threads exchanging through ``queue.SimpleQueue`` (``RAW_THREADS_SCRIPT``).

valgrind comes from Debian's packages (``nox -s bench`` installs it when run as root). A
missing valgrind fails these benchmarks with the command to install it; ``-k 'not
instructions'`` leaves them out.

    python3 -m pytest benchmarks/test_bench_instructions.py -p no:xdist -p no:cacheprovider
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from test_bench_transport import (
    ECHO_SERVER,
    PATIENCE,
    RAW_SERVER,
    Pinger,
    environment,
    raw_exchange,
)

import layer_cake as lc

SHORT = 1_000
LONG = 4_000
WARM_UP = 500
SMALL = 32  # the raw echo's payload, about the size of a Ping frame


@pytest.fixture(scope="module")
def valgrind() -> str:
    path = shutil.which("valgrind")
    if path is None:
        pytest.fail("valgrind is needed: sudo apt-get install -y valgrind (Debian/Ubuntu)")
    return path


def instructions(out: Path) -> int:
    """The total of instructions executed, from a callgrind output file's summary line."""
    match = re.search(r"^(?:summary|totals): (\d+)", out.read_text(), re.MULTILINE)
    assert match is not None, f"no summary in {out}"
    return int(match.group(1))


def under_callgrind(
    valgrind: str, folder: Path, text: str, out: Path, exchange: object
) -> int:
    """Run ``text`` under callgrind, call ``exchange(port)``, stop it; its instruction total."""
    script = folder / "server.py"
    script.write_text(textwrap.dedent(text))
    command = [valgrind, "--tool=callgrind", f"--callgrind-out-file={out}", sys.executable]
    proc = subprocess.Popen(
        [*command, script.name],
        cwd=folder,
        env=environment(),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        line = proc.stdout.readline()  # type: ignore[union-attr]
        assert line.startswith("listening "), f"the echo process did not start: {line!r}"
        exchange(int(line.split()[1]))  # type: ignore[operator]
    finally:
        proc.terminate()  # SIGTERM: the process ends and callgrind writes its file
        try:
            proc.wait(timeout=PATIENCE)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=PATIENCE)
        proc.stdout.close()  # type: ignore[union-attr]
    return instructions(out)


def layer_cake_exchange(n: int) -> object:
    def exchange(port: int) -> None:
        with lc.channel() as ch:
            lc.connect(ch, lc.HostPort("127.0.0.1", port))
            m, i = ch.select(lc.Connected, lc.NotConnected, seconds=PATIENCE)
            assert i == 0, m
            ch.create(Pinger, m.proxy_address, WARM_UP + n)
            r, _ = ch.select(lc.Returned, seconds=10 * PATIENCE)  # valgrind: 50x slower
            assert isinstance(r, lc.Returned) and not isinstance(r.message, lc.Faulted), r
            ch.send(lc.Close(), m.proxy_address)
            ch.select(lc.Closed, seconds=PATIENCE)

    return exchange


def raw_exchange_of(n: int) -> object:
    def exchange(port: int) -> None:
        raw_exchange(port, bytes(SMALL), WARM_UP + n, 1)

    return exchange


def per_message(benchmark, valgrind: str, tmp_path: Path, text: str, exchange_of) -> None:  # type: ignore[no-untyped-def]
    totals = {}
    for n in (SHORT, LONG):
        folder = tmp_path / f"run_{n}"
        folder.mkdir()
        out = folder / "callgrind.out"
        totals[n] = under_callgrind(valgrind, folder, text, out, exchange_of(n))
    record(benchmark, totals, "instructions_per_message", "messages")


def record(benchmark, totals: dict[int, int], figure: str, count: str) -> None:  # type: ignore[no-untyped-def]
    """What one more message (or round trip) cost: the ``LONG`` run less the ``SHORT`` one."""
    cost = (totals[LONG] - totals[SHORT]) / (LONG - SHORT)
    assert cost > 0, totals
    # pytest-benchmark needs a timed call; the figure is the instruction count, not this time.
    benchmark.pedantic(lambda: None, rounds=1, iterations=1)
    benchmark.extra_info[figure] = round(cost)
    benchmark.extra_info[count] = LONG - SHORT
    benchmark.extra_info["pure_python"] = not lc.COMPILED


def test_instructions_per_message_of_an_echo_process(benchmark, valgrind, tmp_path) -> None:  # type: ignore[no-untyped-def]
    per_message(benchmark, valgrind, tmp_path, ECHO_SERVER, layer_cake_exchange)


def test_instructions_per_message_of_a_raw_uvloop_echo(benchmark, valgrind, tmp_path) -> None:  # type: ignore[no-untyped-def]
    per_message(benchmark, valgrind, tmp_path, RAW_SERVER, raw_exchange_of)



#: Two function objects (a thread each) in one process, ``n`` round trips of Ping and Ack
#: after a warm-up: what a message between function objects costs, the hand-off included.
THREADS_SCRIPT = """
    import sys

    import layer_cake as lc

    def ponger(self):
        while True:
            m = self.input()
            if isinstance(m, lc.Stop):
                return None
            self.reply(lc.Ack())

    lc.bind(ponger)

    def pinger(self, n: int = 0):
        peer = self.create(ponger)
        for _ in range(n):
            self.send(lc.Ping(), peer)
            self.input()
        self.send(lc.Stop(), peer)
        self.input()
        return 0

    lc.bind(pinger)

    if __name__ == "__main__":
        with lc.channel() as ch:
            for n in ({warm_up}, int(sys.argv[1])):
                ch.create(pinger, n=n)
                m, i = ch.select(lc.Returned, seconds=600)
                assert i == 0 and m.message == 0, m
"""

#: The same hand-off without layer-cake: two threads and two ``queue.SimpleQueue``.
RAW_THREADS_SCRIPT = """
    import queue
    import sys
    import threading

    def ping_pong(n):
        a, b = queue.SimpleQueue(), queue.SimpleQueue()

        def other():
            for _ in range(n):
                b.put(a.get())

        t = threading.Thread(target=other)
        t.start()
        for i in range(n):
            a.put(i)
            b.get()
        t.join()

    if __name__ == "__main__":
        ping_pong({warm_up})
        ping_pong(int(sys.argv[1]))
"""


def per_round_trip(benchmark, valgrind: str, tmp_path: Path, text: str) -> None:  # type: ignore[no-untyped-def]
    """Instructions of the whole process per round trip: ``LONG`` minus ``SHORT`` runs."""
    script = tmp_path / "threads.py"
    script.write_text(textwrap.dedent(text.format(warm_up=WARM_UP)))
    totals = {}
    for n in (SHORT, LONG):
        out = tmp_path / f"callgrind.{n}.out"
        command = [valgrind, "--tool=callgrind", f"--callgrind-out-file={out}", sys.executable]
        subprocess.run(
            [*command, script.name, str(n)],
            cwd=tmp_path,
            env=environment(),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            timeout=20 * PATIENCE,
            check=True,
        )
        totals[n] = instructions(out)
    record(benchmark, totals, "instructions_per_round_trip", "round_trips")


def test_instructions_per_round_trip_function_to_function(benchmark, valgrind, tmp_path) -> None:  # type: ignore[no-untyped-def]
    per_round_trip(benchmark, valgrind, tmp_path, THREADS_SCRIPT)


def test_instructions_per_round_trip_function_to_function_raw_baseline(
    benchmark, valgrind, tmp_path
) -> None:  # type: ignore[no-untyped-def]
    per_round_trip(benchmark, valgrind, tmp_path, RAW_THREADS_SCRIPT)
