"""Model → roles: each honest agent's part of the narration, as an Alice-and-Bob
compiler derives it (docs/language.md, "What an honest receiver accepts").

Part of the attack stage (attack_search.py answers questions with it). A role is
the sequence of the agent's sends and receives in narration order. At a receive,
the parts of the expected message that the agent knows or can compute at that
point are checked (they stay literal in the pattern); the parts it cannot open
or has not seen are accepted as they arrive: they become variables (`Var`), named
after the expected part, and are used as received wherever the role uses that
part later. Matching is typed: a variable standing for an agent name accepts
agent names, one standing for an atomic value accepts atomic values, one standing
for a composite part (a ciphertext the agent cannot open) accepts terms of the
same shape.

A narration without protocol blocks is one session of itself: the concrete
agents are the roles. Families are expanded here (a bounded search runs few
sessions).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from fractions import Fraction
from typing import Literal

from . import ground
from .model import Model
from .terms import App, GTerm, Lin, Name, Tup, flatten_exp, lin, show, subterms


@dataclass(frozen=True)
class Var:
    """A part that `agent` accepts as it arrives, in place of `expected`.

    `kind` is its type: "agent", "value" (an atomic value or key) or "fn/arity"
    (a composite term of that shape; "tup/n" for a tuple of n parts).
    """

    agent: Name
    expected: GTerm
    kind: str
    n: int = 0  # a part marked `?` is accepted afresh: its n-th variable


Pat = GTerm | Var  # a message pattern: a ground term in which Var may occur


@dataclass(frozen=True)
class RoleStep:
    """One send or receive of a role, with the message of the honest run
    (`expected`) and the pattern the role sends or accepts."""

    kind: Literal["send", "recv"]
    step: int  # the narration step (message statement)
    line: int
    peer: Name | None  # the receiver of a send, the sender named in a receive
    expected: GTerm
    pattern: object  # Pat


@dataclass(frozen=True)
class Role:
    """An honest agent's part of the narration: in a session of a protocol block,
    the role `role` that `agent` plays in `session` (both None for the narration's
    own messages, where the agent is the role)."""

    agent: Name
    steps: tuple[RoleStep, ...]
    session: Name | None = None
    role: str | None = None


@dataclass(frozen=True)
class Roles:
    """The honest roles and the adversary of a model."""

    honest: tuple[Role, ...]
    adversary: tuple[Name, ...]  # malicious agents and intruders, sorted
    intruders: tuple[Name, ...]  # the intruders (they control the network), sorted
    agents: frozenset[Name]

    @property
    def intruder(self) -> bool:
        """An intruder controls the network."""
        return bool(self.intruders)


def adversary(model: Model) -> tuple[Name, ...]:
    """The agents of the one adversary (malicious agents and intruders), sorted."""
    return tuple(sorted({ground.agent(a, {}) for a in (*model.malicious, *model.intruders)}))


def public_terms(model: Model) -> dict[GTerm, int]:
    """What every agent knows (agent names, public values, public keys), each with the
    line that declares it."""
    out: dict[GTerm, int] = {}
    for a in model.agents:
        for idx in _dims(a.dims):
            out.setdefault(Name(a.name, idx), a.pos.line)
    for d in model.values:
        if d.kind == "public":
            for b in ground.bindings(d.gen):
                out[Name(d.name, tuple(ground.eval_index(i, b) for i in d.index))] = d.pos.line
    for kp in model.keypairs:
        for b in ground.bindings(kp.gen):
            out[App("pk", (ground.agent(kp.agent, b),))] = kp.pos.line
    return out


def initial(model: Model, agent: Name) -> dict[GTerm, int]:
    """What `agent` holds from the start, with the declaration's line."""
    out: dict[GTerm, int] = {}
    for d in model.values:
        if d.kind == "public":
            continue
        for b in ground.bindings(d.gen):
            if any(ground.agent(h, b) == agent for h in d.holders):
                out.setdefault(Name(d.name, tuple(ground.eval_index(i, b) for i in d.index)),
                               d.pos.line)
    for kp in model.keypairs:
        for b in ground.bindings(kp.gen):
            if ground.agent(kp.agent, b) == agent:
                out.setdefault(App("sk", (agent,)), kp.pos.line)
    return out


def _dims(dims: tuple[tuple[int, int], ...]) -> Iterable[tuple[int, ...]]:
    if not dims:
        yield ()
        return
    (lo, hi), rest = dims[0], dims[1:]
    for i in range(lo, hi + 1):
        for tail in _dims(rest):
            yield (i, *tail)


