"""The storage sub-commands (compat.md §4.1, §4.3-§4.6): ``resource``, ``model`` and
``script`` fill the folders that make a home a portable image (§4.7).

Each mirrors a selection of files and folders into a target folder of the home:
``<home>/resource/<executable-file>/``, ``<home>/role/<role>/model/`` or ``<home>/script/``.
Without ``--make-changes`` the changes are printed, one ``storage_delta`` line each; with it
they are applied by ``FolderTransfer`` (all or nothing). Without paths the target is listed.

Choices made here where the spec is silent: ``--clear-all`` empties the target at once (it
is its own request; no ``--make-changes`` needed); the running check of ``resource`` covers
the roles whose program has that base name; control-c while applying ends the transfer
(``Aborted``: the target is left as it was) and fails ``(aborted)``.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterable

import click

import layer_cake as lc
from layer_cake.daemon import (
    home_fault,
    home_roles,
    role_executable,
    role_exists,
    role_running,
)

from ._arguments import HomeCommand
from ._fault import fail
from ._home import absolute_home, home_options

__all__ = ["resource", "model", "script", "make_resource_folder", "resource_name"]

# How long a transfer may take to notice a Stop; far above what it takes.
_STOP_PATIENCE = 60.0


def resource_name(executable: str) -> str:
    """The folder name of an executable's resources: its base name (``okrole.py``)."""
    return os.path.basename(executable.rstrip(os.sep))


def make_resource_folder(home: str, executable: str) -> None:
    """Create ``<home>/resource/<base name of executable>/`` (compat.md §4.3), shared by
    every role of that executable."""
    os.makedirs(os.path.join(home, "resource", resource_name(executable)), exist_ok=True)


def _usable_home(home_path: str | None, verb: str, subject: str | None = None) -> str:
    home = absolute_home(home_path)
    fault = home_fault(home)
    if fault is not None:
        fail(f'cannot {verb} "{subject or home}" ({fault})')
    return home


def _refuse_running(home: str, roles: Iterable[str], verb: str, subject: str, plural: bool) -> None:
    running = [r for r in roles if role_running(home, r)]
    if not running:
        return
    if len(running) == 1 and not plural:
        fail(f'cannot {verb} "{subject}" (role "{running[0]}" is running)')
    fail(f'cannot {verb} "{subject}" (roles "{",".join(running)}" are running)')


def _empty(path: str) -> lc.StorageManifest:
    """A manifest of nothing at ``path`` (a target that does not exist yet, or the source
    of ``--clear-all``)."""
    return lc.StorageManifest(path, None, None, {})


def _scan(path: str, verb: str, subject: str) -> lc.StorageManifest:
    try:
        manifest, _ = lc.storage_manifest(path)
    except (FileNotFoundError, NotADirectoryError):
        fail(f'cannot {verb} "{subject}" ("{path}" does not exist)')
    except OSError as error:
        fail(f'cannot {verb} "{subject}" ({error.strerror or error})')
    return manifest


def _selection(paths: Iterable[str], verb: str, subject: str) -> lc.StorageManifest:
    try:
        manifest, _ = lc.storage_selection(list(paths))
    except ValueError as error:
        fail(f'cannot {verb} "{subject}" ({error})')
    except OSError as error:
        fail(f'cannot {verb} "{subject}" ({error.strerror or error})')
    return manifest


def _apply(delta: list, target: str, verb: str, subject: str) -> None:
    """Apply ``delta`` to ``target`` with ``FolderTransfer``; fail on its fault."""
    if not delta:
        return
    with lc.channel() as c:
        transfer = c.create(lc.FolderTransfer, delta, target)
        try:
            m, _ = c.select(lc.Returned)
        except KeyboardInterrupt:
            c.send(lc.Stop(), transfer)
            m, _ = c.select(lc.Returned, seconds=_STOP_PATIENCE)
    value = getattr(m, "message", None)
    if isinstance(value, lc.Aborted):
        fail(f'cannot {verb} "{subject}" (aborted)')
    if isinstance(value, lc.Faulted):
        fail(f'cannot {verb} "{subject}" ({value})')


def _mirror(
    source: lc.StorageManifest,
    target_path: str,
    make_changes: bool,
    verb: str,
    subject: str,
) -> None:
    """Print the changes that make ``target_path`` mirror ``source``, or apply them."""
    target = (
        _scan(target_path, verb, subject) if os.path.isdir(target_path) else _empty(target_path)
    )
    delta = list(lc.storage_delta(source, target))
    if not make_changes:
        for change in delta:
            click.echo(str(change))
        return
    _apply(delta, target_path, verb, subject)


def _clear(target_path: str, verb: str, subject: str) -> None:
    target = _scan(target_path, verb, subject)
    _apply(list(lc.storage_delta(_empty(None), target)), target_path, verb, subject)


