"""``layer-cake network`` and ``layer-cake ping`` (cli §4, §4.1): thin click commands over the
directory walk (``_directory_walk``) and its formatting (``_network``).

Additions to the spec, chosen here:

- ``--connect-timeout=S`` (``-ct``): the connect limit, default the spec's 30 s.
- ``--encrypted-process`` (``-ep``): join a directory run with ``--encrypted-directory``;
  ``--site-key`` (``-sk``): the site key file for it (else ``LC_SITE_KEY_FILE``);
  ``--debug-level`` (``-dl``): the tool's own log on stderr.
- ``--connect-to-directory`` also takes ``host:port`` besides the JSON ``HostPort``.
- A child that does not answer its listing within 10 s (it ended between the listings)
  prints as ``... <link ipp> (not responding)`` at its place in the tree and is not walked;
  the rest of the tree prints and the command still succeeds.
- ``ping``: an id prefix that starts several nodes' ids fails ``(ambiguous identity)``; one
  that names no node but a publication, subscription or route fails
  ``(not a directory node)``.
"""

from __future__ import annotations

import json
import socket
import sys
import time
from collections.abc import Callable
from typing import Any

import click

import layer_cake as lc
from layer_cake.daemon import configure_process, set_level

from ._command import HOST_PORT, SECONDS, LayerCakeCommand, ScopeParam
from ._directory_walk import (
    CONNECT_SECONDS,
    InspectionFailed,
    list_tree,
    open_directory,
    ping_once,
)
from ._fault import fail
from ._key_command import site_key_option
from ._network import (
    ListingFlags,
    NetworkNode,
    holds_listing_identity,
    matching_nodes,
    shown_lists,
    tree_json,
    tree_lines,
)

__all__ = ["network", "ping", "PING_INTERVAL"]

#: Time between the starts of two pings (cli §4: "1 s apart").
PING_INTERVAL = 1.0
# The quick check that something listens at the directory's address.
_PROBE_SECONDS = 2.0

_OPEN_SCOPES = ScopeParam(
    lc.ScopeOfDirectory.HOST, lc.ScopeOfDirectory.LAN, lc.ScopeOfDirectory.GROUP
)


def directory_options(command: Callable[..., Any]) -> Callable[..., Any]:
    """The options of every command that joins the directory to inspect it."""
    options = (
        click.option(
            "--connect-to-directory",
            "-ctd",
            type=HOST_PORT,
            default=lc.DIRECTORY_AT_HOST,
            show_default=True,
            help='Node to join: {"host": ..., "port": ...} or host:port.',
        ),
        click.option(
            "--open-scope",
            "-os",
            type=_OPEN_SCOPES,
            default="HOST",
            show_default=True,
            help="Scope to open upward for: HOST, LAN or GROUP.",
        ),
        click.option(
            "--connect-timeout",
            "-ct",
            type=SECONDS,
            default=CONNECT_SECONDS,
            show_default=True,
            help="Seconds to wait for the link to the directory.",
        ),
        click.option(
            "--encrypted-process",
            "-ep",
            is_flag=True,
            help="Encrypt the link to the directory (one run with --encrypted-directory).",
        ),
        click.option(
            "--debug-level",
            "-dl",
            type=click.Choice([level.name for level in lc.USER_LOG], case_sensitive=False),
            default=None,
            help="Log the tool's own objects at this level on stderr.",
        ),
    )
    for option in reversed(options):
        command = option(command)
    return site_key_option(command)


def _join_and_list(
    connect_to: lc.HostPort,
    scope: lc.ScopeOfDirectory,
    connect_timeout: float,
    encrypted_process: bool,
    debug_level: str | None,
    lists: list[str] | None,
) -> NetworkNode:
    if debug_level is not None:
        set_level(lc.USER_LOG[debug_level.upper()], sys.stderr)
    configure_process(None, encrypted_process)  # the node's parent link is encrypted
    refused = _refused(connect_to)
    if refused is not None:
        fail(f"cannot connect to the directory at {connect_to.host}:{connect_to.port} ({refused})")
    try:
        open_directory(connect_to, scope, connect_timeout)
        return list_tree(lists=lists)
    except InspectionFailed as error:
        fail(str(error))


def _list_again(lists: list[str]) -> NetworkNode:
    try:
        return list_tree(lists=lists)
    except InspectionFailed as error:
        fail(str(error))


