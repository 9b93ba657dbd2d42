"""The API of connections: ``listen``, ``connect``, ``stop_listening`` (networking §4).

Each call asks the loop thread to open a server or a connection; the controller hears the
outcome as a message (``Listening``/``NotListening``, ``Connected``/``NotConnected``/
``ProtocolMismatch``), then ``Accepted`` per link and ``Closed`` per end. Every link is a
``WireLink`` (``_transport``), or an HTTP link (``_http_link``) when the listen serves HTTP
or the connect is an HTTP client. At process end ``close_links`` closes every listen and link.
"""

from __future__ import annotations

import contextlib
import os
import socket
import uuid

from ..runtime._dispatch import send_from
from ..runtime._loop import LOOP
from ..runtime._object import Agent
from ._hostport import HostPort
from ._link import LINKS, Link, ipp_of, trace
from ._messages import (
    Accepted,
    Close,
    Closed,
    Connected,
    ConnectStream,
    EndOfTransport,
    ListenForStream,
    Listening,
    NotAccepted,
    NotConnected,
    NotListening,
    ProtocolMismatch,
)
from ._site_key import site_key
from ._transport import MiB, WireLink

__all__ = [
    "listen",
    "connect",
    "stop_listening",
    "ListenForStream",
    "ConnectStream",
    "Listening",
    "Accepted",
    "Connected",
    "NotListening",
    "NotAccepted",
    "NotConnected",
    "ProtocolMismatch",
    "Close",
    "Closed",
    "EndOfTransport",
]

_LISTENS: dict[uuid.UUID, tuple] = {}  # lid -> (server, request, controller)


def _os_text(e: BaseException) -> str:
    """``[Errno 98] Address already in use``: the OS text, the same on uvloop and asyncio."""
    code = getattr(e, "errno", None)
    if isinstance(code, int) and code > 0:
        return f"[Errno {code}] {os.strerror(code)}"
    return str(e)


def close_links() -> object:
    """Process end (loop thread): close every listen and link; returns ``finished()``."""
    for server, _request, _controller in list(_LISTENS.values()):
        with contextlib.suppress(Exception):
            server.close()
    _LISTENS.clear()
    for link in list(LINKS):
        with contextlib.suppress(Exception):
            link.close(EndOfTransport.ON_REQUEST, note="process end")
    return lambda: not LINKS


LOOP.closers.append(close_links)


# The API ---------------------------------------------------------------------------------------


def listen(
    self: Agent,
    requested_ipp: HostPort,
    encrypted: bool = False,
    http_server: list | None = None,
    uri_form: object = None,
    default_to_request: bool = False,
    response_timeout: float = 60.0,
    max_frame: int = 16 * MiB,
    keep_alive: bool = False,
    keep_alive_period: float = 1.0,
    keep_alive_limit: float = 3.0,
    http_limits: object = None,
    keep_alive_local: bool = True,
) -> uuid.UUID:
    """Listen at ``requested_ipp``; ``Listening`` or ``NotListening`` follows. Returns the lid.

    ``keep_alive``: every accepted wire link probes and goes stale as ``connect`` describes, so
    the accepting side also notices a peer that vanished silently (a host whose link is down).
    ``keep_alive_local=False``: not a link whose peer is on this host (a loopback address or
    this side's own): the kernel reports that peer's end, and a local peer whose loop is busy
    is not taken for one that is gone (the directory's rule, pubsub §7: keep-alive unless
    loopback).

    ``http_limits`` (an HTTP listen only): this listen's resource limits (docs/security.md,
    "HTTP limits"), a dict of some of them by name (``{"idle_close": 5.0, "max_connections":
    100}``, the others as in force in the process) or an ``HttpLimits``.

    Raises:
        TypeError: ``http_limits`` is not a dict or ``HttpLimits``, or names no limit.
        ValueError: a limit's value is out of its range, or ``http_limits`` is given for a
            listen that is not an HTTP server.
    """
    limits = None
    if http_limits is not None:
        if not http_server and uri_form is None:
            raise ValueError("http_limits apply to an HTTP listen (http_server or uri_form)")
        from ._http_server import listen_limits

        limits = listen_limits(http_limits)  # the limits in force now, changed for this listen
    lid = uuid.uuid4()
    request = ListenForStream(
        lid,
        requested_ipp,
        encrypted,
        list(http_server or []),
        uri_form,
        default_to_request,
        response_timeout,
        max_frame,
    )
    probes = (keep_alive_period, keep_alive_limit) if keep_alive else None
    LOOP.start()
    LOOP.call(_start_listen, self.object_address, request, probes, limits, keep_alive_local)
    return lid


