"""The sans-I/O frame codec (spec networking-and-http §5): bytes in, events out, no sockets."""

from __future__ import annotations

import pickle
import struct

import msgpack
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from layer_cake.net._frame import (
    DEFAULT_MAX_FRAME,
    HELLO_LIMIT,
    FrameDecoder,
    FrameEncoder,
    FrameError,
    LocalFrameError,
    MalformedHello,
    NotAPeer,
    OutboundFrameTooLarge,
    OversizeFrame,
    PeerHello,
    RemoteFrameError,
)

MiB = 1024 * 1024
HELLO = PeerHello(1, False, DEFAULT_MAX_FRAME)


def stream(payloads: list[bytes], *, encrypted: bool = False) -> bytes:
    encoder = FrameEncoder()
    return encoder.hello(encrypted) + b"".join(encoder.frame(p) for p in payloads)


def feed_in_chunks(decoder: FrameDecoder, data: bytes, cuts: list[int]) -> list:
    events: list = []
    previous = 0
    for cut in [*sorted(cuts), len(data)]:
        events += decoder.feed(data[previous:cut])
        previous = cut
    return events


def hello_with_body(body: bytes) -> bytes:
    return b"LCW1" + struct.pack(">I", len(body)) + body


# -- hello ----------------------------------------------------------------------------------


def test_hello_bytes_are_magic_length_and_msgpack_map() -> None:
    hello = FrameEncoder().hello(True)
    assert hello[:4] == b"LCW1"
    (length,) = struct.unpack(">I", hello[4:8])
    assert length == len(hello) - 8
    assert msgpack.unpackb(hello[8:]) == {"v": 1, "enc": True, "max": DEFAULT_MAX_FRAME}


def test_hello_matches_the_bytes_documented_in_the_module() -> None:
    expected = bytes.fromhex("4c435731 00000012 83a17601 a3656e63c2 a36d6178ce01000000")
    assert FrameEncoder().hello(False) == expected


def test_hello_announces_the_encoders_max_frame() -> None:
    decoder = FrameDecoder()
    assert decoder.feed(FrameEncoder(1000).hello(True)) == [PeerHello(1, True, 1000)]


def test_peer_hello_is_the_first_event_and_comes_once() -> None:
    events = FrameDecoder().feed(stream([b"a", b"b"]))
    assert events == [HELLO, b"a", b"b"]
    assert sum(isinstance(e, PeerHello) for e in events) == 1


def test_hello_alone_yields_only_the_peer_hello() -> None:
    decoder = FrameDecoder()
    assert decoder.feed(FrameEncoder().hello(False)) == [HELLO]
    assert decoder.feed(b"") == []


def test_extra_hello_keys_are_ignored_for_forward_compatibility() -> None:
    body = msgpack.packb({"v": 1, "enc": False, "max": 99, "later": [1, 2]})
    assert FrameDecoder().feed(hello_with_body(body)) == [PeerHello(1, False, 99)]


# -- round trips ----------------------------------------------------------------------------

PAYLOADS = [b"", b"x", b"hello world", bytes(range(256)), b"\x00" * 4, b"LCW1", b"y" * 1000, b""]


def test_many_frames_in_one_feed_come_out_in_order() -> None:
    payloads = [str(i).encode() * (i % 7) for i in range(500)]
    assert FrameDecoder().feed(stream(payloads)) == [HELLO, *payloads]


def test_round_trip_survives_a_split_at_every_point() -> None:
    data = stream(PAYLOADS)
    for cut in range(len(data) + 1):
        assert feed_in_chunks(FrameDecoder(), data, [cut]) == [HELLO, *PAYLOADS], cut


def test_round_trip_survives_two_splits_at_every_pair_of_points() -> None:
    payloads = [b"", b"ab", b"cde", b""]
    data = stream(payloads)
    for first in range(len(data) + 1):
        for second in range(first, len(data) + 1):
            assert feed_in_chunks(FrameDecoder(), data, [first, second]) == [HELLO, *payloads]


