"""Questions → results: run every query and assertion of a model through the engine.

Each ground question gives one typed result (results.py: `WhoLearns`, `Learns`,
`Leakage`, `Assertion`). A coalition that learns the target is a `Learner` that
carries its own proof, and its attack when malicious agents bring it about, so
that what justifies an answer always travels with it; `to_json()` gives the JSON
form of docs/cli.md.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import clingo

from . import ground, results
from .attack_search import Attack, AttackSearch
from .engine import Engine, Knowledge
from .errors import Diagnostic, SpecError
from .model import Assertion, Model, Query, ValueDecl
from .proof import Proof
from .prover import prove
from .results import Learner, PrivacyLoss, Result, assert_never
from .terms import App, GTerm, Lin, Name, Tup, atoms, show, sort_key, subterms

MAX_SCENARIO = 12  # agents in one scenario that the linear completion examines
MAX_ORACLE_CALLS = 512  # exact checks that one `who learns` may spend on it
MAX_SINGLES = 64  # single agents the linear completion decides one by one
MAX_UNION = 2000  # agents in a scenario too large to enumerate whose union is still checked


@dataclass(frozen=True)
class Options:
    """How to answer: the guessing bound, the coalition size bound, proofs on or off."""
    guess_bits: int = 40
    max_coalition: int | None = None
    proofs: bool = True


@dataclass(frozen=True)
class Instance:
    """One ground question: a query or assertion under one binding of its generator."""

    question: Query | Assertion
    binding: dict[str, int]
    target: GTerm
    symbol: clingo.Symbol
    coalition: tuple[Name, ...] | None


def instances(model: Model, engine: Engine) -> list[Instance]:
    """Every ground question, in source order; registers targets with the engine."""
    out = []
    for q in model.questions:
        for b in ground.bindings(q.gen):
            target = ground.term(q.target, b)
            sym = engine.add_target(q.target, b)
            coal = None
            if q.coalition is not None:
                coal = tuple(sorted({ground.agent(a, b) for a in q.coalition}))
            out.append(Instance(q, b, target, sym, coal))
    return out


class Answerer:
    """Answers ground questions with proofs and why-nots."""

    def __init__(self, model: Model, engine: Engine, options: Options) -> None:
        self.model = model
        self.engine = engine
        self.options = options
        self.decls: dict[str, ValueDecl] = {d.name: d for d in model.values}
        self._attacks: AttackSearch | None = None

    # ------------------------------------------------------------------ helpers

    @property
    def shares(self) -> dict[GTerm, tuple[int, tuple[GTerm, ...]]]:
        """Every shared value: its threshold and its shares (for proofs)."""
        return self.engine.shares

    def proof(self, know: Knowledge, target: GTerm) -> Proof | None:
        """A smallest proof that `know`'s coalition learns `target` (None: proofs off)."""
        if not self.options.proofs:
            return None
        return prove(know, target, self.shares)

    def learns(self, inst: Instance, after: int | None) -> tuple[bool, Knowledge]:
        """Whether the question's coalition learns its target, and its knowledge."""
        assert inst.coalition is not None
        know = self.engine.knowledge(inst.coalition, after)
        return self.engine.determined(know, inst.target), know

    def why_not(self, inst: Instance, after: int | None) -> str:
        """The why-not sentence: minimal sets of missing values and who holds them,
        and, for a question about an earlier step, when the coalition learns it."""
        assert inst.coalition is not None
        names = _names(inst.coalition)
        if self._active_for(inst.coalition, after):
            adv = _names(self.attacks.roles.adversary)
            return (f"no run of the bounded search (every honest role at most once, in any "
                    f"order) lets {adv} learn {show(inst.target)}")
        later = self._learned_later(inst, after)
        sets = self.engine.why_not(inst.coalition, inst.symbol, after)
        if not sets:
            sets = self._linear_gifts(inst, after)
        if not sets:
            text = f"{names} would not learn {show(inst.target)} even with every missing value"
        else:
            parts = [_and(_describe(list(gifts))) for gifts in sets]
            text = f"{names} would learn {show(inst.target)} with " + "; or with ".join(parts)
        if later is not None:
            step, line = later
            text = (f"{names} learns {show(inst.target)} only later, at step {step} "
                    f"(line {line}); after step {after}: {text}")
        return text

    def _learned_later(self, inst: Instance, after: int | None) -> tuple[int, int] | None:
        """The first step after `after` at which the coalition learns the target, with
        its line (None: not even at the end, or the question is about the end)."""
        assert inst.coalition is not None
        last = self.engine.last_step
        if after is None or after >= last:
            return None
        if not self.engine.determined(self.engine.knowledge(inst.coalition, last), inst.target):
            return None
        lines = {m.step: m.pos.line for m in self.model.messages}
        for step in range(after + 1, last + 1):
            know = self.engine.knowledge(inst.coalition, step)
            if self.engine.determined(know, inst.target):
                return step, lines.get(step, 0)
        return None  # pragma: no cover - determined at the last step

    def _linear_gifts(self, inst: Instance, after: int | None
                      ) -> list[tuple[tuple[GTerm, tuple[Name, ...]], ...]]:
        """One minimal set of values that would let the coalition compute the target
        from its linear observations (the symbolic why-not peels over received terms
        only: `enc(k, s + r)` with k known needs r, found here by exact elimination)."""
        from . import linear
        from .holders import holders

        assert inst.coalition is not None
        know = self.engine.knowledge(inst.coalition, after)
        terms = know.terms()
        rows = [dict(t.parts) for t in terms if isinstance(t, Lin)]
        if not rows:
            return []
        known = {t for t in terms if not isinstance(t, Lin)} | set(know.public)
        goal = atoms(inst.target)
        row_atoms = {a for r in rows for a in r if a not in known}
        # the values to offer: unknown atoms of the rows, and the names inside an
        # unknown composite atom (exp(g, r): giving r lets the coalition build it)
        cands = sorted({u for a in row_atoms for u in subterms(a)
                        if isinstance(u, Name) and u not in known and u not in goal
                        and not self.engine.is_agent(u)}, key=sort_key)

        def built(a: GTerm, have: set[GTerm]) -> bool:
            if a in have:
                return True
            if isinstance(a, App) and a.fn in ("pk", "sk"):
                return a.fn == "pk" or a in have
            kids = a.args if isinstance(a, App) else a.parts if isinstance(a, Tup) else ()
            return bool(kids) and all(built(k, have) for k in kids)

        def enough(gifts: Sequence[GTerm]) -> bool:
            have = known | set(gifts)
            extra = {a for a in row_atoms if not isinstance(a, Name) and built(a, have)}
            return linear.LinearSystem(rows, have | extra).solve(goal) is not None

        if not cands or not enough(cands):
            return []
        chosen = list(cands)
        for a in cands:  # drop every value the others make unnecessary
            rest = [b for b in chosen if b != a]
            if enough(rest):
                chosen = rest
        return [tuple((g, tuple(holders(self.model, g))) for g in chosen)]

    # ------------------------------------------------------------------ answers

    def answer(self, inst: Instance) -> Result:
        """The result of one ground question, with the proofs (and attacks) of its
        learners beside them."""
        q = inst.question
        if isinstance(q, Assertion):
            return self._assert(inst, q)
        match q.kind:
            case "who":
                return self._who(inst, q.after)
            case "learns":
                learner = self._decide(inst, q.after)
                return results.Learns(
                    line=q.pos.line, target=inst.target, after=q.after,
                    coalition=inst.coalition or (), learner=learner,
                    why_not=None if learner is not None else self.why_not(inst, q.after),
                    bounded=self.active)
            case "leakage":
                return results.Leakage(
                    line=q.pos.line, target=inst.target, after=q.after,
                    coalition=inst.coalition or (), loss=self.leakage(inst, q.delta or 1e-5))
            case _:
                assert_never(q.kind)

    def view_item(self, inst: Instance) -> results.Learns | None:
        """One value of `query what C learns`: the "yes" answer to `C learns v` when the
        coalition learns it and no member holds it; None otherwise (no why-not: a view
        lists what is learned)."""
        q = inst.question
        assert inst.coalition is not None and not isinstance(q, Assertion)
        if set(self.engine.holders(inst.symbol)) & set(inst.coalition):
            return None
        learner = self._decide(inst, q.after)
        if learner is None:
            return None
        return results.Learns(
            line=q.pos.line, target=inst.target, after=q.after, coalition=inst.coalition,
            learner=learner, why_not=None, bounded=self.active)

    # ------------------------------------------------------- malicious agents (§11)

    @property
    def active(self) -> bool:
        """Whether the spec has malicious agents or an intruder (docs/language.md)."""
        return bool(self.model.malicious or self.model.intruders)

    @property
    def attacks(self) -> AttackSearch:
        """The bounded attack search, grounded once for every question's target."""
        if self._attacks is None:
            targets = []
            for q in self.model.questions:
                for b in ground.bindings(q.gen):
                    t = ground.term(q.target, b)
                    if t not in targets:
                        targets.append(t)
            self._attacks = AttackSearch(self.model, targets)
        return self._attacks

    def _active_for(self, coalition: tuple[Name, ...] | None, after: int | None) -> bool:
        """The question is about the adversary (a coalition with one of its agents, or
        `who`), at the end of the run (an attack has no narration steps)."""
        if not self.active or after is not None:
            return False
        return coalition is None or bool(set(coalition) & set(self.attacks.roles.adversary))

    def _attack_learner(self, attack: Attack) -> Learner:
        """The adversary as a learner, with its attack and the attack's final proof."""
        return Learner(coalition=attack.adversary, proof=attack.proof, attack=attack)

    def _decide(self, inst: Instance, after: int | None) -> Learner | None:
        """Who learns the target for the question's coalition, with the evidence: the
        adversary with its attack when one brings it about, else the coalition with
        its proof; None when the coalition does not learn it."""
        if self._active_for(inst.coalition, after):
            attack = self.attacks.attack(inst.target)
            if attack is not None:
                return self._attack_learner(attack)
        ok, know = self.learns(inst, after)
        if not ok:
            return None
        return Learner(coalition=know.members, proof=self.proof(know, inst.target))

    def _who(self, inst: Instance, after: int | None) -> results.WhoLearns:
        """`who learns`: holders, public or not, and every minimal learner with its
        proof (the adversary with its attack first, when one brings it about)."""
        holders = self.engine.holders(inst.symbol)
        # public: declared public, or derivable from public terms alone
        public = self.engine.is_public(inst.symbol) or self.engine.determined(
            self.engine.knowledge((), after), inst.target
        )
        learners: list[Learner] = []
        complete = True
        if not public:
            found = self.engine.who_learns(inst.symbol, after, decode=self.options.proofs)
            linrel = self.engine.static_atoms_set("linrel", 1)
            if clingo.Function("linrel", [inst.symbol]) in linrel:
                found, complete = self._linear_completion(inst, after, found, set(holders))
            for know in found:
                learners.append(Learner(coalition=know.members,
                                        proof=self.proof(know, inst.target)))
        bounded = self._active_for(None, after) and not public
        if bounded:
            adv = set(self.attacks.roles.adversary)
            if not any(set(lr.coalition) <= adv for lr in learners):
                attack = self.attacks.attack(inst.target)
                if attack is not None:
                    mine = set(attack.adversary)
                    learners = [lr for lr in learners if not mine <= set(lr.coalition)]
                    learners.insert(0, self._attack_learner(attack))
        return results.WhoLearns(
            line=inst.question.pos.line, target=inst.target, after=after,
            holders=tuple(holders), public=public, learners=tuple(learners),
            complete=complete, bounded=bounded)

    def _linear_completion(
        self, inst: Instance, after: int | None, found: list[Knowledge], holders: set[Name]
    ) -> tuple[list[Knowledge], bool]:
        """Complete the coalition search numerically for a target in linear observations.

        The ASP search peels linear terms over base knowledge only; a coalition that
        needs a longer elimination would be missed. Here each small scenario of the
        threat model is decided exactly: a set that does not learn the target rules
        out all its subsets (knowledge is monotone in the coalition), so only subsets
        of learning sets are examined. Returns the learners and whether the search
        was exhaustive (False when a scenario was too large to examine).
        """
        eng = self.engine
        learners: list[Knowledge] = list(found)
        sets = [frozenset(k.members) for k in learners]
        budget = [MAX_ORACLE_CALLS]
        complete = True

        def covered(s: frozenset[Name]) -> bool:
            return any(m <= s for m in sets)

        def check(s: frozenset[Name]) -> Knowledge | None:
            budget[0] -= 1
            know = eng.knowledge(tuple(sorted(s)), after)
            return know if eng.determined(know, inst.target) else None

        def explore(universe: frozenset[Name]) -> bool:
            """Add every minimal learner inside `universe`; False if it was too large."""
            universe = universe - holders
            if not universe or covered(universe) and len(universe) == 1:
                return True
            limit = self.options.max_coalition
            if budget[0] <= 0:
                return False
            if len(universe) > MAX_SCENARIO:
                # too large to enumerate; if even all of it does not learn the target,
                # no part of it does (knowledge is monotone in the coalition)
                return len(universe) <= MAX_UNION and check(universe) is None
            whole = check(universe)
            if whole is None:
                return True
            if len(universe) == 1 and (limit is None or limit >= 1):
                learners.append(whole)
                sets.append(universe)
                return True
            for size in range(1, min(len(universe), limit or len(universe)) + 1):
                for combo in itertools.combinations(sorted(universe), size):
                    s = frozenset(combo)
                    if covered(s):
                        continue
                    if budget[0] <= 0:
                        return False
                    know = check(s)
                    if know is not None:
                        learners.append(know)
                        sets.append(s)
            return True

        def halve(group: list[Name]) -> bool:
            """Add every single agent of `group` that learns the target; False if the
            budget ran out."""
            if not group or len(group) == 1 and covered(frozenset(group)):
                return True
            if budget[0] <= 0:
                return False
            know = check(frozenset(group))
            if know is None:
                return True
            if len(group) == 1:
                learners.append(know)
                sets.append(frozenset(group))
                return True
            mid = len(group) // 2
            return halve(group[:mid]) & halve(group[mid:])

        dec = eng.decode_name
        cand = eng.static_atoms("cand", 1)
        everyone = frozenset(dec(sym.arguments[0]) for sym in cand)
        singles = [] if len(cand) > MAX_SINGLES else sorted(everyone)
        if len(cand) > MAX_SINGLES:
            # too many agents to decide one by one: group testing, halving any group
            # whose union learns the target (a group that does not learn rules out
            # each of its members)
            complete = len(everyone) <= MAX_UNION and halve(sorted(everyone - holders))
        for a in singles:
            if a not in holders and not covered(frozenset([a])):
                complete &= explore(frozenset([a]))
        groups: dict[int, set[Name]] = {}
        for sym in eng.static_atoms("member", 2):
            groups.setdefault(sym.arguments[0].number, set()).add(dec(sym.arguments[1]))
        for members in groups.values():
            complete &= explore(frozenset(members))
        for c in self.model.corrupts:
            fixed = frozenset(ground.agent(a, {}) for a in c.with_)
            if c.hi - c.lo + 1 > MAX_SCENARIO:
                # the whole family with the fixed agents: if it does not learn, no
                # allowed coalition of this scenario does
                if c.hi - c.lo + 1 > MAX_UNION:
                    complete = False
                    continue
                fam_all = {Name(c.family, (i,)) for i in range(c.lo, c.hi + 1)}
                complete &= explore(everyone & (fixed | fam_all))
                continue
            fam = [Name(c.family, (i,)) for i in range(c.lo, c.hi + 1)]
            k = min(c.count, len(fam))
            for pick in itertools.combinations(fam, k):
                complete &= explore(fixed | frozenset(pick))
        # a learner found by peeling may contain one found by exact elimination
        minimal = [k for k in learners
                   if not any(frozenset(o.members) < frozenset(k.members) for o in learners)]
        minimal.sort(key=lambda kn: (len(kn.members), kn.members))
        return minimal, complete

    def _assert(self, inst: Instance, q: Assertion) -> results.Assertion:
        """Whether an assertion holds, with its counterexample or why-not."""
        why_not: str | None = None
        counterexample: Learner | PrivacyLoss | None = None
        match q.kind:
            case "not_learns" | "learns":
                learner = self._decide(inst, q.after)
                holds = learner is None if q.kind == "not_learns" else learner is not None
                if not holds and q.kind == "not_learns":
                    counterexample = learner
                elif not holds:
                    why_not = self.why_not(inst, q.after)
            case "nobody":
                who = self._who(inst, q.after)
                holds = not who.learners and not who.public
                counterexample = who.learners[0] if who.learners else None
            case "only_allowed":
                violations = self._violations(inst, q.after)
                holds = not violations
                counterexample = violations[0].learner if violations else None
                return results.Assertion(
                    line=q.pos.line, form=q.kind, text=_text(inst), target=inst.target,
                    after=q.after, holds=holds, counterexample=counterexample,
                    bounded=self.active, violations=tuple(violations))
            case "leakage_within":
                leak = self.leakage(inst, q.delta or 1e-5)
                eps = q.epsilon if q.epsilon is not None else 0.0
                if leak.exact:
                    holds = False
                elif leak.none:
                    holds = True
                else:
                    holds = leak.epsilon is not None and leak.epsilon <= eps
                counterexample = None if holds else leak
            case _:
                assert_never(q.kind)
        return results.Assertion(
            line=q.pos.line, form=q.kind, text=_text(inst), target=inst.target,
            after=q.after, holds=holds, counterexample=counterexample, why_not=why_not,
            bounded=self.active and q.kind != "leakage_within")

    def _violations(self, inst: Instance, after: int | None) -> list[results.Violation]:
        """`only allowed learn T`: every minimal learning coalition (holders apart) with
        a member that no `allow` lets learn T at the first step the coalition learns it
        (docs/language.md, "Policies")."""
        who = self._who(inst, after)
        last = after if after is not None else self.engine.last_step
        out = []
        for learner in who.learners:
            step = last
            if learner.attack is None:  # an attack's run has no narration steps
                for s in range(0, last + 1):
                    know = self.engine.knowledge(learner.coalition, s)
                    if self.engine.determined(know, inst.target):
                        step = s
                        break
            banned = tuple(a for a in learner.coalition if not self._allowed(a, inst, step))
            if banned:
                out.append(results.Violation(learner, step, banned))
        return out

    def _allowed(self, agent: Name, inst: Instance, step: int) -> bool:
        """Some `allow` lets `agent` learn the question's target at `step`."""
        for al in self.model.allows:
            if ground.term(al.target, {}) != inst.target:
                continue
            if agent not in {ground.agent(a, {}) for a in al.agents}:
                continue
            if (al.start is None or al.start <= step) and (al.end is None or step <= al.end):
                return True
        return False

    def _source_of(self, q: Query | Assertion) -> str:
        """The text that a question's positions refer to: the spec, or the question
        given on the command line (`tipasp explain`)."""
        if q.pos.file == self.model.file:
            return self.model.source
        return f"{'query' if isinstance(q, Query) else 'assert'} {q.text}"

    # ------------------------------------------------------------------ leakage

    def leakage(self, inst: Instance, delta: float) -> PrivacyLoss:
        """Privacy loss of the target to the coalition: exact, none, or (epsilon, delta, mu)."""
        from . import dp

        assert inst.coalition is not None
        target = inst.target
        if not isinstance(target, Name) or target.base not in self.decls:
            q = inst.question
            raise SpecError(Diagnostic(
                q.pos, f"leakage is measured for one declared value, not {show(target)}",
                "ask for each value on its own, e.g. `query leakage of x to server`",
            ), self._source_of(q))
        know = self.engine.knowledge(inst.coalition, inst.question.after)
        if self.engine.determined(know, target):
            return PrivacyLoss(exact=True, none=False, epsilon=None, delta=delta, mu=None,
                               bound=False)
        terms = know.terms()
        rows = [dict(t.parts) for t in terms if isinstance(t, Lin)]
        known = {t for t in terms if not isinstance(t, Lin)} | set(know.public)
        masks: set[GTerm] = set()
        gauss: dict[GTerm, float] = {}
        lap: dict[GTerm, float] = {}
        for r in rows:
            for a in r:
                if a in known or a == target or not isinstance(a, Name):
                    continue
                d = self.decls.get(a.base)
                if d is None:
                    continue
                if d.kind == "noise" and d.noise is not None:
                    (gauss if d.noise.dist == "gaussian" else lap)[a] = d.noise.scale
                elif d.kind in ("random", "key", "share"):
                    masks.add(a)
        sens = 1.0
        if isinstance(target, Name) and target.base in self.decls:
            sens = self.decls[target.base].sensitivity
        # Nothing symbolic reaches the target: only linear observations can leak it.
        if not any(target in atoms(t) or target in subterms(t) for t in terms):
            return PrivacyLoss(exact=False, none=True, epsilon=0.0, delta=delta, mu=0.0,
                               bound=False)
        res = dp.leakage(rows, target, masks=masks, gaussian=gauss, laplace=lap,
                         sensitivity=sens, delta=delta)
        return PrivacyLoss(exact=res.kind == "exact", none=res.kind == "none",
                           epsilon=0.0 if res.kind == "none" else res.epsilon, delta=delta,
                           mu=0.0 if res.kind == "none" else res.mu, bound=res.bound)


