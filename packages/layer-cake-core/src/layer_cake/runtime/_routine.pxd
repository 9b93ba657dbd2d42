# Cython declarations for _routine.py (pure-Python mode). Its globals stay Python objects:
# tests and other modules read and patch them.
import cython

from layer_cake.runtime._dispatch cimport unwrap
from layer_cake.runtime._object cimport Agent

# The self of a function or async object keeps its queues in C fields (issue 13: its
# per-message methods read them several times a message). Channel stays a plain subclass.
cdef class Buffering(Agent):
    cdef public object _inbox, _replay, _current

cdef class AsyncBuffering(Buffering):
    cdef public object _fresh, _waiter

cdef object _next(Buffering self, object timeout)
cdef object _accept(Buffering self, object item)
