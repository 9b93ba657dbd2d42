"""Disk storage: manifests of folders and the changes that make one folder mirror another
(compat.md §3.11; used by the CLI's ``resource``, ``model`` and ``script``).

A scan (``storage_manifest``) turns a folder into a tree of ``StorageManifest`` (folders) and
``StorageListing`` (files) nodes, each knowing its parent, with recursive counts. A
selection (``storage_selection``) is a logical folder made of chosen files and folders, each
still parented by its real folder, so a node's ``full_path()`` is always where it lives on
disk. ``storage_delta`` compares a source tree with a target tree and yields the messages
(``AddFile``, ``RemoveFolder``...) that ``FolderTransfer`` (``_transfer``) applies. Nothing
here writes to disk.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterable, Iterator
from datetime import datetime, timezone

from ..types._portable import Any, Integer8, MapOf, PointerTo, Unicode, UserDefined
from ..types._registry import bind_library_message

__all__ = [
    "DELTA_FILE_ADD",
    "DELTA_FILE_UPDATE",
    "DELTA_FILE_UGM",
    "DELTA_FILE_REMOVE",
    "DELTA_FILE_CRUD",
    "DELTA_FOLDER_ADD",
    "DELTA_FOLDER_UPDATE",
    "DELTA_FOLDER_UGM",
    "DELTA_FOLDER_REMOVE",
    "DELTA_FOLDER_CRUD",
    "DELTA_CRUD",
    "StorageAttributes",
    "StorageManifest",
    "StorageListing",
    "StorageTables",
    "storage_manifest",
    "storage_selection",
    "storage_walk",
    "show_listings",
    "storage_delta",
    "AddFile",
    "AddFolder",
    "UpdateFile",
    "RemoveFile",
    "RemoveFolder",
    "ReplaceWithFile",
    "ReplaceWithFolder",
    "UpdateUser",
    "UpdateGroup",
    "UpdateMode",
    "shape_of_folder",
]

DELTA_FILE_ADD = 0x01
DELTA_FILE_UPDATE = 0x02
DELTA_FILE_UGM = 0x04
DELTA_FILE_REMOVE = 0x08
DELTA_FILE_CRUD = 0x0F
DELTA_FOLDER_ADD = 0x10
DELTA_FOLDER_UPDATE = 0x20
DELTA_FOLDER_UGM = 0x40
DELTA_FOLDER_REMOVE = 0x80
DELTA_FOLDER_CRUD = 0xF0
DELTA_CRUD = 0xFF

_SIGNATURE = "layer_cake.disk_storage."


# Nodes ---------------------------------------------------------------------------------------


class StorageAttributes:
    """Owner, group and ``st_mode`` of a file or folder (raw numbers, never names)."""

    def __init__(self, user: int | None = None, group: int | None = None, mode: int | None = None):
        self.user = user
        self.group = group
        self.mode = mode

    def __str__(self) -> str:
        return f"StorageAttributes(owner={self.user}, group={self.group}, permissions={self.mode})"

    __repr__ = __str__


class StorageManifest:
    """A folder: its entries by name (``content``) and recursive counts of the folders
    (``manifests``), files (``listings``) and bytes below it."""

    def __init__(
        self,
        path: str | None = None,
        modified: datetime | None = None,
        attributes: StorageAttributes | None = None,
        content: dict | None = None,
        parent: StorageManifest | None = None,
        manifests: int = 0,
        listings: int = 0,
        bytes: int = 0,
    ) -> None:
        self.path = path
        self.modified = modified
        self.attributes = attributes
        self.content = {} if content is None else content
        self.parent = parent
        self.manifests = manifests
        self.listings = listings
        self.bytes = bytes

    def full_path(self) -> str | None:
        """Where the folder is."""
        return self.path

    def origin(self) -> str | None:
        """The path of the root of the scan this folder belongs to."""
        node = self
        while node.parent is not None:
            node = node.parent
        return node.path

    def __str__(self) -> str:
        return (
            f"StorageManifest(path={self.path}, modified={self.modified}, "
            f"attributes={self.attributes}, contents={len(self.content)})"
        )

    __repr__ = __str__


class StorageListing:
    """A file: its name in its parent folder, its time, attributes and size."""

    def __init__(
        self,
        name: str | None = None,
        modified: datetime | None = None,
        attributes: StorageAttributes | None = None,
        size: int = 0,
        parent: StorageManifest | None = None,
    ) -> None:
        self.name = name
        self.modified = modified
        self.attributes = attributes
        self.size = size
        self.parent = parent

    def full_path(self) -> str:
        """Where the file is: its parent's path and its name."""
        folder = self.parent.path if self.parent is not None else None
        return os.path.join(folder or "", self.name or "")

    def __str__(self) -> str:
        return (
            f"StorageListing(name={self.name}, modified={self.modified}, "
            f"attributes={self.attributes})"
        )

    __repr__ = __str__


