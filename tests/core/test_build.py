"""Which build of the hot modules is loaded: compiled, pure-Python twin, or a refusal."""

from __future__ import annotations

import importlib
import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import pytest

from layer_cake import _build

#: Hot modules whose source is not in the tree yet. Empty this as they land: the test
#: test_pending_hot_modules_are_still_unwritten fails once a listed module exists.
PENDING_HOT_MODULES: frozenset[str] = frozenset()

WRITTEN_HOT_MODULES = [name for name in _build.HOT_MODULES if name not in PENDING_HOT_MODULES]


def run_python(code: str, *args: str, **flags: str) -> subprocess.CompletedProcess[str]:
    """Run ``code`` in a fresh interpreter whose only build flags are ``flags``."""
    flag_names = ("LC_PURE_PYTHON", "LC_REQUIRE_COMPILED")
    env = {name: value for name, value in os.environ.items() if name not in flag_names}
    env.update(flags)
    return subprocess.run(
        [sys.executable, "-c", code, *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_pending_hot_modules_are_still_unwritten() -> None:
    landed = [name for name in PENDING_HOT_MODULES if importlib.util.find_spec(name) is not None]
    assert not landed, f"remove {landed} from PENDING_HOT_MODULES: their source exists now"


@pytest.mark.skipif(not _build.COMPILED_REQUIRED, reason="LC_REQUIRE_COMPILED is not set")
def test_every_hot_module_is_an_extension_when_compilation_is_required() -> None:
    modules = [importlib.import_module(name) for name in WRITTEN_HOT_MODULES]
    assert [m.__name__ for m in modules if not _build.is_compiled(m)] == []
    assert _build.check_required(modules)


@pytest.mark.skipif(not _build.COMPILED_REQUIRED, reason="LC_REQUIRE_COMPILED is not set")
def test_compiled_hot_modules_are_installed_with_their_py_twin_and_pxd() -> None:
    for name in WRITTEN_HOT_MODULES:
        extension = Path(importlib.import_module(name).__file__ or "")
        leaf = name.rpartition(".")[2]
        assert extension.with_name(leaf + ".py").is_file(), name
        assert extension.with_name(leaf + ".pxd").is_file(), name


def test_pure_python_flag_loads_every_hot_module_from_its_py_twin() -> None:
    code = (
        "import importlib, sys\n"
        "from layer_cake import _build\n"
        "for name in sys.argv[1:]:\n"
        "    module = importlib.import_module(name)\n"
        "    print(name, _build.is_compiled(module), module.__file__)\n"
    )
    result = run_python(code, *WRITTEN_HOT_MODULES, LC_PURE_PYTHON="1")
    assert result.returncode == 0, result.stderr
    loaded = [line.split(" ", 2) for line in result.stdout.splitlines()]
    assert [name for name, _, _ in loaded] == WRITTEN_HOT_MODULES
    for name, compiled, file in loaded:
        assert compiled == "False", name
        assert file.endswith(".py"), (name, file)


def test_both_build_flags_together_make_the_import_fail_clearly() -> None:
    result = run_python("import layer_cake", LC_PURE_PYTHON="1", LC_REQUIRE_COMPILED="1")
    assert result.returncode == 1
    assert (
        "ImportError: LC_PURE_PYTHON and LC_REQUIRE_COMPILED are both set"
        in result.stderr.splitlines()[-1]
    )


def test_the_http_server_connection_keeps_its_state_in_c_fields_when_compiled() -> None:
    """Declared in ``_http_server.pxd`` (issue 13: -9 % instructions a parse and response);
    in both builds a connection still takes attributes of other names, as a plain class."""
    from layer_cake.net import _http_server
    from layer_cake.net._http_server import HttpServerConnection

    field = type(HttpServerConnection.__dict__.get("_phase")).__name__
    assert field == ("getset_descriptor" if _build.is_compiled(_http_server) else "NoneType")
    connection = HttpServerConnection([], None, False)
    connection.note = "kept"  # type: ignore[attr-defined]
    connection._body_left = 2**70  # any int, as before: the fields are Python objects
    assert (connection.note, connection._body_left) == ("kept", 2**70)  # type: ignore[attr-defined]
