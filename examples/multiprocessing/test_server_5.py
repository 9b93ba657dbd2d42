"""An HTTP server that computes each table in a process of its own.

Every ``Xy`` starts a ``ProcessObject`` that runs ``test_function_5.py`` as a child program;
the child's result comes back as the ``Returned`` of that object, which an ``on_return``
callback relays to the connection that asked.

    python3 test_server_5.py [--server-address='{"host": "127.0.0.1", "port": 5050}']
    curl -s 'http://127.0.0.1:5050/Xy?x=2&y=2'
"""

from test_api import Xy
from test_function_5 import texture

import layer_cake as lc

DEFAULT_ADDRESS = lc.HostPort("127.0.0.1", 5050)


def respond(self, value, args: lc.Gas) -> None:
    self.send(lc.cast_to(value, self.returned_type), args.return_address)


def server(self, server_address: lc.HostPort | None = None) -> None:
    server_address = server_address or DEFAULT_ADDRESS
    lc.listen(self, server_address, http_server=[Xy])
    m = self.input()
    if not isinstance(m, lc.Listening):
        return m  # NotListening: the process exits 71 with its text

    while True:
        m = self.input()
        if isinstance(m, Xy):
            a = self.create(lc.ProcessObject, texture, x=m.x, y=m.y)
            self.on_return(a, respond, return_address=self.return_address)
        elif isinstance(m, lc.Returned):
            d = self.debrief()
            if isinstance(d, lc.OnReturned):
                d(self, m)
        elif isinstance(m, lc.Faulted):
            return m
        elif isinstance(m, lc.Stop):
            return lc.Aborted()
        # Accepted, Closed: one of each per connection, nothing to do


lc.bind(server)

if __name__ == "__main__":
    lc.create(server)
