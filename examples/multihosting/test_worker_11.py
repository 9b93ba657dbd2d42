"""A worker of test_server_11, published under a unique name at HOST scope.

    python3 test_worker_11.py [--delay=0.0]

``delay`` seconds of work per request (to show the spool's ``Busy`` and ``Overloaded``).
"""

import random
import time
import uuid

from test_api import Xy, table_type

import layer_cake as lc


def worker(self, delay: float = 0.0):
    lc.publish(self, f"test-multihosting:worker-11:{uuid.uuid4()}")
    m = self.input()
    if not isinstance(m, lc.Published):
        return m
    while True:
        m = self.input()
        if isinstance(m, Xy):
            if delay > 0.0:
                time.sleep(delay)  # the work this worker stands for
            table = [[random.random() for _ in range(m.x)] for _ in range(m.y)]
            self.send(lc.cast_to(table, table_type), self.return_address)
        elif isinstance(m, lc.Faulted):
            return m
        elif isinstance(m, lc.Stop):
            return lc.Aborted()


lc.bind(worker)

if __name__ == "__main__":
    lc.create(worker)
