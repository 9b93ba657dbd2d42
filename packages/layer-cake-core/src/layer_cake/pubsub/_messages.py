"""Messages of publish/subscribe (pubsub §2), under ``layer_cake.object_directory.<Name>``.

The public ones answer ``lc.publish``/``lc.subscribe``/``lc.clear_*`` and report sessions;
the requests (``PublishAsName`` ...) travel from the API to the process's directory node and
are not public. ``scope`` in a session message is the scope of the node that made the match.
"""

from __future__ import annotations

import datetime
import uuid

from ..net._hostport import HostPort
from ..runtime._messages import Faulted, ScopeOfDirectory
from ..types._portable import Address
from ..types._registry import bind_library_message

__all__ = [
    "Published",
    "NotPublished",
    "Subscribed",
    "NotSubscribed",
    "Available",
    "Delivered",
    "Dropped",
    "PublishedCleared",
    "SubscribedCleared",
    "PublishAsName",
    "SubscribeToName",
    "ClearPublication",
    "ClearSubscription",
    "ListingOwnerEnded",
    "PublishAs",
    "SubscribeTo",
    "ClearPublished",
    "ClearSubscribed",
    "ConnectTo",
    "AcceptAt",
    "ALREADY_PUBLISHED",
    "ALREADY_SUBSCRIBED",
    "BAD_SEARCH",
]

_PREFIX = "layer_cake.object_directory."

#: Notes of refusals (pubsub §2, §5).
ALREADY_PUBLISHED = "already published"
ALREADY_SUBSCRIBED = "already subscribed"
BAD_SEARCH = "duplicates/search expression"

_HOST = ScopeOfDirectory.HOST


# Answers to the publisher and subscriber ----------------------------------------------------------


class Published:
    """The name is listed (for scopes wider than PROCESS: once its session listener is up).

    ``home_address`` is the publishing object; ``listening_ipp`` is not set while the
    publication is served in-process only.
    """

    def __init__(
        self,
        name: str | None = None,
        scope: ScopeOfDirectory = _HOST,
        encrypted: bool = False,
        published_id: uuid.UUID | None = None,
        listening_ipp: HostPort | None = None,
        home_address: tuple | None = None,
    ) -> None:
        self.name = name
        self.scope = scope
        self.encrypted = encrypted
        self.published_id = published_id
        self.listening_ipp = listening_ipp if listening_ipp is not None else HostPort()
        self.home_address = home_address


class NotPublished(Faulted):
    """The name could not be listed; ``note`` says why (``already published``...)."""

    def __init__(
        self, name: str | None = None, scope: ScopeOfDirectory = _HOST, note: str | None = None
    ) -> None:
        Faulted.__init__(self, f'cannot publish as "{name}"', note)
        self.name = name
        self.scope = scope
        self.note = note


class Subscribed:
    """The search is registered (``home_address`` is the subscribing object)."""

    def __init__(
        self,
        search: str | None = None,
        scope: ScopeOfDirectory = _HOST,
        subscribed_id: uuid.UUID | None = None,
        home_address: tuple | None = None,
    ) -> None:
        self.search = search
        self.scope = scope
        self.subscribed_id = subscribed_id
        self.home_address = home_address


class NotSubscribed(Faulted):
    """The search could not be registered; ``note`` says why."""

    def __init__(
        self, search: str | None = None, scope: ScopeOfDirectory = _HOST, note: str | None = None
    ) -> None:
        Faulted.__init__(self, f'cannot subscribe to "{search}"', note)
        self.search = search
        self.scope = scope
        self.note = note


class _Session:
    """Fields shared by the session messages."""

    def __init__(
        self,
        name: str | None = None,
        scope: ScopeOfDirectory = ScopeOfDirectory.PROCESS,
        route_id: uuid.UUID | None = None,
        subscribed_id: uuid.UUID | None = None,
        published_id: uuid.UUID | None = None,
        opened_at: datetime.datetime | None = None,
    ) -> None:
        self.name = name
        self.scope = scope
        self.route_id = route_id
        self.subscribed_id = subscribed_id
        self.published_id = published_id
        self.opened_at = opened_at


class Available(_Session):
    """To the subscriber: a session to ``name`` is open; ``return_address == publisher_address``."""

    def __init__(
        self,
        name: str | None = None,
        scope: ScopeOfDirectory = ScopeOfDirectory.PROCESS,
        route_id: uuid.UUID | None = None,
        subscribed_id: uuid.UUID | None = None,
        published_id: uuid.UUID | None = None,
        publisher_address: tuple | None = None,
        opened_at: datetime.datetime | None = None,
    ) -> None:
        _Session.__init__(self, name, scope, route_id, subscribed_id, published_id, opened_at)
        self.publisher_address = publisher_address


class Delivered(_Session):
    """To the publisher: a subscriber session is open; ``return_address == subscriber_address``."""

    def __init__(
        self,
        name: str | None = None,
        scope: ScopeOfDirectory = ScopeOfDirectory.PROCESS,
        route_id: uuid.UUID | None = None,
        subscribed_id: uuid.UUID | None = None,
        published_id: uuid.UUID | None = None,
        subscriber_address: tuple | None = None,
        opened_at: datetime.datetime | None = None,
    ) -> None:
        _Session.__init__(self, name, scope, route_id, subscribed_id, published_id, opened_at)
        self.subscriber_address = subscriber_address


