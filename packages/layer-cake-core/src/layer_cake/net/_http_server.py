# cython: annotation_typing=False
"""Sans-I/O HTTP/1.1 server connection (spec: networking-and-http §6, §7).

Bytes in, events out; no sockets here. The transport's ``data_received`` calls
``receive_data(data)`` (``b""`` at end of input) and acts on the events returned:

Over 600 lines for a reason: the limits, error types and events exist for this one
connection and are checked inside its parser callbacks as bytes arrive; the socket side is
``_http_link``. (The limits and errors could still move to a module of their own.)

* ``Deliver(message)``: hand ``message`` to the controller (an API class instance, an
  ``HttpRequest`` or a ``FormRequest``), return address = the connection's proxy, and start
  the ``response_timeout`` timer;
* ``Reply(data, close, error)``: write ``data`` now (a response the server made itself), then
  close if ``close``; ``error`` is the ``RemoteHttpError`` to log as a WARNING, if any;
* ``Close()``: the peer has gone and nothing is owed: close.

Whatever the application sends to the proxy goes to ``respond(value) -> (data, close)``;
after writing, the transport calls ``next_events()`` for what the answer released. An
unanswered request becomes ``unanswered(seconds) -> (data, close)``, a 504.

How it works: httptools parses; its callbacks fill one ``_Parsed`` record per request and check
the §6.4 limits as the bytes arrive, raising a ``RemoteHttpError`` (httptools wraps it in
``HttpParserCallbackError``) to stop at the first violation. Parsed requests wait in a FIFO
and only the head is turned into an event, and only while no request is in flight: a
pipelined request is delivered after the previous one was answered, and server-made answers
(400, 404, a rejection) keep their place in the response order. A rejection stops the reading
for good; it is the last entry the FIFO ever gets and its reply closes the connection.

Bounded input (issue 10; docs/security.md "HTTP limits"): at most ``max_pipelined`` requests
(and ``max_queued_bytes``) are parsed and unanswered at once. httptools cannot stop inside a
buffer, so input that may hold several requests is fed one request at a time (to the end of a
head, then the rest of a body of known length); once the queue is full the rest of the read
waits unparsed and ``wants_input`` is False, so the transport pauses reading until an answer
makes room and it calls ``pump()``. Server-made answers to a flood come out in batches of about
``_REPLY_BUDGET`` bytes so the transport's write buffer can push back between them. The
connection keeps no clock: the transport calls ``expire_request`` when a request has taken
too long to arrive (408), and ``refuse_connection`` at its connection cap (503).

Errors are split by side as in h11: ``RemoteHttpError`` (the client sent something we refuse;
it carries the status) and ``LocalHttpError`` (the transport asked for something impossible,
such as a response with no request awaiting one).
"""

from __future__ import annotations

import math
import os
import time
from collections import deque
from collections.abc import Mapping
from email.utils import formatdate
from re import compile as _compile
from urllib.parse import unquote_plus

import httptools

from ..runtime._counters import count
from ..runtime._messages import (
    Busy,
    Faulted,
    OutOfService,
    Overloaded,
    TemporarilyUnavailable,
    TimedOut,
)
from ..types._argument import decode_argument
from ..types._errors import CodecError
from ..types._json import decode_json, encode_json
from ..types._registry import SPECS, bind_message
from ._http_messages import FormRequest, HttpRequest, HttpResponse, ReForm

__all__ = [
    "API_SERVER",
    "REST_SERVER",
    "MAX_METHOD",
    "MAX_URI",
    "MAX_VERSION",
    "MAX_HEADER_NAME",
    "MAX_HEADER_VALUE",
    "MAX_HEADER_SECTION",
    "MAX_BODY",
    "HttpLimits",
    "LIMITS",
    "set_http_limits",
    "listen_limits",
    "HttpServerConnection",
    "Deliver",
    "Reply",
    "Close",
    "HttpError",
    "LocalHttpError",
    "RemoteHttpError",
    "BadRequest",
    "NotFound",
    "MalformedRequest",
    "NonPrintableRequest",
    "UriTooLong",
    "HeaderTooLarge",
    "PayloadTooLarge",
    "RequestTimeout",
]

API_SERVER = "Layer-Cake-API-server/1.0"
REST_SERVER = "Layer-Cake-REST-server/1.0"

# §6.4 limits.
MAX_METHOD = 10
MAX_URI = 8000
MAX_VERSION = 16
MAX_HEADER_NAME = 128
MAX_HEADER_VALUE = 1024
MAX_BODY = 256 * 1024
# DECISION: the spec bounds each header line but not their number; httptools buffers a
# header until it is complete, so the whole head is bounded too (431 beyond this).
MAX_HEADER_SECTION = 64 * 1024
# Input that may hold several requests is parsed one request at a time (up to the end of a
# head, then the rest of a body of known length), at most this many bytes at once, so parsing
# stops exactly when the queue of unanswered requests is full: httptools cannot be paused
# inside a buffer, so the rest waits unparsed in ``_unread``.
_SLICE = 4096
_END_OF_HEAD = b"\r\n\r\n"
# What httptools raises when it stops (an upgrade is not one of its parser errors).
_PARSER_STOPPED = (httptools.HttpParserError, httptools.HttpParserUpgrade)
# Server-made answers (404s, 400s) released by one call before it returns, so a flood of
# refusals reaches the transport in pieces and its write buffer can push back.
_REPLY_BUDGET = 64 * 1024


