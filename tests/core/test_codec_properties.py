"""Round trips of every type of types-and-encoding §2 through both codecs (spec §9, §11).

A strategy draws ``(portable, value)`` pairs recursively: every scalar type, containers nested
two or three deep, bound classes (optional scalar fields, nested classes, a field typed
``Any``), shared and cyclic pointers, and ``Any`` messages holding further messages. The
properties: JSON and msgpack each give back an equal value, JSON -> msgpack -> JSON is the
identity, and a message survives both ``Any`` encodings. Then values of unknown types
(``Incognito``): they re-encode exactly as received, so a relay can pass on what it cannot read.

Values are compared with ``same``: bound-class instances field by field, and an object that the
original reaches twice must be one object in the copy too (pointer sharing).
"""

from __future__ import annotations

import collections
import copy
import enum
import functools
import json
import math
import struct
import types
import uuid
from datetime import datetime, timedelta, timezone

import msgpack
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import layer_cake as lc
from layer_cake.types._json import decode_data, decode_json, encode_data, encode_json
from layer_cake.types._message import resolve_signature
from layer_cake.types._registry import bind_library_message
from layer_cake.types._wire import decode_message, decode_value, encode_message, encode_value

PROPERTY = settings(
    max_examples=200,
    deadline=None,
    database=None,  # nothing written into the checkout
    report_multiple_bugs=False,  # shrink one failure, not every distinct one (slow)
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)

EXT_POINTER = 2  # msgpack ExtType code of a pointer alias (spec §11)
UNKNOWN_NAME = "nosuch.Z"


# Comparison ----------------------------------------------------------------------------------


def is_message_class(t: type) -> bool:
    return t.__dict__.get("__lc_message__") is not None


def same(a: object, b: object, pairs: dict[int, object] | None = None) -> bool:
    """Equal values; bound-class instances compared by schema fields, recursively.

    ``pairs`` maps each instance of ``a`` already met to its partner in ``b``, both ways: an
    instance reached twice in one must be the partner reached twice in the other, so shared
    pointers stay shared, and cycles end the recursion.
    """
    if pairs is None:
        pairs = {}
    if type(a) is not type(b):
        return False
    t = type(a)
    if is_message_class(t):
        ka, kb = ("a", id(a)), ("b", id(b))
        if ka in pairs or kb in pairs:
            return pairs.get(ka) is b and pairs.get(kb) is a
        pairs[ka], pairs[kb] = b, a
        return all(
            same(getattr(a, name, None), getattr(b, name, None), pairs)
            for name, _ in t.__lc_message__.fields
        )
    if t in (list, tuple, collections.deque):
        return len(a) == len(b) and all(same(x, y, pairs) for x, y in zip(a, b, strict=True))
    if t is dict:
        return a.keys() == b.keys() and all(same(a[k], b[k], pairs) for k in a)
    if t is float:
        return a == b or (math.isnan(a) and math.isnan(b))
    if t is datetime:
        return a == b and a.utcoffset() == b.utcoffset()
    return a == b


# Types ---------------------------------------------------------------------------------------


class Colour(enum.Enum):
    RED = 1
    GREEN = 2
    BLUE = 3


class Leaf:
    """Optional scalar fields of many kinds, all None by default."""

    def __init__(
        self,
        flag: bool | None = None,
        count: int | None = None,
        ratio: float | None = None,
        name: str | None = None,
        raw: bytes | None = None,
        colour: Colour | None = None,
        when: datetime | None = None,
        ident: uuid.UUID | None = None,
        small: int | None = None,
        span: float | None = None,
        initial: str | None = None,
    ) -> None:
        self.flag = flag
        self.count = count
        self.ratio = ratio
        self.name = name
        self.raw = raw
        self.colour = colour
        self.when = when
        self.ident = ident
        self.small = small
        self.span = span
        self.initial = initial


# Hints for the Python types, keywords for the library-only ones.
lc.bind(Leaf, small=lc.Integer2, span=lc.TimeSpan, initial=lc.Rune)


