"""Typed values in JSON files and folders of them (api-core §12, compat.md §2.9).

A ``File`` is one value of one type at one path; a ``Folder`` is a directory of such files,
optionally seen as a ``dict`` through ``keys_names=(key_of, name_of)``: ``key_of(value)`` is
the value's key in the dict and ``name_of(value)`` the name of its file.

Signatures, positional order and defaults are those of layer-cake 0.1 (compat.md §2.9):
names get the ``.json`` suffix unless ``decorate_names=False``; ``encoding`` is a codec class
(``lc.CodecJson``, the default and only one; its ``extension`` gives the suffix); a value of
a registered class needs no type expression. Hints and bare classes are accepted wherever
0.1 needed a portable.

Every write is atomic: the JSON text is made first, written to a uniquely named temporary
file in the target's own folder, flushed to disk, then renamed over the target with
``os.replace``. A crash or an encoding error leaves either the old file or the new one,
never a part of either.
"""

from __future__ import annotations

import contextlib
import os
import re as _re
import shutil
import uuid
from collections.abc import Callable, Iterator

from ..types._errors import CodecRuntimeError, CodecUsageError
from ..types._hints import def_type
from ..types._json import decode_json, encode_json
from ..types._message import default_of
from ..types._portable import Portable

__all__ = ["File", "Folder", "read_from_file", "write_to_file", "remove_folder", "remove_contents"]

#: The suffix added to file names with ``decorate_names``.
JSON_SUFFIX = ".json"

#: Names of the temporary files of atomic writes: ``.<name>.<12 hex>.partial``.
_PARTIAL = _re.compile(r"\..+\.[0-9a-f]{12}\.partial")

KeysNames = tuple[Callable[[object], object], Callable[[object], str]]


def _portable(tip: object) -> Portable:
    """The portable of a hint or portable (registering it on first use)."""
    if tip is None:
        raise ValueError("no type for the file (tip=None)")
    return def_type(tip)


def _optional_portable(tip: object) -> Portable | None:
    return None if tip is None else def_type(tip)


def _check_encoding(encoding: object) -> None:
    """Accept None, ``"json"`` or a JSON codec class (or instance): ``lc.CodecJson``, known
    by its ``extension`` (the ORIG docs mention XML, never implemented)."""
    if encoding is None:
        return
    if isinstance(encoding, str):
        if encoding.lower().lstrip(".") == "json":
            return
    else:
        extension = getattr(encoding, "extension", None)
        if extension is None and isinstance(encoding, type):
            with contextlib.suppress(Exception):  # a codec class: its instances know
                extension = encoding().extension
        if str(extension).lower().lstrip(".") == "json":
            return
    raise ValueError(f'unsupported encoding "{encoding}" (JSON only)')


def _decorated(name: str, decorate_names: bool) -> str:
    return name + JSON_SUFFIX if decorate_names else name


def _instance_portable(value: object, name: str) -> Portable:
    """The portable of a registered-class instance written without a type expression."""
    spec = type(value).__dict__.get("__lc_message__")
    if spec is None or spec.portable is None:
        raise CodecUsageError('encoding of unregistered message to file "%s"', name)
    return spec.portable


