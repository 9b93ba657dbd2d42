"""The inspection protocol of the directory (pubsub §11): what ``layer-cake network`` and
``layer-cake ping`` ask every node, and the listing a node gives of itself.

A tool sends ``OpenDirectory(scope)`` to its own process node (the node links upward as for
a listing of that scope, then answers ``DirectoryOpened``), then ``ListDirectory``, which each
node passes to its parent with the tool as return address, until the root answers with its
``DirectoryListing``. The tool walks down the tree with ``GetDirectory`` sent to the addresses
in each listing's ``sub_directory``; addresses stay valid across hops, as all addresses do.
``Ping`` sent to a node's ``directory_address`` comes back.

Signatures are ``layer_cake.directory_protocol.<Name>``.
"""

from __future__ import annotations

import os
import sys
import uuid

from ..net._grants import informational
from ..net._hostport import HostPort
from ..runtime._messages import ScopeOfDirectory
from ..types._portable import Address
from ..types._registry import bind_library_message
from ._messages import Published, Subscribed

__all__ = [
    "OpenDirectory",
    "DirectoryOpened",
    "LISTING_PARTS",
    "ListDirectory",
    "GetDirectory",
    "DirectoryRoute",
    "PeerSession",
    "DirectoryPeer",
    "DirectoryListing",
    "NodeJoined",
    "executable_name",
]

_PREFIX = "layer_cake.directory_protocol."
_HOST = ScopeOfDirectory.HOST

#: ``PeerSession.status`` of a session that is open.
CONNECTED = "Connected"
#: ``PeerSession.status`` of a session asked for and not yet answered.
TO_BE_CONFIRMED = "ToBeConfirmed"
#: ``PeerSession.status`` of a matched name with no session (no usable route).
NO_ACTIVE_ROUTE = "no active route"


class OpenDirectory:
    """Tool → its own node: link upward as a listing of ``scope`` would."""

    def __init__(self, scope: ScopeOfDirectory = _HOST) -> None:
        self.scope = scope


class DirectoryOpened:
    """Node → tool: the parent link for ``scope`` is up (``opened``), or cannot be (``note``
    says why: no parent configured, or not connected yet when the tool gave up)."""

    def __init__(
        self,
        scope: ScopeOfDirectory = _HOST,
        connect_to_directory: HostPort | None = None,
        opened: bool = False,
        note: str | None = None,
    ) -> None:
        self.scope = scope
        self.connect_to_directory = (
            connect_to_directory if connect_to_directory is not None else HostPort()
        )
        self.opened = opened
        self.note = note


#: The lists a ``DirectoryListing`` can carry; a request names those it wants (``lists``).
LISTING_PARTS = ("published", "subscribed", "routed", "peer")


class ListDirectory:
    """Tool → its node, passed up to the root, which answers ``DirectoryListing``.

    ``visited``: the unique ids of the nodes it passed, so that a loop in the tree (a node
    whose parent is its own child) answers instead of circulating (issue 12).
    ``lists``: the parts of ``LISTING_PARTS`` the tool shows (None: all, as a request without
    the field means); the rest stay empty, so the tree alone costs nothing at 40,000 names.
    On the wire it is always a list (a null list is not encodable)."""

    def __init__(
        self, visited: list[uuid.UUID] | None = None, lists: list[str] | None = None
    ) -> None:
        self.visited = visited if visited is not None else []
        self.lists = list(LISTING_PARTS) if lists is None else lists


class GetDirectory:
    """Tool → a node's ``directory_address``: that node answers ``DirectoryListing``, with
    only the ``lists`` asked for (None: all; see ``ListDirectory``)."""

    def __init__(self, lists: list[str] | None = None) -> None:
        self.lists = list(LISTING_PARTS) if lists is None else lists


class NodeJoined:
    """Child node → parent, first on every new link: who the child is, so that the parent's
    ``sub_directory`` lists it even before (or without) any listing."""

    def __init__(
        self, unique_id: uuid.UUID | None = None, scope: ScopeOfDirectory = ScopeOfDirectory.PROCESS
    ) -> None:
        self.unique_id = unique_id
        self.scope = scope


