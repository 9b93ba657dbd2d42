"""A virtual LAN in network namespaces, for tests that run real processes on several hosts.

How it works: one "switch" namespace holds a Linux bridge ``br0``; each host gets its own
namespace whose ``eth0`` is one end of a veth pair, the other end (``v<index>``) sitting in the
switch namespace as a bridge port. Both ends are created directly inside their namespaces, so
nothing is ever added to the root namespace and no traffic can reach the real network. Every
host has a default route via ``eth0``: the OS can then pick a source address for an off-host
datagram, which is what the product's LAN directory derivation (10.x -> 10.0.0.195:54195)
relies on - inside the LAN that lands on the namespace host holding 10.0.0.195.

Namespace names are ``lct<pid>-sw`` and ``lct<pid>-<host>``: unique per test process, and
recognisable as stale (creator dead) by ``remove_stale()`` after a crashed run.
"""

from __future__ import annotations

import atexit
import contextlib
import functools
import ipaddress
import os
import queue
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
import weakref
from collections.abc import Mapping, Sequence
from pathlib import Path
from types import TracebackType

__all__ = [
    "DEFAULT_HOSTS",
    "CommandError",
    "Host",
    "Lan",
    "deadline_after",
    "env_for_children",
    "follow",
    "netns_unavailable",
    "remove_stale",
    "transcript",
    "wait_for_line",
    "wait_for_port",
]

#: The hosts of the ``lan`` fixture; ``lan`` holds the standard LAN directory address.
DEFAULT_HOSTS = {"a": "10.0.0.1", "b": "10.0.0.2", "c": "10.0.0.3", "lan": "10.0.0.195"}

NETWORK = ipaddress.IPv4Network("10.0.0.0/24")
PREFIX = "lct"
SWITCH = "sw"
BRIDGE = "br0"
#: Upper bound for one ``ip`` command; only reached when something is badly wrong.
COMMAND_SECONDS = 20.0
#: How long close() waits for a killed process, and for its output reader, to finish.
REAP_SECONDS = 10.0
#: Host names become namespace names; "sw" and "probe" are taken by the switch and the probe.
HOST_NAME = re.compile(r"^[a-z][a-z0-9_]{0,15}$")
RESERVED_NAMES = frozenset({SWITCH, "probe"})
STALE_NAME = re.compile(rf"^{PREFIX}(\d+)-\S+$")


class CommandError(subprocess.CalledProcessError):
    """A command failed; unlike its base class, ``str()`` shows what the command printed."""

    def __str__(self) -> str:
        text = super().__str__()
        for label, value in (("stdout", self.stdout), ("stderr", self.stderr)):
            if value:
                text += f"\n{label}:\n{value.rstrip()}"
        return text


def _command(argv: Sequence[str], timeout: float = COMMAND_SECONDS) -> str:
    """Run a short command in the root namespace and return its stdout; raise CommandError."""
    result = subprocess.run(
        list(argv), capture_output=True, text=True, timeout=timeout, check=False
    )
    if result.returncode != 0:
        raise CommandError(result.returncode, list(argv), result.stdout, result.stderr)
    return result.stdout


def _ip(*args: str) -> str:
    return _command(["ip", *args])


def _namespaces() -> list[str]:
    """Names of every named network namespace (``ip netns list``)."""
    return [line.split()[0] for line in _ip("netns", "list").splitlines() if line.strip()]


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # exists, owned by someone else
    return True


def remove_stale() -> list[str]:
    """Delete the ``lct<pid>-*`` namespaces whose creating process is gone.

    A crashed run cannot clean up after itself; its names would otherwise collide with a
    later process that happens to get the same pid. Processes still inside such a namespace
    are left alone: without a name the namespace is unreachable and vanishes with them.

    Returns:
        The names deleted.
    """
    removed = []
    for name in _namespaces():
        match = STALE_NAME.match(name)
        if match and not _pid_alive(int(match.group(1))):
            with contextlib.suppress(CommandError):  # another process removed it meanwhile
                _ip("netns", "del", name)
                removed.append(name)
    return removed


