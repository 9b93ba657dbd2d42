"""How the tool fails (cli §1): ``layer-cake: <condition> (<explanation>)`` on stderr, exit 71.

Kept apart from ``_main`` so that sub-command modules can fail without importing the group
that registers them.
"""

from __future__ import annotations

import sys
from typing import NoReturn

import click

__all__ = ["FAULTY_EXIT", "fail"]

#: Exit status of a process that ends in a fault (``lc.FAULTY_EXIT`` in the spec).
FAULTY_EXIT = 71


def fail(condition: str) -> NoReturn:
    """Report ``condition`` the way every layer-cake process does, then exit 71."""
    click.echo(f"layer-cake: {condition}", err=True)
    sys.exit(FAULTY_EXIT)