def derivable(t: GTerm, known: set[GTerm]) -> bool:
    """Whether `t` can be built from the (analysed) set `known` by tuples and
    functions (not sk; pk from sk), and exponentiation: exp(exp(g, a), b) from
    exp(g, a) (or exp(g, b)) and the other exponent, the exponents in any order
    (terms canonical, `canonical`; the checker's `_composable`)."""
    if t in known:
        return True
    if isinstance(t, Tup):
        return all(derivable(p, known) for p in t.parts)
    if isinstance(t, App):
        if t.fn == "sk":
            return False
        if t.fn == "pk":
            return App("sk", t.args) in known
        if t.fn == "exp":
            # Diffie-Hellman: a known exp(g, ...) whose exponents are some of t's,
            # raised to the others (a half key received, then one's own exponent)
            base, exps = flatten_exp(t)
            if derivable(base, known) and all(derivable(e, known) for e in exps):
                return True
            need = Counter(exps)
            for k in known:
                kb, ke = flatten_exp(k)
                if ke and kb == base and not Counter(ke) - need and all(
                        derivable(e, known) for e in (need - Counter(ke)).elements()):
                    return True
            return False
        return all(derivable(a, known) for a in t.args)
    if isinstance(t, Lin):
        return _in_span(t, known)
    return False


def _in_span(t: Lin, known: set[GTerm]) -> bool:
    """`t` is a rational combination of the known linear terms and of atoms it can
    build (the checker's `_in_linear_span`): a + r + s from a + r received and s."""
    free: dict[GTerm, bool] = {}

    def project(parts: Iterable[tuple[GTerm, int]]) -> dict[GTerm, Fraction]:
        out = {}
        for a, c in parts:
            if a not in free:
                free[a] = derivable(a, known)
            if not free[a]:
                out[a] = Fraction(c)
        return out

    rows: list[tuple[GTerm, dict[GTerm, Fraction]]] = []  # echelon form: pivot, row

    def reduce(v: dict[GTerm, Fraction]) -> dict[GTerm, Fraction]:
        for piv, row in rows:
            c = v.get(piv)
            if c:
                for a, rc in row.items():
                    v[a] = v.get(a, Fraction(0)) - c * rc
                v = {a: x for a, x in v.items() if x}
        return v

    for k in sorted((k for k in known if isinstance(k, Lin)), key=show):
        r = reduce(project(k.parts))
        if r:
            piv = min(r, key=show)
            rows.append((piv, {a: c / r[piv] for a, c in r.items()}))
    return not reduce(project(t.parts))


def analyse(known: set[GTerm], sealed: Iterable[GTerm] = ()) -> set[GTerm]:
    """`known` closed under splitting, decryption and unsigning. The `sealed` terms
    (parts accepted as they arrived) are not opened: the agent holds what arrived in
    their place, not what the narration says was there (the checker's `_analyse`)."""
    out = set(known)
    skip = set(sealed)
    changed = True
    while changed:
        changed = False
        for t in list(out):
            if t in skip:
                continue
            new: list[GTerm] = []
            if isinstance(t, Tup):
                new = list(t.parts)
            elif isinstance(t, App):
                if t.fn == "enc" and derivable(t.args[0], out):
                    new = [t.args[1]]
                elif t.fn == "aenc" and isinstance(t.args[0], App) and t.args[0].fn == "pk" \
                        and App("sk", t.args[0].args) in out:
                    new = [t.args[1]]
                elif t.fn == "sign":
                    new = [t.args[1]]
            for n in new:
                if n not in out:
                    out.add(n)
                    changed = True
    return out


