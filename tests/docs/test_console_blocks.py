"""Every ``console`` block of the tutorial and the guides is run, and its output compared.

A page's blocks run in order in ``tutorial/`` of a scratch copy of ``examples/`` (so a later
block sees the home an earlier one created, and ``cd ../multithreading`` reaches the others).
In a block, a line ``$ command`` is run by bash; the lines after it, up to the next ``$``,
are its expected output (stdout and stderr as they interleave). ``python3`` and
``layer-cake`` are this interpreter and its console script. A command ending in `` &`` runs in
the background, in its own process group, killed at the end of the page; ``curl`` retries
while the server is still starting (or answering 503).

Both sides are normalised before comparing: times, process ids, addresses, node ids, floats
and numbers of three digits or more become placeholders, table columns are compared by their
order rather than their width, the scratch folder reads as ``~`` (paths show as
``~/examples/tutorial/...``), and an expected line ``...`` matches any number of lines. So
the text a reader sees is real output, and a change of behaviour fails here.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PAGES = sorted(
    [*(ROOT / "docs" / "tutorial").glob("*.md"), *(ROOT / "docs" / "guides").glob("*.md")]
)
BLOCK = re.compile(r"^```console\n(.*?)^```", re.MULTILINE | re.DOTALL)
#: One command's limit: an interpreter start, a daemon or a group of processes.
COMMAND_SECONDS = 90

NORMALISE = [
    (re.compile(r"^Date: .*$", re.MULTILINE), "Date: <date>"),
    (re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?"), "<time>"),
    (re.compile(r"\[\d{8}\]"), "[<pid>]"),
    (re.compile(r"<[0-9a-f]{8}>"), "<address>"),
    (re.compile(r"\b(pid|PID) \d+"), r"\1 <n>"),
    (re.compile(r"127\.0\.0\.1:\d+"), "127.0.0.1:<port>"),
    (re.compile(r"\([0-9a-f]{8}\)"), "(<id>)"),
    (re.compile(r"-?\d+\.\d+(e-?\d+)?"), "<float>"),
    (re.compile(r"\b\d{3,}\b"), "<n>"),  # process ids in tables, sizes
    (re.compile(r"[ \t]+$", re.MULTILINE), ""),
    (re.compile(r"(?<=\S)[ \t]{2,}"), " "),  # table columns, whose widths follow the values
]


def normalise(text: str) -> str:
    for pattern, replacement in NORMALISE:
        text = pattern.sub(replacement, text)
    return text


def matches(expected: list[str], actual: list[str]) -> bool:
    """Line-by-line equality where an expected ``...`` line stands for any lines."""
    if not expected:
        return not actual
    if expected[0] == "...":
        return any(matches(expected[1:], actual[i:]) for i in range(len(actual) + 1))
    return bool(actual) and expected[0] == actual[0] and matches(expected[1:], actual[1:])


def commands(block: str) -> list[tuple[str, list[str]]]:
    steps: list[tuple[str, list[str]]] = []
    for line in block.splitlines():
        if line.startswith("$ "):
            steps.append((line[2:], []))
        elif steps:
            steps[-1][1].append(line)
        elif line.strip():
            raise AssertionError(f"console block must start with a $ command: {line!r}")
    return steps


def executable(command: str) -> str:
    """The command as run here: this interpreter, its layer-cake, a patient curl."""
    bin_folder = Path(sys.executable).parent
    command = re.sub(r"(^|[;&|] *)python3 ", rf"\g<1>{sys.executable} ", command)
    command = re.sub(r"(^|[;&|] *)layer-cake ", rf"\g<1>{bin_folder / 'layer-cake'} ", command)
    return re.sub(
        r"(^|[;&|] *)curl ",
        r"\g<1>curl --retry-connrefused --retry 120 --retry-delay 1 --max-time 60 ",
        command,
    )


def page_ids() -> list[str]:
    return [str(page.relative_to(ROOT)) for page in PAGES if BLOCK.search(page.read_text())]


@pytest.mark.parametrize("page", page_ids())
def test_console_block_output_is_what_the_page_shows(page: str, tmp_path: Path) -> None:
    shutil.copytree(ROOT / "examples", tmp_path / "examples")
    here = tmp_path / "examples" / "tutorial"
    env = dict(os.environ, PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}")
    background: list[subprocess.Popen[bytes]] = []
    try:
        for block in BLOCK.findall((ROOT / page).read_text()):
            for command, expected in commands(block):
                if command.endswith(" &"):
                    background.append(
                        subprocess.Popen(
                            ["bash", "-c", executable(command[:-2])],
                            cwd=here,
                            env=env,
                            stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL,
                            start_new_session=True,
                        )
                    )
                    continue
                done = subprocess.run(
                    ["bash", "-c", executable(command)],
                    check=False,
                    cwd=here,
                    env=env,
                    stdout=subprocess.PIPE,
                    stderr=subprocess.STDOUT,
                    text=True,
                    timeout=COMMAND_SECONDS,
                )
                # The scratch folder reads as the reader's home: ~/examples/tutorial/...
                actual = normalise(done.stdout.replace(str(tmp_path), "~")).splitlines()
                wanted = normalise("\n".join(expected)).splitlines()
                assert matches(wanted, actual), (
                    f"{page}: $ {command}\n--- shown ---\n"
                    + "\n".join(expected)
                    + "\n--- printed ---\n"
                    + done.stdout
                )
    finally:
        for process in background:
            try:
                os.killpg(process.pid, signal.SIGINT)
                process.wait(30)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
            except ProcessLookupError:
                process.wait()
