"""The directory node of a process: a loop-hosted machine created on first use (pubsub §4-§7).

How it works. ``lc.publish``/``lc.subscribe``/``lc.clear_*`` send a request to the node with
the caller as return address. The node keeps one record per listing, feeds names and searches
to the sans-I/O ``Listings`` engine and turns each match it reports into a session: the
subscriber gets ``Available`` (return address = the publisher) and the publisher
``Delivered`` (return address = the subscriber). A match that ends (clear, or an owner that
ended) becomes ``Dropped`` to each side still alive. The answer to a request always goes out
before the session messages it causes, so ``Published``/``Subscribed`` arrive first.

Parent link (PROCESS node). Off until a parent is configured: ``--connect-to-directory``, or
``DIRECTORY_AT_HOST`` in a process started by ``lc.create`` (``set_default_parent``); in-process
tests have neither and everything stays local. At the first listing wider than PROCESS the
node connects (keep-alive) and pushes every wide listing (``_protocol``); on loss it retries
forever (0.25 s doubling to 1 s) and pushes them all again. Wide publications wait for the
process's one session listener (``127.0.0.1:0``) and report it in ``Published.listening_ipp``.

Sessions across processes. The parent matches and sends the subscriber's node
``RouteFound``; that node keeps the routes per (subscription, name) and opens one session on
the nearest (a match inside this process always wins: upgrade and fallback as in §6). It
keeps one connection per publisher ``host:port``, sends ``OpenSession`` on it and, on
``SessionOpened``, tells the subscriber ``Available``; the publisher's node tells the
publisher ``Delivered``. Either end going (clear, owner ended) sends ``EndSession`` to the
other node; a connection that closes drops every session on it, on both sides. Routes coming
or going never touch an open session.

Two deadlines, kept by one timer (``T2``, armed for the earliest). A session with no answer
``SESSION_OPEN_LIMIT`` seconds after it was asked for (connecting included) is abandoned: the
node sends ``EndSession`` (a late ``SessionOpened`` is answered the same way), forgets the
session and tells the subscriber nothing, as it heard nothing. The route stays known and is
not retried at once (a silent publisher would be asked every 3 s): the next event that looks
for a session on that name (a new route, a nearer session ending) tries it again. A connection
left with no sessions closes ``IDLE_CLOSE`` seconds later unless a new session takes it first.

Parent role (scope HOST: host-cake). ``AcceptDirectories`` makes the node listen for child
nodes; their listings (when not narrower than this node) go into the same engine as records
tagged with the child link, and each match becomes a ``RouteFound`` to the subscriber's node
(``RouteLost`` when it ends). A name held here refuses the same name from another listing
with ``PublicationRefused``. A child link that closes takes its listings with it.

Library children (api-core §10.6). A ProcessObject sends ``AcceptDirectories(127.0.0.1:0)``
to the PROCESS node; the first request opens the listen and every later one shares it. The
child runs a LIBRARY node whose parent is that address; ``lc.create`` there lists the main
object with ``PublishMain`` (a quiet record: no ``Delivered``/``Dropped`` to the object). A
child publication meeting a search of this process becomes a route here, as if a parent had
sent ``RouteFound``, and the session opens to the child's session listener as usual. Not
served: this process's own publications meeting a child's search.

Ends of owners. ``Agent.end`` calls ``object_ended`` for objects that ever listed something
(a flag set by the API, so other objects pay nothing), which posts ``ListingOwnerEnded``
here. Channels are dropped without ``end``: an owner found missing from ``TABLE`` when its
name is contested or when it is about to get a session is purged then.

One node per process; its address is kept in ``NODE``. It sets ``_lingers = False``: it is
not waited for (or stopped) at process end.
"""

from __future__ import annotations

import contextlib
import random
import threading
import time
import uuid

from ..net._hostport import HostPort
from ..net._messages import (
    Accepted,
    Close,
    Closed,
    Connected,
    Listening,
    NotConnected,
    NotListening,
)
from ..net._transport import connect, listen
from ..runtime._bind import bind_stateless
from ..runtime._dispatch import TABLE, send_from
from ..runtime._machine import Point, Stateless
from ..runtime._messages import T1, T2, Ping, ScopeOfDirectory, Start
from ..runtime._object import QueueFull, create_object
from ..types._registry import bind_library_message
from ..types._text import world_now
from ._inspect import (
    CONNECTED,
    NO_ACTIVE_ROUTE,
    TO_BE_CONFIRMED,
    DirectoryListing,
    DirectoryOpened,
    DirectoryPeer,
    DirectoryRoute,
    GetDirectory,
    ListDirectory,
    NodeJoined,
    OpenDirectory,
    PeerSession,
    executable_name,
)
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
from ._protocol import (
    EndSession,
    ListPublication,
    ListSearch,
    OpenSession,
    PublicationRefused,
    RouteFound,
    RouteLost,
    SessionOpened,
    SessionRefused,
    UnlistPublication,
    UnlistSearch,
)

__all__ = [
    "DirectoryNode",
    "AcceptDirectories",
    "PublishMain",
    "NODE",
    "node_address",
    "object_ended",
    "configure_node",
    "set_default_parent",
]

_PROCESS = ScopeOfDirectory.PROCESS
_GROUP = ScopeOfDirectory.GROUP
_HOST = ScopeOfDirectory.HOST
_LAN = ScopeOfDirectory.LAN
_LOOPBACK = "127.0.0.1"
_FIRST_RETRY = 0.25  # seconds before the first reconnect to a lost or absent parent
_MOST_RETRY = 1.0  # the backoff's cap (NEW, §7: a local parent is rejoined within ~1 s)
#: Keep-alive of links that may cross hosts (parent links, LAN sessions): a probe after
#: PROBE_PERIOD s of outbound silence, stale after PROBE_LIMIT s of inbound silence, so a host
#: that vanishes silently is noticed within 3 s (§9).
PROBE_PERIOD = 0.5
PROBE_LIMIT = 2.0
SESSION_OPEN_LIMIT = 3.0  # seconds for a session request to be answered (§6)
IDLE_CLOSE = 8.0  # seconds a connection with no sessions stays open (§6)


class AcceptDirectories:
    """To the node (from its daemon): listen for child nodes at ``requested_ipp``.

    The requester gets the ``Listening`` or ``NotListening`` of that listen."""

    def __init__(self, requested_ipp: HostPort | None = None) -> None:
        self.requested_ipp = requested_ipp if requested_ipp is not None else HostPort()


