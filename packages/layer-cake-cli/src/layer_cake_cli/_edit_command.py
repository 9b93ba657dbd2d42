"""``layer-cake edit <role> [home]`` (compat.md §4.2): the role's settings in ``$LC_EDITOR``.

The tool checks that the role exists and is not running, then runs the role's own program
with ``--edit-role --origin=RUN --home-path=H --role-name=R``, the terminal inherited: the
program writes its stored settings to a temporary file, runs the editor on it, and stores
the result only when it changed, decodes and names only the program's own arguments. The
program's value (None or a fault) comes back through ``--output-file`` (its stdout and
stderr belong to the editor), and a fault is relayed as the tool's own.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import tempfile

import click

import layer_cake as lc
from layer_cake.daemon import decode_json, home_fault, role_executable, role_exists, role_running
from layer_cake.daemon import portable_environment as role_environment

from ._arguments import HomeCommand
from ._fault import fail
from ._home import absolute_home, home_options, program_command

__all__ = ["edit"]


@click.command(name="edit", cls=HomeCommand)
@click.argument("role", required=False)
@click.argument("home", required=False)
@click.option("--role-name", "-rn", default=None, help="The role (instead of the first word).")
@home_options
def edit(
    role: str | None,
    home: str | None,
    role_name: str | None,
    home_path: str | None,
    debug_level: str | None,
) -> None:
    """Edit the stored settings of ROLE (the group and sub-roles too) in $LC_EDITOR
    ($EDITOR, vi); stored when changed and valid for the role's program."""
    path = absolute_home(home or home_path)
    role = role or role_name
    if not role:
        fail(f'cannot edit "{path}" (no role specified)')
    fault = home_fault(path)
    if fault is not None:
        fail(f'cannot edit "{path}" ({fault})')
    if not role_exists(path, role):
        fail(f'cannot edit "{role}" (does not exist)')
    if role_running(path, role):
        fail(f'cannot edit "{role}" (role is running)')
    command = program_command(path, role, str(role_executable(path, role)))
    fd, result = tempfile.mkstemp(prefix="layer-cake-edit-", suffix=".json")
    os.close(fd)
    try:
        argv = [
            *command,
            "--edit-role",
            "--origin=RUN",
            f"--home-path={path}",
            f"--role-name={role}",
            "--full-output",
            f"--output-file={result}",
        ]
        try:
            code = subprocess.run(argv, env=role_environment(path, role), check=False).returncode
        except OSError as error:
            fail(f'cannot edit "{role}" (cannot execute "{command[-1]}", {error.strerror})')
        with open(result, "rb") as f:
            text = f.read()
    finally:
        with contextlib.suppress(OSError):
            os.remove(result)
    value = None
    if text.strip():
        try:
            value = decode_json(text)
        except lc.CodecRuntimeError as error:
            fail(f'cannot edit "{role}" (unexpected response, {error})')
    if isinstance(value, lc.Faulted):
        fail(str(value))
    if code != 0:
        fail(f'cannot edit "{role}" (exit code {code})')