class _RoleBuilder:
    """Builds one honest agent's role, tracking what it knows step by step."""

    def __init__(self, agent: Name, known: set[GTerm], agents: frozenset[Name]):
        self.agent = agent
        self.unchecked: frozenset[GTerm] = frozenset()  # the `?x` parts of this receive
        self.known = analyse(known)
        self.agents = agents
        self.vars: dict[GTerm, Var] = {}  # expected part -> the variable bound for it
        self.steps: list[RoleStep] = []

    def _var(self, t: GTerm) -> Var:
        if t not in self.vars:
            if isinstance(t, Name):
                kind = "agent" if t in self.agents else "value"
            elif isinstance(t, Tup):
                kind = f"tup/{len(t.parts)}"
            elif isinstance(t, App):
                kind = f"{t.fn}/{len(t.args)}"
            else:
                kind = "lin"
            self.vars[t] = Var(self.agent, t, kind)
        return self.vars[t]

    def accept(self, t: GTerm) -> object:
        """The pattern with which the agent accepts `t` now."""
        if t in self.vars and t not in self.unchecked:
            return self.vars[t]  # bound earlier: checked against what was received
        if t in self.unchecked:
            # `?x`: accepted as it arrives, whatever was accepted for it before; a new
            # variable that stands for it from now on
            old = self.vars.get(t)
            if old is not None:
                self.vars[t] = Var(old.agent, old.expected, old.kind, old.n + 1)
                return self.vars[t]
            return self._var(t)
        # A part it knows or computes is checked, against what it computes now: from
        # the parts it accepted earlier as they arrived, not from what the narration
        # says they were (a DH key from the half key received, hash(k) from the k
        # received; the checker's match compares with _subst(e, sigma)).
        if derivable(t, self.known):
            return self.send_pattern(t)
        if isinstance(t, Tup):
            # The parts of one message are read together (the checker's match): the
            # values among them (names, exponentials, linear terms) first, then the
            # compound parts with those values known, so a ciphertext under a DH key
            # computed from a half key beside it is opened, a signed hash of it rebuilt.
            def compound(p: GTerm) -> bool:
                return isinstance(p, Tup) or (isinstance(p, App) and p.fn != "exp")

            parts: list[object] = [None] * len(t.parts)
            for i, p in enumerate(t.parts):
                if not compound(p):
                    parts[i] = self.accept(p)
            if any(compound(p) for p in t.parts):
                saved = self.known
                self.known = analyse(self.known | {p for p in t.parts if not compound(p)},
                                     self.vars)
                try:
                    for i, p in enumerate(t.parts):
                        if compound(p):
                            parts[i] = self.accept(p)
                finally:
                    self.known = saved
            return Tup(tuple(parts))  # type: ignore[arg-type]
        if isinstance(t, App):
            if t.fn == "enc" and derivable(t.args[0], self.known):
                key = self.send_pattern(t.args[0])  # the key it computes now
                return App("enc", (key, self.accept(t.args[1])))  # type: ignore[arg-type]
            if t.fn == "aenc" and isinstance(t.args[0], App) and t.args[0].fn == "pk" \
                    and App("sk", t.args[0].args) in self.known:
                key = self.send_pattern(t.args[0])
                return App("aenc", (key, self.accept(t.args[1])))  # type: ignore[arg-type]
            if t.fn == "sign" and isinstance(t.args[0], App) and t.args[0].fn == "sk" \
                    and App("pk", t.args[0].args) in self.known | {App("pk", t.args[0].args)}:
                # verified with the signer's public key: the signer is checked (an
                # agent name accepted earlier: the agent it names; a private key
                # accepted in place of sk(b): that key, as the checker's _subst)
                sk = t.args[0]
                key = self.vars[sk] if sk in self.vars else App(
                    "sk", tuple(self.send_pattern(a) for a in sk.args))  # type: ignore[misc]
                return App("sign", (key, self.accept(t.args[1])))  # type: ignore[arg-type]
        return self._var(t)

    def send_pattern(self, t: GTerm) -> object:
        """The message `t` with every part bound by an earlier receive replaced by its
        variable (the role sends what it received, whatever it was)."""
        if t in self.vars:
            return self.vars[t]
        if isinstance(t, Tup):
            return Tup(tuple(self.send_pattern(p) for p in t.parts))  # type: ignore[misc]
        if isinstance(t, App) and t.fn == "exp":
            dh = self._dh_pattern(t)
            if dh is not None:
                return dh
        if isinstance(t, App) and t.fn != "sk":  # pk(A) of an agent A it accepted
            return App(t.fn, tuple(self.send_pattern(a) for a in t.args))  # type: ignore[misc]
        if isinstance(t, Lin):  # a mask computed from what it received
            # an accepted linear term L inside t (t = c * L + rest) stands for what
            # arrived in its place (the checker's _subst): c * X + rest
            view = dict(t.parts)
            parts: list[tuple[object, int]] = []
            for k in sorted((k for k in self.vars if isinstance(k, Lin)), key=show):
                a0, c0 = k.parts[0]
                c = view.get(a0, 0) // c0 if view.get(a0, 0) % c0 == 0 else 0
                if c and all(view.get(a) == c * x for a, x in k.parts):
                    parts.append((self.vars[k], c))
                    for a, _ in k.parts:
                        del view[a]
            parts.extend((self.send_pattern(a), c) for a, c in view.items())
            return Lin(tuple(parts))  # type: ignore[arg-type]
        return t

    def _dh_pattern(self, t: App) -> object | None:
        """Diffie-Hellman: exp(exp(g, a), b) equals exp(exp(g, b), a), so a role that
        accepted exp(g, a) computes the key from what it received, whichever order
        the narration writes: the largest accepted exp(g, ...) inside t up to the
        order of exponents, with the remaining exponents applied to it."""
        base, exps = flatten_exp(t)
        best: tuple[int, GTerm] | None = None
        for v in self.vars:
            if isinstance(v, App) and v.fn == "exp":
                vb, ve = flatten_exp(v)
                if vb == base and not Counter(ve) - Counter(exps) and (
                        best is None or len(ve) > best[0]):
                    best = (len(ve), v)
        if best is None:
            return None
        rest = list((Counter(exps) - Counter(flatten_exp(best[1])[1])).elements())
        out: object = self.vars[best[1]]
        for e in sorted(rest, key=show):
            out = App("exp", (out, self.send_pattern(e)))  # type: ignore[arg-type]
        return out

    # Terms are canonical (`canonical`: exponents in one order) from here on, as in
    # the checker: exp(exp(g, x), y) and exp(exp(g, y), x) are one key, whichever way
    # the narration writes it, for what the role knows, checks and accepted.
    def recv(self, step: int, line: int, peer: Name | None, t: GTerm,
             unchecked: frozenset[GTerm] = frozenset()) -> None:
        t = canonical(t)
        self.unchecked = frozenset(canonical(u) for u in unchecked)
        pat = self.accept(t)
        self.steps.append(RoleStep("recv", step, line, peer, t, pat))
        # the parts accepted as they arrived are not opened later (checker's _analyse)
        self.known = analyse(self.known | {t}, self.vars)

    def send(self, step: int, line: int, peer: Name | None, t: GTerm) -> None:
        t = canonical(t)
        self.steps.append(RoleStep("send", step, line, peer, t, self.send_pattern(t)))


