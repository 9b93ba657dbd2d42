"""Type system and codecs: portables, signatures, registration, JSON and msgpack forms."""

from ._errors import CodecError, CodecRuntimeError, MessageRegistrationError, PointConstructionError
from ._hints import def_type
from ._json import decode_json, encode_json
from ._message import (
    Incognito,
    Unknown,
    cast_back,
    cast_to,
    message_to_tag,
    portable_to_signature,
    portable_to_tag,
    signature_to_portable,
)
from ._portable import (
    UUID,
    Address,
    Any,
    ArrayOf,
    Block,
    Boolean,
    Byte,
    Character,
    ClockTime,
    DequeOf,
    Enumeration,
    Float4,
    Float8,
    Integer2,
    Integer4,
    Integer8,
    MapOf,
    PointerTo,
    Portable,
    Rune,
    SetOf,
    String,
    TargetAddress,
    TimeDelta,
    TimeSpan,
    Type,
    Unicode,
    Unsigned2,
    Unsigned4,
    Unsigned8,
    UserDefined,
    VectorOf,
    Word,
    WorldTime,
)
from ._registry import bind_message
from ._wire import decode_message, encode_message

__all__ = [
    "Portable",
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
    "Block",
    "String",
    "Unicode",
    "Enumeration",
    "ClockTime",
    "TimeSpan",
    "WorldTime",
    "TimeDelta",
    "UUID",
    "ArrayOf",
    "VectorOf",
    "DequeOf",
    "SetOf",
    "MapOf",
    "UserDefined",
    "PointerTo",
    "Any",
    "Address",
    "TargetAddress",
    "Type",
    "Word",
    "def_type",
    "cast_to",
    "cast_back",
    "portable_to_signature",
    "signature_to_portable",
    "portable_to_tag",
    "message_to_tag",
    "bool_type",
    "int_type",
    "float_type",
    "str_type",
    "bytes_type",
    "bytearray_type",
    "datetime_type",
    "timedelta_type",
    "uuid_type",
    "NO_SUCH_ADDRESS",
    "CodecError",
    "CodecRuntimeError",
    "MessageRegistrationError",
    "PointConstructionError",
    "Incognito",
    "Unknown",
    "bind_message",
    "encode_json",
    "decode_json",
    "encode_message",
    "decode_message",
]

bool_type = def_type(bool)
int_type = def_type(int)
float_type = def_type(float)
str_type = def_type(str)
bytes_type = def_type(bytes)
bytearray_type = def_type(bytearray)
datetime_type = def_type(WorldTime())
timedelta_type = def_type(TimeDelta())
uuid_type = def_type(UUID())

#: The null address: no object has it.
NO_SUCH_ADDRESS: tuple[int, ...] = (0,)
