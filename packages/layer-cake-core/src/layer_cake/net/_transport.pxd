# Cython declarations for _transport.py (pure-Python mode).
# The module's globals stay Python objects: tests read _STALLED and _buffered and patch full
# and LIMITS, and a cdef module global is invisible to Python.
import cython

from layer_cake.net._link cimport Link
# C calls per frame (the Python names stay importable from their modules).
from layer_cake.types._convert cimport address_ext
from layer_cake.types._wire cimport pack_payload, unpack_payload

cdef double _INFINITY

from posix.unistd cimport write as _c_write

# The wire link's state in C fields (see _link.pxd): its per-frame methods read a dozen of
# them a message.
cdef class WireLink(Link):
    cdef public object keep_alive, probe_local, liveness, probes_logged, probe_timer
    cdef public object hello_timer, hello_wait, encoder, decoder, announce, refuse, mismatch
    cdef public object announced, cipher, plain, seal_overhead, hello_seen, first_bytes, held
    cdef public object stalled, read_holds, buffered, exported, prune_at, forged, violations
    cdef public object last_answer, write_size, stall_size, write_quiet, stall_timer, fd, rest
