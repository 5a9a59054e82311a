"""The independent proof checker: valid proofs of every rule pass, broken ones fail.

Models are built by hand from tipasp.model classes (the front end is not needed),
with source lines chosen to mirror a plausible spec so that leaf lines can be tested.
"""

from __future__ import annotations

import copy
import time
from typing import Any

import pytest
from conftest import CONTRACT_PROOF as CONTRACT
from hypothesis import given, settings
from hypothesis import strategies as st

from tipasp import proofcheck
from tipasp.model import (
    AgentDecl,
    AgentRef,
    Binder,
    Eavesdropper,
    FunctionDecl,
    Generator,
    IBin,
    IConst,
    IExpr,
    IVar,
    Keypair,
    Message,
    Model,
    Pos,
    Shares,
    TAgent,
    TApp,
    Term,
    TLin,
    TName,
    TSum,
    TTuple,
    ValueDecl,
)
from tipasp.proof import Proof, Step, parse_term
from tipasp.proofcheck import check, parse
from tipasp.terms import App, Lin, Name, Tup, lin, show

F = "spec.tip"


def pos(line: int) -> Pos:
    return Pos(F, line, 1)


def gen(var: str, lo: int | IExpr, hi: int | IExpr) -> Generator:
    lo_e = IConst(lo) if isinstance(lo, int) else lo
    hi_e = IConst(hi) if isinstance(hi, int) else hi
    return Generator((Binder(var, lo_e, hi_e),))


def ag(name: str, *index: IExpr) -> AgentRef:
    return AgentRef(name, tuple(index))


def nm(name: str, *index: IExpr) -> TName:
    return TName(name, tuple(index))


def app(fn: str, *args: Term) -> TApp:
    return TApp(fn, tuple(args))


VI = IVar("i")


def make_model(**kw: Any) -> Model:
    base: dict[str, Any] = dict(
        file=F, source="", consts={}, agents=(), values=(), keypairs=(), functions=(),
        messages=(), colludes=(), corrupts=(), eavesdroppers=(), questions=(), names={},
        labels={},
    )
    base.update(kw)
    return Model(**base)


def secure_sum(n: int = 5) -> Model:
    """docs/language.md: masks shared with the next user, ring-masked inputs."""
    nxt = IBin("+", IBin("%", VI, IConst(n)), IConst(1))            # i % N + 1
    prev = IBin("+", IBin("%", IBin("+", VI, IConst(n - 2)), IConst(n)), IConst(1))
    return make_model(
        consts={"N": n},
        agents=(AgentDecl("server", (), pos(4)), AgentDecl("u", ((1, n),), pos(5))),
        values=(
            ValueDecl("secret", "x", (VI,), (ag("u", VI),), gen("i", 1, n), pos(7)),
            ValueDecl("random", "m", (VI,), (ag("u", VI), ag("u", nxt)), gen("i", 1, n), pos(8)),
        ),
        messages=(
            Message(1, None, ag("u", VI), ag("server"),
                    TLin(((1, nm("x", VI)), (1, nm("m", VI)), (-1, nm("m", prev)))),
                    gen("i", 1, n), pos(10)),
            Message(2, None, ag("server"), None, TSum(nm("x", VI), gen("i", 1, n)), None, pos(11)),
        ),
    )


K = IVar("#k")


