"""Tutorial step 1: a function object that returns a value.

    python3 hello.py --name=layer-cake
"""

import layer_cake as lc


def hello(self, name: str = "world") -> str:
    """Greet someone: the return value is the object's result, printed by lc.create."""
    return f"hello, {name}"


lc.bind(hello)

if __name__ == "__main__":
    lc.create(hello)
