"""The one worker of test_server_9: published under the exact name ``test-multihosting:worker-9``.

    python3 test_worker_9.py [--connect-to-directory='{"host": "127.0.0.1", "port": 54195}']

A second one on the same host is refused (``NotPublished``: the name is held at HOST by
another process) and ends with that fault.
"""

import random

from test_api import Xy, table_type

import layer_cake as lc


def worker(self):
    lc.publish(self, "test-multihosting:worker-9")
    m = self.input()
    if not isinstance(m, lc.Published):
        return m
    while True:
        m = self.input()
        if isinstance(m, Xy):
            table = [[random.random() for _ in range(m.x)] for _ in range(m.y)]
            self.send(lc.cast_to(table, table_type), self.return_address)
        elif isinstance(m, lc.NotPublished):  # refused at a wider node after Published
            return lc.Faulted(f'cannot publish "{m.name}"', m.note)
        elif isinstance(m, lc.Faulted):
            return m
        elif isinstance(m, lc.Stop):
            return lc.Aborted()


lc.bind(worker)

if __name__ == "__main__":
    lc.create(worker)
