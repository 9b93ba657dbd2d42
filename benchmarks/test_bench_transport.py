"""TCP transport throughput between two processes, with a raw uvloop baseline in the same run.

Nothing asserts on time; run with ``-p no:xdist``::

    PYTHONPATH=packages/layer-cake-core/src python3 -m pytest benchmarks/test_bench_transport.py \\
        -p no:xdist -p no:cacheprovider --benchmark-columns=median,ops,rounds

Rows:

- small round trips: a loop-hosted machine here sends ``Ping`` through the proxy and waits for
  the ``Ack`` of an echo server in another process; one message in flight.
- 64 KiB each way: an async object here keeps ``WINDOW`` ``bytearray`` values of 64 KiB in
  flight to the same server, which sends each one back; MB/s is counted per direction.
- encrypted (site key): the same two exchanges over a link opened with ``encrypted=True``
  at both ends (Noise NNpsk0 handshake once, then every frame sealed with ChaCha20-Poly1305),
  to a second echo server; the summary gives each as a ratio of its plaintext row, which is
  what encryption costs.
- raw uvloop: the same two exchanges between plain ``asyncio.Protocol`` objects on uvloop
  (4-byte big-endian length prefix, no codec, no runtime), server in another process too.
- capability check: what issue 10's capability delivery adds to each small round trip, run
  alone: both ends export the return address of what they send (``WireLink.address_out``
  adds it to the link's set) and look up the destination of what they receive (``frame``:
  ``to in exported``). Its ``per_round_trip_us`` over the small round trip's
  ``median_per_op_us`` is the check's share (goal <= 5 %).

Each round covers N operations; ``extra_info`` holds ``per_second`` (round trips/s) or
``mb_per_second_each_way`` from the median round.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

import layer_cake as lc
from layer_cake.runtime._loop import loop_kind

ROUND_TRIPS = 10_000
BLOB = 64 * 1024
BLOBS = 2_000  # 125 MiB each way per round
WINDOW = 8
SMALL = 32  # raw baseline payload, about the size of a layer-cake Ping frame
PATIENCE = 120.0
SRC = Path(lc.__file__).resolve().parent.parent

ECHO_SERVER = """
    import layer_cake as lc

    async def echo_server(self):
        lc.listen(self, lc.HostPort("127.0.0.1", 0))
        m = await self.input()
        print(f"listening {m.listening_ipp.port}", flush=True)
        while True:
            m = await self.input()
            if isinstance(m, lc.Ping):
                self.reply(lc.Ack())
            elif isinstance(m, (lc.Accepted, lc.Closed)):
                pass
            elif isinstance(m, lc.Stop):
                return None
            else:
                self.reply(lc.cast_to(m, self.received_type))

    lc.bind(echo_server)

    if __name__ == "__main__":
        lc.create(echo_server)
"""

RAW_SERVER = """
    import asyncio
    import struct

    import uvloop

    class Echo(asyncio.Protocol):
        def connection_made(self, transport):
            self.transport = transport
            self.buffer = bytearray()

        def data_received(self, data):
            buffer = self.buffer
            buffer += data
            pos = 0
            end = len(buffer)
            while end - pos >= 4:
                (size,) = struct.unpack_from(">I", buffer, pos)
                if end - pos - 4 < size:
                    break
                self.transport.write(bytes(buffer[pos:pos + 4 + size]))
                pos += 4 + size
            del buffer[:pos]

    async def main():
        loop = asyncio.get_running_loop()
        server = await loop.create_server(Echo, "127.0.0.1", 0)
        print(f"listening {server.sockets[0].getsockname()[1]}", flush=True)
        await asyncio.Event().wait()

    uvloop.run(main())
"""


#: The echo as a function object: its replies leave from its own thread (issue 13: written by
#: that thread, not handed to the loop).
THREAD_ECHO_SERVER = ECHO_SERVER.replace("async def echo_server", "def echo_server").replace(
    "await self.input()", "self.input()"
)
assert "await" not in THREAD_ECHO_SERVER

#: The echo server listening encrypted: links to it need the site key (``site_key_file``).
ENCRYPTED_ECHO_SERVER = ECHO_SERVER.replace(
    'lc.HostPort("127.0.0.1", 0))', 'lc.HostPort("127.0.0.1", 0), encrypted=True)'
)
assert ENCRYPTED_ECHO_SERVER != ECHO_SERVER


def environment(**extra: str) -> dict:
    env = dict(os.environ, **extra)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(SRC), env.get("PYTHONPATH", "")) if p)
    return env


@pytest.fixture(scope="module")
def ch() -> Iterator[lc.Channel]:
    with lc.channel() as c:
        yield c


def serve(tmp_path: Path, name: str, text: str, **env: str) -> tuple[subprocess.Popen, int]:
    path = tmp_path / name
    path.write_text(textwrap.dedent(text))
    proc = subprocess.Popen(
        [sys.executable, path.name],
        cwd=tmp_path,
        env=environment(**env),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    line = proc.stdout.readline()  # type: ignore[union-attr]
    if not line.startswith("listening "):
        proc.kill()
        proc.wait(timeout=PATIENCE)
        raise AssertionError(f"{name} did not start: {line!r}")
    return proc, int(line.split()[1])


@contextmanager
def connected(ch: lc.Channel, port: int, **kw: object) -> Iterator[tuple]:
    """A link from ``ch`` to the server at ``port``: its proxy's address, closed at the end."""
    lc.connect(ch, lc.HostPort("127.0.0.1", port), **kw)
    m, i = ch.select(lc.Connected, lc.NotConnected, seconds=PATIENCE)
    assert i == 0, m
    try:
        yield m.proxy_address
    finally:
        ch.send(lc.Close(), m.proxy_address)
        ch.select(lc.Closed, seconds=PATIENCE)


def stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.kill()
    proc.wait(timeout=PATIENCE)
    if proc.stdout is not None:
        proc.stdout.close()


@pytest.fixture(scope="module")
def echo_port(tmp_path_factory) -> Iterator[int]:  # type: ignore[no-untyped-def]
    proc, port = serve(tmp_path_factory.mktemp("lc"), "echo_server.py", ECHO_SERVER)
    try:
        yield port
    finally:
        stop(proc)


@pytest.fixture(scope="module")
def thread_echo_proxy(ch, tmp_path_factory) -> Iterator[tuple]:  # type: ignore[no-untyped-def]
    proc, port = serve(tmp_path_factory.mktemp("lc_thread"), "echo_server.py", THREAD_ECHO_SERVER)
    try:
        with connected(ch, port) as address:
            yield address
    finally:
        stop(proc)


@pytest.fixture(scope="module")
def raw_port(tmp_path_factory) -> Iterator[int]:  # type: ignore[no-untyped-def]
    proc, port = serve(tmp_path_factory.mktemp("raw"), "raw_server.py", RAW_SERVER)
    try:
        yield port
    finally:
        stop(proc)


@pytest.fixture(scope="module")
def proxy(ch, echo_port) -> Iterator[tuple]:  # type: ignore[no-untyped-def]
    with connected(ch, echo_port) as address:
        yield address


@pytest.fixture(scope="module")
def site_key_file(tmp_path_factory) -> Iterator[str]:  # type: ignore[no-untyped-def]
    """A site key of this module's own, used here and given to the encrypted echo server."""
    from layer_cake.net._site_key import generate_site_key, use_site_key

    path = generate_site_key(tmp_path_factory.mktemp("key") / "site.key")
    use_site_key(path)
    try:
        yield path
    finally:
        use_site_key(None)


@pytest.fixture(scope="module")
def encrypted_proxy(ch, site_key_file, tmp_path_factory) -> Iterator[tuple]:  # type: ignore[no-untyped-def]
    folder = tmp_path_factory.mktemp("lc_encrypted")
    proc, port = serve(
        folder, "echo_server.py", ENCRYPTED_ECHO_SERVER, LC_SITE_KEY_FILE=site_key_file
    )
    try:
        with connected(ch, port, encrypted=True) as address:
            yield address
    finally:
        stop(proc)


@pytest.fixture(autouse=True)
def _record_setup(benchmark) -> None:  # type: ignore[no-untyped-def]
    benchmark.extra_info["loop"] = loop_kind()
    benchmark.extra_info["pure_python"] = not lc.COMPILED


def record(benchmark, ops: int, nbytes: int = 0) -> None:  # type: ignore[no-untyped-def]
    if benchmark.stats is None:  # --benchmark-disable: ran once, nothing measured
        return
    median = benchmark.stats.stats.median
    benchmark.extra_info["ops_per_round"] = ops
    benchmark.extra_info["per_second"] = round(ops / median)
    benchmark.extra_info["median_per_op_us"] = round(median / ops * 1e6, 3)
    if nbytes:
        benchmark.extra_info["mb_per_second_each_way"] = round(nbytes / median / 1e6, 1)


def run_rounds(benchmark, ch, object_type, *args: object, rounds: int = 5) -> None:  # type: ignore[no-untyped-def]
    def one() -> None:
        ch.create(object_type, *args)
        m, i = ch.select(lc.Returned, seconds=PATIENCE)
        assert i == 0 and not isinstance(m.message, lc.Faulted), m.message

    benchmark.pedantic(one, rounds=rounds, iterations=1, warmup_rounds=1)


# layer-cake --------------------------------------------------------------------------------------


class Pinger(lc.Point, lc.Stateless):
    """One ``Ping`` in flight through ``proxy``; completes after ``n`` ``Ack``."""

    def __init__(self, proxy: tuple = (), n: int = ROUND_TRIPS) -> None:
        lc.Point.__init__(self)
        lc.Stateless.__init__(self)
        self.proxy = proxy
        self.n = n
        self.count = 0


def Pinger_Start(self, m):
    self.send(lc.Ping(), self.proxy)


def Pinger_Ack(self, m):
    self.count += 1
    if self.count < self.n:
        self.send(lc.Ping(), self.proxy)
        return
    self.complete()


lc.bind(Pinger, (lc.Start, lc.Ack))


