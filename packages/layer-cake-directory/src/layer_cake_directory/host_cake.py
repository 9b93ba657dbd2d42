"""``python3 -m layer_cake_directory.host_cake``: the same as the ``host-cake`` console script."""

from ._daemons import host_cake

if __name__ == "__main__":
    host_cake()
