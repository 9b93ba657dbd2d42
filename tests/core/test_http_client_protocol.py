"""The sans-I/O HTTP client connection (spec networking-and-http §8, §9): no sockets."""

from __future__ import annotations

import json
from itertools import pairwise

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import layer_cake as lc
from layer_cake.net._http_client import (
    MAX_PENDING,
    MAX_RESPONSE_HEADER,
    HttpClientConnection,
    HttpClientError,
    RemoteProtocolError,
)
from layer_cake.net._http_messages import HttpMethod, HttpRequest, HttpResponse
from layer_cake.types import encode_json


class Xy:
    """The demo's request: a table of ``x`` rows by ``y`` columns."""

    def __init__(self, x: int = 1, y: int = 1, label: str | None = None) -> None:
        self.x = x
        self.y = y
        self.label = label


class Customer:
    def __init__(self, name: str = "", age: int = 0) -> None:
        self.name = name
        self.age = age


lc.bind_message(Xy)
lc.bind_message(Customer)

TABLE = lc.def_type(list[list[float]])
FORM_HEAD = (
    b"POST /Xy HTTP/1.1\r\n"
    b"Host: 127.0.0.1:80\r\n"
    b"User-Agent: Layer-Cake-API-client/1.0\r\n"
    b"Content-Type: application/x-www-form-urlencoded\r\n"
)


def response(
    status: str = "200 OK",
    body: bytes = b"",
    content_type: str | None = None,
    version: str = "HTTP/1.1",
    extra: str = "",
) -> bytes:
    """A complete response with a ``Content-Length`` body."""
    head = f"{version} {status}\r\n"
    if content_type is not None:
        head += f"Content-Type: {content_type}\r\n"
    head += f"Content-Length: {len(body)}\r\n{extra}\r\n"
    return head.encode("latin-1") + body


def json_response(value: object, status: str = "200 OK", version: str = "HTTP/1.1") -> bytes:
    return response(status, encode_json(value).encode(), "application/json", version)


def split_request(data: bytes) -> tuple[list[bytes], bytes]:
    head, _, body = data.partition(b"\r\n\r\n")
    return head.split(b"\r\n"), body


def one_answer(connection: HttpClientConnection, data: bytes) -> object:
    answers, _ = connection.receive_data(data)
    assert len(answers) == 1
    return answers[0][1]


def sent(connection: HttpClientConnection, message: object, sender: object = "A") -> bytes:
    to_write, answers = connection.submit(message, sender)
    assert answers == []
    assert to_write is not None
    return to_write


# Request bytes.


def test_bound_message_is_posted_as_a_form_of_its_non_none_fields() -> None:
    data = sent(HttpClientConnection(), Xy(3, 4))
    assert data == FORM_HEAD + b"Content-Length: 7\r\n\r\nx=3&y=4"


def test_form_values_are_url_quoted() -> None:
    data = sent(HttpClientConnection(), Xy(3, 4, label="a b&c=d/é"))
    lines, body = split_request(data)
    assert body == b"x=3&y=4&label=a%20b%26c%3Dd%2F%C3%A9"
    assert f"Content-Length: {len(body)}".encode() in lines


def test_bound_message_is_posted_as_json_with_application_json() -> None:
    data = sent(HttpClientConnection(application_json=True), Customer("Ada", 36))
    lines, body = split_request(data)
    assert lines == [
        b"POST /Customer HTTP/1.1",
        b"Host: 127.0.0.1:80",
        b"User-Agent: Layer-Cake-API-client/1.0",
        b"Content-Type: application/json",
        f"Content-Length: {len(body)}".encode(),
    ]
    assert json.loads(body) == {"value": {"name": "Ada", "age": 36}}


def test_prefix_and_host_are_used_and_a_trailing_slash_is_added() -> None:
    data = sent(HttpClientConnection("/api/v2", host="example.com:8080"), Xy())
    lines, _ = split_request(data)
    assert lines[:2] == [b"POST /api/v2/Xy HTTP/1.1", b"Host: example.com:8080"]


def test_prefix_must_start_with_a_slash() -> None:
    with pytest.raises(ValueError, match="prefix"):
        HttpClientConnection("api/")


