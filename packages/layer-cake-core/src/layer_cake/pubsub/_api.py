"""The public API of publish/subscribe (pubsub §1, §2, §7); ``__all__`` joins ``layer_cake``'s.

Each call returns at once: it sends a request to the process's directory node (created on
first use) on behalf of ``self``, and the node answers ``self`` with a message.
"""

from __future__ import annotations

import ipaddress
import os
import socket

from ..net._hostport import HostPort
from ..runtime._dispatch import send_from
from ..runtime._messages import ScopeOfDirectory
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

#: The port of the HOST and LAN directories.
DIRECTORY_PORT = 54195
#: Where a standalone process finds host-cake unless told otherwise.
DIRECTORY_AT_HOST = HostPort("127.0.0.1", DIRECTORY_PORT)

_LAN_RANGES = (
    (ipaddress.IPv4Network("10.0.0.0/8"), "10.0.0.195"),
    (ipaddress.IPv4Network("172.16.0.0/12"), "172.16.0.195"),
    (ipaddress.IPv4Network("192.168.0.0/16"), "192.168.0.195"),
)
_UNROUTED_PROBE = ("192.0.2.123", DIRECTORY_PORT)  # TEST-NET-1: a route is chosen, nothing sent


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
    """Withdraw a subscription; its sessions get ``Dropped``, then ``self``
    ``SubscribedCleared``."""
    _request(
        self, ClearSubscription(subscribed.search, subscribed.scope, subscribed.subscribed_id, note)
    )


def _request(self: object, request: object) -> None:
    # From now on Agent.end tells the node when this object ends (see _node.object_ended).
    self._directory_listings = True  # type: ignore[attr-defined]
    send_from(self, request, node_address(), self.object_address)  # type: ignore[attr-defined]


# The standard LAN directory (§7) ------------------------------------------------------------------


def directory_at_lan(primary_ip: str | None = None) -> HostPort | None:
    """The standard LAN directory for this host, or None when it cannot be derived.

    The primary IPv4 address (``primary_ip``, else the source address the OS would use for a
    datagram to 192.0.2.123; nothing is sent) is replaced by its private range's base with
    last octet 195: ``10.*`` -> ``10.0.0.195``, ``172.16-31.*`` -> ``172.16.0.195``,
    ``192.168.*`` -> ``192.168.0.195``, port ``DIRECTORY_PORT``. Any other address
    (loopback, ``0.*``, ``169.254.*``, public) or none gives None.
    """
    if primary_ip is None:
        primary_ip = detect_primary_ip()
    if primary_ip is None:
        return None
    try:
        ip = ipaddress.IPv4Address(primary_ip)
    except ValueError:
        return None
    for network, base in _LAN_RANGES:
        if ip in network:
            return HostPort(base, DIRECTORY_PORT)
    return None


#: Environment variable that injects the primary IP (tests, demos, hosts whose routing table
#: does not say it): an IPv4 address, or ``none`` for "no primary IP" (no automatic LAN link).
PRIMARY_IP_VARIABLE = "LC_PRIMARY_IP"


def detect_primary_ip() -> str | None:
    """The source address the OS picks for an off-host IPv4 datagram, or None (sends nothing).

    ``LC_PRIMARY_IP`` in the environment is taken instead when set (``none`` or empty: None).
    """
    injected = os.environ.get(PRIMARY_IP_VARIABLE)
    if injected is not None:
        injected = injected.strip()
        return None if injected.lower() in ("", "none") else injected
    try:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            s.connect(_UNROUTED_PROBE)  # UDP connect only selects a route
            return s.getsockname()[0]
    except OSError:
        return None
