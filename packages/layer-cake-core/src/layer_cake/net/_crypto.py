"""Sans-I/O authenticated encryption of one layer-cake link (spec: networking-and-http §4.4, §5).

No sockets here: the transport hands the peer's hello, the handshake payloads and frame
payloads to a ``LinkCipher`` and writes what it returns. Framing stays in ``_frame``; the
handshake itself is ``_noise`` (``Noise_NNpsk0_25519_ChaChaPoly_BLAKE2b``, docs/security.md).

The handshake, on a link where both hellos say ``"enc": true``, the connecting side being the
Noise initiator::

    initiator:  hello(enc=True), then msg1 = pack_control(3, Noise "-> psk, e" + payload)
    responder:  hello(enc=True); on msg1, msg2 = pack_control(3, Noise "<- e, ee" + payload)
    from then:  every frame payload is sealed with the cipher state of its direction

Both Noise messages carry, encrypted, the hello their sender wrote; each side checks it against
the hello it received, so a relay that alters a hello (its ``max``) is caught as well.

The site key (``_site_key``) is the Noise pre-shared key, mixed in before anything else: a
responder opens msg1 only if the initiator holds the key, an initiator opens msg2 only if the
responder holds it and saw our ephemeral key. So a peer without the key, or a relay in the middle
that runs its own exchange with each side, is refused by the first handshake message it sends,
within one round trip. A responder refusing msg1 answers ``pack_control(3, 0)`` (in clear, with
no detail) so the initiator can name the reason; the answer proves nothing and only ends a link
that was not yet up. During a key rollover a side holds several keys: it opens links with the
first, and as responder tries each on msg1 (cheap: msg1 needs no Diffie-Hellman to check, so a
keyless one fails its tag before the responder makes a key pair or computes ``ee``).

A sealed payload is the IETF ChaCha20-Poly1305 ciphertext with its 16-byte tag; the nonce is the
Noise counter, implicit, so a replayed, dropped or reordered frame fails to open. The peer's
``max`` applies to the sealed size.

Mismatch is detected at once: the hello is the first thing on the stream (``_frame``
guarantees it), so ``receive_hello`` raises ``EncryptionMismatch`` as soon as the peer's
hello arrives, one round trip after connecting, well inside the 5 s the spec allows.

Outbound payloads before the handshake completes (``ready`` is False) are the transport's to
hold: ``seal`` refuses them with ``KeyExchangeIncomplete``.

Errors are split by side as in h11: ``RemoteCryptoError`` (the peer's hello, handshake or a
frame is wrong; the link should close) and ``LocalCryptoError`` (we called out of order).
"""

from __future__ import annotations

from struct import Struct

from ..types._errors import CodecRuntimeError
from ..types._wire import KIND_KEY_EXCHANGE, pack_control, unpack_payload
from ._frame import FrameDecoder, PeerHello, RemoteFrameError
from ._noise import MAX_NONCE, TAG_SIZE, HandshakeState, NoiseError
from ._site_key import site_keys

__all__ = [
    "PROLOGUE",
    "SEAL_OVERHEAD",
    "AuthenticationFailed",
    "CryptoError",
    "DecryptionFailed",
    "EncryptionMismatch",
    "HandshakeRefused",
    "KeyExchangeIncomplete",
    "LinkCipher",
    "LocalCryptoError",
    "MalformedKeyExchange",
    "RemoteCryptoError",
]

#: Bytes a sealed payload adds to the plaintext (the Poly1305 tag).
SEAL_OVERHEAD = TAG_SIZE
#: Mixed into every handshake (Noise §6): both sides must speak this protocol.
PROLOGUE = b"layer-cake link 1"
_NONCE = Struct("<4xQ")  # Noise ChaChaPoly nonce: 4 zero bytes + counter, little endian
_REFUSED = 0  # the body of a responder's refusal, pack_control(3, 0)

