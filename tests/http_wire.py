"""Raw HTTP/1.1 on a client socket: the bytes a test writes and the responses it reads back.

Shared by the HTTP front's tests (``tests/core/test_http.py``) and the attack tests
(``tests/security/``): both need the exact bytes on the wire (pipelining, malformed requests,
early closes, floods), which ``http.client`` hides. Everything goes to loopback.
"""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from contextlib import contextmanager

__all__ = ["LOOPBACK", "SOCKET_PATIENCE", "RawConnection", "Response", "get", "raw"]

LOOPBACK = "127.0.0.1"
#: How long a socket read may block; only reached when a test fails.
SOCKET_PATIENCE = 20.0


class Response:
    """One response: status, reason, header (names in lower case), body."""

    def __init__(self, status: int, reason: str, header: dict[str, str], body: bytes) -> None:
        self.status = status
        self.reason = reason
        self.header = header
        self.body = body

    def text(self) -> str:
        return self.body.decode()

    def value(self) -> list:
        """``[signature, data, pointers]`` of a JSON body."""
        assert self.header["content-type"] == "application/json", self.header
        return json.loads(self.body)["value"]


class RawConnection:
    """A client socket that reads responses one by one off a byte buffer."""

    def __init__(self, port: int, patience: float = SOCKET_PATIENCE) -> None:
        self.sock = socket.create_connection((LOOPBACK, port), timeout=patience)
        self.buffer = b""

    def send(self, data: bytes) -> None:
        self.sock.sendall(data)

    def _more(self) -> None:
        chunk = self.sock.recv(65536)
        if not chunk:
            raise EOFError(f"connection closed, {self.buffer!r} left")
        self.buffer += chunk

    def response(self) -> Response:
        while b"\r\n\r\n" not in self.buffer:
            self._more()
        head, _, self.buffer = self.buffer.partition(b"\r\n\r\n")
        first, *lines = head.decode("latin-1").split("\r\n")
        _, status, reason = first.split(" ", 2)
        header = {}
        for line in lines:
            name, _, value = line.partition(":")
            header[name.strip().lower()] = value.strip()
        length = int(header.get("content-length", "0"))
        while len(self.buffer) < length:
            self._more()
        body, self.buffer = self.buffer[:length], self.buffer[length:]
        return Response(int(status), reason, header, body)

    def closed_by_peer(self) -> bool:
        """True once the server has closed (end of input or a reset) within the patience."""
        try:
            while True:
                chunk = self.sock.recv(65536)
                if not chunk:
                    return True
                self.buffer += chunk
        except ConnectionResetError:
            return True
        except TimeoutError:
            return False

    def close(self) -> None:
        self.sock.close()


@contextmanager
def raw(port: int, patience: float = SOCKET_PATIENCE) -> Iterator[RawConnection]:
    c = RawConnection(port, patience)
    try:
        yield c
    finally:
        c.close()


def get(uri: str, *extra: str) -> bytes:
    """The bytes of a ``GET`` request with ``extra`` header lines."""
    lines = [f"GET {uri} HTTP/1.1", f"Host: {LOOPBACK}", *extra, "", ""]
    return "\r\n".join(lines).encode()
