"""Leakage after a step (issue 15, item 4): `query leakage of x to server after round1`
measures the view after that step. Two Gaussian releases of x (sigma 1): mu = 1 after
the first, sqrt(2) at the end; epsilon checked against the analytic Gaussian-DP
trade-off delta(eps) = Phi(-eps/mu + mu/2) - e^eps Phi(-eps/mu - mu/2) (Dong, Roth and
Su 2019), computed here with math.erfc."""

from __future__ import annotations

import math

from conftest import check_text

from tipasp import fmt
from tipasp.results import Assertion, Leakage

SPEC = """\
agent server, u
secret x @ u
noise e1 ~ gaussian(1.0) @ u
noise e2 ~ gaussian(1.0) @ u
round1: u -> server : x + e1
round2: u -> server : x + e2
query leakage of x to server after round1
query leakage of x to server after 0
query leakage of x to server
assert leakage of x to server after round1 within 5.0, 1e-5
assert leakage of x to server within 5.0, 1e-5
"""


def _phi(z: float) -> float:
    return 0.5 * math.erfc(-z / math.sqrt(2))


def _delta(mu: float, eps: float) -> float:
    return _phi(-eps / mu + mu / 2) - math.exp(eps) * _phi(-eps / mu - mu / 2)


def test_each_step_has_its_own_loss() -> None:
    first, none, end, early_ok, end_fails = check_text(SPEC)
    assert isinstance(first, Leakage) and first.after == 1
    assert first.loss.mu is not None and abs(first.loss.mu - 1.0) < 1e-9
    assert first.loss.epsilon is not None
    assert abs(_delta(1.0, first.loss.epsilon) - 1e-5) < 1e-9
    assert isinstance(none, Leakage) and none.loss.none  # nothing sent yet
    assert isinstance(end, Leakage) and end.after is None
    assert end.loss.mu is not None and abs(end.loss.mu - math.sqrt(2)) < 1e-9
    assert end.loss.epsilon is not None
    assert abs(_delta(math.sqrt(2), end.loss.epsilon) - 1e-5) < 1e-9
    assert isinstance(early_ok, Assertion) and early_ok.holds
    assert isinstance(end_fails, Assertion) and not end_fails.holds


def test_layout_keeps_after() -> None:
    out = fmt.format_source(SPEC.replace("after round1 within", "after  round1  within"), "t")
    assert "assert leakage of x to server after round1 within 5.0, 1e-5" in out
    assert "query leakage of x to server after round1\n" in out
