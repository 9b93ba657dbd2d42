"""Process arguments (``CommandLine``, parsed into ``CL``) and their parser (api-core §11.1).

The parser is a pure function: ``parse_arguments(argv, process_schema, object_schema)`` takes
the words after the program name and two ``{name: portable}`` schemas, and returns either
an ``Arguments`` result or a ``Faulted`` whose text is the one the process prints. Matching:

- ``--name[=value]``: dashes become underscores; process arguments first, then the object's.
- ``-abbr[=value]``: the initials of a name's ``_``-separated words (``debug_level`` → ``dl``,
  ``from_`` → ``f``); more than one name of a tier sharing initials is ambiguous.
- a value is decoded by the declared type (types-and-encoding §8); a name alone is ``True``
  for ``bool`` and ``None`` otherwise.
- words fill the object's schema parameters in declaration order; a word after ``--`` is
  always a word.
"""

from __future__ import annotations

from ..net._hostport import HostPort
from ..runtime._messages import USER_LOG, Faulted, ProcessOrigin, ScopeOfDirectory
from ..types._argument import decode_argument
from ..types._errors import CodecRuntimeError
from ..types._portable import K_BOOLEAN, Portable
from ..types._registry import bind_library_message

__all__ = [
    "CommandLine",
    "CL",
    "Arguments",
    "parse_arguments",
    "split_command",
    "initials",
    "process_schema",
    "update_command_line",
]


class CommandLine:
    """Every process argument (api-core §11.2), with its type and default."""

    def __init__(
        self,
        origin: ProcessOrigin = ProcessOrigin.SHELL,
        child_process: bool = False,
        full_output: bool = False,
        debug_level: USER_LOG | None = None,
        home_path: str | None = None,
        role_name: str | None = None,
        resource_path: str | None = None,
        model_path: str | None = None,
        help: bool = False,
        create_role: bool = False,
        update_role: bool = False,
        factory_reset: bool = False,
        dump_role: bool = False,
        edit_role: bool = False,
        delete_role: bool = False,
        role_file: str | None = None,
        dump_types: bool = False,
        output_file: str | None = None,
        keep_logs: bool = False,
        directory_scope: ScopeOfDirectory = ScopeOfDirectory.PROCESS,
        connect_to_directory: HostPort | None = None,
        accept_directories_at: HostPort | None = None,
        encrypted_process: bool = False,
    ) -> None:
        self.origin = origin
        self.child_process = child_process
        self.full_output = full_output
        self.debug_level = debug_level
        self.home_path = home_path
        self.role_name = role_name
        self.resource_path = resource_path
        self.model_path = model_path
        self.help = help
        self.create_role = create_role
        self.update_role = update_role
        self.factory_reset = factory_reset
        self.dump_role = dump_role
        self.edit_role = edit_role
        self.delete_role = delete_role
        self.role_file = role_file
        self.dump_types = dump_types
        self.output_file = output_file
        self.keep_logs = keep_logs
        self.directory_scope = directory_scope
        self.connect_to_directory = connect_to_directory
        self.accept_directories_at = accept_directories_at
        self.encrypted_process = encrypted_process


bind_library_message(CommandLine, "layer_cake.command_line.CommandLine")

#: The arguments of this process; ``lc.create`` fills it in place (references stay current).
CL = CommandLine()


def process_schema() -> dict[str, Portable]:
    """``{name: portable}`` of the process arguments, in declaration order."""
    return dict(CommandLine.__lc_message__.fields)  # type: ignore[attr-defined]


def update_command_line(values: dict[str, object]) -> CommandLine:
    """Reset ``CL`` to the defaults, then set ``values``; returns ``CL``."""
    fresh = CommandLine()
    for name, _ in CommandLine.__lc_message__.fields:  # type: ignore[attr-defined]
        setattr(CL, name, values.get(name, getattr(fresh, name)))
    return CL


class Arguments:
    """A successful parse.

    ``process`` and ``settings`` hold decoded values by name (only those given);
    ``remainder`` lists what matched nothing (empty unless ``strict=False``).
    """

    __slots__ = ("process", "remainder", "settings", "words")

    def __init__(self) -> None:
        self.process: dict[str, object] = {}
        self.settings: dict[str, object] = {}
        self.words: list[str] = []
        self.remainder: list[str] = []

    def __repr__(self) -> str:
        return (
            f"Arguments(process={self.process!r}, settings={self.settings!r}, "
            f"words={self.words!r}, remainder={self.remainder!r})"
        )


