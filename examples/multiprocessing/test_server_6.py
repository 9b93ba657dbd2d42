"""An HTTP server with one library worker process: each ``Xy`` reaches it through a
``GetResponse``.

``self.create(lc.ProcessObject, worker)`` starts ``test_worker_6.py`` once, as a library; the
``ProcessObject`` is used like any worker address. The worker's reply goes straight to the
``GetResponse``, whose ``Returned`` an ``on_return`` callback relays to the connection.

    python3 test_server_6.py [--server-address='{"host": "127.0.0.1", "port": 5050}']
    curl -s 'http://127.0.0.1:5050/Xy?x=2&y=2'
"""

from test_api import Xy
from test_worker_6 import worker

import layer_cake as lc

DEFAULT_ADDRESS = lc.HostPort("127.0.0.1", 5050)


def respond(self, value, args: lc.Gas) -> None:
    self.send(lc.cast_to(value, self.returned_type), args.return_address)


def serve(self, server_address: lc.HostPort, worker_address) -> None:
    """Listen, then hand every ``Xy`` to ``worker_address`` (a worker process or a spool)."""
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
    w = self.create(lc.ProcessObject, worker)
    return serve(self, server_address or DEFAULT_ADDRESS, w)


lc.bind(server)

if __name__ == "__main__":
    lc.create(server)
