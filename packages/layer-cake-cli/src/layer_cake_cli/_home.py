"""What the home sub-commands share (cli §1, §2): the process arguments each of them takes
(``--home-path``, ``--debug-level``), opening a home, selecting roles with search words,
the live-file rule and finding the program of a role.

Every check fails the layer-cake way (``_fault.fail``): ``cannot <verb> (<explanation>)``.
"""

from __future__ import annotations

import os
import re
import shutil
import sys
from collections.abc import Callable, Iterable, Sequence
from typing import Any

import click

import layer_cake as lc
from layer_cake.daemon import (
    HOME_FOLDERS,
    ROLE_FILES,
    ROLE_FOLDERS,
    home_fault,
    role_path,
    role_running,
)
from layer_cake.daemon import home_roles as _stored_roles

from ._fault import fail

__all__ = [
    "DEFAULT_HOME",
    "GROUP_ROLE",
    "home_options",
    "absolute_home",
    "open_home",
    "is_sub_role",
    "is_group",
    "member_roles",
    "listed_roles",
    "select_roles",
    "refuse_running",
    "group_command",
    "program_command",
    "home_roles",
    "natural_key",
    "name_fault",
    "missing_material",
]

#: ``--home-path`` when none is given (cli §1).
DEFAULT_HOME = "./.layer-cake"

#: The role of ``group-cake`` in every home; no other role may start with this word.
GROUP_ROLE = "group"

_DEBUG_LEVELS = click.Choice([level.name for level in lc.USER_LOG], case_sensitive=False)

# A role name: letters, digits, "_" and "-", starting with a letter, digit or "_".
_ROLE_NAME = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_-]*")
_LONGEST_NAME = 128
_DIGITS = re.compile(r"(\d+)")


def _home_options(command: Callable[..., Any], debug: bool) -> Callable[..., Any]:
    options = (
        click.option(
            "--home-path",
            "-hp",
            default=None,
            help=f"The home folder (default {DEFAULT_HOME}).",
        ),
        click.option(
            "--debug-level",
            "-dl",
            type=_DEBUG_LEVELS,
            default=None,
            hidden=not debug,  # accepted everywhere (a process argument), offered where used
            help="Logs at or above this level on stderr (passed to the processes started).",
        ),
    )
    for option in reversed(options):
        command = option(command)
    return command


def home_options(command: Callable[..., Any]) -> Callable[..., Any]:
    """The process arguments of a home sub-command that starts no process: ``--home-path``,
    and ``--debug-level`` accepted (cli §1) but not offered in the help."""
    return _home_options(command, debug=False)


def home_debug_options(command: Callable[..., Any]) -> Callable[..., Any]:
    """``--home-path`` and ``--debug-level`` of a sub-command whose processes log."""
    return _home_options(command, debug=True)


def natural_key(role: str) -> list:
    """Sort key that puts ``w-2`` before ``w-10``."""
    return [int(part) if part.isdigit() else part for part in _DIGITS.split(role)]


def home_roles(home: str) -> list[str]:
    """The role folders of ``home`` (sub-roles included), in natural order."""
    return sorted(_stored_roles(home), key=natural_key)


def name_fault(name: str) -> str | None:
    """Why ``name`` cannot be a role's name, or None."""
    if not _ROLE_NAME.fullmatch(name) or len(name) > _LONGEST_NAME:
        return "not a valid name, use letters, digits, _ and -"
    if name.lower().startswith(GROUP_ROLE):
        return "reserved name"
    return None


def missing_material(home: str) -> str | None:
    """The first file or folder a home lacks (relative to it), or None."""
    for folder in HOME_FOLDERS:
        if not os.path.isdir(os.path.join(home, folder)):
            return f"{folder}/"
    for role in _stored_roles(home):
        folder = role_path(home, role)
        for name in ROLE_FILES:
            if not os.path.isfile(os.path.join(folder, f"{name}.json")):
                return f"role/{role}/{name}.json"
        for name in ROLE_FOLDERS:
            if not os.path.isdir(os.path.join(folder, name)):
                return f"role/{role}/{name}/"
    return None