def _write_atomic(path: str, text: str) -> None:
    """Replace the file at ``path`` with ``text`` (UTF-8) in one step."""
    folder, base = os.path.split(path)
    partial = os.path.join(folder, f".{base}.{uuid.uuid4().hex[:12]}.partial")
    data = text.encode("utf-8")
    # os.open (not mkstemp) so the file gets the usual mode (0o666 less the umask).
    fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
    try:
        try:
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view) :]
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(partial, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.remove(partial)
        raise


def _encode(value: object, portable: Portable, pretty_format: bool) -> str:
    return encode_json(value, portable, pretty=pretty_format)


def _read(path: str, portable: Portable) -> object:
    """The value in the file at ``path``.

    Raises:
        FileNotFoundError: no such file.
        CodecRuntimeError: the content is not a shipment of ``portable``.
    """
    with open(path, "rb") as f:
        data = f.read()
    return decode_json(data, portable)


def read_from_file(expression: object, name: str, encoding: object = None, **kv: object) -> object:
    """Decode the file ``name.json`` (``name`` itself with ``decorate_names=False``) as
    ``expression`` (a hint, class or portable).

    Args:
        expression: the type of the value.
        name: the path, without the suffix.
        encoding: the codec class (``lc.CodecJson``, the default).
        **kv: codec options: ``decorate_names`` (default True); others are accepted.

    Raises:
        FileNotFoundError: no such file (the text names it, suffix included).
        CodecRuntimeError: the content does not decode as ``expression``.
    """
    _check_encoding(encoding)
    path = _decorated(name, bool(kv.get("decorate_names", True)))
    return _read(path, _portable(expression))


def write_to_file(
    a: object,
    name: str,
    expression: object = None,
    encoding: object = None,
    pretty_format: bool = True,
    **kv: object,
) -> None:
    """Encode ``a`` as ``expression`` into the file ``name.json``, atomically.

    Args:
        a: the value.
        name: the path, without the suffix (added unless ``decorate_names=False``).
        expression: the type of the value; None for an instance of a registered class.
        encoding: the codec class (``lc.CodecJson``, the default).
        pretty_format: indented, sorted keys; else compact (``{"value":{"x":7,"y":8}}``).
        **kv: codec options: ``decorate_names`` (default True); others are accepted.

    Raises:
        CodecUsageError: no ``expression`` and ``a`` is not of a registered class.
        CodecRuntimeError: the value does not fit the type; the file is left untouched.
    """
    _check_encoding(encoding)
    path = _decorated(name, bool(kv.get("decorate_names", True)))
    portable = _instance_portable(a, path) if expression is None else _portable(expression)
    _write_atomic(path, _encode(a, portable, bool(pretty_format)))


def remove_folder(path: str) -> None:
    """Delete the folder at ``path`` and everything in it; a missing folder is not an error."""
    with contextlib.suppress(FileNotFoundError):
        shutil.rmtree(path)


def remove_contents(path: str) -> None:
    """Delete everything inside the folder at ``path``, keeping the folder."""
    with os.scandir(path) as entries:
        listed = list(entries)
    for entry in listed:
        try:
            if entry.is_dir(follow_symlinks=False):
                shutil.rmtree(entry.path)
            else:
                os.remove(entry.path)
        except FileNotFoundError:
            pass


class File:
    """One value of type ``tip`` stored as JSON at ``name`` (``name.json`` with ``decorate_names``).

    Args:
        name: the path, without the ``.json`` suffix when ``decorate_names``.
        tip: the type of the value, a hint (``Customer``, ``dict[int, Customer]``) or a
            portable; None stores instances of registered classes (``recover`` then fails).
        encoding: the codec class, ``lc.CodecJson`` (the default, the only one).
        create_default: ``recover()`` of a missing file returns the type's default value.
        pretty_format: 4-space indent, sorted keys; else compact.
        decorate_names: add the ``.json`` suffix to ``name``.
    """

    def __init__(
        self,
        name: str,
        tip: object,
        encoding: object = None,
        create_default: bool = False,
        pretty_format: bool = True,
        decorate_names: bool = True,
    ) -> None:
        _check_encoding(encoding)
        self.name = name
        self.tip = tip
        self.portable = _optional_portable(tip)
        self.encoding = encoding
        self.create_default = create_default
        self.pretty_format = pretty_format
        self.decorate_names = decorate_names

    def __repr__(self) -> str:
        return f"File({self.full_name()!r})"

    def full_name(self, encoding: object = None) -> str:
        """The path of the file, with the suffix when ``decorate_names`` (``encoding`` is
        accepted for 0.1 programs; JSON is the only one)."""
        return _decorated(self.name, self.decorate_names)

    def store(self, value: object, as_name: str | None = None, as_path: str | None = None) -> None:
        """Write ``value`` as the file's type, atomically.

        Args:
            value: an instance of the file's type.
            as_name: write to this name instead (decorated the same way).
            as_path: write into this folder instead (keeping the file's own base name).

        Raises:
            CodecRuntimeError: the value does not fit the type; the file is left untouched.
        """
        name = self.name if as_name is None else as_name
        if as_path is not None:
            name = os.path.join(as_path, os.path.basename(name))
        path = _decorated(name, self.decorate_names)
        portable = self.portable if self.portable is not None else _instance_portable(value, path)
        _write_atomic(path, _encode(value, portable, self.pretty_format))

    def recover(self) -> object:
        """The stored value.

        Raises:
            FileNotFoundError: no file, and not ``create_default``.
            CodecRuntimeError: the content does not decode as the file's type, or the file
                has no type (``File(name, None)``).
        """
        if self.portable is None:
            raise CodecRuntimeError(f'cannot recover "{self.full_name()}" (no type for the file)')
        try:
            return _read(self.full_name(), self.portable)
        except FileNotFoundError:
            if self.create_default:
                return default_of(self.portable)
            raise

    def remove(self) -> bool:
        """Delete the file; False when there was none."""
        try:
            os.remove(self.full_name())
        except FileNotFoundError:
            return False
        return True


class Folder:
    """A folder of JSON files, optionally seen as a dict (api-core §12).

    Args:
        path: the folder; None is the current directory (``.``).
        tip: the type of the files' values (needed by ``file()`` without a tip and by the
            methods that read or write values).
        re: a pattern (text or compiled); only files whose name (suffix stripped) fullmatches
            it are in the folder's view (``matching``, ``each``, ``recover``, ``store``,
            ``clear``). None matches every file.
        encoding: the codec class, ``lc.CodecJson`` (the default, the only one).
        pretty_format, decorate_names, create_default: passed on to the folder's files.
        keys_names: ``(key_of, name_of)``: a value's key in a dict and its file's name;
            needed by ``recover``, ``store``, ``add``, ``update``, ``remove`` and ``clear``.
        make_absolute: resolve ``path`` against the current directory now (DECISION, compat
            §2.9: ORIG defaulted to False, contradicting its docs); False keeps the text as
            given (``Folder('rel').path == 'rel'``, ``Folder().path == '.'``).
        auto_create: create the folder (and its parents) when missing.
    """

    def __init__(
        self,
        path: str | None = None,
        tip: object = None,
        re: str | _re.Pattern[str] | None = None,
        encoding: object = None,
        pretty_format: bool = True,
        decorate_names: bool = True,
        create_default: bool = False,
        keys_names: KeysNames | None = None,
        make_absolute: bool = True,
        auto_create: bool = True,
    ) -> None:
        _check_encoding(encoding)
        if path is None:
            path = "."
        if make_absolute:
            path = os.path.abspath(path)
        self.path = path
        self.tip = tip
        self.portable = None if tip is None else _portable(tip)
        self.re = re
        self._pattern = _re.compile(re) if isinstance(re, str) else re
        self.encoding = encoding
        self.pretty_format = pretty_format
        self.decorate_names = decorate_names
        self.create_default = create_default
        self.keys_names = keys_names
        self.make_absolute = make_absolute
        self.auto_create = auto_create
        if auto_create:
            os.makedirs(path, exist_ok=True)

    def __repr__(self) -> str:
        return f"Folder({self.path!r})"

    # Children ------------------------------------------------------------------------------

    def folder(
        self,
        name: str,
        tip: object = None,
        re: str | _re.Pattern[str] | None = None,
        encoding: object = None,
        pretty_format: bool | None = None,
        decorate_names: bool | None = None,
        create_default: bool | None = None,
        auto_create: bool | None = None,
        keys_names: KeysNames | None = None,
        *,
        make_absolute: bool | None = None,
    ) -> Folder:
        """The sub-folder ``name``; an argument left as None takes this folder's setting
        (positional order of 0.1; ``make_absolute`` is keyword-only)."""
        return Folder(
            os.path.join(self.path, name),
            tip=self.tip if tip is None else tip,
            re=self.re if re is None else re,
            encoding=self.encoding if encoding is None else encoding,
            pretty_format=_inherit(pretty_format, self.pretty_format),
            decorate_names=_inherit(decorate_names, self.decorate_names),
            create_default=_inherit(create_default, self.create_default),
            keys_names=self.keys_names if keys_names is None else keys_names,
            make_absolute=_inherit(make_absolute, self.make_absolute),
            auto_create=_inherit(auto_create, self.auto_create),
        )

    def file(
        self,
        name: str,
        tip: object = None,
        encoding: object = None,
        pretty_format: bool | None = None,
        decorate_names: bool | None = None,
        create_default: bool | None = None,
    ) -> File:
        """The file ``name`` in this folder; an argument left as None takes the folder's
        setting (positional order of 0.1). With no ``tip`` here nor on the folder, the file
        stores instances of registered classes."""
        return File(
            os.path.join(self.path, name),
            self.tip if tip is None else tip,
            encoding=self.encoding if encoding is None else encoding,
            create_default=_inherit(create_default, self.create_default),
            pretty_format=_inherit(pretty_format, self.pretty_format),
            decorate_names=_inherit(decorate_names, self.decorate_names),
        )

    def key(self, item: object) -> object:
        """The key of ``item`` in the folder's dict (``keys_names[0]``).

        Raises:
            ValueError: no ``keys_names``.
        """
        return self._key_name_functions("key")[0](item)

    def name(self, item: object) -> str:
        """The file name of ``item`` (``keys_names[1]``).

        Raises:
            ValueError: no ``keys_names``.
        """
        return self._key_name_functions("name")[1](item)

    def _key_name_functions(self, which: str) -> KeysNames:
        if self.keys_names is None:
            raise ValueError(f'key/name functions not set for "{self.path}" ({which})')
        return self.keys_names

    # Views over a snapshot of the folder ---------------------------------------------------

    def matching(self) -> Iterator[str]:
        """The names (suffix stripped) of the files in view, from a snapshot of the folder."""
        with os.scandir(self.path) as entries:
            files = [e.name for e in entries if e.is_file()]
        for file_name in sorted(files):
            name = self._name_of_file(file_name)
            if name is not None:
                yield name

    def each(self) -> Iterator[File]:
        """A ``File`` for each name of ``matching()`` (a snapshot taken at the first step)."""
        for name in list(self.matching()):
            yield self.file(name)

    def recover(self) -> Iterator[tuple[object, object]]:
        """``(key_of(value), value)`` for each file in view; files gone since the snapshot
        are skipped.

        Raises:
            ValueError: no ``keys_names`` (at the call, before any file is read).
            CodecRuntimeError: a file does not decode as the folder's type.
        """
        key_of, _ = self._keys_names("recover")
        portable = self._values("recover")
        return self._recover(key_of, portable)

    def _recover(
        self, key_of: Callable[[object], object], portable: Portable
    ) -> Iterator[tuple[object, object]]:
        for name in list(self.matching()):
            try:
                value = _read(self._path_of(name), portable)
            except FileNotFoundError:
                continue
            yield key_of(value), value

    # The folder as a dict ------------------------------------------------------------------

    def store(self, values: dict) -> None:
        """Write every value of ``values``, then delete the files in view not written.

        Raises:
            ValueError: no ``keys_names``.
            CodecRuntimeError: a value does not fit the folder's type (files written before
                it stay; nothing is deleted).
        """
        _, name_of = self._keys_names("store")
        portable = self._values("store")
        written = set()
        for value in values.values():
            name = name_of(value)
            self._write(name, value, portable)
            written.add(name)
        for name in list(self.matching()):
            if name not in written:
                self._delete(name)

    def add(self, values: dict, item: object) -> None:
        """Write ``item`` and set it in ``values`` under its key.

        Raises:
            ValueError: no ``keys_names``.
            KeyError: the key is already in ``values`` (nothing written).
        """
        key_of, name_of = self._keys_names("add")
        portable = self._values("add")
        key = key_of(item)
        if key in values:
            raise KeyError(f"cannot add {key!r} (already present)")
        self._write(name_of(item), item, portable)
        values[key] = item

    def update(self, values: dict, item: object) -> None:
        """Rewrite ``item`` and replace it in ``values`` under its key.

        Raises:
            ValueError: no ``keys_names``.
            KeyError: the key is not in ``values`` (nothing written).
        """
        key_of, name_of = self._keys_names("update")
        portable = self._values("update")
        key = key_of(item)
        if key not in values:
            raise KeyError(f"cannot update {key!r} (not present)")
        self._write(name_of(item), item, portable)
        values[key] = item

    def remove(self, values: dict, item: object) -> None:
        """Delete the file of ``item`` and its key from ``values`` (either may be absent).

        Raises:
            ValueError: no ``keys_names``.
        """
        key_of, name_of = self._keys_names("remove")
        self._delete(name_of(item))
        values.pop(key_of(item), None)

    def clear(self, values: dict) -> None:
        """Delete the files in view (others stay) and empty ``values``.

        Raises:
            ValueError: no ``keys_names``.
        """
        self._keys_names("clear")
        for name in list(self.matching()):
            self._delete(name)
        values.clear()

    # Names ---------------------------------------------------------------------------------

    def erase(self, name: str) -> bool:
        """Delete the file ``name`` or, when there is none, the sub-folder ``name``.

        Returns:
            False when there was neither.
        """
        if self._delete(name):
            return True
        folder = os.path.join(self.path, name)
        if os.path.isdir(folder):
            remove_folder(folder)
            return True
        return False

    def exists(self, name: str | None = None) -> bool:
        """Whether the folder (``name`` None), or its file or sub-folder ``name``, exists."""
        if name is None:
            return os.path.isdir(self.path)
        return os.path.isfile(self._path_of(name)) or os.path.isdir(os.path.join(self.path, name))

    # Internals -----------------------------------------------------------------------------

    def _name_of_file(self, file_name: str) -> str | None:
        """The name in view for a file in the folder, or None when out of view."""
        if _PARTIAL.fullmatch(file_name):
            return None
        if self.decorate_names:
            if not file_name.endswith(JSON_SUFFIX):
                return None
            name = file_name[: -len(JSON_SUFFIX)]
        else:
            name = file_name
        if self._pattern is not None and not self._pattern.fullmatch(name):
            return None
        return name

    def _path_of(self, name: str) -> str:
        return os.path.join(self.path, _decorated(name, self.decorate_names))

    def _keys_names(self, method: str) -> KeysNames:
        if self.keys_names is None:
            raise ValueError(f"cannot {method} (folder has no keys_names)")
        return self.keys_names

    def _values(self, method: str) -> Portable:
        if self.portable is None:
            raise ValueError(f"cannot {method} (folder has no tip)")
        return self.portable

    def _write(self, name: str, value: object, portable: Portable) -> None:
        _write_atomic(self._path_of(name), _encode(value, portable, self.pretty_format))

    def _delete(self, name: str) -> bool:
        try:
            os.remove(self._path_of(name))
        except (FileNotFoundError, IsADirectoryError):
            return False
        return True


def _inherit(given: bool | None, own: bool) -> bool:
    return own if given is None else given
