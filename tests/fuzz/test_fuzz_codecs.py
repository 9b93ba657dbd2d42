"""Fuzzing the wire-facing decoders: the frame decoder, the msgpack wire codec, the JSON codec.

Whatever bytes a peer sends, each decoder either gives values or raises its typed error
(``RemoteFrameError``, ``CodecRuntimeError``), never anything else, never a hang. Inputs are
both raw bytes and near-valid ones (a valid encoding with bytes flipped, cut or spliced), which
reach deeper than random noise. Bounded in time: see ``fuzz_support``.
"""

from __future__ import annotations

import contextlib
import itertools

import msgpack
from fuzz_support import FUZZ, run_bounded
from hypothesis import given
from hypothesis import strategies as st

import layer_cake as lc
from layer_cake.net._frame import FrameDecoder, FrameEncoder, PeerHello, RemoteFrameError
from layer_cake.types._errors import CodecError
from layer_cake.types._json import decode_json, encode_json
from layer_cake.types._wire import decode_message, encode_message, pack_payload, unpack_payload

MAX_FRAME = 4096


class Sample:
    """A message with text, numbers, a list, a map and an optional field."""

    def __init__(self, name: str = "x", count: int = 0, ratio: float = 0.5,
                 tags: list[str] | None = None, table: dict[str, int] | None = None,
                 blob: bytes = b"") -> None:
        self.name = name
        self.count = count
        self.ratio = ratio
        self.tags = tags if tags is not None else []
        self.table = table if table is not None else {}
        self.blob = blob


lc.bind(Sample)

samples = st.builds(
    Sample,
    name=st.text(max_size=20),
    count=st.integers(-(2**63), 2**63 - 1),
    ratio=st.floats(allow_nan=False),
    tags=st.lists(st.text(max_size=8), max_size=4),
    table=st.dictionaries(st.text(max_size=8), st.integers(-1000, 1000), max_size=4),
    blob=st.binary(max_size=32),
)


@st.composite
def mutated(draw: st.DrawFn, valid: bytes) -> bytes:
    """``valid`` with a few bytes flipped, a cut, or random bytes spliced in."""
    data = bytearray(valid)
    for _ in range(draw(st.integers(0, 4))):
        if not data:
            break
        i = draw(st.integers(0, len(data) - 1))
        data[i] = draw(st.integers(0, 255))
    if draw(st.booleans()):
        data = data[: draw(st.integers(0, len(data)))]
    if draw(st.booleans()):
        i = draw(st.integers(0, len(data)))
        data[i:i] = draw(st.binary(max_size=16))
    return bytes(data)


def chunks(data: bytes, cuts: list[int]) -> list[bytes]:
    """``data`` split at ``cuts`` (positions taken modulo its length)."""
    points = sorted({c % (len(data) + 1) for c in cuts} | {0, len(data)})
    return [data[a:b] for a, b in itertools.pairwise(points)]


# The frame decoder ---------------------------------------------------------------------------


def feed_all(decoder: FrameDecoder, parts: list[bytes]) -> list:
    """Every event of ``parts``; stops at the first protocol error (the decoder is dead)."""
    events: list = []
    for part in parts:
        try:
            events += decoder.feed(part)
        except RemoteFrameError as error:
            events += getattr(error, "events", [])
            try:
                decoder.feed(b"more")
            except RemoteFrameError as again:
                assert type(again) is type(error)  # dead: the same class every time
            else:
                raise AssertionError("a failed decoder took more input") from None
            break
    return events


@given(st.binary(max_size=600), st.lists(st.integers(0, 700), max_size=6))
@FUZZ
def fuzz_frame_decoder_on_noise(data: bytes, cuts: list[int]) -> None:
    events = feed_all(FrameDecoder(MAX_FRAME), chunks(b"LCW1" + data, cuts))
    for i, event in enumerate(events):
        if i == 0:
            assert type(event) is PeerHello
        else:
            assert type(event) is bytes and len(event) <= MAX_FRAME


@st.composite
def streams(draw: st.DrawFn) -> tuple[bytes, list[bytes]]:
    encoder = FrameEncoder(MAX_FRAME)
    payloads = draw(st.lists(st.binary(max_size=300), max_size=5))
    valid = encoder.hello(draw(st.booleans())) + b"".join(encoder.frame(p) for p in payloads)
    return draw(mutated(valid)), payloads