def test_byte_by_byte_feeding_yields_every_frame() -> None:
    data = stream(PAYLOADS)
    decoder = FrameDecoder()
    events: list = []
    for index in range(len(data)):
        events += decoder.feed(data[index : index + 1])
    assert events == [HELLO, *PAYLOADS]
    assert decoder.buffered == 0


@pytest.mark.parametrize("kind", [bytearray, memoryview])
def test_feed_accepts_bytearray_and_memoryview(kind: type) -> None:
    data = stream(PAYLOADS)
    decoder = FrameDecoder()
    events = decoder.feed(kind(data[:13])) + decoder.feed(kind(data[13:]))
    assert events == [HELLO, *PAYLOADS]
    assert all(type(e) is bytes for e in events[1:])


def test_payloads_are_bytes_even_when_completed_from_the_buffer() -> None:
    data = stream([b"abcdef"])
    decoder = FrameDecoder()
    events = decoder.feed(data[:-3]) + decoder.feed(bytearray(data[-3:]))
    assert events == [HELLO, b"abcdef"]
    assert type(events[1]) is bytes


def test_zero_length_frame_is_legal_and_yields_empty_bytes() -> None:
    assert FrameDecoder().feed(stream([b"", b""])) == [HELLO, b"", b""]


def test_sixteen_mib_frame_in_64_kib_chunks_completes() -> None:
    payload = bytes(range(256)) * (16 * MiB // 256)
    data = stream([payload, b"after"])
    decoder = FrameDecoder()
    events: list = []
    for offset in range(0, len(data), 64 * 1024):
        events += decoder.feed(data[offset : offset + 64 * 1024])
    assert len(events) == 3
    assert events[0] == HELLO
    assert events[1] == payload
    assert events[2] == b"after"


def test_big_frame_chunks_are_buffered_without_reparsing() -> None:
    decoder = FrameDecoder()
    decoder.feed(FrameEncoder().hello(False) + struct.pack(">I", 1 * MiB))
    for _ in range(15):
        assert decoder.feed(b"z" * 65536) == []
    assert decoder.buffered == 15 * 65536
    assert decoder.feed(b"z" * 65536) == [b"z" * MiB]
    assert decoder.buffered == 0


def test_truncated_stream_yields_no_frame_and_no_error() -> None:
    data = stream([b"complete", b"truncated payload"])
    decoder = FrameDecoder()
    assert decoder.feed(data[:-1]) == [HELLO, b"complete"]
    assert decoder.feed(b"") == []
    assert decoder.feed(data[-1:]) == [b"truncated payload"]


@pytest.mark.parametrize("cut", range(8))
def test_truncated_hello_header_waits(cut: int) -> None:
    decoder = FrameDecoder()
    assert decoder.feed(FrameEncoder().hello(False)[:cut]) == []


# -- peer errors ----------------------------------------------------------------------------


def test_http_client_is_not_a_peer() -> None:
    with pytest.raises(NotAPeer, match=r"^not a layer-cake peer$"):
        FrameDecoder().feed(b"GET / HTTP/1.1\r\n")


def test_not_a_peer_is_raised_at_the_first_wrong_byte() -> None:
    decoder = FrameDecoder()
    assert decoder.feed(b"LC") == []
    with pytest.raises(NotAPeer):
        decoder.feed(b"X")


def test_frames_before_the_hello_are_not_a_peer() -> None:
    with pytest.raises(NotAPeer):
        FrameDecoder().feed(FrameEncoder().frame(b"early"))


def test_oversize_frame_raises_with_exact_text_right_after_the_header() -> None:
    decoder = FrameDecoder(max_frame=1000)
    decoder.feed(FrameEncoder().hello(False))
    with pytest.raises(OversizeFrame) as caught:
        decoder.feed(struct.pack(">I", 1001))  # header only: no body needed to refuse
    assert str(caught.value) == "oversize frame of 1001 bytes"
    assert (caught.value.size, caught.value.limit) == (1001, 1000)


def test_oversize_header_split_across_feeds_is_refused_when_complete() -> None:
    decoder = FrameDecoder(max_frame=10)
    decoder.feed(FrameEncoder().hello(False) + b"\x00\x00")
    with pytest.raises(OversizeFrame, match=r"^oversize frame of 11 bytes$"):
        decoder.feed(b"\x00\x0b")


@pytest.mark.parametrize("size", [0x80000000, 0xFFFFFFFF, 0x01000001])
def test_frame_length_is_read_as_unsigned_32_bits(size: int) -> None:
    decoder = FrameDecoder()
    decoder.feed(FrameEncoder().hello(False))
    with pytest.raises(OversizeFrame, match=rf"^oversize frame of {size} bytes$"):
        decoder.feed(struct.pack(">I", size) + b"body")


def test_frame_of_exactly_max_frame_is_accepted() -> None:
    decoder = FrameDecoder(max_frame=10)
    assert decoder.feed(stream([b"0123456789"])) == [HELLO, b"0123456789"]


def test_frames_decoded_before_a_fault_travel_with_the_error() -> None:
    decoder = FrameDecoder(max_frame=10)
    with pytest.raises(OversizeFrame) as caught:
        decoder.feed(stream([b"ok"]) + struct.pack(">I", 11))
    assert caught.value.events == [PeerHello(1, False, DEFAULT_MAX_FRAME), b"ok"]


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"\xc1",  # never-used msgpack byte
        msgpack.packb([1, False, 10]),
        msgpack.packb({"enc": False, "max": 10}),
        msgpack.packb({"v": "1", "enc": False, "max": 10}),
        msgpack.packb({"v": 1, "enc": 0, "max": 10}),
        msgpack.packb({"v": 1, "enc": False}),
        msgpack.packb({"v": 1, "enc": False, "max": 0}),
        msgpack.packb({"v": 1, "enc": False, "max": True}),
        msgpack.packb({"v": 1, "enc": False, "max": 10}) + b"\x00",  # trailing bytes
    ],
)
def test_bad_hello_body_is_malformed(body: bytes) -> None:
    with pytest.raises(MalformedHello):
        FrameDecoder().feed(hello_with_body(body))