class DirectoryRoute:
    """A match made at a node: ``name`` of publication ``published_id`` for subscription
    ``subscribed_id``."""

    def __init__(
        self,
        name: str | None = None,
        subscribed_id: uuid.UUID | None = None,
        published_id: uuid.UUID | None = None,
    ) -> None:
        self.name = name
        self.subscribed_id = subscribed_id
        self.published_id = published_id


class PeerSession:
    """One matched name of a local subscription and the session on it.

    ``route`` is the scope of the node that made the route in use; ``status`` is
    ``Connected``, ``ToBeConfirmed``, ``no active route`` or a fault text. A session through
    a connection has ``local_ipp`` -> ``remote_ipp``; an in-process one has neither."""

    def __init__(
        self,
        name: str | None = None,
        route: ScopeOfDirectory = ScopeOfDirectory.PROCESS,
        status: str | None = None,
        local_ipp: HostPort | None = None,
        remote_ipp: HostPort | None = None,
        published_id: uuid.UUID | None = None,
    ) -> None:
        self.name = name
        self.route = route
        self.status = status
        self.local_ipp = local_ipp if local_ipp is not None else HostPort()
        self.remote_ipp = remote_ipp if remote_ipp is not None else HostPort()
        self.published_id = published_id


class DirectoryPeer:
    """A local subscription and the sessions of the names it matched."""

    def __init__(
        self,
        subscribed_id: uuid.UUID | None = None,
        search: str | None = None,
        session: list[PeerSession] | None = None,
    ) -> None:
        self.subscribed_id = subscribed_id
        self.search = search
        self.session = session if session is not None else []


class DirectoryListing:
    """What a node says of itself (pubsub §11)."""

    def __init__(
        self,
        unique_id: uuid.UUID | None = None,
        executable: str | None = None,
        directory_address: tuple | None = None,
        scope: ScopeOfDirectory = ScopeOfDirectory.PROCESS,
        primary_ip: str | None = None,
        connect_to_directory: HostPort | None = None,
        accept_directories_at: HostPort | None = None,
        published: list[Published] | None = None,
        subscribed: list[Subscribed] | None = None,
        routed: list[DirectoryRoute] | None = None,
        peer: dict[uuid.UUID, DirectoryPeer] | None = None,
        sub_directory: dict[HostPort, tuple] | None = None,
    ) -> None:
        self.unique_id = unique_id
        self.executable = executable
        self.directory_address = directory_address
        self.scope = scope
        self.primary_ip = primary_ip
        self.connect_to_directory = (
            connect_to_directory if connect_to_directory is not None else HostPort()
        )
        self.accept_directories_at = (
            accept_directories_at if accept_directories_at is not None else HostPort()
        )
        self.published = published if published is not None else []
        self.subscribed = subscribed if subscribed is not None else []
        self.routed = routed if routed is not None else []
        self.peer = peer if peer is not None else {}
        self.sub_directory = sub_directory if sub_directory is not None else {}


def executable_name() -> str:
    """The base name of what this process runs (``test_server_10.py``); the daemons name
    themselves (``configure_node``)."""
    argv0 = sys.argv[0] if sys.argv and sys.argv[0] else sys.executable
    return os.path.basename(argv0)


for _cls, _fields in (
    (OpenDirectory, {}),
    (DirectoryOpened, {}),
    (ListDirectory, {}),
    (GetDirectory, {}),
    (NodeJoined, {}),
    (DirectoryRoute, {}),
    (PeerSession, {}),
    (DirectoryPeer, {}),
    (
        DirectoryListing,
        {
            "directory_address": Address(),
            "sub_directory": dict[HostPort, Address],
        },
    ),
):
    bind_library_message(_cls, _PREFIX + _cls.__name__, **_fields)


def _walk_grants(listing: DirectoryListing) -> list:
    """A listing grants the nodes a walk asks next, never the published objects it shows."""
    return [listing.directory_address, *listing.sub_directory.values()]


informational(DirectoryListing, _walk_grants)  # issue 10: GetDirectory gives no capability
