"""Typed errors of the type system and codecs."""

from __future__ import annotations

__all__ = [
    "CodecError",
    "CodecRuntimeError",
    "CodecUsageError",
    "EnumerationRuntimeError",
    "MessageError",
    "MessageRegistrationError",
    "PointConstructionError",
    "ConversionError",
    "ConversionDecodeError",
    "ConversionEncodeError",
    "TypeTrack",
]


class CodecError(Exception):
    """A value that cannot be encoded at all (e.g. a class bound with ``not_portable``)."""


class CodecRuntimeError(CodecError):
    """Encoding or decoding failed on this input; the text names the field and the problem."""


class CodecUsageError(CodecError):
    """A codec called the wrong way (e.g. an unregistered value written without a type).

    ``CodecUsageError(note, *a)``: the text is ``note % a``, as in layer-cake 0.1.
    """

    def __init__(self, note: str, *a: object) -> None:
        Exception.__init__(self, note % a if a else note)
        self.note = note


class EnumerationRuntimeError(CodecError):
    """An enumeration used the wrong way by a codec; the text is the note."""

    def __init__(self, note: str) -> None:
        Exception.__init__(self, note)
        self.note = note


class MessageError(Exception):
    """Base of the errors about message classes (compat §3.4)."""


class MessageRegistrationError(MessageError):
    """A class could not be registered as a message (``cannot register "C.f" (...)``)."""


class PointConstructionError(Exception):
    """A type expression, binding or object declaration is unusable."""


class ConversionError(ValueError):
    """A text form that cannot be read or written; also a ``ValueError`` (compat §2.11)."""


class ConversionDecodeError(ConversionError):
    """``cannot recover <need> from "<text>"``, raised by every ``text_to_*``."""

    def __init__(self, need: str, text: object) -> None:
        ValueError.__init__(self, need, text)
        self.need = need
        self.text = text

    def __str__(self) -> str:
        return f'cannot recover {self.need} from "{self.text}"'


class ConversionEncodeError(ConversionError):
    """``cannot represent <text> as a <need>``."""

    def __init__(self, need: str, text: object) -> None:
        ValueError.__init__(self, need, text)
        self.need = need
        self.text = text

    def __str__(self) -> str:
        return f"cannot represent {self.text} as a {self.need}"


class TypeTrack(Exception):
    """A type problem found at ``name``; enclosing names are appended to ``path`` while it
    unwinds (``correct_track`` prints the whole path)."""

    def __init__(self, name: object, reason: str) -> None:
        Exception.__init__(self, reason)
        self.path: list = [name]
        self.reason = reason

    def __str__(self) -> str:
        return self.reason
