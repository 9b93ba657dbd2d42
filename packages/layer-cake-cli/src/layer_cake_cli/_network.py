"""What ``layer-cake network`` prints (cli §4.1), as pure functions over directory listings.

The walk (``_directory_walk``) turns the live tree into ``NetworkNode`` objects; everything
here only formats them, so it is tested with hand-built ``DirectoryListing`` objects and no
sockets. The tree is printed from the root, ``+   `` per level; the lines a flag asks for sit
one level below their node, and the sessions of a subscription one level below that.

Order: children by executable name, then identity (a child that did not answer comes last);
within a node, publications, then subscriptions (with their sessions under ``-lc``), then
routes, each sorted by name or search, then identity.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field

import layer_cake as lc
from layer_cake.daemon import (
    CONNECTED,
    LISTING_PARTS,
    NO_ACTIVE_ROUTE,
    DirectoryListing,
    DirectoryPeer,
    PeerSession,
)

__all__ = [
    "INDENT",
    "NOT_RESPONDING",
    "ListingFlags",
    "NetworkNode",
    "shown_lists",
    "identity_text",
    "address_text",
    "node_line",
    "listing_lines",
    "session_line",
    "tree_lines",
    "child_order",
    "walk_nodes",
    "matching_nodes",
    "holds_listing_identity",
    "tree_json",
]

#: One level of the tree.
INDENT = "+   "
#: What a child link shows when its node did not answer ``GetDirectory`` in time.
NOT_RESPONDING = "(not responding)"
_SHORT_IDENTITY = 8


@dataclass(frozen=True)
class ListingFlags:
    """The display flags of ``layer-cake network``."""

    full_identity: bool = False
    directory_addresses: bool = False
    list_published: bool = False
    list_subscribed: bool = False
    list_routed: bool = False
    list_connected: bool = False


@dataclass
class NetworkNode:
    """A node as the walk found it: its listing (``None``: it did not answer), the link it
    was reached through (``(not set)`` for the root) and its children in print order."""

    listing: DirectoryListing | None
    ipp: lc.HostPort = field(default_factory=lc.HostPort)
    children: list[NetworkNode] = field(default_factory=list)


def shown_lists(flags: ListingFlags, as_json: bool = False) -> list[str]:
    """The parts of each listing (``LISTING_PARTS``) that what is printed uses: the tree alone
    needs none, so plain ``network`` costs the same at 40 or 40,000 names."""
    wanted = set()
    if flags.list_published or as_json:
        wanted.add("published")
    if flags.list_subscribed or flags.list_connected or as_json:
        wanted.add("subscribed")
    if flags.list_connected:
        wanted.add("peer")
    if flags.list_routed:
        wanted.add("routed")
    return [part for part in LISTING_PARTS if part in wanted]


def identity_text(identity: uuid.UUID | None, full: bool) -> str:
    """A unique id in full, or its first 8 characters; ``?`` when unknown."""
    if identity is None:
        return "?"
    text = str(identity)
    return text if full else text[:_SHORT_IDENTITY]


def address_text(ipp: lc.HostPort | None) -> str:
    """``host:port``, or ``(not set)`` for an address with no host or port."""
    if ipp is None or not ipp.host or ipp.port is None:
        return "(not set)"
    return f"{ipp.host}:{ipp.port}"


def _scope_name(scope: object) -> str:
    try:
        return lc.ScopeOfDirectory(scope).name
    except ValueError:
        return str(scope)


def node_line(listing: DirectoryListing, flags: ListingFlags) -> str:
    """``[SCOPE] executable (id)``, plus the node's addresses under ``-da``."""
    line = (
        f"[{_scope_name(listing.scope)}] {listing.executable} "
        f"({identity_text(listing.unique_id, flags.full_identity)})"
    )
    if flags.directory_addresses:
        primary = listing.primary_ip or "(not detected)"
        line += (
            f" {primary} <C>{address_text(listing.connect_to_directory)}"
            f" <L>{address_text(listing.accept_directories_at)}"
        )
    return line


def session_line(peer: DirectoryPeer, session: PeerSession, full: bool) -> str:
    """One matched name of a subscription and the state of its session."""
    name = session.name
    scope = _scope_name(session.route)
    if session.status == NO_ACTIVE_ROUTE:
        return f'> "{name}" (no active route)'
    if session.status == CONNECTED:
        if address_text(session.remote_ipp) != "(not set)":  # through a connection
            local, remote = address_text(session.local_ipp), address_text(session.remote_ipp)
            return f'> "{name}"[{scope}] ({local} -> {remote})'
        subscribed = identity_text(peer.subscribed_id, full)
        published = identity_text(session.published_id, full)
        return f'> "{name}"[{scope}] ({subscribed} -> {published})'  # in this process
    # ToBeConfirmed, or the text of a fault
    return f'"{name}"[{scope}] {address_text(session.remote_ipp)} ({session.status})'


