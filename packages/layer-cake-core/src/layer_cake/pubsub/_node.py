"""The directory node of a process: the thin machine that feeds the sans-I/O core
(``_directory.Directory``) and carries out the actions it returns (pubsub §4-§11).

The rules live in the core; this machine only moves messages: each handler passes its input
to one method of the core and performs the returned ``Tell``/``Connect``/``Listen``/
``CloseLink``/``ArmTimer``/``Warn``/``Fault`` actions. Listen ids are mapped to the core's
tokens here.

Nothing is dropped silently (issue 16): a ``Tell`` refused with ``QueueFull`` (a link's
proxy or a listing owner whose queue is full) is held, in order, in a backlog per target and
retried every 50 ms (``T3``) until taken or the target is gone; each episode is counted
(``held``) and logged at WARNING.

Settings come only through ``configure_node`` (a daemon's scope, parent and encryption) and
``configure_process`` (``--connect-to-directory``, ``--encrypted-process``, the default parent
of ``lc.create``); the node reads nothing of the process layer. ``Agent.end`` reaches the node
through the end hook registered below (``object_ended``), for objects that listed something.

One node per process; its address is kept in ``NODE``. It sets ``_lingers = False``: it is
not waited for (or stopped) at process end.
"""

from __future__ import annotations

import collections
import time

from ..net._endpoints import connect, listen
from ..net._hostport import HostPort
from ..net._messages import (
    Accepted,
    Close,
    Closed,
    Connected,
    Listening,
    NotConnected,
    NotListening,
    ProtocolMismatch,
)
from ..net._proxy import Proxy
from ..runtime._bind import bind_stateless
from ..runtime._dispatch import TABLE, send_from
from ..runtime._machine import Point, Stateless
from ..runtime._messages import T1, T2, T3, Ping, ScopeOfDirectory, Start
from ..runtime._object import QueueFull, add_end_hook, create_object, hex_of, report_end
from ..types._registry import bind_library_message
from ._addresses import DIRECTORY_AT_HOST, detect_primary_ip, directory_at_lan
from ._descriptors import descriptor_limit_text, raise_descriptor_limit
from ._directory import Directory, Settings
from ._inspect import (
    GetDirectory,
    ListDirectory,
    NodeJoined,
    OpenDirectory,
    executable_name,
)
from ._messages import (
    AcceptAt,
    ClearPublication,
    ClearPublished,
    ClearSubscribed,
    ClearSubscription,
    ConnectTo,
    ListingOwnerEnded,
    NotPublished,
    NotSubscribed,
    PublishAs,
    PublishAsName,
    SubscribeTo,
    SubscribeToName,
)
from ._node_settings import NODE, configure_node, configure_process, set_default_parent
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
from ._records import (
    DEADLINE_TIMER,
    ArmTimer,
    CloseLink,
    Connect,
    Fault,
    Listen,
    Tell,
    Warn,
)

__all__ = [
    "DirectoryNode",
    "AcceptDirectories",
    "PublishMain",
    "NODE",
    "node_address",
    "object_ended",
    "configure_node",
    "configure_process",
    "set_default_parent",
]

_PROCESS = ScopeOfDirectory.PROCESS
_RETRY_HELD = 0.05  # seconds between tries of a backlog held by a full queue


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


