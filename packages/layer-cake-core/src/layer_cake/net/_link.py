# cython: annotation_typing=False
"""The link: what every connection has, whatever it speaks (wire protocol or HTTP).

A ``Link`` is the asyncio ``Protocol`` of one connection, on the loop thread. It owns the
connection's proxy (``_proxy.Proxy``: made live in the address table when the socket opens,
gone from it when the socket closes), the write flow control the proxy waits on, and the
rule that the controller hears exactly one ``Closed``. Subclasses add what travels on the
bytes: ``_transport.WireLink`` (layer-cake frames), ``_http_link`` (HTTP server and client).

Also here, for every link: the set of live links (closed at process end), the peer's
``HostPort`` from a socket name, and the link log lines (TRACE, and WARNING once per peer host).
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime
import socket

from ..runtime._counters import count
from ..runtime._dispatch import TABLE, send_from
from ..runtime._log import LOG, write_entry
from ..runtime._loop import LOOP
from ..runtime._messages import USER_LOG, Faulted
from ..runtime._object import QUEUE, QueueFull, hex_of, make_live, tag_of
from ._hostport import HostPort
from ._messages import Closed, EndOfTransport
from ._proxy import Proxy

__all__ = ["Link", "LINKS", "full", "ipp_of", "trace", "warn", "warn_once"]

#: Every live link (closed at process end).
LINKS: set = set()
_WARNED: set = set()  # (what, peer host) already logged at WARNING; bounded
_WARNED_LIMIT = 4096


def _now() -> datetime.datetime:
    return datetime.datetime.now(datetime.timezone.utc)


def ipp_of(sockname: object) -> HostPort:
    """The ``HostPort`` of a socket name (``peername``/``sockname``); empty when not IP."""
    if isinstance(sockname, tuple) and len(sockname) >= 2:
        return HostPort(str(sockname[0]), int(sockname[1]))
    return HostPort()


def full(to: tuple) -> bool:
    """Whether the queue of the object at ``to`` (or of the proxy it lies beyond) is full, or
    nearly: a send from the loop would raise ``QueueFull`` (the loop never blocks). Nearly:
    thread senders fill a queue to the brim concurrently, so a send found room for may still
    be refused (callers catch that too); the margin makes it rare."""
    target = TABLE.get(to)
    if target is None and len(to) > 1:
        target = TABLE.get(to[:1])
    return target is not None and target.queued() >= QUEUE.capacity - QUEUE.capacity // 8


#: Seconds between tries of a delivery that found its receiver's queue full.
RETRY_FULL = 0.005


def trace(address: tuple, name: str, text: str) -> None:
    """A TRACE line of a link or listen (nothing when TRACE is not selected)."""
    if LOG.level <= USER_LOG.TRACE:
        write_entry("~", address, name, text)


def warn(address: tuple, text: str) -> None:
    """A WARNING line of a proxy."""
    if LOG.level <= USER_LOG.WARNING:
        write_entry("?", address, "proxy", text)


def warn_once(what: str, host: str, address: tuple, text: str) -> None:
    """A WARNING the first time ``what`` happens with a peer host (a flood logs once)."""
    key = (what, host)
    if key in _WARNED:
        return
    if len(_WARNED) >= _WARNED_LIMIT:
        _WARNED.clear()
    _WARNED.add(key)
    warn(address, text)


class Link:
    """What every connection has: a proxy, a controller, and exactly one ``Closed``.

    An asyncio protocol by its methods (the loops only call them): compiled, it is an
    extension type whose state is in C fields (``_link.pxd``), which cannot derive from
    ``asyncio.Protocol``.
    """

    def __init__(self, controller: tuple) -> None:
        self.controller = controller
        self.transport: asyncio.Transport | None = None
        self.proxy: Proxy | None = None
        self.proxy_address: tuple = ()
        self.proxy_id = 0
        self.paused = False
        self.reading_paused = False
        self.closing: Closed | None = None  # set when this side decided to close
        self.ended = False
        self.opened_ipp = HostPort()
        self.opened_at: datetime.datetime | None = None

    # Setup --------------------------------------------------------------------------------------

    def attach(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]
        sock = transport.get_extra_info("socket")
        if sock is not None:
            with contextlib.suppress(OSError):  # not TCP (a test's socketpair)
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.opened_at = _now()
        self.proxy = Proxy(self)
        threshold = max(LOG.level, int(USER_LOG.DEBUG))
        self.proxy_address = make_live(self.proxy, self.controller, threshold)
        self.proxy_id = self.proxy_address[0]
        LINKS.add(self)

    # Flow control -------------------------------------------------------------------------------

    def pause_writing(self) -> None:
        self.paused = True

    def resume_writing(self) -> None:
        self.paused = False
        if self.proxy is not None:
            self.proxy.resume()

    # Sending ------------------------------------------------------------------------------------

    def send_out(self, message: object, to: tuple, back: tuple) -> None:  # pragma: no cover
        raise NotImplementedError

    def write_now(self, message: object, to: tuple, back: tuple) -> bool:
        """A thread's send written in its own call (``WireLink``); here never: False."""
        return False

    def reply_fault(self, fault: Faulted, sender: tuple) -> None:
        send_from(None, fault, sender, self.proxy_address)

    def to_controller(self, message: object) -> None:
        """Tell the controller of a link event (``Connected``, ``Closed``...): never lost to a
        full queue (a loop-side send would raise ``QueueFull`` and the event be gone), but
        tried again until the queue takes it. ``WireLink`` keeps it in order with its frames."""
        if not full(self.controller):
            try:
                send_from(None, message, self.controller, self.proxy_address)
                return
            except QueueFull:  # a thread sender took the last room meanwhile
                pass
        LOOP.loop.call_later(RETRY_FULL, self.to_controller, message)  # type: ignore[union-attr]

    # Ending -------------------------------------------------------------------------------------

    def eof_received(self) -> bool | None:
        """The peer shut its write side: None lets the transport close (as
        ``asyncio.Protocol``'s default; ``HttpServerLink`` keeps it open for owed answers)."""
        return None

    def close(
        self,
        reason: EndOfTransport,
        message: object = None,
        note: str | None = None,
        error_code: int | None = None,
    ) -> None:
        """Close from this side; the controller's ``Closed`` follows when the socket is gone."""
        if self.closing is None:
            self.closing = Closed(
                message, reason, note, error_code, self.opened_ipp, self.opened_at
            )
        if self.transport is not None:
            self.transport.close()

    def connection_lost(self, exc: Exception | None) -> None:
        LINKS.discard(self)
        if self.ended:
            return
        self.ended = True
        closed = self.closing
        if closed is None:
            note = str(exc) if exc is not None else None
            closed = Closed(
                None,
                EndOfTransport.ABANDONED_BY_REMOTE,
                note,
                None,
                self.opened_ipp,
                self.opened_at,
            )
        proxy = self.proxy
        if proxy is not None:
            proxy._ended = True
            TABLE.pop(self.proxy_address, None)
            for message, _to, back in proxy.backlog:
                count("undeliverable")
                trace(
                    self.proxy_address,
                    "proxy",
                    f"Undeliverable {tag_of(message)} from <{hex_of(back)}>",
                )
            proxy.backlog = []
        self.to_controller(closed)
