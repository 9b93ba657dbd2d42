"""Child processes as objects: ``ProcessObject`` and ``Utility`` (api-core §10.6).

How it works: both are stateless machines on the loop. ``Start`` resolves the target and
builds the command; a task on the loop then starts the child (``create_subprocess_exec``,
the loop's own, so uvloop's under uvloop), reads its stdout to the end and waits for its
exit. The task reports back to the machine with two private messages, ``ChildStarted`` and
``ChildEnded``, so every decision (logging, stopping, the result) is taken by a handler.

Over 600 lines for a reason: ``ProcessObject`` and ``Utility`` share the child's launch,
parent-death signal, stop and exit handling (``_Child``, ``_stop_child``, ``_child_exited``);
apart, either module would import the other's private half.

Every child gets a parent-death signal (``prctl(PR_SET_PDEATHSIG, ...)`` in ``preexec_fn``,
Linux only): a SIGKILLed parent leaves no orphans. A ProcessObject's child (a layer-cake
process) gets SIGTERM, which ``lc.create`` takes as SIGINT: it stops as on control-c and
records its end (pubsub §9: the roles of a group-cake that died), and exits anyway
``ORPHAN_GRACE`` seconds later if its objects do not end. A Utility's child (any program)
gets SIGKILL. The signal follows the thread that forked, which is the loop thread, alive for
the whole process. A ProcessObject's
child also gets its own process group (a new session), so the terminal's control-c reaches
only the parent, which passes it on as ``Stop`` → SIGINT to the group.

A ProcessObject's child holds the parent's site key (docs/security.md): it is given
``--site-key=<path>`` when it would not find the same file by itself (``site_key_for_child``),
so a composite process with a key works end to end (group-cake's roles included).

Stop: SIGINT, then ``Aborted()`` once the child has exited; a child still running
``GRACE_SECONDS`` later is killed (SIGKILL to its group) with a WARNING. Live ProcessObjects
are ordinary objects in the address table, so ``lc.create`` stops them at process end with
every other lingering object (its grace exceeds this one). ``LIVE`` tracks the running
children; an ``atexit`` hook kills any left when the interpreter exits some other way.

Library mode (a target bound with ``entry_point``, or ``object_api``; pubsub §10). ``Start``
asks this process's directory node for its loopback address for child nodes (opened on
demand, ``127.0.0.1:0``, shared by all library children); on ``Listening`` the machine
subscribes (PROCESS scope) to the child's role name and starts the child with
``--directory-scope=LIBRARY --connect-to-directory=<that address> --encrypted-process=false``.
The child's ``lc.create`` publishes its main object under the role name; the match is made in
this process's node, whose ``Available`` gives the child's main object as publisher.
Messages of other types sent to the machine wait in a queue until then and are forwarded in
order, each with its sender as return address, so replies go straight to the senders.
``Stop`` is not forwarded: it stops the child as in the ordinary mode, and the machine ends
with the child's result either way (a killed child: the non-standard exit fault).
"""

from __future__ import annotations

import asyncio
import atexit
import contextlib
import ctypes
import os
import re
import shlex
import shutil
import signal
import subprocess
import sys

from ..net._hostport import HostPort
from ..net._messages import Listening, NotListening
from ..net._site_key import site_key_for_child
from ..pubsub._api import subscribe
from ..pubsub._messages import Available, Dropped, NotSubscribed, Subscribed
from ..pubsub._node import AcceptDirectories, node_address
from ..runtime._bind import bind_stateless, object_spec
from ..runtime._loop import LOOP
from ..runtime._machine import Point, Stateless
from ..runtime._messages import (
    FAULTY_EXIT,
    T1,
    USER_LOG,
    Aborted,
    Faulted,
    ProcessOrigin,
    ScopeOfDirectory,
    Start,
    Stop,
)
from ..runtime._object import TIMER_ADDRESS
from ..types._argument import encode_argument
from ..types._errors import CodecRuntimeError, PointConstructionError
from ..types._hints import hint_to_portable
from ..types._json import decode_json
from ..types._message import Unknown
from ..types._portable import Portable, String, Unicode, install
from ._command_line import CL, process_schema

__all__ = ["ProcessObject", "Utility"]

