"""An HTTP front whose pool of workers is whoever publishes ``test-multihosting:worker-10:<id>``.

    python3 test_server_10.py [--server-address=...] [--connect-to-directory=...]
    curl 'http://127.0.0.1:5050/Xy?x=2&y=2'

Workers found through the directory join an externally fed ``ObjectSpool``; a worker that
goes away leaves it (``Dropped``), and requests go to those that remain.
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
    # LAN: workers on other hosts join too, where a lan-cake serves the network; without
    # one the search stops at host-cake and the pool is this host's (pubsub §4, §12).
    # Subscribed is not awaited apart: a client may connect (Accepted) or ask first.
    lc.subscribe(self, r"test-multihosting:worker-10:[-a-f0-9]+", scope=lc.ScopeOfDirectory.LAN)
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
