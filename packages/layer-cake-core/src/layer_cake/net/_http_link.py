"""HTTP connections: the socket side of the sans-I/O HTTP server and client machines.

A server connection delivers each decoded request to the listen's controller with the
connection's proxy as return address; whatever the application sends to that proxy becomes
the response. A client connection's proxy is the "client session": messages sent to it
become requests, and each response goes back to its request's sender. Only bytes move here;
parsing and building are in ``_http_server`` / ``_http_client``.
"""

from __future__ import annotations

import asyncio

from ..runtime._dispatch import send_from
from ..runtime._log import LOG, write_entry
from ..runtime._loop import LOOP
from ..runtime._messages import USER_LOG
from ._http_client import HttpClientConnection, RemoteProtocolError
from ._http_messages import ReForm
from ._http_server import Close as PeerGone
from ._http_server import Deliver, HttpServerConnection, LocalHttpError, Reply
from ._messages import Accepted, Close, ConnectStream, EndOfTransport, ListenForStream
from ._transport import _ipp, _Link

__all__ = ["http_server_factory", "http_client_factory", "check_form"]


def check_form(uri_form: object) -> None:
    """Raise ``ValueError`` with the ``NotListening`` text if a listen's form is unusable."""
    if not isinstance(uri_form, ReForm):
        raise ValueError("URI provided with no pattern")
    uri_form.compile_form()


class HttpServerLink(_Link):
    """One accepted HTTP/1.1 connection."""

    def __init__(self, controller: tuple, request: ListenForStream, listening: list) -> None:
        super().__init__(controller)
        self.request = request
        self.listening = listening
        self.conn = HttpServerConnection(
            request.http_server or None, request.uri_form, request.default_to_request
        )
        self.timer: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.attach(transport)
        self.opened_ipp = _ipp(transport.get_extra_info("peername"))
        accepted = Accepted(
            self.listening[0] if self.listening else None,
            self.opened_ipp,
            self.proxy_address,
            self.opened_at,
        )
        send_from(None, accepted, self.controller, self.proxy_address)

    def data_received(self, data: bytes) -> None:
        self.handle(self.conn.receive_data(data))

    def eof_received(self) -> bool:
        self.handle(self.conn.receive_data(b""))
        return False

    def handle(self, events: list) -> None:
        for event in events:
            t = type(event)
            if t is Deliver:
                send_from(None, event.message, self.controller, self.proxy_address)
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
        if close:
            self.close(EndOfTransport.ON_REQUEST)

    def send_out(self, message: object, to: tuple, back: tuple) -> None:
        if type(message) is Close:
            self.close(message.reason, message.message, message.note, message.error_code)
            return
        self._disarm()
        try:
            data, close = self.conn.respond(message)
        except LocalHttpError:
            if LOG.level <= USER_LOG.TRACE:
                write_entry(
                    "~", self.proxy_address, "http", "Response with no request waiting, dropped"
                )
            from ..runtime import _counters

            _counters.count("undeliverable")
            return
        self.write(data, close)
        if not close:
            self.handle(self.conn.next_events())

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
        super().connection_lost(exc)


def http_server_factory(controller: tuple, request: ListenForStream, listening: list) -> object:
    return lambda: HttpServerLink(controller, request, listening)


class HttpClientLink(_Link):
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
        self.opened_ipp = _ipp(transport.get_extra_info("peername"))
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
