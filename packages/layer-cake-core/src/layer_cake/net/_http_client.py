"""Sans-I/O HTTP/1.1 client connection (spec: networking-and-http §8, §9).

Requests in, bytes out; bytes in, answers out; no sockets here. The transport that owns the
socket drives one ``HttpClientConnection`` per connection::

    to_write, answers = connection.submit(message, sender)    # a request from the session
    answers, to_write = connection.receive_data(data)         # a read from the socket
    answers = connection.connection_lost()                    # the socket closed
    connection.closing                                        # close after delivering?

Each ``answers`` is a list of ``(sender, response)`` for the transport to deliver in order;
``to_write`` is the bytes of the one request to put on the wire now, or ``None``.

Over 600 lines for a reason: one sans-I/O connection (its transition table, its response
reader and its error types), as h11 keeps its own; the socket side is ``_http_link``.

How it works. One request is in flight at a time (no pipelining): the bytes of the next queued
request are handed out only once the previous response is complete, so a response always
belongs to the oldest outstanding request. The connection moves through the states of
``_TRANSITIONS`` (a table, as h11's ``_state.py``); anything the table does not allow on the
peer's side is a ``RemoteProtocolError``. Parsing is httptools (llhttp) driven through
``_ResponseReader``, which turns bytes into complete raw responses and handles what llhttp
cannot know by itself: a response to ``HEAD`` has headers only (the reader feeds llhttp the
header block alone, then starts a fresh parser), a body delimited by the end of the connection
is completed by ``connection_lost``, ``1xx`` interim responses are skipped and ``101`` (a
protocol switch nobody asked for) is an error.

Decisions beyond the spec:

- At most ``MAX_PENDING`` (256) requests are outstanding, the one in flight included; the
  next gets ``HttpResponse(400, 'Client Error', body='Request queue overflow')`` at once.
- A request that cannot be written (not a bound message or ``HttpRequest``, a value that does
  not encode, a header with a line break) is answered at once with ``400 Client Error`` and a
  text body naming the reason; it never reaches the wire.
- ``connection_lost`` answers everything still owed: the request in flight gets
  ``503 Service Unavailable`` ``connection closed (request sent, no response)`` (or
  ``502 Bad Gateway`` ``malformed response (<reason>)`` after a ``RemoteProtocolError``),
  queued requests ``503`` ``connection closed (request not sent)``. Requests submitted after
  that are answered the same way at once. These answers are always ``HttpResponse``, also
  with ``application_json=True``.
- The prefix always ends in ``/`` (``'/api'`` is taken as ``'/api/'``) so that the server
  finds the class name after the last ``/``; an ``HttpRequest`` URI is appended to it without
  its leading ``/`` (prefix ``'/api/'`` + ``'/note/7'`` → ``'/api/note/7'``).
- An ``HttpRequest`` gets ``Host`` and ``User-Agent`` only when its header lacks them; the
  library writes ``Content-Length`` itself (any given ``Content-Length`` or
  ``Transfer-Encoding`` is dropped, since the body is sent whole).
- With ``application_json=True``, a response whose content type is not JSON is an
  ``HttpResponse`` whatever its version; a JSON response in another version than ``HTTP/1.1``
  is ``500`` ``unexpected HTTP version "HTTP/1.0"``; a JSON body that does not decode is
  ``500`` ``unexpected body "<codec error>"``.
"""

from __future__ import annotations

import enum
from collections import deque
from urllib.parse import quote

import httptools

from ..types._argument import encode_argument
from ..types._errors import CodecRuntimeError
from ..types._json import decode_json, encode_json
from ..types._registry import SPECS
from ._http_messages import HttpRequest, HttpResponse

__all__ = [
    "HttpClientConnection",
    "HttpClientError",
    "LocalProtocolError",
    "RemoteProtocolError",
    "MAX_PENDING",
    "MAX_RESPONSE_HEADER",
    "MAX_RESPONSE_BODY",
    "USER_AGENT",
]

#: Requests outstanding on one connection (in flight plus queued) before overflow answers.
MAX_PENDING = 256
#: Bytes of status line plus headers a response may have.
MAX_RESPONSE_HEADER = 64 * 1024
#: Bytes of body a response may have.
MAX_RESPONSE_BODY = 64 * 1024 * 1024
USER_AGENT = "Layer-Cake-API-client/1.0"

