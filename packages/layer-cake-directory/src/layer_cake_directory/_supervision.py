"""What a running group-cake tells the tools about its roles: ``role/group/tmp/supervision.json``.

The group rewrites the file (atomic replace) whenever a role starts, ends or is due to
restart, so ``layer-cake status`` can show what only the supervisor knows: restarts, the
next restart time, the last result of each role and the group's own directory address.
Plain JSON, so a tool reads it without the roles' types:

``{"pid": 123, "directory": "127.0.0.1:40001", "roles": {"w-1": {"restarts": 2,
"restart_at": 1765000000.5 | null, "last": "cannot ... (...)" | null, "faulted": false,
"starting": false}}}``
"""

from __future__ import annotations

import contextlib
import json
import os
from dataclasses import asdict, dataclass, field

__all__ = ["SUPERVISION_FILE", "RoleState", "Supervision", "read_supervision", "write_supervision"]

#: The file, relative to the home.
SUPERVISION_FILE = os.path.join("role", "group", "tmp", "supervision.json")


@dataclass
class RoleState:
    """What the group knows of one role."""

    restarts: int = 0
    restart_at: float | None = None  # epoch seconds of the pending restart
    last: str | None = None  # text of the last result
    faulted: bool = False  # whether the last result was a fault
    starting: bool = False  # waiting for its wave, or started and not yet loaded


@dataclass
class Supervision:
    """The group's state: its pid, its directory's listen address and its roles."""

    pid: int = 0
    directory: str | None = None
    roles: dict[str, RoleState] = field(default_factory=dict)


def write_supervision(home: str, state: Supervision) -> None:
    """Replace the file (best effort: a status that cannot be written is no reason to stop)."""
    path = os.path.join(home, SUPERVISION_FILE)
    temporary = f"{path}.{os.getpid()}"
    with contextlib.suppress(OSError):
        with open(temporary, "w", encoding="utf-8") as f:
            json.dump(asdict(state), f)
        os.replace(temporary, path)


def read_supervision(home: str) -> Supervision | None:
    """The last state written, or None (no file, or not readable)."""
    try:
        with open(os.path.join(home, SUPERVISION_FILE), encoding="utf-8") as f:
            data = json.load(f)
        roles = {name: RoleState(**fields) for name, fields in data.get("roles", {}).items()}
        return Supervision(int(data.get("pid", 0)), data.get("directory"), roles)
    except (OSError, ValueError, TypeError, AttributeError):
        return None
