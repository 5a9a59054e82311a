"""The parts of one message are read together (docs/language.md, "What an honest
receiver accepts"): a receiver opens a ciphertext under a Diffie-Hellman key computed
from a half key that arrives in the same message, and rebuilds a signed hash of it.
So in these protocols (the shapes of station-to-station and of an SSH-like key
exchange) eve cannot substitute a half key of her own: any attack the search prints
must be rejected by the independent checker, and there must be none to print."""

from __future__ import annotations

import pytest

from tipasp import frontend
from tipasp.attack_search import AttackSearch, attack_json
from tipasp.proofcheck import check_attack
from tipasp.terms import Name

HEAD = """\
agent alice, bob, eve
keypair alice, bob, eve
public g
intruder eve

protocol p(A, B) {
  fresh x, m @ A
  fresh y @ B
  A -> B : exp(g, x)
"""
TAIL = """\
  A -> B : enc(exp(exp(g, y), x), m)
}

session s1 = p(alice, bob)

assert not eve learns s1.m
"""
SPECS = {
    "dh-key-beside-its-half":
        "  B -> A : (exp(g, y), enc(exp(exp(g, x), y), sign(sk(B), (exp(g, y), A))))\n",
    "signed-hash-beside-its-half": "  B -> A : (exp(g, y), sign(sk(B), hash((exp(g, y), A))))\n",
}


@pytest.mark.parametrize("name", sorted(SPECS))
def test_no_attack_substitutes_the_half_key(name: str) -> None:
    model = frontend.load_text(HEAD + SPECS[name] + TAIL, f"{name}.tip")
    target = Name("s1.m")
    attack = AttackSearch(model, [target]).attack(target)
    if attack is not None:  # the search's reading of the role is wrong: the checker says so
        problems = check_attack(attack_json(attack), model, "s1.m")
        assert problems and "does not accept" in problems[0]