class DirectoryNode(Point, Stateless):
    """A node of the directory tree (one per process; see the module docstring)."""

    _lingers = False  # process end neither waits for nor stops it

    def __init__(self, scope: ScopeOfDirectory = _PROCESS) -> None:
        Point.__init__(self)
        Stateless.__init__(self)
        self.scope = scope
        self.core = Directory(
            _settings(scope),
            self.object_address,
            alive=TABLE.__contains__,
            primary_ip=detect_primary_ip,
        )
        self.unique_id = self.core.unique_id
        self.tokens: dict = {}  # listen id -> the core's token
        self.held: dict[tuple, collections.deque] = {}  # queue -> (message, to, back) refused
        self.held_count = 0  # messages that waited for a full queue (never dropped)

    def carry_out(self, actions: list) -> None:
        """Perform what the core asked for, in order (loop thread)."""
        late = NODE.ended_late
        while late:  # ends that found the node's queue full
            actions = actions + self.core.owner_ended(late.popleft())
        for action in actions:
            kind = type(action)
            if kind is Tell:
                self._tell(action.message, action.to, action.back, action.owned)
            elif kind is Connect:
                connect(
                    self,
                    action.ipp,
                    encrypted=action.encrypted,
                    keep_alive=action.keep_alive,
                    keep_alive_period=action.period,
                    keep_alive_limit=action.limit,
                )
            elif kind is Listen:
                lid = listen(
                    self,
                    action.ipp,
                    encrypted=action.encrypted,
                    keep_alive=action.keep_alive,
                    keep_alive_period=action.period,
                    keep_alive_limit=action.limit,
                    keep_alive_local=False,  # §7: keep-alive unless loopback (or this host)
                )
                self.tokens[lid] = action.token
            elif kind is CloseLink:
                self._tell(Close(), action.link)
            elif kind is ArmTimer:
                timer = T2 if action.timer == DEADLINE_TIMER else T1
                self.start(timer, max(action.at - time.monotonic(), 0.0))
            elif kind is Warn:
                self.warning(action.text)
            elif kind is Fault:
                self.fault(action.text)

    def _tell(
        self, message: object, to: tuple, back: tuple | None = None, owned: bool = False
    ) -> None:
        """Send, or hold behind earlier messages while the queue that takes it is full (the
        first element of ``to``: a local object, or the proxy of the link it goes through)."""
        back = self.object_address if back is None else back
        key = to[:1]
        if not owned and (len(to) > 1 or isinstance(TABLE.get(key), Proxy)):
            # Through a link: its proxy encodes the message, a copy would only be encoded in
            # its place. The core never changes a message it made (nor the addresses in it).
            owned = True
        held = self.held.get(key)
        if held is not None:
            held.append((message, to, back))
            return
        try:
            send_from(self, message, to, back, False, owned)
        except QueueFull:
            self.held[key] = collections.deque([(message, to, back)])
            self.held_count += 1
            self.warning(
                f"Queue full at <{hex_of(key)}>: directory messages held and retried "
                f"({self.held_count} times so far)"
            )
            self.start(T3, _RETRY_HELD)

    def retry_held(self) -> None:
        """Send what full queues refused, in order; what is left waits for the next try. A
        target that is gone takes its held messages with it (counted as undeliverable by
        ``send_from``; a link's ``Closed`` follows and the core resynchronises)."""
        for key in list(self.held):
            held = self.held[key]
            while held:
                message, to, back = held[0]
                try:
                    send_from(self, message, to, back)
                except QueueFull:
                    break
                held.popleft()
            if not held:
                del self.held[key]
        if self.held:
            self.start(T3, _RETRY_HELD)


def _settings(scope: ScopeOfDirectory) -> Settings:
    explicit = NODE.parent or NODE.connect_to
    return Settings(
        scope=scope,
        parent=explicit,
        default_parent=NODE.default_parent,
        encrypted=NODE.encrypted,
        encrypted_process=NODE.encrypted_process,
        executable=NODE.executable or executable_name(),
        lan_parent=directory_at_lan,
        host_parent=DIRECTORY_AT_HOST,
    )


# Handlers: each passes its input to the core ------------------------------------------------------


def DirectoryNode_Start(self: DirectoryNode, message: Start) -> None:
    # The address is given once the object is live (after __init__ made the core): listings
    # carry it as directory_address, the one a tool pings.
    self.core.address = self.object_address
    self.carry_out(self.core.start())


def DirectoryNode_PublishAsName(self: DirectoryNode, m: PublishAsName) -> None:
    r = self.return_address
    self.carry_out(self.core.publish(m.name, m.scope, m.encrypted, r, r))


def DirectoryNode_PublishMain(self: DirectoryNode, m: PublishMain) -> None:
    self.carry_out(self.core.publish(m.name, m.scope, False, m.address, self.return_address, True))


def DirectoryNode_SubscribeToName(self: DirectoryNode, m: SubscribeToName) -> None:
    self.carry_out(self.core.subscribe(m.search, m.scope, self.return_address))


def DirectoryNode_ClearPublication(self: DirectoryNode, m: ClearPublication) -> None:
    self.carry_out(self.core.clear_publication(m, self.return_address))


