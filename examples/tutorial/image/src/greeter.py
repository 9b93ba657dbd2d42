"""Guide to portable images: a role whose program imports a module of its own and reads a
read-only resource. ``layer-cake script``, ``resource`` and ``model`` copy all three into
the home, which then runs anywhere that has Python and layer-cake.

    python3 src/greeter.py --resource-path=.
"""

import os

from wording import phrase

import layer_cake as lc


def greeter(self, count: int = 2) -> str:
    """Greet with the word found in the resource folder."""
    with open(os.path.join(lc.resource_path(), "media", "word.txt")) as f:
        word = f.read().strip()
    return phrase(word, count)


lc.bind(greeter)

if __name__ == "__main__":
    lc.create(greeter)
