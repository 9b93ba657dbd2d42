"""``host-cake``: a process whose directory node has HOST scope (pubsub §7, §8).

The node listens for child nodes at ``--directory-at-host`` (default ``127.0.0.1:54195``);
once it listens a line goes to stderr and the process runs until stopped (``Aborted()``).
If it cannot listen the process ends at once with the ``NotListening`` fault (exit 71).
"""

from __future__ import annotations

import sys

import layer_cake as lc
from layer_cake.pubsub._api import DIRECTORY_AT_HOST
from layer_cake.pubsub._node import AcceptDirectories, configure_node, node_address

__all__ = ["host_directory", "main"]


def host_directory(
    self,
    directory_at_host: lc.HostPort | None = None,
    directory_at_lan: lc.HostPort | None = None,
    encrypted_directory: bool = False,
) -> object:
    """The main object of host-cake: start the HOST node's listen, then wait for ``Stop``.

    ``directory_at_lan`` and ``encrypted_directory`` are accepted for compatibility; a LAN
    parent and encrypted directory links are not in this release.
    """
    ipp = directory_at_host or DIRECTORY_AT_HOST
    return _serve(self, ipp)


def _serve(self, ipp: lc.HostPort) -> object:
    self.send(AcceptDirectories(ipp), node_address())
    while True:
        m = self.input()
        if isinstance(m, lc.Listening):
            at = m.listening_ipp
            sys.stderr.write(f'host-cake: listening for directories at "{at.host}:{at.port}"\n')
            sys.stderr.flush()
            break
        if isinstance(m, lc.NotListening):
            return m
        if isinstance(m, lc.Stop):
            return lc.Aborted()
    while True:
        m = self.input()
        if isinstance(m, lc.Stop):
            return lc.Aborted()


lc.bind(host_directory)


def main() -> None:
    """Configure the process's node at HOST scope and run ``host_directory``."""
    configure_node(lc.ScopeOfDirectory.HOST)
    lc.create(host_directory)
