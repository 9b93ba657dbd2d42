"""The HTTP server under attack (issue 10; networking-and-http §6.3, §6.4; docs/security.md).

Each test is written as an attacker on the same machine would work: plain TCP sockets to
127.0.0.1 and bytes built from the spec, no secret. Each attack is shown to be contained, and
a legitimate client in the same test is still served. Limits are set short for the test with
``set_http_limits`` (the defaults are in docs/security.md); where the server's own resources
are the point (open files), it runs as a subprocess with a low limit.
"""

from __future__ import annotations

import os
import select
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from security_support import (
    LOOPBACK,
    PATIENCE,
    flood,
    get,
    limits,
    links,
    listening,
    on_loop,
    raw,
    until,
    wait_for,
)

import layer_cake as lc
from layer_cake.runtime._counters import COUNTERS

SRC = Path(lc.__file__).resolve().parent.parent
EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "multithreading"


class Xy:
    """The examples' request (matched by class name)."""

    def __init__(self, x: int = 1, y: int = 1) -> None:
        self.x = x
        self.y = y


lc.bind(Xy)


def answer(ch: lc.Channel, text: str, to: tuple | None = None) -> None:
    """Answer the request last received (or the connection ``to``) with a text body."""
    ch.send(lc.HttpResponse(body=text), to if to is not None else ch.return_address)


def serve_one(ch: lc.Channel, port: int, x: int = 7) -> None:
    """A legitimate client: one request on a new connection, answered by the application."""
    with raw(port) as c:
        c.send(get(f"/Xy?x={x}&y=1"))
        m, _ = wait_for(ch, Xy)
        assert m.x == x
        answer(ch, f"served {x}")
        r = c.response()
        assert (r.status, r.text()) == (200, f"served {x}")


def state_of(client: socket.socket | int) -> dict | None:
    """What the server holds for the connection of ``client`` (a socket or its local port),
    read on the loop thread; None when there is no such connection."""
    port = client if isinstance(client, int) else client.getsockname()[1]

    def read() -> dict | None:
        from layer_cake.net._http_link import server_links

        for link in server_links():
            if link.opened_ipp.port == port:
                return {
                    "reading_paused": link.reading_paused,
                    "writing_paused": link.paused,
                    "write_buffer": link.transport.get_write_buffer_size(),
                    "unread": link.conn.unread,
                    "waiting": link.conn.waiting,
                }
        return None

    return on_loop(read)  # type: ignore[return-value]


# Reading pauses when writing is paused -------------------------------------------------------


def test_a_client_that_never_reads_its_answers_is_no_longer_read(ch: lc.Channel) -> None:
    # 1M pipelined requests (40 MB) answered by the server itself (404), never read: the
    # kernel buffers hold a few MB each way, so the server's own buffer would take the rest.
    requests = get("/nothing") * 1_000_000
    with listening(ch, http_server=[Xy]) as port, flood(port, requests) as attacker:
        local = attacker.sock.getsockname()[1]
        held = None

        def paused() -> bool:
            nonlocal held
            held = state_of(attacker.sock)
            return held is not None and held["reading_paused"] and held["writing_paused"]

        until(paused, what="reading paused while the answers are unread")
        serve_one(ch, port)  # a legitimate client meanwhile
        held = state_of(attacker.sock)
        assert held["reading_paused"], held
        # What the server holds is one write buffer over its high-water mark and at most one
        # read of unparsed input, not the answers to every request sent.
        assert held["write_buffer"] + held["unread"] < 2 * 1024 * 1024, held
        assert not attacker.done  # the rest of the flood was never taken in
    until(lambda: state_of(local) is None, what="connection gone after the close")


def test_pipelined_requests_beyond_the_limit_wait_unread(ch: lc.Channel) -> None:
    # 2,000 requests (72 KB): the kernel's socket buffers take them all, read or not.
    requests = b"".join(get(f"/Xy?x={i}&y=1") for i in range(2_000))
    with limits(max_pipelined=4), listening(ch, http_server=[Xy]) as port, raw(port) as attacker:
        attacker.send(requests)
        m, _ = wait_for(ch, Xy)  # the first is delivered; the application takes its time
        assert m.x == 0
        proxy = ch.return_address
        until(lambda: (state_of(attacker.sock) or {}).get("reading_paused"),
              what="reading paused with the queue full")
        held = state_of(attacker.sock)
        assert held["waiting"] <= 3, held  # 4 unanswered at most, the one in flight included
        serve_one(ch, port)  # another client is served meanwhile
        for i in range(3):  # each answer releases the next request, in order
            answer(ch, f"answer {i}", proxy)
            r = attacker.response()
            assert (r.status, r.text()) == (200, f"answer {i}")
            m, _ = wait_for(ch, Xy)
            assert m.x == i + 1
            assert state_of(attacker.sock)["waiting"] <= 3


