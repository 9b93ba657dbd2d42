"""``layer-cake key``: make, inspect and install the site key (docs/security.md).

- ``key new [--out FILE] [--force]``: a fresh random key, written with mode 0600; an existing
  file is never replaced unless ``--force`` (and then atomically, by a rename).
- ``key show [FILE]`` (alias ``fingerprint``): which file a process here would use and the
  fingerprint of each of its keys, the one that opens links first. Never the key.
- ``key install FILE [--home-path H] [--force]``: copy a key file into ``<home>/site.key``
  (mode 0600), where every role of the home finds it with no setting.
- Rollover, with no process stopped (each one reads a changed file at its next handshake):
  ``key add [FILE] [--from KEYFILE]`` appends a new key, accepted but not yet used to open
  links; once every host has it, ``key promote [FILE]`` makes it the key that opens links;
  once every host has promoted, ``key retire [FILE]`` removes the old one.

Also ``site_key_option``: ``--site-key`` for the commands that join a directory, and
``passed_site_key_option``: ``--site-key`` for those that start group-cake.
"""

from __future__ import annotations

import base64
import os
from collections.abc import Callable
from typing import Any

import click

from layer_cake.daemon import (
    SITE_KEY_ENV,
    SITE_KEY_FILE,
    SITE_KEY_SIZE,
    SiteKeyError,
    generate_site_key,
    read_site_keys,
    use_site_key,
)

from ._command import LayerCakeCommand
from ._fault import fail
from ._home import DEFAULT_HOME, absolute_home, open_home

__all__ = ["key", "passed_site_key_option", "site_key_fingerprint", "site_key_option"]

# Options of the key commands whose value may follow as the next word (``-o site.key``).
#: Other names of the key commands (not listed in the help).
_ALIASES = {"fingerprint": "show"}
_TAKES_VALUE = ("--out", "-o", "--home-path", "-hp", "--debug-level", "-dl", "--from")
#: Most keys a file may hold (a rollover needs two; the reader takes the file's first 4 KiB).
MOST_KEYS = 8


def site_key_fingerprint(key: bytes) -> str:
    """A short public name of ``key`` to compare across hosts (never the key, nor a way to it).

    BLAKE2b-128 of the key under a personalisation of its own (so it matches no other hash
    of it), as 8 groups of 4 hex digits: ``3f2a:91bc:...``.
    """
    import hashlib  # here: every command taking --site-key imports this module

    digest = hashlib.blake2b(key, digest_size=16, person=b"lc-site-key-fp").hexdigest()
    return ":".join(digest[i : i + 4] for i in range(0, len(digest), 4))


def _use_given_key(ctx: click.Context, param: click.Parameter, value: str | None) -> None:
    if value is None:
        return
    try:
        read_site_keys(value)  # a bad file fails now, not at the first encrypted link
    except SiteKeyError as error:
        raise click.BadParameter(str(error)) from None
    use_site_key(value)


def site_key_option(command: Callable[..., Any]) -> Callable[..., Any]:
    """``--site-key FILE`` (``-sk``): the key file for encrypted links, checked at once."""
    return click.option(
        "--site-key",
        "-sk",
        default=None,
        expose_value=False,
        is_eager=True,
        callback=_use_given_key,
        help=f"Site key file for encrypted links (default ${SITE_KEY_ENV}).",
    )(command)


