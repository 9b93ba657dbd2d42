"""HTTP messages (networking-and-http §7, §9): requests and responses as ordinary messages.

An HTTP server connection delivers ``HttpRequest`` (unknown names, ``default_to_request``) or
``FormRequest`` (REST, ``uri_form``) to its controller; anything the application sends back to
the connection's proxy becomes the response, ``HttpResponse`` giving full control.
"""

from __future__ import annotations

import enum
import re

from ..runtime._messages import library_enum
from ..types._portable import Any
from ..types._registry import SPECS, bind_library_message

__all__ = ["HttpRequest", "HttpResponse", "FormRequest", "HttpMethod", "ReForm"]

_HTTP = "layer_cake.http."


class HttpMethod(enum.Enum):
    """The request methods REST dispatch knows (§7)."""

    CONNECT = 1
    DELETE = 2
    GET = 3
    HEAD = 4
    OPTIONS = 5
    PATCH = 6
    POST = 7
    PUT = 8
    TRACE = 9


class HttpRequest:
    """A request the server could not map to an API class (``default_to_request=True``).

    Header names are kept as received; ``body`` is None when the request had none.
    """

    method: str
    request_uri: str
    http: str
    header: dict[str, str]
    body: bytearray

    def __init__(
        self,
        method: str = "POST",
        request_uri: str = "/",
        http: str = "HTTP/1.1",
        header: dict[str, str] | None = None,
        body: bytearray | None = None,
    ) -> None:
        self.method = method
        self.request_uri = request_uri
        self.http = http
        self.header = header if header is not None else {}
        self.body = body

    def __repr__(self) -> str:
        return f"HttpRequest({self.method} {self.request_uri!r})"


class HttpResponse:
    """A response with full control of status, headers and body.

    ``body`` is None (empty), ``str`` (UTF-8 ``text/plain``), ``bytearray``/``bytes`` (raw; the
    ``Content-Type`` must be given in ``header``) or any message (its JSON ``Any`` form).
    """

    http: str
    status_code: int
    reason_phrase: str
    header: dict[str, str]

    def __init__(
        self,
        http: str = "HTTP/1.1",
        status_code: int = 200,
        reason_phrase: str = "OK",
        header: dict[str, str] | None = None,
        body: object = None,
    ) -> None:
        self.http = http
        self.status_code = status_code
        self.reason_phrase = reason_phrase
        self.header = header if header is not None else {}
        self.body = body

    def __repr__(self) -> str:
        return f"HttpResponse({self.status_code} {self.reason_phrase!r})"


class FormRequest:
    """A request whose URI matched the listen's ``uri_form`` (REST dispatch, §7).

    ``form_entry`` maps every entry name of the form to its matched text, or None.
    """

    method: str
    request: str
    form_entry: dict[str, str]
    http: str
    header: dict[str, str]
    body: bytearray

    def __init__(
        self,
        method: str = "POST",
        request: str | None = None,
        form_entry: dict[str, str] | None = None,
        http: str = "HTTP/1.1",
        header: dict[str, str] | None = None,
        body: bytearray | None = None,
    ) -> None:
        self.method = method
        self.request = request
        self.form_entry = form_entry if form_entry is not None else {}
        self.http = http
        self.header = header if header is not None else {}
        self.body = body

    def __repr__(self) -> str:
        return f"FormRequest({self.method} {self.request!r})"


_FIELD = re.compile(r"\{(\w+)\}")


class ReForm:
    """A URI pattern: ``{name}`` fields become ``(?P<name>regex)`` with ``regex = entry[name]``.

    ``ReForm('/{resource}(/{identity})?', resource=r'\\w+', identity=r'[0-9]+')``
    """

    form: str
    entry: dict[str, str]

    def __init__(self, form: str | None = None, **entry: str) -> None:
        self.form = form
        self.entry = entry

    def compile_form(self) -> tuple[re.Pattern[str], list[str]]:
        """``(compiled pattern, sorted entry names)``.

        Raises:
            ValueError: ``URI provided with no pattern`` or ``URI pattern does not compile,
                <re error>`` (the ``NotListening`` texts).
        """
        if self.form is None:
            raise ValueError("URI provided with no pattern")
        entry = self.entry

        def group(m: re.Match[str]) -> str:
            name = m.group(1)
            if name not in entry:
                return m.group(0)  # not an entry: left to the regex (e.g. a {2} repeat)
            return f"(?P<{name}>{entry[name]})"

        try:
            pattern = re.compile(_FIELD.sub(group, self.form))
        except re.error as e:
            raise ValueError(f"URI pattern does not compile, {e}") from None
        return pattern, sorted(entry)

    def __repr__(self) -> str:
        return f"ReForm({self.form!r}, **{self.entry!r})"


library_enum(HttpMethod, _HTTP + "HttpMethod")
bind_library_message(HttpRequest, _HTTP + "HttpRequest")
bind_library_message(HttpResponse, _HTTP + "HttpResponse", body=Any())
bind_library_message(FormRequest, _HTTP + "FormRequest")
bind_library_message(ReForm, "layer_cake.point_runtime.ReForm")

# ``body`` may be a bytearray or a str, which the ``Any`` codec (and so the schema copy made
# before a local send) cannot carry: responses are handed over as they are, never copied.
SPECS[HttpResponse].copy_before_sending = False
SPECS[HttpResponse].needs_copy = False
