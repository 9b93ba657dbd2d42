# Cython declarations for _http_link.py (pure-Python mode). Its globals stay Python objects:
# tests and other modules read and patch them.
import cython

from layer_cake.net._link cimport Link

# The server link's state in C fields (see _link.pxd); the client link stays a plain
# subclass of Link.
cdef class HttpServerLink(Link):
    cdef public object request, listening, shared, conn, timer, activity, activity_seen
    cdef public object last_active, request_seen, request_began, write_paused_at
