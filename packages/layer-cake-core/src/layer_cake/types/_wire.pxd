# Cython declarations for _wire.py (pure-Python mode).
# Names in __all__ stay out of here, except the two per-frame functions: cpdef keeps them
# Python functions of the module as well.
import cython

from layer_cake.types._convert cimport Decoder, Encoder, _address_struct, address_ext

cdef object _ANY, _ADDRESS, _local, _FIXEXT
cdef dict _ext_packed, _ext_heads, _local_packed
cdef Py_ssize_t _EXT_HEADS_LIMIT
cdef bytes _PAYLOAD_HEAD, _KIND_MESSAGE_PACKED

# The helpers are C functions: a call between them was a Python call (issue 13: a fifth of
# the codec's instructions a frame), and the codec's own methods are called through the
# Encoder/Decoder C types.
cdef object _packer()
cdef bytes _packed_ext(object ext)
cdef bytes _packed_local(tuple a)
cdef bytes _ext_head(object code, Py_ssize_t n)
cdef object _pack(object form)
cdef object _unpack(object data)
cdef list _body(object message, object address_out=*, Encoder encoder=*)
@cython.locals(decoder=Decoder, table=dict)
cdef object _message(object body, object address_in=*)

@cython.locals(encoder=Encoder)
cpdef bytes pack_payload(object to_address, object return_address, object message, object address_out=*)
cpdef tuple unpack_payload(object data, object address_in=*)
