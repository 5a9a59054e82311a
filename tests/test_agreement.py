"""Differential tests: the engine against the naive reference closure (tests/reference.py).

Random spec TEXTS (tests/specgen.py) go through the whole public path: the parser, the
resolver, `report.check_spec` (sender checks, answers, proofs and the independent proof
checker). For every agent alone and every collude group, and for every declared value
and a few composite and linear targets, the engine's answer must be the reference's;
a "yes" must carry a proof. `who learns` must name the reference's holders and minimal
learners. Then the known bugs, one plain test each, with the reference checked on the
same specs first (so that a failure there is the engine's).
"""

from __future__ import annotations

import os

import pytest
import reference
from hypothesis import HealthCheck, Phase, assume, given, settings
from hypothesis import strategies as st
from specgen import GenSpec, coal_text, specs

from tipasp import frontend, ground
from tipasp.answer import Options
from tipasp.errors import SpecError
from tipasp.model import Model, Query
from tipasp.report import check_spec
from tipasp.results import Assertion, Learns, Result, WhoLearns
from tipasp.terms import Name, show

# TIPASP_EXAMPLES=N runs N examples per random test (a longer hunt for disagreements)
EXAMPLES = int(os.environ.get("TIPASP_EXAMPLES", "0")) or None
# Shrinking a failure can take minutes: off unless TIPASP_SHRINK=1 (specs are small anyway)
PHASES = [p for p in Phase if p != Phase.shrink or os.environ.get("TIPASP_SHRINK") == "1"]
SETTINGS = settings(max_examples=EXAMPLES or 80, deadline=None, phases=PHASES,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


def run(model: Model) -> list[Result]:
    return check_spec(model, Options())


def run_or_skip(model: Model) -> list[Result]:
    """check_spec; a spec the engine rejects is skipped here (the senders test reports
    it); any other error fails with the spec's text."""
    try:
        return run(model)
    except SpecError as e:
        assume("cannot send" not in str(e))
        raise AssertionError(f"{model.source}\n{e}") from e
    except Exception as e:  # e.g. InternalError: a yes without a proof
        raise AssertionError(f"{model.source}\n{type(e).__name__}: {e}") from e


def after_text(after: int | None) -> str:
    return "" if after is None else f" after {after}"


def coalition_of(q: Query) -> tuple[Name, ...]:
    return tuple(sorted({ground.agent(a, {}) for a in q.coalition or ()}))


def names(xs) -> list[str]:
    return sorted(show(x) for x in xs)


# ------------------------------------------------------------- random specs


# Catches: any rule of docs/language.md that the engine applies wrongly or misses, for a
# fixed coalition (tuples, enc/aenc/sign, building, DH, exact linear knowledge, shares,
# offline guessing, eavesdroppers, broadcasts, `after`), and a "yes" without a proof.
@SETTINGS
@given(specs(questions=False), st.data())
def test_learns_agrees_with_reference(spec: GenSpec, data: st.DataObject) -> None:
    after = data.draw(st.one_of(st.none(), st.integers(0, spec.steps)), label="after")
    qs = [f"query {coal_text(c)} learns {t}{after_text(after)}"
          for c in spec.coalitions() for t in spec.targets]
    model = frontend.load_text(spec.text(qs))
    results = run_or_skip(model)
    ref = reference.spec_of(model)
    closures: dict[tuple[Name, ...], reference.Closure] = {}
    bad = []
    for q, res in zip(model.questions, results, strict=True):
        coal = coalition_of(q)
        if coal not in closures:
            closures[coal] = reference.closure(ref, coal, q.after)
        want = closures[coal].learns(ground.term(q.target, {}))
        assert isinstance(res, Learns)
        if res.answer != want:
            bad.append(f"{q.text}: engine {res.answer}, reference {want}")
        elif want and (res.learner is None or res.learner.proof is None):
            bad.append(f"{q.text}: yes without a proof")
    assert not bad, spec.text() + "\n" + "\n".join(bad)


# Catches: the coalition search (`who learns`) missing a minimal learner, naming a
# non-minimal one, counting a holder, or calling a secret public.
@SETTINGS
@given(specs(questions=False), st.data())
def test_who_learns_agrees_with_reference(spec: GenSpec, data: st.DataObject) -> None:
    after = data.draw(st.one_of(st.none(), st.integers(0, spec.steps)), label="after")
    qs = [f"query who learns {t}{after_text(after)}" for t in spec.targets]
    model = frontend.load_text(spec.text(qs))
    results = run_or_skip(model)
    ref = reference.spec_of(model)
    bad = []
    for q, res in zip(model.questions, results, strict=True):
        want = reference.who_learns(ref, ground.term(q.target, {}), q.after)
        assert isinstance(res, WhoLearns)
        got_learners = {tuple(show(a) for a in lr.coalition) for lr in res.learners}
        want_learners = {tuple(names(c)) for c in want.learners}
        got_holders = names(res.holders)
        if (got_learners, got_holders, res.public) != (
                want_learners, names(want.holders), want.public):
            bad.append(f"{q.text}: engine holders {got_holders} public {res.public} "
                       f"learners {sorted(got_learners)}; reference holders "
                       f"{names(want.holders)} public {want.public} "
                       f"learners {sorted(want_learners)}")
        missing = [names(lr.coalition) for lr in res.learners if lr.proof is None]
        if missing:
            bad.append(f"{q.text}: learners without a proof: {missing}")
    assert not bad, spec.text() + "\n" + "\n".join(bad)


# Catches: a sender check that rejects a message its sender can build (every generated
# message is built from what the sender holds, public terms, and what it received).
@settings(max_examples=EXAMPLES or 100, deadline=None, phases=PHASES,
          suppress_health_check=[HealthCheck.too_slow])
@given(specs(questions=False))
def test_senders_can_send_generated_messages(spec: GenSpec) -> None:
    model = frontend.load_text(spec.text([]))
    try:
        run(model)
    except SpecError as e:
        pytest.fail(f"{spec.text()}\n{e}")


# ---------------------------------------------------------------- known bugs


def answers(text: str) -> list[Result]:
    return run(frontend.load_text(text))


def ref_answers(text: str) -> list[bool | reference.Who]:
    """The reference's answer to each question of the spec (a bool, or a Who)."""
    model = frontend.load_text(text)
    ref = reference.spec_of(model)
    out = []
    for q in model.questions:
        t = ground.term(q.target, {})
        if q.coalition is None:
            out.append(reference.who_learns(ref, t, q.after))
        else:
            out.append(reference.learns(ref, coalition_of(q), t, q.after))
    return out


def yes_no(results: list[Result]) -> list[bool]:
    out = []
    for r in results:
        if isinstance(r, Learns):
            out.append(r.answer)
            if r.learner is not None:
                assert r.learner.proof is not None, f"line {r.line}: yes without a proof"
        else:
            assert isinstance(r, Assertion)
            out.append(r.holds)
    return out


GUESS_ENC_PART = """agent a, b
secret s @ a range 0..9
key kp @ a
random r @ a
a -> b : (enc(kp, s), r)
query b learns s
"""

GUESS_MAC_PART = GUESS_ENC_PART.replace("enc(kp, s)", "mac(kp, s)")

GUESS_SALT = """agent a, b
secret pin @ a range 0..9
secret pin2 @ a range 0..9
random salt @ a
a -> b : (hash(pin), hash((pin2, salt)))
query b learns pin
query b learns pin2
"""

GUESS_MASKED = """agent a, b
secret s @ a range 0..9
key k @ a, b
random r @ a
a -> b : enc(k, s + r)
query b learns s
"""

CANCEL = """agent a, b
secret x @ a
secret y @ a
a -> b : x + y - y
query b learns x
query who learns x + y - y
"""

GUESS_NESTED = """agent a, b, eve
secret pin @ a range 0..9
random n @ a
a -> b : n
a -> b : {msg}
eavesdropper eve
query eve learns pin
"""

GUESS_REDUNDANT = """agent a, b
function f/1
secret pw @ a range 0..9
random n @ a
{msgs}
query b learns pw
"""

CANCEL_ENC = """agent a, b
secret x @ a
secret y @ a
key k @ a, b
a -> b : enc(k, x + y - y)
query b learns x
"""

SHARES_LINEAR = """agent a, b
secret x @ a
secret y @ a
shares s[1..3] of x + y threshold 2 @ a
a -> b : s[1]
a -> b : s[2]
query b learns x + y
assert not b learns x + y
"""

SHARES_TUPLE = """agent a, b
secret x @ a
random r @ a
shares t[1..3] of (x, r) threshold 2 @ a
a -> b : t[1]
a -> b : t[2]
query b learns x
{extra}"""

# (spec, expected answers: learns -> answer, assert -> holds)
CASES = {
    # 1. a known part that merely contains the secret tests nothing
    "enc-part-unknown-key": (GUESS_ENC_PART, [False]),
    "mac-part-unknown-key": (GUESS_MAC_PART, [False]),
    "salted-hash": (GUESS_SALT, [True, False]),
    # 2. s + r cannot be rebuilt without r
    "masked-plaintext": (GUESS_MASKED, [False]),
    # 3. x + y - y is x
    "cancelling-sum": (CANCEL, [True]),
    # 4. rebuild nested terms from the guess and known parts
    "hash-of-hash": (GUESS_NESTED.format(msg="hash((pin, hash(n)))"), [True]),
    "hash-of-pair": (GUESS_NESTED.format(msg="hash((pin, (n, n)))"), [True]),
    "enc-known-plaintext": (GUESS_NESTED.format(msg="enc(pin, (n, b))"), [True]),
    # 5. a decryption under the guess is recognised by redundancy
    "two-equal-parts": (GUESS_REDUNDANT.format(msgs="a -> b : enc(pw, (n, n))"), [True]),
    "related-plaintexts": (GUESS_REDUNDANT.format(
        msgs="a -> b : enc(pw, n)\na -> b : enc(pw, f(n))"), [True]),
    "one-ciphertext": (GUESS_REDUNDANT.format(msgs="a -> b : enc(pw, n)"), [False]),
    # 6. a cancelling sum inside a ciphertext
    "cancelling-sum-encrypted": (CANCEL_ENC, [True]),
    # 7. shares of a linear term and of a tuple
    "shares-of-sum": (SHARES_LINEAR, [True, False]),
    "shares-of-tuple": (SHARES_TUPLE.format(extra=""), [True]),
    "shares-of-tuple-asked": (SHARES_TUPLE.format(extra="query b learns (x, r)\n"),
                              [True, True]),
}


# The guessing definition of tests/reference.py on its own examples (tests and
# non-tests): b receives the messages; pw is a range secret of a, n a nonce of a.
GUESS_DEF = """agent a, b
function f/1
secret pw @ a range 0..9
random n @ a
{msgs}
query b learns pw
"""
DEFINITION_CASES = {
    "enc-alone": ("a -> b : enc(pw, n)", False),
    "same-plaintext-two-keys": ("a -> b : enc(pw, n)\na -> b : enc(hash(pw), n)", True),
    "plaintext-and-its-hash": ("a -> b : enc(pw, (n, hash(n)))", True),
    "plaintext-hash-known": ("a -> b : enc(pw, n)\na -> b : hash(n)", True),
    "plaintext-is-key": ("a -> b : enc(pw, pw)", True),
    "known-plaintext-hashed-key": ("a -> b : n\na -> b : enc(hash(pw), n)", True),
    "mac-known-message": ("a -> b : n\na -> b : mac(pw, n)", True),
    "mac-unknown-message": ("a -> b : mac(pw, n)", False),
    "nested-ciphertext-known": ("a -> b : enc(pw, n)\na -> b : enc(hash(pw), enc(pw, n))",
                                True),
    # re-encrypting the opened plaintext inside a larger known term tests nothing
    "reencrypt-in-tuple": ("a -> b : (enc(pw, n), a)", False),
    "reencrypt-under-hash": ("a -> b : enc(pw, n)\na -> b : hash(enc(pw, n))", False),
    "reencrypt-under-f": ("a -> b : (enc(pw, n), f(enc(pw, n)))", False),
}


# Catches: a guessing test the definition does not allow (unsound) or misses.
@pytest.mark.parametrize("name", sorted(DEFINITION_CASES))
def test_guessing_definition_examples(name: str) -> None:
    msgs, expected = DEFINITION_CASES[name]
    text = GUESS_DEF.format(msgs=msgs)
    assert ref_answers(text) == [expected], "the reference"
    assert yes_no(answers(text)) == [expected], "the engine"


# Disagreements the random tests found beyond the list above (minimised by hand).
NEW_CASES = {
    # a linear term inside a composite, built from an atom the sender got by splitting
    # (or decrypting): "a cannot send hash(n + r) ... it does not know n + r"
    "sender-linear-from-split": ("""agent a, b
random r @ b
random n @ a
b -> a : (r, r)
a -> b : hash(r + n)
query b learns hash(r + n)
""", [True]),
    # a composite atom of a linear term that the knower can build (hash(x), x known)
    "linear-composite-atom": ("""agent a, b
secret x @ a, b
random s @ a
a -> b : s + hash(x)
query b learns s
""", [True]),
    # a linear target from a linear tuple part: yes, but no proof
    "linear-target-from-tuple-part": ("""agent a, b
secret x @ a
secret y @ b
random m @ a, b
b -> a : (a, y + m)
query a learns x + y
""", [True]),
    # a linear target from a plaintext with a coefficient: yes, but no proof
    "linear-target-from-plaintext": ("""agent a, b
secret x @ a, b
secret y @ a
key k @ a, b
a -> b : enc(k, 2 * y + x)
query b learns x + y
""", [True]),
    # a linear target that needs a guessed atom: yes, but no proof
    "linear-target-after-guess": ("""agent a, d
secret x @ d
secret y @ a
secret pin @ a range 0..9
function f/1
a -> d : f(pin)
a -> d : y - pin
query d learns x + y
""", [True]),
    # a composite target with a linear part over a guessed atom
    "composite-target-after-guess": ("""agent a, c
secret pin @ c range 0..9
random n @ a
c -> a : hash(pin)
query a learns pin
query a learns hash(n + pin)
""", [True, True]),
    # the rebuild test needs s, determined by the linear part 2 * s of the same tuple
    "guess-with-linear-atom": ("""agent a, b
secret pin @ a range 0..9
random s @ a
a -> b : (hash(pin + s), 2 * s)
query b learns pin
""", [True]),
    # a linear tuple part, then a multiple of it sent on: yes, but no proof
    "linear-tuple-part-resent": ("""agent b, c
secret y @ b
b -> c : (c, 2 * y)
c -> b : 4 * y
query c learns y
""", [True]),
    # exp terms up to the order of exponents: exp(exp(g, pin), r) is rebuilt as
    # exp(exp(g, r), guess) from the known exp(g, r)
    "guess-through-dh": ("""agent a, b, e
public g
secret pin @ a range 0..9
random r @ b
b -> a : exp(g, r)
a -> b : exp(exp(g, pin), r)
eavesdropper e
query e learns pin
""", [True]),
}


@pytest.mark.parametrize("name", sorted(CASES) + sorted(NEW_CASES))
def test_reference_on_known_bugs(name: str) -> None:
    """The oracle itself gives the expected answers (so the engine tests below are fair)."""
    text, expected = CASES.get(name) or NEW_CASES[name]
    got = ref_answers(text)
    want = iter(expected)
    model = frontend.load_text(text)
    for q, g in zip(model.questions, got, strict=True):
        if isinstance(g, reference.Who):
            continue
        e = next(want)
        if q.kind == "not_learns":
            g = not g
        assert g == e, f"{q.text}: reference {g}, expected {e}"


# Catches: bugs 1-7 of the trust issue (see CASES). Each fails while the engine has it.
@pytest.mark.parametrize("name", sorted(CASES))
def test_engine_on_known_bugs(name: str) -> None:
    text, expected = CASES[name]
    results = [r for r in answers(text) if not isinstance(r, WhoLearns)]
    assert yes_no(results) == expected


# Catches: the disagreements of NEW_CASES (found by the random tests above).
@pytest.mark.parametrize("name", sorted(NEW_CASES))
def test_engine_on_new_disagreements(name: str) -> None:
    text, expected = NEW_CASES[name]
    results = [r for r in answers(text) if not isinstance(r, WhoLearns)]
    assert yes_no(results) == expected


# Catches: bug 3 in `who learns`: x + y - y is x, held by a and learned by b.
def test_who_learns_cancelling_sum() -> None:
    (who,) = [r for r in answers(CANCEL) if isinstance(r, WhoLearns)]
    assert who.holders == (Name("a"),)
    assert [lr.coalition for lr in who.learners] == [(Name("b"),)]
    assert all(lr.proof is not None for lr in who.learners)
    ref = ref_answers(CANCEL)[1]
    assert ref == reference.Who(frozenset([Name("a")]), False,
                                frozenset([frozenset([Name("b")])]))


# Catches: bug 7, `assert not b learns x + y` holding although two shares give x + y.
def test_assert_not_learns_shares_of_sum_fails_with_proof() -> None:
    res = answers(SHARES_LINEAR)[1]
    assert isinstance(res, Assertion) and res.holds is False
    assert res.answered() and res.answered()[0].proof is not None
