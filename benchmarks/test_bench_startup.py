"""Process start-up (issue 13): what a layer-cake process costs before it does anything.

Each round starts a fresh interpreter as a subprocess and waits for it to exit; the children
write and reuse compiled bytecode (in a cache folder of their own, ``PYTHONPYCACHEPREFIX``,
filled by the warm-up round) as installed programs do, even when the environment says
``PYTHONDONTWRITEBYTECODE``. ``cpu_ms`` is the median of the children's user + system time,
steadier than the wall-clock median on a loaded machine. Peak RSS is
the child's own ``VmHWM`` at exit, read by an ``atexit`` hook in three extra runs (a forked
child's ``ru_maxrss`` counts the parent it was forked from). Rows:

- ``python -c pass``: the interpreter alone;
- a uvloop program that does nothing (``uvloop.run`` of an empty coroutine; ``asyncio.run``
  when uvloop is not installed): the baseline of the entry-point row;
- ``python -c "import layer_cake"``;
- a process entry point whose main object returns at once (``lc.create(main)``);
- the trivial child of ``test_bench_process.py`` run directly, as its ``ProcessObject``
  would (bare interpreter + the entry point's own start-up): the baseline of the
  "ProcessObject spawn to result" row;
- a seed worker (``examples/multihosting/test_worker_10.py``) found through a private
  host-cake and answering ``Xy`` requests: its resident and peak RSS while serving.

Nothing here asserts on time or memory; a row fails only if a child fails::

    PYTHONPATH=packages/layer-cake-core/src python3 -m pytest benchmarks/test_bench_startup.py \\
        -p no:xdist -p no:cacheprovider --benchmark-columns=median,min,max,rounds
"""

from __future__ import annotations

import atexit
import json
import os
import queue
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import textwrap
import threading
import time
from pathlib import Path

import pytest

import layer_cake as lc

SRC = Path(lc.__file__).resolve().parent.parent
ROOT = Path(__file__).resolve().parent.parent
SEED = ROOT / "examples" / "multihosting"
ROUNDS = 10

NOOP_LOOP = """
try:
    import uvloop
except ImportError:
    import asyncio as uvloop

async def main():
    return None

uvloop.run(main())
"""

ENTRY = """
import layer_cake as lc

def main(self):
    return None

lc.bind(main)

if __name__ == "__main__":
    lc.create(main)
"""

# The child of test_bench_process.py: returns 1, written as a child writes it.
QUICK = """
import layer_cake as lc

def quick(self) -> int:
    return 1

lc.bind(quick)

if __name__ == "__main__":
    lc.create(quick)
"""

# Asks the worker found through the directory COUNT times, then returns the number answered.
CLIENT = """
import layer_cake as lc
from test_api import Xy

COUNT = 200

def client(self):
    lc.subscribe(self, r"test-multihosting:worker-10:[-a-f0-9]+", scope=lc.ScopeOfDirectory.LAN)
    while True:
        m = self.input()
        if isinstance(m, lc.Available):
            worker = m.publisher_address
            break
        if isinstance(m, (lc.Faulted, lc.Stop)):
            return m
    answered = 0
    for _ in range(COUNT):
        self.send(Xy(2, 2), worker)
        m = self.input()
        if not isinstance(m, list):
            return lc.Faulted(f"unexpected answer from the worker ({type(m).__name__})")
        answered += 1
    return answered

lc.bind(client)

if __name__ == "__main__":
    lc.create(client)
"""


PYCACHE = Path(tempfile.mkdtemp(prefix="lc-bench-pycache-"))
atexit.register(shutil.rmtree, PYCACHE, True)


def child_env(bytecode: bool = True) -> dict[str, str]:
    """The children's environment; ``bytecode``: with their own bytecode cache (else as
    this process's environment says, as for the children a ProcessObject starts)."""
    env = {**os.environ, "LC_PRIMARY_IP": "none"}
    if bytecode:
        env["PYTHONPYCACHEPREFIX"] = str(PYCACHE)
        env.pop("PYTHONDONTWRITEBYTECODE", None)
    env["PYTHONPATH"] = os.pathsep.join(
        p for p in (str(SRC), str(SEED), env.get("PYTHONPATH", "")) if p
    )
    return env


