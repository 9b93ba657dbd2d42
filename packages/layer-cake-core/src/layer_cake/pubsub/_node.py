"""The process's directory node: a loop-hosted machine created on first use (pubsub §4-§6).

How it works. ``lc.publish``/``lc.subscribe``/``lc.clear_*`` send a request to the node with
the caller as return address. The node keeps one record per listing, feeds names and searches
to the sans-I/O ``Listings`` engine and turns each match it reports into a session: the
subscriber gets ``Available`` (return address = the publisher) and the publisher
``Delivered`` (return address = the subscriber). A match that ends (clear, or an owner that
ended) becomes ``Dropped`` to each side still alive. The answer to a request always goes out
before the session messages it causes, so ``Published``/``Subscribed`` arrive first.

Scope. This slice serves every scope here, at PROCESS level: per the spec's DECISION a listing
wider than the widest existing node is held as far up as the tree goes, and with no parent
node that is this process. Session messages carry ``scope=PROCESS`` (the matching node's
scope); ``Published.listening_ipp`` stays unset (no session listener yet). The parent link
(GROUP/HOST/LAN nodes), routes and precedence come with the daemons.

Ends of owners. ``Agent.end`` calls ``object_ended`` for objects that ever listed something
(a flag set by the API, so other objects pay nothing), which posts ``ListingOwnerEnded``
here. Channels are dropped without ``end``: an owner found missing from ``TABLE`` when its
name is contested or when it is about to get a session is purged then (owners of this node
are always local objects, so the table is the truth).

One node per process; its address is kept in ``NODE``. It sets ``_lingers = False``: it is
not waited for (or stopped) at process end.
"""

from __future__ import annotations

import contextlib
import threading
import uuid

from ..runtime._bind import bind_stateless
from ..runtime._dispatch import TABLE, send_from
from ..runtime._machine import Point, Stateless
from ..runtime._messages import ScopeOfDirectory, Start
from ..runtime._object import QueueFull, create_object
from ..types._text import world_now
from ._matching import AlreadyPublished, BadSearch, Listings, Match
from ._messages import (
    ALREADY_PUBLISHED,
    ALREADY_SUBSCRIBED,
    BAD_SEARCH,
    Available,
    ClearPublication,
    ClearSubscription,
    Delivered,
    Dropped,
    ListingOwnerEnded,
    NotPublished,
    NotSubscribed,
    PublishAsName,
    Published,
    PublishedCleared,
    Subscribed,
    SubscribedCleared,
    SubscribeToName,
)

__all__ = ["DirectoryNode", "NODE", "node_address", "object_ended"]

_PROCESS = ScopeOfDirectory.PROCESS


class _Publication:
    """A name listed by a local object."""

    __slots__ = ("address", "encrypted", "listed", "name", "published_id", "scope")

    def __init__(self, name: str, scope: ScopeOfDirectory, encrypted: bool, address: tuple) -> None:
        self.name = name
        self.scope = scope
        self.encrypted = encrypted
        self.published_id = uuid.uuid4()
        self.address = address
        self.listed = True


class _Subscription:
    """A search registered by a local object."""

    __slots__ = ("address", "listed", "scope", "search", "subscribed_id")

    def __init__(self, search: str, scope: ScopeOfDirectory, address: tuple) -> None:
        self.search = search
        self.scope = scope
        self.subscribed_id = uuid.uuid4()
        self.address = address
        self.listed = True


class _Session:
    """An open session between one subscription and one publication."""

    __slots__ = ("opened_at", "route_id")

    def __init__(self) -> None:
        self.route_id = uuid.uuid4()
        self.opened_at = world_now()


