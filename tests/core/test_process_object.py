"""ProcessObject and Utility (api-core §10.6, acceptance 35-37 and 39), with real children.

Child scripts are written into ``tmp_path``; the ones with bound functions are also imported
here, so the test holds the same function object a parent program would. Readiness is
signalled by the children themselves (a file holding their pid, renamed into place), and
the tests wait on conditions with generous deadlines, never on fixed sleeps.
"""

from __future__ import annotations

import contextlib
import importlib.util
import io
import os
import signal
import statistics
import subprocess
import sys
import textwrap
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

import layer_cake as lc
from layer_cake.process import _process_object
from layer_cake.process._command_line import CL, update_command_line
from layer_cake.process._process_object import ProcessObject, Utility
from layer_cake.runtime._log import LOG, set_level

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals and /proc")

SRC = Path(lc.__file__).resolve().parent.parent
PATIENCE = 20.0  # only reached when a test fails
ABORTED = "aborted (user or software interrupt)"

# A layer-cake child: writes its pid to ``ready`` (atomically), then serves until stopped.
SERVER = """
import os
import layer_cake as lc

def server(self, ready: str = None) -> int:
    if ready:
        with open(ready + ".tmp", "w") as f:
            f.write(str(os.getpid()))
        os.rename(ready + ".tmp", ready)
    while True:
        m = self.input()
        if isinstance(m, lc.Stop):
            return lc.Aborted()

lc.bind(server)

if __name__ == "__main__":
    lc.create(server)
"""

# Bound functions, one executable each: a ProcessObject runs the file of its target's module.
CHILDREN = {
    "texture": """
        def texture(self, x: int = 1, y: int = 1) -> list[list[float]]:
            return [[float(i * j) for i in range(x)] for j in range(y)]

        lc.bind(texture, return_type=lc.def_type(list[list[float]]), x=int, y=int)
    """,
    "bad": """
        def bad(self) -> int:
            return lc.Faulted("bad")

        lc.bind(bad)
    """,
    "quick": """
        def quick(self) -> int:
            return 1

        lc.bind(quick)
    """,
    "words": """
        def words(self, first: str = None, second: str = None) -> list[str]:
            return [first, second]

        lc.bind(words)
    """,
    "whoami": """
        def whoami(self) -> str:
            return f"{lc.CL.role_name} {lc.CL.origin.name} {lc.CL.child_process}"

        lc.bind(whoami)
    """,
    "worker": """
        def worker(self) -> int:
            return 1

        lc.bind(worker, entry_point=[lc.Ack])
    """,
    "unbound": """
        def unbound(self) -> int:
            return 1
    """,
}


# Helpers -----------------------------------------------------------------------------------------


@pytest.fixture(autouse=True)
def _children_find_the_package(monkeypatch: pytest.MonkeyPatch) -> None:
    """Children inherit the environment: give them an absolute PYTHONPATH."""
    path = os.environ.get("PYTHONPATH", "")
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(p for p in (str(SRC), path) if p))


@pytest.fixture
def ch() -> Iterator[lc.Channel]:
    with lc.channel() as c:
        yield c


