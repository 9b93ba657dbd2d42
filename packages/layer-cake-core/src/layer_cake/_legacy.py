"""The module paths of layer-cake 0.1 (compat Appendix A), built on import.

Old programs import submodules: ``import layer_cake.process_directory as pd``,
``from layer_cake.listen_connect import *``. Rather than one file per old module, a meta-path
finder (installed by ``layer_cake/__init__``) answers for ``layer_cake.<old module>`` and
builds the module when it is first imported: each name is the very object ``layer_cake.<name>``
holds at that moment, and ``__all__`` lists them (``edit_role`` had no ``__all__`` in 0.1).
A name the package does not provide (yet) is left out of the module and of ``__all__``;
reading it raises an ``AttributeError`` that says so.
"""

from __future__ import annotations

import importlib.machinery
import sys
import types

__all__ = ["LEGACY_MODULES", "install_finder"]

_PACKAGE = "layer_cake"

#: Old module name -> the names it exposed, space separated.
LEGACY_MODULES: dict[str, str] = {
    "general_purpose": "Gas breakpath output_line short_delta spread_out",
    "head_lock": "lock_file unlock_file LockUp LockedOut head_lock",
    "ip_networking": "LOCAL_HOST HostPort equal_ipp LocalPort ScopeOfHost local_private_other",
    "command_line": "ScopeOfDirectory ProcessOrigin CommandLine CL",
    "command_startup": (
        "process_flags break_arguments decode_argument encode_argument from_any extract_arguments "
        "apply_arguments kv_arguments remaining_arguments command_arguments command_sub_arguments "
        "command_variables"
    ),
    "virtual_memory": (
        "Portable Container Boolean Integer2 Integer4 Integer8 Unsigned2 Unsigned4 Unsigned8 "
        "Float4 Float8 Byte Character Rune Block String Unicode Enumeration ClockTime TimeSpan "
        "WorldTime TimeDelta UUID ArrayOf VectorOf DequeOf SetOf MapOf UserDefined PointerTo Any "
        "TargetAddress Address Type Word VIRTUAL_MEMORY_LIST VIRTUAL_MEMORY_SET deque is_portable "
        "is_container is_structural is_portable_class is_container_class NO_SUCH_ADDRESS "
        "is_address address_on_proxy"
    ),
    "convert_memory": (
        "ConversionError ConversionEncodeError ConversionDecodeError clock_to_text text_to_clock "
        "span_break span_to_text text_to_span UTC world_to_text text_to_world delta_to_text "
        "text_to_delta uuid_to_text text_to_uuid type_to_text text_to_type clock_now clock_at "
        "clock_break clock_span world_now world_at world_break world_delta"
    ),
    "convert_signature": "signature_to_portable portable_to_signature portable_to_tag",
    "convert_type": (
        "convert_hint install_hint lookup_hint convert_portable install_portable lookup_portable "
        "lookup_signature install_type lookup_type install_hints def_type cast_to un_cast "
        "cast_back bool_type int_type float_type str_type bytes_type bytearray_type datetime_type "
        "timedelta_type uuid_type message_to_tag"
    ),
    "message_memory": (
        "MessageError MessageRegistrationError TypeTrack correct_track Message Unknown Incognito "
        "DEFAULT_STRING DEFAULT_UNICODE DEFAULT_CLOCK DEFAULT_SPAN DEFAULT_WORLD DEFAULT_DELTA "
        "DEFAULT_ZONE DEFAULT_UUID default_byte default_character default_rune default_block "
        "default_string default_unicode default_clock default_span default_world default_delta "
        "default_uuid default_vector default_set default_map default_deque default_none "
        "default_array fix_expression is_message is_message_class compile_schema bind_message "
        "equal_to"
    ),
    "make_message": "make fake",
    "virtual_codec": (
        "TypeType NoneType CodecError CodecUsageError CodecRuntimeError EnumerationRuntimeError "
        "python_to_word word_to_python Codec pass_thru w2p_string w2p_block w2p_clock w2p_span "
        "w2p_world w2p_delta w2p_uuid w2p_enumeration w2p_type w2p_portable w2p_any p2w_string "
        "p2w_block p2w_clock p2w_span p2w_world p2w_delta p2w_uuid p2w_enumeration p2w_type "
        "p2w_portable p2w_any"
    ),
    "json_codec": "word_to_json json_to_word CodecJson",
    "object_logs": "PID log_to_nowhere log_to_stderr select_logs",
    "virtual_runtime": (
        "USER_LOG USER_TAG tag_to_log TAG_LOG Runtime type_schema PointConstructionError "
        "PlatformRequirementError"
    ),
    "object_runtime": (
        "PB DEFAULT_HOME AddOn QuietChannel start_up tear_down open_channel drop_channel channel"
    ),
    "virtual_point": (
        "VP SelectTimer Point T1 T2 T3 T4 StartTimer CancelTimer PointLog OnReturned "
        "returned_object Dispatching Buffering Threaded Channel Machine threaded_object "
        "object_dispatch no_ending halt"
    ),
    "point_runtime": (
        "Start Returned Stop Pause Resume Ready NotReady Ping Enquiry Discover Inspect Ack Nak "
        "Anything Faulted Aborted TimedOut TemporarilyUnavailable Busy Overloaded OutOfService "
        "ToBeConfirmed SelectTable select_list select_list_adhoc ReForm"
    ),
    "point_machine": "Stateless StateMachine DEFAULT",
    "file_object": "File read_from_file write_to_file",
    "folder_object": "Folder remove_folder remove_contents shape_of_folder",
    "object_startup": "FAULTY_EXIT CommandResponse StartStop HomeRole open_role open_home create",
    "object_spool": "JoinSpool LeaveSpool ObjectSpool",
    "process_object": "ProcessObject Utility",
    "bind_type": "PointRuntime bind_routine bind_point bind_stateless bind_statemachine bind",
    "object_directory": (
        "scope_type DIRECTORY_PORT DIRECTORY_AT_HOST DIRECTORY_AT_LAN directory_at_lan ConnectTo "
        "AcceptAt PublishAs SubscribeTo Published Subscribed ClearPublished ClearSubscribed "
        "PublishedCleared SubscribedCleared NotPublished NotSubscribed ObjectDirectory Available "
        "Delivered Dropped"
    ),
    "process_directory": "PD publish subscribe clear_published clear_subscribed",
    "listen_connect": (
        "ListenForStream ConnectStream Listening Accepted Connected NotListening NotAccepted "
        "NotConnected EndOfTransport Close Closed listen connect stop_listening"
    ),
    "get_response": "CreateFrame GetResponse Delay Concurrently Sequentially",
    "retry_intervals": "RetryIntervals intervals_only smart_intervals",
    "disk_storage": (
        "DELTA_FILE_ADD DELTA_FILE_UPDATE DELTA_FILE_UGM DELTA_FILE_REMOVE DELTA_FOLDER_ADD "
        "DELTA_FOLDER_UPDATE DELTA_FOLDER_UGM DELTA_FOLDER_REMOVE DELTA_FILE_CRUD "
        "DELTA_FOLDER_CRUD DELTA_CRUD StorageTables StorageAttributes StorageManifest "
        "StorageListing storage_manifest storage_selection storage_walk show_listings "
        "storage_delta DeltaMachine RemoveFolder RemoveFile UpdateFile UpdateUser UpdateGroup "
        "UpdateMode AddFile AddFolder ReplaceWithFile ReplaceWithFolder FolderTransfer"
    ),
    "http": (
        "HttpRequest HttpResponse FormRequest HttpMethod decode_resource decode_body "
        "cannot_be_dispatched cannot_be_converted ResourceDispatch ApiServerStream "
        "ApiClientStream ApiClientSession"
    ),
    "home_role": "HR resource_folder model_folder tmp_folder resource_path model_path tmp_path",
    "noop_codec": "word_to_noop noop_to_word CodecNoop",
    "edit_role": "edit_role HR CodecNoop",
    "routine_point": "",
}