def roles(model: Model) -> Roles:
    """The honest roles of the narration (one per honest agent) and of the sessions
    (one per session and role played by an honest agent), and the adversary."""
    adv = adversary(model)
    pub = set(public_terms(model))
    agents = frozenset(Name(a.name, b) for a in model.agents for b in _dims(a.dims))
    builders: dict[tuple[Name | None, str | None, Name], _RoleBuilder] = {}

    def builder(session: Name | None, role: str | None, agent: Name) -> _RoleBuilder | None:
        if agent in adv:
            return None  # the adversary acts for its agents' roles
        key = (session, role, agent)
        if key not in builders:
            builders[key] = _RoleBuilder(agent, set(initial(model, agent)) | pub, agents)
        return builders[key]

    for m in model.messages:
        for b in ground.bindings(m.gen):
            sender = ground.agent(m.sender, b)
            to = None if m.receiver is None else ground.agent(m.receiver, b)
            t = ground.term(m.term, b)
            unchecked = frozenset(ground.term(u, b) for u in m.unchecked)
            session = None
            if m.session is not None:
                name, idx = m.session
                session = Name(name, tuple(ground.eval_index(i, b) for i in idx))
            sb = builder(session, m.sender_role, sender)
            if sb is not None:
                sb.send(m.step, m.pos.line, to, t)
            receivers = [to] if to is not None else sorted(agents - {sender})
            for r in receivers:
                rb = builder(session, m.receiver_role if to is not None else None, r)
                if rb is not None:
                    rb.recv(m.step, m.pos.line, sender, t, unchecked)
    honest = tuple(Role(agent, tuple(bl.steps), session, role)
                   for (session, role, agent), bl in builders.items() if bl.steps)
    intruders = tuple(sorted({ground.agent(a, {}) for a in model.intruders}))
    return Roles(honest, adv, intruders, agents)


def pattern_vars(p: object) -> list[Var]:
    """The variables of a pattern, in order of first occurrence."""
    out: list[Var] = []

    def walk(u: object) -> None:
        if isinstance(u, Var):
            if u not in out:
                out.append(u)
        elif isinstance(u, Tup):
            for x in u.parts:
                walk(x)
        elif isinstance(u, App):
            for x in u.args:
                walk(x)
        elif isinstance(u, Lin):
            for x, _ in u.parts:
                walk(x)

    walk(p)
    return out


def substitute(p: object, sigma: dict[Var, GTerm]) -> GTerm:
    """The ground term of pattern `p` under the binding `sigma`."""
    if isinstance(p, Var):
        return sigma[p]
    if isinstance(p, Tup):
        return Tup(tuple(substitute(x, sigma) for x in p.parts))
    if isinstance(p, App):
        return App(p.fn, tuple(substitute(x, sigma) for x in p.args))
    if isinstance(p, Lin):
        return lin([(substitute(x, sigma), c) for x, c in p.parts])
    assert isinstance(p, Name)
    return p


def atoms_of(terms: Iterable[GTerm]) -> set[GTerm]:
    """Every atomic subterm (names) of the terms."""
    return {s for t in terms for s in subterms(t) if isinstance(s, Name)}


def canonical(t: GTerm) -> GTerm:
    """`t` with every exponentiation's exponents in one order (exp(exp(g, b), a) and
    exp(exp(g, a), b) are one key): a role that computes a Diffie-Hellman key from
    what it received, and the narration's own way of writing that key, give the
    same term, so that linear masks built from it cancel. (Here, not in
    attack_search.py, because the roles are built from canonical terms.)"""
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

