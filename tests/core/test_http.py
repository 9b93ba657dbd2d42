"""The HTTP front end to end (networking-and-http §6-§8; acceptance 58, 67-76).

The example servers of ``examples/multithreading`` run as real subprocesses (``sys.executable``,
our sources on ``PYTHONPATH``, this test's loop and build choice inherited) on a port picked by
binding port 0 first; a test waits until the port accepts connections, never for a fixed time,
and kills every process it started, by PID, in a ``finally``. Requests go over real sockets:
``http.client`` where a plain exchange is enough, a raw socket where the bytes on the wire
matter (pipelining, malformed requests, early closes). Where the application side must be
controlled (a spool that refuses, an application that never answers) the server runs in this
process, created from the test's channel.
"""

from __future__ import annotations

import http.client
import json
import os
import random
import re
import select
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from http_wire import Response, get, raw
from runtime_support import PATIENCE, Counters, wait_for, wait_returned

import layer_cake as lc

SRC = Path(lc.__file__).resolve().parent.parent
EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "multithreading"
LOOPBACK = "127.0.0.1"
TABLE_SIGNATURE = "vector<vector<float8>>"
#: How long a server process may take to start answering (an interpreter start and an import).
STARTUP = 30.0

# Messages ----------------------------------------------------------------------------------------


class Xy:
    """The examples' request, declared here rather than imported: ``test_types_golden.py``
    registers a stand-in under the examples' signature ``test_api.Xy``, and in one process the
    second class bound under a signature silently takes the first one's type. The servers
    match requests by class name only, so this one is understood by them all."""

    def __init__(self, x: int = 1, y: int = 1) -> None:
        self.x = x
        self.y = y


lc.bind(Xy)

table_type = lc.def_type(list[list[float]])


def texture(x: int, y: int) -> list[list[float]]:
    return [[random.random() for _ in range(x)] for _ in range(y)]

# Processes ---------------------------------------------------------------------------------------


def environment() -> dict:
    """This environment (loop and build choice included) with our sources on the path."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(SRC), env.get("PYTHONPATH", "")) if p)
    return env


def free_port() -> int:
    """A port nobody listens on right now (bound at port 0, then released)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((LOOPBACK, 0))
        return s.getsockname()[1]


def address_argument(port: int) -> str:
    return "--server-address=" + json.dumps({"host": LOOPBACK, "port": port})


class Example:
    """One example script in its own interpreter; stdout and stderr go to files."""

    def __init__(self, tmp_path: Path, name: str, *args: str) -> None:
        self.name = name
        self.stdout_path = tmp_path / f"{name}.{id(self):x}.stdout"
        self.stderr_path = tmp_path / f"{name}.{id(self):x}.stderr"
        with self.stdout_path.open("wb") as out, self.stderr_path.open("wb") as err:
            self.proc = subprocess.Popen(
                [sys.executable, name, *args],
                cwd=EXAMPLES,
                env=environment(),
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=err,
            )

    def wait_for_port(self, port: int, seconds: float = STARTUP) -> None:
        """Return once ``port`` accepts a connection; fail if the process ends or time runs out."""
        deadline = time.monotonic() + seconds
        while True:
            if self.proc.poll() is not None:
                raise AssertionError(
                    f"{self.name} ended ({self.proc.returncode}): {self.stderr()!r}")
            try:
                with socket.create_connection((LOOPBACK, port), timeout=1.0):
                    return
            except OSError:
                if time.monotonic() > deadline:
                    raise AssertionError(
                        f"{self.name} not answering at {port} in {seconds} s") from None
                time.sleep(0.05)  # a poll interval, not a wait for an outcome

    def wait(self, seconds: float = PATIENCE) -> int:
        return self.proc.wait(timeout=seconds)

    def stdout(self) -> str:
        return self.stdout_path.read_text()

    def stderr(self) -> str:
        return self.stderr_path.read_text()

    def kill(self) -> None:
        """SIGKILL this process (by its PID) if it still runs, and reap it."""
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait(timeout=PATIENCE)


