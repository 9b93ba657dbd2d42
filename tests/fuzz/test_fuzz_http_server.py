"""Fuzzing the sans-I/O HTTP server connection (networking-and-http §6; issue 10).

Streams of requests (valid, mutated, noise, pipelined, cut anywhere), answered or not, with
an end of input or a header timeout at any point. Whatever arrives, the connection only gives
events; every reply is a well-formed HTTP/1.1 response; nothing follows a close; at most one
request is in flight; and the queue of unanswered requests never passes its limit.
Bounded in time: see ``fuzz_support``.
"""

from __future__ import annotations

from fuzz_support import FUZZ, run_bounded
from hypothesis import given
from hypothesis import strategies as st

import layer_cake as lc
from layer_cake.net._http_server import (
    Close,
    Deliver,
    HttpLimits,
    HttpServerConnection,
    LocalHttpError,
    Reply,
)

LIMIT = 3


class Point:
    def __init__(self, x: int = 0, name: str = "", ratio: float = 0.0) -> None:
        self.x = x
        self.name = name
        self.ratio = ratio


lc.bind(Point)

TOKENS = st.sampled_from(["GET", "POST", "HEAD", "PUT", "DELETE", "OPTIONS", "PATCH", "X" * 12])
PATHS = st.sampled_from(["/Point", "/api/Point", "/Nothing", "/", "", "x", "/Point?x=1",
                         "/Point?x=a", "/Point?name=%41%zz&ratio=1e400", "/Point?y=2",
                         "/%00", "/Point?x=1&&x=2"])
HEADERS = st.lists(
    st.sampled_from([
        "Content-Type: application/json", "Content-Type: application/x-www-form-urlencoded",
        "Content-Type: text/plain", "Connection: close", "Connection: keep-alive",
        "Expect: 100-continue", "Transfer-Encoding: chunked", "Content-Length: 5",
        "Content-Length: -1", "Content-Length: 99999999", "Upgrade: websocket",
        "Connection: Upgrade", "X-Long: " + "v" * 1100, "Host: a", "Bad Header: x",
    ]),
    max_size=4,
)
BODIES = st.sampled_from([b"", b'{"value": {"x": 3}}', b"x=4&name=abc", b"5\r\nhello\r\n0\r\n\r\n",
                          b"{bad json", b'{"value": []}', b"\x00\xff"])
VERSIONS = st.sampled_from(["HTTP/1.1", "HTTP/1.0", "", "HTTP/2.0", "HTTP/1.1x", "http/1.1"])


@st.composite
def one_request(draw: st.DrawFn) -> bytes:
    line = f"{draw(TOKENS)} {draw(PATHS)} {draw(VERSIONS)}".rstrip()
    body = draw(BODIES)
    headers = draw(HEADERS)
    if body and draw(st.booleans()):
        headers = [*headers, f"Content-Length: {len(body)}"]
    return ("\r\n".join([line, *headers]) + "\r\n\r\n").encode("latin-1") + body


@st.composite
def mutate(draw: st.DrawFn, data: bytes) -> bytes:
    data = bytearray(data)
    for _ in range(draw(st.integers(0, 3))):
        if data:
            data[draw(st.integers(0, len(data) - 1))] = draw(st.integers(0, 255))
    return bytes(data)


@st.composite
def streams(draw: st.DrawFn) -> bytes:
    parts = draw(st.lists(one_request() | st.binary(max_size=40), min_size=1, max_size=8))
    data = b"".join(parts)
    return draw(mutate(data)) if draw(st.booleans()) else data


ANSWERS = st.sampled_from([
    "text", None, lc.HttpResponse(status_code=201, body="made"), lc.HttpResponse(body=b"raw"),
    lc.HttpResponse(status_code=999), lc.HttpResponse(header={"Bad\r\n": "x"}), lc.Busy(),
    lc.Faulted("no", "way", error_code=404), lc.HttpResponse(body="x" * 3000),
])
STEPS = st.lists(
    st.tuples(st.sampled_from(["feed", "answer", "expire", "eof"]), st.integers(1, 64)),
    max_size=30,
)


def check_reply(data: bytes) -> None:
    """A whole HTTP/1.1 response: status line, headers, a body of its Content-Length."""
    if data == b"HTTP/1.1 100 Continue\r\n\r\n":
        return
    head, sep, body = data.partition(b"\r\n\r\n")
    assert sep, data[:100]
    first, *lines = head.split(b"\r\n")
    assert first.startswith(b"HTTP/1.1 ") and 100 <= int(first[9:12]) <= 599, first
    length = [int(line[16:]) for line in lines if line.lower().startswith(b"content-length: ")]
    assert length and (length[0] == len(body) or body == b""), (first, length, len(body))


@given(streams(), STEPS, st.lists(ANSWERS, max_size=10), st.sampled_from([None, 1000]))
@FUZZ
def fuzz_http_server_connection(data: bytes, steps: list, answers: list, cap: int | None) -> None:
    limits = HttpLimits(max_pipelined=LIMIT, max_response=cap)
    conn = HttpServerConnection([Point], None, False, limits=limits)
    in_flight = 0
    ended = False
    at = 0
    answers = list(answers)
    for action, size in steps:
        events: list = []
        if action == "feed":
            piece, at = data[at : at + size], at + size
            if not piece:
                continue
            events = conn.receive_data(piece)
        elif action == "eof":
            events = conn.receive_data(b"")
        elif action == "expire":
            events = conn.expire_request(0.5)
        else:
            value = answers.pop() if answers else "done"
            try:
                reply, close = conn.respond(value)
            except LocalHttpError:
                assert in_flight == 0 or ended
                continue
            assert in_flight == 1 and not ended
            in_flight = 0
            check_reply(reply)
            if cap is not None:
                assert len(reply) <= max(cap, 400)  # over the cap: a short 500 instead
            ended = close
            if not close:
                events = conn.next_events() + conn.pump()
        for event in events:
            assert not ended, events  # nothing after a close
            if type(event) is Deliver:
                assert in_flight == 0
                in_flight = 1
            elif type(event) is Reply:
                check_reply(event.data)
                ended = event.close
            else:
                assert type(event) is Close
                assert in_flight == 0
                ended = True
        assert conn.waiting + in_flight <= LIMIT
        assert conn.closed == ended or not ended


def test_http_server_connection_takes_any_stream_and_keeps_its_bounds() -> None:
    run_bounded(fuzz_http_server_connection)
