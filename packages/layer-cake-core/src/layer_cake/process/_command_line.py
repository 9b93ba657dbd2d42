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

import inspect

from ..net._hostport import HostPort
from ..net._site_key import configure_site_key
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
    "parse_sub_command",
    "positional_parameters",
    "table_name",
    "initials",
    "process_schema",
    "update_command_line",
    "command_arguments",
    "command_sub_arguments",
    "command_variables",
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
        site_key: str | None = None,
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
        self.site_key = site_key  # the path of the site key file (docs/security.md), never the key


bind_library_message(CommandLine, "layer_cake.command_line.CommandLine")

#: The arguments of this process; ``lc.create`` fills it in place (references stay current).
CL = CommandLine()


def _site_key_settings() -> tuple[str | None, str | None]:
    """``--site-key`` and the home, for the site key look-up of the net layer."""
    return getattr(CL, "site_key", None), CL.home_path


configure_site_key(_site_key_settings)


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

    ``process`` and ``settings`` hold decoded keyword values by name (only those given);
    ``args`` the positional values for the object (words, decoded when they fill a hinted
    parameter; with a sub-command its 4-tuple first); ``words`` the words as typed;
    ``remainder`` what matched nothing, as typed (empty unless ``strict=False``), and
    ``long``/``short`` the same as ``{name: raw value or None}``.
    """

    __slots__ = ("args", "long", "positional", "process", "remainder", "settings", "short", "words")

    def __init__(self) -> None:
        self.process: dict[str, object] = {}
        self.settings: dict[str, object] = {}
        self.words: list[str] = []
        self.args: list[object] = []
        self.positional: list[str] = []  # parameter names filled by words
        self.remainder: list[str] = []
        self.long: dict[str, str | None] = {}
        self.short: dict[str, str | None] = {}

    def __repr__(self) -> str:
        return (
            f"Arguments(process={self.process!r}, settings={self.settings!r}, "
            f"args={self.args!r}, remainder={self.remainder!r})"
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


def positional_parameters(target: object) -> tuple[list[str], bool]:
    """``(names, variable)``: the parameters words fill, in order, of a bound function (after
    ``self``) or machine class (of ``__init__``), and whether it takes ``*args``."""
    f = target.__init__ if isinstance(target, type) else target  # type: ignore[misc]
    try:
        params = list(inspect.signature(f).parameters.values())[1:]  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return [], False
    kinds = (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)
    names = [p.name for p in params if p.kind in kinds]
    variable = any(p.kind == inspect.Parameter.VAR_POSITIONAL for p in params)
    return names, variable


#: A tier of settings: its label, schema and where its decoded values go.
_Tier = tuple[str, dict, dict]


def _claim(
    settings: list[tuple[str, str, str | None, str]], tiers: list[_Tier], result: Arguments
) -> list[str] | Faulted:
    """Give each setting to the first tier whose schema has it (long name or initials);
    the names nobody claimed, in order, also kept raw in ``result``."""
    unknown: list[str] = []
    given: set[tuple[str, str]] = set()
    for form, name, value, original in settings:
        claimed: tuple[str, dict, dict, str] | None = None
        for label, schema, dest in tiers:
            if form == "long":
                if name in schema:
                    claimed = (label, schema, dest, name)
                    break
                continue
            candidates = _short_match(name, schema)
            if len(candidates) > 1:
                listed = ", ".join(candidates)
                long_form = f"--{_dashed(candidates[0])}=<value>"
                return Faulted(f"ambiguous short settings ({listed}), use long form {long_form}")
            if candidates:
                claimed = (label, schema, dest, candidates[0])
                break
        if claimed is None:
            unknown.append(name)
            result.remainder.append(original)
            given_name = original.lstrip("-").partition("=")[0]  # as typed, dashes kept
            (result.long if form == "long" else result.short)[given_name] = value
            continue
        label, schema, dest, full = claimed
        if (label, full) in given:
            return Faulted(f"collision in settings names - {full}")
        given.add((label, full))
        try:
            dest[full] = _decode(full, value, schema[full])
        except CodecRuntimeError as e:
            return Faulted(f'cannot decode value for "{full}" ({e})')
    return unknown


def _fill(
    words: list[object],
    schema: dict[str, Portable],
    positional: tuple[list[str], bool],
    result: Arguments,
    unknown: list[str],
) -> Faulted | None:
    """Words become positional values: a hinted parameter's word decoded by its type, an
    unhinted one's and ``*args`` words raw (compat §2.6); words beyond both are unknown."""
    names, variable = positional
    for i, given in enumerate(words):
        word = given
        if i < len(names):
            name = names[i]
            if name in result.settings:
                return Faulted(f"collision in settings names - {name}")
            p = schema.get(name)
            if p is not None and isinstance(word, str):
                try:
                    word = decode_argument(word, p)
                except CodecRuntimeError as e:
                    return Faulted(f'cannot decode value for "{name}" ({e})')
            result.positional.append(name)
        elif not variable:
            unknown.append(str(word))
            result.remainder.append(str(word))
            continue
        result.args.append(word)
    return None


