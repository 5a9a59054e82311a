"""Proofs of "coalition learns target": numbered steps, each a rule applied to earlier steps.

A proof is the evidence behind every "learns" answer (docs/proofs.md).
Its steps are either leaves -- `holds` (initial knowledge, with the declaration's
line), `receives` and `sees` (a message received or eavesdropped, with its step and
line) -- or inferences from earlier steps (`split`, `decrypt`, `adecrypt`, `unsign`,
`build`, `pk`, `dh`, `linear`, `reconstruct`, `guess`). The last step is the
conclusion. Ids run 1..n and every premise id is smaller than its step's id.

This module holds the data (`Step`, `Proof`), its JSON form (`Proof.to_json`,
`proof_from_json`), a parser for printed terms (`parse_term`, the inverse of
`terms.show`), and helpers for the solver side that produce proofs: `ProofBuilder`
(ids and deduplication while deriving) and `compact` (drop unused steps, renumber).
The independent checker lives in `proofcheck.py` and shares no code with this one.
"""

from __future__ import annotations

import heapq
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

from .terms import App, GTerm, Lin, Name, Tup, lin, show

LEAF_RULES: frozenset[str] = frozenset({"holds", "receives", "sees"})
"""Rules whose steps have no premises: initial knowledge and messages."""

INFERENCE_RULES: frozenset[str] = frozenset(
    {"split", "decrypt", "adecrypt", "unsign", "build", "pk", "dh", "linear", "reconstruct",
     "guess"}
)
"""Rules that derive a step's term from the terms of earlier steps."""

RULES: frozenset[str] = LEAF_RULES | INFERENCE_RULES


# ------------------------------------------------------------------------------- data


@dataclass(frozen=True)
class Step:
    """One line of a proof: `term` obtained by `rule` from the steps `premises`.

    Leaves carry `by` (the coalition member who holds/receives/sees the term) and
    `line` (the declaration's or message's source line); `receives`/`sees` also carry
    `step` (the message's step number). `linear` steps carry one coefficient per
    premise: the term is the sum of coefficient x premise.
    """

    id: int
    term: GTerm
    rule: str
    premises: tuple[int, ...] = ()
    by: str | None = None
    step: int | None = None
    line: int | None = None
    coefficients: tuple[Fraction, ...] | None = None

    def __post_init__(self) -> None:
        # Accept lists and ints from callers; store tuples and Fractions so that
        # equal steps compare and hash equal.
        if not isinstance(self.premises, tuple):
            object.__setattr__(self, "premises", tuple(self.premises))
        if self.coefficients is not None:
            object.__setattr__(
                self, "coefficients", tuple(Fraction(c) for c in self.coefficients)
            )

    @property
    def is_leaf(self) -> bool:
        """True for `holds`, `receives` and `sees` steps."""
        return self.rule in LEAF_RULES

    def to_json(self) -> dict[str, Any]:
        """This step in the JSON form of docs/cli.md (absent fields omitted)."""
        d: dict[str, Any] = {"id": self.id, "term": show(self.term), "rule": self.rule}
        if self.by is not None:
            d["by"] = self.by
        if self.step is not None:
            d["step"] = self.step
        if self.line is not None:
            d["line"] = self.line
        d["premises"] = list(self.premises)
        if self.coefficients is not None:
            d["coefficients"] = [coefficient_to_json(c) for c in self.coefficients]
        return d


@dataclass(frozen=True)
class Proof:
    """A proof that `coalition` (sorted agent names) learns `target`; the last step concludes."""

    coalition: tuple[str, ...]
    target: GTerm
    steps: tuple[Step, ...] = field(default=())

    def __post_init__(self) -> None:
        if not isinstance(self.coalition, tuple):
            object.__setattr__(self, "coalition", tuple(self.coalition))
        if not isinstance(self.steps, tuple):
            object.__setattr__(self, "steps", tuple(self.steps))

    @property
    def conclusion(self) -> Step:
        """The last step (whose term should be the target)."""
        if not self.steps:
            raise ValueError("an empty proof has no conclusion")
        return self.steps[-1]

    def step_by_id(self) -> dict[int, Step]:
        """The steps indexed by id."""
        return {s.id: s for s in self.steps}

    def to_json(self) -> dict[str, Any]:
        """`{"steps": [...]}` exactly as in docs/cli.md."""
        return {"steps": [s.to_json() for s in self.steps]}

    def _repr_html_(self) -> str:
        """The numbered proof, in a notebook (tipasp.html)."""
        from .html import proof_html

        return proof_html(self)


