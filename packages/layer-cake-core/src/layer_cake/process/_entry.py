"""The process entry point ``lc.create`` (api-core §11).

``create`` parses ``sys.argv``, starts the runtime, runs the main object with a channel as
its parent and waits on that channel for its ``Returned``. Signals reach that wait as
markers in the channel's inbox (``_SignalRelay``); the waiting main thread turns them into a
``Stop`` and a log entry.
After the main object ends, its value is written per §11.3, objects still alive get ``Stop``
and are waited for (woken by their ``Returned``, rerouted to the channel), then the process
exits with the status.

Over 600 lines for a reason: it is one process's life in the order it happens (command
line, role, run, signals, result, exit), each step a small function that the next one
calls; the role records and locks are ``_role``'s, the command line ``_command_line``'s.

With ``--home-path`` and ``--role-name`` the process is a role of a home (cli.md §2, §3):
a role flag (``--create-role``...) stores or shows the role's settings, decoded against the
main object's schema, and ends; otherwise the run holds the role's head lock, takes the
stored settings as defaults and is recorded in ``start_stop.json`` (module ``_role``).
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
import threading
from datetime import datetime, timezone
from typing import TYPE_CHECKING, NoReturn

from ..pubsub._node_settings import configure_node, configure_process
from ..runtime._bind import object_spec
from ..runtime._embedding import PB
from ..runtime._lingering import stop_lingering
from ..runtime._log import set_level
from ..runtime._messages import (
    FAULTY_EXIT,
    CommandResponse,
    Faulted,
    Returned,
    ScopeOfDirectory,
    Stop,
)
from ..runtime._routine import Channel, drop_channel, open_channel
from ..types._argument import decode_argument
from ..types._errors import CodecRuntimeError, PointConstructionError
from ..types._infer import infer_portable
from ..types._portable import Any, MapOf, Portable, Unicode, install, installed
from ._command_line import (
    CL,
    Arguments,
    CommandLine,
    parse_arguments,
    parse_sub_command,
    positional_parameters,
    process_schema,
    update_command_line,
)

if TYPE_CHECKING:
    from ._role import HeadLock

# The home and role modules (``_home``, ``_home_role``, ``_role``, ``_rolling``), the directory
# node and the JSON forms are imported where used: a process outside a home that writes no
# output loads none of them (issue 13).

__all__ = ["create", "CL", "CommandLine", "DEFAULT_HOME"]

#: Folder name of a home (cli.md).
DEFAULT_HOME = ".layer-cake"

#: How long objects still alive after the main object ends get to finish once stopped. It
#: exceeds a ProcessObject's own 10 s grace so that its child is always reaped.
STOP_GRACE_SECONDS = 12.0

_ANY = install(Any())

# Signals turned into a Stop of the main object (SIGINT itself and its aliases).
_STOPPING = tuple(
    getattr(signal, name)
    for name in ("SIGINT", "SIGTERM", "SIGHUP", "SIGQUIT")
    if hasattr(signal, name)
)
_IGNORED = tuple(getattr(signal, name) for name in ("SIGUSR1", "SIGUSR2") if hasattr(signal, name))
# Catchable signals that would otherwise end the process silently: logged as unexpected.
# Job control, terminal, pipe and child signals keep their default behaviour (SIGCHLD's
# default is "ignore" already; catching it would fight the child watcher).
_UNEXPECTED = tuple(
    getattr(signal, name)
    for name in ("SIGALRM", "SIGVTALRM", "SIGPROF", "SIGXCPU", "SIGXFSZ", "SIGPWR", "SIGIO")
    if hasattr(signal, name)
)

_SETTINGS = install(MapOf(Unicode(), Any()))

# The role operations (cli.md §3): the flag, and the verb of its faults.
_OPERATIONS = {
    "create_role": "create",
    "update_role": "update",
    "factory_reset": "reset",
    "dump_role": "dump",
    "edit_role": "edit",
    "delete_role": "delete",
}


class _Signalled:
    """Marker put into the channel by the signal relay (never sent between objects)."""

    __slots__ = ("number",)

    def __init__(self, number: int) -> None:
        self.number = number


def create(
    object_type: object,
    object_table: list | None = None,
    environment_variables: object = None,
    sticky: bool = False,
    strict: bool = True,
) -> NoReturn:
    """Run ``object_type`` as this process's main object, write its result and exit.

    Args:
        object_type: a bound function or machine class; the main object.
        object_table: bound functions selected by the first word of the command line (the
            name with any trailing ``_`` removed: ``list_`` is ``list``).
        environment_variables: a bound-class instance whose fields are set from the
            ``LC_V_<FIELD>`` environment variables.
        sticky: force a persistent role (reserved: no effect in this release).
        strict: when False, arguments that match nothing are tolerated.

    Raises:
        SystemExit: always, with the exit status of api-core §11.3.
    """
    prog = os.path.basename(sys.argv[0]) if sys.argv and sys.argv[0] else "layer-cake"
    # A real process: its directory node looks for host-cake unless --connect-to-directory.
    from ..pubsub._addresses import DIRECTORY_AT_HOST
    from ..pubsub._node_settings import set_default_parent

    set_default_parent(DIRECTORY_AT_HOST)
    status = run(prog, sys.argv[1:], object_type, object_table, environment_variables, strict)
    PB.exit_status = status  # the process block of layer-cake 0.1 (compat §3.6)
    with contextlib.suppress(OSError, ValueError):
        sys.stdout.flush()
    # The interpreter's finalization resets signal handlers: a late stopping signal (a
    # repeated control-c, a parent-death SIGTERM) must not replace the exit status now.
    with contextlib.suppress(ValueError, OSError, AttributeError):
        signal.pthread_sigmask(signal.SIG_BLOCK, _STOPPING)
    # Close the transports and join the loop thread before the interpreter finalises: a
    # loop thread inside a socket callback during finalization crashes the process (SIGSEGV).
    from ..runtime._loop import LOOP

    LOOP.stop()
    raise SystemExit(status)


def run(
    prog: str,
    argv: list[str],
    object_type: object,
    object_table: list | None = None,
    environment_variables: object = None,
    strict: bool = True,
) -> int:
    """The body of ``create``: everything but the exit; returns the exit status."""
    update_command_line({})
    target = object_type
    if target is None:
        return _output(Faulted("no object to run"), prog)
    try:
        schema = object_spec(target).schema
    except PointConstructionError as e:
        return _output(Faulted(str(e)), prog)

    # Words are positional arguments of the main object; with a table the first one is
    # replaced by the sub-command's 4-tuple (compat §2.6).
    if object_table:
        parsed = parse_sub_command(argv, process_schema(), target, object_table, strict=strict)
    else:
        parsed = parse_arguments(
            argv, process_schema(), schema, strict=strict, positional=positional_parameters(target)
        )
    if isinstance(parsed, Faulted):
        return _output(parsed, prog)
    assert isinstance(parsed, Arguments)
    update_command_line(parsed.process)
    configure_process(CL.connect_to_directory, bool(CL.encrypted_process))
    if CL.directory_scope == ScopeOfDirectory.LIBRARY:
        configure_node(ScopeOfDirectory.LIBRARY)  # before the node is first used
    if CL.debug_level is not None:
        set_level(CL.debug_level, sys.stderr)

    if CL.help:
        for name, portable in schema.items():
            sys.stdout.write(f"--{name.replace('_', '-')}={portable.signature()}\n")
        return 0
    if CL.dump_types:
        sys.stdout.write("".join(f"{s}\n" for s in installed()))
        return 0
    in_home = _in_home()
    if isinstance(in_home, Faulted):
        return _output(in_home, prog)
    if any(getattr(CL, name) for name in _OPERATIONS):
        return _output(_role_operation(in_home, schema, parsed.settings), prog)
    if environment_variables is not None:
        fault = _read_environment(environment_variables)
        if fault is not None:
            return _output(fault, prog)

    if in_home:
        _load_runtime()
    head = _begin_role(schema, parsed.settings, parsed.positional) if in_home else None
    if isinstance(head, Faulted):
        return _output(head, prog)
    if head is None:  # not a role (a child's role name without a folder is only a name)
        return _output(_run_main(target, parsed.settings, parsed.args), prog)
    lock, settings = head
    from ._rolling import begin_rolling, end_rolling

    rolling = begin_rolling(lock.home, lock.role)  # under start or --keep-logs (cli.md §2)
    try:
        value = _run_main(target, settings, parsed.args)
        _end_role(lock, value)
        return _output(value, prog)
    finally:
        end_rolling(rolling)
        lock.release()


# Roles ---------------------------------------------------------------------------------------


def _in_home() -> bool | Faulted:
    """Whether this process is a role of a home (``CL.home_path`` made absolute), or the
    fault in its home and role arguments.

    A ProcessObject names its child with ``--role-name`` and passes ``--home-path`` only
    when it has one: a child with a role name and no home is an ordinary process.
    """
    if CL.role_file:
        return Faulted("cannot use a role file (reserved)")
    home, role = CL.home_path, CL.role_name
    if not home and not role:
        return False
    if not home:
        if CL.child_process:
            return False
        return Faulted(f'cannot use role "{role}"', "no --home-path")
    if not role:
        return Faulted(f'cannot use home "{home}"', "no --role-name")
    if role in (".", "..") or role.startswith(".") or os.sep in role or "/" in role:
        return Faulted(f'cannot use role "{role}"', "not a valid name")
    CL.home_path = os.path.abspath(home)
    return True


def _typed_settings(settings: dict, schema: dict[str, Portable]) -> dict:
    """``{name: (value, portable)}`` of the settings given (None values left out), so each
    keeps its type in ``settings.json``."""
    return {
        name: (value, schema[name])
        for name, value in settings.items()
        if value is not None and name in schema
    }


def _names(settings: dict) -> str:
    return ",".join(sorted(settings)) or "empty"


def _role_operation(in_home: bool, schema: dict[str, Portable], settings: dict) -> object:
    """Carry out the role flag given (cli.md §3); the value to output."""
    from ._home_role import edit_stored_role
    from ._role import (
        HeadLock,
        make_role,
        remove_role,
        role_exists,
        role_path,
        role_settings,
        store_role_settings,
    )

    operations = [name for name in _OPERATIONS if getattr(CL, name)]
    if len(operations) > 1:
        listed = ", ".join(name.replace("_", "-") for name in operations)
        return Faulted(f"cannot perform several role operations ({listed})")
    operation = operations[0]
    verb = _OPERATIONS[operation]
    if not in_home:
        return Faulted(f"cannot {verb} role", "needs --home-path and --role-name")
    home, role = CL.home_path, CL.role_name
    assert home is not None and role is not None
    path = role_path(home, role)
    if operation == "edit_role":  # interactive, terminal inherited (compat.md §4.2)
        return edit_stored_role(home, role, schema)
    if operation == "create_role":
        if not os.path.isdir(os.path.join(home, "role")):
            return Faulted(f'cannot create "{path}"', "home does not exist")
        try:
            make_role(home, role, _executable(), _typed_settings(settings, schema))
        except FileExistsError:
            return Faulted(f'cannot create "{path}"', "already exists")
        except FileNotFoundError:
            return Faulted(f'cannot create "{path}"', "home does not exist")
        except (OSError, CodecRuntimeError) as e:
            return Faulted(f'cannot create "{path}"', _reason(e))
        return CommandResponse("create-role", note=_names(settings))
    if not role_exists(home, role):
        return Faulted(f'cannot {verb} role "{role}"', "does not exist")
    try:
        if operation == "dump_role":
            return (role_settings(home, role), _SETTINGS)
        lock = HeadLock.acquire(home, role)
        if lock is None:
            return Faulted(f'role "{role}" is running')
        with lock:
            if operation == "update_role":
                stored = role_settings(home, role)
                stored.update(_typed_settings(settings, schema))
                for name, value in settings.items():
                    if value is None:  # `--name` alone: back to the object's own default
                        stored.pop(name, None)
                store_role_settings(home, role, stored)
                return CommandResponse("update-role", note=_names(settings))
            if operation == "factory_reset":
                store_role_settings(home, role, {})
                return CommandResponse("factory-reset")
            remove_role(home, role)
            return CommandResponse("delete-role")
    except (OSError, CodecRuntimeError) as e:
        return Faulted(f'cannot {verb} role "{role}"', _reason(e))


def _reason(e: Exception) -> str:
    return (e.strerror if isinstance(e, OSError) else None) or str(e)


def _executable() -> str:
    """What ``executable_file.json`` records for this program: the absolute path of a
    script, or the program's name when PATH finds this very program by it (so that a
    ProcessObject finds it again, api-core §10.6), else its absolute path."""
    import shutil

    argv0 = sys.argv[0] if sys.argv and sys.argv[0] else sys.executable
    if argv0.endswith(".py"):
        return os.path.abspath(argv0)
    name = os.path.basename(argv0)
    found = shutil.which(name)
    if found is not None:
        with contextlib.suppress(OSError):
            if os.path.samefile(found, argv0 if os.path.exists(argv0) else found):
                return name
    return os.path.abspath(argv0)


def _begin_role(
    schema: dict[str, Portable],
    settings: dict,
    positional: list[str] = (),  # type: ignore[assignment]
) -> tuple[HeadLock, dict] | Faulted | None:
    """Start a run of the role: lock its head, announce it, empty its tmp and record the
    start. The lock and the settings to run with (stored defaults, overridden by the command
    line), a fault, or None for a child whose role folder does not exist."""
    from ._home import tmp_path
    from ._home_role import set_home_role
    from ._role import HeadLock, record_start, role_exists, role_values

    home, role = CL.home_path, CL.role_name
    assert home is not None and role is not None
    if not role_exists(home, role):
        if CL.child_process:
            _without_role(home)
            return None
        return Faulted(f'cannot run role "{role}"', "does not exist")
    try:
        lock = HeadLock.acquire(home, role)
    except OSError as e:
        return Faulted(f'cannot run role "{role}"', _reason(e))
    if lock is None:
        return Faulted(f'role "{role}" is already running')
    try:
        lock.announce(home)
        stored = {
            name: value
            for name, value in role_values(home, role).items()
            if name in schema and name not in positional  # a word given for it wins
        }
        set_home_role(home, role, tmp_path())  # tmp emptied at each start
        record_start(home, role, datetime.now(timezone.utc))
    except (OSError, CodecRuntimeError, ValueError) as e:
        lock.release()
        return Faulted(f'cannot run role "{role}"', _reason(e))
    return lock, {**stored, **settings}


def _load_runtime() -> None:
    """Import what a role joined to a directory runs on (the loop, its node) before it takes
    its head lock: a group starts its roles in waves and takes a held lock as the sign that a
    role has loaded (``group-cake``). Taken first, the lock came half-way: most of a role's
    start-up is these imports, and the next wave then competed with it for the cores (issue
    12). A role with no directory to join may never start the loop: it imports nothing here."""
    ipp = CL.connect_to_directory
    if ipp is None or not ipp.host:
        return
    from ..pubsub import _node  # noqa: F401  (the node, the transport and asyncio)
    from ..runtime._loop import loop_kind

    if loop_kind() == "uvloop":
        import uvloop  # noqa: F401


def _without_role(home: str) -> None:
    """A child of a ProcessObject whose role has no folder runs as an ordinary process that
    keeps its role name: its model and tmp are not made in the home (a partial role folder
    would make the home incomplete); its resources are still the home's, when present."""
    from ._home import _executable_file

    CL.home_path = None
    if not CL.resource_path:
        shared = os.path.join(home, "resource", _executable_file())
        if os.path.isdir(shared):
            CL.resource_path = shared


