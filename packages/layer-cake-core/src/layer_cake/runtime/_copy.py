"""``copy_before_sending``: a copy made from the registered schema, not ``copy.deepcopy``.

The copy is the compiled codec walker's round trip through the data form, so it follows the
same rules as the wire (shared pointers stay shared). Messages whose fields are all immutable
scalars are never copied (``MessageSpec.immutable``); the caller checks that first.
"""

from __future__ import annotations

from ..types._convert import Decoder, Encoder

__all__ = ["copy_message"]


def copy_message(message: object, spec: object) -> object:
    """A copy of a bound-class instance that shares no mutable state with it."""
    encoder = Encoder(True)
    data = encoder.fields(message, spec)
    table = None
    if encoder.table:
        table = {alias: raw for alias, raw in encoder.table}
    decoder = Decoder(True, table)
    copy = spec.cls()  # type: ignore[attr-defined]
    decoder.fill(copy, data, spec)
    return copy
