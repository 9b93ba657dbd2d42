"""HTTP limits per listen (docs/security.md, "HTTP limits"): ``lc.listen(...,
http_limits=...)`` sets the limits of that listen only, over those in force in the process;
bad values are refused at the call with an error that names the limit.

Two listens of the same process side by side, raw client sockets on 127.0.0.1: a limit given
to one applies there and nowhere else.
"""

from __future__ import annotations

import math

import pytest
from security_support import LOOPBACK, get, limits, listening, raw, wait_for

import layer_cake as lc
from layer_cake.net._http_server import HttpLimits


class Xy:
    """The examples' request (matched by class name)."""

    def __init__(self, x: int = 1, y: int = 1) -> None:
        self.x = x
        self.y = y


lc.bind(Xy)

BIG = "x" * 5000


def asked_and_answered(ch: lc.Channel, port: int, text: str) -> tuple[int, str]:
    """One request on a new connection, answered with ``text``: (status, body) received."""
    with raw(port) as c:
        c.send(get("/Xy?x=1&y=1"))
        wait_for(ch, Xy)
        ch.send(lc.HttpResponse(body=text), ch.return_address)
        r = c.response()
        return r.status, r.text()


@pytest.mark.parametrize(
    "given", [{"max_response": 1000}, HttpLimits(max_response=1000)], ids=["dict", "HttpLimits"]
)
def test_a_response_cap_given_to_one_listen_applies_to_that_listen_only(
    ch: lc.Channel, given: object
) -> None:
    with (
        listening(ch, http_server=[Xy], http_limits=given) as capped,
        listening(ch, http_server=[Xy]) as free,
    ):
        status, text = asked_and_answered(ch, capped, BIG)
        assert status == 500
        assert text.endswith(' bytes to "Xy" is over the limit of 1000 bytes')
        assert asked_and_answered(ch, free, BIG) == (200, BIG)
        assert asked_and_answered(ch, capped, "small") == (200, "small")
    with listening(ch, http_server=[Xy]) as later:  # the process's limits were not changed
        assert asked_and_answered(ch, later, BIG) == (200, BIG)


def test_a_listen_may_lift_a_limit_set_for_the_process(ch: lc.Channel) -> None:
    with (
        limits(max_response=1000),
        listening(ch, http_server=[Xy], http_limits={"max_response": None}) as lifted,
        listening(ch, http_server=[Xy]) as capped,
    ):
        assert asked_and_answered(ch, lifted, BIG) == (200, BIG)
        assert asked_and_answered(ch, capped, BIG)[0] == 500


def test_a_connection_cap_given_to_one_listen_applies_to_that_listen_only(
    ch: lc.Channel,
) -> None:
    with (
        listening(ch, http_server=[Xy], http_limits={"max_connections": 1}) as one,
        listening(ch, http_server=[Xy]) as many,
        raw(one) as busy,
    ):
        busy.send(get("/Xy?x=1&y=1"))
        wait_for(ch, Xy)
        owed = ch.return_address  # an answer is owed: never shed
        with raw(one) as refused:
            r = refused.response()
            assert (r.status, r.text()) == (
                503,
                "cannot accept connection (1 connections open, none idle)",
            )
            assert refused.closed_by_peer()
        with raw(many) as a, raw(many) as b:  # the other listen takes both
            for c, x in ((a, 2), (b, 3)):
                c.send(get(f"/Xy?x={x}&y=1"))
                m, _ = wait_for(ch, Xy)
                assert m.x == x
                ch.send(lc.HttpResponse(body=f"answer {x}"), ch.return_address)
                assert c.response().text() == f"answer {x}"
        ch.send(lc.HttpResponse(body="answer 1"), owed)
        assert busy.response().text() == "answer 1"


WHOLE = "must be a whole number >= 1"
SECONDS = "must be a positive number of seconds"
KNOWN = "max_pipelined, max_queued_bytes, header_timeout, idle_close, max_connections, max_response"


@pytest.mark.parametrize(
    ("given", "error", "text"),
    [
        ({"max_pipelined": 0}, ValueError, f"max_pipelined {WHOLE}, not 0"),
        ({"max_queued_bytes": 1.5}, ValueError, f"max_queued_bytes {WHOLE}, not 1.5"),
        ({"max_pipelined": True}, ValueError, f"max_pipelined {WHOLE}, not True"),
        ({"max_connections": -3}, ValueError, f"max_connections {WHOLE} or None, not -3"),
        ({"max_response": "1MB"}, ValueError, f"max_response {WHOLE} or None, not '1MB'"),
        ({"idle_close": 0}, ValueError, f"idle_close {SECONDS}, not 0"),
        ({"header_timeout": math.nan}, ValueError, f"header_timeout {SECONDS}, not nan"),
        ({"header_timeout": None}, ValueError, f"header_timeout {SECONDS}, not None"),
        ({"idle_timeout": 5}, TypeError, f"unknown HTTP limit 'idle_timeout' (known: {KNOWN})"),
    ],
)
def test_bad_limits_are_refused_at_the_call_naming_the_limit(
    ch: lc.Channel, given: object, error: type, text: str
) -> None:
    with pytest.raises(error) as raised:
        lc.listen(ch, lc.HostPort(LOOPBACK, 0), http_server=[Xy], http_limits=given)
    assert str(raised.value) == f"http_limits: {text}"


def test_limits_that_are_not_a_dict_are_refused(ch: lc.Channel) -> None:
    with pytest.raises(TypeError) as raised:
        lc.listen(ch, lc.HostPort(LOOPBACK, 0), http_server=[Xy], http_limits=[("idle_close", 5)])
    assert str(raised.value) == (
        "http_limits must be a dict of limits by name or an HttpLimits, not list"
    )


def test_limits_for_a_listen_that_is_not_http_are_refused(ch: lc.Channel) -> None:
    with pytest.raises(ValueError) as raised:
        lc.listen(ch, lc.HostPort(LOOPBACK, 0), http_limits={"idle_close": 5})
    assert str(raised.value) == "http_limits apply to an HTTP listen (http_server or uri_form)"
    # Refused before anything was asked of the loop: the next listen's outcome is the next
    # message, and it is that listen's.
    with listening(ch, http_server=[Xy], http_limits={"idle_close": 5}) as port:
        assert asked_and_answered(ch, port, "fine") == (200, "fine")
