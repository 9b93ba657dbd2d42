# cython: annotation_typing=False
"""Pretty JSON text (4-space indent, sorted keys): the form of HTTP bodies, files and CLI output.

The stdlib falls back to its pure-Python encoder whenever ``indent`` is set, which made the
pretty body of a small HTTP response cost more than everything else in the request. This
module produces exactly ``json.dumps(data, indent=4, sort_keys=True, ensure_ascii=False)``
for the data forms our codecs build (dicts with str keys, lists, str, int, float, bool,
None), using the C string escaper; compiled by Cython (``_pretty.pxd``).
"""

from __future__ import annotations

import json.encoder

__all__ = ["pretty_dumps"]

_escape = json.encoder.encode_basestring  # the C escaper when available
_float_repr = float.__repr__
_int_repr = int.__repr__
_INFINITY = float("inf")
_INDENTS: list = ["\n" + " " * (4 * i) for i in range(64)]


def _indent(level: int) -> str:
    if level < 64:
        return _INDENTS[level]
    return "\n" + " " * (4 * level)


def _float(value: float) -> str:
    if value != value:  # noqa: PLR0124 - NaN is the one value unequal to itself
        return "NaN"
    if value == _INFINITY:
        return "Infinity"
    if value == -_INFINITY:
        return "-Infinity"
    return _float_repr(value)


def _write(value: object, level: int, out: list) -> None:
    t = type(value)
    if t is str:
        out.append(_escape(value))
    elif t is float:
        out.append(_float(value))
    elif t is int:
        out.append(_int_repr(value))
    elif t is list or t is tuple:
        if not value:
            out.append("[]")
            return
        inner = _indent(level + 1)
        out.append("[")
        first = True
        for item in value:
            if first:
                first = False
                out.append(inner)
            else:
                out.append("," + inner)
            _write(item, level + 1, out)
        out.append(_indent(level))
        out.append("]")
    elif t is dict:
        if not value:
            out.append("{}")
            return
        inner = _indent(level + 1)
        out.append("{")
        first = True
        for key in sorted(value):
            if first:
                first = False
                out.append(inner)
            else:
                out.append("," + inner)
            out.append(_escape(key) if type(key) is str else _escape(_key(key)))
            out.append(": ")
            _write(value[key], level + 1, out)
        out.append(_indent(level))
        out.append("}")
    elif value is None:
        out.append("null")
    elif value is True:
        out.append("true")
    elif value is False:
        out.append("false")
    elif isinstance(value, int):
        out.append(_int_repr(int(value)))
    elif isinstance(value, float):
        out.append(_float(float(value)))
    elif isinstance(value, str):
        out.append(_escape(str(value)))
    else:
        raise TypeError(f"Object of type {t.__name__} is not JSON serializable")


def _key(key: object) -> str:
    """Non-str keys as json.dumps writes them."""
    if key is True:
        return "true"
    if key is False:
        return "false"
    if key is None:
        return "null"
    if type(key) is float:
        return _float(key)
    if isinstance(key, int):
        return _int_repr(int(key))
    raise TypeError(f"keys must be str, int, float, bool or None, not {type(key).__name__}")


def pretty_dumps(value: object) -> str:
    """``json.dumps(value, indent=4, sort_keys=True, ensure_ascii=False)``, faster."""
    out: list = []
    _write(value, 0, out)
    return "".join(out)
