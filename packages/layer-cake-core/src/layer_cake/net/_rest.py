"""REST dispatch (networking-and-http §7): a ``FormRequest`` to a call of a registered function.

A listen with ``uri_form`` delivers every request as a ``FormRequest`` whose ``form_entry``
holds the matched text of each form entry. ``ResourceDispatch`` keys its registrations by
(resource name, method, the set of other entries present), so ``GET /note`` and
``GET /note/7`` reach different functions; each registered keyword names a form entry (or
``header``, ``http``, ``body``) and the converter that turns its text into the argument.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any as AnyHint

from ..types._errors import CodecError
from ..types._hints import def_type
from ..types._json import decode_json
from ..types._portable import Portable
from ._http_messages import FormRequest, HttpMethod, HttpResponse, ReForm

__all__ = [
    "ResourceDispatch",
    "decode_resource",
    "decode_body",
    "cannot_be_dispatched",
    "cannot_be_converted",
]

# The keywords of ``add`` that are not form entries.
_SPECIAL = frozenset(("header", "http", "body"))
# What a converter may raise to say "this text is not a value" (plus the codec's own error).
_CONVERSION_ERRORS = (ValueError, KeyError, TypeError, IndexError, CodecError)

Converter = Callable[..., object] | None


def cannot_be_dispatched(self: AnyHint, request: FormRequest, error: str) -> HttpResponse:
    """No function for this request: a WARNING and a 400 naming the request."""
    text = f'Cannot map request [{request.method}] "{request.request}" ({error})'
    self.warning(text)
    return HttpResponse(status_code=400, reason_phrase="Bad Request", body=text)


def cannot_be_converted(
    self: AnyHint, request: FormRequest, conversion: str, error: str
) -> HttpResponse:
    """A converter refused its text (``conversion`` is ``name=text``): a WARNING and a 400."""
    text = f'Cannot complete conversion "{conversion}" ({error})'
    self.warning(text)
    return HttpResponse(status_code=400, reason_phrase="Bad Request", body=text)


def decode_resource(body: bytes | bytearray | None, portable: object) -> object:
    """A JSON shipment ``{"value": ...}`` decoded as ``portable``; no body gives None.

    Raises:
        CodecRuntimeError: not a shipment of that type.
    """
    if not body:
        return None
    if not isinstance(portable, Portable):
        portable = def_type(portable)
    return decode_json(body, portable)


def decode_body(body_type: object) -> Callable[..., object]:
    """A ``body`` converter that decodes the JSON shipment as ``body_type`` whatever the
    resource (``add(Note, HttpMethod.PUT, f, body=decode_body(list[Note]))``)."""
    portable = def_type(body_type)

    def converter(body: bytes | bytearray | None, resource: object = None) -> object:
        return decode_resource(body, portable)

    return converter


class ResourceDispatch:
    """Maps ``FormRequest`` to registered functions by resource, method and entries present.

    Args:
        form: the listen's ``ReForm``; it must have a ``resource`` entry.
        resource: the resource classes; a URI names one by its class name in lower case,
            matched case-insensitively.

    Raises:
        ValueError: ``form has no "resource" entry``.
    """

    def __init__(self, form: ReForm, resource: list[type]) -> None:
        entry = form.entry or {}
        if "resource" not in entry:
            raise ValueError('form has no "resource" entry')
        self.form = form
        self._entries = frozenset(entry) - {"resource"}
        self._resource: dict[str, type] = {cls.__name__.lower(): cls for cls in resource}
        self._portable: dict[str, Portable] = {}
        self._table: dict[
            tuple[str, HttpMethod, frozenset[str]],
            tuple[Callable[..., object], dict[str, Converter]],
        ] = {}

    def add(
        self, resource: type, method: HttpMethod, f: Callable[..., object], **kv: Converter
    ) -> None:
        """Register ``f(self, **kwargs)`` for ``method`` on ``resource`` with exactly the form
        entries named in ``kv`` present.

        Each ``kv`` item is ``name=converter`` (None passes the text as it is). Form entries
        get ``converter(text)``; ``header`` the header dict, ``http`` the version text and
        ``body`` ``converter(body_bytes, UserDefined(resource))``.

        Raises:
            ValueError: ``resource`` is not in the list, or a name is neither a form entry nor
                ``header``/``http``/``body``.
        """
        name = resource.__name__.lower() if isinstance(resource, type) else str(resource).lower()
        if name not in self._resource:
            raise ValueError(f'unknown resource "{name}"')
        if not isinstance(method, HttpMethod):
            method = HttpMethod[str(method)]
        unknown = sorted(set(kv) - self._entries - _SPECIAL)
        if unknown:
            raise ValueError(f"not entries of the form ({', '.join(unknown)})")
        present = frozenset(n for n in kv if n in self._entries)
        self._table[(name, method, present)] = (f, dict(kv))

    def lookup(self, request: FormRequest) -> tuple[Callable[..., object], dict[str, object]]:
        """``(function, kwargs)`` for ``request``; a failure is ``cannot_be_dispatched`` or
        ``cannot_be_converted`` with its arguments, so the call is the same either way."""
        entry = request.form_entry or {}
        text = entry.get("resource")
        name = text.lower() if text else ""
        cls = self._resource.get(name)
        method = HttpMethod.__members__.get(request.method or "")
        if cls is None or method is None:
            return cannot_be_dispatched, {
                "request": request,
                "error": "unusable resource, method or URI",
            }
        present = frozenset(n for n in self._entries if entry.get(n) is not None)
        found = self._table.get((name, method, present))
        if found is None:
            return cannot_be_dispatched, {"request": request, "error": "no matching call signature"}
        f, kv = found
        kwargs: dict[str, object] = {}
        for key, converter in kv.items():
            if key == "body":
                raw: object = request.body
                shown = f"body=<{len(raw) if raw else 0} bytes>"
            elif key == "header":
                raw, shown = request.header, "header"
            elif key == "http":
                raw, shown = request.http, f"http={request.http}"
            else:
                raw = entry[key]
                shown = f"{key}={raw}"
            if converter is None:
                kwargs[key] = raw
                continue
            try:
                if key == "body":
                    kwargs[key] = converter(raw, self._resource_portable(name, cls))
                else:
                    kwargs[key] = converter(raw)
            except _CONVERSION_ERRORS as e:
                return cannot_be_converted, {
                    "request": request,
                    "conversion": shown,
                    "error": str(e),
                }
        return f, kwargs

    def __call__(self, self_: AnyHint, request: FormRequest) -> object:
        """Dispatch ``request`` within the object ``self_``; a non-None result is sent to
        ``self_.return_address`` (the connection's proxy) and returned."""
        function, kwargs = self.lookup(request)
        result = function(self_, **kwargs)
        if result is not None:
            self_.send(result, self_.return_address)
        return result

    def _resource_portable(self, name: str, cls: type) -> Portable:
        portable = self._portable.get(name)
        if portable is None:
            portable = self._portable[name] = def_type(cls)
        return portable