class StorageTables:
    """The user and group ids seen by scans; names are never resolved (values stay None)."""

    def __init__(
        self, user_name: dict[int, str] | None = None, group_name: dict[int, str] | None = None
    ) -> None:
        self.user_name = {} if user_name is None else user_name
        self.group_name = {} if group_name is None else group_name

    def __str__(self) -> str:
        return f"StorageTables(user_name={len(self.user_name)}, group_name={len(self.group_name)})"

    __repr__ = __str__


_MANIFEST = UserDefined(StorageManifest)
bind_library_message(
    StorageAttributes, _SIGNATURE + "StorageAttributes", user=int, group=int, mode=int
)
bind_library_message(
    StorageManifest,
    _SIGNATURE + "StorageManifest",
    path=str,
    modified=datetime,
    attributes=PointerTo(UserDefined(StorageAttributes)),
    content=MapOf(Unicode(), Any()),
    parent=PointerTo(_MANIFEST),
    manifests=int,
    listings=int,
    bytes=int,
)
bind_library_message(
    StorageListing,
    _SIGNATURE + "StorageListing",
    name=str,
    modified=datetime,
    attributes=PointerTo(UserDefined(StorageAttributes)),
    size=int,
    parent=PointerTo(_MANIFEST),
)
bind_library_message(
    StorageTables,
    _SIGNATURE + "StorageTables",
    user_name=MapOf(Integer8(), Unicode()),
    group_name=MapOf(Integer8(), Unicode()),
)

Node = StorageManifest | StorageListing


# Scans ---------------------------------------------------------------------------------------


def _modified(st: os.stat_result) -> datetime:
    return datetime.fromtimestamp(st.st_mtime, tz=timezone.utc)


def _attributes(st: os.stat_result, table: StorageTables) -> StorageAttributes:
    table.user_name.setdefault(st.st_uid, None)  # type: ignore[arg-type]
    table.group_name.setdefault(st.st_gid, None)  # type: ignore[arg-type]
    return StorageAttributes(st.st_uid, st.st_gid, st.st_mode)


def _scan(path: str, st: os.stat_result, parent: StorageManifest | None, table: StorageTables):
    folder = StorageManifest(path, _modified(st), _attributes(st, table), {}, parent)
    with os.scandir(path) as entries:
        listed = sorted(entries, key=lambda e: e.name)
    for entry in listed:
        try:
            est = entry.stat(follow_symlinks=False)
        except FileNotFoundError:  # gone since the listing
            continue
        if stat.S_ISDIR(est.st_mode):
            sub = _scan(entry.path, est, folder, table)
            folder.content[entry.name] = sub
            folder.manifests += 1 + sub.manifests
            folder.listings += sub.listings
            folder.bytes += sub.bytes
        elif stat.S_ISREG(est.st_mode):
            folder.content[entry.name] = StorageListing(
                entry.name, _modified(est), _attributes(est, table), est.st_size, folder
            )
            folder.listings += 1
            folder.bytes += est.st_size
    return folder


