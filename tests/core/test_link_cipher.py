"""The sans-I/O link cipher (spec networking-and-http §4.4; docs/security.md): the Noise NNpsk0
handshake keyed by the site key, then sealed frames."""

from __future__ import annotations

import pytest

from layer_cake.net._crypto import (
    PROLOGUE,
    SEAL_OVERHEAD,
    AuthenticationFailed,
    CryptoError,
    DecryptionFailed,
    EncryptionMismatch,
    HandshakeRefused,
    KeyExchangeIncomplete,
    LinkCipher,
    LocalCryptoError,
    MalformedKeyExchange,
    RemoteCryptoError,
)
from layer_cake.net._frame import DEFAULT_MAX_FRAME, FrameDecoder, FrameEncoder, PeerHello
from layer_cake.net._noise import HandshakeState
from layer_cake.net._site_key import SiteKeyError, use_site_key
from layer_cake.process._command_line import CL
from layer_cake.types._wire import KIND_KEEP_ALIVE, KIND_KEY_EXCHANGE, pack_control, unpack_payload

ENCRYPTED = PeerHello(1, True, DEFAULT_MAX_FRAME)
CLEAR = PeerHello(1, False, DEFAULT_MAX_FRAME)
SECRET = b"the quick brown fox jumps over the lazy dog" * 3
KEY = bytes(range(32))
OTHER_KEY = bytes(range(1, 33))
HELLO = FrameEncoder().hello(True)
REFUSAL = pack_control(KIND_KEY_EXCHANGE, 0)


def hello_of(data: bytes) -> PeerHello:
    (hello,) = FrameDecoder().feed(data)
    return hello


def started(initiator_key: bytes = KEY, responder_key: bytes = KEY) -> tuple:
    """An initiator and a responder that have swapped hellos; the initiator's first message."""
    a = LinkCipher(True, initiator=True, psk=initiator_key)
    b = LinkCipher(True, initiator=False, psk=responder_key)
    first = a.start(HELLO)
    assert b.start(HELLO) is None  # the responder only answers
    a.receive_hello(ENCRYPTED)
    b.receive_hello(ENCRYPTED)
    return a, b, first


def connected_pair() -> tuple[LinkCipher, LinkCipher]:
    """Two encrypted ciphers after the full handshake, each fed what the other produced."""
    a, b, first = started()
    answer = b.receive_key(first)
    assert a.receive_key(answer) is None
    return a, b


def test_initiator_and_responder_with_the_same_key_become_ready_in_one_round_trip() -> None:
    a, b, first = started()
    assert not a.ready and not b.ready
    answer = b.receive_key(first)
    assert b.ready and not a.ready  # the responder holds its keys once it answers
    assert a.receive_key(answer) is None
    assert a.ready
    assert a.handshake_hash == b.handshake_hash and len(a.handshake_hash) == 64  # type: ignore[arg-type]


def test_handshake_messages_are_kind_3_controls_carrying_noise_messages() -> None:
    _a, b, first = started()
    _to, _back, kind, body = unpack_payload(first)
    assert kind == KIND_KEY_EXCHANGE and type(body) is bytes
    assert len(body) == 32 + len(HELLO) + 16  # e, then our hello encrypted under the psk key
    assert HELLO not in first  # the hello inside is encrypted
    _to, _back, kind, body = unpack_payload(b.receive_key(first))
    assert kind == KIND_KEY_EXCHANGE and len(body) == 32 + len(HELLO) + 16


def test_the_handshake_is_noise_nnpsk0_with_our_prologue() -> None:
    """A plain ``_noise`` responder with the same key and prologue reads our first message."""
    a = LinkCipher(True, initiator=True, psk=KEY)
    _to, _back, _kind, body = unpack_payload(a.start(HELLO))
    responder = HandshakeState(False, KEY, PROLOGUE)
    assert responder.read_message(body) == HELLO


def test_sealed_frames_are_noise_transport_messages() -> None:
    """Against a plain ``_noise`` responder: our frames open with its receiving cipher state
    and its transport messages open as our frames, both ways and in order."""
    a = LinkCipher(True, initiator=True, psk=KEY)
    _to, _back, _kind, body = unpack_payload(a.start(HELLO))
    responder = HandshakeState(False, KEY, PROLOGUE)
    responder.read_message(body)
    a.receive_hello(ENCRYPTED)
    a.receive_key(pack_control(KIND_KEY_EXCHANGE, responder.write_message(HELLO)))
    send, receive = responder.cipher_pair  # type: ignore[misc]
    for payload in (b"", SECRET, bytes(70000)):
        assert receive.decrypt_with_ad(b"", a.seal(payload)) == payload
        assert a.open(send.encrypt_with_ad(b"", payload)) == payload
    assert a.handshake_hash == responder.handshake_hash


def test_each_link_has_a_fresh_ephemeral_key() -> None:
    first_a = unpack_payload(started()[2])[3]
    first_b = unpack_payload(started()[2])[3]
    assert first_a[:32] != first_b[:32]


