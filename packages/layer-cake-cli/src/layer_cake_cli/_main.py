"""The ``layer-cake`` click group and its sub-commands: the home (``create``, ``add``,
``list``, ``update``, ``delete``, ``destroy``), its runs under group-cake (``run``,
``start``, ``stop``, ``status``, ``history``, ``returned``) and the directory (``network``,
``ping``) and the rolling logs (``log``).

Failures follow the spec (cli §1): ``layer-cake: <condition>`` on stderr and exit status 71
(``_fault.fail``). Words and options come in any order (compat §2.8): options before the
sub-command (``layer-cake -hp h1 list``) are moved after it, and the group's own argument
errors are faults too, never click's exit 2.
"""

from __future__ import annotations

import importlib

import click

from ._fault import FAULTY_EXIT, fail

__all__ = ["main", "FAULTY_EXIT", "fail", "SUB_COMMANDS"]

#: Sub-command -> (module, attribute). A module (and what it imports: the runtime, the
#: directory package) is loaded only when its sub-command runs, so ``list`` does not pay
#: for ``run``'s or ``network``'s imports.
SUB_COMMANDS = {
    "create": ("_home_commands", "create"),
    "add": ("_home_commands", "add"),
    "list": ("_home_commands", "list_"),
    "update": ("_home_commands", "update"),
    "delete": ("_home_commands", "delete"),
    "destroy": ("_home_commands", "destroy"),
    "run": ("_group_commands", "run"),
    "start": ("_group_commands", "start"),
    "stop": ("_group_commands", "stop"),
    "status": ("_group_commands", "status"),
    "history": ("_run_records", "history"),
    "returned": ("_run_records", "returned"),
    "network": ("_inspection", "network"),
    "ping": ("_inspection", "ping"),
    "log": ("_log_command", "log"),
    "edit": ("_edit_command", "edit"),
    "resource": ("_storage_commands", "resource"),
    "model": ("_storage_commands", "model"),
    "script": ("_storage_commands", "script"),
    "key": ("_key_command", "key"),
}


# Options of the group itself; any other option before the sub-command belongs to it.
_OWN_OPTIONS = ("--help", "--version")
# Options before the sub-command whose value may follow as the next word (``-hp h1``).
_TAKES_VALUE = ("--home-path", "-hp", "--debug-level", "-dl", "--site-key", "-sk")


def sub_command_first(args: list[str], names: set[str]) -> list[str]:
    """``args`` with the options before the sub-command moved after it (compat §2.8)."""
    before: list[str] = []
    i = 0
    while i < len(args):
        arg = args[i]
        if not arg.startswith("-") or arg == "-":
            break
        if arg == "--" or arg in _OWN_OPTIONS:
            return args  # the group's own (or no reordering asked for)
        before.append(arg)
        i += 1
        if arg in _TAKES_VALUE and i < len(args):
            before.append(args[i])
            i += 1
    if i >= len(args) or args[i] not in names or not before:
        return args
    return [args[i], *before, *args[i + 1 :]]


class SubCommands(click.Group):
    """A click group whose unknown sub-command is a layer-cake fault, not a usage error, and
    whose sub-command may come after its options."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*self.commands, *SUB_COMMANDS})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        command = self.commands.get(cmd_name)
        if command is None and cmd_name in SUB_COMMANDS:
            module, attribute = SUB_COMMANDS[cmd_name]
            command = getattr(importlib.import_module(f".{module}", __package__), attribute)
            self.add_command(command, cmd_name)
        return command

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        args = sub_command_first(list(args), set(self.list_commands(ctx)))
        try:
            return super().parse_args(ctx, args)
        except click.UsageError as error:
            fail(f"cannot execute ({error.message})")

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
