"""Network addresses as messages (``HostPort``, ``LocalPort``) and small helpers on them."""

from __future__ import annotations

import enum
import re

from ..runtime._messages import library_enum
from ..types._argument import argument_form
from ..types._registry import bind_library_message

__all__ = [
    "HostPort",
    "LocalPort",
    "LOCAL_HOST",
    "ScopeOfHost",
    "equal_ipp",
    "ipp_copy",
    "local_private_other",
    "loopback",
]

#: The loopback host.
LOCAL_HOST = "127.0.0.1"


class HostPort:
    """An IP host and port; ``str()`` gives ``host:port`` or ``(not set)``."""

    def __init__(self, host: str | None = None, port: int | None = None) -> None:
        self.host = host
        self.port = port

    def __str__(self) -> str:
        if self.host is None or self.port is None:
            return "(not set)"
        return f"{self.host}:{self.port}"

    def __repr__(self) -> str:
        return f"HostPort({self.host!r}, {self.port!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, HostPort) and (other.host, other.port) == (self.host, self.port)

    def __hash__(self) -> int:
        return hash((self.host, self.port))

    def copy(self) -> HostPort:
        """An equal address of the same class that shares nothing with this one (a message
        sent without the send-side copy must not share state with its sender)."""
        c = object.__new__(type(self))
        c.host, c.port = self.host, self.port
        return c

    def inet(self) -> tuple[str | None, int | None]:
        """``(host, port)`` for the socket API."""
        return (self.host, self.port)


class LocalPort(HostPort):
    """A port on the loopback interface (host ``127.0.0.1``)."""

    def __init__(self, port: int | None = None) -> None:
        HostPort.__init__(self, "127.0.0.1", port)


_HOST_PORT = re.compile(r"(?P<host>\[[0-9A-Fa-f:.]+\]|[^\s:\[\]{}\"]+):(?P<port>[0-9]{1,5})")


def _host_port_text(text: str) -> HostPort | None:
    """``host:port`` (``[::1]:port`` for IPv6) as a ``HostPort``; None for anything else."""
    match = _HOST_PORT.fullmatch(text.strip())
    if match is None:
        return None
    port = int(match["port"])
    if not 0 < port < 65536:
        raise ValueError(f"port {port} out of range")
    return HostPort(match["host"].strip("[]"), port)


bind_library_message(HostPort, "layer_cake.ip_networking.HostPort")
argument_form(HostPort, _host_port_text, '{"host": ..., "port": ...} or host:port')
bind_library_message(LocalPort, "layer_cake.ip_networking.LocalPort", host=str, port=int)


class ScopeOfHost(enum.Enum):
    """Where an IP address lies, seen from this host."""

    LOCAL = 1
    PRIVATE = 2
    OTHER = 3


library_enum(ScopeOfHost, "layer_cake.ip_networking.ScopeOfHost")

_PRIVATE_172_LOW = 16
_PRIVATE_172_HIGH = 31


def equal_ipp(lhs: HostPort, rhs: HostPort) -> bool:
    """Same host and same port."""
    return lhs.host == rhs.host and lhs.port == rhs.port


def ipp_copy(ipp: HostPort | None) -> HostPort | None:
    """``ipp.copy()``, or None for None: for messages built to be sent without the send-side
    copy (``send_from(owned=True)``), which must not share an address object kept elsewhere."""
    return None if ipp is None else ipp.copy()


def loopback(ipp: HostPort) -> bool:
    """A link to this host: no keep-alive, the kernel reports a peer's end (pubsub §6, §7)."""
    host = ipp.host or ""
    return host.startswith("127.") or host in ("localhost", "::1")


def local_private_other(ip: str | None) -> ScopeOfHost:
    """``LOCAL`` for ``127.*``, ``PRIVATE`` for ``10.*``, ``192.168.*`` and ``172.16-31.*``,
    ``OTHER`` for anything else (other addresses, ``0.0.0.0``, names, None)."""
    if not isinstance(ip, str):
        return ScopeOfHost.OTHER
    parts = ip.split(".")
    if len(parts) != 4 or not all(p.isdigit() for p in parts):
        return ScopeOfHost.OTHER
    a, b = int(parts[0]), int(parts[1])
    if a == 127:
        return ScopeOfHost.LOCAL
    if (
        a == 10
        or (a == 192 and b == 168)
        or (a == 172 and _PRIVATE_172_LOW <= b <= _PRIVATE_172_HIGH)
    ):
        return ScopeOfHost.PRIVATE
    return ScopeOfHost.OTHER
