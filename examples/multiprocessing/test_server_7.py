"""An HTTP server in front of an ``ObjectSpool`` of 4 library worker processes.

The spool of ``ProcessObject(worker)`` is used exactly like the single worker process of
``test_server_6.py``: one address, each request inside a ``GetResponse``. The workers are
roles ``spool-0`` .. ``spool-3`` under this server's role; one that dies is replaced. A spool
that refuses a request (``Busy``, ``Overloaded``) answers with that fault, which the server
relays; the client sees 503 Service Unavailable.

    python3 test_server_7.py [--server-address='{"host": "127.0.0.1", "port": 5050}']
    curl -s 'http://127.0.0.1:5050/Xy?x=2&y=2'
"""

from test_server_6 import DEFAULT_ADDRESS, serve
from test_worker_6 import worker

import layer_cake as lc


def server(self, server_address: lc.HostPort | None = None, object_count: int = 4) -> None:
    spool = self.create(lc.ObjectSpool, lc.ProcessObject, worker, object_count=object_count)
    return serve(self, server_address or DEFAULT_ADDRESS, spool)


lc.bind(server)

if __name__ == "__main__":
    lc.create(server)
