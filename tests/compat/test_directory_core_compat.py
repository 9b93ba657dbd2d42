"""The sans-I/O directory core's part of compat §2.15 (a non-LCW1 peer on a directory link,
the parent's or a session's, is faulted once per address and retried) and §3.8
(``ConnectTo`` sets the parent)."""

from __future__ import annotations

import random
import uuid

from layer_cake.net._hostport import HostPort
from layer_cake.pubsub._directory import Directory, Settings
from layer_cake.pubsub._inspect import DirectoryOpened, OpenDirectory
from layer_cake.pubsub._protocol import RouteFound
from layer_cake.pubsub._records import ArmTimer, CloseLink, Connect, Fault, ParentState, Tell
from layer_cake.runtime._messages import ScopeOfDirectory

OLD = HostPort("127.0.0.1", 6001)
NEW = HostPort("127.0.0.1", 6002)
TOOL = (1, 9)
MISMATCH = "protocol mismatch (expected layer-cake wire protocol LCW1; peer sent ...)"


class Clock:
    now = 1000.0

    def __call__(self) -> float:
        return self.now


def node(parent: HostPort | None = OLD) -> Directory:
    settings = Settings(scope=ScopeOfDirectory.PROCESS, parent=parent, executable="test")
    return Directory(settings, (1, 1), alive=lambda a: True, clock=Clock(), rng=random.Random(1))


def of(actions: list, kind: type) -> list:
    return [a for a in actions if isinstance(a, kind)]


def test_a_mismatched_parent_is_faulted_once_and_retried_with_the_back_off():
    d = node()
    (connect,) = of(d.start(), Connect)
    assert connect.ipp == OLD
    actions = d.not_connected(OLD, MISMATCH)
    (fault,) = of(actions, Fault)
    assert fault.text == f'Cannot connect to "127.0.0.1:6001": {MISMATCH}'
    (timer,) = of(actions, ArmTimer)
    for _ in range(3):  # every retry connects again; the fault is not repeated
        d.clock.now = timer.at
        assert of(d.parent_timer(), Connect)
        actions = d.not_connected(OLD, MISMATCH)
        assert of(actions, Fault) == []
        (timer,) = of(actions, ArmTimer)


def test_a_mismatch_after_a_good_connection_is_faulted_again():
    d = node()
    d.start()
    assert of(d.not_connected(OLD, MISMATCH), Fault)
    d.clock.now += 10
    d.parent_timer()
    d.connected(OLD, (61,), HostPort())
    d.closed((61,))
    d.clock.now += 10
    d.parent_timer()
    assert of(d.not_connected(OLD, MISMATCH), Fault)


def test_a_plain_refusal_is_not_a_fault():
    d = node()
    d.start()
    assert of(d.not_connected(OLD), Fault) == []


def test_a_waiting_open_directory_ends_with_the_mismatch():
    d = node()
    d.start()
    assert d.open_directory(OpenDirectory(ScopeOfDirectory.HOST), TOOL) == []  # waits
    actions = d.not_connected(OLD, MISMATCH)
    (tell,) = of(actions, Tell)
    assert tell.to == TOOL and isinstance(tell.message, DirectoryOpened)
    assert (tell.message.opened, tell.message.note) == (False, MISMATCH)


def test_connect_to_moves_a_linked_node_to_the_new_parent():
    d = node()
    d.start()
    d.connected(OLD, (61,), HostPort())
    assert of(d.connect_to(NEW), CloseLink)[0].link == (61,)
    (timer,) = of(d.closed((61,)), ArmTimer)
    d.clock.now = timer.at
    (connect,) = of(d.parent_timer(), Connect)
    assert connect.ipp == NEW


def test_connect_to_an_empty_address_leaves_the_node_without_a_parent():
    d = node()
    d.start()
    (timer,) = of(d.not_connected(OLD), ArmTimer)
    d.connect_to(HostPort())
    d.clock.now = timer.at
    assert of(d.parent_timer(), Connect) == []
    assert d.parent_state is ParentState.IDLE


def test_connect_to_links_a_node_that_had_no_parent():
    d = node(parent=None)
    assert of(d.start(), Connect) == []
    (connect,) = of(d.connect_to(NEW), Connect)
    assert connect.ipp == NEW


def test_a_mismatched_session_peer_is_faulted_once_and_retried():
    d = node(parent=None)
    d.start()
    sub = (1, 2)
    (subscribed,) = [
        a.message for a in d.subscribe("svc", ScopeOfDirectory.HOST, sub) if isinstance(a, Tell)
    ]
    peer = HostPort("127.0.0.1", 7000)
    found = RouteFound(subscribed.subscribed_id, "svc", ScopeOfDirectory.HOST, peer, uuid.uuid4())
    (connect,) = of(d.route_found(found), Connect)
    assert connect.ipp == peer
    (fault,) = of(d.not_connected(peer, MISMATCH), Fault)
    assert fault.text == f'Cannot connect to "127.0.0.1:7000": {MISMATCH}'
    for _ in range(2):  # retried after each back-off, faulted no more
        connects = []
        for _ in range(100):
            d.clock.now = max(d.clock.now, d.book.deadlines[0][0])
            connects = of(d.tick(), Connect)
            if connects:
                break
        assert [c.ipp for c in connects] == [peer]
        assert of(d.not_connected(peer, MISMATCH), Fault) == []
