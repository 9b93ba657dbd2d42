"""Messages of listen/connect (networking §3), under their canonical signatures."""

from __future__ import annotations

import datetime
import enum
import uuid

from ..runtime._messages import Faulted, library_enum
from ..types._portable import Address, Any, Type, VectorOf
from ..types._registry import bind_library_message
from ._hostport import HostPort

__all__ = [
    "EndOfTransport",
    "ListenForStream",
    "ConnectStream",
    "Listening",
    "NotListening",
    "Accepted",
    "NotAccepted",
    "Connected",
    "NotConnected",
    "ProtocolMismatch",
    "Close",
    "Closed",
]

_PREFIX = "layer_cake.listen_connect."
MiB = 1024 * 1024


class EndOfTransport(enum.Enum):
    """Why a connection ended."""

    ON_REQUEST = 1
    ABANDONED_BY_REMOTE = 2
    WENT_STALE = 3
    OUTBOUND_STREAMING = 4
    INBOUND_STREAMING = 5


class ListenForStream:
    """The record of a listen request (in ``Listening.request``)."""

    def __init__(
        self,
        lid: uuid.UUID | None = None,
        requested_ipp: HostPort | None = None,
        encrypted: bool = False,
        http_server: list | None = None,
        uri_form: object = None,
        default_to_request: bool = False,
        response_timeout: float = 60.0,
        max_frame: int = 16 * MiB,
    ) -> None:
        self.lid = lid
        self.requested_ipp = requested_ipp if requested_ipp is not None else HostPort()
        self.encrypted = encrypted
        self.http_server = http_server if http_server is not None else []
        self.uri_form = uri_form
        self.default_to_request = default_to_request
        self.response_timeout = response_timeout
        self.max_frame = max_frame


class ConnectStream:
    """The record of a connect request (in ``Connected.request``)."""

    def __init__(
        self,
        requested_ipp: HostPort | None = None,
        encrypted: bool = False,
        keep_alive: bool = False,
        http_client: str | None = None,
        application_json: bool = False,
        max_frame: int = 16 * MiB,
        keep_alive_period: float = 1.0,
        keep_alive_limit: float = 3.0,
    ) -> None:
        self.requested_ipp = requested_ipp if requested_ipp is not None else HostPort()
        self.encrypted = encrypted
        self.keep_alive = keep_alive
        self.http_client = http_client
        self.application_json = application_json
        self.max_frame = max_frame
        self.keep_alive_period = keep_alive_period
        self.keep_alive_limit = keep_alive_limit


class Listening:
    """A listen succeeded."""

    def __init__(
        self,
        request: ListenForStream | None = None,
        listening_ipp: HostPort | None = None,
        controller_address: tuple | None = None,
    ) -> None:
        self.request = request if request is not None else ListenForStream()
        self.listening_ipp = listening_ipp if listening_ipp is not None else HostPort()
        self.controller_address = controller_address


class NotListening(Faulted):
    """A listen failed, or ended (``stop_listening``)."""

    def __init__(
        self,
        request: ListenForStream | None = None,
        error_code: int = 0,
        error_text: str | None = None,
    ) -> None:
        self.request = request if request is not None else ListenForStream()
        ipp = self.request.requested_ipp
        Faulted.__init__(self, f'cannot listen at "{ipp}" ({error_text})', None, error_code)
        self.error_text = error_text


class Accepted:
    """An inbound connection; its return address is the connection's proxy."""

    def __init__(
        self,
        listening: Listening | None = None,
        opened_ipp: HostPort | None = None,
        proxy_address: tuple | None = None,
        opened_at: datetime.datetime | None = None,
    ) -> None:
        self.listening = listening if listening is not None else Listening()
        self.opened_ipp = opened_ipp if opened_ipp is not None else HostPort()
        self.proxy_address = proxy_address
        self.opened_at = opened_at


