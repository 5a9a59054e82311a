"""Roles → attacks: the bounded attack search of docs/language.md (rules/attack.lp).

The honest roles (attack_roles.py) become ground facts: for every step, the
messages it sends or accepts under each assignment of its variables (typed: an
agent variable ranges over agent names, a value variable over the atomic values
of the spec, a composite one over the terms of that shape). clingo then plans a
run: at each time point an honest role sends its next message or accepts a
delivered one, and the adversary (malicious agents and intruders, one knower per
time point, with the closure rules every other knower uses) must be able to build
each term it delivers. The shortest run in which the adversary learns the target
is the attack.

The search is bounded: every honest role runs once, in any interleaving. The
facts are ground, one per role step and assignment (a bounded search has few
sessions); the number of assignments is capped (MAX_ASSIGNMENTS).
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import clingo

from . import names, progress
from .attack_roles import Roles, RoleStep, Var, initial, pattern_vars, public_terms, substitute
from .attack_roles import roles as make_roles
from .compile import model_term
from .engine import Knowledge, _split, rule_text
from .errors import ResourceLimit
from .model import BUILTINS, Model, Term
from .symbols import Decoder, encode
from .terms import App, GTerm, Lin, Name, Tup, flatten_exp, lin, show, subterms

ATTACK_RULES = ("terms", "knowledge", "synthesis", "algebra", "guessing", "sharing", "attack")
MAX_ASSIGNMENTS = 20000  # ground messages one role step may accept


@dataclass(frozen=True)
class Event:
    """One event of an attack: an honest agent sends the next message of its role,
    or the adversary delivers a term to an honest agent waiting at a receive."""

    kind: str  # "send" | "deliver"
    index: int  # 1-based position in the run
    agent: Name  # the sender (send) or the adversary agent that delivers (deliver)
    to: Name | None  # the receiver of a send (None: everyone), the honest receiver of a deliver
    sender: Name | None  # deliver: the sender the narration names at that receive
    term: GTerm
    line: int  # the narration line of the role's step
    step: int  # the narration step
    proof: Any = None  # deliver: proof.Proof that the adversary could build the term
    session: Name | None = None  # the session of the honest role (None: the narration)
    role: str | None = None  # the role the honest agent plays in it


@dataclass(frozen=True)
class Attack:
    """A run of the bounded search in which the adversary learns the target."""

    adversary: tuple[Name, ...]
    target: GTerm
    events: tuple[Event, ...]
    proof: Any  # proof.Proof of the target from the adversary's knowledge at the end
    knowledge: Knowledge = field(compare=False, repr=False)


class AttackSearch:
    """Grounds the attack program of a model once; answers one target at a time."""

    def __init__(self, model: Model, targets: list[GTerm]) -> None:
        self.model = model
        self.roles: Roles = make_roles(model)
        self.agent_names = frozenset(a.name for a in model.agents)
        self.targets = [canonical(t) for t in targets]
        self._steps: dict[tuple[int, int], RoleStep] = {}
        self._sym_cache: dict[GTerm, clingo.Symbol] = {}
        self._ctls: dict[int, clingo.Control] = {}  # by horizon
        self._fact_list: list[clingo.Symbol] | None = None
        self.full_horizon = 0
        # linear terms: lin(Id, ()) with their summands as lterm/4 facts, decoded
        # from a template per term (as the compiler's are)
        self._lin_templates: dict[int, tuple[Term, tuple[str, ...]]] = {}
        self._lin_facts: list[clingo.Symbol] = []
        self._dec = Decoder()
        self._dec.lin_templates = self._lin_templates  # filled while facts are made
        self.public = public_terms(model)

    # ----------------------------------------------------------------- facts

    def _sym(self, t: GTerm) -> clingo.Symbol:
        """The clingo symbol of a ground term (a linear part as lin(Id, ()), with its
        summands recorded as lterm/4 facts)."""
        s = self._sym_cache.get(t)
        if s is None:
            F = clingo.Function
            if isinstance(t, Lin):
                lid = len(self._lin_templates) + 1
                self._lin_templates[lid] = (model_term(t, self.agent_names), ())
                s = F("lin", [clingo.Number(lid), clingo.Tuple_([])])
                for rank, (a, c) in enumerate(t.parts):
                    self._lin_facts.append(F("lterm", [s, self._sym(a), clingo.Number(c),
                                                       F("s", [clingo.Number(rank),
                                                               clingo.Tuple_([])])]))
            elif isinstance(t, Tup):
                s = F("tup", [clingo.Tuple_([self._sym(p) for p in t.parts])])
            elif isinstance(t, App) and any(isinstance(u, Lin) for u in subterms(t)):
                args = [self._sym(a) for a in t.args]
                s = (F(t.fn, args) if t.fn in BUILTINS
                     else F("uf", [clingo.String(t.fn), clingo.Tuple_(args)]))
            else:
                s = encode(t, self.agent_names)
            self._sym_cache[t] = s
        return s

    def _domains(self, universe: set[GTerm]) -> dict[str, list[GTerm]]:
        """The atoms each kind of atomic variable ranges over (agent names; atomic
        values: every declared value of the spec that occurs in a message, a target
        or the adversary's knowledge)."""
        agents = sorted(self.roles.agents)
        names = sorted({u for t in universe for u in subterms(t)
                        if isinstance(u, Name) and u not in self.roles.agents})
        return {"agent": list(agents), "value": list(names)}

    def _candidates(self, v: Var, doms: dict[str, list[GTerm]], used: bool) -> list[GTerm]:
        """What the variable `v` may be bound to: an atom of its kind, or for a
        composite part the expected term's shape filled with atoms of the same kinds
        (typed matching keeps the universe finite).

        A variable that the role never uses again (`used` False: a ticket it only
        accepts) only has to be deliverable: what it is changes nothing later. It
        ranges over the expected term and the shape filled with the adversary's own
        atoms, so that the universe does not grow with every filling."""
        if v.kind in doms:
            return doms[v.kind]
        slots: list[list[GTerm]] = []
        own = self._own_atoms(doms)

        def leaves(t: GTerm) -> None:
            if isinstance(t, Name) and not used:
                slots.append(own["agent"] if t in self.roles.agents else own["value"])
            elif isinstance(t, Name):
                slots.append(doms["agent"] if t in self.roles.agents else doms["value"])
            elif isinstance(t, Tup):
                for p in t.parts:
                    leaves(p)
            elif isinstance(t, App):
                for a in t.args:
                    leaves(a)

        def fill(t: GTerm, it: list[GTerm]) -> GTerm:
            if isinstance(t, Name):
                return it.pop(0)
            if isinstance(t, Tup):
                return Tup(tuple(fill(p, it) for p in t.parts))
            if isinstance(t, App):
                return App(t.fn, tuple(fill(a, it) for a in t.args))
            return t

        leaves(v.expected)
        _cap(slots, f"terms in place of {show(v.expected)} for {show(v.agent)}")
        out = [] if used else [v.expected]
        for combo in itertools.product(*slots):
            t = fill(v.expected, list(combo))
            if not (isinstance(t, App) and t.fn == "sk") and t not in out:
                out.append(t)
        return out

    def _own_atoms(self, doms: dict[str, list[GTerm]]) -> dict[str, list[GTerm]]:
        """One agent name and one value the adversary has from the start (public or
        its own), for filling shapes it only has to be able to build."""
        adv = self.roles.adversary
        held: list[GTerm] = sorted(
            (t for a in adv for t in initial(self.model, a) if isinstance(t, Name)), key=show)
        pub: list[GTerm] = sorted(
            (t for t in self.public if isinstance(t, Name) and t not in self.roles.agents),
            key=show)
        value = (held or pub or doms["value"])[:1]
        return {"agent": list(adv[:1]) or doms["agent"][:1], "value": value}

    def _facts(self) -> list[clingo.Symbol]:
        """Every input fact of rules/attack.lp and the shape facts of its terms."""
        F = clingo.Function
        N = clingo.Number
        out: list[clingo.Symbol] = []
        adv = set(self.roles.adversary)
        expected = {canonical(st.expected) for r in self.roles.honest for st in r.steps}
        adv_init: dict[GTerm, tuple[Name, int]] = {}
        for a in self.roles.adversary:
            for t, line in initial(self.model, a).items():
                adv_init.setdefault(t, (a, line))
        universe = set(expected) | set(adv_init) | set(self.targets) | set(self.public)
        doms = self._domains(universe)
        forgeable = self._signatures(expected, adv)
        terms: set[GTerm] = set(universe)
        horizon = 0
        inst_of: dict[Name, int] = {}
        for i, role in enumerate(self.roles.honest, 1):
            inst_of[role.agent] = i
        for i, role in enumerate(self.roles.honest, 1):
            out.append(F("inst", [N(i)]))
            out.append(F("nsteps", [N(i), N(len(role.steps))]))
            horizon += len(role.steps)
            seen: list[Var] = []
            # the values a variable can have once bound: those of the assignments
            # that survived at the step that bound it
            allowed: dict[Var, list[GTerm]] = {}
            later: list[set[Var]] = [set() for _ in role.steps]
            for j in range(len(role.steps) - 2, -1, -1):
                later[j] = later[j + 1] | set(pattern_vars(role.steps[j + 1].pattern))
            for j, st in enumerate(role.steps, 1):
                self._steps[(i, j)] = st
                vs = pattern_vars(st.pattern)
                choices = [allowed[v] if v in allowed else
                           self._candidates(v, doms, v in later[j - 1] or v in seen)
                           for v in vs]
                _cap(choices, f"messages for step {st.step} of {show(role.agent)} "
                              f"(line {st.line})")
                g = 0
                bound_here: dict[Var, list[GTerm]] = {v: [] for v in vs if v not in allowed}
                for vals in itertools.product(*choices):
                    sigma = dict(zip(vs, vals, strict=True))
                    m = canonical(substitute(st.pattern, sigma))
                    if not forgeable(m):
                        continue  # a signature nobody can make: never delivered
                    g += 1
                    for v, vals_v in bound_here.items():
                        if sigma[v] not in vals_v:
                            vals_v.append(sigma[v])
                    terms.add(m)
                    args = [N(i), N(j), N(g), self._sym(m), N(st.line)]
                    out.append(F(names.CAN_SEND if st.kind == "send" else names.CAN_ACCEPT, args))
                    for v, val in sigma.items():
                        out.append(F("assigns", [N(i), N(j), N(g), self._var_sym(v),
                                                 self._sym(val)]))
                seen.extend(v for v in vs if v not in seen)
                allowed.update(bound_here)
                if st.kind == "send":
                    to = st.peer
                    if self.roles.intruder:
                        first = sorted(self.roles.intruders)[0]
                        out.append(F("observed", [N(i), N(j), self._sym(first), F("sees", [])]))
                    elif to is not None and to in adv:
                        out.append(F("observed", [N(i), N(j), self._sym(to),
                                                  F("receives", [])]))
                    elif to is None:
                        for a in sorted(adv):
                            out.append(F("observed", [N(i), N(j), self._sym(a),
                                                      F("receives", [])]))
                    if not self.roles.intruder and to is not None and to in inst_of:
                        out.append(F("honestto", [N(i), N(j), N(inst_of[to])]))
                    if not self.roles.intruder and to is None:
                        for b, k in inst_of.items():
                            if b != role.agent:
                                out.append(F("honestto", [N(i), N(j), N(k)]))
        self.full_horizon = horizon
        if self.roles.intruder:
            out.append(F("intruder", []))
        for t, (a, line) in adv_init.items():
            out.append(F("advinit", [self._sym(t), self._sym(a), N(line)]))
        for t in self.targets:
            out.append(F("target", [self._sym(t)]))
        for t, line in self.public.items():
            out.append(F("pubv", [self._sym(t), N(line)]))
        out.extend(self._shape(terms))
        out.extend(self._lin_facts)
        return out

    def _signatures(self, expected: set[GTerm], adv: set[Name]) -> Callable[[GTerm], bool]:
        """A test for candidate messages: False when the message contains a signature
        by an honest agent's key that no honest role ever makes (the key never
        travels in a message, so the adversary cannot make it either). Keeps the
        typed candidates of a signed part to what can arrive."""
        sent = {u for t in expected for u in subterms(t)}
        signed = {u for u in sent if isinstance(u, App) and u.fn == "sign"}
        leaked: set[GTerm] = set()  # secret keys sent other than as a signing key

        def walk(u: GTerm) -> None:
            if isinstance(u, App) and u.fn == "sk":
                leaked.add(u)
            elif isinstance(u, App) and u.fn == "sign":
                walk(u.args[1])
            elif isinstance(u, App):
                for a in u.args:
                    walk(a)
            elif isinstance(u, Tup):
                for p in u.parts:
                    walk(p)
            elif isinstance(u, Lin):
                for a, _ in u.parts:
                    walk(a)

        for t in expected:
            walk(t)
        # an honest role that signs something it received may sign anything of that
        # shape in some run: its signatures are not filtered
        for role in self.roles.honest:
            for st in role.steps:
                if st.kind == "send" and _signs_received(st.pattern):
                    leaked.add(App("sk", (role.agent,)))

        def ok(m: GTerm) -> bool:
            for u in subterms(m):
                if isinstance(u, App) and u.fn == "sign" and isinstance(u.args[0], App) \
                        and u.args[0].fn == "sk" and u.args[0].args[0] not in adv \
                        and u.args[0] not in leaked and u not in signed:
                    return False
            return True

        return ok

    def _var_sym(self, v: Var) -> clingo.Symbol:
        return clingo.Function("x", [self._sym(v.expected), clingo.Number(v.n)])

    def _shape(self, terms: set[GTerm]) -> list[clingo.Symbol]:
        """arg/3 and nargs/2 for every composite term (and part of one); weak/1."""
        F = clingo.Function
        N = clingo.Number
        out: list[clingo.Symbol] = []
        done: set[GTerm] = set()
        stack = list(terms)
        while stack:
            t = stack.pop()
            if t in done:
                continue
            done.add(t)
            kids: tuple[GTerm, ...] = ()
            if isinstance(t, Tup):
                kids = t.parts
            elif isinstance(t, App) and t.fn not in ("pk", "sk"):
                kids = t.args
            elif isinstance(t, App):
                stack.extend(t.args)
            elif isinstance(t, Lin):
                stack.extend(a for a, _ in t.parts)
            for k, a in enumerate(kids, 1):
                out.append(F("arg", [self._sym(t), N(k), self._sym(a)]))
                stack.append(a)
            if kids:
                out.append(F("nargs", [self._sym(t), N(len(kids))]))
        from . import ground

        for d in self.model.values:
            if d.range is not None and (d.range[1] - d.range[0] + 1).bit_length() <= 40:
                for b in ground.bindings(d.gen):
                    w = Name(d.name, tuple(ground.eval_index(i, b) for i in d.index))
                    if w in done:
                        out.append(F("weak", [self._sym(w)]))
        return out

    # ---------------------------------------------------------------- solving

    def control(self, horizon: int) -> clingo.Control:
        """The attack program with at most `horizon` events, grounded once."""
        F = clingo.Function
        if horizon not in self._ctls:
            progress.phase(f"grounding the attack search ({horizon} events)")
            if self._fact_list is None:
                self._fact_list = self._facts()
            ctl = clingo.Control(["--opt-mode=opt", "--warn=none"])
            for r in ATTACK_RULES:
                ctl.add("base", [], rule_text(r))
            with ctl.backend() as bk:
                for f in [*self._fact_list, F("horizon", [clingo.Number(horizon)])]:
                    bk.add_rule([bk.add_atom(f)])
            ctl.ground([("base", [])])
            self._ctls[horizon] = ctl
        return self._ctls[horizon]

    def horizons(self) -> list[int]:
        """The horizons tried in turn: 2, 4, 8, ... and every honest step once (the
        bound); a short attack is found without grounding the whole bound."""
        if self._fact_list is None:
            self._fact_list = self._facts()
        out = []
        h = 2
        while h < self.full_horizon:
            out.append(h)
            h *= 2
        out.append(self.full_horizon)
        return out

    def attack(self, target: GTerm) -> Attack | None:
        """The shortest run in which the adversary learns `target`, or None (none
        within the bound: every honest role step at most once)."""
        target = canonical(target)
        for h in self.horizons():
            ctl = self.control(h)
            tsym = self._sym(target)
            for t in self.targets:
                ctl.assign_external(clingo.Function(names.ASKED, [self._sym(t)]), t == target)
            best: list[clingo.Symbol] | None = None
            with ctl.solve(yield_=True) as handle:
                for m in handle:
                    best = list(m.symbols(shown=True))
            ctl.assign_external(clingo.Function(names.ASKED, [tsym]), False)
            if best is not None:
                return self._decode(ctl, best, target)
        return None

    def _decode(self, ctl: clingo.Control, syms: list[clingo.Symbol], target: GTerm
                ) -> Attack:
        from .prover import prove

        occ = sorted((s.arguments[0].number, s.arguments[1]) for s in syms
                     if s.name == names.OCCURS)
        ders = [s for s in syms if s.name in (names.DER, names.SPLITS)]
        by_time: dict[int, list[clingo.Symbol]] = {}
        for s in ders:
            by_time.setdefault(s.arguments[0].arguments[0].number, []).append(s)
        adv = self.roles.adversary
        pub = self.public

        def knowledge(t: int) -> Knowledge:
            raw, _ = _split(by_time.get(t, []))
            return Knowledge(adv, t, pub, raw, self._dec, self.agent_names)

        events: list[Event] = []
        for t, e in occ:
            i, j, g = (a.number for a in e.arguments)
            st = self._steps[(i, j)]
            role = self.roles.honest[i - 1]
            agent = role.agent
            term = self._ground_of(ctl, e)
            if e.name == "send":
                events.append(Event("send", t, agent, st.peer, None, term, st.line, st.step,
                                    None, role.session, role.role))
            else:
                know = knowledge(t)
                p = prove(know, term) if know.knows(term) else None
                events.append(Event("deliver", t, self._deliverer, agent, st.peer, term,
                                    st.line, st.step, p, role.session, role.role))
        final = knowledge(max(by_time) if by_time else 1)  # adv(H + 1): after the run
        proof = prove(final, target)
        return Attack(adv, target, tuple(events), proof, final)

    @property
    def _deliverer(self) -> Name:
        """The adversary agent named as delivering: the first intruder, else the first
        malicious agent."""
        return (self.roles.intruders or self.roles.adversary)[0]

    def _ground_of(self, ctl: clingo.Control, e: clingo.Symbol) -> GTerm:
        """The message of event `e` (its step's pattern under its assignment)."""
        i, j, g = (a.number for a in e.arguments)
        pred = names.CAN_SEND if e.name == "send" else names.CAN_ACCEPT
        for sa in ctl.symbolic_atoms.by_signature(pred, 5):
            a = sa.symbol.arguments
            if a[0].number == i and a[1].number == j and a[2].number == g:
                return self._dec.term(a[3])
        raise AssertionError("an event without its message")  # pragma: no cover


def _signs_received(p: object) -> bool:
    """The pattern signs a part that contains a variable (something received)."""
    if isinstance(p, App):
        if p.fn == "sign" and pattern_vars(p.args[1]):
            return True
        return any(_signs_received(a) for a in p.args)
    if isinstance(p, Tup):
        return any(_signs_received(x) for x in p.parts)
    return False


def canonical(t: GTerm) -> GTerm:
    """`t` with every exponentiation's exponents in one order (exp(exp(g, b), a) and
    exp(exp(g, a), b) are one key): a role that computes a Diffie-Hellman key from
    what it received, and the narration's own way of writing that key, give the
    same term, so that linear masks built from it cancel."""
    if isinstance(t, App) and t.fn == "exp":
        base, exps = flatten_exp(t)
        out = canonical(base)
        for e in sorted((canonical(e) for e in exps), key=show):
            out = App("exp", (out, e))
        return out
    if isinstance(t, App):
        return App(t.fn, tuple(canonical(a) for a in t.args))
    if isinstance(t, Tup):
        return Tup(tuple(canonical(p) for p in t.parts))
    if isinstance(t, Lin):
        return lin([(canonical(a), c) for a, c in t.parts])
    return t


def _cap(choices: list[list[GTerm]], what: str) -> None:
    """Stop (a resource limit) when the product of the choices exceeds the bound."""
    count = 1
    for c in choices:
        count *= max(len(c), 1)
    if count > MAX_ASSIGNMENTS:
        raise ResourceLimit(f"the attack search would try {count} {what}; "
                            f"at most {MAX_ASSIGNMENTS}")


def attack_json(a: Attack) -> dict[str, Any]:
    """The `attack` object of docs/language.md: the adversary, the events, and the
    proof of the target from what the adversary holds at the end.

    Each event: `index` (1..n), `kind` ("send" or "deliver"), `session` (null for a
    narration without protocol blocks), `role` (the honest agent whose role the event
    belongs to), `agent` (who acts: the honest sender, or the adversary agent that
    delivers), `to` (the receiver: of a send, null for a broadcast; of a delivery,
    the honest agent), `from` (a delivery: the sender the narration names), `term`,
    `line` and `step` (the narration's message statement), and for a delivery
    `proof` (section 10 form, coalition the adversary) that the adversary could
    build the term from what it held then: leaves `holds` (its agents' initial
    knowledge), `sees` (by an intruder: an earlier send event, `step` = its index)
    or `receives` (by an adversary agent an earlier send was addressed to).
    """
    evs = []
    for e in a.events:
        honest = e.agent if e.kind == "send" else e.to
        assert honest is not None  # a delivery always names its honest receiver
        d: dict[str, Any] = {"index": e.index, "kind": e.kind,
                             "session": show(e.session) if e.session is not None else None,
                             "role": e.role if e.role is not None else show(honest),
                             "agent": show(e.agent),
                             "to": show(e.to) if e.to is not None else None,
                             "term": show(e.term), "line": e.line, "step": e.step}
        if e.kind == "deliver":
            d["from"] = show(e.sender) if e.sender is not None else None
            d["proof"] = e.proof.to_json() if e.proof is not None else None
        evs.append(d)
    return {"adversary": [show(x) for x in a.adversary], "events": evs,
            "proof": a.proof.to_json() if a.proof is not None else None}
