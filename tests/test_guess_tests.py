"""The offline-guessing tests of docs/language.md, as the independent checker decides
them (proofcheck.GuessTest): each case says what a knower of the listed terms can
or cannot test about a guess of `w`. The engine's rules (rules/guessing.lp) and
the reference closure (tests/reference.py) implement the same definition; these
cases pin the definition itself."""

from __future__ import annotations

import pytest

from tipasp.proofcheck import GuessTest, parse

TESTABLE = [
    # rebuild a known term from the guess
    ("w", ["hash(w)"]),
    ("w", ["enc(w, n)", "n"]),
    ("w", ["hash((w, hash(n)))", "hash(n)"]),
    ("w", ["hash((w, hash(n)))", "n"]),
    ("w", ["hash(w + r)", "r"]),
    ("w", ["exp(g, w)", "g"]),
    # decrypt with the guess and recognise the plaintext
    ("w", ["enc(w, (n, n))"]),
    ("w", ["enc(w, ((n, n), m))"]),
    ("w", ["enc(w, n)", "enc(hash(w), n)"]),
    ("w", ["enc(w, n)", "enc(w, f(n))"]),
    ("w", ["enc(w, (n, f(n)))"]),
    ("w", ["enc(w, n)", "hash(n)"]),
    ("w", ["enc(w, hash(w))"]),
    ("w", ["enc(hash((w, s)), (n, n))", "s"]),
]

UNTESTABLE = [
    # a known term that merely contains the secret tests nothing
    ("w", ["(enc(kp, w), r)", "r"]),
    ("w", ["enc(kp, w)"]),
    ("w", ["mac(kp, w)"]),
    ("w", ["hash((w, salt))"]),
    ("w", ["w + r"]),
    ("w", ["enc(k, w + r)", "k"]),
    # an unstructured plaintext: every key decrypts it to something
    ("w", ["enc(w, n)"]),
    ("w", ["enc(w, (n, m))"]),
    # re-encrypting what the guessed key decrypted gives the ciphertext back
    ("w", ["enc(w, n)", "hash(enc(w, n))"]),
    # the key cannot be rebuilt without its other part
    ("w", ["enc(hash((w, s)), (n, n))"]),
]


@pytest.mark.parametrize(("w", "known"), TESTABLE)
def test_a_guess_can_be_tested(w: str, known: list[str]) -> None:
    assert GuessTest(parse(w), {parse(k) for k in known}).tested()


@pytest.mark.parametrize(("w", "known"), UNTESTABLE)
def test_a_guess_cannot_be_tested(w: str, known: list[str]) -> None:
    assert not GuessTest(parse(w), {parse(k) for k in known}).tested()


def _spec(known: list[str]) -> str:
    lines = ["agent a, b", "secret w @ a range 0..99", "random n, m, r, s, salt, kp, k @ a",
             "public g", "function f/1"]
    lines += [f"a -> b : {t}" for t in known]
    lines.append("query b learns w")
    return "\n".join(lines) + "\n"


CASES = [(w, k, True) for w, k in TESTABLE] + [(w, k, False) for w, k in UNTESTABLE]


@pytest.mark.parametrize(("w", "known", "expected"), CASES)
def test_the_engine_guesses_exactly_when_the_checker_can_test(
        w: str, known: list[str], expected: bool) -> None:
    """The closure (rules/guessing.lp) and the checker agree on every case above, and
    every "yes" comes with a proof the checker accepts (check_spec runs it)."""
    from tipasp.answer import Options
    from tipasp.frontend import load_text
    from tipasp.report import check_spec

    (res,) = check_spec(load_text(_spec(known), "guess.tip"), Options())
    assert res.answer is expected, res.why_not
    if expected:
        assert res.learner is not None and res.learner.proof is not None
