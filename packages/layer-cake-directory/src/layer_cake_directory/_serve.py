"""The part every directory daemon shares: open the node's listen for child nodes, say where
on stderr, then wait for ``Stop`` (pubsub §8).

A daemon whose node cannot listen (port in use) ends at once with the ``NotListening`` fault
(stderr line, exit 71) rather than running without a listener, as the older library did.
"""

from __future__ import annotations

import sys

import layer_cake as lc
from layer_cake.daemon import AcceptDirectories, node_address

__all__ = ["listen_for_directories", "serve_directory"]


def listen_for_directories(self: lc.Point, program: str, ipp: lc.HostPort) -> object:
    """Open the node's listen for child directories at ``ipp`` (port 0: an ephemeral port);
    the address it listens at (a ``HostPort``), else ``NotListening`` or ``Aborted``."""
    self.send(AcceptDirectories(ipp), node_address())
    while True:
        m = self.input()
        if isinstance(m, lc.Listening):
            at = m.listening_ipp
            sys.stderr.write(f'{program}: listening for directories at "{at.host}:{at.port}"\n')
            sys.stderr.flush()
            return at
        if isinstance(m, lc.NotListening):
            return m
        if isinstance(m, lc.Stop):
            return lc.Aborted()


def serve_directory(self: lc.Point, program: str, ipp: lc.HostPort) -> object:
    """Listen for child directories at ``ipp`` until ``Stop``."""
    at = listen_for_directories(self, program, ipp)
    if not isinstance(at, lc.HostPort):
        return at
    while True:
        m = self.input()
        if isinstance(m, lc.Stop):
            return lc.Aborted()