#: Seconds a stopped child gets between SIGINT and SIGKILL.
GRACE_SECONDS = 10.0

#: After a child's exit, how long its stdout may stay open (held by a descendant) before the
#: output read so far is taken as the whole.
OUTPUT_DRAIN_SECONDS = 2.0

_LOOPBACK = "127.0.0.1"
_PAGE = 80  # characters of unexpected output quoted in a fault

#: Machines with a running child (loop thread writes; the atexit hook reads).
LIVE: set = set()

_PR_SET_PDEATHSIG = 1


def _load_prctl() -> object:
    """libc's ``prctl``, resolved once in the parent (the forked child only calls it)."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        return ctypes.CDLL(None, use_errno=True).prctl
    except (OSError, AttributeError):
        return None


_PRCTL = _load_prctl()


def _death_signal(parent: int, number: int = signal.SIGKILL) -> object:
    """A ``preexec_fn`` that asks for signal ``number`` when ``parent`` dies (None off
    Linux)."""
    prctl = _PRCTL
    if prctl is None:
        return None

    def preexec() -> None:
        prctl(_PR_SET_PDEATHSIG, int(number))  # type: ignore[operator]
        if os.getppid() != parent:  # the parent died before the request took effect
            os._exit(FAULTY_EXIT)

    return preexec


# Messages from the child's task to its machine (private: never leave this process).


class ChildStarted:
    """The child is running."""

    __slots__ = ("pid",)

    def __init__(self, pid: int) -> None:
        self.pid = pid


class ChildEnded:
    """The child exited (``code``, captured stdout and stderr), or could not start
    (``fault``)."""

    __slots__ = ("code", "errors", "fault", "output")

    def __init__(
        self,
        code: int | None,
        output: bytes | None,
        fault: Faulted | None = None,
        errors: bytes | None = None,
    ) -> None:
        self.code = code
        self.output = output
        self.fault = fault
        self.errors = errors


# Running a child (loop thread) -------------------------------------------------------------------


class _Child(Point, Stateless):
    """What ProcessObject and Utility share: one child process, stopped on ``Stop``."""

    own_group = False  # the child leads a process group of its own
    death_signal = signal.SIGKILL  # what the child gets when this process dies

    def not_started(self, command: list[str], e: Exception) -> Faulted:
        """The fault when the child could not be started."""
        return Faulted(f"cannot execute {command[0]}", str(e))

    def _child_init(self) -> None:
        Point.__init__(self)
        Stateless.__init__(self)
        self.process: asyncio.subprocess.Process | None = None
        self.task: asyncio.Task | None = None
        self.stopping = False  # Stop received
        self.interrupted = False  # SIGINT sent, grace timer running

    def launch(
        self,
        command: list[str],
        stdin: object,
        stdout: object,
        feed: bytes | None,
        stderr: object = None,
        options: dict | None = None,
    ) -> None:
        """Start the task that runs ``command`` (a handler, on the loop thread); ``options``
        go to ``subprocess.Popen`` (``cwd``, ...)."""
        self.task = LOOP.loop.create_task(  # type: ignore[union-attr]
            _run_child(self, command, stdin, stdout, feed, stderr, options or {})
        )

    def signal_child(self, number: int) -> None:
        """Send ``number`` to the child (its group when it has one), if it still runs."""
        process = self.process
        if process is None or process.returncode is not None:
            return  # an unreaped child keeps its pid (and group id): never a stranger's
        with contextlib.suppress(ProcessLookupError, PermissionError):
            if self.own_group:
                os.killpg(process.pid, number)
            else:
                process.send_signal(number)


async def _run_child(
    machine: _Child,
    command: list[str],
    stdin: object,
    stdout: object,
    feed: bytes | None,
    stderr: object = None,
    options: dict | None = None,
) -> None:
    """Start the child, collect its stdout (and stderr), wait for its exit; report each
    step."""
    me = machine.object_address
    try:
        process = await asyncio.create_subprocess_exec(
            *command,
            stdin=stdin,
            stdout=stdout,
            stderr=stderr,
            start_new_session=machine.own_group,
            preexec_fn=_death_signal(os.getpid(), machine.death_signal),
            **(options or {}),
        )
    except (OSError, ValueError, TypeError, subprocess.SubprocessError) as e:
        fault = machine.not_started(command, e)
        machine.deliver(ChildEnded(None, None, fault), me, me)
        return
    machine.process = process
    LIVE.add(machine)
    try:
        machine.deliver(ChildStarted(process.pid), me, me)
        output = bytearray()
        errors = bytearray()
        readers = []
        if process.stdout is not None:
            readers.append(asyncio.ensure_future(_read_all(process.stdout, output)))
        if process.stderr is not None:
            readers.append(asyncio.ensure_future(_read_all(process.stderr, errors)))
        if feed is not None and process.stdin is not None:
            with contextlib.suppress(OSError, ConnectionError):
                process.stdin.write(feed)
                await process.stdin.drain()
            process.stdin.close()
        code = await process.wait()
        if readers:
            # EOF normally comes with the exit; a descendant may hold the pipe open.
            await asyncio.wait(set(readers), timeout=OUTPUT_DRAIN_SECONDS)
            for reader in readers:
                reader.cancel()
    except Exception as e:  # the machine must hear of the end, whatever it was
        lost = Faulted("child process lost", str(e) or type(e).__name__)
        machine.deliver(ChildEnded(None, None, lost), me, me)
        return
    finally:
        LIVE.discard(machine)
    ended = ChildEnded(
        code,
        bytes(output) if process.stdout is not None else None,
        None,
        bytes(errors) if process.stderr is not None else None,
    )
    machine.deliver(ended, me, me)


async def _read_all(stream: asyncio.StreamReader, into: bytearray) -> None:
    while chunk := await stream.read(65536):
        into += chunk


def _stop_child(self: _Child) -> None:
    """``Stop``: SIGINT now (or as soon as the child runs), SIGKILL after the grace."""
    self.stopping = True
    _interrupt(self)


def _interrupt(self: _Child) -> None:
    """SIGINT to a stopping child, once; the grace timer starts."""
    if self.stopping and not self.interrupted and self.process is not None:
        self.interrupted = True
        self.signal_child(signal.SIGINT)
        self.start(T1, GRACE_SECONDS)


def _child_started(self: _Child, message: ChildStarted) -> None:
    if self._threshold <= USER_LOG.OBJECT:
        self._log("(", f"Started process ({message.pid})")
    _interrupt(self)  # a Stop that came before the child ran


def _grace_expired(self: _Child, message: T1) -> None:
    process = self.process
    if self.return_address != TIMER_ADDRESS or process is None:
        return
    if process.returncode is None:
        self.warning(
            f"Process ({process.pid}) still running {GRACE_SECONDS:g} s after SIGINT, "
            "sending SIGKILL"
        )
        self.signal_child(signal.SIGKILL)


def _child_exited(self: _Child, message: ChildEnded) -> bool:
    """Log the end; True when the machine ends ``Aborted`` (it was stopped)."""
    process = self.process
    if message.code is not None and process is not None and self._threshold <= USER_LOG.OBJECT:
        self._log(")", f"Process ({process.pid}) ended with {message.code}")
    self.cancel(T1)
    return self.stopping


# ProcessObject -----------------------------------------------------------------------------------


class ProcessObject(_Child):
    """Run a layer-cake executable as a child process; end with its result.

    Args:
        object_or_name: a bound function or machine (its module's file runs), a script
            ``"x.py"`` (looked up beside this process's executable, then in the cwd), or a
            program on PATH.
        *args: positional arguments, passed as ``str(arg)``.
        origin: the child's ``--origin`` (default: inherited, RUN → RUN_CHILD,
            START → START_CHILD).
        home_path: the child's ``--home-path`` (default: this process's).
        role_name: the child's role (default: the module's base name); prefixed with this
            process's role and a dot unless ``top_role``.
        object_api: run a named program in library mode (a bound target is in library
            mode when bound with ``entry_point``).
        extra_types: accepted for compatibility (unused).
        remainder_args: words passed after the positional arguments.
        **settings: passed as ``--name=value``, encoded by the target's schema.
    """

    own_group = True
    death_signal = signal.SIGTERM  # a layer-cake child: stops as on SIGINT (lc.create)

    def __init__(
        self,
        object_or_name: object,
        *args: object,
        origin: ProcessOrigin | None = None,
        home_path: str | None = None,
        role_name: str | None = None,
        top_role: bool = False,
        object_api: object = None,
        extra_types: object = None,
        remainder_args: list[str] | None = None,
        **settings: object,
    ) -> None:
        self._child_init()
        self.object_or_name = object_or_name
        self.args = args
        self.origin = origin
        self.home_path = home_path
        self.role_name = role_name
        self.top_role = top_role
        self.object_api = object_api
        self.extra_types = extra_types
        self.remainder_args = remainder_args
        self.settings = settings
        # Library mode.
        self.library = False
        self.library_role = ""  # the child's role name: its publication
        self.command: list[str] = []  # completed once the node listens for children
        self.publisher: tuple | None = None  # the child's main object, once Available
        self.pending: list[tuple[object, tuple]] = []  # (message, sender) until then


def ProcessObject_Start(self: ProcessObject, message: Start) -> None:
    command = _process_command(self)
    if isinstance(command, Faulted):
        self.complete(command)
    if self.library:
        self.command = command
        self.send(AcceptDirectories(HostPort(_LOOPBACK, 0)), node_address())
        return  # started on Listening
    _launch_process(self, command)


def _launch_process(self: ProcessObject, command: list[str]) -> None:
    self.console(shlex.join(command))
    self.launch(command, subprocess.DEVNULL, subprocess.PIPE, None)


def ProcessObject_Listening(self: ProcessObject, message: Listening) -> None:
    if not self.library or self.task is not None:
        return
    if self.stopping:  # stopped before the child ran
        self.complete(Aborted())
    process = process_schema()
    at = HostPort(_LOOPBACK, message.listening_ipp.port)
    command = self.command
    command.append("--directory-scope=LIBRARY")
    command.append(f"--connect-to-directory={encode_argument(at, process['connect_to_directory'])}")
    command.append("--encrypted-process=false")
    subscribe(self, re.escape(self.library_role), ScopeOfDirectory.PROCESS)
    _launch_process(self, command)


def ProcessObject_NotListening(self: ProcessObject, message: NotListening) -> None:
    if self.library and self.task is None:
        name = self.command[1] if len(self.command) > 1 else self.library_role
        self.complete(
            Faulted(
                f"cannot execute {name} (no directory address for children)", message.error_text
            )
        )


def ProcessObject_Subscribed(self: ProcessObject, message: Subscribed) -> None:
    pass


def ProcessObject_NotSubscribed(self: ProcessObject, message: NotSubscribed) -> None:
    self.warning(f'Cannot subscribe to library "{message.search}" ({message.note})')
    _stop_child(self)


def ProcessObject_Available(self: ProcessObject, message: Available) -> None:
    """The child's main object is reachable: forward what waited, in order."""
    if not self.library:
        self.dropped(message, self.return_address)
        return
    self.publisher = self.return_address
    pending, self.pending = self.pending, []
    for m, sender in pending:
        self.forward(m, self.publisher, sender)


