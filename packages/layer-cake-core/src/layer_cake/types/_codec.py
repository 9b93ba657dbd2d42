"""Codec objects of layer-cake 0.1 (``CodecJson``, ``CodecNoop``) and their helper functions
(compat §3.1, §3.2).

A codec turns a typed value into a *word* (the ``{"value": ...}`` shipment of plain data built
by ``_json.encode_data``) and the word into its representation: JSON text for ``CodecJson``,
the word itself for ``CodecNoop``. Decoding runs the other way. The per-type ``p2w_*`` /
``w2p_*`` functions are the scalar steps of that walk, kept for programs that called them.
"""

from __future__ import annotations

import base64
import json
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta

from .._refused import refused_function
from . import _text
from ._argument import _TEXT_KINDS, needs_full_encoding
from ._argument import decode_argument as _decode_argument
from ._argument import encode_argument as _encode_argument
from ._convert import Decoder, Encoder, Fault, fault_text
from ._errors import CodecRuntimeError
from ._hints import def_type
from ._json import decode_data, encode_data
from ._message import Incognito, resolve_signature
from ._portable import (
    K_ANY,
    K_BOOLEAN,
    K_USER,
    Portable,
)
from ._pretty import pretty_dumps
from ._registry import SPECS

__all__ = [
    "Codec",
    "CodecJson",
    "CodecNoop",
    "word_to_json",
    "json_to_word",
    "word_to_noop",
    "noop_to_word",
    "python_to_word",
    "word_to_python",
    "pass_thru",
    "p2w_span",
    "p2w_clock",
    "p2w_world",
    "p2w_delta",
    "p2w_uuid",
    "p2w_block",
    "p2w_string",
    "p2w_type",
    "p2w_enumeration",
    "w2p_span",
    "w2p_clock",
    "w2p_world",
    "w2p_delta",
    "w2p_uuid",
    "w2p_block",
    "w2p_string",
    "w2p_type",
    "w2p_enumeration",
    "p2w_any",
    "w2p_any",
    "p2w_portable",
    "w2p_portable",
    "decode_argument",
    "encode_argument",
]

_compact = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False)


def _expression(t: object) -> Portable:
    return t if isinstance(t, Portable) else def_type(t)


def _is_message(value: object) -> bool:
    t = type(value)
    return (
        value is None
        or t in SPECS
        or t is Incognito
        or (t is tuple and len(value) == 2 and isinstance(value[1], Portable))  # type: ignore[arg-type]
    )


class Codec:
    """Base of the codecs: value <-> word <-> representation.

    Args:
        extension: the file name extension of the representation (``json``).
        w2t: word -> representation, called as ``w2t(codec, word)``.
        t2w: representation -> word, called as ``t2w(codec, representation)``.
        return_proxy, local_termination: address rewriting of layer-cake 0.1's transports;
            kept as attributes (addresses are rewritten by the transports here).
        pretty_format: indented, key-sorted text.
        decorate_names: ``full_name`` appends ``.<extension>``.
    """

    def __init__(
        self,
        extension: str,
        w2t: Callable[[Codec, object], object],
        t2w: Callable[[Codec, object], object],
        return_proxy: object = None,
        local_termination: object = None,
        pretty_format: bool = False,
        decorate_names: bool = True,
    ) -> None:
        self.extension = extension
        self.w2t = w2t
        self.t2w = t2w
        self.return_proxy = return_proxy
        self.local_termination = local_termination
        self.pretty_format = pretty_format
        self.decorate_names = decorate_names

    def full_name(self, name: str) -> str:
        """``name`` plus ``.<extension>`` when names are decorated."""
        return f"{name}.{self.extension}" if self.decorate_names else name

    def encode(self, value: object, expression: object, address_book: object = None) -> object:
        """The representation of ``value`` of type ``expression`` (a portable, hint or class).

        Raises:
            CodecRuntimeError: ``cannot encode (...)``; a raw value given as ``Any`` is
                ``cannot encode (no transform int/Any)``.
        """
        p = _expression(expression)
        if p.kind == K_ANY and not _is_message(value):
            raise CodecRuntimeError(f"cannot encode (no transform {type(value).__name__}/Any)")
        word = encode_data(value, p)
        return self.w2t(self, word)

    def decode(
        self, representation: object, expression: object, address_book: object = None
    ) -> object:
        """The value of type ``expression`` held by ``representation``.

        Raises:
            CodecRuntimeError: ``cannot decode (...)`` with the reason.
        """
        p = _expression(expression)
        word = self.t2w(self, representation)
        return decode_data(word, p)


