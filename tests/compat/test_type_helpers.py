"""compat §3.4 and §3.13: type introspection, defaults and networking helpers of layer-cake
0.1. Expected values are copied from compat.md."""

from __future__ import annotations

import collections
import enum
import uuid
from datetime import datetime, timedelta, timezone

import pytest

import layer_cake as lc


class Xy:
    def __init__(self, x: int = 1, y: int = 2) -> None:
        self.x = x
        self.y = y


lc.bind_message(Xy)

REFUSAL = '"{}" is an internal of layer-cake 0.1.1 and is not provided; see compat.md'


# --- look-ups and installs ------------------------------------------------------------------


def test_lookup_type_finds_installed_hints_classes_and_portables():
    assert lc.lookup_type(int) == lc.Integer8()
    assert lc.lookup_type(lc.Integer8) == lc.Integer8()
    assert lc.lookup_type(lc.Float8()) == lc.Float8()
    lc.install_type(list[str])
    assert lc.lookup_type(list[str]) == lc.VectorOf(lc.Unicode())
    assert lc.lookup_type(Xy) == lc.UserDefined(Xy)


def test_lookup_type_of_a_type_never_loaded():
    class Fresh(enum.Enum):
        A = 1

    signature = f"map<unicode,{Fresh.__module__}.{Fresh.__qualname__}>"
    with pytest.raises(lc.PointConstructionError) as caught:
        lc.lookup_type(dict[str, Fresh])
    assert str(caught.value) == f'portable "{signature}" was not loaded'
    with pytest.raises(lc.PointConstructionError):  # looking did not install it
        lc.lookup_type(dict[str, Fresh])


def test_lookup_type_after_install_type():
    class Loaded(enum.Enum):
        B = 2

    installed = lc.install_type(set[Loaded])
    assert installed == lc.def_type(set[Loaded])
    assert lc.lookup_type(set[Loaded]) is installed


def test_lookup_signature_is_a_portable_or_none():
    assert lc.lookup_signature("integer8") == lc.Integer8()
    assert lc.lookup_signature(f"{__name__}.Xy") == lc.UserDefined(Xy)
    assert lc.lookup_signature("no.Such") is None


def test_lookup_hint_and_lookup_portable_are_restricted():
    assert lc.lookup_hint(float) == lc.Float8()
    assert lc.lookup_portable(lc.Float8()) == lc.Float8()
    with pytest.raises(lc.PointConstructionError):
        lc.lookup_hint(lc.Float8())
    with pytest.raises(lc.PointConstructionError):
        lc.lookup_portable(float)


def test_install_hint_and_install_portable_are_restricted():
    assert lc.install_hint(list[int]) == lc.VectorOf(lc.Integer8())
    assert lc.install_portable(lc.VectorOf(lc.Float8())) == lc.def_type(list[float])
    with pytest.raises(lc.PointConstructionError):
        lc.install_hint(lc.Float8())
    with pytest.raises(lc.PointConstructionError):
        lc.install_portable(float)


def test_install_hints():
    assert lc.install_hints({"a": int, "return": float}) == ({"a": lc.Integer8()}, lc.Float8())
    assert lc.install_hints({"a": str}) == ({"a": lc.Unicode()}, None)


@pytest.mark.parametrize("name", ["convert_hint", "convert_portable"])
def test_tree_walkers_are_refused(name):
    with pytest.raises(NotImplementedError) as caught:
        getattr(lc, name)(int, print)
    assert str(caught.value) == REFUSAL.format(name)


def test_fix_expression_normalises_to_portables():
    assert lc.fix_expression(int) == lc.Integer8()
    assert lc.fix_expression(lc.Integer8) == lc.Integer8()
    assert lc.fix_expression(lc.VectorOf(lc.Integer8)) == lc.VectorOf(lc.Integer8())


def test_compile_schema_from_hints_defaults_and_explicit_entries():
    class Plain:
        def __init__(self, a: int = 0, b: str = "", c: object = None) -> None:
            self.a = a
            self.b = b
            self.c = c

    schema = lc.compile_schema(Plain, {"c": lc.Float8()})
    assert schema == {"a": lc.Integer8(), "b": lc.Unicode(), "c": lc.Float8()}


