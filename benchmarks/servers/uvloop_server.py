"""Raw baseline: an asyncio ``Protocol`` on uvloop that parses with httptools and answers every
request with the body the layer-cake demo servers send (a pretty JSON 2x2 table), on the
event loop thread. No layer-cake: the ceiling for one Python process on this machine.

    python3 uvloop_server.py --server-address='{"host":"127.0.0.1","port":5057}'
"""

from __future__ import annotations

import asyncio
import email.utils
import json
import random
import sys
from urllib.parse import parse_qs

import httptools
import uvloop

_SERVER = b"Server: raw-uvloop-baseline/1.0\r\n"
_JSON = b"Content-Type: application/json\r\n"


class HttpProtocol(asyncio.Protocol):
    """Moves bytes between the socket and an httptools parser; answers on message complete."""

    __slots__ = ("parser", "transport", "url")
    server_header = _SERVER

    def __init__(self) -> None:
        self.transport: asyncio.Transport | None = None
        self.parser = httptools.HttpRequestParser(self)
        self.url = b""

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def data_received(self, data: bytes) -> None:
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserError:
            self.transport.close()  # type: ignore[union-attr]

    def on_url(self, url: bytes) -> None:
        self.url += url

    def on_message_complete(self) -> None:
        x, y = self.xy()
        table = [[random.random() for _ in range(x)] for _ in range(y)]
        self.reply(table, self.parser.should_keep_alive())

    def xy(self) -> tuple[int, int]:
        """``x`` and ``y`` of the request's query (1 where absent)."""
        parsed = httptools.parse_url(self.url)
        self.url = b""
        query = parse_qs((parsed.query or b"").decode())
        return int(query.get("x", ["1"])[0]), int(query.get("y", ["1"])[0])

    def reply(self, table: list, keep_alive: bool) -> None:
        """The pretty JSON body of the layer-cake servers, in a 200."""
        body = json.dumps({"value": ["vector<vector<float8>>", table, []]}, indent=4).encode()
        head = b"HTTP/1.1 200 OK\r\nDate: %s\r\n%sContent-Length: %d\r\n%s\r\n" % (
            email.utils.formatdate(usegmt=True).encode(),
            self.server_header,
            len(body),
            _JSON,
        )
        self.transport.write(head + body)  # type: ignore[union-attr]
        if not keep_alive:
            self.transport.close()  # type: ignore[union-attr]


async def serve(host: str, port: int) -> None:
    loop = asyncio.get_running_loop()
    server = await loop.create_server(HttpProtocol, host, port)
    async with server:
        await server.serve_forever()


def main(argv: list[str]) -> None:
    address = {"host": "127.0.0.1", "port": 5050}
    for arg in argv:
        if arg.startswith("--server-address="):
            address.update(json.loads(arg.split("=", 1)[1]))
    uvloop.run(serve(address["host"], int(address["port"])))


if __name__ == "__main__":
    main(sys.argv[1:])