def _refused(at: lc.HostPort) -> str | None:
    """Why nothing can listen at ``at``, found by one quick TCP connect (a refusal comes back
    at once; anything else is left to the directory's own connect and its limit)."""
    try:
        with socket.create_connection((at.host, at.port), timeout=_PROBE_SECONDS):
            return None
    except ConnectionRefusedError:
        return "no directory listening there; is host-cake running?"
    except OSError:
        return None


@click.command(name="network", cls=LayerCakeCommand)
@directory_options
@click.option("--full-identity", "-fi", is_flag=True, help="Full unique ids, not 8 characters.")
@click.option(
    "--directory-addresses",
    "-da",
    is_flag=True,
    help="Primary IP, parent (<C>) and listen (<L>) addresses of each node.",
)
@click.option("--list-published", "-lp", is_flag=True, help="Publications of each node.")
@click.option("--list-subscribed", "-ls", is_flag=True, help="Subscriptions of each node.")
@click.option("--list-routed", "-lr", is_flag=True, help="Routes matched at each node.")
@click.option("--list-connected", "-lc", is_flag=True, help="Subscriptions and their sessions.")
@click.option("--json", "as_json", is_flag=True, help="The tree as JSON (every detail).")
@click.option(
    "--watch", "-w", type=SECONDS, default=None, help="List again every S seconds until control-c."
)
def network(
    connect_to_directory: lc.HostPort,
    open_scope: lc.ScopeOfDirectory,
    connect_timeout: float,
    encrypted_process: bool,
    debug_level: str | None,
    as_json: bool,
    watch: float | None,
    **flags: bool,
) -> None:
    """Print the directory tree from the root (again every WATCH seconds with --watch)."""
    lists = shown_lists(ListingFlags(**flags), as_json)
    tree = _join_and_list(
        connect_to_directory, open_scope, connect_timeout, encrypted_process, debug_level, lists
    )
    _show(tree, as_json, ListingFlags(**flags))
    if watch is None:
        return
    try:
        while True:
            time.sleep(watch)  # the operator's chosen refresh interval
            try:
                tree = list_tree(lists=lists)
            except InspectionFailed as error:
                click.echo(f"layer-cake: {error}", err=True)
                continue
            click.echo(f"--- {time.strftime('%H:%M:%S')}")
            _show(tree, as_json, ListingFlags(**flags))
    except KeyboardInterrupt:
        sys.exit(0)  # the one way to end a watch


def _show(tree: NetworkNode, as_json: bool, flags: ListingFlags) -> None:
    if as_json:
        click.echo(json.dumps(tree_json(tree), indent=4))
        return
    for line in tree_lines(tree, flags):
        click.echo(line)


@click.command(name="ping", cls=LayerCakeCommand)
@click.argument("identity", required=False)
@directory_options
@click.option(
    "--ping-count",
    "-pc",
    type=click.IntRange(min=1),
    default=4,
    show_default=True,
    help="Number of pings, 1 s apart.",
)
def ping(
    identity: str | None,
    connect_to_directory: lc.HostPort,
    open_scope: lc.ScopeOfDirectory,
    connect_timeout: float,
    encrypted_process: bool,
    debug_level: str | None,
    ping_count: int,
) -> None:
    """Ping the directory node whose unique id starts with IDENTITY."""
    if not identity:
        fail("cannot ping (no identity specified)")
    tree = _join_and_list(  # the nodes alone: a listing's names are fetched only if needed
        connect_to_directory, open_scope, connect_timeout, encrypted_process, debug_level, []
    )
    found = matching_nodes(tree, identity)
    if not found:
        if holds_listing_identity(_list_again(["published", "subscribed", "routed"]), identity):
            fail(f'cannot ping "{identity}" (not a directory node)')
        fail(f'cannot ping "{identity}" (not present in directory)')
    if len(found) > 1:
        fail(f'cannot ping "{identity}" (ambiguous identity, {len(found)} nodes match)')
    address = found[0].directory_address
    due = time.monotonic()
    for i in range(ping_count):
        wait = due - time.monotonic()
        if wait > 0:
            time.sleep(wait)  # the command's own pacing (1 s apart), not a test wait
        due = time.monotonic() + PING_INTERVAL
        seconds = ping_once(address)
        click.echo(f"[{i}] ... {seconds:.4f}s" if seconds is not None else f"[{i}] ... (timed out)")
