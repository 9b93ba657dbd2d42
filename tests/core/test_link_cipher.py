"""The sans-I/O link cipher (spec networking-and-http §4.4): key exchange and sealed frames."""

from __future__ import annotations

import pytest

from layer_cake.net._crypto import (
    SEAL_OVERHEAD,
    CryptoError,
    DecryptionFailed,
    EncryptionMismatch,
    KeyExchangeIncomplete,
    LinkCipher,
    LocalCryptoError,
    MalformedKeyExchange,
    RemoteCryptoError,
)
from layer_cake.net._frame import DEFAULT_MAX_FRAME, FrameDecoder, FrameEncoder, PeerHello
from layer_cake.types._wire import KIND_KEEP_ALIVE, KIND_KEY_EXCHANGE, pack_control, unpack_payload

ENCRYPTED = PeerHello(1, True, DEFAULT_MAX_FRAME)
CLEAR = PeerHello(1, False, DEFAULT_MAX_FRAME)
SECRET = b"the quick brown fox jumps over the lazy dog" * 3


def connected_pair() -> tuple[LinkCipher, LinkCipher]:
    """Two encrypted ciphers after the full handshake, each fed what the other produced."""
    a, b = LinkCipher(True), LinkCipher(True)
    key_a, key_b = a.start(), b.start()
    a.receive_hello(ENCRYPTED)
    b.receive_hello(ENCRYPTED)
    assert key_a is not None and key_b is not None
    a.receive_key(key_b)
    b.receive_key(key_a)
    return a, b


def test_two_ciphers_exchange_keys_and_become_ready() -> None:
    a, b = LinkCipher(True), LinkCipher(True)
    assert not a.ready and not b.ready
    key_a, key_b = a.start(), b.start()
    a.receive_hello(ENCRYPTED)
    b.receive_hello(ENCRYPTED)
    assert not a.ready  # the hello alone is not enough
    a.receive_key(key_b)  # type: ignore[arg-type]
    b.receive_key(key_a)  # type: ignore[arg-type]
    assert a.ready and b.ready


def test_key_exchange_payload_is_a_kind_3_control_with_the_public_key() -> None:
    cipher = LinkCipher(True)
    payload = cipher.start()
    assert payload is not None and len(payload) == 42
    assert payload[:8] == bytes.fromhex("94 c7 00 03 c7 00 03 03")
    assert payload[8:10] == b"\xc4\x20"
    assert payload[10:] == cipher.public_key
    assert unpack_payload(payload) == ((), (), KIND_KEY_EXCHANGE, cipher.public_key)


def test_each_link_has_a_fresh_key_pair() -> None:
    assert LinkCipher(True).public_key != LinkCipher(True).public_key


def test_payloads_round_trip_both_ways() -> None:
    a, b = connected_pair()
    for i in range(5):
        assert b.open(a.seal(SECRET + bytes([i]))) == SECRET + bytes([i])
        assert a.open(b.seal(bytes([i]) * i)) == bytes([i]) * i
    assert b.open(a.seal(b"")) == b""


def test_round_trip_through_the_frame_codec() -> None:
    a, b = connected_pair()
    encoder, decoder = FrameEncoder(), FrameDecoder()
    wire = encoder.hello(True) + encoder.frame(a.seal(SECRET)) + encoder.frame(a.seal(b"two"))
    hello, *frames = decoder.feed(wire)
    b.receive_hello(hello)
    assert [b.open(f) for f in frames] == [SECRET, b"two"]


def test_sealed_bytes_do_not_contain_the_plaintext() -> None:
    a, _ = connected_pair()
    sealed = a.seal(SECRET)
    assert SECRET not in sealed
    assert SECRET[:16] not in sealed
    assert len(sealed) == len(SECRET) + SEAL_OVERHEAD


def test_sealing_the_same_payload_twice_gives_different_bytes() -> None:
    a, _ = connected_pair()
    assert a.seal(SECRET) != a.seal(SECRET)


@pytest.mark.parametrize("position", [0, 23, 24, 39, 40, -1])
def test_a_tampered_byte_fails_decryption(position: int) -> None:
    a, b = connected_pair()
    sealed = bytearray(a.seal(SECRET))
    sealed[position] ^= 0x01
    with pytest.raises(DecryptionFailed):
        b.open(bytes(sealed))


@pytest.mark.parametrize("garbage", [b"", b"x", bytes(39), bytes(40), bytes(200), SECRET])
def test_garbage_fails_decryption(garbage: bytes) -> None:
    _, b = connected_pair()
    with pytest.raises(DecryptionFailed):
        b.open(garbage)


def test_decryption_failed_is_a_remote_crypto_error() -> None:
    assert issubclass(DecryptionFailed, RemoteCryptoError)
    assert issubclass(EncryptionMismatch, RemoteCryptoError)
    assert issubclass(MalformedKeyExchange, RemoteCryptoError)
    assert issubclass(KeyExchangeIncomplete, LocalCryptoError)
    assert issubclass(RemoteCryptoError, CryptoError) and issubclass(LocalCryptoError, CryptoError)