# Header timeout and idle close --------------------------------------------------------------


def test_a_request_head_that_never_ends_is_408_and_closed(ch: lc.Channel) -> None:
    rejected = COUNTERS["http_rejected"]
    with limits(header_timeout=0.5), listening(ch, http_server=[Xy]) as port, \
            raw(port) as slow, raw(port) as trickle:
        slow.send(b"GET /Xy?x=1 HTTP/1.1\r\nHost: 127.0.0.1\r\n")
        # Slowloris: one byte of a header at a time, never the end of the head.
        trickle.send(b"GET /Xy?x=2 HTTP/1.1\r\nX-Padding: ")
        deadline = time.monotonic() + PATIENCE
        while time.monotonic() < deadline:
            readable, _, _ = select.select([trickle.sock], [], [], 0.1)
            if readable:
                break
            trickle.send(b"a")
        r = trickle.response()
        assert (r.status, r.reason) == (408, "Request Timeout")
        assert r.text() == (
            'cannot recover request "/Xy?x=2" (request not complete within 0.5 seconds)'
        )
        assert trickle.closed_by_peer()
        r = slow.response()
        assert (r.status, r.reason) == (408, "Request Timeout")
        assert slow.closed_by_peer()
        serve_one(ch, port)
    assert COUNTERS["http_rejected"] - rejected >= 2


def test_idle_connections_are_closed_after_the_idle_limit(ch: lc.Channel) -> None:
    with limits(idle_close=0.5), listening(ch, http_server=[Xy]) as port, \
            raw(port) as silent, raw(port) as kept:
        kept.send(get("/Xy?x=3&y=1"))
        wait_for(ch, Xy)
        answer(ch, "once")
        assert kept.response().text() == "once"
        assert silent.closed_by_peer()
        assert kept.closed_by_peer()
        reasons = [wait_for(ch, lc.Closed)[0].reason for _ in range(2)]
        assert reasons == [lc.EndOfTransport.WENT_STALE] * 2
        serve_one(ch, port)  # the listen itself goes on


def test_a_request_being_answered_is_not_idle(ch: lc.Channel) -> None:
    with limits(idle_close=0.3), listening(ch, http_server=[Xy]) as port, raw(port) as c:
        c.send(get("/Xy?x=4&y=1"))
        wait_for(ch, Xy)
        proxy = ch.return_address
        serve_one(ch, port, 5)  # time passes, well over the idle limit in total
        until(lambda: all(link.idle_since(0.0) is None for link in links()
                          if link.proxy_address == proxy),
              what="the owed connection counts as busy")
        with raw(port) as other:  # and an idle one opened after it is closed first
            assert other.closed_by_peer()
        answer(ch, "late but delivered", proxy)
        assert c.response().text() == "late but delivered"


# Connection cap -------------------------------------------------------------------------------


def test_at_the_connection_cap_idle_connections_are_shed_first(ch: lc.Channel) -> None:
    with limits(max_connections=3), listening(ch, http_server=[Xy]) as port, \
            raw(port) as busy, raw(port) as idle, raw(port) as slow:
        busy.send(get("/Xy?x=1&y=1"))
        wait_for(ch, Xy)
        proxy = ch.return_address  # an answer is owed to this one: never shed
        slow.send(b"GET /Xy?x=2 HTTP/1.1\r\n")
        with raw(port) as first:  # the 4th connection sheds the one idle longest
            first.send(get("/Xy?x=8&y=1"))
            wait_for(ch, Xy)
            answer(ch, "first")
            assert first.response().text() == "first"
            assert idle.closed_by_peer()
            with raw(port) as second:  # the 5th: the slow one has waited longer than the 4th
                second.send(get("/Xy?x=9&y=1"))
                wait_for(ch, Xy)
                answer(ch, "second")
                assert second.response().text() == "second"
                assert slow.closed_by_peer()
        answer(ch, "still here", proxy)
        assert busy.response().text() == "still here"


def test_at_the_connection_cap_with_every_connection_busy_a_new_one_is_503(
    ch: lc.Channel,
) -> None:
    rejected = COUNTERS["http_rejected"]
    with limits(max_connections=2), listening(ch, http_server=[Xy]) as port, \
            raw(port) as a, raw(port) as b:
        owed = []
        for c, x in ((a, 1), (b, 2)):
            c.send(get(f"/Xy?x={x}&y=1"))
            wait_for(ch, Xy)
            owed.append(ch.return_address)
        with raw(port) as refused:
            r = refused.response()
            assert (r.status, r.reason) == (503, "Service Unavailable")
            assert r.text() == "cannot accept connection (2 connections open, none idle)"
            assert refused.closed_by_peer()
        for c, proxy, x in ((a, owed[0], 1), (b, owed[1], 2)):
            answer(ch, f"answer {x}", proxy)
            assert c.response().text() == f"answer {x}"
    assert COUNTERS["http_rejected"] - rejected == 1


