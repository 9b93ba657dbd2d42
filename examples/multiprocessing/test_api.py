"""The messages shared by the examples' servers and clients (an importable module, so the
signature is ``test_api.Xy`` in every process)."""

import layer_cake as lc


class Xy:
    """Ask for a table of ``y`` rows of ``x`` random floats."""

    def __init__(self, x: int = 1, y: int = 1):
        self.x = x
        self.y = y


lc.bind(Xy)

table_type = lc.def_type(list[list[float]])
