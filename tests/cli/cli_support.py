"""What the CLI tests share: running ``layer-cake`` as a child process, and the directory
scenario that ``network`` and ``ping`` are run against.
"""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from directory_support import Cake, Proc

import layer_cake
import layer_cake_cli
import layer_cake_directory

__all__ = ["CLI_PYTHONPATH", "Scenario", "run_cli", "start_scenario"]

# The installed packages (site-packages under nox), never the source tree: an installed
# compiled build has extensions the source tree lacks.
CLI_PYTHONPATH = os.pathsep.join(
    dict.fromkeys(
        str(Path(module.__file__).resolve().parent.parent)
        for module in (layer_cake, layer_cake_directory, layer_cake_cli)
    )
)
#: A guard against a hung child, far above what any command here takes (30 s to connect).
HANG_GUARD = 90.0


def run_cli(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    """``layer-cake <args>`` as a child process, its output captured."""
    env = dict(os.environ, PYTHONPATH=CLI_PYTHONPATH)  # keeps LC_PRIMARY_IP=none
    return subprocess.run(
        [sys.executable, "-m", "layer_cake_cli", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        check=False,  # the tests read the exit status
        text=True,
        timeout=HANG_GUARD,
    )


@dataclass
class Scenario:
    """host-cake; group-cake under it with a publisher of ``svc:a`` and a subscriber to
    ``svc:.*`` inside; a subscriber to ``svc:a`` right under host-cake. All sessions up."""

    cake: Cake
    group_port: int
    publisher: Proc
    listening_port: int  # the publisher's session listener

    def network(self, *args: str) -> subprocess.CompletedProcess:
        return run_cli("network", f"--connect-to-directory=127.0.0.1:{self.cake.port}", *args)


def start_scenario(cake: Cake) -> Scenario:
    cake.host()
    _, group_port = cake.group()
    publisher = cake.run("publisher.py", "--name=svc:a", directory=group_port)
    listening_port = int(publisher.expect("PUBLISHED").split()[1])
    inside = cake.run("subscriber.py", "--search=svc:.*", directory=group_port)
    standalone = cake.run("subscriber.py", "--search=svc:a")
    inside.expect("AVAILABLE svc:a GROUP")
    standalone.expect("AVAILABLE svc:a HOST")
    return Scenario(cake, group_port, publisher, listening_port)
