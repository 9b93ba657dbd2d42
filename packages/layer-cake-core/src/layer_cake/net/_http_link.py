# cython: annotation_typing=False
"""HTTP connections: the socket side of the sans-I/O HTTP server and client machines.

A server connection delivers each decoded request to the listen's controller with the
connection's proxy as return address; whatever the application sends to that proxy becomes
the response. A client connection's proxy is the "client session": messages sent to it
become requests, and each response goes back to its request's sender. Only bytes move here;
parsing and building are in ``_http_server`` / ``_http_client``.
"""

from __future__ import annotations

import asyncio
import time
import weakref

from ..runtime._counters import count
from ..runtime._dispatch import send_from
from ..runtime._log import LOG, write_entry
from ..runtime._loop import LOOP
from ..runtime._messages import USER_LOG
from ._http_client import HttpClientConnection, RemoteProtocolError
from ._http_messages import ReForm
from ._http_server import (
    LIMITS,
    Deliver,
    HttpLimits,
    HttpServerConnection,
    LocalHttpError,
    Reply,
)
from ._http_server import Close as PeerGone
from ._link import Link, ipp_of
from ._messages import Accepted, Close, Closed, ConnectStream, EndOfTransport, ListenForStream

__all__ = ["http_server_factory", "http_client_factory", "check_form", "HttpListen", "server_links"]

_LISTENS: weakref.WeakSet = weakref.WeakSet()  # every HttpListen alive, for server_links()


def server_links() -> list:
    """The open HTTP server connections of this process (diagnostics; call on the loop)."""
    return [link for listen in list(_LISTENS) for link in listen.links]


def check_form(uri_form: object) -> None:
    """Raise ``ValueError`` with the ``NotListening`` text if a listen's form is unusable."""
    if not isinstance(uri_form, ReForm):
        raise ValueError("URI provided with no pattern")
    uri_form.compile_form()


class HttpListen:
    """What the connections of one HTTP listen share: their limits, the open connections (for
    the connection cap) and one sweep timer for the header timeout and the idle close.

    One timer per listen, not one per connection: a request costs no timer, and the sweep
    reads a few attributes per open connection every ``tick`` seconds.
    """

    def __init__(self, limits: HttpLimits) -> None:
        self.limits = limits
        self.cap = limits.connection_cap()
        self.links: dict[HttpServerLink, None] = {}  # insertion order: the oldest first
        self.timer: asyncio.TimerHandle | None = None
        shortest = min(limits.header_timeout, limits.idle_close)
        self.tick = min(max(shortest / 4.0, 0.01), 1.0)
        self.shed = 0
        _LISTENS.add(self)

    def admit(self, link: HttpServerLink) -> bool:
        """Count ``link`` in; at the cap, shed the idlest connection first. False: every
        connection is busy and ``link`` must be refused."""
        if len(self.links) >= self.cap:
            victim = self._idlest()
            if victim is None:
                return False
            self.shed += 1
            if LOG.level <= USER_LOG.WARNING and (self.shed == 1 or self.shed % 100 == 0):
                write_entry(
                    "?",
                    victim.proxy_address,
                    "http",
                    f'Shedding idle connection from "{victim.opened_ipp}" at the cap of '
                    f"{self.cap} connections ({self.shed} shed on this listen)",
                )
            victim.shed()
        self.links[link] = None
        if self.timer is None:
            self.timer = LOOP.loop.call_later(self.tick, self._sweep)  # type: ignore[union-attr]
        return True

    def remove(self, link: HttpServerLink) -> None:
        self.links.pop(link, None)

    def _idlest(self) -> HttpServerLink | None:
        """The connection that has waited longest with nothing owed to it (None: all busy)."""
        best, since = None, 0.0
        now = time.monotonic()
        for link in self.links:
            waited = link.idle_since(now)
            if waited is not None and (best is None or waited < since):
                best, since = link, waited
        return best

    def _sweep(self) -> None:
        self.timer = None
        if not self.links:
            return
        now = time.monotonic()
        limits = self.limits
        for link in list(self.links):
            link.check(now, limits)
        if self.links:
            self.timer = LOOP.loop.call_later(self.tick, self._sweep)  # type: ignore[union-attr]


