"""Sans-I/O ``Noise_NNpsk0_25519_ChaChaPoly_BLAKE2b`` (the Noise Protocol Framework, rev. 34).

Exactly the objects of the spec (§5), for the one pattern layer-cake uses:

    NNpsk0:
      -> psk, e
      <- e, ee

- ``CipherState`` (§5.1): a 32-byte key and a 64-bit nonce; ChaChaPoly is the IETF
  ChaCha20-Poly1305 AEAD with the nonce ``4 zero bytes + n`` (little endian), §12.3.
- ``SymmetricState`` (§5.2): ``ck``, ``h``, ``MixKey``, ``MixHash``, ``MixKeyAndHash``,
  ``EncryptAndHash``, ``DecryptAndHash``, ``Split``. ``HASH`` is BLAKE2b-512 and ``HKDF`` is
  built on ``HMAC-BLAKE2b`` (RFC 2104 with a 128-byte block), §4.3; ``HASHLEN`` is 64, so the
  cipher keys are the first 32 bytes of an HKDF output (§5.2, "If HASHLEN is 64").
- ``HandshakeState`` (§5.3) with the psk modifier (§9): ``psk`` is ``MixKeyAndHash(psk)``, and
  every ``e`` is also ``MixKey(e.public_key)``.

Primitives: X25519 (``crypto_scalarmult``) and the AEAD come from libsodium through PyNaCl's
low-level bindings; BLAKE2b and HMAC from the standard library. Nothing here does I/O: the
caller moves the messages. ``tests/core/test_noise.py`` checks this module against the
published cacophony test vectors.

Failures raise ``NoiseError`` subclasses: ``NoiseDecryptError`` when a message does not
authenticate (a wrong pre-shared key, a tampered or replayed message), ``NoiseStateError`` when
the caller uses a state out of order.
"""

from __future__ import annotations

from struct import Struct

# PyNaCl, hashlib and hmac are imported by the functions that use them: only a handshake
# does (issue 13: a process whose links are all clear never loads them).

__all__ = [
    "DHLEN",
    "HASHLEN",
    "PROTOCOL_NAME",
    "PSK_SIZE",
    "TAG_SIZE",
    "CipherState",
    "HandshakeState",
    "KeyPair",
    "NoiseDecryptError",
    "NoiseError",
    "NoiseStateError",
    "SymmetricState",
    "hkdf",
]

PROTOCOL_NAME = b"Noise_NNpsk0_25519_ChaChaPoly_BLAKE2b"
DHLEN = 32
HASHLEN = 64
_KEYLEN = 32
PSK_SIZE = 32
TAG_SIZE = 16
#: §5.1: the nonce 2**64 - 1 is reserved; a CipherState refuses to go past it.
MAX_NONCE = (1 << 64) - 1
_NONCE = Struct("<4xQ")  # §12.3: 32 bits of zeros, then the 64-bit nonce, little endian


class NoiseError(Exception):
    """Any failure of the Noise layer."""


class NoiseDecryptError(NoiseError):
    """A handshake or transport message failed authentication (or is malformed)."""


class NoiseStateError(NoiseError):
    """A state was used out of order (a bug in the caller)."""


def _hash(data: bytes) -> bytes:
    import hashlib

    return hashlib.blake2b(data).digest()


def _hmac(key: bytes, data: bytes) -> bytes:
    import hmac

    return hmac.digest(key, data, "blake2b")


def hkdf(chaining_key: bytes, input_key_material: bytes, outputs: int) -> tuple[bytes, ...]:
    """``HKDF(chaining_key, input_key_material, num_outputs)`` of §4.3 (2 or 3 outputs)."""
    temp_key = _hmac(chaining_key, input_key_material)
    output1 = _hmac(temp_key, b"\x01")
    output2 = _hmac(temp_key, output1 + b"\x02")
    if outputs == 2:
        return output1, output2
    return output1, output2, _hmac(temp_key, output2 + b"\x03")