bind_library_message(AcceptDirectories, "layer_cake.directory_protocol.AcceptDirectories")


class PublishMain:
    """To the node (from ``lc.create`` in a library child, api-core §10.6): list the main
    object at ``address`` under ``name``.

    The answer (``Published``/``NotPublished``) goes to the sender, and the object is told
    nothing of its sessions (no ``Delivered``/``Dropped``): its code stays unaware of the
    listing. Private to the process: never sent between processes."""

    __slots__ = ("address", "name", "scope")

    def __init__(self, name: str, scope: ScopeOfDirectory, address: tuple) -> None:
        self.name = name
        self.scope = scope
        self.address = address


class _Publication:
    """A name listed by a local object."""

    __slots__ = (
        "address",
        "encrypted",
        "listed",
        "listening_ipp",
        "name",
        "published_id",
        "quiet",
        "scope",
    )

    def __init__(
        self,
        name: str,
        scope: ScopeOfDirectory,
        encrypted: bool,
        address: tuple,
        quiet: bool = False,
    ) -> None:
        self.name = name
        self.scope = scope
        self.encrypted = encrypted
        self.published_id = uuid.uuid4()
        self.address = address
        self.listed = True
        self.quiet = quiet  # listed by PublishMain: no session messages to the object
        self.listening_ipp: HostPort | None = None  # its session listener (wide listings)


class _Listener:
    """Publisher side: one session listener, shared by all publications of its kind.

    Keyed by (LAN, encrypted): LAN names listen on ``0.0.0.0:0`` (reachable from other hosts,
    with keep-alive), the others on ``127.0.0.1:0``; encrypted publications on their own."""

    __slots__ = ("ipp", "lid", "waiting")

    def __init__(self) -> None:
        self.lid: uuid.UUID | None = None
        self.ipp: HostPort | None = None  # once listening
        self.waiting: list[tuple] = []  # (request, requester) answered once listening


class _Subscription:
    """A search registered by a local object."""

    __slots__ = ("address", "listed", "scope", "search", "subscribed_id")

    def __init__(self, search: str, scope: ScopeOfDirectory, address: tuple) -> None:
        self.search = search
        self.scope = scope
        self.subscribed_id = uuid.uuid4()
        self.address = address
        self.listed = True


class _ChildPublication:
    """Parent role: a publication listed by a child node (``node`` is that node's address)."""

    __slots__ = (
        "address",
        "encrypted",
        "link",
        "listening_ipp",
        "message",
        "name",
        "node",
        "published_id",
        "scope",
    )

    def __init__(self, m: ListPublication, link: tuple, node: tuple, host: str) -> None:
        self.name = m.name
        self.scope = m.scope
        self.published_id = m.published_id
        # §6: GROUP/HOST nodes rewrite the host to 127.0.0.1, the LAN node to the address
        # it sees for that host (``host``: the peer of the child link).
        self.listening_ipp = HostPort(host, m.listening_ipp.port)
        self.address = m.publisher_address
        self.encrypted = m.encrypted
        self.link = link
        self.node = node
        self.message = m  # relayed upward as it came


class _ChildSubscription:
    """Parent role: a search registered by a child node."""

    __slots__ = ("link", "node", "scope", "search", "subscribed_id")

    def __init__(self, m: ListSearch, link: tuple, node: tuple) -> None:
        self.search = m.search
        self.scope = m.scope
        self.subscribed_id = m.subscribed_id
        self.link = link
        self.node = node


class _Session:
    """One session of a local subscription: in-process, or through a connection (``remote``)."""

    __slots__ = (
        "connection",
        "name",
        "opened_at",
        "published_id",
        "publisher",
        "remote",
        "requested_at",
        "route_id",
        "scope",
        "subscription",
    )

    def __init__(self, scope: ScopeOfDirectory = _PROCESS) -> None:
        self.route_id = uuid.uuid4()
        self.opened_at = world_now()
        self.scope = scope
        self.remote = False
        self.connection: _Connection | None = None
        self.publisher: tuple | None = None  # remote: set by SessionOpened
        self.published_id: uuid.UUID | None = None
        self.subscription: _Subscription | None = None
        self.name = ""
        self.requested_at = time.monotonic()  # remote: the session-open limit runs from here


class _Connection:
    """Subscriber side: the one connection to a publisher's ``host:port``."""

    __slots__ = ("idle_since", "key", "local_ipp", "proxy", "sessions")

    def __init__(self, key: tuple) -> None:
        self.key = key
        self.local_ipp: HostPort | None = None  # this end, once connected
        self.proxy: tuple | None = None  # set by Connected
        self.sessions: dict[uuid.UUID, _Session] = {}
        self.idle_since: float | None = None  # monotonic time its last session ended


class _Served:
    """Publisher side: a session opened by a subscriber's node."""

    __slots__ = ("link", "message", "peer", "publication")

    def __init__(self, message: OpenSession, publication: _Publication, peer: tuple) -> None:
        self.message = message
        self.publication = publication
        self.peer = peer  # the subscriber's node, through the accepted link
        self.link = peer[:1]


