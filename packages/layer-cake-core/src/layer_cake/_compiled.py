"""Which build of the hot modules this process loaded."""

from __future__ import annotations

import importlib

from . import _build

__all__ = ["compiled"]


def compiled() -> bool:
    """Whether every hot module in this process is the compiled build."""
    modules = [importlib.import_module(m) for m in _build.HOT_MODULES]
    return _build.check_required(modules)