def crypto() -> Model:
    """A small protocol exercising every rule.

    line  1  agent alice, bob, eve, server, carol
    line  2  key k @ alice, bob
    line  3  secret s @ alice
    line  4  secret pin @ alice range 0..9999
    line  5  keypair alice, bob
    line  6  public g, n0
    line  7  random a @ alice
    line  8  random b @ bob
    line  9  function f/2
    line 10  shares sh[1..5] of s threshold 3 @ alice
    line 11  secret big @ alice range 0..2**50
    line 12  secret q @ alice
    line 13  key k2 @ bob
    line 20  step 1   alice -> bob : enc(k, (s, pin))
    line 21  step 2   alice -> bob : aenc(pk(bob), s)
    line 22  step 3   alice -> bob : sign(sk(alice), s)
    line 23  step 4   alice -> bob : exp(g, a)
    line 24  step 5   alice -> * : hash(pin)
    line 25  step 6   alice -> bob : (sh[1], sh[2])
    line 26  step 7   alice -> server : sh[3]
    line 27  step 8   bob -> alice : exp(g, b)
    line 28  step 9   alice -> * : (hash(big), hash(q))
    line 29  step 10  alice -> bob : enc(pin, n0)
    line 30  eavesdropper eve on alice -> bob
    """
    alice, bob = ag("alice"), ag("bob")
    agents = tuple(AgentDecl(a, (), pos(1)) for a in ("alice", "bob", "eve", "server", "carol"))
    values = (
        ValueDecl("key", "k", (), (alice, bob), None, pos(2)),
        ValueDecl("secret", "s", (), (alice,), None, pos(3)),
        ValueDecl("secret", "pin", (), (alice,), None, pos(4), range=(0, 9999)),
        ValueDecl("public", "g", (), (), None, pos(6)),
        ValueDecl("public", "n0", (), (), None, pos(6)),
        ValueDecl("random", "a", (), (alice,), None, pos(7)),
        ValueDecl("random", "b", (), (bob,), None, pos(8)),
        ValueDecl("share", "sh", (K,), (alice,), gen("#k", 1, 5), pos(10),
                  shares=Shares(nm("s"), 5, 3)),
        ValueDecl("secret", "big", (), (alice,), None, pos(11), range=(0, 2**50)),
        ValueDecl("secret", "q", (), (alice,), None, pos(12)),
        ValueDecl("key", "k2", (), (bob,), None, pos(13)),
    )
    msgs = (
        Message(1, None, alice, bob, app("enc", nm("k"), TTuple((nm("s"), nm("pin")))), None,
                pos(20)),
        Message(2, None, alice, bob, app("aenc", app("pk", TAgent(bob)), nm("s")), None, pos(21)),
        Message(3, None, alice, bob, app("sign", app("sk", TAgent(alice)), nm("s")), None,
                pos(22)),
        Message(4, None, alice, bob, app("exp", nm("g"), nm("a")), None, pos(23)),
        Message(5, None, alice, None, app("hash", nm("pin")), None, pos(24)),
        Message(6, None, alice, bob, TTuple((nm("sh", IConst(1)), nm("sh", IConst(2)))), None,
                pos(25)),
        Message(7, None, alice, ag("server"), nm("sh", IConst(3)), None, pos(26)),
        Message(8, None, bob, alice, app("exp", nm("g"), nm("b")), None, pos(27)),
        Message(9, None, alice, None, TTuple((app("hash", nm("big")), app("hash", nm("q")))),
                None, pos(28)),
        Message(10, None, alice, bob, app("enc", nm("pin"), nm("n0")), None, pos(29)),
    )
    return make_model(
        agents=agents,
        values=values,
        keypairs=(Keypair(alice, None, pos(5)), Keypair(bob, None, pos(5))),
        functions=(FunctionDecl("f", 2, pos(9)),),
        messages=msgs,
        eavesdroppers=(Eavesdropper(ag("eve"), (alice, bob), None, pos(30)),),
    )


def leaf(rule: str, term: str, by: str, line: int, step: int | None = None) -> dict[str, Any]:
    d: dict[str, Any] = {"term": term, "rule": rule, "by": by}
    if step is not None:
        d["step"] = step
    d["line"] = line
    d["premises"] = []
    return d


def inf(rule: str, term: str, *premises: int, coefficients: list[Any] | None = None
        ) -> dict[str, Any]:
    d: dict[str, Any] = {"term": term, "rule": rule, "premises": list(premises)}
    if coefficients is not None:
        d["coefficients"] = coefficients
    return d


def proof(*steps: dict[str, Any]) -> dict[str, Any]:
    return {"steps": [{"id": k, **s} for k, s in enumerate(steps, start=1)]}


def assert_valid(p: dict[str, Any], model: Model, coalition: list[str], target: str,
                 **kw: Any) -> None:
    problems = check(p, model, coalition, target, **kw)
    assert problems == [], problems


def assert_invalid(p: dict[str, Any], model: Model, coalition: list[str], target: str,
                   *fragments: str, step: int | None = None, **kw: Any) -> list[str]:
    problems = check(p, model, coalition, target, **kw)
    assert problems, "a broken proof was accepted"
    text = "\n".join(problems)
    for frag in fragments:
        assert frag in text, (frag, problems)
    if step is not None:
        assert any(pr.startswith(f"step {step}") for pr in problems), problems
    return problems


# ------------------------------------------------------------------ the contract example

COAL = ["server", "u[2]", "u[5]"]


def test_contract_example_is_valid() -> None:
    assert_valid(CONTRACT, secure_sum(), COAL, "x[1]")


