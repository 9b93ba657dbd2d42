"""Encode+decode throughput of both codecs (spec types-and-encoding §9, §11); run with
``-p no:xdist``.

Two payloads: an ``Xy(x=2, y=2)`` message and a 64x64 ``list[list[float]]`` table, each in
JSON (compact and pretty) and msgpack, next to the raw library calls on the same plain data
(``json.dumps/loads``, ``msgpack.packb/unpackb``) so each group shows what the typed layer
costs. Nothing asserts on time. ``extra_info["compiled"]`` records which build ran.
"""

from __future__ import annotations

import json
import random

import msgpack
import pytest

import layer_cake as lc
from layer_cake import _build
from layer_cake.types import _convert
from layer_cake.types._json import decode_json, encode_json
from layer_cake.types._wire import decode_message, encode_message

SIDE = 64


class Xy:
    """The demo's request: two integers."""

    def __init__(self, x: int = 1, y: int = 1) -> None:
        self.x = x
        self.y = y


lc.bind(Xy)

TABLE_TYPE = lc.def_type(list[list[float]])
_random = random.Random(1)
TABLE = [[_random.random() for _ in range(SIDE)] for _ in range(SIDE)]

XY = Xy(x=2, y=2)
XY_PLAIN = {"x": 2, "y": 2}
PAYLOADS = {"xy": (XY, XY_PLAIN), "table": (lc.cast_to(TABLE, TABLE_TYPE), TABLE)}


@pytest.fixture(autouse=True)
def _record_build(benchmark) -> None:  # type: ignore[no-untyped-def]
    benchmark.extra_info["compiled"] = _build.is_compiled(_convert)


def json_round_trip(message: object, pretty: bool) -> object:
    return decode_json(encode_json(message, pretty=pretty))


def msgpack_round_trip(message: object) -> object:
    return decode_message(encode_message(message))


def raw_json_round_trip(data: object, pretty: bool) -> object:
    if pretty:
        return json.loads(json.dumps(data, indent=4, sort_keys=True))
    return json.loads(json.dumps(data, separators=(",", ":"), sort_keys=True))


def raw_msgpack_round_trip(data: object) -> object:
    return msgpack.unpackb(msgpack.packb(data))


def decoded_equals(decoded: object, name: str) -> bool:
    if name == "xy":
        return type(decoded) is Xy and (decoded.x, decoded.y) == (2, 2)
    return decoded == (TABLE, TABLE_TYPE)


@pytest.mark.parametrize("name", list(PAYLOADS))
@pytest.mark.parametrize("pretty", [False, True], ids=["compact", "pretty"])
def test_json(benchmark, name: str, pretty: bool) -> None:  # type: ignore[no-untyped-def]
    benchmark.group = f"{name}-json"
    decoded = benchmark(json_round_trip, PAYLOADS[name][0], pretty)
    assert decoded_equals(decoded, name)


@pytest.mark.parametrize("name", list(PAYLOADS))
@pytest.mark.parametrize("pretty", [False, True], ids=["compact", "pretty"])
def test_json_raw_baseline(benchmark, name: str, pretty: bool) -> None:  # type: ignore[no-untyped-def]
    benchmark.group = f"{name}-json"
    plain = PAYLOADS[name][1]
    assert benchmark(raw_json_round_trip, plain, pretty) == plain


@pytest.mark.parametrize("name", list(PAYLOADS))
def test_msgpack(benchmark, name: str) -> None:  # type: ignore[no-untyped-def]
    benchmark.group = f"{name}-msgpack"
    decoded = benchmark(msgpack_round_trip, PAYLOADS[name][0])
    assert decoded_equals(decoded, name)


@pytest.mark.parametrize("name", list(PAYLOADS))
def test_msgpack_raw_baseline(benchmark, name: str) -> None:  # type: ignore[no-untyped-def]
    benchmark.group = f"{name}-msgpack"
    plain = PAYLOADS[name][1]
    assert benchmark(raw_msgpack_round_trip, plain) == plain