@given(streams(), st.lists(st.integers(0, 2000), max_size=6))
@FUZZ
def fuzz_frame_decoder_on_mutated_streams(stream: tuple[bytes, list[bytes]],
                                          cuts: list[int]) -> None:
    data, _ = stream
    events = feed_all(FrameDecoder(MAX_FRAME), chunks(data, cuts))
    assert all(type(e) is bytes and len(e) <= MAX_FRAME for e in events[1:])


@given(st.lists(st.binary(max_size=300), max_size=5), st.lists(st.integers(0, 2000), max_size=8))
@FUZZ
def fuzz_frame_decoder_gives_back_what_was_framed(payloads: list[bytes], cuts: list[int]) -> None:
    encoder = FrameEncoder(MAX_FRAME)
    data = encoder.hello(False) + b"".join(encoder.frame(p) for p in payloads)
    events = feed_all(FrameDecoder(MAX_FRAME), chunks(data, cuts))
    assert type(events[0]) is PeerHello and events[1:] == payloads


def test_frame_decoder_takes_any_bytes_with_typed_errors_only() -> None:
    run_bounded(
        fuzz_frame_decoder_on_noise,
        fuzz_frame_decoder_on_mutated_streams,
        fuzz_frame_decoder_gives_back_what_was_framed,
    )


# The msgpack wire codec ----------------------------------------------------------------------


def wire_decodes_or_refuses(data: bytes) -> None:
    with contextlib.suppress(CodecError):
        unpack_payload(data, lambda a: (7, *a))
    with contextlib.suppress(CodecError):
        decode_message(data)


@given(st.binary(max_size=400))
@FUZZ
def fuzz_wire_codec_on_noise(data: bytes) -> None:
    wire_decodes_or_refuses(data)


@given(st.data())
@FUZZ
def fuzz_wire_codec_on_mutated_messages(data: st.DataObject) -> None:
    sample = data.draw(samples)
    payload = pack_payload((1, 2), (3,), sample)
    wire_decodes_or_refuses(data.draw(mutated(payload)))
    wire_decodes_or_refuses(data.draw(mutated(encode_message(sample))))


@given(st.recursive(
    st.none() | st.booleans() | st.integers(-(2**63), 2**64 - 1) | st.floats() | st.text(max_size=8)
    | st.binary(max_size=8),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=4), inner,
                                                               max_size=4),
    max_leaves=20,
))
@FUZZ
def fuzz_wire_codec_on_well_formed_msgpack_of_any_shape(value: object) -> None:
    packed = msgpack.packb(value, use_bin_type=True)
    wire_decodes_or_refuses(packed)
    wire_decodes_or_refuses(msgpack.packb([msgpack.ExtType(3, b""), msgpack.ExtType(1, b""), 0,
                                           value], use_bin_type=True))


@given(samples)
@FUZZ
def fuzz_wire_codec_round_trips_messages(sample: Sample) -> None:
    back = decode_message(encode_message(sample))
    assert vars(back) == vars(sample)


def test_wire_codec_takes_any_bytes_with_typed_errors_only() -> None:
    run_bounded(
        fuzz_wire_codec_on_noise,
        fuzz_wire_codec_on_mutated_messages,
        fuzz_wire_codec_on_well_formed_msgpack_of_any_shape,
        fuzz_wire_codec_round_trips_messages,
    )


# The JSON codec ------------------------------------------------------------------------------


def json_decodes_or_refuses(text: str | bytes) -> None:
    for portable in (None, lc.UserDefined(Sample)):
        with contextlib.suppress(CodecError):
            if portable is None:
                decode_json(text)
            else:
                decode_json(text, portable)


@given(st.binary(max_size=300) | st.text(max_size=300))
@FUZZ
def fuzz_json_codec_on_noise(text: str | bytes) -> None:
    json_decodes_or_refuses(text)


@given(st.data())
@FUZZ
def fuzz_json_codec_on_mutated_shipments(data: st.DataObject) -> None:
    text = encode_json(data.draw(samples), pretty=False).encode()
    json_decodes_or_refuses(data.draw(mutated(text)))


@given(st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=6), inner,
                                                               max_size=4),
    max_leaves=25,
))
@FUZZ
def fuzz_json_codec_on_well_formed_json_of_any_shape(value: object) -> None:
    import json

    json_decodes_or_refuses(json.dumps(value))
    json_decodes_or_refuses(json.dumps({"value": value}))
    json_decodes_or_refuses(json.dumps({"value": ["layer_cake.sample", value, []]}))


def test_json_codec_takes_any_text_with_typed_errors_only() -> None:
    run_bounded(
        fuzz_json_codec_on_noise,
        fuzz_json_codec_on_mutated_shipments,
        fuzz_json_codec_on_well_formed_json_of_any_shape,
    )