def _end_role(lock: HeadLock, value: object) -> None:
    """Record the end of the run: its stop time and value (a fault when the value cannot be
    stored)."""
    from ._role import record_stop

    stop = datetime.now(timezone.utc)
    try:
        record_stop(lock.home, lock.role, stop, value)
    except CodecRuntimeError as e:
        with contextlib.suppress(OSError, CodecRuntimeError):
            record_stop(lock.home, lock.role, stop, Faulted("cannot record returned value", str(e)))
    except OSError:
        pass  # the role folder went away while running


def _read_environment(instance: object) -> Faulted | None:
    """Set the fields of ``instance`` from ``LC_V_<FIELD>`` variables."""
    spec = type(instance).__dict__.get("__lc_message__")
    if spec is None:
        return Faulted(
            f'cannot read environment variables into "{type(instance).__name__}" (not registered)'
        )
    for name, portable in spec.fields:
        variable = f"LC_V_{name.upper()}"
        text = os.environ.get(variable)
        if text is None:
            continue
        try:
            setattr(instance, name, decode_argument(text, portable))
        except CodecRuntimeError as e:
            return Faulted(f'cannot decode value for "{variable}" ({e})')
    return None


# Running the main object ---------------------------------------------------------------------


def _run_main(target: object, settings: dict, args: list | tuple = ()) -> object:
    """Create the main object under a new channel; its value once it ends."""
    ipp = CL.connect_to_directory
    if ipp is not None and ipp.host:
        from ..pubsub._node import node_address

        node_address()  # a parent given explicitly is joined at start (pubsub §7)
    channel = open_channel()
    relay = _SignalRelay(channel)
    try:
        try:
            main = channel.create(target, *args, **settings)
        except PointConstructionError as e:
            return Faulted(str(e))
        except TypeError as e:  # settings the object cannot take
            return Faulted(f"cannot create main object ({e})")
        not_published: type | tuple = ()  # a listing refused: only a library child lists
        if CL.directory_scope == ScopeOfDirectory.LIBRARY:
            from ..pubsub._messages import NotPublished as not_published

            _publish_library(channel, main)
        stopping = False
        while True:
            m = channel.input()
            if isinstance(m, Returned):
                if channel.return_address == main:
                    value = m.message
                    break
            elif isinstance(m, _Signalled):
                stopping = _on_signalled(channel, main, m.number, stopping)
                if stopping and CL.child_process and os.getppid() != _PARENT[0]:
                    _orphan_deadline(channel)
            elif isinstance(m, not_published):
                channel.warning(f'Cannot publish library "{m.name}" ({m.note})')
        stop_lingering(channel, STOP_GRACE_SECONDS)
        return value
    finally:
        relay.close()
        drop_channel(channel)


