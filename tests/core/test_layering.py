"""The import graph holds the layers (issue 14): types → runtime → net → pubsub → process, then
the public surface (``layer_cake``, ``layer_cake.daemon``); the other distributions reach the
core only through public modules.

Every import is read from the source (module level and inside functions alike), so an upward
import hidden in a function fails here as surely as one at the top.
"""

from __future__ import annotations

import ast
import pathlib

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
CORE = ROOT / "packages" / "layer-cake-core" / "src" / "layer_cake"
OTHERS = (
    ROOT / "packages" / "layer-cake-directory" / "src",
    ROOT / "packages" / "layer-cake-cli" / "src",
)

#: Layer of each part of the core: an import may point only to the same layer or below.
LAYERS = {
    "_build": 0,
    "_compiled": 0,
    "_legacy": 0,
    "_refused": 0,
    "types": 1,
    "runtime": 2,
    "_utilities": 2,  # retry intervals: runtime messages and helpers used by runtime
    "net": 3,
    "pubsub": 4,
    "process": 5,
    "daemon": 6,
    "__init__": 6,
}

#: Upward imports tolerated while work is in progress: none (issue 14 removed the last three).
#: An entry here is (module, imported module) -> why it is still there.
PENDING: dict[tuple[str, str], str] = {}


#: Top-level modules that belong to a package's layer (for the circle check).
PART_OF = {"_utilities": "runtime"}


def _part(module: list[str]) -> str:
    """The layer key of a dotted module path under ``layer_cake``."""
    return module[1] if len(module) > 1 else "__init__"


def core_imports() -> list[tuple[str, str, int]]:
    """(module file relative to the core, imported ``layer_cake`` module, line) for every import."""
    found = []
    for path in sorted(CORE.rglob("*.py")):
        rel = path.relative_to(CORE)
        here = ["layer_cake", *rel.with_suffix("").parts]
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom):
                if node.level:
                    target = here[: -node.level] + (node.module.split(".") if node.module else [])
                elif node.module and node.module.split(".")[0] == "layer_cake":
                    target = node.module.split(".")
                else:
                    continue
                names = [target] if node.module else [[*target, a.name] for a in node.names]
                for name in names:
                    found.append((rel.as_posix(), ".".join(name), node.lineno))
            elif isinstance(node, ast.Import):
                for alias in node.names:
                    if alias.name.split(".")[0] == "layer_cake":
                        found.append((rel.as_posix(), alias.name, node.lineno))
    return found


def test_every_part_of_the_core_has_a_layer():
    parts = {p.name.removesuffix(".py") for p in CORE.iterdir() if p.suffix == ".py" or p.is_dir()}
    parts.discard("__pycache__")
    assert parts <= set(LAYERS), f"give these a layer: {sorted(parts - set(LAYERS))}"


def test_no_import_points_from_a_lower_layer_to_a_higher_one():
    upward = []
    for source, target, line in core_imports():
        low = LAYERS[_part(["layer_cake", *pathlib.PurePosixPath(source).with_suffix("").parts])]
        high = LAYERS.get(_part(target.split(".")), 0)
        if high > low and (source, ".".join(target.split(".")[:3])) not in PENDING:
            upward.append(f"{source}:{line} imports {target}")
    assert upward == []


def test_the_packages_of_the_core_import_each_other_without_a_circle():
    edges: dict[str, set[str]] = {}
    for source, target, _ in core_imports():
        a = _part(["layer_cake", *pathlib.PurePosixPath(source).with_suffix("").parts])
        b = _part(target.split("."))
        a, b = PART_OF.get(a, a), PART_OF.get(b, b)
        if a != b and (source, ".".join(target.split(".")[:3])) not in PENDING:
            edges.setdefault(a, set()).add(b)
    seen: dict[str, int] = {}  # 1: on the path, 2: done

    def visit(part: str, path: list[str]) -> None:
        seen[part] = 1
        for nxt in sorted(edges.get(part, ())):
            if seen.get(nxt) == 1:
                pytest.fail("import circle: " + " -> ".join([*path, part, nxt]))
            if nxt not in seen:
                visit(nxt, [*path, part])
        seen[part] = 2

    for part in sorted(edges):
        if part not in seen:
            visit(part, [])


def test_runtime_knows_nothing_of_pubsub():
    assert [
        (s, t) for s, t, _ in core_imports() if s.startswith("runtime/") and ".pubsub" in t
    ] == []


def test_pubsub_reads_nothing_of_the_process_layer():
    assert [
        (s, t) for s, t, _ in core_imports() if s.startswith("pubsub/") and ".process" in t
    ] == []


@pytest.mark.parametrize("src", OTHERS, ids=lambda p: p.parent.name)
def test_other_distributions_import_no_private_module_of_the_core(src: pathlib.Path):
    private = []
    for path in sorted(src.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            modules: list[str] = []
            if isinstance(node, ast.ImportFrom) and node.module and not node.level:
                modules = [node.module]
            elif isinstance(node, ast.Import):
                modules = [a.name for a in node.names]
            for module in modules:
                parts = module.split(".")
                if parts[0] == "layer_cake" and any(p.startswith("_") for p in parts[1:]):
                    private.append(f"{path.relative_to(src)}:{node.lineno} {module}")
    assert private == [], "use layer_cake or layer_cake.daemon"


def test_the_seam_declares_what_it_exports():
    import layer_cake.daemon as seam

    assert seam.__all__ and all(hasattr(seam, name) for name in seam.__all__)


#: Past this many lines a module says in its docstring why it is one module (issue 14).
LONG_MODULE = 600
LONG_REASON = "Over 600 lines for a reason:"


def _modules_of_every_distribution() -> list[pathlib.Path]:
    return sorted(path for src in (CORE, *OTHERS) for path in src.rglob("*.py"))


def test_a_module_over_600_lines_says_in_its_docstring_why_it_is_one():
    unexplained = []
    for path in _modules_of_every_distribution():
        text = path.read_text(encoding="utf-8")
        if text.count("\n") <= LONG_MODULE:
            continue
        doc = ast.get_docstring(ast.parse(text)) or ""
        if LONG_REASON not in doc:
            unexplained.append(f"{path.relative_to(ROOT)} ({text.count(chr(10))} lines)")
    assert unexplained == [], f'say "{LONG_REASON} ..." in the docstring of: {unexplained}'
