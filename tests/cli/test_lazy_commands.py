"""Issue 12, speed: ``layer-cake`` loads the module of the sub-command it runs and no other,
so ``list`` and ``status`` do not pay for ``run``'s, ``network``'s or ``log``'s imports; every
sub-command is still offered and found. Each case runs in a fresh interpreter (a clean
``sys.modules``) that prints the modules loaded after the command ends."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from cli_support import CLI_PYTHONPATH, run_cli

from layer_cake_cli._main import SUB_COMMANDS

PROBE = """
import json, sys
from layer_cake_cli._main import main
try:
    main(sys.argv[1:], prog_name="layer-cake")
except SystemExit as ended:
    code = ended.code
print(json.dumps({"code": code, "modules": sorted(sys.modules)}))
"""


def loaded_after(*args: str, cwd: Path) -> tuple[object, set[str]]:
    """The exit code of ``layer-cake <args>`` and the modules loaded once it ended."""
    env = dict(os.environ, PYTHONPATH=CLI_PYTHONPATH)
    done = subprocess.run(
        [sys.executable, "-c", PROBE, *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        check=True,
        timeout=90,
    )
    report = json.loads(done.stdout.splitlines()[-1])
    return report["code"], set(report["modules"])


def cli_modules(loaded: set[str]) -> set[str]:
    return {m for m in loaded if m.startswith("layer_cake_cli.")}


def test_list_loads_the_home_commands_and_not_the_others(tmp_path: Path) -> None:
    assert run_cli("create", cwd=tmp_path).returncode == 0
    code, loaded = loaded_after("list", cwd=tmp_path)
    assert code in (0, None)
    others = {f"layer_cake_cli.{m}" for m in ("_group_commands", "_inspection", "_log_command")}
    assert "layer_cake_cli._home_commands" in loaded
    assert not cli_modules(loaded) & (others | {"layer_cake_cli._run_records"})
    assert "layer_cake_directory" not in loaded


def test_list_and_status_load_neither_the_directory_node_nor_the_event_loop(
    tmp_path: Path,
) -> None:
    """They read the home's files: the node, networking and asyncio are for run and network."""
    assert run_cli("create", cwd=tmp_path).returncode == 0
    for command in ("list", "status"):
        _, loaded = loaded_after(command, cwd=tmp_path)  # status of nothing running: 71
        heavy = {"layer_cake.pubsub._node", "layer_cake.net._transport", "asyncio", "uvloop"}
        heavy |= {"layer_cake.pubsub._inspect", "hashlib", "secrets"}  # network's; key's
        assert not heavy & loaded, (command, sorted(heavy & loaded))


def test_status_loads_the_group_commands_and_not_network_or_log(tmp_path: Path) -> None:
    assert run_cli("create", cwd=tmp_path).returncode == 0
    _, loaded = loaded_after("status", cwd=tmp_path)
    assert "layer_cake_cli._group_commands" in loaded
    assert not {"layer_cake_cli._inspection", "layer_cake_cli._log_command"} & loaded


def test_help_offers_every_sub_command(tmp_path: Path) -> None:
    done = run_cli("--help", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    listed = done.stdout.split("Commands:", 1)[1].split()
    assert set(SUB_COMMANDS) <= set(listed)


def test_every_sub_command_resolves_to_its_command(tmp_path: Path) -> None:
    for name in SUB_COMMANDS:
        done = run_cli(name, "--help", cwd=tmp_path)
        assert done.returncode == 0, (name, done.stderr)
        assert done.stdout.startswith(f"Usage: layer-cake {name}"), (name, done.stdout)


def test_an_unknown_sub_command_is_still_a_fault(tmp_path: Path) -> None:
    done = run_cli("nosuch", cwd=tmp_path)
    assert done.returncode == 71
    assert done.stderr.startswith('layer-cake: unknown sub-command "nosuch"')
