"""The typed results (tipasp/results.py): their JSON is the contract of docs/cli.md,
key order included; each carries its own evidence; impossible combinations (a
"yes" with a why-not, a failed `not C learns T` without its learner) are refused;
the text report prints each kind from its fields."""

from __future__ import annotations

import dataclasses
import json

import pytest

from tipasp.answer import Options
from tipasp.errors import InternalError
from tipasp.frontend import load_text
from tipasp.proof import Proof, Step
from tipasp.report import check_spec, render_text
from tipasp.results import (
    Assertion,
    Leakage,
    Learner,
    Learns,
    PrivacyLoss,
    Result,
    WhoLearns,
)
from tipasp.terms import Name

A, B, S = Name("a"), Name("b"), Name("s")
PROOF = Proof(coalition=("b",), target=S,
              steps=(Step(1, S, "receives", by="b", step=1, line=4),))
PROOF_JSON = {"steps": [{"id": 1, "term": "s", "rule": "receives", "by": "b", "step": 1,
                         "line": 4, "premises": []}]}
LOSS = PrivacyLoss(exact=False, none=False, epsilon=0.5, delta=1e-5, mu=None, bound=True)
LOSS_KEYS = ["exact", "none", "epsilon", "delta", "mu", "bound"]


def _learns(**kw: object) -> Learns:
    fields: dict[str, object] = dict(line=6, target=S, after=None, coalition=(B,),
                                     learner=Learner((B,), PROOF), why_not=None)
    fields.update(kw)
    return Learns(**fields)  # type: ignore[arg-type]


def _assertion(form: str, holds: bool, ce: object = None, **kw: object) -> Assertion:
    return Assertion(line=7, form=form, text="...", target=S, after=None,  # type: ignore[arg-type]
                     holds=holds, counterexample=ce, **kw)  # type: ignore[arg-type]


# ------------------------------------------------------------------ the contract


def test_who_learns_json_has_the_contracts_keys_in_order() -> None:
    who = WhoLearns(line=5, target=S, after=None, holders=(A,), public=False,
                    learners=(Learner((B,), PROOF),), complete=True)
    assert who.to_json() == {
        "line": 5, "target": "s", "after": None, "kind": "who_learns", "holders": [["a"]],
        "public": False, "learners": [{"coalition": ["b"], "proof": PROOF_JSON}],
        "complete": True}
    assert list(who.to_json()) == ["line", "target", "after", "kind", "holders", "public",
                                   "learners", "complete"]
    bounded = dataclasses.replace(who, bounded=True).to_json()
    assert list(bounded)[-1] == "bounded" and bounded["bounded"] is True


def test_learns_json_has_a_proof_for_yes_and_a_why_not_for_no() -> None:
    yes = _learns().to_json()
    assert list(yes) == ["line", "target", "after", "kind", "coalition", "answer", "proof"]
    assert yes["answer"] is True and yes["proof"] == PROOF_JSON
    no = _learns(learner=None, why_not="b would learn s with k (held by a)", bounded=True)
    assert no.answer is False and no.answered() == ()
    assert list(no.to_json()) == ["line", "target", "after", "kind", "coalition", "answer",
                                  "why_not", "bounded"]
    off = _learns(learner=Learner((B,), None)).to_json()  # --no-proofs
    assert off["answer"] is True and off["proof"] is None


def test_leakage_json_is_the_loss_after_the_coalition() -> None:
    leak = Leakage(line=8, target=S, after=None, coalition=(B,), loss=LOSS)
    assert list(leak.to_json()) == ["line", "target", "after", "kind", "coalition",
                                    *LOSS_KEYS]
    assert leak.to_json()["epsilon"] == 0.5 and leak.answered() == ()


def test_assertion_json_by_form() -> None:
    keys = ["line", "kind", "text", "target", "after", "holds", "counterexample"]
    holds = _assertion("not_learns", True)
    assert list(holds.to_json()) == keys and holds.to_json()["counterexample"] is None
    failed = _assertion("not_learns", False, Learner((B,), PROOF), bounded=True)
    assert list(failed.to_json()) == keys[:5] + ["bounded"] + keys[5:]
    assert failed.to_json()["counterexample"] == {"coalition": ["b"], "proof": PROOF_JSON}
    assert failed.answered() == (Learner((B,), PROOF),)
    learns = _assertion("learns", False, why_not="b would learn s with k (held by a)")
    assert list(learns.to_json()) == keys + ["why_not"] and learns.answered() == ()
    leak = _assertion("leakage_within", False, LOSS)
    assert leak.to_json()["counterexample"] == dict(zip(LOSS_KEYS, [False, False, 0.5, 1e-5,
                                                                    None, True], strict=True))
    assert leak.answered() == ()
    public = _assertion("nobody", False)  # the target is public: no learner to show
    assert public.to_json()["counterexample"] is None


def test_results_are_frozen() -> None:
    with pytest.raises(dataclasses.FrozenInstanceError):
        _learns().why_not = "no"  # type: ignore[misc]


# ------------------------------------------------------- impossible combinations