class HttpLimits:
    """The resource limits of HTTP server connections (docs/security.md, "HTTP limits").

    Args:
        max_pipelined: requests parsed and not yet answered, per connection (the one in
            flight included); reading pauses while this many wait.
        max_queued_bytes: body and URI bytes of those requests; reading pauses beyond it.
        header_timeout: seconds from a request's first byte to its last (408, then close).
        idle_close: seconds a connection may stay open with nothing owed and nothing arriving,
            or with its answers unread (writing paused); then it is closed.
        max_connections: open connections per listen; at the cap, a new connection sheds the
            connection idle (or slow in sending its request) the longest, or is refused with a
            503 when every connection is busy. None: half the process's open-file limit.
        max_response: bytes of one response (None: no cap); a larger answer is replaced by a
            500 that says so.

    Each default can be set for a process by an environment variable named after it in upper
    case with ``LC_HTTP_`` in front (``LC_HTTP_IDLE_CLOSE=30``).

    Raises:
        ValueError: a timeout that is not a positive number of seconds.
    """

    __slots__ = (
        "header_timeout",
        "idle_close",
        "max_connections",
        "max_pipelined",
        "max_queued_bytes",
        "max_response",
    )

    def __init__(
        self,
        max_pipelined: int = 16,
        max_queued_bytes: int = 1024 * 1024,
        header_timeout: float = 20.0,
        idle_close: float = 60.0,
        max_connections: int | None = None,
        max_response: int | None = None,
    ) -> None:
        self.max_pipelined = max(1, int(max_pipelined))
        self.max_queued_bytes = max(1, int(max_queued_bytes))
        self.header_timeout = float(header_timeout)
        self.idle_close = float(idle_close)
        for name in ("header_timeout", "idle_close"):
            if not getattr(self, name) > 0:  # NaN included
                raise ValueError(f"{name} must be a positive number of seconds")
        self.max_connections = None if max_connections is None else max(1, int(max_connections))
        self.max_response = None if max_response is None else max(0, int(max_response))

    def replace(self, **changes: object) -> HttpLimits:
        """A copy with ``changes``.

        Raises:
            TypeError: an unknown limit.
        """
        values = {name: getattr(self, name) for name in self.__slots__}
        unknown = set(changes) - set(values)
        if unknown:
            raise TypeError(f"unknown HTTP limit {sorted(unknown)[0]!r}")
        values.update(changes)
        return HttpLimits(**values)  # type: ignore[arg-type]

    def connection_cap(self) -> int:
        """``max_connections``, or half the process's soft limit of open files."""
        if self.max_connections is not None:
            return self.max_connections
        try:
            import resource

            soft, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
        except (ImportError, OSError, ValueError):
            return 512
        if soft == resource.RLIM_INFINITY or soft <= 0:
            return 4096
        return max(8, min(soft // 2, 4096))

    @classmethod
    def from_environment(cls, environ: dict | None = None) -> HttpLimits:
        """The defaults with ``LC_HTTP_<NAME>`` overrides (``none`` for no cap).

        Raises:
            ValueError: a variable that is not a number.
        """
        environ = os.environ if environ is None else environ
        changes: dict[str, object] = {}
        for name in cls.__slots__:
            text = environ.get("LC_HTTP_" + name.upper(), "").strip()
            if not text:
                continue
            if text.lower() == "none" and name in ("max_connections", "max_response"):
                changes[name] = None
                continue
            try:
                changes[name] = float(text) if "timeout" in name or "idle" in name else int(text)
            except ValueError:
                raise ValueError(f'LC_HTTP_{name.upper()}="{text}" is not a number') from None
        return cls().replace(**changes)

    def __repr__(self) -> str:
        inner = ", ".join(f"{name}={getattr(self, name)!r}" for name in self.__slots__)
        return f"HttpLimits({inner})"


#: The limits of the listens made from now on in this process (``set_http_limits``).
LIMITS = [HttpLimits.from_environment()]


def set_http_limits(limits: HttpLimits | None = None, **changes: object) -> HttpLimits:
    """Set the limits of HTTP listens made from now on (``limits`` and/or ``changes``).

    Existing listens keep theirs. Returns the previous limits, so ``set_http_limits(old)``
    restores them.

    Raises:
        TypeError: an unknown limit.
    """
    previous = LIMITS[0]
    LIMITS[0] = (limits or previous).replace(**changes)
    return previous


# What each limit may be, for the checks of ``listen_limits``: (kind, least, None allowed).
_ALLOWED = {
    "max_pipelined": ("count", 1, False),
    "max_queued_bytes": ("count", 1, False),
    "header_timeout": ("seconds", 0, False),
    "idle_close": ("seconds", 0, False),
    "max_connections": ("count", 1, True),
    "max_response": ("count", 1, True),
}


def _check_limit(name: str, value: object) -> None:
    """Raise ``ValueError`` naming ``name`` when ``value`` is not one it may take."""
    kind, least, optional = _ALLOWED[name]
    if value is None and optional:
        return
    number = isinstance(value, (int, float)) and not isinstance(value, bool)
    if kind == "count":
        whole = number and math.isfinite(value) and value == int(value)  # type: ignore[arg-type]
        if not (whole and value >= least):  # type: ignore[operator]
            what = f"a whole number >= {least}" + (" or None" if optional else "")
            raise ValueError(f"http_limits: {name} must be {what}, not {value!r}")
    elif not (number and math.isfinite(value) and value > least):  # type: ignore[arg-type]
        raise ValueError(f"http_limits: {name} must be a positive number of seconds, not {value!r}")


def listen_limits(given: object) -> HttpLimits:
    """The limits of one HTTP listen (``lc.listen(..., http_limits=given)``).

    ``given`` is an ``HttpLimits`` (used as it is) or a mapping of some limits by name
    (``{"idle_close": 5.0, "max_connections": 100}``), which change those in force in the
    process (``LC_HTTP_<NAME>``, ``set_http_limits``) for this listen only.

    Raises:
        TypeError: ``given`` is neither, or names a limit that does not exist.
        ValueError: a value the limit cannot take (the text names the limit and what it
            must be).
    """
    if isinstance(given, HttpLimits):
        return given
    if not isinstance(given, Mapping):
        raise TypeError(
            "http_limits must be a dict of limits by name or an HttpLimits, "
            f"not {type(given).__name__}"
        )
    for name, value in given.items():
        if name not in _ALLOWED:
            known = ", ".join(_ALLOWED)
            raise TypeError(f"http_limits: unknown HTTP limit {name!r} (known: {known})")
        _check_limit(name, value)
    return LIMITS[0].replace(**given)


# Errors ------------------------------------------------------------------------------------


class HttpError(Exception):
    """A failure of the HTTP server protocol."""


class LocalHttpError(HttpError):
    """Our side misused the connection (e.g. ``respond`` with no request awaiting one)."""


class RemoteHttpError(HttpError):
    """The client sent a request the server answers itself with ``status_code``.

    ``str()`` is the response body: ``cannot recover request "<uri>" (<reason>)``.
    """

    status_code = 400
    reason_phrase = "Bad Request"
    rejection = False  # a §6.4 rejection: counted, logged, connection closed

    def __init__(self, reason: str, uri: str | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.uri = uri

    def __str__(self) -> str:
        if self.uri is None:
            return f"cannot recover request ({self.reason})"
        return f'cannot recover request "{self.uri}" ({self.reason})'


class BadRequest(RemoteHttpError):
    """400: the request does not decode into a message (§6.1; the connection stays open)."""


class NotFound(RemoteHttpError):
    """404: the name is not an API class and ``default_to_request`` is off."""

    status_code = 404
    reason_phrase = "Not Found"


class MalformedRequest(RemoteHttpError):
    """400: not HTTP/1.1, or a method/version over its limit (§6.4)."""

    rejection = True


class NonPrintableRequest(MalformedRequest):
    """400: a non-printable byte in the request line or a header (§6.4)."""


class UriTooLong(RemoteHttpError):
    """414: request URI over ``MAX_URI`` characters."""

    status_code = 414
    reason_phrase = "URI Too Long"
    rejection = True


class HeaderTooLarge(RemoteHttpError):
    """431: a header name/value, or the whole header section, over its limit."""

    status_code = 431
    reason_phrase = "Request Header Fields Too Large"
    rejection = True


class PayloadTooLarge(RemoteHttpError):
    """413: a body over ``MAX_BODY`` bytes."""

    status_code = 413
    reason_phrase = "Payload Too Large"
    rejection = True


class RequestTimeout(RemoteHttpError):
    """408: a request did not arrive whole within ``header_timeout`` (a slow client)."""

    status_code = 408
    reason_phrase = "Request Timeout"
    rejection = True


class _StopReading(Exception):
    """Raised from a callback: input after the connection's last request is ignored."""


# Events ------------------------------------------------------------------------------------


class Deliver:
    """Hand ``message`` to the controller (return address: the connection's proxy)."""

    __slots__ = ("message",)

    def __init__(self, message: object) -> None:
        self.message = message

    def __repr__(self) -> str:
        return f"Deliver({self.message!r})"


class Reply:
    """Write ``data`` now; then close the connection if ``close``.

    ``error`` is the refusal behind a server-made response (log a WARNING with the peer
    address when ``error.rejection``); None for ``100 Continue``.
    """

    __slots__ = ("close", "data", "error")

    def __init__(self, data: bytes, close: bool, error: RemoteHttpError | None = None) -> None:
        self.data = data
        self.close = close
        self.error = error

    def __repr__(self) -> str:
        return f"Reply({self.data[:40]!r}..., close={self.close})"


class Close:
    """The peer has closed and nothing is owed to it: close the connection."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "Close()"


# Response building -------------------------------------------------------------------------

_CONTINUE = b"HTTP/1.1 100 Continue\r\n\r\n"
_TEXT = b"text/plain; charset=utf-8"
_JSON = b"application/json"
_FORM = "application/x-www-form-urlencoded"
_NON_PRINTABLE = _compile(rb"[^\x20-\x7e]")
_NON_PRINTABLE_VALUE = _compile(rb"[\x00-\x08\x0a-\x1f\x7f]")  # HTAB and obs-text allowed
_UNSAFE_HEADER = _compile(r"[\r\n\x00]")

# Faults without an error_code that have their own status (§6.2).
_FAULT_STATUS: dict[type, tuple[int, bytes]] = {
    Busy: (503, b"Service Unavailable"),
    Overloaded: (503, b"Service Unavailable"),
    TemporarilyUnavailable: (503, b"Service Unavailable"),
    OutOfService: (503, b"Service Unavailable"),
    TimedOut: (504, b"Gateway Timeout"),
}
# Other faults: the reason phrase by status class (§6.2).
_CLASS_PHRASE = {
    1: b"Information",
    2: b"OK",
    3: b"Multiple Choices",
    4: b"Client Error",
    5: b"Server Error",
}
# Headers the server writes itself; an HttpResponse.header entry replaces ours.
_OWN_HEADERS = frozenset(("date", "server", "content-type"))

_date_cache = [-1, b""]  # [second, text]: the Date header is formatted once a second


def _date() -> bytes:
    """RFC 1123 date, GMT."""
    now = int(time.time())
    if now != _date_cache[0]:
        _date_cache[1] = formatdate(now, usegmt=True).encode("ascii")
        _date_cache[0] = now
    return _date_cache[1]  # type: ignore[return-value]


def _unquote(text: str) -> str:
    """URL-decoding with ``+`` as a space; plain text (the common case) passes untouched."""
    if "%" in text or "+" in text:
        return unquote_plus(text)
    return text


def _fault_status(fault: Faulted) -> tuple[int, bytes]:
    code = fault.error_code
    if code is None:
        for cls, status in _FAULT_STATUS.items():
            if isinstance(fault, cls):
                return status
        return 500, b"Server Error"
    if type(code) is int and 100 <= code <= 599:
        return code, _CLASS_PHRASE[code // 100]
    return 500, b"Server Error"


# The connection ----------------------------------------------------------------------------


class _Parsed:
    """One request as parsed (or the rejection that ended the input, in ``error``)."""

    __slots__ = (
        "body",
        "content_type",
        "error",
        "expect",
        "header",
        "keep_alive",
        "method",
        "size",
        "uri",
        "version",
    )

    def __init__(self) -> None:
        self.method = ""
        self.uri = ""
        self.version = "HTTP/1.1"
        self.header: dict[str, str] = {}
        self.content_type: str | None = None
        self.expect = False
        self.body = bytearray()
        self.keep_alive = True
        self.error: RemoteHttpError | None = None
        self.size = 0  # URI and body bytes, counted against max_queued_bytes


# Parser phases.
_IDLE, _HEAD, _BODY = 0, 1, 2


class HttpServerConnection:
    """One accepted HTTP/1.1 connection, without the I/O.

    Args:
        api_classes: the ``http_server`` list; a request names one by class name.
        uri_form: the REST ``ReForm``; when given, every request is a ``FormRequest`` (or 400).
        default_to_request: unknown names become ``HttpRequest`` (else 404).
        server_name: the ``Server`` header; by default ``Layer-Cake-REST-server/1.0`` with a
            ``uri_form``, else ``Layer-Cake-API-server/1.0``.
        limits: the bounds of this connection (``LIMITS`` when None): how many requests may
            wait unanswered before input stops being parsed, and the largest response.

    Raises:
        ValueError: ``uri_form`` does not compile (the ``NotListening`` text).
    """

    def __init__(
        self,
        api_classes: list[type] | None = None,
        uri_form: ReForm | None = None,
        default_to_request: bool = False,
        server_name: str | None = None,
        limits: HttpLimits | None = None,
    ) -> None:
        self._api: dict[str, tuple[type, dict[str, object], object]] = {}
        for cls in api_classes or ():
            spec = SPECS.get(cls)
            if spec is None:
                bind_message(cls)
                spec = SPECS[cls]
            self._api[cls.__name__] = (cls, dict(spec.fields), spec.portable)
        self._form = uri_form.compile_form() if uri_form is not None else None
        self._default_to_request = default_to_request
        if server_name is None:
            server_name = REST_SERVER if uri_form is not None else API_SERVER
        self._server = server_name.encode("latin-1", "replace")

        self._parser = httptools.HttpRequestParser(self)
        self._phase = _IDLE
        self._current = _Parsed()
        self._uri_parts: list[bytes] = []
        self._uri_length = 0
        self._head_bytes = 0
        self._begun = False  # a message began during the current feed
        self.begun = 0  # requests begun on this connection (the transport's header timeout)

        self._queue: deque[_Parsed] = deque()
        self._in_flight: _Parsed | None = None
        self._awaiting: str | None = None
        self._reading = True  # False after EOF, a rejection, or a last (non keep-alive) request
        self._peer_closed = False
        self._closed = False

        limits = limits or LIMITS[0]
        self._max_pipelined = limits.max_pipelined
        self._max_queued_bytes = limits.max_queued_bytes
        self._max_response = limits.max_response
        self._queued_bytes = 0
        self._unread = b""  # input received while the queue was full, not parsed yet
        self._unread_at = 0
        self._body_left = -1  # bytes of the current body still to come (-1: unknown)
        self._eof = False  # the end of input arrived behind unread bytes
        self.refused_response: str | None = None  # why the last answer was replaced, if it was

    # Transport side ----------------------------------------------------------------------

    @property
    def awaiting(self) -> str | None:
        """Name of the message delivered and not yet answered (None when none is)."""
        return self._awaiting

    @property
    def closed(self) -> bool:
        """True once an event or answer said to close."""
        return self._closed

    @property
    def wants_input(self) -> bool:
        """True while more bytes may be read: nothing unparsed waits and the queue has room.

        The transport pauses reading while this is False and resumes it (then calls
        ``pump()``) once an answer has made room.
        """
        return (
            self._reading
            and not self._closed
            and not self._unread
            and len(self._queue) + (self._in_flight is not None) < self._max_pipelined
            and self._queued_bytes < self._max_queued_bytes
        )

    @property
    def has_unread(self) -> bool:
        """Input is waiting, unparsed, for room in the queue."""
        return bool(self._unread) or (self._eof and not self._peer_closed)

    @property
    def receiving(self) -> bool:
        """A request has begun to arrive and is not complete (the header timeout runs)."""
        return self._phase != _IDLE

    @property
    def waiting(self) -> int:
        """Requests parsed and queued behind the one in flight."""
        return len(self._queue)

    @property
    def unread(self) -> int:
        """Bytes received and kept unparsed until the queue has room."""
        return len(self._unread) - self._unread_at

    @property
    def owing(self) -> bool:
        """Requests are waiting for an answer (delivered or queued)."""
        return self._in_flight is not None or bool(self._queue)

    def receive_data(self, data: bytes) -> list[Deliver | Reply | Close]:
        """Feed bytes from the socket (``b""`` at end of input); the events they release.

        While the queue of unanswered requests is full the bytes are kept unparsed; ``pump()``
        parses them once answers have made room.
        """
        if self._closed or not self._reading:
            return []
        if not data:
            self._eof = True
        elif self._unread:
            self._unread = self._unread[self._unread_at :] + data
            self._unread_at = 0
        elif (
            self._phase == _IDLE
            and len(data) <= _SLICE
            and data.find(_END_OF_HEAD) == len(data) - 4
            and len(self._queue) + (self._in_flight is not None) < self._max_pipelined
            and self._queued_bytes < self._max_queued_bytes
        ):
            # The common case: one request without a body in one read (``_feed`` inlined:
            # the head is complete, it ends the read).
            self._begun = False
            try:
                self._parser.feed_data(data)
            except _PARSER_STOPPED as e:
                self._failed(e)
            events = self.next_events()
            return self._released(events) if self._phase == _BODY else events
        else:
            self._unread = bytes(data)
            self._unread_at = 0
        return self.pump()

    def pump(self) -> list[Deliver | Reply | Close]:
        """Parse unread input while the queue has room; the events released."""
        events: list[Deliver | Reply | Close] = []
        replied = 0
        while self._unread and self._reading and not self._closed and self._has_room():
            piece = self._next_piece()
            at = self._unread_at + len(piece)
            if at >= len(self._unread):
                self._unread, self._unread_at = b"", 0
            else:
                self._unread_at = at
            self._feed(piece)
            released = self.next_events()
            events += released
            for event in released:
                if type(event) is Reply:
                    replied += len(event.data)
            if replied >= _REPLY_BUDGET:
                break  # let the transport write these (and push back) before parsing on
        if not self._reading:
            self._unread, self._unread_at = b"", 0  # input after the last request is ignored
        if self._eof and not self._unread and not self._peer_closed:
            self._reading = False
            self._peer_closed = True
            events += self.next_events()
        return self._released(events)

    def expire_request(self, seconds: float) -> list[Deliver | Reply | Close]:
        """The request being received took over ``seconds``: refuse it with a 408 after any
        answers still owed, then close (counted in ``http_rejected``)."""
        if self._closed or not self._reading:
            return []
        uri = self._uri_text() if self._phase != _IDLE and self._uri_parts else None
        self._reject(RequestTimeout(f"request not complete within {seconds:g} seconds", uri))
        self._unread, self._unread_at = b"", 0
        return self.next_events()

    def refuse_connection(self, reason: str) -> bytes:
        """A 503 for a connection refused before its first request (counted in
        ``http_rejected``); the connection is closed after it."""
        count("http_rejected")
        self._closed = True
        self._reading = False
        return self._plain(503, b"Service Unavailable", f"cannot accept connection ({reason})")

    def _next_piece(self) -> bytes:
        """The unread bytes up to the end of the next request head or known body, at most
        ``_SLICE``: a piece completes at most one request."""
        unread, at = self._unread, self._unread_at
        limit = min(len(unread), at + _SLICE)
        if self._phase == _BODY and self._body_left > 0:
            stop = min(at + self._body_left, limit)
        else:
            mark = unread.find(_END_OF_HEAD, at, limit)
            stop = limit if mark < 0 else mark + 4
        return unread[at:stop]

    def _has_room(self) -> bool:
        return (
            len(self._queue) + (self._in_flight is not None) < self._max_pipelined
            and self._queued_bytes < self._max_queued_bytes
        )

    def _released(self, events: list[Deliver | Reply | Close]) -> list[Deliver | Reply | Close]:
        """``events``, and a ``100 Continue`` if a body is awaited by a request that is next."""
        if (
            self._phase == _BODY
            and self._current.expect
            and self._reading
            and self._in_flight is None
            and not self._queue
            and not self._closed
        ):
            self._current.expect = False
            events.append(Reply(_CONTINUE, False))
        return events

    def _feed(self, data: bytes) -> None:
        """Parse ``data``: complete requests join the queue, a violation ends the input."""
        self._begun = False
        try:
            self._parser.feed_data(data)
        except _PARSER_STOPPED as e:
            self._failed(e)
        else:
            if self._phase == _HEAD and not self._begun:
                # The whole read belonged to a head still incomplete.
                self._head_bytes += len(data)
                if self._head_bytes > MAX_HEADER_SECTION:
                    self._reject(
                        HeaderTooLarge(
                            f"header section longer than {MAX_HEADER_SECTION} bytes",
                            self._uri_text(),
                        )
                    )

    def _failed(self, e: Exception) -> None:
        """httptools stopped: a refusal of ours, a violation, or an upgrade."""
        if isinstance(e, httptools.HttpParserCallbackError):
            cause = e.__context__
            if isinstance(cause, RemoteHttpError):
                self._reject(cause)
            elif isinstance(cause, _StopReading):
                pass
            else:
                raise e  # a bug of ours, not the client's
        elif isinstance(e, httptools.HttpParserUpgrade):
            # The request before the upgrade is complete and queued; what follows is not
            # HTTP/1.1: answer that request, then close.
            if self._queue:
                self._queue[-1].keep_alive = False
            self._reading = False
        else:
            self._reject(MalformedRequest(f"malformed request line or header ({e})"))

    def next_events(self) -> list[Deliver | Reply | Close]:
        """Events released now: the next request to deliver, server-made answers, a close."""
        events: list[Deliver | Reply | Close] = []
        queue = self._queue
        while self._in_flight is None and queue and not self._closed:
            parsed = queue.popleft()
            self._queued_bytes -= parsed.size
            if parsed.error is not None:
                self._closed = True
                events.append(Reply(self._refusal(parsed.error, parsed), True, parsed.error))
                break
            try:
                message = self._decode(parsed)
            except RemoteHttpError as error:
                close = self._closing_after(parsed)
                self._closed = close
                events.append(Reply(self._refusal(error, parsed), close, error))
                continue
            self._in_flight = parsed
            self._awaiting = type(message).__name__
            events.append(Deliver(message))
        if self._peer_closed and self._in_flight is None and not queue and not self._closed:
            self._closed = True
            events.append(Close())
        return events

    def respond(self, value: object) -> tuple[bytes, bool]:
        """The response to the request in flight for ``value`` sent by the application (§6.2).

        Returns:
            ``(data, close)``: write ``data``, then close the connection if ``close``; else
            call ``next_events()``.

        Raises:
            LocalHttpError: no request is awaiting a response.
        """
        parsed = self._in_flight
        if parsed is None or self._closed:
            raise LocalHttpError("no request awaiting a response")
        name = self._awaiting
        self._in_flight = None
        self._awaiting = None
        data, close = self.response(value, parsed.method == "HEAD")
        self.refused_response = None
        cap = self._max_response
        if cap is not None and len(data) > cap:
            text = f'response of {len(data)} bytes to "{name}" is over the limit of {cap} bytes'
            self.refused_response = text
            data = self._plain(500, b"Server Error", text, parsed.method == "HEAD")
        close = close or self._closing_after(parsed)
        self._closed = close
        return data, close

    def unanswered(self, seconds: float) -> tuple[bytes, bool]:
        """504 for the request in flight after ``seconds`` without an answer (§6.1 item 6).

        Counts ``http_unanswered``. The connection is closed after it: a late answer could
        otherwise be taken for the answer to the next request.

        Raises:
            LocalHttpError: no request is awaiting a response.
        """
        parsed = self._in_flight
        if parsed is None or self._closed:
            raise LocalHttpError("no request awaiting a response")
        count("http_unanswered")
        text = f'no response to "{self._awaiting}" within {seconds:g} seconds'
        self._in_flight = None
        self._awaiting = None
        self._closed = True
        return self._build(
            504, b"Gateway Timeout", _TEXT, text.encode(), (), parsed.method == "HEAD"
        ), True

    def response(self, value: object, head: bool = False) -> tuple[bytes, bool]:
        """The bytes of the response for ``value`` (§6.2), and whether it asks to close.

        ``head``: the request was ``HEAD``, so the body is left out (its length stays).
        """
        if type(value) is HttpResponse:
            return self._custom(value, head)
        if isinstance(value, Faulted):
            status, phrase = _fault_status(value)
        else:
            status, phrase = 200, b"OK"
        try:
            body = encode_json(value).encode()
        except CodecError as e:
            return self._plain(500, b"Server Error", f"cannot encode response ({e})", head), False
        return self._build(status, phrase, _JSON, body, (), head), False

    # Requests to messages (§6.1, §7) -------------------------------------------------------

    def _decode(self, parsed: _Parsed) -> object:
        uri = parsed.uri
        body = parsed.body
        if self._form is not None:
            pattern, names = self._form
            match = pattern.fullmatch(uri)
            if match is None:
                raise BadRequest("request URI does not match form", uri)
            return FormRequest(
                parsed.method,
                uri,
                {n: match.group(n) for n in names},
                parsed.version,
                parsed.header,
                body if body else None,
            )
        if len(uri) < 2 or uri[0] != "/":
            raise BadRequest(f'unexpected request URI "{uri}"', uri)
        path, query_mark, query = uri.partition("?")
        name = path[path.rfind("/") + 1 :]
        api = self._api.get(name)
        if api is None:
            if self._default_to_request:
                return HttpRequest(
                    parsed.method, uri, parsed.version, parsed.header, body if body else None
                )
            raise NotFound(f'unknown message "{name}"', uri)
        cls, fields, portable = api
        content_type = parsed.content_type
        media = content_type.partition(";")[0].strip().lower() if content_type else ""
        if query_mark:
            return self._fill(cls(), name, fields, query, uri)
        if media == _FORM:
            return self._fill(cls(), name, fields, body.decode("utf-8", "replace"), uri)
        if media == "application/json":
            if parsed.method != "POST":
                raise BadRequest(f'JSON body with method "{parsed.method}" (POST expected)', uri)
            if not body:
                return cls()
            try:
                return decode_json(body, portable)  # type: ignore[arg-type]
            except CodecError as e:
                raise BadRequest(str(e), uri) from None
        if not body:
            return cls()
        raise BadRequest(
            f'unexpected content type "{content_type or ""}" for HTTP request "{name}"', uri
        )

    @staticmethod
    def _fill(message: object, name: str, fields: dict[str, object], text: str, uri: str) -> object:
        """Set fields from ``key=value&...`` text (types-and-encoding §8)."""
        for pair in text.split("&"):
            if not pair:
                continue
            key, equals, value = pair.partition("=")
            key = _unquote(key)
            if not equals:
                raise BadRequest(f'unexpected field "{key}" query', uri)
            portable = fields.get(key)
            if portable is None:
                raise BadRequest(f'unknown key "{key}" in "{name}" query', uri)
            try:
                decoded = decode_argument(_unquote(value), portable)  # type: ignore[arg-type]
            except (CodecError, ValueError, TypeError, RecursionError) as e:
                raise BadRequest(f'no conversion for "{key}" ({e})', uri) from None
            setattr(message, key, decoded)
        return message

    # Responses -----------------------------------------------------------------------------

    def _closing_after(self, parsed: _Parsed) -> bool:
        """Close after answering ``parsed``: the client asked, or nothing more can come."""
        return not parsed.keep_alive or (self._peer_closed and not self._queue)

    def _refusal(self, error: RemoteHttpError, parsed: _Parsed) -> bytes:
        return self._plain(
            error.status_code,
            error.reason_phrase.encode("ascii"),
            str(error),
            parsed.method == "HEAD",
        )

    def _plain(self, status: int, phrase: bytes, text: str, head: bool = False) -> bytes:
        return self._build(status, phrase, _TEXT, text.encode("utf-8"), (), head)

    def _custom(self, r: HttpResponse, head: bool) -> tuple[bytes, bool]:
        body = r.body
        header = r.header or {}
        own = {}
        close = False
        for name, value in header.items():
            lower = str(name).lower()
            if _UNSAFE_HEADER.search(str(name)) or _UNSAFE_HEADER.search(str(value)):
                return self._plain(
                    500, b"Server Error", f'Custom response with unsafe header "{name!s}"', head
                ), False
            if lower == "connection" and str(value).strip().lower() == "close":
                close = True
            own[lower] = (name, value)
        if body is None:
            content, content_type = b"", None
        elif isinstance(body, str):
            content, content_type = body.encode("utf-8"), _TEXT
        elif isinstance(body, (bytes, bytearray, memoryview)):
            if "content-type" not in own:
                return self._plain(
                    500, b"Server Error", 'Custom response but "Content-Type" not specified', head
                ), close
            content, content_type = bytes(body), None
        else:
            try:
                content, content_type = encode_json(body).encode(), _JSON
            except CodecError as e:
                return self._plain(
                    500, b"Server Error", f"cannot encode response ({e})", head
                ), close
        try:
            status = int(r.status_code)
        except (TypeError, ValueError):
            status = 0
        if not 100 <= status <= 599 or _UNSAFE_HEADER.search(f"{r.http}{r.reason_phrase}"):
            return self._plain(
                500, b"Server Error", f'Custom response with bad status "{r.status_code}"', head
            ), close
        extra = [
            (str(name).encode("latin-1", "replace"), str(value).encode("latin-1", "replace"))
            for lower, (name, value) in own.items()
            if lower not in ("content-length", "transfer-encoding")
        ]
        first = f"{r.http or 'HTTP/1.1'} {status} {r.reason_phrase or ''}".encode(
            "latin-1", "replace"
        )
        return self._build_line(first, own, content_type, content, extra, head), close

    def _build(
        self,
        status: int,
        phrase: bytes,
        content_type: bytes | None,
        body: bytes,
        extra: tuple | list,
        head: bool,
    ) -> bytes:
        return self._build_line(
            b"HTTP/1.1 %d %s" % (status, phrase), {}, content_type, body, extra, head
        )

    def _build_line(
        self,
        first: bytes,
        own: dict,
        content_type: bytes | None,
        body: bytes,
        extra: tuple | list,
        head: bool,
    ) -> bytes:
        parts = [first]
        if "date" not in own:
            parts.append(b"Date: " + _date())
        if "server" not in own:
            parts.append(b"Server: " + self._server)
        parts.append(b"Content-Length: %d" % len(body))
        if content_type is not None and "content-type" not in own:
            parts.append(b"Content-Type: " + content_type)
        for name, value in extra:
            parts.append(name + b": " + value)
        parts.append(b"")
        parts.append(b"" if head else body)
        return b"\r\n".join(parts)

    # Rejections (§6.4) ---------------------------------------------------------------------

    def _reject(self, error: RemoteHttpError) -> None:
        """Stop reading for good; the refusal is the last thing the FIFO releases."""
        count("http_rejected")
        self._reading = False
        if error.uri is None and self._uri_parts and not isinstance(error, UriTooLong):
            error.uri = self._uri_text()
        refused = _Parsed()
        refused.error = error
        refused.keep_alive = False
        if self._phase != _IDLE:
            refused.method = self._current.method
        self._queue.append(refused)
        self._phase = _IDLE

    def _uri_text(self) -> str:
        return b"".join(self._uri_parts).decode("ascii", "replace")

    # httptools callbacks -------------------------------------------------------------------

    def on_message_begin(self) -> None:
        if not self._reading:
            raise _StopReading
        self._current = _Parsed()
        self._uri_parts = []
        self._uri_length = 0
        self._head_bytes = 0
        self._begun = True
        self.begun += 1
        self._phase = _HEAD

    def on_url(self, fragment: bytes) -> None:
        if not self._uri_parts:
            method = self._parser.get_method()
            if len(method) > MAX_METHOD:
                raise MalformedRequest(f"method longer than {MAX_METHOD} characters")
            self._current.method = method.decode("ascii", "replace")
        self._uri_length += len(fragment)
        if self._uri_length > MAX_URI:
            raise UriTooLong(f"request URI longer than {MAX_URI} characters")
        if _NON_PRINTABLE.search(fragment):
            raise NonPrintableRequest("non-printable byte in request line")
        self._uri_parts.append(fragment)

    def on_header(self, name: bytes, value: bytes) -> None:
        if len(name) > MAX_HEADER_NAME:
            raise HeaderTooLarge(
                f"header name longer than {MAX_HEADER_NAME} characters", self._uri_text()
            )
        text = name.decode("latin-1")
        if len(value) > MAX_HEADER_VALUE:
            raise HeaderTooLarge(
                f'header "{text}" longer than {MAX_HEADER_VALUE} characters', self._uri_text()
            )
        if _NON_PRINTABLE.search(name) or _NON_PRINTABLE_VALUE.search(value):
            raise NonPrintableRequest(f'non-printable byte in header "{text}"', self._uri_text())
        current = self._current
        decoded = value.decode("latin-1")
        header = current.header
        header[text] = f"{header[text]}, {decoded}" if text in header else decoded
        lower = text.lower()
        if lower == "content-type":
            current.content_type = decoded
        elif lower == "expect":
            current.expect = decoded.strip().lower() == "100-continue"

    def on_headers_complete(self) -> None:
        current = self._current
        current.uri = uri = self._uri_text()
        if not self._uri_parts:  # no URL callback: the method is read here
            current.method = self._parser.get_method().decode("ascii", "replace")
            if len(current.method) > MAX_METHOD:
                raise MalformedRequest(f"method longer than {MAX_METHOD} characters")
        version = "HTTP/" + self._parser.get_http_version()
        if version == "HTTP/0.9":  # llhttp's reading of a request line with no version
            raise MalformedRequest("no HTTP version in request line", uri)
        if len(version) > MAX_VERSION:
            raise MalformedRequest(f"version longer than {MAX_VERSION} characters", uri)
        current.version = version
        self._body_left = -1
        for name, value in current.header.items():
            if name.lower() == "content-length":
                try:
                    length = int(value.partition(",")[0])
                except ValueError:
                    raise MalformedRequest(f'bad Content-Length "{value}"', uri) from None
                if length > MAX_BODY:
                    raise PayloadTooLarge(f"body of {length} bytes, more than {MAX_BODY}", uri)
                self._body_left = length
        self._phase = _BODY

    def on_body(self, chunk: bytes) -> None:
        body = self._current.body
        if len(body) + len(chunk) > MAX_BODY:
            raise PayloadTooLarge(f"body longer than {MAX_BODY} bytes", self._current.uri)
        body += chunk
        self._body_left -= len(chunk)

    def on_message_complete(self) -> None:
        current = self._current
        current.keep_alive = keep_alive = self._parser.should_keep_alive()
        current.expect = False
        current.size = size = len(current.body) + len(current.uri)
        self._queued_bytes += size
        self._queue.append(current)
        self._phase = _IDLE
        if not keep_alive:
            self._reading = False  # Connection: close (or HTTP/1.0): nothing more is read
