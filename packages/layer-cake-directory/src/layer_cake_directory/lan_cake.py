"""``python3 -m layer_cake_directory.lan_cake``: the same as the ``lan-cake`` console script."""

from ._daemons import lan_cake

if __name__ == "__main__":
    lan_cake()