@pytest.mark.parametrize("kw", [
    {"why_not": "both"},  # a yes with a why-not
    {"learner": None},  # neither
])
def test_a_learns_is_a_yes_or_a_no(kw: dict[str, object]) -> None:
    with pytest.raises(InternalError, match="line 6 must have either a learner"):
        _learns(**kw)


@pytest.mark.parametrize(("form", "holds", "ce", "why_not"), [
    ("not_learns", False, None, None),  # a failure without its learner
    ("not_learns", True, Learner((B,), PROOF), None),  # holds, with a counterexample
    ("not_learns", False, LOSS, None),
    ("nobody", True, Learner((B,), PROOF), None),
    ("learns", False, None, None),  # a failure without a why-not
    ("learns", False, Learner((B,), PROOF), "b would learn s with k"),
    ("leakage_within", False, None, None),
    ("leakage_within", False, Learner((B,), PROOF), None),
    ("nobody", False, Learner((B,), PROOF), "why"),  # a why-not only for `C learns T`
])
def test_an_assertion_refuses_the_wrong_counterexample(form: str, holds: bool, ce: object,
                                                       why_not: str | None) -> None:
    with pytest.raises(InternalError, match="line 7 .* wrong counterexample"):
        _assertion(form, holds, ce, why_not=why_not)


# ------------------------------------------------------------- the text report


def test_the_report_prints_each_kind_from_its_fields() -> None:
    results: list[Result] = [
        WhoLearns(line=5, target=S, after=2, holders=(), public=True, learners=(),
                  complete=False),
        _learns(),
        _learns(learner=None, why_not="b would learn s with k (held by a)", bounded=True),
        Leakage(line=8, target=S, after=None, coalition=(A, B), loss=LOSS),
        _assertion("not_learns", False, Learner((B,), None)),
        _assertion("leakage_within", False, dataclasses.replace(LOSS, bound=False, mu=1.0)),
        _assertion("learns", False, why_not="b would learn s with k (held by a)"),
    ]
    assert render_text(results).splitlines() == [
        "line 5: who learns s after step 2",
        "  it is public: every agent knows it",
        "  holders: nobody",
        "  learners: none",
        "  note: a scenario of the threat model was too large for the exact linear search;"
        " coalitions that need a long elimination may be missing",
        "",
        "line 6: b learns s? yes",
        "  b learns s",
        "    1. b receives  s    step 1, line 4",
        "",
        "line 6: b learns s? no",
        "  why not: b would learn s with k (held by a)",
        "  (no attack within the bounded search: every honest role runs once)",
        "",
        "line 8: leakage of s to {a, b}: epsilon = 0.5000 at delta = 1e-05 (upper bound)",
        "",
        "line 7: assert ...: FAILS",
        "  counterexample: b learns s",
        "",
        "line 7: assert ...: FAILS",
        "  actual: epsilon = 0.5000 at delta = 1e-05, mu = 1.0000 (exact Gaussian DP)",
        "",
        "line 7: assert ...: FAILS",
        "  why not: b would learn s with k (held by a)",
        "",
    ]
    assert render_text([]) == "no queries or assertions\n"


# ---------------------------------------------------------- from a whole spec

EVERY_KIND = """\
agent a, b
secret s @ a
secret x @ a
noise e ~ gaussian(1.0) @ a
key k @ a, b
a -> b : enc(k, s)
a -> b : x + e
query who learns s
query b learns s
query a learns k
query leakage of x to b
assert not b learns s
assert nobody learns s
assert b learns x
assert leakage of x to b within 100.0
"""


def test_a_spec_gives_one_typed_result_per_question_with_its_own_evidence() -> None:
    results = check_spec(load_text(EVERY_KIND, "kinds.tip"), Options())
    assert [type(r).__name__ for r in results] == [
        "WhoLearns", "Learns", "Learns", "Leakage", "Assertion", "Assertion", "Assertion",
        "Assertion"]
    assert [r.kind for r in results] == ["who_learns", "learns", "learns", "leakage",
                                         "assert", "assert", "assert", "assert"]
    who, yes, held, leak, not_b, nobody, b_x, within = results
    assert isinstance(who, WhoLearns) and isinstance(yes, Learns)
    assert isinstance(not_b, Assertion) and isinstance(nobody, Assertion)
    assert [lr.coalition for lr in who.learners] == [(B,)]
    for r in results:  # every learner carries the proof of its own question
        for lr in r.answered():
            assert lr.proof is not None and lr.proof.target == r.target
            assert lr.proof.coalition == tuple(a.base for a in lr.coalition)
    assert [len(r.answered()) for r in results] == [1, 1, 1, 0, 1, 1, 0, 0]
    assert not_b.holds is False and not_b.counterexample == yes.learner
    assert nobody.counterexample == who.learners[0]
    assert isinstance(b_x, Assertion) and b_x.why_not is not None
    assert isinstance(leak, Leakage) and isinstance(within, Assertion)
    assert within.holds is True and within.counterexample is None
    json.dumps([r.to_json() for r in results])  # plain JSON all the way down
