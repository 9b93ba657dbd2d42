"""The external JSON encoding: ``{"value": <data>, "pointer": [[alias, data], ...]}``.

Used for HTTP bodies, ``--full-output``, CLI output, settings and files. ``Any`` values take
the form ``[signature, data, aliases]`` (types-and-encoding §9).
"""

from __future__ import annotations

import json

from ._convert import Decoder, Encoder, Fault, fault_text
from ._errors import CodecRuntimeError
from ._portable import Any, Portable, install
from ._pretty import pretty_dumps

__all__ = ["encode_json", "decode_json", "encode_data", "decode_data"]

_ANY = install(Any())
# Compact output skips key sorting: it is for machines, and sorting costs ~40% on big bodies.
_compact = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False)


def encode_data(value: object, portable: Portable = _ANY) -> dict:
    """The shipment as plain data: ``{"value": ...}`` plus ``"pointer"`` when used.

    Raises:
        CodecRuntimeError: the value does not fit the type (the text names the field).
    """
    encoder = Encoder(True)
    try:
        data = encoder.convert(value, portable)
    except Fault as f:
        raise CodecRuntimeError(fault_text("encode", f)) from None
    shipment = {"value": data}
    if encoder.table:
        shipment["pointer"] = encoder.table
    return shipment


def encode_json(value: object, portable: Portable = _ANY, pretty: bool = True) -> str:
    """Encode ``value`` of type ``portable`` (default ``Any``) as JSON text.

    ``pretty``: 4-space indent, sorted keys (files, CLI, HTTP); else compact, no spaces.
    """
    shipment = encode_data(value, portable)
    try:
        return pretty_dumps(shipment) if pretty else _compact.encode(shipment)
    except (TypeError, ValueError) as e:  # e.g. a Word holding something JSON cannot hold
        raise CodecRuntimeError(f"cannot encode ({e})") from None


def decode_data(shipment: object, portable: Portable = _ANY) -> object:
    """Decode a parsed shipment (a dict with ``value``) as ``portable``.

    Raises:
        CodecRuntimeError: not a shipment, or data that does not fit the type.
    """
    if type(shipment) is not dict:
        raise CodecRuntimeError("cannot decode (not a shipment)")
    if "value" not in shipment:
        raise CodecRuntimeError('cannot decode (no "value" available)')
    table = None
    pointers = shipment.get("pointer")
    if pointers is not None:
        if type(pointers) is not list:
            raise CodecRuntimeError("cannot decode (malformed pointer table)")
        table = {}
        for entry in pointers:
            if type(entry) is not list or len(entry) != 2 or type(entry[0]) is not str:
                raise CodecRuntimeError("cannot decode (malformed pointer table)")
            table[entry[0]] = entry[1]
    decoder = Decoder(True, table)
    try:
        return decoder.convert(shipment["value"], portable)
    except Fault as f:
        raise CodecRuntimeError(fault_text("decode", f)) from None
    except RecursionError:
        raise CodecRuntimeError("cannot decode (nested too deeply)") from None


def decode_json(text: str | bytes | bytearray, portable: Portable = _ANY) -> object:
    """Decode JSON text as ``portable`` (default ``Any``).

    Raises:
        CodecRuntimeError: ``cannot decode (...)`` with the reason.
    """
    try:
        shipment = json.loads(text)
    except (ValueError, TypeError, RecursionError) as e:
        raise CodecRuntimeError(f"cannot decode ({e})") from None
    return decode_data(shipment, portable)