@functools.lru_cache(maxsize=1)
def _probe() -> str | None:
    """Try a namespace with a bridge and a veth pair once per process; the error text or None."""
    name = f"{PREFIX}{os.getpid()}-probe"
    try:
        _ip("netns", "add", name)
    except (CommandError, OSError, subprocess.TimeoutExpired) as error:
        return f"cannot create a network namespace (ip netns add): {error}"
    try:
        _ip("-n", name, "link", "add", BRIDGE, "type", "bridge")
        _ip("-n", name, "link", "add", "name", "v0", "type", "veth", "peer", "name", "v1")
    except (CommandError, OSError, subprocess.TimeoutExpired) as error:
        return f"cannot create a bridge or veth pair in a network namespace: {error}"
    finally:
        with contextlib.suppress(CommandError, OSError, subprocess.TimeoutExpired):
            _ip("netns", "del", name)
    return None


def netns_unavailable() -> str | None:
    """Why network namespaces cannot be used here, or None when they can.

    Fixtures skip with this reason, so a machine without root or iproute2 reports a skip
    that says what is missing instead of a wall of failures.
    """
    if os.geteuid() != 0:
        return "network namespaces need root (ip netns add)"
    if shutil.which("ip") is None:
        return "network namespaces need the ip command (iproute2), which is not on PATH"
    return _probe()


def env_for_children() -> dict[str, str]:
    """``os.environ`` for child processes that import the INSTALLED layer-cake packages.

    The source tree has no compiled extensions (under nox it is not what the tests run), so
    PYTHONPATH points at the folders the installed packages were imported from.
    """
    import layer_cake
    import layer_cake_cli
    import layer_cake_directory

    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(
        dict.fromkeys(
            str(Path(module.__file__).resolve().parent.parent)
            for module in (layer_cake, layer_cake_directory, layer_cake_cli)
        )
    )
    env["PYTHONUNBUFFERED"] = "1"
    return env


def deadline_after(seconds: float) -> float:
    """The ``time.monotonic()`` instant ``seconds`` from now, for the ``wait_for_*`` helpers."""
    return time.monotonic() + seconds


# -- reading a process's output --------------------------------------------------------------


class _OutputReader:
    """Reads one process's stdout on a thread: a queue for waits, a transcript for reports."""

    __slots__ = ("lines", "pending", "thread")

    def __init__(self, proc: subprocess.Popen) -> None:
        self.lines: list[str] = []
        # Unbounded on purpose: a bounded queue would stall the reader and then the child.
        self.pending: queue.SimpleQueue[str | None] = queue.SimpleQueue()
        self.thread = threading.Thread(
            target=self._read, args=(proc.stdout,), name=f"netns-reader-{proc.pid}", daemon=True
        )
        self.thread.start()

    def _read(self, stream: object) -> None:
        try:
            for line in stream:  # type: ignore[attr-defined]
                text = line.decode(errors="replace") if isinstance(line, bytes) else line
                text = text.rstrip("\r\n")
                self.lines.append(text)
                self.pending.put(text)
        except (OSError, ValueError):
            pass  # the stream was closed under us by close(): the output has ended
        finally:
            self.pending.put(None)


_readers: weakref.WeakKeyDictionary[subprocess.Popen, _OutputReader] = weakref.WeakKeyDictionary()
_readers_lock = threading.Lock()


def _reader_of(proc: subprocess.Popen) -> _OutputReader:
    if proc.stdout is None:
        raise ValueError("the process's stdout is not a pipe: start it with stdout=PIPE")
    with _readers_lock:
        reader = _readers.get(proc)
        if reader is None:
            reader = _readers[proc] = _OutputReader(proc)
        return reader


def _end_reader(proc: subprocess.Popen, timeout: float) -> bool:
    """Join the reader of ``proc`` (its output must have ended); False if it is still running."""
    with _readers_lock:
        reader = _readers.get(proc)
    if reader is None:
        return True
    reader.thread.join(timeout)
    return not reader.thread.is_alive()


