"""Refusal stubs for internals of layer-cake 0.1.1 that are not provided (compat §3.0 (R)).

A stub class can be imported, subclassed and used in ``isinstance``; instantiating it, or
calling a stub function, raises ``NotImplementedError`` naming the internal.
"""

from __future__ import annotations

from collections.abc import Callable

__all__ = ["refusal_text", "refused_class", "refused_function"]


def refusal_text(name: str) -> str:
    """The one text of every refusal."""
    return f'"{name}" is an internal of layer-cake 0.1.1 and is not provided; see compat.md'


def refused_function(name: str) -> Callable[..., object]:
    """A function that always refuses."""

    def refused(*a: object, **kw: object) -> object:
        raise NotImplementedError(refusal_text(name))

    refused.__name__ = refused.__qualname__ = name
    refused.__doc__ = f"Not provided: {refusal_text(name)}."
    return refused


def refused_class(name: str, base: type = object) -> type:
    """A class that can be subclassed and tested against but never instantiated."""

    def __init__(self: object, *a: object, **kw: object) -> None:
        raise NotImplementedError(refusal_text(name))

    return type(
        name, (base,), {"__init__": __init__, "__doc__": f"Not provided: {refusal_text(name)}."}
    )
