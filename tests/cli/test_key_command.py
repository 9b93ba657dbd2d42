"""``layer-cake key`` (new, show/fingerprint, install) and ``--site-key`` on ``network`` and
``ping`` (docs/security.md), run as child processes.

The key itself must never appear in the output: each test that has a key checks that neither
its base64 text nor its bytes are printed.
"""

from __future__ import annotations

import base64
import os
import re
import stat
import subprocess
import sys
from pathlib import Path

from cli_support import run_cli
from directory_support import hostport
from home_support import Jobs, cli

from layer_cake.net._site_key import generate_site_key, read_site_key, read_site_keys
from layer_cake_cli._key_command import site_key_fingerprint

FAULTY_EXIT = 71
FINGERPRINT = r"[0-9a-f]{4}(:[0-9a-f]{4}){7}"


def mode_of(path: Path | str) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def secret_not_in(text: str, path: Path | str) -> None:
    for key in read_site_keys(path):
        assert base64.b64encode(key).decode() not in text
        assert key.hex() not in text


def make_home(folder: Path) -> Path:
    home = folder / "home"
    result = run_cli("create", f"--home-path={home}")
    assert result.returncode == 0, result.stderr
    return home


# key new --------------------------------------------------------------------------------------


def test_key_new_writes_a_private_key_and_prints_only_its_fingerprint(tmp_path: Path) -> None:
    result = run_cli("key", "new", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    path = tmp_path / "site.key"
    assert mode_of(path) == 0o600
    fingerprint = site_key_fingerprint(read_site_key(path))
    assert result.stdout == (
        f"Site key written to {path}\n1  {fingerprint}  opens and accepts links\n"
    )
    secret_not_in(result.stdout + result.stderr, path)


def test_key_new_never_overwrites_without_force(tmp_path: Path) -> None:
    path = tmp_path / "a.key"
    assert run_cli("key", "new", f"--out={path}").returncode == 0
    before = path.read_bytes()
    refused = run_cli("key", "new", "-o", str(path))
    assert refused.returncode == FAULTY_EXIT
    assert refused.stderr == (
        f'layer-cake: cannot write site key "{path}" (it exists; --force replaces it)\n'
    )
    assert path.read_bytes() == before
    os.chmod(path, 0o644)  # replaced whatever its mode: the new file is private from the start
    replaced = run_cli("key", "new", "--out", str(path), "--force")
    assert replaced.returncode == 0, replaced.stderr
    assert path.read_bytes() != before and mode_of(path) == 0o600
    assert site_key_fingerprint(read_site_key(path)) in replaced.stdout
    assert [p.name for p in tmp_path.iterdir()] == ["a.key"]  # no temporary file left


def test_key_new_into_a_missing_folder_or_a_folder_fails(tmp_path: Path) -> None:
    missing = tmp_path / "no" / "site.key"
    result = run_cli("key", "new", f"--out={missing}")
    assert result.returncode == FAULTY_EXIT
    assert result.stderr == (
        f'layer-cake: cannot write site key "{missing}" (No such file or directory)\n'
    )
    result = run_cli("key", "new", f"--out={tmp_path}")
    assert result.returncode == FAULTY_EXIT
    assert result.stderr == f'layer-cake: cannot write site key "{tmp_path}" (a folder)\n'


# key show / fingerprint ---------------------------------------------------------------------------


def test_key_show_prints_a_fingerprint_per_key_never_the_key(tmp_path: Path) -> None:
    path = generate_site_key(tmp_path / "site.key")
    second = read_site_key(generate_site_key(tmp_path / "next.key"))
    with open(path, "a") as f:  # a rollover in progress: two keys, the first opens links
        f.write(base64.b64encode(second).decode() + "\n")
    first = read_site_key(path)
    for verb in ("show", "fingerprint"):
        result = run_cli("key", verb, path)
        assert result.returncode == 0, result.stderr
        assert result.stdout.splitlines() == [
            f"Site key {path} (given)",
            f"1  {site_key_fingerprint(first)}  opens and accepts links",
            f"2  {site_key_fingerprint(second)}  accepts links",
        ]
        secret_not_in(result.stdout + result.stderr, path)
    assert re.fullmatch(FINGERPRINT, site_key_fingerprint(first))
    assert site_key_fingerprint(first) != site_key_fingerprint(second)


def test_key_show_defaults_to_the_environment_then_the_home(tmp_path: Path, monkeypatch) -> None:
    from_env = run_cli("key", "show")  # the suite's LC_SITE_KEY_FILE
    assert from_env.returncode == 0, from_env.stderr
    suite = os.environ["LC_SITE_KEY_FILE"]
    assert from_env.stdout.startswith(f"Site key {suite} ($LC_SITE_KEY_FILE)\n")
    env_key = generate_site_key(tmp_path / "env.key")
    monkeypatch.setenv("LC_SITE_KEY_FILE", env_key)
    assert site_key_fingerprint(read_site_key(env_key)) in run_cli("key", "show").stdout
    monkeypatch.setenv("LC_SITE_KEY_FILE", "")
    home = make_home(tmp_path)
    missing = run_cli("key", "show", f"--home-path={home}")
    assert missing.returncode == FAULTY_EXIT
    assert missing.stderr.startswith(
        f'layer-cake: cannot show site key (cannot read site key "{home}/site.key" ('
    )
    generate_site_key(home / "site.key")
    found = run_cli("key", "show", "-hp", str(home))
    assert found.returncode == 0, found.stderr
    assert found.stdout.startswith(f"Site key {home}/site.key (the home's)\n")


def test_key_show_refuses_a_key_open_to_other_users(tmp_path: Path) -> None:
    path = generate_site_key(tmp_path / "site.key")
    os.chmod(path, 0o644)
    result = run_cli("key", "show", path)
    assert result.returncode == FAULTY_EXIT
    assert "accessible by other users (mode 644)" in result.stderr
    os.chmod(path, 0o600)
    secret_not_in(result.stdout + result.stderr, path)


# key install --------------------------------------------------------------------------------------


def test_key_install_puts_the_key_in_the_home_where_roles_find_it(tmp_path: Path) -> None:
    home = make_home(tmp_path)
    source = generate_site_key(tmp_path / "site.key")
    result = run_cli("key", "install", source, f"--home-path={home}")
    assert result.returncode == 0, result.stderr
    installed = home / "site.key"
    assert result.stdout.splitlines()[0] == f"Site key installed in {installed}"
    assert read_site_keys(installed) == read_site_keys(source) and mode_of(installed) == 0o600
    secret_not_in(result.stdout + result.stderr, source)
    again = run_cli("key", "-hp", str(home), "install", source)  # options before the verb
    assert again.returncode == 0, again.stderr
    assert again.stdout.splitlines()[0] == f"Site key already installed in {installed}"
    # A role of the home uses it: a process run with --home-path finds it with no setting.
    env = {k: v for k, v in os.environ.items() if k != "LC_SITE_KEY_FILE"}
    probe = (
        "import sys; from layer_cake.process._command_line import update_command_line;"
        "from layer_cake.net._site_key import site_key;"
        "update_command_line({'home_path': sys.argv[1]}); print(site_key().hex())"
    )
    out = subprocess.run(
        [sys.executable, "-c", probe, str(home)],
        env=env,
        check=False,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert out.stdout.strip() == read_site_key(source).hex(), out.stderr


def test_key_install_never_replaces_another_key_without_force(tmp_path: Path) -> None:
    home = make_home(tmp_path)
    first = generate_site_key(tmp_path / "first.key")
    second = generate_site_key(tmp_path / "second.key")
    assert run_cli("key", "install", first, f"--home-path={home}").returncode == 0
    refused = run_cli("key", "install", second, f"--home-path={home}")
    assert refused.returncode == FAULTY_EXIT
    assert refused.stderr == (
        f'layer-cake: cannot install site key (another key is in "{home}/site.key"; '
        "--force replaces it)\n"
    )
    assert read_site_keys(home / "site.key") == read_site_keys(first)
    forced = run_cli("key", "install", second, f"--home-path={home}", "--force")
    assert forced.returncode == 0, forced.stderr
    assert read_site_keys(home / "site.key") == read_site_keys(second)


def test_key_install_of_a_bad_file_or_into_no_home_fails(tmp_path: Path) -> None:
    bad = tmp_path / "bad.key"
    bad.write_text("not a key\n")
    os.chmod(bad, 0o600)
    result = run_cli("key", "install", str(bad), f"--home-path={tmp_path / 'home'}")
    assert result.returncode == FAULTY_EXIT
    assert result.stderr == (
        f'layer-cake: cannot install site key (site key "{bad}" is not one base64 line of 32 '
        "bytes (per key))\n"
    )
    good = generate_site_key(tmp_path / "site.key")
    result = run_cli("key", "install", good, f"--home-path={tmp_path / 'nowhere'}")
    assert result.returncode == FAULTY_EXIT
    assert result.stderr.startswith(f'layer-cake: cannot open path "{tmp_path / "nowhere"}" (')
    assert not (tmp_path / "nowhere").exists()


def test_key_without_or_with_an_unknown_verb_fails(tmp_path: Path) -> None:
    result = run_cli("key")
    assert result.returncode == FAULTY_EXIT
    assert result.stderr == (
        'layer-cake: cannot execute "key" '
        "(no sub-command: new, show, install, add, promote or retire)\n"
    )
    result = run_cli("key", "rotate")
    assert result.returncode == FAULTY_EXIT
    assert result.stderr == 'layer-cake: unknown sub-command "key rotate"\n'


# --site-key on the commands that join a directory -------------------------------------------------


def test_network_and_ping_join_an_encrypted_directory_with_the_key_given(cake) -> None:
    key = generate_site_key(cake.folder / "site.key")
    cake.host(None, None, "--encrypted-directory=true", f"--site-key={key}")
    address = f"--connect-to-directory=127.0.0.1:{cake.port}"
    listed = run_cli("network", address, "-ep", f"--site-key={key}", "-fi")
    assert listed.returncode == 0, listed.stderr
    lines = listed.stdout.splitlines()
    assert lines[0].startswith("[HOST] host-cake (")
    identity = re.search(r"\(([0-9a-f-]{36})\)", lines[0]).group(1)
    pinged = run_cli("ping", identity[:8], address, "-ep", "-sk", key, "--ping-count=1")
    assert pinged.returncode == 0, pinged.stderr
    assert re.fullmatch(r"\[0\] \.\.\. \d+\.\d{4}s\n", pinged.stdout), pinged.stdout
    # Without it (the suite's key, from LC_SITE_KEY_FILE) the directory refuses the tool.
    outsider = run_cli("network", address, "-ep", "--connect-timeout=2")
    assert outsider.returncode == FAULTY_EXIT
    assert outsider.stderr.endswith("(timed out)\n"), outsider.stderr


def test_a_bad_site_key_file_fails_at_once(tmp_path: Path) -> None:
    for command in (["network"], ["ping", "abcd"]):
        result = run_cli(*command, f"--site-key={tmp_path / 'missing.key'}", "-ep")
        assert result.returncode == FAULTY_EXIT
        assert result.stderr.startswith(
            f'layer-cake: cannot decode value for "site_key" (cannot read site key '
            f'"{tmp_path / "missing.key"}" ('
        ), result.stderr


def test_run_with_a_site_key_gives_it_to_group_cake_and_its_roles(cake, tmp_path: Path) -> None:
    """End to end: host-cake requires encryption with a key of this test; a home's group
    (``encrypted_directory``) runs a HOST-scope publisher; ``run --site-key`` gives the key to
    group-cake, whose link to host-cake needs it, and to the role, whose sessions need it. A
    subscriber with the key gets answers from the role; one with another key is refused."""
    key = generate_site_key(tmp_path / "site.key")
    host = cake.host(
        None, None, "--encrypted-directory=true", f"--site-key={key}", "--debug-level=WARNING"
    )
    created = cli(
        tmp_path, "create", f"--directory-at-host={hostport(cake.port)}", "--encrypted-directory"
    )
    assert created.returncode == 0, created.stderr
    added = cli(tmp_path, "add", "publisher.py", "pub", "--name=svc:r", "--scope=HOST")
    assert added.returncode == 0, added.stderr
    jobs = Jobs()
    try:
        jobs(tmp_path, "run", "--site-key", key)
        member = cake.run(
            "subscriber.py", "--search=svc:r", "--encrypted-process=true", f"--site-key={key}"
        )
        member.expect("PRODUCT 6 svc:r")  # through group-cake's listing, from the role
        host.drain_into_seen()
        assert not any("does not hold this site key" in line for line in host.seen), host.seen
        outsider = cake.run("subscriber.py", "--search=svc:r", "--encrypted-process=true")
        assert "Refusing link" in host.expect("does not hold this site key", anywhere=True)
        member.expect("PRODUCT 6 svc:r")
        outsider.drain_into_seen()
        assert not any(line.startswith("AVAILABLE") for line in outsider.seen), outsider.seen
    finally:
        jobs.close()


def test_run_and_start_refuse_a_bad_site_key_before_starting_anything(tmp_path: Path) -> None:
    bad = tmp_path / "site.key"
    bad.write_text("not a key\n")
    os.chmod(bad, 0o600)
    for args in (("run", f"--site-key={bad}"), ("-sk", str(bad), "start")):
        result = cli(tmp_path, *args)  # options before the sub-command too
        assert result.returncode == FAULTY_EXIT
        assert result.stderr == (
            f'layer-cake: cannot decode value for "site_key" (site key "{bad}" is not one base64 '
            "line of 32 bytes (per key))\n"
        )
    assert not (tmp_path / ".layer-cake").exists()


# key add, promote, retire (rollover) ----------------------------------------------------------


def fingerprints(path: Path | str) -> list[str]:
    return [site_key_fingerprint(k) for k in read_site_keys(path)]


def test_a_rollover_adds_promotes_and_retires_keeping_the_file_private(tmp_path: Path) -> None:
    path = Path(generate_site_key(tmp_path / "site.key"))
    new = Path(generate_site_key(tmp_path / "new.key"))
    old_fp, new_fp = fingerprints(path)[0], fingerprints(new)[0]

    added = run_cli("key", "add", str(path), f"--from={new}")
    assert added.returncode == 0, added.stderr
    assert fingerprints(path) == [old_fp, new_fp]  # the old key still opens links
    assert f"Key {new_fp} added to {path}" in added.stdout
    assert f"2  {new_fp}  accepts links" in added.stdout

    promoted = run_cli("key", "promote", str(path))
    assert promoted.returncode == 0, promoted.stderr
    assert fingerprints(path) == [new_fp, old_fp]
    assert f"Key {new_fp} now opens links" in promoted.stdout

    retired = run_cli("key", "retire", str(path))
    assert retired.returncode == 0, retired.stderr
    assert fingerprints(path) == [new_fp]
    assert f"Key {old_fp} retired" in retired.stdout
    assert mode_of(path) == 0o600
    for result in (added, promoted, retired):
        secret_not_in(result.stdout + result.stderr, path)
        secret_not_in(result.stdout + result.stderr, new)


def test_key_add_without_from_adds_a_fresh_random_key(tmp_path: Path) -> None:
    path = Path(generate_site_key(tmp_path / "site.key"))
    before = read_site_keys(path)
    result = run_cli("key", "add", str(path))
    assert result.returncode == 0, result.stderr
    after = read_site_keys(path)
    assert after[0] == before[0] and len(after) == 2 and after[1] != before[0]


def test_rollover_steps_that_make_no_sense_are_refused_and_change_nothing(tmp_path: Path) -> None:
    path = Path(generate_site_key(tmp_path / "site.key"))
    text = path.read_bytes()
    promoted = run_cli("key", "promote", str(path))
    assert promoted.returncode == FAULTY_EXIT
    assert "one key only" in promoted.stderr
    twice = run_cli("key", "add", str(path), f"--from={path}")
    assert twice.returncode == FAULTY_EXIT
    assert "holds that key already" in twice.stderr
    missing = run_cli("key", "add", str(path), f"--from={tmp_path / 'nosuch.key'}")
    assert missing.returncode == FAULTY_EXIT and "cannot add from site key" in missing.stderr
    retired = run_cli("key", "retire", str(path))
    assert retired.returncode == 0 and "Nothing to retire" in retired.stdout
    assert path.read_bytes() == text
    for _ in range(7):
        assert run_cli("key", "add", str(path)).returncode == 0
    full = run_cli("key", "add", str(path))
    assert full.returncode == FAULTY_EXIT and "8 keys already" in full.stderr
    assert len(read_site_keys(path)) == 8