_JSON = "application/json"
_FORM = "application/x-www-form-urlencoded"
# Everything printable in ASCII but the space stays as written in a request URI; spaces,
# controls and non-ASCII text are percent-encoded (UTF-8), so a URI can never break the line.
_URI_SAFE = "".join(chr(c) for c in range(0x21, 0x7F))
_FRAMING = frozenset(("content-length", "transfer-encoding"))


class HttpClientError(Exception):
    """Base of the HTTP client's protocol errors."""


class LocalProtocolError(HttpClientError):
    """We were asked to send something HTTP/1.1 cannot carry (our side's fault)."""


class RemoteProtocolError(HttpClientError):
    """The server broke HTTP/1.1 (its side's fault); the connection is unusable."""


class _State(enum.Enum):
    IDLE = "idle"  # nothing in flight; the next request may be written
    WAITING = "waiting"  # a request written, no final response yet
    CLOSING = "closing"  # the last response said close: deliver, then close
    BROKEN = "broken"  # the peer broke the protocol: close
    CLOSED = "closed"  # connection_lost was called


class _Event(enum.Enum):
    SEND = "send"  # a request's bytes handed out for writing
    RESPONSE = "response"  # a final response, connection stays open
    RESPONSE_CLOSE = "response-close"  # a final response after which the connection closes
    DATA = "data"  # response bytes while nothing is in flight
    ERROR = "error"  # the server broke the protocol
    LOST = "lost"  # the connection closed


_TRANSITIONS: dict[tuple[_State, _Event], _State] = {
    (_State.IDLE, _Event.SEND): _State.WAITING,
    (_State.WAITING, _Event.RESPONSE): _State.IDLE,
    (_State.WAITING, _Event.RESPONSE_CLOSE): _State.CLOSING,
    (_State.IDLE, _Event.ERROR): _State.BROKEN,
    (_State.WAITING, _Event.ERROR): _State.BROKEN,
    (_State.CLOSING, _Event.ERROR): _State.BROKEN,
    (_State.IDLE, _Event.LOST): _State.CLOSED,
    (_State.WAITING, _Event.LOST): _State.CLOSED,
    (_State.CLOSING, _Event.LOST): _State.CLOSED,
    (_State.BROKEN, _Event.LOST): _State.CLOSED,
}


class _Pending:
    """One outstanding request: who asked, what to write, how to read the answer."""

    __slots__ = ("close", "data", "head", "sender")

    def __init__(self, sender: object, data: bytes, head: bool, close: bool) -> None:
        self.sender = sender
        self.data = data
        self.head = head  # a HEAD request: the response has headers only
        self.close = close  # the request said "Connection: close"


class _RawResponse:
    """A parsed response before decoding."""

    __slots__ = ("body", "header", "http", "keep_alive", "reason_phrase", "status_code")

    def __init__(
        self,
        http: str,
        status_code: int,
        reason_phrase: str,
        header: dict[str, str],
        body: bytearray,
        keep_alive: bool,
    ) -> None:
        self.http = http
        self.status_code = status_code
        self.reason_phrase = reason_phrase
        self.header = header
        self.body = body
        self.keep_alive = keep_alive