def listing_lines(listing: DirectoryListing, flags: ListingFlags) -> list[tuple[int, str]]:
    """The lines the flags ask for, as ``(levels below the node, text)``."""
    full = flags.full_identity
    lines: list[tuple[int, str]] = []
    if flags.list_published:
        for p in sorted(listing.published, key=lambda p: (p.name or "", str(p.published_id))):
            ipp = address_text(p.listening_ipp)
            lines.append((1, f'# "{p.name}" ({identity_text(p.published_id, full)}) [{ipp}]'))
    if flags.list_subscribed or flags.list_connected:
        # A subscription prints once; -lc adds its sessions under it.
        shown: set[uuid.UUID | None] = set()
        searches = sorted(listing.subscribed, key=lambda s: (s.search or "", str(s.subscribed_id)))
        for s in searches:
            shown.add(s.subscribed_id)
            lines.append((1, f'? "{s.search}" ({identity_text(s.subscribed_id, full)})'))
            peer = listing.peer.get(s.subscribed_id) if flags.list_connected else None
            if peer is not None:
                lines.extend((2, session_line(peer, session, full)) for session in peer.session)
        if flags.list_connected:  # sessions of a subscription the listing did not show
            for peer in listing.peer.values():
                if peer.subscribed_id in shown:
                    continue
                lines.append((1, f'? "{peer.search}" ({identity_text(peer.subscribed_id, full)})'))
                lines.extend((2, session_line(peer, session, full)) for session in peer.session)
    if flags.list_routed:
        routes = sorted(
            listing.routed, key=lambda r: (r.name or "", str(r.subscribed_id), str(r.published_id))
        )
        for r in routes:
            subscribed = identity_text(r.subscribed_id, full)
            published = identity_text(r.published_id, full)
            lines.append((1, f'<> "{r.name}" ({subscribed} -> {published})'))
    return lines


def tree_lines(node: NetworkNode, flags: ListingFlags, depth: int = 0) -> list[str]:
    """The whole tree under ``node`` (included), one string per line."""
    indent = INDENT * depth
    if node.listing is None:
        return [f"{indent}... {address_text(node.ipp)} {NOT_RESPONDING}"]
    lines = [indent + node_line(node.listing, flags)]
    lines.extend(
        INDENT * (depth + below) + text for below, text in listing_lines(node.listing, flags)
    )
    for child in node.children:
        lines.extend(tree_lines(child, flags, depth + 1))
    return lines


def child_order(node: NetworkNode) -> tuple:
    """Sort key of siblings: answered first, by executable then identity; others by link."""
    listing = node.listing
    if listing is None:
        return (1, "", address_text(node.ipp))
    return (0, listing.executable or "", str(listing.unique_id))


def walk_nodes(node: NetworkNode) -> Iterator[DirectoryListing]:
    """Every listing in the tree, depth first."""
    if node.listing is not None:
        yield node.listing
    for child in node.children:
        yield from walk_nodes(child)


def matching_nodes(node: NetworkNode, prefix: str) -> list[DirectoryListing]:
    """The listings whose unique id starts with ``prefix`` (any case)."""
    prefix = prefix.lower()
    return [
        listing for listing in walk_nodes(node) if str(listing.unique_id).lower().startswith(prefix)
    ]


def holds_listing_identity(node: NetworkNode, prefix: str) -> bool:
    """True when ``prefix`` starts the id of a publication, subscription or route somewhere
    in the tree: an identity that ``ping`` can name but not reach (not a directory node)."""
    prefix = prefix.lower()
    for listing in walk_nodes(node):
        ids = [p.published_id for p in listing.published]
        ids += [s.subscribed_id for s in listing.subscribed]
        ids += [i for r in listing.routed for i in (r.subscribed_id, r.published_id)]
        if any(i is not None and str(i).lower().startswith(prefix) for i in ids):
            return True
    return False


def tree_json(node: NetworkNode) -> dict:
    """The tree under ``node`` as plain data for ``network --json``: each node's scope,
    program, full identity, addresses, publications, subscriptions and children."""
    listing = node.listing
    if listing is None:
        return {"link": address_text(node.ipp), "responding": False, "children": []}
    return {
        "scope": _scope_name(listing.scope),
        "executable": listing.executable,
        "unique_id": identity_text(listing.unique_id, True),
        "link": address_text(node.ipp),
        "responding": True,
        "primary_ip": listing.primary_ip,
        "connect_to_directory": address_text(listing.connect_to_directory),
        "accept_directories_at": address_text(listing.accept_directories_at),
        "published": sorted(
            (
                {
                    "name": p.name,
                    "id": identity_text(p.published_id, True),
                    "listening": address_text(p.listening_ipp),
                }
                for p in listing.published
            ),
            key=lambda p: (p["name"] or "", p["id"]),
        ),
        "subscribed": sorted(
            (
                {"search": s.search, "id": identity_text(s.subscribed_id, True)}
                for s in listing.subscribed
            ),
            key=lambda s: (s["search"] or "", s["id"]),
        ),
        "children": [tree_json(child) for child in node.children],
    }