@contextmanager
def example_server(tmp_path: Path, name: str, *args: str) -> Iterator[int]:
    """Run an example server on a free port; its port while it runs, killed on the way out."""
    port = free_port()
    server = Example(tmp_path, name, address_argument(port), *args)
    try:
        server.wait_for_port(port)
        yield port
    finally:
        server.kill()


@pytest.fixture(scope="module")
def server_1(tmp_path_factory: pytest.TempPathFactory) -> Iterator[int]:
    """``test_server_1.py`` shared by the tests that only ask it questions: its port."""
    with example_server(tmp_path_factory.mktemp("server_1"), "test_server_1.py") as port:
        yield port


# Requests ----------------------------------------------------------------------------------------


def request(port: int, method: str, uri: str, body: bytes | None = None,
            header: dict[str, str] | None = None) -> Response:
    """One request on a fresh connection (``http.client``)."""
    c = http.client.HTTPConnection(LOOPBACK, port, timeout=PATIENCE)
    try:
        c.request(method, uri, body=body, headers=header or {})
        r = c.getresponse()
        body = r.read()
        return Response(r.status, r.reason, {k.lower(): v for k, v in r.getheaders()}, body)
    finally:
        c.close()


def assert_table(response: Response, x: int, y: int) -> None:
    assert response.status == 200, (response.status, response.body)
    signature, rows, _ = response.value()
    assert signature == TABLE_SIGNATURE
    assert len(rows) == y
    assert all(len(row) == x and all(isinstance(f, float) for f in row) for row in rows)


# In-process servers ------------------------------------------------------------------------------


def worker(self, seconds: float = 0.0, gate: object = None) -> None:
    """A spool worker that takes ``seconds`` per table, or waits for ``gate`` (an Event)."""
    while True:
        m = self.input()
        if isinstance(m, Xy):
            if gate is not None:
                gate.started.set()
                gate.release.wait(PATIENCE)
            time.sleep(seconds)
            self.send(lc.cast_to(texture(m.x, m.y), table_type), self.return_address)
        elif isinstance(m, lc.Stop):
            return lc.Aborted()


lc.bind(worker)


def relay(self, value: object, args: lc.Gas) -> None:
    self.send(lc.cast_to(value, self.returned_type), args.return_address)


def spool_front(self, worker_seconds: float = 0.0, gate: object = None, **spool: object) -> None:
    """An HTTP server on port 0 in front of an ``ObjectSpool`` of ``worker``; its ``Listening``
    goes to the parent (the test) so the test learns the port."""
    workers = self.create(lc.ObjectSpool, worker, seconds=worker_seconds, gate=gate, **spool)
    lid = lc.listen(self, lc.HostPort(LOOPBACK, 0), http_server=[Xy])
    m, _ = self.select(lc.Listening)
    self.send(m, self.parent_address)
    while True:
        m = self.input()
        if isinstance(m, Xy):
            job = self.create(lc.GetResponse, m, workers)
            self.on_return(job, relay, return_address=self.return_address)
        elif isinstance(m, lc.Returned):
            d = self.debrief()
            if isinstance(d, lc.OnReturned):
                d(self, m)
        elif isinstance(m, lc.Stop):
            lc.stop_listening(self, lid)
            self.select(lc.NotListening, seconds=PATIENCE)
            self.send(lc.Stop(), workers)
            while self.select(lc.Returned, seconds=PATIENCE)[1] == 0:
                if self.return_address == workers:
                    break
            return lc.Aborted()


lc.bind(spool_front)


class Gate:
    """Holds a worker until the test lets it go."""

    def __init__(self) -> None:
        self.started = threading.Event()
        self.release = threading.Event()


