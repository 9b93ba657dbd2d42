"""compat §3.1: the codecs of layer-cake 0.1 (``CodecJson``, ``CodecNoop``) and their helpers.

Expected values are copied from the entries of compat.md §3.1 (``__main__`` there is this
test module here).
"""

from __future__ import annotations

import uuid
from datetime import timedelta, timezone

import pytest

import layer_cake as lc


class Xy:
    def __init__(self, x: int = 1, y: int = 2) -> None:
        self.x = x
        self.y = y


class XyList:
    def __init__(self, x: int = 0, y: list[float] | None = None) -> None:
        self.x = x
        self.y = y if y is not None else []


lc.bind_message(Xy)
lc.bind_message(XyList)

XY = f"{__name__}.Xy"
REFUSAL = '"{}" is an internal of layer-cake 0.1.1 and is not provided; see compat.md'


# --- CodecJson ------------------------------------------------------------------------------


def test_codec_json_encodes_a_class_compactly_in_declaration_order():
    assert lc.CodecJson().encode(Xy(1, 2), lc.UserDefined(Xy)) == '{"value":{"x":1,"y":2}}'


def test_codec_json_encodes_any_as_signature_data_and_aliases():
    text = lc.CodecJson().encode(Xy(3, 4), lc.Any())
    assert text == '{"value":["' + XY + '",{"x":3,"y":4},[]]}'


def test_codec_json_encodes_a_vector_and_a_null_any():
    c = lc.CodecJson()
    assert c.encode([1, 2], lc.VectorOf(lc.Integer8())) == '{"value":[1,2]}'
    assert c.encode(None, lc.Any()) == '{"value":null}'


def test_codec_json_pretty_format_indents_four_spaces_with_sorted_keys():
    text = lc.CodecJson(pretty_format=True).encode(Xy(1, 2), lc.UserDefined(Xy))
    assert text == '{\n    "value": {\n        "x": 1,\n        "y": 2\n    }\n}'


def test_codec_json_refuses_a_raw_value_as_any():
    with pytest.raises(lc.CodecRuntimeError) as caught:
        lc.CodecJson().encode(3, lc.Any())
    assert str(caught.value) == "cannot encode (no transform int/Any)"


def test_codec_json_decode_keeps_defaults_of_absent_members():
    xy = lc.CodecJson().decode('{"value": {"x": 5}}', lc.UserDefined(Xy))
    assert isinstance(xy, Xy)
    assert (xy.x, xy.y) == (5, 2)


@pytest.mark.parametrize(
    ("text", "error"),
    [
        ("{}", 'cannot decode (no "value" available)'),
        ("", "cannot decode (Expecting value: line 1 column 1 (char 0))"),
    ],
)
def test_codec_json_decode_errors(text, error):
    with pytest.raises(lc.CodecRuntimeError) as caught:
        lc.CodecJson().decode(text, lc.UserDefined(Xy))
    assert str(caught.value) == error


def test_codec_json_extension_and_full_name():
    assert lc.CodecJson().extension == "json"
    assert lc.CodecJson().full_name("abc") == "abc.json"
    assert lc.CodecJson(decorate_names=False).full_name("abc") == "abc"


def test_codec_json_constructor_keywords_are_attributes():
    c = lc.CodecJson(return_proxy=1, local_termination=2, pretty_format=True, decorate_names=False)
    assert isinstance(c, lc.Codec)
    assert (c.return_proxy, c.local_termination, c.pretty_format, c.decorate_names) == (
        1,
        2,
        True,
        False,
    )


def test_codec_base_takes_the_seven_parameters_and_round_trips():
    c = lc.Codec("txt", lc.word_to_json, lc.json_to_word, None, None, False, True)
    assert c.full_name("a") == "a.txt"
    text = c.encode(Xy(7, 8), lc.UserDefined(Xy))
    assert text == '{"value":{"x":7,"y":8}}'
    back = c.decode(text, lc.UserDefined(Xy))
    assert (back.x, back.y) == (7, 8)


# --- CodecNoop ------------------------------------------------------------------------------


def test_codec_noop_representation_is_the_word():
    c = lc.CodecNoop()
    assert c.extension == "noop"
    word = c.encode(Xy(1, 2), lc.UserDefined(Xy))
    assert word == {"value": {"x": 1, "y": 2}}
    back = c.decode(word, lc.UserDefined(Xy))
    assert (back.x, back.y) == (1, 2)


# --- errors ---------------------------------------------------------------------------------


def test_codec_usage_error_formats_its_note():
    e = lc.CodecUsageError("encoding of unregistered message to file %r", "w6.json")
    assert isinstance(e, lc.CodecError)
    assert str(e) == "encoding of unregistered message to file 'w6.json'"


