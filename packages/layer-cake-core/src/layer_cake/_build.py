"""Which build of the hot modules is loaded: compiled (Cython) or the pure-Python twin.

Each module in HOT_MODULES is a plain ``.py`` file (Cython pure-Python mode) with a sibling
``.pxd``; ``setup.py`` compiles exactly this list. Python prefers the compiled extension when
both exist. ``LC_PURE_PYTHON=1`` installs a finder that loads the ``.py`` twin instead, so
one installation serves both test runs; ``LC_REQUIRE_COMPILED=1`` makes a missing or failed
extension an ImportError rather than a silent fallback.
"""

from __future__ import annotations

import importlib.machinery
import importlib.util
import os
import sys
from types import ModuleType

__all__ = ["HOT_MODULES", "PURE_PYTHON_FORCED", "COMPILED_REQUIRED", "install", "is_compiled"]

#: The one list of modules compiled by setup.py (dotted names).
HOT_MODULES: tuple[str, ...] = (
    "layer_cake.types._convert",
    "layer_cake.types._pretty",
    "layer_cake.net._frame",
    "layer_cake.runtime._dispatch",
    "layer_cake.types._wire",
    "layer_cake.net._transport",
    "layer_cake.net._link",
    "layer_cake.net._proxy",
    "layer_cake.runtime._routine",
    "layer_cake.runtime._object",
    "layer_cake.runtime._machine",
    "layer_cake.runtime._spool",
    "layer_cake.runtime._concurrency",
    "layer_cake.net._http_link",
    "layer_cake.net._http_server",
)

PURE_PYTHON_FORCED = os.environ.get("LC_PURE_PYTHON", "") not in ("", "0")
COMPILED_REQUIRED = os.environ.get("LC_REQUIRE_COMPILED", "") not in ("", "0")


class _SourceTwinFinder:
    """Meta-path finder that resolves hot modules to their ``.py`` source."""

    @classmethod
    def find_spec(cls, fullname, path=None, target=None):  # type: ignore[no-untyped-def]
        if fullname not in HOT_MODULES or not path:
            return None
        leaf = fullname.rpartition(".")[2]
        for folder in path:
            source = os.path.join(folder, leaf + ".py")
            if os.path.isfile(source):
                loader = importlib.machinery.SourceFileLoader(fullname, source)
                return importlib.util.spec_from_file_location(fullname, source, loader=loader)
        return None


def install() -> None:
    """Apply the environment's choice of build; called once by ``layer_cake/__init__``."""
    if PURE_PYTHON_FORCED and COMPILED_REQUIRED:
        raise ImportError("LC_PURE_PYTHON and LC_REQUIRE_COMPILED are both set")
    if PURE_PYTHON_FORCED and _SourceTwinFinder not in sys.meta_path:
        sys.meta_path.insert(0, _SourceTwinFinder)  # type: ignore[arg-type]


def is_compiled(module: ModuleType | importlib.machinery.ModuleSpec) -> bool:
    """True when ``module`` was (or, given its spec, will be) loaded from a compiled extension."""
    loader = getattr(module, "__loader__", None) or getattr(module, "loader", None)
    return isinstance(loader, importlib.machinery.ExtensionFileLoader)


def check_required(modules: list[ModuleType] | list[importlib.machinery.ModuleSpec]) -> bool:
    """Return whether every hot module is compiled; raise if that is required and not so."""
    compiled = all(is_compiled(m) for m in modules)
    if COMPILED_REQUIRED and not compiled:
        missing = [getattr(m, "__name__", None) or m.name for m in modules if not is_compiled(m)]
        raise ImportError(f"LC_REQUIRE_COMPILED=1 but not compiled: {', '.join(missing)}")
    return compiled
