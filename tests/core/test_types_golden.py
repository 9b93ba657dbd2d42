"""Signatures, tags, registration and the spec's worked examples, byte for byte where fixed."""

from __future__ import annotations

import datetime
import enum
import json
import typing
import uuid

import msgpack
import pytest

import layer_cake as lc
from layer_cake.types._json import decode_json, encode_json
from layer_cake.types._wire import (
    decode_message,
    decode_value,
    encode_message,
    encode_value,
    pack_payload,
    unpack_payload,
)


def in_module(cls: type, module: str) -> type:
    """Give a test class a fixed module so its signature is stable."""
    cls.__module__ = module
    return cls


class Customer:
    def __init__(self, name: str = None, age: int = None):
        self.name = name
        self.age = age


in_module(Customer, "shop")
lc.bind(Customer)


class Xy:
    def __init__(self, x: int = 1, y: int = 1):
        self.x = x
        self.y = y


in_module(Xy, "golden_api")
lc.bind(Xy)


class Colour(enum.Enum):
    RED = 1
    GREEN = 2


in_module(Colour, "paint")


class Rows:
    def __init__(self, rows: list[int] = None):
        self.rows = rows if rows is not None else []


class Outer:
    def __init__(self, a: Rows = None, c: Colour = Colour.RED):
        self.a = a if a is not None else Rows()
        self.c = c


lc.bind(Rows)
lc.bind(Outer)


class Node:
    def __init__(self, value: int = 0, next=None):
        self.value = value
        self.next = next


lc.bind(Node, next=lc.PointerTo(lc.UserDefined(Node)))


# Signatures and tags -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("hint", "signature", "tag"),
    [
        (bool, "boolean", "bool"),
        (int, "integer8", "int"),
        (float, "float8", "float"),
        (str, "unicode", "str"),
        (bytes, "string", "bytes"),
        (bytearray, "block", "bytearray"),
        (datetime.datetime, "world", "datetime"),
        (datetime.timedelta, "delta", "timedelta"),
        (uuid.UUID, "uuid", "UUID"),
        (list[list[float]], "vector<vector<float8>>", "list_list_float"),
        (dict[int, Customer], "map<integer8,shop.Customer>", "dict_int_Customer"),
        (dict[str, int], "map<unicode,integer8>", "dict_str_int"),
        (set[str], "set<unicode>", "set_str"),
        (typing.Deque[int], "deque<integer8>", "deque_int"),  # noqa: UP006
        (lc.ArrayOf(lc.Integer8(), 4), "array<integer8,4>", "array_integer8_4"),
        (
            lc.PointerTo(lc.UserDefined(Node)),
            "pointer<" + Node.__module__ + ".Node>",
            "pointer_Node",
        ),
        (Colour, "paint.Colour", "paint_Colour"),
        (lc.Any, "any", "any"),
        (lc.Address, "address", "address"),
        (lc.Type, "type", "type"),
        (lc.Word, "word", "word"),
        (lc.TimeSpan, "span", "span"),
        (lc.ClockTime(), "clock", "clock"),
        (lc.Float4(), "float4", "float4"),
        (lc.Unsigned2(), "unsigned2", "unsigned2"),
        (lc.Rune(), "rune", "rune"),
        (lc.Character(), "character", "character"),
        (lc.Byte(), "byte", "byte"),
    ],
)
def test_hint_has_the_spec_signature_and_tag_both_ways(hint, signature, tag):
    p = lc.def_type(hint)
    assert lc.portable_to_signature(p) == signature
    assert lc.portable_to_tag(p) == tag
    assert lc.signature_to_portable(signature) is p


def test_signature_whitespace_is_ignored():
    spaced = " map < integer8 , shop.Customer > "
    parsed_first = lc.signature_to_portable(spaced)  # maybe before the type is installed
    installed = lc.def_type(dict[int, Customer])
    assert parsed_first == installed
    assert lc.signature_to_portable(spaced) is installed  # the canonical one from then on


def test_one_canonical_portable_per_signature():
    assert lc.VectorOf(lc.Float8) == lc.def_type(list[float])
    assert lc.def_type(lc.VectorOf(lc.Float8())) is lc.def_type(list[float])
    assert hash(lc.VectorOf(lc.Float8())) == hash(lc.def_type(list[float]))


@pytest.mark.parametrize("text", ["nosuch.Thing", "vector<nosuch.Thing>"])
def test_unknown_dotted_signature_is_a_value_error(text):
    with pytest.raises(ValueError, match='unknown type "'):
        lc.signature_to_portable(text)


