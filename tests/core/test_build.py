"""Which build of the hot modules is loaded: compiled, pure-Python twin, or a refusal."""

from __future__ import annotations

import importlib
import importlib.util
import os
import struct
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


def test_the_links_keep_their_state_in_c_fields_when_compiled() -> None:
    """``Link``, ``WireLink`` and ``HttpServerLink`` are extension types when compiled
    (``_link.pxd`` and its subclasses': -10 % instructions a message of an echo process). In
    both builds a link is still an asyncio protocol by its methods, takes attributes of other
    names, and a method replaced on one instance is the one its own compiled code calls."""
    from layer_cake.net import _http_link, _link, _transport
    from layer_cake.net._http_link import HttpClientLink, HttpServerLink
    from layer_cake.net._link import Link
    from layer_cake.net._messages import EndOfTransport
    from layer_cake.net._transport import WireLink

    for module, cls, name in (
        (_link, Link, "paused"),
        (_transport, WireLink, "rest"),
        (_http_link, HttpServerLink, "activity"),
    ):
        field = type(cls.__dict__.get(name)).__name__
        assert field == ("getset_descriptor" if _build.is_compiled(module) else "NoneType"), cls
    assert issubclass(HttpClientLink, Link)  # a plain subclass of the extension type

    link = WireLink((1,), 1024, None)
    link.note = "kept"  # type: ignore[attr-defined]
    link.fd = 2**70  # any int: the fields are Python objects
    assert (link.note, link.fd, link.paused, link.held) == ("kept", 2**70, False, [])  # type: ignore[attr-defined]
    for method in ("connection_made", "data_received", "eof_received", "connection_lost"):
        assert callable(getattr(link, method))

    written: list = []
    link.rest = b"tail"
    link._write_rest = lambda: written.append("replaced")  # type: ignore[method-assign]
    link.close(EndOfTransport.ON_REQUEST)  # its compiled code calls the instance's method
    assert written == ["replaced"]


def test_the_runtime_objects_keep_their_state_in_c_fields_when_compiled() -> None:
    """``Agent`` is an extension type with no fields of its own, so that ``Buffering``,
    ``AsyncBuffering`` and ``Proxy`` can keep theirs in C fields; user classes derived from the
    public bases still behave as plain classes (class attributes, instance attributes, mixins)."""
    import layer_cake as lc
    from layer_cake.net import _proxy
    from layer_cake.runtime import _dispatch, _object, _routine

    for module, cls, name in (
        (_routine, _routine.Buffering, "_inbox"),
        (_routine, _routine.AsyncBuffering, "_fresh"),
        (_proxy, _proxy.Proxy, "backlog"),
    ):
        field = type(cls.__dict__.get(name)).__name__
        assert field == ("getset_descriptor" if _build.is_compiled(module) else "NoneType"), cls
    if _build.is_compiled(_object):  # no field of Agent's own (a class attribute would hide
        # it): the instance is Core's struct and the __dict__ pointer only
        extra = _object.Agent.__basicsize__ - _dispatch.Core.__basicsize__
        assert extra == struct.calcsize("P")

    class Mixin:
        greeting = "hello"

    class Mine(lc.Point, lc.Stateless, Mixin):
        _name = "mine"  # a class attribute of Agent's, overridden as users do
        returned_type = None

    mine = Mine()
    mine.extra = [1]  # type: ignore[attr-defined]
    assert (mine.extra, mine.greeting, mine._name, mine._pending) == ([1], "hello", "mine", 0)  # type: ignore[attr-defined]
    agent = _routine.AsyncBuffering()
    assert (len(agent._fresh), agent._waiter, agent.queued()) == (0, None, 0)