def test_host_with_a_line_break_is_refused() -> None:
    with pytest.raises(ValueError, match="line break"):
        HttpClientConnection(host="h\r\nX-Evil: 1")


def test_http_request_without_body_is_sent_as_given_under_the_prefix() -> None:
    request = HttpRequest("GET", "/note/7?full=1", header={"Accept": "text/plain", "host": "h:1"})
    data = sent(HttpClientConnection("/api/"), request)
    assert data == (
        b"GET /api/note/7?full=1 HTTP/1.1\r\n"
        b"User-Agent: Layer-Cake-API-client/1.0\r\n"
        b"Accept: text/plain\r\n"
        b"host: h:1\r\n"
        b"\r\n"
    )


def test_http_request_body_gets_the_default_form_content_type() -> None:
    request = HttpRequest("PUT", "/note/7", body=bytearray(b"text=hi"))
    data = sent(HttpClientConnection(), request)
    assert data == (
        b"PUT /note/7 HTTP/1.1\r\n"
        b"Host: 127.0.0.1:80\r\n"
        b"User-Agent: Layer-Cake-API-client/1.0\r\n"
        b"Content-Type: application/x-www-form-urlencoded\r\n"
        b"Content-Length: 7\r\n"
        b"\r\n"
        b"text=hi"
    )


def test_http_request_keeps_its_content_type_and_gets_the_true_length() -> None:
    request = HttpRequest(
        "POST",
        "/upload",
        header={"content-type": "text/csv", "Content-Length": "999"},
        body=bytearray(b"a,b\n"),
    )
    lines, body = split_request(sent(HttpClientConnection(), request))
    assert b"content-type: text/csv" in lines
    assert [line for line in lines if line.lower().startswith(b"content-length")] == [
        b"Content-Length: 4"
    ]
    assert body == b"a,b\n"


def test_http_request_method_may_be_an_http_method_member() -> None:
    data = sent(HttpClientConnection(), HttpRequest(HttpMethod.DELETE, "/note/7"))
    assert data.startswith(b"DELETE /note/7 HTTP/1.1\r\n")


def test_http_request_uri_spaces_and_non_ascii_are_percent_encoded() -> None:
    data = sent(HttpClientConnection(), HttpRequest("GET", "/find?q=a b&n=é"))
    assert data.startswith(b"GET /find?q=a%20b&n=%C3%A9 HTTP/1.1\r\n")


def test_post_without_body_says_content_length_zero() -> None:
    lines, body = split_request(sent(HttpClientConnection(), HttpRequest("POST", "/ping")))
    assert b"Content-Length: 0" in lines
    assert body == b""


def test_header_with_a_line_break_is_answered_at_once_and_never_sent() -> None:
    connection = HttpClientConnection()
    to_write, answers = connection.submit(HttpRequest("GET", "/", header={"X": "a\r\nY: b"}), "A")
    assert to_write is None
    [(sender, answer)] = answers
    assert sender == "A" and answer.status_code == 400 and answer.reason_phrase == "Client Error"
    assert "line break" in answer.body
    assert connection.pending == 0


def test_a_value_that_is_not_a_bound_message_is_answered_at_once() -> None:
    to_write, [(sender, answer)] = HttpClientConnection().submit(object(), "A")
    assert to_write is None and sender == "A"
    assert (answer.status_code, answer.reason_phrase) == (400, "Client Error")
    assert "not a bound message" in answer.body


# One request in flight, the rest queued.


def test_three_requests_are_sent_one_at_a_time_and_answered_in_order() -> None:
    connection = HttpClientConnection()
    first, _ = connection.submit(Xy(1), "A")
    assert first is not None and first.endswith(b"x=1&y=1")
    assert connection.submit(Xy(2), "B") == (None, [])
    assert connection.submit(Xy(3), "C") == (None, [])
    assert connection.pending == 3

    answers, second = connection.receive_data(response("200 OK", b"one", "text/plain"))
    assert [(s, bytes(r.body)) for s, r in answers] == [("A", b"one")]
    assert second is not None and second.endswith(b"x=2&y=1")

    answers, third = connection.receive_data(response("201 Created", b"two", "text/plain"))
    assert [(s, r.status_code, bytes(r.body)) for s, r in answers] == [("B", 201, b"two")]
    assert third is not None and third.endswith(b"x=3&y=1")

    answers, after = connection.receive_data(response("200 OK", b"three", "text/plain"))
    assert [(s, bytes(r.body)) for s, r in answers] == [("C", b"three")]
    assert after is None
    assert connection.pending == 0
    assert not connection.closing


