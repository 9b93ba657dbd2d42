"""Sans-I/O encryption of one layer-cake link (spec: networking-and-http §4.4, §5).

No sockets here: the transport hands the peer's hello, the key-exchange payload and frame
payloads to a ``LinkCipher`` and writes what it returns. Framing stays in ``_frame``; this layer
only turns one frame payload into one NaCl box and back.

The handshake, on a link where both hellos say ``"enc": true``::

    each side sends:  hello(enc=True), then the key-exchange frame in clear (``start()``)
    each side reads:  the peer's hello (``receive_hello``), then its key frame (``receive_key``)
    from then on:     every frame payload is ``seal``-ed / ``open``-ed

The key-exchange payload is an ordinary control payload, ``pack_control(3, public_key)``, so a
peer that does not expect it can still parse it. With the 32-byte Curve25519 public key ``K``
it is exactly these 42 bytes::

    94                  msgpack array of 4
    c7 00 03            to:     ExtType(3, b"")  (empty address)
    c7 00 03            return: ExtType(3, b"")  (empty address)
    03                  kind 3: key exchange
    c4 20 K[0..31]      body:   bin 8, 32 bytes of public key

Each side makes a fresh key pair per link (``PrivateKey.generate()``), so both directions
share one ``Box`` key that dies with the connection. A sealed payload is the usual combined
NaCl form, ``nonce (24) + MAC (16) + ciphertext``: 40 bytes more than the plaintext (the
peer's ``max`` applies to the sealed size). The nonce is not random but a counter, which makes
it unique by construction and lets ``open`` refuse replayed, dropped or reordered frames::

    nonce = direction (1 byte: 0 or 1) + 15 zero bytes + frame counter (uint64, big endian)

``direction`` is 0 for the side whose public key sorts lower, 1 for the other, so the two
senders never use the same nonce under the shared key. A peer echoing our own public key
back is refused (``MalformedKeyExchange``).

Mismatch is detected at once: the hello is the first thing on the stream (``_frame``
guarantees it), so ``receive_hello`` raises ``EncryptionMismatch`` as soon as the peer's
hello arrives, one round trip after connecting, well inside the 5 s the spec allows. It needs
no timer.

Outbound payloads before the exchange completes (``ready`` is False) are the transport's to
hold: ``seal`` refuses them with ``KeyExchangeIncomplete`` rather than queueing them here,
because the transport must still apply its own size check and flow control when it sends.

The exchange is unauthenticated (as the spec says, keys travel in clear): it stops passive
eavesdropping and tampering, not an active man in the middle.

Errors are split by side as in h11: ``RemoteCryptoError`` (the peer's hello, key or frame is
wrong; the link should close) and ``LocalCryptoError`` (we called out of order).
"""

from __future__ import annotations

from struct import Struct

from nacl.exceptions import CryptoError as _NaClError
from nacl.public import Box, PrivateKey, PublicKey

from ..types._errors import CodecRuntimeError
from ..types._wire import KIND_KEY_EXCHANGE, pack_control, unpack_payload
from ._frame import PeerHello

__all__ = [
    "SEAL_OVERHEAD",
    "CryptoError",
    "DecryptionFailed",
    "EncryptionMismatch",
    "KeyExchangeIncomplete",
    "LinkCipher",
    "LocalCryptoError",
    "MalformedKeyExchange",
    "RemoteCryptoError",
]

_NONCE_SIZE = Box.NONCE_SIZE  # 24
_MAC_SIZE = 16
_KEY_SIZE = PublicKey.SIZE  # 32
#: Bytes a sealed payload adds to the plaintext (nonce + MAC).
SEAL_OVERHEAD = _NONCE_SIZE + _MAC_SIZE
_COUNTER = Struct(">Q")
_COUNTER_LIMIT = 1 << 64
_PAD = bytes(_NONCE_SIZE - 1 - _COUNTER.size)

# States of one link's exchange.
_CLEAR = 0  # encrypted=False: identity, always ready
_WAITING = 1  # encrypted=True, peer's key not yet received
_READY = 2  # encrypted=True, box established


class CryptoError(Exception):
    """Any failure of the link encryption layer."""


class LocalCryptoError(CryptoError):
    """We used the cipher out of order (a bug in the caller, not the peer)."""


class RemoteCryptoError(CryptoError):
    """The peer's hello, key exchange or a sealed frame is wrong; the link should close."""


class EncryptionMismatch(RemoteCryptoError):
    """One end asked for an encrypted link and the other did not."""

    def __init__(self, message: str = "encryption mismatch") -> None:
        super().__init__(message)


class MalformedKeyExchange(RemoteCryptoError):
    """The first frame after an encrypted hello is not a valid key-exchange payload."""


class DecryptionFailed(RemoteCryptoError):
    """A sealed payload is garbage, tampered with, replayed or out of order."""


class KeyExchangeIncomplete(LocalCryptoError):
    """``seal``/``open`` before the peer's key arrived (the transport should have held it)."""


