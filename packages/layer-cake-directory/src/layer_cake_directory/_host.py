"""``host-cake``: the HOST node, one per machine (pubsub §7, §8).

Listens for child nodes at ``--directory-at-host`` (default ``127.0.0.1:54195``). Its parent
is ``--directory-at-lan``, else the standard LAN address derived from the primary IP (none
when underivable), linked at the first LAN listing.
"""

from __future__ import annotations

import layer_cake as lc
from layer_cake.daemon import DIRECTORY_AT_HOST, configure_node

from ._serve import serve_directory

__all__ = ["host_directory", "main"]


def host_directory(
    self,
    directory_at_host: lc.HostPort | None = None,
    directory_at_lan: lc.HostPort | None = None,
    encrypted_directory: bool = False,
) -> object:
    """The main object of host-cake: the HOST node's listen, until ``Stop``."""
    configure_node(lc.ScopeOfDirectory.HOST, directory_at_lan, encrypted_directory)
    return serve_directory(self, "host-cake", directory_at_host or DIRECTORY_AT_HOST)


lc.bind(host_directory)


def main() -> None:
    """Run ``host_directory`` as a layer-cake process."""
    lc.create(host_directory)