class DirectoryNode(Point, Stateless):
    """A node of the directory tree (one per process; see the module docstring)."""

    _lingers = False  # process end neither waits for nor stops it

    def __init__(self, scope: ScopeOfDirectory = _PROCESS) -> None:
        Point.__init__(self)
        Stateless.__init__(self)
        self.scope = scope
        self.unique_id = uuid.uuid4()  # new each start (§11)
        self.executable = NODE.executable or executable_name()
        self.listings = Listings()
        self.open_waiting: list[tuple] = []  # (OpenDirectory, requester) until the link is up
        self.published: dict[uuid.UUID, _Publication] = {}
        self.subscribed: dict[uuid.UUID, _Subscription] = {}
        self.subscribed_by: dict[tuple, _Subscription] = {}  # (address, search) -> record
        self.owned: dict[tuple, list] = {}  # owner address -> its records
        self.sessions: dict[tuple, _Session] = {}  # (subscription record, name) -> session
        # Parent link.
        self.parent_ipp: HostPort | None = None  # decided at the first wide listing
        self.parent_decided = False
        self.parent: tuple | None = None  # the link's proxy while connected
        self.parent_state = "idle"  # idle | connecting | up | waiting
        self.parent_joined = False  # the parent answered NodeJoined on the current link
        self.retry = _FIRST_RETRY
        # Session listeners (publisher side).
        self.listeners: dict[tuple, _Listener] = {}  # (lan, encrypted) -> listener
        self.listener_lids: dict[uuid.UUID, _Listener] = {}
        self.refused: set[uuid.UUID] = set()  # published ids refused by the parent
        self.served: dict[uuid.UUID, _Served] = {}  # route id -> session
        self.in_links: dict[tuple, set] = {}  # accepted session link -> route ids
        # Subscriber side.
        # (sub record, name) -> {(published id, scope of the matching node): route}
        self.routes: dict[tuple, dict[tuple, RouteFound]] = {}
        self.by_route: dict[uuid.UUID, _Session] = {}  # remote sessions
        self.connections: dict[tuple, _Connection] = {}  # (host, port) -> connection
        self.out_links: dict[tuple, _Connection] = {}  # proxy -> connection
        self.sweep_at: float | None = None  # when T2 is due (session-open and idle deadlines)
        # Parent role.
        self.accept_lid: uuid.UUID | None = None
        self.accept_requesters: list[tuple] = []  # waiting for the listen to settle
        self.accepting: Listening | None = None  # the listen, once up (answers later requests)
        self.children: dict[tuple, list] = {}  # child link -> its records
        self.child_ipps: dict[tuple, HostPort] = {}  # child link -> the peer's address
        self.child_nodes: dict[tuple, tuple] = {}  # child link -> the child node (NodeJoined)
        self.child_published: dict[tuple, _ChildPublication] = {}  # (link, id) -> record
        self.child_subscribed: dict[tuple, _ChildSubscription] = {}  # (link, id) -> record


# Handlers: the API --------------------------------------------------------------------------------


def DirectoryNode_Start(self: DirectoryNode, message: Start) -> None:
    """A parent given explicitly (a daemon's setting, ``--connect-to-directory``) is joined at
    start (§7), so the node shows in the directory before it lists anything; the defaults
    (``127.0.0.1:54195``, the standard LAN address) wait for the first wide listing."""
    from ..process._command_line import CL

    explicit = NODE.parent or CL.connect_to_directory
    given = explicit is not None and explicit.host
    if given and _parent_ipp(self) is not None and self.parent_state == "idle":
        _connect_parent(self)


def DirectoryNode_PublishAsName(self: DirectoryNode, message: PublishAsName) -> None:
    _publish_request(self, message, self.return_address)


def DirectoryNode_PublishMain(self: DirectoryNode, message: PublishMain) -> None:
    _publish_request(self, message, self.return_address)


def _publish_request(
    self: DirectoryNode, message: PublishAsName | PublishMain, requester: tuple
) -> None:
    if _wide(self, message.scope) and _parent_ipp(self) is not None:
        listener = _listener(self, message)
        if listener.ipp is None:
            listener.waiting.append((message, requester))  # answered once it listens
            return
    _publish(self, message, requester)


def _listener(self: DirectoryNode, message: PublishAsName | PublishMain) -> _Listener:
    """The session listener for a wide publication; the first of its kind starts listening."""
    lan = message.scope == _LAN
    encrypted = bool(getattr(message, "encrypted", False))
    key = (lan, encrypted)
    listener = self.listeners.get(key)
    if listener is None:
        listener = self.listeners[key] = _Listener()
    if listener.lid is None:
        listener.lid = listen(
            self,
            HostPort("0.0.0.0" if lan else _LOOPBACK, 0),
            encrypted=encrypted,
            keep_alive=lan,
            keep_alive_period=PROBE_PERIOD,
            keep_alive_limit=PROBE_LIMIT,
        )
        self.listener_lids[listener.lid] = listener
    return listener


def _publish(self: DirectoryNode, message: PublishAsName | PublishMain, requester: tuple) -> None:
    name, scope = message.name, message.scope
    holder = self.listings.publication(name)
    if isinstance(holder, _Publication) and holder.address not in TABLE:
        _owner_gone(self, holder.address)
    if isinstance(message, PublishMain):
        record = _Publication(name, scope, False, message.address, quiet=True)
    else:
        record = _Publication(name, scope, message.encrypted, requester)
    try:
        matches = self.listings.add_name(name, record)
    except AlreadyPublished:
        _tell(self, NotPublished(name, scope, ALREADY_PUBLISHED), requester)
        return
    self.published[record.published_id] = record
    _own(self, record.address, record)
    upward = _upward(self, scope)
    ipp = None
    if upward:
        listener = self.listeners.get((scope == _LAN, record.encrypted))
        ipp = record.listening_ipp = listener.ipp if listener is not None else None
    _tell(
        self,
        Published(name, scope, record.encrypted, record.published_id, ipp, record.address),
        requester,
    )
    if upward:
        _to_parent(self, _list_publication(self, record))
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
    if _upward(self, scope):
        _to_parent(self, ListSearch(search, scope, record.subscribed_id))


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


def DirectoryNode_AcceptDirectories(self: DirectoryNode, message: AcceptDirectories) -> None:
    """Listen for child nodes; once listening, later requests share that listen (the
    on-demand loopback address of library children, pubsub §7)."""
    if self.accepting is not None:
        _tell(self, self.accepting, self.return_address)
        return
    self.accept_requesters.append(self.return_address)
    if self.accept_lid is None:
        ipp = message.requested_ipp
        local = _loopback(ipp)
        self.accept_lid = listen(
            self,
            ipp,
            encrypted=NODE.encrypted,
            keep_alive=True,  # a child that vanishes silently is noticed here too
            keep_alive_period=1.0 if local else PROBE_PERIOD,
            keep_alive_limit=3.0 if local else PROBE_LIMIT,
        )


# Handlers: transports -----------------------------------------------------------------------------


def DirectoryNode_Listening(self: DirectoryNode, message: Listening) -> None:
    lid = message.request.lid
    if lid == self.accept_lid:
        self.accepting = message
        requesters, self.accept_requesters = self.accept_requesters, []
        for requester in requesters:
            _tell(self, message, requester)
        return
    listener = self.listener_lids.get(lid)
    if listener is None:
        return
    listener.ipp = message.listening_ipp
    waiting, listener.waiting = listener.waiting, []
    for request, requester in waiting:
        _publish(self, request, requester)