class Branch:
    """Nested classes, containers of classes and a field typed ``Any``."""

    def __init__(
        self,
        leaf: Leaf | None = None,
        leaves: list[Leaf] | None = None,
        table: dict[str, list[int]] | None = None,
        anything: object = None,
        label: str | None = None,
    ) -> None:
        self.leaf = leaf if leaf is not None else Leaf()
        self.leaves = leaves if leaves is not None else []
        self.table = table if table is not None else {}
        self.anything = anything
        self.label = label


lc.bind(Branch, anything=lc.Any())


class Node:
    """A linked-list cell: ``next`` is a pointer, so lists may share tails and form cycles."""

    def __init__(self, value: int | None = None, next: Node | None = None) -> None:
        self.value = value
        self.next = next


lc.bind(Node, next=lc.PointerTo(lc.UserDefined(Node)))

LEAF_POINTER = lc.def_type(lc.PointerTo(Leaf))


class Pair:
    """Two pointers to leaves, possibly the same leaf."""

    def __init__(self, first: Leaf | None = None, second: Leaf | None = None) -> None:
        self.first = first
        self.second = second


lc.bind(Pair, first=LEAF_POINTER, second=LEAF_POINTER)

LEAF, BRANCH, NODE, PAIR = (lc.def_type(c) for c in (Leaf, Branch, Node, Pair))
ANY = lc.def_type(lc.Any())


# Values --------------------------------------------------------------------------------------

MICROSECONDS = 10**6
finite_floats = st.floats(allow_nan=False, allow_infinity=False)
zones = st.one_of(
    st.just(timezone.utc),
    st.integers(-(23 * 60 + 59), 23 * 60 + 59).map(lambda m: timezone(timedelta(minutes=m))),
)


def unambiguous_local(epoch: float) -> bool:
    """Not in the hour repeated when daylight saving ends (its text names two instants)."""
    local = datetime.fromtimestamp(epoch)
    return local.replace(fold=0).timestamp() == local.replace(fold=1).timestamp()


# ClockTime text carries microseconds: epochs that are whole microseconds, 1901 to 2242.
clock_times = (
    st.integers(-(2**31) * MICROSECONDS, 2**33 * MICROSECONDS)
    .map(lambda us: us / MICROSECONDS)
    .filter(unambiguous_local)
)

words = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**63), 2**64 - 1)
    | finite_floats
    | st.text(max_size=8),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=4), inner, max_size=3)
    ),
    max_leaves=6,
)

addresses = st.lists(st.integers(0, 2**64 - 1), max_size=4).map(tuple)  # §11: packed u64s

#: Every simple type with a strategy for its values; the hashable ones also key maps and sets.
HASHABLE_SCALARS: dict[lc.Portable, st.SearchStrategy] = {
    lc.def_type(lc.Boolean): st.booleans(),
    lc.def_type(lc.Integer2): st.integers(-(2**15), 2**15 - 1),
    lc.def_type(lc.Integer4): st.integers(-(2**31), 2**31 - 1),
    lc.def_type(lc.Integer8): st.integers(-(2**63), 2**63 - 1),
    lc.def_type(lc.Unsigned2): st.integers(0, 2**16 - 1),
    lc.def_type(lc.Unsigned4): st.integers(0, 2**32 - 1),
    lc.def_type(lc.Unsigned8): st.integers(0, 2**64 - 1),
    lc.def_type(lc.Float4): st.floats(width=32, allow_nan=False, allow_infinity=False),
    lc.def_type(lc.Float8): finite_floats,
    lc.def_type(lc.Byte): st.integers(0, 255),
    lc.def_type(lc.Character): st.binary(min_size=1, max_size=1),
    lc.def_type(lc.Rune): st.characters(codec="utf-8"),
    lc.def_type(lc.String): st.binary(max_size=12),
    lc.def_type(lc.Unicode): st.text(st.characters(codec="utf-8"), max_size=12),
    lc.def_type(Colour): st.sampled_from(Colour),
    lc.def_type(lc.ClockTime): clock_times,
    lc.def_type(lc.TimeSpan): finite_floats,
    lc.def_type(lc.WorldTime): st.datetimes(timezones=zones),
    lc.def_type(lc.TimeDelta): st.timedeltas(),
    lc.def_type(lc.UUID): st.uuids(),
    lc.def_type(lc.Address): addresses,
    lc.def_type(lc.TargetAddress): addresses,
    lc.def_type(lc.Type): st.sampled_from([LEAF, BRANCH, NODE, PAIR]),
}
SCALARS: dict[lc.Portable, st.SearchStrategy] = {
    **HASHABLE_SCALARS,
    lc.def_type(lc.Block): st.binary(max_size=12).map(bytearray),
    lc.def_type(lc.Word): words,
}


