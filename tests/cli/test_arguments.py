"""Argument handling of ``network`` and ``ping`` (cli §1), with click's ``CliRunner``: every
case here fails before the command joins the directory."""

from __future__ import annotations

import click
import pytest
from click.testing import CliRunner

import layer_cake as lc
from layer_cake_cli._command import HOST_PORT, SECONDS, _sort_arguments
from layer_cake_cli._fault import FAULTY_EXIT
from layer_cake_cli._main import main


def invoke(*args: str):
    return CliRunner().invoke(main, list(args))


@pytest.mark.parametrize(
    ("args", "stderr"),
    [
        (["network", "a", "b"], 'cannot execute "network" (unknown arg(s) "a,b")'),
        (["network", "-xx", "-lc"], 'cannot execute "network" (unknown arg(s) "-xx")'),
        (["ping", "abc", "def"], 'cannot execute "ping" (unknown arg(s) "def")'),
        (["network", "--list-connected=yes"], 'cannot decode value for "list_connected"'),
        (["network", "--open-scope=PROCESS"], 'cannot decode value for "open_scope"'),
        (["network", "-ctd=nowhere"], 'cannot decode value for "connect_to_directory"'),
        (["network", "-ctd=127.0.0.1:99999"], 'cannot decode value for "connect_to_directory"'),
        (["network", "--connect-timeout=0"], 'cannot decode value for "connect_timeout"'),
        (["ping", "abc", "--ping-count=0"], 'cannot decode value for "ping_count"'),
        (["network", "--open-scope"], 'cannot execute "network" (Option'),
        (["ping"], "cannot ping (no identity specified)"),
    ],
)
def test_argument_faults_exit_71(args, stderr) -> None:
    result = invoke(*args)
    assert result.exit_code == FAULTY_EXIT, result.output
    assert result.stderr.startswith("layer-cake: " + stderr), result.stderr
    assert result.stdout == ""


def test_help_lists_the_short_forms() -> None:
    result = invoke("network", "--help")
    assert result.exit_code == 0
    for short in ("-fi", "-da", "-lp", "-ls", "-lr", "-lc", "-ctd", "-os", "-ct"):
        assert f"{short}, --" in result.stdout
    assert "-pc, --ping-count" in invoke("ping", "--help").stdout


def test_boolean_takes_true_and_false() -> None:
    known = {"--list-connected": click.Option(["--list-connected", "-lc"], is_flag=True)}
    known["-lc"] = known["--list-connected"]
    assert _sort_arguments(["-lc=true", "--list-connected=False", "w"], known) == (["-lc", "w"], [])


def test_option_value_may_follow_as_the_next_word() -> None:
    known = {"--ping-count": click.Option(["--ping-count"], type=int)}
    assert _sort_arguments(["--ping-count", "3", "x", "-q"], known) == (
        ["--ping-count", "3", "x"],
        ["-q"],
    )
    assert _sort_arguments(["--", "-q"], known) == (["--", "-q"], [])


@pytest.mark.parametrize(
    "text",
    [
        '{"host": "127.0.0.1", "port": 54195}',
        "127.0.0.1:54195",
        '{"host": "127.0.0.1", "port": "54195"}',
    ],
)
def test_host_port_in_json_or_host_colon_port(text) -> None:
    assert HOST_PORT.convert(text, None, None) == lc.HostPort("127.0.0.1", 54195)


@pytest.mark.parametrize("text", ["nan", "inf", "-1", "soon"])
def test_seconds_must_be_positive_and_finite(text) -> None:
    with pytest.raises(click.BadParameter):
        SECONDS.convert(text, None, None)
