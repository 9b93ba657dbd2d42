"""REST dispatch (spec networking-and-http §7): ReForm, ResourceDispatch and the converters,
alone and driven through the sans-I/O HTTP server connection (acceptance 76, 77)."""

from __future__ import annotations

import json

import pytest

import layer_cake as lc
from layer_cake.net._http_server import Deliver, HttpServerConnection, Reply
from layer_cake.types._json import decode_json, encode_json


class Customer:
    """The REST demo's resource."""

    def __init__(self, name: str = "", age: int = 0) -> None:
        self.name = name
        self.age = age

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Customer) and (other.name, other.age) == (self.name, self.age)

    __hash__ = None  # type: ignore[assignment]


class Note:
    """A second resource for the spec's fresh example."""

    def __init__(self, text: str = "") -> None:
        self.text = text


lc.bind(Customer)
lc.bind(Note)

FORM = lc.ReForm("/{resource}(/{identity})?", resource=r"\w+", identity=r"[0-9]+")
PROXY = ("proxy",)


class Object:
    """Stands in for the object hosting the dispatch: records sends and warnings."""

    def __init__(self) -> None:
        self.return_address = PROXY
        self.sent: list[tuple[object, object]] = []
        self.warnings: list[str] = []

    def send(self, message: object, address: object) -> None:
        self.sent.append((message, address))

    def warning(self, *a: object) -> None:
        self.warnings.append(" ".join(str(x) for x in a))


def form_request(method: str, uri: str, body: bytes | None = None,
                 form: lc.ReForm = FORM, **header: str) -> lc.FormRequest:
    pattern, names = form.compile_form()
    match = pattern.fullmatch(uri)
    assert match is not None, uri
    return lc.FormRequest(method, uri, {n: match.group(n) for n in names}, "HTTP/1.1",
                          dict(header), bytearray(body) if body else None)


# ReForm ------------------------------------------------------------------------------------


def test_reform_fields_become_named_groups_and_names_are_sorted():
    pattern, names = FORM.compile_form()
    assert names == ["identity", "resource"]
    assert pattern.pattern == r"/(?P<resource>\w+)(/(?P<identity>[0-9]+))?"
    assert pattern.fullmatch("/customer/12").groupdict() == {"resource": "customer",
                                                             "identity": "12"}


def test_reform_without_a_pattern_cannot_compile():
    with pytest.raises(ValueError, match=r"^URI provided with no pattern$"):
        lc.ReForm(resource=r"\w+").compile_form()


def test_reform_with_a_bad_regex_says_it_does_not_compile():
    with pytest.raises(ValueError, match=r"^URI pattern does not compile, "):
        lc.ReForm("/{r}(", r="x").compile_form()


def test_reform_keeps_braces_that_are_not_entries():
    pattern, names = lc.ReForm("/a{2}/{n}", n=r"\d+").compile_form()
    assert names == ["n"] and pattern.fullmatch("/aa/7")


def test_reform_is_a_library_message_with_its_canonical_signature():
    text = encode_json(FORM)
    assert json.loads(text)["value"][0] == "layer_cake.point_runtime.ReForm"
    back = decode_json(text)
    assert (back.form, back.entry) == (FORM.form, FORM.entry)


def test_http_messages_have_canonical_signatures():
    for cls in (lc.HttpRequest, lc.HttpResponse, lc.FormRequest):
        assert lc.portable_to_signature(lc.def_type(cls)) == f"layer_cake.http.{cls.__name__}"
    assert lc.portable_to_signature(lc.def_type(lc.HttpMethod)) == "layer_cake.http.HttpMethod"
    assert [m.value for m in lc.HttpMethod] == list(range(1, 10))
    assert lc.HttpMethod.GET.value == 3 and lc.HttpMethod.PUT.value == 8


def test_http_request_travels_as_a_message():
    r = lc.HttpRequest("GET", "/x", header={"A": "b"}, body=bytearray(b"\x00\x01"))
    back = decode_json(encode_json(r))
    assert (back.method, back.request_uri, back.header, back.body) == (
        "GET", "/x", {"A": "b"}, bytearray(b"\x00\x01"))


# ResourceDispatch --------------------------------------------------------------------------


def test_dispatch_needs_a_resource_entry():
    with pytest.raises(ValueError, match=r'^form has no "resource" entry$'):
        lc.ResourceDispatch(lc.ReForm("/{thing}", thing=r"\w+"), [Note])


def test_registration_names_must_be_form_entries_or_special():
    rest = lc.ResourceDispatch(FORM, [Note])
    with pytest.raises(ValueError):
        rest.add(Note, lc.HttpMethod.GET, print, colour=int)
    with pytest.raises(ValueError):
        rest.add(Customer, lc.HttpMethod.GET, print)


def read_note(self, identity):
    return lc.cast_to(f"note {identity!r}", lc.str_type)


def list_notes(self):
    return lc.cast_to("all notes", lc.str_type)