def test_a_frame_from_another_link_fails_decryption() -> None:
    a, _ = connected_pair()
    _, d = connected_pair()
    with pytest.raises(DecryptionFailed):
        d.open(a.seal(SECRET))


def test_replayed_or_reordered_frames_fail_decryption() -> None:
    a, b = connected_pair()
    first, second = a.seal(b"one"), a.seal(b"two")
    with pytest.raises(DecryptionFailed, match="unexpected nonce"):
        b.open(second)  # skipped one
    assert b.open(first) == b"one"
    with pytest.raises(DecryptionFailed, match="unexpected nonce"):
        b.open(first)  # replayed
    assert b.open(second) == b"two"


def test_a_frame_reflected_back_to_its_sender_fails_decryption() -> None:
    a, _ = connected_pair()
    with pytest.raises(DecryptionFailed):
        a.open(a.seal(SECRET))


def test_nonces_are_unique_across_many_frames_and_both_directions() -> None:
    a, b = connected_pair()
    nonces = set()
    count = 5000
    for _ in range(count):
        from_a, from_b = a.seal(b"p"), b.seal(b"p")
        nonces.add(from_a[:24])
        nonces.add(from_b[:24])
        assert b.open(from_a) == a.open(from_b) == b"p"
    assert len(nonces) == 2 * count


def test_encrypted_hello_from_a_clear_peer_is_a_mismatch() -> None:
    cipher = LinkCipher(True)
    with pytest.raises(EncryptionMismatch, match=r"^encryption mismatch$"):
        cipher.receive_hello(CLEAR)


def test_clear_hello_from_an_encrypted_peer_is_a_mismatch() -> None:
    cipher = LinkCipher(False)
    with pytest.raises(EncryptionMismatch) as caught:
        cipher.receive_hello(ENCRYPTED)
    assert str(caught.value) == "encryption mismatch"


def test_mismatch_is_raised_by_the_first_event_of_the_stream() -> None:
    """The hello leads the stream, so a mismatch needs no timer: the first read shows it."""
    encrypted_side, clear_side = LinkCipher(True), LinkCipher(False)
    wire = FrameEncoder().hello(True) + FrameEncoder().frame(encrypted_side.start())  # type: ignore[arg-type]
    first = FrameDecoder().feed(wire)[0]
    with pytest.raises(EncryptionMismatch):
        clear_side.receive_hello(first)


def test_when_not_encrypted_seal_and_open_are_identity() -> None:
    cipher = LinkCipher(False)
    assert cipher.ready
    assert cipher.start() is None
    assert cipher.public_key is None
    cipher.receive_hello(CLEAR)
    assert cipher.seal(SECRET) is SECRET
    assert cipher.open(SECRET) is SECRET


def test_seal_and_open_before_the_exchange_are_refused() -> None:
    cipher = LinkCipher(True)
    cipher.start()
    with pytest.raises(KeyExchangeIncomplete):
        cipher.seal(SECRET)
    cipher.receive_hello(ENCRYPTED)
    with pytest.raises(KeyExchangeIncomplete):
        cipher.open(bytes(100))


def test_key_before_hello_or_on_a_clear_link_is_a_local_error() -> None:
    with pytest.raises(LocalCryptoError, match="before the peer's hello"):
        LinkCipher(True).receive_key(LinkCipher(True).start())  # type: ignore[arg-type]
    with pytest.raises(LocalCryptoError):
        LinkCipher(False).receive_key(LinkCipher(True).start())  # type: ignore[arg-type]
    a, _ = connected_pair()
    with pytest.raises(LocalCryptoError):
        a.receive_key(LinkCipher(True).start())  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "payload",
    [
        b"\xc1",  # not msgpack
        b"garbage that is not a payload",
        pack_control(KIND_KEEP_ALIVE, None),
        pack_control(KIND_KEY_EXCHANGE, b"short"),
        pack_control(KIND_KEY_EXCHANGE, "x" * 32),
        pack_control(KIND_KEY_EXCHANGE, bytes(33)),
    ],
)
def test_a_malformed_key_exchange_is_refused(payload: bytes) -> None:
    cipher = LinkCipher(True)
    cipher.receive_hello(ENCRYPTED)
    with pytest.raises(MalformedKeyExchange):
        cipher.receive_key(payload)
    assert not cipher.ready


def test_our_own_key_echoed_back_is_refused() -> None:
    cipher = LinkCipher(True)
    cipher.receive_hello(ENCRYPTED)
    with pytest.raises(MalformedKeyExchange, match="own public key"):
        cipher.receive_key(cipher.start())  # type: ignore[arg-type]


def test_seal_accepts_a_bytearray_or_memoryview() -> None:
    a, b = connected_pair()
    assert b.open(a.seal(bytearray(SECRET))) == SECRET  # type: ignore[arg-type]
    assert b.open(a.seal(memoryview(SECRET))) == SECRET  # type: ignore[arg-type]
