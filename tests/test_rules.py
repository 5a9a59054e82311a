"""The rules in rules/*.lp read only predicates that exist.

clingo runs with warnings off (tipasp reports what matters itself), so a rule that
reads a predicate nobody defines (a typo, or a predicate renamed in another file)
would silently never fire. Every predicate a rule reads must be defined by some
rule, declared external, or be an input fact that the compiler writes.
"""

from __future__ import annotations

import importlib.resources
import inspect
import re
from typing import Any

from clingo import ast

from tipasp import compile as compile_module

# facts the engine adds itself (engine.py)
ENGINE_FACTS = {("maxsize", 1)}


def rule_statements() -> list[tuple[str, ast.AST]]:
    """Every statement of rules/*.lp as installed, with its file name."""
    out: list[tuple[str, ast.AST]] = []
    files = importlib.resources.files("tipasp.rules")
    for f in sorted(files.iterdir(), key=lambda p: p.name):
        if f.name.endswith(".lp"):
            ast.parse_string(f.read_text("utf-8"),
                             lambda st, name=f.name: out.append((name, st)))
    return out


def _atoms(node: Any, out: set[tuple[str, int]]) -> None:
    """Every predicate signature of a symbolic atom below `node`."""
    if isinstance(node, ast.AST):
        if node.ast_type == ast.ASTType.SymbolicAtom:
            sym = node.symbol
            if sym.ast_type == ast.ASTType.Function:
                out.add((sym.name, len(sym.arguments)))
            return
        for key in node.child_keys:
            _atoms(getattr(node, key), out)
    elif isinstance(node, (list, tuple, ast.ASTSequence)):
        for x in node:
            _atoms(x, out)


def _defined_and_read() -> tuple[set[tuple[str, int]], dict[tuple[str, int], str]]:
    defined: set[tuple[str, int]] = set()
    read: dict[tuple[str, int], str] = {}

    def take(st: ast.AST, name: str) -> None:
        used: set[tuple[str, int]] = set()
        if st.ast_type == ast.ASTType.Rule:
            head = st.head
            if head.ast_type == ast.ASTType.Aggregate:  # a choice
                for elem in head.elements:
                    _atoms(elem.literal, defined)
                    _atoms(elem.condition, used)
            else:
                _atoms(head, defined)
            _atoms(st.body, used)
        elif st.ast_type == ast.ASTType.External:
            _atoms(st.atom, defined)
            _atoms(st.body, used)
        for sig in used:
            read.setdefault(sig, name)

    for name, st in rule_statements():
        take(st, name)
    return defined, read


def _compiler_inputs() -> set[str]:
    """The predicates whose facts compile.py writes (every `atom("name", ...)`), and
    those attack_search.py writes for rules/attack.lp (every `F("name", ...)`)."""
    from tipasp import attack_search

    return (set(re.findall(r'atom\(\s*"([a-z_]+)"', inspect.getsource(compile_module)))
            | set(re.findall(r'F\(\s*"([a-z_]+)"', inspect.getsource(attack_search))))


def test_every_predicate_a_rule_reads_is_defined_or_an_input() -> None:
    defined, read = _defined_and_read()
    inputs = _compiler_inputs()
    assert {"msg", "init", "arg", "lterm", "target", "tap"} <= inputs
    known = defined | ENGINE_FACTS
    missing = sorted(f"{name}/{arity} (read in {where})" for (name, arity), where in read.items()
                     if (name, arity) not in known and name not in inputs)
    assert not missing, missing


def test_the_check_sees_a_renamed_predicate() -> None:
    """The test above would catch `cont/1` read after it was renamed `keep/1`."""
    defined, read = _defined_and_read()
    assert ("keep", 1) in defined and ("keep", 1) in read
    assert ("cont", 1) not in defined


def test_a_chain_step_meets_one_other_literal() -> None:
    """A rule that extends a chain (kpre, okpre, rbpre) joins one other literal.

    With two, clingo may go through every atom of one of them for each new chain
    atom: `okpre(A, T, I) :- okpre(A, T, I - 1), arg(T, I, B), init(A, B, _)` took
    10.5 s and 940 MB at N = 1000 for a server sending N messages it cannot
    trivially build, and 0.3 s once split through `oknext`. The ground program is
    linear either way, so only the shape of the rules can be tested.
    """
    chains = {"kpre", "okpre", "rbpre"}
    bad = []

    def take(st: ast.AST, name: str) -> None:
        if st.ast_type != ast.ASTType.Rule:
            return
        positive = []
        for lit in st.body:
            if lit.ast_type == ast.ASTType.Literal and lit.sign == ast.Sign.NoSign \
                    and lit.atom.ast_type == ast.ASTType.SymbolicAtom:
                positive.append(lit.atom.symbol.name)
        if any(p in chains for p in positive) and len(positive) > 2:
            bad.append(f"{name}: {st}")

    for name, st in rule_statements():
        take(st, name)
    assert not bad, bad