def test_a_responder_refuses_an_initiator_with_another_key_at_its_first_message() -> None:
    _a, b, first = started(initiator_key=OTHER_KEY)
    with pytest.raises(AuthenticationFailed, match="initiator does not hold this site key") as e:
        b.receive_key(first)
    assert e.value.reply == REFUSAL  # the initiator learns why, in one round trip
    assert not b.ready


def test_an_initiator_refuses_a_responder_that_ran_its_own_exchange() -> None:
    """A relay in the middle cannot answer our first message without the key: its answer comes
    from an exchange it ran with a key of its own, and does not authenticate."""
    a, _b, _first = started()
    _relay_initiator, relay_responder, relay_first = started(OTHER_KEY, OTHER_KEY)
    forged = relay_responder.receive_key(relay_first)
    with pytest.raises(AuthenticationFailed, match="responder does not hold this site key") as e:
        a.receive_key(forged)
    assert e.value.reply is None
    assert not a.ready


def test_a_replayed_first_message_gives_the_replayer_nothing_it_can_use() -> None:
    """NNpsk0's first message can be replayed; the answer is keyed to the ephemeral key the
    replayer does not hold, so its frames never open and ours are unreadable to it."""
    _a, b, first = started()
    b.receive_key(first)
    _a2, replay_target, _ = started()
    replay_target.receive_key(first)  # accepted: the replayer cannot tell the keys
    with pytest.raises(DecryptionFailed):
        replay_target.open(bytes(32))  # anything the replayer sends fails
    assert b.seal(SECRET) != replay_target.seal(SECRET)


def test_a_refusal_ends_the_initiators_handshake_with_a_typed_reason() -> None:
    a, _b, _first = started()
    with pytest.raises(HandshakeRefused, match="refused our handshake"):
        a.receive_key(REFUSAL)


def test_a_hello_altered_in_transit_is_refused_by_the_receiver() -> None:
    """Each handshake message carries its sender's hello: a relay that changes ``max`` in a
    hello (to cut the peer's frames short) is caught."""
    a = LinkCipher(True, initiator=True, psk=KEY)
    b = LinkCipher(True, psk=KEY)
    first = a.start(HELLO)
    b.start(HELLO)
    b.receive_hello(PeerHello(1, True, 1024))  # the relay rewrote a's hello
    with pytest.raises(AuthenticationFailed, match="altered in transit"):
        b.receive_key(first)


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
    _hello, *frames = decoder.feed(wire)
    assert [b.open(f) for f in frames] == [SECRET, b"two"]


def test_sealed_bytes_do_not_contain_the_plaintext() -> None:
    a, _ = connected_pair()
    sealed = a.seal(SECRET)
    assert SECRET not in sealed
    assert SECRET[:16] not in sealed
    assert len(sealed) == len(SECRET) + SEAL_OVERHEAD == len(SECRET) + 16


def test_sealing_the_same_payload_twice_gives_different_bytes() -> None:
    a, _ = connected_pair()
    assert a.seal(SECRET) != a.seal(SECRET)


@pytest.mark.parametrize("position", [0, 15, 16, 40, -16, -1])
def test_a_tampered_byte_fails_decryption(position: int) -> None:
    a, b = connected_pair()
    sealed = bytearray(a.seal(SECRET))
    sealed[position] ^= 0x01
    with pytest.raises(DecryptionFailed):
        b.open(bytes(sealed))


@pytest.mark.parametrize("garbage", [b"", b"x", bytes(15), bytes(16), bytes(200), SECRET])
def test_garbage_fails_decryption(garbage: bytes) -> None:
    _, b = connected_pair()
    with pytest.raises(DecryptionFailed):
        b.open(garbage)


def test_error_types_are_split_by_side() -> None:
    for remote in (
        DecryptionFailed,
        EncryptionMismatch,
        MalformedKeyExchange,
        AuthenticationFailed,
        HandshakeRefused,
    ):
        assert issubclass(remote, RemoteCryptoError)
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
    with pytest.raises(DecryptionFailed, match="replayed or reordered"):
        b.open(second)  # skipped one
    assert b.open(first) == b"one"
    with pytest.raises(DecryptionFailed):
        b.open(first)  # replayed
    assert b.open(second) == b"two"


def test_a_frame_reflected_back_to_its_sender_fails_decryption() -> None:
    a, _ = connected_pair()
    with pytest.raises(DecryptionFailed):
        a.open(a.seal(SECRET))


def test_each_direction_has_its_own_key() -> None:
    a, b = connected_pair()
    assert a.seal(SECRET) != b.seal(SECRET)  # same counter (0), different keys


def test_encrypted_hello_from_a_clear_peer_is_a_mismatch() -> None:
    cipher = LinkCipher(True, psk=KEY)
    with pytest.raises(EncryptionMismatch, match=r"^encryption mismatch$"):
        cipher.receive_hello(CLEAR)


