"""Typed results: one frozen dataclass per kind of answer that `tipasp check` gives.

`answer.py` builds them, `report.py` checks and prints them, `cli.py` writes them as
JSON. Each result carries the evidence for what it says right beside it: a
coalition that learns the target is a `Learner`, holding its own proof (and, when
malicious agents or an intruder bring it about, its attack). Nothing is looked up
elsewhere, so a proof can never be shown under another question.

The kinds, with their `kind` in the JSON form of docs/cli.md:

- `WhoLearns` (`who_learns`): the holders and every minimal learning coalition;
- `Learns` (`learns`): whether one coalition learns the target, with its proof or why-not;
- `Leakage` (`leakage`): the privacy loss (`PrivacyLoss`: exact, none, or ε, δ, μ);
- `Assertion` (`assert`): whether an assertion holds, with its counterexample (a
  `Learner` for the learning assertions, a `PrivacyLoss` for `leakage ... within`).

Each has one `to_json()`, which produces exactly the contract's object (docs/cli.md,
"JSON output"), key order included, and `answered()`, the learners in it that say
"this coalition learns the target": each must carry a proof the checker accepts
(`report.check_spec`), unless proofs are off.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from typing import Any, ClassVar, Literal, NoReturn, TypeAlias

from .attack_search import Attack, attack_json
from .errors import InternalError
from .model import AssertKind
from .proof import Proof
from .terms import GTerm, Name, show

if sys.version_info >= (3, 11):
    from typing import assert_never
else:  # pragma: no cover - Python 3.10 has no typing.assert_never

    def assert_never(value: NoReturn, /) -> NoReturn:
        """Mark a branch the type checker proves unreachable; fail if it is reached."""
        raise AssertionError(f"unhandled case: {value!r}")


__all__ = [
    "Assertion",
    "Counterexample",
    "Leakage",
    "Learner",
    "Learns",
    "PrivacyLoss",
    "Result",
    "Violation",
    "WhatLearns",
    "WhoLearns",
    "assert_never",
]


def _names(agents: tuple[Name, ...]) -> list[str]:
    """A coalition as the JSON list of agent names, in the order held (sorted)."""
    return [show(a) for a in agents]


@dataclass(frozen=True)
class Learner:
    """A coalition that learns the target of the result it belongs to, with the
    evidence: its proof, and the attack when the adversary brings it about.

    Appears as a learner of a `WhoLearns`, as the "yes" of a `Learns`, and as the
    counterexample of a failed `not C learns T` or `nobody learns T` assertion.
    """

    coalition: tuple[Name, ...]
    """The learning coalition, sorted. For an attack: the adversary's agents."""

    proof: Proof | None
    """The proof that `coalition` learns the target (for an attack: from what the
    adversary holds at the end, `attack.proof`). None only when proofs are off
    (`--no-proofs`); with proofs on, `report.check_spec` stops the run on a None."""

    attack: Attack | None = None
    """The run of the bounded attack search in which the adversary learns the
    target (docs/language.md §11); None when the coalition learns it in the
    narration's honest run."""

    def __post_init__(self) -> None:
        a = self.attack
        if a is not None and (self.proof is not a.proof or self.coalition != a.adversary):
            raise InternalError(
                "internal error: an attack's learner must be its adversary, with the "
                "attack's own final proof")

    def evidence_json(self) -> dict[str, Any]:
        """`proof` (null when proofs are off) and, for an attack, `attack`: the keys a
        learner adds to the object it appears in."""
        out: dict[str, Any] = {"proof": self.proof.to_json() if self.proof is not None else None}
        if self.attack is not None:
            out["attack"] = attack_json(self.attack)
        return out

    def to_json(self) -> dict[str, Any]:
        """`{"coalition": [...], "proof": {...}}`, plus `attack` for an attack."""
        return {"coalition": _names(self.coalition), **self.evidence_json()}


@dataclass(frozen=True)
class Violation:
    """A coalition that learns a value no policy allows it to learn (`assert only
    allowed learn T`, docs/language.md "Policies")."""

    learner: Learner
    """The coalition, with its proof that it learns the target (at the end)."""

    step: int
    """The first step at which the coalition learns the target (0: from the start)."""

    not_allowed: tuple[Name, ...]
    """The members that no `allow` lets learn the target at that step."""

    def to_json(self) -> dict[str, Any]:
        """`{"coalition", "step", "not_allowed", "proof"(, "attack")}`."""
        return {"coalition": _names(self.learner.coalition), "step": self.step,
                "not_allowed": _names(self.not_allowed), **self.learner.evidence_json()}


