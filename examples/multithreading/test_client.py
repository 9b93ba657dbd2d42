"""An HTTP client machine: sends ``request_count`` ``Xy`` requests over one connection to one
of the servers here, one at a time, and ends with a summary of the answers.

    python3 test_client.py [--server-address='{"host": "127.0.0.1", "port": 5050}']
        [--request-count=100] [--x=2] [--y=2] [--application-json=false]

With ``application_json`` (the default) each table arrives as a ``list[list[float]]`` and a
refusal from a spool as the fault itself (``lc.Busy``, ``lc.Overloaded``); without it every
answer is an ``lc.HttpResponse`` with a ``bytearray`` body.
"""

import time

from test_api import Xy, table_type

import layer_cake as lc

DEFAULT_ADDRESS = lc.HostPort("127.0.0.1", 5050)


class Summary:
    """What came back for the requests sent."""

    def __init__(self, sent: int = 0, tables: int = 0, responses: int = 0, faults: int = 0,
                 seconds: float = 0.0, last_fault: str | None = None):
        self.sent = sent
        self.tables = tables  # list[list[float]] of the requested shape
        self.responses = responses  # HttpResponse (application_json=False, or not JSON)
        self.faults = faults  # Busy, Overloaded, TimedOut... as values
        self.seconds = seconds
        self.last_fault = last_fault


lc.bind(Summary)


class HttpClient(lc.Point, lc.Stateless):
    def __init__(self, server_address: lc.HostPort | None = None, request_count: int = 10,
                 x: int = 2, y: int = 2, application_json: bool = True):
        lc.Point.__init__(self)
        lc.Stateless.__init__(self)
        self.server_address = server_address or DEFAULT_ADDRESS
        self.request_count = request_count
        self.x = x
        self.y = y
        self.application_json = application_json
        self.session = None
        self.summary = Summary()
        self.started = time.monotonic()


def next_request(self: HttpClient) -> None:
    """Send the next request, or close the connection once all were answered."""
    if self.summary.sent < self.request_count:
        self.summary.sent += 1
        self.send(Xy(x=self.x, y=self.y), self.session)
    else:
        self.send(lc.Close(), self.session)


def HttpClient_Start(self: HttpClient, message: lc.Start) -> None:
    lc.connect(self, self.server_address, http_client="/",
               application_json=self.application_json)


def HttpClient_Connected(self: HttpClient, message: lc.Connected) -> None:
    self.session = self.return_address  # the client session: requests go here
    self.started = time.monotonic()
    next_request(self)


def HttpClient_list_list_float(self: HttpClient, message: list) -> None:
    if len(message) == self.y and all(len(row) == self.x for row in message):
        self.summary.tables += 1
    else:
        self.summary.faults += 1
        self.summary.last_fault = f"table of unexpected shape ({len(message)} rows)"
    next_request(self)


def HttpClient_HttpResponse(self: HttpClient, message: lc.HttpResponse) -> None:
    self.summary.responses += 1
    next_request(self)


def HttpClient_Closed(self: HttpClient, message: lc.Closed) -> None:
    self.summary.seconds = round(time.monotonic() - self.started, 3)
    self.complete(self.summary)


def HttpClient_Faulted(self: HttpClient, message: lc.Faulted) -> None:
    if self.session is None:
        self.complete(message)  # NotConnected
    self.summary.faults += 1  # Busy, Overloaded...: counted, and on to the next
    self.summary.last_fault = str(message)
    next_request(self)


def HttpClient_Stop(self: HttpClient, message: lc.Stop) -> None:
    self.complete(lc.Aborted())


lc.bind(HttpClient, (lc.Start, lc.Connected, table_type, lc.HttpResponse, lc.Closed,
                     lc.Faulted, lc.Stop))

if __name__ == "__main__":
    lc.create(HttpClient)
