"""layer-cake: asynchronous objects exchanging typed messages across threads, processes and hosts.

``import layer_cake as lc``; the public API is exactly ``__all__`` (pinned by a test against
the spec's name list). ``lc.COMPILED`` tells whether the Cython build of the hot modules is
loaded (``LC_PURE_PYTHON=1`` forces the pure-Python twins).
"""

from . import _build

_build.install()

from . import _compiled  # noqa: E402  (after the build choice: imports hot modules)
from ._utilities import (  # noqa: E402
    Gas,
    breakpath,
    intervals_only,
    output_line,
    smart_intervals,
    spread_out,
)
from .net import _http_messages as _http_messages_module  # noqa: E402
from .net import _rest as _rest_module  # noqa: E402
from .net import _transport as _transport_module  # noqa: E402
from .net._hostport import HostPort, LocalPort  # noqa: E402
from .net._http_messages import *  # noqa: E402, F403
from .net._rest import *  # noqa: E402, F403
from .net._transport import *  # noqa: E402, F403
from .process import _entry as _entry_module  # noqa: E402
from .process import _home as _home_module  # noqa: E402
from .process import _home_role as _home_role_module  # noqa: E402
from .process import _lock as _lock_module  # noqa: E402
from .process import _persistence as _persistence_module  # noqa: E402
from .process import _process_object as _process_object_module  # noqa: E402
from .process import _storage as _storage_module  # noqa: E402
from .process import _transfer as _transfer_module  # noqa: E402
from .process._command_line import (  # noqa: E402
    command_arguments,
    command_sub_arguments,
    command_variables,
)
from .process._entry import *  # noqa: E402, F403  (names listed in its __all__)
from .process._home import *  # noqa: E402, F403
from .process._home_role import *  # noqa: E402, F403
from .process._lock import *  # noqa: E402, F403
from .process._persistence import *  # noqa: E402, F403
from .process._process_object import *  # noqa: E402, F403
from .process._storage import *  # noqa: E402, F403
from .process._transfer import *  # noqa: E402, F403
from .pubsub import _api as _pubsub_module  # noqa: E402
from .pubsub._api import *  # noqa: E402, F403
from .runtime import _concurrency as _concurrency_module  # noqa: E402
from .runtime import _embedding as _embedding_module  # noqa: E402
from .runtime import _spool as _spool_module  # noqa: E402
from .runtime._bind import (  # noqa: E402
    bind,
    bind_point,
    bind_routine,
    bind_stateless,
    bind_statemachine,
)
from .runtime._concurrency import *  # noqa: E402, F403
from .runtime._counters import runtime_counters  # noqa: E402
from .runtime._embedding import *  # noqa: E402, F403  (compat §3.6, §3.7, §3.13)
from .runtime._machine import Dispatching, Machine, Point, Stateless, StateMachine, Threaded  # noqa: E402
from .runtime._messages import (  # noqa: E402
    FAULTY_EXIT,
    T1,
    T2,
    T3,
    T4,
    USER_LOG,
    USER_TAG,
    Aborted,
    Ack,
    Anything,
    Busy,
    CommandResponse,
    Discover,
    Enquiry,
    Faulted,
    Inspect,
    JoinSpool,
    LeaveSpool,
    Nak,
    NotReady,
    OutOfService,
    Overloaded,
    Pause,
    Ping,
    ProcessOrigin,
    Ready,
    Resume,
    RetryIntervals,
    Returned,
    ScopeOfDirectory,
    SelectTimer,
    Start,
    Stop,
    TemporarilyUnavailable,
    TimedOut,
    ToBeConfirmed,
)
from .runtime._object import (  # noqa: E402
    OnReturned,
    QueueFull,
    no_ending,
    returned_object,
    set_queue_capacity,
)
from .runtime._routine import (  # noqa: E402
    Buffering,
    Channel,
    SelectTable,
    channel,
    drop_channel,
    halt,
    open_channel,
    select_list,
)
from .runtime._spool import *  # noqa: E402, F403
from .types import (  # noqa: E402
    NO_SUCH_ADDRESS,
    UUID,
    Address,
    Any,
    ArrayOf,
    Block,
    Boolean,
    Byte,
    Character,
    ClockTime,
    CodecError,
    CodecRuntimeError,
    DequeOf,
    Enumeration,
    Float4,
    Float8,
    Incognito,
    Integer2,
    Integer4,
    Integer8,
    MapOf,
    MessageRegistrationError,
    PointConstructionError,
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
    Unknown,
    Unsigned2,
    Unsigned4,
    Unsigned8,
    UserDefined,
    VectorOf,
    Word,
    WorldTime,
    bool_type,
    bytearray_type,
    bytes_type,
    cast_back,
    cast_to,
    datetime_type,
    def_type,
    float_type,
    int_type,
    message_to_tag,
    portable_to_signature,
    portable_to_tag,
    signature_to_portable,
    str_type,
    timedelta_type,
    uuid_type,
)
from .types._registry import bind_message  # noqa: E402
from .types._text import (  # noqa: E402
    UTC,
    clock_now,
    clock_to_text,
    delta_to_text,
    short_delta,
    span_to_text,
    text_to_clock,
    text_to_delta,
    text_to_span,
    text_to_world,
    world_now,
    world_to_text,
)