def DirectoryNode_NotListening(self: DirectoryNode, message: NotListening) -> None:
    lid = message.request.lid
    if lid == self.accept_lid:
        self.accept_lid = None
        requesters, self.accept_requesters = self.accept_requesters, []
        for requester in requesters:
            _tell(self, message, requester)
        return
    listener = self.listener_lids.pop(lid, None)
    if listener is None:
        return
    listener.lid = None  # the next publication of its kind tries again
    waiting, listener.waiting = listener.waiting, []
    for request, requester in waiting:
        note = f"no session listener ({message.error_text})"
        _tell(self, NotPublished(request.name, request.scope, note), requester)


def DirectoryNode_Accepted(self: DirectoryNode, message: Accepted) -> None:
    lid = message.listening.request.lid
    if lid == self.accept_lid:
        self.children[message.proxy_address] = []
        self.child_ipps[message.proxy_address] = message.opened_ipp
    elif lid in self.listener_lids:
        self.in_links[message.proxy_address] = set()


def DirectoryNode_Connected(self: DirectoryNode, message: Connected) -> None:
    ipp = message.request.requested_ipp
    key = (ipp.host, ipp.port)
    proxy = message.proxy_address
    if self.parent_state == "connecting" and key == _key(self.parent_ipp):
        self.parent = proxy
        self.parent_state = "up"
        self.retry = _FIRST_RETRY
        self.parent_joined = False  # until the parent answers NodeJoined
        _tell(self, NodeJoined(self.unique_id, self.scope), proxy)
        _push_all(self)
        return
    connection = self.connections.get(key)
    if connection is None or connection.proxy is not None:
        _tell(self, Close(), proxy)  # not wanted (any more)
        return
    connection.proxy = proxy
    connection.local_ipp = message.opened_ipp
    self.out_links[proxy] = connection
    for session in connection.sessions.values():
        _request_session(self, session)
    _arm_sweep(self)  # left with no sessions while connecting: the idle delay runs


def DirectoryNode_NotConnected(self: DirectoryNode, message: NotConnected) -> None:
    ipp = message.request.requested_ipp
    key = (ipp.host, ipp.port)
    if self.parent_state == "connecting" and key == _key(self.parent_ipp):
        _parent_lost(self)
        return
    connection = self.connections.pop(key, None)
    if connection is None or connection.proxy is not None:
        return
    for session in list(connection.sessions.values()):
        _forget_remote(self, session, False)  # never opened: the subscriber heard nothing


def DirectoryNode_Closed(self: DirectoryNode, message: Closed) -> None:
    proxy = self.return_address
    if proxy == self.parent:
        self.parent = None
        _forget_parent_routes(self)  # the parent sends them again; open sessions stay
        _parent_lost(self)
        return
    connection = self.out_links.pop(proxy, None)
    if connection is not None:
        if self.connections.get(connection.key) is connection:
            del self.connections[connection.key]
        connection.proxy = None
        for session in list(connection.sessions.values()):
            _forget_remote(self, session, True)
        return
    routes = self.in_links.pop(proxy, None)
    if routes is not None:
        for route_id in routes:
            served = self.served.pop(route_id, None)
            if served is not None:
                _drop_served(self, served)
        return
    records = self.children.pop(proxy, None)
    if records is not None:
        self.child_ipps.pop(proxy, None)
        self.child_nodes.pop(proxy, None)
        for record in records:
            _unlist_child(self, record, proxy)


def DirectoryNode_T1(self: DirectoryNode, message: object) -> None:
    if self.parent_state == "waiting":
        _connect_parent(self)


def DirectoryNode_T2(self: DirectoryNode, message: object) -> None:
    """Abandon session requests past their limit; close connections idle past theirs."""
    self.sweep_at = None
    now = time.monotonic()
    for session in [s for s in self.by_route.values() if s.publisher is None]:
        if now - session.requested_at >= SESSION_OPEN_LIMIT:
            _end_remote(self, session, False)  # the route stays known (module docstring)
    for connection in list(self.connections.values()):
        idle = connection.idle_since
        if idle is not None and now - idle >= IDLE_CLOSE and connection.proxy is not None:
            _close_link(self, connection.proxy)
    _arm_sweep(self)


# Handlers: parent → child -------------------------------------------------------------------------


def DirectoryNode_RouteFound(self: DirectoryNode, message: RouteFound) -> None:
    subscription = self.subscribed.get(message.subscribed_id)
    if subscription is None or message.published_id in self.published:
        return  # gone, or a publication of this process (matched here, nearer)
    _add_route(self, subscription, message)


def _add_route(self: DirectoryNode, subscription: _Subscription, message: RouteFound) -> None:
    """A route for a local subscription; a session opens on the nearest."""
    key = (subscription, message.name)
    routes = self.routes.get(key)
    if routes is None:
        routes = self.routes[key] = {}
    routes[(message.published_id, message.scope)] = message
    session = self.sessions.get(key)
    if (
        session is not None
        and session.remote
        and message.scope > session.scope
        and message.published_id != session.published_id  # the same publisher: keep it
    ):
        # Upgrade (§6): a nearer instance ends the wider session (``Dropped`` to both ends),
        # and the nearest opens below.
        _end_remote(self, session, True)
    _consider(self, subscription, message.name)


def DirectoryNode_RouteLost(self: DirectoryNode, message: RouteLost) -> None:
    subscription = self.subscribed.get(message.subscribed_id)
    if subscription is not None:
        _forget_route(self, subscription, message.name, message.published_id, message.scope)


def DirectoryNode_PublicationRefused(self: DirectoryNode, message: PublicationRefused) -> None:
    record = self.published.get(message.published_id)
    if record is None:
        return
    self.refused.add(record.published_id)
    if record.quiet:  # a library's main object: its code knows nothing of the listing
        self.warning(f'Cannot publish "{record.name}" ({message.note})')
        return
    _tell(self, NotPublished(record.name, record.scope, message.note), record.address)


# Handlers: child → parent -------------------------------------------------------------------------


def DirectoryNode_ListPublication(self: DirectoryNode, message: ListPublication) -> None:
    node = self.return_address
    link = node[:1]
    if message.scope > self.scope or (link, message.published_id) in self.child_published:
        return
    peer = self.child_ipps.get(link)  # LAN rewrite: the address seen for that host
    host = peer.host if self.scope == _LAN and peer is not None else _LOOPBACK
    record = _ChildPublication(message, link, node, host)
    try:
        matches = self.listings.add_name(record.name, record)
    except AlreadyPublished:
        note = f"already published at {self.scope.name} by another process"
        _tell(self, PublicationRefused(record.published_id, record.name, record.scope, note), node)
        return
    self.child_published[(link, record.published_id)] = record
    self.children.setdefault(link, []).append(record)
    _open_all(self, matches)
    if _upward(self, record.scope):  # wider than this node: relayed, in the child's name
        _to_parent(self, message, node)