def test_contract_example_from_proof_objects() -> None:
    """The solver's data path: Proof -> to_json -> check."""
    x1, m1, m5 = Name("x", (1,)), Name("m", (1,)), Name("m", (5,))
    p = Proof(("server", "u[2]", "u[5]"), x1, (
        Step(1, lin([(x1, 1), (m1, 1), (m5, -1)]), "receives", by="server", step=1, line=10),
        Step(2, m1, "holds", by="u[2]", line=8),
        Step(3, m5, "holds", by="u[5]", line=8),
        Step(4, x1, "linear", (1, 2, 3), coefficients=(1, -1, 1)),
    ))
    assert_valid(p.to_json(), secure_sum(), list(p.coalition), show(p.target))


def _mut(p: dict[str, Any], sid: int, **changes: Any) -> dict[str, Any]:
    q = copy.deepcopy(p)
    q["steps"][sid - 1].update(changes)
    return q


def test_wrong_coefficient() -> None:
    bad = _mut(CONTRACT, 4, coefficients=[1, 1, 1])
    assert_invalid(bad, secure_sum(), COAL, "x[1]", "combination", step=4)


def test_coefficient_count_and_form() -> None:
    assert_invalid(_mut(CONTRACT, 4, coefficients=[1, -1]), secure_sum(), COAL, "x[1]", step=4)
    assert_invalid(_mut(CONTRACT, 4, coefficients=None), secure_sum(), COAL, "x[1]", step=4)
    assert_invalid(_mut(CONTRACT, 4, coefficients=[1, -1, 1.5]), secure_sum(), COAL, "x[1]",
                   step=4)


def test_fractional_coefficients() -> None:
    """`2 * x` known gives x with coefficient 1/2, written as the string "1/2"."""
    model = make_model(
        agents=(AgentDecl("a", (), pos(1)), AgentDecl("b", (), pos(1))),
        values=(ValueDecl("secret", "x", (), (ag("a"),), None, pos(2)),
                ValueDecl("secret", "y", (), (ag("b"),), None, pos(3))),
        messages=(Message(1, None, ag("a"), ag("b"), TLin(((2, nm("x")), (1, nm("y")))), None,
                          pos(5)),),
    )
    p = proof(leaf("receives", "2 * x + y", "b", 5, 1), leaf("holds", "y", "b", 3),
              inf("linear", "x", 1, 2, coefficients=["1/2", "-1/2"]))
    assert_valid(p, model, ["b"], "x")
    assert_invalid(_mut(p, 3, coefficients=["1/2", "-1"]), model, ["b"], "x", step=3)
    assert_invalid(_mut(p, 3, coefficients=["1/2", "-1/0"]), model, ["b"], "x", step=3)


def test_leaf_at_wrong_line_or_step() -> None:
    m = secure_sum()
    assert_invalid(_mut(CONTRACT, 2, line=7), m, COAL, "x[1]", "line 7", step=2)
    assert_invalid(_mut(CONTRACT, 1, line=11), m, COAL, "x[1]", step=1)
    assert_invalid(_mut(CONTRACT, 1, step=2), m, COAL, "x[1]", step=1)
    missing = copy.deepcopy(CONTRACT)
    del missing["steps"][0]["step"]
    assert_invalid(missing, m, COAL, "x[1]", "'step'", step=1)


def test_leaf_by_non_member() -> None:
    assert_invalid(CONTRACT, secure_sum(), ["server", "u[2]"], "x[1]", "not a member", step=3)


def test_holds_by_wrong_holder() -> None:
    # m[5] is held by u[5] and u[1], not by u[3].
    bad = _mut(CONTRACT, 3, by="u[3]")
    assert_invalid(bad, secure_sum(), [*COAL, "u[3]"], "x[1]", "does not hold", step=3)
    # ... but u[1] does hold it (the second holder, u[i % N + 1] with i = 5).
    p = _mut(CONTRACT, 3, by="u[1]")
    assert_valid(p, secure_sum(), [*COAL, "u[1]"], "x[1]")


def test_receives_wrong_term_or_receiver() -> None:
    m = secure_sum()
    assert_invalid(_mut(CONTRACT, 1, term="x[1] + m[1] - m[4]"), m, COAL, "x[1]", step=1)
    # u[2] does not receive u[1]'s message to the server.
    assert_invalid(_mut(CONTRACT, 1, by="u[2]"), m, COAL, "x[1]", step=1)


def test_broadcast_received_by_anyone() -> None:
    m = secure_sum()
    p = proof(leaf("receives", "x[1] + x[2] + x[3] + x[4] + x[5]", "u[3]", 11, 2))
    assert_valid(p, m, ["u[3]"], "x[1] + x[2] + x[3] + x[4] + x[5]")
    # The sum is printed in any order and still equal.
    assert_valid(p, m, ["u[3]"], "x[5] + x[4] + x[3] + x[2] + x[1]")