@pytest.mark.parametrize(
    "text",
    [
        "",
        "vector<",
        "vector<integer8",
        "map<integer8>",
        "array<integer8>",
        "vector<integer8>>",
        "<>",
        "bogus",
    ],
)
def test_malformed_signature_is_a_value_error(text):
    with pytest.raises(ValueError):
        lc.signature_to_portable(text)


def test_library_classes_keep_their_canonical_signatures():
    assert lc.def_type(lc.Ack).signature() == "layer_cake.point_runtime.Ack"
    assert lc.def_type(lc.T1).signature() == "layer_cake.virtual_point.T1"
    assert lc.def_type(lc.HostPort).signature() == "layer_cake.ip_networking.HostPort"
    assert lc.def_type(lc.Incognito).signature() == "layer_cake.message_memory.Incognito"
    assert (
        lc.def_type(lc.ScopeOfDirectory).signature() == "layer_cake.command_line.ScopeOfDirectory"
    )
    assert lc.def_type(lc.USER_LOG).signature() == "layer_cake.virtual_runtime.USER_LOG"
    assert lc.signature_to_portable("layer_cake.point_runtime.Busy").element is lc.Busy


# Hints -----------------------------------------------------------------------------------------


def test_optional_and_union_take_the_first_member():
    assert lc.def_type(typing.Optional[int]) is lc.def_type(int)  # noqa: UP045 - the hint under test
    assert lc.def_type(str | None) is lc.def_type(str)
    assert lc.def_type(typing.Union[float, str]) is lc.def_type(float)  # noqa: UP007


def test_simple_library_class_is_promoted_but_a_bare_container_class_is_an_error():
    assert lc.VectorOf(lc.Float8).element is lc.def_type(float)
    with pytest.raises(lc.PointConstructionError, match="cannot convert hint"):
        lc.def_type(lc.VectorOf)
    with pytest.raises(lc.PointConstructionError, match='cannot convert hint "list"'):
        lc.def_type(list)


def test_unconvertible_hint_names_itself():
    with pytest.raises(
        lc.PointConstructionError, match=r'cannot convert hint "Callable\[\[\], int\]"'
    ):
        lc.def_type(typing.Callable[[], int])


def test_typing_any_leaves_a_field_out_of_the_schema():
    class Loose:
        def __init__(self, a: int = 0, b: typing.Any = None):
            self.a = a
            self.b = b

    lc.bind(Loose)
    assert [n for n, _ in Loose.__lc_message__.fields] == ["a"]


def test_predeclared_types():
    assert lc.int_type is lc.def_type(int)
    assert lc.bool_type.signature() == "boolean"
    assert lc.bytearray_type.signature() == "block"
    assert lc.datetime_type.signature() == "world"
    assert lc.uuid_type.signature() == "uuid"


# Registration ----------------------------------------------------------------------------------


def test_field_types_come_from_keywords_annotations_init_hints_or_defaults():
    class Mixed:
        a: float

        def __init__(self, a=0.0, b: str = "", c=3, d=None):
            self.a = a
            self.b = b
            self.c = c
            self.d = d

    lc.bind(Mixed, d=lc.VectorOf(lc.Integer8()))
    sig = {n: p.signature() for n, p in Mixed.__lc_message__.fields}
    assert sig == {"a": "float8", "b": "unicode", "c": "integer8", "d": "vector<integer8>"}


def test_class_that_cannot_be_default_constructed_is_refused():
    class Needy:
        def __init__(self, x):
            self.x = x

    with pytest.raises(lc.MessageRegistrationError, match='cannot register "test_class_that'):
        lc.bind(Needy)


def test_field_without_any_type_information_is_refused():
    class Vague:
        def __init__(self, v=None):
            self.v = v

    with pytest.raises(lc.MessageRegistrationError, match=r'cannot register ".*Vague.v" \(no type'):
        lc.bind(Vague)


def test_registration_is_idempotent():
    assert lc.bind(Xy) is lc.bind(Xy)


def test_a_second_class_under_a_bound_signature_is_refused():
    class Xy:  # same module and name as the bound one, a different class
        def __init__(self, x: int = 0):
            self.x = x

    Xy.__module__ = "golden_api"
    Xy.__qualname__ = "Xy"
    with pytest.raises(lc.MessageRegistrationError, match="already bound to another class"):
        lc.bind(Xy)