class KeyPair:
    """A Curve25519 key pair (``GENERATE_KEYPAIR`` of §4.1, or a given private key)."""

    __slots__ = ("private", "public")

    def __init__(self, private: bytes | None = None) -> None:
        from nacl.bindings import crypto_scalarmult_base
        from nacl.utils import random

        self.private = random(DHLEN) if private is None else bytes(private)
        if len(self.private) != DHLEN:
            raise ValueError("a Curve25519 private key is 32 bytes")
        self.public = crypto_scalarmult_base(self.private)


def _dh(key_pair: KeyPair, public: bytes) -> bytes:
    """``DH`` of §4.1; libsodium refuses a low-order public key (an all-zero result)."""
    from nacl.bindings import crypto_scalarmult
    from nacl.exceptions import CryptoError

    try:
        return crypto_scalarmult(key_pair.private, public)
    except CryptoError:
        raise NoiseDecryptError("invalid Curve25519 public key") from None


class CipherState:
    """§5.1: ``k`` (None until ``InitializeKey``) and the nonce ``n``."""

    __slots__ = ("k", "n")

    def __init__(self, k: bytes | None = None) -> None:
        self.k = k
        self.n = 0

    def has_key(self) -> bool:
        return self.k is not None

    def encrypt_with_ad(self, ad: bytes, plaintext: bytes) -> bytes:
        if self.k is None:
            return plaintext
        n = self.n
        if n >= MAX_NONCE:
            raise NoiseStateError("nonce exhausted")
        self.n = n + 1
        from nacl.bindings import crypto_aead_chacha20poly1305_ietf_encrypt as encrypt

        return encrypt(plaintext, ad, _NONCE.pack(n), self.k)

    def decrypt_with_ad(self, ad: bytes, ciphertext: bytes) -> bytes:
        if self.k is None:
            return ciphertext
        n = self.n
        if n >= MAX_NONCE:
            raise NoiseStateError("nonce exhausted")
        from nacl.bindings import crypto_aead_chacha20poly1305_ietf_decrypt as decrypt
        from nacl.exceptions import CryptoError

        try:
            plaintext = decrypt(ciphertext, ad, _NONCE.pack(n), self.k)
        except CryptoError:
            raise NoiseDecryptError("message failed authentication") from None
        self.n = n + 1  # §5.1: only after a successful decryption
        return plaintext


class SymmetricState:
    """§5.2."""

    __slots__ = ("cipher", "ck", "h")

    def __init__(self, protocol_name: bytes) -> None:
        if len(protocol_name) <= HASHLEN:
            self.h = protocol_name + bytes(HASHLEN - len(protocol_name))
        else:
            self.h = _hash(protocol_name)
        self.ck = self.h
        self.cipher = CipherState()

    def mix_key(self, input_key_material: bytes) -> None:
        self.ck, temp_k = hkdf(self.ck, input_key_material, 2)
        self.cipher = CipherState(temp_k[:_KEYLEN])

    def mix_hash(self, data: bytes) -> None:
        self.h = _hash(self.h + data)

    def mix_key_and_hash(self, input_key_material: bytes) -> None:
        self.ck, temp_h, temp_k = hkdf(self.ck, input_key_material, 3)
        self.mix_hash(temp_h)
        self.cipher = CipherState(temp_k[:_KEYLEN])

    def encrypt_and_hash(self, plaintext: bytes) -> bytes:
        ciphertext = self.cipher.encrypt_with_ad(self.h, plaintext)
        self.mix_hash(ciphertext)
        return ciphertext

    def decrypt_and_hash(self, ciphertext: bytes) -> bytes:
        plaintext = self.cipher.decrypt_with_ad(self.h, ciphertext)
        self.mix_hash(ciphertext)
        return plaintext

    def split(self) -> tuple[CipherState, CipherState]:
        temp_k1, temp_k2 = hkdf(self.ck, b"", 2)
        return CipherState(temp_k1[:_KEYLEN]), CipherState(temp_k2[:_KEYLEN])


# NNpsk0: the tokens of each message, initiator's first (§7.4, §9.3).
_PATTERN = (("psk", "e"), ("e", "ee"))


