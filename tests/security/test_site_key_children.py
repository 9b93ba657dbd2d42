"""A composite process with a site key is one member of the site (issue 10, docs/security.md):
a child started by ``ProcessObject`` holds its parent's key, however the parent got it.

Real processes on loopback (the directory tests' ``Cake``): a host-cake that requires
encryption and holds a key of the test's own, a parent given that key (by ``--site-key`` or by
``use_site_key`` in its code) that starts a publisher as its child, a subscriber with the key
that reaches the child, and an outsider holding another key (the suite's, from
``LC_SITE_KEY_FILE``) refused by the directory. Without the key passed on, the child would
hold the suite's key too and be refused like the outsider.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "directory"))
from directory_support import Cake

# Starts publisher.py (Cake's script) as a child at its own directory, encrypted; prints the
# child's result when it ends. PARENT_KEY in its environment: the key given in code.
PARENT = """
import os
import layer_cake as lc
from layer_cake.net._site_key import use_site_key
from publisher import publisher

if os.environ.get("PARENT_KEY"):
    use_site_key(os.environ["PARENT_KEY"])


def parent(self, name: str = "svc"):
    self.create(
        lc.ProcessObject,
        publisher,
        name=name,
        connect_to_directory=lc.CL.connect_to_directory,
        encrypted_process=True,
    )
    print("STARTED", flush=True)
    while True:
        m = self.input()
        if isinstance(m, lc.Returned):
            print("CHILD ENDED", m.message, flush=True)
            return m.message
        if isinstance(m, lc.Stop):
            self.abort()
            self.input()
            return lc.Aborted()


lc.bind(parent)

if __name__ == "__main__":
    lc.create(parent)
"""


@pytest.fixture
def cake(tmp_path: Path) -> Iterator[Cake]:
    c = Cake(tmp_path)
    (tmp_path / "parent.py").write_text(PARENT)
    try:
        yield c
    finally:
        c.close()


@pytest.mark.parametrize("given_by", ["argument", "code"])
def test_a_child_holds_the_site_key_its_parent_was_given(
    cake: Cake, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, given_by: str
) -> None:
    from layer_cake.net._site_key import generate_site_key

    key = generate_site_key(tmp_path / "site.key")
    host = cake.host(
        None, None, "--encrypted-directory=true", f"--site-key={key}", "--debug-level=WARNING"
    )
    if given_by == "argument":
        parent = cake.run(
            "parent.py", "--name=svc:child", "--encrypted-process=true", f"--site-key={key}"
        )
    else:
        monkeypatch.setenv("PARENT_KEY", key)  # read by the parent's code, not by layer-cake
        parent = cake.run("parent.py", "--name=svc:child", "--encrypted-process=true")
        monkeypatch.delenv("PARENT_KEY")
    parent.expect("STARTED")
    member = cake.run(
        "subscriber.py", "--search=svc:child", "--encrypted-process=true", f"--site-key={key}"
    )
    assert member.expect("AVAILABLE svc:child") == "AVAILABLE svc:child HOST True"
    member.expect("PRODUCT 6 svc:child")  # answered by the child, over an encrypted session
    host.drain_into_seen()
    assert not any("does not hold this site key" in line for line in host.seen), host.seen

    outsider = cake.run("subscriber.py", "--search=svc:child", "--encrypted-process=true")
    refusal = host.expect("does not hold this site key", anywhere=True)  # logged, WARNING
    assert "Refusing link" in refusal
    member.expect("PRODUCT 6 svc:child")  # the member's traffic goes on
    outsider.drain_into_seen()
    assert not any(line.startswith("AVAILABLE") for line in outsider.seen), outsider.seen