def test_not_portable_message_cannot_be_encoded():
    class Local:
        def __init__(self, n: int = 0):
            self.n = n

    lc.bind(Local, not_portable=True)
    with pytest.raises(lc.CodecError, match="not portable"):
        encode_message(Local())


# cast_to / cast_back / tags --------------------------------------------------------------------


def test_cast_to_wraps_values_and_passes_class_instances():
    t = lc.def_type(list[list[float]])
    assert lc.cast_to([[1.0]], t) == ([[1.0]], t)
    xy = Xy()
    assert lc.cast_to(xy, t) is xy
    assert lc.cast_back(xy) == (xy, lc.def_type(Xy))
    assert lc.cast_back(None) == (None, lc.Any())
    # compat §2.1 supersedes the ORIG "cannot unroll 5": a raw value gets its inferred type;
    # only values with no type to infer are refused.
    assert lc.cast_back(5) == (5, lc.Integer8())
    with pytest.raises(ValueError, match="cannot unroll"):
        lc.cast_back(object())


def test_message_to_tag():
    assert lc.message_to_tag(None) == "<none>"
    assert lc.message_to_tag(Xy()) == "golden_api.Xy"
    assert (
        lc.message_to_tag(lc.cast_to([[1.0]], lc.def_type(list[list[float]]))) == "list_list_float"
    )


def test_returned_cast_back():
    r = lc.Returned(message=lc.cast_to(8, lc.int_type))
    assert r.cast_back() == (8, lc.int_type)


# The spec's worked examples ------------------------------------------------------------------


def test_table_example_has_the_documented_shape():
    table = [[0.1289, 0.9034], [0.5527, 0.0418], [0.7761, 0.3392]]
    text = encode_json(lc.cast_to(table, lc.def_type(list[list[float]])))
    assert json.loads(text) == {"value": ["vector<vector<float8>>", table, []]}
    assert text.startswith('{\n    "value": [\n        "vector<vector<float8>>",\n')


def test_busy_example_is_byte_for_byte():
    text = encode_json(
        lc.Busy("message rejected by spool (average response time 6.21)"), pretty=False
    )
    assert text == (
        '{"value":["layer_cake.point_runtime.Busy",{"condition":"message rejected by spool '
        '(average response time 6.21)","explanation":null,"error_code":null,'
        '"exit_status":null},[]]}'
    )


def test_file_form_of_a_customer():
    text = encode_json(Customer(name="Ada", age=36), lc.def_type(Customer))
    assert text == '{\n    "value": {\n        "age": 36,\n        "name": "Ada"\n    }\n}'


def test_rest_listing_of_a_map_of_customers():
    listing = {1: Customer("Ada", 36), 2: Customer("Alan", 41)}
    text = encode_json(lc.cast_to(listing, lc.def_type(dict[int, Customer])), pretty=False)
    assert json.loads(text) == {
        "value": [
            "map<integer8,shop.Customer>",
            [[1, {"age": 36, "name": "Ada"}], [2, {"age": 41, "name": "Alan"}]],
            [],
        ]
    }


def test_full_output_of_ack():
    assert encode_json(lc.Ack(), pretty=False) == '{"value":["layer_cake.point_runtime.Ack",{},[]]}'


def test_role_settings_file_form():
    settings = {
        "big_table": lc.cast_to(50, lc.int_type),
        "server_address": lc.HostPort("127.0.0.1", 5051),
    }
    text = encode_json(settings, lc.def_type(dict[str, lc.Any]))
    assert json.loads(text) == {
        "value": [
            ["big_table", ["integer8", 50, []]],
            [
                "server_address",
                ["layer_cake.ip_networking.HostPort", {"host": "127.0.0.1", "port": 5051}, []],
            ],
        ]
    }
    back = decode_json(text, lc.def_type(dict[str, lc.Any]))
    assert back["big_table"] == (50, lc.int_type)
    assert back["server_address"] == lc.HostPort("127.0.0.1", 5051)


def test_linked_list_pointer_example():
    head = Node(1, Node(2, None))
    shipment = json.loads(encode_json(head, lc.PointerTo(lc.UserDefined(Node))))
    first, second = shipment["pointer"]
    assert shipment["value"] == first[0]
    assert first[0].startswith("1100:") and second[0].startswith("1101:")
    assert first[0].split(":")[1] == second[0].split(":")[1]  # one space per encode call
    assert first[1] == {"next": second[0], "value": 1}
    assert second[1] == {"next": None, "value": 2}
    back = decode_json(json.dumps(shipment), lc.PointerTo(lc.UserDefined(Node)))
    assert (back.value, back.next.value, back.next.next) == (1, 2, None)