def coefficient_to_json(c: Fraction | int) -> int | str:
    """A coefficient as JSON: an int when integral, else the string "p/q"."""
    f = Fraction(c)
    if f.denominator == 1:
        return int(f.numerator)
    return f"{f.numerator}/{f.denominator}"


def coefficient_from_json(v: Any) -> Fraction:
    """Inverse of `coefficient_to_json`; also accepts integral strings ("3", "-2")."""
    if isinstance(v, bool):
        raise ValueError(f"not a coefficient: {v!r}")
    if isinstance(v, int):
        return Fraction(v)
    if isinstance(v, str) and re.fullmatch(r"\s*-?\d+\s*(/\s*\d+\s*)?", v):
        f = Fraction(v.replace(" ", ""))
        return f
    if isinstance(v, float) and v.is_integer():
        return Fraction(int(v))
    raise ValueError(f"not a coefficient: {v!r}")


def proof_from_json(
    d: Mapping[str, Any],
    coalition: Sequence[str] | None = None,
    target: GTerm | str | None = None,
) -> Proof:
    """The `Proof` of a JSON proof (`{"steps": [...]}`).

    The contract's JSON proof carries only steps; the coalition and target come from
    the enclosing result. Pass them here, or they are read from `d["coalition"]` and
    `d["target"]` when present (as `render.json` writes them); the target defaults
    to the last step's term. Raises ValueError on malformed input.
    """
    raw_steps = d.get("steps")
    if not isinstance(raw_steps, list):
        raise ValueError("a JSON proof needs a list under 'steps'")
    steps: list[Step] = []
    for k, s in enumerate(raw_steps):
        if not isinstance(s, Mapping):
            raise ValueError(f"step {k + 1} is not an object")
        try:
            coeffs = s.get("coefficients")
            steps.append(
                Step(
                    id=int(s["id"]),
                    term=parse_term(str(s["term"])),
                    rule=str(s["rule"]),
                    premises=tuple(int(p) for p in s.get("premises", [])),
                    by=s.get("by"),
                    step=None if s.get("step") is None else int(s["step"]),
                    line=None if s.get("line") is None else int(s["line"]),
                    coefficients=None
                    if coeffs is None
                    else tuple(coefficient_from_json(c) for c in coeffs),
                )
            )
        except (KeyError, TypeError, ValueError) as e:
            raise ValueError(f"step {k + 1}: {e}") from e
    if coalition is None:
        coalition = d.get("coalition", ())
    if target is None:
        target = d.get("target")
    if target is None:
        if not steps:
            raise ValueError("an empty proof needs an explicit target")
        tgt: GTerm = steps[-1].term
    elif isinstance(target, str):
        tgt = parse_term(target)
    else:
        tgt = target
    return Proof(tuple(str(a) for a in coalition), tgt, tuple(steps))


# ---------------------------------------------------------------------- term parsing

_TOKEN = re.compile(r"\s*(?:(?P<int>\d+)|(?P<id>[A-Za-z_][A-Za-z0-9_]*)|(?P<op>[\[\](),+\-*]))")


def _tokenize(s: str) -> list[str]:
    toks: list[str] = []
    pos = 0
    s = s.rstrip()
    while pos < len(s):
        m = _TOKEN.match(s, pos)
        if not m:
            raise ValueError(f"unexpected character {s[pos:].lstrip()[:1]!r} in term {s!r}")
        toks.append(m.group(m.lastgroup or "op"))
        pos = m.end()
    return toks


