"""An HTTP front on one worker found by its exact name, ``test-multihosting:worker-9``.

    python3 test_server_9.py [--server-address=...] [--connect-to-directory=...]
    curl 'http://127.0.0.1:5050/Xy?x=2&y=2'

The worker joins an externally fed ``ObjectSpool`` when it is ``Available`` and leaves it when
``Dropped``; with no worker, a request is answered 503 (``TemporarilyUnavailable``).
"""

from test_api import Xy

import layer_cake as lc

DEFAULT_ADDRESS = lc.HostPort("127.0.0.1", 5050)


def relay(self, value, args):
    self.send(lc.cast_to(value, self.returned_type), args.client)


def server(self, server_address: lc.HostPort = None):
    lc.listen(self, server_address or DEFAULT_ADDRESS, http_server=[Xy])
    m = self.input()
    if not isinstance(m, lc.Listening):
        return m
    lc.subscribe(self, "test-multihosting:worker-9")
    m = self.input()
    if not isinstance(m, lc.Subscribed):
        return m
    workers = self.create(lc.ObjectSpool, None)
    while True:
        m = self.input()
        if isinstance(m, Xy):
            job = self.create(lc.GetResponse, m, workers)
            self.on_return(job, relay, client=self.return_address)
        elif isinstance(m, lc.Returned):
            d = self.debrief()
            if isinstance(d, lc.OnReturned):
                d(self, m)
        elif isinstance(m, lc.Available):
            self.console("worker available", name=m.name)
            self.send(lc.JoinSpool(m.publisher_address), workers)
        elif isinstance(m, lc.Dropped):
            self.console("worker dropped", name=m.name)
            self.send(lc.LeaveSpool(m.remote_address), workers)
        elif isinstance(m, lc.Faulted):
            return m
        elif isinstance(m, lc.Stop):
            return lc.Aborted()


lc.bind(server)

if __name__ == "__main__":
    lc.create(server)