async def blob_pump(self, proxy: tuple = (), n: int = BLOBS, window: int = WINDOW):
    """Keep ``window`` 64 KiB values in flight through ``proxy`` until ``n`` came back."""
    blob = lc.cast_to(bytearray(BLOB), lc.bytearray_type)
    sent = 0
    for _ in range(min(window, n)):
        self.send(blob, proxy)
        sent += 1
    for _ in range(n):
        m = await self.input()
        if len(m) != BLOB:
            return lc.Faulted("short echo", str(len(m)))
        if sent < n:
            self.send(blob, proxy)
            sent += 1
    return None


lc.bind(blob_pump)


def test_small_round_trips_process_to_process(benchmark, ch, proxy):
    run_rounds(benchmark, ch, Pinger, proxy, ROUND_TRIPS)
    record(benchmark, ROUND_TRIPS)


def test_small_round_trips_to_a_function_object_process_to_process(
    benchmark, ch, thread_echo_proxy
):
    run_rounds(benchmark, ch, Pinger, thread_echo_proxy, ROUND_TRIPS)
    record(benchmark, ROUND_TRIPS)


def test_64k_payloads_each_way_process_to_process(benchmark, ch, proxy):
    run_rounds(benchmark, ch, blob_pump, proxy, BLOBS, WINDOW)
    record(benchmark, BLOBS, BLOBS * BLOB)


def test_capability_check_per_small_round_trip(benchmark):
    from layer_cake.net._transport import WireLink

    link = WireLink.__new__(WireLink)  # the fields the check reads, no socket
    link.proxy_id, link.exported, link.prune_at, link.forged = 3, set(), 1024, False
    me = (12,)  # the sender's address: exported with each message, then addressed

    def one() -> None:
        address_out, exported = link.address_out, link.exported
        for _ in range(ROUND_TRIPS):
            for _side in (0, 1):  # the same work at each end of the link
                address_out(me)  # the return address of the message sent
                if me not in exported or link.forged:  # the message received (frame)
                    raise AssertionError("refused")

    benchmark.pedantic(one, rounds=5, iterations=1, warmup_rounds=1)
    record(benchmark, ROUND_TRIPS)
    if benchmark.stats is not None:
        per_trip = benchmark.stats.stats.median / ROUND_TRIPS * 1e6
        benchmark.extra_info["per_round_trip_us"] = round(per_trip, 4)


def test_small_round_trips_encrypted_process_to_process(benchmark, ch, encrypted_proxy):
    run_rounds(benchmark, ch, Pinger, encrypted_proxy, ROUND_TRIPS)
    record(benchmark, ROUND_TRIPS)


def test_64k_payloads_each_way_encrypted_process_to_process(benchmark, ch, encrypted_proxy):
    run_rounds(benchmark, ch, blob_pump, encrypted_proxy, BLOBS, WINDOW)
    record(benchmark, BLOBS, BLOBS * BLOB)


# Raw uvloop baseline -----------------------------------------------------------------------------


class RawClient(asyncio.Protocol):
    """Length-prefixed frames: ``window`` in flight until ``n`` echoes arrived."""

    def __init__(self, payload: bytes, n: int, window: int, done: asyncio.Future) -> None:
        self.frame = len(payload).to_bytes(4, "big") + payload
        self.n = n
        self.window = window
        self.done = done
        self.sent = 0
        self.received = 0
        self.buffer = bytearray()

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport
        for _ in range(min(self.window, self.n)):
            self.send()

    def send(self) -> None:
        self.transport.write(self.frame)  # type: ignore[attr-defined]
        self.sent += 1

    def data_received(self, data: bytes) -> None:
        buffer = self.buffer
        buffer += data
        size = len(self.frame)
        complete = len(buffer) // size
        if not complete:
            return
        del buffer[: complete * size]
        self.received += complete
        for _ in range(min(complete, self.n - self.sent)):
            self.send()
        if self.received >= self.n and not self.done.done():
            self.done.set_result(None)

    def connection_lost(self, exc: Exception | None) -> None:
        if not self.done.done():
            self.done.set_exception(ConnectionError(f"lost after {self.received}: {exc}"))


def raw_exchange(port: int, payload: bytes, n: int, window: int) -> None:
    import uvloop

    async def main() -> None:
        loop = asyncio.get_running_loop()
        done = loop.create_future()
        transport, _ = await loop.create_connection(
            lambda: RawClient(payload, n, window, done), "127.0.0.1", port
        )
        try:
            await asyncio.wait_for(done, PATIENCE)
        finally:
            transport.close()

    uvloop.run(main())


def test_raw_uvloop_small_round_trips(benchmark, raw_port):
    benchmark.pedantic(
        raw_exchange,
        args=(raw_port, bytes(SMALL), ROUND_TRIPS, 1),
        rounds=5,
        iterations=1,
        warmup_rounds=1,
    )
    record(benchmark, ROUND_TRIPS)


def test_raw_uvloop_64k_payloads_each_way(benchmark, raw_port):
    benchmark.pedantic(
        raw_exchange,
        args=(raw_port, bytes(BLOB), BLOBS, WINDOW),
        rounds=5,
        iterations=1,
        warmup_rounds=1,
    )
    record(benchmark, BLOBS, BLOBS * BLOB)
