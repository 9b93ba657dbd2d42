"""The site key file (docs/security.md): made by ``generate_site_key``, found by the order
``use_site_key`` / ``--site-key`` > ``LC_SITE_KEY_FILE`` > ``<home>/site.key``."""

from __future__ import annotations

import base64
import os
import stat
from collections.abc import Iterator

import pytest

from layer_cake.net._site_key import (
    SITE_KEY_ENV,
    SiteKeyError,
    generate_site_key,
    read_site_key,
    read_site_keys,
    site_key,
    site_key_for_child,
    site_key_path,
    site_keys,
    use_site_key,
)
from layer_cake.process._command_line import CL


@pytest.fixture
def clean(monkeypatch) -> Iterator[None]:
    """No key configured by any route (the suite's own key is put back afterwards)."""
    monkeypatch.delenv(SITE_KEY_ENV, raising=False)
    monkeypatch.setattr(CL, "home_path", None)
    monkeypatch.setattr(CL, "site_key", None, raising=False)
    use_site_key(None)
    yield
    use_site_key(None)


def test_a_generated_key_is_32_random_bytes_in_base64_readable_by_its_owner_only(tmp_path):
    path = generate_site_key(tmp_path / "site.key")
    text = (tmp_path / "site.key").read_text()
    assert text.endswith("\n") and len(base64.b64decode(text)) == 32
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert read_site_key(path) == base64.b64decode(text)
    assert read_site_key(generate_site_key(tmp_path / "other.key")) != read_site_key(path)


def test_an_existing_key_is_never_overwritten(tmp_path):
    path = generate_site_key(tmp_path / "site.key")
    before = read_site_key(path)
    with pytest.raises(FileExistsError):
        generate_site_key(path)
    assert read_site_key(path) == before


@pytest.mark.parametrize("mode", [0o640, 0o604, 0o660, 0o666])
def test_a_key_open_to_other_users_is_refused(tmp_path, mode: int):
    path = generate_site_key(tmp_path / "site.key")
    os.chmod(path, mode)
    with pytest.raises(SiteKeyError, match=r"accessible by other users .*chmod 600"):
        read_site_key(path)


@pytest.mark.parametrize(
    "text", ["", "not base64 at all!", base64.b64encode(bytes(31)).decode(), "AAAA\nBBBB"]
)
def test_a_malformed_key_is_refused_without_showing_it(tmp_path, text: str):
    path = tmp_path / "site.key"
    path.write_text(text)
    os.chmod(path, 0o600)
    with pytest.raises(SiteKeyError, match="not one base64 line of 32 bytes") as caught:
        read_site_key(path)
    assert not text or text not in str(caught.value)


def test_a_missing_key_file_is_a_site_key_error(tmp_path):
    with pytest.raises(SiteKeyError, match="cannot read site key"):
        read_site_key(tmp_path / "absent.key")


def test_without_any_configuration_there_is_no_key(clean):
    assert site_key_path() is None
    with pytest.raises(SiteKeyError, match=r"no site key: .*--site-key.*LC_SITE_KEY_FILE"):
        site_key()


def test_the_home_key_is_used_when_nothing_else_is_given(clean, tmp_path, monkeypatch):
    generate_site_key(tmp_path / "site.key")
    monkeypatch.setattr(CL, "home_path", str(tmp_path))
    assert site_key_path() == str(tmp_path / "site.key")
    assert site_key() == read_site_key(tmp_path / "site.key")


def test_the_order_is_code_then_argument_then_environment_then_home(clean, tmp_path, monkeypatch):
    keys = {n: generate_site_key(tmp_path / f"{n}.key") for n in ("code", "arg", "env", "home")}
    os.rename(keys["home"], tmp_path / "site.key")
    monkeypatch.setattr(CL, "home_path", str(tmp_path))
    assert site_key_path() == str(tmp_path / "site.key")
    monkeypatch.setenv(SITE_KEY_ENV, keys["env"])
    assert site_key_path() == keys["env"]
    monkeypatch.setattr(CL, "site_key", keys["arg"], raising=False)
    assert site_key_path() == keys["arg"]
    use_site_key(keys["code"])
    assert site_key_path() == keys["code"]
    assert site_key() == read_site_key(keys["code"])


def test_a_key_file_may_hold_several_keys_for_a_rollover(clean, tmp_path):
    new, old = os.urandom(32), os.urandom(32)
    path = tmp_path / "site.key"
    path.write_text(f"{base64.b64encode(new).decode()}\n\n{base64.b64encode(old).decode()}\n")
    os.chmod(path, 0o600)
    assert read_site_keys(path) == (new, old)
    assert read_site_key(path) == new  # the key that opens links
    use_site_key(path)
    assert site_keys() == (new, old) and site_key() == new


def test_one_bad_line_makes_the_whole_file_unusable(tmp_path):
    path = tmp_path / "site.key"
    path.write_text(base64.b64encode(os.urandom(32)).decode() + "\nnot a key\n")
    os.chmod(path, 0o600)
    with pytest.raises(SiteKeyError, match="not one base64 line"):
        read_site_keys(path)


def test_a_child_is_told_the_key_it_would_not_find_by_itself(clean, tmp_path, monkeypatch):
    """ProcessObject passes ``--site-key`` for a key from code or the command line, and for a
    home key when the child runs in another home; the environment is inherited as it is."""
    home, other = tmp_path / "home", tmp_path / "other"
    home.mkdir()
    other.mkdir()
    assert site_key_for_child(None) is None  # no key here: the child looks for its own
    monkeypatch.setattr(CL, "home_path", str(home))
    assert site_key_for_child(str(other)) is None  # a home without a key file
    home_key = generate_site_key(home / "site.key")
    assert site_key_for_child(str(home)) is None  # the same home: found there
    assert site_key_for_child(str(other)) == home_key
    env_key = generate_site_key(tmp_path / "env.key")
    monkeypatch.setenv(SITE_KEY_ENV, env_key)
    assert site_key_for_child(str(other)) is None  # inherited with the environment
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv(SITE_KEY_ENV, "env.key")  # relative: made absolute for the child
    assert site_key_for_child(str(other)) == env_key
    argument = generate_site_key(tmp_path / "argument.key")
    monkeypatch.setattr(CL, "site_key", "argument.key")
    assert site_key_for_child(str(home)) == argument
    code = generate_site_key(tmp_path / "code.key")
    use_site_key(code)
    assert site_key_for_child(str(home)) == code