class HandshakeState:
    """§5.3 for ``NNpsk0``: ``write_message``/``read_message`` in turn, then ``split``.

    Args:
        initiator: True for the side that sends the first message.
        psk: the 32-byte pre-shared key.
        prologue: data both sides must agree on (mixed into ``h`` before the first message).
        e: a fixed ephemeral key pair (test vectors only); a fresh one otherwise.

    After the second message both sides have ``handshake_hash`` and ``split()`` returns
    ``(send, receive)`` cipher states for this side (``c1`` is the initiator's sender).
    """

    __slots__ = ("_e", "_initiator", "_psk", "_re", "_step", "_symmetric", "cipher_pair")

    def __init__(
        self, initiator: bool, psk: bytes, prologue: bytes = b"", e: KeyPair | None = None
    ) -> None:
        if len(psk) != PSK_SIZE:
            raise ValueError("the pre-shared key must be 32 bytes")
        self._initiator = bool(initiator)
        self._psk = bytes(psk)
        self._e = e
        self._re: bytes | None = None
        self._step = 0  # index in _PATTERN of the next message
        self._symmetric = SymmetricState(PROTOCOL_NAME)
        self._symmetric.mix_hash(prologue)
        self.cipher_pair: tuple[CipherState, CipherState] | None = None

    @property
    def complete(self) -> bool:
        return self._step == len(_PATTERN)

    @property
    def handshake_hash(self) -> bytes:
        """``h`` (the channel binding of §11.2); final once the handshake completes."""
        return self._symmetric.h

    @property
    def our_turn(self) -> bool:
        """Whether the next message is ours to write."""
        return not self.complete and (self._step % 2 == 0) == self._initiator

    def write_message(self, payload: bytes = b"") -> bytes:
        """Return the next handshake message, carrying ``payload`` (encrypted, §5.3)."""
        if not self.our_turn:
            raise NoiseStateError("not this side's turn to write a handshake message")
        s = self._symmetric
        out = []
        for token in _PATTERN[self._step]:
            if token == "e":
                if self._e is None:
                    self._e = KeyPair()
                out.append(self._e.public)
                s.mix_hash(self._e.public)
                s.mix_key(self._e.public)  # §9.2: psk mode
            elif token == "ee":
                s.mix_key(_dh(self._e, self._re))  # type: ignore[arg-type]
            else:  # psk
                s.mix_key_and_hash(self._psk)
        out.append(s.encrypt_and_hash(payload))
        self._advance()
        return b"".join(out)

    def read_message(self, message: bytes) -> bytes:
        """Process the peer's next handshake message; return its payload.

        Raises:
            NoiseDecryptError: too short, or it does not authenticate (a different psk).
        """
        if self.complete or self.our_turn:
            raise NoiseStateError("not this side's turn to read a handshake message")
        s = self._symmetric
        message = bytes(message)
        at = 0
        for token in _PATTERN[self._step]:
            if token == "e":
                if len(message) < at + DHLEN:
                    raise NoiseDecryptError("handshake message too short")
                self._re = message[at : at + DHLEN]
                at += DHLEN
                s.mix_hash(self._re)
                s.mix_key(self._re)  # §9.2: psk mode
            elif token == "ee":
                s.mix_key(_dh(self._e, self._re))  # type: ignore[arg-type]
            else:  # psk
                s.mix_key_and_hash(self._psk)
        if len(message) - at < TAG_SIZE:  # the key is set (psk first): a tag must follow
            raise NoiseDecryptError("handshake message too short")
        payload = s.decrypt_and_hash(message[at:])
        self._advance()
        return payload

    def _advance(self) -> None:
        self._step += 1
        if self.complete:
            c1, c2 = self._symmetric.split()
            self.cipher_pair = (c1, c2) if self._initiator else (c2, c1)
            self._psk = b""  # §5.3: the handshake's secrets are no longer needed (forward
            self._e = None  # secrecy rests on the ephemeral private key being gone)
            self._symmetric.cipher = CipherState()
            self._symmetric.ck = b""
