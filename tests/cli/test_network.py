"""``layer-cake network`` and ``layer-cake ping`` against real daemons and processes.

Each test starts its own host-cake on a free loopback port (``cake`` fixture) and runs the
command as a child process; see cli_support.py for the scenario.
"""

from __future__ import annotations

import re

from cli_support import run_cli, start_scenario
from directory_support import free_port, hostport

FAULTY_EXIT = 71
SHORT_ID = r"\(([0-9a-f]{8})\)"
FULL_ID = r"\(([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})\)"


def lines_of(result) -> list[str]:
    assert result.returncode == 0, result.stderr
    return result.stdout.splitlines()


def index_of(lines: list[str], prefix: str) -> int:
    """The index of the one line starting with ``prefix``."""
    found = [i for i, line in enumerate(lines) if line.startswith(prefix)]
    assert len(found) == 1, (prefix, lines)
    return found[0]


def test_network_prints_the_tree_from_host_cake_down(cake) -> None:
    scenario = start_scenario(cake)
    lines = lines_of(scenario.network())
    assert re.fullmatch(r"\[HOST\] host-cake " + SHORT_ID, lines[0])
    group = index_of(lines, "+   [GROUP] group-cake (")
    publisher = index_of(lines, "+   +   [PROCESS] publisher.py (")
    inside = index_of(lines, "+   +   [PROCESS] subscriber.py (")
    tool = index_of(lines, "+   [PROCESS] layer-cake (")
    standalone = index_of(lines, "+   [PROCESS] subscriber.py (")
    # Children by executable name: group-cake < layer-cake < subscriber.py.
    assert group < publisher < inside < tool < standalone
    assert len(lines) == 6, lines
    assert all(re.search(SHORT_ID + "$", line) for line in lines)


def test_network_connects_to_a_directory_given_as_json(cake) -> None:
    scenario = start_scenario(cake)
    result = run_cli("network", f"--connect-to-directory={hostport(cake.port)}", "-ls")
    lines = lines_of(result)
    assert lines[0].startswith("[HOST] host-cake (")
    assert lines[index_of(lines, "+   [PROCESS] subscriber.py (") + 1].startswith(
        '+   +   ? "svc:a" ('
    )
    assert scenario.group_port > 0


def test_network_lists_publications_sessions_and_routes(cake) -> None:
    scenario = start_scenario(cake)
    lines = lines_of(scenario.network("-lp", "-lc", "-lr", "--full-identity"))
    port = scenario.listening_port

    published = lines[index_of(lines, "+   +   [PROCESS] publisher.py (") + 1]
    match = re.fullmatch(
        r'\+   \+   \+   # "svc:a" ' + FULL_ID + r" \[127\.0\.0\.1:(\d+)\]", published
    )
    assert match is not None, published
    published_id, listening = match.group(1), int(match.group(2))
    assert listening == port

    # The subscriber inside the group: its session came from the group's route.
    inside = index_of(lines, "+   +   [PROCESS] subscriber.py (")
    match = re.fullmatch(r'\+   \+   \+   \? "svc:\.\*" ' + FULL_ID, lines[inside + 1])
    assert match is not None, lines[inside + 1]
    inside_id = match.group(1)
    session = rf'\+   \+   \+   \+   > "svc:a"\[GROUP\] \(127\.0\.0\.1:\d+ -> 127\.0\.0\.1:{port}\)'
    assert re.fullmatch(session, lines[inside + 2]), lines[inside + 2]

    # The subscriber under host-cake: a HOST route.
    standalone = index_of(lines, "+   [PROCESS] subscriber.py (")
    match = re.fullmatch(r'\+   \+   \? "svc:a" ' + FULL_ID, lines[standalone + 1])
    assert match is not None, lines[standalone + 1]
    standalone_id = match.group(1)
    session = rf'\+   \+   \+   > "svc:a"\[HOST\] \(127\.0\.0\.1:\d+ -> 127\.0\.0\.1:{port}\)'
    assert re.fullmatch(session, lines[standalone + 2]), lines[standalone + 2]

    # Routes: the group matched its own subscriber; host-cake matched both subscribers.
    group_route = f'+   +   <> "svc:a" ({inside_id} -> {published_id})'
    assert lines[index_of(lines, "+   [GROUP] group-cake (") + 1] == group_route
    host_routes = {line for line in lines if line.startswith('+   <> "svc:a" (')}
    assert f'+   <> "svc:a" ({standalone_id} -> {published_id})' in host_routes
    assert host_routes <= {
        f'+   <> "svc:a" ({standalone_id} -> {published_id})',
        f'+   <> "svc:a" ({inside_id} -> {published_id})',
    }


def test_network_full_identity_shows_whole_ids(cake) -> None:
    scenario = start_scenario(cake)
    lines = lines_of(scenario.network("-fi"))
    assert len(lines) == 6, lines
    assert all(re.search(FULL_ID + "$", line) for line in lines), lines