def test_type_schema_of_bound_things_and_none_otherwise():
    assert lc.type_schema(Xy) == {"x": lc.Integer8(), "y": lc.Integer8()}

    def worker(self, n: int = 1, name: str = "w") -> float:
        return 0.0

    lc.bind(worker)
    assert lc.type_schema(worker) == {"n": lc.Integer8(), "name": lc.Unicode()}

    class Unbound:
        pass

    assert lc.type_schema(Unbound) is None


def test_un_cast():
    xy = Xy()
    value, portable, runtime = lc.un_cast(xy)
    assert value is xy
    assert portable == lc.UserDefined(Xy)
    assert runtime.path == f"{__name__}.Xy"
    assert runtime.schema == {"x": lc.Integer8(), "y": lc.Integer8()}
    assert lc.un_cast(None) == (None, lc.Any(), None)
    assert lc.un_cast((3, lc.Integer8())) == (3, lc.Integer8(), None)
    assert lc.un_cast(3) == (3, lc.Integer8(), None)  # inferred (§2.1), not "cannot unroll"


# --- predicates -----------------------------------------------------------------------------


def test_is_message_and_is_message_class():
    assert lc.is_message(Xy())
    assert lc.is_message(lc.Ack())
    assert not lc.is_message(3)
    assert not lc.is_message(Xy)
    assert lc.is_message_class(Xy)
    assert not lc.is_message_class(Xy())
    assert not lc.is_message_class(int)


def test_is_portable_and_is_portable_class():
    assert lc.is_portable(lc.Integer8())
    assert not lc.is_portable(lc.Integer8)
    assert lc.is_portable_class(lc.Integer8)
    assert not lc.is_portable_class(lc.Integer8())
    assert not lc.is_portable_class(int)


CONTAINERS = [
    lc.VectorOf(lc.Integer8()),
    lc.ArrayOf(lc.Integer8(), 2),
    lc.DequeOf(lc.Integer8()),
    lc.SetOf(lc.Integer8()),
    lc.MapOf(lc.Unicode(), lc.Integer8()),
    lc.UserDefined(Xy),
    lc.PointerTo(lc.Integer8()),
]


@pytest.mark.parametrize("p", CONTAINERS, ids=lambda p: p.signature())
def test_containers(p):
    assert lc.is_container(p)
    assert lc.is_container_class(type(p))
    assert isinstance(p, lc.Container)
    assert issubclass(lc.Container, lc.Portable)
    assert lc.is_structural(p) == (not isinstance(p, lc.PointerTo))


@pytest.mark.parametrize("p", [lc.Integer8(), lc.Any(), lc.Word(), lc.Address()])
def test_scalars_are_not_containers(p):
    assert not lc.is_container(p)
    assert not lc.is_structural(p)
    assert not lc.is_container_class(type(p))


def test_is_address_is_a_non_empty_tuple():
    assert lc.is_address((1, 2))
    assert not lc.is_address(())
    assert not lc.is_address([1, 2])


def test_message_is_an_empty_marker_base():
    class Mine(lc.Message):
        pass

    assert isinstance(Mine(), lc.Message)
    assert not lc.is_message(Mine())


def test_message_error_is_the_base_of_registration_errors():
    assert issubclass(lc.MessageRegistrationError, lc.MessageError)


def test_type_track_and_correct_track():
    e = lc.TypeTrack("x", "not an integer")
    assert e.path == ["x"]
    assert e.reason == "not an integer"
    assert str(e) == "not an integer"
    assert lc.correct_track(e) == "x"
    e.path.append("a")  # appended by an enclosing field while unwinding
    assert lc.correct_track(e) == "a.x"


def test_aliases():
    assert lc.TypeType is type
    assert lc.NoneType is type(None)
    assert lc.deque is collections.deque


def test_scope_type():
    assert lc.scope_type == lc.def_type(lc.ScopeOfDirectory)
    assert lc.scope_type.signature() == "layer_cake.command_line.ScopeOfDirectory"


def test_virtual_memory_list_and_set():
    order = [
        "Boolean",
        "Integer2",
        "Integer4",
        "Integer8",
        "Unsigned2",
        "Unsigned4",
        "Unsigned8",
        "Float4",
        "Float8",
        "Byte",
        "Character",
        "Rune",
        "String",
        "Unicode",
        "Block",
        "Enumeration",
        "ClockTime",
        "TimeSpan",
        "WorldTime",
        "TimeDelta",
        "UUID",
        "UserDefined",
        "ArrayOf",
        "VectorOf",
        "DequeOf",
        "SetOf",
        "MapOf",
        "PointerTo",
        "Any",
        "TargetAddress",
        "Address",
        "Type",
        "Word",
    ]
    assert [getattr(lc, n) for n in order] == lc.VIRTUAL_MEMORY_LIST
    assert len(lc.VIRTUAL_MEMORY_LIST) == 33
    assert set(lc.VIRTUAL_MEMORY_LIST) == lc.VIRTUAL_MEMORY_SET