def ProcessObject_Dropped(self: ProcessObject, message: Dropped) -> None:
    if self.library and self.return_address == self.publisher:
        self.publisher = None  # the child is going: later messages wait for its end


def ProcessObject_Unknown(self: ProcessObject, message: object) -> None:
    """Library mode: a message for the child's main object (from any sender)."""
    if not self.library or self.stopping:
        self.dropped(message, self.return_address)
        return
    if self.publisher is None:
        self.pending.append((message, self.return_address))
        return
    self.forward(message, self.publisher, self.return_address)


def ProcessObject_ChildStarted(self: ProcessObject, message: ChildStarted) -> None:
    _child_started(self, message)


def ProcessObject_ChildEnded(self: ProcessObject, message: ChildEnded) -> None:
    if _child_exited(self, message):
        self.complete(Aborted())
    if message.fault is not None:
        self.complete(message.fault)
    self.complete(_process_result(message.code, message.output or b""))


def ProcessObject_Stop(self: ProcessObject, message: Stop) -> None:
    _stop_child(self)


def ProcessObject_T1(self: ProcessObject, message: T1) -> None:
    _grace_expired(self, message)


bind_stateless(
    ProcessObject,
    (
        Start,
        ChildStarted,
        ChildEnded,
        Stop,
        T1,
        Listening,
        NotListening,
        Subscribed,
        NotSubscribed,
        Available,
        Dropped,
        Unknown,
    ),
)