@dataclass(frozen=True)
class PrivacyLoss:
    """What a coalition's view reveals about one value (dp.py): the value itself
    (`exact`), nothing (`none`), or a differential-privacy loss."""

    exact: bool
    """The view determines the value."""

    none: bool
    """The view does not depend on the value at all."""

    epsilon: float | None
    """The privacy loss ε at `delta`: None when `exact`, 0.0 when `none`; exact for
    Gaussian noise, a sound upper bound when `bound`."""

    delta: float
    """The δ at which `epsilon` is stated (1e-5 unless the question says `at D`)."""

    mu: float | None
    """The Gaussian-DP μ when all noise in play is Gaussian; 0.0 when `none`; None
    when `exact` or when Laplace noise is in play."""

    bound: bool
    """`epsilon` is only an upper bound (Laplace noise in play), not exact."""

    def to_json(self) -> dict[str, Any]:
        """The six keys of docs/cli.md, in the contract's order."""
        return {"exact": self.exact, "none": self.none, "epsilon": self.epsilon,
                "delta": self.delta, "mu": self.mu, "bound": self.bound}


@dataclass(frozen=True)
class WhoLearns:
    """`query who learns T`: who holds the target, and every minimal allowed
    coalition without a holder that learns it."""

    kind: ClassVar[Literal["who_learns"]] = "who_learns"

    line: int
    """The question's line in the spec."""

    target: GTerm
    """The ground term asked about (one binding of the question's generator)."""

    after: int | None
    """The step the question is about; None for the end of the protocol."""

    holders: tuple[Name, ...]
    """The agents that hold the target from the start."""

    public: bool
    """The target is public or built from public terms alone: every agent knows it,
    and `learners` is empty."""

    learners: tuple[Learner, ...]
    """The minimal learning coalitions, sorted by size then names (an attack's
    adversary first), each with its own proof."""

    complete: bool
    """False when the exact linear part of the search was cut short, so that
    coalitions needing a long linear elimination may be missing."""

    bounded: bool = False
    """The spec has malicious agents or an intruder, and the bounded attack search
    was run for this question (printed only when true)."""

    def answered(self) -> tuple[Learner, ...]:
        """Every learner: each says "this coalition learns the target"."""
        return self.learners

    def to_json(self) -> dict[str, Any]:
        """The `who_learns` object of docs/cli.md."""
        out: dict[str, Any] = {
            "line": self.line, "target": show(self.target), "after": self.after,
            "kind": self.kind, "holders": [[show(h)] for h in self.holders],
            "public": self.public, "learners": [lr.to_json() for lr in self.learners],
            "complete": self.complete}
        if self.bounded:
            out["bounded"] = True
        return out


@dataclass(frozen=True)
class Learns:
    """`query C learns T`: whether the coalition learns the target; if it does, the
    evidence (`learner`), else what it would still need (`why_not`)."""

    kind: ClassVar[Literal["learns"]] = "learns"

    line: int
    """The question's line in the spec."""

    target: GTerm
    """The ground term asked about."""

    after: int | None
    """The step the question is about; None for the end of the protocol."""

    coalition: tuple[Name, ...]
    """The coalition asked about, sorted."""

    learner: Learner | None
    """When the coalition learns the target: who learns it (the coalition, or the
    adversary when an attack brings it about) with the proof and attack. None: no."""

    why_not: str | None
    """When the coalition does not learn the target: the sentence saying what it
    would still need (the same text in the report and in JSON). None: yes."""

    bounded: bool = False
    """The spec has malicious agents or an intruder (printed only when true)."""

    def __post_init__(self) -> None:
        if (self.learner is None) == (self.why_not is None):
            raise InternalError(
                f"internal error: the answer for line {self.line} must have either a "
                "learner (yes) or a why-not (no), not both or neither")

    @property
    def answer(self) -> bool:
        """Whether the coalition learns the target."""
        return self.learner is not None

    def answered(self) -> tuple[Learner, ...]:
        """The learner of a "yes", or nothing."""
        return (self.learner,) if self.learner is not None else ()

    def to_json(self) -> dict[str, Any]:
        """The `learns` object of docs/cli.md: `proof` (and `attack`) for a yes,
        `why_not` for a no."""
        out: dict[str, Any] = {
            "line": self.line, "target": show(self.target), "after": self.after,
            "kind": self.kind, "coalition": _names(self.coalition), "answer": self.answer}
        if self.learner is not None:
            out.update(self.learner.evidence_json())
        else:
            out["why_not"] = self.why_not
        if self.bounded:
            out["bounded"] = True
        return out


@dataclass(frozen=True)
class Leakage:
    """`query leakage of T to C`: the privacy loss of one value to a coalition."""

    kind: ClassVar[Literal["leakage"]] = "leakage"

    line: int
    """The question's line in the spec."""

    target: GTerm
    """The value asked about (one declared value)."""

    after: int | None
    """Always None: leakage is about the end of the protocol."""

    coalition: tuple[Name, ...]
    """The coalition, sorted."""

    loss: PrivacyLoss
    """What the coalition's view reveals about the value."""

    def answered(self) -> tuple[Learner, ...]:
        """Nothing: a leakage answer has no proof."""
        return ()

    def to_json(self) -> dict[str, Any]:
        """The `leakage` object of docs/cli.md."""
        return {"line": self.line, "target": show(self.target), "after": self.after,
                "kind": self.kind, "coalition": _names(self.coalition),
                **self.loss.to_json()}


Counterexample: TypeAlias = Learner | PrivacyLoss
"""Why an assertion fails: a coalition that learns (with its proof or attack), or
the privacy loss that exceeds the bound."""