def storage_manifest(
    path: str, parent: StorageManifest | None = None, table: StorageTables | None = None
) -> tuple[StorageManifest, StorageTables]:
    """Scan the folder at ``path`` (recursively; regular files and folders only).

    Returns:
        ``(manifest, table)``; ``table`` is the one given, with the ids seen added.

    Raises:
        FileNotFoundError: no such folder.
        NotADirectoryError: ``path`` is not a folder.
    """
    table = StorageTables() if table is None else table
    st = os.stat(path)
    if not stat.S_ISDIR(st.st_mode):
        raise NotADirectoryError(f'"{path}" is not a folder')
    return _scan(path, st, parent, table), table


def _real_folder(path: str, table: StorageTables) -> StorageManifest:
    """The parent of a selected entry: its real folder, not scanned."""
    st = os.stat(path)
    return StorageManifest(path, _modified(st), _attributes(st, table), {})


def storage_selection(
    selection: Iterable[str], path: str | None = None, table: StorageTables | None = None
) -> tuple[StorageManifest, StorageTables]:
    """A logical folder holding each selected file or folder under its base name.

    Args:
        selection: paths of files and folders (relative to the current directory).
        path: the logical folder's path, as given.

    Raises:
        ValueError: ``"<abs>" does not exist``, or ``multiple selections of "<name>"``.
    """
    table = StorageTables() if table is None else table
    logical = StorageManifest(path, None, None, {})
    for selected in selection:
        absolute = os.path.abspath(selected)
        try:
            st = os.stat(absolute)
        except OSError:
            raise ValueError(f'"{absolute}" does not exist') from None
        name = os.path.basename(absolute)
        if name in logical.content:
            raise ValueError(f'multiple selections of "{name}"')
        real = _real_folder(os.path.dirname(absolute), table)
        if stat.S_ISDIR(st.st_mode):
            node, _ = storage_manifest(absolute, real, table)
            logical.manifests += 1 + node.manifests
            logical.listings += node.listings
            logical.bytes += node.bytes
        elif stat.S_ISREG(st.st_mode):
            node = StorageListing(name, _modified(st), _attributes(st, table), st.st_size, real)
            logical.listings += 1
            logical.bytes += st.st_size
        else:
            raise ValueError(f'"{absolute}" does not exist')
        real.content[name] = node
        logical.content[name] = node
    return logical, table


def storage_walk(man: StorageManifest) -> Iterator[tuple[str, Node]]:
    """``(full_path, node)`` of every file and folder, children before their folder (by
    name), the root last."""
    for name in sorted(man.content):
        node = man.content[name]
        if isinstance(node, StorageManifest):
            yield from storage_walk(node)
        else:
            yield node.full_path(), node
    yield man.full_path() or "", man


def _relative(man: StorageManifest, prefix: str = "") -> Iterator[tuple[str, Node]]:
    for name, node in man.content.items():
        relative = prefix + name
        yield relative, node
        if isinstance(node, StorageManifest):
            yield from _relative(node, relative + "/")


def show_listings(man: StorageManifest) -> None:
    """Print the tree: the root with its counts, then every entry sorted by relative path,
    indented two spaces per level below the first (folders ``+``, files ``-``)."""
    print(f"{man.path} ({man.manifests}, {man.listings}, {man.bytes})")
    for relative, node in sorted(_relative(man)):
        indent = "  " * relative.count("/")
        name = relative.rpartition("/")[2]
        if isinstance(node, StorageManifest):
            print(f"{indent}+ {name} ({node.manifests}, {node.listings}, {node.bytes})")
        else:
            print(f"{indent}- {name} ({node.size})")


def shape_of_folder(path: str) -> tuple[int, int, int]:
    """``(folders, files, bytes)`` below ``path``, recursively (the folder itself not
    counted; the ``list -ll`` figures)."""
    folders = files = size = 0
    for here, names, leaves in os.walk(path):
        folders += len(names)
        for leaf in leaves:
            try:
                size += os.lstat(os.path.join(here, leaf)).st_size
            except OSError:
                continue
            files += 1
    return folders, files, size


