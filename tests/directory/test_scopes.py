"""GROUP and LAN scopes across real daemons on loopback (pubsub §4-§8).

A tree of real processes: ``lan-cake`` at the root, ``host-cake`` instances (each a "host",
told its LAN parent with ``--directory-at-lan``), ``group-cake`` instances below them, and
publisher/subscriber processes joined to one of them with ``--connect-to-directory``. On
one machine the LAN node sees every host at ``127.0.0.1``, so sessions still connect; the
same trees across network namespaces are in ``tests/multihost``.

An absence ("never matched") is proved by a later event that the same matching pass would
have produced after it: the subscriber's answer for a name listed together with the hidden
one, then that name's ``Dropped``.
"""

from __future__ import annotations

import signal
import socket
import time

from directory_support import DEADLINE, Cake, free_port, session_events

from layer_cake.net._frame import FrameDecoder, PeerHello


def assert_never_seen(proc, prefix: str) -> None:  # type: ignore[no-untyped-def]
    proc.drain_into_seen()
    assert not [line for line in proc.seen if line.startswith(prefix)], proc.seen


def test_group_names_stay_inside_their_group_and_host_names_cross_groups(cake: Cake) -> None:
    cake.host()
    _, g1 = cake.group()
    _, g2 = cake.group()
    hidden = cake.run("publisher.py", "--name=svc:g", "--scope=GROUP", directory=g1)
    hidden.expect("PUBLISHED")
    inside = cake.run("subscriber.py", "--search=svc:[a-z]", directory=g1)
    assert inside.expect("AVAILABLE svc:g") == "AVAILABLE svc:g GROUP True"
    inside.expect("PRODUCT 6 svc:g")  # a session through the group's match
    shown = cake.run("publisher.py", "--name=svc:h", directory=g1)  # HOST: relayed upward
    shown.expect("PUBLISHED")
    assert inside.expect("AVAILABLE svc:h") == "AVAILABLE svc:h GROUP True"  # nearest: group
    outside = cake.run("subscriber.py", "--search=svc:[a-z]", directory=g2)
    assert outside.expect("AVAILABLE svc:h") == "AVAILABLE svc:h HOST True"
    outside.expect("PRODUCT 6 svc:h")
    shown.kill(signal.SIGKILL)
    outside.expect("DROPPED svc:h")
    assert_never_seen(outside, "AVAILABLE svc:g")


def test_a_name_published_twice_in_one_group_is_refused_at_the_group(cake: Cake) -> None:
    cake.host()
    _, group = cake.group()
    first = cake.run("publisher.py", "--name=svc:dup", "--scope=GROUP", directory=group)
    first.expect("PUBLISHED")
    second = cake.run("publisher.py", "--name=svc:dup", "--scope=GROUP", directory=group)
    line = second.expect("NOTPUBLISHED")
    assert line == "NOTPUBLISHED already published at GROUP by another process"
    assert second.popen.wait(timeout=DEADLINE) == 71
    # The same name in another group is another instance: no conflict.
    _, other = cake.group()
    third = cake.run("publisher.py", "--name=svc:dup", "--scope=GROUP", directory=other)
    third.expect("PUBLISHED")


def test_a_group_whose_host_cake_is_missing_still_serves_group_and_wider_names(cake: Cake) -> None:
    """With no host-cake at its parent address (the group retries in the background), GROUP
    pub/sub works and a HOST listing still meets its search in the group (held as far up
    as the tree goes)."""
    _, group = cake.group(host=free_port())  # nothing listens there
    pub = cake.run("publisher.py", "--name=svc:alone", "--scope=GROUP", directory=group)
    pub.expect("PUBLISHED")
    sub = cake.run("subscriber.py", "--search=svc:alone", "--scope=GROUP", directory=group)
    assert sub.expect("AVAILABLE svc:alone") == "AVAILABLE svc:alone GROUP True"
    sub.expect("PRODUCT 6 svc:alone")
    wide = cake.run("publisher.py", "--name=svc:wide", directory=group)
    wide.expect("PUBLISHED")
    sub2 = cake.run("subscriber.py", "--search=svc:wide", directory=group)
    assert sub2.expect("AVAILABLE svc:wide") == "AVAILABLE svc:wide GROUP True"