def DirectoryNode_ClearSubscription(self: DirectoryNode, m: ClearSubscription) -> None:
    self.carry_out(self.core.clear_subscription(m, self.return_address))


# The requests under their layer-cake 0.1 names (compat §3.8): the same operations as the API.


def DirectoryNode_PublishAs(self: DirectoryNode, m: PublishAs) -> None:
    r = self.return_address
    scope = ScopeOfDirectory.HOST if m.scope is None else m.scope
    if not isinstance(m.name, str) or not isinstance(scope, ScopeOfDirectory):
        self._tell(NotPublished(m.name, scope, "name must be a str, scope a ScopeOfDirectory"), r)
        return
    owner = m.publisher_address or r
    _reports_end(owner)
    self.carry_out(self.core.publish(m.name, scope, bool(m.encrypted), owner, r))


def DirectoryNode_SubscribeTo(self: DirectoryNode, m: SubscribeTo) -> None:
    r = self.return_address
    scope = ScopeOfDirectory.HOST if m.scope is None else m.scope
    if not isinstance(m.search, str) or not isinstance(scope, ScopeOfDirectory):
        note = "search must be a str, scope a ScopeOfDirectory"
        self._tell(NotSubscribed(m.search, scope, note), r)
        return
    owner = m.subscriber_address or r
    _reports_end(owner)
    self.carry_out(self.core.subscribe(m.search, scope, owner))


def DirectoryNode_ClearPublished(self: DirectoryNode, m: ClearPublished) -> None:
    self.carry_out(self.core.clear_publication(m, self.return_address))


def DirectoryNode_ClearSubscribed(self: DirectoryNode, m: ClearSubscribed) -> None:
    self.carry_out(self.core.clear_subscription(m, self.return_address))


def DirectoryNode_ConnectTo(self: DirectoryNode, m: ConnectTo) -> None:
    self.carry_out(self.core.connect_to(m.ipp))


def DirectoryNode_AcceptAt(self: DirectoryNode, m: AcceptAt) -> None:
    self.carry_out(self.core.accept_directories(m.ipp, self.return_address))


def _reports_end(address: tuple) -> None:
    """A local object listed by message (not through the API): its end must reach the node."""
    agent = TABLE.get(address)
    if agent is not None:
        report_end(agent)


def DirectoryNode_ListingOwnerEnded(self: DirectoryNode, m: ListingOwnerEnded) -> None:
    self.carry_out(self.core.owner_ended(m.address))


def DirectoryNode_AcceptDirectories(self: DirectoryNode, m: AcceptDirectories) -> None:
    self.carry_out(self.core.accept_directories(m.requested_ipp, self.return_address))


def DirectoryNode_Listening(self: DirectoryNode, m: Listening) -> None:
    token = self.tokens.get(m.request.lid)
    if token is not None:
        self.carry_out(self.core.listening(token, m))


def DirectoryNode_NotListening(self: DirectoryNode, m: NotListening) -> None:
    token = self.tokens.pop(m.request.lid, None)
    if token is not None:
        self.carry_out(self.core.not_listening(token, m))


def DirectoryNode_Accepted(self: DirectoryNode, m: Accepted) -> None:
    token = self.tokens.get(m.listening.request.lid)
    if token is not None:
        self.carry_out(self.core.accepted(token, m.proxy_address, m.opened_ipp))


def DirectoryNode_Connected(self: DirectoryNode, m: Connected) -> None:
    self.carry_out(self.core.connected(m.request.requested_ipp, m.proxy_address, m.opened_ipp))


def DirectoryNode_NotConnected(self: DirectoryNode, m: NotConnected) -> None:
    limit = descriptor_limit_text(m.error_text)
    if limit is not None:
        self.warning(f"Cannot connect to {m.request.requested_ipp}: {limit}")
    mismatch = m.explanation if isinstance(m, ProtocolMismatch) else None
    self.carry_out(self.core.not_connected(m.request.requested_ipp, mismatch))


def DirectoryNode_ProtocolMismatch(self: DirectoryNode, m: ProtocolMismatch) -> None:
    DirectoryNode_NotConnected(self, m)


