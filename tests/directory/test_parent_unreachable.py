"""Issue 12 (10): a node whose parent directory is not there (no host-cake) says so once, at
WARNING, and keeps retrying quietly: not a log line per attempt, and a back-off that grows past
the quick ~1 s of a restart (pubsub §7) once the parent has been missing for a while.

The rules are checked on the sans-I/O core with a fake clock; a real group-cake shows the
same in its log: many attempts (seen at DEBUG) and one WARNING line.
"""

from __future__ import annotations

import random

from directory_support import Cake, free_port

from layer_cake.net._hostport import HostPort
from layer_cake.pubsub._directory import LIMITS, Directory, Settings
from layer_cake.pubsub._records import PARENT_TIMER, ArmTimer, Connect, Warn
from layer_cake.runtime._messages import ScopeOfDirectory

HOST_CAKE = HostPort("127.0.0.1", 54195)
PARENT_LINK = (50,)
ATTEMPTS = 6  # reconnects awaited in the real group's log


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def group_node(clock: Clock) -> Directory:
    settings = Settings(scope=ScopeOfDirectory.GROUP, parent=HOST_CAKE, executable="test")
    return Directory(settings, (1, 1), clock=clock, rng=random.Random(1))


def warnings(actions: list) -> list[str]:
    return [a.text for a in actions if isinstance(a, Warn)]


def fail_once(d: Directory, clock: Clock) -> tuple[float, list[str]]:
    """One failed connect to the parent: the delay armed before the next and the warnings."""
    actions = d.not_connected(HOST_CAKE)
    (arm,) = [a for a in actions if isinstance(a, ArmTimer) and a.timer == PARENT_TIMER]
    delay = arm.at - clock.now
    clock.now = arm.at
    assert [a for a in d.parent_timer() if isinstance(a, Connect)]  # the next attempt
    return delay, warnings(actions)


def test_a_missing_parent_is_reported_once_and_retried_with_a_growing_back_off() -> None:
    clock = Clock()
    d = group_node(clock)
    assert [a for a in d.start() if isinstance(a, Connect)]
    start = clock.now
    quick: list[float] = []
    slow: list[float] = []
    said: list[str] = []
    while clock.now - start < LIMITS.parent_reminder - LIMITS.most_slow_retry:
        missing = clock.now - start
        delay, texts = fail_once(d, clock)
        said += texts
        (quick if missing < LIMITS.quick_retry_for else slow).append(delay)
    assert len(said) == 1 and said[0].startswith(
        f'Cannot connect to parent directory at "{HOST_CAKE}"'
    )
    assert max(quick) <= LIMITS.most_retry  # a restarting parent is rejoined within ~1 s
    assert min(slow) >= 0.9 * LIMITS.most_slow_retry >= 2 * LIMITS.most_retry
    assert max(slow) <= LIMITS.most_slow_retry
    while clock.now - start < LIMITS.parent_reminder:
        said += fail_once(d, clock)[1]
    said += fail_once(d, clock)[1]
    assert len(said) == 2  # a rare reminder


def test_a_parent_reached_again_is_said_and_the_back_off_starts_over() -> None:
    clock = Clock()
    d = group_node(clock)
    d.start()
    for _ in range(20):
        fail_once(d, clock)
    reached = warnings(d.connected(HOST_CAKE, PARENT_LINK, HostPort("127.0.0.1", 40000)))
    assert reached == [f'Parent directory at "{HOST_CAKE}" reached (20 failed)']
    actions = d.closed(PARENT_LINK)  # the parent goes away again
    (arm,) = [a for a in actions if isinstance(a, ArmTimer)]
    assert arm.at - clock.now <= LIMITS.first_retry  # quick again, and no warning yet
    assert warnings(actions) == []


def test_a_group_without_host_cake_logs_one_warning_over_many_attempts(cake: Cake) -> None:
    nobody = free_port()  # bound and closed: no host-cake there
    group, _ = cake.group(nobody, "--debug-level=DEBUG")
    for _ in range(ATTEMPTS):
        group.expect("Received NotConnected", anywhere=True)
    group.drain_into_seen()
    said = [line for line in group.seen if "Cannot connect to parent directory" in line]
    assert len(said) == 1, said
    assert " ? " in said[0] and f'"127.0.0.1:{nobody}"' in said[0]  # a WARNING entry