class _TermParser:
    """Recursive descent over the printed term syntax (the output of `terms.show`).

    term   := ['-'] mono (('+' | '-') mono)*
    mono   := INT '*' atom | atom ['*' INT] | INT          (a bare INT must be 0)
    atom   := ID ['[' ['-'] INT (',' ['-'] INT)* ']'] | ID '(' term (',' term)* ')'
            | '(' term (',' term)* ')'
    """

    def __init__(self, text: str) -> None:
        self.text = text
        self.toks = _tokenize(text)
        self.i = 0

    def peek(self) -> str | None:
        return self.toks[self.i] if self.i < len(self.toks) else None

    def take(self, expected: str | None = None) -> str:
        t = self.peek()
        if t is None or (expected is not None and t != expected):
            want = expected or "more input"
            raise ValueError(f"expected {want!r} at token {self.i + 1} of term {self.text!r}")
        self.i += 1
        return t

    def parse(self) -> GTerm:
        t = self.term()
        if self.peek() is not None:
            raise ValueError(f"unexpected {self.peek()!r} in term {self.text!r}")
        return t

    def term(self) -> GTerm:
        parts: list[tuple[GTerm, int]] = []
        sign = 1
        if self.peek() == "-":
            self.take()
            sign = -1
        parts.append(self.mono(sign))
        while self.peek() in ("+", "-"):
            sign = 1 if self.take() == "+" else -1
            parts.append(self.mono(sign))
        if len(parts) == 1 and parts[0][1] == 1:
            return parts[0][0]
        return lin(parts)

    def mono(self, sign: int) -> tuple[GTerm, int]:
        t = self.peek()
        if t is not None and t.isdigit():
            c = int(self.take())
            if self.peek() == "*":
                self.take()
                return self.atom(), sign * c
            if c != 0:
                raise ValueError(f"a constant {c} is not a term (in {self.text!r})")
            return Lin(()), 1
        a = self.atom()
        if self.peek() == "*":
            self.take()
            tok = self.take()
            if not tok.isdigit():
                raise ValueError(f"expected a coefficient after '*' in {self.text!r}")
            return a, sign * int(tok)
        return a, sign

    def atom(self) -> GTerm:
        t = self.take()
        if t == "(":
            items = [self.term()]
            while self.peek() == ",":
                self.take()
                items.append(self.term())
            self.take(")")
            return items[0] if len(items) == 1 else Tup(tuple(items))
        if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", t):
            raise ValueError(f"unexpected {t!r} in term {self.text!r}")
        if self.peek() == "[":
            self.take()
            idx = [self.index()]
            while self.peek() == ",":
                self.take()
                idx.append(self.index())
            self.take("]")
            return Name(t, tuple(idx))
        if self.peek() == "(":
            self.take()
            args = [self.term()]
            while self.peek() == ",":
                self.take()
                args.append(self.term())
            self.take(")")
            return App(t, tuple(args))
        return Name(t)

    def index(self) -> int:
        neg = False
        if self.peek() == "-":
            self.take()
            neg = True
        tok = self.take()
        if not tok.isdigit():
            raise ValueError(f"an index must be an integer, got {tok!r} in {self.text!r}")
        return -int(tok) if neg else int(tok)


def parse_term(text: str) -> GTerm:
    """The ground term printed as `text` by `terms.show` (linear parts canonicalised).

    Raises ValueError on anything that is not a ground term.
    """
    return _TermParser(text).parse()


def parse_agent(text: str) -> Name:
    """An agent name such as `server` or `u[2]`."""
    t = parse_term(text)
    if not isinstance(t, Name):
        raise ValueError(f"not an agent name: {text!r}")
    return t


# ----------------------------------------------------------------- building proofs


