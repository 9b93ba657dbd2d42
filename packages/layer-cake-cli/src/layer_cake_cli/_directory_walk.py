"""Talking to the directory as a tool (pubsub §11): open it, walk the tree, ping a node.

The tool is itself a layer-cake process: its own node links to the parent given by
``--connect-to-directory`` (default ``127.0.0.1:54195``) and shows in the tree as
``[PROCESS] layer-cake``. ``ListDirectory`` to the own node comes back from the root; each
listing's ``sub_directory`` gives the child links, which answer ``GetDirectory``.

Every request goes out from a channel of its own, dropped once answered or timed out: the
messages carry no request id, so a late answer to one request (a listing, a ``Ping`` echo)
can never be taken for the answer to the next. The children of a node are asked together and
share one deadline, so a dead child costs one listing limit per level, not one per child.
"""

from __future__ import annotations

import time

import layer_cake as lc
from layer_cake.daemon import (
    NODE,
    DirectoryListing,
    DirectoryOpened,
    GetDirectory,
    ListDirectory,
    OpenDirectory,
    node_address,
    set_default_parent,
)

from ._network import NetworkNode, address_text, child_order

__all__ = [
    "CONNECT_SECONDS",
    "LISTING_SECONDS",
    "PING_SECONDS",
    "TOOL_EXECUTABLE",
    "InspectionFailed",
    "open_directory",
    "list_tree",
    "ping_once",
]

#: How long the tool's node may take to link to its parent (cli §4: 30 s to connect).
CONNECT_SECONDS = 30.0
#: How long each listing may take (cli §4: 10 s for the listing).
LISTING_SECONDS = 10.0
#: How long a ``Ping`` echo may take (cli §4).
PING_SECONDS = 3.0
#: The name the tool's node lists itself under.
TOOL_EXECUTABLE = "layer-cake"
_MAX_DEPTH = 32  # a tree is never this deep: a guard against a listing that names itself


class InspectionFailed(Exception):
    """The directory could not be inspected; ``str()`` is the layer-cake condition text."""


def open_directory(
    connect_to: lc.HostPort, scope: lc.ScopeOfDirectory, seconds: float = CONNECT_SECONDS
) -> None:
    """Link this process's node to its parent at ``connect_to`` for ``scope``.

    Raises:
        InspectionFailed: the link is not up within ``seconds``, or cannot be.
    """
    NODE.executable = TOOL_EXECUTABLE  # read once, when the node is first created
    set_default_parent(connect_to)
    condition = f"cannot connect to the directory at {address_text(connect_to)}"
    with lc.channel() as channel:
        channel.send(OpenDirectory(scope), node_address())
        opened, _ = channel.select(DirectoryOpened, seconds=seconds)
    if not isinstance(opened, DirectoryOpened):
        raise InspectionFailed(f"{condition} (timed out)")
    if not opened.opened:
        raise InspectionFailed(f"{condition} ({opened.note or 'not opened'})")


def list_tree(seconds: float = LISTING_SECONDS, lists: list[str] | None = None) -> NetworkNode:
    """The tree from the root down, children sorted (``_network.child_order``). A child that
    does not answer within ``seconds`` stays in the tree with no listing. ``lists``: the parts
    of each listing to fetch (``LISTING_PARTS``; None: all); the others come back empty.

    Raises:
        InspectionFailed: the root did not answer within ``seconds``.
    """
    with lc.channel() as channel:
        channel.send(ListDirectory(lists=lists), node_address())
        root, _ = channel.select(DirectoryListing, seconds=seconds)
    if not isinstance(root, DirectoryListing):
        raise InspectionFailed("cannot list the directory (timed out)")
    tree = NetworkNode(root)
    _add_children(tree, seconds, {root.unique_id}, 1, lists)
    return tree


def _add_children(
    node: NetworkNode,
    seconds: float,
    seen: set,
    depth: int,
    lists: list[str] | None = None,
) -> None:
    """Ask every child of ``node`` at once, then walk down each that answered."""
    assert node.listing is not None
    if depth > _MAX_DEPTH:
        return
    links = list(node.listing.sub_directory.items())
    channels = [lc.open_channel() for _ in links]
    try:
        for channel, (_, address) in zip(channels, links, strict=True):
            channel.send(GetDirectory(lists), address)
        deadline = time.monotonic() + seconds
        for channel, (ipp, _) in zip(channels, links, strict=True):
            left = max(deadline - time.monotonic(), 0.0)
            listing, _ = channel.select(DirectoryListing, seconds=left)
            if not isinstance(listing, DirectoryListing):
                node.children.append(NetworkNode(None, ipp))
            elif listing.unique_id not in seen:
                seen.add(listing.unique_id)
                node.children.append(NetworkNode(listing, ipp))
    finally:
        for channel in channels:
            lc.drop_channel(channel)
    node.children.sort(key=child_order)
    for child in node.children:
        if child.listing is not None:
            _add_children(child, seconds, seen, depth + 1, lists)


def ping_once(address: tuple, seconds: float = PING_SECONDS) -> float | None:
    """Round trip of one ``Ping`` to a node's ``directory_address`` in seconds, or ``None``
    when no echo came back within ``seconds``."""
    with lc.channel() as channel:
        start = time.perf_counter()
        channel.send(lc.Ping(), address)
        echo, _ = channel.select(lc.Ping, seconds=seconds)
        elapsed = time.perf_counter() - start
    return elapsed if isinstance(echo, lc.Ping) else None
