"""The site key: the one secret every encrypted link of a site proves it holds (docs/security.md).

A site key is 32 random bytes, kept in a file as one line of base64 (the form of a WireGuard
pre-shared key). Every encrypted link mixes it into its Noise handshake (``_crypto``), so only
processes of the same site can complete one.

To replace a key without stopping the site, a file may hold more than one line: the first key
opens links, every key is accepted on links opened by others (``site_keys``). Rollover: add the
new key as a second line everywhere, then make it the first line everywhere, then remove the
old one (``layer-cake key add``, ``promote``, ``retire``). A running process sees each step:
the file is read again at the next handshake once it changed (its size, inode or mtime). A
changed file that is not usable (half-copied, wrong mode) leaves the process on the keys it
read last, with one WARNING per change, so a slip in a rollover does not cut a site off.

Where a process finds it, first match wins:

1. ``--site-key=<path>``, or ``use_site_key(path)`` in code;
2. the environment variable ``LC_SITE_KEY_FILE=<path>``;
3. ``<home>/site.key`` when the process runs in a home.

The command line is the process layer's: it tells this module where to read ``--site-key``
and the home with ``configure_site_key`` (the net layer reads no process settings itself).

The path, never the key, appears in arguments and logs. A key file must be readable by its
owner only (as ssh insists for private keys); ``generate_site_key`` writes it that way.
"""

from __future__ import annotations

import os
import stat
import threading
from collections.abc import Callable

# base64, hashlib and PyNaCl are imported where used: a process without a site key loads
# none of them (issue 13).

__all__ = [
    "SITE_KEY_ENV",
    "SITE_KEY_FILE",
    "SITE_KEY_SIZE",
    "SiteKeyError",
    "configure_site_key",
    "generate_site_key",
    "read_site_key",
    "read_site_keys",
    "site_key",
    "site_keys",
    "site_key_for_child",
    "site_key_path",
    "use_site_key",
]

SITE_KEY_SIZE = 32
SITE_KEY_ENV = "LC_SITE_KEY_FILE"
#: The name of the key file in a home.
SITE_KEY_FILE = "site.key"


class SiteKeyError(ValueError):
    """No usable site key: missing, unreadable, malformed or open to other users."""


def _no_command_line() -> tuple[str | None, str | None]:
    return None, None


class _Cache:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.path: str | None = None  # set by use_site_key
        #: (path, keys, file stamp) of the last good read; the stamp of a change found bad
        self.loaded: tuple[str, tuple[bytes, ...], tuple | None] | None = None
        self.refused: tuple[str, tuple | None] | None = None
        self.command_line = _no_command_line  # () -> (--site-key, home path)


_CACHE = _Cache()


def configure_site_key(command_line: Callable[[], tuple[str | None, str | None]]) -> None:
    """Read ``--site-key`` and the home from ``command_line() -> (site key path, home path)``.

    Called once by the process layer, which owns the command line; read at each look-up, so
    a command line changed later (``lc.create``) is seen.
    """
    _CACHE.command_line = command_line


def generate_site_key(path: str | os.PathLike) -> str:
    """Write a new random site key to ``path`` (mode 0600); return the path.

    Raises:
        FileExistsError: ``path`` exists (a key is never overwritten by accident).
        OSError: the folder is missing or not writable.
    """
    import base64

    from nacl.utils import random

    path = os.fspath(path)
    text = base64.b64encode(random(SITE_KEY_SIZE)).decode("ascii") + "\n"
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        os.write(fd, text.encode("ascii"))
    finally:
        os.close(fd)
    return path


def read_site_key(path: str | os.PathLike) -> bytes:
    """The 32-byte key in the file at ``path`` (its first line: the key that opens links).

    Raises:
        SiteKeyError: as ``read_site_keys``.
    """
    return read_site_keys(path)[0]


