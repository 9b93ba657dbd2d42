"""``lan-cake``: the LAN node, the root of the tree for one network (pubsub §7, §8).

Listens for child nodes (host-cakes, or processes given ``--connect-to-directory``) at
``--directory-at-lan`` (default ``0.0.0.0:54195``). Publications reach it with the port of
their publisher's LAN listener; it gives subscribers the address it sees for that host.
"""

from __future__ import annotations

import layer_cake as lc
from layer_cake.daemon import DIRECTORY_PORT, configure_node

from ._serve import serve_directory

__all__ = ["lan_directory", "main"]


def lan_directory(
    self,
    directory_at_lan: lc.HostPort | None = None,
    encrypted_directory: bool = False,
) -> object:
    """The main object of lan-cake: the LAN node's listen, until ``Stop``."""
    configure_node(lc.ScopeOfDirectory.LAN, None, encrypted_directory)
    ipp = directory_at_lan or lc.HostPort("0.0.0.0", DIRECTORY_PORT)
    return serve_directory(self, "lan-cake", ipp)


lc.bind(lan_directory)


def main() -> None:
    """Run ``lan_directory`` as a layer-cake process."""
    lc.create(lan_directory)