def test_pointer_cycle_survives_both_encodings():
    a = Node(1)
    b = Node(2, a)
    a.next = b
    p = lc.PointerTo(lc.UserDefined(Node))
    for back in (decode_json(encode_json(a, p), p), decode_value(encode_value(a, p), p)):
        assert back.next.next is back
        assert back.next.value == 2


def test_shared_object_is_encoded_once_and_shared_after_decoding():
    shared = Node(7)
    p = lc.def_type(list[lc.PointerTo(lc.UserDefined(Node))])
    shipment = json.loads(encode_json([shared, shared], p))
    assert len(shipment["pointer"]) == 1
    back = decode_json(json.dumps(shipment), p)
    assert back[0] is back[1]


# Bad input ------------------------------------------------------------------------------------


def test_not_json():
    with pytest.raises(lc.CodecRuntimeError, match=r"^cannot decode \(Expecting value"):
        decode_json("nope")


def test_no_value_member():
    with pytest.raises(lc.CodecRuntimeError, match=r'^cannot decode \(no "value" available\)$'):
        decode_json('{"other": 1}')


def test_wrong_shape_names_the_path():
    text = '{"value": {"a": {"rows": [1, 2, "x"]}, "c": "RED"}}'
    with pytest.raises(lc.CodecRuntimeError) as e:
        decode_json(text, lc.def_type(Outer))
    assert str(e.value) == 'cannot decode, near "a.rows[2]" (no transform str/Integer8)'


def test_null_structure_either_way():
    with pytest.raises(lc.CodecRuntimeError, match=r'near "a" \(null structure\)'):
        decode_json('{"value": {"a": null}}', lc.def_type(Outer))
    bad = Outer()
    bad.a = None
    with pytest.raises(lc.CodecRuntimeError, match=r'^cannot encode, near "a" \(null structure\)$'):
        encode_json(bad, lc.def_type(Outer))


def test_unknown_enum_member():
    with pytest.raises(lc.CodecRuntimeError, match=r'undefined enum "Colour.PUCE"'):
        decode_json('{"value": {"c": "PUCE"}}', lc.def_type(Outer))


def test_dangling_pointer():
    with pytest.raises(lc.CodecRuntimeError, match=r"^cannot decode \(dangling pointer\)$"):
        decode_json('{"value": "1100:x", "pointer": []}', lc.PointerTo(lc.UserDefined(Node)))


def test_wrong_array_length_on_encode():
    class M:
        def __init__(self, m=None):
            self.m = m if m is not None else [0, 0, 0, 0]

    lc.bind(M, m=lc.ArrayOf(lc.Integer8(), 4))
    with pytest.raises(
        lc.CodecRuntimeError, match=r'^cannot encode, near "m" \(array \[3\] vs type \[4\]\)$'
    ):
        encode_json(M([1, 2, 3]), lc.def_type(M))


def test_array_decoding_fills_or_truncates_to_its_length():
    p = lc.ArrayOf(lc.Integer8(), 4)
    assert decode_json('{"value": [1, 2]}', p) == [1, 2, None, None]
    assert decode_json('{"value": [1, 2, 3, 4, 5, 6]}', p) == [1, 2, 3, 4]


def test_naive_datetime_cannot_be_encoded():
    class When:
        def __init__(self, when: datetime.datetime = None):
            self.when = when

    lc.bind(When)
    with pytest.raises(
        lc.CodecRuntimeError, match=r'near "when" \(cannot represent a naive datetime\)'
    ):
        encode_json(When(datetime.datetime(2025, 6, 1)), lc.def_type(When))


def test_unknown_type_path_for_a_type_field():
    with pytest.raises(lc.CodecRuntimeError, match=r'unknown type "x.Y"'):
        decode_json('{"value": "x.Y"}', lc.Type())


def test_type_field_decodes_to_the_installed_user_defined():
    t = decode_json('{"value": "golden_api.Xy"}', lc.Type())
    assert isinstance(t, lc.UserDefined)
    assert t.element is Xy
    assert json.loads(encode_json(Xy, lc.Type())) == {"value": "golden_api.Xy"}


def test_integer_out_of_range_is_refused():
    with pytest.raises(lc.CodecRuntimeError, match="out of range for Integer2"):
        encode_json(70000, lc.Integer2())


def test_no_partially_filled_object_on_failure():
    with pytest.raises(lc.CodecRuntimeError):
        decode_json('{"value": {"x": 1, "y": "two"}}', lc.def_type(Xy))


