"""``import layer_cake`` loads only what an entry point needs; the rest loads on first use
(issue 13).

Each check runs a fresh interpreter (the test process has long since imported everything),
under the pure-Python twins and under the default build choice (compiled when installed).
A test here fails when someone puts an eager import of a heavy module back.
"""

from __future__ import annotations

import importlib
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import layer_cake as lc

#: Never loaded by ``import layer_cake``: encryption, the event loop, networking, processes,
#: persistence and the heavier stdlib modules they bring.
NOT_LOADED_BY_IMPORT = (
    "nacl",
    "_cffi_backend",
    "_sodium",
    "asyncio",
    "uvloop",
    "ssl",
    "socket",
    "ipaddress",
    "subprocess",
    "tempfile",
    "shlex",
    "shutil",
    "hashlib",
    "hmac",
    "ctypes",
    "calendar",
    "bz2",
    "lzma",
    "concurrent.futures",
    "logging",
    "decimal",
    "textwrap",
    "httptools",
    "urllib.parse",
    "email.utils",
    "layer_cake.net._transport",
    "layer_cake.net._crypto",
    "layer_cake.net._http_server",
    "layer_cake.pubsub._node",
    "layer_cake.pubsub._directory",
    "layer_cake.process._process_object",
    "layer_cake.process._persistence",
    "layer_cake.process._home_role",
    "layer_cake.types._codec",
)

#: Also never loaded by a process whose main object is a function that returns at once (no
#: event loop: a function object runs on a thread of its own).
NOT_LOADED_BY_ENTRY = (*NOT_LOADED_BY_IMPORT, "layer_cake.process._role")

#: Each build's environment, whatever the session exported: the compiled session sets
#: LC_REQUIRE_COMPILED, which the pure twins must clear (both set is an ImportError).
BUILDS = {
    "pure": {"LC_PURE_PYTHON": "1", "LC_REQUIRE_COMPILED": ""},
    "default build": {"LC_PURE_PYTHON": ""},
}

SRC = Path(lc.__file__).resolve().parent.parent


def run_python(code: str, build: str, *args: str, cwd: Path | None = None) -> str:
    """stdout of a fresh interpreter running ``code``; fails on a non-zero exit."""
    env = {**os.environ, **BUILDS[build], "LC_PRIMARY_IP": "none"}
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(SRC), env.get("PYTHONPATH", "")) if p)
    done = subprocess.run(
        [sys.executable, "-c", code, *args],
        check=False,
        capture_output=True,
        text=True,
        env=env,
        cwd=cwd,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def loaded(text: str) -> set[str]:
    return set(text.split())


LIST_MODULES = "import sys; print(' '.join(sorted(sys.modules)))"


@pytest.mark.parametrize("build", list(BUILDS))
def test_import_loads_no_heavy_module(build: str) -> None:
    modules = loaded(run_python(f"import layer_cake\n{LIST_MODULES}", build))
    assert "layer_cake" in modules and "layer_cake.process._entry" in modules
    assert sorted(modules.intersection(NOT_LOADED_BY_IMPORT)) == []


@pytest.mark.parametrize("build", list(BUILDS))
def test_entry_point_returning_at_once_starts_no_loop_and_loads_no_heavy_module(
    build: str, tmp_path: Path
) -> None:
    script = textwrap.dedent(
        """
        import atexit, sys
        import layer_cake as lc

        def main(self):
            return None

        lc.bind(main)
        atexit.register(lambda: print(" ".join(sorted(sys.modules))))
        lc.create(main)
        """
    )
    modules = loaded(run_python(script, build, cwd=tmp_path))
    assert "layer_cake.process._entry" in modules  # the hook ran after create()
    assert sorted(modules.intersection(NOT_LOADED_BY_ENTRY)) == []


@pytest.mark.parametrize(
    ("use", "loads"),
    [
        (
            "from layer_cake.net._site_key import generate_site_key\n"
            "generate_site_key(sys.argv[1] + '/site.key')",
            "nacl",
        ),
        ("from layer_cake.net._noise import KeyPair\nKeyPair()", "nacl"),
        ("lc.ProcessObject", "layer_cake.process._process_object"),
        ("lc.ProcessObject", "subprocess"),
        ("lc.CodecJson", "layer_cake.types._codec"),
        ("lc.File", "layer_cake.process._persistence"),
        ("lc.publish", "layer_cake.pubsub._node"),
        ("lc.listen", "layer_cake.net._transport"),
        (
            "with lc.channel() as c:\n"
            "    c.start(lc.T1, 0.01)\n"
            "    assert c.select(lc.T1, seconds=60.0)[1] == 0",
            "asyncio",
        ),
    ],
)
def test_using_a_feature_loads_what_it_needs(use: str, loads: str, tmp_path: Path) -> None:
    code = (
        f"import sys\nimport layer_cake as lc\nassert {loads!r} not in sys.modules\n"
        f"{use}\n{LIST_MODULES}"
    )
    assert loads in loaded(run_python(code, "pure", str(tmp_path)))


def test_a_library_type_of_a_module_not_loaded_yet_resolves_by_name() -> None:
    code = textwrap.dedent(
        """
        import sys
        import layer_cake
        from layer_cake.types._message import resolve_signature
        assert "layer_cake.net._http_messages" not in sys.modules
        p = resolve_signature("layer_cake.http.HttpRequest")
        print(p.element.__module__)
        """
    )
    assert run_python(code, "pure").strip() == "layer_cake.net._http_messages"


def test_dump_types_lists_the_types_of_modules_not_loaded_yet(tmp_path: Path) -> None:
    script = textwrap.dedent(
        """
        import layer_cake as lc

        def main(self):
            return None

        lc.bind(main)
        lc.create(main)
        """
    )
    listed = run_python(script, "pure", "--dump-types", cwd=tmp_path).split()
    assert "layer_cake.http.HttpRequest" in listed
    assert "layer_cake.object_directory.Published" in listed


@pytest.mark.parametrize("module", sorted(lc._LAZY_ALL))
def test_each_on_demand_list_is_its_modules_all(module: str) -> None:
    loaded_module = importlib.import_module(module, "layer_cake")
    assert lc._LAZY_ALL[module].split() == list(loaded_module.__all__)


def test_every_on_demand_name_is_the_object_of_its_module() -> None:
    for name, module in lc._LAZY.items():
        assert getattr(lc, name) is getattr(importlib.import_module(module, "layer_cake"), name)
    assert set(lc._LAZY) <= set(lc.__all__)
    assert set(lc._LAZY) <= set(dir(lc))


def test_an_unknown_attribute_is_an_attribute_error() -> None:
    with pytest.raises(AttributeError, match="no_such_name"):
        lc.no_such_name  # noqa: B018


def test_star_import_gives_every_public_name() -> None:
    code = (
        "from layer_cake import *\nimport layer_cake\n"
        "missing = [n for n in layer_cake.__all__ if n not in globals()]\nprint(missing)"
    )
    assert run_python(code, "pure").strip() == "[]"