class HttpServerLink(Link):
    """One accepted HTTP/1.1 connection.

    Flow control: reading pauses while the connection's queue of unanswered requests is full
    or while the transport's write buffer is over its high-water mark (the client does not
    read its answers), and resumes when both have room again. Input read before a pause
    waits unparsed in the connection (at most one read).
    """

    def __init__(
        self, controller: tuple, request: ListenForStream, listening: list, shared: HttpListen
    ) -> None:
        super().__init__(controller)
        self.request = request
        self.listening = listening
        self.shared = shared
        self.conn = HttpServerConnection(
            request.http_server or None,
            request.uri_form,
            request.default_to_request,
            limits=shared.limits,
        )
        self.timer: asyncio.TimerHandle | None = None
        # Timestamps are taken by the listen's sweep, not per request: the hot path only counts.
        self.activity = 0  # reads and writes so far
        self.activity_seen = 0  # ``activity`` at the sweep that set ``last_active``
        self.last_active = 0.0  # when activity was last seen (monotonic)
        self.request_seen = 0  # ``conn.begun`` when ``request_began`` was set
        self.request_began: float | None = None  # a request began to arrive and is incomplete
        self.write_paused_at = 0.0

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.attach(transport)
        self.opened_ipp = ipp_of(transport.get_extra_info("peername"))
        self.last_active = time.monotonic()
        accepted = Accepted(
            self.listening[0] if self.listening else None,
            self.opened_ipp,
            self.proxy_address,
            self.opened_at,
        )
        send_from(None, accepted, self.controller, self.proxy_address)
        if not self.shared.admit(self):
            reason = f"{self.shared.cap} connections open, none idle"
            if LOG.level <= USER_LOG.WARNING:
                write_entry(
                    "?",
                    self.proxy_address,
                    "http",
                    f'Refused connection from "{self.opened_ipp}" ({reason})',
                )
            self.transport.write(self.conn.refuse_connection(reason))  # type: ignore[union-attr]
            self.close(EndOfTransport.ON_REQUEST, note=reason)

    def data_received(self, data: bytes) -> None:
        self.activity += 1
        conn = self.conn
        self.handle(conn.receive_data(data))
        if self.paused or not conn.wants_input:
            self._flow()

    def eof_received(self) -> bool:
        """The client shut its write side: answers still owed go out, then the connection
        closes (True keeps the transport open for them)."""
        self.handle(self.conn.receive_data(b""))
        self._flow()
        return not self.conn.closed and self.closing is None

    def handle(self, events: list) -> None:
        for event in events:
            t = type(event)
            if t is Deliver:
                send_from(None, event.message, self.controller, self.proxy_address, False, True)
                self._arm()
            elif t is Reply:
                if (
                    event.error is not None
                    and event.error.rejection
                    and LOG.level <= USER_LOG.WARNING
                ):
                    write_entry(
                        "?",
                        self.proxy_address,
                        "http",
                        f'Rejected request from "{self.opened_ipp}" ({event.error})',
                    )
                self.write(event.data, event.close)
            elif t is PeerGone:
                self.close(EndOfTransport.ABANDONED_BY_REMOTE)

    def write(self, data: bytes, close: bool) -> None:
        if self.transport is None or self.transport.is_closing():
            return
        if data:
            self.transport.write(data)
            self.activity += 1
        if close:
            self.close(EndOfTransport.ON_REQUEST)

    def send_out(self, message: object, to: tuple, back: tuple) -> None:
        if type(message) is Close:
            self.close(message.reason, message.message, message.note, message.error_code)
            return
        self._disarm()
        conn = self.conn
        try:
            data, close = conn.respond(message)
        except LocalHttpError:
            if LOG.level <= USER_LOG.TRACE:
                write_entry(
                    "~", self.proxy_address, "http", "Response with no request waiting, dropped"
                )
            count("undeliverable")
            return
        if conn.refused_response is not None and LOG.level <= USER_LOG.WARNING:
            write_entry("?", self.proxy_address, "http", f"Refused {conn.refused_response}")
        self.write(data, close)
        if not close:
            self.handle(conn.next_events())
            if self.reading_paused or conn.has_unread:
                self._flow()

    # Flow control ------------------------------------------------------------------------------

    def _flow(self) -> None:
        """Parse what waited unread if there is room now; pause or resume reading to match."""
        transport = self.transport
        if transport is None or transport.is_closing():
            return
        conn = self.conn
        while conn.has_unread and not self.paused:
            events = conn.pump()
            if not events:
                break  # no room yet
            self.handle(events)
            if transport.is_closing():
                return
        want = conn.wants_input and not self.paused
        if want:
            if self.reading_paused:
                self.reading_paused = False
                transport.resume_reading()
        elif not self.reading_paused:
            self.reading_paused = True
            transport.pause_reading()

    def pause_writing(self) -> None:
        self.paused = True
        self.write_paused_at = time.monotonic()
        transport = self.transport
        if not self.reading_paused and transport is not None and not transport.is_closing():
            self.reading_paused = True
            transport.pause_reading()

    def resume_writing(self) -> None:
        super().resume_writing()  # sends the answers held meanwhile
        self._flow()

    # Timeouts and shedding (the listen's sweep) ------------------------------------------------

    def idle_since(self, now: float) -> float | None:
        """Since when this connection has waited on its client with nothing owed (None: an
        answer is owed, so it is busy); ``now`` if it was active since the last sweep."""
        if self.closing is not None or self.ended:
            return None
        conn = self.conn
        if conn.owing or conn.closed:
            return None
        if self.paused:
            return self.write_paused_at
        if conn.receiving and self.request_began is not None and self.request_seen == conn.begun:
            return self.request_began
        if self.activity != self.activity_seen:
            return now
        return self.last_active

    def check(self, now: float, limits: HttpLimits) -> None:
        """Apply the header timeout, the idle close and the unread-answers close."""
        if self.transport is None or self.closing is not None or self.ended:
            return
        conn = self.conn
        if conn.closed:
            return
        if self.activity != self.activity_seen:
            self.activity_seen = self.activity
            self.last_active = now
        if conn.has_unread:
            self.request_began = None  # the wait is ours (the queue is full), not the client's
        elif conn.receiving:
            if self.request_began is None or self.request_seen != conn.begun:
                self.request_seen = conn.begun  # first seen now: timed from this sweep
                self.request_began = now
            elif now - self.request_began >= limits.header_timeout:
                self.handle(conn.expire_request(limits.header_timeout))
                if not self.conn.closed:
                    self._flow()
            return
        if self.paused:
            if now - self.write_paused_at >= limits.idle_close:
                self.shed(f"answers unread for {limits.idle_close:g} seconds")
            return
        if not conn.owing and not conn.has_unread and now - self.last_active >= limits.idle_close:
            self.close(EndOfTransport.WENT_STALE, note=f"idle for {limits.idle_close:g} seconds")

    def shed(self, note: str = "shed at the connection cap") -> None:
        """Close at once, dropping unsent bytes (a client that does not read holds them)."""
        self.shared.remove(self)
        if self.closing is None:
            self.closing = Closed(
                None, EndOfTransport.WENT_STALE, note, None, self.opened_ipp, self.opened_at
            )
        if self.transport is not None:
            self.transport.abort()

    # No request waits forever (§6.1 item 6) --------------------------------------------------

    def _arm(self) -> None:
        self._disarm()
        seconds = self.request.response_timeout
        if seconds and seconds > 0:
            self.timer = LOOP.loop.call_later(seconds, self._unanswered)  # type: ignore[union-attr]

    def _disarm(self) -> None:
        if self.timer is not None:
            self.timer.cancel()
            self.timer = None

    def _unanswered(self) -> None:
        self.timer = None
        name = self.conn.awaiting
        if name is None:
            return
        if LOG.level <= USER_LOG.WARNING:
            write_entry(
                "?",
                self.proxy_address,
                "http",
                f'No response to "{name}" within {self.request.response_timeout} seconds',
            )
        data, close = self.conn.unanswered(self.request.response_timeout)
        self.write(data, close)

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        self.shared.remove(self)
        super().connection_lost(exc)


