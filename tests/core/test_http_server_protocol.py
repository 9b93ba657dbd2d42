"""The sans-I/O HTTP server connection (spec networking-and-http §6): bytes in, events out."""

from __future__ import annotations

import email.utils
import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import layer_cake as lc
from layer_cake.net._http_server import (
    API_SERVER,
    MAX_BODY,
    MAX_HEADER_NAME,
    MAX_HEADER_SECTION,
    MAX_HEADER_VALUE,
    MAX_URI,
    REST_SERVER,
    BadRequest,
    Close,
    Deliver,
    HeaderTooLarge,
    HttpLimits,
    HttpServerConnection,
    LocalHttpError,
    MalformedRequest,
    NonPrintableRequest,
    NotFound,
    PayloadTooLarge,
    RemoteHttpError,
    Reply,
    UriTooLong,
)
from layer_cake.runtime._counters import COUNTERS
from layer_cake.types._json import decode_json


class Xy:
    """The demo request: a table of ``y`` rows, ``x`` columns."""

    def __init__(self, x: int = 1, y: int = 1) -> None:
        self.x = x
        self.y = y


class Person:
    """Text-like, time and structured fields."""

    def __init__(self, name: str = "nobody", age: int = 0, span: lc.TimeSpan = 0.0,
                 tags: list[str] | None = None) -> None:
        self.name = name
        self.age = age
        self.span = span
        self.tags = tags if tags is not None else []


lc.bind(Xy)
lc.bind(Person)

TABLE = lc.def_type(list[list[float]])


# Helpers -----------------------------------------------------------------------------------


def request(line: str, *headers: str, body: bytes = b"") -> bytes:
    """A request; ``Content-Length`` is added when there is a body."""
    head = [line, "Host: test", *headers]
    if body:
        head.append(f"Content-Length: {len(body)}")
    return ("\r\n".join(head) + "\r\n\r\n").encode("latin-1") + body


