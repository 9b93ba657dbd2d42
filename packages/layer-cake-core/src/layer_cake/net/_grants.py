"""Capability grants of wire links (issue 10): which local addresses a peer may send to.

A frame from a peer may reach only an address this process exported over that very link:
one that went out on it inside a message or as a return address (``WireLink.address_out``
records it in ``WireLink.exported``), or one the directory granted with ``export_address``;
plus the controller, the node's own entry point (an empty ``to``). Object ids are small
integers, so knowing (or guessing) one must not be enough: the set, not the number, is the
capability. Messages registered with ``informational`` show addresses without granting them.
"""

from __future__ import annotations

from ..runtime._dispatch import TABLE

__all__ = [
    "INFORMATIONAL",
    "informational",
    "export_address",
    "withdraw_address",
    "exported_addresses",
]

#: Message class -> ``grants(message)``: its addresses inform rather than grant, but for
#: those ``grants`` returns (``informational``).
INFORMATIONAL: dict = {}


def _no_grants(message: object) -> tuple:
    return ()


def informational(cls: type, grants: object = None) -> None:
    """Addresses inside ``cls`` messages are sent without being exported over the link.

    For listings that show addresses (the directory's inspection answers): a peer that reads
    them learns the numbers but cannot send to them. The return address is still exported,
    and so is every address ``grants(message)`` returns (for a listing: the directory nodes a
    walk may ask next, but not the published objects).
    """
    INFORMATIONAL[cls] = grants if grants is not None else _no_grants


def export_address(proxy_address: tuple, address: tuple) -> bool:
    """Let the peer behind ``proxy_address`` send to ``address`` (any thread).

    Addresses sent over a link are exported automatically; this is for a grant made before
    (or without) sending one, e.g. the publisher objects a session was opened for. Returns
    False when there is no such live link.
    """
    exported = _exported_of(proxy_address)
    if exported is None:
        return False
    exported.add(tuple(address))
    return True


def withdraw_address(proxy_address: tuple, address: tuple) -> bool:
    """Take back an export (the session it was for ended); later frames to it are refused."""
    exported = _exported_of(proxy_address)
    if exported is None:
        return False
    exported.discard(tuple(address))
    return True


def exported_addresses(proxy_address: tuple) -> frozenset:
    """What the peer behind ``proxy_address`` may send to (empty when no such link)."""
    exported = _exported_of(proxy_address)
    return frozenset() if exported is None else frozenset(exported)


def _exported_of(proxy_address: tuple) -> set | None:
    """The export set of the live wire link behind ``proxy_address`` (None: no such link)."""
    proxy = TABLE.get(tuple(proxy_address[:1])) if proxy_address else None
    link = getattr(proxy, "link", None)
    if link is None or link.ended:
        return None
    exported = getattr(link, "exported", None)  # only wire links grant (HTTP links have none)
    return exported if isinstance(exported, set) else None
