"""Where the directories are (pubsub §7): the standard ports and the standard LAN address.

Kept apart from the API and the node so that the node, the daemons and the tools take the
addresses from one place.
"""

from __future__ import annotations

import os

from ..net._hostport import HostPort

__all__ = [
    "DIRECTORY_PORT",
    "DIRECTORY_AT_HOST",
    "PRIMARY_IP_VARIABLE",
    "directory_at_lan",
    "detect_primary_ip",
]

#: The port of the HOST and LAN directories.
DIRECTORY_PORT = 54195
#: Where a standalone process finds host-cake unless told otherwise.
DIRECTORY_AT_HOST = HostPort("127.0.0.1", DIRECTORY_PORT)

# Private ranges and their directory's address (ipaddress and socket are imported by the
# functions: ``lc.create`` reads DIRECTORY_AT_HOST without loading them, issue 13).
_LAN_RANGES = (
    ("10.0.0.0/8", "10.0.0.195"),
    ("172.16.0.0/12", "172.16.0.195"),
    ("192.168.0.0/16", "192.168.0.195"),
)
_UNROUTED_PROBE = ("192.0.2.123", DIRECTORY_PORT)  # TEST-NET-1: a route is chosen, nothing sent


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
    import ipaddress

    try:
        ip = ipaddress.IPv4Address(primary_ip)
    except ValueError:
        return None
    for network, base in _LAN_RANGES:
        if ip in ipaddress.IPv4Network(network):
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
    import socket

    try:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            s.connect(_UNROUTED_PROBE)  # UDP connect only selects a route
            return s.getsockname()[0]
    except OSError:
        return None
