"""Files, folders and home storage (api-core §12-13, acceptance scenarios 54-55)."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys

import pytest

import layer_cake as lc
from layer_cake.process import _home, _persistence
from layer_cake.process._command_line import CL
from layer_cake.process._home import (
    model_folder,
    model_path,
    resource_folder,
    resource_path,
    tmp_folder,
    tmp_path,
)
from layer_cake.process._persistence import (
    File,
    Folder,
    read_from_file,
    remove_contents,
    remove_folder,
    write_to_file,
)
from layer_cake.types._json import encode_json


class Customer:
    def __init__(self, name: str | None = None, age: int | None = None):
        self.name = name
        self.age = age


Customer.__module__ = "stored_shop"
lc.bind(Customer)


class Account:
    def __init__(self, number: int = 0, owner: str | None = None):
        self.number = number
        self.owner = owner


lc.bind(Account)


class Node:
    def __init__(self, value: int = 0, next=None):
        self.value = value
        self.next = next


lc.bind(Node, next=lc.PointerTo(lc.UserDefined(Node)))

BY_NUMBER = (lambda a: a.number, lambda a: str(a.number))


def accounts(folder_path, **kw) -> Folder:
    return Folder(str(folder_path), Account, re=r"\d+", keys_names=BY_NUMBER, **kw)


def files_in(path) -> list[str]:
    return sorted(os.listdir(path))


# Scenario 54 -----------------------------------------------------------------------------------


def test_file_store_writes_the_pretty_shipment_byte_for_byte(tmp_path):
    ada = Customer(name="Ada", age=36)
    lc_file = File(str(tmp_path / "member"), Customer)
    lc_file.store(ada)

    written = (tmp_path / "member.json").read_bytes()
    assert json.loads(written) == {"value": {"age": 36, "name": "Ada"}}
    assert written == encode_json(ada, lc.def_type(Customer), pretty=True).encode("utf-8")
    assert written == b'{\n    "value": {\n        "age": 36,\n        "name": "Ada"\n    }\n}'
    assert files_in(tmp_path) == ["member.json"]


def test_file_recover_returns_the_stored_value(tmp_path):
    File(str(tmp_path / "member"), Customer).store(Customer(name="Ada", age=36))
    back = File(str(tmp_path / "member"), Customer).recover()
    assert isinstance(back, Customer)
    assert (back.name, back.age) == ("Ada", 36)


def test_missing_file_with_create_default_recovers_a_default_instance(tmp_path):
    back = File(str(tmp_path / "member"), Customer, create_default=True).recover()
    assert isinstance(back, Customer)
    assert (back.name, back.age) == (None, None)
    assert files_in(tmp_path) == []  # recovering a default writes nothing


def test_missing_file_without_create_default_raises_file_not_found(tmp_path):
    with pytest.raises(FileNotFoundError):
        File(str(tmp_path / "member"), Customer).recover()


@pytest.mark.parametrize(
    ("tip", "default"),
    [
        (list[int], []),
        (dict[int, Customer], {}),
        (set[str], set()),
        (lc.ArrayOf(lc.Integer8(), 3), [None, None, None]),
        (int, None),
        (str, None),
    ],
)
def test_create_default_gives_the_default_of_the_type(tmp_path, tip, default):
    assert File(str(tmp_path / "nothing"), tip, create_default=True).recover() == default


# Scenario 55 -----------------------------------------------------------------------------------


def test_folder_store_deletes_matching_files_not_in_the_dict(tmp_path):
    (tmp_path / "notes.txt").write_text("keep")
    (tmp_path / "settings.json").write_text("{}")
    (tmp_path / "7").mkdir()
    folder = accounts(tmp_path)
    a, b = Account(1, "Ada"), Account(2, "Alan")

    folder.store({1: a, 2: b})
    assert files_in(tmp_path) == ["1.json", "2.json", "7", "notes.txt", "settings.json"]

    folder.store({1: a})
    assert files_in(tmp_path) == ["1.json", "7", "notes.txt", "settings.json"]
    assert (tmp_path / "notes.txt").read_text() == "keep"
    assert (tmp_path / "settings.json").read_text() == "{}"
    assert dict(folder.recover()).keys() == {1}


# File ------------------------------------------------------------------------------------------


def test_full_name_is_decorated_only_with_decorate_names(tmp_path):
    assert File(str(tmp_path / "a"), int).full_name() == str(tmp_path / "a.json")
    plain = File(str(tmp_path / "a.cfg"), int, decorate_names=False)
    assert plain.full_name() == str(tmp_path / "a.cfg")
    plain.store(5)
    assert files_in(tmp_path) == ["a.cfg"]
    assert plain.recover() == 5


def test_pretty_format_false_writes_compact_json(tmp_path):
    ada = Customer(name="Ada", age=36)
    File(str(tmp_path / "member"), Customer, pretty_format=False).store(ada)
    text = (tmp_path / "member.json").read_text()
    assert text == encode_json(ada, lc.def_type(Customer), pretty=False)
    assert "\n" not in text and " " not in text


def test_store_as_name_and_as_path_redirect_the_write(tmp_path):
    other = tmp_path / "other"
    other.mkdir()
    f = File(str(tmp_path / "member"), Customer)
    f.store(Customer("Ada", 36), as_name=str(tmp_path / "copy"))
    f.store(Customer("Alan", 41), as_path=str(other))
    assert files_in(tmp_path) == ["copy.json", "other"]
    assert files_in(other) == ["member.json"]
    assert File(str(other / "member"), Customer).recover().name == "Alan"


def test_file_remove_reports_whether_there_was_a_file(tmp_path):
    f = File(str(tmp_path / "x"), int)
    assert f.remove() is False
    f.store(1)
    assert f.remove() is True
    assert files_in(tmp_path) == []


def test_store_overwrites_an_existing_file(tmp_path):
    f = File(str(tmp_path / "x"), int)
    f.store(1)
    f.store(2)
    assert f.recover() == 2
    assert files_in(tmp_path) == ["x.json"]


@pytest.mark.parametrize(
    "content",
    [
        b"",
        b"not json at all",
        b'{"value": {"age": 36',
        b'{"nothing": 1}',
        b"[1, 2]",
        b'{"value": {"age": "old", "name": "Ada"}}',
        b"\xff\xfe\xfa",
    ],
)
def test_bad_content_raises_codec_runtime_error(tmp_path, content):
    (tmp_path / "member.json").write_bytes(content)
    with pytest.raises(lc.CodecRuntimeError):
        File(str(tmp_path / "member"), Customer).recover()
    with pytest.raises(lc.CodecRuntimeError):
        File(str(tmp_path / "member"), Customer, create_default=True).recover()


def test_tip_may_be_a_hint_or_a_portable(tmp_path):
    table = {1: Customer("Ada", 36), 2: Customer("Alan", 41)}
    File(str(tmp_path / "by_hint"), dict[int, Customer]).store(table)
    portable = lc.MapOf(lc.Integer8(), lc.UserDefined(Customer))
    back = File(str(tmp_path / "by_hint"), portable).recover()
    assert {k: (v.name, v.age) for k, v in back.items()} == {1: ("Ada", 36), 2: ("Alan", 41)}
    shipment = json.loads((tmp_path / "by_hint.json").read_text())
    assert shipment == {
        "value": [[1, {"age": 36, "name": "Ada"}], [2, {"age": 41, "name": "Alan"}]]
    }


def test_only_json_encoding_is_accepted(tmp_path):
    File(str(tmp_path / "a"), int, encoding="json")
    with pytest.raises(ValueError, match="JSON only"):
        File(str(tmp_path / "a"), int, encoding="xml")
    with pytest.raises(ValueError, match="JSON only"):
        Folder(str(tmp_path), encoding="xml")


def test_a_file_without_a_type_stores_registered_instances_only(tmp_path):
    # compat.md §2.9 overrides the old "a file needs a type": File(name, None) stores
    # instances of registered classes; recover() has no type to decode with.
    f = File(str(tmp_path / "a"), None)
    f.store(Account(4))
    assert files_in(tmp_path) == ["a.json"]
    with pytest.raises(lc.CodecRuntimeError, match="no type"):
        f.recover()
    with pytest.raises(lc.CodecError, match=r'unregistered message to file ".*b\.json"'):
        Folder(str(tmp_path)).file("b").store(7)


def test_pointers_round_trip_through_a_file(tmp_path):
    head = Node(1, Node(2, Node(3)))
    head.next.next.next = head  # a cycle
    f = File(str(tmp_path / "ring"), lc.PointerTo(lc.UserDefined(Node)))
    f.store(head)
    shipment = json.loads((tmp_path / "ring.json").read_text())
    assert len(shipment["pointer"]) == 3
    back = f.recover()
    assert [back.value, back.next.value, back.next.next.value] == [1, 2, 3]
    assert back.next.next.next is back


def test_shared_pointers_stay_shared_through_a_file(tmp_path):
    shared = Node(5)
    f = File(str(tmp_path / "pair"), list[lc.PointerTo(lc.UserDefined(Node))])
    f.store([shared, shared])
    first, second = f.recover()
    assert first is second and first.value == 5


def test_any_values_round_trip_through_a_file(tmp_path):
    f = File(str(tmp_path / "anything"), lc.Any())
    f.store(Customer("Ada", 36))
    assert json.loads((tmp_path / "anything.json").read_text()) == {
        "value": ["stored_shop.Customer", {"age": 36, "name": "Ada"}, []]
    }
    back = f.recover()
    assert isinstance(back, Customer) and back.name == "Ada"

    settings = File(str(tmp_path / "settings"), dict[str, lc.Any()])
    settings.store({"big_table": Account(50, "x"), "head": Node(1, Node(2))})
    back = settings.recover()
    assert (back["big_table"].number, back["head"].next.value) == (50, 2)


# Atomic writes ---------------------------------------------------------------------------------


def test_a_value_that_fails_to_encode_leaves_the_old_file_untouched(tmp_path):
    f = File(str(tmp_path / "member"), Customer)
    f.store(Customer("Ada", 36))
    before = (tmp_path / "member.json").read_bytes()
    with pytest.raises(lc.CodecRuntimeError):
        f.store(Customer("Ada", "thirty-six"))
    assert (tmp_path / "member.json").read_bytes() == before
    assert files_in(tmp_path) == ["member.json"]


def test_a_failure_mid_encode_leaves_no_file_behind(tmp_path, monkeypatch):
    def failing(value, portable, pretty=True):
        raise lc.CodecRuntimeError("cannot encode (simulated)")

    monkeypatch.setattr(_persistence, "encode_json", failing)
    with pytest.raises(lc.CodecRuntimeError):
        File(str(tmp_path / "member"), Customer).store(Customer("Ada", 36))
    assert files_in(tmp_path) == []


def test_a_failure_mid_write_keeps_the_old_content_and_no_partial_file(tmp_path, monkeypatch):
    f = File(str(tmp_path / "member"), Customer)
    f.store(Customer("Ada", 36))
    before = (tmp_path / "member.json").read_bytes()
    real_write = os.write

    def half_then_fail(fd, data):
        real_write(fd, bytes(data[: len(data) // 2]))
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(_persistence.os, "write", half_then_fail)
    with pytest.raises(OSError, match="No space"):
        f.store(Customer("Alan", 41))
    monkeypatch.undo()
    assert (tmp_path / "member.json").read_bytes() == before
    assert files_in(tmp_path) == ["member.json"]


def test_a_failure_to_rename_removes_the_partial_file(tmp_path, monkeypatch):
    def refuse(src, dst):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(_persistence.os, "replace", refuse)
    with pytest.raises(PermissionError):
        File(str(tmp_path / "member"), Customer).store(Customer("Ada", 36))
    monkeypatch.undo()
    assert files_in(tmp_path) == []


def test_written_files_get_the_usual_permissions(tmp_path):
    mask = os.umask(0o022)
    try:
        File(str(tmp_path / "member"), Customer).store(Customer("Ada", 36))
    finally:
        os.umask(mask)
    assert (tmp_path / "member.json").stat().st_mode & 0o777 == 0o644


def test_partial_files_left_by_a_crash_are_out_of_view(tmp_path):
    (tmp_path / ".1.0123456789ab.partial").write_text("{")
    (tmp_path / ".1.json.0123456789ab.partial").write_text("{")
    plain = Folder(str(tmp_path), Account, decorate_names=False, keys_names=BY_NUMBER)
    assert list(plain.matching()) == []
    assert list(Folder(str(tmp_path), Account).matching()) == []


# Folder ----------------------------------------------------------------------------------------


def test_folder_defaults_to_the_current_directory(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert Folder().path == str(tmp_path)


def test_folder_path_is_made_absolute_unless_asked_not_to(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert Folder("data").path == str(tmp_path / "data")
    relative = Folder("rel", make_absolute=False)
    assert relative.path == "rel"
    assert os.path.isdir(tmp_path / "rel")


def test_folder_is_created_unless_auto_create_is_off(tmp_path):
    made = Folder(str(tmp_path / "a" / "b"))
    assert made.exists() and os.path.isdir(tmp_path / "a" / "b")
    absent = Folder(str(tmp_path / "c"), auto_create=False)
    assert not absent.exists()
    assert not os.path.exists(tmp_path / "c")


def test_sub_folders_and_files_inherit_settings(tmp_path):
    top = Folder(
        str(tmp_path),
        Account,
        re=r"\d+",
        pretty_format=False,
        decorate_names=False,
        create_default=True,
        keys_names=BY_NUMBER,
    )
    sub = top.folder("sub")
    assert sub.path == str(tmp_path / "sub") and os.path.isdir(sub.path)
    assert (sub.tip, sub.re, sub.keys_names) == (Account, r"\d+", BY_NUMBER)
    assert (sub.pretty_format, sub.decorate_names, sub.create_default) == (False, False, True)

    f = sub.file("9")
    assert f.full_name() == str(tmp_path / "sub" / "9")
    assert f.recover().number == 0  # create_default inherited
    f.store(Account(9, "Ada"))
    assert (tmp_path / "sub" / "9").read_text() == '{"value":{"number":9,"owner":"Ada"}}'

    other = top.file("name", str, decorate_names=True, pretty_format=True)
    assert other.full_name() == str(tmp_path / "name.json")
    assert top.folder("x", decorate_names=True).decorate_names is True


def test_matching_yields_stems_that_fullmatch_the_pattern(tmp_path):
    for name in ("1.json", "22.json", "3a.json", "x1.json", "4.txt", "5"):
        (tmp_path / name).write_text("{}")
    (tmp_path / "6.json").mkdir()  # a folder is never a file in view
    assert sorted(Folder(str(tmp_path), re=r"\d+").matching()) == ["1", "22"]
    assert sorted(Folder(str(tmp_path), re=re.compile(r"\d+")).matching()) == ["1", "22"]
    assert sorted(Folder(str(tmp_path)).matching()) == ["1", "22", "3a", "x1"]
    undecorated = Folder(str(tmp_path), re=r"\d+", decorate_names=False)
    assert sorted(undecorated.matching()) == ["5"]


def test_each_yields_files_over_a_snapshot(tmp_path):
    folder = accounts(tmp_path)
    folder.store({n: Account(n, f"o{n}") for n in (1, 2, 3)})
    seen = []
    for f in folder.each():
        assert isinstance(f, File)
        seen.append(f.recover().number)
        folder.file("4").store(Account(4))  # added during the walk: not in the snapshot
    assert seen == [1, 2, 3]


def test_recover_yields_keys_and_values_and_skips_files_gone_since_the_snapshot(tmp_path):
    folder = accounts(tmp_path)
    folder.store({n: Account(n, f"o{n}") for n in (1, 2, 3)})
    walk = folder.recover()
    key, value = next(walk)
    assert (key, value.owner) == (1, "o1")
    os.remove(tmp_path / "2.json")
    assert [k for k, _ in walk] == [3]


def test_recover_of_bad_content_raises_codec_runtime_error(tmp_path):
    (tmp_path / "1.json").write_text('{"value": 1}')
    with pytest.raises(lc.CodecRuntimeError):
        dict(accounts(tmp_path).recover())


def test_add_update_remove_clear_keep_dict_and_files_in_step(tmp_path):
    (tmp_path / "notes.json").write_text("{}")  # not matching: clear leaves it
    folder = accounts(tmp_path)
    table: dict[int, Account] = {}

    folder.add(table, Account(1, "Ada"))
    folder.add(table, Account(2, "Alan"))
    assert table.keys() == {1, 2}
    with pytest.raises(KeyError, match="already present"):
        folder.add(table, Account(1, "Other"))
    assert table[1].owner == "Ada"

    folder.update(table, Account(2, "Grace"))
    assert dict(folder.recover())[2].owner == "Grace"
    with pytest.raises(KeyError, match="not present"):
        folder.update(table, Account(3, "Nobody"))
    assert not folder.exists("3")

    folder.remove(table, Account(1))
    assert table.keys() == {2}
    assert not folder.exists("1")
    folder.remove(table, Account(1))  # absent: not an error

    folder.clear(table)
    assert table == {}
    assert files_in(tmp_path) == ["notes.json"]


def test_dict_methods_need_keys_names(tmp_path):
    folder = Folder(str(tmp_path), Account)
    for call in (
        folder.recover,
        lambda: folder.store({}),
        lambda: folder.add({}, Account(1)),
        lambda: folder.update({1: Account(1)}, Account(1)),
        lambda: folder.remove({}, Account(1)),
        lambda: folder.clear({}),
    ):
        with pytest.raises(ValueError, match="keys_names"):
            call()


def test_value_methods_need_a_tip(tmp_path):
    folder = Folder(str(tmp_path), keys_names=BY_NUMBER)
    with pytest.raises(ValueError, match="no tip"):
        folder.store({1: Account(1)})


def test_erase_and_exists(tmp_path):
    folder = accounts(tmp_path)
    folder.file("1").store(Account(1))
    folder.folder("sub")
    assert folder.exists() and folder.exists("1") and folder.exists("sub")
    assert not folder.exists("2")
    assert folder.erase("1") is True
    assert folder.erase("1") is False
    assert folder.erase("sub") is True
    assert folder.erase("nothing") is False
    assert files_in(tmp_path) == []


def test_store_of_a_bad_value_deletes_nothing(tmp_path):
    folder = accounts(tmp_path)
    folder.store({1: Account(1), 2: Account(2)})
    with pytest.raises(lc.CodecRuntimeError):
        folder.store({1: Account("one")})
    assert files_in(tmp_path) == ["1.json", "2.json"]


# Helpers ---------------------------------------------------------------------------------------


def test_write_and_read_add_the_json_suffix(tmp_path):
    # compat.md §2.9 overrides the old "exact path": the .json suffix is added, as in 0.1.
    name = str(tmp_path / "table.cfg")
    write_to_file({1: Customer("Ada", 36)}, name, dict[int, Customer])
    assert files_in(tmp_path) == ["table.cfg.json"]
    assert read_from_file(dict[int, Customer], name)[1].age == 36
    assert read_from_file(lc.MapOf(lc.Integer8(), lc.UserDefined(Customer)), name)[1].name == "Ada"
    with pytest.raises(FileNotFoundError):
        read_from_file(int, str(tmp_path / "missing"))
    with pytest.raises(lc.CodecRuntimeError):
        write_to_file("x", name, int)
    assert read_from_file(dict[int, Customer], name)[1].age == 36


def test_remove_folder_and_remove_contents(tmp_path):
    top = tmp_path / "top"
    (top / "a" / "b").mkdir(parents=True)
    (top / "a" / "b" / "f.json").write_text("{}")
    (top / "g.json").write_text("{}")
    remove_contents(str(top))
    assert os.path.isdir(top) and files_in(top) == []
    (top / "h").mkdir()
    remove_folder(str(top))
    assert not os.path.exists(top)
    remove_folder(str(top))  # missing: not an error


# Home storage ----------------------------------------------------------------------------------


@pytest.fixture
def standalone(monkeypatch, tmp_path):
    """CL as for a process started outside a home; restored afterwards."""
    for name in ("home_path", "role_name", "resource_path", "model_path"):
        monkeypatch.setattr(CL, name, None)
    monkeypatch.setattr(_home, "_standalone_tmp", [])
    monkeypatch.chdir(tmp_path)
    return tmp_path


@pytest.fixture
def in_home(standalone, monkeypatch):
    """CL as for role ``r1`` of a home in ``tmp_path/home``; restored afterwards."""
    home = standalone / "home"
    monkeypatch.setattr(CL, "home_path", str(home))
    monkeypatch.setattr(CL, "role_name", "r1")
    monkeypatch.setattr(_home, "_emptied", set())
    return home


def test_standalone_resource_is_the_resource_path_argument_or_none(standalone, monkeypatch):
    assert resource_path() is None and resource_folder() is None
    monkeypatch.setattr(CL, "resource_path", "materials")
    assert resource_path() == str(standalone / "materials")
    assert resource_folder().path == str(standalone / "materials")
    assert not os.path.exists(standalone / "materials")  # supplied, never made


def test_standalone_model_is_the_model_path_argument_or_the_cwd(standalone, monkeypatch):
    assert model_path() == str(standalone)
    assert model_folder().path == str(standalone)
    monkeypatch.setattr(CL, "model_path", "model")
    assert model_path() == str(standalone / "model")
    model_folder().file("m", int).store(1)
    assert files_in(standalone / "model") == ["m.json"]


def test_standalone_tmp_is_one_temporary_folder_per_process(standalone):
    first = tmp_path()
    assert os.path.isdir(first) and not first.startswith(str(standalone))
    assert tmp_path() == first and tmp_folder().path == first
    remove_folder(first)


def test_standalone_tmp_is_deleted_at_exit(tmp_path):
    code = (
        "from layer_cake.process._home import tmp_path\n"
        "p = tmp_path()\n"
        "open(p + '/scratch', 'w').close()\n"
        "print(p)\n"
    )
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path))
    done = subprocess.run(
        [sys.executable, "-c", code],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    made = done.stdout.strip()
    assert made and not os.path.exists(made)


def test_home_folders_are_those_of_the_role(in_home):
    role = in_home / "role" / "r1"
    assert model_path() == str(role / "model")
    assert tmp_path() == str(role / "tmp")
    executable = os.path.basename(sys.argv[0])
    assert resource_path() == str(in_home / "resource" / executable)
    assert model_folder().path == str(role / "model") and os.path.isdir(role / "model")
    assert tmp_folder().path == str(role / "tmp") and os.path.isdir(role / "tmp")
    assert resource_folder().path == resource_path()


def test_home_paths_are_absolute(in_home, monkeypatch):
    monkeypatch.setattr(CL, "home_path", "home")
    assert model_path() == str(in_home / "role" / "r1" / "model")


def test_home_tmp_is_emptied_at_first_use_only(in_home):
    tmp = in_home / "role" / "r1" / "tmp"
    (tmp / "old").mkdir(parents=True)
    (tmp / "stale.json").write_text("{}")
    assert tmp_path() == str(tmp)
    assert files_in(tmp) == []
    (tmp / "fresh.json").write_text("{}")
    tmp_path()
    tmp_folder()
    assert files_in(tmp) == ["fresh.json"]


def test_a_home_needs_both_home_path_and_role_name(standalone, monkeypatch):
    monkeypatch.setattr(CL, "home_path", str(standalone / "home"))
    assert model_path() == str(standalone)
    assert resource_path() is None
