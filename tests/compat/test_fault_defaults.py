"""compat §2.5: the fault family's default condition is ``'fault'``, as for ``Faulted()``."""

from __future__ import annotations

import pytest

import layer_cake as lc

FAMILY = [lc.Busy, lc.OutOfService, lc.Overloaded, lc.TemporarilyUnavailable, lc.ToBeConfirmed]


@pytest.mark.parametrize("cls", FAMILY, ids=lambda c: c.__name__)
def test_default_condition_is_fault(cls):
    fault = cls()
    assert fault.condition == "fault"
    assert str(fault) == "fault"
    assert str(fault) == str(lc.Faulted())


@pytest.mark.parametrize("cls", FAMILY, ids=lambda c: c.__name__)
def test_a_given_condition_is_kept(cls):
    assert cls("too many").condition == "too many"


@pytest.mark.parametrize("cls", [lc.Overloaded, lc.OutOfService, lc.ToBeConfirmed])
def test_refusals_keep_a_null_request(cls):
    assert cls().request is None


def test_busy_explanation():
    assert str(lc.Busy(explanation="slow")) == "fault (slow)"