@contextmanager
def front(ch: lc.Channel, **settings: object) -> Iterator[int]:
    """A ``spool_front`` for the length of the block: its port."""
    gate = settings.get("gate")
    a = ch.create(spool_front, **settings)
    try:
        m, _ = wait_for(ch, lc.Listening)
        yield m.listening_ipp.port
    finally:
        if gate is not None:
            gate.release.set()
        ch.send(lc.Stop(), a)
        while True:
            wait_returned(ch)
            if ch.return_address == a:
                break


@contextmanager
def listening(ch: lc.Channel, **kw: object) -> Iterator[int]:
    """The test's channel listening as an HTTP server on port 0: its port."""
    lid = lc.listen(ch, lc.HostPort(LOOPBACK, 0), **kw)
    m, i = wait_for(ch, lc.Listening, lc.NotListening)
    assert i == 0, str(m)
    try:
        yield m.listening_ipp.port
    finally:
        lc.stop_listening(ch, lid)
        wait_for(ch, lc.NotListening)


# Scenario 67, 68: the example servers ------------------------------------------------------------


@pytest.mark.parametrize(
    "name", ["test_server_1.py", "test_server_2.py", "test_server_3.py", "test_server_4.py"]
)
def test_every_example_server_answers_xy_with_a_table(tmp_path: Path, name: str) -> None:
    with example_server(tmp_path, name) as port:
        r = request(port, "GET", "/Xy?x=2&y=3")
        assert r.status == 200
        assert r.header["content-type"] == "application/json"
        assert r.header["server"] == "Layer-Cake-API-server/1.0"
        assert_table(r, 2, 3)
        # Many at once over separate connections: each gets its own shape back.
        results: dict[int, Response] = {}

        def one(i: int) -> None:
            results[i] = request(port, "GET", f"/Xy?x={i}&y={9 - i}")

        threads = [threading.Thread(target=one, args=(i,)) for i in range(1, 9)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(PATIENCE)
        for i in range(1, 9):
            assert_table(results[i], i, 9 - i)


def test_form_json_and_bare_requests_are_decoded(server_1: int) -> None:
    form = {"Content-Type": "application/x-www-form-urlencoded"}
    assert_table(request(server_1, "POST", "/Xy", b"x=2&y=2", form), 2, 2)
    shipment = {"Content-Type": "application/json"}
    assert_table(request(server_1, "POST", "/Xy", b'{"value": {"x": 1, "y": 4}}', shipment), 1, 4)
    assert_table(request(server_1, "GET", "/Xy"), 1, 1)
    assert_table(request(server_1, "GET", "/api/v2/Xy?x=3&y=1"), 3, 1)
    assert_table(request(server_1, "GET", "/Xy?x=2&&y=2&"), 2, 2)  # empty pairs ignored


def test_unknown_name_is_404(server_1: int) -> None:
    r = request(server_1, "GET", "/Nope")
    assert (r.status, r.reason) == (404, "Not Found")
    assert r.text() == 'cannot recover request "/Nope" (unknown message "Nope")'


JSON = "application/json"


@pytest.mark.parametrize(
    ("method", "uri", "body", "content_type", "reason"),
    [
        ("GET", "/Xy?x=abc", None, None, 'no conversion for "x" ('),
        ("GET", "/Xy?z=1", None, None, 'unknown key "z" in "Xy" query)'),
        ("GET", "/Xy?x", None, None, 'unexpected field "x" query)'),
        ("POST", "/Xy", b'{"value": {"x": ', JSON, ""),
        ("POST", "/Xy", b'{"value": {"x": "two"}}', JSON, ""),
        ("PUT", "/Xy", b'{"value": {}}', JSON, 'JSON body with method "PUT" (POST expected))'),
        ("POST", "/Xy", b"x=1", "text/plain",
         'unexpected content type "text/plain" for HTTP request "Xy")'),
    ],
)
def test_bad_requests_are_400_with_their_reason(server_1: int, method: str, uri: str,
                                                 body: bytes | None, content_type: str | None,
                                                 reason: str) -> None:
    header = {"Content-Type": content_type} if content_type else {}
    r = request(server_1, method, uri, body, header)
    assert (r.status, r.reason) == (400, "Bad Request")
    assert r.header["content-type"] == "text/plain; charset=utf-8"
    assert r.text().startswith(f'cannot recover request "{uri}" ({reason}'), r.text()
    assert r.text().endswith(")")
    assert_table(request(server_1, "GET", "/Xy?x=1&y=1"), 1, 1)  # and serving goes on


# Scenario 71, 72: connections --------------------------------------------------------------------


def test_a_malformed_request_line_is_400_and_closed_and_others_are_served(server_1: int) -> None:
    with raw(server_1) as other, raw(server_1) as bad:
        other.send(get("/Xy?x=1&y=1"))
        assert_table(other.response(), 1, 1)
        bad.send(b"GARBAGE\r\n\r\n")
        r = bad.response()
        assert r.status == 400
        assert bad.closed_by_peer()
        other.send(get("/Xy?x=2&y=1"))  # the connection opened before is unaffected
        assert_table(other.response(), 2, 1)
    assert_table(request(server_1, "GET", "/Xy?x=1&y=2"), 1, 2)  # and so are new ones


def test_an_oversize_body_is_413_and_closed(server_1: int) -> None:
    with raw(server_1) as c:
        c.send(b"POST /Xy HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
               b"Content-Length: %d\r\n\r\n" % (300 * 1024))
        r = c.response()
        assert (r.status, r.reason) == (413, "Payload Too Large")
        assert c.closed_by_peer()
    assert_table(request(server_1, "GET", "/Xy?x=1&y=1"), 1, 1)


def test_rejections_are_counted(ch: lc.Channel) -> None:
    with listening(ch, http_server=[Xy]) as port:
        counters = Counters()
        with raw(port) as big, raw(port) as bad:
            big.send(b"POST /Xy HTTP/1.1\r\nContent-Length: %d\r\n\r\n" % (300 * 1024))
            assert big.response().status == 413
            bad.send(b"GARBAGE\r\n\r\n")
            assert bad.response().status == 400
            assert big.closed_by_peer() and bad.closed_by_peer()
        assert counters.delta().get("http_rejected") == 2


def test_two_requests_on_one_connection_get_two_responses(server_1: int) -> None:
    c = http.client.HTTPConnection(LOOPBACK, server_1, timeout=PATIENCE)
    try:
        for x in (1, 2):
            c.request("GET", f"/Xy?x={x}&y=1")
            r = c.getresponse()
            body = r.read()
            assert_table(Response(r.status, r.reason, {"content-type": r.getheader("Content-Type")},
                                  body), x, 1)
            assert not r.will_close
    finally:
        c.close()


def test_connection_close_closes_after_the_response(server_1: int) -> None:
    with raw(server_1) as c:
        c.send(get("/Xy?x=2&y=2", "Connection: close"))
        assert_table(c.response(), 2, 2)
        assert c.closed_by_peer()
        assert c.buffer == b""


def test_pipelined_requests_are_answered_in_order(server_1: int) -> None:
    with raw(server_1) as c:
        c.send(get("/Xy?x=1&y=3") + get("/Nope") + get("/Xy?x=abc") + get("/Xy?x=4&y=1")
               + get("/Xy?x=2&y=2"))
        assert_table(c.response(), 1, 3)
        assert c.response().status == 404
        assert c.response().status == 400
        assert_table(c.response(), 4, 1)
        assert_table(c.response(), 2, 2)


def test_a_client_that_vanishes_mid_request_leaves_the_server_serving(server_1: int,
                                                                      tmp_path: Path) -> None:
    # A client process killed half way through sending its request.
    half = (
        "import socket, sys, time\n"
        f"s = socket.create_connection(('{LOOPBACK}', {server_1}))\n"
        "s.sendall(b'POST /Xy HTTP/1.1\\r\\nContent-Length: 100\\r\\n\\r\\nx=1')\n"
        "print('sent', flush=True)\n"
        "time.sleep(60)\n"
    )
    client = subprocess.Popen([sys.executable, "-c", half], stdout=subprocess.PIPE,
                              stdin=subprocess.DEVNULL)
    try:
        assert client.stdout is not None
        assert client.stdout.readline() == b"sent\n"
        client.kill()
        client.wait(timeout=PATIENCE)
    finally:
        if client.poll() is None:
            client.kill()
        client.wait(timeout=PATIENCE)
        if client.stdout is not None:
            client.stdout.close()
    # A socket reset with a complete request in flight, and one half-way through a request line.
    for data in (get("/Xy?x=3&y=3"), b"GET /Xy?x=1"):
        s = socket.create_connection((LOOPBACK, server_1), timeout=PATIENCE)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
        s.sendall(data)
        s.close()  # linger 0: a reset, not an orderly close
    assert_table(request(server_1, "GET", "/Xy?x=2&y=3"), 2, 3)


# Scenario 73: a refusing spool is 503 ------------------------------------------------------------


def test_a_busy_spool_is_503_with_the_busy_fault(ch: lc.Channel) -> None:
    with front(ch, worker_seconds=0.6, object_count=1, responsiveness=0.5) as port:
        assert_table(request(port, "GET", "/Xy?x=2&y=2"), 2, 2)  # slow: the mean is now 0.6 s
        r = request(port, "GET", "/Xy?x=2&y=2")
        assert (r.status, r.reason) == (503, "Service Unavailable")
        signature, fault, _ = r.value()
        assert signature == lc.portable_to_signature(lc.UserDefined(lc.Busy))
        m = re.fullmatch(r"message rejected by spool \(average response time (\d+\.\d\d)\)",
                         fault["condition"])
        assert m is not None, fault
        assert float(m.group(1)) >= 0.6


def test_an_overloaded_spool_is_503_with_the_overloaded_fault(ch: lc.Channel) -> None:
    gate = Gate()
    with front(ch, gate=gate, object_count=1, size_of_queue=1) as port, \
            raw(port) as first, raw(port) as second, raw(port) as third:
        first.send(get("/Xy?x=1&y=1"))
        assert gate.started.wait(PATIENCE)  # the only worker holds the first request
        second.send(get("/Xy?x=2&y=1"))
        third.send(get("/Xy?x=3&y=1"))
        # One of the later two waits in the queue, the other is refused at once.
        ready, _, _ = select.select([second.sock, third.sock], [], [], PATIENCE)
        assert len(ready) == 1, ready
        refused, waiting = (second, third) if ready[0] is second.sock else (third, second)
        r = refused.response()
        assert (r.status, r.reason) == (503, "Service Unavailable")
        signature, fault, _ = r.value()
        assert signature == lc.portable_to_signature(lc.UserDefined(lc.Overloaded))
        assert fault["condition"] == "message rejected by spool (overloaded, 1 pending)"
        gate.release.set()
        assert_table(first.response(), 1, 1)
        assert waiting.response().status == 200


# Scenario 70: unknown names to the application, and requests nobody answers ---------------------


def test_an_unanswered_request_is_504_after_the_response_timeout(ch: lc.Channel) -> None:
    with listening(ch, http_server=[Xy], response_timeout=0.5) as port:
        started = time.monotonic()
        with raw(port) as c:
            c.send(get("/Xy?x=2&y=2"))
            r = c.response()
            waited = time.monotonic() - started
            assert (r.status, r.reason) == (504, "Gateway Timeout")
            assert r.text() == 'no response to "Xy" within 0.5 seconds'
            assert c.closed_by_peer()
        assert 0.5 <= waited < PATIENCE
        m, _ = wait_for(ch, Xy)  # it did arrive; nobody answered
        assert (m.x, m.y) == (2, 2)


def test_default_to_request_hands_unknown_names_to_the_application(ch: lc.Channel) -> None:
    with listening(ch, http_server=[Xy], default_to_request=True) as port, raw(port) as c:
        c.send(get("/Nope?a=1"))
        m, _ = wait_for(ch, lc.HttpRequest)
        assert (m.method, m.request_uri) == ("GET", "/Nope?a=1")
        ch.reply(lc.HttpResponse(status_code=202, reason_phrase="Accepted", body="as you wish"))
        r = c.response()
        assert (r.status, r.reason, r.text()) == (202, "Accepted", "as you wish")


# Scenario 76: REST -------------------------------------------------------------------------------


def test_the_rest_example_creates_reads_updates_and_deletes(tmp_path: Path) -> None:
    shipment = {"Content-Type": "application/json"}
    ada = b'{"value": {"name": "Ada", "age": 36}}'
    model = f"--model-path={tmp_path}"
    with example_server(tmp_path, "test_server_rest.py", model) as port:
        r = request(port, "POST", "/customer", ada, shipment)
        assert (r.status, r.reason) == (201, "Created")
        assert r.header["server"] == "Layer-Cake-REST-server/1.0"
        assert r.value()[:2] == ["integer8", 1]
        r = request(port, "POST", "/Customer", b'{"value": {"name": "Alan", "age": 41}}', shipment)
        assert r.value()[1] == 2  # the resource name matches in any case

        r = request(port, "GET", "/customer/1")
        assert r.status == 200
        signature, customer, _ = r.value()
        assert signature.endswith(".Customer")
        assert customer == {"name": "Ada", "age": 36}
        signature, table, _ = request(port, "GET", "/customer").value()
        assert signature.startswith("map<integer8,")
        assert table == [[1, {"name": "Ada", "age": 36}], [2, {"name": "Alan", "age": 41}]]
        assert request(port, "GET", "/customer/99").status == 404

        r = request(port, "PUT", "/customer/1", b'{"value": {"name": "Ada", "age": 37}}', shipment)
        assert r.status == 200
        assert request(port, "GET", "/customer/1").value()[1] == {"name": "Ada", "age": 37}
        assert request(port, "DELETE", "/customer/1").status == 200
        assert request(port, "GET", "/customer/1").status == 404
        assert request(port, "DELETE", "/customer/1").status == 404

        r = request(port, "GET", "/customer/abc")
        assert r.status == 400
        assert r.text() == ('cannot recover request "/customer/abc" '
                            "(request URI does not match form)")
        r = request(port, "PATCH", "/customer")
        assert r.status == 400
        assert r.text() == 'Cannot map request [PATCH] "/customer" (no matching call signature)'
        r = request(port, "GET", "/order/1")
        assert r.status == 400
        assert r.text() == 'Cannot map request [GET] "/order/1" (unusable resource, method or URI)'
        r = request(port, "POST", "/customer", b'{"value": {"name": 5}}', shipment)
        assert r.status == 400
        assert r.text().startswith('Cannot complete conversion "body=<22 bytes>" (')

    # The data survives a restart (the model file in --model-path).
    assert (tmp_path / "customers.json").exists()
    with example_server(tmp_path, "test_server_rest.py", model) as port:
        assert request(port, "GET", "/customer/1").status == 404
        assert request(port, "GET", "/customer/2").value()[1] == {"name": "Alan", "age": 41}
        r = request(port, "POST", "/customer", ada, shipment)
        assert r.value()[:2] == ["integer8", 3]  # identities are not reused


# Scenario 73, 74: the HTTP client ----------------------------------------------------------------


@contextmanager
def client_session(ch: lc.Channel, port: int, **kw: object) -> Iterator[tuple]:
    """An HTTP client connection from the test's channel: the session address."""
    lc.connect(ch, lc.HostPort(LOOPBACK, port), http_client="/", **kw)
    m, i = wait_for(ch, lc.Connected, lc.NotConnected)
    assert i == 0, str(m)
    session = ch.return_address
    try:
        yield session
    finally:
        ch.send(lc.Close(), session)
        wait_for(ch, lc.Closed)


def test_a_json_client_receives_the_table_as_a_list_of_lists(ch: lc.Channel, server_1: int) -> None:
    with client_session(ch, server_1, application_json=True) as session:
        ch.send(Xy(x=2, y=3), session)
        m, i = wait_for(ch, table_type, lc.HttpResponse, lc.Faulted)
        assert i == 0, m
        assert lc.portable_to_signature(ch.received_type) == TABLE_SIGNATURE
        assert len(m) == 3 and all(len(row) == 2 for row in m)
        assert all(isinstance(f, float) for row in m for f in row)
        assert ch.return_address == session


def test_a_plain_client_receives_an_http_response(ch: lc.Channel, server_1: int) -> None:
    with client_session(ch, server_1, application_json=False) as session:
        ch.send(Xy(x=2, y=2), session)
        m, _ = wait_for(ch, lc.HttpResponse)
        assert (m.status_code, m.reason_phrase) == (200, "OK")
        assert isinstance(m.body, bytearray)
        value = json.loads(m.body)["value"]
        assert value[0] == TABLE_SIGNATURE and len(value[1]) == 2
        ch.send(lc.HttpRequest(method="GET", request_uri="/Nope"), session)
        m, _ = wait_for(ch, lc.HttpResponse)
        assert m.status_code == 404


def test_a_json_client_receives_busy_as_the_fault(ch: lc.Channel) -> None:
    with front(ch, worker_seconds=0.6, object_count=1, responsiveness=0.5) as port, \
            client_session(ch, port, application_json=True) as session:
        ch.send(Xy(x=1, y=1), session)
        ch.send(Xy(x=1, y=1), session)  # queued in the session behind the first
        _, i = wait_for(ch, table_type, lc.Faulted, lc.HttpResponse)
        assert i == 0
        m, i = wait_for(ch, table_type, lc.Faulted, lc.HttpResponse)
        assert isinstance(m, lc.Busy), m
        ch.send(Xy(x=1, y=1), session)  # and the session carries on
        m, i = wait_for(ch, table_type, lc.Faulted, lc.HttpResponse)
        assert i < 2, m


def test_the_client_example_prints_a_summary(tmp_path: Path, server_1: int) -> None:
    client = Example(tmp_path, "test_client.py", address_argument(server_1), "--request-count=20",
                     "--x=3", "--y=2")
    try:
        assert client.wait() == 0, client.stderr()
        summary = json.loads(client.stdout())
        assert summary["sent"] == 20 and summary["tables"] == 20 and summary["faults"] == 0
    finally:
        client.kill()


# Scenario 58 and process ends --------------------------------------------------------------------


def test_a_second_server_on_the_same_port_exits_71(tmp_path: Path, server_1: int) -> None:
    second = Example(tmp_path, "test_server_1.py", address_argument(server_1))
    try:
        assert second.wait() == lc.FAULTY_EXIT
        assert second.stderr() == (f'test_server_1.py: cannot listen at "{LOOPBACK}:{server_1}" '
                                   f"([Errno 98] Address already in use)\n")
    finally:
        second.kill()


def test_sigint_stops_a_server_with_exit_71(tmp_path: Path) -> None:
    port = free_port()
    server = Example(tmp_path, "test_server_4.py", address_argument(port))
    try:
        server.wait_for_port(port)
        assert_table(request(port, "GET", "/Xy?x=1&y=1"), 1, 1)
        server.proc.send_signal(signal.SIGINT)
        assert server.wait() == lc.FAULTY_EXIT
        assert server.stderr() == "test_server_4.py: aborted (user or software interrupt)\n"
    finally:
        server.kill()
