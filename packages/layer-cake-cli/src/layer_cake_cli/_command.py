"""Sub-commands that read their arguments the layer-cake way (cli §1, api-core §11.1).

click parses; this layer adds what the conventions need on top of it: a boolean also takes
``--flag=true|false``, words and options mix in any order, and every problem with the
arguments is a layer-cake fault (exit 71) rather than a click usage error (exit 2):
leftovers are ``cannot execute "<sub>" (unknown arg(s) "a,b")``, a bad value is
``cannot decode value for "<name>" (<why>)``.
"""

from __future__ import annotations

import json
import math
from collections import Counter
from typing import Any

import click

import layer_cake as lc

from ._fault import fail

__all__ = [
    "LayerCakeCommand",
    "HostPortParam",
    "ScopeParam",
    "SecondsParam",
    "HOST_PORT",
    "SECONDS",
]

_TRUTH = {"true": True, "false": False}


class LayerCakeCommand(click.Command):
    """A sub-command whose argument errors are layer-cake faults (see the module docstring)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        settings = dict(kwargs.pop("context_settings", None) or {})
        settings.setdefault("allow_extra_args", True)  # leftover words: reported below
        super().__init__(*args, context_settings=settings, **kwargs)

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        known = _option_names(self.get_params(ctx))
        kept, unknown = _sort_arguments(args, known)
        try:
            rest = super().parse_args(ctx, kept)
        except click.BadParameter as error:
            name = error.param.name if error.param is not None else "?"
            fail(f'cannot decode value for "{name}" ({error.message})')
        except click.UsageError as error:
            fail(f'cannot execute "{self.name}" ({error.message})')
        leftover = _in_given_order(args, [*unknown, *ctx.args])
        if leftover:
            fail(f'cannot execute "{self.name}" (unknown arg(s) "{",".join(leftover)}")')
        return rest


def _in_given_order(args: list[str], some: list[str]) -> list[str]:
    """``some`` (a sub-multiset of ``args``) in the order of ``args``."""
    left = Counter(some)
    ordered = []
    for arg in args:
        if left[arg] > 0:
            left[arg] -= 1
            ordered.append(arg)
    return ordered


def _option_names(params: list[click.Parameter]) -> dict[str, click.Option]:
    """Every spelling of every option (``--list-connected``, ``-lc``) -> the option."""
    return {
        name: param
        for param in params
        if isinstance(param, click.Option)
        for name in (*param.opts, *param.secondary_opts)
    }


def _sort_arguments(args: list[str], known: dict[str, click.Option]) -> tuple[list[str], list[str]]:
    """Split ``args`` into what click should parse and unknown options, rewriting
    ``--flag=true|false`` into the bare flag or nothing (click flags take no value)."""
    kept: list[str] = []
    unknown: list[str] = []
    i = 0
    while i < len(args):
        arg = args[i]
        i += 1
        if arg == "--":  # the rest are words, whatever they look like
            kept.extend(args[i - 1 :])
            break
        if not arg.startswith("-") or arg == "-":
            kept.append(arg)
            continue
        name, equals, value = arg.partition("=")
        option = known.get(name)
        if option is None:
            unknown.append(arg)
        elif option.is_flag and equals:
            truth = _TRUTH.get(value.lower())
            if truth is None:
                fail(f'cannot decode value for "{option.name}" (expecting true or false)')
            if truth:
                kept.append(name)
        elif equals and len(name) == 2 and not option.is_flag:
            kept.extend((name, value))  # "-x=value": click would read the value as "=value"
        else:
            kept.append(arg)
            if not option.is_flag and not equals and i < len(args):
                kept.append(args[i])  # "--name value": the value is not a word
                i += 1
    return kept, unknown


class HostPortParam(click.ParamType):
    """A ``HostPort`` as a JSON fragment (``{"host": "127.0.0.1", "port": 54195}``, the
    layer-cake text form) or as ``host:port``."""

    name = "host-port"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        if isinstance(value, lc.HostPort):
            return value
        text = str(value).strip()
        host: object
        port: object
        try:
            decoded = json.loads(text)
        except ValueError:
            host, _, port = text.rpartition(":")
        else:
            if not isinstance(decoded, dict):
                self.fail(f'expecting {{"host": ..., "port": ...}} or host:port, not {text}')
            host, port = decoded.get("host"), decoded.get("port")
        if isinstance(port, str) and port.isdigit():
            port = int(port)
        if not isinstance(host, str) or not host or not isinstance(port, int):
            self.fail(f'expecting {{"host": ..., "port": ...}} or host:port, not {text}')
        if not 0 < port < 65536:
            self.fail(f"port {port} out of range")
        return lc.HostPort(host, port)


class ScopeParam(click.ParamType):
    """A ``ScopeOfDirectory`` by name, limited to ``choices``."""

    name = "scope"

    def __init__(self, *choices: lc.ScopeOfDirectory) -> None:
        self.choices = choices

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        if isinstance(value, lc.ScopeOfDirectory) and value in self.choices:
            return value
        for scope in self.choices:
            if str(value).upper() == scope.name:
                return scope
        names = ", ".join(scope.name for scope in self.choices)
        self.fail(f"expecting one of {names}, not {value}")


class SecondsParam(click.ParamType):
    """A positive number of seconds."""

    name = "seconds"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        try:
            seconds = float(value)
        except (TypeError, ValueError):
            self.fail(f"expecting a number of seconds, not {value}")
        if not (seconds > 0 and math.isfinite(seconds)):
            self.fail(f"expecting a positive number of seconds, not {value}")
        return seconds


HOST_PORT = HostPortParam()
SECONDS = SecondsParam()
