"""An HTTP server in front of an ``ObjectSpool`` of 8 worker objects.

The spool is used exactly like the single worker of ``test_server_3.py``: one address, each
request inside a ``GetResponse``. A spool that refuses a request (``Busy``, ``Overloaded``)
answers with that fault, which the server relays; the client sees 503 Service Unavailable.

    python3 test_server_4.py [--server-address='{"host": "127.0.0.1", "port": 5050}']
    curl -s 'http://127.0.0.1:5050/Xy?x=2&y=2'
"""

from test_server_3 import DEFAULT_ADDRESS, serve, worker

import layer_cake as lc


def server(self, server_address: lc.HostPort | None = None, object_count: int = 8) -> None:
    spool = self.create(lc.ObjectSpool, worker, object_count=object_count)
    return serve(self, server_address or DEFAULT_ADDRESS, spool)


lc.bind(server)

if __name__ == "__main__":
    lc.create(server)