def script(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(textwrap.dedent(text))
    return path


def load(path: Path) -> object:
    """Import a script written by a test (a unique module name per file)."""
    spec = importlib.util.spec_from_file_location(f"po_{path.stem}_{abs(hash(path))}", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # as an import would: ProcessObject finds the file there
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def children(tmp_path: Path) -> lc.Gas:
    """The functions of ``CHILDREN``, each imported from its own executable script."""
    functions = {}
    for name, body in CHILDREN.items():
        text = f"import layer_cake as lc\n{textwrap.dedent(body)}\n"
        text += f"if __name__ == '__main__':\n    lc.create({name})\n"
        functions[name] = getattr(load(script(tmp_path, f"{name}.py", text)), name)
    return lc.Gas(**functions)


def result(c: lc.Channel, object_type: object, *args: object, **kw: object) -> object:
    """Create a child object, wait for its end; its value (bare, casts unwrapped)."""
    address = c.create(object_type, *args, **kw)
    m, i = c.select(lc.Returned, seconds=PATIENCE)
    assert i == 0, f"no Returned within {PATIENCE} s"
    assert c.return_address == address
    value = m.message
    if type(value) is tuple and len(value) == 2 and isinstance(value[1], lc.Portable):
        return value[0]
    return value


def wait_until(condition: Callable[[], object], what: str, seconds: float = PATIENCE) -> object:
    """Poll ``condition`` until it is true; fail the test after ``seconds``."""
    deadline = time.monotonic() + seconds
    while not (value := condition()):
        assert time.monotonic() < deadline, f"{what}: not within {seconds} s"
        time.sleep(0.02)
    return value


def ready_pid(path: Path) -> int:
    """The pid a child wrote to ``path`` once it is serving."""
    wait_until(path.exists, f"{path.name} written")
    return int(path.read_text())


def running(pid: int, marker: str) -> bool:
    """True while ``pid`` is a live (not zombie) process whose command line holds ``marker``."""
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            command = f.read().decode(errors="replace")
        with open(f"/proc/{pid}/stat") as f:
            state = f.read().rpartition(")")[2].split()[0]
    except (FileNotFoundError, ProcessLookupError, IndexError):
        return False
    return state != "Z" and marker in command


def marked_processes(marker: str) -> list[int]:
    """Live processes whose command line holds ``marker`` (the test's tmp_path)."""
    pids = []
    for entry in os.listdir("/proc"):
        if entry.isdigit() and int(entry) != os.getpid() and running(int(entry), marker):
            pids.append(int(entry))
    return pids


def kill_marked(marker: str) -> None:
    """Clean-up: SIGKILL what a failed test left behind (only processes it started)."""
    for pid in marked_processes(marker):
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)


@pytest.fixture
def captured() -> Iterator[io.StringIO]:
    """Log entries at OBJECT and above, for objects created inside the test."""
    stream = io.StringIO()
    old = (LOG.level, LOG.stream)
    set_level(lc.USER_LOG.OBJECT, stream)
    try:
        yield stream
    finally:
        LOG.level, LOG.stream = old


# Results (acceptance 35, 36) ---------------------------------------------------------------------


def test_texture_runs_in_a_child_and_returns_its_table(ch, children, captured):  # scenario 35
    table = result(ch, ProcessObject, children.texture, x=2, y=3)
    assert table == [[0.0, 0.0], [0.0, 1.0], [0.0, 2.0]]  # 3 rows of 2
    log = captured.getvalue()
    command = next(line for line in log.splitlines() if " ^ " in line and "texture.py" in line)
    assert "texture.py --x=2 --y=3 --origin=SHELL " in command
    assert command.endswith("--child-process --full-output --role-name=texture")
    started = [line for line in log.splitlines() if " ( " in line]
    ended = [line for line in log.splitlines() if " ) " in line]
    assert len(started) == 1 and "Started process (" in started[0]
    assert len(ended) == 1 and ") ended with 0" in ended[0]


def test_child_fault_is_the_result(ch, children):  # scenario 36
    fault = result(ch, ProcessObject, children.bad)
    assert isinstance(fault, lc.Faulted) and not isinstance(fault, lc.Aborted)
    assert str(fault) == "bad"


def test_non_standard_exit_is_a_fault(ch, tmp_path):  # scenario 36
    hello = script(tmp_path, "hello.py", "import sys\nprint('hello')\nsys.exit(3)\n")
    fault = result(ch, ProcessObject, str(hello))
    assert isinstance(fault, lc.Faulted)
    assert str(fault).startswith("non-standard process exit - code=3, ")
    assert 'page="hello"' in str(fault)


def test_undecodable_output_of_a_clean_exit_is_a_fault(ch, tmp_path):
    hello = script(tmp_path, "hello.py", "print('hello')\n")
    fault = result(ch, ProcessObject, str(hello))
    assert isinstance(fault, lc.Faulted)
    assert str(fault).startswith("cannot decode output (")
    assert str(fault).endswith(") not a standard executable?")


def test_clean_exit_without_output_is_none(ch, tmp_path):
    silent = script(tmp_path, "silent.py", "pass\n")
    assert result(ch, ProcessObject, str(silent)) is None


def test_positional_and_remainder_arguments_follow_the_module(ch, children):
    assert result(ch, ProcessObject, children.words, "one", remainder_args=["two"]) == [
        "one",
        "two",
    ]


def test_child_gets_role_origin_and_child_process(ch, children):
    assert result(ch, ProcessObject, children.whoami) == "whoami SHELL True"
    assert result(ch, ProcessObject, children.whoami, role_name="w-1") == "w-1 SHELL True"
    saved = {"role_name": CL.role_name, "origin": CL.origin}
    update_command_line({"role_name": "boss", "origin": lc.ProcessOrigin.RUN})
    try:
        assert result(ch, ProcessObject, children.whoami) == "boss.whoami RUN_CHILD True"
        assert result(ch, ProcessObject, children.whoami, top_role=True) == "whoami RUN_CHILD True"
    finally:
        update_command_line(saved)


def test_script_is_found_in_the_working_directory(ch, tmp_path, monkeypatch):
    script(tmp_path, "silent.py", "pass\n")
    monkeypatch.chdir(tmp_path)
    assert result(ch, ProcessObject, "silent.py") is None


def test_missing_and_unregistered_targets_are_faults(ch, children):
    fault = result(ch, ProcessObject, "no-such-script.py")
    assert str(fault) == "cannot execute no-such-script.py (not found)"
    fault = result(ch, ProcessObject, "no-such-program-on-path")
    assert str(fault) == "cannot execute no-such-program-on-path (not found)"
    fault = result(ch, ProcessObject, children.unbound)
    assert str(fault) == "cannot execute unbound (not registered)"


def test_library_child_that_returns_at_once_gives_its_result(ch, children, captured):
    assert result(ch, ProcessObject, children.worker) == 1
    command = next(line for line in captured.getvalue().splitlines() if "worker.py" in line)
    assert '--directory-scope=LIBRARY \'--connect-to-directory={"host":"127.0.0.1",' in command
    assert command.endswith("--encrypted-process=false")


# Stopping (acceptance 37) ------------------------------------------------------------------------


def test_stop_sends_sigint_and_ends_aborted(ch, tmp_path, captured):  # scenario 37
    server = load(script(tmp_path, "server.py", SERVER))
    ready = tmp_path / "ready"
    try:
        address = ch.create(ProcessObject, server.server, ready=str(ready))
        pid = ready_pid(ready)
        ch.send(lc.Stop(), address)
        m, i = ch.select(lc.Returned, seconds=PATIENCE)
        assert i == 0 and isinstance(m.message, lc.Aborted)
        assert not running(pid, str(tmp_path))
        # The child ran its own Stop path: lc.create exits 71 after a SIGINT.
        assert f"Process ({pid}) ended with 71" in captured.getvalue()
    finally:
        kill_marked(str(tmp_path))


def test_stop_before_the_child_runs_still_stops_it(ch, tmp_path):
    server = load(script(tmp_path, "server.py", SERVER))
    try:
        address = ch.create(ProcessObject, server.server, ready=str(tmp_path / "ready"))
        ch.send(lc.Stop(), address)
        m, i = ch.select(lc.Returned, seconds=PATIENCE)
        assert i == 0 and isinstance(m.message, lc.Aborted)
        assert marked_processes(str(tmp_path)) == []
    finally:
        kill_marked(str(tmp_path))


STUBBORN = """
import os, signal, sys, time
signal.signal(signal.SIGINT, signal.SIG_IGN)
ready = sys.argv[1]
with open(ready + ".tmp", "w") as f:
    f.write(str(os.getpid()))
os.rename(ready + ".tmp", ready)
while True:
    time.sleep(60)
"""


def test_child_ignoring_sigint_is_killed_after_the_grace(ch, tmp_path, captured, monkeypatch):
    monkeypatch.setattr(_process_object, "GRACE_SECONDS", 0.5)  # scenario 37 (10 s in production)
    stubborn = script(tmp_path, "stubborn.py", STUBBORN)
    ready = tmp_path / "ready"
    try:
        address = ch.create(ProcessObject, str(stubborn), str(ready))
        pid = ready_pid(ready)
        started = time.monotonic()
        ch.send(lc.Stop(), address)
        m, i = ch.select(lc.Returned, seconds=PATIENCE)
        assert i == 0 and isinstance(m.message, lc.Aborted)
        assert time.monotonic() - started >= 0.5
        assert not running(pid, str(tmp_path))
        log = captured.getvalue()
        assert f"? <{address[-1]:08x}>ProcessObject - Process ({pid}) still running" in log
        assert f"Process ({pid}) ended with -{int(signal.SIGKILL)}" in log
    finally:
        kill_marked(str(tmp_path))


# Process end (acceptance 39) ---------------------------------------------------------------------

PARENT = """
import layer_cake as lc
from layer_cake.process._process_object import ProcessObject
from server import server

def parent(self, folder: str = None, count: int = 5) -> int:
    for i in range(count):
        self.create(ProcessObject, server, ready=f"{folder}/ready-{i}")
    m = self.input()  # Stop: end at once, leaving the children to the process end
    return lc.Aborted()

lc.bind(parent)

if __name__ == "__main__":
    lc.create(parent)
"""


def start_parent(
    tmp_path: Path, count: int, child: str = SERVER
) -> tuple[subprocess.Popen, list[int]]:
    """A parent process running ``count`` ProcessObject children; it and their pids."""
    script(tmp_path, "server.py", child)
    parent = script(tmp_path, "parent.py", PARENT)
    proc = subprocess.Popen(
        [
            sys.executable,
            parent.name,
            f"--folder={tmp_path}",
            f"--count={count}",
            "--debug-level=WARNING",
        ],
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    pids = [ready_pid(tmp_path / f"ready-{i}") for i in range(count)]
    return proc, pids


def test_sigint_to_a_parent_leaves_no_children(tmp_path):  # scenario 39
    marker = str(tmp_path)
    proc, pids = start_parent(tmp_path, 5)
    try:
        assert all(running(pid, marker) for pid in pids)
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=PATIENCE)
        assert proc.returncode == 71, err
        assert err.decode().endswith(f"parent.py: {ABORTED}\n")
        assert "still running" not in err.decode()  # stopped by SIGINT, not killed after a grace
        assert [pid for pid in pids if running(pid, marker)] == []
        assert marked_processes(marker) == []
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
        kill_marked(marker)


def test_sigkill_to_a_parent_leaves_no_children(tmp_path):  # scenario 39, death signal
    marker = str(tmp_path)
    proc, pids = start_parent(tmp_path, 5)
    try:
        assert all(running(pid, marker) for pid in pids)
        proc.kill()
        proc.communicate(timeout=PATIENCE)
        wait_until(lambda: not any(running(pid, marker) for pid in pids), "children gone")
        assert marked_processes(marker) == []
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
        kill_marked(marker)


# A layer-cake child whose main object never ends on Stop.
DEAF_SERVER = SERVER.replace(
    "        if isinstance(m, lc.Stop):\n            return lc.Aborted()",
    "        pass  # deaf to Stop",
)


def test_an_orphaned_child_that_ignores_stop_still_exits(tmp_path):
    """The death signal of a layer-cake child is SIGTERM (it stops as on SIGINT); one whose
    main object ignores ``Stop`` exits ``ORPHAN_GRACE`` (10) seconds later all the same."""
    assert "deaf to Stop" in DEAF_SERVER
    marker = str(tmp_path)
    proc, pids = start_parent(tmp_path, 1, DEAF_SERVER)
    try:
        proc.kill()
        proc.communicate(timeout=PATIENCE)
        wait_until(lambda: not any(running(pid, marker) for pid in pids), "deaf child gone", 60)
        assert marked_processes(marker) == []
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
        kill_marked(marker)


# Utility -----------------------------------------------------------------------------------------


def test_utility_returns_the_text_of_a_program_on_path(ch):
    assert result(ch, Utility, "echo", "hi", stdout=str) == "hi\n"


# compat §2.7 supersedes api-core §10's Utility keywords: positional tuples are the flags
# (0.1 rules), keywords are parameters or go to Popen, and the 0.1 fault texts are kept.


def test_utility_feeds_stdin_and_encodes_tuple_flags(ch):
    assert result(ch, Utility, "cat", stdin="abc", stdout=str) == "abc"
    text = result(ch, Utility, "echo", 3, ("n-lines", 2), ("quiet", None), stdout=str)
    assert text == "3 --n-lines=2 --quiet\n"
    text = result(ch, Utility, "echo", ("k", None, 2), stdout=str)
    assert text == "-k 2\n"


def test_utility_non_zero_exit_is_a_fault(ch):
    fault = result(ch, Utility, "false")
    assert isinstance(fault, lc.Faulted)
    assert str(fault) == "child exit code 1 (expecting 0 (zero))"
    assert str(result(ch, Utility, "no-such-program-on-path")) == (
        f'cannot resolve executable "no-such-program-on-path" from "{os.getcwd()}"'
    )


def test_utility_stop_ends_aborted(ch):
    address = ch.create(Utility, "sleep", "60")
    ch.send(lc.Stop(), address)
    m, i = ch.select(lc.Returned, seconds=PATIENCE)  # the Returned comes after the exit
    assert i == 0 and isinstance(m.message, lc.Aborted)


# Start-up latency --------------------------------------------------------------------------------


def test_spawn_to_result_latency_of_a_trivial_function(ch, children, record_property, capsys):
    times = []
    for _ in range(10):
        started = time.perf_counter()
        assert result(ch, ProcessObject, children.quick) == 1
        times.append(time.perf_counter() - started)
    median = statistics.median(times)
    record_property("process_object_median_seconds", median)
    with capsys.disabled():
        print(
            f"\nProcessObject spawn-to-result, trivial function: "
            f"median {median * 1000:.0f} ms of 10"
        )


# Library mode (api-core §10.6, acceptance 33 and 38) ----------------------------------------------

LIB_MESSAGES = """
import layer_cake as lc


class Xy:
    def __init__(self, x: int = 1, y: int = 1):
        self.x = x
        self.y = y


lc.bind(Xy)
table_type = lc.def_type(list[list[float]])
"""

# A library worker: writes its pid to ``<folder>/pid-<pid>``, then answers each ``Xy`` with an
# ``x`` by ``y`` table. ``x < 0`` means "hang": it writes ``<folder>/busy-<pid>`` and sleeps.
LIB_WORKER = """
import os
import time
import layer_cake as lc
from lib_messages import Xy, table_type


def mark(folder, name):
    with open(f"{folder}/{name}.tmp", "w") as f:
        f.write(str(os.getpid()))
    os.rename(f"{folder}/{name}.tmp", f"{folder}/{name}")


def worker(self, folder: str = None):
    if folder:
        mark(folder, f"pid-{os.getpid()}")
    while True:
        m = self.input()
        if isinstance(m, Xy):
            if m.x < 0:
                mark(folder, f"busy-{os.getpid()}")
                time.sleep(60.0)
            table = [[float(i * j) for i in range(m.x)] for j in range(m.y)]
            self.reply(lc.cast_to(table, table_type))
        elif isinstance(m, lc.Stop):
            return lc.Aborted()


lc.bind(worker, entry_point=[Xy])

if __name__ == "__main__":
    lc.create(worker)
"""


@pytest.fixture(scope="module")
def library(tmp_path_factory: pytest.TempPathFactory) -> lc.Gas:
    """The worker function and ``Xy``, imported once (message names are process-wide)."""
    folder = tmp_path_factory.mktemp("library")
    script(folder, "lib_messages.py", LIB_MESSAGES)
    sys.path.insert(0, str(folder))
    try:
        import lib_messages  # type: ignore[import-not-found]
    finally:
        sys.path.remove(str(folder))
    worker = load(script(folder, "lib_worker.py", LIB_WORKER)).worker
    return lc.Gas(worker=worker, Xy=lib_messages.Xy, folder=folder)


TABLE = list[list[float]]


def next_of(c: lc.Channel, *types: object) -> tuple[object, int]:
    """The next message of one of ``types`` (others are discarded); fails after PATIENCE."""
    m, i = c.select(*types, seconds=PATIENCE)
    assert i < len(types), f"none of {types} within {PATIENCE} s"
    return m, i


def pids_in(folder: Path, prefix: str) -> set[int]:
    return {int(p.read_text()) for p in folder.glob(f"{prefix}-*") if not p.name.endswith(".tmp")}


def test_library_messages_sent_before_ready_are_answered_in_order(ch, library, tmp_path):
    # scenario 38
    try:
        lc.subscribe(ch, "lib-38", lc.ScopeOfDirectory.PROCESS)  # to learn the worker's address
        address = ch.create(ProcessObject, library.worker, role_name="lib-38", folder=str(tmp_path))
        for y in (1, 2, 3):
            ch.send(library.Xy(x=2, y=y), address)
        assert pids_in(tmp_path, "pid") == set()  # all three sent before the child was ready
        tables, senders = [], []
        worker = None
        while len(tables) < 3:
            m, i = next_of(ch, TABLE, lc.Available)
            if i == 1:
                worker = m.publisher_address
                continue
            tables.append(m)
            senders.append(ch.return_address)
        assert tables == [[[float(i * j) for i in range(2)] for j in range(y)] for y in (1, 2, 3)]
        if worker is None:
            m, _ = next_of(ch, lc.Available)
            worker = m.publisher_address
        assert senders == [worker] * 3  # straight from the child's worker
        assert worker != address
        ch.send(lc.Stop(), address)
        m, i = ch.select(lc.Returned, seconds=PATIENCE)
        assert i == 0 and isinstance(m.message, lc.Aborted)
    finally:
        kill_marked(str(tmp_path))


def test_library_stop_ends_the_child_and_the_object_aborted(ch, library, tmp_path):
    try:
        address = ch.create(
            ProcessObject, library.worker, role_name="lib-stop", folder=str(tmp_path)
        )
        pid = wait_until(lambda: pids_in(tmp_path, "pid"), "worker started").pop()
        ch.send(lc.Stop(), address)  # not forwarded: the child is stopped
        m, i = ch.select(lc.Returned, seconds=PATIENCE)
        assert i == 0 and isinstance(m.message, lc.Aborted)
        assert not running(pid, str(tmp_path))
    finally:
        kill_marked(str(tmp_path))


def start_spool(ch: lc.Channel, library: lc.Gas, folder: Path, role: str) -> tuple:
    return ch.create(
        lc.ObjectSpool,
        ProcessObject,
        library.worker,
        role_name=role + "-{i}",
        object_count=2,
        stand_down=2.0,
        folder=str(folder),
    )


def stop_spool(ch: lc.Channel, spool: tuple) -> None:
    ch.send(lc.Stop(), spool)
    m, i = ch.select(lc.Returned, seconds=PATIENCE)
    assert i == 0 and isinstance(m.message, lc.Aborted)


def test_spool_of_library_workers_answers_requests(ch, library, tmp_path):
    try:
        spool = start_spool(ch, library, tmp_path, "lib-spool")
        for n in range(10):
            ch.send(library.Xy(x=1, y=n + 1), spool)
        heights = []
        for _ in range(10):
            m, _ = next_of(ch, TABLE)
            heights.append(len(m))
        assert sorted(heights) == list(range(1, 11))
        stop_spool(ch, spool)
        assert marked_processes(str(tmp_path)) == []
    finally:
        kill_marked(str(tmp_path))


def test_killed_library_worker_gives_temporarily_unavailable_and_is_replaced(
    ch, library, tmp_path
):  # scenario 33
    try:
        spool = start_spool(ch, library, tmp_path, "lib-33")
        first = wait_until(
            lambda: len(pids_in(tmp_path, "pid")) == 2 and pids_in(tmp_path, "pid"), "2 workers"
        )
        # Both workers answer, so both sessions are open.
        for _ in range(4):
            ch.send(library.Xy(x=1, y=1), spool)
        for _ in range(4):
            next_of(ch, TABLE)
        ch.send(library.Xy(x=-1, y=1), spool)  # hangs in a worker
        busy = wait_until(lambda: pids_in(tmp_path, "busy"), "a worker busy").pop()
        assert busy in first
        os.kill(busy, signal.SIGKILL)
        killed = time.monotonic()
        m, i = next_of(ch, lc.TemporarilyUnavailable, TABLE)
        assert i == 0, f"expected TemporarilyUnavailable, got {m!r}"
        assert "worker terminated during request" in str(m)
        assert time.monotonic() - killed < 5.0
        # The survivor serves meanwhile; the replacement starts after the stand-down.
        ch.send(library.Xy(x=1, y=2), spool)
        m, _ = next_of(ch, TABLE)
        assert len(m) == 2
        wait_until(lambda: len(pids_in(tmp_path, "pid") - first) == 1, "a replacement worker")
        for _ in range(6):
            ch.send(library.Xy(x=1, y=3), spool)
        for _ in range(6):
            m, _ = next_of(ch, TABLE)
            assert len(m) == 3
        stop_spool(ch, spool)
    finally:
        kill_marked(str(tmp_path))
