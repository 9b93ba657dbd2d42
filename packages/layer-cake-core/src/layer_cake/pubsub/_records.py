"""What the directory core keeps and what it asks for: listing records, sessions, connections,
the actions it returns, and the transition tables of the parent link and of a session.

The core (``_directory.Directory``) never does I/O: each input returns a list of the action
classes below, which the node machine (``_node``) carries out. The tables make the two
stateful parts explicit: an event not in a table is ignored in that state, so a late or
repeated event (a second ``Closed``, a timer after the link came back) cannot corrupt it.
"""

from __future__ import annotations

import datetime
import enum
import uuid

from ..net._hostport import HostPort, loopback
from ..runtime._messages import ScopeOfDirectory
from ._protocol import ListPublication, ListSearch, OpenSession, RouteFound

__all__ = [
    "Tell",
    "Connect",
    "Listen",
    "CloseLink",
    "ArmTimer",
    "Warn",
    "Fault",
    "PARENT_TIMER",
    "DEADLINE_TIMER",
    "LinkRole",
    "ParentState",
    "ParentEvent",
    "PARENT_TRANSITIONS",
    "SessionState",
    "SessionEvent",
    "SESSION_TRANSITIONS",
    "step",
    "Publication",
    "Subscription",
    "ChildPublication",
    "ChildSubscription",
    "Route",
    "Session",
    "Connection",
    "Served",
    "Listener",
    "LIMITS",
    "loopback",
]

# Figures ------------------------------------------------------------------------------------------


class _Limits:
    """The protocol's figures in one place (tests may lower them)."""

    def __init__(self) -> None:
        self.first_retry = 0.25  # s before the first reconnect to a lost or absent parent
        self.most_retry = 1.0  # cap of that back-off (NEW, §7: rejoined within ~1 s locally)
        #: Issue 12: a parent missing for longer than ``quick_retry_for`` s is not restarting;
        #: the back-off then grows on to ``most_slow_retry`` (§7's old figure for loopback), and
        #: the node says so once at WARNING, again every ``parent_reminder`` s.
        self.quick_retry_for = 10.0
        self.most_slow_retry = 8.0
        self.parent_reminder = 600.0
        #: Keep-alive of links that may cross hosts: a probe after ``probe_period`` s of outbound
        #: silence, stale after ``probe_limit`` s of inbound silence (§9: noticed within 3 s).
        self.probe_period = 0.5
        self.probe_limit = 2.0
        self.session_open = 3.0  # s for a session request to be answered (§6), first attempt
        #: A deadline tick later than this found the node not running on time (a stalled loop,
        #: a long backlog): opens due then get that lag again, at most ``lag_excuses`` times.
        self.lag_slack = 1.0
        self.lag_excuses = 2
        self.most_session_open = 24.0  # the limit doubles per failed attempt up to this
        self.first_session_retry = 0.5  # s before a failed route is tried again
        self.most_session_retry = 8.0  # cap of that back-off
        self.idle_close = 8.0  # s a connection with no sessions stays open (§6)


LIMITS = _Limits()


# Actions ------------------------------------------------------------------------------------------


class Tell:
    """Send ``message`` to ``to`` with return address ``back`` (None: the node itself)."""

    __slots__ = ("back", "message", "owned", "to")

    def __init__(
        self, message: object, to: tuple, back: tuple | None = None, owned: bool = False
    ) -> None:
        self.message = message
        self.to = to
        self.back = back
        self.owned = owned  # built for this send alone: no send-side copy (``send_from``)

    def __repr__(self) -> str:
        return f"Tell({type(self.message).__name__})"


class Connect:
    """Open a connection to ``ipp``; ``Directory.connected``/``not_connected`` follow."""

    __slots__ = ("encrypted", "ipp", "keep_alive", "limit", "period")

    def __init__(
        self, ipp: HostPort, encrypted: bool, keep_alive: bool, period: float, limit: float
    ) -> None:
        self.ipp = ipp
        self.encrypted = encrypted
        self.keep_alive = keep_alive
        self.period = period
        self.limit = limit


