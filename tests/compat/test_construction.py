"""compat §3.5: ``make``, ``fake`` and ``equal_to`` of layer-cake 0.1. Expected values are
copied from compat.md."""

from __future__ import annotations

import enum
import uuid
from collections import deque
from datetime import datetime, timedelta, timezone

import pytest

import layer_cake as lc


class Xy:
    def __init__(self, x: int = 1, y: int = 2) -> None:
        self.x = x
        self.y = y


class Bag:
    def __init__(self, v: list[int] | None = None, name: str = "", when: datetime | None = None):
        self.v = v if v is not None else []
        self.name = name
        self.when = when


class Node:
    def __init__(self, value: int = 0, next: Node | None = None) -> None:
        self.value = value
        self.next = next


class Colour(enum.Enum):
    RED = 1
    GREEN = 2


lc.bind_message(Xy)
lc.bind_message(Bag)
lc.bind_message(Node, next=lc.PointerTo(lc.UserDefined(Node)))

REFUSED = "registration failed (non-memory type presented for construction - {})"


# --- make -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "p",
    [
        lc.Boolean(),
        lc.Integer8(),
        lc.Float8(),
        lc.Unicode(),
        lc.String(),
        lc.ClockTime(),
        lc.WorldTime(),
        lc.UUID(),
        lc.Any(),
        lc.PointerTo(lc.Integer8()),
        lc.Type(),
        lc.Address(),
        lc.TargetAddress(),
    ],
    ids=lambda p: p.signature(),
)
def test_make_of_scalars_any_pointers_types_and_addresses_is_none(p):
    assert lc.make(p) is None


def test_make_of_containers_is_empty():
    assert lc.make(lc.VectorOf(lc.Integer8())) == []
    assert lc.make(lc.MapOf(lc.Unicode(), lc.Integer8())) == {}
    assert lc.make(lc.SetOf(lc.Integer8())) == set()
    made = lc.make(lc.DequeOf(lc.Integer8()))
    assert isinstance(made, deque)
    assert made == deque()
    assert lc.make(lc.ArrayOf(lc.Integer8(), 3)) == [None, None, None]


def test_make_of_a_class_is_its_default_instance():
    xy = lc.make(lc.UserDefined(Xy))
    assert isinstance(xy, Xy)
    assert (xy.x, xy.y) == (1, 2)


def test_make_accepts_hints_and_classes():
    assert lc.make(int) is None
    assert lc.make(list[int]) == []
    assert isinstance(lc.make(Xy), Xy)


def test_make_refuses_what_is_not_a_type():
    with pytest.raises(lc.MessageRegistrationError) as caught:
        lc.make(3)
    assert str(caught.value) == REFUSED.format(3)


# --- fake -----------------------------------------------------------------------------------


def test_fake_scalars():
    assert lc.fake(lc.Boolean()) is False
    assert lc.fake(lc.Integer8()) == 0
    assert lc.fake(lc.Unsigned2()) == 0
    assert lc.fake(lc.Byte()) == 0
    assert lc.fake(lc.Float8()) == 0.0
    assert lc.fake(lc.Unicode()) == "CAFE"
    assert lc.fake(lc.String()) == b"CAFE"
    assert lc.fake(lc.Block()) == bytearray(b"\x0c\n\x0f\x0e")
    assert lc.fake(lc.Character()) == b"c"
    assert lc.fake(lc.Rune()) == "C"
    assert lc.fake(lc.ClockTime()) == datetime(1963, 3, 26).timestamp()  # local midnight
    assert lc.fake(lc.TimeSpan()) == 0.5
    assert lc.fake(lc.WorldTime()) == datetime(1963, 3, 26, tzinfo=timezone.utc)
    assert lc.fake(lc.TimeDelta()) == timedelta(seconds=0.5)
    assert isinstance(lc.fake(lc.UUID()), uuid.UUID)
    assert lc.fake(lc.def_type(Colour)) is Colour.RED