def follow(proc: subprocess.Popen) -> None:
    """Read ``proc``'s output from now on, so that ``transcript`` holds every line even of a
    process no test waits on (a pipe left unread would also block the process)."""
    _reader_of(proc)


def transcript(proc: subprocess.Popen) -> list[str]:
    """Every line of ``proc``'s output read so far by ``wait_for_line`` (a copy)."""
    with _readers_lock:
        reader = _readers.get(proc)
    return list(reader.lines) if reader is not None else []


def _report(proc: subprocess.Popen, reader: _OutputReader, problem: str) -> str:
    shown = "\n".join(f"  | {line}" for line in reader.lines) or "  (no output)"
    return f"{problem}\nprocess {proc.pid} {proc.args!r}, exit code {proc.poll()}:\n{shown}"


def wait_for_line(proc: subprocess.Popen, pattern: re.Pattern | str, deadline: float) -> re.Match:
    """The match of the next output line of ``proc`` that ``pattern`` finds (``re.search``).

    Lines are consumed: successive waits see successive lines. The first wait starts one
    reader thread for the process; it ends when the output ends.

    Args:
        proc: a process started with ``stdout=PIPE`` (the default of ``Host.popen``).
        pattern: a regular expression, searched in each line without its line ending.
        deadline: a ``time.monotonic()`` instant (see ``deadline_after``), not a duration.

    Raises:
        AssertionError: no line matched by the deadline or before the output ended; the
            message holds every line seen.
    """
    regex = re.compile(pattern) if isinstance(pattern, str) else pattern
    reader = _reader_of(proc)
    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise AssertionError(
                _report(proc, reader, f"no output line matched {regex.pattern!r} in time")
            )
        try:
            line = reader.pending.get(timeout=remaining)
        except queue.Empty:
            continue
        if line is None:
            reader.pending.put(None)  # later waits must see the end too
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(1.0)  # the exit code makes the report clearer
            raise AssertionError(
                _report(proc, reader, f"output ended before a line matched {regex.pattern!r}")
            )
        match = regex.search(line)
        if match:
            return match


#: Exit 0 once a TCP connection to argv[1]:argv[2] is accepted, else print why and exit 1.
_CONNECT_PROBE = """\
import socket, sys
try:
    socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=1.0).close()
except OSError as error:
    print(error)
    sys.exit(1)
"""


def wait_for_port(host: Host, ip: str, port: int, deadline: float) -> None:
    """Return once a TCP connection from inside ``host`` to ``ip:port`` succeeds.

    Args:
        deadline: a ``time.monotonic()`` instant (see ``deadline_after``).

    Raises:
        AssertionError: nothing answered by the deadline; the message has the last error.
    """
    last = "never tried"
    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise AssertionError(f"{ip}:{port} did not answer from {host.name}: {last}")
        result = host.run(
            [sys.executable, "-c", _CONNECT_PROBE, ip, str(port)],
            check=False,
            timeout=max(remaining, 5.0),
        )
        if result.returncode == 0:
            return
        last = (result.stdout + result.stderr).strip() or f"exit code {result.returncode}"
        time.sleep(0.05)  # a pause between polls, not a wait for the event


# -- the LAN -----------------------------------------------------------------------------------