# --- defaults -------------------------------------------------------------------------------


def test_default_functions():
    assert lc.default_byte() == 0
    assert lc.default_character() == b" "
    assert lc.default_rune() == " "
    assert lc.default_block() == bytearray()
    assert isinstance(lc.default_block(), bytearray)
    assert lc.default_string() == b""
    assert lc.default_unicode() == ""
    assert lc.default_clock() == 0.0
    assert lc.default_span() == 0.0
    assert lc.default_world() == datetime(1, 1, 1)
    assert lc.default_world().tzinfo is None
    assert lc.default_delta() == timedelta(0)
    assert lc.default_uuid() == lc.DEFAULT_UUID
    assert lc.default_vector() == []
    assert lc.default_set() == set()
    assert lc.default_map() == {}
    assert lc.default_deque() == collections.deque()
    assert isinstance(lc.default_deque(), collections.deque)
    assert lc.default_none() is None
    assert lc.default_array(0, 3) == [0, 0, 0]


def test_default_constants():
    assert lc.DEFAULT_CLOCK == 0.0
    assert lc.DEFAULT_SPAN == 0.0
    assert timedelta(0) == lc.DEFAULT_DELTA
    assert lc.DEFAULT_STRING == b""
    assert lc.DEFAULT_UNICODE == ""
    assert isinstance(lc.DEFAULT_UUID, uuid.UUID)
    assert lc.DEFAULT_UUID.version == 4
    assert datetime(1, 1, 1, tzinfo=timezone.utc) == lc.DEFAULT_WORLD
    assert lc.DEFAULT_ZONE is timezone.utc
    assert isinstance(lc.DEFAULT(), lc.DEFAULT)


def test_default_world_encodes():
    text = lc.CodecJson().encode(lc.DEFAULT_WORLD, lc.WorldTime())
    assert text == '{"value":"0001-01-01T00:00:00"}'


# --- networking (§3.13) ---------------------------------------------------------------------


def test_equal_ipp():
    assert lc.equal_ipp(lc.HostPort("127.0.0.1", 5), lc.HostPort("127.0.0.1", 5))
    assert lc.equal_ipp(lc.LocalPort(5), lc.HostPort("127.0.0.1", 5))
    assert not lc.equal_ipp(lc.HostPort("127.0.0.1", 5), lc.HostPort("127.0.0.1", 6))
    assert not lc.equal_ipp(lc.HostPort("127.0.0.2", 5), lc.HostPort("127.0.0.1", 5))


def test_scope_of_host_members():
    assert [(m.name, m.value) for m in lc.ScopeOfHost] == [
        ("LOCAL", 1),
        ("PRIVATE", 2),
        ("OTHER", 3),
    ]


@pytest.mark.parametrize(
    ("ip", "scope"),
    [
        ("127.0.0.1", "LOCAL"),
        ("127.9.9.9", "LOCAL"),
        ("10.1.2.3", "PRIVATE"),  # lan-doc: text classified, no traffic
        ("192.168.0.195", "PRIVATE"),  # lan-doc: text classified, no traffic
        ("172.16.0.1", "PRIVATE"),  # lan-doc: text classified, no traffic
        ("172.31.255.1", "PRIVATE"),  # lan-doc: text classified, no traffic
        ("172.32.0.1", "OTHER"),
        ("172.15.0.1", "OTHER"),
        ("8.8.8.8", "OTHER"),
        ("0.0.0.0", "OTHER"),
        ("localhost", "OTHER"),
        (None, "OTHER"),
    ],
)
def test_local_private_other(ip, scope):
    assert lc.local_private_other(ip) is lc.ScopeOfHost[scope]


def test_local_host():
    assert lc.LOCAL_HOST == "127.0.0.1"


def test_address_on_proxy():
    proxy = (7,)
    assert lc.address_on_proxy((7, 3, 4), proxy)
    assert not lc.address_on_proxy((8, 3, 4), proxy)
    assert not lc.address_on_proxy((7,), proxy)  # the proxy itself
    assert not lc.address_on_proxy((7, 3, 4), (7, 3))  # not a proxy
