"""The directory's state and rules without I/O (pubsub §4-§11): one method per input, each
returning the actions (``_records``) the node machine carries out.

Over 600 lines for a reason: the listings, the parent link, the parent role and the
publisher side are one state whose rules cross-reference each other (a listing goes into the
engine, upward and to the subscribers it matches in one step); the subscriber side, which
stands apart, is ``_sessions.SessionBook``.

How it works. Local requests (publish, subscribe, clear, owner ended) feed names and searches
to the sans-I/O ``Listings`` engine; each match it reports becomes a session: ``Available`` to
the subscriber (return address = the publisher), ``Delivered`` to the publisher. The answer
to a request always goes out before the session messages it causes.

Parent link. Off until a parent is configured (``configure_node``); at the first listing wider
than this node (or at start, for a parent given explicitly) it connects and pushes every wide
listing; on loss it retries forever (0.25 s doubling to 1 s) and pushes them all again. Its
states are ``PARENT_TRANSITIONS``. Each link's role (``LinkRole``) is recorded when it opens,
so ``closed`` dispatches on it.

Sessions across processes. A parent matches and sends the subscriber's node ``RouteFound``;
the session book keeps every route and opens one session on the nearest usable one (a match
inside this process always wins: upgrade and fallback as in §6), retrying failed routes with
back-off while they are listed (issue 16). The publisher's side (``open_session``) answers
``SessionOpened`` and tells the publisher ``Delivered``.

Parent role. Child nodes' listings (not narrower than this node) go into the same engine,
tagged with the child link; each match becomes ``RouteFound`` to the subscriber's node
(``RouteLost`` when it ends). A name held here refuses the same name from elsewhere with
``PublicationRefused``, unless it is the same listing relisted over a new link. A listing that
comes back to the node that made it (a loop in the tree) is refused with a warning, and
``ListDirectory`` carries the nodes it passed, so no message circulates (issue 12).
"""

from __future__ import annotations

import random
import time
import uuid
from collections.abc import Callable

