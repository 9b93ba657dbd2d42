"""A site key replaced with no process stopped (issue 10, docs/security.md "Rollover").

A keyed server runs in its own process from start to end; this process is the client. Each
side's key file goes through ``layer-cake key add``, ``promote`` and ``retire`` while the
server runs: every connection along the way is accepted, and once the server retired the old
key, a client that still holds only the old key is refused. The server reads its changed file
at the next handshake: it is never restarted.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from security_support import PATIENCE, KeyedServer

import layer_cake as lc
import layer_cake_cli
from layer_cake.net._site_key import generate_site_key, site_key, use_site_key

PYTHONPATH = os.pathsep.join(
    dict.fromkeys(
        os.path.dirname(os.path.dirname(m.__file__))  # type: ignore[arg-type]
        for m in (lc, layer_cake_cli)
    )
)


def key_cli(*args: str) -> None:
    env = dict(os.environ, PYTHONPATH=PYTHONPATH)
    result = subprocess.run(
        [sys.executable, "-m", "layer_cake_cli", "key", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=PATIENCE * 4,
        check=False,
    )
    assert result.returncode == 0, result.stderr


def connects(server: KeyedServer) -> str:
    """Connect with this process's key: ``accepted``, or the server's refusal line."""
    with lc.channel() as client:
        lc.connect(client, server.at, encrypted=True)
        m, i = client.select(lc.Connected, lc.NotConnected, seconds=PATIENCE)
        line = server.line().strip()
        if i == 0:
            client.send(lc.Close(), m.proxy_address)
            client.select(lc.Closed, seconds=PATIENCE)
    return line


def test_a_key_rolled_over_step_by_step_never_stops_the_site(tmp_path: Path) -> None:
    server_key = Path(generate_site_key(tmp_path / "server.key"))
    client_key = tmp_path / "client.key"
    client_key.write_bytes(server_key.read_bytes())
    client_key.chmod(0o600)
    new_key = Path(generate_site_key(tmp_path / "new.key"))
    old_only = tmp_path / "old.key"
    old_only.write_bytes(server_key.read_bytes())
    old_only.chmod(0o600)
    server = KeyedServer(tmp_path, server_key)
    try:
        use_site_key(client_key)
        assert connects(server) == "accepted"
        for key in (client_key, server_key):  # step 1, everywhere: the new key accepted
            key_cli("add", str(key), f"--from={new_key}")
            assert connects(server) == "accepted"
        key_cli("promote", str(client_key))  # step 2: the client opens with the new key
        assert site_key() == site_key_of(new_key)
        assert connects(server) == "accepted"  # the running server took the new key
        key_cli("promote", str(server_key))
        for key in (client_key, server_key):  # step 3: the old key goes
            key_cli("retire", str(key))
            assert connects(server) == "accepted"
        use_site_key(old_only)  # a peer that missed the rollover
        refused = connects(server)
        assert refused.startswith("not accepted authentication failed"), refused
    finally:
        use_site_key(None)
        server.close()


def site_key_of(path: Path) -> bytes:
    from layer_cake.net._site_key import read_site_key

    return read_site_key(path)


def test_a_changed_key_file_that_is_unusable_leaves_the_keys_read_before(tmp_path: Path) -> None:
    path = Path(generate_site_key(tmp_path / "site.key"))
    use_site_key(path)
    try:
        before = site_key()
        path.chmod(0o644)  # a slip: the file is now open to other users
        os.utime(path, ns=(1, 1))  # a change the process notices whatever the clock
        assert site_key() == before  # still in the site, with a WARNING
        path.chmod(0o600)
        other = Path(generate_site_key(tmp_path / "other.key"))
        os.replace(other, path)
        assert site_key() == site_key_of(path) != before  # a good change is taken
    finally:
        use_site_key(None)
