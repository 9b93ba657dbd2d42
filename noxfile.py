"""nox sessions: the one entry point for tests, benchmarks, lint, docs and the demo.

    nox -s tests tests_pure     the suite on the compiled build, then on the pure-Python twins
    nox -s lint                 ruff
    nox -s bench                pytest-benchmark against the compiled build
    nox -s fuzz                 hypothesis fuzzing of the decoders, about a minute (tests/fuzz)
    nox -s docs                 the MkDocs site (mkdocs.yml), built --strict; README links
    nox -s demo                 examples/demo.py: HTTP server + 8 published workers via host-cake

Every session installs the three distributions from ./packages in one command (they depend on
each other by name) and rebuilds them from source, so an edited module is what runs.
"""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

import nox
import nox.command

nox.options.default_venv_backend = "uv|virtualenv"
nox.options.reuse_existing_virtualenvs = True

ROOT = Path(__file__).resolve().parent
DISTRIBUTIONS = ("layer-cake-core", "layer-cake-directory", "layer-cake-cli")
#: The documentation site (mkdocs.yml); tests/docs builds it, so the suite needs these too.
DOCS_REQUIREMENTS = ("mkdocs", "mkdocs-material", "mkdocstrings[python]", "mkdocs-click")
TEST_REQUIREMENTS = ("pytest", "pytest-xdist", "hypothesis", "pytest-timeout", *DOCS_REQUIREMENTS)
LINTED_PATHS = ("packages", "tests", "benchmarks", "noxfile.py")

# Build and run environments. An empty value counts as unset in setup.py and layer_cake._build,
# and overrides whatever the caller's shell exported.
# The compiled run uses uvloop, the pure run the stdlib asyncio loop: both loops, both builds.
COMPILED = {"LC_REQUIRE_COMPILED": "1", "LC_PURE_PYTHON": "", "LC_EVENT_LOOP": ""}
PURE = {"LC_REQUIRE_COMPILED": "", "LC_PURE_PYTHON": "1", "LC_EVENT_LOOP": "asyncio"}


def install_layer_cake(session: nox.Session, *requirements: str) -> None:
    """Build the three distributions with compiled hot modules and install them with extras."""
    rebuild: list[str] = []
    if session.venv_backend == "uv":
        # uv caches the wheel of a local folder by the modification time of pyproject.toml and
        # setup.py only, and the version never changes between edits: force the rebuild.
        # (pip rebuilds and reinstalls a local folder on every install by itself.)
        rebuild = [arg for name in DISTRIBUTIONS for arg in ("--reinstall-package", name)]
    # setuptools builds in place and never empties build/lib, so a deleted module would still
    # be installed. Core's setup.py prunes its own (keeping up-to-date extensions); the two
    # pure-Python distributions cost nothing to build from scratch.
    for name in ("layer-cake-directory", "layer-cake-cli"):
        shutil.rmtree(ROOT / "packages" / name / "build", ignore_errors=True)
    folders = [f"./packages/{name}" for name in DISTRIBUTIONS]
    session.install(*rebuild, *folders, *requirements, env=COMPILED)


def run_pytest(session: nox.Session, env: dict[str, str]) -> None:
    install_layer_cake(session, *TEST_REQUIREMENTS)
    session.run("pytest", "tests", "-p", "no:cacheprovider", *(session.posargs or ["-q"]), env=env)


@nox.session
def tests(session: nox.Session) -> None:
    """The test suite against the compiled build (a hot module left uncompiled is an error)."""
    run_pytest(session, COMPILED)


@nox.session
def tests_pure(session: nox.Session) -> None:
    """The test suite against the pure-Python twins (LC_PURE_PYTHON=1) on the stdlib loop."""
    run_pytest(session, PURE)


@nox.session
def lint(session: nox.Session) -> None:
    """ruff over the packages, tests, benchmarks and this file (config: ruff.toml)."""
    session.install("ruff")
    paths = [path for path in LINTED_PATHS if (ROOT / path).exists()]
    session.run("ruff", "check", *paths, *session.posargs)


def ensure_tool(session: nox.Session, tool: str, needed_by: str, leave_out: str) -> None:
    """``tool`` on the PATH: installed from Debian's packages when root, else a clear error."""
    if shutil.which(tool):
        return
    if shutil.which("apt-get") and hasattr(os, "geteuid") and os.geteuid() == 0:
        env = {"DEBIAN_FRONTEND": "noninteractive"}
        session.run("apt-get", "update", "-qq", external=True, env=env)
        session.run("apt-get", "install", "-y", "-qq", tool, external=True, env=env)
    if shutil.which(tool) is None:
        session.error(f"{tool} is needed by {needed_by}: install it (Debian/Ubuntu: sudo "
                      f"apt-get install -y {tool}) or pass -k '{leave_out}'")


