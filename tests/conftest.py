"""Suite-wide guards: no test may leave threads or child processes behind.

Also reports, in pytest's header, which build of each hot module is loaded.
"""

from __future__ import annotations

import importlib
import os
import signal
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from layer_cake import _build
from layer_cake.runtime._machine import DISPATCHER_PREFIX

# No process a test starts may derive the standard LAN directory from this machine's real
# interfaces and connect to it (it would be a real address on the real network): with no
# primary IP, LAN listings stop at host-cake. Tests inside their own network namespaces
# remove this from the environment of the processes they start there.
os.environ["LC_PRIMARY_IP"] = "none"

# Tests press control-c (SIGINT) on the processes they start, as a terminal would. A run
# started in the background of a non-interactive shell inherits SIGINT ignored, and every
# process it starts would keep ignoring it: handled here, SIGINT is back to its default in
# each child (a handler does not survive exec; an ignored signal does).
if signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
    signal.signal(signal.SIGINT, signal.default_int_handler)


def _site_key_for_the_run() -> None:
    """Encrypted links need a site key (docs/security.md): one per run, in a private folder,
    inherited by every process the tests start. Tests of the key itself override it."""
    import atexit
    import shutil
    import tempfile

    from layer_cake.net._site_key import generate_site_key

    folder = tempfile.mkdtemp(prefix="lc-site-key-")
    atexit.register(shutil.rmtree, folder, True)
    os.environ["LC_SITE_KEY_FILE"] = generate_site_key(os.path.join(folder, "site.key"))


_site_key_for_the_run()

#: How long a test's threads and child processes get to finish after the test returns.
LEAK_GRACE_SECONDS = 5.0
PROC = Path("/proc")


def build_report() -> list[str]:
    """One line per hot module: compiled or pure Python, and the file it was loaded from."""
    flags = ", ".join(
        f"{name}={os.environ.get(name, '')!r}" for name in ("LC_PURE_PYTHON", "LC_REQUIRE_COMPILED")
    )
    lines = [f"layer-cake hot modules ({flags}):"]
    for name in _build.HOT_MODULES:
        try:
            module = importlib.import_module(name)
        except Exception as error:  # reported here; the tests that import it fail on it
            if isinstance(error, ModuleNotFoundError) and error.name == name:
                lines.append(f"  {name}: not written yet")
            else:
                lines.append(f"  {name}: cannot be imported ({error!r})")
            continue
        kind = "compiled" if _build.is_compiled(module) else "pure Python"
        lines.append(f"  {name}: {kind} ({module.__file__})")
    return lines


def pytest_report_header(config: pytest.Config) -> list[str]:
    return build_report()


def pytest_terminal_summary(
    terminalreporter: pytest.TerminalReporter, exitstatus: int, config: pytest.Config
) -> None:
    if config.get_verbosity() < 0:  # -q drops the header: say at the end which build ran
        for line in build_report():
            terminalreporter.write_line(line)


def child_processes() -> set[int]:
    """Process ids of this process's children, zombies included."""
    me = os.getpid()
    tasks = PROC / str(me) / "task"
    try:
        return {
            int(pid) for task in tasks.iterdir() for pid in (task / "children").read_text().split()
        }
    except FileNotFoundError:
        pass  # a kernel without /proc/<pid>/task/<tid>/children: scan every process instead
    children = set()
    for entry in PROC.iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue  # the process ended while we looked
        # "pid (command) state ppid ...": the command may itself hold spaces and parentheses.
        fields = stat.rpartition(")")[2].split()
        if int(fields[1]) == me:
            children.add(int(entry.name))
    return children


#: The loop thread and the named dispatcher threads (``bind(M, ..., thread='x')``) are started
#: on first use and serve every later object of the process: they persist by design, as does
#: the stdlib loop's default executor (``asyncio_N``: it resolves a host name, then serves the
#: loop for its life). Object threads (function objects, ``Threaded`` machines) are not
#: exempt: a test stops what it made.
LOOP_THREAD_NAME = "layer-cake-loop"
EXECUTOR_PREFIX = "asyncio_"


def persists_by_design(thread: threading.Thread) -> bool:
    """True for the process-wide runtime threads that outlive any one test."""
    return (
        thread.name == LOOP_THREAD_NAME
        or thread.name.startswith(DISPATCHER_PREFIX)
        or thread.name.startswith(EXECUTOR_PREFIX)
    )


def threads_left(before: set[threading.Thread], deadline: float) -> list[threading.Thread]:
    """Threads started since ``before`` that are still alive at ``deadline``."""
    for thread in threading.enumerate():
        if thread not in before and not persists_by_design(thread):
            thread.join(max(0.0, deadline - time.monotonic()))
    return [
        t
        for t in threading.enumerate()
        if t not in before and t.is_alive() and not persists_by_design(t)
    ]


def processes_left(before: set[int], deadline: float) -> set[int]:
    """Child processes started since ``before`` that still exist at ``deadline``."""
    while True:
        left = child_processes() - before
        if not left or time.monotonic() >= deadline:
            return left
        time.sleep(0.02)


@pytest.fixture(autouse=True)
def no_leaked_threads_or_processes() -> Iterator[None]:
    """Fail a test that leaves a thread running or a child process unreaped."""
    watch_processes = PROC.is_dir()
    threads_before = set(threading.enumerate())
    processes_before = child_processes() if watch_processes else set()
    yield
    deadline = time.monotonic() + LEAK_GRACE_SECONDS
    threads = threads_left(threads_before, deadline)
    processes = processes_left(processes_before, deadline) if watch_processes else set()
    problems = []
    if threads:
        problems.append("threads still running: " + ", ".join(t.name for t in threads))
    if processes:
        problems.append("child processes still present: " + ", ".join(map(str, sorted(processes))))
    if problems:
        pytest.fail(f"leaked after {LEAK_GRACE_SECONDS:g} s: " + "; ".join(problems))
