"""The proxy: the local stand-in for the remote party of one connection.

A proxy sits in the address table like any object. Sending to it transmits over its link
(``link.send_out``); while the socket's write buffer is full the messages wait in
``backlog``, still counted against the proxy's queue so that senders feel the pressure.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..runtime._counters import count
from ..runtime._dispatch import machine_deliver
from ..runtime._object import Agent

if TYPE_CHECKING:
    from ._link import Link

__all__ = ["Proxy"]


class Proxy(Agent):
    """The local stand-in for the remote end of one connection (loop-hosted)."""

    _name = "proxy"
    _lingers = False  # ends with the process: not stopped like a lingering object
    deliver = machine_deliver

    def __init__(self, link: Link) -> None:
        self._agent_init()
        self._saved: list = []
        self._host = None
        self.link = link
        self.backlog: list = []  # held while the socket's write buffer is full

    def receive(self, message: object, to: tuple, back: tuple) -> None:
        """Loop side: transmit (or hold while the transport is paused)."""
        if self._ended:
            self._pending -= 1
            count("undeliverable")
            return
        if self.link.paused:
            self.backlog.append((message, to, back))  # still counted: senders feel the pressure
            return
        self.took_one()
        self.link.send_out(message, to, back)

    def resume(self) -> None:
        """The transport drained: send what was held, in order."""
        held, self.backlog = self.backlog, []
        for i, (message, to, back) in enumerate(held):
            if self.link.paused:
                self.backlog = held[i:] + self.backlog
                return
            self.took_one()
            self.link.send_out(message, to, back)