def DirectoryNode_ListSearch(self: DirectoryNode, message: ListSearch) -> None:
    node = self.return_address
    link = node[:1]
    if message.scope > self.scope or (link, message.subscribed_id) in self.child_subscribed:
        return
    record = _ChildSubscription(message, link, node)
    try:
        matches = self.listings.add_search(record.search, record)
    except BadSearch:
        return  # the child checked it; nothing to match
    self.child_subscribed[(link, record.subscribed_id)] = record
    self.children.setdefault(link, []).append(record)
    _open_all(self, matches)
    if _upward(self, record.scope):
        _to_parent(self, ListSearch(record.search, record.scope, record.subscribed_id), node)


def DirectoryNode_UnlistPublication(self: DirectoryNode, message: UnlistPublication) -> None:
    link = self.return_address[:1]
    record = self.child_published.get((link, message.published_id))
    if record is not None:
        records = self.children.get(link)
        if records is not None and record in records:
            records.remove(record)
        _unlist_child(self, record, None)


def DirectoryNode_UnlistSearch(self: DirectoryNode, message: UnlistSearch) -> None:
    link = self.return_address[:1]
    record = self.child_subscribed.get((link, message.subscribed_id))
    if record is not None:
        records = self.children.get(link)
        if records is not None and record in records:
            records.remove(record)
        _unlist_child(self, record, None)


# Handlers: inspection (§11) ----------------------------------------------------------------------


def DirectoryNode_OpenDirectory(self: DirectoryNode, message: OpenDirectory) -> None:
    requester = self.return_address
    if not _wide(self, message.scope):  # this node holds that scope itself
        _tell(self, DirectoryOpened(message.scope, _parent_ipp(self), True), requester)
        return
    if not _upward(self, message.scope):
        note = "no parent directory (the root, or none configured or derivable)"
        _tell(self, DirectoryOpened(message.scope, HostPort(), False, note), requester)
        return
    if self.parent_state == "up" and self.parent_joined:
        _tell(self, DirectoryOpened(message.scope, self.parent_ipp, True), requester)
        return
    self.open_waiting.append((message, requester))  # answered when the parent answers


def DirectoryNode_ListDirectory(self: DirectoryNode, message: ListDirectory) -> None:
    """Passed up to the root, which answers the tool (the return address all the way)."""
    if self.parent is not None:
        _tell(self, message, self.parent, self.return_address)
        return
    _tell(self, _listing(self), self.return_address)


def DirectoryNode_GetDirectory(self: DirectoryNode, message: GetDirectory) -> None:
    _tell(self, _listing(self), self.return_address)


def DirectoryNode_Ping(self: DirectoryNode, message: object) -> None:
    _tell(self, message, self.return_address)


def DirectoryNode_NodeJoined(self: DirectoryNode, message: NodeJoined) -> None:
    """From a child: record it and answer with this node's own. From the parent: the link is
    truly up (a link that connects and then fails, e.g. on an encryption mismatch, never
    answers), so waiting ``OpenDirectory`` requests are answered now."""
    link = self.return_address[:1]
    if link in self.children:
        self.child_nodes[link] = self.return_address
        _tell(self, NodeJoined(self.unique_id, self.scope), self.return_address)
        return
    if self.parent is None or link != self.parent[:1]:
        return
    self.parent_joined = True
    waiting, self.open_waiting = self.open_waiting, []
    for request, requester in waiting:
        _tell(self, DirectoryOpened(request.scope, self.parent_ipp, True), requester)


def _listing(self: DirectoryNode) -> DirectoryListing:
    """This node as the inspection protocol shows it."""
    from ._api import detect_primary_ip

    published = [
        Published(r.name, r.scope, r.encrypted, r.published_id, r.listening_ipp, r.address)
        for r in self.published.values()
    ]
    subscribed = [
        Subscribed(r.search, r.scope, r.subscribed_id, r.address) for r in self.subscribed.values()
    ]
    made = {
        (m.name, m.subscription.subscribed_id, m.publication.published_id)
        for m in self.listings.matches()
    }
    routed = [DirectoryRoute(n, s, p) for n, s, p in sorted(made, key=str)]
    peer = {}
    for record in self.subscribed.values():
        names = {name for sub, name in self.sessions if sub is record}
        names.update(name for sub, name in self.routes if sub is record)
        peer[record.subscribed_id] = DirectoryPeer(
            record.subscribed_id,
            record.search,
            [_peer_session(self, record, name) for name in sorted(names)],
        )
    sub_directory = {
        self.child_ipps.get(link, HostPort()): node for link, node in self.child_nodes.items()
    }
    accepting = self.accepting.listening_ipp if self.accepting is not None else HostPort()
    return DirectoryListing(
        self.unique_id,
        self.executable,
        self.object_address,
        self.scope,
        detect_primary_ip() or "(not detected)",
        _parent_ipp(self) or HostPort(),
        accepting,
        published,
        subscribed,
        routed,
        peer,
        sub_directory,
    )


def _peer_session(self: DirectoryNode, record: _Subscription, name: str) -> PeerSession:
    session = self.sessions.get((record, name))
    if session is not None and not session.remote:
        return PeerSession(name, self.scope, CONNECTED)
    if session is not None:
        connection = session.connection
        local = connection.local_ipp if connection is not None else None
        remote = HostPort(*connection.key) if connection is not None else None
        status = CONNECTED if session.publisher is not None else TO_BE_CONFIRMED
        return PeerSession(name, session.scope, status, local, remote, session.published_id)
    routes = self.routes.get((record, name)) or {}
    if not routes:
        return PeerSession(name, self.scope, NO_ACTIVE_ROUTE)
    route = max(routes.values(), key=lambda r: r.scope)
    return PeerSession(
        name, route.scope, NO_ACTIVE_ROUTE, None, route.listening_ipp, route.published_id
    )


# Handlers: node ↔ node sessions -------------------------------------------------------------------