def absolute_home(home_path: str | None) -> str:
    """The home folder as an absolute path (``DEFAULT_HOME`` when not given)."""
    return os.path.abspath(os.path.expanduser(home_path or DEFAULT_HOME))


def open_home(home_path: str | None) -> str:
    """The absolute path of a complete home; fails when it is missing or incomplete."""
    home = absolute_home(home_path)
    fault = home_fault(home)
    if fault is not None:
        missing = missing_material(home) if os.path.isdir(home) else None
        if missing is not None and os.path.isdir(os.path.join(home, "role")):
            fault = f"{fault}, missing {missing}"
        fail(f'cannot open path "{home}" ({fault})')
    return home


def is_sub_role(role: str) -> bool:
    """Whether ``role`` is a sub-role (``server.worker``: a process started by a role)."""
    return "." in role


def is_group(role: str) -> bool:
    """Whether ``role`` is the group or one of its sub-roles."""
    return role == GROUP_ROLE or role.startswith(GROUP_ROLE + ".")


def member_roles(home: str) -> list[str]:
    """The roles a group runs by default: all but the group and sub-roles, sorted."""
    return [r for r in home_roles(home) if not is_group(r) and not is_sub_role(r)]


def listed_roles(home: str, group_role: bool, sub_roles: bool) -> list[str]:
    """The roles ``list`` and ``status`` consider: the members, plus the group with
    ``group_role`` and sub-roles with ``sub_roles``."""
    return [
        r
        for r in home_roles(home)
        if (group_role or not is_group(r)) and (sub_roles or not is_sub_role(r))
    ]


def select_roles(candidates: Sequence[str], search: Iterable[str], verb: str) -> list[str]:
    """The ``candidates`` a search word selects, in the order of ``candidates``: the role of
    that exact name, else those whose names start with a match of the word as a regular
    expression (``re.match``: ``worker`` selects ``worker-0``...). Fails on an empty word, a
    word that does not compile or one that selects nothing."""
    chosen: set[str] = set()
    for word in search:
        if not word.strip():
            fail(f'cannot {verb} (empty search word "{word}")')
        if word in candidates:
            chosen.add(word)  # "w-1" is w-1, not w-10 and w-11 too
            continue
        try:
            pattern = re.compile(word)
        except re.error as error:
            fail(f'cannot {verb} (cannot compile search "{word}", {error})')
        matched = {r for r in candidates if pattern.match(r)}
        if not matched:
            fail(f'cannot {verb} (no roles matching "{word}")')
        chosen |= matched
    return [r for r in candidates if r in chosen]


def refuse_running(home: str, roles: Iterable[str], verb: str, state: str) -> None:
    """The live-file rule (cli §1): fail when one of ``roles`` is running, naming them
    (``roles "a,b" are <state>``)."""
    running = [r for r in roles if role_running(home, r)]
    if running:
        fail(f'cannot {verb} (roles "{",".join(running)}" are {state})')


def group_command() -> list[str]:
    """The command head that runs ``group-cake`` of this installation: the console script
    beside this interpreter, else the one on PATH, else the module."""
    beside = os.path.join(os.path.dirname(sys.executable), "group-cake")
    if os.path.isfile(beside) and os.access(beside, os.X_OK):
        return [beside]
    found = shutil.which("group-cake")
    if found is not None:
        return [found]
    return [sys.executable, "-m", "layer_cake_directory.group_cake"]


def program_command(home: str, role: str, executable: str) -> list[str]:
    """The command head that runs ``executable``, the program of ``role``: a script with
    this interpreter (its copy in ``<home>/script/`` first, cli §6), or a program on PATH.
    Fails when there is no such program."""
    if is_group(role):
        return group_command()
    if executable.endswith(".py"):
        copy = os.path.join(home, "script", os.path.basename(executable))
        for path in (copy, executable):
            if os.path.isfile(path):
                return [sys.executable, path]
        fail(f'cannot execute "{executable}" (not found)')
    found = shutil.which(executable)
    if found is None and os.path.isabs(executable):  # recorded elsewhere: by name (compat §4.7)
        found = shutil.which(os.path.basename(executable))
    if found is None:
        fail(f'cannot execute "{executable}" (not found)')
    return [found]