#: The parent process at start: a child whose parent changed has been orphaned.
_PARENT = [os.getppid()]
#: Seconds an orphaned child (its parent died: SIGTERM from PR_SET_PDEATHSIG) has to end
#: as on SIGINT before it exits anyway: no process outlives its parent for long.
ORPHAN_GRACE = 10.0


def _orphan_deadline(channel: Channel) -> None:
    """The parent died: stop as on SIGINT, but exit ``ORPHAN_GRACE`` seconds from now at the
    latest (a main object that ignores ``Stop`` must not leave an orphan running)."""
    channel.warning(f"Parent process gone; stopping (exit in {ORPHAN_GRACE:g} s at the latest)")
    timer = threading.Timer(ORPHAN_GRACE, os._exit, (FAULTY_EXIT,))
    timer.daemon = True
    timer.start()


def _publish_library(channel: Channel, main: tuple) -> None:
    """A library child (api-core §10.6): list the main object under the role name at PROCESS
    scope, held by the loader's node, where its ProcessObject has subscribed. The node
    answers the channel; the object itself hears nothing of the listing or its sessions."""
    name = CL.role_name or os.path.splitext(os.path.basename(sys.argv[0] or "library"))[0]
    from ..pubsub._node import PublishMain, node_address

    channel.send(PublishMain(name, ScopeOfDirectory.PROCESS, main), node_address())


