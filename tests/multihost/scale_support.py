"""The directory at LAN scale across network namespaces (issue 16): shared by the CI tests
(``test_lan_scale.py``) and the benchmark (``benchmarks/test_bench_lan_scale.py``).

One ``Lan``: host ``lan`` (10.0.0.195) runs lan-cake; hosts ``h1`` .. ``hN`` (10.0.0.1 ..)
and ``sub`` (10.0.0.250) run a host-cake each with its defaults, which derives the standard
LAN directory inside its namespace. Every publisher is a process of its own on an ``h`` host,
publishing ``names`` names ``scale:<host>:<publisher>:<i>`` at LAN scope; one subscriber on
``sub`` matches them all at LAN scope, so every session crosses the bridge.

The scripts write one stamped line per event (``time.time()``: one kernel clock for every
namespace), batched by a 0.1 s timer so that 40,000 names are not 40,000 writes, plus an
``... ALL <n>`` line as soon as a count is complete. ``route_probe.py`` asks the root of the
tree for its listing and reports how many routes it has made (run it on ``sub``; a line on
its stdin starts a round of polls until the count is reached).

Every process is started through ``Lan`` (its own process group, killed by PID on close) and
every namespace is deleted by ``Lan.close``, also when a test fails.
"""

from __future__ import annotations

import re
import subprocess
import sys
import textwrap
import time
from collections.abc import Callable, Iterable
from pathlib import Path

from netns import Lan, deadline_after, env_for_children, follow, transcript, wait_for_line

__all__ = [
    "LAN_IP",
    "SUB_IP",
    "ScaleLan",
    "host_ips",
    "proc_figures",
]

LAN_IP = "10.0.0.195"  # the standard LAN directory derived from any 10.x address
SUB_IP = "10.0.0.250"
#: Publisher hosts take 10.0.0.1 upward; 10.0.0.195 is lan-cake's.
MAX_HOSTS = 194
SEARCH = "scale:.*"

PUBLISHER = """
import sys
import time
import layer_cake as lc


def scale_publisher(self, count: int = 1, prefix: str = "scale", scope: str = "LAN"):
    for i in range(count):
        lc.publish(self, f"{prefix}:{i}", scope=lc.ScopeOfDirectory[scope])
    out = []
    names = set()
    delivered = set()

    def say(line):
        # Lines go out in batches, 0.1 s after the first of a batch: a one-shot timer, so an
        # idle publisher costs nothing (hundreds of them share 2 cores in a scale run).
        if not out:
            self.start(lc.T1, 0.1)
        out.append(line)

    while True:
        m = self.input()
        if isinstance(m, lc.Published):
            say(f"P {m.name} {time.time()}\\n")
            names.add(m.name)
            if len(names) == count:
                say(f"PUBLISHED ALL {count}\\n")
        elif isinstance(m, lc.NotPublished):
            say(f"NOTPUBLISHED {m.name} {m.note}\\n")
        elif isinstance(m, lc.Delivered):
            say(f"D {m.name} {time.time()}\\n")
            delivered.add(m.name)
            if len(delivered) == count:
                say(f"DELIVERED ALL {count}\\n")
        elif isinstance(m, lc.Dropped):
            say(f"DROPPED {m.name} {time.time()}\\n")
        elif isinstance(m, lc.T1):
            sys.stdout.write("".join(out))
            sys.stdout.flush()
            out.clear()
        elif isinstance(m, lc.Stop):
            return lc.Aborted()


lc.bind(scale_publisher)

if __name__ == "__main__":
    lc.create(scale_publisher)
"""

