"""The walk down the tree (``_directory_walk``), in this process: child links are channels
that answer ``GetDirectory`` from a thread, or addresses nobody answers at."""

from __future__ import annotations

import threading
import uuid

import layer_cake as lc
from layer_cake.pubsub._inspect import DirectoryListing, GetDirectory
from layer_cake_cli._directory_walk import _add_children
from layer_cake_cli._network import ListingFlags, NetworkNode, tree_lines

LOOP = "127.0.0.1"
NOBODY = (987654321,)  # an address no object has
SECONDS = 20.0  # what an answering child may take; only the silent one costs its wait


def answer_once(
    channel: lc.Channel, listing: DirectoryListing, asked: list | None = None
) -> threading.Thread:
    """A thread that answers the first ``GetDirectory`` on ``channel`` with ``listing``;
    the lists it asked for go into ``asked``."""

    def serve() -> None:
        request, _ = channel.select(GetDirectory, seconds=SECONDS)
        if isinstance(request, GetDirectory):
            if asked is not None:
                asked.append(request.lists)
            channel.send(listing, channel.return_address)

    thread = threading.Thread(target=serve)
    thread.start()
    return thread


def test_children_are_asked_together_sorted_and_a_silent_one_is_kept() -> None:
    names = ["zeta.py", "alpha.py"]
    ids = [uuid.UUID(int=2), uuid.UUID(int=1)]
    channels = [lc.open_channel() for _ in names]
    try:
        listings = [
            DirectoryListing(i, name, c.object_address)
            for i, name, c in zip(ids, names, channels, strict=True)
        ]
        threads = [answer_once(c, x) for c, x in zip(channels, listings, strict=True)]
        root = DirectoryListing(
            uuid.UUID(int=9),
            "host-cake",
            (1,),
            lc.ScopeOfDirectory.HOST,
            sub_directory={
                lc.HostPort(LOOP, 3): NOBODY,
                lc.HostPort(LOOP, 1): channels[0].object_address,
                lc.HostPort(LOOP, 2): channels[1].object_address,
            },
        )
        tree = NetworkNode(root)
        # The silent child costs the whole wait: long enough for the others on a loaded
        # machine (they answer from threads of this process), short enough for a test.
        _add_children(tree, 5.0, {root.unique_id}, 1)
        for thread in threads:
            thread.join()
    finally:
        for c in channels:
            lc.drop_channel(c)
    assert tree_lines(tree, ListingFlags()) == [
        "[HOST] host-cake (00000000)",
        "+   [PROCESS] alpha.py (00000000)",
        "+   [PROCESS] zeta.py (00000000)",
        "+   ... 127.0.0.1:3 (not responding)",
    ]
    assert [child.ipp.port for child in tree.children] == [2, 1, 3]


def test_every_child_is_asked_for_the_lists_the_tool_shows_only() -> None:
    """Issue 16: plain ``network`` asks for no list, so a node of 40,000 names answers with
    its place in the tree alone; ``-lp`` asks for the publications."""
    asked: list = []
    child = lc.open_channel()
    try:
        listing = DirectoryListing(uuid.UUID(int=1), "worker.py", child.object_address)
        thread = answer_once(child, listing, asked)
        root = DirectoryListing(
            uuid.UUID(int=9),
            "host-cake",
            (1,),
            lc.ScopeOfDirectory.HOST,
            sub_directory={lc.HostPort(LOOP, 1): child.object_address},
        )
        tree = NetworkNode(root)
        _add_children(tree, SECONDS, {root.unique_id}, 1, ["published"])
        thread.join()
    finally:
        lc.drop_channel(child)
    assert asked == [["published"]]
    assert [c.listing.executable for c in tree.children] == ["worker.py"]