def test_forward_reference_and_bad_ids() -> None:
    m = secure_sum()
    fwd = _mut(CONTRACT, 2, premises=[3], rule="split")
    assert_invalid(fwd, m, COAL, "x[1]", "earlier", step=2)
    self_ref = _mut(CONTRACT, 4, premises=[1, 2, 4])
    assert_invalid(self_ref, m, COAL, "x[1]", step=4)
    ids = _mut(CONTRACT, 2, id=7)
    assert_invalid(ids, m, COAL, "x[1]", "1..n")


def test_last_step_not_target() -> None:
    assert_invalid(CONTRACT, secure_sum(), COAL, "x[2]", "not the target", step=4)
    short = {"steps": CONTRACT["steps"][:3]}
    assert_invalid(short, secure_sum(), COAL, "x[1]", "not the target")


def test_empty_and_malformed() -> None:
    assert check({"steps": []}, secure_sum(), COAL, "x[1]")
    assert check({}, secure_sum(), COAL, "x[1]")
    bad_term = _mut(CONTRACT, 2, term="m[1")
    assert_invalid(bad_term, secure_sum(), COAL, "x[1]", step=2)
    assert_invalid(_mut(CONTRACT, 4, rule="magic"), secure_sum(), COAL, "x[1]", "unknown rule")


def test_after_bounds_the_messages() -> None:
    m = secure_sum()
    assert_valid(CONTRACT, m, COAL, "x[1]", after=1)
    p = proof(leaf("receives", "x[1] + x[2] + x[3] + x[4] + x[5]", "server", 11, 2))
    assert_invalid(p, m, ["server"], "x[1] + x[2] + x[3] + x[4] + x[5]", "after", after=1)


def test_large_family_is_fast() -> None:
    """Leaf look-ups in a 10^5 family use the index structure, not a blind scan."""
    n = 100_000
    m = secure_sum(n)
    prev = (77_777 + n - 2) % n + 1
    p = proof(
        leaf("receives", f"x[77777] + m[77777] - m[{prev}]", "server", 10, 1),
        leaf("holds", "m[77777]", "u[77778]", 8),
        leaf("holds", f"m[{prev}]", f"u[{prev}]", 8),
        inf("linear", "x[77777]", 1, 2, 3, coefficients=[1, -1, 1]),
    )
    t0 = time.perf_counter()
    assert_valid(p, m, ["server", "u[77778]", f"u[{prev}]"], "x[77777]")
    assert time.perf_counter() - t0 < 1.0


# ----------------------------------------------------------------------- crypto rules

def test_decrypt_and_split() -> None:
    p = proof(
        leaf("receives", "enc(k, (s, pin))", "bob", 20, 1),
        leaf("holds", "k", "bob", 2),
        inf("decrypt", "(s, pin)", 1, 2),
        inf("split", "s", 3),
    )
    assert_valid(p, crypto(), ["bob"], "s")


def test_decrypt_broken() -> None:
    m = crypto()
    swapped = proof(
        leaf("receives", "enc(k, (s, pin))", "bob", 20, 1),
        leaf("holds", "k", "bob", 2),
        inf("decrypt", "(s, pin)", 2, 1),
    )
    assert_invalid(swapped, m, ["bob"], "(s, pin)", step=3)
    wrong_key = proof(
        leaf("receives", "enc(k, (s, pin))", "bob", 20, 1),
        leaf("holds", "k2", "bob", 13),
        inf("decrypt", "(s, pin)", 1, 2),
    )
    assert_invalid(wrong_key, m, ["bob"], "(s, pin)", "not the key", step=3)
    wrong_part = proof(
        leaf("receives", "enc(k, (s, pin))", "bob", 20, 1),
        leaf("holds", "k", "bob", 2),
        inf("decrypt", "(s, pin)", 1, 2),
        inf("split", "k", 3),
    )
    assert_invalid(wrong_part, m, ["bob"], "k", "not a part", step=4)


def test_adecrypt() -> None:
    m = crypto()
    p = proof(
        leaf("receives", "aenc(pk(bob), s)", "bob", 21, 2),
        leaf("holds", "sk(bob)", "bob", 5),
        inf("adecrypt", "s", 1, 2),
    )
    assert_valid(p, m, ["bob"], "s")
    # alice cannot hold bob's private key.
    bad = proof(
        leaf("receives", "aenc(pk(bob), s)", "bob", 21, 2),
        leaf("holds", "sk(bob)", "alice", 5),
        inf("adecrypt", "s", 1, 2),
    )
    assert_invalid(bad, m, ["alice", "bob"], "s", "does not hold", step=2)
    wrong_key = proof(
        leaf("receives", "aenc(pk(bob), s)", "bob", 21, 2),
        leaf("holds", "sk(alice)", "alice", 5),
        inf("adecrypt", "s", 1, 2),
    )
    assert_invalid(wrong_key, m, ["alice", "bob"], "s", "private key", step=3)