def DirectoryNode_OpenSession(self: DirectoryNode, message: OpenSession) -> None:
    peer = self.return_address
    record = self.published.get(message.published_id)
    if record is not None and record.address not in TABLE:
        _owner_gone(self, record.address)
    if record is None or not record.listed:
        _tell(self, SessionRefused(message.route_id, "no such publication"), peer)
        return
    served = _Served(message, record, peer)
    self.served[message.route_id] = served
    self.in_links.setdefault(served.link, set()).add(message.route_id)
    _tell(self, SessionOpened(message.route_id, record.address), peer)
    if record.quiet:
        return
    m = message
    s = m.subscriber_address
    delivered = Delivered(
        m.name, m.scope, m.route_id, m.subscribed_id, m.published_id, s, m.opened_at
    )
    _tell(self, delivered, record.address, s)


def DirectoryNode_SessionOpened(self: DirectoryNode, message: SessionOpened) -> None:
    session = self.by_route.get(message.route_id)
    if session is None or session.publisher is not None:
        _tell(self, EndSession(message.route_id), self.return_address)  # given up meanwhile
        return
    session.publisher = p = message.publisher_address
    subscription = session.subscription
    available = Available(
        session.name,
        session.scope,
        session.route_id,
        subscription.subscribed_id,
        session.published_id,
        p,
        session.opened_at,
    )
    _tell(self, available, subscription.address, p)


def DirectoryNode_SessionRefused(self: DirectoryNode, message: SessionRefused) -> None:
    session = self.by_route.get(message.route_id)
    if session is not None and session.publisher is None:
        _forget_remote(self, session, False)


def DirectoryNode_EndSession(self: DirectoryNode, message: EndSession) -> None:
    session = self.by_route.get(message.route_id)
    if session is not None:  # subscriber side: the publisher went
        _forget_remote(self, session, True)
        return
    served = self.served.pop(message.route_id, None)
    if served is not None:  # publisher side: the subscriber went
        routes = self.in_links.get(served.link)
        if routes is not None:
            routes.discard(message.route_id)
        _drop_served(self, served)


bind_stateless(
    DirectoryNode,
    (
        Start,
        PublishAsName,
        PublishMain,
        SubscribeToName,
        ClearPublication,
        ClearSubscription,
        ListingOwnerEnded,
        AcceptDirectories,
        Listening,
        NotListening,
        Accepted,
        Connected,
        NotConnected,
        Closed,
        T1,
        T2,
        RouteFound,
        RouteLost,
        PublicationRefused,
        ListPublication,
        ListSearch,
        UnlistPublication,
        UnlistSearch,
        OpenSession,
        SessionOpened,
        SessionRefused,
        EndSession,
        OpenDirectory,
        ListDirectory,
        GetDirectory,
        Ping,
        NodeJoined,
    ),
)


# The parent link (loop thread) --------------------------------------------------------------------


def _key(ipp: HostPort | None) -> tuple | None:
    return None if ipp is None else (ipp.host, ipp.port)


def _loopback(ipp: HostPort) -> bool:
    """A link to this host: loopback keep-alive figures, or none for sessions (§6)."""
    return ipp.host.startswith("127.") or ipp.host in ("localhost", "::1")


def _wide(self: DirectoryNode, scope: ScopeOfDirectory) -> bool:
    """Wider than this node: held by nodes above it (lower value = wider reach)."""
    return scope < self.scope


def _parent_ipp(self: DirectoryNode) -> HostPort | None:
    """Where this node's parent listens, or None (the root, or no parent: all stays here).

    Decided once (§7): a daemon's configured parent, else ``--connect-to-directory``, else
    the default of its scope: ``127.0.0.1:54195`` for GROUP and for a PROCESS started by
    ``lc.create``, the standard LAN address for HOST (None when underivable), none for LAN.
    """
    if self.parent_decided:
        return self.parent_ipp
    self.parent_decided = True
    from ..process._command_line import CL

    ipp = NODE.parent or CL.connect_to_directory
    if ipp is None or not ipp.host:
        if self.scope >= _PROCESS:
            ipp = NODE.default_parent
        elif self.scope == _GROUP:
            from ._api import DIRECTORY_AT_HOST

            ipp = DIRECTORY_AT_HOST
        elif self.scope == _HOST:
            from ._api import directory_at_lan

            ipp = directory_at_lan()
        else:
            ipp = None
    self.parent_ipp = ipp
    return ipp


def _upward(self: DirectoryNode, scope: ScopeOfDirectory) -> bool:
    """A listing to push to the parent; the first one opens the link (§7)."""
    if not _wide(self, scope) or _parent_ipp(self) is None:
        return False
    if self.parent_state == "idle":
        _connect_parent(self)
    return True


def _connect_parent(self: DirectoryNode) -> None:
    """Open the parent link: keep-alive always (tighter off the host), encrypted when the
    daemon's ``encrypted_directory`` or the process's ``--encrypted-process`` says so."""
    from ..process._command_line import CL

    self.parent_state = "connecting"
    ipp = self.parent_ipp
    assert ipp is not None
    local = _loopback(ipp)
    connect(
        self,
        ipp,
        encrypted=NODE.encrypted or bool(CL.encrypted_process),
        keep_alive=True,
        keep_alive_period=1.0 if local else PROBE_PERIOD,
        keep_alive_limit=3.0 if local else PROBE_LIMIT,
    )


def _to_parent(self: DirectoryNode, message: object, back: tuple | None = None) -> None:
    """To the parent node while linked (``back``: a child node, for relayed listings); what
    is lost while unlinked goes again with the next ``_push_all``."""
    if self.parent is not None:
        _tell(self, message, self.parent, back)


def _list_publication(self: DirectoryNode, record: _Publication) -> ListPublication:
    return ListPublication(
        record.name,
        record.scope,
        record.published_id,
        record.listening_ipp,
        record.address,
        record.encrypted,
    )


def _push_all(self: DirectoryNode) -> None:
    """A new parent link: every listing wider than this node, in one go."""
    for record in list(self.published.values()):
        if _wide(self, record.scope) and record.published_id not in self.refused:
            _to_parent(self, _list_publication(self, record))
    for record in list(self.subscribed.values()):
        if _wide(self, record.scope):
            _to_parent(self, ListSearch(record.search, record.scope, record.subscribed_id))
    for child in list(self.child_published.values()):  # relayed listings of child nodes
        if _wide(self, child.scope):
            _to_parent(self, child.message, child.node)
    for search in list(self.child_subscribed.values()):
        if _wide(self, search.scope):
            message = ListSearch(search.search, search.scope, search.subscribed_id)
            _to_parent(self, message, search.node)


