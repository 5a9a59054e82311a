"""Roles → attacks: the bounded attack search of docs/language.md (rules/attack.lp).

The honest roles (attack_roles.py) become ground facts: for every step, the
messages it sends or accepts under each assignment of its variables (typed: an
agent variable ranges over agent names, a value variable over the atomic values
of the spec, a composite one over the terms of that shape), kept to the
assignments some run can use: what the adversary can know in any run is
over-approximated first (`_Reach`, a least fixpoint over the roles), and a
message outside it is never delivered. A target outside it needs no search at
all. clingo then plans a run: at each time point an honest role sends its next
message or accepts a delivered one, and the adversary (malicious agents and
intruders, one knower per time point, with the closure rules every other knower
uses) must be able to build each term it delivers. The shortest run in which the
adversary learns the target is the attack.

The search is bounded: every honest role runs once, in any interleaving. The
facts are ground, one per role step and usable assignment (a bounded search has
few sessions); their number is capped (MAX_ASSIGNMENTS per step).
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import clingo

from . import names, progress
from .attack_roles import (
    Role,
    Roles,
    RoleStep,
    Var,
    canonical,  # exponents in one order (the roles are built from canonical terms)
    initial,
    pattern_vars,
    public_terms,
    substitute,
)
from .attack_roles import roles as make_roles
from .compile import model_term
from .engine import Knowledge, _split, rule_text
from .errors import ResourceLimit
from .model import BUILTINS, Model, Term
from .symbols import Decoder, encode
from .terms import App, GTerm, Lin, Name, Tup, flatten_exp, show, subterms

ATTACK_RULES = ("terms", "knowledge", "synthesis", "algebra", "guessing", "sharing", "attack")
MAX_ASSIGNMENTS = 20000  # ground messages one role step may accept (or candidates tried
# one by one: a composite part's fillings, a pattern with exponentiations)

Assignment = tuple[dict[Var, GTerm], GTerm]  # a step's variables' values, and its message


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
        # (instance, step) of a send -> the adversary agents that observe it, and how
        self._observers: dict[tuple[int, int], list[tuple[clingo.Symbol, str]]] = {}
        self._sym_cache: dict[GTerm, clingo.Symbol] = {}
        self._cand_cache: dict[tuple[Var, bool], list[GTerm]] = {}
        self._ctls: dict[int, clingo.Control] = {}  # by horizon
        self._fact_list: list[clingo.Symbol] | None = None
        self._reach: _Reach | None = None  # what the adversary may know in some run
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
        got = self._cand_cache.get((v, used))
        if got is not None:
            return got
        slots: list[list[GTerm]] = []
        own = self._own_atoms(doms)
        if v.kind == "lin":
            # a linear part it cannot compute takes a value or a linear term (the
            # checker's typed matching): the expected term, or a value in its place
            self._cand_cache[(v, used)] = list(dict.fromkeys(
                [v.expected, *(doms["value"] if used else own["value"])]))
            return self._cand_cache[(v, used)]

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
        out = dict.fromkeys([] if used else [v.expected])
        for combo in itertools.product(*slots):
            t = fill(v.expected, list(combo))
            # sk(a) too: a receiver that cannot check a private key it is sent takes
            # the adversary's own sk(eve) (or one that leaked) in its place
            out.setdefault(t)
        self._cand_cache[(v, used)] = list(out)
        return self._cand_cache[(v, used)]

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
        steps = self._usable(doms, forgeable, set(adv_init) | set(self.public) | self._weak())
        terms: set[GTerm] = set(universe)
        horizon = 0
        inst_of: dict[Name, int] = {}
        for i, role in enumerate(self.roles.honest, 1):
            inst_of[role.agent] = i
        for i, role in enumerate(self.roles.honest, 1):
            out.append(F("inst", [N(i)]))
            out.append(F("nsteps", [N(i), N(len(role.steps))]))
            # the steps the role can reach: up to the first step no run can take
            horizon += next((j for j, gs in enumerate(steps[i - 1]) if not gs),
                            len(role.steps))
            for j, st in enumerate(role.steps, 1):
                self._steps[(i, j)] = st
                for g, (sigma, m) in enumerate(steps[i - 1][j - 1], 1):
                    terms.add(m)
                    args = [N(i), N(j), N(g), self._sym(m), N(st.line)]
                    out.append(F(names.CAN_SEND if st.kind == "send" else names.CAN_ACCEPT, args))
                    for v, val in sigma.items():
                        out.append(F("assigns", [N(i), N(j), N(g), self._var_sym(v),
                                                 self._sym(val)]))
                if st.kind == "send":
                    to = st.peer
                    if self.roles.intruder:
                        observers = [(sorted(self.roles.intruders)[0], "sees")]
                    elif to is not None and to in adv:
                        observers = [(to, "receives")]
                    elif to is None:
                        observers = [(a, "receives") for a in sorted(adv)]
                    else:
                        observers = []
                    self._observers[(i, j)] = [(self._sym(a), how) for a, how in observers]
                    for a, how in observers:
                        out.append(F("observed", [N(i), N(j), self._sym(a), F(how, [])]))
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

    def _usable(self, doms: dict[str, list[GTerm]], forgeable: Callable[[GTerm], bool],
                held: set[GTerm]) -> list[list[list[Assignment]]]:
        """For every role and step, the assignments some run can use, each with its
        ground message (typed candidates, `_candidates`; a signature nobody can make
        is never a candidate).

        What the adversary can know in any run is over-approximated by a least
        fixpoint: start from what it holds; a receive's assignment is usable
        when its message follows from that set (`_Reach`) and the values it gives the
        variables bound earlier were usable at the steps that bound them (a variable
        bound at one step ranges afterwards only over those values); a send's
        assignment is usable when its variables' values were; every message a usable
        send sends joins the set; repeat until nothing new is sent. Every run stays
        inside (by induction over its events: each delivered term follows from what
        the adversary held and the messages sent before it, and every honest message
        is in the set, so inbox deliveries are too), so the search answers as over
        every assignment, with far fewer of them: a ciphertext under a key nobody but
        its owners ever holds has one filling, the one sent. The receives' messages
        are found by matching their patterns against the set (`_Matcher`), not by
        enumerating every filling."""
        sent: set[GTerm] = set()
        later: list[list[set[Var]]] = []
        for role in self.roles.honest:
            after = [set[Var]() for _ in role.steps]
            for j in range(len(role.steps) - 2, -1, -1):
                after[j] = after[j + 1] | set(pattern_vars(role.steps[j + 1].pattern))
            later.append(after)
        while True:
            reach = _Reach(held | sent)
            usable = [self._role_usable(role, later[i], doms, forgeable, reach)
                      for i, role in enumerate(self.roles.honest)]
            now = {m for i, role in enumerate(usable) for j, gs in enumerate(role)
                   if self.roles.honest[i].steps[j].kind == "send" for _, m in gs}
            if now <= sent:
                self._reach = reach
                return usable
            sent |= now

    def _role_usable(self, role: Role, later: list[set[Var]], doms: dict[str, list[GTerm]],
                     forgeable: Callable[[GTerm], bool], reach: _Reach
                     ) -> list[list[Assignment]]:
        """The usable assignments of each step of one role, given what the adversary
        may know (`_usable`); no step after one without any."""
        seen: set[Var] = set()
        allowed: dict[Var, list[GTerm]] = {}  # a bound variable: the values usable there
        out: list[list[Assignment]] = []
        for j, st in enumerate(role.steps):
            if out and not out[-1]:
                out.append([])  # no run gets this far
                continue
            vs = pattern_vars(st.pattern)
            dom = {v: allowed[v] if v in allowed else
                   self._candidates(v, doms, v in later[j] or v in seen) for v in vs}
            what = f"messages for step {st.step} of {show(role.agent)} (line {st.line})"
            if st.kind == "send":
                sigmas = _product(vs, dom, what)
            else:
                sigmas = _Matcher(vs, dom, reach).match(st.pattern, what)
            here: list[Assignment] = []
            for sigma in sigmas:
                m = canonical(substitute(st.pattern, sigma))
                if forgeable(m):
                    here.append((sigma, m))
            if len(here) > MAX_ASSIGNMENTS:
                raise ResourceLimit(f"the attack search would try {len(here)} {what}; "
                                    f"at most {MAX_ASSIGNMENTS}")
            for v in vs:
                if v not in allowed:
                    allowed[v] = list(dict.fromkeys(sigma[v] for sigma, _ in here))
            seen.update(vs)
            out.append(here)
        return out

    def _weak(self) -> set[GTerm]:
        """The values with a range small enough to guess (weak/1 in `_shape`)."""
        from . import ground

        return {Name(d.name, tuple(ground.eval_index(i, b) for i in d.index))
                for d in self.model.values
                if d.range is not None and (d.range[1] - d.range[0] + 1).bit_length() <= 40
                for b in ground.bindings(d.gen)}

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
        within the bound: every honest role step at most once).

        A target outside what the adversary may know in any run (`possible`) has
        none: the answer needs no search."""
        if not self.possible(target):
            return None
        return self.search(target)

    def possible(self, target: GTerm) -> bool:
        """Whether the target is in the over-approximation of what the adversary can
        know in some run (`_usable`, `_Reach`): False means no run of the bound lets
        it learn the target."""
        self.horizons()  # the facts, and with them the over-approximation
        assert self._reach is not None
        return self._reach.derivable(canonical(target))

    def search(self, target: GTerm) -> Attack | None:
        """`attack` by the planning program alone, horizon after horizon."""
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
        F = clingo.Function
        N = clingo.Number
        # the send events, by the message sent: (time, line, its step's observers)
        sends: dict[clingo.Symbol, list[tuple[int, int, list[tuple[clingo.Symbol, str]]]]] = {}
        for t, e in occ:
            if e.name == "send":
                i, j, _ = (a.number for a in e.arguments)
                sends.setdefault(self._message_sym(ctl, e), []).append(
                    (t, self._steps[(i, j)].line, self._observers.get((i, j), [])))
        by_time: dict[int, list[clingo.Symbol]] = {}
        for s in syms:
            if s.name not in (names.DER, names.SPLITS):
                continue
            t = s.arguments[0].arguments[0].number
            r = s.arguments[2] if s.name == names.DER else None
            if r is not None and r.name == "observed":
                # observed(A, R): the sends of the message before t that A observed by R,
                # each its leaf R(A, T0, L)
                a, how = r.arguments
                by_time.setdefault(t, []).extend(
                    F(names.DER, [s.arguments[0], s.arguments[1],
                                  F(how.name, [a, N(t0), N(line)]), s.arguments[3]])
                    for t0, line, obs in sends.get(s.arguments[1], [])
                    if t0 < t and (a, how.name) in obs)
            else:
                by_time.setdefault(t, []).append(s)
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
        return self._dec.term(self._message_sym(ctl, e))

    def _message_sym(self, ctl: clingo.Control, e: clingo.Symbol) -> clingo.Symbol:
        """The symbol of the message of event `e`."""
        i, j, g = (a.number for a in e.arguments)
        pred = names.CAN_SEND if e.name == "send" else names.CAN_ACCEPT
        for sa in ctl.symbolic_atoms.by_signature(pred, 5):
            a = sa.symbol.arguments
            if a[0].number == i and a[1].number == j and a[2].number == g:
                return a[3]
        raise AssertionError("an event without its message")  # pragma: no cover