def test_lan_names_cross_hosts_and_host_names_stay_on_their_host(cake: Cake) -> None:
    lan = free_port()
    cake.lan(lan)
    h1, h2 = free_port(), free_port()
    cake.host(h1, lan)
    cake.host(h2, lan)
    hidden = cake.run("publisher.py", "--name=svc:host", directory=h1)
    hidden.expect("PUBLISHED")
    shown = cake.run("publisher.py", "--name=svc:lan", "--scope=LAN", directory=h1)
    shown.expect("PUBLISHED")
    sub = cake.run("subscriber.py", "--search=svc:[a-z]+", "--scope=LAN", directory=h2)
    assert sub.expect("AVAILABLE svc:lan") == "AVAILABLE svc:lan LAN True"
    sub.expect("PRODUCT 6 svc:lan")
    assert shown.expect("DELIVERED") == "DELIVERED LAN"
    near = cake.run("subscriber.py", "--search=svc:[a-z]+", "--scope=LAN", directory=h1)
    assert near.expect("AVAILABLE svc:lan") == "AVAILABLE svc:lan HOST True"  # nearest node
    assert near.expect("AVAILABLE svc:host") == "AVAILABLE svc:host HOST True"
    shown.kill(signal.SIGKILL)
    sub.expect("DROPPED svc:lan")
    assert_never_seen(sub, "AVAILABLE svc:host")


def test_lan_scope_without_lan_cake_behaves_like_host(cake: Cake) -> None:
    cake.host()  # no LAN parent: the test environment has no primary IP (conftest)
    pub = cake.run("publisher.py", "--name=svc:l", "--scope=LAN")
    pub.expect("PUBLISHED")
    sub = cake.run("subscriber.py", "--search=svc:l", "--scope=LAN")
    assert sub.expect("AVAILABLE svc:l") == "AVAILABLE svc:l HOST True"
    sub.expect("PRODUCT 6 svc:l")


def test_nearest_instance_wins_falls_back_to_a_wider_one_and_upgrades_back(cake: Cake) -> None:
    """§12: P1 publishes svc:log at GROUP in the subscriber's group, P2 at LAN on another
    host; the subscriber (LAN) uses P1, falls back to P2 when P1 dies, upgrades back to a
    restarted P1."""
    lan = free_port()
    cake.lan(lan)
    h1, h2 = free_port(), free_port()
    cake.host(h1, lan)
    cake.host(h2, lan)
    _, group = cake.group(h1)
    p1 = cake.run("publisher.py", "--name=svc:log", "--scope=GROUP", directory=group)
    p1.expect("PUBLISHED")
    p2 = cake.run("publisher.py", "--name=svc:log", "--scope=LAN", directory=h2)
    p2.expect("PUBLISHED")
    sub = cake.run("subscriber.py", "--search=svc:log", "--scope=LAN", directory=group)
    assert session_events(sub, 1) == ["AVAILABLE svc:log GROUP True"]
    sub.expect("PRODUCT 6 svc:log")
    p1.kill(signal.SIGKILL)
    assert session_events(sub, 2) == ["DROPPED svc:log", "AVAILABLE svc:log LAN True"]
    assert p2.expect("DELIVERED") == "DELIVERED LAN"
    sub.drain()
    sub.expect("PRODUCT 6 svc:log")
    p1 = cake.run("publisher.py", "--name=svc:log", "--scope=GROUP", directory=group)
    p1.expect("PUBLISHED")
    assert session_events(sub, 2) == ["DROPPED svc:log", "AVAILABLE svc:log GROUP True"]
    p2.expect("DROPPED")  # the wider publisher hears its session ended
    assert p1.expect("DELIVERED") == "DELIVERED GROUP"


def test_daemons_that_cannot_listen_exit_71_with_the_fault(cake: Cake) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        for module, argv in (
            ("lan_cake", [f'--directory-at-lan={{"host": "127.0.0.1", "port": {port}}}']),
            ("group_cake", [f'--accept-directories-at={{"host": "127.0.0.1", "port": {port}}}']),
            ("host_cake", [f'--directory-at-host={{"host": "127.0.0.1", "port": {port}}}']),
        ):
            p = cake.start(["-m", f"layer_cake_directory.{module}", *argv])
            assert p.popen.wait(timeout=DEADLINE) == 71, module
            p.drain_into_seen()
            assert any("Address already in use" in line for line in p.seen), (module, p.seen)


def _hello_at(port: int) -> PeerHello:
    """Connect to a layer-cake listener and decode the hello it sends first."""
    decoder = FrameDecoder()
    with socket.create_connection(("127.0.0.1", port), timeout=DEADLINE) as s:
        while True:
            data = s.recv(4096)
            assert data, "closed before its hello"
            for event in decoder.feed(data):
                if isinstance(event, PeerHello):
                    return event


def test_an_encrypted_publication_has_its_sessions_on_an_encrypted_listener(cake: Cake) -> None:
    cake.host()
    plain = cake.run("publisher.py", "--name=svc:plain")
    secret = cake.run("publisher.py", "--name=svc:secret", "--encrypted=true")
    plain_port = int(plain.expect("PUBLISHED").split()[1])
    secret_port = int(secret.expect("PUBLISHED").split()[1])
    assert plain_port != secret_port
    assert _hello_at(secret_port).encrypted is True  # bytes on the wire: an encrypted hello
    assert _hello_at(plain_port).encrypted is False
    sub = cake.run("subscriber.py", "--search=svc:[a-z]+")
    sub.expect("PRODUCT 6 svc:secret")  # the subscriber's node connected with encryption
    sub.expect("PRODUCT 6 svc:plain")


