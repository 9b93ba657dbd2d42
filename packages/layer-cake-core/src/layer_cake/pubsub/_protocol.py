"""Messages between directory nodes, and between the two process nodes of a session.

Signatures are ``layer_cake.directory_protocol.<Name>``. Child → parent: ``ListPublication``,
``ListSearch``, ``UnlistPublication``, ``UnlistSearch`` (all listings wider than the child's
scope, pushed again after every reconnection). Parent → child: ``RouteFound``/``RouteLost``
(a match made at the parent, sent to the subscriber's node) and ``PublicationRefused`` (the
name is held at the parent by another process). Subscriber's node ↔ publisher's node, over
the one connection to the publisher's session listener: ``OpenSession`` answered by
``SessionOpened`` or ``SessionRefused``; ``EndSession`` from either side.
"""

from __future__ import annotations

import datetime
import uuid

from ..net._hostport import HostPort
from ..runtime._messages import ScopeOfDirectory
from ..types._portable import Address
from ..types._registry import bind_library_message

__all__ = [
    "ListPublication",
    "ListSearch",
    "UnlistPublication",
    "UnlistSearch",
    "RouteFound",
    "RouteLost",
    "PublicationRefused",
    "OpenSession",
    "SessionOpened",
    "SessionRefused",
    "EndSession",
]

_PREFIX = "layer_cake.directory_protocol."
_HOST = ScopeOfDirectory.HOST


class ListPublication:
    """Child → parent: hold this publication (reachable at ``listening_ipp``)."""

    def __init__(
        self,
        name: str | None = None,
        scope: ScopeOfDirectory = _HOST,
        published_id: uuid.UUID | None = None,
        listening_ipp: HostPort | None = None,
        publisher_address: tuple | None = None,
        encrypted: bool = False,
    ) -> None:
        self.name = name
        self.scope = scope
        self.published_id = published_id
        self.listening_ipp = listening_ipp if listening_ipp is not None else HostPort()
        self.publisher_address = publisher_address
        self.encrypted = encrypted  # sessions to it run over an encrypted connection


class ListSearch:
    """Child → parent: hold this search."""

    def __init__(
        self,
        search: str | None = None,
        scope: ScopeOfDirectory = _HOST,
        subscribed_id: uuid.UUID | None = None,
    ) -> None:
        self.search = search
        self.scope = scope
        self.subscribed_id = subscribed_id


class UnlistPublication:
    """Child → parent: the publication is gone."""

    def __init__(self, published_id: uuid.UUID | None = None) -> None:
        self.published_id = published_id


class UnlistSearch:
    """Child → parent: the search is gone."""

    def __init__(self, subscribed_id: uuid.UUID | None = None) -> None:
        self.subscribed_id = subscribed_id


class RouteFound:
    """Parent → subscriber's node: ``name`` matches the subscription; its publisher listens at
    ``listening_ipp`` (``encrypted``: connect with encryption). ``scope`` is the scope of the
    matching node."""

    def __init__(
        self,
        subscribed_id: uuid.UUID | None = None,
        name: str | None = None,
        scope: ScopeOfDirectory = _HOST,
        listening_ipp: HostPort | None = None,
        published_id: uuid.UUID | None = None,
        encrypted: bool = False,
    ) -> None:
        self.subscribed_id = subscribed_id
        self.name = name
        self.scope = scope
        self.listening_ipp = listening_ipp if listening_ipp is not None else HostPort()
        self.published_id = published_id
        self.encrypted = encrypted


class RouteLost:
    """Parent → subscriber's node: that match ended at the parent."""

    def __init__(
        self,
        subscribed_id: uuid.UUID | None = None,
        name: str | None = None,
        scope: ScopeOfDirectory = _HOST,
        published_id: uuid.UUID | None = None,
    ) -> None:
        self.subscribed_id = subscribed_id
        self.name = name
        self.scope = scope
        self.published_id = published_id


class PublicationRefused:
    """Parent → publisher's node: the name is held at the parent by another process."""

    def __init__(
        self,
        published_id: uuid.UUID | None = None,
        name: str | None = None,
        scope: ScopeOfDirectory = _HOST,
        note: str | None = None,
    ) -> None:
        self.published_id = published_id
        self.name = name
        self.scope = scope
        self.note = note


class OpenSession:
    """Subscriber's node → publisher's node: open a session for ``subscriber_address``."""

    def __init__(
        self,
        route_id: uuid.UUID | None = None,
        name: str | None = None,
        scope: ScopeOfDirectory = _HOST,
        subscribed_id: uuid.UUID | None = None,
        published_id: uuid.UUID | None = None,
        subscriber_address: tuple | None = None,
        opened_at: datetime.datetime | None = None,
    ) -> None:
        self.route_id = route_id
        self.name = name
        self.scope = scope
        self.subscribed_id = subscribed_id
        self.published_id = published_id
        self.subscriber_address = subscriber_address
        self.opened_at = opened_at


class SessionOpened:
    """Publisher's node → subscriber's node: open; messages go to ``publisher_address``."""

    def __init__(self, route_id: uuid.UUID | None = None, publisher_address: tuple | None = None):
        self.route_id = route_id
        self.publisher_address = publisher_address


class SessionRefused:
    """Publisher's node → subscriber's node: no such publication (any more)."""

    def __init__(self, route_id: uuid.UUID | None = None, note: str | None = None) -> None:
        self.route_id = route_id
        self.note = note


class EndSession:
    """Either node → the other: that session ended on this side."""

    def __init__(self, route_id: uuid.UUID | None = None) -> None:
        self.route_id = route_id


for _cls, _fields in (
    (ListPublication, {"publisher_address": Address()}),
    (ListSearch, {}),
    (UnlistPublication, {}),
    (UnlistSearch, {}),
    (RouteFound, {}),
    (RouteLost, {}),
    (PublicationRefused, {}),
    (OpenSession, {"subscriber_address": Address()}),
    (SessionOpened, {"publisher_address": Address()}),
    (SessionRefused, {}),
    (EndSession, {}),
):
    bind_library_message(_cls, _PREFIX + _cls.__name__, **_fields)
