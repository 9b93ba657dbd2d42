"""The ``Any`` concept: messages, casts, signatures, tags and values of unknown types."""

from __future__ import annotations

import collections
import enum
import re
import sys
import threading

from ._portable import (
    K_ARRAY,
    K_DEQUE,
    K_MAP,
    K_SET,
    K_USER,
    K_VECTOR,
    SIMPLE_PORTABLES,
    Any,
    ArrayOf,
    DequeOf,
    Enumeration,
    MapOf,
    PointerTo,
    Portable,
    SetOf,
    UserDefined,
    VectorOf,
    Word,
    class_path,
    install,
    load_everything,
    lookup_signature,
)
from ._registry import SPECS, bind_library_message

__all__ = [
    "Incognito",
    "Unknown",
    "cast_to",
    "cast_back",
    "portable_to_signature",
    "signature_to_portable",
    "portable_to_tag",
    "message_to_tag",
    "default_of",
    "resolve_signature",
]


class Incognito:
    """A message whose signature is not installed here; re-encodes exactly as received.

    Intermediaries can hold, dispatch and relay it without knowing its type.
    """

    def __init__(
        self,
        type_name: str | None = None,
        decoded_word: object = None,
        saved_pointers: object = None,
        address_book: object = None,
    ) -> None:
        self.type_name = type_name
        self.decoded_word = decoded_word
        self.saved_pointers = saved_pointers if saved_pointers is not None else []
        self.address_book = address_book if address_book is not None else []

    def __eq__(self, other: object) -> bool:
        return (
            isinstance(other, Incognito)
            and other.type_name == self.type_name
            and other.decoded_word == self.decoded_word
            and other.saved_pointers == self.saved_pointers
        )

    __hash__ = object.__hash__

    def __repr__(self) -> str:
        return f"Incognito(type_name={self.type_name!r})"


class Unknown:
    """Catch-all dispatch marker; never encoded."""


bind_library_message(
    Incognito,
    "layer_cake.message_memory.Incognito",
    type_name=str,
    decoded_word=Word(),
    saved_pointers=Word(),
    address_book=Word(),
)
bind_library_message(Unknown, "layer_cake.message_memory.Unknown")
Unknown.__lc_message__.not_portable = True  # type: ignore[attr-defined]
Unknown.__lc_message__.needs_copy = False  # type: ignore[attr-defined]


def cast_to(value: object, portable: object) -> object:
    """Wrap a constructed value as a message: ``(value, portable)``; class instances pass."""
    if type(value) in SPECS:
        return value
    if not isinstance(portable, Portable):
        from ._hints import def_type

        portable = def_type(portable)
    return (value, portable)


def cast_back(message: object) -> tuple[object, Portable]:
    """Unroll a message into ``(value, portable)``; a raw value gets its inferred portable.

    Raises:
        ValueError: not a message (``cannot unroll ...``).
    """
    if message is None:
        return (None, install(Any()))
    spec = SPECS.get(type(message))
    if spec is not None:
        return (message, spec.portable)
    if type(message) is tuple and len(message) == 2 and isinstance(message[1], Portable):
        return message  # type: ignore[return-value]
    from ._infer import infer_portable  # a raw result: its type inferred (compat §2.1)

    p = infer_portable(message)
    if p is not None:
        return (message, p)
    raise ValueError(f"cannot unroll {type(message).__name__} (not a message)")


def portable_to_signature(p: Portable) -> str:
    """The text signature of a portable (``vector<vector<float8>>``)."""
    return p.signature()


def portable_to_tag(p: Portable) -> str:
    """The handler/log tag of a portable (``list_list_float``)."""
    return p.tag()


def message_to_tag(m: object) -> str:
    """Dotted path for class instances, the tag for cast values, ``<none>`` for None."""
    if m is None:
        return "<none>"
    spec = SPECS.get(type(m))
    if spec is not None:
        return spec.signature
    if type(m) is tuple and len(m) == 2 and isinstance(m[1], Portable):
        return m[1].tag()
    return class_path(type(m))


def default_of(p: Portable) -> object:
    """The default value of a type: ``Class()``, an empty container, or None for scalars."""
    k = p.kind
    if k == K_USER:
        return p.element()  # type: ignore[attr-defined]
    if k == K_VECTOR:
        return []
    if k == K_MAP:
        return {}
    if k == K_SET:
        return set()
    if k == K_DEQUE:
        return collections.deque()
    if k == K_ARRAY:
        return [default_of(p.element) for _ in range(p.size)]  # type: ignore[attr-defined]
    return None


# Signature parsing -------------------------------------------------------------------------

_TOKEN = re.compile(r"\s*(?:([A-Za-z_][\w.]*)|(\d+)|([<>,]))")
#: Signatures read from input (a peer's frames, a JSON body) are remembered in bounded tables:
#: a peer sending ever new ``array<integer8,N>`` must not grow this process without limit.
#: Composite portables made here are not installed (``install`` keeps them for good); the
#: oldest entry goes first once a table is full. Types this process defines are installed.
LEARNED_LIMIT = 4096
_parsed: dict[str, Portable | None] = {}
_MISSING = object()
_learned: dict[str, Portable] = {}
_parsed_lock = threading.Lock()


