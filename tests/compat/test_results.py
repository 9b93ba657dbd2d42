"""Results of objects without a return type (compat.md §2.1), written from the entry.

In-process, ``Returned.message`` is exactly what was returned or completed; a return hint
still casts. Types are inferred only when the value is encoded or unrolled.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import layer_cake as lc
from layer_cake.types._json import decode_json, encode_json

PATIENCE = 30.0


class Xy:
    def __init__(self, x: int = 0, y: int = 0) -> None:
        self.x = x
        self.y = y


lc.bind(Xy)


def nohint(self):
    return 3


def lst(self):
    return [1, 2]


def hinted(self) -> int:
    return 11


lc.bind(nohint)
lc.bind(lst)
lc.bind(hinted)


class M(lc.Point, lc.Stateless):
    def __init__(self, value: object = None) -> None:
        lc.Point.__init__(self)
        lc.Stateless.__init__(self)
        self.value = value


def M_Start(self, message):
    self.complete(self.value)


lc.bind(M, (lc.Start,))


def returned(ch: lc.Channel, object_type: object, *args: object) -> object:
    address = ch.create(object_type, *args)
    m, i = ch.select(lc.Returned, seconds=PATIENCE)
    assert i == 0 and ch.return_address == address
    return m.message


def test_a_function_without_a_hint_returns_the_raw_value():
    with lc.channel() as ch:
        assert repr(returned(ch, nohint)) == "3"
        assert repr(returned(ch, lst)) == "[1, 2]"


def test_a_machine_without_a_return_type_completes_with_the_raw_value():
    with lc.channel() as ch:
        assert repr(returned(ch, M, [1.0])) == "[1.0]"
        assert isinstance(returned(ch, M, lc.Ack()), lc.Ack)


def test_a_return_hint_still_casts():
    with lc.channel() as ch:
        assert returned(ch, hinted) == (11, lc.Integer8())


def test_cast_back_infers_the_type_of_a_raw_value():
    assert lc.cast_back(3) == (3, lc.Integer8())
    assert lc.Returned(3).cast_back() == (3, lc.Integer8())
    assert lc.cast_back("a") == ("a", lc.Unicode())
    assert lc.cast_back(True) == (True, lc.Boolean())
    assert lc.cast_back(2.5) == (2.5, lc.Float8())
    assert lc.cast_back(b"b") == (b"b", lc.String())
    assert lc.cast_back(bytearray(b"c")) == (bytearray(b"c"), lc.Block())
    assert lc.cast_back([1, 2]) == ([1, 2], lc.Word())


def relay(self, value, args):
    return (value, self.returned_type)


def parent_with_callback(self):
    child = self.create(nohint)
    self.on_return(child, relay)
    m = self.input()
    d = self.debrief()
    return d(self, m)


lc.bind(parent_with_callback)


def test_on_return_gets_the_raw_value_and_its_inferred_type():
    with lc.channel() as ch:
        value, portable = returned(ch, parent_with_callback)
        assert value == 3 and type(value) is int
        assert portable == lc.Integer8()


def test_raw_values_encode_in_any_fields():
    text = encode_json(lc.Returned(3), lc.UserDefined(lc.Returned))
    assert json.loads(text)["value"]["message"] == ["integer8", 3, []]
    results = (["a", 3, lc.Ack()], lc.VectorOf(lc.Any()))
    back = decode_json(encode_json(results))
    assert back[0][0] == ("a", lc.Unicode())
    assert back[0][1] == (3, lc.Integer8())
    assert isinstance(back[0][2], lc.Ack)


NH = """
    import layer_cake as lc

    def nohint(self):
        return 3

    def many(self):
        return [1, 2]

    lc.bind(nohint)
    lc.bind(many)

    if __name__ == "__main__":
        import sys
        lc.create(many if "--many" in sys.argv else nohint, strict=False)
"""


def run(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    script = tmp_path / "nh.py"
    script.write_text(textwrap.dedent(NH))
    env = dict(os.environ, LC_PRIMARY_IP="none")
    return subprocess.run(
        [sys.executable, "nh.py", *args],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_a_process_prints_a_raw_result(tmp_path):
    done = run(tmp_path)
    assert (done.returncode, done.stdout, done.stderr) == (0, "3\n", "")


def test_full_output_and_output_file_infer_the_type(tmp_path):
    done = run(tmp_path, "--full-output")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == {"value": ["integer8", 3, []]}
    done = run(tmp_path, "--many", "--output-file=out")
    assert done.returncode == 0, done.stderr
    assert json.loads((tmp_path / "out.json").read_text()) == {"value": ["word", [1, 2], []]}


def test_a_role_records_a_raw_result_in_start_stop(tmp_path):
    from layer_cake.process._role import make_home, make_role, role_start_stop

    home = str(tmp_path / "home")
    make_home(home)
    make_role(home, "nh", str(tmp_path / "nh.py"), {})
    done = run(tmp_path, f"--home-path={home}", "--role-name=nh")
    assert (done.returncode, done.stdout) == (0, "3\n"), done.stderr
    records = role_start_stop(home, "nh")
    assert records[-1].returned == (3, lc.Integer8())
    text = (tmp_path / "home" / "role" / "nh" / "start_stop.json").read_text()
    assert '"integer8"' in text


def test_raw_values_cross_the_wire_with_their_inferred_type():
    from layer_cake.types._wire import decode_message, encode_message

    back = decode_message(encode_message(lc.Returned(3)))
    assert back.message == (3, lc.Integer8())
    back = decode_message(encode_message(lc.Returned([3, "x"])))
    assert back.message == ([3, "x"], lc.Word())


def test_a_child_process_result_arrives_typed(tmp_path):
    script = tmp_path / "nh.py"
    script.write_text(textwrap.dedent(NH))
    with lc.channel() as ch:
        address = ch.create(lc.ProcessObject, str(script))
        m, i = ch.select(lc.Returned, seconds=PATIENCE)
        assert i == 0 and ch.return_address == address
        assert m.message == (3, lc.Integer8())