class _SignalRelay:
    """Turns the process's signals into ``_Signalled`` markers in a channel's inbox.

    A Python-level handler runs only when the main thread next executes bytecode, and the
    kernel may deliver a signal to any thread: a main thread blocked on its inbox would not
    wake. So the handlers are no-ops; the C-level handler writes each signal number to the
    wakeup fd (from whichever thread took it), and a small thread reads the numbers and puts
    the markers into the inbox.
    """

    def __init__(self, channel: Channel) -> None:
        self.previous: dict = {}
        self.previous_fd: int | None = None
        self.write_fd: int | None = None
        inbox = channel._inbox
        me = channel.object_address
        try:
            for number in _STOPPING + _UNEXPECTED + _IGNORED:
                self.previous[number] = signal.signal(number, _ignore)
        except ValueError:  # not the main thread: signals stay as they are
            self._restore_handlers()
            return
        read_fd, self.write_fd = os.pipe()
        os.set_blocking(self.write_fd, False)
        self.previous_fd = signal.set_wakeup_fd(self.write_fd, warn_on_full_buffer=False)

        def relay() -> None:
            with open(read_fd, "rb", buffering=0) as pipe:
                while data := pipe.read(64):  # empty at EOF: close() ran
                    for number in data:
                        inbox.put((_Signalled(number), me, me))

        threading.Thread(target=relay, name="layer-cake-signals", daemon=True).start()

    def close(self) -> None:
        """Restore the previous wakeup fd and handlers; the relay thread ends.

        The stopping signals stay ignored: the main object has ended and the process is
        recording its end and writing its output, which a late signal must not cut short
        (api-core §11.4: a repeated SIGINT while stopping is ignored; the SIGTERM of a parent's
        death can come more than once)."""
        if self.write_fd is not None:
            signal.set_wakeup_fd(self.previous_fd if self.previous_fd is not None else -1)
            os.close(self.write_fd)
            self.write_fd = None
        self._restore_handlers()

    def _restore_handlers(self) -> None:
        for number, previous in self.previous.items():
            handler = _ignore if number in _STOPPING else previous
            with contextlib.suppress(ValueError, TypeError):
                signal.signal(number, handler if handler is not None else signal.SIG_DFL)
        self.previous = {}


