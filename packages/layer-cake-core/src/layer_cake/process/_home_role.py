"""Homes and roles as objects (compat.md §3.9): ``open_home``, ``open_role``, ``HomeRole``,
``HR`` and the interactive settings edit ``edit_role`` (§4.2).

A ``HomeRole`` is a view of ``<home>/role/<role>/`` (cli.md §2): each file is a callable
(``role.settings()``) whose ``.update(value)`` stores it; each folder a ``Folder``. The files
are the ones module ``_role`` reads and writes, so both views agree.
"""

from __future__ import annotations

import collections
import contextlib
import os
import shlex
import shutil
import subprocess
import sys
import tempfile
import uuid
from datetime import datetime, timezone
from typing import Any as AnyType

from .._utilities import Gas
from ..runtime._messages import Faulted
from ..types._errors import CodecRuntimeError
from ..types._json import decode_json, encode_json
from ..types._portable import Any, MapOf, Portable, Unicode
from ._persistence import File, Folder
from ._role import (
    MAX_RUNS,
    ROLE_FILES,
    ROLE_FOLDERS,
    HeadLock,
    StartStop,
    role_settings,
    store_role_settings,
)

__all__ = ["HR", "HomeRole", "StartStop", "open_home", "open_role", "edit_role"]

_SETTINGS = MapOf(Unicode(), Any())
_TYPES: dict[str, object] = {
    "unique_id": uuid.UUID,
    "start_stop": collections.deque[StartStop],
    "settings": _SETTINGS,
    "log_storage": int,
    "executable_file": str,
}

#: What ``lc.create`` knows of the role it runs (None when not in a home): ``home_path``,
#: ``role_name``, ``home_role`` (a ``HomeRole``), ``model``, ``tmp``, ``resource``
#: (``Folder``\\ s), ``temp_dir`` (path) and ``edit_role`` (the function).
HR = Gas(
    home_path=None,
    role_name=None,
    home_role=None,
    model=None,
    tmp=None,
    resource=None,
    temp_dir=None,
    edit_role=None,
)


class _Stored:
    """One file of a role: call it for the value, ``update(value)`` to store a new one."""

    def __init__(self, file: File) -> None:
        self.file = file

    def __call__(self) -> AnyType:
        return self.file.recover()

    def update(self, value: object) -> None:
        self.file.store(value)

    def __repr__(self) -> str:
        return f"<stored {self.file.full_name()}>"


class HomeRole:
    """A role of a home; ``open_role`` fills it in (cli.md §2 layout).

    Files (callables with ``.update(value)``): ``unique_id``, ``start_stop`` (deque of
    ``StartStop``, newest last, at most 16), ``settings`` (``{name: (value, portable)}``),
    ``log_storage`` and ``executable_file``. Folders: ``model``, ``tmp``, ``logs``,
    ``lock`` and ``resource`` (``<home>/resource/<executable base name>``).
    """

    def __init__(
        self,
        unique_id: object = None,
        start_stop: object = None,
        settings: object = None,
        resource: object = None,
        logs: object = None,
        model: object = None,
        tmp: object = None,
        lock: object = None,
        log_storage: object = None,
        executable_file: object = None,
    ) -> None:
        self.unique_id = unique_id
        self.start_stop = start_stop
        self.settings = settings
        self.resource = resource
        self.logs = logs
        self.model = model
        self.tmp = tmp
        self.lock = lock
        self.log_storage = log_storage
        self.executable_file = executable_file
        self.home_role: str | None = None  # the role folder

    def __repr__(self) -> str:
        return f"HomeRole({self.home_role!r})"

    def starting(self) -> None:
        """Append a run record that starts now (the oldest beyond 16 dropped)."""
        runs = collections.deque(self.start_stop(), maxlen=MAX_RUNS)  # type: ignore[operator]
        runs.append(StartStop(start=datetime.now(timezone.utc)))
        self.start_stop.update(runs)  # type: ignore[union-attr]

    def stopped(self, value: object) -> None:
        """Close the newest run record with the time now and ``value``."""
        runs = collections.deque(self.start_stop(), maxlen=MAX_RUNS)  # type: ignore[operator]
        now = datetime.now(timezone.utc)
        if not runs:
            runs.append(StartStop(start=now))
        runs[-1].stop = now
        runs[-1].returned = value
        self.start_stop.update(runs)  # type: ignore[union-attr]


