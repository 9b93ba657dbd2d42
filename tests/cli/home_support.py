"""What the tests of the home sub-commands share: the ``layer-cake`` command run as a child
process in a test folder, a ``layer-cake run`` left running in the background, the role
scripts, and ways to wait for and to clean up the processes of a home.

Network safety: every group these tests make points its ``--directory-at-host`` at
``NOBODY`` (a port no one listens on) or at the test's own host-cake, never at the standard
127.0.0.1:54195. Roles print their events on stderr: a role's stdout is its result.
"""

from __future__ import annotations

import contextlib
import json
import os
import queue
import signal
import subprocess
import sys
import textwrap
import threading
import time
from collections.abc import Callable
from pathlib import Path

from cli_support import CLI_PYTHONPATH, HANG_GUARD

from layer_cake.process._role import home_roles, role_locked_out

__all__ = [
    "DEADLINE",
    "NOBODY",
    "Background",
    "Jobs",
    "alive",
    "cli",
    "cli_env",
    "home_pids",
    "kill_home",
    "make_home",
    "wait_until",
    "write_roles",
]

DEADLINE = 30.0  # generous: a loaded machine starts processes slowly
#: A group parent no one listens on (tcpmux, a privileged port): never the standard one.
NOBODY = json.dumps({"host": "127.0.0.1", "port": 1})

# A role that says it is ready (with its pid), then returns ``value`` after ``after``
# seconds (0: waits for Stop), or a fault with ``fail``.
ROLE = """
import os
import sys

import layer_cake as lc


def role(self, value: int = 0, after: float = 0.0, fail: bool = False):
    name = next((a.partition("=")[2] for a in sys.argv if a.startswith("--role-name=")), "?")
    print("READY", name, os.getpid(), file=sys.stderr, flush=True)
    if fail:
        return lc.Faulted("cannot do the work", "asked to fail")
    if after:
        self.start(lc.T1, after)
    while True:
        m = self.input()
        if isinstance(m, lc.T1):
            return value
        if isinstance(m, lc.Stop):
            print("STOPPED", name, os.getpid(), file=sys.stderr, flush=True)
            return lc.Aborted()


lc.bind(role)

if __name__ == "__main__":
    lc.create(role)
"""

# A publisher and a subscriber of GROUP scope: they meet inside their group only.
PUBLISHER = """
import sys

import layer_cake as lc


def publisher(self, name: str = "svc:group"):
    lc.publish(self, name, scope=lc.ScopeOfDirectory.GROUP)
    while True:
        m = self.input()
        if isinstance(m, lc.Published):
            print("PUBLISHED", name, file=sys.stderr, flush=True)
        elif isinstance(m, lc.NotPublished):
            return m
        elif isinstance(m, lc.Stop):
            return lc.Aborted()


lc.bind(publisher)

if __name__ == "__main__":
    lc.create(publisher)
"""

SUBSCRIBER = """
import sys

import layer_cake as lc


def subscriber(self, search: str = "svc:.*"):
    lc.subscribe(self, search, scope=lc.ScopeOfDirectory.GROUP)
    while True:
        m = self.input()
        if isinstance(m, lc.Available):
            print("AVAILABLE", m.name, m.scope.name, file=sys.stderr, flush=True)
        elif isinstance(m, lc.Stop):
            return lc.Aborted()


lc.bind(subscriber)

if __name__ == "__main__":
    lc.create(subscriber)
"""

ROLE_SCRIPTS = {"role.py": ROLE, "publisher.py": PUBLISHER, "subscriber.py": SUBSCRIBER}


def write_roles(folder: Path) -> None:
    """Write the role scripts into ``folder``."""
    for name, text in ROLE_SCRIPTS.items():
        (folder / name).write_text(textwrap.dedent(text))


def cli_env() -> dict[str, str]:
    """The environment of the tool: the installed packages, and this interpreter's folder
    first on PATH so that its console scripts (``group-cake``, ``host-cake``) are found.
    ``LC_PRIMARY_IP=none`` comes from tests/conftest.py."""
    path = os.pathsep.join([os.path.dirname(sys.executable), os.environ.get("PATH", "")])
    return dict(os.environ, PYTHONPATH=CLI_PYTHONPATH, PATH=path)


def cli(cwd: Path, *args: str) -> subprocess.CompletedProcess:
    """``layer-cake <args>`` in ``cwd``, its output captured."""
    return subprocess.run(
        [sys.executable, "-m", "layer_cake_cli", *args],
        cwd=cwd,
        env=cli_env(),
        stdin=subprocess.DEVNULL,
        capture_output=True,
        check=False,  # the tests read the exit status
        text=True,
        timeout=HANG_GUARD,
    )


