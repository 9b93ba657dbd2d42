# cython: annotation_typing=False
"""The proxy: the local stand-in for the remote party of one connection.

A proxy sits in the address table like any object. Sending to it transmits over its link
(``link.send_out``); while the socket's write buffer is full the messages wait in
``backlog``, still counted against the proxy's queue so that senders feel the pressure.

A send made on the loop thread is transmitted at once, in the sender's call: through the run
queue it would cost a turn of the loop (one more ``epoll_wait``) per message, a third of what
an echo process spends per message. Other threads post to the run queue as before. The order
of each sender's messages holds (a sender sends from one thread, so by one path).
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING

from ..runtime._counters import count
from ..runtime._dispatch import machine_deliver
from ..runtime._dispatch import run_queue as RUN
from ..runtime._loop import LOOP
from ..runtime._object import QUEUE, Agent

if TYPE_CHECKING:
    from ._link import Link

__all__ = ["Proxy"]

_get_ident = threading.get_ident


class Proxy(Agent):
    """The local stand-in for the remote end of one connection (loop-hosted)."""

    _name = "proxy"
    _lingers = False  # ends with the process: not stopped like a lingering object

    def __init__(self, link: Link) -> None:
        self._agent_init()
        self._saved: list = []
        self._host = None
        self.link = link
        self.backlog: list = []  # held while the socket's write buffer is full

    def deliver(self, message: object, to: tuple, back: tuple) -> None:
        """On the loop thread transmit now; from any other, written by that thread when the
        link can (``WireLink.write_now``: nothing of this proxy queued, nothing buffered),
        else through the run queue."""
        if _get_ident() != RUN.ident:
            if self._pending or self._ended or not self.link.write_now(message, to, back):
                machine_deliver(self, message, to, back)
            return
        if self._pending >= QUEUE.capacity:  # a backlog while paused: refused, never dropped
            self.queue_full(message, None)
        link = self.link
        try:
            if self._ended or link.paused:  # undeliverable, or held: counted by receive
                self._pending += 1
                self.receive(message, to, back)
            else:
                link.send_out(message, to, back)
        except Exception as e:  # the link's fault, not the sender's: as from the run queue
            LOOP.loop.call_exception_handler(  # type: ignore[union-attr]
                {"message": f"proxy <{self.object_address}> send failed", "exception": e}
            )

    def receive(self, message: object, to: tuple, back: tuple) -> None:
        """Loop side: transmit (or hold while the transport is paused)."""
        if self._ended:
            self._pending -= 1
            count("undeliverable")
            return
        if self.link.paused:
            self.backlog.append((message, to, back))  # still counted: senders feel the pressure
            return
        # Counted until written: encoding may run Python code, and a thread sending meanwhile
        # must not take the direct write (``deliver``) past this message.
        try:
            self.link.send_out(message, to, back)
        finally:
            if self._space is None:
                self._pending -= 1
            else:
                self.took_one()  # thread senders wait for room

    def resume(self) -> None:
        """The transport drained: send what was held, in order."""
        held, self.backlog = self.backlog, []
        for i, (message, to, back) in enumerate(held):
            if self.link.paused:
                self.backlog = held[i:] + self.backlog
                return
            try:
                self.link.send_out(message, to, back)
            finally:
                self.took_one()  # after the write, as in receive