def open_role(home_role: str, resource_path: str) -> HomeRole | None:
    """The role whose folder is ``home_role`` (``<home>/role/<r>``); its resources are in
    ``resource_path`` (``<home>/resource``) under its executable's base name.

    Returns:
        the role, or None when there is no such folder.

    Raises:
        ValueError: a file or folder of the role is missing
            (``cannot open "<path>" (missing property "unique_id")``).
    """
    if not os.path.isdir(home_role):
        return None
    for name in ROLE_FILES:
        if not os.path.isfile(os.path.join(home_role, f"{name}.json")):
            raise ValueError(f'cannot open "{home_role}" (missing property "{name}")')
    for name in ROLE_FOLDERS:
        if not os.path.isdir(os.path.join(home_role, name)):
            raise ValueError(f'cannot open "{home_role}" (missing property "{name}")')
    stored = {n: _Stored(File(os.path.join(home_role, n), t)) for n, t in _TYPES.items()}
    folders = {n: Folder(os.path.join(home_role, n), auto_create=False) for n in ROLE_FOLDERS}
    role = HomeRole(**stored, **folders)  # type: ignore[arg-type]
    role.home_role = home_role
    try:
        executable = stored["executable_file"]()
    except (OSError, CodecRuntimeError) as e:
        raise ValueError(f'cannot open "{home_role}" ({e})') from None
    base = os.path.basename(str(executable))
    role.resource = Folder(os.path.join(resource_path, base), auto_create=False)
    return role


def open_home(
    home_path: str, grouping: bool = False, sub_roles: bool = False
) -> dict[str, HomeRole] | None:
    """``{role: HomeRole}`` of ``<home_path>/role/*``; the group's roles (``group*``) only
    with ``grouping``, sub-roles (names with ``.``) only with ``sub_roles``.

    Returns:
        the roles, or None when the home is missing or a role is incomplete.
    """
    roles_folder = os.path.join(home_path, "role")
    resource = os.path.join(home_path, "resource")
    try:
        with os.scandir(roles_folder) as entries:
            names = sorted(e.name for e in entries if e.is_dir() and not e.name.startswith("."))
    except OSError:
        return None
    roles: dict[str, HomeRole] = {}
    for name in names:
        if name.startswith("group") and not grouping:
            continue
        if "." in name and not sub_roles:
            continue
        try:
            role = open_role(os.path.join(roles_folder, name), resource)
        except ValueError:
            return None
        if role is None:
            return None
        roles[name] = role
    return roles


# The interactive edit (compat.md §4.2) -----------------------------------------------------------


def _editor_command(editor: str | None) -> list[str] | Faulted:
    """The editor's command head: ``editor``, ``$LC_EDITOR``, ``$EDITOR`` or ``vi``, split
    shell-style (``code -w``), its program found on PATH."""
    text = editor or os.environ.get("LC_EDITOR") or os.environ.get("EDITOR") or "vi"
    try:
        words = shlex.split(text)
    except ValueError:
        words = []
    if not words:
        return Faulted(f'cannot resolve executable "{text}" from "{os.getcwd()}"')
    program = words[0]
    found = program if os.sep in program else shutil.which(program)
    if found is None or not os.path.isfile(found) or not os.access(found, os.X_OK):
        return Faulted(f'cannot resolve executable "{program}" from "{os.getcwd()}"')
    return [found, *words[1:]]


def edit_settings(
    settings: dict, editor: str | None = None, schema: dict[str, Portable] | None = None
) -> dict | Faulted:
    """Let the user edit ``settings`` (``{name: typed value}``) in the editor.

    The settings go to a temporary file (no extension) as pretty JSON ``map<unicode,any>``;
    the editor runs on it with the terminal inherited. The file is read back when its
    content changed and checked: it decodes, and (with ``schema``) every name is one of the
    program's arguments.

    Returns:
        the new settings, or the fault (``settings not modified``, ``cannot update settings
        (...)``, ``child exit code N (expecting 0 (zero))``, ``cannot resolve executable``).
    """
    command = _editor_command(editor)
    if isinstance(command, Faulted):
        return command
    text = encode_json(settings, _SETTINGS, pretty=True) + "\n"
    fd, path = tempfile.mkstemp(prefix="layer-cake-settings-")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
        try:
            code = subprocess.run([*command, path], check=False).returncode
        except OSError as e:
            return Faulted(f'cannot resolve executable "{command[0]}" from "{os.getcwd()}"', str(e))
        if code != 0:
            return Faulted(f"child exit code {code} (expecting 0 (zero))")
        with open(path, "rb") as f:
            edited = f.read()
    finally:
        with contextlib.suppress(OSError):
            os.remove(path)
    if edited == text.encode("utf-8"):
        return Faulted("settings not modified")
    try:
        value = decode_json(edited, _SETTINGS)
    except CodecRuntimeError as e:
        return Faulted(f"cannot update settings ({e})")
    if not isinstance(value, dict):
        return Faulted("cannot update settings (not a map of settings)")
    if schema is not None:
        unknown = sorted(name for name in value if name not in schema)
        if unknown:
            return Faulted(f"cannot update settings (unknown arguments ({','.join(unknown)}))")
    return value