# Changes -------------------------------------------------------------------------------------


class AddFile:
    """Copy the file ``source`` into the folder ``target``."""

    def __init__(self, source: StorageListing | None = None, target: StorageManifest | None = None):
        self.source = source
        self.target = target

    def __str__(self) -> str:
        return f"AddFile(path={_path(self.source)}, target={_path(self.target)})"


class AddFolder:
    """Copy the folder ``source`` (its whole tree) into the folder ``target``."""

    def __init__(
        self, source: StorageManifest | None = None, target: StorageManifest | None = None
    ):
        self.source = source
        self.target = target

    def __str__(self) -> str:
        return f"AddFolder(path={_path(self.source)}, target={_path(self.target)})"


class UpdateFile:
    """Replace the same-named file in the folder ``target`` with the newer ``source``."""

    def __init__(self, source: StorageListing | None = None, target: StorageManifest | None = None):
        self.source = source
        self.target = target

    def __str__(self) -> str:
        modified = self.source.modified if self.source is not None else None
        source, target = _path(self.source), _path(self.target)
        return f"UpdateFile(path={source}, modified={modified}, target={target})"


class RemoveFile:
    """Delete the target file ``file``."""

    def __init__(self, file: StorageListing | None = None):
        self.file = file

    def __str__(self) -> str:
        modified = self.file.modified if self.file is not None else None
        return f"RemoveFile(path={_path(self.file)}, modified={modified})"


class RemoveFolder:
    """Delete the target folder ``folder`` and its tree."""

    def __init__(self, folder: StorageManifest | None = None):
        self.folder = folder

    def __str__(self) -> str:
        f = self.folder
        modified = f.modified if f is not None else None
        contents = len(f.content) if f is not None else 0
        return f"RemoveFolder(path={_path(f)}, modified={modified}, contents={contents})"


class ReplaceWithFile:
    """Delete the target folder ``target`` and put the file ``source`` in its place."""

    def __init__(self, source: StorageListing | None = None, target: StorageManifest | None = None):
        self.source = source
        self.target = target

    def __str__(self) -> str:
        return f"ReplaceWithFile(source={_path(self.source)}, target={_path(self.target)})"


class ReplaceWithFolder:
    """Delete the target file ``target`` and put a copy of the folder ``source`` in its place
    (DECISION: ORIG deleted the file, then faulted)."""

    def __init__(self, source: StorageManifest | None = None, target: StorageListing | None = None):
        self.source = source
        self.target = target

    def __str__(self) -> str:
        return f"ReplaceWithFolder(path={_path(self.source)}, target={_path(self.target)})"


class UpdateUser:
    """The target's owner differs from the source's (reported, never applied: no chown)."""

    def __init__(self, target: Node | None = None, user: int | None = None):
        self.target = target
        self.user = user

    def __str__(self) -> str:
        return f"UpdateUser(target={_path(self.target)}, user={self.user})"


class UpdateGroup:
    """The target's group differs from the source's (reported, never applied)."""

    def __init__(self, target: Node | None = None, group: int | None = None):
        self.target = target
        self.group = group

    def __str__(self) -> str:
        return f"UpdateGroup(target={_path(self.target)}, group={self.group})"


class UpdateMode:
    """The target's mode differs from the source's: ``chmod`` it."""

    def __init__(self, target: Node | None = None, mode: int | None = None):
        self.target = target
        self.mode = mode

    def __str__(self) -> str:
        return f"UpdateMode(target={_path(self.target)}, mode={self.mode})"