class LinkCipher:
    """The encryption state of one connection.

    Args:
        encrypted: whether this side asks for an encrypted link (the ``enc`` of our hello).
    """

    __slots__ = (
        "_box",
        "_hello",
        "_key",
        "_open_prefix",
        "_opened",
        "_seal_prefix",
        "_sealed",
        "_state",
        "encrypted",
    )

    def __init__(self, encrypted: bool) -> None:
        self.encrypted = bool(encrypted)
        self._state = _WAITING if self.encrypted else _CLEAR
        self._key = PrivateKey.generate() if self.encrypted else None
        self._hello: PeerHello | None = None
        self._box: Box | None = None
        self._seal_prefix = b""
        self._open_prefix = b""
        self._sealed = 0  # frames sealed so far (our next nonce counter)
        self._opened = 0  # frames opened so far (the peer's next nonce counter)

    @property
    def ready(self) -> bool:
        """True once payloads can be sealed: at once when not encrypted, else after the keys."""
        return self._state != _WAITING

    @property
    def public_key(self) -> bytes | None:
        """Our 32-byte Curve25519 public key (None when not encrypted)."""
        return None if self._key is None else bytes(self._key.public_key)

    def start(self) -> bytes | None:
        """Return the key-exchange payload to frame and send in clear right after our hello.

        Returns:
            ``pack_control(3, public_key)`` (42 bytes), or None when not encrypted.
        """
        if self._key is None:
            return None
        return pack_control(KIND_KEY_EXCHANGE, bytes(self._key.public_key))

    def receive_hello(self, peer: PeerHello) -> None:
        """Check the peer's hello (the first event of its stream) against our setting.

        Raises:
            EncryptionMismatch: ``peer.encrypted`` differs from ours.
        """
        if peer.encrypted != self.encrypted:
            raise EncryptionMismatch
        self._hello = peer

    def receive_key(self, payload: bytes) -> None:
        """Complete the exchange with the peer's key-exchange frame payload (as received).

        Raises:
            LocalCryptoError: not encrypted, already ready, or called before ``receive_hello``.
            MalformedKeyExchange: the payload is not ``pack_control(3, <32 bytes>)``, or it
                carries our own public key.
        """
        if self._state != _WAITING or self._key is None:
            raise LocalCryptoError("no key exchange expected on this link")
        if self._hello is None:
            raise LocalCryptoError("key exchange before the peer's hello")
        try:
            _to, _back, kind, body = unpack_payload(bytes(payload))
        except CodecRuntimeError as e:
            raise MalformedKeyExchange(f"malformed key exchange ({e})") from None
        if kind != KIND_KEY_EXCHANGE:
            raise MalformedKeyExchange(f"expected a key exchange, got a frame of kind {kind}")
        if type(body) is not bytes or len(body) != _KEY_SIZE:
            raise MalformedKeyExchange("key exchange does not carry a 32-byte public key")
        ours = bytes(self._key.public_key)
        if body == ours:
            raise MalformedKeyExchange("key exchange echoes our own public key")
        self._box = Box(self._key, PublicKey(body))
        low = ours < body
        self._seal_prefix = (b"\x00" if low else b"\x01") + _PAD
        self._open_prefix = (b"\x01" if low else b"\x00") + _PAD
        self._state = _READY

    def seal(self, payload: bytes) -> bytes:
        """Return ``payload`` as one NaCl box (``payload`` itself when not encrypted).

        Raises:
            KeyExchangeIncomplete: encrypted and not ``ready`` (hold the payload until it is).
        """
        state = self._state
        if state == _CLEAR:
            return payload
        if state != _READY:
            raise KeyExchangeIncomplete("cannot seal before the key exchange completes")
        count = self._sealed
        if count >= _COUNTER_LIMIT:  # pragma: no cover - 2**64 frames
            raise LocalCryptoError("nonce counter exhausted")
        self._sealed = count + 1
        if type(payload) is not bytes:
            payload = bytes(payload)
        return self._box.encrypt(payload, self._seal_prefix + _COUNTER.pack(count))  # type: ignore[union-attr]

    def open(self, sealed: bytes) -> bytes:
        """Return the plaintext of one sealed payload (``sealed`` itself when not encrypted).

        Raises:
            DecryptionFailed: too short, tampered with, not from the peer, replayed or
                reordered (its nonce is not the next one expected).
            KeyExchangeIncomplete: encrypted and not ``ready``.
        """
        state = self._state
        if state == _CLEAR:
            return sealed
        if state != _READY:
            raise KeyExchangeIncomplete("cannot open before the key exchange completes")
        if len(sealed) < SEAL_OVERHEAD:
            raise DecryptionFailed(f"sealed frame of {len(sealed)} bytes is too short")
        if type(sealed) is not bytes:
            sealed = bytes(sealed)
        nonce = sealed[:_NONCE_SIZE]
        if nonce != self._open_prefix + _COUNTER.pack(self._opened):
            raise DecryptionFailed("sealed frame has an unexpected nonce (replayed or reordered)")
        try:
            plain = self._box.decrypt(sealed[_NONCE_SIZE:], nonce)  # type: ignore[union-attr]
        except _NaClError:
            raise DecryptionFailed("sealed frame failed authentication") from None
        self._opened += 1
        return plain