def test_enumeration_runtime_error_text_is_the_note():
    assert str(lc.EnumerationRuntimeError("no such member")) == "no such member"


# --- word helpers ---------------------------------------------------------------------------


def test_word_to_json_honours_pretty_format_and_json_to_word_parses():
    assert lc.word_to_json(lc.CodecJson(), {"b": 1, "a": [2]}) == '{"b":1,"a":[2]}'
    pretty = lc.word_to_json(lc.CodecJson(pretty_format=True), {"b": 1, "a": 2})
    assert pretty == '{\n    "a": 2,\n    "b": 1\n}'
    assert lc.json_to_word(lc.CodecJson(), '{"a": [1, 2]}') == {"a": [1, 2]}


def test_noop_word_helpers_are_identity():
    w = {"value": 1}
    assert lc.word_to_noop(lc.CodecNoop(), w) is w
    assert lc.noop_to_word(lc.CodecNoop(), w) is w


def test_python_to_word_and_back():
    c = lc.CodecJson()
    word = lc.python_to_word(c, XyList(2, [1.5]), lc.UserDefined(XyList))
    assert word == {"x": 2, "y": [1.5]}
    back = lc.word_to_python(c, {"x": 2, "y": [1.5]}, lc.UserDefined(XyList))
    assert isinstance(back, XyList)
    assert (back.x, back.y) == (2, [1.5])


def test_pass_thru_returns_its_value():
    p = object()
    assert lc.pass_thru(lc.CodecJson(), p, lc.Any()) is p


# --- scalar steps ---------------------------------------------------------------------------


def test_p2w_scalars_to_text():
    c = lc.CodecJson()
    u = uuid.uuid4()
    assert lc.p2w_span(c, 93600.0, lc.TimeSpan()) == "1d2h"
    clock = lc.clock_at(2025, 6, 1, 10)
    assert lc.p2w_clock(c, clock, lc.ClockTime()) == "2025-06-01T10:00:00"
    world = lc.world_at(2025, 6, 1, 10)
    assert lc.p2w_world(c, world, lc.WorldTime()) == "2025-06-01T10:00:00"
    assert lc.p2w_delta(c, timedelta(seconds=1.5), lc.TimeDelta()) == "00:00:01.5"  # ours (§2.11)
    assert lc.p2w_uuid(c, u, lc.UUID()) == str(u)
    assert lc.p2w_block(c, bytearray(b"ab"), lc.Block()) == "YWI="
    assert lc.p2w_string(c, b"\xe9t\xe9", lc.String()) == "\xe9t\xe9"
    assert lc.p2w_type(c, Xy, lc.Type()) == XY
    host = lc.ScopeOfDirectory.HOST
    assert lc.p2w_enumeration(c, host, lc.def_type(lc.ScopeOfDirectory)) == "HOST"


def test_w2p_text_to_scalars():
    c = lc.CodecJson()
    u = uuid.uuid4()
    assert lc.w2p_span(c, "1d2h", lc.TimeSpan()) == 93600.0
    assert lc.w2p_clock(c, "2025-06-01T10:00:00", lc.ClockTime()) == lc.clock_at(2025, 6, 1, 10)
    world = lc.w2p_world(c, "2025-06-01T10:00:00+1000", lc.WorldTime())
    assert world.utcoffset() == timedelta(hours=10)
    assert world.tzinfo == timezone(timedelta(hours=10))
    assert lc.w2p_delta(c, "00:00:1.5", lc.TimeDelta()) == timedelta(seconds=1.5)
    assert lc.w2p_uuid(c, str(u), lc.UUID()) == u
    assert lc.w2p_block(c, "YWI=", lc.Block()) == bytearray(b"ab")
    assert lc.w2p_string(c, "\xe9t\xe9", lc.String()) == b"\xe9t\xe9"
    assert lc.w2p_type(c, XY, lc.Type()) is Xy
    scope = lc.def_type(lc.ScopeOfDirectory)
    assert lc.w2p_enumeration(c, "HOST", scope) is lc.ScopeOfDirectory.HOST


def test_w2p_enumeration_names_an_unknown_member():
    with pytest.raises(ValueError, match=r'^undefined enum "ScopeOfDirectory.NOPE"$'):
        lc.w2p_enumeration(lc.CodecJson(), "NOPE", lc.def_type(lc.ScopeOfDirectory))


@pytest.mark.parametrize("name", ["p2w_any", "w2p_any", "p2w_portable", "w2p_portable"])
def test_mid_encode_steps_are_refused(name):
    with pytest.raises(NotImplementedError) as caught:
        getattr(lc, name)(lc.CodecJson(), None, lc.Any())
    assert str(caught.value) == REFUSAL.format(name)