SUBSCRIBER = """
import sys
import time
import layer_cake as lc


def scale_subscriber(self, search: str = "scale:.*", count: int = 1, scope: str = "LAN"):
    lc.subscribe(self, search, scope=lc.ScopeOfDirectory[scope])
    out = []
    names = set()
    self.start(lc.T1, 0.1, repeating=True)
    while True:
        m = self.input()
        if isinstance(m, lc.Subscribed):
            out.append("SUBSCRIBED\\n")
        elif isinstance(m, lc.Available):
            if m.name in names:
                out.append(f"AVAILABLE AGAIN {m.name}\\n")  # opened twice: a session lost
            names.add(m.name)
            out.append(f"A {m.name} {time.time()}\\n")
            if len(names) == count:
                out.append(f"AVAILABLE ALL {count}\\n")
        elif isinstance(m, lc.Dropped):
            names.discard(m.name)
            out.append(f"DROPPED {m.name} {time.time()}\\n")
        elif isinstance(m, lc.T1):
            if out:
                sys.stdout.write("".join(out))
                sys.stdout.flush()
                out.clear()
        elif isinstance(m, lc.Stop):
            return lc.Aborted()


lc.bind(scale_subscriber)

if __name__ == "__main__":
    lc.create(scale_subscriber)
"""

ROUTE_PROBE = """
import sys
import time
import layer_cake as lc
from layer_cake.daemon import DirectoryListing, ListDirectory, node_address
from layer_cake_cli._directory_walk import open_directory

want = int(sys.argv[1])
open_directory(lc.HostPort("127.0.0.1", 54195), lc.ScopeOfDirectory.HOST)
print("PROBING", flush=True)
for _ in sys.stdin:  # one round of polls per line
    while True:
        with lc.channel() as channel:
            channel.send(ListDirectory(), node_address())
            root, _ = channel.select(DirectoryListing, seconds=10.0)
        if isinstance(root, DirectoryListing):
            routes = len(root.routed)
            print("ROUTES", root.executable, routes, time.time(), flush=True)
            if root.executable == "lan-cake" and routes >= want:
                print("BACK", routes, time.time(), flush=True)
                break
        time.sleep(0.2)  # between polls: each listing costs the root a walk of its routes
"""

SCRIPTS = {
    "scale_publisher.py": PUBLISHER,
    "scale_subscriber.py": SUBSCRIBER,
    "route_probe.py": ROUTE_PROBE,
}


def host_ips(hosts: int) -> dict[str, str]:
    """``h1``.. ``h<hosts>`` -> 10.0.0.1.., plus ``sub`` and ``lan``."""
    if not 1 <= hosts <= MAX_HOSTS:
        raise ValueError(f"hosts: 1 to {MAX_HOSTS}, not {hosts}")
    ips = {f"h{i}": f"10.0.0.{i}" for i in range(1, hosts + 1)}
    ips["sub"] = SUB_IP
    ips["lan"] = LAN_IP
    return ips


def proc_figures(pid: int) -> dict[str, float]:
    """CPU seconds (user + system) and peak RSS in MB of a live process, from /proc."""
    import os

    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    ticks = os.sysconf("SC_CLK_TCK")
    cpu = (int(fields[11]) + int(fields[12])) / ticks  # utime, stime
    peak = 0.0
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            peak = int(line.split()[1]) / 1024
    return {"cpu_s": round(cpu, 3), "peak_rss_mb": round(peak, 1)}


def _stamps(lines: Iterable[str], tag: str) -> dict[str, float]:
    found = {}
    for line in lines:
        parts = line.split()
        if len(parts) == 3 and parts[0] == tag:
            found.setdefault(parts[1], float(parts[2]))  # the first: a later one is a repeat
    return found