def test_a_request_submitted_while_idle_is_written_at_once() -> None:
    connection = HttpClientConnection()
    sent(connection, Xy(1))
    connection.receive_data(response())
    assert sent(connection, Xy(2), "B").endswith(b"x=2&y=1")


def test_requests_beyond_256_outstanding_get_queue_overflow_at_once() -> None:
    connection = HttpClientConnection()
    overflowed = []
    for i in range(300):
        to_write, answers = connection.submit(Xy(i), i)
        assert (to_write is not None) == (i == 0)
        overflowed += answers
    assert MAX_PENDING == 256
    assert connection.pending == 256
    assert [sender for sender, _ in overflowed] == list(range(256, 300))
    for _, answer in overflowed:
        assert isinstance(answer, HttpResponse)
        assert (answer.status_code, answer.reason_phrase, answer.body) == (
            400,
            "Client Error",
            "Request queue overflow",
        )
    # The queue drains in order and then accepts again.
    answers, to_write = connection.receive_data(response())
    assert answers[0][0] == 0 and to_write is not None and b"x=1&" in to_write
    assert connection.submit(Xy(999), "late") == (None, [])


# Response decoding.


def test_without_application_json_every_response_is_an_http_response_with_a_bytearray_body() -> (
    None
):
    connection = HttpClientConnection()
    sent(connection, Xy())
    data = response("404 Not Found", b'{"value": 1}', "application/json", extra="X-Trace: abc\r\n")
    answer = one_answer(connection, data)
    assert isinstance(answer, HttpResponse)
    assert (answer.http, answer.status_code, answer.reason_phrase) == ("HTTP/1.1", 404, "Not Found")
    assert answer.header == {
        "Content-Type": "application/json",
        "Content-Length": "12",
        "X-Trace": "abc",
    }
    assert type(answer.body) is bytearray and answer.body == b'{"value": 1}'


def test_header_names_keep_their_case_and_repeats_are_joined() -> None:
    connection = HttpClientConnection()
    sent(connection, Xy())
    answer = one_answer(connection, response(extra="set-COOKIE: a=1\r\nset-COOKIE: b=2\r\n"))
    assert answer.header["set-COOKIE"] == "a=1, b=2"


def test_empty_body_is_an_empty_bytearray() -> None:
    connection = HttpClientConnection()
    sent(connection, Xy())
    answer = one_answer(connection, b"HTTP/1.1 204 No Content\r\n\r\n")
    assert answer.status_code == 204 and answer.body == bytearray()


def test_json_message_body_arrives_as_the_message() -> None:
    connection = HttpClientConnection(application_json=True)
    sent(connection, Xy())
    answer = one_answer(connection, json_response(Customer("Ada", 36)))
    assert type(answer) is Customer and (answer.name, answer.age) == ("Ada", 36)


def test_busy_in_a_503_arrives_as_lc_busy() -> None:
    connection = HttpClientConnection(application_json=True)
    sent(connection, Xy())
    answer = one_answer(
        connection, json_response(lc.Busy("message rejected by spool"), "503 Service Unavailable")
    )
    assert type(answer) is lc.Busy
    assert answer.condition == "message rejected by spool"


def test_json_table_arrives_as_a_list_cast() -> None:
    table = [[0.1289, 0.9034], [0.5527, 0.0418], [0.7761, 0.3392]]
    connection = HttpClientConnection(application_json=True)
    sent(connection, Xy(3, 2))
    value, portable = one_answer(connection, json_response((table, TABLE)))
    assert value == table
    assert lc.portable_to_signature(portable) == "vector<vector<float8>>"