def read_site_keys(path: str | os.PathLike) -> tuple[bytes, ...]:
    """Every key in the file at ``path``, one base64 line each, the first one first.

    Raises:
        SiteKeyError: the file cannot be read, is readable or writable by other users, or a
            line is not base64 of exactly 32 bytes (or there is none). The text never includes
            a key.
    """
    path = os.fspath(path)
    try:
        with open(path, "rb") as f:
            mode = os.fstat(f.fileno()).st_mode
            data = f.read(4096)
    except OSError as e:
        raise SiteKeyError(f'cannot read site key "{path}" ({e.strerror or e})') from None
    if os.name == "posix" and mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise SiteKeyError(
            f'site key "{path}" is accessible by other users (mode {stat.S_IMODE(mode):o});'
            " make it readable by its owner only (chmod 600)"
        )
    import base64
    import binascii

    keys = []
    for line in data.split(b"\n"):
        if not line.strip():
            continue
        try:
            key = base64.b64decode(line.strip(), validate=True)
        except (binascii.Error, ValueError):
            key = b""
        if len(key) != SITE_KEY_SIZE:
            keys = []
            break
        keys.append(key)
    if not keys:
        raise SiteKeyError(
            f'site key "{path}" is not one base64 line of {SITE_KEY_SIZE} bytes (per key)'
        )
    return tuple(keys)


def use_site_key(path: str | os.PathLike | None) -> None:
    """Make ``path`` this process's site key file (None: back to ``--site-key``/env/home)."""
    with _CACHE.lock:
        _CACHE.path = None if path is None else os.path.abspath(os.fspath(path))
        _CACHE.loaded = None


def site_key_path() -> str | None:
    """The key file this process uses, by the order above; None when none is configured."""
    if _CACHE.path is not None:
        return _CACHE.path
    given, home_path = _CACHE.command_line()
    if given:
        return os.path.abspath(given)
    env = os.environ.get(SITE_KEY_ENV)
    if env:
        return os.path.abspath(env)
    if home_path:
        return os.path.join(os.path.abspath(home_path), SITE_KEY_FILE)
    return None


def site_key_for_child(child_home: str | None) -> str | None:
    """The ``--site-key`` path a child process must be given to hold this process's key.

    None when the child finds the same file by itself: no key configured here, the
    environment variable (children inherit it; an absolute path keeps a child in another
    folder on the same file), or this process's home key when the child runs in the same home.
    A key given by ``use_site_key`` or ``--site-key``, or a home key that exists while the
    child gets another home, is passed on, so a composite process is one member of the site.
    """
    if _CACHE.path is not None:
        return _CACHE.path
    given, home_path = _CACHE.command_line()
    if given:
        return os.path.abspath(given)
    env = os.environ.get(SITE_KEY_ENV)
    if env:
        return None if os.path.isabs(env) else os.path.abspath(env)
    if not home_path:
        return None
    path = os.path.join(os.path.abspath(home_path), SITE_KEY_FILE)
    same_home = child_home is not None and os.path.abspath(child_home) == os.path.abspath(home_path)
    return None if same_home or not os.path.isfile(path) else path


def site_key() -> bytes:
    """This process's site key (the one that opens links), read once per path.

    Raises:
        SiteKeyError: none configured, or the file is not usable (``read_site_keys``).
    """
    return site_keys()[0]


def site_keys() -> tuple[bytes, ...]:
    """Every key this process accepts on links opened by others, the one it opens with first.

    Raises:
        SiteKeyError: none configured, or the file is not usable (``read_site_keys``).
    """
    path = site_key_path()
    if path is None:
        raise SiteKeyError(
            "no site key: encrypted links need --site-key=<file>, "
            f"{SITE_KEY_ENV}=<file> or <home>/{SITE_KEY_FILE}"
        )
    stamp = _stamp(path)
    loaded = _CACHE.loaded
    if loaded is not None and loaded[0] == path and loaded[2] == stamp:
        return loaded[1]
    if loaded is not None and loaded[0] == path and _CACHE.refused == (path, stamp):
        return loaded[1]  # this change was found unusable already
    try:
        keys = read_site_keys(path)
    except SiteKeyError as error:
        if loaded is None or loaded[0] != path:
            raise
        with _CACHE.lock:
            _CACHE.refused = (path, stamp)
        _warn(f"{error}: still using the keys read before")
        return loaded[1]
    with _CACHE.lock:
        _CACHE.loaded = (path, keys, stamp)
        _CACHE.refused = None
    return keys


def _stamp(path: str) -> tuple | None:
    """What tells a changed file: size, inode and modification time (None: not there)."""
    try:
        st = os.stat(path)
    except OSError:
        return None
    return (st.st_size, st.st_ino, st.st_mtime_ns)


def _warn(text: str) -> None:
    from ..runtime._log import LOG, write_entry
    from ..runtime._messages import USER_LOG

    if LOG.level <= USER_LOG.WARNING:
        write_entry("?", (0,), "site-key", text)