# The frame hot path calls the libsodium AEAD that ``nacl.bindings`` wraps straight through
# PyNaCl's cffi handle: the same function on the same arguments, without the wrapper's
# per-call checks (half the cost of a small frame). ``_noise`` and the tests use the wrapper;
# ``test_link_cipher`` checks both give the same bytes. PyNaCl is loaded by the first seal or
# open (issue 13: a process whose links are all clear never loads it); ``_seal``/``_open``
# are then rebound to the direct calls.


def _load_sodium() -> None:
    global _seal, _open
    try:
        from nacl._sodium import ffi, lib

        encrypt = lib.crypto_aead_chacha20poly1305_ietf_encrypt
        decrypt = lib.crypto_aead_chacha20poly1305_ietf_decrypt
    except (ImportError, AttributeError):  # pragma: no cover - another PyNaCl layout
        from nacl.bindings import crypto_aead_chacha20poly1305_ietf_decrypt as aead_decrypt
        from nacl.bindings import crypto_aead_chacha20poly1305_ietf_encrypt as aead_encrypt
        from nacl.exceptions import CryptoError as nacl_error

        def seal_wrapped(payload: bytes, nonce: bytes, key: bytes) -> bytes:
            return aead_encrypt(payload, None, nonce, key)

        def open_wrapped(sealed: bytes, nonce: bytes, key: bytes) -> bytes | None:
            try:
                return aead_decrypt(sealed, None, nonce, key)
            except nacl_error:
                return None

        _seal, _open = seal_wrapped, open_wrapped
        return

    new, null, buffer = ffi.new, ffi.NULL, ffi.buffer

    def seal_direct(payload: bytes, nonce: bytes, key: bytes) -> bytes:
        size = len(payload) + TAG_SIZE
        out = new("unsigned char[]", size)
        encrypt(out, null, payload, len(payload), null, 0, null, nonce, key)
        return buffer(out, size)[:]

    def open_direct(sealed: bytes, nonce: bytes, key: bytes) -> bytes | None:
        size = len(sealed) - TAG_SIZE
        out = new("unsigned char[]", size or 1)
        if decrypt(out, null, null, sealed, len(sealed), null, 0, nonce, key):
            return None
        return buffer(out, size)[:]

    _seal, _open = seal_direct, open_direct


def _seal(payload: bytes, nonce: bytes, key: bytes) -> bytes:
    """``payload`` sealed with ``key`` at ``nonce`` (its tag appended)."""
    _load_sodium()
    return _seal(payload, nonce, key)


def _open(sealed: bytes, nonce: bytes, key: bytes) -> bytes | None:
    """The plaintext, or None when ``sealed`` does not authenticate."""
    _load_sodium()
    return _open(sealed, nonce, key)


# States of one link's exchange.
_CLEAR = 0  # encrypted=False: identity, always ready
_WAITING = 1  # encrypted=True, handshake not complete
_READY = 2  # encrypted=True, transport keys established


class CryptoError(Exception):
    """Any failure of the link encryption layer."""


class LocalCryptoError(CryptoError):
    """We used the cipher out of order (a bug in the caller, not the peer)."""


class RemoteCryptoError(CryptoError):
    """The peer's hello, handshake or a sealed frame is wrong; the link should close.

    ``reply``: a payload to send the peer before closing (a refusal), or None.
    """

    reply: bytes | None = None


class EncryptionMismatch(RemoteCryptoError):
    """One end asked for an encrypted link and the other did not."""

    def __init__(self, message: str = "encryption mismatch") -> None:
        super().__init__(message)


class MalformedKeyExchange(RemoteCryptoError):
    """The first frame after an encrypted hello is not a valid handshake payload."""


class AuthenticationFailed(RemoteCryptoError):
    """The peer's handshake message does not authenticate: no or another site key, a relay in
    the middle, or a hello altered in transit."""


class HandshakeRefused(RemoteCryptoError):
    """The responder refused our handshake (it could not authenticate us)."""


class DecryptionFailed(RemoteCryptoError):
    """A sealed payload is garbage, tampered with, replayed or out of order."""


class KeyExchangeIncomplete(LocalCryptoError):
    """``seal``/``open`` before the handshake completed (the transport should have held it)."""


