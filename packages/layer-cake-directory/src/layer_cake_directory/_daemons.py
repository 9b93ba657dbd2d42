"""Entry points of the console scripts ``group-cake``, ``host-cake`` and ``lan-cake``.

Before the runtime is imported, each entry point answers ``--help`` (``-h``) with a page
written for an operator and ``--version`` with the distribution's version, and makes a
control-c that arrives while the runtime loads end the process quietly (exit 71, no
traceback): ``lc.create`` takes over the signals once it runs.
"""

from __future__ import annotations

import signal
import sys
from collections.abc import Callable

__all__ = ["group_cake", "host_cake", "lan_cake", "HELP", "FAULTY_EXIT"]

#: Exit status of a process that ends in a fault.
FAULTY_EXIT = 71

_COMMON = """
Process arguments (any layer-cake process):
  --debug-level=LEVEL         log at or above LEVEL on stderr (DEBUG, TRACE, OBJECT,
                              CONSOLE, WARNING, FAULT, NONE)
  --encrypted-directory       encrypt the child listen and the parent link
  --home-path=PATH, --role-name=NAME
                              run as a role of a home (what layer-cake run/start do)
  --help, --version

On start it prints  <prog>: listening for directories at "<host>:<port>"  on stderr and runs
until stopped (control-c, SIGTERM): it then ends Aborted(), exit 71. A listen that fails
(port in use) ends it at once with the fault, exit 71.
"""

HELP = {
    "group-cake": """usage: group-cake [search...] [--name=value...]

The GROUP directory node of a composite process; in a home (--home-path, role "group") also
the supervisor of its roles: what `layer-cake run` and `layer-cake start` start.

Settings:
  --directory-at-host={"host": "127.0.0.1", "port": 54195}
                              parent node (host-cake); linked at the first listing wider
                              than GROUP
  --directory-at-lan={"host": ..., "port": ...}
                              parent node when there is no host-cake (one of the two)
  --accept-directories-at={"host": ..., "port": ...}
                              where member processes join (default 127.0.0.1, any port)
  --retry={"regular_steps": 30.0}
                              restart a role that ends after these intervals
                              (keys first_steps, regular_steps, step_limit, randomized,
                              truncated)
  --main-role=ROLE            end the group with this role's value

Words select roles: a role's exact name, else regular expressions matched at the start of
role names (worker selects worker-0...worker-7); none selects every role.
""",
    "host-cake": """usage: host-cake [--name=value...]

The HOST directory node, one per machine: processes of this host publish and subscribe
through it.

Settings:
  --directory-at-host={"host": "127.0.0.1", "port": 54195}
                              where it listens for child nodes (default 127.0.0.1:54195)
  --directory-at-lan={"host": ..., "port": ...}
                              parent node (lan-cake), linked at the first LAN listing;
                              default derived from the primary IP (none when underivable)
""",
    "lan-cake": """usage: lan-cake [--name=value...]

The LAN directory node, the root of the tree for one network: host-cakes join it.

Settings:
  --directory-at-lan={"host": "0.0.0.0", "port": 54195}
                              where it listens for child nodes (default 0.0.0.0:54195)
""",
}


def _version() -> str:
    from importlib import metadata  # only for --version: it costs a start-up ~15 ms

    try:
        return metadata.version("layer-cake-directory")
    except metadata.PackageNotFoundError:
        return "unknown"


def _quiet_interrupt(number: int, frame: object) -> None:
    raise SystemExit(FAULTY_EXIT)  # unwinds the import without a traceback


def _entry(program: str, load: Callable[[], Callable[[], None]]) -> None:
    arguments = sys.argv[1:]
    if "--help" in arguments or "-h" in arguments:
        sys.stdout.write(HELP[program] + _COMMON.replace("<prog>", program))
        sys.exit(0)
    if "--version" in arguments:
        sys.stdout.write(f"{program} {_version()}\n")
        sys.exit(0)
    signal.signal(signal.SIGINT, _quiet_interrupt)  # until lc.create takes the signals
    load()()


def _load_group() -> Callable[[], None]:
    from ._group import main

    return main


def _load_host() -> Callable[[], None]:
    from ._host import main

    return main


def _load_lan() -> Callable[[], None]:
    from ._lan import main

    return main


def group_cake() -> None:
    """Run the GROUP node of a composite process (``--directory-at-host``)."""
    _entry("group-cake", _load_group)


def host_cake() -> None:
    """Run the HOST node (``--directory-at-host``, default 127.0.0.1:54195)."""
    _entry("host-cake", _load_host)


def lan_cake() -> None:
    """Run the LAN node (``--directory-at-lan``, default 0.0.0.0:54195)."""
    _entry("lan-cake", _load_lan)