def parse_arguments(
    argv: list[str],
    process: dict[str, Portable],
    schema: dict[str, Portable],
    strict: bool = True,
    positional: tuple[list[str], bool] | None = None,
) -> Arguments | Faulted:
    """Match ``argv`` (the words after the program name) against the two schemas.

    Arguments are scanned position-independently: ``--k[=v]`` and ``-k[=v]`` anywhere,
    the other words collected in order.

    Args:
        argv: the arguments, without the program name.
        process: the process arguments' schema (matched first).
        schema: the object's schema.
        strict: when False, what matches nothing is kept in ``remainder`` instead of failing.
        positional: the object's word-filled parameters and whether it takes ``*args``
            (``positional_parameters``); by default the schema's names, in order.

    Returns:
        ``Arguments``, or a ``Faulted`` carrying the error text (api-core §11.1).
    """
    settings, words = _split(argv)
    result = Arguments()
    result.words = list(words)
    unknown = _claim(
        settings,
        [("process", process, result.process), ("object", schema, result.settings)],
        result,
    )
    if isinstance(unknown, Faulted):
        return unknown
    fault = _fill(list(words), schema, positional or (list(schema), False), result, unknown)
    if fault is not None:
        return fault
    if unknown and strict:
        return Faulted(f"unknown arguments ({', '.join(unknown)})")
    return result


def table_name(f: object) -> str:
    """The sub-command word of an ``object_table`` entry: its name minus a trailing ``_``."""
    return getattr(f, "__name__", "").rstrip("_")


def parse_sub_command(
    argv: list[str],
    process: dict[str, Portable],
    main: object,
    object_table: list,
    strict: bool = True,
) -> Arguments | Faulted:
    """The ``object_table`` protocol (compat §2.6): the first word selects the entry whose
    name (minus a trailing ``_``) it is; that word becomes the 4-tuple ``(sub_command,
    function, kw, remainder)`` where ``kw`` holds the entry's own settings and ``remainder``
    ``(long, short)`` what nobody claimed; the other words follow. Settings are claimed by
    the process, then the main object, then the sub-command. No word: no sub-command."""
    main_spec = getattr(main, "__lc_object__", None)
    schema = dict(main_spec.schema) if main_spec is not None else {}
    settings, words = _split(argv)
    result = Arguments()
    result.words = list(words)
    tiers: list[_Tier] = [("process", process, result.process), ("object", schema, result.settings)]
    kw: dict[str, object] = {}
    if words:
        by_name = {table_name(f): f for f in object_table}
        command = words[0]
        function = by_name.get(command)
        if function is None:
            return Faulted(f'unknown sub-command "{command}"')
        spec = getattr(function, "__lc_object__", None)
        if spec is None or spec.target is not function:
            return Faulted(f'cannot use sub-command "{command}", not registered?')
        for name in spec.schema:
            if name in process or name in schema:
                return Faulted(f"collision in settings names - {name}")
        tiers.append(("sub", dict(spec.schema), kw))
    unknown = _claim(settings, tiers, result)
    if isinstance(unknown, Faulted):
        return unknown
    rest: list[object] = list(words)
    if words:
        rest[0] = (words[0], function, kw, (result.long, result.short))
    fault = _fill(rest, schema, positional_parameters(main), result, unknown)
    if fault is not None:
        return fault
    if unknown and strict:
        return Faulted(f"unknown arguments ({', '.join(unknown)})")
    return result


