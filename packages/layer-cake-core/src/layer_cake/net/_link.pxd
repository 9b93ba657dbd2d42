# Cython declarations for _link.py (pure-Python mode). Its globals stay Python objects: tests
# and other modules read and patch them.
import cython

# A link's state lives in C fields, not an instance dict: from the compiled methods of the
# links (here, _transport, _http_link) an attribute is a struct access, not a dict lookup
# (issue 13: attribute lookups were a fifth of an echo process's instructions per message).
# All are ``object``: values keep their Python types and meanings. ``__dict__`` keeps other
# attributes settable, and methods replaceable on an instance, as on a plain class.
cdef class Link:
    cdef public object controller, transport, proxy, proxy_address, proxy_id, paused
    cdef public object reading_paused, closing, ended, opened_ipp, opened_at
    cdef dict __dict__
