"""Frame codec throughput (spec networking-and-http §5); run with ``-p no:xdist``.

Each benchmark records which build ran (``extra_info["compiled"]``): compare a run under
``LC_PURE_PYTHON=1`` with one against the compiled extension.
"""

from __future__ import annotations

import pytest

from layer_cake import _build
from layer_cake.net import _frame
from layer_cake.net._frame import FrameDecoder, FrameEncoder

READ = 64 * 1024
SMALL = [b"m" * (32 + i % 16) for i in range(1000)]  # about 40 bytes each
BIG = bytes(range(256)) * (64 * 1024 // 256)


def reads(data: bytes, size: int) -> list[bytes]:
    return [data[offset : offset + size] for offset in range(0, len(data), size)]


def ready_decoder() -> FrameDecoder:
    decoder = FrameDecoder()
    decoder.feed(FrameEncoder().hello(False))
    return decoder


@pytest.fixture(autouse=True)
def _record_build(benchmark) -> None:  # type: ignore[no-untyped-def]
    benchmark.extra_info["compiled"] = _build.is_compiled(_frame)


def decode_all(decoder: FrameDecoder, chunks: list[bytes]) -> int:
    count = 0
    for chunk in chunks:
        count += len(decoder.feed(chunk))
    return count


@pytest.mark.parametrize("read_size", [READ, 4096], ids=["64KiB-reads", "4KiB-reads"])
def test_decode_1000_small_frames(benchmark, read_size: int) -> None:  # type: ignore[no-untyped-def]
    encoder = FrameEncoder()
    chunks = reads(b"".join(encoder.frame(p) for p in SMALL), read_size)
    decoder = ready_decoder()  # each round ends on a frame boundary, so it can be reused
    assert benchmark(decode_all, decoder, chunks) == len(SMALL)


def test_decode_one_64kib_frame(benchmark) -> None:  # type: ignore[no-untyped-def]
    chunks = reads(FrameEncoder().frame(BIG), READ)  # 65,536 + 4 bytes: two reads
    decoder = ready_decoder()
    assert benchmark(decode_all, decoder, chunks) == 1


def test_encode_1000_small_frames(benchmark) -> None:  # type: ignore[no-untyped-def]
    frame = FrameEncoder().frame
    result = benchmark(lambda: [frame(p) for p in SMALL])
    assert len(result) == len(SMALL)


def test_encode_one_64kib_frame(benchmark) -> None:  # type: ignore[no-untyped-def]
    encoder = FrameEncoder()
    assert len(benchmark(encoder.frame, BIG)) == len(BIG) + 4


def test_encode_one_64kib_frame_parts(benchmark) -> None:  # type: ignore[no-untyped-def]
    encoder = FrameEncoder()
    _header, body = benchmark(encoder.frame_parts, BIG)
    assert body is BIG
