"""MkDocs hook: the API reference lists every name of ``layer_cake.__all__``.

mkdocstrings renders what it can read statically; names made at import time (the standard
messages, the library types, constants) are invisible to it. This hook appends one table row
per public name - kind, and the first line of its docstring read from the imported package -
so the reference is complete, and ``tests/docs/test_site.py`` checks that it is.
"""

from __future__ import annotations

import inspect

MARKER = "<!-- every public name -->"


def kind_of(value: object) -> str:
    if inspect.isclass(value):
        if issubclass(value, BaseException):
            return "exception"
        return "message" if hasattr(value, "__art__") else "class"
    if inspect.isfunction(value) or inspect.isbuiltin(value) or callable(value):
        return "function"
    if inspect.ismodule(value):
        return "module"
    return f"constant ({type(value).__name__})"


def summary(value: object) -> str:
    if not (inspect.isclass(value) or callable(value) or inspect.ismodule(value)):
        return f"`{value!r}`"[:120].replace("|", "\\|")
    doc = inspect.getdoc(value) or ""
    return doc.strip().splitlines()[0].replace("|", "\\|") if doc.strip() else ""


def on_page_markdown(markdown: str, page, config, files) -> str:  # type: ignore[no-untyped-def]
    if MARKER not in markdown:
        return markdown
    import layer_cake as lc

    rows = [
        f'| <span id="name-{name}"></span>`{name}` | {kind_of(getattr(lc, name))} | '
        f"{summary(getattr(lc, name))} |"
        for name in sorted(lc.__all__, key=str.lower)
    ]
    table = "\n".join(["| Name | Kind | Summary |", "|---|---|---|", *rows])
    return markdown.replace(MARKER, table)
