"""The rules in rules/*.lp read only predicates that exist.

clingo runs with warnings off (tipasp reports what matters itself), so a rule that
reads a predicate nobody defines (a typo, or a predicate renamed in another file)
would silently never fire. Every predicate a rule reads must be defined by some
rule, declared external, or be an input fact that the compiler writes. The names the
Python side reads, adds or switches (tipasp/names.py) must be predicates of the rules.
"""

from __future__ import annotations

import importlib.resources
import inspect
import re
from typing import Any

from clingo import ast

from tipasp import compile as compile_module
from tipasp import names


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


def defined_and_read() -> tuple[set[tuple[str, int]], dict[tuple[str, int], str]]:
    """The predicates the rules define, and those they read (with a file that reads each)."""
    defined, read, _ = _signatures()
    return defined, read


def _signatures() -> tuple[set[tuple[str, int]], dict[tuple[str, int], str],
                           set[tuple[str, int]]]:
    """The predicates the rules define (heads, choices, externals), those they read
    (with the first file that reads each), and those declared `#external`."""
    defined: set[tuple[str, int]] = set()
    read: dict[tuple[str, int], str] = {}
    external: set[tuple[str, int]] = set()

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
            _atoms(st.atom, external)
            _atoms(st.body, used)
        for sig in used:
            read.setdefault(sig, name)

    for name, st in rule_statements():
        take(st, name)
    return defined, read, external


def _compiler_inputs() -> set[str]:
    """The predicates whose facts compile.py writes (every `atom("name", ...)`), and
    those attack_search.py writes for rules/attack.lp (every `F("name", ...)`)."""
    from tipasp import attack_search

    return (set(re.findall(r'atom\(\s*"([a-z_]+)"', inspect.getsource(compile_module)))
            | set(re.findall(r'F\(\s*"([a-z_]+)"', inspect.getsource(attack_search))))


def _python_names() -> dict[str, str]:
    """Every constant of tipasp/names.py: its Python name -> the predicate name."""
    return {k: v for k, v in vars(names).items() if k.isupper() and isinstance(v, str)}


def test_every_predicate_a_rule_reads_is_defined_or_an_input() -> None:
    """Read but defined by no rule: a fact compile.py or attack_search.py writes with a
    literal name, or one that Python adds by its name in tipasp/names.py."""
    defined, read = defined_and_read()
    inputs = _compiler_inputs()
    assert {"msg", "init", "arg", "lterm", "target", "tap", "inst"} <= inputs
    missing = sorted(f"{name}/{arity} (read in {where})" for (name, arity), where in read.items()
                     if (name, arity) not in defined and name not in inputs | names.FED)
    assert not missing, missing


def test_every_name_python_uses_is_a_predicate_of_the_rules() -> None:
    defined, read, external = _signatures()
    predicates = {name for name, _ in defined | set(read)}
    consts = _python_names()
    assert len(consts) >= 20 and {"DER", "ASKED", "HARD"} <= set(consts)  # the reader works
    missing = sorted(f"names.{k} = {v!r}" for k, v in consts.items() if v not in predicates)
    assert not missing, f"not a predicate of rules/*.lp (renamed there?): {missing}"
    assert names.EXTERNALS | names.FED <= set(consts.values())


def test_python_switches_exactly_the_externals_of_the_rules() -> None:
    """Every `#external` of the rules is switched from Python (under its name in
    tipasp/names.py), and Python switches nothing else."""
    _, _, external = _signatures()
    assert {name for name, _ in external} == names.EXTERNALS


def test_facts_python_adds_are_read_and_defined_by_no_rule() -> None:
    defined, read = defined_and_read()
    for name in names.FED:
        assert any(n == name for n, _ in read), f"{name}: no rule reads it"
        assert not any(n == name for n, _ in defined), f"{name}: a rule defines it"


def test_the_check_sees_a_renamed_predicate() -> None:
    """The test above would catch `cont/1` read after it was renamed `keep/1`."""
    defined, read = defined_and_read()
    assert ("keep", 1) in defined and ("keep", 1) in read
    assert ("cont", 1) not in defined


def test_a_chain_step_meets_one_other_literal() -> None:
    """A rule that extends a chain (`known_upto`, `held_upto`, `rebuilt_upto`,
    `obtained_upto`: every predicate named `*_upto`) joins one other literal.

    With two, clingo may go through every atom of one of them for each new chain
    atom: `held_upto(A, T, I) :- held_upto(A, T, I - 1), arg(T, I, B), init(A, B, _)`
    took 10.5 s and 940 MB at N = 1000 for a server sending N messages it cannot
    trivially build, and 0.3 s once split through `held_next`. The ground program is
    linear either way, so only the shape of the rules can be tested.
    """
    defined, _ = defined_and_read()
    chains = {name for name, _ in defined if name.endswith("_upto")}
    assert {"known_upto", "held_upto", "rebuilt_upto", "obtained_upto"} <= chains
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
