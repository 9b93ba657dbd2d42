"""How long the fuzz targets run: briefly in the normal suite, longer under ``nox -s fuzz``.

Each target is a hypothesis test with no arguments left. ``run_bounded(*targets)`` runs each
once (one batch of ``EXAMPLES`` examples: the CI variant inside the normal test run); when
``LC_FUZZ_SECONDS`` is set (the ``fuzz`` nox session sets it), it runs fresh batches in turn
until that many seconds have passed since the first started. Hypothesis has no time limit of
its own, so the bound is per batch, and a batch is small.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable

from hypothesis import HealthCheck, settings

__all__ = ["EXAMPLES", "FUZZ_SECONDS", "FUZZ", "run_bounded"]

#: Seconds of fuzzing per test function (0: one batch of each target, the CI variant).
FUZZ_SECONDS = float(os.environ.get("LC_FUZZ_SECONDS", "0") or 0)
#: Examples per batch: small in the normal suite, larger when fuzzing.
EXAMPLES = 400 if FUZZ_SECONDS else 60

#: Settings of every target: no deadline (a loaded machine is slow, not wrong), no database
#: writes into the work tree, and no complaint about large generated inputs.
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


def run_bounded(*tests: Callable[[], None]) -> int:
    """Run each of ``tests`` once, then in turn again until ``FUZZ_SECONDS`` are spent; the
    batches run."""
    deadline = time.monotonic() + FUZZ_SECONDS
    batches = 0
    while True:
        for test in tests:
            test()
            batches += 1
        if time.monotonic() >= deadline:
            return batches
