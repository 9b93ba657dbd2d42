"""Keep-alive on wire links: a silent peer is noticed, a live one is not disturbed."""

from __future__ import annotations

import socket
import threading
import time

import layer_cake as lc
from layer_cake.net._frame import FrameEncoder


def _silent_peer() -> tuple[socket.socket, int, threading.Event]:
    """A peer that says hello and then never sends another byte (until released)."""
    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen(1)
    release = threading.Event()

    def run() -> None:
        conn, _ = srv.accept()
        with conn:
            conn.sendall(FrameEncoder().hello(False))
            release.wait(30)

    threading.Thread(target=run, name="silent-peer", daemon=True).start()
    return srv, srv.getsockname()[1], release


def test_a_silent_peer_is_closed_as_stale_after_the_limit():
    srv, port, release = _silent_peer()
    try:
        with lc.channel() as ch:
            lc.connect(
                ch,
                lc.HostPort("127.0.0.1", port),
                keep_alive=True,
                keep_alive_period=0.2,
                keep_alive_limit=0.6,
            )
            connected, _ = ch.select(lc.Connected, lc.NotConnected, seconds=10)
            assert isinstance(connected, lc.Connected)
            started = time.monotonic()
            closed, i = ch.select(lc.Closed, seconds=10)
            assert i == 0
            assert closed.reason == lc.EndOfTransport.WENT_STALE
            assert closed.note == "unresponsive"
            assert time.monotonic() - started >= 0.6
    finally:
        release.set()
        srv.close()


def test_a_live_peer_answers_probes_and_the_link_stays_up():
    with lc.channel() as server, lc.channel() as client:
        lc.listen(server, lc.HostPort("127.0.0.1", 0))
        listening, _ = server.select(lc.Listening, seconds=10)
        lc.connect(
            client,
            listening.listening_ipp,
            keep_alive=True,
            keep_alive_period=0.1,
            keep_alive_limit=0.3,
        )
        connected, _ = client.select(lc.Connected, seconds=10)
        server.select(lc.Accepted, seconds=10)
        # Ten limits of silence from the application: only probes cross the link.
        nothing, i = client.select(lc.Closed, seconds=3.0)
        assert i == 1, f"link closed: {nothing.reason} {nothing.note}"
        client.send(lc.Ack(), connected.proxy_address)
        ack, _ = server.select(lc.Ack, seconds=10)
        assert isinstance(ack, lc.Ack)
        client.send(lc.Close(), connected.proxy_address)
        client.select(lc.Closed, seconds=10)
        server.select(lc.Closed, seconds=10)