def _process_result(code: int, output: bytes) -> object:
    """The value of an ended child: its decoded output, or a fault saying why not."""
    if code == 0 and not output.strip():
        return None
    if code in (0, FAULTY_EXIT):
        try:
            value = decode_json(output)
        except CodecRuntimeError as e:
            if code == 0:
                reason = str(e)
                if reason.startswith("cannot decode (") and reason.endswith(")"):
                    reason = reason[len("cannot decode (") : -1]
                return Faulted(f"cannot decode output ({reason}) not a standard executable?")
        else:
            if code == 0 or isinstance(value, Faulted):
                return value
    return Faulted(
        f"non-standard process exit - code={code}, output={bool(output.strip())}, "
        f'page="{_page(output)}"'
    )


def _page(output: bytes) -> str:
    """The start of some output, on one line, quotes and newlines escaped."""
    text = output.decode("utf-8", errors="replace").strip()
    cut = text[:_PAGE]
    cut = cut.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\r", "\\r")
    return cut + ("..." if len(text) > _PAGE else "")


def _process_command(self: ProcessObject) -> list[str] | Faulted:
    """The child's command line (api-core §10.6), or the fault that prevents it."""
    target = self.object_or_name
    schema: dict[str, Portable] = {}
    if isinstance(target, str):
        name = target
        found = _find_program(target, self.home_path or CL.home_path)
        if found is None:
            return Faulted(f"cannot execute {name} (not found)")
        command, base = found
        self.library = bool(self.object_api)
    else:
        name = getattr(target, "__name__", repr(target))
        try:
            spec = object_spec(target)
        except PointConstructionError:
            return Faulted(f"cannot execute {name} (not registered)")
        self.library = bool(spec.entry_point or self.object_api)
        path = _module_file(target)
        if path is None:
            return Faulted(f"cannot execute {name} (not found)")
        command = [sys.executable, path]
        base = os.path.splitext(os.path.basename(path))[0]
        schema = spec.schema

    command += [str(a) for a in self.args]
    command += [str(a) for a in self.remainder_args or ()]

    process = process_schema()
    settings = dict(self.settings)
    origin = self.origin if self.origin is not None else _inherited(CL.origin)
    starting = origin in (ProcessOrigin.START, ProcessOrigin.START_CHILD)
    role = self.role_name or base
    if not self.top_role and CL.role_name:
        role = f"{CL.role_name}.{role}"
    self.library_role = role
    implied: dict[str, object] = {
        "origin": origin,
        "child_process": True,
        "full_output": True,
        "home_path": self.home_path or CL.home_path,
        "role_name": role,
        "debug_level": None if starting else CL.debug_level,
        "keep_logs": True if CL.keep_logs else None,
        "site_key": site_key_for_child(self.home_path or CL.home_path),  # the same site
    }
    for key in list(implied):  # settings naming a process argument override the implied one
        if key in settings:
            implied[key] = settings.pop(key)

    for key, value in settings.items():
        if value is None:
            continue
        text = _encoded(key, value, schema.get(key) or process.get(key))
        if isinstance(text, Faulted):
            return text
        command.append(f"--{key.replace('_', '-')}={text}")
    for key, value in implied.items():
        if value is None:
            continue
        dashed = key.replace("_", "-")
        if value is True and key in ("child_process", "full_output", "keep_logs"):
            command.append(f"--{dashed}")
            continue
        text = _encoded(key, value, process[key])
        if isinstance(text, Faulted):
            return text
        command.append(f"--{dashed}={text}")
    return command