def test_network_directory_addresses_show_parent_and_listen(cake) -> None:
    scenario = start_scenario(cake)
    lines = lines_of(scenario.network("--directory-addresses=true"))
    # LC_PRIMARY_IP=none: no primary IP; host-cake is the root (no parent).
    addresses = rf"\(not detected\) <C>\(not set\) <L>127\.0\.0\.1:{cake.port}"
    root = rf"\[HOST\] host-cake {SHORT_ID} {addresses}"
    assert re.fullmatch(root, lines[0]), lines[0]
    group = lines[index_of(lines, "+   [GROUP] group-cake (")]
    assert group.endswith(f" <C>127.0.0.1:{cake.port} <L>127.0.0.1:{scenario.group_port}")
    publisher = lines[index_of(lines, "+   +   [PROCESS] publisher.py (")]
    assert publisher.endswith(f" <C>127.0.0.1:{scenario.group_port} <L>(not set)")
    tool = lines[index_of(lines, "+   [PROCESS] layer-cake (")]
    assert tool.endswith(f" <C>127.0.0.1:{cake.port} <L>(not set)")


def test_network_with_no_directory_says_so(tmp_path) -> None:
    port = free_port()  # nothing listens there: the connect is refused at once
    result = run_cli("network", f"--connect-to-directory=127.0.0.1:{port}", "--connect-timeout=2")
    assert result.returncode == FAULTY_EXIT
    assert result.stdout == ""
    assert result.stderr == (
        f"layer-cake: cannot connect to the directory at 127.0.0.1:{port} "
        "(no directory listening there; is host-cake running?)\n"
    )


def test_network_with_leftover_arguments_fails(tmp_path) -> None:
    result = run_cli("network", "a", "--no-such-flag", "b")
    assert result.returncode == FAULTY_EXIT
    assert result.stderr == (
        'layer-cake: cannot execute "network" (unknown arg(s) "a,--no-such-flag,b")\n'
    )


def test_network_with_a_bad_scope_fails(tmp_path) -> None:
    result = run_cli("network", "--open-scope=PLANET")
    assert result.returncode == FAULTY_EXIT
    assert result.stderr.startswith('layer-cake: cannot decode value for "open_scope" (')
    assert "Traceback" not in result.stderr


def test_ping_echoes_through_the_directory(cake) -> None:
    scenario = start_scenario(cake)
    root = scenario.network("-fi").stdout.splitlines()[0]
    identity = re.search(FULL_ID, root).group(1)
    result = run_cli(
        "ping", identity[:8], f"--connect-to-directory=127.0.0.1:{cake.port}", "--ping-count=2"
    )
    lines = lines_of(result)
    assert len(lines) == 2, lines
    assert re.fullmatch(r"\[0\] \.\.\. \d+\.\d{4}s", lines[0]), lines
    assert re.fullmatch(r"\[1\] \.\.\. \d+\.\d{4}s", lines[1]), lines


def test_ping_of_an_unknown_identity_fails(cake) -> None:
    start_scenario(cake)
    result = run_cli("ping", "zzzz", f"--connect-to-directory=127.0.0.1:{cake.port}")
    assert result.returncode == FAULTY_EXIT
    assert result.stderr == 'layer-cake: cannot ping "zzzz" (not present in directory)\n'


def test_ping_of_a_publication_is_not_a_directory_node(cake) -> None:
    scenario = start_scenario(cake)
    lines = lines_of(scenario.network("-lp", "-fi"))
    published = lines[index_of(lines, "+   +   [PROCESS] publisher.py (") + 1]
    identity = re.search(FULL_ID, published).group(1)
    result = run_cli("ping", identity, f"--connect-to-directory=127.0.0.1:{cake.port}")
    assert result.returncode == FAULTY_EXIT
    assert result.stderr == f'layer-cake: cannot ping "{identity}" (not a directory node)\n'


def test_ping_with_no_identity_fails(tmp_path) -> None:
    result = run_cli("ping")
    assert result.returncode == FAULTY_EXIT
    assert result.stderr == "layer-cake: cannot ping (no identity specified)\n"


def test_network_joins_an_encrypted_directory_only_when_encrypted(cake) -> None:
    cake.host(None, None, "--encrypted-directory=true")
    address = f"--connect-to-directory=127.0.0.1:{cake.port}"
    lines = lines_of(run_cli("network", address, "--encrypted-process"))
    assert lines[0].startswith("[HOST] host-cake (")
    assert any(line.startswith("+   [PROCESS] layer-cake (") for line in lines), lines
    plain = run_cli("network", address, "--connect-timeout=2")  # refused: encryption mismatch
    assert plain.returncode == FAULTY_EXIT
    assert plain.stderr.endswith("(timed out)\n"), plain.stderr


def test_network_debug_level_logs_the_tool_on_stderr(cake) -> None:
    cake.host()
    result = run_cli("network", f"--connect-to-directory=127.0.0.1:{cake.port}", "-dl=DEBUG")
    assert result.returncode == 0, result.stderr
    assert "DirectoryNode" in result.stderr  # the tool's own node, logged