def test_json_content_type_with_parameters_is_still_json() -> None:
    connection = HttpClientConnection(application_json=True)
    sent(connection, Xy())
    body = encode_json(lc.Ack()).encode()
    answer = one_answer(connection, response("200 OK", body, "Application/JSON; charset=utf-8"))
    assert type(answer) is lc.Ack


def test_other_content_type_with_application_json_is_an_http_response() -> None:
    connection = HttpClientConnection(application_json=True)
    sent(connection, Xy())
    answer = one_answer(
        connection,
        response("400 Bad Request", b"cannot recover request", "text/plain; charset=utf-8"),
    )
    assert isinstance(answer, HttpResponse)
    assert (answer.status_code, bytes(answer.body)) == (400, b"cannot recover request")


@pytest.mark.parametrize(
    ("data", "text"),
    [
        (response("200 OK", b"", "application/json"), "no JSON body"),
        (response("200 OK", b" \r\n", "application/json"), "no JSON body"),
        (response("200 OK", b"{not json", "application/json"), 'unexpected body "cannot decode ('),
        (
            response("200 OK", b'{"no": "value"}', "application/json"),
            'unexpected body "cannot decode (no "value"',
        ),
        (json_response(lc.Ack(), version="HTTP/1.0"), 'unexpected HTTP version "HTTP/1.0"'),
    ],
    ids=["empty", "blank", "not-json", "not-a-shipment", "http-1.0"],
)
def test_json_response_that_cannot_be_decoded_is_a_500(data: bytes, text: str) -> None:
    connection = HttpClientConnection(application_json=True)
    sent(connection, Xy())
    answer = one_answer(connection, data)
    assert isinstance(answer, HttpResponse)
    assert (answer.status_code, answer.reason_phrase) == (500, "Server Error")
    assert answer.body.startswith(text)


# Framing.


def test_a_response_fed_byte_by_byte_is_answered_once_complete() -> None:
    connection = HttpClientConnection(application_json=True)
    sent(connection, Xy())
    sent_next, _ = connection.submit(Xy(2), "B")
    assert sent_next is None
    data = json_response(Customer("Ada", 36))
    for i in range(len(data) - 1):
        assert connection.receive_data(data[i : i + 1]) == ([], None)
    answers, to_write = connection.receive_data(data[-1:])
    assert [(s, type(r)) for s, r in answers] == [("A", Customer)]
    assert to_write is not None and to_write.startswith(b"POST /Xy ")


def test_chunked_transfer_encoding_is_reassembled() -> None:
    connection = HttpClientConnection(application_json=True)
    sent(connection, Xy())
    body = encode_json(Customer("Ada", 36)).encode()
    chunks = b"".join(
        b"%x\r\n%s\r\n" % (len(body[i : i + 7]), body[i : i + 7]) for i in range(0, len(body), 7)
    )
    data = (
        b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
        + chunks
        + b"0\r\n\r\n"
    )
    answers: list = []
    for i in range(0, len(data), 5):
        answers += connection.receive_data(data[i : i + 5])[0]
    [(_, answer)] = answers
    assert type(answer) is Customer and answer.name == "Ada"


@settings(max_examples=60, deadline=None)
@given(st.lists(st.integers(min_value=0, max_value=400), max_size=8))
def test_any_split_of_a_response_stream_gives_the_same_answers(cuts: list[int]) -> None:
    connection = HttpClientConnection()
    for name in "ABC":
        connection.submit(Xy(), name)
    stream = [
        response("200 OK", b"one"),
        b"HTTP/1.1 100 Continue\r\n\r\n" + response("201 Created", b""),
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nthr\r\n2\r\nee\r\n0\r\n\r\n",
    ]
    # Only the bytes of responses already requested may arrive: feed each response's bytes
    # in pieces, cutting at the drawn offsets.
    answers: list = []
    for part in stream:
        points = sorted({c % (len(part) + 1) for c in cuts} | {0, len(part)})
        for start, end in pairwise(points):
            answers += connection.receive_data(part[start:end])[0]
    assert [(s, r.status_code, bytes(r.body)) for s, r in answers] == [
        ("A", 200, b"one"),
        ("B", 201, b""),
        ("C", 200, b"three"),
    ]


