"""``python -m layer_cake_cli``: the ``layer-cake`` command without its console script."""

from ._main import main

if __name__ == "__main__":
    main(prog_name="layer-cake")