class Listen:
    """Listen at ``ipp``; ``Directory.listening``/``not_listening``/``accepted`` name ``token``."""

    __slots__ = ("encrypted", "ipp", "keep_alive", "limit", "period", "token")

    def __init__(
        self,
        token: object,
        ipp: HostPort,
        encrypted: bool,
        keep_alive: bool,
        period: float,
        limit: float,
    ) -> None:
        self.token = token
        self.ipp = ipp
        self.encrypted = encrypted
        self.keep_alive = keep_alive
        self.period = period
        self.limit = limit


class CloseLink:
    """Close the connection of proxy ``link``."""

    __slots__ = ("link",)

    def __init__(self, link: tuple) -> None:
        self.link = link


#: ``ArmTimer.timer``: the parent link's reconnect delay (``Directory.parent_timer``).
PARENT_TIMER = "parent"
#: ``ArmTimer.timer``: the earliest session deadline (``Directory.tick``).
DEADLINE_TIMER = "deadline"


class ArmTimer:
    """Call the core back at monotonic time ``at`` (replaces the same timer armed before)."""

    __slots__ = ("at", "timer")

    def __init__(self, timer: str, at: float) -> None:
        self.timer = timer
        self.at = at


class Warn:
    """Log ``text`` at WARNING."""

    __slots__ = ("text",)

    def __init__(self, text: str) -> None:
        self.text = text


class Fault:
    """Log ``text`` at FAULT."""

    __slots__ = ("text",)

    def __init__(self, text: str) -> None:
        self.text = text


# Transition tables --------------------------------------------------------------------------------


class LinkRole(enum.Enum):
    """What a connection of the node is for; ``Closed`` is dispatched on it, never guessed."""

    PARENT = "parent"  # to this node's parent
    SESSIONS_OUT = "sessions out"  # to a publisher's session listener
    SESSIONS_IN = "sessions in"  # accepted by a session listener of this process
    CHILD = "child"  # accepted from a child node


class ParentState(enum.Enum):
    IDLE = "idle"  # no parent wanted yet
    CONNECTING = "connecting"
    UP = "up"  # connected, the parent has not answered NodeJoined yet
    JOINED = "joined"  # the parent answered: the link truly works
    WAITING = "waiting"  # lost or failed: reconnect when the retry timer fires


class ParentEvent(enum.Enum):
    NEEDED = "needed"
    CONNECTED = "connected"
    FAILED = "failed"
    JOINED = "joined"
    CLOSED = "closed"
    TIMER = "timer"


_P, _PE = ParentState, ParentEvent
PARENT_TRANSITIONS: dict[tuple[ParentState, ParentEvent], ParentState] = {
    (_P.IDLE, _PE.NEEDED): _P.CONNECTING,
    (_P.CONNECTING, _PE.CONNECTED): _P.UP,
    (_P.CONNECTING, _PE.FAILED): _P.WAITING,
    (_P.UP, _PE.JOINED): _P.JOINED,
    (_P.UP, _PE.CLOSED): _P.WAITING,
    (_P.JOINED, _PE.CLOSED): _P.WAITING,
    (_P.WAITING, _PE.TIMER): _P.CONNECTING,
}


class SessionState(enum.Enum):
    CONNECTING = "connecting"  # waiting for the connection to the publisher's listener
    ASKED = "asked"  # OpenSession sent
    OPEN = "open"  # SessionOpened: the subscriber got Available


class SessionEvent(enum.Enum):
    CONNECTED = "connected"
    OPENED = "opened"


_S, _SE = SessionState, SessionEvent
SESSION_TRANSITIONS: dict[tuple[SessionState, SessionEvent], SessionState] = {
    (_S.CONNECTING, _SE.CONNECTED): _S.ASKED,
    (_S.ASKED, _SE.OPENED): _S.OPEN,
}


