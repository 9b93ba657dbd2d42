"""Network addresses as messages: ``HostPort`` and ``LocalPort``."""

from __future__ import annotations

from ..types._registry import bind_library_message

__all__ = ["HostPort", "LocalPort"]


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

    def inet(self) -> tuple[str | None, int | None]:
        """``(host, port)`` for the socket API."""
        return (self.host, self.port)


class LocalPort(HostPort):
    """A port on the loopback interface (host ``127.0.0.1``)."""

    def __init__(self, port: int | None = None) -> None:
        HostPort.__init__(self, "127.0.0.1", port)


bind_library_message(HostPort, "layer_cake.ip_networking.HostPort")
bind_library_message(LocalPort, "layer_cake.ip_networking.LocalPort", host=str, port=int)
