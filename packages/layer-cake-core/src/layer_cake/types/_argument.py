"""Values as text: command-line ``--name=value``, HTTP query and form fields (types §8).

Text-like types are taken verbatim (no quotes); times, UUIDs, enums and types use their text
forms; everything else is a JSON fragment of the data form; types that hold pointers or a
nested ``Any`` need the full ``{"value": ..., "pointer": [...]}`` encoding.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Callable

from ._convert import Decoder, Encoder, Fault
from ._errors import CodecRuntimeError
from ._json import decode_data, encode_data
from ._portable import (
    K_ANY,
    K_ARRAY,
    K_BLOCK,
    K_BOOLEAN,
    K_CLOCK,
    K_DELTA,
    K_DEQUE,
    K_ENUM,
    K_FLOAT,
    K_INTEGER,
    K_MAP,
    K_POINTER,
    K_SET,
    K_SPAN,
    K_STRING,
    K_TYPE,
    K_UNICODE,
    K_USER,
    K_UUID,
    K_VECTOR,
    K_WORLD,
    Portable,
)

__all__ = ["argument_form", "decode_argument", "encode_argument", "needs_full_encoding"]

#: Class -> (parser of its short text form, what the error says is expected); see argument_form.
_FORMS: dict[type, tuple[Callable[[str], object | None], str]] = {}


def argument_form(cls: type, parse: Callable[[str], object | None], expected: str) -> None:
    """Let a class be written in a short text form besides its JSON one (``host:port`` for a
    ``HostPort``). ``parse(text)`` returns the value, None when ``text`` is not that form (JSON
    is tried then), or raises ``ValueError`` with the reason; ``expected`` names both forms in
    the error for text that is neither."""
    _FORMS[cls] = (parse, expected)


# JSON's number grammar (what json.loads would accept), for the fast paths above.
_INTEGER = re.compile(r"-?(?:0|[1-9][0-9]*)")
_NUMBER = re.compile(r"-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][-+]?[0-9]+)?")
_BOOLEANS = {"true": True, "false": False}

_TEXT_KINDS = frozenset(
    (K_UNICODE, K_STRING, K_BLOCK, K_ENUM, K_CLOCK, K_SPAN, K_WORLD, K_DELTA, K_UUID, K_TYPE)
)


def needs_full_encoding(p: Portable) -> bool:
    """True when a value of ``p`` nests pointers or an ``Any`` (not at the top)."""
    return _nests(p, top=True)


def _nests(p: Portable, top: bool) -> bool:
    k = p.kind
    if k == K_POINTER or (k == K_ANY and not top):
        return True
    if k in (K_VECTOR, K_SET, K_DEQUE, K_ARRAY):
        return _nests(p.element, False)  # type: ignore[attr-defined]
    if k == K_MAP:
        return _nests(p.key, False) or _nests(p.value, False)  # type: ignore[attr-defined]
    if k == K_USER:
        spec = p.element.__dict__.get("__lc_message__")  # type: ignore[attr-defined]
        return spec is not None and any(_nests(fp, False) for _, fp in spec.fields)
    return False


def decode_argument(text: str, p: Portable) -> object:
    """The value of ``p`` written as ``text``.

    Raises:
        CodecRuntimeError: the reason only (callers add ``for "name"``).
    """
    k = p.kind
    form_of = _FORMS.get(p.element) if k == K_USER else None  # type: ignore[attr-defined]
    try:
        if k in _TEXT_KINDS:
            return _decode_text(text, p)
        if k == K_INTEGER and _INTEGER.fullmatch(text):  # the common query/CLI cases, no JSON parse
            return Decoder(True).convert(int(text), p)
        if k == K_FLOAT and _NUMBER.fullmatch(text):
            return float(text)
        if k == K_BOOLEAN and text in _BOOLEANS:
            return _BOOLEANS[text]
        if form_of is not None:
            value = form_of[0](text)  # its short form; ValueError: the reason
            if value is not None:
                return value
        form = json.loads(text)
        if k != K_ANY and needs_full_encoding(p):
            return decode_data(form, p)
        return Decoder(True).convert(form, p)
    except CodecRuntimeError:
        raise
    except Fault as f:
        raise CodecRuntimeError(
            f.reason if not f.path else f'near "{f.near()}" ({f.reason})'
        ) from None
    except json.JSONDecodeError as e:
        if form_of is not None:  # neither form: say what both are
            raise CodecRuntimeError(f"expecting {form_of[1]}, not {text}") from None
        raise CodecRuntimeError(str(e)) from None
    except (ValueError, TypeError, binascii.Error) as e:
        raise CodecRuntimeError(str(e)) from None


def _decode_text(text: str, p: Portable) -> object:
    k = p.kind
    if k == K_UNICODE:
        if p.length and len(text) != p.length:
            raise ValueError(f"expected {p.length} character, got {len(text)}")
        return text
    if k == K_STRING:
        b = text.encode("latin-1")
        if p.length and len(b) != p.length:
            raise ValueError(f"expected {p.length} byte, got {len(b)}")
        return b
    if k == K_BLOCK:
        return bytearray(base64.b64decode(text, validate=True))
    return Decoder(True).convert(text, p)  # enum, times, UUID, Type: the JSON text forms


def encode_argument(value: object, p: Portable) -> str:
    """``value`` as argument text: verbatim for text-like types, compact JSON otherwise."""
    k = p.kind
    try:
        if k == K_UNICODE:
            return str(value)
        if k == K_STRING:
            return bytes(value).decode("latin-1")  # type: ignore[arg-type]
        if k in _TEXT_KINDS:
            return str(Encoder(True).convert(value, p))
        if k != K_ANY and needs_full_encoding(p):
            return json.dumps(encode_data(value, p), separators=(",", ":"))
        return json.dumps(Encoder(True).convert(value, p), separators=(",", ":"))
    except Fault as f:
        raise CodecRuntimeError(f"cannot encode ({f.reason})") from None