def _remember(table: dict, key: str, value: object) -> None:
    """Add to a bounded table, dropping the oldest entry when full (under ``_parsed_lock``)."""
    with _parsed_lock:
        if key not in table and len(table) >= LEARNED_LIMIT:
            del table[next(iter(table))]  # the oldest (dicts keep insertion order)
        table[key] = value


def _learn(p: Portable) -> Portable:
    """The canonical portable for ``p`` when installed, else a bounded-cache instance."""
    s = p.signature()
    found = lookup_signature(s)
    if found is None:
        found = _learned.get(s)
    if found is not None:
        return found
    _remember(_learned, s, p)
    return p


def resolve_signature(text: str) -> Portable | None:
    """Portable for a signature, or None when a dotted name is not known here (no error).

    Raises:
        ValueError: the text is not a well-formed signature.
    """
    p = lookup_signature(text)
    if p is not None:
        return p
    cached = _parsed.get(text, _MISSING)
    if cached is not _MISSING:
        # Parsed before its type was installed (``def_type``)? The installed one is canonical.
        return cached if cached is None else _learn(cached)
    tokens = _tokenize(text)
    result, end = _parse(tokens, 0, text)
    if end != len(tokens):
        raise ValueError(f'malformed signature "{text}"')
    _remember(_parsed, text, result)
    return result


def signature_to_portable(text: str) -> Portable:
    """The portable named by a signature.

    Raises:
        ValueError: malformed, or naming a type that is not in an imported module.
    """
    p = resolve_signature(text)
    if p is None:
        raise ValueError(f'unknown type "{text}"')
    return p


def _tokenize(text: str) -> list[tuple[str, str]]:
    tokens: list[tuple[str, str]] = []
    pos = 0
    text = text.rstrip()
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if m is None:
            raise ValueError(f'malformed signature "{text}"')
        name, number, punct = m.groups()
        tokens.append(("n", name) if name else ("d", number) if number else ("p", punct))
        pos = m.end()
    if not tokens:
        raise ValueError("empty signature")
    return tokens


_ONE_ARG = {"vector": VectorOf, "set": SetOf, "deque": DequeOf, "pointer": PointerTo}


def _parse(tokens: list[tuple[str, str]], i: int, text: str) -> tuple[Portable | None, int]:
    if i >= len(tokens) or tokens[i][0] != "n":
        raise ValueError(f'malformed signature "{text}"')
    name = tokens[i][1]
    i += 1
    args: list[object] = []
    if i < len(tokens) and tokens[i] == ("p", "<"):
        i += 1
        while True:
            if i < len(tokens) and tokens[i][0] == "d":
                args.append(int(tokens[i][1]))
                i += 1
            else:
                a, i = _parse(tokens, i, text)
                args.append(a)
            if i < len(tokens) and tokens[i] == ("p", ","):
                i += 1
                continue
            if i < len(tokens) and tokens[i] == ("p", ">"):
                i += 1
                break
            raise ValueError(f'malformed signature "{text}"')
    if any(a is None for a in args):
        return None, i  # an unknown dotted name inside: the whole type is unknown here
    return _construct(name, args, text), i


def _construct(name: str, args: list[object], text: str) -> Portable | None:
    simple = SIMPLE_PORTABLES.get(name)
    if simple is not None and not args:
        return install(simple())
    try:
        if name in _ONE_ARG and len(args) == 1 and isinstance(args[0], Portable):
            return _learn(_ONE_ARG[name](args[0]))
        if name == "map" and len(args) == 2 and all(isinstance(a, Portable) for a in args):
            return _learn(MapOf(args[0], args[1]))
        if name == "array" and len(args) == 2 and isinstance(args[0], Portable):
            return _learn(ArrayOf(args[0], args[1]))  # type: ignore[arg-type]
    except TypeError as e:
        raise ValueError(f'malformed signature "{text}" ({e})') from None
    if "." in name and not args:
        found = lookup_signature(name)
        if found is None:
            found = _dotted(name)
        if found is None and name.startswith("layer_cake.") and load_everything():
            found = lookup_signature(name)  # a library type of a module not loaded yet
        return found
    raise ValueError(f'malformed signature "{text}"')


def _dotted(name: str) -> Portable | None:
    """A class or enum named ``module.Qual.Name`` in an already imported module."""
    parts = name.split(".")
    for cut in range(len(parts) - 1, 0, -1):
        module = sys.modules.get(".".join(parts[:cut]))
        if module is None:
            continue
        target: object = module
        for attr in parts[cut:]:
            target = getattr(target, attr, None)
            if target is None:
                return None
        # Only enums and bound classes (messages, machines): a peer's text must never make us
        # construct an arbitrary class.
        if isinstance(target, type):
            if issubclass(target, enum.Enum):
                return install(Enumeration(target))
            if target in SPECS or "__lc_object__" in target.__dict__:
                return install(UserDefined(target))
        return None
    return None
