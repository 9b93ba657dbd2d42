"""Small helpers of the public API (api-core §14)."""

from __future__ import annotations

import os
import random
from collections.abc import Iterator

from .runtime._messages import RetryIntervals

__all__ = ["Gas", "spread_out", "breakpath", "output_line", "smart_intervals", "intervals_only"]


class Gas:
    """An attribute bag: ``Gas(a=1).a == 1``."""

    def __init__(self, **kv: object) -> None:
        self.__dict__.update(kv)

    def __repr__(self) -> str:
        inner = ", ".join(f"{k}={v!r}" for k, v in self.__dict__.items())
        return f"Gas({inner})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Gas) and other.__dict__ == self.__dict__

    __hash__ = None  # type: ignore[assignment]  # mutable


def spread_out(period: float, delta: float = 25) -> float:
    """``period`` scaled by a factor uniform in ``[1 - delta%, 1 + delta%)``."""
    d = delta / 100.0
    return period * (1.0 - d + random.random() * 2.0 * d)


def breakpath(p: str) -> tuple[str, str, str]:
    """``(folder, name, ext)`` of a path: ``/a/b.json`` -> ``('/a', 'b', '.json')``."""
    folder, file = os.path.split(p)
    name, ext = os.path.splitext(file)
    return folder, name, ext


def output_line(line: str, tab: int = 0, newline: bool = True, **kv: object) -> None:
    """Print ``line`` formatted with ``kv``, indented ``'+   '`` per tab."""
    text = "+   " * tab + (line.format(**kv) if kv else line)
    print(text, end="\n" if newline else "", flush=not newline)


def _steps(retry: RetryIntervals) -> Iterator[float]:
    yield from retry.first_steps or ()
    if retry.regular_steps is not None:
        while True:
            yield retry.regular_steps


def intervals_only(retry: RetryIntervals) -> Iterator[float]:
    """``first_steps``, then ``regular_steps`` forever, at most ``step_limit`` values."""
    limit = retry.step_limit
    for i, r in enumerate(_steps(retry)):
        if limit is not None and i >= limit:
            return
        yield r


def smart_intervals(retry: RetryIntervals) -> Iterator[float]:
    """As ``intervals_only``, each value plus ``k * randomized`` (``k`` uniform in
    ``0..int(t / randomized)``, ``t = r * truncated`` if ``truncated`` else ``r``)."""
    for step in intervals_only(retry):
        if retry.randomized:
            t = step * retry.truncated if retry.truncated else step
            yield step + random.randint(0, int(t / retry.randomized)) * retry.randomized
        else:
            yield step
