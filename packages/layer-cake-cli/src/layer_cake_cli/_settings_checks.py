"""Checks of settings the role's program would store without complaint but that cannot
work (issue 12.5): a misspelt ``retry`` key silently turns restarts off, a port out of
1...65535 listens somewhere else, a ``main_role`` that is no role never ends the group, and
``directory_at_host`` with ``directory_at_lan`` leaves the group's parent ambiguous.

The program still decodes and stores the values (cli §3); these checks only refuse, before
it runs, what its schema lets through.
"""

from __future__ import annotations

import inspect
import json
from collections.abc import Iterable

import layer_cake as lc

__all__ = ["settings_given", "settings_fault", "HOST_PORT_SETTINGS"]

#: Settings holding a ``HostPort`` (in every program that takes them).
HOST_PORT_SETTINGS = ("directory_at_host", "directory_at_lan", "accept_directories_at")

_SHORT = {"dah": "directory_at_host", "dal": "directory_at_lan", "mr": "main_role"}
_RETRY_KEYS = tuple(inspect.signature(lc.RetryIntervals).parameters)


def settings_given(settings: Iterable[str]) -> dict[str, str | None]:
    """``{name: text}`` of ``--name=text``/``-x=text`` settings (``None``: no ``=``), names
    with ``_``; short forms of the group's settings resolved."""
    given: dict[str, str | None] = {}
    for arg in settings:
        if not arg.startswith("-"):
            continue
        name, equals, text = arg.lstrip("-").partition("=")
        name = _SHORT.get(name, name).replace("-", "_")
        given[name] = text if equals else None
    return given


def _host_port_fault(name: str, text: str | None) -> str | None:
    if text is None:
        return None
    try:
        value = json.loads(text)
    except ValueError:
        return None  # the program's own decoding says what is wrong
    if isinstance(value, dict) and "port" in value:
        port = value["port"]
        if not isinstance(port, int) or isinstance(port, bool) or not 1 <= port <= 65535:
            return f'cannot decode value for "{name}" (port {port} not in the range 1...65535)'
    return None


def _retry_fault(text: str | None) -> str | None:
    if text is None:
        return None
    try:
        value = json.loads(text)
    except ValueError:
        return None
    if not isinstance(value, dict):
        return None
    unknown = sorted(k for k in value if k not in _RETRY_KEYS)
    if unknown:
        known = ", ".join(_RETRY_KEYS)
        return (
            f'cannot decode value for "retry" (unknown key(s) "{",".join(unknown)}", '
            f"expecting {known})"
        )
    return None


def settings_fault(
    settings: Iterable[str],
    roles: Iterable[str] | None = None,
    stored: dict[str, object] | None = None,
) -> str | None:
    """The first reason to refuse ``settings``, or None.

    Args:
        settings: the arguments passed on to the program.
        roles: the home's roles, when ``main_role`` must name one of them (the group).
        stored: the settings already stored (``directory_at_*`` exclusion after a merge).
    """
    given = settings_given(settings)
    for name in HOST_PORT_SETTINGS:
        if name in given:
            fault = _host_port_fault(name, given[name])
            if fault is not None:
                return fault
    if "retry" in given:
        fault = _retry_fault(given["retry"])
        if fault is not None:
            return fault
    merged = {**(stored or {}), **given}
    if merged.get("directory_at_host") and merged.get("directory_at_lan"):
        return "give one of --directory-at-host and --directory-at-lan"
    if roles is not None and given.get("main_role"):
        main_role = given["main_role"]
        if main_role not in set(roles):
            return f'main role "{main_role}" is not a role of the home'
    return None
