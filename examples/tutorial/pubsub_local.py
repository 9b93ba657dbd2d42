"""Guide to publish/subscribe: a publisher and a subscriber in one process (PROCESS scope).

    python3 pubsub_local.py
"""

import layer_cake as lc


def echo(self) -> None:
    """Publish "tutorial:echo" and answer every text with its upper-case form."""
    lc.publish(self, "tutorial:echo", scope=lc.ScopeOfDirectory.PROCESS)
    while True:
        m = self.input()
        if isinstance(m, str):
            self.reply(lc.cast_to(m.upper(), lc.str_type))
        elif isinstance(m, lc.Stop):
            return lc.Aborted()
        # Published, Delivered, Dropped: nothing to do here


lc.bind(echo)


def client(self, text: str = "hello") -> str:
    """Find the echo by a regular expression, ask it once, and report what happened."""
    publisher = self.create(echo)
    lc.subscribe(self, r"tutorial:[a-z]+", scope=lc.ScopeOfDirectory.PROCESS)
    while True:
        m = self.input()
        if isinstance(m, lc.Available):
            self.console(f"available: {m.name}")
            self.send(lc.cast_to(text, lc.str_type), m.publisher_address)
        elif isinstance(m, str):  # input() returns bare data; self.received_type says its type
            answer = m
            self.send(lc.Stop(), publisher)
        elif isinstance(m, lc.Dropped):
            self.console("dropped")
        elif isinstance(m, lc.Returned):  # the echo has ended
            return answer


lc.bind(client)

if __name__ == "__main__":
    lc.create(client)