def word_to_json(c: Codec, w: object) -> str:
    """A word as JSON text: compact, or 4-space indented with sorted keys (``pretty_format``)."""
    try:
        return pretty_dumps(w) if c.pretty_format else _compact.encode(w)
    except (TypeError, ValueError) as e:
        raise CodecRuntimeError(f"cannot encode ({e})") from None


def json_to_word(c: Codec, j: str | bytes | bytearray) -> object:
    """JSON text as a word.

    Raises:
        CodecRuntimeError: ``cannot decode (<parser error>)``.
    """
    try:
        return json.loads(j)
    except (ValueError, TypeError, RecursionError) as e:
        raise CodecRuntimeError(f"cannot decode ({e})") from None


def word_to_noop(c: Codec, w: object) -> object:
    """The word itself."""
    return w


def noop_to_word(c: Codec, s: object) -> object:
    """The representation itself."""
    return s


class CodecJson(Codec):
    """JSON text: ``CodecJson().encode(Xy(1, 2), UserDefined(Xy))`` is
    ``{"value":{"x":1,"y":2}}``."""

    def __init__(
        self,
        return_proxy: object = None,
        local_termination: object = None,
        pretty_format: bool = False,
        decorate_names: bool = True,
    ) -> None:
        Codec.__init__(
            self,
            "json",
            word_to_json,
            json_to_word,
            return_proxy,
            local_termination,
            pretty_format,
            decorate_names,
        )


class CodecNoop(Codec):
    """The word itself as the representation (``{'value': {'x': 1, 'y': 2}}``), never text."""

    def __init__(
        self,
        return_proxy: object = None,
        local_termination: object = None,
        pretty_format: bool = False,
        decorate_names: bool = True,
    ) -> None:
        Codec.__init__(
            self,
            "noop",
            word_to_noop,
            noop_to_word,
            return_proxy,
            local_termination,
            pretty_format,
            decorate_names,
        )


# Values <-> words ----------------------------------------------------------------------------


def python_to_word(c: Codec, p: object, t: object) -> object:
    """The JSON-ready data of value ``p`` of type ``t``.

    ``Xy(2, [1.5])`` -> ``{'x': 2, 'y': [1.5]}``.

    Raises:
        CodecRuntimeError: the value does not fit the type.
    """
    try:
        return Encoder(True).convert(p, _expression(t))
    except Fault as f:
        raise CodecRuntimeError(fault_text("encode", f)) from None


def word_to_python(c: Codec, w: object, t: object) -> object:
    """The value of type ``t`` held by data ``w`` (the inverse of ``python_to_word``).

    Raises:
        CodecRuntimeError: the data does not fit the type.
    """
    try:
        return Decoder(True).convert(w, _expression(t))
    except Fault as f:
        raise CodecRuntimeError(fault_text("decode", f)) from None


def pass_thru(c: Codec, p: object, t: object) -> object:
    """``p`` unchanged."""
    return p


def p2w_span(c: Codec, p: float, t: object) -> str:
    return _text.span_to_text(p)


def p2w_clock(c: Codec, p: float, t: object) -> str:
    return _text.clock_to_text(p)


def p2w_world(c: Codec, p: datetime, t: object) -> str:
    return _text.world_to_text(p)


def p2w_delta(c: Codec, p: timedelta, t: object) -> str:
    return _text.delta_to_text(p)


def p2w_uuid(c: Codec, p: uuid.UUID, t: object) -> str:
    return str(p)


