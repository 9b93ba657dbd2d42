"""layer-cake: asynchronous objects exchanging typed messages across threads, processes and hosts.

``import layer_cake as lc``; the public API is exactly ``__all__`` (pinned by a test against
the spec's name list). ``lc.COMPILED`` tells whether the Cython build of the hot modules is
loaded (``LC_PURE_PYTHON=1`` forces the pure-Python twins).

Only what a process entry point needs is imported here (the runtime, the types, ``create``):
the rest of the API (networking, HTTP, publish/subscribe, processes, persistence, the 0.1
codecs...) is loaded on first attribute access (PEP 562), so a process pays in start-up time
and memory only for what it uses. ``tests/core/test_import_set.py`` pins what stays unloaded.
"""

from . import _build

_build.install()

from . import _compiled  # noqa: E402  (after the build choice: reads the hot modules' specs)
from ._utilities import (  # noqa: E402
    Gas,
    breakpath,
    intervals_only,
    output_line,
    smart_intervals,
    spread_out,
)
from .net._hostport import (  # noqa: E402
    LOCAL_HOST,
    HostPort,
    LocalPort,
    ScopeOfHost,
    equal_ipp,
    local_private_other,
)
from .process import _entry as _entry_module  # noqa: E402
from .process._command_line import (  # noqa: E402
    command_arguments,
    command_sub_arguments,
    command_variables,
)
from .process._entry import *  # noqa: E402, F403  (names listed in its __all__)
from .runtime import _embedding as _embedding_module  # noqa: E402
from .runtime._bind import (  # noqa: E402
    bind,
    bind_point,
    bind_routine,
    bind_stateless,
    bind_statemachine,
)
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

# Names of layer-cake 0.1 (compat §3) that cost nothing more to import.
from . import _legacy  # noqa: E402
from .types import _portable as _types_portable  # noqa: E402
from .types._errors import (  # noqa: E402
    CodecUsageError,
    ConversionDecodeError,
    ConversionEncodeError,
    ConversionError,
    EnumerationRuntimeError,
    MessageError,
    TypeTrack,
)
from .types._portable import Container  # noqa: E402

#: The portable of ``ScopeOfDirectory`` (layer-cake 0.1's ``scope_type``).
scope_type = def_type(ScopeOfDirectory)

_legacy.install_finder()  # import layer_cake.<0.1 module> (compat Appendix A)

# Loaded on first use ----------------------------------------------------------------------------

