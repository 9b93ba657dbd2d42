"""Build the hot modules of layer-cake-core with Cython, falling back to pure Python.

The list of modules comes from ``HOT_MODULES`` in ``src/layer_cake/_build.py``, read with
``ast`` so that building never imports the package. Each is a plain ``.py`` (Cython
pure-Python mode) with a sibling ``.pxd``; the ``.py`` is installed beside its extension.

Build-time environment (the same names as at run time):
    LC_PURE_PYTHON=1       skip Cython entirely and build a pure-Python wheel.
    LC_REQUIRE_COMPILED=1  any failure to compile a hot module fails the build.
Otherwise a missing Cython or C compiler, or a failed compile, prints a warning and that
module ships as pure Python only.
"""

from __future__ import annotations

import ast
import os
import sys
from pathlib import Path

from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext
from setuptools.command.build_py import build_py

HERE = Path(__file__).resolve().parent
SOURCE_ROOT = "src"
BUILD_MODULE = HERE / SOURCE_ROOT / "layer_cake" / "_build.py"
CYTHON_OUTPUT = "build/cython"  # generated .c files, kept out of src/


def flag(name: str) -> bool:
    """Read a boolean environment variable the way ``layer_cake._build`` does."""
    return os.environ.get(name, "") not in ("", "0")


PURE_PYTHON_FORCED = flag("LC_PURE_PYTHON")
COMPILED_REQUIRED = flag("LC_REQUIRE_COMPILED")


def warn(text: str) -> None:
    print(f"WARNING: layer-cake-core: {text}", file=sys.stderr)


def read_hot_modules() -> tuple[str, ...]:
    """Return the literal value of ``HOT_MODULES`` from ``_build.py``."""
    tree = ast.parse(BUILD_MODULE.read_text(encoding="utf-8"), filename=str(BUILD_MODULE))
    for node in tree.body:
        if isinstance(node, ast.AnnAssign):
            target, value = node.target, node.value
        elif isinstance(node, ast.Assign) and len(node.targets) == 1:
            target, value = node.targets[0], node.value
        else:
            continue
        if isinstance(target, ast.Name) and target.id == "HOT_MODULES" and value is not None:
            return tuple(ast.literal_eval(value))
    raise RuntimeError(f"no HOT_MODULES assignment in {BUILD_MODULE}")


def hot_extensions() -> list[Extension]:
    """One Extension per hot module whose ``.py`` exists; the others are skipped."""
    extensions = []
    for dotted in read_hot_modules():
        source = Path(SOURCE_ROOT, *dotted.split(".")).with_suffix(".py")
        if not (HERE / source).is_file():
            warn(f"hot module {dotted} has no source ({source}); skipped")
            continue
        extensions.append(Extension(dotted, [source.as_posix()]))
    return extensions


class OptionalBuildExt(build_ext):
    """Cythonize and compile each hot module; a failure leaves that module pure Python.

    With ``LC_REQUIRE_COMPILED=1`` a failure is re-raised and the build fails.
    """

    def run(self) -> None:
        try:
            from Cython.Build import cythonize
        except ImportError as error:
            self.give_up("all hot modules", error)
            self.extensions = []
            return
        compiled = []
        for extension in self.extensions:
            try:
                (translated,) = cythonize(
                    [extension],
                    compiler_directives={"language_level": "3"},
                    build_dir=CYTHON_OUTPUT,
                    quiet=True,
                )
            except Exception as error:  # Cython raises several unrelated types
                self.give_up(extension.name, error)
                continue
            # Keep the Extension that setuptools prepared; only its sources change (.py -> .c).
            extension.sources = translated.sources
            compiled.append(extension)
        self.extensions = compiled
        super().run()

    def build_extension(self, ext: Extension) -> None:
        try:
            super().build_extension(ext)
        except Exception as error:  # compiler missing, compiler failing, linker failing
            stale = self.get_ext_fullpath(ext.name)
            if os.path.exists(stale):
                os.remove(stale)  # never ship an extension left by an earlier build
            self.give_up(ext.name, error)

    def give_up(self, what: str, error: BaseException) -> None:
        if COMPILED_REQUIRED:
            raise RuntimeError(f"LC_REQUIRE_COMPILED=1 but {what} failed to compile: {error}")
        warn(f"{what} not compiled ({type(error).__name__}: {error}); pure Python is used")


class PrunedBuildPy(build_py):
    """Copy the package sources, then drop what an earlier build left behind.

    setuptools builds in place and never empties build/lib, so a module deleted or renamed
    in src/ would otherwise still be packed into the wheel. Extensions of the current hot
    modules stay, so that an unchanged module is not compiled again.
    """

    def run(self) -> None:
        super().run()
        library = Path(self.build_lib)
        extensions = {extension.name for extension in self.distribution.ext_modules or []}
        for path in sorted(library.rglob("*"), reverse=True):
            relative = path.relative_to(library)
            if (HERE / SOURCE_ROOT / relative).exists():
                continue
            if path.is_dir():
                if not any(path.iterdir()):
                    path.rmdir()
                continue
            dotted = ".".join((*relative.parent.parts, relative.name.split(".", 1)[0]))
            if path.suffix in (".so", ".pyd") and dotted in extensions:
                continue
            path.unlink()


if PURE_PYTHON_FORCED:
    if COMPILED_REQUIRED:
        sys.exit("LC_PURE_PYTHON and LC_REQUIRE_COMPILED are both set")
    setup(
        # A separate build folder, so that no extension from an earlier compiled build
        # lying in build/lib can slip into the pure wheel.
        options={"build": {"build_base": "build/pure"}},
        cmdclass={"build_py": PrunedBuildPy},
    )
else:
    setup(
        ext_modules=hot_extensions(),
        cmdclass={"build_py": PrunedBuildPy, "build_ext": OptionalBuildExt},
    )