def _listing(target: str, full_path: bool, recursive: bool, long_listing: bool) -> None:
    """Print the entries of ``target`` sorted by name (a folder before its contents)."""

    def walk(folder: str, prefix: str) -> None:
        try:
            names = sorted(os.listdir(folder))
        except OSError:
            return
        for name in names:
            path = os.path.join(folder, name)
            shown = path if full_path else prefix + name
            if long_listing:
                try:
                    st = os.lstat(path)
                except OSError:
                    continue
                click.echo(f"{stat.filemode(st.st_mode)} {st.st_uid}/{st.st_gid} {shown}")
            else:
                click.echo(shown)
            if recursive and os.path.isdir(path) and not os.path.islink(path):
                walk(path, prefix + name + "/")

    walk(target, "")


_LISTING_OPTIONS = (
    click.option("--full-path", "-fp", is_flag=True, help="List absolute paths."),
    click.option("--recursive-listing", "-rl", is_flag=True, help="List folders' contents too."),
    click.option("--long-listing", "-ll", is_flag=True, help="Mode, owner/group and path."),
)


def _listing_options(command):  # type: ignore[no-untyped-def]
    for option in reversed(_LISTING_OPTIONS):
        command = option(command)
    return command


# resource ------------------------------------------------------------------------------------


@click.command(name="resource", cls=HomeCommand)
@click.argument("executable_file", required=False)
@click.argument("paths", nargs=-1)
@click.option("--make-changes", "-mc", is_flag=True, help="Apply the changes.")
@click.option("--clear-all", "-ca", is_flag=True, help="Empty the resource folder.")
@click.option("--resource-path", "-rp", default=None, help="Mirror this folder's contents.")
@_listing_options
@home_options
def resource(
    executable_file: str | None,
    paths: tuple[str, ...],
    make_changes: bool,
    clear_all: bool,
    resource_path: str | None,
    full_path: bool,
    recursive_listing: bool,
    long_listing: bool,
    home_path: str | None,
    debug_level: str | None,
) -> None:
    """Mirror PATHS (files, folders) into the resources of EXECUTABLE_FILE, shared by every
    role of that program (<home>/resource/<executable-file>/); without PATHS, list them."""
    if not executable_file:
        fail("cannot resource group (no executable specified)")
    home = _usable_home(home_path, "resource", executable_file)
    name = resource_name(executable_file)
    target = os.path.join(home, "resource", name)
    if not os.path.isdir(target):
        fail(f'cannot resource "{executable_file}" (folder "{target}" does not exist)')
    selecting = bool(paths) or resource_path is not None
    listing = full_path or recursive_listing or long_listing
    if (paths and (resource_path is not None or clear_all or listing)) or (
        resource_path is not None and (clear_all or listing)
    ):
        fail(f'cannot resource "{executable_file}" (inappropriate argument(s))')
    if make_changes or clear_all:
        users = [r for r in home_roles(home) if resource_name(_executable_of(home, r)) == name]
        _refuse_running(home, users, "resource", executable_file, plural=False)
    if clear_all:
        _clear(target, "resource", executable_file)
        return
    if not selecting:
        _listing(target, full_path, recursive_listing, long_listing)
        return
    if resource_path is not None:
        source = _scan(os.path.abspath(resource_path), "resource", executable_file)
    else:
        source = _selection(paths, "resource", executable_file)
    _mirror(source, target, make_changes, "resource", executable_file)


def _executable_of(home: str, role: str) -> str:
    try:
        return str(role_executable(home, role))
    except (OSError, lc.CodecRuntimeError):
        return ""


# model ---------------------------------------------------------------------------------------


