"""The sub-commands that make and change a home (cli §2-§4): ``create``, ``add``, ``update``,
``delete``, ``destroy`` and ``list``.

Settings are never written here: ``create``, ``add`` and ``update`` run the role's program
with a role flag (``_role_settings``). Folders are: ``create`` makes the home's, ``delete``
and ``destroy`` remove them, each removal under the head locks of the roles it removes so
that no role can start meanwhile.

Choices made here where the spec is silent:

- ``create`` with both ``home`` and a different ``--home-path`` fails ``(two homes given)``;
  a home whose group cannot be made (a bad setting) is removed again.
- ``add`` role names may not hold ``.`` (that makes sub-roles), ``/`` or start with ``.``:
  ``(not a valid name)``; ``--role-start`` below 0 fails like a bad ``--role-count``.
- ``update`` without a search word fails ``(no roles specified)``.
- ``delete`` of an empty selection under ``--all-roles`` succeeds silently; ``delete`` prints
  ``removed "<role>"`` for each role folder it removed.
- Role names are letters, digits, ``_`` and ``-`` (``name_fault``); a program that stores no
  role when run with ``--create-role`` is no layer-cake program and is refused.
- Settings the program's schema lets through but that cannot work are refused first
  (``_settings_checks``).
- ``destroy`` works on a home one of whose role folders is incomplete (it is being removed
  anyway), never on a folder that is no home.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import stat
import sys
from collections.abc import Iterator

import click

import layer_cake as lc
from layer_cake.daemon import (
    HOME_FOLDERS,
    HeadLock,
    home_fault,
    make_home,
    remove_role,
    role_executable,
    role_exists,
    role_values,
)

from ._arguments import HomeCommand, SettingsCommand, passed_settings
from ._fault import fail
from ._home import (
    GROUP_ROLE,
    absolute_home,
    group_command,
    home_debug_options,
    home_options,
    home_roles,
    is_group,
    listed_roles,
    name_fault,
    open_home,
    program_command,
    refuse_running,
    select_roles,
)
from ._role_settings import each_role, relay_faults
from ._settings_checks import settings_fault
from ._storage_commands import make_resource_folder

__all__ = ["create", "add", "update", "delete", "destroy", "list_", "MAX_ROLE_COUNT"]

#: The largest ``--role-count`` of ``add``.
MAX_ROLE_COUNT = 1000

# Settings of the group that exclude each other (cli §4: "one of"), in their long and short
# forms.
_HOST_SETTING = ("--directory-at-host", "-dah")
_LAN_SETTING = ("--directory-at-lan", "-dal")


@click.command(name="create", cls=SettingsCommand)
@click.argument("home", required=False)
@home_debug_options
def create(home: str | None, home_path: str | None, debug_level: str | None) -> None:
    """Make a home: its folders and the group role, with the group's SETTINGS
    (--directory-at-host, --directory-at-lan, --encrypted-directory, --retry, --main-role)."""
    if home and home_path and absolute_home(home) != absolute_home(home_path):
        fail(f'cannot create (two homes given, "{home}" and "{home_path}")')
    path = absolute_home(home or home_path)
    if os.path.isdir(path):
        fail(f'cannot create "{path}" (existing folder)')
    if os.path.lexists(path):
        fail(f'cannot create "{path}" (existing file)')
    settings = passed_settings()
    if _names_setting(settings, _HOST_SETTING) and _names_setting(settings, _LAN_SETTING):
        fail(f'cannot create "{path}" (give one of --directory-at-host and --directory-at-lan)')
    fault = settings_fault(settings)
    if fault is not None:
        fail(f'cannot create "{path}" ({fault})')
    try:
        make_home(path)
    except OSError as error:
        fail(f'cannot create "{path}" ({error.strerror or error})')
    made = False
    try:
        outcome = each_role(
            {GROUP_ROLE: group_command()}, "--create-role", path, settings, debug_level
        )
        relay_faults(outcome)
        make_resource_folder(path, "group-cake")  # compat §4.3
        made = True
    finally:
        if not made:
            shutil.rmtree(path, ignore_errors=True)


def _names_setting(settings: list[str], names: tuple[str, ...]) -> bool:
    return any(s.partition("=")[0] in names for s in settings)


@click.command(name="add", cls=SettingsCommand)
@click.argument("executable", required=False)
@click.argument("role", required=False)
@click.option("--role-count", "-rc", type=int, default=None, help="Add ROLE-<i> for N values of i.")
@click.option("--role-start", "-rs", type=int, default=0, show_default=True, help="The first i.")
@home_debug_options
def add(
    executable: str | None,
    role: str | None,
    role_count: int | None,
    role_start: int,
    home_path: str | None,
    debug_level: str | None,
) -> None:
    """Add the ROLE (default: the program's base name) that runs EXECUTABLE (a .py or a
    program on PATH), with its SETTINGS."""
    if not executable:
        fail("cannot add (no module specified)")
    home = open_home(home_path)
    command = _add_command(executable)
    name = os.path.splitext(os.path.basename(executable))[0] if role is None else role
    fault = name_fault(name)
    if fault is not None:
        fail(f'cannot add "{name}" ({fault})')
    fault = settings_fault(passed_settings())
    if fault is not None:
        fail(f'cannot add "{name}" ({fault})')
    if role_count is None:
        names = [name]
    else:
        if not 1 <= role_count <= MAX_ROLE_COUNT:
            fail(f'cannot add "{name}" (expecting role_count in the range 1...{MAX_ROLE_COUNT})')
        if role_start < 0:
            fail(f'cannot add "{name}" (expecting role_start of 0 or more)')
        names = [f"{name}-{i}" for i in range(role_start, role_start + role_count)]
    existing = set(home_roles(home))
    collisions = [n for n in names if n in existing]
    if collisions:
        fail(f'cannot add "{name}" (collision of roles "{",".join(collisions)}")')
    outcome = each_role(
        dict.fromkeys(names, command), "--create-role", home, passed_settings(), debug_level
    )
    for o in outcome:
        if o.fault is None and not role_exists(home, o.role):
            o.fault = f'cannot add "{executable}" (not a layer-cake program, no role was stored)'
    if any(o.fault is not None for o in outcome):
        for made in (o.role for o in outcome if o.fault is None):
            remove_role(home, made)  # all or nothing
    relay_faults(outcome)
    make_resource_folder(home, executable)  # shared by the roles of the program (compat §4.3)


def _add_command(executable: str) -> list[str]:
    """The command head of a program being added: a script (from the current folder) or a
    program on PATH."""
    if executable.endswith(".py"):
        path = os.path.abspath(executable)
        if not os.path.isfile(path):
            fail(f'cannot add "{executable}" (not found)')
        return [sys.executable, path]
    found = shutil.which(executable)
    if found is None:
        fail(f'cannot add "{executable}" (not found on PATH)')
    return [found]


@click.command(name="update", cls=SettingsCommand)
@click.argument("search", nargs=-1)
@home_debug_options
def update(search: tuple[str, ...], home_path: str | None, debug_level: str | None) -> None:
    """Merge SETTINGS into the stored settings of the roles selected by SEARCH (the group
    and sub-roles included)."""
    if not search:
        fail("cannot update (no roles specified)")
    home = open_home(home_path)
    roles = select_roles(home_roles(home), search, "update")
    refuse_running(home, roles, "update", "currently running")
    settings = passed_settings()
    for role in roles:
        fault = settings_fault(
            settings,
            roles=home_roles(home) if is_group(role) else None,
            stored=_parents_stored(home, role),
        )
        if fault is not None:
            fail(f'cannot update "{role}" ({fault})')
    commands = {r: program_command(home, r, role_executable(home, r)) for r in roles}
    relay_faults(each_role(commands, "--update-role", home, settings, debug_level))


def _parents_stored(home: str, role: str) -> dict[str, object]:
    """The ``directory_at_host``/``directory_at_lan`` stored for ``role`` that are set."""
    try:
        values = role_values(home, role)
    except (OSError, lc.CodecRuntimeError):
        return {}
    return {
        name: True
        for name in ("directory_at_host", "directory_at_lan")
        if isinstance(values.get(name), lc.HostPort) and values[name].host
    }


@click.command(name="delete", cls=HomeCommand)
@click.argument("search", nargs=-1)
@click.option("--all-roles", "-ar", is_flag=True, help="Every role but the group.")
@home_options
def delete(
    search: tuple[str, ...], all_roles: bool, home_path: str | None, debug_level: str | None
) -> None:
    """Remove the roles selected by SEARCH (or all of them) and their sub-roles; never the
    group."""
    home = open_home(home_path)
    if not search and not all_roles:
        fail("cannot delete (no roles specified, use --all-roles?)")
    candidates = [r for r in home_roles(home) if not is_group(r)]
    chosen = candidates if all_roles else select_roles(candidates, search, "delete")
    doomed = [r for r in candidates if any(r == c or r.startswith(c + ".") for c in chosen)]
    with _locked(home, doomed, "delete", "currently running"):
        for role in doomed:
            if remove_role(home, role):
                click.echo(f'removed "{role}"')


@contextlib.contextmanager
def _locked(home: str, roles: list[str], verb: str, state: str) -> Iterator[None]:
    """Hold the head locks of ``roles`` (none can start meanwhile); fail, naming them, when
    some are running."""
    locks: list[HeadLock] = []
    running = []
    try:
        for role in roles:
            try:
                lock = HeadLock.acquire(home, role)
            except OSError as error:
                fail(f'cannot {verb} (role "{role}": {error.strerror or error})')
            if lock is None:
                running.append(role)
            else:
                locks.append(lock)
        if running:
            fail(f'cannot {verb} (roles "{",".join(running)}" are {state})')
        yield
    finally:
        for lock in locks:
            lock.release()


@click.command(name="destroy", cls=HomeCommand)
@click.argument("home", required=False)
@home_options
def destroy(home: str | None, home_path: str | None, debug_level: str | None) -> None:
    """Delete the home and everything in it."""
    path = absolute_home(home or home_path)
    if os.path.lexists(path) and not os.path.isdir(path):
        regular = stat.S_ISREG(os.lstat(path).st_mode)
        fail(f'cannot destroy "{path}" ({"existing file" if regular else "not a folder"})')
    if not all(os.path.isdir(os.path.join(path, n)) for n in HOME_FOLDERS):
        # not a home; a home missing a file of a role is destroyed all the same
        fail(f'cannot destroy "{path}" ({home_fault(path)})')
    roles = home_roles(path)
    locks: list[HeadLock] = []
    try:
        running = []
        for role in roles:
            lock = HeadLock.acquire(path, role)
            if lock is None:
                running.append(role)
            else:
                locks.append(lock)
        if running:
            fail(f'cannot destroy "{path}" (running roles "{",".join(running)}")')
        shutil.rmtree(path)
    except OSError as error:
        fail(f'cannot destroy "{path}" ({error.strerror or error})')
    finally:
        for lock in locks:
            lock.release()


@click.command(name="list", cls=HomeCommand)
@click.argument("search", nargs=-1)
@click.option("--long-listing", "-ll", is_flag=True, help="Program and folders/files/bytes.")
@click.option("--group-role", "-gr", is_flag=True, help="Include the group.")
@click.option("--sub-roles", "-sr", is_flag=True, help="Include sub-roles.")
@click.option("--json", "as_json", is_flag=True, help="Roles, programs and usage as JSON.")
@home_options
def list_(
    search: tuple[str, ...],
    long_listing: bool,
    group_role: bool,
    sub_roles: bool,
    as_json: bool,
    home_path: str | None,
    debug_level: str | None,
) -> None:
    """Print the roles, sorted (those matching SEARCH)."""
    home = open_home(home_path)
    roles = listed_roles(home, group_role, sub_roles)
    if search:
        roles = select_roles(roles, search, "list")
    if not long_listing and not as_json:
        for role in roles:
            click.echo(role)
        return
    rows = []
    for role in roles:
        folders, files, size = _usage(os.path.join(home, "role", role))
        rows.append((role, role_executable(home, role), folders, files, size))
    if as_json:
        keys = ("role", "executable", "folders", "files", "bytes")
        click.echo(json.dumps([dict(zip(keys, row, strict=True)) for row in rows], indent=4))
        return
    width = max([24, *(len(role) for role in roles)])
    for role, executable, folders, files, size in rows:
        click.echo(f"{role:<{width}} {executable} {folders}/{files}/{size}")


def _usage(folder: str) -> tuple[int, int, int]:
    """Folders, files and bytes under ``folder`` (itself not counted)."""
    folders = files = size = 0
    for here, names, leaves in os.walk(folder):
        folders += len(names)
        for leaf in leaves:
            files += 1
            with contextlib.suppress(OSError):
                size += os.lstat(os.path.join(here, leaf)).st_size
    return folders, files, size
