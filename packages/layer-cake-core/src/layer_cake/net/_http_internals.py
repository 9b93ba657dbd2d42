"""HTTP internals of layer-cake 0.1 that are not provided (compat §3.12, INTERNAL (R)).

The per-connection client session and the byte parsers of the original are replaced by the
sans-I/O ``_http_client``/``_http_server`` machines; these names remain importable so that
old code that mentions them (``isinstance``, subclassing) still loads.
"""

from __future__ import annotations

from .._refused import refused_class

__all__ = ["ApiClientSession", "ApiClientStream", "ApiServerStream"]

ApiClientSession = refused_class("ApiClientSession")
ApiClientStream = refused_class("ApiClientStream")
ApiServerStream = refused_class("ApiServerStream")