def notes() -> lc.ResourceDispatch:
    rest = lc.ResourceDispatch(FORM, [Note])
    rest.add(Note, lc.HttpMethod.GET, read_note, identity=int)
    rest.add(Note, lc.HttpMethod.GET, list_notes)
    return rest


def test_get_with_an_identity_calls_the_function_with_the_converted_entry():
    f, kv = notes().lookup(form_request("GET", "/note/7"))
    assert (f, kv) == (read_note, {"identity": 7})


def test_get_without_an_identity_calls_the_listing():
    assert notes().lookup(form_request("GET", "/note")) == (list_notes, {})


def test_resource_names_match_case_insensitively():
    assert notes().lookup(form_request("GET", "/NoTe/3"))[1] == {"identity": 3}


def test_no_registration_for_the_combination_cannot_be_dispatched():
    r = form_request("DELETE", "/note")
    assert notes().lookup(r) == (lc.cannot_be_dispatched,
                                 {"request": r, "error": "no matching call signature"})


@pytest.mark.parametrize(("method", "uri"), [("GET", "/paper/1"), ("PROPFIND", "/note/1")])
def test_unknown_resource_or_method_is_unusable(method, uri):
    r = form_request(method, uri)
    assert notes().lookup(r) == (lc.cannot_be_dispatched,
                                 {"request": r, "error": "unusable resource, method or URI"})


def test_a_converter_failure_cannot_be_converted():
    form = lc.ReForm("/{resource}(/{identity})?", resource=r"\w+", identity=r"\w+")
    rest = lc.ResourceDispatch(form, [Note])
    rest.add(Note, lc.HttpMethod.GET, read_note, identity=int)
    r = form_request("GET", "/note/abc", form=form)
    f, kv = rest.lookup(r)
    assert f is lc.cannot_be_converted
    assert kv["conversion"] == "identity=abc" and "invalid literal" in kv["error"]
    response = f(Object(), **kv)
    assert (response.status_code, response.reason_phrase) == (400, "Bad Request")
    assert response.body.startswith('Cannot complete conversion "identity=abc" (invalid literal')


def test_a_none_converter_passes_the_text():
    rest = lc.ResourceDispatch(FORM, [Note])
    rest.add(Note, lc.HttpMethod.GET, read_note, identity=None)
    assert rest.lookup(form_request("GET", "/note/0042"))[1] == {"identity": "0042"}


def test_special_names_give_header_version_and_body():
    seen = {}

    def put(self, identity, header, http, body):
        seen.update(identity=identity, header=header, http=http, body=body)

    rest = lc.ResourceDispatch(FORM, [Note])
    rest.add(Note, lc.HttpMethod.PUT, put, identity=int, header=None, http=None,
             body=lc.decode_resource)
    body = encode_json(Note("hi"), lc.def_type(Note)).encode()
    f, kv = rest.lookup(form_request("PUT", "/note/1", body, **{"X-Key": "v"}))
    f(Object(), **kv)
    assert seen["identity"] == 1 and seen["header"] == {"X-Key": "v"}
    assert seen["http"] == "HTTP/1.1" and seen["body"].text == "hi"


def test_body_converter_gets_the_bytes_and_the_resource_type():
    calls = []

    def converter(body, portable):
        calls.append((bytes(body), portable))
        return "converted"

    rest = lc.ResourceDispatch(FORM, [Note])
    rest.add(Note, lc.HttpMethod.POST, lambda self, body: body, body=converter)
    assert rest.lookup(form_request("POST", "/note", b"{}"))[1] == {"body": "converted"}
    assert calls == [(b"{}", lc.def_type(Note))]
    assert isinstance(calls[0][1], lc.UserDefined) and calls[0][1].element is Note


def test_a_bad_body_cannot_be_converted():
    rest = lc.ResourceDispatch(FORM, [Note])
    rest.add(Note, lc.HttpMethod.POST, lambda self, body: body, body=lc.decode_resource)
    f, kv = rest.lookup(form_request("POST", "/note", b"{oops"))
    assert f is lc.cannot_be_converted and kv["conversion"] == "body=<5 bytes>"
    assert kv["error"].startswith("cannot decode (")


def test_decode_resource_of_no_body_is_none():
    assert lc.decode_resource(None, lc.def_type(Note)) is None
    assert lc.decode_resource(bytearray(), Note) is None


def test_decode_body_decodes_a_fixed_type():
    converter = lc.decode_body(list[int])
    assert converter(bytearray(b'{"value": [1, 2]}'), lc.def_type(Note)) == [1, 2]
    assert converter(None, lc.def_type(Note)) is None


def test_dispatch_sends_a_result_to_the_return_address():
    host = Object()
    result = notes()(host, form_request("GET", "/note/7"))
    assert host.sent == [(result, PROXY)]
    assert lc.cast_back(result)[0] == "note 7"


def test_dispatch_sends_nothing_for_none():
    rest = lc.ResourceDispatch(FORM, [Note])
    rest.add(Note, lc.HttpMethod.DELETE, lambda self: None)
    host = Object()
    assert rest(host, form_request("DELETE", "/note")) is None
    assert host.sent == []


