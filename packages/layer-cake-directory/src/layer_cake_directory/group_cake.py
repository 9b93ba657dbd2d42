"""``python3 -m layer_cake_directory.group_cake``: the same as the ``group-cake`` console script."""

from ._daemons import group_cake

if __name__ == "__main__":
    group_cake()