def _product(vs: list[Var], dom: dict[Var, list[GTerm]], what: str
             ) -> list[dict[Var, GTerm]]:
    """Every assignment of the variables over their domains, in product order (at
    most MAX_ASSIGNMENTS: `what` they are, for the resource limit)."""
    _cap([dom[v] for v in vs], what)
    return [dict(zip(vs, vals, strict=True)) for vals in itertools.product(*(dom[v] for v in vs))]


class _Matcher:
    """The assignments of a receive pattern's variables (over their domains) under
    which the message follows from what the adversary may know (`_Reach.derivable`),
    found from the pattern: a message is derivable when it is known, or built from
    derivable parts (a tuple, or a function other than pk and sk), or pk(A) with sk(A)
    known. So a part under a key the adversary never has is matched against the
    known terms only, instead of trying every filling of every variable. Patterns
    with exponentiations or linear parts (their canonical order, Diffie-Hellman) are
    enumerated and tested one by one. The result is exactly the assignments whose
    message is derivable, in the order of the product of the domains."""

    def __init__(self, vs: list[Var], dom: dict[Var, list[GTerm]], reach: _Reach) -> None:
        self.vs = vs
        self.dom = dom
        self.sets = {v: set(d) for v, d in dom.items()}
        self.reach = reach

    def match(self, p: object, what: str) -> list[dict[Var, GTerm]]:
        """The assignments under which p's instance is derivable (`what` they are,
        for the resource limit of a pattern tried one assignment at a time)."""
        if any(isinstance(u, Lin) or isinstance(u, App) and u.fn == "exp"
               for t in [p, *(v.expected for v in self.vs)] for u in _pattern_subterms(t)):
            out = [s for s in _product(self.vs, self.dom, what)
                   if self.reach.derivable(canonical(substitute(p, s)))]
        else:
            out = [s for s in self._match(p, {}) if len(s) == len(self.vs)]
        index = {v: {x: k for k, x in enumerate(self.dom[v])} for v in self.vs}
        uniq = {tuple(s[v] for v in self.vs): s for s in out}
        return [uniq[k] for k in sorted(uniq, key=lambda k: tuple(
            index[v][x] for v, x in zip(self.vs, k, strict=True)))]

    def _match(self, p: object, sigma: dict[Var, GTerm]) -> list[dict[Var, GTerm]]:
        """The extensions of `sigma` to the variables of `p` under which p's instance
        is derivable (p has no exponentiation and no linear part: its instance is
        canonical as it is)."""
        free = [v for v in pattern_vars(p) if v not in sigma]
        if not free:
            return [sigma] if self.reach.derivable(substitute(p, sigma)) else []
        if isinstance(p, Var):
            return [{**sigma, p: c} for c in self.dom[p] if self.reach.derivable(c)]
        assert isinstance(p, (App, Tup))
        out: list[dict[Var, GTerm]] = []
        for t in self.reach.like(p):
            s = self._unify(p, t, dict(sigma))
            if s is not None:
                out.append(s)
        if isinstance(p, App) and p.fn in ("pk", "sk"):
            # pk(A): from sk(A); sk is never built: one by one
            for vals in itertools.product(*(self.dom[v] for v in free)):
                s = {**sigma, **dict(zip(free, vals, strict=True))}
                if self.reach.derivable(substitute(p, s)):
                    out.append(s)
            return out
        parts = p.parts if isinstance(p, Tup) else p.args
        partial = [sigma]
        for q in parts:  # built: every part derivable, the variables shared
            partial = [s2 for s in partial for s2 in self._match(q, s)]
            if not partial:
                break
        return out + partial

    def _unify(self, p: object, t: GTerm, sigma: dict[Var, GTerm]) -> dict[Var, GTerm] | None:
        """`sigma` extended so that p's instance is the known term t, or None."""
        if isinstance(p, Var):
            if p in sigma:
                return sigma if sigma[p] == t else None
            if t not in self.sets[p]:
                return None
            sigma[p] = t
            return sigma
        if isinstance(p, Name):
            return sigma if p == t else None
        if isinstance(p, Tup) and isinstance(t, Tup) and len(p.parts) == len(t.parts):
            pairs = zip(p.parts, t.parts, strict=True)
        elif isinstance(p, App) and isinstance(t, App) and p.fn == t.fn \
                and len(p.args) == len(t.args):
            pairs = zip(p.args, t.args, strict=True)
        else:
            return None
        for q, u in pairs:
            got = self._unify(q, u, sigma)
            if got is None:
                return None
        return sigma