def initials(name: str) -> str:
    """The short form of a name: the first letter of each ``_``-separated word."""
    return "".join(word[0] for word in name.split("_") if word)


def _dashed(name: str) -> str:
    return name.replace("_", "-")


def _split(argv: list[str]) -> tuple[list[tuple[str, str, str | None, str]], list[str]]:
    """``[(form, name, value, original)]`` of the settings (``long``/``short``), and the words."""
    settings = []
    words = []
    only_words = False
    for arg in argv:
        if only_words or not arg.startswith("-") or arg == "-":
            words.append(arg)
            continue
        if arg == "--":
            only_words = True
            continue
        form, body = ("long", arg[2:]) if arg.startswith("--") else ("short", arg[1:])
        name, eq, value = body.partition("=")
        if form == "long":
            name = name.replace("-", "_")
        settings.append((form, name, value if eq else None, arg))
    return settings, words


def split_command(argv: list[str], names: object) -> tuple[str | None, list[str]]:
    """``(command, rest)``: the first word when it is one of ``names``, else ``(None, argv)``."""
    for i, arg in enumerate(argv):
        if arg == "--":
            break
        if not arg.startswith("-") or arg == "-":
            if arg in names:  # type: ignore[operator]
                return arg, argv[:i] + argv[i + 1 :]
            break
    return None, list(argv)


def _short_match(abbr: str, schema: dict[str, Portable]) -> list[str]:
    return [name for name in schema if initials(name) == abbr]


def _decode(name: str, value: str | None, p: Portable) -> object:
    if value is None:
        return True if p.kind == K_BOOLEAN else None
    return decode_argument(value, p)


def parse_arguments(
    argv: list[str],
    process: dict[str, Portable],
    schema: dict[str, Portable],
    strict: bool = True,
) -> Arguments | Faulted:
    """Match ``argv`` (the words after the program name) against the two schemas.

    Args:
        argv: the arguments, without the program name.
        process: the process arguments' schema (matched first).
        schema: the object's schema; words fill its parameters in order.
        strict: when False, what matches nothing is kept in ``remainder`` instead of failing.

    Returns:
        ``Arguments``, or a ``Faulted`` carrying the error text (api-core §11.1).
    """
    settings, words = _split(argv)
    result = Arguments()
    unknown: list[str] = []
    given: dict[tuple[str, str], str] = {}  # (tier, name) -> the form first seen

    for form, given_name, value, original in settings:
        name = given_name
        if form == "long":
            if name in process:
                tier, target = "process", process
            elif name in schema:
                tier, target = "object", schema
            else:
                unknown.append(name)
                result.remainder.append(original)
                continue
        else:
            tier, target, candidates = "process", process, _short_match(name, process)
            if not candidates:
                tier, target, candidates = "object", schema, _short_match(name, schema)
            if not candidates:
                unknown.append(name)
                result.remainder.append(original)
                continue
            if len(candidates) > 1:
                listed = ", ".join(candidates)
                long_form = f"--{_dashed(candidates[0])}=<value>"
                return Faulted(f"ambiguous short settings ({listed}), use long form {long_form}")
            name = candidates[0]
        if (tier, name) in given:
            return Faulted(f"collision in settings names - {name}")
        given[(tier, name)] = form
        try:
            decoded = _decode(name, value, target[name])
        except CodecRuntimeError as e:
            return Faulted(f'cannot decode value for "{name}" ({e})')
        (result.process if tier == "process" else result.settings)[name] = decoded

    # Words fill the object's parameters in declaration order.
    names = list(schema)
    for i, word in enumerate(words):
        if i >= len(names):
            unknown.append(word)
            result.remainder.append(word)
            continue
        name = names[i]
        if ("object", name) in given:
            return Faulted(f"collision in settings names - {name}")
        given[("object", name)] = "word"
        try:
            result.settings[name] = decode_argument(word, schema[name])
        except CodecRuntimeError as e:
            return Faulted(f'cannot decode value for "{name}" ({e})')
        result.words.append(word)

    if unknown and strict:
        return Faulted(f"unknown arguments ({', '.join(unknown)})")
    return result
