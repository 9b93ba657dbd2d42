"""Which build of the hot modules this process loaded."""

from __future__ import annotations

import importlib
import importlib.util
import sys

from . import _build

__all__ = ["compiled"]


def compiled() -> bool:
    """Whether every hot module in this process is (or will be) the compiled build.

    Read from the modules' specs, not by importing them: the transport, the wire codec and
    the routines are hot modules too, and importing them would load asyncio and the network
    stack into every process at ``import layer_cake`` (issue 13's import set)."""
    specs = []
    for name in _build.HOT_MODULES:
        module = sys.modules.get(name)
        spec = module.__spec__ if module is not None else importlib.util.find_spec(name)
        if spec is None:
            raise ImportError(f"hot module {name} is missing", name=name)
        specs.append(spec)
    return _build.check_required(specs)