def environment() -> dict:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(SRC), env.get("PYTHONPATH", "")) if p)
    return env


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((LOOPBACK, 0))
        return s.getsockname()[1]


#: The example server run with at most 64 open files.
LOW_FILE_LIMIT = (
    "import resource, runpy, sys\n"
    "resource.setrlimit(resource.RLIMIT_NOFILE, (64, 64))\n"
    "sys.argv = ['test_server_1.py', *sys.argv[1:]]\n"
    "runpy.run_path('test_server_1.py', run_name='__main__')\n"
)


@pytest.mark.skipif(not EXAMPLES.joinpath("test_server_1.py").exists(), reason="no example server")
def test_slow_connections_beyond_the_open_file_limit_do_not_starve_clients(
    tmp_path: Path,
) -> None:
    port = free_port()
    address = f'--server-address={{"host": "{LOOPBACK}", "port": {port}}}'
    with (tmp_path / "server.err").open("wb") as err:
        server = subprocess.Popen(
            [sys.executable, "-c", LOW_FILE_LIMIT, address],
            cwd=EXAMPLES,
            env=environment(),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=err,
        )
    attackers: list[socket.socket] = []
    try:
        until(lambda: server.poll() is None and _accepts(port), seconds=60,
              what="the server to listen")
        # 100 slowloris connections against 64 files: each opens, starts a head, stops.
        for _ in range(100):
            s = socket.create_connection((LOOPBACK, port), timeout=PATIENCE)
            s.sendall(b"GET /Xy?x=1 HTTP/1.1\r\nHost: 127.0.0.1\r\n")
            attackers.append(s)
        for x in (2, 3):
            with socket.create_connection((LOOPBACK, port), timeout=PATIENCE) as c:
                c.sendall(get(f"/Xy?x={x}&y=2", "Connection: close"))
                data = b""
                while chunk := c.recv(65536):
                    data += chunk
                assert data.startswith(b"HTTP/1.1 200 OK\r\n"), data[:200]
        assert server.poll() is None
    finally:
        for s in attackers:
            s.close()
        if server.poll() is None:
            server.kill()
        server.wait(PATIENCE)


def _accepts(port: int) -> bool:
    try:
        with socket.create_connection((LOOPBACK, port), timeout=1.0):
            return True
    except OSError:
        return False


# Malformed request line --------------------------------------------------------------------


def test_a_request_line_without_a_version_is_400_with_the_reason(ch: lc.Channel) -> None:
    with listening(ch, http_server=[Xy]) as port, raw(port) as c:
        c.send(b"GET /x\r\n\r\n")
        r = c.response()
        assert (r.status, r.reason) == (400, "Bad Request")
        assert r.text() == 'cannot recover request "/x" (no HTTP version in request line)'
        assert c.closed_by_peer()
        serve_one(ch, port)


# Half-close ------------------------------------------------------------------------------------


def test_answers_go_out_after_the_client_shuts_its_write_side(ch: lc.Channel) -> None:
    with listening(ch, http_server=[Xy]) as port:
        for x in range(50):
            with raw(port) as c:
                c.send(get(f"/Xy?x={x}&y=1"))
                c.sock.shutdown(socket.SHUT_WR)
                m, _ = wait_for(ch, Xy)
                assert m.x == x
                answer(ch, f"after EOF {x}")  # from another object, after the client's EOF
                r = c.response()
                assert (r.status, r.text()) == (200, f"after EOF {x}")
                assert c.closed_by_peer()
        with raw(port) as c:  # pipelined, then EOF: every answer, in order
            c.send(get("/Xy?x=100&y=1") + get("/Xy?x=101&y=1"))
            c.sock.shutdown(socket.SHUT_WR)
            for x in (100, 101):
                m, _ = wait_for(ch, Xy)
                assert m.x == x
                answer(ch, f"pipelined {x}")
                assert c.response().text() == f"pipelined {x}"
            assert c.closed_by_peer()


# Response cap -----------------------------------------------------------------------------------


def test_a_response_over_the_cap_is_refused_with_a_500_that_says_so(ch: lc.Channel) -> None:
    with limits(max_response=1000), listening(ch, http_server=[Xy]) as port, raw(port) as c:
        c.send(get("/Xy?x=1&y=1"))
        wait_for(ch, Xy)
        answer(ch, "x" * 5000)
        r = c.response()
        assert (r.status, r.reason) == (500, "Server Error")
        assert r.text().startswith('response of ')
        assert r.text().endswith(' bytes to "Xy" is over the limit of 1000 bytes')
        c.send(get("/Xy?x=2&y=1"))  # the connection goes on; small answers pass
        wait_for(ch, Xy)
        answer(ch, "small")
        assert c.response().text() == "small"
