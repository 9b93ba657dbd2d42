"""The directory node machine (``pubsub/_node.py``) in one process: what only the machine does,
the rules being the core's (``test_directory_core.py``).

Issue 16: a message the node cannot hand over because the receiver's queue is full is held,
in order, and retried; nothing is dropped.
"""

from __future__ import annotations

from runtime_support import queue_capacity

import layer_cake as lc

PROCESS = lc.ScopeOfDirectory.PROCESS
NAMES = 50


def test_session_messages_past_a_full_queue_are_held_and_all_arrive_in_order(ch):
    with queue_capacity(8), lc.channel() as pub:
        lc.subscribe(ch, "held:.*", scope=PROCESS)
        assert isinstance(ch.input(), lc.Subscribed)
        for i in range(NAMES):  # neither side reads: both queues fill up
            lc.publish(pub, f"held:{i}", scope=PROCESS)
        available = set()
        while len(available) < NAMES:
            m, index = ch.select(lc.Available, seconds=30.0)
            assert index == 0, "an Available went missing"
            available.add(m.name)
        published: list[str] = []
        delivered = 0
        while len(published) < NAMES or delivered < NAMES:
            m, index = pub.select(lc.Published, lc.Delivered, seconds=30.0)
            assert index in (0, 1), "a Published or Delivered went missing"
            if index == 0:
                published.append(m.name)
            else:
                assert m.name in published  # the answer before the session it caused
                delivered += 1
        assert published == [f"held:{i}" for i in range(NAMES)]
        assert available == set(published)
