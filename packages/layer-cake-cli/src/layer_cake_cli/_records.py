"""A role's remembered runs (``start_stop.json``) read without the role's own types.

A role's value may be an instance of a class only its program can import (``api1.Xy``); the
typed reader of the core (``role_start_stop``) then fails on the whole file. This reader
takes the file as plain JSON and decodes each record's value on its own: a value of a type
unknown here stays as its full JSON form ``[signature, data, pointers]`` (compat §2.12), so
``history``, ``returned``, ``log --start``, ``start`` and ``status`` keep working.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from datetime import datetime, timezone

import layer_cake as lc
from layer_cake.daemon import decode_data, role_path

__all__ = [
    "Run",
    "RecordsUnreadable",
    "read_runs",
    "value_label",
    "fault_shaped",
    "KILLED_LABEL",
]

#: The label of a run whose process ended by a signal, or never recorded its end.
KILLED_LABEL = "killed"


class RecordsUnreadable(Exception):
    """``start_stop.json`` is not JSON of the expected shape; ``str()`` says why."""


@dataclass
class Run:
    """One remembered run: times (UTC), and its value as decoded here (``known``) or only
    in its full JSON form (``carried``: ``[signature, data, pointers]``, None for no value)."""

    start: datetime | None
    stop: datetime | None
    carried: list | None
    value: object = None
    known: bool = True

    @property
    def faulted(self) -> bool:
        """A fault, or a value of a fault type that holds a type unknown here (a
        ``NotListening`` whose request names the role's own message types)."""
        if self.known:
            return isinstance(self.value, lc.Faulted)
        return fault_shaped(self.carried) is not None

    @property
    def fault_text(self) -> str | None:
        """The text of the fault (``cannot listen at "..." (...)``), or None."""
        if self.known:
            return str(self.value) if isinstance(self.value, lc.Faulted) else None
        return fault_shaped(self.carried)

    @property
    def signature(self) -> str | None:
        return self.carried[0] if self.carried else None


def fault_shaped(carried: list | None) -> str | None:
    """The text of a value carried as ``[sig, data, pointers]`` whose data has the fields of
    a ``Faulted`` (``condition``, ``explanation``): ``condition (explanation)``; else None."""
    if not carried or not isinstance(carried[1], dict):
        return None
    data = carried[1]
    condition = data.get("condition")
    if not isinstance(condition, str) or "explanation" not in data:
        return None
    explanation = data.get("explanation")
    return f"{condition} ({explanation})" if explanation else condition


def _moment(text: object) -> datetime | None:
    if not isinstance(text, str):
        return None
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def _run(record: object) -> Run:
    if not isinstance(record, dict):
        raise RecordsUnreadable("cannot decode (a run is not an object)")
    carried = record.get("returned")
    if not (isinstance(carried, list) and len(carried) == 3 and isinstance(carried[0], str)):
        carried = None
    run = Run(_moment(record.get("start")), _moment(record.get("stop")), carried)
    if carried is not None:
        try:
            run.value = decode_data({"value": carried})
        except lc.CodecRuntimeError:
            run.known = False
    return run


def read_runs(home: str, role: str) -> list[Run]:
    """The remembered runs of ``role``, oldest first (none when there is no file yet).

    Raises:
        RecordsUnreadable: the file is not JSON of the expected shape.
    """
    path = os.path.join(role_path(home, role), "start_stop.json")
    try:
        with open(path, encoding="utf-8") as f:
            shipment = json.load(f)
    except FileNotFoundError:
        return []
    except (OSError, ValueError) as error:
        raise RecordsUnreadable(f"cannot read {path} ({error})") from None
    records = shipment.get("value") if isinstance(shipment, dict) else None
    if not isinstance(records, list):
        raise RecordsUnreadable(f"cannot read {path} (not a list of runs)")
    return [_run(record) for record in records]


def value_label(run: Run) -> str:
    """The label of a run's value (compat §2.12): the class of a known message (``Faulted``,
    ``Ack``), the signature of a cast value (``integer8``), the full type name of a value
    unknown here (``api1.Xy``); ``killed`` for a process ended by a signal."""
    if run.carried is None:
        return "None"
    if not run.known:
        return str(run.signature)
    value = run.value
    if isinstance(value, lc.Faulted) and str(value.condition).startswith("killed by signal"):
        return KILLED_LABEL
    if isinstance(value, tuple) and len(value) == 2 and isinstance(value[1], lc.Portable):
        return value[1].signature()
    if isinstance(value, lc.Incognito):
        return str(value.type_name)
    return type(value).__name__