def _checked_path(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    if value is None:
        return None
    try:
        read_site_keys(value)
    except SiteKeyError as error:
        raise click.BadParameter(str(error)) from None
    return os.path.abspath(value)


def passed_site_key_option(command: Callable[..., Any]) -> Callable[..., Any]:
    """``--site-key FILE`` (``-sk``) of a command that starts group-cake: checked at once and
    given to it as an absolute path (its roles inherit it); the value is ``site_key``."""
    return click.option(
        "--site-key",
        "-sk",
        default=None,
        callback=_checked_path,
        help="Site key file of group-cake and its roles (default $LC_SITE_KEY_FILE, "
        "else <home>/site.key).",
    )(command)


class KeyCommands(click.Group):
    """``key``'s own sub-commands, failing the layer-cake way (exit 71), options anywhere."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        args = _command_first(list(args), {*self.list_commands(ctx), *_ALIASES})
        try:
            return super().parse_args(ctx, args)
        except click.UsageError as error:
            fail(f'cannot execute "key" ({error.message})')

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        return super().get_command(ctx, _ALIASES.get(cmd_name, cmd_name))

    def resolve_command(
        self, ctx: click.Context, args: list[str]
    ) -> tuple[str | None, click.Command | None, list[str]]:
        name = args[0]
        if not name.startswith("-") and self.get_command(ctx, name) is None:
            fail(f'unknown sub-command "key {name}"')
        return super().resolve_command(ctx, args)


def _command_first(args: list[str], names: set[str]) -> list[str]:
    """``args`` with options given before the sub-command (``key -hp h install f``) after it."""
    before: list[str] = []
    i = 0
    while i < len(args) and args[i].startswith("-") and args[i] not in ("-", "--", "--help"):
        before.append(args[i])
        i += 1
        if before[-1] in _TAKES_VALUE and i < len(args):
            before.append(args[i])
            i += 1
    if not before or i >= len(args) or args[i] not in names:
        return args
    return [args[i], *before, *args[i + 1 :]]


@click.group(name="key", cls=KeyCommands, invoke_without_command=True)
@click.pass_context
def key(ctx: click.Context) -> None:
    """Make, show and install the site key of encrypted links."""
    if ctx.invoked_subcommand is None:
        fail('cannot execute "key" (no sub-command: new, show, install, add, promote or retire)')


def _describe(keys: tuple[bytes, ...]) -> None:
    for i, k in enumerate(keys):
        role = "opens and accepts links" if i == 0 else "accepts links"
        click.echo(f"{i + 1}  {site_key_fingerprint(k)}  {role}")


def _random_key() -> bytes:
    import secrets  # secrets, hashlib and tempfile load only for the key commands themselves

    return secrets.token_bytes(SITE_KEY_SIZE)


def _text(keys: tuple[bytes, ...]) -> bytes:
    """The key file holding ``keys``: one base64 line each."""
    return b"".join(base64.b64encode(k) + b"\n" for k in keys)


def _write_atomically(path: str, data: bytes) -> None:
    """Replace ``path`` by a file holding ``data``, mode 0600 from its creation on."""
    import tempfile

    fd, temporary = tempfile.mkstemp(prefix=".site-key-", dir=os.path.dirname(path) or ".")
    try:
        os.fchmod(fd, 0o600)
        os.write(fd, data)
        os.fsync(fd)
        os.close(fd)
        fd = -1
        os.replace(temporary, path)
    except BaseException:
        if fd >= 0:
            os.close(fd)
        os.unlink(temporary)
        raise


@key.command(name="new", cls=LayerCakeCommand, short_help="Write a fresh site key.")
@click.option(
    "--out", "-o", default=SITE_KEY_FILE, show_default=True, help="File to write the key to."
)
@click.option("--force", "-f", is_flag=True, help="Replace an existing file.")
def new(out: str, force: bool) -> None:
    """Write a fresh random site key (mode 0600) and print its fingerprint."""
    path = os.path.abspath(os.path.expanduser(out))
    if os.path.isdir(path):
        fail(f'cannot write site key "{path}" (a folder)')
    try:
        if force and os.path.lexists(path):
            _write_atomically(path, _text((_random_key(),)))
        else:
            generate_site_key(path)
    except FileExistsError:
        fail(f'cannot write site key "{path}" (it exists; --force replaces it)')
    except OSError as error:
        fail(f'cannot write site key "{path}" ({error.strerror or error})')
    keys = read_site_keys(path)
    click.echo(f"Site key written to {path}")
    _describe(keys)


def _key_file(file: str | None, home_path: str | None) -> tuple[str, str]:
    """``(path, why)``: the file a process here would use, by the order of docs/security.md."""
    if file:
        return os.path.abspath(os.path.expanduser(file)), "given"
    env = os.environ.get(SITE_KEY_ENV)
    if env:
        return os.path.abspath(env), f"${SITE_KEY_ENV}"
    home = absolute_home(home_path)
    return os.path.join(home, SITE_KEY_FILE), "the home's"


@key.command(name="show", cls=LayerCakeCommand, short_help="Print the fingerprints of a key file.")
@click.argument("file", required=False)
@click.option(
    "--home-path", "-hp", default=None, help=f"The home whose key to show (default {DEFAULT_HOME})."
)
def show(file: str | None, home_path: str | None) -> None:
    """Print the fingerprints of a site key file, never the key (also: key fingerprint).

    FILE defaults to the file a process here would use: $LC_SITE_KEY_FILE, else
    <home>/site.key. One line per key, the one that opens links first."""
    path, why = _key_file(file, home_path)
    try:
        keys = read_site_keys(path)
    except SiteKeyError as error:
        fail(f"cannot show site key ({error})")
    click.echo(f"Site key {path} ({why})")
    _describe(keys)


@key.command(name="install", cls=LayerCakeCommand, short_help="Put a key file in a home.")
@click.argument("file")
@click.option(
    "--home-path", "-hp", default=None, help=f"The home to install into (default {DEFAULT_HOME})."
)
@click.option("--force", "-f", is_flag=True, help="Replace another key installed there.")
def install(file: str, home_path: str | None, force: bool) -> None:
    """Copy the key file FILE into <home>/site.key, where the home's roles find it.

    Written with mode 0600; roles already running read it at their next handshake."""
    source = os.path.abspath(os.path.expanduser(file))
    try:
        keys = read_site_keys(source)
    except SiteKeyError as error:
        fail(f"cannot install site key ({error})")
    home = open_home(home_path)
    target = os.path.join(home, SITE_KEY_FILE)
    if os.path.lexists(target) and not force:
        try:
            installed = read_site_keys(target)
        except SiteKeyError:
            installed = ()
        if installed == keys:
            click.echo(f"Site key already installed in {target}")
            _describe(keys)
            return
        fail(f'cannot install site key (another key is in "{target}"; --force replaces it)')
    try:
        _write_atomically(target, _text(keys))
    except OSError as error:
        fail(f'cannot install site key in "{target}" ({error.strerror or error})')
    click.echo(f"Site key installed in {target}")
    _describe(keys)


# Rollover ---------------------------------------------------------------------------------------

_HOME_OPTION = click.option(
    "--home-path", "-hp", default=None, help=f"The home whose key file (default {DEFAULT_HOME})."
)


def _rewrite(path: str, keys: tuple[bytes, ...], what: str) -> None:
    try:
        _write_atomically(path, _text(keys))
    except OSError as error:
        fail(f'cannot {what} site key "{path}" ({error.strerror or error})')


def _keys_of(path: str, what: str) -> tuple[bytes, ...]:
    try:
        return read_site_keys(path)
    except SiteKeyError as error:
        fail(f"cannot {what} site key ({error})")


@key.command(name="add", cls=LayerCakeCommand, short_help="Accept a new key (rollover step 1).")
@click.argument("file", required=False)
@click.option(
    "--from",
    "from_file",
    default=None,
    metavar="KEYFILE",
    help="Add the first key of KEYFILE (default: a fresh random key).",
)
@_HOME_OPTION
def add(file: str | None, from_file: str | None, home_path: str | None) -> None:
    """Add a key to the key file, accepted on links others open, not yet used to open any.

    Step 1 of a rollover: make every host's file hold the new key (add here, then copy this
    file with "key install --force", or add --from the same KEYFILE everywhere), then promote.
    FILE defaults as for "key show"."""
    path, _ = _key_file(file, home_path)
    keys = _keys_of(path, "add to")
    if from_file is not None:
        new_key = _keys_of(os.path.abspath(os.path.expanduser(from_file)), "add from")[0]
    else:
        new_key = _random_key()
    if new_key in keys:
        fail(f'cannot add to site key "{path}" (it holds that key already)')
    if len(keys) >= MOST_KEYS:
        fail(f'cannot add to site key "{path}" ({MOST_KEYS} keys already; retire old ones)')
    _rewrite(path, (*keys, new_key), "add to")
    click.echo(f"Key {site_key_fingerprint(new_key)} added to {path}")
    _describe((*keys, new_key))


@key.command(name="promote", cls=LayerCakeCommand, short_help="Open links with the newest key.")
@click.argument("file", required=False)
@_HOME_OPTION
def promote(file: str | None, home_path: str | None) -> None:
    """Make the newest key (the last one added) the key that opens links; the others stay
    accepted. Step 2 of a rollover, once every host holds the new key."""
    path, _ = _key_file(file, home_path)
    keys = _keys_of(path, "promote in")
    if len(keys) < 2:
        fail(f'cannot promote in site key "{path}" (one key only; "key add" a new one first)')
    keys = (keys[-1], *keys[:-1])
    _rewrite(path, keys, "promote in")
    click.echo(f"Key {site_key_fingerprint(keys[0])} now opens links ({path})")
    _describe(keys)


@key.command(name="retire", cls=LayerCakeCommand, short_help="Drop every key but the first.")
@click.argument("file", required=False)
@_HOME_OPTION
def retire(file: str | None, home_path: str | None) -> None:
    """Remove every key but the one that opens links. Step 3 of a rollover, once every host
    has promoted: a peer still opening with an old key is then refused."""
    path, _ = _key_file(file, home_path)
    keys = _keys_of(path, "retire in")
    if len(keys) < 2:
        click.echo(f"Nothing to retire in {path}")
        _describe(keys)
        return
    _rewrite(path, keys[:1], "retire in")
    for old in keys[1:]:
        click.echo(f"Key {site_key_fingerprint(old)} retired")
    _describe(keys[:1])
