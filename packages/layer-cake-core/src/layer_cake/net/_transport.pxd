# Cython declarations for _transport.py (pure-Python mode).
# The module's globals stay Python objects: tests read _STALLED and _buffered and patch full
# and LIMITS, and a cdef module global is invisible to Python.
import cython

cdef double _INFINITY

from posix.unistd cimport write as _c_write