#: Module (relative to this package) -> its ``__all__``, every name exported here. The lists are
#: written out so that nothing is imported to know them; a test checks them against the modules.
_LAZY_ALL: dict[str, str] = {
    ".runtime._concurrency": "GetResponse Concurrently Sequentially CreateFrame Delay",
    ".runtime._spool": "ObjectSpool",
    ".net._http_messages": "HttpRequest HttpResponse FormRequest HttpMethod ReForm",
    ".net._rest": (
        "ResourceDispatch decode_resource decode_body cannot_be_dispatched cannot_be_converted"
    ),
    ".net._endpoints": (
        "listen connect stop_listening ListenForStream ConnectStream Listening Accepted "
        "Connected NotListening NotAccepted NotConnected ProtocolMismatch Close Closed "
        "EndOfTransport"
    ),
    ".process._persistence": (
        "File Folder read_from_file write_to_file remove_folder remove_contents"
    ),
    ".process._home": "resource_folder model_folder tmp_folder resource_path model_path tmp_path",
    ".process._home_role": "HR HomeRole StartStop open_home open_role edit_role",
    ".process._lock": "LockedOut LockUp head_lock lock_file unlock_file",
    ".process._storage": (
        "DELTA_FILE_ADD DELTA_FILE_UPDATE DELTA_FILE_UGM DELTA_FILE_REMOVE DELTA_FILE_CRUD "
        "DELTA_FOLDER_ADD DELTA_FOLDER_UPDATE DELTA_FOLDER_UGM DELTA_FOLDER_REMOVE "
        "DELTA_FOLDER_CRUD DELTA_CRUD StorageAttributes StorageManifest StorageListing "
        "StorageTables storage_manifest storage_selection storage_walk show_listings "
        "storage_delta AddFile AddFolder UpdateFile RemoveFile RemoveFolder ReplaceWithFile "
        "ReplaceWithFolder UpdateUser UpdateGroup UpdateMode shape_of_folder"
    ),
    ".process._transfer": "FolderTransfer DeltaMachine",
    ".process._process_object": "ProcessObject Utility",
    ".pubsub._api": (
        "publish subscribe clear_published clear_subscribed Published NotPublished Subscribed "
        "NotSubscribed Available Delivered Dropped PublishedCleared SubscribedCleared "
        "DIRECTORY_PORT DIRECTORY_AT_HOST directory_at_lan"
    ),
    ".types._codec": (
        "Codec CodecJson CodecNoop word_to_json json_to_word word_to_noop noop_to_word "
        "python_to_word word_to_python pass_thru p2w_span p2w_clock p2w_world p2w_delta p2w_uuid "
        "p2w_block p2w_string p2w_type p2w_enumeration w2p_span w2p_clock w2p_world w2p_delta "
        "w2p_uuid w2p_block w2p_string w2p_type w2p_enumeration p2w_any w2p_any p2w_portable "
        "w2p_portable decode_argument encode_argument"
    ),
    ".types._defaults": (
        "DEFAULT DEFAULT_CLOCK DEFAULT_SPAN DEFAULT_DELTA DEFAULT_STRING DEFAULT_UNICODE "
        "DEFAULT_UUID DEFAULT_WORLD DEFAULT_ZONE default_byte default_character default_rune "
        "default_block default_string default_unicode default_clock default_span default_world "
        "default_delta default_uuid default_vector default_set default_map default_deque "
        "default_none default_array"
    ),
    ".types._introspect": (
        "TypeType NoneType deque Message VIRTUAL_MEMORY_LIST VIRTUAL_MEMORY_SET lookup_type "
        "install_type lookup_signature lookup_hint lookup_portable install_hint install_portable "
        "install_hints convert_hint convert_portable fix_expression compile_schema type_schema "
        "un_cast from_any is_message is_message_class is_portable is_portable_class is_container "
        "is_container_class is_structural is_address address_on_proxy correct_track type_to_text "
        "text_to_type"
    ),
    ".types._time_parts": (
        "clock_at clock_break clock_span span_break world_at world_break world_delta "
        "uuid_to_text text_to_uuid"
    ),
    ".process._flags": (
        "process_flags break_arguments extract_arguments apply_arguments kv_arguments "
        "remaining_arguments"
    ),
    ".pubsub._object_directory": (
        "ObjectDirectory PublishAs SubscribeTo ClearPublished ClearSubscribed ConnectTo AcceptAt "
        "PD DIRECTORY_AT_LAN"
    ),
}
#: Module -> the names exported from it (not its whole ``__all__``).
_LAZY_SOME: dict[str, str] = {
    ".types._construct": "make fake equal_to",
    ".net._http_internals": "ApiClientSession ApiClientStream ApiServerStream",
}
#: Exported name -> the module that defines it.
_LAZY: dict[str, str] = {
    name: module
    for table in (_LAZY_ALL, _LAZY_SOME)
    for module, names in table.items()
    for name in names.split()
}


def __getattr__(name: str) -> object:
    """Import the module of a name not loaded yet (PEP 562); later reads find it directly."""
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(module, __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_LAZY})


def _load_everything() -> None:
    """Import every module loaded on demand (each registers its message types): for
    ``--dump-types`` and a peer's type name that is not known yet."""
    import importlib

    for module in (*_LAZY_ALL, *_LAZY_SOME):
        importlib.import_module(module, __name__)


_types_portable.add_loader(_load_everything)


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
    *_LAZY_ALL[".runtime._concurrency"].split(),
    *_LAZY_ALL[".runtime._spool"].split(),
    *_LAZY_ALL[".net._http_messages"].split(),
    *_LAZY_ALL[".net._rest"].split(),
    *_LAZY_ALL[".net._endpoints"].split(),
    *_LAZY_ALL[".process._persistence"].split(),
    *_LAZY_ALL[".process._home"].split(),
    *_LAZY_ALL[".process._home_role"].split(),
    *_LAZY_ALL[".process._lock"].split(),
    *_LAZY_ALL[".process._storage"].split(),
    *_LAZY_ALL[".process._transfer"].split(),
    *_LAZY_ALL[".process._process_object"].split(),
    *_LAZY_ALL[".pubsub._api"].split(),
    *_embedding_module.__all__,
]
__all__ += [  # noqa: PLE0604 - layer-cake 0.1 names (compat §3)
    *_LAZY_ALL[".types._codec"].split(),
    *_LAZY_ALL[".types._defaults"].split(),
    *_LAZY_ALL[".types._introspect"].split(),
    *_LAZY_ALL[".types._time_parts"].split(),
    *_LAZY_ALL[".process._flags"].split(),
    *_LAZY_SOME[".types._construct"].split(),
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
    *_LAZY_SOME[".net._http_internals"].split(),
    *_LAZY_ALL[".pubsub._object_directory"].split(),
]
