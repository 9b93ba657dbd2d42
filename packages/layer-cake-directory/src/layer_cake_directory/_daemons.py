"""Entry points of the console scripts ``group-cake``, ``host-cake`` and ``lan-cake``.

``host-cake`` runs the HOST node (``_host.py``). GROUP and LAN daemons are not in this
release; their entry points say so and exit with the faulty exit status rather than
pretending to run.
"""

from __future__ import annotations

import sys

__all__ = ["group_cake", "host_cake", "lan_cake"]

#: Exit status of a process that ends in a fault (``lc.FAULTY_EXIT`` in the spec).
FAULTY_EXIT = 71


def _not_available(program: str, scope: str) -> None:
    """Report on stderr that the daemon for ``scope`` is missing, then exit 71."""
    print(
        f"{program}: the {scope} directory daemon is not available in this release "
        "(see the project's issue tracker)",
        file=sys.stderr,
    )
    sys.exit(FAULTY_EXIT)


def group_cake() -> None:
    """Run the GROUP-scope directory node and composite-process supervisor."""
    _not_available("group-cake", "GROUP")


def host_cake() -> None:
    """Run the HOST-scope directory node (``--directory-at-host``, default 127.0.0.1:54195)."""
    from ._host import main

    main()


def lan_cake() -> None:
    """Run the LAN-scope directory node."""
    _not_available("lan-cake", "LAN")