class Host:
    """One host of a ``Lan``: a namespace with ``eth0`` at ``ip``/24."""

    __slots__ = ("_lan", "ip", "name", "ns")

    def __init__(self, lan: Lan, name: str, ns: str, ip: str) -> None:
        self._lan = lan
        self.name = name
        self.ns = ns
        self.ip = ip

    def __repr__(self) -> str:
        return f"Host({self.name!r}, ns={self.ns!r}, ip={self.ip!r})"

    def popen(
        self, argv: Sequence[str], env: Mapping[str, str] | None = None, **kwargs: object
    ) -> subprocess.Popen:
        """Start ``argv`` inside this host's namespace, in its own process group.

        By default stdout is a line-buffered text pipe with stderr merged into it (ready for
        ``wait_for_line``). Other ``subprocess.Popen`` arguments pass through. The LAN kills
        the process group on ``close()``.
        """
        kwargs.setdefault("stdout", subprocess.PIPE)
        kwargs.setdefault("stderr", subprocess.STDOUT)
        kwargs.setdefault("text", True)
        if kwargs["text"]:
            kwargs.setdefault("bufsize", 1)  # line buffering is a warning in binary mode
        kwargs["start_new_session"] = True  # close() kills the whole group
        return self._lan._start(self._exec(argv), env, kwargs)

    def run(
        self,
        argv: Sequence[str],
        env: Mapping[str, str] | None = None,
        *,
        input: str | None = None,
        timeout: float = COMMAND_SECONDS,
        check: bool = True,
    ) -> subprocess.CompletedProcess[str]:
        """Run a short command inside this host's namespace and collect its output.

        Raises:
            CommandError: the exit code was not 0 (with ``check``); shows stdout and stderr.
            subprocess.TimeoutExpired: it ran longer than ``timeout``; its group is killed.
        """
        argv = self._exec(argv)
        proc = subprocess.Popen(
            argv,
            env=None if env is None else dict(env),
            stdin=subprocess.PIPE if input is not None else subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            start_new_session=True,
        )
        try:
            stdout, stderr = proc.communicate(input, timeout=timeout)
        except BaseException:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.communicate()
            raise
        if check and proc.returncode != 0:
            raise CommandError(proc.returncode, argv, stdout, stderr)
        return subprocess.CompletedProcess(argv, proc.returncode, stdout, stderr)

    def _exec(self, argv: Sequence[str]) -> list[str]:
        return ["ip", "netns", "exec", self.ns, *map(str, argv)]


