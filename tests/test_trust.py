"""Trust: no "yes" without a checked proof of its own, no proof under the wrong
question, why-nots that tell the truth (issue: trust)."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest
from conftest import check_text, run_main, write_spec

from tipasp import answer, report
from tipasp.answer import Options
from tipasp.proof import Proof
from tipasp.report import InternalError, check_spec, render_text
from tipasp.results import Learns, WhoLearns
from tipasp.terms import GTerm, Name, show

TWO_QUESTIONS = """\
agent a, b
secret s @ a
secret t @ a
key k @ a, b
a -> b : enc(k, (s, t))
query b learns t
query who learns s
"""


def _two(**options: object) -> tuple[Learns, WhoLearns]:
    learns_t, who_s = check_text(TWO_QUESTIONS, **options)
    assert isinstance(learns_t, Learns) and isinstance(who_s, WhoLearns)
    return learns_t, who_s


def test_each_learner_carries_the_proof_of_its_own_question() -> None:
    learns_t, who_s = _two()
    assert learns_t.learner is not None and learns_t.learner.proof is not None
    assert learns_t.learner.proof.target == Name("t")
    (learner,) = who_s.learners
    assert learner.coalition == (Name("b"),)
    assert learner.proof is not None and learner.proof.target == Name("s")
    assert who_s.to_json()["learners"][0]["proof"]["steps"][-1]["term"] == "s"


def test_a_learner_without_a_proof_is_never_shown_another_questions_proof() -> None:
    """The text report used to look proofs up by coalition, across questions: with
    `query b learns t` before `query who learns s`, a learner of s without a proof
    of its own was printed with the proof of t. (A learner without a proof is what
    `--no-proofs` gives: one line.)"""
    learns_t, who_s = _two()
    bare = replace(who_s, learners=(replace(who_s.learners[0], proof=None),))
    text = render_text([learns_t, bare])
    block = text.split("who learns s", 1)[1]
    assert "b learns s" in block
    assert "b learns t" not in block and "t" not in block.replace("learns", "")


PROOFLESS_S = ["query b learns s", "query who learns s", "assert not b learns s",
               "assert nobody learns s"]
"""Every kind of question whose answer has a learner: of s, after `query b learns t`."""


def _no_proof_for_s(monkeypatch: pytest.MonkeyPatch) -> None:
    """The prover finds no proof for s, and still proves t."""
    real = answer.Answerer.proof

    def proof(self: answer.Answerer, know: object, target: GTerm) -> Proof | None:
        return None if target == Name("s") else real(self, know, target)  # type: ignore[arg-type]

    monkeypatch.setattr(answer.Answerer, "proof", proof)


@pytest.mark.parametrize("question", PROOFLESS_S)
def test_a_learner_without_a_proof_stops_the_run_not_borrowing_another(
        question: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """One learner without a proof of its own, after a question with a proof for the
    same coalition: check_spec stops with an InternalError that names the learner
    and its own target, whatever kind of question the learner answers."""
    _no_proof_for_s(monkeypatch)
    with pytest.raises(InternalError) as err:
        check_text(TWO_QUESTIONS.replace("query who learns s\n", question + "\n"))
    assert str(err.value) == ("internal error: answer without a proof: line 7 says b "
                              "learns s, and no proof of it was found")


@pytest.mark.parametrize("as_json", [False, True])
@pytest.mark.parametrize("question", PROOFLESS_S)
def test_cli_exits_3_on_a_learner_without_a_proof_and_prints_no_proof(
        question: str, as_json: bool, monkeypatch: pytest.MonkeyPatch, tmp_path,
        capsys: pytest.CaptureFixture[str]) -> None:
    """`tipasp check` prints nothing on standard output (neither the proof of t nor
    a "yes" for s), says why on standard error, and exits 3."""
    spec = write_spec(tmp_path, TWO_QUESTIONS.replace("query who learns s\n", question + "\n"))
    _no_proof_for_s(monkeypatch)
    code, out, err = run_main(capsys, "check", spec, *(["--json"] if as_json else []))
    assert code == 3 and out == ""
    assert "answer without a proof: line 7 says b learns s" in err
    assert "receives" not in err and "learns t" not in err


def test_no_proofs_prints_each_learner_as_one_line_under_its_own_question(
        tmp_path, capsys: pytest.CaptureFixture[str]) -> None:
    """With `--no-proofs` every learner is one line under its own question, and its
    proof is null in JSON."""
    spec = write_spec(tmp_path, TWO_QUESTIONS + "assert not b learns s\n")
    code, out, _ = run_main(capsys, "check", spec, "--no-proofs")
    assert code == 1 and out == (
        "line 6: b learns t? yes\n\n"
        "line 7: who learns s\n  holders: a\n  b learns s\n\n"
        "line 8: assert not b learns s: FAILS\n  counterexample: b learns s\n\n")
    code, out, _ = run_main(capsys, "check", spec, "--no-proofs", "--json")
    learns_t, who_s, not_s = json.loads(out)["results"]
    assert code == 1 and learns_t["proof"] is None and who_s["learners"][0]["proof"] is None
    assert not_s["counterexample"] == {"coalition": ["b"], "proof": None}


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
    learns_t, who_s = _two(proofs=False)
    assert learns_t.answer is True and learns_t.learner is not None
    assert learns_t.learner.proof is None and learns_t.to_json()["proof"] is None
    assert who_s.learners[0].proof is None


def test_cli_exits_3_on_a_yes_without_a_proof(monkeypatch: pytest.MonkeyPatch,
                                               tmp_path, capsys) -> None:
    spec = write_spec(tmp_path, TWO_QUESTIONS)
    monkeypatch.setattr(answer.Answerer, "proof", lambda self, know, target: None)
    code, _, err = run_main(capsys, "check", spec)
    assert code == 3 and "answer without a proof" in err


def test_every_yes_of_every_answered_place_has_a_proof() -> None:
    for r in check_text(TWO_QUESTIONS):
        for learner in r.answered():
            assert learner.proof is not None
            assert learner.proof.coalition == tuple(show(a) for a in learner.coalition)
            assert show(learner.proof.target) == show(r.target)
    assert report.InternalError is InternalError


def test_why_not_finds_the_mask_behind_a_decrypted_sum() -> None:
    """`enc(k, s + r)` with k known: r alone suffices (found by exact elimination;
    the symbolic why-not peels only received linear terms)."""
    (res,) = check_text("agent a, b\nsecret s @ a\nkey k @ a, b\nrandom r @ a\n"
                  "a -> b : enc(k, s + r)\nquery b learns s\n")
    assert isinstance(res, Learns) and res.answer is False
    assert res.why_not == "b would learn s with r (held by a)"


def test_why_not_says_when_the_value_is_learned_later() -> None:
    (res,) = check_text("agent a, b\nsecret s @ a\nkey k @ a, b\nfirst: a -> b : hash(s)\n"
                  "second: a -> b : enc(k, s)\nquery b learns s after first\n")
    assert isinstance(res, Learns) and res.answer is False and res.why_not is not None
    assert res.why_not.startswith("b learns s only later, at step 2 (line 5); after step 1:")


def test_complete_is_true_when_every_single_agent_was_decided() -> None:
    """65 candidates (more than are decided one by one): group testing decides them
    all, so `complete` is true; the collude group {server, u[2], u[5]} misses u[64]'s
    mask, so nobody learns x[1]."""
    from tipasp.frontend import load

    model = load("examples/secure_sum.tip", {"N": 64})
    who = next(r for r in check_spec(model, Options()) if isinstance(r, WhoLearns))
    assert who.complete is True
    assert who.learners == ()


def test_complete_is_true_for_a_large_group_that_does_not_learn() -> None:
    text = ("const N = 20\nagent server\nagent u[1..N]\nsecret x[i] @ u[i] for i in 1..N\n"
            "random m[i] @ u[i] for i in 1..N\n"
            "u[i] -> server : x[i] + m[i] for i in 1..N\n"
            "collude u[2..N]\nquery who learns x[1]\n")
    (who,) = check_text(text)
    assert isinstance(who, WhoLearns)
    assert who.complete is True and who.learners == ()


def test_why_not_offers_the_value_inside_a_composite_mask() -> None:
    """`x + exp(g, r)`: giving r lets b build the mask and subtract it."""
    (res,) = check_text("agent a, b\npublic g\nrandom r @ a\nsecret x @ a\n"
                  "a -> b : x + exp(g, r)\nquery b learns x\n")
    assert isinstance(res, Learns) and res.why_not == "b would learn x with r (held by a)"
