# Cython declarations for _http_server.py (pure-Python mode): the module stays Python objects
# (tests and other modules read and patch its globals); the connection is an extension type.
import cython

# Its state lives in C fields, not an instance dict: attribute access from its own compiled
# methods is a struct access (issue 13: the dict lookups were ~9 % of a parse and response).
# All are ``object``: values keep their Python types and meanings (None, ints of any size).
# ``__dict__`` keeps other attributes settable, as on the plain class.
cdef class HttpServerConnection:
    cdef public object _api, _form, _default_to_request, _server, _parser, _phase, _current
    cdef public object _uri_parts, _uri_length, _head_bytes, _begun, begun, _queue, _in_flight
    cdef public object _awaiting, _reading, _peer_closed, _closed, _max_pipelined
    cdef public object _max_queued_bytes, _max_response, _queued_bytes, _unread, _unread_at
    cdef public object _body_left, _eof, refused_response
    cdef dict __dict__
