"""compat §3.2 and §2.11: conversion errors and the argument helpers of layer-cake 0.1.

Expected values are copied from the entries of compat.md.
"""

from __future__ import annotations

import os

import pytest

import layer_cake as lc

# --- errors ---------------------------------------------------------------------------------


def test_conversion_errors_are_value_errors():
    assert issubclass(lc.ConversionError, ValueError)
    assert issubclass(lc.ConversionDecodeError, lc.ConversionError)
    assert issubclass(lc.ConversionEncodeError, lc.ConversionError)


def test_conversion_decode_error_text_and_args():
    e = lc.ConversionDecodeError("TimeSpan", "bad")
    assert str(e) == 'cannot recover TimeSpan from "bad"'
    assert e.args == ("TimeSpan", "bad")


def test_conversion_encode_error_text():
    e = lc.ConversionEncodeError("TimeSpan", "inf")
    assert str(e) == "cannot represent inf as a TimeSpan"
    assert e.args == ("TimeSpan", "inf")


@pytest.mark.parametrize(
    ("decode", "need"),
    [
        (lc.text_to_span, "TimeSpan"),
        (lc.text_to_clock, "ClockTime"),
        (lc.text_to_world, "WorldTime"),
        (lc.text_to_delta, "TimeDelta"),
    ],
)
def test_text_to_time_raises_conversion_decode_error(decode, need):
    with pytest.raises(lc.ConversionDecodeError) as caught:
        decode("bad")
    assert str(caught.value) == f'cannot recover {need} from "bad"'
    assert caught.value.args == (need, "bad")


def test_a_handler_of_value_error_catches_a_bad_time_text():
    with pytest.raises(ValueError, match="cannot recover TimeSpan"):
        lc.text_to_span("bad")


# --- decode_argument / encode_argument -------------------------------------------------------

C = lc.CodecJson()


@pytest.mark.parametrize(
    ("text", "portable", "value"),
    [
        ("3", lc.Integer8(), 3),
        ("txt", lc.Unicode(), "txt"),
        ("1d2h", lc.TimeSpan(), 93600.0),
        (None, lc.Boolean(), True),
        (None, lc.Integer8(), None),
        ("[1,2]", lc.VectorOf(lc.Integer8()), [1, 2]),
    ],
)
def test_decode_argument(text, portable, value):
    assert lc.decode_argument(C, text, portable) == value


@pytest.mark.parametrize(
    ("value", "portable", "text"),
    [
        (3, lc.Integer8(), "3"),
        ("txt", lc.Unicode(), "txt"),
        (93600.0, lc.TimeSpan(), "1d2h"),
        (None, lc.Boolean(), "true"),
        (None, lc.Integer8(), "null"),
        ([1, 2], lc.VectorOf(lc.Integer8()), "[1, 2]"),
    ],
)
def test_encode_argument(value, portable, text):
    assert lc.encode_argument(C, value, portable) == text


def test_encode_argument_of_a_class_uses_json_dumps_spacing():
    text = lc.encode_argument(C, lc.HostPort("h", 1), lc.UserDefined(lc.HostPort))
    assert text == '{"host": "h", "port": 1}'


def test_decode_argument_of_bad_text_is_a_codec_error():
    with pytest.raises(lc.CodecRuntimeError):
        lc.decode_argument(C, "x", lc.Integer8())


# --- flags ----------------------------------------------------------------------------------


def test_process_flags_splits_words_long_and_short():
    words, flags = lc.process_flags(["a", "--x=1", "-y", "--flag", "b", "-ab=2"])
    assert (words, flags) == (["a", "b"], ({"x": "1", "flag": None}, {"y": None, "ab": "2"}))


def test_break_arguments_makes_the_program_absolute():
    program, words, flags = lc.break_arguments(["prog.py", "w", "--n=2", "-v"])
    assert program == os.path.abspath("prog.py")
    assert words == ["w"]
    assert flags == ({"n": "2"}, {"v": None})


SCHEMA = {"debug_level": lc.def_type(lc.USER_LOG), "count": lc.Integer8(), "verbose": lc.Boolean()}


def test_extract_arguments_decodes_known_names_and_returns_the_remainder():
    extracted, remainder = lc.extract_arguments(
        SCHEMA, ({"debug-level": "DEBUG", "k": "v", "f": None}, {"c": "3", "v": None, "s": "1"})
    )
    assert extracted == {
        "debug_level": (lc.USER_LOG.DEBUG, SCHEMA["debug_level"]),
        "count": (3, lc.Integer8()),
        "verbose": (True, lc.Boolean()),
    }
    assert remainder == ({"k": "v", "f": None}, {"s": "1"})


def test_extract_arguments_refuses_an_ambiguous_short_name():
    schema = {"dry_run": lc.Boolean(), "debug_run": lc.Boolean()}
    with pytest.raises(ValueError, match="ambiguous"):
        lc.extract_arguments(schema, ({}, {"dr": None}))


def test_extract_arguments_refuses_a_bad_value():
    with pytest.raises(ValueError, match='"count"'):
        lc.extract_arguments(SCHEMA, ({"count": "many"}, {}))


def test_kv_arguments_gives_plain_values():
    extracted, _ = lc.extract_arguments(SCHEMA, ({"count": "4"}, {}))
    assert lc.kv_arguments(extracted) == {"count": 4}


class Settings:
    def __init__(self, count: int = 1, verbose: bool = False) -> None:
        self.count = count
        self.verbose = verbose


lc.bind_message(Settings)


def test_apply_arguments_sets_the_schema_names_only():
    target = Settings()
    lc.apply_arguments(target, {"count": (9, lc.Integer8()), "other": (1, lc.Integer8())})
    assert (target.count, target.verbose) == (9, False)
    assert not hasattr(target, "other")


def test_remaining_arguments_back_to_argv_text():
    assert lc.remaining_arguments(({"k": "v", "f": None}, {"s": "1"})) == ["--k=v", "--f", "-s=1"]


def test_from_any_unwraps_a_cast_only():
    assert lc.from_any((3, lc.Integer8())) == 3
    ack = lc.Ack()
    assert lc.from_any(ack) is ack
    assert lc.from_any([3]) == [3]