def optional(values: st.SearchStrategy) -> st.SearchStrategy:
    return st.none() | values


leaves = st.builds(
    Leaf,
    flag=optional(st.booleans()),
    count=optional(HASHABLE_SCALARS[lc.int_type]),
    ratio=optional(finite_floats),
    name=optional(st.text(max_size=8)),
    raw=optional(st.binary(max_size=8)),
    colour=optional(st.sampled_from(Colour)),
    when=optional(st.datetimes(timezones=zones)),
    ident=optional(st.uuids()),
    small=optional(HASHABLE_SCALARS[lc.def_type(lc.Integer2)]),
    span=optional(finite_floats),
    initial=optional(st.characters(codec="utf-8")),
)


def chain(values: list[int | None]) -> Node:
    head = Node(values[0])
    cell = head
    for v in values[1:]:
        cell.next = Node(v)
        cell = cell.next
    return head


nodes = st.lists(optional(st.integers(-100, 100)), min_size=1, max_size=4).map(chain)


def pair(first: Leaf | None, second: Leaf | None, shared: bool) -> Pair:
    return Pair(first, first if shared else second)


pairs = st.builds(pair, optional(leaves), optional(leaves), st.booleans())


@functools.cache
def branches(depth: int) -> st.SearchStrategy:
    anything = optional(messages(depth - 1)) if depth > 0 else st.none()
    return st.builds(
        Branch,
        leaf=leaves,
        leaves=st.lists(leaves, max_size=3),
        table=st.dictionaries(
            st.text(max_size=4), st.lists(HASHABLE_SCALARS[lc.int_type], max_size=3), max_size=3
        ),
        anything=anything,
        label=optional(st.text(max_size=8)),
    )


def instances(depth: int) -> st.SearchStrategy:
    return st.one_of(leaves, nodes, pairs, branches(depth))


@functools.cache
def messages(depth: int) -> st.SearchStrategy:
    """``Any`` values: bound-class instances and ``cast_to`` pairs, nested ``depth`` deep."""
    casts = typed(depth).map(lambda pv: lc.cast_to(pv[1], pv[0]))
    return st.one_of(instances(depth), casts)


def shared_picks(items: list) -> st.SearchStrategy:
    """Lists drawn from ``items`` with repeats: the same object at several positions."""
    if not items:
        return st.just([])
    return st.lists(st.sampled_from(range(len(items))), max_size=5).map(
        lambda picks: [items[i] for i in picks]
    )


def values(p: lc.Portable, depth: int) -> st.SearchStrategy:
    """A strategy for values of type ``p``."""
    if p in SCALARS:
        return SCALARS[p]
    if isinstance(p, lc.VectorOf):
        if isinstance(p.element, lc.PointerTo):
            return st.lists(values(p.element, depth), max_size=3).flatmap(shared_picks)
        return st.lists(values(p.element, depth), max_size=4)
    if isinstance(p, lc.DequeOf):
        return st.lists(values(p.element, depth), max_size=4).map(collections.deque)
    if isinstance(p, lc.SetOf):
        return st.sets(values(p.element, depth), max_size=4)
    if isinstance(p, lc.MapOf):
        return st.dictionaries(values(p.key, depth), values(p.value, depth), max_size=4)
    if isinstance(p, lc.ArrayOf):
        return st.lists(values(p.element, depth), min_size=p.size, max_size=p.size)
    if isinstance(p, lc.PointerTo):
        return values(p.element, depth)
    if isinstance(p, lc.Any):
        return optional(messages(depth - 1))
    if p == LEAF:
        return leaves
    if p == NODE:
        return nodes
    if p == PAIR:
        return pairs
    if p == BRANCH:
        return branches(depth)
    raise AssertionError(f"no strategy for {p!r}")


