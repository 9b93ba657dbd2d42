"""Embedding layer-cake in an ordinary program, as layer-cake 0.1 documented it: start_up
with a log selection, objects created from the root channel, tear_down at the end.

    python embedded.py 3      three jobs through a Sequentially; CONSOLE logs on stderr
"""

import sys

import layer_cake as lc


def square(self, n: int = 0):
    self.console("Squaring", n=n)
    return n * n  # no return hint: the parent sees exactly this int


lc.bind(square)


def main():
    root = lc.start_up(logs=lc.select_logs(lc.USER_LOG.CONSOLE))
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 3
    frames = [lc.CreateFrame(square, n=i) for i in range(1, count + 1)]
    root.create(lc.Sequentially, *frames)
    m, _ = root.select(lc.Returned, seconds=30.0)
    print(m.message)
    lc.tear_down()


if __name__ == "__main__":
    main()