def test_unsupported_version_is_malformed_hello() -> None:
    with pytest.raises(MalformedHello, match=r"unsupported wire version 2"):
        FrameDecoder().feed(hello_with_body(msgpack.packb({"v": 2, "enc": False, "max": 10})))


def test_hello_longer_than_the_limit_is_refused_from_its_header() -> None:
    with pytest.raises(MalformedHello):
        FrameDecoder().feed(b"LCW1" + struct.pack(">I", HELLO_LIMIT + 1))


def test_dead_decoder_raises_the_same_error_class_on_every_later_feed() -> None:
    decoder = FrameDecoder(max_frame=4)
    decoder.feed(FrameEncoder().hello(False))
    with pytest.raises(OversizeFrame):
        decoder.feed(struct.pack(">I", 5))
    for later in (stream([b"ok"]), b"", b"x"):
        with pytest.raises(OversizeFrame, match=r"^oversize frame of 5 bytes$") as caught:
            decoder.feed(later)
        assert caught.value.events == ()


def test_dead_not_a_peer_decoder_stays_dead() -> None:
    decoder = FrameDecoder()
    with pytest.raises(NotAPeer):
        decoder.feed(b"GET")
    with pytest.raises(NotAPeer):
        decoder.feed(FrameEncoder().hello(False))


def test_errors_are_split_by_side() -> None:
    for remote in (NotAPeer, MalformedHello, OversizeFrame):
        assert issubclass(remote, RemoteFrameError)
        assert not issubclass(remote, LocalFrameError)
    assert issubclass(OutboundFrameTooLarge, LocalFrameError)
    assert not issubclass(OutboundFrameTooLarge, RemoteFrameError)
    assert issubclass(LocalFrameError, FrameError)
    assert issubclass(RemoteFrameError, FrameError)


@pytest.mark.parametrize(
    "error", [NotAPeer(), MalformedHello("bad"), OversizeFrame(5, 4), OutboundFrameTooLarge(5, 4)]
)
def test_errors_survive_pickling_with_their_text(error: FrameError) -> None:
    copy = pickle.loads(pickle.dumps(error))
    assert type(copy) is type(error)
    assert str(copy) == str(error)


# -- encoder --------------------------------------------------------------------------------


