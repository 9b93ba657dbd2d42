"""The sans-I/O HTTP server connection (spec networking-and-http §6), per request; run with
``-p no:xdist``.

One op is the demo exchange without sockets: ``GET /Xy?x=2&y=2`` parsed into an ``Xy``, and
the response bytes built for a 2x2 ``list[list[float]]`` table (pretty JSON, as served). The
parts are timed alone too, next to the raw ``httptools`` parse of the same bytes, so the rows
show what the typed layer costs. Nothing asserts on time. ``extra_info["compiled"]`` records
which build of the codec ran.
"""

from __future__ import annotations

import httptools
import pytest

import layer_cake as lc
from layer_cake import _build
from layer_cake.net._http_server import HttpServerConnection
from layer_cake.types import _convert

N = 1000  # requests per round, on one keep-alive connection


class Xy:
    """The demo's request: two integers."""

    def __init__(self, x: int = 1, y: int = 1) -> None:
        self.x = x
        self.y = y


lc.bind(Xy)

REQUEST = (b"GET /Xy?x=2&y=2 HTTP/1.1\r\nHost: 127.0.0.1:5050\r\nUser-Agent: curl/8.5.0\r\n"
           b"Accept: */*\r\n\r\n")
TABLE = lc.cast_to([[0.1289, 0.9034], [0.5527, 0.0418]], list[list[float]])


@pytest.fixture(autouse=True)
def _record_build(benchmark) -> None:  # type: ignore[no-untyped-def]
    benchmark.extra_info["compiled"] = _build.is_compiled(_convert)
    benchmark.extra_info["requests_per_round"] = N


def serve(connection: HttpServerConnection) -> int:
    """N request/response exchanges; the bytes written."""
    written = 0
    receive, respond = connection.receive_data, connection.respond
    for _ in range(N):
        (event,) = receive(REQUEST)
        message = event.message  # type: ignore[union-attr]
        data, _ = respond(TABLE if message.x == 2 else None)
        written += len(data)
    return written


def test_parse_request_and_build_2x2_response(benchmark) -> None:  # type: ignore[no-untyped-def]
    connection = HttpServerConnection([Xy], None, False)
    assert benchmark(serve, connection) > 0


def test_new_connection_and_one_exchange(benchmark) -> None:  # type: ignore[no-untyped-def]
    def connect_and_serve() -> None:
        for _ in range(N):
            connection = HttpServerConnection([Xy], None, False)
            connection.receive_data(REQUEST)
            connection.respond(TABLE)

    benchmark(connect_and_serve)


def test_build_2x2_response_only(benchmark) -> None:  # type: ignore[no-untyped-def]
    connection = HttpServerConnection([Xy], None, False)
    response = connection.response
    benchmark(lambda: [response(TABLE) for _ in range(N)])


def test_raw_httptools_parse_baseline(benchmark) -> None:  # type: ignore[no-untyped-def]
    class Sink:
        def on_url(self, url: bytes) -> None:
            pass

        def on_header(self, name: bytes, value: bytes) -> None:
            pass

    parser = httptools.HttpRequestParser(Sink())
    feed = parser.feed_data
    benchmark(lambda: [feed(REQUEST) for _ in range(N)])
