"""Where a process keeps its materials (api-core §13).

In a home (``CL.home_path`` and ``CL.role_name`` both set) the folders are those of the
home layout (cli.md §2): ``<home>/resource/<executable-file>/`` shared by every role of an
executable, ``<home>/role/<role>/model/`` private and persistent, ``<home>/role/<role>/tmp/``
emptied at each start. Standalone, resources come from ``--resource-path`` (else none), the
model from ``--model-path`` (else the current directory), and tmp is a temporary folder made
on first use and deleted at exit.

Paths are computed from ``CL`` at each call; only the standalone temporary folder and the
"tmp already emptied" marks are kept for the life of the process.
"""

from __future__ import annotations

import atexit
import os
import shutil
import sys
import tempfile
import threading

from ._command_line import CL
from ._persistence import Folder, remove_contents

__all__ = [
    "resource_folder",
    "model_folder",
    "tmp_folder",
    "resource_path",
    "model_path",
    "tmp_path",
]

_lock = threading.Lock()
_standalone_tmp: list[str] = []  # the process's temporary folder, once made
_emptied: set[str] = set()  # home tmp folders already emptied by this process


def _role_folder() -> str | None:
    """``<home>/role/<role>`` (absolute), or None when not running in a home."""
    if not CL.home_path or not CL.role_name:
        return None
    return os.path.join(os.path.abspath(CL.home_path), "role", CL.role_name)


def _executable_file() -> str:
    """The file name of the running program (``server.py``, ``host-cake``)."""
    return os.path.basename(sys.argv[0]) if sys.argv and sys.argv[0] else "python"


def resource_path() -> str | None:
    """The folder of read-only materials: ``<home>/resource/<executable-file>``, or
    ``--resource-path``, or None."""
    if _role_folder() is not None:
        home = os.path.abspath(CL.home_path)  # type: ignore[arg-type]
        return os.path.join(home, "resource", _executable_file())
    if CL.resource_path:
        return os.path.abspath(CL.resource_path)
    return None


def model_path() -> str:
    """The folder of persistent private data: ``<home>/role/<role>/model``, or
    ``--model-path``, or the current directory."""
    role = _role_folder()
    if role is not None:
        return os.path.join(role, "model")
    if CL.model_path:
        return os.path.abspath(CL.model_path)
    return os.getcwd()


def tmp_path() -> str:
    """The folder of scratch data, present and (in a home) emptied on first use.

    In a home: ``<home>/role/<role>/tmp``, emptied at the first call of the process.
    Standalone: a new temporary folder, deleted when the process exits.
    """
    role = _role_folder()
    with _lock:
        if role is not None:
            path = os.path.join(role, "tmp")
            if path not in _emptied:
                os.makedirs(path, exist_ok=True)
                remove_contents(path)
                _emptied.add(path)
            return path
        if not _standalone_tmp:
            path = tempfile.mkdtemp(prefix="layer-cake-")
            atexit.register(_delete_standalone_tmp, path, os.getpid())
            _standalone_tmp.append(path)
        return _standalone_tmp[0]


def _delete_standalone_tmp(path: str, owner: int) -> None:
    # A forked child inherits the atexit list; only the process that made the folder deletes it.
    if os.getpid() == owner:
        shutil.rmtree(path, ignore_errors=True)


def resource_folder() -> Folder | None:
    """``resource_path()`` as a ``Folder`` (not created when missing: resources are supplied,
    by the CLI's ``resource`` command or ``--resource-path``), or None."""
    path = resource_path()
    return None if path is None else Folder(path, auto_create=False)


def model_folder() -> Folder:
    """``model_path()`` as a ``Folder``, created when missing."""
    return Folder(model_path())


def tmp_folder() -> Folder:
    """``tmp_path()`` as a ``Folder``."""
    return Folder(tmp_path())