def _names(coal: tuple[Name, ...]) -> str:
    if len(coal) == 1:
        return show(coal[0])
    return "{" + ", ".join(show(a) for a in coal) + "}"


#: A why-not lists a run of at least this many members of one family as a range.
FOLD_RUN = 7


def _describe(gifts: list[tuple[GTerm, tuple[Name, ...]]]) -> list[str]:
    """Each missing value with its holders (`m[1] (held by u[1], u[2])`). A run of
    FOLD_RUN or more consecutive members of one family, each held by the same member
    of one agent family (`x[i]` by `u[i]`) or all by the same agents, is one item
    (`x[2..60] (59 values, x[i] held by u[i])`): a why-not over many users stays short."""
    out: list[str] = []
    i = 0
    while i < len(gifts):
        j = i + 1
        while j < len(gifts) and _continues(gifts[j - 1], gifts[j], gifts[i]):
            j += 1
        if j - i >= FOLD_RUN:
            first, last = gifts[i][0], gifts[j - 1][0]
            assert isinstance(first, Name) and isinstance(last, Name)
            hs = gifts[i][1]
            if _same_index(gifts[i]):
                who = f"{first.base}[i] held by {hs[0].base}[i]"
            else:
                who = "each held by " + (", ".join(show(h) for h in hs) if hs else "nobody")
            out.append(f"{first.base}[{first.idx[0]}..{last.idx[0]}] ({j - i} values, {who})")
        else:
            for g, hs in gifts[i:j]:
                who = ", ".join(show(h) for h in hs) if hs else "nobody"
                out.append(f"{show(g)} (held by {who})")
        i = j
    return out