def _inherited(origin: ProcessOrigin) -> ProcessOrigin:
    """A child's origin: RUN → RUN_CHILD, START → START_CHILD, others unchanged."""
    if origin == ProcessOrigin.RUN:
        return ProcessOrigin.RUN_CHILD
    if origin == ProcessOrigin.START:
        return ProcessOrigin.START_CHILD
    return origin


def _encoded(key: str, value: object, portable: Portable | None) -> str | Faulted:
    """``value`` as argument text: by the declared type, else by its own type."""
    try:
        if portable is None:
            if isinstance(value, str):
                return value
            portable = hint_to_portable(type(value))
        if portable is None:
            return Faulted(f'cannot encode value for "{key}" (no type for {type(value).__name__})')
        return encode_argument(value, portable)
    except (CodecRuntimeError, PointConstructionError) as e:
        return Faulted(f'cannot encode value for "{key}" ({e})')


def _module_file(target: object) -> str | None:
    """The file that runs a bound target: its module's, or this script for ``__main__``."""
    module_name = getattr(target, "__module__", None)
    if module_name == "__main__":
        path = sys.argv[0] if sys.argv and sys.argv[0] else None
    else:
        module = sys.modules.get(module_name or "")
        path = getattr(module, "__file__", None)
    if not path:
        return None
    path = os.path.abspath(path)
    return path if os.path.isfile(path) else None


