"""The ``layer-cake`` click group; sub-commands are added by later releases.

Failures follow the spec (cli §1): ``layer-cake: <condition>`` on stderr and exit status 71.
"""

from __future__ import annotations

import sys
from typing import NoReturn

import click

__all__ = ["main"]

#: Exit status of a process that ends in a fault (``lc.FAULTY_EXIT`` in the spec).
FAULTY_EXIT = 71


def fail(condition: str) -> NoReturn:
    """Report ``condition`` the way every layer-cake process does, then exit 71."""
    click.echo(f"layer-cake: {condition}", err=True)
    sys.exit(FAULTY_EXIT)


class SubCommands(click.Group):
    """A click group whose unknown sub-command is a layer-cake fault, not a usage error."""

    def resolve_command(
        self, ctx: click.Context, args: list[str]
    ) -> tuple[str | None, click.Command | None, list[str]]:
        name = args[0]
        if not name.startswith("-") and self.get_command(ctx, name) is None:
            fail(f'unknown sub-command "{name}"')
        return super().resolve_command(ctx, args)


@click.group(name="layer-cake", cls=SubCommands, invoke_without_command=True)
@click.version_option(
    package_name="layer-cake-cli", prog_name="layer-cake", message="%(prog)s %(version)s"
)
@click.pass_context
def main(ctx: click.Context) -> None:
    """Create, run and inspect groups of layer-cake processes."""
    if ctx.invoked_subcommand is None:
        fail("no sub-command")
