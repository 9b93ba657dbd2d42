"""Argument-list helpers of layer-cake 0.1's start-up (compat §3.2).

Words and flags are scanned position-independently: ``--name[=value]`` is a long flag,
``-abbr[=value]`` a short one, anything else a word. A flag without ``=`` has the value None.
``extract_arguments`` then decodes the flags a schema knows (types-and-encoding §8) and hands
the rest back as the remainder, which ``remaining_arguments`` turns back into argv text.
"""

from __future__ import annotations

import os

from ..types._argument import decode_argument
from ..types._errors import CodecRuntimeError
from ..types._portable import K_BOOLEAN, Portable

__all__ = [
    "process_flags",
    "break_arguments",
    "extract_arguments",
    "apply_arguments",
    "kv_arguments",
    "remaining_arguments",
]

Flags = tuple[dict[str, "str | None"], dict[str, "str | None"]]


def process_flags(flags: list[str]) -> tuple[list[str], Flags]:
    """``(words, (long, short))``: ``['a', '--x=1', '-y', 'b']`` ->
    ``(['a', 'b'], ({'x': '1'}, {'y': None}))``."""
    words: list[str] = []
    long: dict[str, str | None] = {}
    short: dict[str, str | None] = {}
    for arg in flags:
        if arg.startswith("--") and len(arg) > 2:
            name, eq, value = arg[2:].partition("=")
            long[name] = value if eq else None
        elif arg.startswith("-") and len(arg) > 1:
            name, eq, value = arg[1:].partition("=")
            short[name] = value if eq else None
        else:
            words.append(arg)
    return words, (long, short)


def break_arguments(arguments: list[str]) -> tuple[str, list[str], Flags]:
    """``(absolute path of arguments[0], words, (long, short))`` of a whole argv."""
    words, flags = process_flags(list(arguments[1:]))
    return os.path.abspath(arguments[0]), words, flags


def _initials(name: str) -> str:
    return "".join(word[0] for word in name.split("_") if word)


def extract_arguments(
    schema: dict[str, Portable], flags: Flags
) -> tuple[dict[str, tuple[object, Portable]], Flags]:
    """Decode the flags ``schema`` names: ``({name: (value, portable)}, remainder)``.

    Long names have dashes read as underscores; a short name is the initials of a name's
    words (``debug_level`` -> ``dl``). A bare boolean flag is True, other bare flags None.

    Raises:
        ValueError: a short name matching several names, or a value its type cannot read.
    """
    long, short = flags
    extracted: dict[str, tuple[object, Portable]] = {}
    long_left: dict[str, str | None] = {}
    short_left: dict[str, str | None] = {}
    for given, value in long.items():
        name = given.replace("-", "_")
        if name in schema:
            extracted[name] = (_decode(name, value, schema[name]), schema[name])
        else:
            long_left[given] = value
    for abbr, value in short.items():
        names = [n for n in schema if _initials(n) == abbr]
        if len(names) > 1:
            listed = ", ".join(names)
            raise ValueError(f"ambiguous short settings ({listed}), use long form")
        if names:
            name = names[0]
            extracted[name] = (_decode(name, value, schema[name]), schema[name])
        else:
            short_left[abbr] = value
    return extracted, (long_left, short_left)


def _decode(name: str, value: str | None, p: Portable) -> object:
    if value is None:
        return True if p.kind == K_BOOLEAN else None
    try:
        return decode_argument(value, p)
    except CodecRuntimeError as e:
        raise ValueError(f'cannot decode value for "{name}" ({e})') from None


def apply_arguments(target: object, extracted: dict[str, tuple[object, Portable]]) -> None:
    """Set the attributes of ``target`` named in its schema from extracted ``(value, portable)``
    pairs; names outside the schema are left alone."""
    spec = getattr(type(target), "__lc_message__", None)
    names = {n for n, _ in spec.fields} if spec is not None else set(vars(target))
    for name, (value, _) in extracted.items():
        if name in names:
            setattr(target, name, value)


def kv_arguments(extracted: dict[str, tuple[object, Portable]]) -> dict[str, object]:
    """``{name: value}`` of extracted pairs."""
    return {name: value for name, (value, _) in extracted.items()}


def remaining_arguments(remainder: Flags) -> list[str]:
    """A remainder back as argv text: ``['--k=v', '--f', '-s=1']``."""
    long, short = remainder
    out = [f"--{k}" if v is None else f"--{k}={v}" for k, v in long.items()]
    out += [f"-{k}" if v is None else f"-{k}={v}" for k, v in short.items()]
    return out
