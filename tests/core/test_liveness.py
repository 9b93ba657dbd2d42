"""The sans-I/O failure detector of wire links (net/_liveness.py), driven by a fake clock.

A peer is stale only after ``limit`` seconds of silence counted while this process was
responsive: a timer tick that fires late is this process's own lag, not the peer's silence.
"""

from __future__ import annotations

import pytest

from layer_cake.net._liveness import (
    NOTHING,
    PROBE,
    STALE,
    Liveness,
    ResponsiveSilence,
    probe_interval,
)

PERIOD, LIMIT = 0.5, 2.0  # the directory's figures between hosts


class Clock:
    """A fake monotonic clock and the timer loop of one link: tick every interval, or late."""

    def __init__(self, period: float = PERIOD, limit: float = LIMIT) -> None:
        self.now = 100.0
        self.live = Liveness(period, limit, self.now)
        self.verdicts: list[tuple[float, int]] = []

    def tick(self, late: float = 0.0) -> int:
        """The next timer tick, ``late`` seconds after it was due; a probe is written at once."""
        self.now += self.live.interval + late
        verdict = self.live.tick(self.now)
        self.verdicts.append((self.now, verdict))
        if verdict == PROBE:
            self.live.sent(self.now)
        return verdict

    def until_stale(self, late: float = 0.0, most: int = 10_000) -> float:
        """Seconds of fake time until a tick says STALE."""
        start = self.now
        for _ in range(most):
            if self.tick(late) == STALE:
                return self.now - start
        raise AssertionError("never stale")


def test_ticks_come_three_per_limit_and_never_faster_than_10_ms():
    assert probe_interval(0.5, 2.0) == 0.5
    assert probe_interval(1.0, 3.0) == 1.0
    assert probe_interval(1.0, 0.6) == pytest.approx(0.2)
    assert probe_interval(0.001, 0.001) == 0.01


def test_a_peer_that_is_gone_is_stale_once_the_limit_of_responsive_time_has_passed():
    clock = Clock()
    took = clock.until_stale()
    assert LIMIT < took <= LIMIT + clock.live.interval
    assert clock.live.lag == 0.0


def test_a_peer_that_answers_every_probe_is_never_stale():
    clock = Clock()
    for _ in range(1000):
        verdict = clock.tick()
        assert verdict != STALE
        if verdict == PROBE:
            clock.now += 0.001  # the answer, one round trip later
            clock.live.heard(clock.now)
    assert [v for _, v in clock.verdicts].count(PROBE) == 1000  # one probe per period


def test_a_busy_link_sends_no_probes():
    clock = Clock()
    for _ in range(100):
        clock.now += 0.1
        clock.live.sent(clock.now)
        clock.live.heard(clock.now)
        clock.now += clock.live.interval - 0.1
        assert clock.live.tick(clock.now) == NOTHING


def test_our_own_stall_of_10_s_is_not_the_peers_silence_a_probe_goes_first():
    clock = Clock()
    clock.tick()
    clock.live.heard(clock.now)
    assert clock.tick(late=10.0) == PROBE  # we ran again: probe, no verdict
    assert clock.live.lag == pytest.approx(10.0)
    assert clock.live.silence <= 2 * clock.live.interval < LIMIT
    clock.now += 0.002
    clock.live.heard(clock.now)  # the answer (or the peer's own probe, waiting in the socket)
    for _ in range(20):
        verdict = clock.tick()
        assert verdict != STALE
        if verdict == PROBE:
            clock.live.heard(clock.now + 0.001)


def test_a_peer_that_went_away_during_our_stall_is_stale_after_the_limit_once_we_run():
    clock = Clock()
    clock.live.heard(clock.now)
    assert clock.tick(late=10.0) == PROBE
    took = clock.until_stale()
    assert LIMIT - 2 * clock.live.interval < took <= LIMIT + clock.live.interval


def test_a_lagged_tick_never_declares_stale_even_past_the_limit():
    clock = Clock()
    for _ in range(3):
        clock.tick()  # 1.5 s of responsive silence
    assert clock.tick(late=30.0) == PROBE  # 2.0 s counted, but we were away: ask first
    assert clock.live.silence == pytest.approx(LIMIT)
    assert clock.tick() == STALE  # one on-time tick later: no answer, stale


def test_small_lags_within_the_slack_count_in_full_and_a_gone_peer_is_still_noticed():
    clock = Clock()
    late = 0.4 * clock.live.interval  # a loaded machine: every timer 40 % late
    took = clock.until_stale(late=late)
    step = clock.live.interval + late
    assert LIMIT < took <= LIMIT + step
    assert clock.live.lag == 0.0


def test_repeated_large_lags_add_the_excess_to_lag_and_one_interval_each_to_silence():
    clock = Clock()
    for _ in range(3):
        assert clock.tick(late=1.7) == PROBE
    assert clock.live.lag == pytest.approx(3 * 1.7)  # each tick's lateness, excused
    assert clock.live.silence == pytest.approx(3 * clock.live.interval)
    assert clock.tick() == PROBE  # 2.0 s: not yet past the limit
    assert clock.tick() == STALE  # 2.5 s of responsive silence


def test_a_sign_of_life_during_an_interval_counts_only_the_silence_after_it():
    quiet = ResponsiveSilence(0.5, now=0.0)
    quiet.heard(0.4)
    assert quiet.tick(0.5) == 0.0
    assert quiet.silence == pytest.approx(0.1)
    quiet.heard(0.6)
    assert quiet.tick(11.0) == pytest.approx(10.0)  # 10.5 s late tick: 10 s excused
    assert quiet.silence == pytest.approx(0.5)  # never more than one interval after a lag


def test_a_flood_of_frames_keeps_the_silence_at_zero_and_asks_for_nothing():
    clock = Clock()
    for _ in range(200):
        for _ in range(10_000 // 200):
            clock.now += clock.live.interval / 50
            clock.live.heard(clock.now)
            clock.live.sent(clock.now)
        assert clock.live.tick(clock.now) == NOTHING
        assert clock.live.silence == 0.0


def test_a_clock_that_goes_back_counts_nothing():
    quiet = ResponsiveSilence(0.5, now=10.0)
    assert quiet.tick(9.0) == 0.0
    assert quiet.silence == 0.0
    assert quiet.lag == 0.0


def test_the_write_stall_check_excuses_our_own_stall_and_still_closes_a_peer_that_never_reads():
    # check_stall's use: 0.5 s ticks, a 60 s limit, progress of our writes is a sign of life.
    quiet = ResponsiveSilence(0.5, now=0.0)
    now = 0.0
    now += 90.0  # our loop was blocked 90 s: nothing of ours was drained, not the peer's fault
    quiet.tick(now)
    assert quiet.silence == 0.5
    ticks = 0
    while quiet.silence <= 60.0:
        now += 0.5
        quiet.tick(now)
        ticks += 1
    assert ticks == 120  # past 60 s of responsive time, then closed