#: True when every hot module is the compiled (Cython) build.
COMPILED: bool = _compiled.compiled()

# Names of layer-cake 0.1 (compat §3): codecs, conversion, type helpers, construction.
from . import _legacy  # noqa: E402
from .net._hostport import LOCAL_HOST, ScopeOfHost, equal_ipp, local_private_other  # noqa: E402
from .net._http_internals import ApiClientSession, ApiClientStream, ApiServerStream  # noqa: E402
from .process import _flags as _flags_module  # noqa: E402
from .process._flags import *  # noqa: E402, F403
from .pubsub import _object_directory as _object_directory_module  # noqa: E402
from .pubsub._object_directory import *  # noqa: E402, F403
from .types import _codec as _codec_module  # noqa: E402
from .types import _defaults as _defaults_module  # noqa: E402
from .types import _introspect as _introspect_module  # noqa: E402
from .types import _time_parts as _time_parts_module  # noqa: E402
from .types._codec import *  # noqa: E402, F403
from .types._construct import equal_to, fake, make  # noqa: E402
from .types._defaults import *  # noqa: E402, F403
from .types._errors import (  # noqa: E402
    CodecUsageError,
    ConversionDecodeError,
    ConversionEncodeError,
    ConversionError,
    EnumerationRuntimeError,
    MessageError,
    TypeTrack,
)
from .types._introspect import *  # noqa: E402, F403
from .types._portable import Container  # noqa: E402
from .types._time_parts import *  # noqa: E402, F403

#: The portable of ``ScopeOfDirectory`` (layer-cake 0.1's ``scope_type``).
scope_type = def_type(ScopeOfDirectory)

_legacy.install_finder()  # import layer_cake.<0.1 module> (compat Appendix A)

__version__ = "0.2.0.dev0"

__all__ = [
    # Runtime
    "Point",
    "Threaded",
    "Stateless",
    "StateMachine",
    "Machine",
    "Channel",
    "Buffering",
    "Dispatching",
    "channel",
    "open_channel",
    "drop_channel",
    "halt",
    "bind_routine",
    "bind_point",
    "bind_stateless",
    "bind_statemachine",
    "select_list",
    "SelectTable",
    "OnReturned",
    "QueueFull",
    "set_queue_capacity",
    "runtime_counters",
    "bind",
    "bind_message",
    "PointConstructionError",
    "USER_LOG",
    "USER_TAG",
    "ProcessOrigin",
    "ScopeOfDirectory",
    "FAULTY_EXIT",
    "returned_object",
    "no_ending",
    "command_arguments",
    "command_sub_arguments",
    "command_variables",
    # Messages
    "Start",
    "Returned",
    "Stop",
    "Pause",
    "Resume",
    "Ready",
    "NotReady",
    "Ping",
    "Enquiry",
    "Discover",
    "Inspect",
    "Ack",
    "Nak",
    "Anything",
    "Faulted",
    "Aborted",
    "TimedOut",
    "TemporarilyUnavailable",
    "Busy",
    "Overloaded",
    "OutOfService",
    "ToBeConfirmed",
    "T1",
    "T2",
    "T3",
    "T4",
    "SelectTimer",
    "Unknown",
    "Incognito",
    "CommandResponse",
    "JoinSpool",
    "LeaveSpool",
    # Concurrency
    "RetryIntervals",
    "smart_intervals",
    "intervals_only",
    # Types
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
    # Networking
    "HostPort",
    "LocalPort",
    # Utilities
    "Gas",
    "spread_out",
    "breakpath",
    "short_delta",
    "output_line",
    "clock_now",
    "world_now",
    "span_to_text",
    "text_to_span",
    "clock_to_text",
    "text_to_clock",
    "world_to_text",
    "text_to_world",
    "delta_to_text",
    "text_to_delta",
    "UTC",
]
__all__ += [  # noqa: PLE0604 - each module's __all__ holds str names
    *_entry_module.__all__,
    *_concurrency_module.__all__,
    *_spool_module.__all__,
    *_http_messages_module.__all__,
    *_rest_module.__all__,
    *_transport_module.__all__,
    *_persistence_module.__all__,
    *_home_module.__all__,
    *_home_role_module.__all__,
    *_lock_module.__all__,
    *_storage_module.__all__,
    *_transfer_module.__all__,
    *_process_object_module.__all__,
    *_pubsub_module.__all__,
    *_embedding_module.__all__,
]
__all__ += [  # noqa: PLE0604 - layer-cake 0.1 names (compat §3)
    *_codec_module.__all__,
    *_defaults_module.__all__,
    *_introspect_module.__all__,
    *_time_parts_module.__all__,
    *_flags_module.__all__,
    "make",
    "fake",
    "equal_to",
    "CodecUsageError",
    "EnumerationRuntimeError",
    "ConversionError",
    "ConversionDecodeError",
    "ConversionEncodeError",
    "MessageError",
    "TypeTrack",
    "Container",
    "scope_type",
    "LOCAL_HOST",
    "ScopeOfHost",
    "equal_ipp",
    "local_private_other",
    "ApiClientSession",
    "ApiClientStream",
    "ApiServerStream",
    *_object_directory_module.__all__,
]