def make_home(cwd: Path, *roles: tuple[str, ...], group: str = NOBODY) -> Path:
    """``layer-cake create`` in ``cwd`` (the group's parent at ``group``), the role scripts,
    then ``layer-cake add <args>`` for each of ``roles``; the home."""
    write_roles(cwd)
    done = cli(cwd, "create", f"--directory-at-host={group}")
    assert done.returncode == 0, done.stderr
    for args in roles:
        done = cli(cwd, "add", *args)
        assert done.returncode == 0, done.stderr
    return cwd / ".layer-cake"


class Background:
    """``layer-cake <args>`` left running in its own process group (as a shell runs a
    foreground job), stdout and stderr lines collected by a thread each."""

    def __init__(self, cwd: Path, *args: str) -> None:
        self.popen = subprocess.Popen(
            [sys.executable, "-m", "layer_cake_cli", *args],
            cwd=cwd,
            env=cli_env(),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            start_new_session=True,
        )
        self.stdout: list[str] = []
        self.stderr: list[str] = []
        self.lines: queue.Queue = queue.Queue()
        self.readers = [
            threading.Thread(target=self._read, args=(stream, kept), daemon=True)
            for stream, kept in ((self.popen.stdout, self.stdout), (self.popen.stderr, self.stderr))
        ]
        for reader in self.readers:
            reader.start()

    def _read(self, stream, kept: list[str]) -> None:
        for line in stream:
            kept.append(line.rstrip("\n"))
            if kept is self.stderr:
                self.lines.put(line.rstrip("\n"))

    def expect(self, text: str, count: int = 1, deadline: float = DEADLINE) -> list[str]:
        """The first ``count`` stderr lines that hold ``text`` (waits for them)."""
        end = time.monotonic() + deadline
        while True:
            found = [line for line in list(self.stderr) if text in line]
            if len(found) >= count:
                return found[:count]
            left = end - time.monotonic()
            if left <= 0:
                raise AssertionError(f"{count} x {text!r} not seen; stderr: {self.stderr}")
            with contextlib.suppress(queue.Empty):
                self.lines.get(timeout=min(left, 0.5))

    def interrupt(self) -> None:
        """Control-c at the terminal: SIGINT to every process of the job's process group."""
        os.killpg(self.popen.pid, signal.SIGINT)

    def wait(self, deadline: float = DEADLINE) -> int:
        """The exit status, once the tool and its output are done."""
        code = self.popen.wait(timeout=deadline)
        for reader in self.readers:
            reader.join(timeout=deadline)
        return code

    def close(self) -> None:
        """Kill whatever of the job is left (its whole process group) and reap the tool."""
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.popen.pid, signal.SIGKILL)
        self.popen.wait(timeout=10)
        for reader in self.readers:
            reader.join(timeout=10)
        self.popen.stdout.close()
        self.popen.stderr.close()


class Jobs:
    """Background ``layer-cake`` jobs, and the homes whose processes are killed by pid at
    the end of the test whatever happens (a detached group is no child of the test)."""

    def __init__(self) -> None:
        self.started: list[Background] = []
        self.homes: list[Path] = []

    def __call__(self, cwd: Path, *args: str) -> Background:
        self.watch(cwd / ".layer-cake")
        job = Background(cwd, *args)
        self.started.append(job)
        return job

    def watch(self, home: Path) -> Path:
        """Kill the processes of ``home`` at the end."""
        self.homes.append(home)
        return home

    def close(self) -> None:
        for home in self.homes:
            kill_home(home)
        for job in self.started:
            job.close()


def alive(pid: int) -> bool:
    """Whether process ``pid`` exists and is not a zombie."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return text.rpartition(")")[2].split()[0] != "Z"


def home_pids(home: Path) -> dict[str, int]:
    """``role -> pid`` of the running roles of ``home`` (the group included)."""
    pids = {}
    for role in home_roles(str(home)):
        locked = role_locked_out(str(home), role)
        if locked is not None:
            pids[role] = locked.pid
    return pids


def kill_home(home: Path) -> None:
    """SIGKILL every running role of ``home``, by the pid in its lock (a detached group is no
    child of the test, so the leak guard cannot see it)."""
    for pid in home_pids(home).values():
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.kill(pid, signal.SIGKILL)


def wait_until(check: Callable[[], object], what: str, deadline: float = DEADLINE) -> object:
    """Poll ``check`` until it returns something true; that value."""
    end = time.monotonic() + deadline
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > end:
            raise AssertionError(f"not {what} after {deadline:g} s")
        time.sleep(0.05)
