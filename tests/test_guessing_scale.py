"""Guessable secrets in large families: exact answers, and grounding that stays linear.

N users each send the server their guessable PIN under the server's public key. The
server (and only the server: it receives the ciphertexts) learns every PIN by
guessing, since it can rebuild `aenc(pk(server), hash(guess))` from the public key.
Grounding this once took N^2 time and memory (N = 1200: 16 s, 1.6 GB) although the
number of ground atoms was linear: see "Keeping grounding linear" in docs/engine.md.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest
from clingo import ast
from conftest import check_text, learners
from test_rules import defined_and_read, rule_statements

from tipasp import frontend
from tipasp.answer import instances
from tipasp.engine import Engine

SPEC = """const N = 3

agent server
agent u[1..N]
keypair server

secret pin[i] @ u[i] range 0..9999                  for i in 1..N

u[i] -> server : aenc(pk(server), hash(pin[i]))     for i in 1..N

query who learns pin[1]
query server learns pin[1]
query u[2] learns pin[1]
"""

# the PIN travels with a random nonce: only the server, which decrypts, can rebuild it
SALTED = """const N = 3

agent server, eve
agent u[1..N]
keypair server

secret pin[i] @ u[i] range 0..9999                  for i in 1..N
random r[i] @ u[i]                                  for i in 1..N

u[i] -> server : aenc(pk(server), (hash(pin[i]), r[i]))   for i in 1..N

eavesdropper eve

query who learns pin[1]
query eve learns pin[1]
"""


@pytest.mark.parametrize("n", [2, 3, 12])
def test_only_the_server_learns_a_pin_by_guessing(n: int) -> None:
    who, server, other = (r.to_json() for r in check_text(SPEC, overrides={"N": n})[: 3])
    assert who["holders"] == [["u[1]"]]
    assert [lr["coalition"] for lr in who["learners"]] == [["server"]]
    assert who["learners"][0]["proof"]["steps"][-1]["rule"] == "guess"
    assert server["answer"] is True
    assert server["proof"]["steps"][-1]["rule"] == "guess"
    assert other["answer"] is False


def test_a_salted_pin_is_guessed_by_the_decrypting_server_only() -> None:
    who, eve = check_text(SALTED, overrides={"N": 3})
    assert who.to_json()["holders"] == [["u[1]"]]
    assert learners(who) == [["server"]]
    rules = [s["rule"] for s in who.to_json()["learners"][0]["proof"]["steps"]]
    assert "adecrypt" in rules and rules[-1] == "guess"
    assert eve.answer is False


def _atoms(text: str, n: int) -> Counter[str]:
    """Ground atoms per predicate of the coalition program."""
    model = frontend.load_text(text, "t.tip", {"N": n})
    engine = Engine(model)
    instances(model, engine)
    return Counter(sa.symbol.name for sa in engine.coalition.symbolic_atoms)


@pytest.mark.parametrize("spec", [SPEC, SALTED.replace("query eve learns pin[1]\n", "")
                                  .replace("query who learns pin[1]",
                                           "query server learns pin[i] for i in 1..N")])
def test_ground_atoms_grow_linearly(spec: str) -> None:
    small, large = _atoms(spec, 20), _atoms(spec, 80)
    assert sum(large.values()) <= 4.5 * sum(small.values())
    defined = {name for name, _ in defined_and_read()[0]}
    for pred in ("rebuilt_upto", "rebuilt_next", "to_rebuild", "rebuilt", "known_upto",
                 "known_next", "k"):
        assert pred in defined, pred  # (a renamed predicate would pass below unseen)
        assert large[pred] <= 4.5 * max(small[pred], 1), pred


def _vars(node: ast.AST) -> set[str]:
    found: set[str] = set()

    def visit(x: Any) -> None:
        if isinstance(x, ast.AST):
            if x.ast_type == ast.ASTType.Variable:
                found.add(x.name)
            for key in x.child_keys:
                visit(getattr(x, key))
        elif isinstance(x, (list, tuple, ast.ASTSequence)):
            for y in x:
                visit(y)

    visit(node)
    return found


def _positive_atom(lit: ast.AST) -> ast.AST | None:
    """The atom of a positive body literal over a predicate, else None."""
    if lit.ast_type != ast.ASTType.Literal or lit.sign != ast.Sign.NoSign:
        return None
    atom = lit.atom
    if atom.ast_type != ast.ASTType.SymbolicAtom:
        return None
    return atom.symbol if atom.symbol.ast_type == ast.ASTType.Function else None


def test_a_new_known_term_is_joined_by_the_term_not_by_the_knower() -> None:
    """In a rule with `k(X, V)` in its body, every other positive literal mentions V.

    Otherwise clingo may join a new k(X, V) with every atom of another literal of
    the closure that shares only X (such as the chain atoms rebuilt_upto(X, W, T, I)):
    the ground program stays linear, but grounding takes N^2 time and memory. The fix
    is a predicate that joins the static side first (rebuilt_next, known_next, dh_need,
    held_next).
    """
    bad = []
    for name, st in rule_statements():
        if st.ast_type != ast.ASTType.Rule:
            continue
        atoms = [a for a in map(_positive_atom, st.body) if a is not None]
        for a in atoms:
            if a.name != "k" or len(a.arguments) != 2:
                continue
            term = a.arguments[1]
            if term.ast_type != ast.ASTType.Variable:
                continue  # a pattern (enc(K, M), sk(B)) is looked up by its variables
            for other in atoms:
                if other is a or other.name == "p" or term.name in _vars(other):
                    continue
                if other.name == "k" and other.arguments[1].ast_type != ast.ASTType.Variable:
                    continue  # k(X, exp(G, A)): only the known terms of that shape
                bad.append(f"{name}: {st}")
    assert not bad, bad
