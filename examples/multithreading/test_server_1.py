"""An HTTP server that answers each ``Xy`` itself, inline on its own thread.

    python3 test_server_1.py [--server-address='{"host": "127.0.0.1", "port": 5050}']
    curl -s 'http://127.0.0.1:5050/Xy?x=2&y=2'
"""

from test_api import Xy, table_type
from test_function import texture

import layer_cake as lc

DEFAULT_ADDRESS = lc.HostPort("127.0.0.1", 5050)


def server(self, server_address: lc.HostPort | None = None) -> None:
    server_address = server_address or DEFAULT_ADDRESS
    lc.listen(self, server_address, http_server=[Xy])
    m = self.input()
    if not isinstance(m, lc.Listening):
        return m  # NotListening: the process exits 71 with its text

    while True:
        m = self.input()
        if isinstance(m, Xy):
            table = texture(self, x=m.x, y=m.y)  # a plain call: no object, no thread
            self.send(lc.cast_to(table, table_type), self.return_address)
        elif isinstance(m, lc.Faulted):
            return m
        elif isinstance(m, lc.Stop):
            return lc.Aborted()
        # Accepted, Closed: one of each per connection, nothing to do


lc.bind(server)

if __name__ == "__main__":
    lc.create(server)