def test_frame_is_big_endian_length_then_payload() -> None:
    assert FrameEncoder().frame(b"abc") == b"\x00\x00\x00\x03abc"
    assert FrameEncoder().frame(b"") == b"\x00\x00\x00\x00"


def test_frame_parts_are_header_and_the_same_payload_object() -> None:
    payload = b"p" * 100_000
    header, body = FrameEncoder().frame_parts(payload)
    assert header == struct.pack(">I", 100_000)
    assert body is payload


def test_outbound_payload_over_the_peer_limit_is_refused() -> None:
    encoder = FrameEncoder()
    encoder.set_peer_limit(10)
    assert encoder.frame(b"x" * 10) == struct.pack(">I", 10) + b"x" * 10
    with pytest.raises(OutboundFrameTooLarge) as caught:
        encoder.frame(b"x" * 11)
    assert (caught.value.size, caught.value.limit) == (11, 10)
    assert str(caught.value) == "11 bytes > limit 10"
    with pytest.raises(OutboundFrameTooLarge):
        encoder.frame_parts(b"x" * 11)


def test_outbound_limit_before_the_peer_hello_is_the_wire_limit() -> None:
    encoder = FrameEncoder(max_frame=10)
    assert encoder.peer_limit == 0xFFFFFFFF
    assert encoder.frame(b"x" * 100) == struct.pack(">I", 100) + b"x" * 100


def test_peer_limit_comes_from_the_peer_hello() -> None:
    hello = FrameDecoder().feed(FrameEncoder(max_frame=64).hello(False))[0]
    encoder = FrameEncoder()
    encoder.set_peer_limit(hello.max_frame)
    with pytest.raises(OutboundFrameTooLarge):
        encoder.frame(b"x" * 65)


@pytest.mark.parametrize("bad", [0, -1, 2**32, 1.5, "16"])
def test_invalid_max_frame_is_rejected(bad: object) -> None:
    with pytest.raises(ValueError):
        FrameEncoder(bad)  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        FrameDecoder(bad)  # type: ignore[arg-type]


# -- fuzz -----------------------------------------------------------------------------------


def chunked(data: bytes, sizes: list[int]) -> list[bytes]:
    chunks, offset = [], 0
    for size in sizes:
        chunks.append(data[offset : offset + size])
        offset += size
    chunks.append(data[offset:])
    return chunks


@settings(max_examples=300, deadline=None)
@given(
    prefix=st.sampled_from([b"", b"LCW1", FrameEncoder().hello(False)]),
    noise=st.binary(max_size=2000),
    sizes=st.lists(st.integers(min_value=0, max_value=64), max_size=60),
    max_frame=st.integers(min_value=1, max_value=4096),
)
def test_arbitrary_bytes_in_arbitrary_chunks_raise_only_remote_frame_errors(
    prefix: bytes, noise: bytes, sizes: list[int], max_frame: int
) -> None:
    decoder = FrameDecoder(max_frame)
    data = prefix + noise
    total = 0
    failed = None
    for chunk in chunked(data, sizes):
        try:
            events = decoder.feed(chunk)
        except RemoteFrameError as error:
            assert failed is None or type(error) is failed
            failed = type(error)
            continue
        assert failed is None  # a dead decoder never yields again
        for event in events:
            total += len(event) if isinstance(event, bytes) else 0
    assert total <= len(data)  # bounded: nothing is invented or repeated
    assert decoder.buffered <= len(data)


@settings(max_examples=300, deadline=None)
@given(
    payloads=st.lists(st.binary(max_size=300), max_size=30),
    sizes=st.lists(st.integers(min_value=0, max_value=200), max_size=40),
    encrypted=st.booleans(),
)
def test_arbitrary_frame_lists_survive_arbitrary_chunking(
    payloads: list[bytes], sizes: list[int], encrypted: bool
) -> None:
    data = stream(payloads, encrypted=encrypted)
    decoder = FrameDecoder()
    events: list = []
    for chunk in chunked(data, sizes):
        events += decoder.feed(chunk)
    assert events == [PeerHello(1, encrypted, DEFAULT_MAX_FRAME), *payloads]
    assert decoder.buffered == 0
