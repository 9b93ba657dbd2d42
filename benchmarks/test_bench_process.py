"""ProcessObject start-up (api-core §10.6): spawn-to-result latency of a trivial function.

One round creates ``ProcessObject(quick)`` from a channel and waits for its ``Returned``: the
child interpreter starts, imports layer_cake, runs ``quick`` (returns 1), writes its full
output and exits; the parent decodes it. Nothing here asserts on time::

    PYTHONPATH=packages/layer-cake-core/src python3 -m pytest benchmarks/test_bench_process.py \\
        -p no:xdist -p no:cacheprovider --benchmark-columns=median,min,max,rounds
"""

from __future__ import annotations

import importlib.util
import os
import sys
import textwrap
from pathlib import Path

import pytest

import layer_cake as lc
from layer_cake.process._process_object import ProcessObject
from layer_cake.runtime._loop import loop_kind

SRC = Path(lc.__file__).resolve().parent.parent

QUICK = """
import layer_cake as lc

def quick(self) -> int:
    return 1

lc.bind(quick)

if __name__ == "__main__":
    lc.create(quick)
"""


@pytest.fixture(scope="module")
def quick(tmp_path_factory: pytest.TempPathFactory) -> object:
    """``quick``, imported from its own executable script (the file a ProcessObject runs)."""
    path = tmp_path_factory.mktemp("bench_process") / "quick.py"
    path.write_text(textwrap.dedent(QUICK))
    spec = importlib.util.spec_from_file_location("bench_process_quick", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module.quick


@pytest.fixture(scope="module")
def ch():
    with lc.channel() as c:
        yield c


@pytest.fixture(autouse=True)
def _children_find_the_package(monkeypatch: pytest.MonkeyPatch) -> None:
    path = os.environ.get("PYTHONPATH", "")
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(p for p in (str(SRC), path) if p))


def test_process_object_spawn_to_result(benchmark, ch, quick) -> None:  # type: ignore[no-untyped-def]
    benchmark.extra_info["loop"] = loop_kind()

    def once() -> None:
        address = ch.create(ProcessObject, quick)
        m, i = ch.select(lc.Returned, seconds=30.0)
        assert i == 0 and ch.return_address == address
        assert m.message[0] == 1, m.message

    benchmark.pedantic(once, rounds=10, iterations=1, warmup_rounds=1)