def containers(elements: st.SearchStrategy, hashable: st.SearchStrategy) -> st.SearchStrategy:
    """Container types over ``elements``; sets and map keys take ``hashable`` ones."""
    return st.one_of(
        elements.map(lc.VectorOf),
        elements.map(lc.DequeOf),
        hashable.map(lc.SetOf),
        st.tuples(hashable, elements).map(lambda kv: lc.MapOf(*kv)),
        st.tuples(elements, st.integers(0, 3)).map(lambda es: lc.ArrayOf(*es)),
        elements.filter(lambda p: not isinstance(p, lc.PointerTo)).map(lc.PointerTo),
    ).map(lc.def_type)


@functools.cache
def portables(depth: int) -> st.SearchStrategy:
    """Types nested up to about three deep; ``Any`` only when ``depth`` allows a message."""
    hashable = st.sampled_from(list(HASHABLE_SCALARS))
    leaves_of_tree = [*SCALARS, LEAF, NODE, PAIR, BRANCH]
    if depth > 0:
        leaves_of_tree.append(ANY)
    return st.recursive(
        st.sampled_from(leaves_of_tree),
        lambda inner: containers(inner, hashable),
        max_leaves=5,
    )


@functools.cache
def typed(depth: int = 2) -> st.SearchStrategy:
    """``(portable, value)`` pairs."""
    return portables(depth).flatmap(lambda p: values(p, depth).map(lambda v: (p, v)))


# Round trips ---------------------------------------------------------------------------------


@PROPERTY
@given(typed(), st.booleans())
def test_json_round_trip_gives_back_the_value(pv: tuple, pretty: bool) -> None:
    p, v = pv
    assert same(decode_json(encode_json(v, p, pretty=pretty), p), v)


@PROPERTY
@given(typed())
def test_msgpack_round_trip_gives_back_the_value(pv: tuple) -> None:
    p, v = pv
    assert same(decode_value(encode_value(v, p), p), v)


@PROPERTY
@given(typed())
def test_json_to_msgpack_to_json_is_the_identity(pv: tuple) -> None:
    p, v = pv
    from_json = decode_json(encode_json(v, p, pretty=False), p)
    through_msgpack = decode_value(encode_value(from_json, p), p)
    back = decode_json(encode_json(through_msgpack, p), p)
    assert same(from_json, v)
    assert same(through_msgpack, v)
    assert same(back, v)


@PROPERTY
@given(typed())
def test_message_round_trip_in_both_encodings(pv: tuple) -> None:
    p, v = pv
    m = lc.cast_to(v, p)
    assert same(decode_message(encode_message(m)), m)
    assert same(decode_json(encode_json(m)), m)
    assert same(decode_json(encode_json(m, pretty=False)), m)


def test_class_messages_come_back_as_instances_and_casts_as_pairs() -> None:
    leaf = Leaf(count=3, name="x")
    table = lc.cast_to([[1.5, 2.0]], lc.def_type(list[list[float]]))
    for m in (leaf, table):
        for decoded in (decode_message(encode_message(m)), decode_json(encode_json(m))):
            assert same(decoded, m)
    decoded = decode_message(encode_message(table))
    assert decoded[1] is lc.def_type(list[list[float]])