def http_server_factory(
    controller: tuple, request: ListenForStream, listening: list, limits: HttpLimits | None = None
) -> object:
    """The protocol factory of an HTTP listen: ``limits`` (the listen's own, from
    ``listen(..., http_limits=...)``) or else the limits in force now apply to it."""
    shared = HttpListen(limits or LIMITS[0])
    return lambda: HttpServerLink(controller, request, listening, shared)


class HttpClientLink(Link):
    """One outbound HTTP/1.1 connection; its proxy is the client session."""

    def __init__(self, controller: tuple, request: ConnectStream, announce: object) -> None:
        super().__init__(controller)
        ipp = request.requested_ipp
        self.conn = HttpClientConnection(
            request.http_client or "/", request.application_json, f"{ipp.host}:{ipp.port}"
        )
        self.announce = announce

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.attach(transport)
        self.opened_ipp = ipp_of(transport.get_extra_info("peername"))
        send_from(None, self.announce(self), self.controller, self.proxy_address)

    def answer(self, answers: list) -> None:
        for sender, response in answers:
            send_from(None, response, sender, self.proxy_address)

    def send_out(self, message: object, to: tuple, back: tuple) -> None:
        if type(message) is Close:
            self.close(message.reason, message.message, message.note, message.error_code)
            return
        data, answers = self.conn.submit(message, back)
        if data and self.transport is not None and not self.transport.is_closing():
            self.transport.write(data)
        self.answer(answers)

    def data_received(self, data: bytes) -> None:
        try:
            answers, more = self.conn.receive_data(data)
        except RemoteProtocolError as e:
            self.close(EndOfTransport.INBOUND_STREAMING, note=str(e))
            return
        self.answer(answers)
        if more and self.transport is not None and not self.transport.is_closing():
            self.transport.write(more)
        if self.conn.closing:
            self.close(EndOfTransport.ABANDONED_BY_REMOTE)

    def connection_lost(self, exc: Exception | None) -> None:
        self.answer(self.conn.connection_lost())
        super().connection_lost(exc)


def http_client_factory(controller: tuple, request: ConnectStream, announce: object) -> object:
    return lambda: HttpClientLink(controller, request, announce)
