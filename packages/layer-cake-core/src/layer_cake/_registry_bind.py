"""``lc.bind``: one registration call that routes by what it is given."""

from __future__ import annotations

import importlib

from . import _build
from .types._errors import PointConstructionError
from .types._portable import Portable
from .types._registry import bind_message

__all__ = ["bind", "compiled"]


def bind(target: object, *args: object, **options: object) -> Portable:
    """Register a message class (routines and machines arrive with the runtime).

    Raises:
        PointConstructionError: the target is not something this release can bind.
        MessageRegistrationError: a message class without usable field types.
    """
    if isinstance(target, type):
        if args:
            raise PointConstructionError(
                f'cannot bind "{target.__qualname__}" (dispatch given for a message class)'
            )
        return bind_message(target, **options)  # type: ignore[arg-type]
    name = getattr(target, "__qualname__", repr(target))
    raise PointConstructionError(
        f'cannot bind "{name}" (only message classes are supported in this release)'
    )


def compiled() -> bool:
    """Whether every hot module in this process is the compiled build."""
    modules = [importlib.import_module(m) for m in _build.HOT_MODULES]
    return _build.check_required(modules)
