"""Sans-I/O failure detection of one wire link: when to probe, when the peer is stale.

No sockets and no clock here: the link passes ``now`` (``time.monotonic()``) to every call.
It calls ``heard(now)`` on any sign of life from the peer (an inbound read, progress of our
writes), ``sent(now)`` after any outbound frame, and ``tick(now)`` from a timer armed every
``interval`` seconds; ``tick`` answers ``NOTHING``, ``PROBE`` (write a keep-alive probe) or
``STALE`` (close the link, ``WENT_STALE``).

The rule (issue 16): a peer is stale only after it stayed silent for ``limit`` seconds *while
this process was responsive*. Wall-clock silence cannot tell "the peer is gone" from "I was
busy": a loop blocked for 8 s (a subscriber handling 40,000 matches, a long handler) sees 8 s
without a frame when it runs again, although the peer's answers may be waiting in the socket
(uvloop even runs due timers before it reads). So silence is counted per tick, and a tick
tells how responsive we were::

    elapsed = now - previous tick
    elapsed <= interval + slack  ->  all of it counts (timer jitter, a loaded machine)
    elapsed >  interval + slack  ->  only ``interval`` counts; the rest is OUR lag, excused

A lagged tick never declares the peer stale: it asks for a probe first, so the peer is judged
on an answer to a probe it could see, after ``limit`` more responsive seconds at the most.
Small lags within the slack count in full, so a loaded process still notices a vanished peer;
large lags add to ``lag`` (seconds excused, for traces and tests), never to the silence.

``ResponsiveSilence`` is that count alone; the write-stall check (a peer that drains none of
our writes) uses it with its own interval and limit, under the same rule: our own stall did
not drain our buffer either, so it is not the peer's fault.
"""

from __future__ import annotations

__all__ = ["NOTHING", "PROBE", "STALE", "Liveness", "ResponsiveSilence", "probe_interval"]

#: What ``Liveness.tick`` asks the link to do.
NOTHING = 0
PROBE = 1
STALE = 2


def probe_interval(period: float, limit: float) -> float:
    """Seconds between ticks: at least three ticks per limit, never more often than 10 ms."""
    return max(min(period, limit / 3.0), 0.01)


class ResponsiveSilence:
    """Seconds of silence counted only while this process was responsive (see the module doc).

    ``slack`` is how late a tick may be and still count in full (default: one interval).
    """

    __slots__ = ("interval", "lag", "last_heard", "last_tick", "silence", "slack")

    def __init__(self, interval: float, now: float, slack: float | None = None) -> None:
        self.interval = interval
        self.slack = interval if slack is None else slack
        self.silence = 0.0  # responsive seconds since the last sign of life, as of the last tick
        self.lag = 0.0  # seconds excused so far: this process did not run on time
        self.last_tick = now
        self.last_heard = now

    def heard(self, now: float) -> None:
        """A sign of life: the silence starts again from ``now``."""
        self.silence = 0.0
        self.last_heard = now

    def tick(self, now: float) -> float:
        """Count the time since the previous tick; returns the seconds excused as our lag."""
        elapsed = now - self.last_tick
        self.last_tick = now
        if elapsed < 0.0:  # a clock that went back (never with monotonic): count nothing
            return 0.0
        if elapsed > self.interval + self.slack:
            counted = self.interval
            lagged = elapsed - counted
            self.lag += lagged
        else:
            counted = elapsed
            lagged = 0.0
        since = now - self.last_heard  # heard during this interval: only the part after it
        self.silence += counted if counted < since else max(since, 0.0)
        return lagged


class Liveness:
    """Keep-alive of one link: probe after ``period`` s of outbound silence, stale after
    ``limit`` s of inbound silence counted while this process was responsive."""

    __slots__ = ("interval", "last_out", "limit", "period", "quiet")

    def __init__(self, period: float, limit: float, now: float) -> None:
        self.period = period
        self.limit = limit
        self.interval = probe_interval(period, limit)
        self.quiet = ResponsiveSilence(self.interval, now)
        self.last_out = now

    @property
    def silence(self) -> float:
        """Responsive seconds without a sign of life, as of the last tick."""
        return self.quiet.silence

    @property
    def lag(self) -> float:
        """Seconds excused so far because this process did not run on time."""
        return self.quiet.lag

    def heard(self, now: float) -> None:
        """Any inbound frame or progress of our writes."""
        self.quiet.heard(now)

    def sent(self, now: float) -> None:
        """Any outbound frame (a busy link needs no probes)."""
        self.last_out = now

    def tick(self, now: float) -> int:
        """The timer fired: ``NOTHING``, ``PROBE`` or ``STALE``."""
        if self.quiet.tick(now):
            return PROBE  # we were away: give the peer a probe it can answer before judging
        if self.quiet.silence > self.limit:
            return STALE
        if now - self.last_out >= self.period:
            return PROBE
        return NOTHING