_LISTING = PointerTo(UserDefined(StorageListing))
_FOLDER = PointerTo(_MANIFEST)
for _cls, _fields in (
    (AddFile, {"source": _LISTING, "target": _FOLDER}),
    (AddFolder, {"source": _FOLDER, "target": _FOLDER}),
    (UpdateFile, {"source": _LISTING, "target": _FOLDER}),
    (RemoveFile, {"file": _LISTING}),
    (RemoveFolder, {"folder": _FOLDER}),
    (ReplaceWithFile, {"source": _LISTING, "target": _FOLDER}),
    (ReplaceWithFolder, {"source": _FOLDER, "target": _LISTING}),
    (UpdateUser, {"target": Any(), "user": int}),
    (UpdateGroup, {"target": Any(), "group": int}),
    (UpdateMode, {"target": Any(), "mode": int}),
):
    _cls.__repr__ = _cls.__str__  # type: ignore[method-assign]
    bind_library_message(_cls, _SIGNATURE + _cls.__name__, **_fields)


def _path(node: object) -> str | None:
    return node.full_path() if node is not None else None  # type: ignore[attr-defined]


def shown_path(change: object) -> str:
    """The first path a change shows (its sort key)."""
    for field in ("source", "file", "folder", "target"):
        node = getattr(change, field, None)
        if node is not None:
            return _path(node) or ""
    return ""


def _inside(path: str | None, folder: str | None) -> bool:
    if not path or not folder:
        return False
    path, folder = os.path.abspath(path), os.path.abspath(folder)
    return path == folder or path.startswith(folder.rstrip(os.sep) + os.sep)


def _attribute_changes(source: Node, target: Node) -> Iterator[object]:
    s, t = source.attributes, target.attributes
    if s is None or t is None:
        return
    if s.user != t.user:
        yield UpdateUser(target, s.user)
    if s.group != t.group:
        yield UpdateGroup(target, s.group)
    if s.mode != t.mode:
        yield UpdateMode(target, s.mode)


def _changes(source: StorageManifest, target: StorageManifest, flags: int) -> Iterator[object]:
    for name in set(source.content) | set(target.content):
        s = source.content.get(name)
        t = target.content.get(name)
        if s is not None and t is not None:
            s_folder, t_folder = isinstance(s, StorageManifest), isinstance(t, StorageManifest)
            if s_folder and t_folder:
                if flags & DELTA_FOLDER_UPDATE:
                    yield from _changes(s, t, flags)  # type: ignore[arg-type]
                if flags & DELTA_FOLDER_UGM:
                    yield from _attribute_changes(s, t)
            elif not s_folder and not t_folder:
                if s.modified is not None and t.modified is not None and s.modified > t.modified:
                    if flags & DELTA_FILE_UPDATE:
                        yield UpdateFile(s, target)  # type: ignore[arg-type]
                elif flags & DELTA_FILE_UGM:
                    yield from _attribute_changes(s, t)
            elif s_folder:
                if flags & DELTA_FILE_REMOVE and flags & DELTA_FOLDER_ADD:
                    yield ReplaceWithFolder(s, t)  # type: ignore[arg-type]
            elif flags & DELTA_FOLDER_REMOVE and flags & DELTA_FILE_ADD:
                yield ReplaceWithFile(s, t)  # type: ignore[arg-type]
        elif s is not None:
            if isinstance(s, StorageManifest):
                if flags & DELTA_FOLDER_ADD and not _inside(target.path, s.path):
                    yield AddFolder(s, target)
            elif flags & DELTA_FILE_ADD:
                yield AddFile(s, target)
        elif t is not None:
            if isinstance(t, StorageManifest):
                if flags & DELTA_FOLDER_REMOVE:
                    yield RemoveFolder(t)
            elif flags & DELTA_FILE_REMOVE:
                yield RemoveFile(t)


def storage_delta(
    source: StorageManifest,
    target: StorageManifest,
    flags: int = DELTA_CRUD,
    guard_path: str | None = None,
) -> Iterator[object]:
    """The changes that make ``target`` mirror ``source``, sorted by the path each shows
    (DECISION: ORIG yielded them in set order). Sizes are never compared; a file is updated
    when the source's time is strictly newer. ``guard_path`` is accepted and unused (ORIG)."""
    yield from sorted(_changes(source, target, flags), key=shown_path)