def _ignore(number: int, frame: object) -> None:
    """A no-op handler: the relay does the work (and, unlike SIG_IGN, exec resets it)."""


def _on_signalled(channel: Channel, main: tuple, number: int, stopping: bool) -> bool:
    if number in _IGNORED:
        return stopping
    if number in _STOPPING:
        if number != signal.SIGINT:
            channel.trace(f"Accepting signal {number} as SIGINT alias")
        if not stopping:
            channel.send(Stop(), main)
        return True
    channel.warning(f"Unexpected signal {number}")
    return stopping


# Output ------------------------------------------------------------------------------------------


def _typed(value: object) -> tuple[object, Portable]:
    """``(bare value, portable)`` of a result."""
    if type(value) is tuple and len(value) == 2 and isinstance(value[1], Portable):
        return value[0], value[1]
    spec = type(value).__dict__.get("__lc_message__")
    if spec is not None:
        return value, spec.portable
    inferred = infer_portable(value) if value is not None else None  # raw result (compat §2.1)
    return value, _ANY if inferred is None else inferred


def _bare_json(value: object, pretty: bool) -> str:
    """The data form of a value (the whole shipment when it holds pointers)."""
    v, p = _typed(value)
    import json

    from ..types._json import encode_data

    shipment = encode_data(v, p)
    data = shipment if "pointer" in shipment else shipment["value"]
    try:
        if pretty:
            return json.dumps(data, indent=4, sort_keys=True, ensure_ascii=False)
        return json.dumps(data, separators=(",", ":"), ensure_ascii=False)
    except (TypeError, ValueError) as e:
        raise CodecRuntimeError(f"cannot encode ({e})") from None


