"""The public API of publish/subscribe (pubsub §1, §2, §7); ``__all__`` joins ``layer_cake``'s.

Each call returns at once: it sends a request to the process's directory node (created on
first use) on behalf of ``self``, and the node answers ``self`` with a message.
"""

from __future__ import annotations

from ..runtime._dispatch import send_from
from ..runtime._messages import ScopeOfDirectory
from ..runtime._object import report_end
from ._addresses import DIRECTORY_AT_HOST, DIRECTORY_PORT, directory_at_lan
from ._messages import (
    Available,
    ClearPublication,
    ClearSubscription,
    Delivered,
    Dropped,
    NotPublished,
    NotSubscribed,
    PublishAsName,
    Published,
    PublishedCleared,
    Subscribed,
    SubscribedCleared,
    SubscribeToName,
)
from ._node import node_address

__all__ = [
    "publish",
    "subscribe",
    "clear_published",
    "clear_subscribed",
    "Published",
    "NotPublished",
    "Subscribed",
    "NotSubscribed",
    "Available",
    "Delivered",
    "Dropped",
    "PublishedCleared",
    "SubscribedCleared",
    "DIRECTORY_PORT",
    "DIRECTORY_AT_HOST",
    "directory_at_lan",
]

# Listings -----------------------------------------------------------------------------------------


def publish(
    self: object,
    name: str,
    scope: ScopeOfDirectory = ScopeOfDirectory.HOST,
    encrypted: bool = False,
) -> None:
    """List ``self`` under ``name``; answered by ``Published`` or ``NotPublished``.

    Subscribers whose search matches ``name`` then open sessions: ``self`` gets a
    ``Delivered`` for each, and ``Dropped`` when one ends.

    Args:
        self: the publishing object.
        name: any string; by convention colon-separated fields, most general first.
        scope: how far the name reaches (default HOST).
        encrypted: every session to this publication is encrypted.

    Raises:
        TypeError: ``name`` is not a string.
        ValueError: ``scope`` is not a ``ScopeOfDirectory``.
    """
    if not isinstance(name, str):
        raise TypeError(f"publish name must be a str, not {type(name).__name__}")
    request = PublishAsName(name, ScopeOfDirectory(scope), bool(encrypted))
    _request(self, request)


def subscribe(self: object, search: str, scope: ScopeOfDirectory = ScopeOfDirectory.HOST) -> None:
    """Register ``search`` for ``self``; answered by ``Subscribed`` or ``NotSubscribed``.

    ``search`` is a regular expression matched against whole names (``re.fullmatch``); each
    matching name, now or later, gives ``self`` an ``Available`` (and ``Dropped`` when the
    session ends).

    Raises:
        TypeError: ``search`` is not a string.
        ValueError: ``scope`` is not a ``ScopeOfDirectory``.
    """
    if not isinstance(search, str):
        raise TypeError(f"subscribe search must be a str, not {type(search).__name__}")
    _request(self, SubscribeToName(search, ScopeOfDirectory(scope)))


def clear_published(self: object, published: Published, note: str | None = None) -> None:
    """Withdraw a publication; its sessions get ``Dropped``, then ``self`` ``PublishedCleared``."""
    _request(self, ClearPublication(published.name, published.scope, published.published_id, note))


def clear_subscribed(self: object, subscribed: Subscribed, note: str | None = None) -> None:
    """Withdraw a subscription; ``self`` gets ``SubscribedCleared`` (no ``Dropped`` for the
    sessions it ends: compat §2.10), each publisher ``Dropped``."""
    _request(
        self, ClearSubscription(subscribed.search, subscribed.scope, subscribed.subscribed_id, note)
    )


def _request(self: object, request: object) -> None:
    report_end(self)  # from now on its end reaches the node (_node.object_ended, an end hook)
    send_from(self, request, node_address(), self.object_address)  # type: ignore[attr-defined]