def test_none_scalar_fields_stay_none() -> None:
    leaf = Leaf()
    data = encode_data(leaf, LEAF)["value"]
    assert all(v is None for v in data.values())
    assert len(data) == len(Leaf.__lc_message__.fields)
    for decoded in (
        decode_json(encode_json(leaf, LEAF), LEAF),
        decode_value(encode_value(leaf, LEAF), LEAF),
    ):
        assert same(decoded, leaf)


def test_message_in_a_field_typed_any() -> None:
    inner = Branch(label="inner", anything=lc.cast_to({1: "one"}, lc.def_type(dict[int, str])))
    outer = Branch(label="outer", anything=inner, leaves=[Leaf(count=1), Leaf(count=2)])
    for decoded in (decode_message(encode_message(outer)), decode_json(encode_json(outer))):
        assert same(decoded, outer)
        assert decoded.anything.anything == ({1: "one"}, lc.def_type(dict[int, str]))


# Type ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("value", [Leaf, LEAF], ids=["class", "UserDefined"])
def test_type_decodes_to_the_installed_user_defined(value: object) -> None:
    t = lc.def_type(lc.Type)
    for decoded in (decode_json(encode_json(value, t), t), decode_value(encode_value(value, t), t)):
        assert isinstance(decoded, lc.UserDefined)
        assert decoded.element is Leaf
        assert decoded is LEAF


# Pointers ------------------------------------------------------------------------------------


def json_then_msgpack(value: object, p: lc.Portable) -> list[object]:
    return [decode_json(encode_json(value, p), p), decode_value(encode_value(value, p), p)]


def test_an_object_reached_twice_decodes_to_one_object() -> None:
    leaf = Leaf(count=7)
    for decoded in json_then_msgpack(Pair(leaf, leaf), PAIR):
        assert decoded.first is decoded.second
        assert decoded.first.count == 7


def test_pointers_in_a_list_keep_their_sharing() -> None:
    a, b = Leaf(count=1), Leaf(count=2)
    p = lc.def_type(lc.VectorOf(LEAF_POINTER))
    for decoded in json_then_msgpack([a, b, a, b, a], p):
        assert decoded[0] is decoded[2] is decoded[4]
        assert decoded[1] is decoded[3]
        assert decoded[0] is not decoded[1]
        assert [x.count for x in decoded] == [1, 2, 1, 2, 1]


def test_a_cycle_survives() -> None:
    a, b = Node(1), Node(2)
    a.next, b.next = b, a
    p = lc.def_type(lc.PointerTo(Node))
    for decoded in json_then_msgpack(a, p):
        assert decoded.value == 1
        assert decoded.next.value == 2
        assert decoded.next.next is decoded


def test_a_shared_tail_is_shared_after_decoding() -> None:
    tail = chain([3, 4])
    heads = [Node(1, tail), Node(2, tail)]
    p = lc.def_type(list[Node])
    for decoded in json_then_msgpack(heads, p):
        assert decoded[0].next is decoded[1].next
        assert same(decoded, heads)


def linked_pair_message() -> Pair:
    leaf = Leaf(name="shared")
    return Pair(leaf, leaf)


def test_a_message_with_pointers_encodes_in_json() -> None:
    m = linked_pair_message()
    decoded = decode_json(encode_json(m))
    assert decoded.first is decoded.second
    assert decoded.first.name == "shared"


def test_a_message_with_pointers_encodes_in_msgpack() -> None:
    m = linked_pair_message()
    decoded = decode_message(encode_message(m))
    assert decoded.first is decoded.second
    assert decoded.first.name == "shared"


NODE_POINTERS = lc.def_type(lc.VectorOf(lc.PointerTo(Node)))


def cycle_message() -> tuple:
    """A cast of a two-node cycle (a bound instance would pass ``cast_to`` unchanged)."""
    a, b = Node(1), Node(2)
    a.next, b.next = b, a
    return lc.cast_to([a], NODE_POINTERS)