def _parent_lost(self: DirectoryNode) -> None:
    """Retry forever: 0.25 s doubling to 1 s, with a little jitter."""
    self.parent_state = "waiting"
    self.parent_joined = False
    delay = self.retry * random.uniform(0.9, 1.0)
    self.retry = min(self.retry * 2.0, _MOST_RETRY)
    self.start(T1, delay)


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
        if _wide(self, record.scope):  # refused too: nodes between may hold it
            _to_parent(self, UnlistPublication(record.published_id))
        self.refused.discard(record.published_id)
        for served in [s for s in self.served.values() if s.publication is record]:
            del self.served[served.message.route_id]
            routes = self.in_links.get(served.link)
            if routes is not None:
                routes.discard(served.message.route_id)
            _tell(self, EndSession(served.message.route_id), served.peer)
            if gone is None:
                _drop_served(self, served)
    else:
        assert isinstance(record, _Subscription)
        del self.subscribed[record.subscribed_id]
        del self.subscribed_by[(record.address, record.search)]
        ended = self.listings.remove_search(record)
        if _wide(self, record.scope):
            _to_parent(self, UnlistSearch(record.subscribed_id))
        for key in [k for k in self.routes if k[0] is record]:
            del self.routes[key]
        for key, session in list(self.sessions.items()):
            if key[0] is record and session.remote:
                _end_remote(self, session, gone is None)
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
        publication, subscription = match.publication, match.subscription
        if isinstance(publication, _Publication) and isinstance(subscription, _Subscription):
            _open(self, match)
        elif isinstance(publication, _ChildPublication) and isinstance(
            subscription, _ChildSubscription
        ):
            route = RouteFound(
                subscription.subscribed_id,
                match.name,
                self.scope,
                publication.listening_ipp,
                publication.published_id,
                publication.encrypted,
            )
            _tell(self, route, subscription.node)
        elif isinstance(publication, _ChildPublication) and isinstance(subscription, _Subscription):
            # A library child's publication meeting a search of this process (api-core
            # §10.6): a route like one from a parent, to the child's session listener.
            route = RouteFound(
                subscription.subscribed_id,
                match.name,
                self.scope,
                publication.listening_ipp,
                publication.published_id,
                publication.encrypted,
            )
            _add_route(self, subscription, route)
        # This process's publication meeting a child's search: not served (no listener
        # for PROCESS names; daemons list nothing).


def _open(self: DirectoryNode, match: Match) -> None:
    """A new match: ``Available`` to the subscriber, ``Delivered`` to the publisher."""
    publication: _Publication = match.publication  # type: ignore[assignment]
    subscription: _Subscription = match.subscription  # type: ignore[assignment]
    for record in (publication, subscription):
        if record.listed and record.address not in TABLE:
            _owner_gone(self, record.address)  # a dropped channel: it never called end()
    if not (publication.listed and subscription.listed):
        return
    key = (subscription, match.name)
    previous = self.sessions.get(key)
    if previous is not None and previous.remote:  # upgrade: the nearer one wins
        _end_remote(self, previous, True)
    session = self.sessions[key] = _Session()
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
    if publication.quiet:
        return
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
    publication, subscription = match.publication, match.subscription
    if isinstance(subscription, _ChildSubscription):
        if isinstance(publication, _ChildPublication):
            lost = RouteLost(
                subscription.subscribed_id, match.name, self.scope, publication.published_id
            )
            _tell(self, lost, subscription.node)
        return
    if isinstance(publication, _ChildPublication):  # a library child's route: spent
        assert isinstance(subscription, _Subscription)
        _forget_route(self, subscription, match.name, publication.published_id)
        return
    if not isinstance(publication, _Publication):
        return
    key = (subscription, match.name)
    session = self.sessions.get(key)
    if session is None or session.remote:
        return  # never opened (an owner was found gone first)
    del self.sessions[key]
    p, s = publication.address, subscription.address
    for to, remote in ((s, p), (p, s)):
        if to != gone and not (to is p and publication.quiet):
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
    if subscription.listed:
        _consider(self, subscription, match.name)  # fallback to a wider route


def _unlist_child(self: DirectoryNode, record: object, closed: tuple | None) -> None:
    """Parent role: a child's listing is gone; subscribers elsewhere get ``RouteLost``."""
    if isinstance(record, _ChildPublication):
        if self.child_published.pop((record.link, record.published_id), None) is None:
            return
        if self.listings.publication(record.name) is not record:
            return
        ended = self.listings.remove_name(record.name)
        if _wide(self, record.scope):
            _to_parent(self, UnlistPublication(record.published_id), record.node)
    else:
        assert isinstance(record, _ChildSubscription)
        if self.child_subscribed.pop((record.link, record.subscribed_id), None) is None:
            return
        ended = self.listings.remove_search(record)
        if _wide(self, record.scope):
            _to_parent(self, UnlistSearch(record.subscribed_id), record.node)
    for match in ended:
        subscription = match.subscription
        if isinstance(subscription, _Subscription) or subscription.link != closed:
            _close(self, match, None)


# Remote sessions, subscriber side -----------------------------------------------------------------


def _consider(self: DirectoryNode, subscription: _Subscription, name: str) -> None:
    """No session for (subscription, name): open one on the nearest route, if any."""
    key = (subscription, name)
    if key in self.sessions or not subscription.listed:
        return
    routes = self.routes.get(key)
    if not routes:
        return
    route = max(routes.values(), key=lambda r: r.scope)  # nearest: the highest scope value
    session = _Session(route.scope)
    session.remote = True
    session.name = name
    session.published_id = route.published_id
    session.subscription = subscription
    self.sessions[key] = session
    self.by_route[session.route_id] = session
    ipp = route.listening_ipp
    ckey = (ipp.host, ipp.port)
    connection = self.connections.get(ckey)
    if connection is None:
        connection = self.connections[ckey] = _Connection(ckey)
        off_host = not _loopback(ipp)
        connect(
            self,
            ipp,
            encrypted=route.encrypted,
            keep_alive=off_host,  # §6: keep-alive unless loopback
            keep_alive_period=PROBE_PERIOD,
            keep_alive_limit=PROBE_LIMIT,
        )
    session.connection = connection
    connection.sessions[session.route_id] = session
    connection.idle_since = None  # taken again within the idle delay: reused
    _arm_sweep(self)
    if connection.proxy is not None:
        _request_session(self, session)


