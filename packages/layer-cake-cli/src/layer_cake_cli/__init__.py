"""layer-cake command line: the ``layer-cake`` orchestration and inspection tool."""

from ._main import main

__all__ = ["main"]
