"""An HTTP server with one worker object: each ``Xy`` reaches it through a ``GetResponse``.

The worker serves one request at a time; ``GetResponse`` gives each request its own
``Returned``, which an ``on_return`` callback relays to the connection that asked.

    python3 test_server_3.py [--server-address='{"host": "127.0.0.1", "port": 5050}']
    curl -s 'http://127.0.0.1:5050/Xy?x=2&y=2'
"""

from test_api import Xy, table_type
from test_function import texture

import layer_cake as lc

DEFAULT_ADDRESS = lc.HostPort("127.0.0.1", 5050)


def worker(self) -> None:
    """Answer every ``Xy`` with its table, until stopped."""
    while True:
        m = self.input()
        if isinstance(m, Xy):
            table = texture(self, x=m.x, y=m.y)
            self.send(lc.cast_to(table, table_type), self.return_address)
        elif isinstance(m, lc.Stop):
            return lc.Aborted()


lc.bind(worker)


def respond(self, value, args: lc.Gas) -> None:
    self.send(lc.cast_to(value, self.returned_type), args.return_address)


def serve(self, server_address: lc.HostPort, worker_address) -> None:
    """Listen, then hand every ``Xy`` to ``worker_address`` (a worker or a spool)."""
    lc.listen(self, server_address, http_server=[Xy])
    m = self.input()
    if not isinstance(m, lc.Listening):
        return m

    while True:
        m = self.input()
        if isinstance(m, Xy):
            a = self.create(lc.GetResponse, m, worker_address)
            self.on_return(a, respond, return_address=self.return_address)
        elif isinstance(m, lc.Returned):
            d = self.debrief()
            if isinstance(d, lc.OnReturned):
                d(self, m)
            elif self.return_address == worker_address:
                return m.message  # the worker (or spool) ended: nothing left to serve with
        elif isinstance(m, lc.Faulted):
            return m
        elif isinstance(m, lc.Stop):
            return lc.Aborted()


def server(self, server_address: lc.HostPort | None = None) -> None:
    w = self.create(worker)
    return serve(self, server_address or DEFAULT_ADDRESS, w)


lc.bind(server)

if __name__ == "__main__":
    lc.create(server)
