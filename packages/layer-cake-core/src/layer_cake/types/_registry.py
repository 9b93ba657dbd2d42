"""Registration of message classes: ``bind_message`` builds each class's schema once.

The schema (``MessageSpec``) is stored on the class as ``__lc_message__`` so the codecs reach
it with one attribute read. Registration is idempotent and thread-safe.
"""

from __future__ import annotations

import inspect
import threading
import typing

from ._errors import MessageRegistrationError, PointConstructionError
from ._hints import hint_to_portable
from ._portable import (
    K_ANY,
    K_BLOCK,
    K_POINTER,
    K_WORD,
    Portable,
    UserDefined,
    class_path,
    install,
)

__all__ = ["MessageSpec", "SPECS", "bind_message", "bind_library_message", "message_spec"]

_lock = threading.RLock()

#: Exact class -> its schema; the hot paths read this (a dict lookup) rather than
#: ``type(m).__dict__``, which builds a mappingproxy on every call.
SPECS: dict[type, MessageSpec] = {}

# Kinds whose values may be mutated in place by a sender after sending.
_MUTABLE_KINDS = frozenset((K_BLOCK, K_POINTER, K_ANY, K_WORD))


class MessageSpec:
    """A registered class's schema and options."""

    __slots__ = (
        "cls",
        "copy_before_sending",
        "execution_trace",
        "fields",
        "immutable",
        "message_trail",
        "needs_copy",
        "not_portable",
        "portable",
        "signature",
    )

    def __init__(self, cls: type, signature: str) -> None:
        self.cls = cls
        self.signature = signature
        self.fields: tuple[tuple[str, Portable], ...] = ()
        self.portable: UserDefined | None = None
        self.message_trail = True
        self.execution_trace = True
        self.copy_before_sending = True
        self.not_portable = False
        self.immutable = False  # all fields are immutable scalars: never copied
        self.needs_copy = False  # copy_before_sending and some field is mutable

    def __repr__(self) -> str:
        names = ", ".join(f"{n}: {p.signature()}" for n, p in self.fields)
        return f"<MessageSpec {self.signature} ({names})>"

    # The two attributes layer-cake 0.1's runtime record (``__art__``) offered; ``un_cast``
    # returns this spec in its place (compat §3.4).
    @property
    def path(self) -> str:
        """The dotted name of the class (its signature)."""
        return self.signature

    @property
    def schema(self) -> dict[str, Portable]:
        """``{field: portable}``."""
        return dict(self.fields)


def message_spec(cls: type) -> MessageSpec | None:
    """The schema of a bound class, or None."""
    return cls.__dict__.get("__lc_message__")


def bind_message(
    cls: type,
    message_trail: bool = True,
    execution_trace: bool = True,
    copy_before_sending: bool = True,
    not_portable: bool = False,
    **field_types: object,
) -> UserDefined:
    """Register ``cls`` as a message; field types come from keywords, annotations,
    ``__init__`` hints or the default value's type, in that order.

    Raises:
        MessageRegistrationError: not default-constructible, or a field without a type.
    """
    return _bind(
        cls, None, message_trail, execution_trace, copy_before_sending, not_portable, field_types
    )


def bind_library_message(cls: type, signature: str, **field_types: object) -> UserDefined:
    """Register a library class under its fixed canonical signature (types §5)."""
    return _bind(cls, signature, True, True, True, False, field_types)


def _bind(
    cls: type,
    signature: str | None,
    message_trail: bool,
    execution_trace: bool,
    copy_before_sending: bool,
    not_portable: bool,
    field_types: dict[str, object],
) -> UserDefined:
    if not isinstance(cls, type):
        raise MessageRegistrationError(f'cannot register "{cls!r}" (not a class)')
    with _lock:
        spec = cls.__dict__.get("__lc_message__")
        if spec is None or field_types or signature is not None:
            try:
                default = cls()
            except Exception as e:
                raise MessageRegistrationError(
                    f'cannot register "{cls.__qualname__}" (not default-constructible: {e})'
                ) from None
            spec = MessageSpec(cls, signature or class_path(cls))
            cls.__lc_message__ = spec  # type: ignore[attr-defined]  # before fields: self-references
            try:
                spec.fields = _schema(cls, default, field_types)
            except MessageRegistrationError:
                del cls.__lc_message__  # type: ignore[attr-defined]
                raise
            portable = install(UserDefined(cls))
            if portable.element is not cls:  # type: ignore[attr-defined]
                del cls.__lc_message__  # type: ignore[attr-defined]
                other = portable.element  # type: ignore[attr-defined]
                raise MessageRegistrationError(
                    f'cannot register "{cls.__qualname__}" (signature "{spec.signature}" is '
                    f"already bound to another class, {other.__module__}.{other.__qualname__})"
                )
            spec.portable = portable  # type: ignore[assignment]
            SPECS[cls] = spec
        spec.message_trail = message_trail
        spec.execution_trace = execution_trace
        spec.copy_before_sending = copy_before_sending
        spec.not_portable = not_portable
        spec.immutable = all(
            not p.structural and p.kind not in _MUTABLE_KINDS for _, p in spec.fields
        )
        spec.needs_copy = copy_before_sending and not spec.immutable and not not_portable
        assert spec.portable is not None
        return spec.portable


def _type_hints(target: object) -> dict[str, object]:
    try:
        return typing.get_type_hints(target)
    except Exception:
        # Unresolvable forward references: fall back to the raw annotations.
        return dict(getattr(target, "__annotations__", {}) or {})


def _schema(
    cls: type, default: object, field_types: dict[str, object]
) -> tuple[tuple[str, Portable], ...]:
    annotations = {
        n: h
        for n, h in _type_hints(cls).items()
        if not n.startswith("_")
        and typing.get_origin(h) is not typing.ClassVar
        and h is not typing.ClassVar
    }
    init = cls.__init__
    params: list[str] = []
    init_hints: dict[str, object] = {}
    if inspect.isfunction(init):
        kinds = (inspect.Parameter.POSITIONAL_OR_KEYWORD, inspect.Parameter.KEYWORD_ONLY)
        params = [
            p.name for p in list(inspect.signature(init).parameters.values())[1:] if p.kind in kinds
        ]
        init_hints = _type_hints(init)
    names: list[str] = []
    for n in (*params, *annotations, *field_types):
        if n not in names:
            names.append(n)

    fields: list[tuple[str, Portable]] = []
    for n in names:
        declared = n in field_types or n in annotations
        if not declared and not hasattr(default, n):
            continue  # an __init__ parameter that is not stored on the instance
        if n in field_types:
            hint = field_types[n]
        elif n in annotations:
            hint = annotations[n]
        elif n in init_hints:
            hint = init_hints[n]
        else:
            value = getattr(default, n, None)
            if value is None:
                raise MessageRegistrationError(
                    f'cannot register "{cls.__qualname__}.{n}" (no type information)'
                )
            hint = type(value)
        if isinstance(hint, str):
            raise MessageRegistrationError(
                f'cannot register "{cls.__qualname__}.{n}" (unresolved hint "{hint}")'
            )
        try:
            p = hint_to_portable(hint)
        except (PointConstructionError, TypeError) as e:
            raise MessageRegistrationError(
                f'cannot register "{cls.__qualname__}.{n}" ({e})'
            ) from None
        if p is not None:
            fields.append((n, p))
    return tuple(fields)
