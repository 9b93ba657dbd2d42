# Cython declarations for _convert.py (pure-Python mode): typed locals and C-level methods.
import cython

cdef int K_BOOLEAN, K_INTEGER, K_FLOAT, K_UNICODE, K_STRING, K_BLOCK, K_ENUM, K_CLOCK
cdef int K_SPAN, K_WORLD, K_DELTA, K_UUID, K_VECTOR, K_ARRAY, K_SET, K_MAP, K_DEQUE
cdef int K_USER, K_POINTER, K_ANY, K_ADDRESS, K_TYPE, K_WORD

cdef object _deque, _datetime, _timedelta, _UUIDType, _u64, _address_structs, _tuple_new
cdef dict SPECS, _SIGNATURES  # the registries, read per message: C globals, not module lookups

cpdef object _mismatch(object value, object p)
# Called per frame from here, _wire and _transport: a C call there (cimported), as before
# from Python.
cpdef object address_ext(object code, tuple a)
cpdef object _address_struct(object n)


cdef class Encoder:
    cdef public bint json_form
    cdef public object address_out
    cdef public object seen
    cdef public object table
    cdef public object frames
    cdef public long long next_alias
    cdef public str space

    @cython.locals(kind=cython.int)
    cpdef object convert(self, object value, object p)
    cpdef dict user(self, object value, type cls)
    @cython.locals(kind=cython.int, out=dict)
    cpdef dict fields(self, object value, object spec)
    @cython.locals(kind=cython.int, i=cython.Py_ssize_t, out=list)
    cpdef list sequence(self, object value, object element)
    @cython.locals(i=cython.Py_ssize_t, out=list)
    cpdef list mapping(self, dict value, object p)
    @cython.locals(frame=list)
    cpdef list any(self, object value)
    cpdef list incognito(self, object value, list frame)
    @cython.locals(n=cython.longlong)
    cpdef object new_alias(self)
    cpdef object pointer(self, object value, object element)
    cpdef mention(self, object alias)
    cpdef object relabel(self, object word, object mapping)
    cpdef object address(self, object value)
    cpdef str type_path(self, object value)

cdef class Decoder:
    cdef public bint json_form
    cdef public object address_in
    cdef public object table
    cdef public object cache

    @cython.locals(kind=cython.int)
    cpdef object convert(self, object data, object p)
    cpdef object user(self, object data, type cls)
    @cython.locals(kind=cython.int)
    cpdef fill(self, object obj, dict data, object spec)
    @cython.locals(kind=cython.int, i=cython.Py_ssize_t, out=list)
    cpdef list sequence(self, list data, object element)
    @cython.locals(size=cython.Py_ssize_t, out=list)
    cpdef list array(self, list data, object p)
    @cython.locals(i=cython.Py_ssize_t, out=dict)
    cpdef dict mapping(self, list data, object p)
    cpdef object any(self, object data)
    cpdef object incognito(self, str signature, object word, object aliases)
    cpdef object localize(self, object word)
    @cython.locals(kind=cython.int)
    cpdef object pointer(self, object data, object element)
    cpdef object address(self, object data)
    cpdef object type_value(self, object data)
