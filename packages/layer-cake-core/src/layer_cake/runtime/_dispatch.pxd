# Cython declarations for _dispatch.py (pure-Python mode).
# Names in __all__ that Python code imports stay Python objects (no cdef globals for them).
import cython

cdef bint _COMPILED
cdef object _MISS, _get_ident
cdef Py_ssize_t _BATCH
cdef dict _TABLE, _SPECS

cdef class Core:
    cdef public Py_ssize_t _pending, _replays
    cdef public bint _ended, _direct, _trail_sent, _trail_recv
    cdef public object _host, _space, _saved, _spec, current_state, object_address
    cdef public dict _exact
    cdef public object return_address, to_address, _received

cdef class _Hooks:
    cdef public Py_ssize_t capacity
    cdef public object undeliverable, copy, log_sent, full, dispatch_slow

cdef _Hooks HOOKS

cpdef tuple unwrap(object message)
@cython.locals(source=Core, target=Core)
cpdef send_from(object sender, object message, object to, object back, bint logged=*, bint owned=*)
cpdef agent_send(Core self, object message, object to)
cpdef agent_reply(Core self, object message)

cdef class RunQueue:
    cdef public object queue
    cdef object _append, _popleft
    cdef public bint scheduled
    cdef public long ident
    cdef public object loop
    cpdef post(self, object obj, object message, object to, object back)
    @cython.locals(n=Py_ssize_t, item=tuple, obj=Core)
    cpdef drain(self)

cdef RunQueue RUN

@cython.locals(saved=list)
cpdef machine_receive(Core self, object message, object to, object back)
cpdef machine_deliver(Core self, object message, object to, object back)
@cython.locals(exact=dict, general=bint)
cpdef machine_dispatch(Core self, object message, object to, object back, Py_ssize_t replays)
