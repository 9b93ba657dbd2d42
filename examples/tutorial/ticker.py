"""Guide to timers: a repeating timer, a one-shot deadline and a cancel.

    python3 ticker.py --ticks=3
"""

import layer_cake as lc


class Ticker(lc.Point, lc.Stateless):
    """Counts the ticks of a repeating timer (T1) and completes with the count when T2
    fires, or at once when the count is reached."""

    def __init__(self, ticks: int = 3, period: float = 0.05, deadline: float = 30.0):
        lc.Point.__init__(self)
        lc.Stateless.__init__(self)
        self.ticks = ticks
        self.period = period
        self.deadline = deadline
        self.count = 0


def Ticker_Start(self, message):
    self.start(lc.T1, self.period, repeating=True)
    self.start(lc.T2, self.deadline)


def Ticker_T1(self, message):
    self.count += 1
    self.console(f"tick {self.count}")
    if self.count == self.ticks:
        self.cancel(lc.T1)
        self.cancel(lc.T2)
        self.complete(self.count)


def Ticker_T2(self, message):
    self.complete(lc.TimedOut(message))


def Ticker_Stop(self, message):
    self.complete(lc.Aborted())


lc.bind(Ticker, (lc.Start, lc.T1, lc.T2, lc.Stop), return_type=int)

if __name__ == "__main__":
    lc.create(Ticker)
