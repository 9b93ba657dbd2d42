"""A library worker: a long-lived child process that answers every ``Xy`` with its table.

``entry_point=[Xy]`` makes it a library: a ``ProcessObject`` of ``worker`` runs this file as a
child that joins the parent's directory and publishes ``worker`` under its role name; the
messages sent to the ``ProcessObject`` are forwarded to it, and its replies go straight back
to whoever asked. Run on its own it simply waits for control-c.
"""

from test_api import Xy, table_type
from test_function_5 import texture

import layer_cake as lc


def worker(self) -> None:
    """Answer every ``Xy`` with its table, until stopped."""
    while True:
        m = self.input()
        if isinstance(m, Xy):
            table = texture(self, x=m.x, y=m.y)
            self.reply(lc.cast_to(table, table_type))
        elif isinstance(m, lc.Stop):
            return lc.Aborted()


lc.bind(worker, entry_point=[Xy])

if __name__ == "__main__":
    lc.create(worker)
