"""How the process's directory node is configured, apart from the node itself (pubsub §7).

``lc.create`` and the daemons configure the node before it is first used; keeping the
settings here lets them do so without importing the node, its directory core and the
transport (issue 13: a process that never publishes or subscribes loads none of them).
``_node`` reads ``NODE`` from here.
"""

from __future__ import annotations

import collections
import threading

from ..net._hostport import HostPort
from ..runtime._messages import ScopeOfDirectory

__all__ = ["NODE", "configure_node", "configure_process", "set_default_parent"]


class _Holder:
    """Where the process's node lives and how it is configured (any thread may ask; the
    node is created once, under the lock)."""

    def __init__(self) -> None:
        self.address: tuple | None = None
        self.lock = threading.Lock()
        self.scope = ScopeOfDirectory.PROCESS
        self.default_parent: HostPort | None = None
        self.parent: HostPort | None = None  # a daemon's configured parent
        self.encrypted = False  # a daemon's --encrypted-directory
        self.executable: str | None = None  # a daemon's name (else from sys.argv)
        self.connect_to: HostPort | None = None  # --connect-to-directory
        self.encrypted_process = False  # --encrypted-process
        self.ended_late: collections.deque = collections.deque()  # ends its queue refused


NODE = _Holder()


def configure_node(
    scope: ScopeOfDirectory,
    parent: HostPort | None = None,
    encrypted: bool = False,
    executable: str | None = None,
) -> None:
    """Give the process's node ``scope`` (a daemon, before the node is first used).

    ``parent``: the daemon's configured parent directory (``directory_at_host`` of group-cake,
    ``directory_at_lan`` of host-cake); without it the node uses the defaults of §7.
    ``encrypted``: its listen for child nodes and its parent link are encrypted.
    """
    NODE.scope = ScopeOfDirectory(scope)
    NODE.parent = parent if parent is not None and parent.host else None
    NODE.encrypted = bool(encrypted)
    NODE.executable = executable or {
        ScopeOfDirectory.GROUP: "group-cake",
        ScopeOfDirectory.HOST: "host-cake",
        ScopeOfDirectory.LAN: "lan-cake",
    }.get(NODE.scope)


def configure_process(
    connect_to_directory: HostPort | None = None, encrypted_process: bool = False
) -> None:
    """The process's command line as the node needs it (``lc.create``, the CLI): the parent
    given by ``--connect-to-directory`` and whether the parent link is encrypted."""
    ipp = connect_to_directory
    NODE.connect_to = ipp if ipp is not None and ipp.host else None
    NODE.encrypted_process = bool(encrypted_process)


def set_default_parent(ipp: HostPort | None) -> None:
    """The parent of a PROCESS node without ``--connect-to-directory`` (``lc.create``)."""
    NODE.default_parent = ipp