def test_the_any_frame_lists_the_aliases_inside_it() -> None:
    shipment = encode_data(cycle_message())
    signature, data, frame = shipment["value"]
    assert signature == f"vector<pointer<{NODE.signature()}>>"
    assert sorted(frame) == sorted(entry[0] for entry in shipment["pointer"])
    assert data[0] in frame


def test_a_cycle_inside_a_field_typed_any() -> None:
    holder = Branch(anything=cycle_message())
    for decoded in (
        decode_json(encode_json(holder, BRANCH), BRANCH),
        decode_value(encode_value(holder, BRANCH), BRANCH),
        decode_message(encode_message(holder)),
    ):
        (head,), p = decoded.anything
        assert p is NODE_POINTERS
        assert (head.value, head.next.value) == (1, 2)
        assert head.next.next is head


# Floats that are not finite ------------------------------------------------------------------


def refuse(token: str) -> object:
    """``parse_constant`` of a strict reader: NaN and Infinity are not JSON."""
    raise ValueError(f"not JSON: {token}")


@pytest.mark.parametrize("x", [math.nan, math.inf, -math.inf], ids=["nan", "inf", "-inf"])
def test_float8_nan_and_infinity(x: float) -> None:
    """Float8 NaN and ±inf survive both codecs, but the JSON text is not strict RFC 8259 JSON:
    Python's ``json`` writes the tokens ``NaN``, ``Infinity`` and ``-Infinity`` and reads them
    back; parsers outside Python (``JSON.parse``) reject them. msgpack carries them as floats.
    """
    f8 = lc.float_type
    text = encode_json(x, f8, pretty=False)
    token = {"nan": "NaN", "inf": "Infinity", "-inf": "-Infinity"}[repr(x)]
    assert text == f'{{"value":{token}}}'
    for decoded in (decode_json(text, f8), decode_value(encode_value(x, f8), f8)):
        assert same(decoded, x)
    with pytest.raises(ValueError):
        json.loads(text, parse_constant=refuse)


@pytest.mark.parametrize("portable", [lc.TimeSpan, lc.ClockTime], ids=["span", "clock"])
@pytest.mark.parametrize("x", [math.nan, math.inf, -math.inf], ids=["nan", "inf", "-inf"])
def test_time_floats_that_are_not_finite(portable: type, x: float) -> None:
    """TimeSpan/ClockTime have no text for NaN or ±inf: JSON encoding refuses them, while
    msgpack (which sends these types as floats) carries them unchanged. So a value accepted
    from msgpack may fail when written as JSON.
    """
    p = lc.def_type(portable)
    with pytest.raises(lc.CodecRuntimeError, match="cannot encode"):
        encode_json(x, p)
    assert same(decode_value(encode_value(x, p), p), x)


def test_lone_surrogate_is_a_codec_error_in_msgpack() -> None:
    """A str holding a lone surrogate has no UTF-8 form, so msgpack cannot carry it; the
    entry point must say so with CodecRuntimeError, not let UnicodeEncodeError escape."""
    with pytest.raises(lc.CodecRuntimeError, match="cannot encode"):
        encode_value("\ud800", lc.str_type)
    with pytest.raises(lc.CodecRuntimeError, match="cannot encode"):
        encode_message(Leaf(name="\ud800"))


# Unknown types -------------------------------------------------------------------------------


def keep_ext(code: int, data: bytes) -> msgpack.ExtType:
    return msgpack.ExtType(code, data)


def raw_msgpack(data: bytes) -> object:
    """msgpack bytes as plain data, extension types kept as ``ExtType``."""
    return msgpack.unpackb(data, raw=False, strict_map_key=False, ext_hook=keep_ext)


def pack_raw(form: object) -> bytes:
    return msgpack.packb(form, use_bin_type=True)


def renamed_json(m: object) -> dict:
    """The JSON shipment of a message, its signature replaced by one nobody knows."""
    shipment = copy.deepcopy(encode_data(m))
    shipment["value"][0] = UNKNOWN_NAME
    return shipment


