"""The subscriber side of a directory node, without I/O: the routes known per (subscription,
name), the remote sessions opened on them, the one connection per publisher ``host:port`` and
the deadlines of all three (pubsub §6; issue 16).

Part of the core (``_directory.Directory`` owns one ``SessionBook`` and shares with it its
output list, its sessions and names by subscription, and its link roles); every method adds
actions to that list, which the core returns from the input that caused them.

The nearest usable route gets the session (upgrade when a nearer one appears, fallback when
the session's publisher goes). An attempt that fails (no answer within the open limit,
refused, connection failed or lost) puts its route in back-off (0.5 s doubling to 8 s, the open
limit doubling from 3 s to 24 s with it) and the nearest other usable route is tried at once;
when none is usable a retry is due when the first back-off ends. Only ``RouteLost`` (or the
subscription's end) forgets a route; a new ``RouteFound`` clears its back-off: a name is never
given up while it is listed.

Deadlines (open limits, idle connections, retries) sit in one heap: O(log n) per event, the
node's one deadline timer armed for the heap's head; stale entries are skipped when popped.
"""

from __future__ import annotations

import heapq
import random
import uuid
from collections.abc import Callable

from ..net._hostport import HostPort, ipp_copy
from ..runtime._messages import ScopeOfDirectory
from ..types._text import world_now
from ._inspect import CONNECTED, NO_ACTIVE_ROUTE, TO_BE_CONFIRMED, PeerSession
from ._messages import Available, Dropped
from ._protocol import EndSession, OpenSession, RouteFound, SessionOpened, SessionRefused
from ._records import (
    DEADLINE_TIMER,
    LIMITS,
    SESSION_TRANSITIONS,
    ArmTimer,
    CloseLink,
    Connect,
    Connection,
    LinkRole,
    Route,
    Session,
    SessionEvent,
    SessionState,
    Subscription,
    Tell,
    Warn,
    loopback,
    step,
)

__all__ = ["SessionBook"]