class Lan:
    """A bridged LAN of host namespaces in 10.0.0.0/24; close it (or use ``with``).

    Only one Lan can be open per process at a time: the namespace names hold the pid.

    Args:
        hosts: host name -> IPv4 address in 10.0.0.0/24, e.g. ``{"a": "10.0.0.1"}``.

    Raises:
        ValueError: a bad host name or address.
        RuntimeError: another Lan of this process is still open.
        CommandError: an ``ip`` command failed (whatever was made is removed again).
    """

    _open: Lan | None = None

    def __init__(self, hosts: Mapping[str, str]) -> None:
        self._check(hosts)
        if Lan._open is not None:
            raise RuntimeError("a Lan of this process is still open: close it first")
        self.prefix = f"{PREFIX}{os.getpid()}-"
        self.switch_ns = self.prefix + SWITCH
        self._hosts = {name: Host(self, name, self.prefix + name, ip) for name, ip in hosts.items()}
        self._ports = {name: f"v{index}" for index, name in enumerate(self._hosts)}
        self._made: list[str] = []
        self._processes: list[subprocess.Popen] = []
        self._lock = threading.Lock()
        self._closed = False
        Lan._open = self
        atexit.register(self.close)
        try:
            remove_stale()
            self._build()
        except BaseException:
            self.close()
            raise

    @staticmethod
    def _check(hosts: Mapping[str, str]) -> None:
        if not hosts:
            raise ValueError("a Lan needs at least one host")
        seen: set[ipaddress.IPv4Address] = set()
        for name, ip in hosts.items():
            if not HOST_NAME.match(name) or name in RESERVED_NAMES:
                raise ValueError(
                    f"host name {name!r}: use 1-16 of a-z, 0-9, _ (starting with a letter),"
                    f" not {sorted(RESERVED_NAMES)}"
                )
            address = ipaddress.IPv4Address(ip)
            if address not in NETWORK or address in (NETWORK[0], NETWORK[-1]):
                raise ValueError(f"host {name!r}: {ip} is not a host address of {NETWORK}")
            if address in seen:
                raise ValueError(f"host {name!r}: {ip} is used twice")
            seen.add(address)

    def _add_namespace(self, ns: str) -> None:
        _ip("netns", "add", ns)
        self._made.append(ns)
        _ip("-n", ns, "link", "set", "lo", "up")

    def _build(self) -> None:
        sw = self.switch_ns
        self._add_namespace(sw)
        _ip("-n", sw, "link", "add", BRIDGE, "type", "bridge")
        _ip("-n", sw, "link", "set", BRIDGE, "up")
        for name, host in self._hosts.items():
            port, ns = self._ports[name], host.ns
            self._add_namespace(ns)
            # Both ends are born in their namespaces: nothing ever exists in the root one.
            _ip("link", "add", "name", port, "netns", sw, "type", "veth",
                "peer", "name", "eth0", "netns", ns)  # fmt: skip
            _ip("-n", sw, "link", "set", port, "master", BRIDGE)
            _ip("-n", sw, "link", "set", port, "up")
            _ip("-n", ns, "addr", "add", f"{host.ip}/{NETWORK.prefixlen}", "dev", "eth0")
            _ip("-n", ns, "link", "set", "eth0", "up")
            # Lets the OS choose a source address for off-host datagrams (see module doc).
            _ip("-n", ns, "route", "add", "default", "dev", "eth0")

    @property
    def names(self) -> list[str]:
        """The host names, in the order given."""
        return list(self._hosts)

    @property
    def namespaces(self) -> list[str]:
        """Every namespace of this LAN: the switch first, then one per host."""
        return [self.switch_ns, *(host.ns for host in self._hosts.values())]

    def host(self, name: str) -> Host:
        """The host called ``name``; KeyError if there is none."""
        return self._hosts[name]

    def link_down(self, name: str) -> None:
        """Pull the cable of host ``name``: its switch port goes down, traffic silently stops.

        The host keeps its address and routes and nobody sends a reset, as with a real cable.
        """
        self._set_port(name, "down")

    def link_up(self, name: str) -> None:
        """Plug the cable of host ``name`` back in; TCP retransmits what was lost."""
        self._set_port(name, "up")

    def _set_port(self, name: str, state: str) -> None:
        self.host(name)  # KeyError for an unknown host
        _ip("-n", self.switch_ns, "link", "set", self._ports[name], state)

    def _start(
        self, argv: list[str], env: Mapping[str, str] | None, kwargs: dict[str, object]
    ) -> subprocess.Popen:
        with self._lock:
            if self._closed:
                raise RuntimeError("the Lan is closed")
            proc = subprocess.Popen(argv, env=None if env is None else dict(env), **kwargs)  # type: ignore[call-overload]
            self._processes.append(proc)
            return proc

    def close(self) -> None:
        """Kill every process started on the LAN, then delete its namespaces. Idempotent.

        Raises:
            RuntimeError: a process or an output reader did not end, or a namespace could
                not be deleted; everything else was still cleaned up.
        """
        with self._lock:
            if self._closed:
                return
            self._closed = True
            processes, self._processes = self._processes, []
        problems = []
        for proc in processes:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)  # the group: children die too
        for proc in processes:
            try:
                proc.wait(REAP_SECONDS)
            except subprocess.TimeoutExpired:
                problems.append(f"process {proc.pid} did not die")
            if not _end_reader(proc, REAP_SECONDS):
                problems.append(f"the output reader of process {proc.pid} did not end")
            for stream in (proc.stdin, proc.stdout, proc.stderr):
                if stream is not None:
                    with contextlib.suppress(OSError):
                        stream.close()
        # Deleting a namespace deletes its veth ends and the bridge with it.
        for ns in reversed(self._made):
            try:
                _ip("netns", "del", ns)
            except (CommandError, OSError, subprocess.TimeoutExpired) as error:
                problems.append(f"cannot delete namespace {ns}: {error}")
        self._made = []
        if Lan._open is self:
            Lan._open = None
        atexit.unregister(self.close)
        if problems:
            raise RuntimeError("Lan.close: " + "; ".join(problems))

    def __enter__(self) -> Lan:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()
