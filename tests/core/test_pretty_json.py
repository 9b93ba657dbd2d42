"""The fast pretty printer writes exactly what json.dumps(indent=4, sort_keys=True) writes."""

from __future__ import annotations

import json

from hypothesis import given, settings
from hypothesis import strategies as st

from layer_cake.types._pretty import pretty_dumps

scalars = st.none() | st.booleans() | st.integers() | st.floats() | st.text()
data = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=5) | st.dictionaries(st.text(max_size=8), inner, max_size=5)
    ),
    max_leaves=40,
)


def reference(value: object) -> str:
    return json.dumps(value, indent=4, sort_keys=True, ensure_ascii=False)


@settings(max_examples=300, deadline=None)
@given(data)
def test_pretty_text_equals_the_stdlib_pretty_text(value):
    assert pretty_dumps(value) == reference(value)


def test_int_keys_and_special_floats_match_the_stdlib():
    value = {2: [float("nan"), float("inf"), -float("inf"), -0.0], 1: {}}
    assert pretty_dumps(value) == reference(value)


def test_unserialisable_value_is_a_type_error():
    try:
        pretty_dumps({"a": object()})
    except TypeError as e:
        assert "not JSON serializable" in str(e)
    else:
        raise AssertionError("no TypeError")