class Response:
    """One parsed response."""

    def __init__(self, data: bytes) -> None:
        head, _, self.body = data.partition(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        self.version, code, self.reason = [*lines[0].split(" ", 2), ""][:3]
        self.status = int(code)
        self.lines = lines[1:]
        self.headers = {}
        for line in lines[1:]:
            name, _, value = line.partition(": ")
            self.headers[name.lower()] = value
        assert int(self.headers["content-length"]) == len(self.body) or self.body == b""

    @property
    def text(self) -> str:
        return self.body.decode("utf-8")

    def value(self) -> object:
        """The decoded ``Any`` body, bare (a cast value comes back without its type)."""
        return lc.cast_back(decode_json(self.body))[0]


def responses(data: bytes) -> list[Response]:
    """Split bytes holding several responses (each has a Content-Length)."""
    out = []
    while data:
        head, _, rest = data.partition(b"\r\n\r\n")
        length = 0
        for line in head.split(b"\r\n")[1:]:
            name, _, value = line.partition(b": ")
            if name.lower() == b"content-length":
                length = int(value)
        out.append(Response(head + b"\r\n\r\n" + rest[:length]))
        data = rest[length:]
    return out


def api(**kv: object) -> HttpServerConnection:
    return HttpServerConnection([Xy, Person], None, kv.pop("default_to_request", False), **kv)


def delivered(connection: HttpServerConnection, data: bytes) -> object:
    events = connection.receive_data(data)
    assert len(events) == 1 and isinstance(events[0], Deliver), events
    return events[0].message


def refused(connection: HttpServerConnection, data: bytes) -> tuple[Response, Reply]:
    events = connection.receive_data(data)
    assert len(events) == 1 and isinstance(events[0], Reply), events
    return Response(events[0].data), events[0]


@pytest.fixture
def rejected_count():
    """How many ``http_rejected`` the test added."""
    before = COUNTERS["http_rejected"]
    return lambda: COUNTERS["http_rejected"] - before


# Request -> message (§6.1) -----------------------------------------------------------------


def test_query_decodes_into_the_named_api_message():
    m = delivered(api(), request("GET /Xy?x=2&y=3 HTTP/1.1"))
    assert type(m) is Xy and (m.x, m.y) == (2, 3)


def test_name_is_the_path_text_after_the_last_slash():
    m = delivered(api(), request("GET /api/v2/Xy?x=1 HTTP/1.1"))
    assert type(m) is Xy and (m.x, m.y) == (1, 1)


def test_query_values_are_url_decoded_and_plus_is_a_space():
    uri = "/Person?name=Ada%20L+Lovelace&span=1h&tags=%5B%22a%22%5D"
    m = delivered(api(), request(f"GET {uri} HTTP/1.1"))
    assert (m.name, m.span, m.tags, m.age) == ("Ada L Lovelace", 3600.0, ["a"], 0)


def test_empty_query_pairs_are_ignored():
    m = delivered(api(), request("GET /Xy?&x=4&&y=5& HTTP/1.1"))
    assert (m.x, m.y) == (4, 5)


def test_any_method_is_accepted_with_a_query():
    m = delivered(api(), request("DELETE /Xy?x=7 HTTP/1.1"))
    assert m.x == 7


def test_bare_get_delivers_a_default_instance():
    m = delivered(api(), request("GET /Xy HTTP/1.1"))
    assert type(m) is Xy and (m.x, m.y) == (1, 1)


def test_form_body_decodes_like_a_query():
    body = b"x=2&y=2"
    m = delivered(api(), request("POST /Xy HTTP/1.1",
                                 "Content-Type: application/x-www-form-urlencoded; charset=utf-8",
                                 body=body))
    assert (m.x, m.y) == (2, 2)


def test_form_body_takes_utf8_text():
    body = b"name=Zo%C3%AB+%C3%A5"
    m = delivered(api(), request("POST /Person HTTP/1.1",
                                 "Content-Type: application/x-www-form-urlencoded", body=body))
    assert m.name == "Zoë å"


def test_json_body_of_a_post_decodes_as_the_class():
    body = b'{"value": {"x": 1, "y": 4}}'
    m = delivered(api(), request("POST /Xy HTTP/1.1", "Content-Type: application/json", body=body))
    assert (m.x, m.y) == (1, 4)


def test_empty_json_body_gives_a_default_instance():
    m = delivered(api(), request("POST /Xy HTTP/1.1", "Content-Type: application/json"))
    assert (m.x, m.y) == (1, 1)


def test_library_header_lookups_are_case_insensitive():
    body = b'{"value": {"x": 3}}'
    m = delivered(api(), request("POST /Xy HTTP/1.1", "content-TYPE: application/json", body=body))
    assert m.x == 3


def test_json_body_with_another_method_is_400():
    body = b'{"value": {"x": 1}}'
    r, _ = refused(api(), request("PUT /Xy HTTP/1.1", "Content-Type: application/json", body=body))
    assert r.status == 400
    assert r.text == 'cannot recover request "/Xy" (JSON body with method "PUT" (POST expected))'


def test_bad_json_body_is_400_cannot_decode():
    r, _ = refused(api(), request("POST /Xy HTTP/1.1", "Content-Type: application/json",
                                  body=b'{"value": {"x": "abc"}}'))
    assert r.status == 400
    assert r.text.startswith('cannot recover request "/Xy" (cannot decode')
    r, _ = refused(api(), request("POST /Xy HTTP/1.1", "Content-Type: application/json",
                                  body=b"not json"))
    assert r.text.startswith('cannot recover request "/Xy" (cannot decode (')


def test_body_of_another_content_type_is_400():
    r, _ = refused(api(), request("POST /Xy HTTP/1.1", "Content-Type: text/csv", body=b"1,2"))
    assert r.status == 400
    assert r.text == ('cannot recover request "/Xy" (unexpected content type "text/csv" for '
                      'HTTP request "Xy")')


def test_bad_value_is_400_no_conversion():
    r, reply = refused(api(), request("GET /Xy?x=abc HTTP/1.1"))
    assert (r.status, r.reason) == (400, "Bad Request")
    assert r.headers["content-type"] == "text/plain; charset=utf-8"
    assert r.text.startswith('cannot recover request "/Xy?x=abc" (no conversion for "x" (')
    assert isinstance(reply.error, BadRequest) and not reply.error.rejection


def test_unknown_key_is_400():
    r, _ = refused(api(), request("GET /Xy?z=1 HTTP/1.1"))
    assert r.text == 'cannot recover request "/Xy?z=1" (unknown key "z" in "Xy" query)'


def test_pair_without_equals_is_400():
    r, _ = refused(api(), request("GET /Xy?x HTTP/1.1"))
    assert r.text == 'cannot recover request "/Xy?x" (unexpected field "x" query)'


@pytest.mark.parametrize("uri", ["/", "*"])
def test_uri_must_start_with_slash_and_have_two_characters(uri):
    r, _ = refused(api(), request(f"OPTIONS {uri} HTTP/1.1"))
    assert r.text == f'cannot recover request "{uri}" (unexpected request URI "{uri}")'


def test_decode_failure_keeps_the_connection_open(rejected_count):
    connection = api()
    _, reply = refused(connection, request("GET /Xy?x=abc HTTP/1.1"))
    assert not reply.close and not connection.closed
    m = delivered(connection, request("GET /Xy?x=2 HTTP/1.1"))
    assert m.x == 2
    assert rejected_count() == 0


def test_unknown_name_is_404_by_default():
    r, reply = refused(api(), request("GET /Nope HTTP/1.1"))
    assert (r.status, r.reason) == (404, "Not Found")
    assert r.text == 'cannot recover request "/Nope" (unknown message "Nope")'
    assert isinstance(reply.error, NotFound) and not reply.close


def test_unknown_name_is_an_http_request_when_defaulting_to_requests():
    connection = api(default_to_request=True)
    m = delivered(connection, request("GET /Nope HTTP/1.1", "X-Custom-Header: Value"))
    assert type(m) is lc.HttpRequest
    assert (m.method, m.request_uri, m.http, m.body) == ("GET", "/Nope", "HTTP/1.1", None)
    assert m.header == {"Host": "test", "X-Custom-Header": "Value"}  # case kept
    m = delivered(api(default_to_request=True), request("PUT /a/b?c=d HTTP/1.1", body=b"raw"))
    assert (m.method, m.request_uri, m.body) == ("PUT", "/a/b?c=d", bytearray(b"raw"))


def test_repeated_headers_are_joined():
    m = delivered(api(default_to_request=True),
                  request("GET /Nope HTTP/1.1", "Accept: a", "Accept: b"))
    assert m.header["Accept"] == "a, b"


def test_uri_form_delivers_form_requests_and_refuses_the_rest():
    form = lc.ReForm("/{resource}(/{identity})?", resource=r"\w+", identity=r"[0-9]+")
    connection = HttpServerConnection(None, form, False, None)
    m = delivered(connection, request("GET /customer/12 HTTP/1.1"))
    assert type(m) is lc.FormRequest
    assert (m.method, m.request, m.form_entry) == ("GET", "/customer/12",
                                                  {"identity": "12", "resource": "customer"})
    connection.respond(lc.Ack())
    m = delivered(connection, request("POST /customer HTTP/1.1", body=b"{}"))
    assert m.form_entry == {"identity": None, "resource": "customer"}
    assert m.body == bytearray(b"{}")
    connection.respond(lc.Ack())
    r, _ = refused(connection, request("GET /customer/abc HTTP/1.1"))
    assert r.status == 400
    assert r.text == 'cannot recover request "/customer/abc" (request URI does not match form)'
    r, _ = refused(connection, request("GET /customer?x=1 HTTP/1.1"))  # the query too
    assert r.status == 400


# Message -> response (§6.2) ----------------------------------------------------------------


def answer(value: object, line: str = "GET /Xy HTTP/1.1", **kv: object) -> tuple[Response, bool]:
    connection = api(**kv)
    delivered(connection, request(line))
    data, close = connection.respond(value)
    return Response(data), close


def test_every_response_has_date_server_length_and_type():
    r, close = answer(lc.Ack())
    assert not close
    assert r.lines[:4] == [f"Date: {r.headers['date']}", f"Server: {API_SERVER}",
                           f"Content-Length: {len(r.body)}", "Content-Type: application/json"]
    assert email.utils.parsedate_to_datetime(r.headers["date"]).tzinfo is not None
    assert r.headers["date"].endswith(" GMT")


def test_rest_server_names_itself_rest():
    form = lc.ReForm("/{resource}", resource=r"\w+")
    connection = HttpServerConnection(None, form, False)
    delivered(connection, request("GET /x HTTP/1.1"))
    assert Response(connection.respond(lc.Ack())[0]).headers["server"] == REST_SERVER


def test_a_message_is_200_with_its_any_json_pretty_printed():
    r, _ = answer(lc.cast_to([[0.5, 0.25], [1.0, 2.0]], TABLE))
    assert (r.status, r.reason) == (200, "OK")
    assert r.headers["content-type"] == "application/json"
    assert json.loads(r.body)["value"][0] == "vector<vector<float8>>"
    assert r.value() == [[0.5, 0.25], [1.0, 2.0]]
    assert b'\n    "value"' in r.body


def test_http_response_without_body_has_length_zero():
    r, _ = answer(lc.HttpResponse(status_code=204, reason_phrase="No Content"))
    assert (r.status, r.reason, r.body) == (204, "No Content", b"")
    assert r.headers["content-length"] == "0" and "content-type" not in r.headers


def test_http_response_text_body_is_utf8_plain():
    r, _ = answer(lc.HttpResponse(body="héllo"))
    assert r.headers["content-type"] == "text/plain; charset=utf-8"
    assert r.body == "héllo".encode()


def test_http_response_raw_body_needs_a_content_type():
    r, _ = answer(lc.HttpResponse(body=bytearray(b"\x00\x01")))
    assert (r.status, r.text) == (500, 'Custom response but "Content-Type" not specified')
    r, _ = answer(lc.HttpResponse(header={"Content-Type": "image/png"}, body=bytearray(b"\x89P")))
    assert (r.status, r.body, r.headers["content-type"]) == (200, b"\x89P", "image/png")


def test_http_response_message_body_is_json_and_headers_follow_ours():
    r, _ = answer(lc.HttpResponse(status_code=201, reason_phrase="Created",
                                  header={"Location": "/customer/1"}, body=lc.Ack()))
    assert (r.status, r.reason) == (201, "Created")
    assert r.lines[-1] == "Location: /customer/1"
    assert isinstance(r.value(), lc.Ack)


def test_http_response_cannot_inject_headers():
    r, _ = answer(lc.HttpResponse(header={"X": "a\r\nSet-Cookie: b"}, body="x"))
    assert r.status == 500 and "Set-Cookie" not in r.headers


@pytest.mark.parametrize("fault", [lc.Busy("slow"), lc.Overloaded("full"),
                                   lc.TemporarilyUnavailable("none"), lc.OutOfService("off")])
def test_refusals_without_error_code_are_503(fault):
    r, _ = answer(fault)
    assert (r.status, r.reason) == (503, "Service Unavailable")
    assert type(r.value()) is type(fault)


def test_timed_out_without_error_code_is_504():
    r, _ = answer(lc.TimedOut(lc.T1))
    assert (r.status, r.reason) == (504, "Gateway Timeout")
    assert isinstance(r.value(), lc.TimedOut)


@pytest.mark.parametrize(("code", "status", "reason"), [
    (None, 500, "Server Error"), (150, 150, "Information"), (250, 250, "OK"),
    (302, 302, "Multiple Choices"), (404, 404, "Client Error"), (503, 503, "Server Error"),
    (600, 500, "Server Error"), (42, 500, "Server Error"),
])
def test_other_faults_take_their_error_code(code, status, reason):
    r, _ = answer(lc.Faulted("bad", "worse", error_code=code))
    assert (r.status, r.reason) == (status, reason)
    assert str(r.value()) == "bad (worse)"


def test_busy_with_an_error_code_uses_it():
    fault = lc.Busy("slow")
    fault.error_code = 429
    r, _ = answer(fault)
    assert (r.status, r.reason) == (429, "Client Error")


def test_head_response_has_no_body_but_keeps_the_length():
    r, _ = answer(lc.HttpResponse(body="twelve chars"), line="HEAD /Xy HTTP/1.1")
    assert r.body == b"" and r.headers["content-length"] == "12"


def test_respond_without_a_request_in_flight_is_a_local_error():
    with pytest.raises(LocalHttpError):
        api().respond(lc.Ack())


def test_unanswered_request_gets_504_naming_the_message_and_closes():
    connection = api()
    delivered(connection, request("GET /Xy?x=2 HTTP/1.1"))
    assert connection.awaiting == "Xy"
    before = COUNTERS["http_unanswered"]
    data, close = connection.unanswered(60.0)
    r = Response(data)
    assert (r.status, r.reason, close) == (504, "Gateway Timeout", True)
    assert r.text == 'no response to "Xy" within 60 seconds'
    assert COUNTERS["http_unanswered"] == before + 1
    assert connection.awaiting is None
    with pytest.raises(LocalHttpError):
        connection.respond(lc.Ack())  # too late


# Connections (§6.3) ------------------------------------------------------------------------


def test_keep_alive_serves_requests_one_after_another():
    connection = api()
    for x in (1, 2, 3):
        assert delivered(connection, request(f"GET /Xy?x={x} HTTP/1.1")).x == x
        data, close = connection.respond(lc.cast_to(x, lc.int_type))
        assert not close and Response(data).value() == x
        assert connection.next_events() == []


def test_pipelined_requests_are_delivered_one_at_a_time_in_order():
    connection = api()
    data = b"".join(request(f"GET /Xy?x={x} HTTP/1.1") for x in (1, 2, 3))
    events = connection.receive_data(data)
    assert [e.message.x for e in events] == [1]
    written = []
    for x in (1, 2, 3):
        out, _ = connection.respond(lc.cast_to(x * 10, lc.int_type))
        written.append(out)
        events = connection.next_events()
        if x < 3:
            assert [e.message.x for e in events] == [x + 1]
        else:
            assert events == []
    assert [r.value() for r in responses(b"".join(written))] == [10, 20, 30]


def test_a_server_made_answer_waits_behind_the_request_in_flight():
    connection = api()
    events = connection.receive_data(request("GET /Xy?x=1 HTTP/1.1") + request("GET /Nope HTTP/1.1")
                                     + request("GET /Xy?x=3 HTTP/1.1"))
    assert len(events) == 1 and isinstance(events[0], Deliver)
    first, _ = connection.respond(lc.Ack())
    events = connection.next_events()
    assert [type(e) for e in events] == [Reply, Deliver]
    assert Response(events[0].data).status == 404 and events[1].message.x == 3
    assert Response(first).status == 200


def test_connection_close_closes_after_the_response_and_ignores_what_follows():
    connection = api()
    data = request("GET /Xy?x=1 HTTP/1.1", "Connection: close") + request("GET /Xy?x=2 HTTP/1.1")
    events = connection.receive_data(data)
    assert len(events) == 1
    _, close = connection.respond(lc.Ack())
    assert close and connection.closed
    assert connection.next_events() == []
    assert connection.receive_data(request("GET /Xy HTTP/1.1")) == []


def test_connection_close_is_case_insensitive_and_applies_to_server_answers():
    connection = api()
    r, reply = refused(connection, request("GET /Nope HTTP/1.1", "CONNECTION: Close"))
    assert r.status == 404 and reply.close and connection.closed


def test_http_1_0_without_keep_alive_closes():
    connection = api()
    delivered(connection, b"GET /Xy HTTP/1.0\r\n\r\n")
    assert connection.respond(lc.Ack())[1] is True


def test_end_of_input_when_idle_closes():
    connection = api()
    assert [type(e) for e in connection.receive_data(b"")] == [Close]
    assert connection.closed


def test_end_of_input_with_a_request_in_flight_closes_after_its_answer():
    connection = api()
    delivered(connection, request("GET /Xy HTTP/1.1"))
    assert connection.receive_data(b"") == []
    assert connection.respond(lc.Ack())[1] is True


def test_end_of_input_with_pipelined_requests_answers_them_all_first():
    connection = api()
    connection.receive_data(request("GET /Xy?x=1 HTTP/1.1") + request("GET /Xy?x=2 HTTP/1.1"))
    assert connection.receive_data(b"") == []
    assert connection.respond(lc.Ack())[1] is False
    assert [e.message.x for e in connection.next_events()] == [2]
    assert connection.respond(lc.Ack())[1] is True


def test_a_request_arriving_byte_by_byte_is_delivered_once():
    connection = api()
    data = request("POST /Xy HTTP/1.1", "Content-Type: application/json",
                   body=b'{"value": {"x": 5, "y": 6}}')
    events = []
    for i in range(len(data)):
        events += connection.receive_data(data[i:i + 1])
    assert len(events) == 1 and (events[0].message.x, events[0].message.y) == (5, 6)


def test_expect_continue_gets_100_before_the_body():
    connection = api()
    body = b"x=9"
    head = request("POST /Xy HTTP/1.1", "Content-Type: application/x-www-form-urlencoded",
                   "Expect: 100-continue", f"Content-Length: {len(body)}")
    events = connection.receive_data(head)
    assert len(events) == 1 and events[0].data == b"HTTP/1.1 100 Continue\r\n\r\n"
    assert not events[0].close
    assert delivered(connection, body).x == 9


def test_upgrade_requests_are_answered_then_closed():
    connection = api()
    events = connection.receive_data(
        request("GET /Xy HTTP/1.1", "Upgrade: websocket", "Connection: upgrade") + b"\x81\x00")
    assert len(events) == 1 and isinstance(events[0], Deliver)
    assert connection.respond(lc.Ack())[1] is True


# Limits and safety (§6.4) ------------------------------------------------------------------


def check_rejection(data: bytes, error: type, status: int, reason: str, rejected_count,
                    text: str | None = None) -> Response:
    connection = api()
    r, reply = refused(connection, data)
    assert (r.status, r.reason) == (status, reason)
    assert reply.close and connection.closed and isinstance(reply.error, error)
    assert reply.error.rejection and r.text == str(reply.error)
    assert r.headers["content-type"] == "text/plain; charset=utf-8"
    if text is not None:
        assert r.text == text
    assert rejected_count() == 1
    assert connection.receive_data(request("GET /Xy HTTP/1.1")) == []
    return r


def test_method_over_ten_characters_is_400(rejected_count):
    check_rejection(request("UNSUBSCRIBE /Xy HTTP/1.1"), MalformedRequest, 400, "Bad Request",
                    rejected_count, "cannot recover request (method longer than 10 characters)")


def test_uri_over_8000_characters_is_414(rejected_count):
    uri = "/Xy?" + "&" * (MAX_URI - 3)
    check_rejection(request(f"GET {uri} HTTP/1.1"), UriTooLong, 414, "URI Too Long",
                    rejected_count,
                    "cannot recover request (request URI longer than 8000 characters)")


def test_uri_of_8000_characters_is_accepted():
    uri = "/Xy?" + "&" * (MAX_URI - 4)
    assert len(uri) == MAX_URI
    assert type(delivered(api(), request(f"GET {uri} HTTP/1.1"))) is Xy


def test_uri_arriving_in_pieces_is_measured_whole(rejected_count):
    connection = api()
    data = request("GET /Xy?" + "&" * MAX_URI + " HTTP/1.1")
    events = []
    for i in range(0, len(data), 1000):
        events += connection.receive_data(data[i:i + 1000])
    assert len(events) == 1 and Response(events[0].data).status == 414


def test_header_name_over_128_characters_is_431(rejected_count):
    name = "X" * (MAX_HEADER_NAME + 1)
    check_rejection(request("GET /Xy HTTP/1.1", f"{name}: 1"), HeaderTooLarge, 431,
                    "Request Header Fields Too Large", rejected_count,
                    'cannot recover request "/Xy" (header name longer than 128 characters)')


def test_header_value_over_1024_characters_is_431(rejected_count):
    value = "v" * (MAX_HEADER_VALUE + 1)
    check_rejection(request("GET /Xy HTTP/1.1", f"X-Big: {value}"), HeaderTooLarge, 431,
                    "Request Header Fields Too Large", rejected_count,
                    'cannot recover request "/Xy" (header "X-Big" longer than 1024 characters)')


def test_headers_at_their_limits_are_accepted():
    m = delivered(api(default_to_request=True),
                  request("GET /H HTTP/1.1", f"{'N' * MAX_HEADER_NAME}: {'v' * MAX_HEADER_VALUE}"))
    assert m.header["N" * MAX_HEADER_NAME] == "v" * MAX_HEADER_VALUE


def test_header_section_over_its_limit_is_431(rejected_count):
    connection = api()
    events = connection.receive_data(b"GET /Xy HTTP/1.1\r\n")
    line = b"X-Many: " + b"m" * 1000 + b"\r\n"
    while not events:
        events = connection.receive_data(line * 8)
    assert len(events) == 1 and events[0].close
    assert Response(events[0].data).status == 431
    assert isinstance(events[0].error, HeaderTooLarge)
    assert str(MAX_HEADER_SECTION) in events[0].error.reason
    assert rejected_count() == 1


def test_declared_body_over_256_kib_is_413_before_it_arrives(rejected_count):
    head = (b"POST /Xy HTTP/1.1\r\nContent-Type: application/json\r\n"
            b"Content-Length: %d\r\n\r\n" % (300 * 1024))
    check_rejection(head, PayloadTooLarge, 413, "Payload Too Large", rejected_count,
                    'cannot recover request "/Xy" (body of 307200 bytes, more than 262144)')


def test_chunked_body_over_256_kib_is_413(rejected_count):
    chunk = b"%x\r\n%s\r\n" % (64 * 1024, b"a" * 64 * 1024)
    data = (b"POST /Xy HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n" + chunk * 5
            + b"0\r\n\r\n")
    check_rejection(data, PayloadTooLarge, 413, "Payload Too Large", rejected_count)


def test_body_of_exactly_256_kib_is_accepted():
    body = b"&" * MAX_BODY
    m = delivered(api(), request("POST /Xy HTTP/1.1",
                                 "Content-Type: application/x-www-form-urlencoded", body=body))
    assert type(m) is Xy


@pytest.mark.parametrize("data", [
    b"GET /Xy HTTP/1.1\r\nX-Bad: a\x01b\r\n\r\n",
    b"GET /Xy HTTP/1.1\r\nX-Bad: a\x7fb\r\n\r\n",
    b"GET /X\x01y HTTP/1.1\r\n\r\n",
    b"GET /X\xffy HTTP/1.1\r\n\r\n",
])
def test_non_printable_bytes_are_400(data, rejected_count):
    check_rejection(data, MalformedRequest, 400, "Bad Request", rejected_count)


def test_non_printable_check_is_ours_where_the_parser_allows_the_byte(rejected_count):
    connection = api()
    connection.on_message_begin()
    with pytest.raises(NonPrintableRequest):
        connection.on_header(b"X-Tab", b"a\x0bb")


@pytest.mark.parametrize("data", [
    b"GARBAGE\r\n\r\n", b"\x00\x01\x02\r\n\r\n", b"GET\r\n\r\n", b"GET /Xy HTTP/9\r\n\r\n",
    b"GET /Xy HTTP/1.1\r\nno colon\r\n\r\n", b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03",
])
def test_garbage_is_400_and_close(data, rejected_count):
    check_rejection(data, MalformedRequest, 400, "Bad Request", rejected_count)


def test_a_rejection_waits_behind_the_request_in_flight(rejected_count):
    connection = api()
    events = connection.receive_data(request("GET /Xy?x=1 HTTP/1.1") + b"GARBAGE\r\n\r\n")
    assert len(events) == 1 and isinstance(events[0], Deliver)
    assert rejected_count() == 1
    assert connection.respond(lc.Ack())[1] is False
    events = connection.next_events()
    assert len(events) == 1 and events[0].close and Response(events[0].data).status == 400


# Fuzzing -----------------------------------------------------------------------------------

VALID = [
    request("GET /Xy?x=2&y=3 HTTP/1.1"),
    request("POST /Xy HTTP/1.1", "Content-Type: application/json", body=b'{"value": {"x": 1}}'),
    request("POST /Person HTTP/1.1", "Content-Type: application/x-www-form-urlencoded",
            body=b"name=a&tags=%5B%5D"),
]


def assert_well_behaved(events: list) -> None:
    """Every event is well formed; nothing follows a closing reply."""
    for i, event in enumerate(events):
        assert isinstance(event, Deliver | Reply | Close)
        if isinstance(event, Reply):
            r = Response(event.data)
            if event.error is not None:
                assert r.status >= 400 and isinstance(event.error, RemoteHttpError)
                assert event.close == event.error.rejection or not event.error.rejection
        if isinstance(event, Close) or (isinstance(event, Reply) and event.close):
            assert i == len(events) - 1


@settings(max_examples=300, deadline=None)
@given(first=st.binary(min_size=1, max_size=1).filter(
           lambda b: not b"A" <= b <= b"Z" and b not in b"\r\n"),  # empty lines may lead
       rest=st.binary(max_size=200))
def test_garbage_request_lines_always_get_a_400_and_close(first, rest):
    connection = api()
    events = connection.receive_data(first + rest + b"\r\n\r\n")
    assert len(events) == 1 and isinstance(events[0], Reply) and events[0].close
    assert Response(events[0].data).status == 400


@settings(max_examples=300, deadline=None)
@given(data=st.binary(max_size=400), cuts=st.lists(st.integers(0, 400), max_size=6))
def test_arbitrary_bytes_in_arbitrary_reads_never_raise(data, cuts):
    connection = api(default_to_request=True)
    events = []
    previous = 0
    for cut in [*sorted(cuts), len(data)]:
        events += connection.receive_data(data[previous:cut])
        previous = max(previous, cut)
    events += connection.receive_data(b"")
    assert_well_behaved(events)


@settings(max_examples=300, deadline=None)
@given(which=st.integers(0, len(VALID) - 1), flips=st.lists(
    st.tuples(st.integers(0, 10_000), st.integers(0, 255)), min_size=1, max_size=4))
def test_mutated_requests_are_delivered_or_refused_never_raise(which, flips):
    data = bytearray(VALID[which])
    for position, byte in flips:
        data[position % len(data)] = byte
    connection = api()
    events = connection.receive_data(bytes(data))
    assert_well_behaved(events)
    while events and isinstance(events[-1], Deliver):
        connection.respond(lc.Ack())
        events = connection.next_events()
        assert_well_behaved(events)


@settings(max_examples=300, deadline=None)
@given(query=st.text(max_size=60))
def test_any_query_text_is_a_message_or_a_400(query):
    from urllib.parse import quote

    connection = api()
    events = connection.receive_data(request(f"GET /Person?{quote(query, safe='=&+%')} HTTP/1.1"))
    assert len(events) == 1
    if isinstance(events[0], Reply):
        assert Response(events[0].data).status == 400 and not events[0].close
    else:
        assert type(events[0].message) is Person


# Resource limits (issue 10; docs/security.md "HTTP limits") ----------------------------------


def limited(**kv: object) -> HttpServerConnection:
    return HttpServerConnection([Xy, Person], None, False, limits=HttpLimits(**kv))


def test_pipelined_requests_stop_being_parsed_when_the_queue_is_full():
    connection = limited(max_pipelined=3)
    data = b"".join(request(f"GET /Xy?x={i} HTTP/1.1") for i in range(50))
    (event,) = connection.receive_data(data)
    assert event.message.x == 0
    assert connection.waiting == 2  # three unanswered, the one in flight included
    assert not connection.wants_input
    assert connection.unread == len(data) - 3 * len(request("GET /Xy?x=0 HTTP/1.1"))
    for i in range(1, 50):
        connection.respond(None)
        (event,) = connection.next_events() + connection.pump()
        assert event.message.x == i  # in order, none lost
        assert connection.waiting <= 2
    connection.respond(None)
    assert connection.unread == 0 and connection.wants_input


def test_queued_body_bytes_are_bounded_too():
    body = b"name=" + b"a" * 5000
    one = request("POST /Person HTTP/1.1", "Content-Type: application/x-www-form-urlencoded",
                  body=body)
    connection = limited(max_pipelined=100, max_queued_bytes=12_000)
    events = connection.receive_data(one * 10)
    assert len(events) == 1 and isinstance(events[0], Deliver)
    assert connection.waiting == 3  # 3 x 5 KB queued reach the 12 KB bound
    assert not connection.wants_input and connection.unread > 0


def test_server_made_answers_to_a_flood_come_in_bounded_batches():
    connection = limited()
    data = request("GET /nothing HTTP/1.1") * 5000
    events = connection.receive_data(data)
    first = sum(len(e.data) for e in events)
    assert all(isinstance(e, Reply) for e in events) and 0 < len(events) < 5000
    assert first < 2 * 64 * 1024
    total = len(events)
    while connection.has_unread:
        more = connection.pump()
        assert more
        total += len(more)
    assert total == 5000


def test_end_of_input_behind_unread_requests_waits_for_them():
    connection = limited(max_pipelined=1)
    connection.receive_data(request("GET /Xy?x=1 HTTP/1.1") + request("GET /Xy?x=2 HTTP/1.1"))
    assert connection.receive_data(b"") == []
    connection.respond(None)
    (event,) = connection.next_events() + connection.pump()
    assert event.message.x == 2
    data, close = connection.respond(None)
    assert close and Response(data).status == 200


def test_a_request_not_complete_in_time_is_408_and_close(rejected_count):
    connection = limited()
    assert connection.receive_data(b"GET /Xy?x=1 HTTP/1.1\r\nHost: a\r\n") == []
    assert connection.receiving
    (event,) = connection.expire_request(0.5)
    r = Response(event.data)
    assert (r.status, r.reason) == (408, "Request Timeout") and event.close
    assert r.text == 'cannot recover request "/Xy?x=1" (request not complete within 0.5 seconds)'
    assert rejected_count() == 1


def test_a_timed_out_request_is_refused_after_the_answers_owed():
    connection = limited()
    (event,) = connection.receive_data(request("GET /Xy?x=1 HTTP/1.1") + b"GET /Xy?x=2 HT")
    assert connection.expire_request(1) == []  # the answer to x=1 goes first
    data, close = connection.respond(None)
    assert Response(data).status == 200 and not close
    (event,) = connection.next_events()
    assert Response(event.data).status == 408 and event.close


def test_a_request_line_without_a_version_is_400():
    connection = api()
    r, event = refused(connection, b"GET /x\r\n\r\n")
    assert r.status == 400
    assert r.text == 'cannot recover request "/x" (no HTTP version in request line)'
    assert event.close


def test_a_response_over_the_cap_becomes_a_500_that_says_so():
    connection = limited(max_response=500)
    delivered(connection, request("GET /Xy HTTP/1.1"))
    data, close = connection.respond(lc.HttpResponse(body="x" * 1000))
    r = Response(data)
    assert (r.status, r.reason) == (500, "Server Error") and not close
    assert r.text.endswith('bytes to "Xy" is over the limit of 500 bytes')
    assert connection.refused_response == r.text
    delivered(connection, request("GET /Xy HTTP/1.1"))
    data, _ = connection.respond(lc.HttpResponse(body="small"))
    assert Response(data).text == "small" and connection.refused_response is None


def test_a_refused_connection_gets_a_503_with_the_reason(rejected_count):
    connection = limited()
    r = Response(connection.refuse_connection("2 connections open, none idle"))
    assert (r.status, r.text) == (503, "cannot accept connection (2 connections open, none idle)")
    assert connection.closed and rejected_count() == 1


def test_limits_come_from_the_environment():
    limits = HttpLimits.from_environment(
        {"LC_HTTP_IDLE_CLOSE": "5", "LC_HTTP_MAX_PIPELINED": "2", "LC_HTTP_MAX_RESPONSE": "none"})
    assert (limits.idle_close, limits.max_pipelined, limits.max_response) == (5.0, 2, None)
    assert limits.header_timeout == HttpLimits().header_timeout
    with pytest.raises(ValueError, match='LC_HTTP_IDLE_CLOSE="soon" is not a number'):
        HttpLimits.from_environment({"LC_HTTP_IDLE_CLOSE": "soon"})
    with pytest.raises(TypeError, match="unknown HTTP limit 'speed'"):
        HttpLimits().replace(speed=1)
    with pytest.raises(ValueError, match="idle_close must be a positive number of seconds"):
        HttpLimits(idle_close=0)
    with pytest.raises(ValueError, match="header_timeout must be a positive number of seconds"):
        HttpLimits.from_environment({"LC_HTTP_HEADER_TIMEOUT": "nan"})


def test_the_default_connection_cap_is_half_the_open_file_limit():
    import resource

    soft, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
    expected = 4096 if soft == resource.RLIM_INFINITY else max(8, min(soft // 2, 4096))
    assert HttpLimits().connection_cap() == expected
    assert HttpLimits(max_connections=10).connection_cap() == 10
