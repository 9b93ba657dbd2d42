"""The directory node machine (``pubsub/_node.py``) in one process: what only the machine does,
the rules being the core's (``test_directory_core.py``).

Issue 16: a message the node cannot hand over because the receiver's queue is full is held,
in order, and retried; nothing is dropped.
"""

from __future__ import annotations

import errno
import os
import subprocess
import sys

from runtime_support import queue_capacity

import layer_cake as lc
from layer_cake.pubsub._descriptors import descriptor_limit_text

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


def test_a_process_with_a_directory_node_raises_its_descriptor_limit_to_the_hard_one():
    """Issue 16: a match-all subscriber holds one connection per publisher process."""
    script = (
        "import resource\n"
        "soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)\n"
        "resource.setrlimit(resource.RLIMIT_NOFILE, (min(64, hard), hard))\n"
        "from layer_cake.pubsub._node import node_address\n"
        "node_address()\n"
        "print(resource.getrlimit(resource.RLIMIT_NOFILE) == (hard, hard))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=False
    )
    assert done.stdout.strip() == "True", done.stderr


def test_running_out_of_descriptors_is_reported_naming_the_limit():
    text = descriptor_limit_text(f"[Errno {errno.EMFILE}] {os.strerror(errno.EMFILE)}")
    assert text is not None and "RLIMIT_NOFILE" in text and "soft" in text
    assert descriptor_limit_text("[Errno 111] Connection refused") is None