def test_fake_containers_hold_one_fake():
    assert lc.fake(lc.VectorOf(lc.Integer8())) == [0]
    assert lc.fake(lc.ArrayOf(lc.Unicode(), 2)) == ["CAFE", "CAFE"]
    assert lc.fake(lc.DequeOf(lc.Float8())) == deque([0.0])
    assert lc.fake(lc.SetOf(lc.Unicode())) == {"CAFE"}
    assert lc.fake(lc.MapOf(lc.Unicode(), lc.Boolean())) == {"CAFE": False}


def test_fake_of_a_class_fakes_every_field():
    bag = lc.fake(lc.UserDefined(Bag))
    assert isinstance(bag, Bag)
    assert (bag.v, bag.name, bag.when) == ([0], "CAFE", datetime(1963, 3, 26, tzinfo=timezone.utc))


def test_fake_pointer_address_and_any():
    assert lc.fake(lc.PointerTo(lc.Integer8())) == 0
    assert list(lc.fake(lc.Address())) == [12, 10, 15, 14]
    assert isinstance(lc.fake(lc.Any()), lc.Ack)


def test_fake_of_a_self_referencing_class_ends():
    node = lc.fake(Node)
    assert isinstance(node, Node)
    assert node.value == 0


def test_fake_values_encode():
    text = lc.CodecJson().encode(lc.fake(Bag), lc.UserDefined(Bag))
    assert text == '{"value":{"v":[0],"name":"CAFE","when":"1963-03-26T00:00:00"}}'


def test_fake_refuses_what_is_not_a_type():
    with pytest.raises(lc.MessageRegistrationError) as caught:
        lc.fake(3)
    assert str(caught.value) == REFUSED.format(3)


# --- equal_to -------------------------------------------------------------------------------


def test_two_default_instances_are_equal():
    assert lc.equal_to(Bag(), Bag())


def test_instances_differing_in_a_list_are_not_equal():
    assert not lc.equal_to(Bag(v=[1]), Bag(v=[2]))


def test_vectors_compare_in_order():
    assert not lc.equal_to([1, 2], [2, 1])
    assert not lc.equal_to([1, 2], [2, 1], lc.VectorOf(lc.Integer8()))
    assert lc.equal_to([1, 2], [1, 2], lc.VectorOf(lc.Integer8()))


def test_different_message_classes_are_not_equal():
    assert not lc.equal_to(lc.Ack(), lc.Nak())
    assert lc.equal_to(lc.Ack(), lc.Ack())


def test_a_must_be_an_instance_of_b_class():
    assert not lc.equal_to(3, Xy())
    assert not lc.equal_to(Bag(), Xy())


def test_portables_compare_by_signature():
    assert lc.equal_to(lc.VectorOf(lc.Integer8()), lc.def_type(list[int]))
    assert not lc.equal_to(lc.Integer8(), lc.Integer4())


def test_sets_maps_and_deques():
    assert lc.equal_to({1, 2}, {2, 1}, lc.SetOf(lc.Integer8()))
    m = lc.MapOf(lc.Unicode(), lc.VectorOf(lc.Integer8()))
    assert lc.equal_to({"a": [1]}, {"a": [1]}, m)
    assert not lc.equal_to({"a": [1]}, {"b": [1]}, m)
    assert not lc.equal_to({"a": [1]}, {"a": [2]}, m)
    assert lc.equal_to(deque([1]), deque([1]), lc.DequeOf(lc.Integer8()))


def test_a_missing_attribute_is_not_equal():
    partial = Xy()
    del partial.y
    assert not lc.equal_to(partial, Xy())


def test_pointers_are_followed_and_cycles_end():
    a = Node(1)
    a.next = a
    b = Node(1)
    b.next = b
    assert lc.equal_to(a, b)
    c = Node(1, Node(2))
    d = Node(1, Node(3))
    assert not lc.equal_to(c, d)
