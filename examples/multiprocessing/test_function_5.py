"""A function object that computes a table; runnable on its own, and the child program of
``test_server_5.py`` (a ``ProcessObject`` runs this file and decodes what it prints):

    python3 test_function_5.py --x=2 --y=3
"""

import random

from test_api import table_type

import layer_cake as lc


def texture(self, x: int = 8, y: int = 8) -> list[list[float]]:
    return [[random.random() for _ in range(x)] for _ in range(y)]


lc.bind(texture, return_type=table_type)

if __name__ == "__main__":
    lc.create(texture)