def _output(value: object, prog: str) -> int:
    """Write a result per api-core §11.3; the exit status."""
    from ..types._json import encode_json

    PB.output_value = value
    fault = value if isinstance(value, Faulted) else None
    status = (fault.exit_status or FAULTY_EXIT) if fault is not None else 0
    try:
        if CL.output_file:
            name = CL.output_file if CL.output_file.endswith(".json") else f"{CL.output_file}.json"
            text = encode_json(value, _ANY, pretty=True)
            try:
                with open(name, "w", encoding="utf-8") as f:
                    f.write(text)
                    f.write("\n")
            except OSError as e:
                sys.stderr.write(f'{prog}: cannot write "{name}" ({e.strerror or e})\n')
                return e.errno or FAULTY_EXIT
        elif CL.full_output:
            sys.stdout.write(encode_json(value, _ANY, pretty=not CL.child_process))
            sys.stdout.write("\n")
        elif fault is None and value is not None:
            sys.stdout.write(_bare_json(value, pretty=not CL.child_process))
            sys.stdout.write("\n")
        if fault is not None and not CL.full_output:
            sys.stderr.write(f"{prog}: {fault}\n")
        sys.stdout.flush()
    except CodecRuntimeError as e:
        sys.stderr.write(f"{prog}: {e}\n")
        return FAULTY_EXIT
    except OSError as e:  # stdout gone (closed pipe)
        with contextlib.suppress(OSError):
            sys.stderr.write(f"{prog}: cannot write output ({e.strerror or e})\n")
        return e.errno or FAULTY_EXIT
    return status