def _same_index(gift: tuple[GTerm, tuple[Name, ...]]) -> bool:
    """`x[i]` held by exactly one agent `u[i]` (one index, the same)."""
    g, hs = gift
    return (isinstance(g, Name) and len(g.idx) == 1 and len(hs) == 1
            and len(hs[0].idx) == 1 and hs[0].idx == g.idx)


def _continues(prev: tuple[GTerm, tuple[Name, ...]], cur: tuple[GTerm, tuple[Name, ...]],
               first: tuple[GTerm, tuple[Name, ...]]) -> bool:
    """`cur` is the next member of `prev`'s family, held as the run's first is."""
    (p, _), (c, hs), (f, fhs) = prev, cur, first
    if not (isinstance(p, Name) and isinstance(c, Name) and isinstance(f, Name)):
        return False
    if c.base != p.base or len(c.idx) != 1 or len(p.idx) != 1 or c.idx[0] != p.idx[0] + 1:
        return False
    if _same_index(first):
        return _same_index(cur) and hs[0].base == fhs[0].base
    return hs == fhs


def _and(xs: list[str]) -> str:
    if len(xs) <= 1:
        return "".join(xs)
    return ", ".join(xs[:-1]) + " and " + xs[-1]


def _text(inst: Instance) -> str:
    q = inst.question
    text = q.text or ""
    if inst.binding and q.gen is not None:
        text += "  [" + ", ".join(f"{k} = {v}" for k, v in inst.binding.items()) + "]"
    return text


def run(model: Model, options: Options) -> Iterator[tuple[Instance, Result]]:
    """Answer every question of the model, in source order."""
    engine = Engine(model, guess_bits=options.guess_bits, max_coalition=options.max_coalition)
    insts = instances(model, engine)
    answerer = Answerer(model, engine, options)
    for inst in insts:
        yield inst, answerer.answer(inst)