class DirectoryNode(Point, Stateless):
    """The PROCESS node of the directory tree (one per process; see the module docstring)."""

    _lingers = False  # process end neither waits for nor stops it

    def __init__(self) -> None:
        Point.__init__(self)
        Stateless.__init__(self)
        self.scope = _PROCESS
        self.listings = Listings()
        self.published: dict[uuid.UUID, _Publication] = {}
        self.subscribed: dict[uuid.UUID, _Subscription] = {}
        self.subscribed_by: dict[tuple, _Subscription] = {}  # (address, search) -> record
        self.owned: dict[tuple, list] = {}  # owner address -> its records
        self.sessions: dict[tuple, _Session] = {}  # (subscription record, name) -> session


# Handlers -----------------------------------------------------------------------------------------


def DirectoryNode_Start(self: DirectoryNode, message: Start) -> None:
    pass


def DirectoryNode_PublishAsName(self: DirectoryNode, message: PublishAsName) -> None:
    requester = self.return_address
    name, scope = message.name, message.scope
    holder = self.listings.publication(name)
    if holder is not None and holder.address not in TABLE:  # type: ignore[attr-defined]
        _owner_gone(self, holder.address)  # type: ignore[attr-defined]
    record = _Publication(name, scope, message.encrypted, requester)
    try:
        matches = self.listings.add_name(name, record)
    except AlreadyPublished:
        _tell(self, NotPublished(name, scope, ALREADY_PUBLISHED), requester)
        return
    self.published[record.published_id] = record
    _own(self, requester, record)
    _tell(
        self,
        Published(name, scope, record.encrypted, record.published_id, None, requester),
        requester,
    )
    _open_all(self, matches)


def DirectoryNode_SubscribeToName(self: DirectoryNode, message: SubscribeToName) -> None:
    requester = self.return_address
    search, scope = message.search, message.scope
    key = (requester, search)
    if key in self.subscribed_by:
        _tell(self, NotSubscribed(search, scope, ALREADY_SUBSCRIBED), requester)
        return
    record = _Subscription(search, scope, requester)
    try:
        matches = self.listings.add_search(search, record)
    except BadSearch:
        _tell(self, NotSubscribed(search, scope, BAD_SEARCH), requester)
        return
    self.subscribed[record.subscribed_id] = record
    self.subscribed_by[key] = record
    _own(self, requester, record)
    _tell(self, Subscribed(search, scope, record.subscribed_id, requester), requester)
    _open_all(self, matches)


def DirectoryNode_ClearPublication(self: DirectoryNode, message: ClearPublication) -> None:
    record = self.published.get(message.published_id)
    if record is not None:
        _unlist(self, record, None)
        name, scope = record.name, record.scope
    else:  # cleared already, or never listed here: confirmed all the same
        name, scope = message.name, message.scope
    _tell(
        self, PublishedCleared(name, scope, message.published_id, message.note), self.return_address
    )


def DirectoryNode_ClearSubscription(self: DirectoryNode, message: ClearSubscription) -> None:
    record = self.subscribed.get(message.subscribed_id)
    if record is not None:
        _unlist(self, record, None)
        search, scope = record.search, record.scope
    else:
        search, scope = message.search, message.scope
    _tell(
        self,
        SubscribedCleared(search, scope, message.subscribed_id, message.note),
        self.return_address,
    )


def DirectoryNode_ListingOwnerEnded(self: DirectoryNode, message: ListingOwnerEnded) -> None:
    _owner_gone(self, message.address)


bind_stateless(
    DirectoryNode,
    (Start, PublishAsName, SubscribeToName, ClearPublication, ClearSubscription, ListingOwnerEnded),
)


# Listings and sessions (loop thread) --------------------------------------------------------------


def _own(self: DirectoryNode, owner: tuple, record: object) -> None:
    records = self.owned.get(owner)
    if records is None:
        records = self.owned[owner] = []
    records.append(record)


def _owner_gone(self: DirectoryNode, owner: tuple) -> None:
    """Remove every listing of an object that ended; its peers get ``Dropped``."""
    for record in self.owned.pop(owner, ()):
        _unlist(self, record, owner)


