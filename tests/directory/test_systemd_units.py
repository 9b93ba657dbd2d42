"""The systemd units shipped with layer-cake-directory are valid and run their daemon.

Each unit is checked by ``systemd-analyze verify`` (with ``ExecStart`` pointing at the
installed script, since the unit names the usual ``/usr/local/bin``), and its command line
is run for real: the daemon listens, and the unit's ``KillSignal`` stops it with exit 71
(``aborted``), within the unit's ``TimeoutStopSec``.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
from importlib import resources
from pathlib import Path

import pytest

UNITS = ("host-cake", "lan-cake")
#: The daemon option that moves each one's listen address off its standard port.
LISTEN_OPTION = {"host-cake": "--directory-at-host", "lan-cake": "--directory-at-lan"}
STARTUP_SECONDS = 60.0


def unit_text(name: str) -> str:
    return (resources.files("layer_cake_directory") / "systemd" / f"{name}.service").read_text()


def installed_script(name: str) -> str:
    script = Path(sys.executable).parent / name
    return str(script) if script.exists() else shutil.which(name) or name


def exec_start(text: str) -> list[str]:
    (line,) = re.findall(r"^ExecStart=(.*)$", text, re.MULTILINE)
    return line.split()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.parametrize("name", UNITS)
def test_unit_file_passes_systemd_analyze_verify(name: str, tmp_path: Path) -> None:
    text = unit_text(name).replace(f"/usr/local/bin/{name}", installed_script(name))
    unit = tmp_path / f"{name}.service"
    unit.write_text(text)
    done = subprocess.run(
        ["systemd-analyze", "verify", str(unit)],
        check=False,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stderr.strip() == "", done.stderr


@pytest.mark.parametrize("name", UNITS)
def test_unit_command_line_runs_the_daemon_and_kill_signal_stops_it(name: str) -> None:
    text = unit_text(name)
    argv = exec_start(text)
    assert argv[0] == f"/usr/local/bin/{name}"
    kill_signal = getattr(signal, re.search(r"^KillSignal=(\w+)$", text, re.MULTILINE)[1])
    stop_seconds = float(re.search(r"^TimeoutStopSec=(\d+)$", text, re.MULTILINE)[1])
    port = free_port()
    listen = f'{LISTEN_OPTION[name]}={{"host": "127.0.0.1", "port": {port}}}'
    daemon = subprocess.Popen(
        [installed_script(name), *argv[1:], listen],
        stderr=subprocess.PIPE,
        text=True,
        env=dict(os.environ),
    )
    try:
        line = daemon.stderr.readline()
        assert f'listening for directories at "127.0.0.1:{port}"' in line, line
        with socket.create_connection(("127.0.0.1", port), timeout=STARTUP_SECONDS):
            pass
        daemon.send_signal(kill_signal)
        assert daemon.wait(stop_seconds) == 71
    finally:
        if daemon.poll() is None:
            daemon.kill()
            daemon.wait()
        daemon.stderr.close()