def edit_role(
    self: object,
    home: HomeRole,
    editor: str | None = None,
    *,
    schema: dict[str, Portable] | None = None,
) -> Faulted | None:
    """Edit the stored settings of ``home`` (a ``HomeRole``) in ``editor`` (default
    ``$LC_EDITOR``, ``$EDITOR``, ``vi``) and store them when changed and valid.

    ``self`` (the calling object) is accepted for 0.1 programs and unused. With ``schema``
    (the program's arguments), names not in it are refused (NEW, compat.md §4.2).

    Returns:
        None when stored, else a ``Faulted`` (nothing stored): ``role is running``, ``no
        settings available``, and those of the edit itself.
    """
    folder = getattr(home, "home_role", None)
    if home is None or folder is None or not os.path.isdir(folder):
        return Faulted(f'no settings available "{folder}"')
    role_folder = os.path.normpath(folder)
    home_path = os.path.dirname(os.path.dirname(role_folder))
    role = os.path.basename(role_folder)
    lock = HeadLock.acquire(home_path, role)
    if lock is None:
        return Faulted("role is running")
    with lock:
        try:
            current = role_settings(home_path, role)
        except (OSError, CodecRuntimeError) as e:
            return Faulted(f"cannot update settings ({e})")
        edited = edit_settings(current, editor, schema)
        if isinstance(edited, Faulted):
            return edited
        try:
            store_role_settings(home_path, role, edited)
        except (OSError, CodecRuntimeError) as e:
            return Faulted(f"cannot update settings ({e})")
    return None


HR.edit_role = edit_role


def edit_stored_role(home_path: str, role: str, schema: dict[str, Portable]) -> Faulted | None:
    """``--edit-role`` in the role's own program (compat.md §4.2): edit the stored settings
    of ``role``, checked against the program's ``schema``."""
    folder = os.path.join(home_path, "role", role)
    try:
        home = open_role(folder, os.path.join(home_path, "resource"))
    except ValueError as e:
        return Faulted(str(e))
    if home is None:
        return Faulted(f'no settings available "{folder}"')
    return edit_role(None, home, schema=schema)


def portable_pythonpath(home_path: str, program: str | None) -> str:
    """The ``PYTHONPATH`` of a role's program in a home (compat.md §4.7): ``<home>/script``,
    the folder of the recorded ``program`` when it is a ``.py`` and the folder exists, then
    the inherited value."""
    parts = [os.path.join(home_path, "script")]
    if program and program.endswith(".py"):
        folder = os.path.dirname(os.path.abspath(program))
        if os.path.isdir(folder):
            parts.append(folder)
    inherited = os.environ.get("PYTHONPATH")
    if inherited:
        parts.append(inherited)
    return os.pathsep.join(dict.fromkeys(parts))


def portable_environment(home_path: str, role: str) -> dict[str, str]:
    """The environment to run the program of ``role`` with: this one, ``PYTHONPATH`` as
    ``portable_pythonpath``."""
    try:
        program = File(os.path.join(home_path, "role", role, "executable_file"), str).recover()
    except (OSError, CodecRuntimeError):
        program = None
    return dict(os.environ, PYTHONPATH=portable_pythonpath(home_path, program))  # type: ignore[arg-type]


def set_home_role(home_path: str, role: str, temp_dir: str | None) -> None:
    """Fill in ``HR`` for the run of ``role`` (``lc.create``), and put ``<home>/script``
    first on the ``PYTHONPATH`` its children inherit (a portable image's modules, compat.md
    §4.7); ``HR`` is left as it is when the role cannot be opened."""
    with contextlib.suppress(OSError, CodecRuntimeError):
        program = File(os.path.join(home_path, "role", role, "executable_file"), str).recover()
        os.environ["PYTHONPATH"] = portable_pythonpath(home_path, program)  # type: ignore[arg-type]
        script = os.path.join(home_path, "script")
        if script not in sys.path:
            sys.path.insert(1, script)  # after the program's own folder
    try:
        home = open_role(os.path.join(home_path, "role", role), os.path.join(home_path, "resource"))
    except ValueError:
        return
    if home is None:
        return
    HR.home_path = home_path
    HR.role_name = role
    HR.home_role = home
    HR.model = home.model
    HR.tmp = home.tmp
    HR.resource = home.resource
    HR.temp_dir = temp_dir
