"""Raw baseline of the seed demo's shape: an HTTP front relaying each request to a pool of
worker processes over TCP, with no layer-cake. The ceiling of that design on this machine.

    python3 uvloop_relay.py --server-address='{"host":"127.0.0.1","port":5058}' [--workers=8]

The front (uvloop + httptools, as ``uvloop_server.py``) starts ``--workers`` copies of this
script with ``--worker-port=P``; each connects back to a private loopback port of the front.
A request is sent to the idle worker that waited longest (FIFO, as the spool) as a msgpack
frame ``[x, y]`` behind a 4-byte length; the worker answers with the ``y x x`` table of
random floats in a frame of its own; the front answers the client with the same pretty JSON
body as the other servers, or queues the request while every worker is busy. What
layer-cake adds on top of this (addresses, typed messages, a directory, the spool's
bookkeeping, function objects on threads) is what the benchmark's ratio measures.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import json
import random
import signal
import struct
import subprocess
import sys

import msgpack
import uvloop
from uvloop_server import HttpProtocol  # this folder is the script's: on sys.path

_SERVER = b"Server: raw-uvloop-relay/1.0\r\n"
_LENGTH = struct.Struct(">I")


class Framed(asyncio.Protocol):
    """Length-prefixed msgpack frames in both directions; ``on_frame`` gets each value."""

    def __init__(self) -> None:
        self.transport: asyncio.Transport | None = None
        self.buffer = bytearray()

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def send(self, value: object) -> None:
        body = msgpack.packb(value)
        self.transport.write(_LENGTH.pack(len(body)) + body)  # type: ignore[union-attr]

    def data_received(self, data: bytes) -> None:
        buffer = self.buffer
        buffer += data
        while len(buffer) >= 4:
            (size,) = _LENGTH.unpack_from(buffer)
            if len(buffer) < 4 + size:
                return
            value = msgpack.unpackb(bytes(buffer[4 : 4 + size]))
            del buffer[: 4 + size]
            self.on_frame(value)

    def on_frame(self, value: object) -> None:
        raise NotImplementedError


class Worker(Framed):
    """A worker process's connection to the front: each ``[x, y]`` gets its table."""

    def on_frame(self, value: object) -> None:
        x, y = value  # type: ignore[misc]
        self.send([[random.random() for _ in range(x)] for _ in range(y)])

    def connection_lost(self, exc: Exception | None) -> None:
        asyncio.get_running_loop().stop()


class Pool:
    """The front's workers: idle ones (FIFO), requests waiting for one."""

    def __init__(self) -> None:
        self.idle: collections.deque = collections.deque()
        self.waiting: collections.deque = collections.deque()

    def ask(self, request: list, reply: object) -> None:
        if self.idle:
            self.idle.popleft().ask(request, reply)
        else:
            self.waiting.append((request, reply))

    def ready(self, link: FrontToWorker) -> None:
        if self.waiting:
            link.ask(*self.waiting.popleft())
        else:
            self.idle.append(link)


class FrontToWorker(Framed):
    """The front's end of one worker's connection: one request in flight at a time."""

    def __init__(self, pool: Pool) -> None:
        super().__init__()
        self.pool = pool
        self.reply: object = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        super().connection_made(transport)
        self.pool.ready(self)

    def ask(self, request: list, reply: object) -> None:
        self.reply = reply
        self.send(request)

    def on_frame(self, value: object) -> None:
        reply, self.reply = self.reply, None
        reply(value)  # type: ignore[operator]
        self.pool.ready(self)


class HttpFront(HttpProtocol):
    """``uvloop_server.HttpProtocol``, but the table comes from a worker."""

    __slots__ = ("pool",)
    server_header = _SERVER

    def __init__(self, pool: Pool) -> None:
        super().__init__()
        self.pool = pool

    def on_message_complete(self) -> None:
        keep_alive = self.parser.should_keep_alive()
        self.pool.ask(list(self.xy()), lambda table: self.answer(table, keep_alive))

    def answer(self, table: list, keep_alive: bool) -> None:
        if not self.transport.is_closing():  # type: ignore[union-attr]  # the client may have left
            self.reply(table, keep_alive)


async def front(host: str, port: int, workers: int) -> None:
    loop = asyncio.get_running_loop()
    pool = Pool()
    inner = await loop.create_server(lambda: FrontToWorker(pool), "127.0.0.1", 0)
    inner_port = inner.sockets[0].getsockname()[1]
    children = [
        subprocess.Popen([sys.executable, __file__, f"--worker-port={inner_port}"])
        for _ in range(workers)
    ]
    stop = loop.create_future()
    for number in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(number, stop.set_result, None)
    try:
        while len(pool.idle) < workers:  # serve only once every worker is connected
            await asyncio.sleep(0.01)
        server = await loop.create_server(lambda: HttpFront(pool), host, port)
        async with server:
            await stop
    finally:
        for child in children:
            child.terminate()
        for child in children:
            child.wait()


async def worker(port: int) -> None:
    loop = asyncio.get_running_loop()
    await loop.create_connection(Worker, "127.0.0.1", port)
    await loop.create_future()  # the loop stops when the front closes the connection


def main(argv: list[str]) -> None:
    address = {"host": "127.0.0.1", "port": 5050}
    workers = 8
    for arg in argv:
        if arg.startswith("--server-address="):
            address.update(json.loads(arg.split("=", 1)[1]))
        elif arg.startswith("--workers="):
            workers = int(arg.split("=", 1)[1])
        elif arg.startswith("--worker-port="):
            signal.signal(signal.SIGINT, signal.SIG_IGN)  # the front stops its workers
            with contextlib.suppress(RuntimeError):  # the loop stopped: the front is gone
                uvloop.run(worker(int(arg.split("=", 1)[1])))
            return
    uvloop.run(front(address["host"], int(address["port"]), workers))


if __name__ == "__main__":
    main(sys.argv[1:])