def renamed_msgpack(m: object) -> bytes:
    body = raw_msgpack(encode_message(m))
    body[0] = UNKNOWN_NAME
    return pack_raw(body)


def as_table(shipment: dict) -> dict:
    """A shipment with its pointer list as a mapping (the order of the list means nothing)."""
    out = dict(shipment)
    if "pointer" in out:
        out["pointer"] = {alias: data for alias, data in out["pointer"]}
    return out


@PROPERTY
@given(messages(2).filter(lambda m: m is not None))
def test_unknown_type_reencodes_exactly_in_json(m: object) -> None:
    shipment = renamed_json(m)
    unknown = decode_data(copy.deepcopy(shipment))
    assert isinstance(unknown, lc.Incognito)
    assert unknown.type_name == UNKNOWN_NAME
    assert as_table(encode_data(unknown)) == as_table(shipment)
    assert as_table(json.loads(encode_json(unknown, pretty=False))) == as_table(
        json.loads(json.dumps(shipment))
    )


def same_form(a: object, b: object, names: dict[tuple[str, bytes], bytes]) -> bool:
    """Equal raw msgpack forms, where pointer aliases may be renamed one-to-one (``names``)."""
    if type(a) is msgpack.ExtType and a.code == EXT_POINTER:
        if type(b) is not msgpack.ExtType or b.code != EXT_POINTER:
            return False
        ka, kb = ("a", a.data), ("b", b.data)
        if ka in names or kb in names:
            return names.get(ka) == b.data and names.get(kb) == a.data
        names[ka], names[kb] = b.data, a.data
        return True
    if type(a) is not type(b):
        return False
    if type(a) is list:
        return len(a) == len(b) and all(same_form(x, y, names) for x, y in zip(a, b, strict=True))
    if type(a) is dict:
        return a.keys() == b.keys() and all(same_form(a[k], b[k], names) for k in a)
    return a == b


def same_body(sent: bytes, again: bytes) -> bool:
    """Two message bodies ``[signature, data, aliases, table]`` alike up to alias names."""
    a, b = raw_msgpack(sent), raw_msgpack(again)
    names: dict[tuple[str, bytes], bytes] = {}
    if not same_form(a[:3], b[:3], names) or len(a[3]) != len(b[3]):
        return False
    table = {row[0].data: row[1] for row in b[3]}
    return all(
        ("a", alias.data) in names and same_form(data, table.get(names["a", alias.data]), names)
        for alias, data in a[3]
    )


@PROPERTY
@given(messages(2).filter(lambda m: m is not None))
def test_unknown_type_reencodes_exactly_in_msgpack(m: object) -> None:
    """The same data; aliases may be renumbered (the relay's encoder owns the numbering), so
    bytes are compared exactly only in the hand-written cases below."""
    data = renamed_msgpack(m)
    unknown = decode_message(data)
    assert isinstance(unknown, lc.Incognito)
    assert unknown.type_name == UNKNOWN_NAME
    again = encode_message(unknown)
    assert same_body(data, again)
    if not raw_msgpack(data)[3]:  # no pointers: nothing to renumber
        assert again == data


def alias(n: int) -> msgpack.ExtType:
    return msgpack.ExtType(EXT_POINTER, struct.pack(">Q", n))


# An unknown message whose data holds one leaf twice (as a pointer) plus a nested pointer.
SHARED_JSON = {
    "value": [
        UNKNOWN_NAME,
        {"first": "1100:s", "second": "1100:s", "chain": "1101:s"},
        ["1100:s", "1101:s", "1102:s"],
    ],
    "pointer": [
        ["1100:s", {"count": 5}],
        ["1101:s", {"value": 1, "next": "1102:s"}],
        ["1102:s", {"value": 2, "next": "1101:s"}],
    ],
}
SHARED_MSGPACK = [
    UNKNOWN_NAME,
    {"first": alias(1100), "second": alias(1100), "chain": alias(1101)},
    [alias(1100), alias(1101), alias(1102)],
    [
        [alias(1100), {"count": 5}],
        [alias(1101), {"value": 1, "next": alias(1102)}],
        [alias(1102), {"value": 2, "next": alias(1101)}],
    ],
]