class NotAccepted(Faulted):
    """An inbound connection could not be set up."""

    def __init__(
        self, listening: Listening | None = None, error_code: int = 0, error_text: str | None = None
    ) -> None:
        self.listening = listening if listening is not None else Listening()
        ipp = self.listening.listening_ipp
        Faulted.__init__(self, f'cannot accept at "{ipp}" ({error_text})', None, error_code)
        self.error_text = error_text


class Connected:
    """An outbound connection is up; its return address is the connection's proxy."""

    def __init__(
        self,
        request: ConnectStream | None = None,
        opened_ipp: HostPort | None = None,
        proxy_address: tuple | None = None,
        opened_at: datetime.datetime | None = None,
    ) -> None:
        self.request = request if request is not None else ConnectStream()
        self.opened_ipp = opened_ipp if opened_ipp is not None else HostPort()
        self.proxy_address = proxy_address
        self.opened_at = opened_at


class NotConnected(Faulted):
    """A connect failed."""

    def __init__(
        self,
        request: ConnectStream | None = None,
        error_code: int = 0,
        error_text: str | None = None,
    ) -> None:
        self.request = request if request is not None else ConnectStream()
        ipp = self.request.requested_ipp
        Faulted.__init__(self, f'cannot connect to "{ipp}" ({error_text})', None, error_code)
        self.error_text = error_text


class ProtocolMismatch(NotConnected):
    """The peer does not speak the layer-cake wire protocol (compat §2.15).

    For example a layer-cake 0.1 process, whose JSON text frames start ``<n>,<n>,<n>\n``.
    ``received`` holds the first (at most 16) bytes the peer sent, printable-escaped.
    """

    def __init__(
        self,
        request: ConnectStream | None = None,
        error_code: int = 0,
        error_text: str | None = None,
        received: str = "",
    ) -> None:
        NotConnected.__init__(self, request, error_code, error_text)
        ipp = self.request.requested_ipp
        self.condition = f'cannot connect to "{ipp}"'
        self.explanation = error_text
        self.received = received


class Close:
    """Sent to a proxy: shut the connection (``message`` comes back in ``Closed``)."""

    def __init__(
        self,
        message: object = None,
        reason: EndOfTransport = EndOfTransport.ON_REQUEST,
        note: str | None = None,
        error_code: int | None = None,
    ) -> None:
        self.message = message
        self.reason = reason
        self.note = note
        self.error_code = error_code


class Closed:
    """A connection ended (once per connection per side); return address = the proxy."""

    def __init__(
        self,
        message: object = None,
        reason: EndOfTransport = EndOfTransport.ON_REQUEST,
        note: str | None = None,
        error_code: int | None = None,
        opened_ipp: HostPort | None = None,
        opened_at: datetime.datetime | None = None,
    ) -> None:
        self.message = message
        self.reason = reason
        self.note = note
        self.error_code = error_code
        self.opened_ipp = opened_ipp if opened_ipp is not None else HostPort()
        self.opened_at = opened_at


library_enum(EndOfTransport, _PREFIX + "EndOfTransport")
bind_library_message(
    ListenForStream, _PREFIX + "ListenForStream", http_server=VectorOf(Type()), uri_form=Any()
)
bind_library_message(ConnectStream, _PREFIX + "ConnectStream")
bind_library_message(Listening, _PREFIX + "Listening", controller_address=Address())
bind_library_message(NotListening, _PREFIX + "NotListening", error_text=str)
bind_library_message(Accepted, _PREFIX + "Accepted", proxy_address=Address())
bind_library_message(NotAccepted, _PREFIX + "NotAccepted", error_text=str)
bind_library_message(Connected, _PREFIX + "Connected", proxy_address=Address())
bind_library_message(NotConnected, _PREFIX + "NotConnected", error_text=str)
bind_library_message(ProtocolMismatch, _PREFIX + "ProtocolMismatch", error_text=str, received=str)
bind_library_message(Close, _PREFIX + "Close", message=Any())
bind_library_message(Closed, _PREFIX + "Closed", message=Any())
