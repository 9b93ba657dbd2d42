"""The click commands of the home sub-commands: ``LayerCakeCommand`` (``_command``) with
one addition.

- ``SettingsCommand`` (``create``, ``add``, ``update``) passes the arguments it does not know
  on to the role's program, in the order given (cli §1); ``passed_settings()`` returns them.
"""

from __future__ import annotations

import click

from ._command import LayerCakeCommand, _in_given_order, _option_names, _sort_arguments
from ._fault import fail

__all__ = ["HomeCommand", "SettingsCommand", "passed_settings"]

_SETTINGS_KEY = "layer_cake_cli.settings"


class HomeCommand(LayerCakeCommand):
    """The command class of the home sub-commands (``-x=value`` is split in ``_command``)."""


class SettingsCommand(HomeCommand):
    """A sub-command whose unknown arguments are settings for a role's program."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        known = _option_names(self.get_params(ctx))
        kept, unknown = _sort_arguments(args, known)
        try:
            rest = click.Command.parse_args(self, ctx, kept)
        except click.BadParameter as error:
            name = error.param.name if error.param is not None else "?"
            fail(f'cannot decode value for "{name}" ({error.message})')
        except click.UsageError as error:
            fail(f'cannot execute "{self.name}" ({error.message})')
        ctx.meta[_SETTINGS_KEY] = _in_given_order(args, [*unknown, *ctx.args])
        ctx.args = []
        return rest


def passed_settings() -> list[str]:
    """The arguments of the current ``SettingsCommand`` left for the role's program."""
    return list(click.get_current_context().meta.get(_SETTINGS_KEY, []))