# Prepended to a child's code: writes its peak RSS (kB) to the file named by BENCH_HWM_FILE.
HWM_HOOK = """
import atexit as _atexit

def _bench_hwm():
    import os
    with open("/proc/self/status") as f:
        kb = next(line.split()[1] for line in f if line.startswith("VmHWM:"))
    with open(os.environ["BENCH_HWM_FILE"], "w") as f:
        f.write(kb)

_atexit.register(_bench_hwm)
"""


def run_child(
    argv: list[str],
    cwd: Path | None = None,
    env: dict[str, str] | None = None,
    cpu: list[float] | None = None,
) -> str:
    """Run a child to its end: its stdout; fails on a non-zero exit. Its user + system
    seconds are appended to ``cpu``."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        p = subprocess.Popen(
            argv, stdin=subprocess.DEVNULL, stdout=out, stderr=err, env=env or child_env(), cwd=cwd
        )
        _, status, usage = os.wait4(p.pid, 0)
        p.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        assert p.returncode == 0, err.read().decode(errors="replace")
        if cpu is not None:
            cpu.append(usage.ru_utime + usage.ru_stime)
        return out.read().decode(errors="replace")


def as_code(argv: list[str]) -> str:
    """The ``-c`` code of ``[python, -c, code]`` or ``[python, script]``."""
    if argv[1] == "-c":
        return argv[2]
    path = argv[1]
    return (
        f"import sys\nsys.argv = [{path!r}]\n"
        f"exec(compile(open({path!r}).read(), {path!r}, 'exec'), "
        f"{{'__name__': '__main__', '__file__': {path!r}}})\n"
    )


def peak_rss_mib(argv: list[str], cwd: Path) -> float:
    """The child's own peak RSS (``VmHWM`` at exit), in MiB."""
    report = cwd / "hwm.txt"
    env = {**child_env(), "BENCH_HWM_FILE": str(report)}
    run_child([argv[0], "-c", HWM_HOOK + as_code(argv)], cwd, env)
    return int(report.read_text()) / 1024.0