def test_interim_100_continue_is_skipped() -> None:
    connection = HttpClientConnection()
    sent(connection, Xy())
    answers, _ = connection.receive_data(b"HTTP/1.1 100 Continue\r\n\r\n")
    assert answers == []
    answer = one_answer(connection, response("200 OK", b"done"))
    assert answer.body == b"done"


def test_head_response_has_no_body_whatever_its_content_length() -> None:
    connection = HttpClientConnection()
    sent(connection, HttpRequest("HEAD", "/big"))
    connection.submit(HttpRequest("GET", "/small"), "B")
    answers, to_write = connection.receive_data(b"HTTP/1.1 200 OK\r\nContent-Length: 5000\r\n\r\n")
    [(sender, answer)] = answers
    assert (
        sender == "A" and answer.header["Content-Length"] == "5000" and answer.body == bytearray()
    )
    assert to_write is not None and to_write.startswith(b"GET /small ")
    # The connection is still in step: the next response parses normally.
    assert one_answer(connection, response("200 OK", b"small")).body == b"small"


def test_head_response_split_across_reads() -> None:
    connection = HttpClientConnection()
    sent(connection, HttpRequest("HEAD", "/"))
    data = b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 9\r\n\r\n"
    answers: list = []
    for i in range(len(data)):
        answers += connection.receive_data(data[i : i + 1])[0]
    assert [(s, r.status_code) for s, r in answers] == [("A", 200)]
    assert not connection.closing


def test_connection_close_response_is_delivered_then_the_connection_closes() -> None:
    connection = HttpClientConnection()
    sent(connection, Xy(1))
    connection.submit(Xy(2), "B")
    answers, to_write = connection.receive_data(
        response("200 OK", b"bye", extra="Connection: close\r\n") + b"junk"
    )
    assert [(s, bytes(r.body)) for s, r in answers] == [("A", b"bye")]
    assert to_write is None
    assert connection.closing
    assert connection.receive_data(b"more junk") == ([], None)
    [(sender, answer)] = connection.connection_lost()
    assert sender == "B" and answer.status_code == 503
    assert answer.body == "connection closed (request not sent)"


def test_http_1_0_response_without_length_ends_at_connection_close() -> None:
    connection = HttpClientConnection()
    sent(connection, Xy())
    answers, _ = connection.receive_data(
        b"HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\npart one, "
    )
    assert answers == []
    assert connection.receive_data(b"part two") == ([], None)
    [(sender, answer)] = connection.connection_lost()
    assert sender == "A"
    assert (answer.http, answer.status_code, bytes(answer.body)) == (
        "HTTP/1.0",
        200,
        b"part one, part two",
    )


def test_http_1_0_response_with_length_closes_after_delivery() -> None:
    connection = HttpClientConnection()
    sent(connection, Xy())
    answer = one_answer(connection, response("200 OK", b"ok", version="HTTP/1.0"))
    assert answer.http == "HTTP/1.0" and answer.body == b"ok"
    assert connection.closing


def test_request_saying_connection_close_closes_after_its_response() -> None:
    connection = HttpClientConnection()
    sent(connection, HttpRequest("GET", "/", header={"Connection": "close"}))
    connection.submit(Xy(), "B")
    answers, to_write = connection.receive_data(response())
    assert len(answers) == 1 and to_write is None and connection.closing


# Malformed responses.