def _pattern_subterms(p: object) -> list[object]:
    """Every subterm of a pattern (variables are leaves)."""
    out = [p]
    if isinstance(p, Tup):
        for x in p.parts:
            out.extend(_pattern_subterms(x))
    elif isinstance(p, App):
        for x in p.args:
            out.extend(_pattern_subterms(x))
    elif isinstance(p, Lin):
        for x, _ in p.parts:
            out.extend(_pattern_subterms(x))
    return out


class _Reach:
    """An over-approximation of everything the adversary could know in any run, from
    a set of terms it might hold or observe (`known`): closed under splitting,
    decryption with a key it could have, private-key decryption, unsigning, and
    every atom of a linear term (peeling, without counting what the other atoms
    need); `derivable` adds building, pk from sk, and Diffie-Hellman in either order
    of exponents. Each derivation rule of the attack program (knowledge.lp,
    synthesis.lp, algebra.lp; guessing only gives a weak value, which the caller puts
    in `known`; no share facts reach the attack program) is one of these or weaker,
    so a term this says is not derivable is known in no run."""

    def __init__(self, known: set[GTerm]) -> None:
        self.known: set[GTerm] = set()
        self._memo: dict[GTerm, bool] = {}
        self._shapes: dict[tuple[Any, ...], list[GTerm]] | None = None  # for `like`
        pending: list[GTerm] = []  # ciphertexts whose key is not derivable yet
        todo = list(known)
        while todo:
            while todo:
                t = todo.pop()
                if t in self.known:
                    continue
                self.known.add(t)
                self._memo.clear()
                if isinstance(t, Tup):
                    todo.extend(t.parts)
                elif isinstance(t, Lin):
                    todo.extend(a for a, _ in t.parts)
                elif isinstance(t, App) and t.fn == "sign":
                    todo.append(t.args[1])
                elif isinstance(t, App) and t.fn in ("enc", "aenc"):
                    pending.append(t)
            still: list[GTerm] = []
            for c in pending:
                assert isinstance(c, App)
                if self._opens(c):
                    todo.append(c.args[1])
                else:
                    still.append(c)
            pending = still

    def like(self, p: object) -> list[GTerm]:
        """The known terms of the pattern's shape (with its first part, when that
        part has no variable)."""
        if self._shapes is None:
            self._shapes = {}
            for t in self.known:
                if isinstance(t, (Tup, App)):
                    kids = t.parts if isinstance(t, Tup) else t.args
                    head = ("" if isinstance(t, Tup) else t.fn, len(kids))
                    self._shapes.setdefault(head, []).append(t)
                    if kids:
                        self._shapes.setdefault((*head, kids[0]), []).append(t)
        if isinstance(p, Tup):
            head, kids = ("", len(p.parts)), p.parts
        elif isinstance(p, App):
            head, kids = (p.fn, len(p.args)), p.args
        else:
            return []
        if kids and not pattern_vars(kids[0]):
            return self._shapes.get((*head, kids[0]), [])
        return self._shapes.get(head, [])

    def _opens(self, c: App) -> bool:
        key = c.args[0]
        if c.fn == "enc":
            return self.derivable(key)
        return isinstance(key, App) and key.fn == "pk" and App("sk", key.args) in self.known

    def derivable(self, t: GTerm) -> bool:
        got = self._memo.get(t)
        if got is None:
            got = self._memo[t] = self._derivable(t)
        return got

    def _derivable(self, t: GTerm) -> bool:
        if t in self.known:
            return True
        if isinstance(t, Tup):
            return all(self.derivable(p) for p in t.parts)
        if isinstance(t, Lin):
            return all(self.derivable(a) for a, _ in t.parts)
        if not isinstance(t, App) or t.fn == "sk":
            return False
        if t.fn == "pk":
            return App("sk", t.args) in self.known
        if t.fn == "exp":
            base, exps = flatten_exp(t)
            for k, e in enumerate(exps):  # the exponent e applied last
                rest = base
                for x in reversed(exps[:k] + exps[k + 1:]):
                    rest = App("exp", (rest, x))
                if self.derivable(e) and self.derivable(canonical(rest)):
                    return True
            return False
        return all(self.derivable(a) for a in t.args)


def _signs_received(p: object) -> bool:
    """The pattern signs a part that contains a variable (something received)."""
    if isinstance(p, App):
        if p.fn == "sign" and pattern_vars(p.args[1]):
            return True
        return any(_signs_received(a) for a in p.args)
    if isinstance(p, Tup):
        return any(_signs_received(x) for x in p.parts)
    return False


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