@pytest.fixture(scope="module")
def scripts(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("bench_startup")
    paths = {}
    for name, text in (("noop_loop", NOOP_LOOP), ("entry", ENTRY), ("quick", QUICK)):
        paths[name] = folder / f"{name}.py"
        paths[name].write_text(textwrap.dedent(text))
    return paths


def start_rounds(benchmark, argv: list[str], cwd: Path, bytecode: bool = True) -> None:  # type: ignore[no-untyped-def]
    """Time ``ROUNDS`` starts of ``argv``; the largest peak RSS of three more in extra_info."""
    cpu: list[float] = []
    env = child_env(bytecode)
    benchmark.pedantic(
        run_child, (argv, cwd, env, cpu), rounds=ROUNDS, iterations=1, warmup_rounds=1
    )
    cpu = sorted(cpu[1:])  # not the warm-up round
    benchmark.extra_info["cpu_ms"] = round(cpu[len(cpu) // 2] * 1e3, 2)
    benchmark.extra_info["peak_rss_mib"] = round(max(peak_rss_mib(argv, cwd) for _ in range(3)), 2)
    benchmark.extra_info["compiled"] = lc.COMPILED


def test_bare_python_start(benchmark, tmp_path) -> None:  # type: ignore[no-untyped-def]
    start_rounds(benchmark, [sys.executable, "-c", "pass"], tmp_path)


def test_uvloop_noop_program(benchmark, scripts, tmp_path) -> None:  # type: ignore[no-untyped-def]
    start_rounds(benchmark, [sys.executable, str(scripts["noop_loop"])], tmp_path)


def test_import_layer_cake(benchmark, tmp_path) -> None:  # type: ignore[no-untyped-def]
    count = "import sys; import layer_cake; print(len(sys.modules))"
    benchmark.extra_info["modules"] = int(run_child([sys.executable, "-c", count], tmp_path))
    start_rounds(benchmark, [sys.executable, "-c", "import layer_cake"], tmp_path)


def test_entry_point_returning_at_once(benchmark, scripts, tmp_path) -> None:  # type: ignore[no-untyped-def]
    start_rounds(benchmark, [sys.executable, str(scripts["entry"])], tmp_path)


def test_process_object_child_run_directly(benchmark, scripts, tmp_path) -> None:  # type: ignore[no-untyped-def]
    # As test_bench_process.py's ProcessObject starts it: the same environment and bytecode.
    start_rounds(benchmark, [sys.executable, str(scripts["quick"])], tmp_path, bytecode=False)


# The seed worker while serving ----------------------------------------------------------------


class Child:
    """A long-running child whose stderr lines are read by a thread (to wait for one)."""

    def __init__(self, argv: list[str], cwd: Path) -> None:
        self.proc = subprocess.Popen(
            argv,
            cwd=cwd,
            env=child_env(),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
            start_new_session=True,
        )
        self.lines: queue.Queue = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        for line in self.proc.stderr:  # type: ignore[union-attr]
            self.lines.put(line)

    def expect(self, text: str, seconds: float = 60.0) -> None:
        deadline = time.monotonic() + seconds
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError(f"no {text!r} from {self.proc.args}")
            try:
                if text in self.lines.get(timeout=left):
                    return
            except queue.Empty:
                continue

    def memory_mib(self) -> tuple[float, float]:
        """``(VmRSS, VmHWM)`` of the child now, in MiB."""
        fields = {}
        for line in Path(f"/proc/{self.proc.pid}/status").read_text().splitlines():
            name, _, value = line.partition(":")
            fields[name] = value.strip()
        return (
            int(fields["VmRSS"].split()[0]) / 1024.0,
            int(fields["VmHWM"].split()[0]) / 1024.0,
        )

    def shared_mib(self) -> tuple[float, float]:
        """``(Pss, private)`` of the child now, in MiB (``smaps_rollup``): what it costs
        beside other processes of the same interpreter and libraries, and what it alone
        holds. Eight workers cost eight times their private memory plus one set of shared
        pages, not eight times their RSS."""
        fields = {}
        for line in Path(f"/proc/{self.proc.pid}/smaps_rollup").read_text().splitlines():
            name, _, value = line.partition(":")
            if value.strip().endswith("kB"):
                fields[name] = int(value.split()[0])
        private = fields.get("Private_Clean", 0) + fields.get("Private_Dirty", 0)
        return fields.get("Pss", 0) / 1024.0, private / 1024.0

    def stop(self) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGINT)
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(15)
        if self.proc.stderr is not None:
            self.proc.stderr.close()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.skipif(
    not (SEED / "test_worker_10.py").exists() or not Path("/proc/self/status").exists(),
    reason="needs the seed example and /proc",
)
def test_seed_worker_rss_while_serving(benchmark, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """One round: a worker answers 200 ``Xy`` from a client through a private host-cake; the
    worker's RSS is read while it still serves (after the client's last answer)."""
    (tmp_path / "client.py").write_text(textwrap.dedent(CLIENT))
    directory = json.dumps({"host": "127.0.0.1", "port": free_port()})
    started: list[Child] = []
    try:
        host = Child(
            [
                sys.executable,
                "-m",
                "layer_cake_directory.host_cake",
                f"--directory-at-host={directory}",
            ],
            tmp_path,
        )
        started.append(host)
        host.expect("listening for directories")
        worker = Child(
            [sys.executable, "test_worker_10.py", f"--connect-to-directory={directory}"], SEED
        )
        started.append(worker)

        def once() -> None:
            out = run_child(
                [sys.executable, "client.py", f"--connect-to-directory={directory}"], tmp_path
            )
            assert out.strip() == "200", out

        benchmark.pedantic(once, rounds=1, iterations=1)
        rss, peak = worker.memory_mib()
        benchmark.extra_info["worker_rss_mib"] = round(rss, 2)
        benchmark.extra_info["worker_peak_rss_mib"] = round(peak, 2)
        if Path(f"/proc/{worker.proc.pid}/smaps_rollup").exists():
            pss, private = worker.shared_mib()
            benchmark.extra_info["worker_pss_mib"] = round(pss, 2)
            benchmark.extra_info["worker_private_mib"] = round(private, 2)
        benchmark.extra_info["compiled"] = lc.COMPILED
    finally:
        for child in reversed(started):
            child.stop()