def _find_program(name: str, home_path: str | None) -> tuple[list[str], str] | None:
    """``(command head, base name)`` of a script or a program on PATH; None if not found."""
    base = os.path.splitext(os.path.basename(name))[0]
    if name.endswith(".py"):
        if os.path.isabs(name):
            places = [name]
        else:
            beside = (
                os.path.dirname(os.path.abspath(sys.argv[0])) if sys.argv and sys.argv[0] else None
            )
            places = [
                *([os.path.join(home_path, "script", name)] if home_path else []),
                *([os.path.join(beside, name)] if beside else []),
                os.path.abspath(name),
            ]
        for place in places:
            if os.path.isfile(place):
                return [sys.executable, place], base
        return None
    program = shutil.which(name)
    if program is None and os.path.isabs(name):  # recorded elsewhere: by name (compat §4.7)
        program = shutil.which(os.path.basename(name))
    if program is None:
        return None
    return [program], base


# Utility -----------------------------------------------------------------------------------------


class Utility(_Child):
    """Run a program that is not a layer-cake executable (an editor, a tool on PATH).

    The program shares this process's terminal (no process group of its own) and, unless
    captured, its stderr. Arguments follow layer-cake 0.1 (compat §2.7).

    Args:
        name: the program (looked up on PATH, or a path).
        *args: its arguments, each: a plain value → ``str(value)``; ``(name, value)`` →
            ``--name=value`` (``-n=value`` for a one-letter name, ``--name`` alone when the
            value is None); ``(name, sep, value)`` → one word ``--name<sep>value``, or the
            two words ``--name`` ``value`` when ``sep`` is None.
        args_schema: ``{name: type}``: the value of that flag is encoded by its type
            (``encode_argument``: a ClockTime as ISO text, structures as JSON).
        punctuation: ``(long, short)`` flag prefixes, default ``("--", "-")``.
        stdin: text or bytes written to the program's stdin (default: inherited).
        stdout: None (inherited), ``str`` (captured: the result is ``(text, Unicode())``)
            or ``bytes`` (``(bytes, String())``).
        stderr: None (inherited) or ``str``/``bytes``: captured, and appended to the fault's
            explanation when the program fails.
        text, encoding, errors: how captured text is decoded (default UTF-8, ``replace``).
        cwd: the program's working folder.
        **kw: passed to ``subprocess.Popen`` (an invalid one ends the object with
            ``Faulted('cannot start process "<name>" (<error>)')``).

    Result: None or the captured output on exit 0; ``Faulted('child exit code N',
    'expecting 0 (zero)')`` otherwise; ``Faulted('cannot resolve executable "x" from
    "<cwd>"')`` when the program is not found.
    """

    def __init__(
        self,
        name: str,
        *args: object,
        args_schema: object = None,
        punctuation: object = None,
        stdin: str | bytes | None = None,
        stdout: object = None,
        stderr: object = None,
        text: object = None,
        encoding: str | None = None,
        errors: str | None = None,
        cwd: str | None = None,
        **kw: object,
    ) -> None:
        self._child_init()
        self.name = name
        self.args = args
        self.args_schema = args_schema
        self.punctuation = punctuation
        self.feed = stdin
        self.capture = stdout
        self.capture_errors = stderr
        self.text = text
        self.encoding = encoding or "utf-8"
        self.errors = errors or "replace"
        self.cwd = cwd
        self.options = kw

    def not_started(self, command: list[str], e: Exception) -> Faulted:
        return Faulted(f'cannot start process "{self.name}" ({e})')


