"""The role settings protocol, seen from the tool (cli §3).

The tool never writes settings itself: it runs the role's own program with a role flag
(``--create-role``, ``--update-role``...) and ``--origin=RUN --child-process --full-output
--home-path=H --role-name=R`` plus the settings given, so the values are checked against the
program's own schema. The program answers on stdout with the full form of a
``CommandResponse`` or of a ``Faulted``; a fault found while reading its arguments is
written on its stderr instead (``<program>: <fault>``). Either way the tool relays the fault
as its own (``layer-cake: <fault>``, exit 71).
"""

from __future__ import annotations

import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import click

import layer_cake as lc
from layer_cake.daemon import decode_json

from ._fault import fail

__all__ = [
    "RoleOperation",
    "role_operation",
    "each_role",
    "relay_faults",
]

# Roles a settings operation runs at once, after the first (which runs alone: a bad value
# then fails once, before any other role is touched).
_AT_ONCE = 8


@dataclass
class RoleOperation:
    """The outcome of one run of a role's program: its value, or the fault it reported."""

    role: str
    value: object = None
    fault: str | None = None


def role_operation(
    command: list[str],
    flag: str,
    home: str,
    role: str,
    settings: list[str],
    debug_level: str | None = None,
) -> RoleOperation:
    """Run ``command`` (a role's program) with the role ``flag`` for ``role`` of ``home``.

    The program's stderr is passed on, except the line that carries its fault.
    """
    argv = [
        *command,
        flag,
        "--origin=RUN",
        "--child-process",
        "--full-output",
        f"--home-path={home}",
        f"--role-name={role}",
        *([f"--debug-level={debug_level}"] if debug_level else []),
        *settings,
    ]
    try:
        done = subprocess.run(
            argv, stdin=subprocess.DEVNULL, capture_output=True, text=True, check=False
        )
    except OSError as error:
        return RoleOperation(role, fault=f'cannot execute "{command[-1]}" ({error.strerror})')
    program = _program_name(command)
    value, fault = _response(done.stdout)
    lines = done.stderr.splitlines()
    if fault is None and done.returncode != 0:
        fault = _stderr_fault(lines, program)
        if fault is None:
            fault = f"non-standard process exit - code={done.returncode}, output={done.stdout!r}"
        else:
            lines = [line for line in lines if line != f"{program}: {fault}"]
    for line in lines:
        click.echo(line, err=True)
    return RoleOperation(role, value=value, fault=fault)


def _program_name(command: list[str]) -> str:
    """The name a program gives itself in its faults: the base name of its ``argv[0]``."""
    if len(command) >= 3 and command[-2] == "-m":  # python -m package.module
        return command[-1].rpartition(".")[2] + ".py"
    return os.path.basename(command[-1])


def _response(text: str) -> tuple[object, str | None]:
    """The program's value and, when it is a fault, its text."""
    if not text.strip():
        return None, None
    try:
        value = decode_json(text)
    except lc.CodecRuntimeError:
        return None, None
    if isinstance(value, lc.Faulted):
        return value, str(value)
    return value, None


def _stderr_fault(lines: list[str], program: str) -> str | None:
    """The fault a program wrote on stderr (``<program>: <fault>``), the last one."""
    prefix = f"{program}: "
    for line in reversed(lines):
        if line.startswith(prefix):
            return line[len(prefix) :]
    return None


def each_role(
    command_of: dict[str, list[str]],
    flag: str,
    home: str,
    settings: list[str],
    debug_level: str | None,
) -> list[RoleOperation]:
    """``role_operation`` for every role of ``command_of`` (role -> program): the first
    alone, the rest a few at a time. Stops after the first when that one fails."""
    roles = list(command_of)
    if not roles:
        return []
    first = role_operation(command_of[roles[0]], flag, home, roles[0], settings, debug_level)
    if first.fault is not None or len(roles) == 1:
        return [first]
    with ThreadPoolExecutor(max_workers=_AT_ONCE) as pool:
        rest = pool.map(
            lambda role: role_operation(command_of[role], flag, home, role, settings, debug_level),
            roles[1:],
        )
        return [first, *rest]


def relay_faults(outcomes: list[RoleOperation]) -> None:
    """Fail with the first fault among ``outcomes`` (the others go to stderr first)."""
    faults = [o.fault for o in outcomes if o.fault is not None]
    if not faults:
        return
    for other in faults[1:]:
        print(f"layer-cake: {other}", file=sys.stderr)
    fail(faults[0])
