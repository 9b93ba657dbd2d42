# Cython declarations for _proxy.py (pure-Python mode). Its globals stay Python objects:
# tests and other modules read and patch them.
import cython

from layer_cake.runtime._object cimport Agent

# The proxy's link and backlog in C fields: read on every message it carries (issue 13).
cdef class Proxy(Agent):
    cdef public object link, backlog