class _ResponseReader:
    """httptools callbacks that assemble raw responses; ``feed`` returns the completed ones."""

    __slots__ = (
        "_body",
        "_delimited",
        "_done",
        "_head_buffer",
        "_head_done",
        "_header",
        "_header_size",
        "_parser",
        "_reason",
        "_status",
        "_unheaded",
        "begun",
        "completed",
        "head",
    )

    def __init__(self) -> None:
        self._parser = httptools.HttpResponseParser(self)
        self.head = False  # the request in flight is a HEAD
        self._head_buffer = bytearray()
        self._head_done = False
        self.begun = False  # part of a response has arrived
        self.completed: list[_RawResponse] = []
        self._done = False  # a response ended the connection; later bytes are ignored
        self._reset()

    def _reset(self) -> None:
        self._reason = bytearray()
        self._header: dict[str, str] = {}
        self._header_size = 0
        self._unheaded = 0  # bytes read while waiting for the end of the header
        self._body = bytearray()
        self._status = 0
        self._delimited = True  # the body's end is known without the connection closing

    def feed(self, data: bytes | bytearray | memoryview) -> list[_RawResponse]:
        """Parse ``data``; the responses it completed, in order.

        Raises:
            RemoteProtocolError: the bytes are not an HTTP/1.1 response stream.
        """
        self.completed = []
        if self._done:
            return []
        if not self.head:
            self._feed(data)
        else:
            self._feed_head(data)
        return self.completed

    def finish(self) -> _RawResponse | None:
        """The connection closed: the response whose body ran to the close, if any."""
        if not self.begun or self._status == 0 or self._delimited or self._done:
            return None
        self.begun = False
        return self._raw(keep_alive=False)

    def _feed_head(self, data: bytes | bytearray | memoryview) -> None:
        # llhttp cannot know that a HEAD response has no body: feed it each header block
        # alone (there may be 1xx interim responses first), then discard that parser.
        buffer = self._head_buffer
        buffer += data
        while self.head and buffer:
            end = buffer.find(b"\r\n\r\n")
            if end < 0:
                if len(buffer) > MAX_RESPONSE_HEADER:
                    raise RemoteProtocolError("response header too large")
                return
            block = bytes(buffer[: end + 4])
            del buffer[: end + 4]
            self._head_done = False
            self._feed(block)
            if self._head_done:
                self.head = False
                self._parser = httptools.HttpResponseParser(self)
        if buffer and not self._done:
            rest = bytes(buffer)
            buffer.clear()
            self._feed(rest)
        buffer.clear()

    def _feed(self, data: bytes | bytearray | memoryview) -> None:
        if self._status == 0:
            # httptools holds a header line until it ends: bound what an endless one may take.
            self._unheaded += len(data)
        try:
            self._parser.feed_data(data)
        except httptools.HttpParserUpgrade:
            raise RemoteProtocolError(
                "unexpected protocol switch (101 Switching Protocols)"
            ) from None
        except httptools.HttpParserError as e:
            if self._done:
                return  # bytes after a response that closed the connection: ignored
            cause = e.__context__
            if isinstance(cause, RemoteProtocolError):
                raise cause from None
            raise RemoteProtocolError(f"malformed response ({e})") from None
        if self.begun and self._status == 0 and self._unheaded > MAX_RESPONSE_HEADER:
            raise RemoteProtocolError("response header too large")

    def _raw(self, keep_alive: bool) -> _RawResponse:
        version = f"HTTP/{self._parser.get_http_version()}"
        raw = _RawResponse(
            version,
            self._status,
            self._reason.decode("latin-1"),
            self._header,
            self._body,
            keep_alive,
        )
        self._reset()
        return raw

    # httptools callbacks (called from inside feed_data).

    def on_message_begin(self) -> None:
        self.begun = True

    def on_status(self, status: bytes) -> None:
        self._reason += status
        self._grow_header(len(status))

    def on_header(self, name: bytes, value: bytes) -> None:
        self._grow_header(len(name) + len(value))
        text = name.decode("latin-1")
        held = self._header.get(text)
        value_text = value.decode("latin-1")
        self._header[text] = value_text if held is None else f"{held}, {value_text}"

    def on_headers_complete(self) -> None:
        status = self._parser.get_status_code()
        self._status = status
        self._unheaded = 0
        if status == 101:
            raise RemoteProtocolError("unexpected protocol switch (101 Switching Protocols)")
        if status < 200:
            return
        if self.head:
            self._head_done = True
            self._complete(self._parser.should_keep_alive())
            return
        if status in (204, 304):
            return
        names = {n.lower() for n in self._header}
        self._delimited = bool(names & _FRAMING)

    def on_body(self, body: bytes) -> None:
        if len(self._body) + len(body) > MAX_RESPONSE_BODY:
            raise RemoteProtocolError(f"response body larger than {MAX_RESPONSE_BODY} bytes")
        self._body += body

    def on_message_complete(self) -> None:
        if self._head_done and not self.begun:
            return  # llhttp finishing a HEAD response that was already completed
        self._complete(self._parser.should_keep_alive())

    def _complete(self, keep_alive: bool) -> None:
        self.begun = False
        interim = self._status < 200
        self.completed.append(self._raw(keep_alive))
        if not keep_alive and not interim:
            self._done = True

    def _grow_header(self, n: int) -> None:
        self._header_size += n
        if self._header_size > MAX_RESPONSE_HEADER:
            raise RemoteProtocolError("response header too large")


