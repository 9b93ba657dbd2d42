# Cython declarations for _wire.py (pure-Python mode).
# Names in __all__ stay out of here: a cdef module global is invisible to Python.
import cython

cdef object _ANY, _ADDRESS, _local