_NO_ALL = frozenset(("edit_role",))  # modules without an ORIG __all__


class _LegacyLoader:  # importlib.abc would import pathlib and more at start-up
    """Fills a new module with the names of its table entry, taken from the package."""

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> None:
        return None  # the default module object

    def exec_module(self, module: types.ModuleType) -> None:
        package = sys.modules[_PACKAGE]
        short = module.__name__.rsplit(".", 1)[1]
        present = []
        missing = []
        for name in LEGACY_MODULES[short].split():
            try:
                value = getattr(package, name)
            except AttributeError:
                missing.append(name)
                continue
            setattr(module, name, value)
            present.append(name)
        if short not in _NO_ALL:
            module.__all__ = present  # type: ignore[attr-defined]
        module.__doc__ = f"The names layer-cake 0.1 exported from ``{module.__name__}``."
        if missing:
            absent = frozenset(missing)

            def __getattr__(name: str) -> object:
                if name in absent:
                    raise AttributeError(
                        f'"{module.__name__}.{name}" is not provided by this layer-cake yet'
                    )
                raise AttributeError(f"module {module.__name__!r} has no attribute {name!r}")

            module.__getattr__ = __getattr__  # type: ignore[attr-defined]


class _LegacyFinder:
    """Answers only for ``layer_cake.<name>`` where ``<name>`` is an old module."""

    def find_spec(
        self, fullname: str, path: object = None, target: object = None
    ) -> importlib.machinery.ModuleSpec | None:
        package, dot, short = fullname.partition(".")
        if package != _PACKAGE or not dot or short not in LEGACY_MODULES:
            return None
        return importlib.machinery.ModuleSpec(fullname, _LOADER)


_LOADER = _LegacyLoader()
_FINDER = _LegacyFinder()


class _Package(types.ModuleType):
    """The package's module type: importing ``layer_cake.head_lock`` (or ``edit_role``) does
    not replace the function of that name with the module, as the import system otherwise
    would (layer-cake 0.1's star imports rebound the function the same way)."""

    def __setattr__(self, name: str, value: object) -> None:
        current = self.__dict__.get(name)
        if (
            current is not None
            and not isinstance(current, types.ModuleType)
            and isinstance(value, types.ModuleType)
            and getattr(value.__spec__, "loader", None) is _LOADER
        ):
            return
        super().__setattr__(name, value)


def install_finder() -> None:
    """Put the finder on ``sys.meta_path`` once; after the path finders, so a real module of
    the same name would win."""
    package = sys.modules[_PACKAGE]
    if type(package) is types.ModuleType:
        package.__class__ = _Package
    if not any(isinstance(f, _LegacyFinder) for f in sys.meta_path):
        sys.meta_path.append(_FINDER)