from ..net._hostport import HostPort, ipp_copy
from ..runtime._messages import ScopeOfDirectory
from ..types._text import world_now
from ._inspect import (
    LISTING_PARTS,
    DirectoryListing,
    DirectoryOpened,
    DirectoryPeer,
    DirectoryRoute,
    ListDirectory,
    NodeJoined,
    OpenDirectory,
)
from ._matching import AlreadyPublished, BadSearch, Listings, Match
from ._messages import (
    ALREADY_PUBLISHED,
    ALREADY_SUBSCRIBED,
    BAD_SEARCH,
    Available,
    Delivered,
    Dropped,
    NotPublished,
    NotSubscribed,
    Published,
    PublishedCleared,
    Subscribed,
    SubscribedCleared,
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
from ._records import (
    LIMITS,
    PARENT_TIMER,
    PARENT_TRANSITIONS,
    ArmTimer,
    ChildPublication,
    ChildSubscription,
    CloseLink,
    Connect,
    Fault,
    LinkRole,
    Listen,
    Listener,
    ParentEvent,
    ParentState,
    Publication,
    Served,
    Session,
    Subscription,
    Tell,
    Warn,
    loopback,
    step,
)
from ._sessions import SessionBook

__all__ = ["Directory", "Settings", "ACCEPT", "LIMITS"]

_PROCESS = ScopeOfDirectory.PROCESS
_GROUP = ScopeOfDirectory.GROUP
_HOST = ScopeOfDirectory.HOST
_LAN = ScopeOfDirectory.LAN
_LOOPBACK = "127.0.0.1"
#: ``Listen.token`` of the listen for child nodes.
ACCEPT = "accept"
#: Most nodes a ``ListDirectory`` may pass (the tree has at most LAN/HOST/GROUP/PROCESS/LIBRARY).
_MOST_HOPS = 8


def _route_order(route: tuple) -> tuple:
    """``(name, subscribed_id, published_id)`` sorted without formatting any id as text."""
    name, subscribed, published = route
    return (name or "", subscribed.int if subscribed else -1, published.int if published else -1)


class Settings:
    """How a node is configured (``configure_node``): nothing here is read from elsewhere."""

    def __init__(
        self,
        scope: ScopeOfDirectory = _PROCESS,
        parent: HostPort | None = None,
        default_parent: HostPort | None = None,
        encrypted: bool = False,
        encrypted_process: bool = False,
        executable: str = "",
        lan_parent: Callable[[], HostPort | None] = lambda: None,
        host_parent: HostPort | None = None,
    ) -> None:
        self.scope = scope
        self.parent = parent if parent is not None and parent.host else None  # explicit
        self.default_parent = default_parent  # a PROCESS node started by lc.create
        self.encrypted = encrypted  # a daemon's links to the parent and from children
        self.encrypted_process = encrypted_process  # a process's parent link (--encrypted-process)
        self.executable = executable
        self.lan_parent = lan_parent  # HOST: the standard LAN directory, derived when needed
        self.host_parent = host_parent  # GROUP: host-cake's standard address


class Directory:
    """One directory node's state; every public method is an input and returns actions."""

    def __init__(
        self,
        settings: Settings,
        address: tuple,
        alive: Callable[[tuple], bool] = lambda address: True,
        clock: Callable[[], float] = time.monotonic,
        primary_ip: Callable[[], str | None] = lambda: None,
        rng: random.Random | None = None,
    ) -> None:
        self.settings = settings
        self.scope = settings.scope
        self.address = address  # the node's own address (return address of what it sends)
        self.alive = alive  # whether an owner's address is still live (channels never end)
        self.clock = clock
        self.primary_ip = primary_ip
        self.rng = rng or random.Random()
        self.unique_id = uuid.uuid4()  # new each start (§11)
        self.out: list = []
        self.listings = Listings()
        self.links: dict[tuple, LinkRole] = {}
        # Local listings.
        self.published: dict[uuid.UUID, Publication] = {}
        self.subscribed: dict[uuid.UUID, Subscription] = {}
        self.subscribed_by: dict[tuple, Subscription] = {}  # (address, search) -> record
        self.owned: dict[tuple, list] = {}  # owner address -> its records
        self.sessions: dict[tuple, Session] = {}  # (subscription, name) -> session
        self.names: dict[Subscription, set] = {}  # subscription -> names with routes/sessions
        self.refused: set[uuid.UUID] = set()  # published ids refused by the parent
        # Parent link.
        self.parent_ipp: HostPort | None = None
        self.parent_decided = False
        self.parent: tuple | None = None  # the link's proxy while connected
        self.parent_state = ParentState.IDLE
        self.retry = LIMITS.first_retry
        self.parent_missing_since: float | None = None  # start of a streak of failed connects
        self.parent_failures = 0  # connects failed in that streak
        self.parent_warned_at: float | None = None  # last WARNING about that streak
        self.open_waiting: list[tuple] = []  # (OpenDirectory, requester) until joined
        self.mismatched: set[tuple] = set()  # (host, port) of peers faulted for their protocol
        # Publisher side.
        self.listeners: dict[tuple, Listener] = {}  # (lan, encrypted) -> listener
        self.served: dict[uuid.UUID, Served] = {}  # route id -> session
        self.served_of: dict[Publication, set] = {}  # publication -> route ids
        self.in_links: dict[tuple, set] = {}  # accepted session link -> route ids
        # Subscriber side: routes, remote sessions, their connections and deadlines.
        self.book = SessionBook(
            self.scope, self.out, self.sessions, self.names, self.links, clock, self.rng
        )
        # Parent role.
        self.accept_asked = False
        self.accept_requesters: list[tuple] = []
        self.accepting: object | None = None  # the Listening, once up
        self.children: dict[tuple, list] = {}  # child link -> its records
        self.child_ipps: dict[tuple, HostPort] = {}
        self.child_nodes: dict[tuple, tuple] = {}  # child link -> the child node (NodeJoined)
        self.child_published: dict[tuple, ChildPublication] = {}  # (link, id) -> record
        self.child_subscribed: dict[tuple, ChildSubscription] = {}

    # Plumbing ---------------------------------------------------------------------------------

    def _flush(self) -> list:
        out = self.out[:]  # the list itself is shared with the session book
        self.out.clear()
        return out

    def _tell(
        self, message: object, to: tuple, back: tuple | None = None, owned: bool = False
    ) -> None:
        self.out.append(Tell(message, to, back, owned))

    def _wide(self, scope: ScopeOfDirectory) -> bool:
        """Wider than this node: held by nodes above it (lower value = wider reach)."""
        return scope < self.scope

    def _probes(self, ipp: HostPort) -> bool:
        """Whether a directory link probes its peer (§7: non-loopback links use keep-alive).

        On loopback the kernel closes the socket of a process that ends, so silence there is a
        busy peer, never a lost one: probing it only turned a stalled loop into a dropped link
        and a resynchronisation burst (issue 16)."""
        return not loopback(ipp)

    # The API ----------------------------------------------------------------------------------

    def start(self) -> list:
        """A parent given explicitly is joined at start (§7); the defaults wait for a listing."""
        if self.settings.parent is not None and self.parent_ipp_decided() is not None:
            self._parent_event(ParentEvent.NEEDED)
        return self._flush()

    def publish(
        self,
        name: str,
        scope: ScopeOfDirectory,
        encrypted: bool,
        owner: tuple,
        requester: tuple,
        quiet: bool = False,
    ) -> list:
        """List ``owner`` under ``name`` (``quiet``: a library's main object, told nothing)."""
        # Issue 10, no downgrade: a node that requires encryption never lists a plaintext session.
        encrypted = encrypted or self.settings.encrypted or self.settings.encrypted_process
        if self._wide(scope) and self.parent_ipp_decided() is not None:
            listener = self._listener(scope == _LAN, encrypted)
            if listener.ipp is None:
                listener.waiting.append((name, scope, encrypted, owner, requester, quiet))
                return self._flush()
        self._publish(name, scope, encrypted, owner, requester, quiet)
        return self._flush()

    def _listener(self, lan: bool, encrypted: bool) -> Listener:
        key = (lan, encrypted)
        listener = self.listeners.get(key)
        if listener is None:
            listener = self.listeners[key] = Listener()
        if not listener.listening:
            listener.listening = True
            ipp = HostPort("0.0.0.0" if lan and self._lan_reachable() else _LOOPBACK, 0)
            self.out.append(
                Listen(key, ipp, encrypted, lan, LIMITS.probe_period, LIMITS.probe_limit)
            )
        return listener

    def _publish(
        self,
        name: str,
        scope: ScopeOfDirectory,
        encrypted: bool,
        owner: tuple,
        requester: tuple,
        quiet: bool,
    ) -> None:
        holder = self.listings.publication(name)
        if isinstance(holder, Publication) and not self.alive(holder.address):
            self._owner_gone(holder.address)
        record = Publication(name, scope, encrypted, owner, quiet)
        try:
            matches = self.listings.add_name(name, record)
        except AlreadyPublished:
            self._tell(NotPublished(name, scope, ALREADY_PUBLISHED), requester)
            return
        self.published[record.published_id] = record
        self.ipp_copy(record.address, record)
        upward = self._upward(scope)
        ipp = None
        if upward:
            listener = self.listeners.get((scope == _LAN, encrypted))
            ipp = record.listening_ipp = listener.ipp if listener is not None else None
        published = Published(name, scope, encrypted, record.published_id, ipp, record.address)
        self._tell(published, requester)
        if upward:
            self._to_parent(self._list_publication(record))
        self._open_all(matches)

    def subscribe(self, search: str, scope: ScopeOfDirectory, requester: tuple) -> list:
        key = (requester, search)
        if key in self.subscribed_by:
            self._tell(NotSubscribed(search, scope, ALREADY_SUBSCRIBED), requester)
            return self._flush()
        record = Subscription(search, scope, requester)
        try:
            matches = self.listings.add_search(search, record)
        except BadSearch:
            self._tell(NotSubscribed(search, scope, BAD_SEARCH), requester)
            return self._flush()
        self.subscribed[record.subscribed_id] = record
        self.subscribed_by[key] = record
        self.names[record] = set()
        self.ipp_copy(requester, record)
        self._tell(Subscribed(search, scope, record.subscribed_id, requester), requester)
        self._open_all(matches)
        if self._upward(scope):
            self._to_parent(ListSearch(search, scope, record.subscribed_id))
        return self._flush()

    def clear_publication(self, m: object, requester: tuple) -> list:
        record = self.published.get(m.published_id)  # type: ignore[attr-defined]
        if record is not None:
            self._unlist(record, None)
            name, scope = record.name, record.scope
        else:  # cleared already, or never listed here: confirmed all the same
            name, scope = m.name, m.scope  # type: ignore[attr-defined]
        cleared = PublishedCleared(name, scope, m.published_id, m.note)  # type: ignore[attr-defined]
        self._tell(cleared, requester)
        return self._flush()

    def clear_subscription(self, m: object, requester: tuple) -> list:
        record = self.subscribed.get(m.subscribed_id)  # type: ignore[attr-defined]
        if record is not None:
            self._unlist(record, None)
            search, scope = record.search, record.scope
        else:
            search, scope = m.search, m.scope  # type: ignore[attr-defined]
        cleared = SubscribedCleared(search, scope, m.subscribed_id, m.note)  # type: ignore[attr-defined]
        self._tell(cleared, requester)
        return self._flush()

    def owner_ended(self, owner: tuple) -> list:
        self._owner_gone(owner)
        return self._flush()

    def accept_directories(self, ipp: HostPort, requester: tuple) -> list:
        """Listen for child nodes; once listening, later requests share that listen."""
        if self.accepting is not None:
            self._tell(self.accepting, requester)
            return self._flush()
        self.accept_requesters.append(requester)
        if not self.accept_asked:
            self.accept_asked = True
            # Keep-alive off loopback: a child host that vanishes silently is noticed here too.
            probes, period, limit = self._probes(ipp), LIMITS.probe_period, LIMITS.probe_limit
            self.out.append(Listen(ACCEPT, ipp, self.settings.encrypted, probes, period, limit))
        return self._flush()

    # Transports -------------------------------------------------------------------------------

    def listening(self, token: object, message: object) -> list:
        if token == ACCEPT:
            self.accepting = message
            requesters, self.accept_requesters = self.accept_requesters, []
            for requester in requesters:
                self._tell(message, requester)
            return self._flush()
        listener = self.listeners.get(token)  # type: ignore[arg-type]
        if listener is not None:
            listener.ipp = message.listening_ipp  # type: ignore[attr-defined]
            waiting, listener.waiting = listener.waiting, []
            for args in waiting:
                self._publish(*args)
        return self._flush()

    def not_listening(self, token: object, message: object) -> list:
        if token == ACCEPT:
            self.accept_asked = False
            requesters, self.accept_requesters = self.accept_requesters, []
            for requester in requesters:
                self._tell(message, requester)
            return self._flush()
        listener = self.listeners.get(token)  # type: ignore[arg-type]
        if listener is not None:
            listener.listening = False  # the next publication of its kind tries again
            waiting, listener.waiting = listener.waiting, []
            note = f"no session listener ({message.error_text})"  # type: ignore[attr-defined]
            for name, scope, _e, _o, requester, _q in waiting:
                self._tell(NotPublished(name, scope, note), requester)
        return self._flush()

    def accepted(self, token: object, link: tuple, peer: HostPort) -> list:
        if token == ACCEPT:
            self.links[link] = LinkRole.CHILD
            self.children[link] = []
            self.child_ipps[link] = peer
        elif token in self.listeners:
            self.links[link] = LinkRole.SESSIONS_IN
            self.in_links[link] = set()
        return self._flush()

    def connected(self, ipp: HostPort, link: tuple, local: HostPort) -> list:
        key = (ipp.host, ipp.port)
        self.mismatched.discard(key)  # a later mismatch there is news again
        if self.parent_state is ParentState.CONNECTING and key == self._parent_key():
            self.parent = link
            self.links[link] = LinkRole.PARENT
            self._parent_event(ParentEvent.CONNECTED)
            self.retry = LIMITS.first_retry
            if self.parent_warned_at is not None:
                self.out.append(
                    Warn(f'Parent directory at "{ipp}" reached ({self.parent_failures} failed)')
                )
            self.parent_missing_since, self.parent_failures = None, 0
            self.parent_warned_at = None
            self._tell(NodeJoined(self.unique_id, self.scope), link)
            self._push_all()
            return self._flush()
        self.book.connected(key, link, local)
        return self._flush()

    def not_connected(self, ipp: HostPort, mismatch: str | None = None) -> list:
        """A connect failed; ``mismatch``: why the peer is not a layer-cake peer (compat
        §2.15), faulted once per address while the link keeps retrying with its back-off."""
        key = (ipp.host, ipp.port)
        if mismatch is not None and key not in self.mismatched:
            self.mismatched.add(key)
            self.out.append(Fault(f'Cannot connect to "{ipp}": {mismatch}'))
        if self.parent_state is ParentState.CONNECTING and key == self._parent_key():
            self._parent_unreached(ipp)
            self._parent_event(ParentEvent.FAILED)
            if mismatch is not None:  # an inspecting tool ends with the fault
                waiting, self.open_waiting = self.open_waiting, []
                for request, requester in waiting:
                    self._tell(DirectoryOpened(request.scope, ipp, False, mismatch), requester)
            return self._flush()
        self.book.not_connected(key)
        return self._flush()

    def closed(self, link: tuple) -> list:
        role = self.links.pop(link, None)
        if role is LinkRole.PARENT:
            if link == self.parent:
                self.parent = None
                self.book.forget_wider()  # the parent sends them again; sessions stay
                self._parent_event(ParentEvent.CLOSED)
        elif role is LinkRole.SESSIONS_OUT:
            self.book.closed(link)
        elif role is LinkRole.SESSIONS_IN:
            for route_id in self.in_links.pop(link, ()):
                served = self.served.pop(route_id, None)
                if served is not None:
                    self._forget_served(served)
                    self._drop_served(served)
        elif role is LinkRole.CHILD:
            self.child_ipps.pop(link, None)
            self.child_nodes.pop(link, None)
            for record in self.children.pop(link, ()):
                self._unlist_child(record, link)
        return self._flush()

    def connect_to(self, ipp: HostPort) -> list:
        """``ConnectTo`` (compat §3.8): ``ipp`` becomes the parent (empty: none). A link to
        another parent closes (its ``closed`` reconnects to the new one); the wide listings
        then go to the new parent."""
        previous = self.parent_ipp_decided()
        self.settings.parent = ipp if ipp is not None and ipp.host else None
        self.parent_decided = False
        current = self.parent_ipp_decided()
        if self.parent is not None and current != previous:
            self.out.append(CloseLink(self.parent))
        elif current is not None:
            self._parent_event(ParentEvent.NEEDED)
        return self._flush()

    def parent_timer(self) -> list:
        self._parent_event(ParentEvent.TIMER)
        return self._flush()

    def tick(self) -> list:
        """The deadline timer fired (``SessionBook.tick``)."""
        self.book.tick()
        return self._flush()

    # Parent → child ---------------------------------------------------------------------------

    def route_found(self, m: RouteFound) -> list:
        subscription = self.subscribed.get(m.subscribed_id)
        if not m.encrypted and (self.settings.encrypted or self.settings.encrypted_process):
            # Issue 10, no downgrade: a node that requires encryption never opens a plaintext
            # session, whatever a (rogue) publisher listed.
            self.out.append(Warn(f'Plaintext route to "{m.name}" refused: encryption required'))
            return self._flush()
        if subscription is not None and m.published_id not in self.published:
            self.book.add_route(subscription, m)  # not a publication of this process (nearer)
        return self._flush()

    def route_lost(self, m: RouteLost) -> list:
        subscription = self.subscribed.get(m.subscribed_id)
        if subscription is not None:
            self.book.forget_route(subscription, m.name, m.published_id, m.scope)
        return self._flush()

    def publication_refused(self, m: PublicationRefused) -> list:
        record = self.published.get(m.published_id)
        if record is not None:
            self.refused.add(record.published_id)
            if record.quiet:  # a library's main object: its code knows nothing of the listing
                self.out.append(Warn(f'Cannot publish "{record.name}" ({m.note})'))
            else:
                self._tell(NotPublished(record.name, record.scope, m.note), record.address)
        return self._flush()

    # Child → parent ---------------------------------------------------------------------------

    def _looped(self, listing_id: object, kind: str) -> bool:
        """A listing of this very node coming back from below: the tree has a loop."""
        own = self.published if kind == "publication" else self.subscribed
        if listing_id in own:
            text = f"Directory loop: a {kind} of this node came back from a child (refused)"
            self.out.append(Warn(text))
            return True
        return False

    def list_publication(self, m: ListPublication, node: tuple) -> list:
        link = node[:1]
        if (
            m.scope > self.scope
            or (link, m.published_id) in self.child_published
            or self._looped(m.published_id, "publication")
        ):
            return self._flush()
        if not m.encrypted and self.settings.encrypted:  # issue 10: never list plaintext
            note = "a plaintext publication in a directory that requires encryption"
            self._tell(PublicationRefused(m.published_id, m.name, m.scope, note), node)
            self.out.append(Warn(f'Publication "{m.name}" refused: {note}'))
            return self._flush()
        peer = self.child_ipps.get(link)  # LAN rewrite: the address seen for that host
        host = peer.host if self.scope == _LAN and peer is not None else _LOOPBACK
        holder = self.listings.publication(m.name)
        if isinstance(holder, ChildPublication) and holder.published_id == m.published_id:
            # The same listing over a new link (the child reconnected before this node saw
            # its old link close): it moves, it is not another process's name.
            self._move_child_publication(holder, m, link, node, host)
            return self._flush()
        record = ChildPublication(m, link, node, host)
        try:
            matches = self.listings.add_name(record.name, record)
        except AlreadyPublished:
            note = f"already published at {self.scope.name} by another process"
            refused = PublicationRefused(record.published_id, record.name, record.scope, note)
            self._tell(refused, node)
            return self._flush()
        self.child_published[(link, record.published_id)] = record
        self.children.setdefault(link, []).append(record)
        self._open_all(matches)
        if self._upward(record.scope):  # wider than this node: relayed, in the child's name
            self._to_parent(m, node)
        return self._flush()

    def _move_child_publication(
        self, record: ChildPublication, m: ListPublication, link: tuple, node: tuple, host: str
    ) -> None:
        old = record.link
        self.child_published.pop((old, record.published_id), None)
        records = self.children.get(old)
        if records is not None and record in records:
            records.remove(record)
        record.link, record.node, record.message = link, node, m
        record.listening_ipp = HostPort(host, m.listening_ipp.port)
        self.child_published[(link, record.published_id)] = record
        self.children.setdefault(link, []).append(record)

    def list_search(self, m: ListSearch, node: tuple) -> list:
        link = node[:1]
        if (
            m.scope > self.scope
            or (link, m.subscribed_id) in self.child_subscribed
            or self._looped(m.subscribed_id, "subscription")
        ):
            return self._flush()
        record = ChildSubscription(m, link, node)
        try:
            matches = self.listings.add_search(record.search, record)
        except BadSearch:
            return self._flush()  # the child checked it; nothing to match
        self.child_subscribed[(link, record.subscribed_id)] = record
        self.children.setdefault(link, []).append(record)
        self._open_all(matches)
        if self._upward(record.scope):
            self._to_parent(ListSearch(record.search, record.scope, record.subscribed_id), node)
        return self._flush()

    def unlist_publication(self, m: UnlistPublication, link: tuple) -> list:
        record = self.child_published.get((link, m.published_id))
        if record is not None:
            self._remove_child_record(link, record)
        return self._flush()

    def unlist_search(self, m: UnlistSearch, link: tuple) -> list:
        record = self.child_subscribed.get((link, m.subscribed_id))
        if record is not None:
            self._remove_child_record(link, record)
        return self._flush()

    def _remove_child_record(self, link: tuple, record: object) -> None:
        records = self.children.get(link)
        if records is not None and record in records:
            records.remove(record)
        self._unlist_child(record, None)

    # Inspection (§11) -------------------------------------------------------------------------

    def open_directory(self, m: OpenDirectory, requester: tuple) -> list:
        if not self._wide(m.scope):  # this node holds that scope itself
            self._tell(DirectoryOpened(m.scope, self.parent_ipp_decided(), True), requester)
        elif not self._upward(m.scope):
            note = "no parent directory (the root, or none configured or derivable)"
            self._tell(DirectoryOpened(m.scope, HostPort(), False, note), requester)
        elif self.parent_state is ParentState.JOINED:
            self._tell(DirectoryOpened(m.scope, self.parent_ipp, True), requester)
        else:
            self.open_waiting.append((m, requester))  # answered when the parent answers
        return self._flush()

    def list_directory(self, m: ListDirectory, requester: tuple) -> list:
        """Passed up to the root, which answers the tool (the return address all the way).

        The nodes it passed travel with it: a node that finds itself there (a loop) or a
        request past ``_MOST_HOPS`` is answered here, with a warning, instead of circulating.
        """
        visited = list(m.visited or [])
        looped = self.unique_id in visited or len(visited) >= _MOST_HOPS
        if looped:
            self.out.append(Warn("Directory loop: ListDirectory came back (answered here)"))
        elif self.parent is not None:
            forward = ListDirectory([*visited, self.unique_id], m.lists)
            self._tell(forward, self.parent, requester)
            return self._flush()
        self._tell(self.listing(m.lists), requester, owned=True)
        return self._flush()

    def get_directory(self, requester: tuple, lists: list[str] | None = None) -> list:
        self._tell(self.listing(lists), requester, owned=True)
        return self._flush()

    def node_joined(self, m: NodeJoined, sender: tuple) -> list:
        """From a child: record it and answer. From the parent: the link truly works (one
        that connects and then fails, e.g. on an encryption mismatch, never answers)."""
        link = sender[:1]
        if link in self.children:
            self.child_nodes[link] = sender
            self._tell(NodeJoined(self.unique_id, self.scope), sender)
        elif self.parent is not None and link == self.parent[:1]:
            self._parent_event(ParentEvent.JOINED)
            waiting, self.open_waiting = self.open_waiting, []
            for request, requester in waiting:
                self._tell(DirectoryOpened(request.scope, self.parent_ipp, True), requester)
        return self._flush()

    def listing(self, lists: list[str] | None = None) -> DirectoryListing:
        """This node as the inspection protocol shows it, with the ``lists`` asked for (None:
        all), sharing no mutable state with the node (it is sent without a copy: 40,000 names
        made that copy half the node's time)."""
        wanted = set(LISTING_PARTS if lists is None else lists)
        published = []
        if "published" in wanted:
            published = [
                Published(
                    r.name,
                    r.scope,
                    r.encrypted,
                    r.published_id,
                    ipp_copy(r.listening_ipp),
                    r.address,
                )
                for r in self.published.values()
            ]
        subscribed = []
        if "subscribed" in wanted:
            subscribed = [
                Subscribed(r.search, r.scope, r.subscribed_id, r.address)
                for r in self.subscribed.values()
            ]
        routed = []
        if "routed" in wanted:
            made = {
                (m.name, m.subscription.subscribed_id, m.publication.published_id)
                for m in self.listings.matches()
            }
            routed = [DirectoryRoute(n, s, p) for n, s, p in sorted(made, key=_route_order)]
        peer = {}
        if "peer" in wanted:
            for record in self.subscribed.values():
                names = sorted(self.names.get(record, ()))
                sessions = [self.book.peer_session(record, name) for name in names]
                peer[record.subscribed_id] = DirectoryPeer(
                    record.subscribed_id, record.search, sessions
                )
        sub_directory = {
            ipp_copy(self.child_ipps.get(link)) or HostPort(): node
            for link, node in self.child_nodes.items()
        }
        accepting = self.accepting.listening_ipp if self.accepting is not None else None  # type: ignore[attr-defined]
        return DirectoryListing(
            self.unique_id,
            self.settings.executable,
            self.address,
            self.scope,
            self.primary_ip() or "(not detected)",
            ipp_copy(self.parent_ipp_decided()) or HostPort(),
            ipp_copy(accepting) or HostPort(),
            published,
            subscribed,
            routed,
            peer,
            sub_directory,
        )

    # Node ↔ node sessions ---------------------------------------------------------------------

    def open_session(self, m: OpenSession, peer: tuple) -> list:
        record = self.published.get(m.published_id)
        if record is not None and not self.alive(record.address):
            self._owner_gone(record.address)
        if record is None or not record.listed:
            self._tell(SessionRefused(m.route_id, "no such publication"), peer)
            return self._flush()
        served = Served(m, record, peer)
        self.served[m.route_id] = served
        self.served_of.setdefault(record, set()).add(m.route_id)
        self.in_links.setdefault(served.link, set()).add(m.route_id)
        self._tell(SessionOpened(m.route_id, record.address), peer)
        if not record.quiet:
            s = m.subscriber_address
            delivered = Delivered(
                m.name, m.scope, m.route_id, m.subscribed_id, m.published_id, s, m.opened_at
            )
            self._tell(delivered, record.address, s)
        return self._flush()

    def session_opened(self, m: SessionOpened, sender: tuple) -> list:
        self.book.session_opened(m, sender)
        return self._flush()

    def session_refused(self, m: SessionRefused) -> list:
        self.book.session_refused(m)
        return self._flush()

    def end_session(self, m: EndSession) -> list:
        if self.book.end_session(m):  # subscriber side: the publisher went
            return self._flush()
        served = self.served.pop(m.route_id, None)
        if served is not None:  # publisher side: the subscriber went
            self._forget_served(served)
            self._drop_served(served)
        return self._flush()

    # The parent link --------------------------------------------------------------------------

    def _parent_key(self) -> tuple | None:
        ipp = self.parent_ipp
        return None if ipp is None else (ipp.host, ipp.port)

    def _lan_reachable(self) -> bool:
        """Issue 10: a LAN session listener leaves loopback only where a LAN directory is
        configured (a parent beyond this host) or derivable (the standard LAN address)."""
        parent = self.parent_ipp_decided()
        host = parent.host if parent is not None else ""
        if host and host not in ("localhost", "::1") and not host.startswith("127."):
            return True
        return self.settings.lan_parent() is not None

    def parent_ipp_decided(self) -> HostPort | None:
        """Where this node's parent listens, or None (the root, or no parent: all stays here).

        Decided once (§7): the configured parent, else the default of its scope:
        ``127.0.0.1:54195`` for GROUP and for a PROCESS started by ``lc.create``, the standard
        LAN address for HOST (None when underivable), none for LAN.
        """
        if self.parent_decided:
            return self.parent_ipp
        self.parent_decided = True
        s = self.settings
        ipp = s.parent
        if ipp is None:
            if self.scope >= _PROCESS:
                ipp = s.default_parent
            elif self.scope == _GROUP:
                ipp = s.host_parent
            elif self.scope == _HOST:
                ipp = s.lan_parent()
        self.parent_ipp = ipp
        return ipp

    def _upward(self, scope: ScopeOfDirectory) -> bool:
        """A listing to push to the parent; the first one opens the link (§7)."""
        if not self._wide(scope) or self.parent_ipp_decided() is None:
            return False
        self._parent_event(ParentEvent.NEEDED)
        return True

    def _parent_event(self, event: ParentEvent) -> None:
        state = step(PARENT_TRANSITIONS, self.parent_state, event)
        if state is None:
            return
        self.parent_state = state  # type: ignore[assignment]
        if state is ParentState.CONNECTING:
            ipp = self.parent_ipp
            if ipp is None:  # the parent was removed (``connect_to``) while waiting
                self.parent_state = ParentState.IDLE
                return
            encrypted = self.settings.encrypted or self.settings.encrypted_process
            probes, period, limit = self._probes(ipp), LIMITS.probe_period, LIMITS.probe_limit
            self.out.append(Connect(ipp, encrypted, probes, period, limit))
        elif state is ParentState.WAITING:  # retry forever: 0.25 s doubling to 1 s, jittered;
            now = self.clock()  # past ``quick_retry_for`` s missing, on to ``most_slow_retry``
            if self.parent_missing_since is None:
                self.parent_missing_since = now
            quick = now - self.parent_missing_since < LIMITS.quick_retry_for
            cap = LIMITS.most_retry if quick else LIMITS.most_slow_retry
            delay = min(self.retry, cap) * self.rng.uniform(0.9, 1.0)
            self.retry = min(self.retry * 2.0, LIMITS.most_slow_retry)
            self.out.append(ArmTimer(PARENT_TIMER, now + delay))

    def _parent_unreached(self, ipp: HostPort) -> None:
        """Issue 12: one WARNING when a streak of failed connects to the parent starts, then
        a reminder every ``parent_reminder`` s; the attempts between are not logged here."""
        now = self.clock()
        self.parent_failures += 1
        if self.parent_missing_since is None:
            self.parent_missing_since = now
        warned = self.parent_warned_at
        if warned is None or now - warned >= LIMITS.parent_reminder:
            self.parent_warned_at = now
            self.out.append(
                Warn(
                    f'Cannot connect to parent directory at "{ipp}" ({self.parent_failures} '
                    f"failed); retrying quietly, at most every {LIMITS.most_slow_retry:g} s"
                )
            )

    def _to_parent(self, message: object, back: tuple | None = None) -> None:
        """To the parent node while linked (``back``: a child node, for relayed listings); what
        is lost while unlinked goes again with the next ``_push_all``."""
        if self.parent is not None:
            self._tell(message, self.parent, back)

    def _list_publication(self, record: Publication) -> ListPublication:
        return ListPublication(
            record.name,
            record.scope,
            record.published_id,
            record.listening_ipp,
            record.address,
            record.encrypted,
        )

    def _push_all(self) -> None:
        """A new parent link: every listing wider than this node, in one go."""
        for record in list(self.published.values()):
            if self._wide(record.scope) and record.published_id not in self.refused:
                self._to_parent(self._list_publication(record))
        for record in list(self.subscribed.values()):
            if self._wide(record.scope):
                self._to_parent(ListSearch(record.search, record.scope, record.subscribed_id))
        for child in list(self.child_published.values()):  # relayed listings of child nodes
            if self._wide(child.scope):
                self._to_parent(child.message, child.node)
        for search in list(self.child_subscribed.values()):
            if self._wide(search.scope):
                message = ListSearch(search.search, search.scope, search.subscribed_id)
                self._to_parent(message, search.node)

    # Listings and local sessions --------------------------------------------------------------

    def ipp_copy(self, owner: tuple, record: object) -> None:
        self.owned.setdefault(owner, []).append(record)

    def _owner_gone(self, owner: tuple) -> None:
        """Remove every listing of an object that ended; its peers get ``Dropped``."""
        for record in self.owned.pop(owner, ()):
            self._unlist(record, owner)

    def _unlist(self, record: object, gone: tuple | None) -> None:
        """Remove one listing and drop its sessions (not telling ``gone``, the ended owner, nor
        a subscriber: it ended them itself)."""
        if not record.listed:  # type: ignore[attr-defined]
            return
        record.listed = False  # type: ignore[attr-defined]
        if isinstance(record, Publication):
            del self.published[record.published_id]
            ended = self.listings.remove_name(record.name)
            if self._wide(record.scope):  # refused too: nodes between may hold it
                self._to_parent(UnlistPublication(record.published_id))
            self.refused.discard(record.published_id)
            for route_id in self.served_of.pop(record, ()):
                served = self.served.pop(route_id, None)
                if served is None:
                    continue
                routes = self.in_links.get(served.link)
                if routes is not None:
                    routes.discard(route_id)
                self._tell(EndSession(route_id), served.peer)
                if gone is None:
                    self._drop_served(served)
        else:
            assert isinstance(record, Subscription)
            del self.subscribed[record.subscribed_id]
            del self.subscribed_by[(record.address, record.search)]
            ended = self.listings.remove_search(record)
            if self._wide(record.scope):
                self._to_parent(UnlistSearch(record.subscribed_id))
            # Compat §2.10: the subscriber that ends its sessions hears only SubscribedCleared.
            self.book.forget_subscription(record, False)
        if gone is None:
            records = self.owned.get(record.address)  # type: ignore[attr-defined]
            if records is not None:
                records.remove(record)
                if not records:
                    del self.owned[record.address]  # type: ignore[attr-defined]
        silent = record.address if isinstance(record, Subscription) else gone
        for match in ended:
            self._close(match, silent)

    def _open_all(self, matches: list[Match]) -> None:
        for match in matches:
            publication, subscription = match.publication, match.subscription
            if isinstance(publication, Publication) and isinstance(subscription, Subscription):
                self._open(match)
            elif isinstance(publication, ChildPublication):
                route = RouteFound(
                    subscription.subscribed_id,
                    match.name,
                    self.scope,
                    publication.listening_ipp,
                    publication.published_id,
                    publication.encrypted,
                )
                if isinstance(subscription, ChildSubscription):
                    self._tell(route, subscription.node)
                else:
                    # A library child's publication meeting a search of this process (api-core
                    # §10.6): a route like one from a parent, to the child's session listener.
                    self.book.add_route(subscription, route)
            # This process's publication meeting a child's search: not served (no listener
            # for PROCESS names; daemons list nothing).

    def _open(self, match: Match) -> None:
        """A new match: ``Available`` to the subscriber, ``Delivered`` to the publisher."""
        publication: Publication = match.publication  # type: ignore[assignment]
        subscription: Subscription = match.subscription  # type: ignore[assignment]
        for record in (publication, subscription):
            if record.listed and not self.alive(record.address):
                self._owner_gone(record.address)  # a dropped channel: it never called end()
        if not (publication.listed and subscription.listed):
            return
        key = (subscription, match.name)
        previous = self.sessions.get(key)
        if previous is not None and previous.remote:  # upgrade: the nearer one wins
            self.book.end(previous, True)
        session = self.sessions[key] = Session(world_now(), _PROCESS)
        self.names[subscription].add(match.name)
        p, s = publication.address, subscription.address
        ids = (session.route_id, subscription.subscribed_id, publication.published_id)
        available = Available(match.name, self.scope, *ids, p, session.opened_at)
        self._tell(available, s, p)
        if not publication.quiet:
            delivered = Delivered(match.name, self.scope, *ids, s, session.opened_at)
            self._tell(delivered, p, s)

    def _close(self, match: Match, gone: tuple | None) -> None:
        """A match ended: ``Dropped`` to each side that is not ``gone``."""
        publication, subscription = match.publication, match.subscription
        if isinstance(subscription, ChildSubscription):
            if isinstance(publication, ChildPublication):
                lost = RouteLost(
                    subscription.subscribed_id, match.name, self.scope, publication.published_id
                )
                self._tell(lost, subscription.node)
            return
        if isinstance(publication, ChildPublication):  # a library child's route: spent
            self.book.forget_route(subscription, match.name, publication.published_id)
            return
        key = (subscription, match.name)
        session = self.sessions.get(key)
        if session is None or session.remote:
            return  # never opened (an owner was found gone first)
        del self.sessions[key]
        self.book.name_done(subscription, match.name)
        p, s = publication.address, subscription.address
        ids = (session.route_id, subscription.subscribed_id, publication.published_id)
        for to, remote in ((s, p), (p, s)):
            if to != gone and not (to is p and publication.quiet):
                dropped = Dropped(match.name, self.scope, *ids, remote, session.opened_at)
                self._tell(dropped, to, remote)
        if subscription.listed:
            self.book.consider(subscription, match.name)  # fallback to a wider route

    def _unlist_child(self, record: object, closed: tuple | None) -> None:
        """Parent role: a child's listing is gone; subscribers elsewhere get ``RouteLost``."""
        if isinstance(record, ChildPublication):
            if self.child_published.pop((record.link, record.published_id), None) is None:
                return
            if self.listings.publication(record.name) is not record:
                return
            ended = self.listings.remove_name(record.name)
            if self._wide(record.scope):
                self._to_parent(UnlistPublication(record.published_id), record.node)
        else:
            assert isinstance(record, ChildSubscription)
            if self.child_subscribed.pop((record.link, record.subscribed_id), None) is None:
                return
            ended = self.listings.remove_search(record)
            if self._wide(record.scope):
                self._to_parent(UnlistSearch(record.subscribed_id), record.node)
        for match in ended:
            subscription = match.subscription
            if isinstance(subscription, Subscription) or subscription.link != closed:
                self._close(match, None)

    def _forget_served(self, served: Served) -> None:
        route_id = served.message.route_id
        routes = self.in_links.get(served.link)
        if routes is not None:
            routes.discard(route_id)
        ids = self.served_of.get(served.publication)
        if ids is not None:
            ids.discard(route_id)

    def _drop_served(self, served: Served) -> None:
        """Publisher side: ``Dropped`` to the publisher (if it is still listed)."""
        publication = served.publication
        if publication.quiet or (not publication.listed and not self.alive(publication.address)):
            return
        m = served.message
        s = m.subscriber_address
        dropped = Dropped(
            m.name, m.scope, m.route_id, m.subscribed_id, m.published_id, s, m.opened_at
        )
        self._tell(dropped, publication.address, s)