def connect(
    self: Agent,
    requested_ipp: HostPort,
    encrypted: bool = False,
    keep_alive: bool = False,
    http_client: str | None = None,
    application_json: bool = False,
    layer_cake_json: bool | None = None,
    max_frame: int = 16 * MiB,
    keep_alive_period: float = 1.0,
    keep_alive_limit: float = 3.0,
) -> None:
    """Connect to ``requested_ipp``; ``Connected`` or ``NotConnected`` follows.

    ``keep_alive``: probe every ``keep_alive_period`` seconds of outbound silence and close with
    ``Closed(WENT_STALE, note='unresponsive')`` after ``keep_alive_limit`` seconds of inbound
    silence (NEW figures: 1 s and 3 s; the original probed once a minute).

    Raises:
        ValueError: ``application_json`` and ``layer_cake_json`` disagree.
    """
    if layer_cake_json is not None:
        if application_json and not layer_cake_json:
            raise ValueError("application_json and layer_cake_json disagree")
        application_json = layer_cake_json
    request = ConnectStream(
        requested_ipp,
        encrypted,
        keep_alive,
        http_client,
        application_json,
        max_frame,
        keep_alive_period,
        keep_alive_limit,
    )
    LOOP.start()
    LOOP.call(_start_connect, self.object_address, request)


def stop_listening(self: Agent, lid: uuid.UUID) -> None:
    """Stop a listen; existing connections survive. ``NotListening`` confirms."""
    LOOP.start()
    LOOP.call(_stop_listen, self.object_address, lid)


def _start_listen(
    controller: tuple,
    request: ListenForStream,
    probes: tuple | None = None,
    limits: object = None,
    probe_local: bool = True,
) -> None:
    if LOOP.stopped:  # process end: nothing new (a retry must not hold the exit up)
        send_from(None, NotListening(request, 0, "process end"), controller, controller)
        return
    listening = _listen(controller, request, probes, limits, probe_local)
    LOOP.loop.create_task(listening)  # type: ignore[union-attr]


def _protocol_factory(
    controller: tuple,
    request: ListenForStream,
    listening: list,
    probes: tuple | None = None,
    limits: object = None,
    probe_local: bool = True,
) -> object:
    if request.http_server or request.uri_form is not None:
        from ._http_link import http_server_factory

        return http_server_factory(controller, request, listening, limits)

    verb = "Accepted (encrypted)" if request.encrypted else "Accepted"

    def accepted(link: Link) -> Accepted:
        at = listening[0].listening_ipp
        trace(controller, "listen", f'{verb} "{link.opened_ipp}", listening "{at}"')
        return Accepted(listening[0], link.opened_ipp, link.proxy_address, link.opened_at)

    def refused(link: Link, text: str) -> NotAccepted:
        return NotAccepted(listening[0], 0, text)

    return lambda: WireLink(
        controller,
        request.max_frame,
        accepted,
        request.encrypted,
        refused,
        probes,
        probe_local=probe_local,
    )  # no ``mismatch``: a foreign peer is logged and closed, the controller hears nothing


def _bound_socket(host: str, port: int | None) -> socket.socket | None:
    """A stream socket bound at an IP literal, as ``create_server`` would make it (address
    reuse on; an IPv6 one for IPv6 only); ``None`` for a name, which the loop resolves.

    Binding here skips the loop's resolver: uvloop runs ``getaddrinfo`` on libuv's thread
    pool even for a literal, which starts four threads and loads the ``idna`` codec, about
    480 kB of every listening process (a seed worker listens for its subscribers).
    """
    for family in (socket.AF_INET, socket.AF_INET6):
        try:
            socket.inet_pton(family, host)
        except (OSError, TypeError, ValueError):
            continue
        sock = socket.socket(family, socket.SOCK_STREAM)
        try:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            if family == socket.AF_INET6:
                sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
            sock.bind((host, 0 if port is None else port))
        except BaseException:
            sock.close()
            raise
        return sock
    return None


