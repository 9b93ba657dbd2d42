"""The tutorial's last step, the seed's demo across three hosts, runs as the page shows it.

Each ``hosts`` block of ``docs/tutorial/6-hosts.md`` is a walk through several machines: a
line ``<host>$ command`` runs ``command`` on that host, the lines after it (up to the next
command) are its expected output. Here the hosts are network namespaces of a virtual LAN
(``netns.Lan``): ``lan`` holds the standard LAN address 10.0.0.195, so the host-cakes find
lan-cake by themselves, as on real machines; ``LC_PRIMARY_IP`` is removed so each process
derives its address inside its namespace, never on the real network.

Commands run as in the console blocks of the other pages (``tests/docs/test_console_blocks.py``,
whose rules of running and normalising are reused): in ``tutorial/`` of a scratch copy of
``examples/``, background commands (`` &``) in their own process group, signalled at the end.
Two differences follow from a network: a command whose output does not match yet is run again
until ``SETTLE_SECONDS`` (listings cross hosts asynchronously: a second worker may not have
joined), and the siblings of a ``layer-cake network`` tree are compared in any order (they are
sorted by random node ids).
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from netns import Lan, env_for_children

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "docs"))
from test_console_blocks import executable, matches, normalise

ROOT = Path(__file__).resolve().parents[2]
PAGE = ROOT / "docs" / "tutorial" / "6-hosts.md"
BLOCK = re.compile(r"^```hosts\n(.*?)^```", re.MULTILINE | re.DOTALL)
COMMAND = re.compile(r"^([a-z][a-z0-9_]*)\$ (.*)$")
#: One run of one command: an interpreter start, a query across the LAN.
COMMAND_SECONDS = 90
#: How long a command is run again while its output does not match (hosts joining).
SETTLE_SECONDS = 90.0
#: How long a background command has to end after SIGINT before the LAN kills it.
STOP_SECONDS = 30


@pytest.fixture
def lan_hosts() -> dict[str, str]:
    """The three hosts of the page; ``lan`` at the standard LAN address of 10.0.0.0/24."""
    return {"lan": "10.0.0.195", "a": "10.0.0.1", "b": "10.0.0.2"}


def host_commands(block: str) -> list[tuple[str, str, list[str]]]:
    """``(host, command, expected lines)`` of each ``<host>$ command`` line of a block."""
    steps: list[tuple[str, str, list[str]]] = []
    for line in block.splitlines():
        match = COMMAND.match(line)
        if match:
            steps.append((match.group(1), match.group(2), []))
        elif steps:
            steps[-1][2].append(line)
        elif line.strip():
            raise AssertionError(f"hosts block must start with a <host>$ command: {line!r}")
    return steps


def tree_order(lines: list[str]) -> list[str]:
    """A ``layer-cake network`` tree (normalised) with every node's children sorted by text.

    Depth is the number of leading ``+ `` marks; a node's subtree moves with it.
    """

    def depth(line: str) -> int:
        return (len(line) - len(line.lstrip("+ "))) // 2

    def subtrees(start: int, end: int, level: int) -> list[list[str]]:
        heads = [i for i in range(start, end) if depth(lines[i]) == level]
        groups = []
        for head, after in zip(heads, [*heads[1:], end][: len(heads)], strict=True):
            children = subtrees(head + 1, after, level + 1)
            groups.append([lines[head], *(line for child in children for line in child)])
        return sorted(groups)

    return [line for group in subtrees(0, len(lines), 0) for line in group]


def compare(command: str, expected: list[str], printed: str, scratch: Path) -> bool:
    actual = normalise(printed.replace(str(scratch), "~")).splitlines()
    wanted = normalise("\n".join(expected)).splitlines()
    if re.search(r"(^|[;&|] *)layer-cake network", command):
        return tree_order(wanted) == tree_order(actual)
    return matches(wanted, actual)


def test_tree_order_ignores_sibling_order_but_not_parentage() -> None:
    shown = ["[LAN] x", "+ [HOST] h", "+ + [PROCESS] p", "+ [HOST] h", "+ + [PROCESS] q"]
    swapped = ["[LAN] x", "+ [HOST] h", "+ + [PROCESS] q", "+ [HOST] h", "+ + [PROCESS] p"]
    moved = ["[LAN] x", "+ [HOST] h", "+ [HOST] h", "+ + [PROCESS] p", "+ + [PROCESS] q"]
    assert tree_order(shown) == tree_order(swapped)
    assert tree_order(shown) != tree_order(moved)


def test_a_hosts_block_splits_into_host_command_output_and_starts_with_a_command() -> None:
    block = "lan$ lan-cake &\na$ curl -s x\n{\n}\n"
    assert host_commands(block) == [("lan", "lan-cake &", []), ("a", "curl -s x", ["{", "}"])]
    with pytest.raises(AssertionError, match="must start with a <host>\\$ command"):
        host_commands("{\na$ curl -s x\n")


def test_the_page_has_a_hosts_walkthrough_on_three_hosts() -> None:
    steps = [step for block in BLOCK.findall(PAGE.read_text()) for step in host_commands(block)]
    assert {host for host, _, _ in steps} == {"lan", "a", "b"}
    assert any(command.startswith("curl ") and expected for _, command, expected in steps)


def test_the_seeds_demo_across_three_hosts_prints_what_the_page_shows(
    lan: Lan, tmp_path: Path
) -> None:
    shutil.copytree(ROOT / "examples", tmp_path / "examples")
    here = tmp_path / "examples" / "tutorial"
    env = env_for_children()
    env.pop("LC_PRIMARY_IP", None)  # derived inside each namespace, as on a real host
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env['PATH']}"
    background: list[tuple[str, subprocess.Popen[str]]] = []
    try:
        for block in BLOCK.findall(PAGE.read_text()):
            for host, command, expected in host_commands(block):
                if command.endswith(" &"):
                    log = (tmp_path / f"background-{len(background)}.log").open("w")
                    with log:  # the child holds its own descriptor
                        process = lan.host(host).popen(
                            ["bash", "-c", executable(command[:-2])],
                            env=env,
                            cwd=here,
                            stdout=log,
                            stdin=subprocess.DEVNULL,
                        )
                    background.append((f"{host}$ {command}", process))
                    continue
                settled = time.monotonic() + SETTLE_SECONDS
                while True:
                    done = _run(lan, host, command, env, here)
                    if compare(command, expected, done, tmp_path):
                        break
                    if time.monotonic() > settled:
                        logs = "\n".join(
                            f"--- {name} ---\n" + (tmp_path / f"background-{i}.log").read_text()
                            for i, (name, _) in enumerate(background)
                        )
                        raise AssertionError(
                            f"{host}$ {command}\n--- shown ---\n"
                            + "\n".join(expected)
                            + "\n--- printed ---\n"
                            + done
                            + "\n--- background output ---\n"
                            + logs
                        )
                    time.sleep(1.0)  # a pause between tries, not a wait for the event
    finally:
        for _, process in reversed(background):
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGINT)
        for _, process in background:
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.wait(STOP_SECONDS)  # what is left is killed by the Lan fixture


def _run(lan: Lan, host: str, command: str, env: dict[str, str], here: Path) -> str:
    """Run one foreground command on ``host`` in ``here``; its stdout and stderr interleaved."""
    process = lan.host(host).popen(
        ["bash", "-c", executable(command)], env=env, cwd=here, stdin=subprocess.DEVNULL
    )
    try:
        printed, _ = process.communicate(timeout=COMMAND_SECONDS)
    except subprocess.TimeoutExpired:  # a mismatch like any other: tried again, then reported
        os.killpg(process.pid, signal.SIGKILL)
        printed, _ = process.communicate()
        printed += f"\n(killed after {COMMAND_SECONDS} s)\n"
    return printed