class ScaleLan:
    """The daemons, publishers and subscriber of one scale run on a ``Lan``.

    Args:
        lan: a Lan made with ``host_ips(hosts)``.
        folder: where the scripts are written (the processes' working folder).
        deadline: seconds any single wait may take (generous: a loaded 2-core machine).
    """

    def __init__(self, lan: Lan, folder: Path, deadline: float) -> None:
        self.lan = lan
        self.folder = folder
        self.deadline = deadline
        for name, text in SCRIPTS.items():
            (folder / name).write_text(textwrap.dedent(text))
        env = env_for_children()
        env.pop("LC_PRIMARY_IP", None)  # derived inside each namespace, as on a real host
        self.env = env
        self.hosts = [name for name in lan.names if name.startswith("h")]
        self.lan_cake: subprocess.Popen | None = None
        self.host_cakes: dict[str, subprocess.Popen] = {}
        self.publishers: list[subprocess.Popen] = []
        self.subscriber: subprocess.Popen | None = None
        self.probe: subprocess.Popen | None = None
        self.started_at = 0.0
        self.expected_names: set[str] = set()
        #: Warnings (stale links, full queues, sessions unanswered) go into the transcripts.
        self.log_level = ["--debug-level=WARNING"]
        self.names: dict[subprocess.Popen, str] = {}

    # -- processes ----------------------------------------------------------------------------

    def _python(self, host: str, *argv: str, **kwargs: object) -> subprocess.Popen:
        proc = self.lan.host(host).popen(
            [sys.executable, *argv, *self.log_level], env=self.env, cwd=self.folder, **kwargs
        )
        label = argv[1].rsplit(".", 1)[-1] if argv[0] == "-m" else Path(argv[0]).stem
        self.names[proc] = f"{host}-{label}"
        follow(proc)  # read from the start: the transcript then holds every line
        return proc

    def _daemon(self, host: str, module: str) -> subprocess.Popen:
        return self._python(host, "-m", f"layer_cake_directory.{module}")

    def wait(self, proc: subprocess.Popen, pattern: str, seconds: float | None = None) -> str:
        """The next line of ``proc`` matching ``pattern`` (re.search); earlier lines pass."""
        end = deadline_after(self.deadline if seconds is None else seconds)
        return wait_for_line(proc, pattern, end).string

    def start_lan_cake(self) -> subprocess.Popen:
        self.lan_cake = self._daemon("lan", "lan_cake")
        self.wait(self.lan_cake, "lan-cake: listening")
        return self.lan_cake

    def start_host_cakes(self) -> None:
        """A host-cake on every ``h`` host and on ``sub``, started together."""
        for host in [*self.hosts, "sub"]:
            self.host_cakes[host] = self._daemon(host, "host_cake")
        for proc in self.host_cakes.values():
            self.wait(proc, "host-cake: listening")

    def start_subscriber(self, expected: int) -> subprocess.Popen:
        self.subscriber = self._python(
            "sub", "scale_subscriber.py", f"--search={SEARCH}", f"--count={expected}"
        )
        self.wait(self.subscriber, "^SUBSCRIBED$")
        return self.subscriber

    def start_publishers(self, per_host: int, names: int) -> None:
        """``per_host`` publisher processes on every ``h`` host, all started in one go."""
        self.expected_names |= {
            f"scale:{host}:{p}:{i}"
            for p in range(per_host)
            for host in self.hosts
            for i in range(names)
        }
        self.started_at = time.time()
        for p in range(per_host):
            for host in self.hosts:
                self.start_publisher(host, f"scale:{host}:{p}", names)

    def start_publisher(self, host: str, prefix: str, names: int) -> subprocess.Popen:
        proc = self._python(host, "scale_publisher.py", f"--count={names}", f"--prefix={prefix}")
        self.publishers.append(proc)
        return proc

    def start_probe(self, routes: int) -> subprocess.Popen:
        self.probe = self._python("sub", "route_probe.py", str(routes), stdin=subprocess.PIPE)
        self.wait(self.probe, "^PROBING$")
        return self.probe

    def routes_back(self) -> float:
        """One round of the probe: the stamp at which the root showed every route."""
        assert self.probe is not None and self.probe.stdin is not None
        self.probe.stdin.write("go\n")
        self.probe.stdin.flush()
        return float(self.wait(self.probe, "^BACK ").split()[2])

    # -- events -------------------------------------------------------------------------------

    def wait_all_available(self, expected: int, seconds: float, stall: float = 120.0) -> None:
        """Wait for the subscriber's ``AVAILABLE ALL``; give up after ``seconds``, or once
        ``stall`` seconds passed with no line from it (no progress: stuck, not slow).

        Raises:
            AssertionError: given up; says how many names were Available and why.
        """
        assert self.subscriber is not None
        end = time.monotonic() + seconds
        seen = -1
        while True:
            lines = len(transcript(self.subscriber))
            if lines == seen or time.monotonic() >= end:
                why = f"no progress for {stall:g} s" if lines == seen else "out of time"
                raise AssertionError(
                    f"AVAILABLE ALL {expected} not seen: {len(self.now_available())} Available"
                    f" ({why})"
                )
            seen = lines
            try:
                wait_for_line(
                    self.subscriber,
                    f"^AVAILABLE ALL {expected}$",
                    min(time.monotonic() + stall, end),
                )
                return
            except AssertionError:
                continue  # no ALL line yet: did anything arrive meanwhile?

    def wait_publishers(self, what: str, seconds: float) -> None:
        """Every publisher's ``<what> ALL`` line (PUBLISHED or DELIVERED)."""
        end = deadline_after(seconds)
        for proc in self.publishers:
            wait_for_line(proc, f"^{what} ALL ", end)

    def available(self) -> dict[str, float]:
        """Name -> first ``Available`` stamp, from the subscriber's output read so far."""
        assert self.subscriber is not None
        return _stamps(transcript(self.subscriber), "A")

    def published(self) -> dict[str, float]:
        """Name -> ``Published`` stamp, from every publisher's output read so far."""
        found: dict[str, float] = {}
        for proc in self.publishers:
            found.update(_stamps(transcript(proc), "P"))
        return found

    def lines_of(
        self, procs: Iterable[subprocess.Popen], match: Callable[[str], bool]
    ) -> list[str]:
        return [line for proc in procs for line in transcript(proc) if match(line)]

    def dropped(self) -> list[str]:
        """Names lost: the subscriber's ``DROPPED``/``AVAILABLE AGAIN`` and the publishers'
        ``NOTPUBLISHED`` lines read so far.

        A publisher's own ``DROPPED`` is not counted here: when an open is retried (the
        subscriber's node gave up waiting for the answer), the publisher hears ``Dropped``
        for the abandoned attempt and ``Delivered`` again for the next; ``undelivered``
        tells whether one is left without a session."""
        assert self.subscriber is not None
        lost = self.lines_of([self.subscriber], lambda line: line.startswith(_LOST))
        return lost + self.lines_of(self.publishers, lambda line: line.startswith("NOTPUBLISHED"))

    def undelivered(self) -> list[str]:
        """Names published whose publisher's last session event is not ``Delivered``
        (``Dropped``, or no session at all)."""
        last: dict[str, str] = dict.fromkeys(self.published(), "P")
        for proc in self.publishers:
            for line in transcript(proc):
                parts = line.split()
                if len(parts) == 3 and parts[0] in ("P", "D", "DROPPED"):
                    last[parts[1]] = parts[0]
        return sorted(name for name, event in last.items() if event != "D")

    def now_available(self) -> set[str]:
        """The names ``Available`` at the subscriber and not ``Dropped`` since."""
        assert self.subscriber is not None
        names: set[str] = set()
        for line in transcript(self.subscriber):
            parts = line.split()
            if len(parts) == 3 and parts[0] == "A":
                names.add(parts[1])
            elif len(parts) == 3 and parts[0] == "DROPPED":
                names.discard(parts[1])
        return names

    def count_lines(self, procs: Iterable[subprocess.Popen], prefix: str) -> int:
        return len(self.lines_of(procs, lambda line: line.startswith(prefix)))

    def save_logs(self, folder: Path) -> Path:
        """Every process's output read so far, one file each, into ``folder``."""
        folder.mkdir(parents=True, exist_ok=True)
        for proc, name in self.names.items():
            (folder / f"{name}-{proc.pid}.log").write_text("\n".join(transcript(proc)) + "\n")
        return folder

    def restart_lan_cake(self) -> tuple[float, float]:
        """SIGKILL lan-cake and start it again: (kill stamp, listening stamp)."""
        assert self.lan_cake is not None
        killed = time.time()
        self.lan_cake.kill()
        self.lan_cake.wait(self.deadline)
        self.start_lan_cake()
        return killed, time.time()

    def network(self, *options: str) -> tuple[float, list[str]]:
        """``layer-cake network`` on ``sub``: (seconds it took, its output lines)."""
        argv = [sys.executable, "-m", "layer_cake_cli", "network", *options]
        begun = time.monotonic()
        done = self.lan.host("sub").run(argv, env=self.env, timeout=self.deadline * 4)
        return time.monotonic() - begun, done.stdout.splitlines()


_LOST = ("DROPPED", "AVAILABLE AGAIN")
SESSION_LINE = re.compile(r'> "scale:[^"]+"\[LAN\] \(')
