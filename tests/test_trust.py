"""Trust: no "yes" without a checked proof of its own, no proof under the wrong
question, why-nots that tell the truth (issue: trust)."""

from __future__ import annotations

import pytest
from conftest import check_text, run_main, write_spec

from tipasp import answer, report
from tipasp.answer import Options, answered
from tipasp.report import InternalError, check_spec, render_text

TWO_QUESTIONS = """\
agent a, b
secret s @ a
secret t @ a
key k @ a, b
a -> b : enc(k, (s, t))
query b learns t
query who learns s
"""


def test_each_learner_carries_the_proof_of_its_own_question() -> None:
    learns_t, who_s = check_text(TWO_QUESTIONS)
    assert learns_t["_proof"].target.base == "t"
    (learner,) = who_s["learners"]
    assert learner["coalition"] == ["b"]
    assert learner["_proof"].target.base == "s"
    assert learner["proof"]["steps"][-1]["term"] == "s"


def test_a_learner_without_a_proof_is_never_shown_another_questions_proof() -> None:
    """The text report used to look proofs up by coalition, across questions: with
    `query b learns t` before `query who learns s`, a learner of s without a proof
    of its own was printed with the proof of t."""
    learns_t, who_s = check_text(TWO_QUESTIONS)
    who_s["learners"][0]["_proof"] = None
    text = render_text([learns_t, who_s])
    block = text.split("who learns s", 1)[1]
    assert "b learns s" in block
    assert "b learns t" not in block and "t" not in block.replace("learns", "")


def test_a_yes_without_a_proof_stops_the_run(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(answer.Answerer, "proof", lambda self, know, target: None)
    with pytest.raises(InternalError, match="answer without a proof"):
        check_text(TWO_QUESTIONS)


def test_a_proof_of_another_question_stops_the_run(monkeypatch: pytest.MonkeyPatch) -> None:
    real = answer.Answerer.proof
    from tipasp.terms import Name

    def wrong(self: answer.Answerer, know: object, target: object) -> object:
        return real(self, know, Name("t"))  # type: ignore[arg-type]

    monkeypatch.setattr(answer.Answerer, "proof", wrong)
    with pytest.raises(InternalError, match="is for b learning t, not b learning s"):
        check_text(TWO_QUESTIONS.replace("query b learns t\n", ""))


def test_no_proofs_means_no_proof_and_no_error() -> None:
    learns_t, who_s = check_text(TWO_QUESTIONS, proofs=False)
    assert learns_t["answer"] is True and learns_t["proof"] is None
    assert who_s["learners"][0]["proof"] is None


def test_cli_exits_3_on_a_yes_without_a_proof(monkeypatch: pytest.MonkeyPatch,
                                               tmp_path, capsys) -> None:
    spec = write_spec(tmp_path, TWO_QUESTIONS)
    monkeypatch.setattr(answer.Answerer, "proof", lambda self, know, target: None)
    code, _, err = run_main(capsys, "check", spec)
    assert code == 3 and "answer without a proof" in err


def test_every_yes_of_every_answered_place_has_a_proof() -> None:
    for r in check_text(TWO_QUESTIONS):
        for place in answered(r):
            assert place["_proof"] is not None and place["proof"] is not None
    assert report.InternalError is InternalError


def test_why_not_finds_the_mask_behind_a_decrypted_sum() -> None:
    """`enc(k, s + r)` with k known: r alone suffices (found by exact elimination;
    the symbolic why-not peels only received linear terms)."""
    (res,) = check_text("agent a, b\nsecret s @ a\nkey k @ a, b\nrandom r @ a\n"
                  "a -> b : enc(k, s + r)\nquery b learns s\n")
    assert res["answer"] is False
    assert res["why_not"] == "b would learn s with r (held by a)"


def test_why_not_says_when_the_value_is_learned_later() -> None:
    (res,) = check_text("agent a, b\nsecret s @ a\nkey k @ a, b\nfirst: a -> b : hash(s)\n"
                  "second: a -> b : enc(k, s)\nquery b learns s after first\n")
    assert res["answer"] is False
    assert res["why_not"].startswith("b learns s only later, at step 2 (line 5); after step 1:")


def test_complete_is_true_when_every_single_agent_was_decided() -> None:
    """65 candidates (more than are decided one by one): group testing decides them
    all, so `complete` is true; the collude group {server, u[2], u[5]} misses u[64]'s
    mask, so nobody learns x[1]."""
    from tipasp.frontend import load

    model = load("examples/secure_sum.tip", {"N": 64})
    who = next(r for r in check_spec(model, Options()) if r["kind"] == "who_learns")
    assert who["complete"] is True
    assert who["learners"] == []


def test_complete_is_true_for_a_large_group_that_does_not_learn() -> None:
    text = ("const N = 20\nagent server\nagent u[1..N]\nsecret x[i] @ u[i] for i in 1..N\n"
            "random m[i] @ u[i] for i in 1..N\n"
            "u[i] -> server : x[i] + m[i] for i in 1..N\n"
            "collude u[2..N]\nquery who learns x[1]\n")
    (who,) = check_text(text)
    assert who["complete"] is True and who["learners"] == []


def test_why_not_offers_the_value_inside_a_composite_mask() -> None:
    """`x + exp(g, r)`: giving r lets b build the mask and subtract it."""
    (res,) = check_text("agent a, b\npublic g\nrandom r @ a\nsecret x @ a\n"
                  "a -> b : x + exp(g, r)\nquery b learns x\n")
    assert res["why_not"] == "b would learn x with r (held by a)"
