"""The ``layer-cake`` click group and its sub-commands: the home (``create``, ``add``,
``list``, ``update``, ``delete``, ``destroy``), its runs under group-cake (``run``,
``start``, ``stop``, ``status``, ``history``, ``returned``) and the directory (``network``,
``ping``) and the rolling logs (``log``).

Failures follow the spec (cli §1): ``layer-cake: <condition>`` on stderr and exit status 71
(``_fault.fail``).
"""

from __future__ import annotations

import click

from ._edit_command import edit
from ._fault import FAULTY_EXIT, fail
from ._group_commands import run, start, status, stop
from ._home_commands import add, create, delete, destroy, list_, update
from ._inspection import network, ping
from ._log_command import log
from ._run_records import history, returned
from ._storage_commands import model, resource, script

__all__ = ["main", "FAULTY_EXIT", "fail"]


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


for _command in (
    create,
    add,
    list_,
    update,
    delete,
    destroy,
    run,
    start,
    stop,
    status,
    history,
    returned,
    network,
    ping,
    log,
    edit,
    resource,
    model,
    script,
):
    main.add_command(_command)