def DirectoryNode_Closed(self: DirectoryNode, m: Closed) -> None:
    self.carry_out(self.core.closed(self.return_address))


def DirectoryNode_T1(self: DirectoryNode, m: object) -> None:
    self.carry_out(self.core.parent_timer())


def DirectoryNode_T2(self: DirectoryNode, m: object) -> None:
    self.carry_out(self.core.tick())


def DirectoryNode_T3(self: DirectoryNode, m: object) -> None:
    self.retry_held()


def DirectoryNode_RouteFound(self: DirectoryNode, m: RouteFound) -> None:
    self.carry_out(self.core.route_found(m))


def DirectoryNode_RouteLost(self: DirectoryNode, m: RouteLost) -> None:
    self.carry_out(self.core.route_lost(m))


def DirectoryNode_PublicationRefused(self: DirectoryNode, m: PublicationRefused) -> None:
    self.carry_out(self.core.publication_refused(m))


def DirectoryNode_ListPublication(self: DirectoryNode, m: ListPublication) -> None:
    self.carry_out(self.core.list_publication(m, self.return_address))


def DirectoryNode_ListSearch(self: DirectoryNode, m: ListSearch) -> None:
    self.carry_out(self.core.list_search(m, self.return_address))


def DirectoryNode_UnlistPublication(self: DirectoryNode, m: UnlistPublication) -> None:
    self.carry_out(self.core.unlist_publication(m, self.return_address[:1]))


def DirectoryNode_UnlistSearch(self: DirectoryNode, m: UnlistSearch) -> None:
    self.carry_out(self.core.unlist_search(m, self.return_address[:1]))


def DirectoryNode_OpenDirectory(self: DirectoryNode, m: OpenDirectory) -> None:
    self.carry_out(self.core.open_directory(m, self.return_address))


def DirectoryNode_ListDirectory(self: DirectoryNode, m: ListDirectory) -> None:
    self.carry_out(self.core.list_directory(m, self.return_address))


def DirectoryNode_GetDirectory(self: DirectoryNode, m: GetDirectory) -> None:
    self.carry_out(self.core.get_directory(self.return_address, m.lists))


def DirectoryNode_Ping(self: DirectoryNode, m: object) -> None:
    self._tell(m, self.return_address, None)


def DirectoryNode_NodeJoined(self: DirectoryNode, m: NodeJoined) -> None:
    self.carry_out(self.core.node_joined(m, self.return_address))


def DirectoryNode_OpenSession(self: DirectoryNode, m: OpenSession) -> None:
    self.carry_out(self.core.open_session(m, self.return_address))


def DirectoryNode_SessionOpened(self: DirectoryNode, m: SessionOpened) -> None:
    self.carry_out(self.core.session_opened(m, self.return_address))


def DirectoryNode_SessionRefused(self: DirectoryNode, m: SessionRefused) -> None:
    self.carry_out(self.core.session_refused(m))


def DirectoryNode_EndSession(self: DirectoryNode, m: EndSession) -> None:
    self.carry_out(self.core.end_session(m))


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
        PublishAs,
        SubscribeTo,
        ClearPublished,
        ClearSubscribed,
        ConnectTo,
        AcceptAt,
        AcceptDirectories,
        Listening,
        NotListening,
        Accepted,
        Connected,
        NotConnected,
        ProtocolMismatch,
        Closed,
        T1,
        T2,
        T3,
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


# The process's node -------------------------------------------------------------------------------


def node_address() -> tuple:
    """The address of this process's directory node, created on first use (any thread)."""
    address = NODE.address
    if address is not None and address in TABLE:
        return address
    with NODE.lock:
        address = NODE.address
        if address is None or address not in TABLE:
            raise_descriptor_limit()  # a match-all subscriber may hold thousands of links
            address = NODE.address = create_object(DirectoryNode, (NODE.scope,), {}, (), None)
        return address


def object_ended(address: tuple) -> None:
    """End hook (``Agent.end``) for an object that listed something: the node forgets it."""
    node = NODE.address
    if node is None:
        return
    try:
        send_from(None, ListingOwnerEnded(address), node, address)
    except QueueFull:  # the node's queue is full: it takes this up with its next input
        NODE.ended_late.append(address)


add_end_hook(object_ended)
