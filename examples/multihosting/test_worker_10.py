"""A worker published under a unique name; any number of them may run, on any process.

python3 test_worker_10.py [--connect-to-directory='{"host": "127.0.0.1", "port": 54195}']
"""

import random
import uuid

from test_api import Xy, table_type

import layer_cake as lc


def worker(self):
    name = f"test-multihosting:worker-10:{uuid.uuid4()}"
    lc.publish(self, name, scope=lc.ScopeOfDirectory.LAN)
    m = self.input()
    if not isinstance(m, lc.Published):
        return m
    while True:
        m = self.input()
        if isinstance(m, Xy):
            table = [[random.random() for _ in range(m.x)] for _ in range(m.y)]
            self.send(lc.cast_to(table, table_type), self.return_address)
        elif isinstance(m, lc.Faulted):
            return m
        elif isinstance(m, lc.Stop):
            return lc.Aborted()


lc.bind(worker)

if __name__ == "__main__":
    lc.create(worker)
