"""An HTTP front on a tuned pool of workers, with a managed end (pubsub §12).

    python3 test_server_11.py [--server-address=...] [--size-of-queue=N]
                              [--responsiveness=S] [--busy-pass-rate=N]

Workers publish unique names at HOST scope; the server subscribes at LAN (it sees workers of
this host through host-cake, and of the network where a lan-cake serves it). The spool is
built from the settings: beyond ``responsiveness`` clients get ``Busy`` (503) for all but one
in ``busy_pass_rate``; a full queue gives ``Overloaded``. If the HTTP listen is lost
(``NotListening``) the server stops the spool, awaits its ``Returned``, clears its
subscription, awaits ``SubscribedCleared`` and ends with the ``NotListening`` fault.
"""

from test_api import Xy

import layer_cake as lc

DEFAULT_ADDRESS = lc.HostPort("127.0.0.1", 5050)


def relay(self, value, args):
    self.send(lc.cast_to(value, self.returned_type), args.client)


def server(
    self,
    server_address: lc.HostPort = None,
    size_of_queue: int = None,
    responsiveness: float = 5.0,
    busy_pass_rate: int = 10,
):
    lc.listen(self, server_address or DEFAULT_ADDRESS, http_server=[Xy])
    m = self.input()
    if not isinstance(m, lc.Listening):
        return m
    lc.subscribe(self, r"test-multihosting:worker-11:[-a-f0-9]+", scope=lc.ScopeOfDirectory.LAN)
    m = self.input()
    if not isinstance(m, lc.Subscribed):
        return m
    subscribed = m
    workers = self.create(
        lc.ObjectSpool,
        None,
        size_of_queue=size_of_queue,
        responsiveness=responsiveness,
        busy_pass_rate=busy_pass_rate,
    )
    while True:
        m = self.input()
        if isinstance(m, Xy):
            job = self.create(lc.GetResponse, m, workers)
            self.on_return(job, relay, client=self.return_address)
        elif isinstance(m, lc.Returned):
            d = self.debrief()
            if isinstance(d, lc.OnReturned):
                d(self, m)
            elif self.return_address == workers:
                return m.message  # the spool itself ended (bad parameters)
        elif isinstance(m, lc.Available):
            self.console("worker available", name=m.name)
            self.send(lc.JoinSpool(m.publisher_address), workers)
        elif isinstance(m, lc.Dropped):
            self.console("worker dropped", name=m.name)
            self.send(lc.LeaveSpool(m.remote_address), workers)
        elif isinstance(m, lc.NotListening):
            return _wind_down(self, workers, subscribed, m)
        elif isinstance(m, lc.Faulted):
            return m
        elif isinstance(m, lc.Stop):
            return lc.Aborted()


def _wind_down(self, workers, subscribed, fault):
    """The managed end: the spool first, then the subscription, then the fault."""
    self.send(lc.Stop(), workers)
    while True:
        m = self.input()
        if isinstance(m, lc.Returned) and self.return_address == workers:
            break
    lc.clear_subscribed(self, subscribed)
    while not isinstance(self.input(), lc.SubscribedCleared):
        pass
    return fault


lc.bind(server)

if __name__ == "__main__":
    lc.create(server)
