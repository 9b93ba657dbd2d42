"""Every message class of the library crosses the wire as constructed by default: a field left
at its default must be encodable, or the first request that leaves it so closes the link it is
sent on (issue 16: a bare ``ListDirectory()`` once carried a null list and never came back)."""

from __future__ import annotations

import importlib
import pkgutil

import pytest

import layer_cake
from layer_cake.types._registry import SPECS
from layer_cake.types._wire import decode_message, encode_message

#: Library classes that are not messages of their own, with the reason.
NOT_SENT = {
    "Incognito": "stands in for a message whose type the receiver lacks; made by decoding",
    "Unknown": "a value of no known type; never portable by design",
    "CommandLine": "the process's parsed command line; never sent",
}


def library_classes() -> list[type]:
    for module in pkgutil.walk_packages(layer_cake.__path__, "layer_cake."):
        importlib.import_module(module.name)
    classes = [c for c in SPECS if c.__module__.startswith("layer_cake.")]
    return sorted(classes, key=lambda c: (c.__module__, c.__qualname__))


def test_the_classes_left_out_exist_and_the_rest_are_many() -> None:
    names = {c.__qualname__ for c in library_classes()}
    assert set(NOT_SENT) <= names
    assert len(names - set(NOT_SENT)) > 100


@pytest.mark.parametrize(
    "cls",
    [c for c in library_classes() if c.__qualname__ not in NOT_SENT],
    ids=lambda c: c.__qualname__,
)
def test_a_library_message_with_its_defaults_round_trips_on_the_wire(cls: type) -> None:
    decoded = decode_message(encode_message(cls()))
    assert type(decoded) is cls


def test_a_bare_list_or_get_directory_asks_for_every_part_of_the_listing() -> None:
    from layer_cake.daemon import LISTING_PARTS, GetDirectory, ListDirectory

    for request in (ListDirectory(), GetDirectory()):
        decoded = decode_message(encode_message(request))
        assert decoded.lists == list(LISTING_PARTS)
    assert decode_message(encode_message(GetDirectory([]))).lists == []