def test_unsign_and_pk() -> None:
    m = crypto()
    assert_valid(proof(leaf("receives", "sign(sk(alice), s)", "bob", 22, 3),
                       inf("unsign", "s", 1)), m, ["bob"], "s")
    assert_valid(proof(leaf("holds", "sk(bob)", "bob", 5), inf("pk", "pk(bob)", 1)),
                 m, ["bob"], "pk(bob)")
    # pk(a) is public: anyone holds it at the keypair line.
    assert_valid(proof(leaf("holds", "pk(alice)", "carol", 5)), m, ["carol"], "pk(alice)")
    assert_invalid(proof(leaf("holds", "sk(bob)", "bob", 5), inf("pk", "pk(alice)", 1)),
                   m, ["bob"], "pk(alice)", step=2)
    assert_invalid(proof(leaf("receives", "sign(sk(alice), s)", "bob", 22, 3),
                         inf("unsign", "pin", 1)), m, ["bob"], "pin", step=2)


def test_dh() -> None:
    m = crypto()
    p = proof(
        leaf("receives", "exp(g, a)", "bob", 23, 4),
        leaf("holds", "b", "bob", 8),
        inf("dh", "exp(exp(g, a), b)", 1, 2),
    )
    assert_valid(p, m, ["bob"], "exp(exp(g, a), b)")
    # The shared key is the same term whichever way round it is written.
    assert_valid(p, m, ["bob"], "exp(exp(g, b), a)")
    assert_valid(_mut(p, 3, term="exp(exp(g, b), a)"), m, ["bob"], "exp(exp(g, a), b)")
    assert_invalid(_mut(p, 3, term="exp(exp(g, a), a)"), m, ["bob"], "exp(exp(g, a), a)",
                   step=3)
    assert_invalid(_mut(p, 3, term="exp(exp(g, b), b)"), m, ["bob"], "exp(exp(g, b), b)",
                   step=3)
    # dh needs an exponential as its first premise.
    q = proof(leaf("holds", "g", "bob", 6), leaf("holds", "b", "bob", 8),
              inf("dh", "exp(g, b)", 1, 2))
    assert_invalid(q, m, ["bob"], "exp(g, b)", step=3)


def test_build() -> None:
    m = crypto()
    base = [leaf("holds", "k", "bob", 2), leaf("holds", "s", "alice", 3),
            leaf("holds", "g", "bob", 6), leaf("holds", "b", "bob", 8)]
    c = ["alice", "bob"]
    for term, prem in [("enc(k, s)", (1, 2)), ("(s, k)", (2, 1)), ("f(s, k)", (2, 1)),
                       ("hash(s)", (2,)), ("mac(k, s)", (1, 2)), ("exp(g, b)", (3, 4)),
                       ("(s, k, g)", (2, 1, 3))]:
        assert_valid(proof(*base, inf("build", term, *prem)), m, c, term)
    for term, prem in [("enc(k, s)", (2, 1)),          # wrong premise order
                       ("(s, k)", (1, 2)),
                       ("hash(s)", (1,)),
                       ("h(s, k)", (2, 1)),            # undeclared function
                       ("f(s)", (2,)),                 # wrong arity
                       ("k + s", (1, 2)),              # linear: a linear step
                       ("pk(bob)", (4,)),              # pk has its own rule
                       ("sk(bob)", (4,)),
                       ("enc(k, s)", (1, 2, 3))]:
        assert_invalid(proof(*base, inf("build", term, *prem)), m, c, term, step=5)


def test_reconstruct() -> None:
    m = crypto()
    p = proof(
        leaf("receives", "(sh[1], sh[2])", "bob", 25, 6),
        inf("split", "sh[1]", 1),
        inf("split", "sh[2]", 1),
        leaf("receives", "sh[3]", "server", 26, 7),
        inf("reconstruct", "s", 2, 3, 4),
    )
    assert_valid(p, m, ["bob", "server"], "s")
    few = _mut(p, 5, premises=[2, 3])
    assert_invalid(few, m, ["bob", "server"], "s", "threshold is 3", step=5)
    repeated = _mut(p, 5, premises=[2, 3, 2])
    assert_invalid(repeated, m, ["bob", "server"], "s", "2 distinct", step=5)
    wrong_value = _mut(p, 5, term="pin")
    assert_invalid(wrong_value, m, ["bob", "server"], "pin", step=5)
    # Dealer holds all shares at the declaration line.
    dealer = proof(leaf("holds", "sh[1]", "alice", 10), leaf("holds", "sh[4]", "alice", 10),
                   leaf("holds", "sh[5]", "alice", 10), inf("reconstruct", "s", 1, 2, 3))
    assert_valid(dealer, m, ["alice"], "s")
    assert_invalid(proof(leaf("holds", "sh[6]", "alice", 10)), m, ["alice"], "sh[6]", step=1)


