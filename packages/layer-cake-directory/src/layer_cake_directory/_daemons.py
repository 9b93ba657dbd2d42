"""Entry points of the console scripts ``group-cake``, ``host-cake`` and ``lan-cake``."""

from __future__ import annotations

__all__ = ["group_cake", "host_cake", "lan_cake"]


def group_cake() -> None:
    """Run the GROUP node of a composite process (``--directory-at-host``)."""
    from ._group import main

    main()


def host_cake() -> None:
    """Run the HOST node (``--directory-at-host``, default 127.0.0.1:54195)."""
    from ._host import main

    main()


def lan_cake() -> None:
    """Run the LAN node (``--directory-at-lan``, default 0.0.0.0:54195)."""
    from ._lan import main

    main()
