"""An answer does not depend on the other questions of the spec.

The engine slices the spec to what its targets can reach and registers every target
before grounding; a question's answer must not change when other questions are
added or removed. For random specs (tests/specgen.py) with several questions, each
answer is the same with all the questions, with that question alone, and within a
random subset of them.
"""

from __future__ import annotations

import os
from dataclasses import replace
from typing import Any

from hypothesis import HealthCheck, Phase, assume, given, settings
from hypothesis import strategies as st
from specgen import GenSpec, question_lists, specs

from tipasp import frontend
from tipasp.answer import Options
from tipasp.errors import SpecError
from tipasp.model import Model
from tipasp.report import InternalError, check_spec
from tipasp.results import Learns, Result, WhoLearns
from tipasp.terms import show

EXAMPLES = int(os.environ.get("TIPASP_EXAMPLES", "0")) or 80
# Shrinking a failure of these slow examples can take minutes: off unless TIPASP_SHRINK=1
PHASES = [p for p in Phase if p != Phase.shrink or os.environ.get("TIPASP_SHRINK") == "1"]


def answer_of(res: Result) -> Any:
    """What must not change: learns -> the boolean; who learns -> holders, whether
    public, and the set of learner coalitions."""
    if isinstance(res, Learns):
        return res.answer
    assert isinstance(res, WhoLearns)
    return (tuple(sorted(show(h) for h in res.holders)), res.public,
            frozenset(tuple(show(a) for a in lr.coalition) for lr in res.learners))


def answers(model: Model) -> list[Any]:
    return [answer_of(r) for r in check_spec(model, Options())]


def answers_or_error(model: Model) -> list[Any]:
    """The answers, or the spec error repeated for each question (the sender checks
    must not depend on the questions either)."""
    try:
        return answers(model)
    except SpecError as e:
        return [f"spec error: {e}"] * len(model.questions)


# Catches: a target's rules (relevance slicing, `wants`, needed terms, numeric
# refinement) that only fire because ANOTHER question's target is registered, so that
# the same question gets another answer alone or in other company.
@settings(max_examples=EXAMPLES, deadline=None, phases=PHASES,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(specs(questions=False), st.data())
def test_answer_does_not_depend_on_other_questions(spec: GenSpec, data: st.DataObject) -> None:
    qs = data.draw(question_lists(spec, 3, 6), label="questions")
    model = frontend.load_text(spec.text(qs))
    try:
        full = answers(model)
    except (SpecError, InternalError):
        # a rejected sender or a yes without a proof: test_agreement reports those;
        # here only answers that change with the company are the point
        full = None
    assume(full is not None)
    assert full is not None
    questions = model.questions
    bad = []
    for i, q in enumerate(questions):
        alone = answers_or_error(replace(model, questions=(q,)))[0]
        if alone != full[i]:
            bad.append(f"{q.text}: with all questions {full[i]}, alone {alone}")
    subset = data.draw(st.lists(st.sampled_from(range(len(questions))), unique=True,
                                min_size=2, max_size=len(questions)), label="subset")
    some = answers_or_error(replace(model, questions=tuple(questions[i] for i in subset)))
    for i, got in zip(subset, some, strict=True):
        if got != full[i]:
            bad.append(f"{questions[i].text}: with all questions {full[i]}, "
                       f"with {[questions[j].text for j in subset]} {got}")
    assert not bad, spec.text(qs) + "\n" + "\n".join(bad)
