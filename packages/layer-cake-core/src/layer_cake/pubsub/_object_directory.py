"""``ObjectDirectory``, the per-process directory machine of layer-cake 0.1 (compat §3.8,
INTERNAL (R)).

Every process here runs the directory node of ``_node`` instead; the old class name stays
importable for code that mentions it, and refuses to be created.
"""

from __future__ import annotations

from .._refused import refused_class

__all__ = ["ObjectDirectory"]

ObjectDirectory = refused_class("ObjectDirectory")