def test_an_encrypted_directory_serves_encrypted_processes(cake: Cake) -> None:
    cake.host(None, None, "--encrypted-directory=true")
    assert _hello_at(cake.port).encrypted is True
    pub = cake.run("publisher.py", "--name=svc:e", "--encrypted-process=true")
    pub.expect("PUBLISHED")
    sub = cake.run("subscriber.py", "--search=svc:e", "--encrypted-process=true")
    assert sub.expect("AVAILABLE svc:e") == "AVAILABLE svc:e HOST True"
    sub.expect("PRODUCT 6 svc:e")


LIB_PUBLISHER = """
import sys
import layer_cake as lc
from messages import Xy, Product


def libpub(self, name: str = "svc:lib"):
    lc.publish(self, name)
    while True:
        m = self.input()
        if isinstance(m, lc.Published):
            sys.stderr.write("LIB PUBLISHED\\n")
            sys.stderr.flush()
        elif isinstance(m, Xy):
            self.reply(Product(m.x * m.y, "lib"))
        elif isinstance(m, lc.Stop):
            return lc.Aborted()


lc.bind(libpub, entry_point=[Xy])

if __name__ == "__main__":
    lc.create(libpub)
"""

LOADER = """
import layer_cake as lc
from lib_publisher import libpub


def loader(self):
    self.create(lc.ProcessObject, libpub)
    while True:
        m = self.input()
        if isinstance(m, lc.Stop):
            return lc.Aborted()


lc.bind(loader)

if __name__ == "__main__":
    lc.create(loader)
"""


def test_a_library_childs_host_publication_passes_through_its_loader(cake: Cake) -> None:
    """§10: publications made by a library pass through the loader's node like any child
    listing: a HOST name of a library child is found by another process on the host."""
    (cake.folder / "lib_publisher.py").write_text(LIB_PUBLISHER)
    (cake.folder / "loader.py").write_text(LOADER)
    cake.host()
    loader = cake.run("loader.py")
    loader.expect("LIB PUBLISHED")  # the child's stderr is the loader's
    sub = cake.run("subscriber.py", "--search=svc:lib")
    assert sub.expect("AVAILABLE svc:lib") == "AVAILABLE svc:lib HOST True"
    assert sub.expect("PRODUCT 6") == "PRODUCT 6 lib 1"  # answered by the library child
    # §10: `layer-cake network` shows the child as [LIBRARY] under its loader.
    tool = cake.start(
        ["-m", "layer_cake_cli", "network", f"--connect-to-directory=127.0.0.1:{cake.port}"]
    )
    assert tool.popen.wait(timeout=DEADLINE * 2) == 0
    for reader in tool.readers:
        reader.join(timeout=DEADLINE)
    tool.drain_into_seen()
    loader_line = tool.seen.index(next(x for x in tool.seen if "[PROCESS] loader.py (" in x))
    assert tool.seen[loader_line + 1].startswith("+   +   [LIBRARY] lib_publisher.py ("), tool.seen


IDLE = """
import sys
import layer_cake as lc


def idle(self):
    sys.stderr.write("IDLE\\n")
    sys.stderr.flush()
    while not isinstance(self.input(), lc.Stop):
        pass
    return lc.Aborted()


lc.bind(idle)

if __name__ == "__main__":
    lc.create(idle)
"""


def test_a_process_given_its_directory_joins_at_start_and_shows_in_the_tree(
    cake: Cake,
) -> None:
    """§7: a parent given with ``--connect-to-directory`` is joined at start, so a process
    that lists nothing still shows under its directory (what ``layer-cake network`` walks)."""
    (cake.folder / "idle.py").write_text(IDLE)
    cake.host()
    idle = cake.run("idle.py")
    idle.expect("IDLE")
    argv = [
        "-m",
        "layer_cake_cli",
        "network",
        f"--connect-to-directory=127.0.0.1:{cake.port}",
    ]
    end = time.monotonic() + DEADLINE
    while True:  # the process joins in the background: ask until it shows
        tool = cake.start(argv)
        assert tool.popen.wait(timeout=DEADLINE * 2) == 0
        for reader in tool.readers:
            reader.join(timeout=DEADLINE)
        tool.drain_into_seen()
        if any(line.startswith("+   [PROCESS] idle.py (") for line in tool.seen):
            break
        assert time.monotonic() < end, tool.seen