def _refused(text: str) -> AuthenticationFailed:
    error = AuthenticationFailed(text)
    error.reply = pack_control(KIND_KEY_EXCHANGE, _REFUSED)
    return error


class LinkCipher:
    """The encryption state of one connection.

    Args:
        encrypted: whether this side asks for an encrypted link (the ``enc`` of our hello).
        initiator: True on the connecting side (it sends the first handshake message).
        psk: the 32-byte site key, or several (the first opens links, any is accepted on a
            link the peer opens); by default this process's (``_site_key.site_keys()``).

    Raises:
        SiteKeyError: encrypted, no ``psk`` given and no usable site key configured.
    """

    __slots__ = (
        "_hello",
        "_hs",
        "_initiator",
        "_keys",
        "_open_key",
        "_opened",
        "_our_hello",
        "_seal_key",
        "_sealed",
        "_state",
        "encrypted",
    )

    def __init__(
        self, encrypted: bool, initiator: bool = False, psk: bytes | tuple | None = None
    ) -> None:
        self.encrypted = bool(encrypted)
        self._initiator = bool(initiator)
        self._state = _WAITING if self.encrypted else _CLEAR
        self._hs: HandshakeState | None = None
        self._keys: tuple = ()
        if self.encrypted:
            if psk is None:
                self._keys = site_keys()
            else:
                self._keys = (bytes(psk),) if isinstance(psk, (bytes, bytearray)) else tuple(psk)
            if self._initiator:  # the responder picks the key that opens the first message
                self._hs = HandshakeState(True, self._keys[0], PROLOGUE)
        self._hello: PeerHello | None = None
        self._our_hello = b""
        self._seal_key = b""
        self._open_key = b""
        self._sealed = 0  # frames sealed so far (our next nonce)
        self._opened = 0  # frames opened so far (the peer's next nonce)

    @property
    def ready(self) -> bool:
        """True once payloads can be sealed: at once when clear, else after the handshake."""
        return self._state != _WAITING

    @property
    def handshake_hash(self) -> bytes | None:
        """The Noise handshake hash once ready (equal at both ends of one link), else None."""
        if self._hs is None or self._state != _READY:
            return None
        return self._hs.handshake_hash

    def start(self, hello: bytes) -> bytes | None:
        """Note ``hello`` (the bytes of our hello) and return what to send right after it.

        Returns:
            The initiator's first handshake message as ``pack_control(3, ...)``; None on the
            responder (it answers in ``receive_key``) and when not encrypted.
        """
        self._our_hello = bytes(hello)
        if self._hs is None or not self._initiator:
            return None
        return pack_control(KIND_KEY_EXCHANGE, self._hs.write_message(self._our_hello))

    def receive_hello(self, peer: PeerHello) -> None:
        """Check the peer's hello (the first event of its stream) against our setting.

        Raises:
            EncryptionMismatch: ``peer.encrypted`` differs from ours.
        """
        if peer.encrypted != self.encrypted:
            raise EncryptionMismatch
        self._hello = peer

    def receive_key(self, payload: bytes) -> bytes | None:
        """Take the peer's handshake frame payload (as received); complete our side.

        Returns:
            On the responder, its handshake answer to send (``pack_control(3, ...)``); the link
            is ready once it is written. None on the initiator (ready now).

        Raises:
            LocalCryptoError: not encrypted, already ready, or called before ``receive_hello``.
            MalformedKeyExchange: the payload is not ``pack_control(3, <bytes>)``.
            AuthenticationFailed: the message does not authenticate (its ``reply``, on the
                responder, is the refusal to send back).
            HandshakeRefused: the responder refused our first message.
        """
        if self._state != _WAITING or not self.encrypted:
            raise LocalCryptoError("no handshake expected on this link")
        if self._hello is None:
            raise LocalCryptoError("handshake before the peer's hello")
        try:
            _to, _back, kind, body = unpack_payload(bytes(payload))
        except CodecRuntimeError as e:
            raise MalformedKeyExchange(f"malformed handshake ({e})") from None
        if kind != KIND_KEY_EXCHANGE:
            raise MalformedKeyExchange(f"expected a handshake, got a frame of kind {kind}")
        if self._initiator and body == _REFUSED and type(body) is int:
            raise HandshakeRefused("the peer refused our handshake (no or another site key)")
        if type(body) is not bytes:
            raise MalformedKeyExchange("handshake frame does not carry bytes")
        if not self._our_hello:
            raise LocalCryptoError("handshake before start()")
        side = "responder" if self._initiator else "initiator"
        if self._initiator:
            hs = self._hs
            try:
                told = hs.read_message(body)  # type: ignore[union-attr]
            except NoiseError:
                told = None
        else:
            hs, told = self._read_first(body)
        if hs is None or told is None:
            text = f"authentication failed: the {side} does not hold this site key"
            raise AuthenticationFailed(text) if self._initiator else _refused(text)
        if _hello_of(told) != self._hello:
            text = "authentication failed: the hello was altered in transit"
            raise AuthenticationFailed(text) if self._initiator else _refused(text)
        answer = None
        if not self._initiator:
            answer = pack_control(KIND_KEY_EXCHANGE, hs.write_message(self._our_hello))
        send, receive = hs.cipher_pair  # type: ignore[misc]
        self._seal_key, self._open_key = send.k, receive.k  # type: ignore[assignment]
        self._state = _READY
        return answer

    def _read_first(self, body: bytes) -> tuple[HandshakeState | None, bytes | None]:
        """The responder's read of the first message under each key it accepts, in order."""
        for key in self._keys:
            hs = HandshakeState(False, key, PROLOGUE)
            try:
                told = hs.read_message(body)
            except NoiseError:
                continue
            self._hs = hs
            return hs, told
        return None, None

    def seal(self, payload: bytes) -> bytes:
        """Return ``payload`` sealed for the peer (``payload`` itself when not encrypted).

        Raises:
            KeyExchangeIncomplete: encrypted and not ``ready`` (hold the payload until it is).
        """
        state = self._state
        if state == _CLEAR:
            return payload
        if state != _READY:
            raise KeyExchangeIncomplete("cannot seal before the handshake completes")
        count = self._sealed
        if count >= MAX_NONCE:  # pragma: no cover - 2**64 - 1 frames
            raise LocalCryptoError("nonce counter exhausted")
        self._sealed = count + 1
        if type(payload) is not bytes:
            payload = bytes(payload)
        return _seal(payload, _NONCE.pack(count), self._seal_key)

    def open(self, sealed: bytes) -> bytes:
        """Return the plaintext of one sealed payload (``sealed`` itself when not encrypted).

        Raises:
            DecryptionFailed: too short, tampered with, not from the peer, replayed or
                reordered (sealed under another nonce than the next one expected).
            KeyExchangeIncomplete: encrypted and not ``ready``.
        """
        state = self._state
        if state == _CLEAR:
            return sealed
        if state != _READY:
            raise KeyExchangeIncomplete("cannot open before the handshake completes")
        if len(sealed) < SEAL_OVERHEAD:
            raise DecryptionFailed(f"sealed frame of {len(sealed)} bytes is too short")
        if type(sealed) is not bytes:
            sealed = bytes(sealed)
        count = self._opened
        if count >= MAX_NONCE:  # pragma: no cover - 2**64 - 1 frames
            raise DecryptionFailed("nonce counter exhausted")
        plain = _open(sealed, _NONCE.pack(count), self._open_key)
        if plain is None:
            raise DecryptionFailed(
                "sealed frame failed authentication (tampered, replayed or reordered)"
            )
        self._opened = count + 1
        return plain


def _hello_of(data: bytes) -> PeerHello | None:
    """The hello a handshake payload carries (None if it is not exactly one hello)."""
    try:
        events = FrameDecoder().feed(data)
    except RemoteFrameError:
        return None
    if len(events) != 1 or type(events[0]) is not PeerHello:
        return None
    return events[0]