def test_reconstruct_separate_sharings_do_not_mix() -> None:
    """`shares t[i, #k] of x[i]` for i in 1..2: shares of x[1] from two sharings of
    different values, and shares of one value from two sharings, do not combine."""
    g2 = Generator((Binder("i", IConst(1), IConst(2)), Binder("#k", IConst(1), IConst(3))))
    model = make_model(
        agents=(AgentDecl("d", (), pos(1)),),
        values=(
            ValueDecl("secret", "v", (), (ag("d"),), None, pos(2)),
            ValueDecl("share", "t", (VI, K), (ag("d"),), g2, pos(3),
                      shares=Shares(nm("v"), 3, 2)),
        ),
    )
    ok = proof(leaf("holds", "t[2,1]", "d", 3), leaf("holds", "t[2,3]", "d", 3),
               inf("reconstruct", "v", 1, 2))
    assert_valid(ok, model, ["d"], "v")
    mixed = proof(leaf("holds", "t[1,1]", "d", 3), leaf("holds", "t[2,3]", "d", 3),
                  inf("reconstruct", "v", 1, 2))
    assert_invalid(mixed, model, ["d"], "v", step=3)


def test_guess() -> None:
    m = crypto()
    p = proof(leaf("receives", "hash(pin)", "bob", 24, 5), inf("guess", "pin", 1))
    assert_valid(p, m, ["bob"], "pin")
    # Tested against enc(pin, n0) with n0 known.
    q = proof(leaf("receives", "enc(pin, n0)", "bob", 29, 10), leaf("holds", "n0", "bob", 6),
              inf("guess", "pin", 1, 2))
    assert_valid(q, m, ["bob"], "pin")
    # Without n0 the test term cannot be rebuilt.
    q2 = proof(leaf("receives", "enc(pin, n0)", "bob", 29, 10), inf("guess", "pin", 1))
    assert_invalid(q2, m, ["bob"], "pin", "rebuilt", step=2)
    # The test term must contain the guessed value.
    q3 = proof(leaf("holds", "n0", "bob", 6), inf("guess", "pin", 1))
    assert_invalid(q3, m, ["bob"], "pin", "no test of a guess", step=2)


def test_guess_needs_small_range() -> None:
    m = crypto()
    recv = leaf("receives", "(hash(big), hash(q))", "bob", 28, 9)
    unranged = proof(recv, inf("split", "hash(q)", 1), inf("guess", "q", 2))
    assert_invalid(unranged, m, ["bob"], "q", "range", step=3)
    big = proof(recv, inf("split", "hash(big)", 1), inf("guess", "big", 2))
    assert_invalid(big, m, ["bob"], "big", "2^40", step=3)
    assert_valid(big, m, ["bob"], "big", guess_bits=60)
    # pin has 10^4 values: fine at 14 bits, too many at 13.
    p = proof(leaf("receives", "hash(pin)", "bob", 24, 5), inf("guess", "pin", 1))
    assert_valid(p, m, ["bob"], "pin", guess_bits=14)
    assert_invalid(p, m, ["bob"], "pin", guess_bits=13)


def test_composable_linear_and_dh() -> None:
    """The guess test term may be rebuilt through linear combinations and DH."""
    known = {parse("pin"), parse("y"), parse("exp(g, a)")}
    assert proofcheck._composable(parse("y + 2 * hash(pin)"), known, {})
    assert proofcheck._composable(parse("(hash(pin, y), exp(exp(g, pin), a))"), known, {})
    assert not proofcheck._composable(parse("y + r"), known, {})
    assert not proofcheck._composable(parse("exp(exp(g, r), pin)"), known, {})
    assert not proofcheck._composable(parse("pk(pin)"), known, {})
    # A known combination lets its parts be traded: y + r known gives r - pin + y... only
    # as combinations in the span, never r alone.
    known2 = {parse("pin"), parse("y + r")}
    assert proofcheck._composable(parse("y + r + pin"), known2, {})
    assert not proofcheck._composable(parse("r"), known2, {})


