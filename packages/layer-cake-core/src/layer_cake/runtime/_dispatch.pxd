# Cython declarations for _dispatch.py (pure-Python mode).
import cython

cdef object _MISS, _get_ident
cdef Py_ssize_t _BATCH

cdef class _Hooks:
    cdef public Py_ssize_t capacity
    cdef public object undeliverable, copy, log_sent, full, dispatch_slow

cdef _Hooks HOOKS

cpdef tuple unwrap(object message)
cpdef send_from(object sender, object message, object to, object back, bint logged=*)

cdef class RunQueue:
    cdef public object queue
    cdef public bint scheduled
    cdef public long ident
    cdef public object loop
    cpdef post(self, object obj, object message, object to, object back)
    @cython.locals(n=Py_ssize_t, item=tuple)
    cpdef drain(self)

cdef RunQueue RUN

@cython.locals(saved=list)
cpdef machine_receive(object self, object message, object to, object back)
cpdef machine_deliver(object self, object message, object to, object back)
cpdef machine_dispatch(object self, object message, object to, object back, int replays)
