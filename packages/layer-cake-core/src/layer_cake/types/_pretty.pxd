# Cython declarations for _pretty.py (pure-Python mode).
import cython

cdef object _escape, _float_repr, _int_repr
cdef double _INFINITY
cdef list _INDENTS

cdef str _indent(Py_ssize_t level)
cdef str _float(double value)
@cython.locals(first=bint, inner=str)
cdef _write(object value, Py_ssize_t level, list out)
cpdef str pretty_dumps(object value)
