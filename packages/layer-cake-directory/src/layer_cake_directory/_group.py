"""``group-cake``: the GROUP node of a composite process (pubsub §7, §8).

Listens for the nodes of its member processes at an ephemeral loopback port (or
``--accept-directories-at``) and says where on stderr; members are started with
``--connect-to-directory`` set to it. GROUP names stay inside the group; wider listings go
on to ``--directory-at-host`` (else ``--directory-at-lan``, else ``127.0.0.1:54195``),
linked at the first listing wider than GROUP, so a group that lists nothing wider never
connects to host-cake.

Supervising the roles of a home (cli.md §5: start, restart per ``retry``, ``main_role``)
belongs to the ``layer-cake`` command's homes and is not in this release.
"""

from __future__ import annotations

import layer_cake as lc
from layer_cake.process._command_line import CL
from layer_cake.pubsub._node import configure_node

from ._serve import serve_directory

__all__ = ["group_directory", "main"]


def group_directory(
    self,
    directory_at_host: lc.HostPort | None = None,
    directory_at_lan: lc.HostPort | None = None,
    encrypted_directory: bool = False,
) -> object:
    """The main object of group-cake: the GROUP node's listen, until ``Stop``."""
    parent = _given(directory_at_host) or _given(directory_at_lan)
    configure_node(lc.ScopeOfDirectory.GROUP, parent, encrypted_directory)
    ipp = _given(CL.accept_directories_at) or lc.HostPort("127.0.0.1", 0)
    return serve_directory(self, "group-cake", ipp)


def _given(ipp: lc.HostPort | None) -> lc.HostPort | None:
    return ipp if ipp is not None and ipp.host else None


lc.bind(group_directory)


def main() -> None:
    """Run ``group_directory`` as a layer-cake process."""
    lc.create(group_directory)