def test_sees() -> None:
    m = crypto()
    p = proof(leaf("sees", "enc(k, (s, pin))", "eve", 20, 1))
    assert_valid(p, m, ["eve"], "enc(k, (s, pin))")
    # eve taps alice -> bob only, not alice -> server.
    assert_invalid(proof(leaf("sees", "sh[3]", "eve", 26, 7)), m, ["eve"], "sh[3]", step=1)
    # nor bob -> alice.
    assert_invalid(proof(leaf("sees", "exp(g, b)", "eve", 27, 8)), m, ["eve"], "exp(g, b)")
    # carol is no eavesdropper.
    assert_invalid(proof(leaf("sees", "enc(k, (s, pin))", "carol", 20, 1)), m, ["carol"],
                   "enc(k, (s, pin))", "not an eavesdropper")
    # receives is not sees: eve is not the receiver.
    assert_invalid(proof(leaf("receives", "enc(k, (s, pin))", "eve", 20, 1)), m, ["eve"],
                   "enc(k, (s, pin))")


def test_sees_indexed_link() -> None:
    """`eavesdropper e[i] on u[i] -> server for i in 1..3` taps one user each."""
    n = 3
    model = make_model(
        agents=(AgentDecl("server", (), pos(1)), AgentDecl("u", ((1, n),), pos(2)),
                AgentDecl("e", ((1, n),), pos(3))),
        values=(ValueDecl("secret", "x", (VI,), (ag("u", VI),), gen("i", 1, n), pos(4)),),
        messages=(Message(1, None, ag("u", VI), ag("server"), nm("x", VI), gen("i", 1, n),
                          pos(6)),),
        eavesdroppers=(Eavesdropper(ag("e", VI), (ag("u", VI), ag("server")), gen("i", 1, n),
                                    pos(7)),),
    )
    assert_valid(proof(leaf("sees", "x[2]", "e[2]", 6, 1)), model, ["e[2]"], "x[2]")
    assert_invalid(proof(leaf("sees", "x[2]", "e[3]", 6, 1)), model, ["e[3]"], "x[2]")
    assert_invalid(proof(leaf("sees", "x[4]", "e[3]", 6, 1)), model, ["e[3]"], "x[4]")


def test_holds_agent_names_public_and_ranges() -> None:
    m = crypto()
    assert_valid(proof(leaf("holds", "alice", "bob", 1)), m, ["bob"], "alice")
    assert_valid(proof(leaf("holds", "g", "carol", 6)), m, ["carol"], "g")
    assert_invalid(proof(leaf("holds", "s", "bob", 3)), m, ["bob"], "s")
    assert_invalid(proof(leaf("holds", "g", "mallory", 6)), m, ["mallory"], "g",
                   "not a declared agent")
    s = secure_sum()
    assert_valid(proof(leaf("holds", "x[3]", "u[3]", 7)), s, ["u[3]"], "x[3]")
    assert_invalid(proof(leaf("holds", "x[6]", "u[6]", 7)), s, ["u[6]"], "x[6]")
    assert_invalid(proof(leaf("holds", "x[3]", "u[4]", 7)), s, ["u[4]"], "x[3]")


# -------------------------------------------------------------------------- parsing

def test_parse_normalises() -> None:
    assert parse("x[1] + m[1] - m[5]") == parse("m[1] - m[5] + x[1]")
    assert parse("-m[5] + x[1] + m[1]") == parse("x[1] + m[1] - m[5]")
    assert parse("2 * x - x") == parse("x")
    assert parse("x - x") == parse("0")
    assert parse("(x)") == parse("x")
    assert parse("exp(exp(exp(g, a), b), c)") == parse("exp(exp(exp(g, c), a), b)")
    assert parse("exp(exp(g, a), b)") != parse("exp(exp(a, g), b)")
    assert parse("(a, b)") != parse("(b, a)")
    assert parse("m[ 1 , 2 ]") == parse("m[1,2]")
    assert parse("x[-1]") == ("n", "x", (-1,))
    assert parse("2 * (a + b)") == parse("2 * a + 2 * b")
    assert parse("hash(a + b)") != parse("hash(a) + hash(b)")
    for bad in ["", "x +", "(a, b", "f(", "3", "x[1, a]", "x[u[1]", "a b", "x * y", "@"]:
        with pytest.raises(ValueError):
            parse(bad)


names = st.builds(Name, st.sampled_from(["x", "m", "k", "g"]),
                  st.lists(st.integers(-3, 12), max_size=2).map(tuple))


