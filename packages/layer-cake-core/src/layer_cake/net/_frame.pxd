# Cython declarations for _frame.py (pure-Python mode); keep in step with its __slots__.
# Names in __all__ stay out of here: a cdef module global is invisible to Python.
import cython

cdef object _pack_header
cdef object _unpack_header
cdef object _packb
cdef object _unpackb
cdef object _bytes
cdef object _memoryview
cdef object _join
cdef Py_ssize_t _SMALL
cdef bint _COMPILED
cdef object _type
cdef Py_ssize_t _WIRE_MAX
cdef Py_ssize_t _MAGIC_SIZE
cdef Py_ssize_t _HEADER_SIZE
cdef Py_ssize_t _HELLO_HEADER_SIZE
cdef int _HELLO_HEADER
cdef int _HELLO_BODY
cdef int _FRAME_HEADER
cdef int _FRAME_BODY


cdef class FrameEncoder:
    cdef public Py_ssize_t max_frame
    cdef Py_ssize_t _peer_limit

    cpdef bytes hello(self, object encrypted)

    cpdef set_peer_limit(self, object limit)

    @cython.locals(size=Py_ssize_t)
    cpdef bytes frame(self, object payload)

    @cython.locals(size=Py_ssize_t)
    cpdef tuple frame_parts(self, object payload)


cdef class FrameDecoder:
    cdef public Py_ssize_t max_frame
    cdef list _parts
    cdef Py_ssize_t _buffered
    cdef int _state
    cdef Py_ssize_t _need
    cdef object _error

    @cython.locals(
        out=list,
        parts=list,
        size=Py_ssize_t,
        start=Py_ssize_t,
        missing=Py_ssize_t,
        unit=bytes,
    )
    cpdef list feed(self, object data)

    cdef object _keep(self, object piece)

    @cython.locals(
        end=Py_ssize_t,
        state=int,
        need=Py_ssize_t,
        limit=Py_ssize_t,
        length=Py_ssize_t,
    )
    cdef object _parse(self, bytes src, Py_ssize_t pos, list out)


cdef object _check_magic(bytes prefix)