@pytest.mark.parametrize(
    ("data", "text"),
    [
        (b"garbage\r\n\r\n", "malformed response"),
        (b"HTTP/1.1 2000 OK\r\n\r\n", "malformed response"),
        (
            b"HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab",
            "malformed response",
        ),
        (b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", "malformed response"),
        (
            b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: x\r\nConnection: upgrade\r\n\r\n",
            "protocol switch",
        ),
        (b"HTTP/1.1 200 OK\r\nX: " + b"a" * MAX_RESPONSE_HEADER + b"\r\n\r\n", "header too large"),
    ],
    ids=["status-line", "status-code", "two-lengths", "chunk-size", "upgrade", "huge-header"],
)
def test_malformed_response_is_a_remote_protocol_error(data: bytes, text: str) -> None:
    connection = HttpClientConnection()
    sent(connection, Xy())
    connection.submit(Xy(2), "B")
    with pytest.raises(RemoteProtocolError, match=text):
        connection.receive_data(data)
    assert connection.closing
    # The machine stays broken, and closing it answers everyone.
    with pytest.raises(RemoteProtocolError, match=text):
        connection.receive_data(response())
    answers = connection.connection_lost()
    assert [(s, r.status_code) for s, r in answers] == [("A", 502), ("B", 503)]
    assert answers[0][1].reason_phrase == "Bad Gateway"
    assert answers[0][1].body.startswith("malformed response (") and text in answers[0][1].body


def test_a_header_that_never_ends_is_a_protocol_error() -> None:
    connection = HttpClientConnection()
    sent(connection, Xy())
    connection.receive_data(b"HTTP/1.1 200 OK\r\nX: ")
    with pytest.raises(RemoteProtocolError, match="header too large"):
        for _ in range(MAX_RESPONSE_HEADER // 1024 + 2):
            connection.receive_data(b"a" * 1024)


def test_a_head_header_that_never_ends_is_a_protocol_error() -> None:
    connection = HttpClientConnection()
    sent(connection, HttpRequest("HEAD", "/"))
    with pytest.raises(RemoteProtocolError, match="header too large"):
        for _ in range(MAX_RESPONSE_HEADER // 1024 + 2):
            connection.receive_data(b"a" * 1024)


def test_remote_protocol_error_is_an_http_client_error() -> None:
    assert issubclass(RemoteProtocolError, HttpClientError)


def test_response_without_a_request_is_a_protocol_error() -> None:
    connection = HttpClientConnection()
    with pytest.raises(RemoteProtocolError, match="without a request"):
        connection.receive_data(response())


def test_a_second_response_in_one_read_is_a_protocol_error_and_the_first_is_still_answered() -> (
    None
):
    connection = HttpClientConnection()
    sent(connection, Xy())
    with pytest.raises(RemoteProtocolError, match="without a request"):
        connection.receive_data(response("200 OK", b"first") + response("200 OK", b"second"))
    [(sender, answer)] = connection.connection_lost()
    assert sender == "A" and answer.body == b"first"


def test_a_good_response_before_garbage_in_one_read_is_still_answered() -> None:
    connection = HttpClientConnection()
    sent(connection, Xy())
    with pytest.raises(RemoteProtocolError):
        connection.receive_data(response("200 OK", b"first") + b"\x00\x01garbage")
    [(sender, answer)] = connection.connection_lost()
    assert sender == "A" and answer.body == b"first"


# Connection lost.


def test_connection_lost_answers_in_flight_and_queued_requests_in_order() -> None:
    connection = HttpClientConnection(application_json=True)
    sent(connection, Xy(1), "A")
    connection.submit(Xy(2), "B")
    connection.submit(Xy(3), "C")
    connection.receive_data(b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\npartial")
    answers = connection.connection_lost()
    assert [(s, type(r), r.status_code, r.reason_phrase, r.body) for s, r in answers] == [
        (
            "A",
            HttpResponse,
            503,
            "Service Unavailable",
            "connection closed (request sent, no response)",
        ),
        ("B", HttpResponse, 503, "Service Unavailable", "connection closed (request not sent)"),
        ("C", HttpResponse, 503, "Service Unavailable", "connection closed (request not sent)"),
    ]
    assert connection.closed and connection.pending == 0
    assert connection.connection_lost() == []


def test_connection_lost_while_idle_answers_nothing() -> None:
    connection = HttpClientConnection()
    assert connection.connection_lost() == []


def test_requests_after_connection_lost_are_answered_at_once() -> None:
    connection = HttpClientConnection()
    connection.connection_lost()
    to_write, [(sender, answer)] = connection.submit(Xy(), "late")
    assert to_write is None and sender == "late"
    assert (answer.status_code, answer.body) == (503, "connection closed (request not sent)")
    assert connection.receive_data(b"anything") == ([], None)


# Loopback against the server state machine (no sockets: bytes are handed across).

from layer_cake.net._http_server import Close, Deliver, HttpServerConnection, Reply  # noqa: E402


class Loopback:
    """A client and a server connection joined back to back; ``answer`` plays the application."""

    def __init__(self, client: HttpClientConnection, server: object, answer: object) -> None:
        self.client = client
        self.server = server
        self.answer = answer
        self.delivered: list = []
        self.answers: list = []

    def submit(self, message: object, sender: object) -> None:
        to_write, answers = self.client.submit(message, sender)
        self.answers += answers
        self._to_server(to_write)

    def _to_server(self, data: bytes | None) -> None:
        while data is not None:
            events = self.server.receive_data(data)  # type: ignore[attr-defined]
            data = self._run(events)

    def _run(self, events: list) -> bytes | None:
        to_write = None
        for event in events:
            if isinstance(event, Deliver):
                self.delivered.append(event.message)
                response, _ = self.server.respond(self.answer(event.message))  # type: ignore[attr-defined]
                to_write = self._to_client(response)
                if to_write is None:
                    to_write = self._run(self.server.next_events())  # type: ignore[attr-defined]
            elif isinstance(event, Reply):
                to_write = self._to_client(event.data)
            else:
                assert isinstance(event, Close)
        return to_write

    def _to_client(self, data: bytes) -> bytes | None:
        # Byte by byte, to exercise the client's reassembly against real server output.
        to_write = None
        for i in range(len(data)):
            answers, next_request = self.client.receive_data(data[i : i + 1])
            self.answers += answers
            to_write = to_write or next_request
        return to_write


def test_loopback_json_request_and_table_answer() -> None:
    table = [[0.5, 0.25], [0.125, 1.0], [2.0, 4.0]]
    loop = Loopback(
        HttpClientConnection(application_json=True),
        HttpServerConnection([Xy]),
        lambda m: (table, TABLE),
    )
    loop.submit(Xy(3, 2, label="a b&c"), "A")
    [request] = loop.delivered
    assert type(request) is Xy and (request.x, request.y, request.label) == (3, 2, "a b&c")
    [(sender, (value, portable))] = loop.answers
    assert sender == "A" and value == table
    assert lc.portable_to_signature(portable) == "vector<vector<float8>>"


def test_loopback_form_requests_in_order_and_busy_as_503() -> None:
    def answer(m: Xy) -> object:
        return lc.Busy("slow") if m.x == 2 else lc.Ack()

    forms = Loopback(HttpClientConnection(), HttpServerConnection([Xy]), answer)
    for x, sender in ((1, "A"), (2, "B"), (3, "C")):
        forms.submit(Xy(x, 1, label="é & ü"), sender)
    assert [(m.x, m.label) for m in forms.delivered] == [(1, "é & ü"), (2, "é & ü"), (3, "é & ü")]
    assert [(s, r.status_code) for s, r in forms.answers] == [("A", 200), ("B", 503), ("C", 200)]
    assert all(type(r.body) is bytearray for _, r in forms.answers)

    typed = Loopback(
        HttpClientConnection(application_json=True), HttpServerConnection([Xy]), answer
    )
    for x, sender in ((1, "A"), (2, "B")):
        typed.submit(Xy(x), sender)
    assert [(s, type(r)) for s, r in typed.answers] == [("A", lc.Ack), ("B", lc.Busy)]


def test_loopback_http_requests_head_and_unknown_names() -> None:
    def answer(m: HttpRequest) -> object:
        return HttpResponse(status_code=200, reason_phrase="OK", body=f"{m.method} {m.request_uri}")

    loop = Loopback(
        HttpClientConnection("/api", application_json=True),
        HttpServerConnection([Xy], default_to_request=True),
        answer,
    )
    loop.submit(HttpRequest("HEAD", "/page"), "A")
    loop.submit(HttpRequest("GET", "/page"), "B")
    [(_, head), (_, get)] = loop.answers
    assert head.status_code == 200 and head.body == bytearray()
    assert get.body == b"GET /api/page"

    strict = Loopback(HttpClientConnection(), HttpServerConnection([Xy]), answer)
    strict.submit(HttpRequest("GET", "/Nope"), "A")
    [(_, missing)] = strict.answers
    assert missing.status_code == 404