def _gterms(depth: int) -> st.SearchStrategy:
    if depth == 0:
        return names
    sub = _gterms(depth - 1)
    return st.one_of(
        names,
        st.builds(lambda f, a: App(f, tuple(a)), st.sampled_from(["enc", "hash", "f", "exp"]),
                  st.lists(sub, min_size=1, max_size=2)),
        st.builds(lambda ps: Tup(tuple(ps)), st.lists(sub, min_size=2, max_size=3)),
        st.builds(lambda ps: lin(ps),
                  st.lists(st.tuples(sub, st.integers(-3, 3)), min_size=1, max_size=3)),
    )


@settings(max_examples=200, deadline=None)
@given(_gterms(3))
def test_parsers_agree_on_printed_terms(t: Any) -> None:
    """Both parsers read `terms.show`'s output; the checker's equality is the same after a
    round trip through the solver-side parser."""
    if isinstance(t, Lin) and not t.parts:
        t = Name("x")
    s = show(t)
    assert parse_term(s) == t
    assert parse(s) == parse(show(parse_term(s)))


def test_receives_found_despite_cancellation() -> None:
    """A message whose names cancel for one binding (m[i] - m[2] at i = 2) is still found:
    name-based hints only order the search, they never restrict it."""
    model = make_model(
        agents=(AgentDecl("server", (), pos(1)), AgentDecl("u", ((1, 3),), pos(2))),
        values=(ValueDecl("secret", "x", (VI,), (ag("u", VI),), gen("i", 1, 3), pos(3)),
                ValueDecl("random", "m", (VI,), (ag("u", VI),), gen("i", 1, 3), pos(4))),
        messages=(Message(1, None, ag("u", VI), ag("server"),
                          TLin(((1, nm("x", VI)), (1, nm("m", VI)), (-1, nm("m", IConst(2))))),
                          gen("i", 1, 3), pos(6)),),
    )
    assert_valid(proof(leaf("receives", "x[2]", "server", 6, 1)), model, ["server"], "x[2]")
    assert_valid(proof(leaf("receives", "x[3] + m[3] - m[2]", "server", 6, 1)), model,
                 ["server"], "x[3] + m[3] - m[2]")
    assert_invalid(proof(leaf("receives", "x[1]", "server", 6, 1)), model, ["server"], "x[1]")


def test_opaque_index_expressions() -> None:
    """Index expressions the search cannot invert (`i % 3 + 1`, `i * 1`) are still
    checked exactly by evaluation."""
    rot = IBin("+", IBin("%", VI, IConst(3)), IConst(1))
    model = make_model(
        agents=(AgentDecl("server", (), pos(1)), AgentDecl("u", ((1, 3),), pos(2)),
                AgentDecl("e", (), pos(3))),
        values=(ValueDecl("secret", "x", (VI,), (ag("u", rot),), gen("i", 1, 3), pos(4)),),
        messages=(Message(1, None, ag("u", rot), ag("server"), nm("x", VI), gen("i", 1, 3),
                          pos(6)),),
        eavesdroppers=(Eavesdropper(ag("e"), (ag("u", IConst(2)), ag("server")), None,
                                    pos(7)),),
    )
    assert_valid(proof(leaf("holds", "x[1]", "u[2]", 4)), model, ["u[2]"], "x[1]")
    assert_invalid(proof(leaf("holds", "x[1]", "u[1]", 4)), model, ["u[1]"], "x[1]")
    assert_valid(proof(leaf("sees", "x[1]", "e", 6, 1)), model, ["e"], "x[1]")
    assert_invalid(proof(leaf("sees", "x[2]", "e", 6, 1)), model, ["e"], "x[2]")

    g2 = Generator((Binder("i", IConst(1), IConst(2)), Binder("#k", IConst(1), IConst(3))))
    shares = make_model(
        agents=(AgentDecl("d", (), pos(1)),),
        values=(
            ValueDecl("secret", "v", (), (ag("d"),), None, pos(2)),
            ValueDecl("share", "t", (IBin("*", VI, IConst(1)), K), (ag("d"),), g2, pos(3),
                      shares=Shares(nm("v"), 3, 2)),
        ),
    )
    ok = proof(leaf("holds", "t[2,1]", "d", 3), leaf("holds", "t[2,3]", "d", 3),
               inf("reconstruct", "v", 1, 2))
    assert_valid(ok, shares, ["d"], "v")
    mixed = proof(leaf("holds", "t[1,1]", "d", 3), leaf("holds", "t[2,3]", "d", 3),
                  inf("reconstruct", "v", 1, 2))
    assert_invalid(mixed, shares, ["d"], "v", step=3)