def ensure_wrk(session: nox.Session) -> None:
    """wrk for benchmarks/test_bench_http_load.py."""
    ensure_tool(session, "wrk", "benchmarks/test_bench_http_load.py", "not wrk_load")


@nox.session(default=False)
def bench(session: nox.Session) -> None:
    """pytest-benchmark files in benchmarks/ against the compiled build; JSON in .benchmarks/.

    The summary table is printed (and the README's Results regenerated) even when a benchmark
    failed, with what did run; the session still fails then."""
    ensure_wrk(session)
    ensure_tool(session, "valgrind", "benchmarks/test_bench_instructions.py", "not instructions")
    install_layer_cake(session, "pytest", "pytest-benchmark", "pytest-timeout")
    (ROOT / ".benchmarks").mkdir(exist_ok=True)
    failed = None
    try:
        session.run(
            "pytest",
            "benchmarks",
            "-p",
            "no:xdist",
            "-p",
            "no:cacheprovider",
            "--benchmark-json=.benchmarks/bench.json",
            *session.posargs,
            env=COMPILED,
        )
    except nox.command.CommandFailed as error:
        failed = error
    # One summary table of every row against its baseline; the README's Results are regenerated.
    session.run("python", "benchmarks/summary.py", ".benchmarks/bench.json", "--write-readme")
    if failed is not None:
        session.error(f"benchmarks failed ({failed.reason or 'see above'}); summary written")


#: Seconds of fuzzing per test in ``nox -s fuzz`` (4 tests: about a minute in all).
FUZZ_SECONDS_PER_TEST = "13"


@nox.session(default=False)
def fuzz(session: nox.Session) -> None:
    """hypothesis fuzzing of the frame decoder, the msgpack wire codec, the JSON codec and the
    HTTP server protocol (tests/fuzz), bounded in time; the normal suite runs them briefly."""
    install_layer_cake(session, *TEST_REQUIREMENTS)
    env = {**COMPILED, "LC_FUZZ_SECONDS": FUZZ_SECONDS_PER_TEST}
    session.run(
        "pytest",
        "tests/fuzz",
        "-p",
        "no:cacheprovider",
        "-p",
        "no:xdist",
        *(session.posargs or ["-q"]),
        env=env,
    )


@nox.session(default=False)
def demo(session: nox.Session) -> None:
    """The main job: a server with 8 workers found through host-cake answers GET /Xy?x=2&y=2."""
    install_layer_cake(session)
    session.run("python", "examples/demo.py", *session.posargs, env=COMPILED)


# [text](target) or [text](target "title"); images too.
MARKDOWN_LINK = re.compile(r"\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
FENCED_BLOCK = re.compile(r"^(```|~~~).*?^\1", re.MULTILINE | re.DOTALL)


def broken_links(markdown: Path) -> list[str]:
    """Relative link targets in ``markdown`` that name no existing file or folder."""
    text = FENCED_BLOCK.sub("", markdown.read_text(encoding="utf-8"))
    broken = []
    for target in MARKDOWN_LINK.findall(text):
        if target.startswith("#") or re.match(r"^[a-zA-Z][a-zA-Z0-9+.-]*:", target):
            continue  # an anchor in the same file, or a URL (https:, mailto:, ...)
        path = target.split("#", 1)[0]
        if not (markdown.parent / path).exists():
            broken.append(target)
    return broken


@nox.session(default=False)
def docs(session: nox.Session) -> None:
    """The MkDocs site, built --strict into .site/; and every relative link in the READMEs."""
    files = sorted(
        [ROOT / "README.md", *ROOT.glob("packages/*/README.md"), *ROOT.glob("examples/*/README.md")]
    )
    problems = [
        f"{markdown.relative_to(ROOT)}: {target}"
        for markdown in files
        if markdown.exists()
        for target in broken_links(markdown)
    ]
    if problems:
        session.error("broken relative links:\n  " + "\n  ".join(problems))
    install_layer_cake(session, *DOCS_REQUIREMENTS)
    session.run("mkdocs", "build", "--strict", env={**COMPILED, "NO_MKDOCS_2_WARNING": "1"})
    session.log(f"site in .site/; {len(files)} READMEs, every relative link resolves")