def test_cannot_be_dispatched_warns_and_answers_400():
    host = Object()
    notes()(host, form_request("PATCH", "/note"))
    [(response, address)] = host.sent
    text = 'Cannot map request [PATCH] "/note" (no matching call signature)'
    assert (response.status_code, response.reason_phrase, response.body) == (400, "Bad Request",
                                                                             text)
    assert address == PROXY and host.warnings == [text]


# The Customer REST example, through the HTTP server connection (acceptance 76) ---------------


class CustomerStore:
    """The demo's handlers over a dict of customers."""

    def __init__(self) -> None:
        self.customers: dict[int, Customer] = {}
        self.next_id = 1
        rest = lc.ResourceDispatch(FORM, [Customer])
        rest.add(Customer, lc.HttpMethod.POST, self.create, body=lc.decode_resource)
        rest.add(Customer, lc.HttpMethod.GET, self.read_all)
        rest.add(Customer, lc.HttpMethod.GET, self.read, identity=int)
        rest.add(Customer, lc.HttpMethod.PUT, self.update, identity=int, body=lc.decode_resource)
        rest.add(Customer, lc.HttpMethod.DELETE, self.delete, identity=int)
        self.rest = rest

    def create(self, host, body):
        self.customers[self.next_id] = body
        self.next_id += 1
        return lc.HttpResponse(status_code=201, reason_phrase="Created")

    def read_all(self, host):
        return lc.cast_to(self.customers, dict[int, Customer])

    def read(self, host, identity):
        customer = self.customers.get(identity)
        if customer is None:
            return lc.HttpResponse(status_code=404, reason_phrase="Not Found")
        return customer

    def update(self, host, identity, body):
        if identity not in self.customers:
            return lc.HttpResponse(status_code=404, reason_phrase="Not Found")
        self.customers[identity] = body
        return lc.HttpResponse(status_code=200, reason_phrase="OK")

    def delete(self, host, identity):
        if self.customers.pop(identity, None) is None:
            return lc.HttpResponse(status_code=404, reason_phrase="Not Found")
        return lc.HttpResponse(status_code=200, reason_phrase="OK")


class RestServer:
    """One connection of a ``uri_form`` listen, with the controller's dispatch inline."""

    def __init__(self) -> None:
        self.connection = HttpServerConnection(None, FORM, False)
        self.store = CustomerStore()
        self.host = Object()

    def exchange(self, method: str, uri: str, body: object = None) -> tuple[int, str, bytes]:
        # A JSON body is the shipment of the class itself, as the HTTP client sends it.
        payload = encode_json(body, lc.def_type(Customer)).encode() if body is not None else b""
        head = f"{method} {uri} HTTP/1.1\r\nHost: t\r\nContent-Length: {len(payload)}\r\n"
        events = self.connection.receive_data(head.encode() + b"\r\n" + payload)
        assert len(events) == 1
        if isinstance(events[0], Reply):
            data = events[0].data
        else:
            assert isinstance(events[0], Deliver)
            self.store.rest(self.host, events[0].message)
            [(value, address)] = self.host.sent
            self.host.sent.clear()
            assert address == PROXY
            data, close = self.connection.respond(value)
            assert not close
        head, _, content = data.partition(b"\r\n\r\n")
        status_line = head.split(b"\r\n")[0].decode()
        _, code, reason = status_line.split(" ", 2)
        return int(code), reason, content


def test_customer_rest_example_end_to_end():
    server = RestServer()
    assert server.exchange("POST", "/customer", Customer("Ada", 36))[:2] == (201, "Created")
    assert server.exchange("POST", "/customer", Customer("Alan", 41))[:2] == (201, "Created")

    status, reason, content = server.exchange("GET", "/customer/1")
    assert (status, reason) == (200, "OK") and decode_json(content) == Customer("Ada", 36)

    status, _, content = server.exchange("GET", "/customer")
    listing = json.loads(content)["value"]
    assert listing[0] == f"map<integer8,{Customer.__module__}.Customer>"
    assert listing[1] == [[1, {"age": 36, "name": "Ada"}], [2, {"age": 41, "name": "Alan"}]]

    assert server.exchange("GET", "/customer/99")[:2] == (404, "Not Found")
    assert server.exchange("PUT", "/customer/2", Customer("Alan", 42))[:2] == (200, "OK")
    assert decode_json(server.exchange("GET", "/customer/2")[2]) == Customer("Alan", 42)
    assert server.exchange("DELETE", "/customer/1")[:2] == (200, "OK")
    assert server.exchange("GET", "/customer/1")[:2] == (404, "Not Found")

    status, _, content = server.exchange("GET", "/customer/abc")
    assert status == 400
    assert content == b'cannot recover request "/customer/abc" (request URI does not match form)'

    status, _, content = server.exchange("PATCH", "/customer")
    assert status == 400
    assert content == b'Cannot map request [PATCH] "/customer" (no matching call signature)'
    assert server.host.warnings == [content.decode()]
