"""Typed errors of the type system and codecs."""

from __future__ import annotations

__all__ = [
    "CodecError",
    "CodecRuntimeError",
    "MessageRegistrationError",
    "PointConstructionError",
]


class CodecError(Exception):
    """A value that cannot be encoded at all (e.g. a class bound with ``not_portable``)."""


class CodecRuntimeError(CodecError):
    """Encoding or decoding failed on this input; the text names the field and the problem."""


class MessageRegistrationError(Exception):
    """A class could not be registered as a message (``cannot register "C.f" (...)``)."""


class PointConstructionError(Exception):
    """A type expression, binding or object declaration is unusable."""