def _header_value(header: dict[str, str], name: str) -> str | None:
    """Case-insensitive header lookup (§9)."""
    lowered = name.lower()
    for k, v in header.items():
        if k.lower() == lowered:
            return v
    return None


def _media_type(header: dict[str, str]) -> str:
    value = _header_value(header, "Content-Type")
    if value is None:
        return ""
    return value.split(";", 1)[0].strip().lower()


def _wants_close(header: dict[str, str]) -> bool:
    value = _header_value(header, "Connection")
    return value is not None and "close" in (t.strip().lower() for t in value.split(","))


def _latin1(text: str, what: str) -> bytes:
    if "\r" in text or "\n" in text:
        raise LocalProtocolError(f"line break in {what} {text!r}")
    try:
        return text.encode("latin-1")
    except UnicodeEncodeError:
        raise LocalProtocolError(f"{what} {text!r} is not latin-1 text") from None


def _client_error(text: str) -> HttpResponse:
    return HttpResponse(status_code=400, reason_phrase="Client Error", body=text)


class HttpClientConnection:
    """One HTTP/1.1 client connection, without I/O (spec: networking-and-http §8).

    Args:
        prefix: prepended to every request URI (``http_client=`` of ``connect``); a missing
            trailing ``/`` is added.
        application_json: send bound messages as JSON and decode JSON responses to messages;
            else send forms and answer every response as an ``HttpResponse``.
        host: the ``Host`` header value, ``host:port``.

    Raises:
        ValueError: ``prefix`` does not start with ``/``, or ``host`` is not one latin-1 line.
    """

    __slots__ = (
        "_error",
        "_in_flight",
        "_queue",
        "_reader",
        "_state",
        "_undelivered",
        "application_json",
        "host",
        "prefix",
    )

    def __init__(
        self, prefix: str = "/", application_json: bool = False, host: str = "127.0.0.1:80"
    ) -> None:
        if not prefix.startswith("/"):
            raise ValueError(f'HTTP client prefix "{prefix}" does not start with "/"')
        try:
            _latin1(host, "host")
        except LocalProtocolError as e:
            raise ValueError(str(e)) from None
        self.prefix = prefix if prefix.endswith("/") else prefix + "/"
        self.application_json = application_json
        self.host = host
        self._state = _State.IDLE
        self._queue: deque[_Pending] = deque()  # not yet written, oldest first
        self._in_flight: _Pending | None = None
        self._reader = _ResponseReader()
        self._error: RemoteProtocolError | None = None
        self._undelivered: list[tuple[object, object]] = []

    # Queries.

    @property
    def closing(self) -> bool:
        """True when the transport must close the connection (after delivering answers)."""
        return self._state in (_State.CLOSING, _State.BROKEN)

    @property
    def closed(self) -> bool:
        """True once ``connection_lost`` has been called."""
        return self._state is _State.CLOSED

    @property
    def pending(self) -> int:
        """Requests not yet answered: the one in flight plus the queued ones."""
        return len(self._queue) + (self._in_flight is not None)

    # Events.

    def submit(
        self, message: object, sender: object
    ) -> tuple[bytes | None, list[tuple[object, object]]]:
        """Queue a request from ``sender`` (an opaque address).

        Args:
            message: a bound message instance (sent as ``POST <prefix><ClassName>``) or an
                ``HttpRequest`` (sent as given, URI under the prefix).
            sender: returned beside the response, untouched.

        Returns:
            ``(to_write, answers)``: the request's bytes when it goes on the wire now (nothing
            was in flight), else ``None``; ``answers`` is ``[(sender, HttpResponse)]`` when
            the request is refused at once (queue overflow, cannot be encoded, connection
            closed), else ``[]``.
        """
        if self._state is _State.CLOSED:
            return None, [(sender, self._lost_answer(sent=False))]
        if self.pending >= MAX_PENDING:
            return None, [(sender, _client_error("Request queue overflow"))]
        try:
            request = self._encode(message, sender)
        except LocalProtocolError as e:
            return None, [(sender, _client_error(str(e)))]
        self._queue.append(request)
        return self._next_request(), []

    def receive_data(
        self, data: bytes | bytearray | memoryview
    ) -> tuple[list[tuple[object, object]], bytes | None]:
        """Bytes read from the socket.

        Returns:
            ``(answers, to_write)``: ``[(sender, response)]`` for the requests these bytes
            completed, in order, and the next request's bytes to write (or ``None``). Once
            ``closing`` is true, further data is ignored.

        Raises:
            RemoteProtocolError: the bytes are not a valid response stream (also on every
                later call). The transport closes; ``connection_lost`` then answers every
                request, including any completed by the failing read.
        """
        state = self._state
        if state is _State.BROKEN:
            raise self._error  # type: ignore[misc]
        if state is _State.CLOSING or state is _State.CLOSED:
            return [], None
        answers: list[tuple[object, object]] = []
        failure: RemoteProtocolError | None = None
        try:
            raws = self._reader.feed(data)
        except RemoteProtocolError as e:
            raws, failure = self._reader.completed, e  # deliver what completed before the fault
        try:
            for raw in raws:
                if raw.status_code < 200:
                    continue  # 1xx interim response
                pending = self._in_flight
                if pending is None:
                    raise RemoteProtocolError(
                        f"response without a request ({raw.status_code} {raw.reason_phrase})"
                    )
                self._in_flight = None
                answers.append((pending.sender, self._decode(raw)))
                close = not raw.keep_alive or pending.close
                self._move(_Event.RESPONSE_CLOSE if close else _Event.RESPONSE)
            if failure is not None:
                raise failure
            if self._in_flight is None and self._reader.begun and self._state is _State.IDLE:
                raise RemoteProtocolError("response data without a request")
        except RemoteProtocolError as e:
            self._error = e
            self._undelivered = answers
            self._move(_Event.ERROR)
            raise
        return answers, self._next_request()

    def connection_lost(self) -> list[tuple[object, object]]:
        """The socket closed: an answer for every request not yet answered, oldest first.

        A response whose body runs to the end of the connection (no ``Content-Length``, not
        chunked) is completed here; every other outstanding request gets a ``503`` (``502``
        for the request in flight after a ``RemoteProtocolError``). Idempotent.
        """
        if self._state is _State.CLOSED:
            return []
        answers, self._undelivered = self._undelivered, []
        pending = self._in_flight
        if pending is not None:
            self._in_flight = None
            if self._state is _State.BROKEN:
                reason = str(self._error)
                answers.append(
                    (
                        pending.sender,
                        HttpResponse(
                            status_code=502,
                            reason_phrase="Bad Gateway",
                            body=f"malformed response ({reason})",
                        ),
                    )
                )
            else:
                raw = self._reader.finish()
                answer = self._decode(raw) if raw is not None else self._lost_answer(sent=True)
                answers.append((pending.sender, answer))
        while self._queue:
            answers.append((self._queue.popleft().sender, self._lost_answer(sent=False)))
        self._move(_Event.LOST)
        return answers

    # Internals.

    def _move(self, event: _Event) -> None:
        try:
            self._state = _TRANSITIONS[(self._state, event)]
        except KeyError:
            raise RemoteProtocolError(
                f"{event.value} not expected while {self._state.value}"
            ) from None

    def _next_request(self) -> bytes | None:
        if self._state is not _State.IDLE or not self._queue:
            return None
        pending = self._queue.popleft()
        self._in_flight = pending
        self._reader.head = pending.head
        self._move(_Event.SEND)
        return pending.data

    @staticmethod
    def _lost_answer(sent: bool) -> HttpResponse:
        text = (
            "connection closed (request sent, no response)"
            if sent
            else "connection closed (request not sent)"
        )
        return HttpResponse(status_code=503, reason_phrase="Service Unavailable", body=text)

    def _encode(self, message: object, sender: object) -> _Pending:
        if isinstance(message, HttpRequest):
            return self._encode_request(message, sender)
        spec = SPECS.get(type(message))
        if spec is None or spec.portable is None:
            kind = type(message).__name__
            raise LocalProtocolError(
                f"cannot send {kind} over HTTP (not a bound message or HttpRequest)"
            )
        name = type(message).__name__
        try:
            if self.application_json:
                content_type = _JSON
                body = encode_json(message, spec.portable).encode("utf-8")
            else:
                content_type = _FORM
                pairs = []
                for field, portable in spec.fields:
                    value = getattr(message, field, None)
                    if value is None:
                        continue
                    text = encode_argument(value, portable)
                    pairs.append(f"{quote(field, safe='')}={quote(text, safe='')}")
                body = "&".join(pairs).encode("ascii")
        except CodecRuntimeError as e:
            raise LocalProtocolError(f'cannot encode "{name}" ({e})') from None
        head = (
            f"POST {quote(self.prefix + name, safe=_URI_SAFE)} HTTP/1.1\r\n"
            f"Host: {self.host}\r\n"
            f"User-Agent: {USER_AGENT}\r\n"
            f"Content-Type: {content_type}\r\n"
            f"Content-Length: {len(body)}\r\n"
            "\r\n"
        )
        return _Pending(sender, head.encode("latin-1") + body, head=False, close=False)

    def _encode_request(self, request: HttpRequest, sender: object) -> _Pending:
        method = request.method
        method = getattr(method, "name", method)  # an HttpMethod member or its name
        method = str(method).upper()
        if not method.isalpha():
            raise LocalProtocolError(f'unexpected method "{method}"')
        uri = request.request_uri or ""
        uri = self.prefix + (uri[1:] if uri.startswith("/") else uri)
        http = request.http or "HTTP/1.1"
        if http not in ("HTTP/1.1", "HTTP/1.0"):
            raise LocalProtocolError(f'unexpected HTTP version "{http}"')
        header = dict(request.header or {})
        body = request.body
        if isinstance(body, str):
            body = body.encode("utf-8")
        elif body is not None and not isinstance(body, (bytes, bytearray, memoryview)):
            raise LocalProtocolError(
                f"cannot send a {type(body).__name__} body (bytes or text only)"
            )
        lines = [f"{method} {quote(uri, safe=_URI_SAFE)} {http}"]
        if _header_value(header, "Host") is None:
            lines.append(f"Host: {self.host}")
        if _header_value(header, "User-Agent") is None:
            lines.append(f"User-Agent: {USER_AGENT}")
        if body is not None and _header_value(header, "Content-Type") is None:
            lines.append(f"Content-Type: {_FORM}")
        for name, value in header.items():
            if name.lower() in _FRAMING:
                continue
            if not name or any(c in name for c in " \t:\r\n"):
                raise LocalProtocolError(f"unexpected header name {name!r}")
            lines.append(f"{name}: {value}")
        if body is not None or method in ("POST", "PUT", "PATCH"):
            lines.append(f"Content-Length: {len(body) if body is not None else 0}")
        head = b"".join(_latin1(line, "header") + b"\r\n" for line in lines) + b"\r\n"
        data = head + bytes(body) if body else head
        close = _wants_close(header) or http == "HTTP/1.0"
        return _Pending(sender, data, head=method == "HEAD", close=close)

    def _decode(self, raw: _RawResponse) -> object:
        if self.application_json and _media_type(raw.header) == _JSON:
            if raw.http != "HTTP/1.1":
                return self._server_error(f'unexpected HTTP version "{raw.http}"')
            if not raw.body.strip():
                return self._server_error("no JSON body")
            try:
                return decode_json(raw.body)
            except CodecRuntimeError as e:
                return self._server_error(f'unexpected body "{e}"')
        return HttpResponse(
            http=raw.http,
            status_code=raw.status_code,
            reason_phrase=raw.reason_phrase,
            header=raw.header,
            body=raw.body,
        )

    @staticmethod
    def _server_error(text: str) -> HttpResponse:
        return HttpResponse(status_code=500, reason_phrase="Server Error", body=text)
