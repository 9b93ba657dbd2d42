"""The directory names of layer-cake 0.1 (compat §3.8).

``ObjectDirectory``, the old per-process directory machine, stays importable but refuses to be
created: every process here runs the directory node of ``_node``. Code that talked to that
machine directly keeps working: ``PD.directory`` is the address of this process's node, and
the request messages (``PublishAs``...) sent there do what the API calls do.
"""

from __future__ import annotations

from .._refused import refused_class
from .._utilities import Gas
from ..net._hostport import HostPort
from ._messages import (
    AcceptAt,
    ClearPublished,
    ClearSubscribed,
    ConnectTo,
    PublishAs,
    SubscribeTo,
)
from ._node import node_address

__all__ = [
    "ObjectDirectory",
    "PublishAs",
    "SubscribeTo",
    "ClearPublished",
    "ClearSubscribed",
    "ConnectTo",
    "AcceptAt",
    "PD",
    "DIRECTORY_AT_LAN",
]

ObjectDirectory = refused_class("ObjectDirectory")

#: The value hard-coded in layer-cake 0.1; a constant only, nothing connects to it
#: (``directory_at_lan()`` is the real lookup).
DIRECTORY_AT_LAN = HostPort("192.168.0.195", 54195)


class _ProcessDirectory(Gas):
    """``PD``: ``directory`` is the address of this process's directory node (created on
    first use, like the node behind ``lc.publish``)."""

    @property
    def directory(self) -> tuple:
        return node_address()

    def __repr__(self) -> str:
        return f"Gas(directory={self.directory!r})"


PD = _ProcessDirectory()
