"""Stopping the objects still alive when a process (or an embedded runtime) ends.

The rule ``lc.create`` ends with and ``tear_down`` shares: every live object is sent ``Stop``
and waited for, at most a grace period. Proxies of connections do not linger (they end with
their sockets, at the loop's close).
"""

from __future__ import annotations

import time

from ._dispatch import TABLE
from ._messages import Returned, Stop
from ._routine import Channel

__all__ = ["stop_lingering"]


def stop_lingering(channel: Channel, grace: float) -> None:
    """Stop every object still alive and wait for them, at most ``grace`` seconds.

    An object whose parent is gone (or is a channel) is re-parented to ``channel``, so its
    ``Returned`` (sent after its last log entry) both wakes the wait and marks it done. The
    others end into their own, stopping, parents; they are checked at each wake-up, when
    any that became orphans are re-parented in turn.
    """
    me = channel.object_address
    awaited: set[tuple] = set()  # re-parented here: done when their Returned arrives

    def survey() -> list[tuple]:
        """Re-parent the orphans; the live objects that still have a parent of their own."""
        others = []
        for address, agent in list(TABLE.items()):
            if address == me or address in awaited or isinstance(agent, Channel):
                continue
            if not getattr(agent, "_lingers", True):  # a connection's proxy: ends with the process
                continue
            parent = TABLE.get(agent.parent_address)
            if parent is None or isinstance(parent, Channel):
                agent.parent_address = me
                # end() pops the table before it reads the parent: still listed, it reports here.
                if address in TABLE:
                    awaited.add(address)
            else:
                others.append(address)
        return [a for a in others if a in TABLE]

    others = survey()
    for address in (*awaited, *others):
        channel.send(Stop(), address)
    deadline = time.monotonic() + grace
    while awaited or others:
        left = deadline - time.monotonic()
        if left <= 0:
            return
        message, _ = channel.select(seconds=left)  # any message: a Returned, a signal
        if isinstance(message, Returned):
            awaited.discard(channel.return_address)
        others = survey()
