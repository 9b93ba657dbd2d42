"""Persistence signatures of layer-cake 0.1 (compat.md §2.9), written from the entry."""

from __future__ import annotations

import inspect
import os

import pytest

import layer_cake as lc


class Xy:
    def __init__(self, x: int = 0, y: int = 0):
        self.x = x
        self.y = y


lc.bind(Xy)


class JsonCodec:
    """Stands for ``lc.CodecJson`` where it is not there yet: known by its extension."""

    extension = "json"
    pretty_format = True


CODEC = getattr(lc, "CodecJson", JsonCodec)


def names(f) -> list[str]:
    return list(inspect.signature(f).parameters)


def test_signatures_keep_the_orig_positional_order():
    assert names(lc.write_to_file) == ["a", "name", "expression", "encoding", "pretty_format", "kv"]
    assert names(lc.read_from_file) == ["expression", "name", "encoding", "kv"]
    assert names(lc.File) == [
        "name",
        "tip",
        "encoding",
        "create_default",
        "pretty_format",
        "decorate_names",
    ]
    assert names(lc.File.full_name) == ["self", "encoding"]
    assert names(lc.Folder)[:10] == [
        "path",
        "tip",
        "re",
        "encoding",
        "pretty_format",
        "decorate_names",
        "create_default",
        "keys_names",
        "make_absolute",
        "auto_create",
    ]
    assert names(lc.Folder.file) == [
        "self",
        "name",
        "tip",
        "encoding",
        "pretty_format",
        "decorate_names",
        "create_default",
    ]
    assert names(lc.Folder.folder)[:10] == [
        "self",
        "name",
        "tip",
        "re",
        "encoding",
        "pretty_format",
        "decorate_names",
        "create_default",
        "auto_create",
        "keys_names",
    ]


def test_write_to_file_appends_json_and_takes_the_type_of_a_registered_instance(
    tmp_path, monkeypatch
):
    monkeypatch.chdir(tmp_path)
    lc.write_to_file(Xy(1, 2), "w1")
    assert os.listdir(tmp_path) == ["w1.json"]
    assert vars(lc.read_from_file(Xy, "w1")) == {"x": 1, "y": 2}
    lc.write_to_file(Xy(3, 4), "w2", lc.UserDefined(Xy))
    assert lc.read_from_file(lc.UserDefined(Xy), "w2").x == 3
    lc.write_to_file(Xy(5, 6), "w3", encoding=CODEC)
    assert lc.read_from_file(Xy, "w3", encoding=CODEC).y == 6


def test_pretty_format_false_writes_compact_json(tmp_path):
    name = str(tmp_path / "w4")
    lc.write_to_file(Xy(7, 8), name, pretty_format=False)
    assert (tmp_path / "w4.json").read_text().strip() == '{"value":{"x":7,"y":8}}'


def test_decorate_names_false_uses_the_name_as_given(tmp_path):
    name = str(tmp_path / "w5")
    lc.write_to_file(Xy(1, 1), name, decorate_names=False)
    assert os.listdir(tmp_path) == ["w5"]
    assert lc.read_from_file(Xy, name, decorate_names=False).x == 1


def test_unregistered_value_without_expression_is_a_usage_error(tmp_path):
    with pytest.raises(
        lc.CodecError, match=r'^encoding of unregistered message to file ".*w6\.json"$'
    ):
        lc.write_to_file(7, str(tmp_path / "w6"))
    assert os.listdir(tmp_path) == []


def test_missing_file_names_the_suffixed_file(tmp_path):
    with pytest.raises(FileNotFoundError, match=r"nope\.json"):
        lc.read_from_file(Xy, str(tmp_path / "nope"))


def test_file_positional_arguments(tmp_path):
    f = lc.File(str(tmp_path / "f1"), Xy, None, True)  # create_default by position
    assert vars(f.recover()) == {"x": 0, "y": 0}
    assert f.full_name() == str(tmp_path / "f1.json")
    assert f.full_name(CODEC) == str(tmp_path / "f1.json")


def test_file_without_type_stores_registered_instances(tmp_path):
    f = lc.File(str(tmp_path / "f4"), None)
    f.store(Xy(2, 3))
    assert lc.read_from_file(Xy, str(tmp_path / "f4")).y == 3
    with pytest.raises(lc.CodecRuntimeError):
        f.recover()


def test_folder_file_takes_the_orig_positional_order(tmp_path):
    d = lc.Folder(str(tmp_path))
    f = d.file("x", Xy, None, False, True)  # encoding, pretty_format, decorate_names
    assert f.pretty_format is False and f.decorate_names is True
    f.store(Xy(1, 2))
    assert (tmp_path / "x.json").read_text().strip() == '{"value":{"x":1,"y":2}}'
    sub = d.folder("s", Xy, None, None, False, None, None, False)
    assert sub.pretty_format is False and sub.auto_create is False


def test_folder_key_and_name(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    plain = lc.Folder("rel", make_absolute=False)
    with pytest.raises(ValueError, match=r'^key/name functions not set for "rel" \(key\)$'):
        plain.key(Xy())
    with pytest.raises(ValueError, match=r'^key/name functions not set for "rel" \(name\)$'):
        plain.name(Xy())
    keyed = lc.Folder("k", Xy, keys_names=(lambda v: v.x, lambda v: f"n{v.x}"))
    assert keyed.key(Xy(4)) == 4
    assert keyed.name(Xy(4)) == "n4"


def test_paths_are_absolute_unless_make_absolute_false(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    # DECISION: make_absolute defaults to True; False keeps the text as given.
    assert lc.Folder("rel").path == str(tmp_path / "rel")
    assert lc.Folder("rel2", make_absolute=False).path == "rel2"
    assert lc.Folder(make_absolute=False).path == "."
    assert lc.Folder().path == str(tmp_path)


def test_hints_and_bare_classes_are_accepted(tmp_path):
    name = str(tmp_path / "h")
    lc.write_to_file({1: Xy(1, 2)}, name, dict[int, Xy])
    assert lc.read_from_file(dict[int, Xy], name)[1].y == 2
    lc.write_to_file([1, 2], name, list[int])
    assert lc.read_from_file(lc.VectorOf(lc.Integer8()), name) == [1, 2]


def test_another_encoding_is_refused(tmp_path):
    class Xml:
        extension = "xml"

    with pytest.raises(ValueError, match="JSON only"):
        lc.write_to_file(Xy(), str(tmp_path / "x"), encoding=Xml)
