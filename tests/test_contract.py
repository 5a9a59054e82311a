"""The derivation-rule contract, as one tested fact (issue: one contract per seam).

A derivation rule of the closure (`der(X, T, Rule, Premises)` in rules/*.lp) must
have: its way in the necessity analysis (rules/necessity.lp, under the same name),
or be listed below as exempt with the reason; its proof rule, which the renderer
titles (render.RULE_TITLES) and the independent checker dispatches
(proofcheck._Checker.infer), the same set on both sides (proof.INFERENCE_RULES).
Adding a rule and forgetting one of these places fails here.
"""

from __future__ import annotations

import inspect
import re

from clingo import ast
from test_rules import rule_statements

from tipasp import proof, proofcheck, render

# closure rule -> the proof rule it is shown as (prover._expand)
PROOF_RULE = {
    "split": "split", "decrypt": "decrypt", "adecrypt": "adecrypt", "unsign": "unsign",
    "pk": "pk", "build": "build", "dh": "dh", "reconstruct": "reconstruct",
    "guess": "guess", "lbuild": "linear", "peel": "linear",
    "same": None,  # x + y - y and x are one term: the prover merges their derivations
}

# closure rules without a way in necessity.lp, and why that is sound there
NO_WAY = {
    "lbuild": "it derives a linear term; linear terms are free in the analysis",
    "same": "between a linear term and its atom; linear terms are free",
}


def _der_rules() -> set[str]:
    """The rule names of every der/4 head that is not a leaf, and the rule `split`
    (recorded as one splits/2 atom per tuple)."""
    out: set[str] = set()

    def visit(node: object) -> None:
        if isinstance(node, ast.AST):
            if node.ast_type == ast.ASTType.SymbolicAtom:
                f = node.symbol
                if f.ast_type == ast.ASTType.Function and f.name == "der" and \
                        len(f.arguments) == 4:
                    rule, prem = f.arguments[2], f.arguments[3]
                    is_leaf = prem.ast_type == ast.ASTType.SymbolicTerm and \
                        str(prem) == "leaf"
                    if not is_leaf and rule.ast_type in (ast.ASTType.SymbolicTerm,
                                                         ast.ASTType.Function):
                        out.add(str(rule).split("(")[0])
                elif f.ast_type == ast.ASTType.Function and f.name == "splits":
                    out.add("split")
                return
            for key in node.child_keys:
                visit(getattr(node, key))
        elif isinstance(node, (list, tuple, ast.ASTSequence)):
            for x in node:
                visit(x)

    for _, st in rule_statements():
        if st.ast_type == ast.ASTType.Rule:
            visit(st.head)
    return out


def _necessity_ways() -> set[str]:
    """The way names of necessity.lp (second argument of way_premise/4)."""
    out: set[str] = set()
    for name, st in rule_statements():
        if name != "necessity.lp" or st.ast_type != ast.ASTType.Rule:
            continue
        head = st.head
        if head.ast_type == ast.ASTType.Literal and \
                head.atom.ast_type == ast.ASTType.SymbolicAtom:
            f = head.atom.symbol
            if f.ast_type == ast.ASTType.Function and f.name == "way_premise":
                out.add(str(f.arguments[1]).split("(")[0])
    return out


def test_every_closure_rule_has_its_way_in_the_necessity_analysis() -> None:
    rules = _der_rules()
    assert {"split", "decrypt", "guess", "reconstruct", "peel"} <= rules  # the reader works
    assert set(PROOF_RULE) == rules, "a closure rule without its proof rule (PROOF_RULE)"
    missing = rules - _necessity_ways() - set(NO_WAY)
    assert not missing, f"closure rules without a way in necessity.lp: {sorted(missing)}"
    assert not set(NO_WAY) & _necessity_ways(), "an exempt rule has a way: drop it from NO_WAY"


def test_proof_rules_are_titled_and_checked_exactly() -> None:
    inference = {r for r in PROOF_RULE.values() if r is not None}
    assert inference == set(proof.INFERENCE_RULES)
    assert set(render.RULE_TITLES) == set(proof.INFERENCE_RULES) | set(proof.LEAF_RULES)
    src = inspect.getsource(proofcheck._Checker.infer)
    dispatched = set(re.findall(r'rule == "([a-z]+)"', src))
    assert dispatched == set(proof.INFERENCE_RULES)


def test_the_reader_sees_a_forgotten_way() -> None:
    """Without decrypt's way the first test would fail (the check is not vacuous)."""
    assert "decrypt" in _necessity_ways() and "decrypt" in _der_rules()
    assert "decrypt" not in NO_WAY