def test_clear_hello_from_an_encrypted_peer_is_a_mismatch() -> None:
    cipher = LinkCipher(False)
    with pytest.raises(EncryptionMismatch) as caught:
        cipher.receive_hello(ENCRYPTED)
    assert str(caught.value) == "encryption mismatch"


def test_mismatch_is_raised_by_the_first_event_of_the_stream() -> None:
    """The hello leads the stream, so a mismatch needs no timer: the first read shows it."""
    encrypted_side, clear_side = LinkCipher(True, True, KEY), LinkCipher(False)
    wire = HELLO + FrameEncoder().frame(encrypted_side.start(HELLO))  # type: ignore[arg-type]
    first = FrameDecoder().feed(wire)[0]
    with pytest.raises(EncryptionMismatch):
        clear_side.receive_hello(first)


def test_when_not_encrypted_seal_and_open_are_identity() -> None:
    cipher = LinkCipher(False, initiator=True)
    assert cipher.ready
    assert cipher.start(FrameEncoder().hello(False)) is None
    assert cipher.handshake_hash is None
    cipher.receive_hello(CLEAR)
    assert cipher.seal(SECRET) is SECRET
    assert cipher.open(SECRET) is SECRET


def test_seal_and_open_before_the_handshake_are_refused() -> None:
    a, b, _first = started()
    with pytest.raises(KeyExchangeIncomplete):
        a.seal(SECRET)
    with pytest.raises(KeyExchangeIncomplete):
        b.open(bytes(100))


def test_handshake_before_hello_or_on_a_clear_link_or_twice_is_a_local_error() -> None:
    first = LinkCipher(True, True, KEY).start(HELLO)
    early = LinkCipher(True, psk=KEY)
    early.start(HELLO)
    with pytest.raises(LocalCryptoError, match="before the peer's hello"):
        early.receive_key(first)  # type: ignore[arg-type]
    with pytest.raises(LocalCryptoError):
        LinkCipher(False).receive_key(first)  # type: ignore[arg-type]
    a, _ = connected_pair()
    with pytest.raises(LocalCryptoError):
        a.receive_key(first)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "payload",
    [
        b"\xc1",  # not msgpack
        b"garbage that is not a payload",
        pack_control(KIND_KEEP_ALIVE, None),
        pack_control(KIND_KEY_EXCHANGE, "x" * 48),
        pack_control(KIND_KEY_EXCHANGE, 0),  # a refusal is the responder's word only
        pack_control(KIND_KEY_EXCHANGE, None),
    ],
)
def test_a_malformed_handshake_frame_is_refused(payload: bytes) -> None:
    _a, b, _first = started()
    with pytest.raises(MalformedKeyExchange):
        b.receive_key(payload)
    assert not b.ready


@pytest.mark.parametrize("body", [b"", b"short", bytes(32), bytes(48), bytes(32 + 16 + 40)])
def test_handshake_bytes_that_do_not_authenticate_are_refused(body: bytes) -> None:
    _a, b, _first = started()
    with pytest.raises(AuthenticationFailed):
        b.receive_key(pack_control(KIND_KEY_EXCHANGE, body))
    assert not b.ready


def test_our_own_first_message_echoed_back_is_refused() -> None:
    a, _b, first = started()
    with pytest.raises(AuthenticationFailed):
        a.receive_key(first)  # type: ignore[arg-type]


def test_seal_accepts_a_bytearray_or_memoryview() -> None:
    a, b = connected_pair()
    assert b.open(a.seal(bytearray(SECRET))) == SECRET  # type: ignore[arg-type]
    assert b.open(a.seal(memoryview(SECRET))) == SECRET  # type: ignore[arg-type]


def test_an_encrypted_cipher_without_a_site_key_cannot_be_made(monkeypatch, tmp_path) -> None:
    monkeypatch.delenv("LC_SITE_KEY_FILE", raising=False)
    monkeypatch.setattr(CL, "home_path", None)
    monkeypatch.setattr(CL, "site_key", None, raising=False)
    use_site_key(None)
    with pytest.raises(SiteKeyError, match="no site key"):
        LinkCipher(True)
    assert LinkCipher(False).ready  # a clear link needs none


def test_a_responder_accepts_any_of_its_keys_and_an_initiator_opens_with_its_first() -> None:
    """Key rollover: a side holding (new, old) accepts links opened with either, and opens its
    own with the new one, so a side that holds only the old key refuses those."""
    both = (OTHER_KEY, KEY)
    for initiator_key in (KEY, OTHER_KEY):
        a, b, first = started(initiator_key=initiator_key, responder_key=both)  # type: ignore[arg-type]
        a.receive_key(b.receive_key(first))
        assert b.open(a.seal(SECRET)) == SECRET and a.open(b.seal(SECRET)) == SECRET
    _a, old_only, first = started(initiator_key=both, responder_key=KEY)  # type: ignore[arg-type]
    with pytest.raises(AuthenticationFailed):
        old_only.receive_key(first)