def test_unknown_type_with_shared_pointers_reencodes_exactly_in_json() -> None:
    unknown = decode_json(json.dumps(SHARED_JSON))
    assert isinstance(unknown, lc.Incognito)
    assert unknown.type_name == UNKNOWN_NAME
    assert as_table(encode_data(unknown)) == as_table(SHARED_JSON)


def test_unknown_type_with_shared_pointers_reencodes_exactly_in_msgpack() -> None:
    data = pack_raw(SHARED_MSGPACK)
    unknown = decode_message(data)
    assert isinstance(unknown, lc.Incognito)
    assert unknown.type_name == UNKNOWN_NAME
    assert encode_message(unknown) == data


def test_unknown_type_holding_an_address_reencodes_exactly_in_msgpack() -> None:
    address = msgpack.ExtType(1, struct.pack(">2Q", 7, 42))  # spec §11: ExtType(1, ints)
    data = pack_raw([UNKNOWN_NAME, {"to": address}, [], []])
    unknown = decode_message(data)
    assert isinstance(unknown, lc.Incognito)
    assert raw_msgpack(encode_message(unknown)) == raw_msgpack(data)


def test_unknown_type_in_a_field_typed_any_reencodes_exactly() -> None:
    body = json.dumps(
        {
            "value": {"anything": SHARED_JSON["value"], "label": "x"},
            "pointer": SHARED_JSON["pointer"],
        }
    )
    holder = decode_json(body, BRANCH)
    assert isinstance(holder.anything, lc.Incognito)
    again = encode_data(holder, BRANCH)
    assert again["value"]["anything"] == SHARED_JSON["value"]
    assert as_table(again)["pointer"] == as_table(SHARED_JSON)["pointer"]


class RelayZ:
    """What C knows as ``relay.Z`` (bound only after B has relayed the message)."""

    def __init__(
        self, first: Leaf | None = None, second: Leaf | None = None, note: str | None = None
    ) -> None:
        self.first = first
        self.second = second
        self.note = note


@pytest.mark.parametrize("codec", ["json", "msgpack"])
def test_a_relay_passes_on_a_type_it_does_not_know(codec: str) -> None:
    signature = f"relay.{codec}.Z"
    assert resolve_signature(signature) is None  # nobody knows it yet
    # A: the sender's bytes, written by hand (A's class is not in this process).
    if codec == "json":
        sent = json.dumps(
            {
                "value": [
                    signature,
                    {"first": "1100:a", "second": "1100:a", "note": "hi"},
                    ["1100:a"],
                ],
                "pointer": [["1100:a", {"count": 9, "name": "leaf"}]],
            }
        )
    else:
        sent = pack_raw(
            [
                signature,
                {"first": alias(1100), "second": alias(1100), "note": "hi"},
                [alias(1100)],
                [[alias(1100), {"count": 9, "name": "leaf"}]],
            ]
        )
    decode, encode = (
        (decode_json, encode_json) if codec == "json" else (decode_message, encode_message)
    )

    # B: cannot read it, holds it as Incognito and sends it on.
    held = decode(sent)
    assert isinstance(held, lc.Incognito)
    assert held.type_name == signature
    relayed = encode(held)

    # C: knows the class under that signature.
    relay_class = types.new_class("Z", (RelayZ,))
    relay_class.__module__ = f"relay.{codec}"
    bind_library_message(relay_class, signature, first=LEAF_POINTER, second=LEAF_POINTER, note=str)
    received = decode(relayed)
    assert type(received) is relay_class
    assert received.note == "hi"
    assert received.first is received.second
    assert received.first.count == 9
    assert received.first.name == "leaf"


def test_known_message_is_not_incognito() -> None:
    assert resolve_signature(UNKNOWN_NAME) is None
    assert type(decode_message(encode_message(Leaf(count=1)))) is Leaf