class SessionBook:
    """Routes, remote sessions, connections and their deadlines (see the module docstring)."""

    def __init__(
        self,
        scope: ScopeOfDirectory,
        out: list,
        sessions: dict,
        names: dict,
        links: dict,
        clock: Callable[[], float],
        rng: random.Random,
    ) -> None:
        self.scope = scope  # of the node: routes narrower than it are made here
        self.out = out  # the core's actions
        self.sessions = sessions  # (subscription, name) -> session, local ones included
        self.names = names  # subscription -> names with a route or a session
        self.links = links  # link -> LinkRole
        self.clock = clock
        self.rng = rng
        self.routes: dict[tuple, dict[tuple, Route]] = {}  # (sub, name) -> {(pid, scope): route}
        self.by_route: dict[uuid.UUID, Session] = {}  # remote sessions
        self.connections: dict[tuple, Connection] = {}  # (host, port) -> connection
        self.out_links: dict[tuple, Connection] = {}  # proxy -> connection
        self.retry_due: dict[tuple, float] = {}  # (sub, name) -> when to look for a route again
        self.deadlines: list[tuple] = []  # heap of (at, seq, kind, ref)
        self.seq = 0
        self.armed: float | None = None

    def _tell(self, message: object, to: tuple, back: tuple | None = None) -> None:
        self.out.append(Tell(message, to, back))

    # Connections ------------------------------------------------------------------------------

    def connected(self, key: tuple, link: tuple, local: HostPort) -> None:
        """A connection to a publisher's session listener is up: ask for its sessions."""
        connection = self.connections.get(key)
        if connection is None or connection.proxy is not None:
            self.out.append(CloseLink(link))  # not wanted (any more)
            return
        connection.proxy = link
        connection.local_ipp = local
        self.links[link] = LinkRole.SESSIONS_OUT
        self.out_links[link] = connection
        for session in list(connection.sessions.values()):
            self._request_session(session)
        if not connection.sessions:  # left with none while connecting: the idle delay runs
            self._idle(connection)

    def not_connected(self, key: tuple) -> None:
        connection = self.connections.get(key)
        if connection is None or connection.proxy is not None:
            return
        del self.connections[key]
        for session in list(connection.sessions.values()):
            self.failed(session, False)  # never opened: the subscriber heard nothing

    def closed(self, link: tuple) -> None:
        """A connection to a publisher closed: each session on it failed (``Dropped`` if open)."""
        connection = self.out_links.pop(link, None)
        if connection is None:
            return
        if self.connections.get(connection.key) is connection:
            del self.connections[connection.key]
        connection.proxy = None
        for session in list(connection.sessions.values()):
            self.failed(session, True)

    def forget_subscription(self, subscription: Subscription, tell: bool) -> None:
        """A local subscription ended: its routes go, its remote sessions end."""
        for name in self.names.pop(subscription, ()):
            self.routes.pop((subscription, name), None)
            self.retry_due.pop((subscription, name), None)
            session = self.sessions.get((subscription, name))
            if session is not None and session.remote:
                self.end(session, tell)

    # Routes and sessions ----------------------------------------------------------------------

    def due(self, at: float, kind: str, ref: object) -> None:
        self.seq += 1
        heapq.heappush(self.deadlines, (at, self.seq, kind, ref))
        if self.armed is None or at < self.armed:
            self.armed = at
            self.out.append(ArmTimer(DEADLINE_TIMER, at))

    def tick(self) -> None:
        """The deadline timer fired: give up unanswered opens, close idle connections, retry.

        A tick later than ``LIMITS.lag_slack`` past the first deadline due means this node did
        not run on time (its loop stalled, or a backlog held the timer's message): the answer
        to an open may be waiting unread, so each open due gets that lag again (at most
        ``LIMITS.lag_excuses`` times) instead of being given up for our own delay."""
        now = self.clock()
        self.armed = None
        heap = self.deadlines
        lag = now - heap[0][0] if heap else 0.0
        while heap and heap[0][0] <= now:
            at, _, kind, ref = heapq.heappop(heap)
            if kind == "open":
                session = ref
                if (
                    session.state is not SessionState.OPEN
                    and session.deadline == at
                    and self.by_route.get(session.route_id) is session
                ):
                    if lag > LIMITS.lag_slack and session.excused < LIMITS.lag_excuses:
                        session.excused += 1
                        session.deadline = now + lag
                        self.due(session.deadline, "open", session)
                    else:
                        self._give_up(session)
            elif kind == "idle":
                connection = ref
                idle = connection.idle_since
                if (
                    idle is not None
                    and idle + LIMITS.idle_close <= now
                    and connection.proxy is not None
                    and self.out_links.get(connection.proxy) is connection
                ):
                    self._close_link(connection.proxy)
            elif self.retry_due.get(ref) == at:
                del self.retry_due[ref]
                subscription, name = ref
                self.consider(subscription, name)
        if heap and (self.armed is None or heap[0][0] < self.armed):
            self.armed = heap[0][0]
            self.out.append(ArmTimer(DEADLINE_TIMER, self.armed))

    def add_route(self, subscription: Subscription, m: RouteFound) -> None:
        """A route for a local subscription; a session opens on the nearest."""
        key = (subscription, m.name)
        routes = self.routes.setdefault(key, {})
        routes[(m.published_id, m.scope)] = Route(m)  # new or announced again: no back-off
        self.names[subscription].add(m.name)
        session = self.sessions.get(key)
        if (
            session is not None
            and session.remote
            and m.scope > session.scope
            and m.published_id != session.published_id  # the same publisher: keep it
        ):
            # Upgrade (§6): a nearer instance ends the wider session (``Dropped`` to both
            # ends), and the nearest opens below.
            self.end(session, True)
        self.consider(subscription, m.name)

    def consider(self, subscription: Subscription, name: str) -> None:
        """No session for (subscription, name): open one on the nearest usable route; when
        every route is in back-off, look again when the first one ends."""
        key = (subscription, name)
        if key in self.sessions or not subscription.listed:
            return
        routes = self.routes.get(key)
        if not routes:
            return
        now = self.clock()
        usable = [r for r in routes.values() if r.retry_at <= now]
        if not usable:
            at = min(r.retry_at for r in routes.values())
            if self.retry_due.get(key, at + 1.0) > at:
                self.retry_due[key] = at
                self.due(at, "retry", key)
            return
        route = max(usable, key=lambda r: r.message.scope)  # nearest: highest scope value
        m = route.message
        session = Session(world_now(), m.scope)
        session.remote = True
        session.state = SessionState.CONNECTING
        session.name = name
        session.published_id = m.published_id
        session.route_key = (m.published_id, m.scope)
        session.subscription = subscription
        limit = min(LIMITS.session_open * 2.0**route.failures, LIMITS.most_session_open)
        session.deadline = now + limit  # the open limit runs from the request (connecting too)
        self.sessions[key] = session
        self.by_route[session.route_id] = session
        self.due(session.deadline, "open", session)
        ipp = m.listening_ipp
        ckey = (ipp.host, ipp.port)
        connection = self.connections.get(ckey)
        if connection is None:
            connection = self.connections[ckey] = Connection(ckey)
            off_host = not loopback(ipp)  # §6: keep-alive unless loopback
            self.out.append(
                Connect(ipp, m.encrypted, off_host, LIMITS.probe_period, LIMITS.probe_limit)
            )
        session.connection = connection
        connection.sessions[session.route_id] = session
        connection.idle_since = None  # taken again within the idle delay: reused
        if connection.proxy is not None:
            self._request_session(session)

    def _request_session(self, session: Session) -> None:
        state = step(SESSION_TRANSITIONS, session.state, SessionEvent.CONNECTED)
        if state is None:
            return
        session.state = state  # type: ignore[assignment]
        subscription = session.subscription
        assert subscription is not None and session.connection is not None
        request = OpenSession(
            session.route_id,
            session.name,
            session.scope,
            subscription.subscribed_id,
            session.published_id,
            subscription.address,
            session.opened_at,
        )
        self._tell(request, session.connection.proxy)  # type: ignore[arg-type]

    def _route_of(self, session: Session) -> Route | None:
        routes = self.routes.get((session.subscription, session.name))
        return None if routes is None else routes.get(session.route_key)  # type: ignore[arg-type]

    def _idle(self, connection: Connection) -> None:
        connection.idle_since = now = self.clock()
        self.due(now + LIMITS.idle_close, "idle", connection)

    def _detach(self, session: Session) -> None:
        """Forget a remote session's bookkeeping; the connection closes when it has none left."""
        self.by_route.pop(session.route_id, None)
        key = (session.subscription, session.name)
        if self.sessions.get(key) is session:
            del self.sessions[key]
        connection = session.connection
        if connection is not None:
            connection.sessions.pop(session.route_id, None)
            if not connection.sessions and connection.idle_since is None:
                self._idle(connection)  # closes after the idle delay

    def _close_link(self, link: tuple) -> None:
        connection = self.out_links.pop(link, None)
        if connection is not None and self.connections.get(connection.key) is connection:
            del self.connections[connection.key]
        self.links.pop(link, None)
        self.out.append(CloseLink(link))

    def end(self, session: Session, tell: bool) -> None:
        """This side ends a remote session: the publisher's node hears, the subscriber maybe."""
        connection = session.connection
        if connection is not None and connection.proxy is not None:
            self._tell(EndSession(session.route_id), connection.proxy)
        self._detach(session)
        self.name_done(session.subscription, session.name)  # type: ignore[arg-type]
        if tell and session.state is SessionState.OPEN:
            self._drop_remote(session)

    def _give_up(self, session: Session) -> None:
        """An open unanswered within its limit: end it there, and retry after a back-off."""
        self.out.append(Warn(f'Session to "{session.name}" unanswered in time: asked again later'))
        connection = session.connection
        if connection is not None and connection.proxy is not None:
            self._tell(EndSession(session.route_id), connection.proxy)
        self.failed(session, False)

    def failed(self, session: Session, tell: bool) -> None:
        """A session ended from the other side or failed: its route waits out a back-off
        (it stays known until ``RouteLost``) and the nearest other usable route is tried."""
        self._detach(session)
        if tell and session.state is SessionState.OPEN:
            self._drop_remote(session)
        route = self._route_of(session)
        if route is not None:
            backoff = min(
                LIMITS.first_session_retry * 2.0**route.failures, LIMITS.most_session_retry
            )
            route.failures += 1
            route.retry_at = self.clock() + backoff * self.rng.uniform(0.9, 1.0)
        subscription = session.subscription
        assert subscription is not None
        self.consider(subscription, session.name)
        self.name_done(subscription, session.name)

    def forget_route(
        self,
        subscription: Subscription,
        name: str,
        pid: object,
        scope: ScopeOfDirectory | None = None,
    ) -> None:
        """Forget the route to publication ``pid`` made at ``scope`` (None: made anywhere)."""
        key = (subscription, name)
        routes = self.routes.get(key)
        if routes is None:
            return
        for rkey in [k for k in routes if k[0] == pid and (scope is None or k[1] == scope)]:
            del routes[rkey]
        if not routes:
            del self.routes[key]
            self.retry_due.pop(key, None)
            self.name_done(subscription, name)

    def name_done(self, subscription: Subscription, name: str) -> None:
        """Drop ``name`` from a subscription's names once it has neither route nor session."""
        key = (subscription, name)
        if key not in self.routes and key not in self.sessions:
            names = self.names.get(subscription)
            if names is not None:
                names.discard(name)

    def forget_wider(self) -> None:
        """The parent link is gone: forget the routes made above this node (not a library
        child's, made here)."""
        for key, routes in list(self.routes.items()):
            for rkey in [k for k in routes if k[1] < self.scope]:
                del routes[rkey]
            if not routes:
                del self.routes[key]
                self.retry_due.pop(key, None)
                self.name_done(*key)

    def _drop_remote(self, session: Session) -> None:
        subscription = session.subscription
        assert subscription is not None
        dropped = Dropped(
            session.name,
            session.scope,
            session.route_id,
            subscription.subscribed_id,
            session.published_id,
            session.publisher,
            session.opened_at,
        )
        self._tell(dropped, subscription.address, session.publisher)

    def session_opened(self, m: SessionOpened, sender: tuple) -> None:
        session = self.by_route.get(m.route_id)
        state = None
        if session is not None:
            state = step(SESSION_TRANSITIONS, session.state, SessionEvent.OPENED)
        if session is None or state is None:
            self._tell(EndSession(m.route_id), sender)  # given up meanwhile
            return
        session.state = state  # type: ignore[union-attr]
        session.publisher = p = m.publisher_address  # type: ignore[union-attr]
        subscription = session.subscription  # type: ignore[union-attr]
        route = self._route_of(session)  # type: ignore[arg-type]
        if route is not None:
            route.failures, route.retry_at = 0, 0.0
        available = Available(
            session.name,  # type: ignore[union-attr]
            session.scope,  # type: ignore[union-attr]
            session.route_id,  # type: ignore[union-attr]
            subscription.subscribed_id,
            session.published_id,  # type: ignore[union-attr]
            p,
            session.opened_at,  # type: ignore[union-attr]
        )
        self._tell(available, subscription.address, p)

    def session_refused(self, m: SessionRefused) -> None:
        session = self.by_route.get(m.route_id)
        if session is not None and session.state is not SessionState.OPEN:
            self.failed(session, False)

    def end_session(self, m: EndSession) -> bool:
        """The publisher's node ended a session of this side; False: not one of ours."""
        session = self.by_route.get(m.route_id)
        if session is None:
            return False
        self.failed(session, True)
        return True

    def peer_session(self, record: Subscription, name: str) -> PeerSession:
        session = self.sessions.get((record, name))
        if session is not None and not session.remote:
            return PeerSession(name, self.scope, CONNECTED)
        if session is not None:
            connection = session.connection
            local = ipp_copy(connection.local_ipp) if connection is not None else None
            remote = HostPort(*connection.key) if connection is not None else None
            status = CONNECTED if session.state is SessionState.OPEN else TO_BE_CONFIRMED
            return PeerSession(name, session.scope, status, local, remote, session.published_id)
        routes = self.routes.get((record, name)) or {}
        if not routes:
            return PeerSession(name, self.scope, NO_ACTIVE_ROUTE)
        route = max(routes.values(), key=lambda r: r.message.scope).message
        return PeerSession(
            name,
            route.scope,
            NO_ACTIVE_ROUTE,
            None,
            ipp_copy(route.listening_ipp),
            route.published_id,
        )