def _request_session(self: DirectoryNode, session: _Session) -> None:
    subscription = session.subscription
    request = OpenSession(
        session.route_id,
        session.name,
        session.scope,
        subscription.subscribed_id,
        session.published_id,
        subscription.address,
        session.opened_at,
    )
    _tell(self, request, session.connection.proxy)


def _detach(self: DirectoryNode, session: _Session) -> None:
    """Forget a remote session's bookkeeping; the connection closes when it has none left."""
    self.by_route.pop(session.route_id, None)
    key = (session.subscription, session.name)
    if self.sessions.get(key) is session:
        del self.sessions[key]
    connection = session.connection
    if connection is not None:
        connection.sessions.pop(session.route_id, None)
        if not connection.sessions and connection.idle_since is None:
            connection.idle_since = time.monotonic()  # closes after IDLE_CLOSE (T2)
            _arm_sweep(self)


def _arm_sweep(self: DirectoryNode) -> None:
    """Arm ``T2`` for the earliest session-open or idle deadline (loop thread)."""
    due = [
        s.requested_at + SESSION_OPEN_LIMIT for s in self.by_route.values() if s.publisher is None
    ]
    due += [
        c.idle_since + IDLE_CLOSE
        for c in self.connections.values()
        if c.idle_since is not None and c.proxy is not None  # still connecting: see Connected
    ]
    if not due:
        return
    at = min(due)
    if self.sweep_at is not None and self.sweep_at <= at:
        return
    self.sweep_at = at
    self.start(T2, max(at - time.monotonic(), 0.0))


def _close_link(self: DirectoryNode, proxy: tuple) -> None:
    connection = self.out_links.pop(proxy, None)
    if connection is not None and self.connections.get(connection.key) is connection:
        del self.connections[connection.key]
    _tell(self, Close(), proxy)


def _end_remote(self: DirectoryNode, session: _Session, tell: bool) -> None:
    """This side ends a remote session: the publisher's node hears, the subscriber maybe."""
    connection = session.connection
    if connection is not None and connection.proxy is not None:
        _tell(self, EndSession(session.route_id), connection.proxy)
    _detach(self, session)
    if tell and session.publisher is not None:
        _drop_remote(self, session)


def _forget_remote(self: DirectoryNode, session: _Session, tell: bool) -> None:
    """The other side or the connection ended a remote session; its route is spent."""
    _detach(self, session)
    subscription = session.subscription
    _forget_route(self, subscription, session.name, session.published_id)
    if tell and session.publisher is not None:
        _drop_remote(self, session)
    _consider(self, subscription, session.name)


def _forget_route(
    self: DirectoryNode,
    subscription: _Subscription,
    name: str,
    pid: object,
    scope: ScopeOfDirectory | None = None,
) -> None:
    """Forget the route to publication ``pid`` made at ``scope`` (None: made anywhere)."""
    routes = self.routes.get((subscription, name))
    if routes is None:
        return
    for key in [k for k in routes if k[0] == pid and (scope is None or k[1] == scope)]:
        del routes[key]
    if not routes:
        del self.routes[(subscription, name)]


def _forget_parent_routes(self: DirectoryNode) -> None:
    """The parent link is gone: forget the routes made above this node (not a library
    child's, made here)."""
    for key, routes in list(self.routes.items()):
        for rkey in [k for k in routes if k[1] < self.scope]:
            del routes[rkey]
        if not routes:
            del self.routes[key]


def _drop_remote(self: DirectoryNode, session: _Session) -> None:
    subscription = session.subscription
    dropped = Dropped(
        session.name,
        session.scope,
        session.route_id,
        subscription.subscribed_id,
        session.published_id,
        session.publisher,
        session.opened_at,
    )
    _tell(self, dropped, subscription.address, session.publisher)


def _drop_served(self: DirectoryNode, served: _Served) -> None:
    """Publisher side: ``Dropped`` to the publisher (if it is still listed)."""
    publication = served.publication
    if publication.quiet or (not publication.listed and publication.address not in TABLE):
        return
    m = served.message
    s = m.subscriber_address
    dropped = Dropped(m.name, m.scope, m.route_id, m.subscribed_id, m.published_id, s, m.opened_at)
    _tell(self, dropped, publication.address, s)


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
        self.scope = _PROCESS
        self.default_parent: HostPort | None = None
        self.parent: HostPort | None = None  # a daemon's configured parent
        self.encrypted = False  # a daemon's --encrypted-directory
        self.executable: str | None = None  # a daemon's name (else from sys.argv)


NODE = _Holder()


def configure_node(
    scope: ScopeOfDirectory,
    parent: HostPort | None = None,
    encrypted: bool = False,
    executable: str | None = None,
) -> None:
    """Give the process's node ``scope`` (a daemon, before the node is first used).

    ``parent``: the daemon's configured parent directory (``directory_at_host`` of group-cake,
    ``directory_at_lan`` of host-cake); without it the node uses the defaults of §7.
    ``encrypted``: its listen for child nodes and its parent link are encrypted.
    """
    NODE.scope = ScopeOfDirectory(scope)
    NODE.parent = parent if parent is not None and parent.host else None
    NODE.encrypted = bool(encrypted)
    NODE.executable = executable or {
        ScopeOfDirectory.GROUP: "group-cake",
        ScopeOfDirectory.HOST: "host-cake",
        ScopeOfDirectory.LAN: "lan-cake",
    }.get(NODE.scope)


def set_default_parent(ipp: HostPort | None) -> None:
    """The parent of a PROCESS node without ``--connect-to-directory`` (``lc.create``)."""
    NODE.default_parent = ipp


def node_address() -> tuple:
    """The address of this process's directory node, created on first use (any thread)."""
    address = NODE.address
    if address is not None and address in TABLE:
        return address
    with NODE.lock:
        address = NODE.address
        if address is None or address not in TABLE:
            address = NODE.address = create_object(DirectoryNode, (NODE.scope,), {}, (), None)
        return address


def object_ended(address: tuple) -> None:
    """Called by ``Agent.end`` for an object that listed something: the node forgets it."""
    node = NODE.address
    if node is None:
        return
    # A full queue is counted and logged; the listings then go when a peer or rival meets them.
    with contextlib.suppress(QueueFull):
        send_from(None, ListingOwnerEnded(address), node, address)