class ProofBuilder:
    """Accumulates steps with fresh ids, merging identical ones.

    `add` returns the id of a step with the given content, reusing an existing step
    when the same fact was already added with the same justification. Premises must
    be ids returned earlier, so ids are automatically 1..n with premises smaller.
    """

    def __init__(self) -> None:
        self._steps: list[Step] = []
        self._index: dict[tuple[Any, ...], int] = {}

    def add(
        self,
        term: GTerm,
        rule: str,
        premises: Iterable[int] = (),
        *,
        by: str | None = None,
        step: int | None = None,
        line: int | None = None,
        coefficients: Iterable[Fraction | int] | None = None,
    ) -> int:
        """Add (or find) a step and return its id."""
        prem = tuple(premises)
        coeffs = None if coefficients is None else tuple(Fraction(c) for c in coefficients)
        n = len(self._steps)
        for p in prem:
            if not 1 <= p <= n:
                raise ValueError(f"premise {p} does not refer to an existing step")
        if rule not in RULES:
            raise ValueError(f"unknown proof rule {rule!r}")
        key = (term, rule, prem, by, step, line, coeffs)
        if key in self._index:
            return self._index[key]
        sid = n + 1
        self._steps.append(Step(sid, term, rule, prem, by, step, line, coeffs))
        self._index[key] = sid
        return sid

    def proof(
        self, coalition: Iterable[str], target: GTerm, conclusion: int | None = None
    ) -> Proof:
        """The proof concluding at step `conclusion` (default: the last added), compacted."""
        steps = tuple(self._steps)
        if conclusion is not None and conclusion != len(steps):
            if not 1 <= conclusion <= len(steps):
                raise ValueError(f"no step {conclusion}")
            # Move the conclusion last; `compact` keeps only its ancestors anyway.
            steps = steps[:conclusion - 1] + steps[conclusion:] + (steps[conclusion - 1],)
        return compact(Proof(tuple(sorted(coalition)), target, steps))


def compact(proof: Proof) -> Proof:
    """The same proof with only the last step's ancestors, renumbered 1..n.

    Duplicate steps (same term, rule, premises and annotations after renumbering)
    are merged. The order is the original order as far as possible, with every
    premise placed before its user, so ids are 1..n and premises are always smaller.
    Raises ValueError on dangling premise ids or on cycles.
    """
    if not proof.steps:
        return proof
    by_id: dict[int, tuple[int, Step]] = {}
    for pos, s in enumerate(proof.steps):
        if s.id in by_id:
            raise ValueError(f"duplicate step id {s.id}")
        by_id[s.id] = (pos, s)
    root = proof.steps[-1].id
    # Ancestors of the conclusion.
    keep: set[int] = set()
    stack = [root]
    while stack:
        sid = stack.pop()
        if sid in keep:
            continue
        if sid not in by_id:
            raise ValueError(f"premise {sid} refers to no step")
        keep.add(sid)
        stack.extend(by_id[sid][1].premises)
    # Stable topological order (Kahn's algorithm, earliest original position first).
    waiting: dict[int, int] = {sid: len(set(by_id[sid][1].premises)) for sid in keep}
    users: dict[int, list[int]] = {sid: [] for sid in keep}
    for sid in keep:
        for p in set(by_id[sid][1].premises):
            users[p].append(sid)
    ready = [(by_id[sid][0], sid) for sid, n in waiting.items() if n == 0]
    heapq.heapify(ready)
    order: list[int] = []
    while ready:
        _, sid = heapq.heappop(ready)
        order.append(sid)
        for u in users[sid]:
            waiting[u] -= 1
            if waiting[u] == 0:
                heapq.heappush(ready, (by_id[u][0], u))
    if len(order) != len(keep):
        raise ValueError("the proof's premises form a cycle")
    new_id: dict[int, int] = {}
    seen: dict[tuple[Any, ...], int] = {}
    out: list[Step] = []
    for sid in order:
        s = by_id[sid][1]
        prem = tuple(new_id[p] for p in s.premises)
        key = (s.term, s.rule, prem, s.by, s.step, s.line, s.coefficients)
        if key in seen:
            new_id[sid] = seen[key]
            continue
        nid = len(out) + 1
        new_id[sid] = nid
        seen[key] = nid
        out.append(Step(nid, s.term, s.rule, prem, s.by, s.step, s.line, s.coefficients))
    # Every other kept step is an ancestor of the conclusion, so it comes last; it
    # cannot merge into an earlier duplicate, which would have to be its own ancestor.
    return Proof(proof.coalition, proof.target, tuple(out))


relabel = compact
"""Alias: renumbering is what `compact` does after pruning."""