async def _listen(
    controller: tuple,
    request: ListenForStream,
    probes: tuple | None = None,
    limits: object = None,
    probe_local: bool = True,
) -> None:
    loop = LOOP.loop
    assert loop is not None
    ipp = request.requested_ipp
    listening: list = []
    try:
        if request.uri_form is not None:
            from ._http_link import check_form

            check_form(request.uri_form)
        elif request.encrypted and not request.http_server:
            site_key()  # SiteKeyError (a ValueError): no usable site key, NotListening
        factory = _protocol_factory(controller, request, listening, probes, limits, probe_local)
        sock = _bound_socket(ipp.host, ipp.port)
        if sock is None:
            server = await loop.create_server(
                factory, ipp.host, ipp.port, reuse_address=True, backlog=128
            )
        else:
            try:
                server = await loop.create_server(factory, sock=sock, backlog=128)
            except BaseException:
                sock.close()
                raise
    except (OSError, ValueError, TypeError, OverflowError) as e:
        code = getattr(e, "errno", None) or 0
        send_from(None, NotListening(request, code, _os_text(e)), controller, controller)
        return
    actual = ipp_of(server.sockets[0].getsockname()) if server.sockets else ipp
    message = Listening(request, actual, controller)
    listening.append(message)
    _LISTENS[request.lid] = (server, request, controller)
    verb = "Listening (encrypted)" if request.encrypted else "Listening"
    trace(controller, "listen", f'{verb} on "{actual}", requested "{ipp}"')
    send_from(None, message, controller, controller)


def _stop_listen(controller: tuple, lid: uuid.UUID) -> None:
    entry = _LISTENS.pop(lid, None)
    if entry is None:
        request = ListenForStream(lid)
        send_from(None, NotListening(request, 0, f'no such entry "{lid}"'), controller, controller)
        return
    server, request, _owner = entry
    server.close()
    send_from(None, NotListening(request, 0, "stopped"), controller, controller)


def _start_connect(controller: tuple, request: ConnectStream) -> None:
    if LOOP.stopped:  # process end: nothing new (a retry must not hold the exit up)
        send_from(None, NotConnected(request, 0, "process end"), controller, controller)
        return
    LOOP.loop.create_task(_connect(controller, request))  # type: ignore[union-attr]


async def _connect(controller: tuple, request: ConnectStream) -> None:
    loop = LOOP.loop
    assert loop is not None
    ipp = request.requested_ipp

    verb = "Connected (encrypted)" if request.encrypted else "Connected"

    def connected(link: Link) -> Connected:
        local = ipp_of(link.transport.get_extra_info("sockname")) if link.transport else HostPort()
        trace(controller, "connect", f'{verb} to "{ipp}", at local address "{local}"')
        return Connected(request, local, link.proxy_address, link.opened_at)

    def refused(link: Link, text: str) -> NotConnected:
        return NotConnected(request, 0, text)

    def mismatched(link: Link, received: str) -> ProtocolMismatch:
        text = (
            "protocol mismatch (expected layer-cake wire protocol LCW1; "
            f'peer sent "{received}", e.g. a layer-cake 0.1 process using JSON text frames)'
        )
        return ProtocolMismatch(request, 0, text, received)

    if request.http_client is not None:
        from ._http_link import http_client_factory

        factory = http_client_factory(controller, request, connected)
    else:

        def factory() -> WireLink:
            probes = (
                (request.keep_alive_period, request.keep_alive_limit)
                if request.keep_alive
                else None
            )
            return WireLink(
                controller,
                request.max_frame,
                connected,
                request.encrypted,
                refused,
                probes,
                initiator=True,
                mismatch=mismatched,
            )

    try:
        if request.encrypted and request.http_client is None:
            site_key()  # SiteKeyError (a ValueError): no usable site key, NotConnected
        await loop.create_connection(factory, ipp.host, ipp.port)
    except (OSError, ValueError, TypeError, OverflowError) as e:
        code = getattr(e, "errno", None) or 0
        text = (
            _os_text(e)
            or "fault on pending connect, unreachable, no service at that address or blocked"
        )
        send_from(None, NotConnected(request, code, text), controller, controller)