# Wire bytes ------------------------------------------------------------------------------------


def test_msgpack_body_of_a_message_is_signature_data_aliases_table():
    data = encode_message(Xy(2, 3))
    assert data == msgpack.packb(["golden_api.Xy", {"x": 2, "y": 3}, [], []])
    back = decode_message(data)
    assert (type(back), back.x, back.y) == (Xy, 2, 3)


def test_msgpack_uses_bin_for_bytes_and_uuid_and_floats_for_spans():
    u = uuid.UUID("12345678-1234-5678-1234-567812345678")
    assert msgpack.unpackb(encode_value(u, lc.UUID()))[0] == u.bytes
    assert msgpack.unpackb(encode_value(bytearray(b"\x00\xff"), lc.Block()))[0] == b"\x00\xff"
    assert msgpack.unpackb(encode_value(90.5, lc.TimeSpan()))[0] == 90.5
    assert json.loads(encode_json(90.5, lc.TimeSpan())) == {"value": "1m30.5s"}
    assert json.loads(encode_json(bytearray(b"\x00\xff"), lc.Block())) == {"value": "AP8="}
    assert json.loads(encode_json(b"\x00\xff", lc.String())) == {"value": "\x00\xff"}


def test_frame_payload_carries_the_receivers_address_as_ext_3_and_the_senders_as_ext_1():
    payload = pack_payload((1, 2), (3,), lc.Ack())
    raw = msgpack.unpackb(payload)
    assert raw[0] == msgpack.ExtType(3, (1).to_bytes(8, "big") + (2).to_bytes(8, "big"))
    assert raw[1] == msgpack.ExtType(1, (3).to_bytes(8, "big"))
    assert raw[2] == 0
    to, back, kind, message = unpack_payload(payload)
    assert (to, back, kind, type(message)) == ((1, 2), (3,), 0, lc.Ack)


@pytest.mark.parametrize("length", [0, 1, 2, 3, 31, 32, 8191, 8192])
def test_frame_payload_is_byte_for_byte_what_msgpack_packs_at_every_address_length(length):
    """The two addresses are spliced in as pre-packed bytes (issue 13): fixext 8 and 16,
    ext 8, ext 16 and ext 32 must come out exactly as msgpack writes them."""
    message = lc.cast_to([(4, 5), (6,)], lc.VectorOf(lc.Address()))
    # New addresses, the same again (kept whole), then new ones of the same length (kept head).
    for first in (1, 1, 1000):
        to = tuple(range(first, first + length))
        back = tuple(range(2**64 - first, 2**64 - first - length, -1))
        payload = pack_payload(to, back, message)
        raw = msgpack.unpackb(payload, strict_map_key=False)
        assert raw[0] == msgpack.ExtType(3, b"".join(a.to_bytes(8, "big") for a in to))
        assert raw[1] == msgpack.ExtType(1, b"".join(a.to_bytes(8, "big") for a in back))
        assert raw[2] == 0
        assert msgpack.packb(raw, use_bin_type=True) == payload
        assert unpack_payload(payload)[:3] == (to, back, 0)


@pytest.mark.parametrize("bad", [(2**64,), (-1,), (1, "2"), (1.5,)])
def test_a_malformed_address_in_a_payload_is_a_codec_error(bad):
    for to, back in ((bad, (3,)), ((3,), bad)):
        with pytest.raises(lc.CodecRuntimeError, match=r"^cannot encode \(malformed address"):
            pack_payload(to, back, lc.Ack())
    assert unpack_payload(pack_payload((1, 2), (3,), lc.Ack()))[:2] == ((1, 2), (3,))


def test_malformed_msgpack_is_a_codec_error():
    with pytest.raises(lc.CodecRuntimeError, match=r"^cannot decode"):
        decode_message(b"\xc1")
    with pytest.raises(lc.CodecRuntimeError, match="malformed message body"):
        decode_message(msgpack.packb([1, 2]))
    with pytest.raises(lc.CodecRuntimeError, match="malformed frame"):
        unpack_payload(msgpack.packb([1, 2, 3, 4]))


def test_unknown_signature_arrives_as_incognito_and_relays_exactly():
    data = msgpack.packb(["nosuch.Z", {"a": 1, "b": [1, 2]}, [], []])
    m = decode_message(data)
    assert isinstance(m, lc.Incognito)
    assert m.type_name == "nosuch.Z"
    assert encode_message(m) == data
    text = '{"value":["nosuch.Z",{"a":1},[]]}'
    assert encode_json(decode_json(text), pretty=False) == text


