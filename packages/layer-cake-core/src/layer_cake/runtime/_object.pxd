# Cython declarations for _object.py (pure-Python mode). Its globals stay Python objects:
# tests and other modules read and patch them.
import cython

from layer_cake.runtime._dispatch cimport Core

cdef object _FAULT, _WARNING, _CONSOLE, _TRACE, _DEBUG, _OBJECT  # the log levels, read once

# An extension type, so that the runtime's own objects can be too (Buffering, Proxy: their
# state in C fields, issue 13). It declares no fields of its own: a subclass's class
# attribute of the same name would hide one (see _dispatch.Core). ``__dict__`` keeps the
# rest of an object's attributes, and user subclasses, as on a plain class.
cdef class Agent(Core):
    cdef dict __dict__