@dataclass(frozen=True)
class Assertion:
    """`assert ...`: whether it holds, and what shows that it does not.

    What `counterexample` is, by `form`: a failed `not C learns T` has the `Learner`
    `C`; a failed `nobody learns T` has the first (smallest) learner, or None when
    `T` is public; `C learns T` never has one (see `why_not`); a failed `leakage
    ... within` has the `PrivacyLoss`. An assertion that holds has none.
    """

    kind: ClassVar[Literal["assert"]] = "assert"

    line: int
    """The assertion's line in the spec."""

    form: AssertKind
    """Which assertion it is: `not_learns`, `nobody`, `learns` or `leakage_within`
    (not printed: it decides what the counterexample can be)."""

    text: str
    """The assertion as written after `assert`, with the binding of its generator."""

    target: GTerm
    """The ground term asserted about."""

    after: int | None
    """The step asserted about; None for the end of the protocol."""

    holds: bool
    """Whether the assertion holds."""

    counterexample: Counterexample | None
    """Why it fails (see the class docstring); None when it holds."""

    why_not: str | None = None
    """Only for a failed `C learns T`: what `C` would still need."""

    bounded: bool = False
    """The spec has malicious agents or an intruder and this is a learning
    assertion (printed only when true)."""

    violations: tuple[Violation, ...] = ()
    """Only for `only allowed learn T`: every learning coalition the policy does not
    allow (the first one is also the counterexample)."""

    def __post_init__(self) -> None:
        ce = self.counterexample
        fails = not self.holds
        match self.form:
            case "only_allowed":
                ok = (bool(self.violations) == fails and (
                    ce is self.violations[0].learner if fails else ce is None))
            case "not_learns":
                ok = isinstance(ce, Learner) if fails else ce is None
            case "nobody":
                ok = ce is None or fails and isinstance(ce, Learner)
            case "learns":
                ok = ce is None and (self.why_not is not None) == fails
            case "leakage_within":
                ok = isinstance(ce, PrivacyLoss) if fails else ce is None
            case _:
                assert_never(self.form)
        if self.form != "learns" and self.why_not is not None:
            ok = False
        if self.form != "only_allowed" and self.violations:
            ok = False
        if not ok:
            raise InternalError(
                f"internal error: the result of the assertion at line {self.line} "
                f"({self.form}, holds: {self.holds}) has the wrong counterexample: {ce!r}")

    def answered(self) -> tuple[Learner, ...]:
        """The counterexample when it is a coalition that learns the target (for a
        policy: every violating coalition)."""
        if self.violations:
            return tuple(v.learner for v in self.violations)
        ce = self.counterexample
        return (ce,) if isinstance(ce, Learner) else ()

    def to_json(self) -> dict[str, Any]:
        """The `assert` object of docs/cli.md."""
        out: dict[str, Any] = {"line": self.line, "kind": self.kind, "text": self.text,
                               "target": show(self.target), "after": self.after}
        if self.bounded:
            out["bounded"] = True
        ce = self.counterexample
        out["holds"] = self.holds
        out["counterexample"] = ce.to_json() if ce is not None else None
        if self.form == "only_allowed":
            out["violations"] = [v.to_json() for v in self.violations]
        if self.why_not is not None:
            out["why_not"] = self.why_not
        return out


@dataclass(frozen=True)
class WhatLearns:
    """`query what C learns` (docs/language.md, "Whole views"): every declared value,
    not public, that the coalition learns without holding it, each as the `Learns`
    answer to `C learns v` with its own proof."""

    kind: ClassVar[Literal["what_learns"]] = "what_learns"

    line: int
    """The question's line in the spec."""

    coalition: tuple[Name, ...]
    """The coalition asked about, sorted."""

    after: int | None
    """The step the question is about; None for the end of the protocol."""

    learned: tuple[Learns, ...]
    """The values learned, in declaration order (each a "yes" with its learner)."""

    bounded: bool = False
    """The spec has malicious agents or an intruder (printed only when true)."""

    def __post_init__(self) -> None:
        if any(not it.answer for it in self.learned):
            raise InternalError(
                f"internal error: the view of line {self.line} lists a value not learned")

    def answered(self) -> tuple[Learner, ...]:
        """The learner of every value learned (each with the proof of its own value)."""
        return tuple(lr for it in self.learned for lr in it.answered())

    def to_json(self) -> dict[str, Any]:
        """`{"line", "kind": "what_learns", "coalition", "after", "learned": [{"target",
        "proof"(, "attack")}, ...]}`."""
        learned = []
        for it in self.learned:
            assert it.learner is not None
            learned.append({"target": show(it.target), **it.learner.evidence_json()})
        out: dict[str, Any] = {
            "line": self.line, "kind": self.kind, "coalition": _names(self.coalition),
            "after": self.after, "learned": learned}
        if self.bounded:
            out["bounded"] = True
        return out


Result: TypeAlias = WhoLearns | Learns | Leakage | Assertion | WhatLearns
"""The result of one ground question (one binding of its generator)."""
