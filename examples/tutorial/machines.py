"""Tutorial step 2: a machine, its messages and a timer, driven by a function object.

    python3 machines.py --count=3
"""

import layer_cake as lc


class Add:
    """A message: a number to add to the running total."""

    def __init__(self, amount: int = 0):
        self.amount = amount


lc.bind(Add)


class Total(lc.Point, lc.Stateless):
    """Adds what it is sent; when its timer fires it completes with the total."""

    def __init__(self, wait: float = 0.25):
        lc.Point.__init__(self)
        lc.Stateless.__init__(self)
        self.wait = wait
        self.total = 0


def Total_Start(self, message):
    self.start(lc.T1, self.wait)


def Total_Add(self, message):
    self.total += message.amount
    self.start(lc.T1, self.wait)  # restarting a timer replaces it: quiet for `wait`, then done


def Total_T1(self, message):
    self.complete(self.total)


def Total_Stop(self, message):
    self.complete(lc.Aborted())


lc.bind(Total, (lc.Start, Add, lc.T1, lc.Stop), return_type=int)


def adder(self, count: int = 3) -> int:
    """Create a Total, send it 1..count, wait for its result."""
    total = self.create(Total)
    for n in range(1, count + 1):
        self.send(Add(n), total)
    m = self.input()
    assert isinstance(m, lc.Returned)
    value, _ = lc.cast_back(m.message)  # a typed result travels as (value, type)
    self.console(f"total of 1..{count} is {value}")
    return value


lc.bind(adder)

if __name__ == "__main__":
    lc.create(adder)