def p2w_block(c: Codec, p: bytearray, t: object) -> str:
    """Base64 text (``bytearray(b'ab')`` -> ``'YWI='``)."""
    return base64.b64encode(p).decode("ascii")


def p2w_string(c: Codec, p: bytes, t: object) -> str:
    """Bytes as latin-1 text."""
    return bytes(p).decode("latin-1")


def p2w_type(c: Codec, p: object, t: object) -> str:
    """The signature of a class (``'__main__.Xy'``)."""
    try:
        return Encoder(True).type_path(p)
    except Fault as f:
        raise CodecRuntimeError(f"cannot encode ({f.reason})") from None


def p2w_enumeration(c: Codec, p: object, t: object) -> str:
    """The member name (``'HOST'``)."""
    return p.name  # type: ignore[attr-defined]


def w2p_span(c: Codec, w: str, t: object) -> float:
    return _text.text_to_span(w)


def w2p_clock(c: Codec, w: str, t: object) -> float:
    return _text.text_to_clock(w)


def w2p_world(c: Codec, w: str, t: object) -> datetime:
    """An aware datetime keeping the text's zone (``+1000`` -> UTC+10:00)."""
    return _text.text_to_world(w)


def w2p_delta(c: Codec, w: str, t: object) -> timedelta:
    return _text.text_to_delta(w)


def w2p_uuid(c: Codec, w: str, t: object) -> uuid.UUID:
    return uuid.UUID(w)


def w2p_block(c: Codec, w: str, t: object) -> bytearray:
    return bytearray(base64.b64decode(w, validate=True))


def w2p_string(c: Codec, w: str, t: object) -> bytes:
    return w.encode("latin-1")


def w2p_type(c: Codec, w: str, t: object) -> type:
    """The class named by a signature.

    Raises:
        CodecRuntimeError: no such class here.
    """
    try:
        p = resolve_signature(w)
    except ValueError:
        p = None
    if p is None or p.kind != K_USER:
        raise CodecRuntimeError(f'cannot decode (unknown type "{w}")')
    return p.element  # type: ignore[attr-defined]


def w2p_enumeration(c: Codec, w: str, t: object) -> object:
    """The member of ``t``'s enum named ``w``.

    Raises:
        ValueError: ``undefined enum "ScopeOfDirectory.NOPE"``.
    """
    p = _expression(t)
    element = p.element  # type: ignore[attr-defined]
    try:
        return element[w]
    except KeyError:
        raise ValueError(f'undefined enum "{element.__name__}.{w}"') from None


p2w_any = refused_function("p2w_any")
w2p_any = refused_function("w2p_any")
p2w_portable = refused_function("p2w_portable")
w2p_portable = refused_function("w2p_portable")


# Argument text -------------------------------------------------------------------------------


def decode_argument(c: Codec, s: str | None, t: object) -> object:
    """One command-line or query value (types-and-encoding §8): ``('3', Integer8)`` -> 3.

    A name given without a value (``s`` is None) is True for a boolean, else None.

    Raises:
        CodecRuntimeError: the text does not fit the type.
    """
    p = _expression(t)
    if s is None:
        return True if p.kind == K_BOOLEAN else None
    return _decode_argument(s, p)


def encode_argument(c: Codec, p: object, t: object) -> str:
    """Argument text of a value (the inverse of ``decode_argument``): text-like types verbatim,
    others as JSON with ``json.dumps`` spacing (``'[1, 2]'``); None is ``'true'`` for a boolean
    (the bare flag), else ``'null'``.

    Raises:
        CodecRuntimeError: the value does not fit the type.
    """
    portable = _expression(t)
    k = portable.kind
    if p is None:
        return "true" if k == K_BOOLEAN else "null"
    if k in _TEXT_KINDS:
        return _encode_argument(p, portable)
    if k != K_ANY and needs_full_encoding(portable):
        return json.dumps(encode_data(p, portable))
    try:
        return json.dumps(Encoder(True).convert(p, portable))
    except Fault as f:
        raise CodecRuntimeError(f"cannot encode ({f.reason})") from None