@click.command(name="model", cls=HomeCommand)
@click.argument("role", required=False)
@click.argument("paths", nargs=-1)
@click.option("--make-changes", "-mc", is_flag=True, help="Apply the changes.")
@click.option("--clear-all", "-ca", is_flag=True, help="Empty the model folder.")
@click.option("--model-path", "-mp", default=None, help="Mirror this folder's contents.")
@click.option("--get-latest", "-gl", default=None, help="Mirror the model into this folder.")
@_listing_options
@home_options
def model(
    role: str | None,
    paths: tuple[str, ...],
    make_changes: bool,
    clear_all: bool,
    model_path: str | None,
    get_latest: str | None,
    full_path: bool,
    recursive_listing: bool,
    long_listing: bool,
    home_path: str | None,
    debug_level: str | None,
) -> None:
    """Mirror PATHS (files, folders) into the private model of ROLE
    (<home>/role/<role>/model/); --get-latest copies the model out; without PATHS, list it."""
    home = absolute_home(home_path)
    if not role:
        fail(f'cannot model "{home}" (no role specified)')
    _usable_home(home_path, "model", role)
    if not role_exists(home, role):
        fail(f'cannot model "{role}" (unknown role)')
    target = os.path.join(home, "role", role, "model")
    if not os.path.isdir(target):
        fail(f'cannot model "{role}" (role model folder is not usable)')
    listing = full_path or recursive_listing or long_listing
    chosen = [bool(paths), model_path is not None, get_latest is not None, clear_all]
    if sum(chosen) > 1 or (listing and any(chosen)):
        fail(f'cannot model "{role}" (inappropriate argument(s))')
    if (make_changes and get_latest is None) or clear_all:
        _refuse_running(home, [role], "model", role, plural=False)
    if clear_all:
        _clear(target, "model", role)
        return
    if get_latest is not None:
        latest = os.path.abspath(get_latest)
        if os.path.exists(latest) and not os.path.isdir(latest):
            fail(f'cannot model "{role}" (path "{latest}" is not a usable folder)')
        if make_changes and not os.path.isdir(latest):
            try:
                os.makedirs(latest)
            except OSError:
                fail(f'cannot model "{role}" (path "{latest}" is not a usable folder)')
        source = _scan(target, "model", role)
        _mirror(source, latest, make_changes, "model", role)
        return
    if not paths and model_path is None:
        _listing(target, full_path, recursive_listing, long_listing)
        return
    if model_path is not None:
        source = _scan(os.path.abspath(model_path), "model", role)
    else:
        source = _selection(paths, "model", role)
    _mirror(source, target, make_changes, "model", role)


# script --------------------------------------------------------------------------------------


def _script_sources(home: str) -> tuple[list[str], dict[str, str]]:
    """The folders of the ``.py`` programs of all roles (in role order, each once), and
    every role's program."""
    executables = {r: _executable_of(home, r) for r in home_roles(home)}
    folders: list[str] = []
    for executable in executables.values():
        if executable.endswith(".py"):
            folder = os.path.dirname(os.path.abspath(executable))
            if folder not in folders:
                folders.append(folder)
    return folders, executables


def _script_selection(home: str, folders: list[str]) -> list[str]:
    """The entries of ``folders`` to copy: all but ``__x__`` names, the first
    ``__init__.py`` kept; fails on a name found in two folders."""
    chosen: dict[str, str] = {}
    duplicated: list[str] = []
    for folder in folders:
        try:
            names = sorted(os.listdir(folder))
        except OSError:
            continue
        for name in names:
            if name == "__init__.py":
                chosen.setdefault(name, os.path.join(folder, name))
                continue
            if name.startswith("__") and name.endswith("__"):
                continue
            if name in chosen:
                if name not in duplicated:
                    duplicated.append(name)
                continue
            chosen[name] = os.path.join(folder, name)
    if duplicated:
        fail(f'cannot script "{home}" (duplicated names "{",".join(duplicated)}")')
    return list(chosen.values())


@click.command(name="script", cls=HomeCommand)
@click.option("--make-changes", "-mc", is_flag=True, help="Apply the changes.")
@click.option("--clear-all", "-ca", is_flag=True, help="Empty the script folder.")
@click.option("--list-scripts", "-ls", is_flag=True, help="List the script folder.")
@click.option("--list-executables", "-le", is_flag=True, help="Every role and its program.")
@click.option("--list-paths", "-lp", is_flag=True, help="The folders the scripts come from.")
@_listing_options
@home_options
def script(
    make_changes: bool,
    clear_all: bool,
    list_scripts: bool,
    list_executables: bool,
    list_paths: bool,
    full_path: bool,
    recursive_listing: bool,
    long_listing: bool,
    home_path: str | None,
    debug_level: str | None,
) -> None:
    """Mirror the folders of the roles' Python programs into <home>/script/ (first on the
    roles' PYTHONPATH), so that the home runs without them."""
    home = _usable_home(home_path, "script")
    target = os.path.join(home, "script")
    if (full_path or recursive_listing or long_listing) and not list_scripts:
        fail(f'cannot script "{home}" (inappropriate argument(s))')
    folders, executables = _script_sources(home)
    if list_executables:
        for role, executable in executables.items():
            click.echo(f"{role:<24} {executable}")
        return
    if list_paths:
        for folder in folders:
            click.echo(folder)
        return
    if list_scripts:
        _listing(target, full_path, recursive_listing, long_listing)
        return
    if make_changes or clear_all:  # the roles whose programs run from these scripts
        users = [r for r, executable in executables.items() if executable.endswith(".py")]
        _refuse_running(home, users, "script", home, plural=True)
    if clear_all:
        _clear(target, "script", home)
        return
    if not folders:
        fail(f'cannot script "{home}" (no scripts in use)')
    source = _selection(_script_selection(home, folders), "script", home)
    _mirror(source, target, make_changes, "script", home)