_CAPTURES = (None, str, bytes)


def Utility_Start(self: Utility, message: Start) -> None:
    if self.capture not in _CAPTURES or self.capture_errors not in _CAPTURES:
        self.complete(
            Faulted(f'cannot start process "{self.name}" (stdout and stderr: None, str or bytes)')
        )
    command = _utility_command(self)
    if isinstance(command, Faulted):
        self.complete(command)
    self.console(shlex.join(command))
    feed = self.feed
    if isinstance(feed, str):
        feed = feed.encode(self.encoding, self.errors)
    stdin = subprocess.PIPE if feed is not None else None
    stdout = subprocess.PIPE if self.capture is not None else None
    stderr = subprocess.PIPE if self.capture_errors is not None else None
    options = dict(self.options)
    if self.cwd is not None:
        options["cwd"] = self.cwd
    self.launch(command, stdin, stdout, feed, stderr, options)  # type: ignore[arg-type]


def Utility_ChildStarted(self: Utility, message: ChildStarted) -> None:
    _child_started(self, message)


def Utility_ChildEnded(self: Utility, message: ChildEnded) -> None:
    if _child_exited(self, message):
        self.complete(Aborted())
    if message.fault is not None:
        self.complete(message.fault)
    if message.code != 0:
        explanation = "expecting 0 (zero)"
        if message.errors:
            captured = message.errors.decode(self.encoding, self.errors).strip()
            if captured:
                explanation = f"{explanation}: {captured}"
        self.complete(Faulted(f"child exit code {message.code}", explanation))
    output = message.output
    if output is None:
        self.complete(None)
    if self.capture is bytes:
        self.complete((output, _STRING))
    self.complete((output.decode(self.encoding, self.errors), _UNICODE))


def Utility_Stop(self: Utility, message: Stop) -> None:
    _stop_child(self)


def Utility_T1(self: Utility, message: T1) -> None:
    _grace_expired(self, message)


bind_stateless(Utility, (Start, ChildStarted, ChildEnded, Stop, T1))

_UNICODE = install(Unicode())
_STRING = install(String())


def _utility_command(self: Utility) -> list[str] | Faulted:
    """argv of the program per the 0.1 rules for positional items (compat §2.7)."""
    if os.path.sep in self.name:
        program = self.name if os.path.isfile(self.name) else None
    else:
        program = shutil.which(self.name)
    if program is None:
        where = self.cwd or os.getcwd()
        return Faulted(f'cannot resolve executable "{self.name}" from "{where}"')
    command = [program]
    long_prefix, short_prefix = self.punctuation or ("--", "-")
    schema = dict(self.args_schema or {})
    for i, arg in enumerate(self.args):
        if not isinstance(arg, tuple):
            command.append(str(arg))
            continue
        if len(arg) not in (2, 3):
            return Faulted(
                f'cannot process arguments for "{self.name}", tuple flag [{i}] with '
                f"unexpected length {len(arg)}"
            )
        name = str(arg[0])
        flag = f"{short_prefix if len(name) == 1 else long_prefix}{name}"
        value = arg[-1]
        if value is None:
            command.append(flag)
            continue
        text = _flag_text(name, value, schema.get(name))
        if isinstance(text, Faulted):
            return text
        if len(arg) == 2:
            command.append(f"{flag}={text}")
        elif arg[1] is None:
            command += [flag, text]
        else:
            command.append(f"{flag}{arg[1]}{text}")
    return command


def _flag_text(name: str, value: object, hint: object) -> str | Faulted:
    if hint is None:
        return str(value)
    try:
        portable = hint if isinstance(hint, Portable) else hint_to_portable(hint)
    except PointConstructionError as e:
        return Faulted(f'cannot encode argument "{name}" ({e})')
    if portable is None:
        return str(value)
    return _encoded(name, value, portable)


# Interpreter exit --------------------------------------------------------------------------------


@atexit.register
def _kill_remaining() -> None:
    """Children still running when the interpreter exits are killed (``lc.create`` has
    normally stopped them already; on Linux the death signal would do it too)."""
    for machine in list(LIVE):
        machine.signal_child(signal.SIGKILL)