def _unlist(self: DirectoryNode, record: object, gone: tuple | None) -> None:
    """Remove one listing and drop its sessions (not telling ``gone``, the ended owner)."""
    if not record.listed:  # type: ignore[attr-defined]
        return
    record.listed = False  # type: ignore[attr-defined]
    if isinstance(record, _Publication):
        del self.published[record.published_id]
        ended = self.listings.remove_name(record.name)
    else:
        assert isinstance(record, _Subscription)
        del self.subscribed[record.subscribed_id]
        del self.subscribed_by[(record.address, record.search)]
        ended = self.listings.remove_search(record)
    if gone is None:
        records = self.owned.get(record.address)  # type: ignore[attr-defined]
        if records is not None:
            records.remove(record)
            if not records:
                del self.owned[record.address]  # type: ignore[attr-defined]
    for match in ended:
        _close(self, match, gone)


def _open_all(self: DirectoryNode, matches: list[Match]) -> None:
    for match in matches:
        _open(self, match)


def _open(self: DirectoryNode, match: Match) -> None:
    """A new match: ``Available`` to the subscriber, ``Delivered`` to the publisher."""
    publication: _Publication = match.publication  # type: ignore[assignment]
    subscription: _Subscription = match.subscription  # type: ignore[assignment]
    for record in (publication, subscription):
        if record.listed and record.address not in TABLE:
            _owner_gone(self, record.address)  # a dropped channel: it never called end()
    if not (publication.listed and subscription.listed):
        return
    session = self.sessions[(subscription, match.name)] = _Session()
    p, s = publication.address, subscription.address
    _tell(
        self,
        Available(
            match.name,
            self.scope,
            session.route_id,
            subscription.subscribed_id,
            publication.published_id,
            p,
            session.opened_at,
        ),
        s,
        p,
    )
    _tell(
        self,
        Delivered(
            match.name,
            self.scope,
            session.route_id,
            subscription.subscribed_id,
            publication.published_id,
            s,
            session.opened_at,
        ),
        p,
        s,
    )


def _close(self: DirectoryNode, match: Match, gone: tuple | None) -> None:
    """A match ended: ``Dropped`` to each side that is not ``gone``."""
    subscription: _Subscription = match.subscription  # type: ignore[assignment]
    publication: _Publication = match.publication  # type: ignore[assignment]
    session = self.sessions.pop((subscription, match.name), None)
    if session is None:
        return  # never opened (an owner was found gone first)
    p, s = publication.address, subscription.address
    for to, remote in ((s, p), (p, s)):
        if to != gone:
            _tell(
                self,
                Dropped(
                    match.name,
                    self.scope,
                    session.route_id,
                    subscription.subscribed_id,
                    publication.published_id,
                    remote,
                    session.opened_at,
                ),
                to,
                remote,
            )


def _tell(self: DirectoryNode, message: object, to: tuple, back: tuple | None = None) -> None:
    """Send to a listing owner; a full queue there (counted and logged) must not end the node."""
    with contextlib.suppress(QueueFull):
        send_from(self, message, to, self.object_address if back is None else back)


# The process's node -------------------------------------------------------------------------------


class _Holder:
    """Where the process's node lives (any thread may ask; created once, under the lock)."""

    def __init__(self) -> None:
        self.address: tuple | None = None
        self.lock = threading.Lock()


NODE = _Holder()


def node_address() -> tuple:
    """The address of this process's directory node, created on first use (any thread)."""
    address = NODE.address
    if address is not None and address in TABLE:
        return address
    with NODE.lock:
        address = NODE.address
        if address is None or address not in TABLE:
            address = NODE.address = create_object(DirectoryNode, (), {}, (), None)
        return address


def object_ended(address: tuple) -> None:
    """Called by ``Agent.end`` for an object that listed something: the node forgets it."""
    node = NODE.address
    if node is None:
        return
    # A full queue is counted and logged; the listings then go when a peer or rival meets them.
    with contextlib.suppress(QueueFull):
        send_from(None, ListingOwnerEnded(address), node, address)
