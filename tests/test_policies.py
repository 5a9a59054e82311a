"""Policies and consent (issue 15, item 2; docs/language.md "Policies"): `allow`
statements with time windows from step labels, and `assert only allowed learn T`,
judged at the first step each learning coalition learns T."""

from __future__ import annotations

import json

import pytest
from conftest import EXAMPLES, check_example, check_text, run_main, spec_errors

from tipasp import fmt
from tipasp.results import Assertion

BASE = """\
agent patient, clinic, lab
secret rec @ patient
key kcl @ clinic, lab
consent: patient -> clinic : rec
grant: clinic -> lab : enc(kcl, rec)
withdraw: patient -> clinic : hash(rec)
"""


def _holds(policy: str) -> tuple[bool, list[tuple[str, int, list[str]]]]:
    (res,) = check_text(BASE + policy + "assert only allowed learn rec\n")
    assert isinstance(res, Assertion)
    return res.holds, [(str(v.learner.coalition[0]), v.step, [str(a) for a in v.not_allowed])
                       for v in res.violations]


def test_windows_decide_by_the_first_step() -> None:
    both = "allow clinic learns rec\n"
    assert _holds(both + "allow lab learns rec\n") == (True, [])
    assert _holds(both + "allow lab learns rec from grant to withdraw\n") == (True, [])
    assert _holds(both + "allow lab learns rec from grant\n") == (True, [])
    # the lab learns rec at step 2 (grant); a window ending at consent (step 1) misses it
    holds, violations = _holds(both + "allow lab learns rec to consent\n")
    assert not holds and [v[1] for v in violations] == [2]
    holds, violations = _holds("allow lab learns rec\n")  # the clinic is not allowed
    assert not holds and [(v[1], len(v[2])) for v in violations] == [(1, 1)]


def test_allows_add_up_and_name_the_value() -> None:
    policy = "allow clinic learns rec\nallow lab learns kcl\nallow lab learns rec from grant\n"
    assert _holds(policy)[0] is True


def test_consent_example(capsys: pytest.CaptureFixture[str]) -> None:
    first, second = check_example("consent.tip")
    assert isinstance(first, Assertion) and first.holds
    assert isinstance(second, Assertion) and not second.holds
    (v,) = second.violations
    assert v.step == 4 and [str(a.base) for a in v.not_allowed] == ["lab"]
    assert second.counterexample is v.learner and v.learner.proof is not None
    code, out, _ = run_main(capsys, "check", str(EXAMPLES / "consent.tip"), "--json")
    assert code == 1
    doc = json.loads(out)["results"][1]
    assert doc["violations"][0]["step"] == 4 and doc["violations"][0]["not_allowed"] == ["lab"]
    assert doc["violations"][0]["proof"]["steps"][-1]["term"] == "rec2"


def test_layout_and_errors() -> None:
    text = BASE + "allow  clinic,lab learns rec from grant to withdraw\n" \
        "assert only allowed learns rec\n"
    out = fmt.format_source(text, "t.tip")
    assert "allow clinic, lab learns rec from grant to withdraw\n" in out
    assert "assert only allowed learn rec\n" in out
    errs = spec_errors(BASE + "allow lab learns rec from gran\n")
    assert errs[0][:2] == (7, 27) and "unknown label 'gran'" in errs[0][2]
    errs = spec_errors(BASE + "allow lab learns rec from withdraw to grant\n")
    assert "comes before" in errs[0][2]