class Dropped(_Session):
    """To both sides: that session ended; ``remote_address`` is the other side."""

    def __init__(
        self,
        name: str | None = None,
        scope: ScopeOfDirectory = ScopeOfDirectory.PROCESS,
        route_id: uuid.UUID | None = None,
        subscribed_id: uuid.UUID | None = None,
        published_id: uuid.UUID | None = None,
        remote_address: tuple | None = None,
        opened_at: datetime.datetime | None = None,
    ) -> None:
        _Session.__init__(self, name, scope, route_id, subscribed_id, published_id, opened_at)
        self.remote_address = remote_address


class PublishedCleared:
    """Confirms ``clear_published``."""

    def __init__(
        self,
        name: str | None = None,
        scope: ScopeOfDirectory = _HOST,
        published_id: uuid.UUID | None = None,
        note: str | None = None,
    ) -> None:
        self.name = name
        self.scope = scope
        self.published_id = published_id
        self.note = note


class SubscribedCleared:
    """Confirms ``clear_subscribed``."""

    def __init__(
        self,
        search: str | None = None,
        scope: ScopeOfDirectory = _HOST,
        subscribed_id: uuid.UUID | None = None,
        note: str | None = None,
    ) -> None:
        self.search = search
        self.scope = scope
        self.subscribed_id = subscribed_id
        self.note = note


# Requests to the directory node (the requester is the return address) -----------------------------


class PublishAsName:
    """``lc.publish``: list ``name`` for the requesting object."""

    def __init__(
        self, name: str | None = None, scope: ScopeOfDirectory = _HOST, encrypted: bool = False
    ) -> None:
        self.name = name
        self.scope = scope
        self.encrypted = encrypted


class SubscribeToName:
    """``lc.subscribe``: register ``search`` for the requesting object."""

    def __init__(self, search: str | None = None, scope: ScopeOfDirectory = _HOST) -> None:
        self.search = search
        self.scope = scope


class ClearPublication:
    """``lc.clear_published``."""

    def __init__(
        self,
        name: str | None = None,
        scope: ScopeOfDirectory = _HOST,
        published_id: uuid.UUID | None = None,
        note: str | None = None,
    ) -> None:
        self.name = name
        self.scope = scope
        self.published_id = published_id
        self.note = note


class ClearSubscription:
    """``lc.clear_subscribed``."""

    def __init__(
        self,
        search: str | None = None,
        scope: ScopeOfDirectory = _HOST,
        subscribed_id: uuid.UUID | None = None,
        note: str | None = None,
    ) -> None:
        self.search = search
        self.scope = scope
        self.subscribed_id = subscribed_id
        self.note = note


# The same requests as layer-cake 0.1 named them (compat §3.8), for code that sends them to
# ``PD.directory`` itself: the return address is the requester, and ``publisher_address`` /
# ``subscriber_address`` name the object listed (default: the requester).


class PublishAs:
    """What ``lc.publish`` does, as a message."""

    def __init__(
        self,
        name: str | None = None,
        scope: ScopeOfDirectory | None = None,
        publisher_address: tuple | None = None,
        encrypted: bool | None = None,
    ) -> None:
        self.name = name
        self.scope = scope
        self.publisher_address = publisher_address
        self.encrypted = encrypted


class SubscribeTo:
    """What ``lc.subscribe`` does, as a message."""

    def __init__(
        self,
        search: str | None = None,
        scope: ScopeOfDirectory | None = None,
        subscriber_address: tuple | None = None,
    ) -> None:
        self.search = search
        self.scope = scope
        self.subscriber_address = subscriber_address


class ClearPublished(ClearPublication):
    """What ``lc.clear_published`` does, as a message."""


class ClearSubscribed(ClearSubscription):
    """What ``lc.clear_subscribed`` does, as a message."""


class ConnectTo:
    """Make ``ipp`` the node's parent (an empty ``HostPort()``: none)."""

    def __init__(self, ipp: HostPort | None = None) -> None:
        self.ipp = ipp if ipp is not None else HostPort()


class AcceptAt:
    """Listen for child nodes at ``ipp`` (as a daemon does); answered like ``listen``."""

    def __init__(self, ipp: HostPort | None = None) -> None:
        self.ipp = ipp if ipp is not None else HostPort()


class ListingOwnerEnded:
    """From ``Agent.end`` (via ``object_ended``): an object that had listings is gone."""

    def __init__(self, address: tuple | None = None) -> None:
        self.address = address


for _cls, _fields in (
    (Published, {"home_address": Address()}),
    (NotPublished, {}),
    (Subscribed, {"home_address": Address()}),
    (NotSubscribed, {}),
    (Available, {"publisher_address": Address()}),
    (Delivered, {"subscriber_address": Address()}),
    (Dropped, {"remote_address": Address()}),
    (PublishedCleared, {}),
    (SubscribedCleared, {}),
    (PublishAsName, {}),
    (SubscribeToName, {}),
    (ClearPublication, {}),
    (ClearSubscription, {}),
    (ListingOwnerEnded, {"address": Address()}),
    (PublishAs, {"publisher_address": Address()}),
    (SubscribeTo, {"subscriber_address": Address()}),
    (ClearPublished, {}),
    (ClearSubscribed, {}),
    (ConnectTo, {}),
    (AcceptAt, {}),
):
    bind_library_message(_cls, _PREFIX + _cls.__name__, **_fields)