def step(table: dict, state: enum.Enum, event: enum.Enum) -> enum.Enum | None:
    """The state after ``event``, or None when ``table`` has no such move (event ignored)."""
    return table.get((state, event))


# Records ------------------------------------------------------------------------------------------


class Publication:
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


class Subscription:
    """A search registered by a local object."""

    __slots__ = ("address", "listed", "scope", "search", "subscribed_id")

    def __init__(self, search: str, scope: ScopeOfDirectory, address: tuple) -> None:
        self.search = search
        self.scope = scope
        self.subscribed_id = uuid.uuid4()
        self.address = address
        self.listed = True


class ChildPublication:
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


class ChildSubscription:
    """Parent role: a search registered by a child node."""

    __slots__ = ("link", "node", "scope", "search", "subscribed_id")

    def __init__(self, m: ListSearch, link: tuple, node: tuple) -> None:
        self.search = m.search
        self.scope = m.scope
        self.subscribed_id = m.subscribed_id
        self.link = link
        self.node = node


class Route:
    """Subscriber side: one known route to a name, and its retry back-off after failures."""

    __slots__ = ("failures", "message", "retry_at")

    def __init__(self, message: RouteFound) -> None:
        self.message = message
        self.failures = 0  # attempts that failed since the route was (re)announced
        self.retry_at = 0.0  # monotonic time before which it is not tried again


class Session:
    """One session of a local subscription: in-process, or through a connection (``remote``)."""

    __slots__ = (
        "connection",
        "deadline",
        "excused",
        "name",
        "opened_at",
        "published_id",
        "publisher",
        "remote",
        "route_id",
        "route_key",
        "scope",
        "state",
        "subscription",
    )

    def __init__(self, opened_at: datetime.datetime, scope: ScopeOfDirectory) -> None:
        self.route_id = uuid.uuid4()
        self.opened_at = opened_at
        self.scope = scope
        self.remote = False
        self.state = SessionState.OPEN  # a remote one starts CONNECTING
        self.connection: Connection | None = None
        self.publisher: tuple | None = None  # remote: set by SessionOpened
        self.published_id: uuid.UUID | None = None
        self.subscription: Subscription | None = None
        self.name = ""
        self.route_key: tuple | None = None  # remote: (published id, scope) of its route
        self.deadline = 0.0  # remote: when an unanswered open is given up
        self.excused = 0  # times its deadline was moved for this node's own lag


class Connection:
    """Subscriber side: the one connection to a publisher's ``host:port``."""

    __slots__ = ("idle_since", "key", "local_ipp", "proxy", "sessions")

    def __init__(self, key: tuple) -> None:
        self.key = key
        self.local_ipp: HostPort | None = None  # this end, once connected
        self.proxy: tuple | None = None  # set by Connected
        self.sessions: dict[uuid.UUID, Session] = {}
        self.idle_since: float | None = None  # monotonic time its last session ended


class Served:
    """Publisher side: a session opened by a subscriber's node."""

    __slots__ = ("link", "message", "peer", "publication")

    def __init__(self, message: OpenSession, publication: Publication, peer: tuple) -> None:
        self.message = message
        self.publication = publication
        self.peer = peer  # the subscriber's node, through the accepted link
        self.link = peer[:1]


class Listener:
    """Publisher side: one session listener, shared by all publications of its kind.

    Keyed by (LAN, encrypted): LAN names listen on ``0.0.0.0:0`` (reachable from other hosts,
    with keep-alive), the others on ``127.0.0.1:0``; encrypted publications on their own."""

    __slots__ = ("ipp", "listening", "waiting")

    def __init__(self) -> None:
        self.listening = False  # a listen asked for and not failed
        self.ipp: HostPort | None = None  # once listening
        self.waiting: list[tuple] = []  # (request, requester) answered once listening