# The 0.1 start-up helpers (compat §3.2) ---------------------------------------------------------


def _argv(override_arguments: list[str] | None) -> list[str]:
    import sys

    return list(sys.argv if override_arguments is None else override_arguments)


def _extracted(settings: dict[str, object], schema: dict[str, Portable]) -> dict:
    return {name: (value, schema[name]) for name, value in settings.items() if name in schema}


def command_arguments(
    object_type: object, override_arguments: list[str] | None = None
) -> tuple[str, dict, list]:
    """Parse ``sys.argv`` (or ``override_arguments``, program name first): process
    arguments into ``CL``, then the object's schema.

    Returns:
        ``(executable, {name: (value, portable)}, words)``.

    Raises:
        ValueError: the parse failed (``unknown arguments (k)``, ...).
    """
    import os

    argv = _argv(override_arguments)
    spec = getattr(object_type, "__lc_object__", None)
    schema = dict(spec.schema) if spec is not None else {}
    parsed = parse_arguments(argv[1:], process_schema(), schema, positional=([], True))
    if isinstance(parsed, Faulted):
        raise ValueError(str(parsed))
    update_command_line(parsed.process)
    executable = os.path.abspath(argv[0]) if argv else ""
    return executable, _extracted(parsed.settings, schema), list(parsed.words)


def command_sub_arguments(
    object_type: object,
    object_table: list,
    override_arguments: list[str] | None = None,
    strict: bool = True,
) -> tuple[str, dict, list]:
    """As ``command_arguments`` with the ``object_table`` protocol of compat §2.6: the
    first word is replaced by ``(sub_command, function, kw, (long, short))``.

    Raises:
        ValueError: the parse failed (``unknown sub-command "x"``, ...).
    """
    import os

    argv = _argv(override_arguments)
    spec = getattr(object_type, "__lc_object__", None)
    schema = dict(spec.schema) if spec is not None else {}
    parsed = parse_sub_command(argv[1:], process_schema(), object_type, object_table, strict)
    if isinstance(parsed, Faulted):
        raise ValueError(str(parsed))
    update_command_line(parsed.process)
    words: list = list(parsed.words)
    if words and parsed.args:
        words[0] = parsed.args[0]
    executable = os.path.abspath(argv[0]) if argv else ""
    return executable, _extracted(parsed.settings, schema), words


def command_variables(factory_variables: object, environment_variables: dict | None = None) -> None:
    """Set each schema field ``f`` of ``factory_variables`` (a registered message) from the
    variable ``LC_V_<F>`` of ``environment_variables`` (default ``os.environ``).

    Raises:
        ValueError: the instance is not registered, or a value does not decode.
    """
    import os

    spec = type(factory_variables).__dict__.get("__lc_message__")
    if spec is None:
        name = type(factory_variables).__name__
        raise ValueError(f'cannot read environment variables into "{name}" (not registered)')
    variables = os.environ if environment_variables is None else environment_variables
    for name, portable in spec.fields:
        variable = f"LC_V_{name.upper()}"
        text = variables.get(variable)
        if text is None:
            continue
        try:
            setattr(factory_variables, name, decode_argument(text, portable))
        except CodecRuntimeError as e:
            raise ValueError(f'cannot decode value for "{variable}" ({e})') from None
