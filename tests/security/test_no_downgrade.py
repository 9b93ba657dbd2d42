"""No downgrade (issue 10 item 2): a process or directory that requires encryption never lists,
accepts or opens a plaintext session, whatever a rogue publisher lists.

Driven through the sans-I/O directory (``pubsub._directory.Directory``): each input returns the
actions the node would carry out, so the test sees exactly which links it would open; and once
with real daemons and processes (the directory tests' ``Cake``), looking at the bytes on the wire.
"""

from __future__ import annotations

import socket
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from layer_cake.net._frame import FrameDecoder, PeerHello
from layer_cake.net._hostport import HostPort
from layer_cake.pubsub._directory import Directory, Settings
from layer_cake.pubsub._protocol import ListPublication, PublicationRefused, RouteFound
from layer_cake.pubsub._records import Connect, Listen, Tell, Warn
from layer_cake.runtime._messages import ScopeOfDirectory

HOST = ScopeOfDirectory.HOST
PROCESS = ScopeOfDirectory.PROCESS
PARENT = HostPort("127.0.0.1", 54195)
ROGUE = HostPort("127.0.0.1", 40001)
HONEST = HostPort("127.0.0.1", 40002)


def subscriber(**settings: object) -> tuple[Directory, uuid.UUID]:
    """A process node with one subscription to ``svc:x`` (and its id)."""
    node = Directory(Settings(scope=PROCESS, parent=PARENT, **settings), (1,))
    node.subscribe("svc:x", HOST, (2,))
    (subscribed_id,) = node.subscribed
    return node, subscribed_id


def route(subscribed_id: uuid.UUID, at: HostPort, encrypted: bool) -> RouteFound:
    return RouteFound(subscribed_id, "svc:x", HOST, at, uuid.uuid4(), encrypted)


def connects(actions: list) -> list[tuple[HostPort, bool]]:
    return [(a.ipp, a.encrypted) for a in actions if isinstance(a, Connect)]


def test_an_encrypted_process_refuses_a_plaintext_route_from_a_rogue_publisher() -> None:
    node, subscribed_id = subscriber(encrypted_process=True)
    actions = node.route_found(route(subscribed_id, ROGUE, encrypted=False))
    assert connects(actions) == []  # no session is even attempted
    assert [a.text for a in actions if isinstance(a, Warn)] == [
        'Plaintext route to "svc:x" refused: encryption required'
    ]
    # The honest, encrypted publisher of the same name is followed, with encryption.
    assert connects(node.route_found(route(subscribed_id, HONEST, encrypted=True))) == [
        (HONEST, True)
    ]


def test_a_process_that_does_not_require_encryption_follows_either_route() -> None:
    node, subscribed_id = subscriber()
    assert connects(node.route_found(route(subscribed_id, ROGUE, encrypted=False))) == [
        (ROGUE, False)
    ]


def test_an_encrypted_process_never_lists_a_plaintext_publication() -> None:
    node = Directory(Settings(scope=PROCESS, parent=PARENT, encrypted_process=True), (1,))
    actions = node.publish("svc:y", HOST, False, (3,), (3,))  # asked for a plaintext listing
    listens = [a for a in actions if isinstance(a, Listen)]
    assert [a.encrypted for a in listens] == [True]  # its sessions listen encrypted


def test_an_encrypted_directory_refuses_a_plaintext_listing_from_a_child() -> None:
    directory = Directory(Settings(scope=HOST, encrypted=True), (1,))
    published_id = uuid.uuid4()
    rogue = ListPublication("svc:x", HOST, published_id, ROGUE, (9, 5), False)
    actions = directory.list_publication(rogue, (7, 9, 1))
    refusals = [a.message for a in actions if isinstance(a, Tell)]
    assert [type(m) for m in refusals] == [PublicationRefused]
    assert refusals[0].published_id == published_id
    assert any(isinstance(a, Warn) and "requires encryption" in a.text for a in actions)
    # Nothing was listed: a subscriber below finds no route to the rogue.
    assert directory.listings.publication("svc:x") is None
    honest = ListPublication("svc:x", HOST, uuid.uuid4(), HONEST, (9, 6), True)
    directory.list_publication(honest, (7, 9, 1))
    assert directory.listings.publication("svc:x") is not None


# With real processes ------------------------------------------------------------------------------

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "directory"))
from directory_support import DEADLINE, Cake  # noqa: E402


@pytest.fixture
def cake(tmp_path: Path) -> Iterator[Cake]:
    c = Cake(tmp_path)
    try:
        yield c
    finally:
        c.close()


def hello_at(port: int) -> PeerHello:
    """The hello a listener sends first: whether its sessions are encrypted, on the wire."""
    decoder = FrameDecoder()
    with socket.create_connection(("127.0.0.1", port), timeout=DEADLINE) as s:
        while True:
            data = s.recv(4096)
            assert data, "closed before its hello"
            for event in decoder.feed(data):
                if isinstance(event, PeerHello):
                    return event


def test_an_encrypted_process_publishes_on_an_encrypted_listener_whatever_its_code_asks(
    cake: Cake,
) -> None:
    """The attack of issue 10: a publisher in an encrypted site listing ``encrypted=False``
    moved its subscribers onto plaintext sessions. Now its sessions are encrypted."""
    cake.host(None, None, "--encrypted-directory=true")
    pub = cake.run("publisher.py", "--name=svc:d", "--encrypted-process=true")  # encrypted=False
    port = int(pub.expect("PUBLISHED").split()[1])
    assert hello_at(port).encrypted is True
    sub = cake.run("subscriber.py", "--search=svc:d", "--encrypted-process=true")
    assert sub.expect("AVAILABLE svc:d") == "AVAILABLE svc:d HOST True"
    sub.expect("PRODUCT 6 svc:d")


def test_an_encrypted_directory_admits_only_processes_that_hold_its_key(
    cake: Cake, tmp_path: Path
) -> None:
    """Directories require authentication of publishers and subscribers: host-cake and one
    publisher hold a site key given by ``--site-key``; a subscriber holding another key (the
    suite's, from ``LC_SITE_KEY_FILE``) is refused by the directory and learns nothing."""
    from layer_cake.net._site_key import generate_site_key

    key = generate_site_key(tmp_path / "site.key")
    host = cake.host(
        None, None, "--encrypted-directory=true", f"--site-key={key}", "--debug-level=WARNING"
    )
    pub = cake.run("publisher.py", "--name=svc:k", "--encrypted-process=true", f"--site-key={key}")
    pub.expect("PUBLISHED")
    outsider = cake.run("subscriber.py", "--search=svc:k", "--encrypted-process=true")
    refusal = host.expect("does not hold this site key", anywhere=True)  # logged, WARNING
    assert "Refusing link" in refusal
    member = cake.run(
        "subscriber.py", "--search=svc:k", "--encrypted-process=true", f"--site-key={key}"
    )
    member.expect("PRODUCT 6 svc:k")
    outsider.drain_into_seen()
    assert not any(line.startswith("AVAILABLE") for line in outsider.seen), outsider.seen