def test_address_fields_round_trip():
    class Ref:
        def __init__(self, where: lc.Address = None):
            self.where = where

    lc.bind(Ref, where=lc.Address())
    assert json.loads(encode_json(Ref((1, 2, 3)), lc.def_type(Ref))) == {
        "value": {"where": [1, 2, 3]}
    }
    assert decode_message(encode_message(Ref((4, 5)))).where == (4, 5)
    assert decode_json(encode_json(Ref((4, 5)))).where == (4, 5)


# Values as text (command lines, HTTP queries) -------------------------------------------------

from layer_cake.types._argument import decode_argument, encode_argument  # noqa: E402


@pytest.mark.parametrize(
    ("hint", "text", "value"),
    [
        (str, "server", "server"),
        (str, "Ada L", "Ada L"),
        (int, "2", 2),
        (float, "2.5", 2.5),
        (bool, "true", True),
        (list[int], "[1,2]", [1, 2]),
        (lc.TimeSpan, "30m", 1800.0),
        (lc.TimeSpan, "7d10s", 604810.0),
        (lc.USER_LOG, "DEBUG", lc.USER_LOG.DEBUG),
        (lc.ScopeOfDirectory, "LAN", lc.ScopeOfDirectory.LAN),
        (bytes, "ab", b"ab"),
        (bytearray, "AP8=", bytearray(b"\x00\xff")),
        (
            uuid.UUID,
            "12345678-1234-5678-1234-567812345678",
            uuid.UUID("12345678-1234-5678-1234-567812345678"),
        ),
        (lc.Any, '["integer8", 5, []]', (5, lc.int_type)),
    ],
)
def test_argument_text_decodes_by_declared_type(hint, text, value):
    p = lc.def_type(hint)
    assert decode_argument(text, p) == value
    assert decode_argument(encode_argument(value, p), p) == value


def test_class_argument_is_a_json_fragment():
    hp = decode_argument('{"host": "127.0.0.1", "port": 5051}', lc.def_type(lc.HostPort))
    assert hp == lc.HostPort("127.0.0.1", 5051)
    assert encode_argument(hp, lc.def_type(lc.HostPort)) == '{"host":"127.0.0.1","port":5051}'


@pytest.mark.parametrize(
    ("text", "host", "port"),
    [("127.0.0.1:5051", "127.0.0.1", 5051), ("[::1]:80", "::1", 80), ("db-1:7", "db-1", 7)],
)
def test_a_host_port_argument_may_also_be_host_colon_port(text, host, port):
    """``--connect-to-directory=127.0.0.1:5051`` as the CLI takes it, besides the JSON."""
    assert decode_argument(text, lc.def_type(lc.HostPort)) == lc.HostPort(host, port)


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("127.0.0.1:", 'expecting {"host": ..., "port": ...} or host:port, not 127.0.0.1:'),
        ("127.0.0.1:99999", "port 99999 out of range"),
        ("{", 'expecting {"host": ..., "port": ...} or host:port, not {'),
    ],
)
def test_a_bad_host_port_argument_names_both_forms(text, reason):
    with pytest.raises(lc.CodecRuntimeError) as caught:
        decode_argument(text, lc.def_type(lc.HostPort))
    assert str(caught.value) == reason


def test_type_argument_is_a_dotted_path():
    t = decode_argument("golden_api.Xy", lc.Type())
    assert isinstance(t, lc.UserDefined) and t.element is Xy


def test_pointer_argument_needs_the_full_encoding():
    p = lc.PointerTo(lc.UserDefined(Node))
    text = encode_argument(Node(3), p)
    assert json.loads(text)["pointer"]
    assert decode_argument(text, p).value == 3


@pytest.mark.parametrize(
    ("hint", "text"),
    [(int, "abc"), (int, '"2"'), (lc.TimeSpan, "1x"), (lc.USER_LOG, "LOUD"), (list[int], "[1,")],
)
def test_bad_argument_text_is_a_codec_error(hint, text):
    with pytest.raises(lc.CodecRuntimeError):
        decode_argument(text, lc.def_type(hint))


def test_the_converter_switches_on_the_same_kind_numbers_as_the_portables():
    from layer_cake.types import _convert, _portable

    kinds = {n: getattr(_portable, n) for n in dir(_portable) if n.startswith("K_")}
    assert kinds
    assert kinds == _convert.KIND_NUMBERS
