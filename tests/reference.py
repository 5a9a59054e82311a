"""A reference knowledge closure in plain Python: the rules of docs/language.md as a naive
fixpoint over ground terms. Deliberately simple and slow, and written without the
engine: it uses only the front end's `Model` and the plain data helpers of
`tipasp.ground` and `tipasp.terms`. The tests compare the engine's answers with it.

What a coalition knows after step `after`
=========================================

Base. Every value a member holds (`secret/random/key/noise/shares ... @ holders`),
`sk(a)` for a member `a` with `keypair a`, every message of a step `<= after` sent
to a member or to `*`, every such message overheard by a member that is an
eavesdropper (on every link, or on the named link `a -> b` / `a -> *`), and the public
terms P: `public` values, `pk(a)` of key pairs, agent names. (The empty coalition
knows P only.)

Universe U. Every subterm of every message, of every query target, of every
`shares ... of V` value. Exp terms are taken up to the order of their exponents:
every term is normalised so that a chain exp(exp(g, a), b) lists its exponents sorted
(`norm`), hence exp(exp(g, a), b) and exp(exp(g, b), a) are one term.

Rules, to a fixpoint (K is what is known, P is included in K):

- tuples split; enc(k, m) with k gives m; aenc(pk(b), m) with sk(b) gives m;
  sign(s, m) gives m; pk(a) from sk(a);
- build: a term of U is known when it can be composed from known terms
  (tuple, enc, aenc, sign, hash, mac, declared function, exp; sk never), a linear
  term when it is in the span below; exp(g, E) (exponent multiset E) is built from
  exp(g, E - {e}) and e, for any e in E (Diffie-Hellman);
- linear knowledge, exact: a linear term (canonical `Lin`) is a vector over its atoms;
  the span of the known linear terms plus the unit vectors of every known non-linear
  term is known; an atom is learned when its unit vector lies in that span;
- threshold shares: `shares s[1..n] of v threshold t`: t distinct known shares give v;
- offline guessing of W, a secret declared with `range lo..hi` of fewer than
  2^guess_bits values, not known: W is learned when the coalition can TEST a guess.

Guessing tests
--------------
K is the current knowledge, P the public terms.

RB, rebuildable from the guess: W is in RB. A composite term that contains W is in RB
when each of its arguments is either in RB (an argument that contains W MUST be
rebuilt, never taken from K) or is W-free and known / buildable from K (by composing,
or in the linear span). A linear term that contains W is in RB when each of its atoms
is W, or in RB, or known. (An exp chain is in RB when one of its Diffie-Hellman
decompositions is, see `decompositions`.)

Test 1 (rebuild): some known term T != W that contains W is in RB.
  Tests: hash(pin); hash((pin, hash(n))) with n known; enc(pin, (n, b)) with n known
  and b public. Not tests: (enc(kp, s), r) with kp unknown (enc(kp, s) is known but
  cannot be rebuilt); mac(kp, s) without kp; hash((pin2, salt)) without salt;
  enc(k, s + r) with k known and r unknown (s + r cannot be rebuilt).

Openings: for a known ciphertext C = enc(Key, M) whose Key contains W and is in RB,
M is opened; the parts of an opened tuple are opened too (recursively). Each opening
is an occurrence (C, path). The roots of C are the top-level parts of M if M is a
tuple, else M itself (occurrence (C, ())).

Test 2: an opened term is known (W-free and buildable from K), or is in RB.
Test 3: the same term is opened at two different occurrences (enc(pw, (n, n));
  enc(pw, n) beside enc(hash(pw), n)).
Test 4: a term T built by composing (tuple, function, exp, linear term over atoms)
  from opened terms that all lie under ONE root R (at least one of them), plus terms
  of K, P and RB, equals a term opened at an occurrence not under R, or equals a known
  term other than the ciphertext C of R (enc(pw, n) beside enc(pw, f(n)): f(n) built
  from the first, opened in the second; enc(pw, (n, hash(n))); enc(pw, n) and hash(n)
  known).
  DEVIATION (soundness): composing C itself (re-encrypting an opened plaintext under
  the key of C) is not allowed anywhere inside T. As literally stated, the definition
  would accept T = (enc(pw, n), b) rebuilt from the opened n and compared with a
  known (enc(pw, n), b), or hash(enc(pw, n)) compared with a known hash(enc(pw, n)):
  those equalities hold for every guess, so they test nothing.

Not tests: enc(pw, n) alone with n unknown (any key decrypts it to something), and
re-encrypting an opened plaintext to compare it with its own ciphertext.

A guessed W becomes known and the fixpoint goes on.

Choices where the definition is silent (each one a reading, not a discovery):
- an exp chain is rebuilt through any of its Diffie-Hellman decompositions, so
  exp(exp(g, pin), r) is in RB when exp(g, r) is known;
- in Test 4, linear terms are composed from their atoms but never solved (no
  elimination between opened linear terms and known ones);
- one secret is guessed at a time: hash((pin, pw)) with both ranged is no test,
  although the pair has only 100 values;
- ciphertexts inside an opened plaintext are not opened again (enc(pw, enc(pw, (n,
  n))) is no test).

Honest-but-curious only: the active adversaries of docs/language.md (malicious,
intruder, protocol sessions) are not modelled; specs that use them are out of scope.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from fractions import Fraction

from tipasp import ground
from tipasp.model import Model
from tipasp.terms import App, GTerm, Lin, Name, Tup, lin, sort_key, subterms

# ------------------------------------------------------------------------ terms


def norm(t: GTerm) -> GTerm:
    """`t` with every exp chain's exponents in a canonical order (and linear parts
    re-canonicalised, since equal exp terms may now merge)."""
    if isinstance(t, Name):
        return t
    if isinstance(t, Tup):
        return Tup(tuple(norm(p) for p in t.parts))
    if isinstance(t, Lin):
        return lin([(norm(p), c) for p, c in t.parts])
    if isinstance(t, App):
        if t.fn == "exp":
            base, exps = exp_chain(App("exp", tuple(norm(a) for a in t.args)))
            return mkexp(base, exps)
        return App(t.fn, tuple(norm(a) for a in t.args))
    raise TypeError(t)


def exp_chain(t: GTerm) -> tuple[GTerm, list[GTerm]]:
    """exp(exp(g, a), b) -> (g, [a, b])."""
    exps: list[GTerm] = []
    while isinstance(t, App) and t.fn == "exp":
        exps.append(t.args[1])
        t = t.args[0]
    return t, exps[::-1]


def mkexp(base: GTerm, exps: Iterable[GTerm]) -> GTerm:
    """The canonical exp chain of `base` and the exponents (sorted)."""
    out = base
    for e in sorted(exps, key=sort_key):
        out = App("exp", (out, e))
    return out


def decompositions(t: GTerm) -> list[tuple[GTerm, ...]]:
    """The argument lists from which `t` can be composed: its arguments; for an exp
    chain every (exp(g, E - {e}), e); for a linear term its atoms; [] for atoms."""
    if isinstance(t, Tup):
        return [t.parts]
    if isinstance(t, Lin):
        return [tuple(p for p, _ in t.parts)]
    if isinstance(t, App):
        if t.fn in ("sk", "pk"):
            return []
        if t.fn == "exp":
            base, exps = exp_chain(t)
            out = []
            for i, e in enumerate(exps):
                if e in exps[:i]:
                    continue
                rest = exps[:i] + exps[i + 1:]
                out.append((mkexp(base, rest) if rest else base, e))
            return out
        return [t.args]
    return []


def contains(t: GTerm, w: GTerm) -> bool:
    return w in subterms(t)


def vec(t: GTerm) -> dict[GTerm, Fraction]:
    """The linear view of a term: {atom: coefficient}."""
    if isinstance(t, Lin):
        return {p: Fraction(c) for p, c in t.parts}
    return {t: Fraction(1)}


class Span:
    """A row space over the rationals: rows in echelon form, reduced in insertion order
    (each row is zero at the pivots of the rows before it)."""

    def __init__(self, rows: Iterable[dict[GTerm, Fraction]] = ()) -> None:
        self.rows: list[tuple[GTerm, dict[GTerm, Fraction]]] = []
        for r in rows:
            self.add(r)

    def reduce(self, v: dict[GTerm, Fraction]) -> dict[GTerm, Fraction]:
        r = {a: Fraction(c) for a, c in v.items() if c != 0}
        for p, row in self.rows:
            f = r.get(p)
            if not f:
                continue
            for a, c in row.items():
                x = r.get(a, Fraction(0)) - f * c
                if x:
                    r[a] = x
                else:
                    r.pop(a, None)
        return r

    def add(self, v: dict[GTerm, Fraction]) -> bool:
        r = self.reduce(v)
        if not r:
            return False
        p = min(r, key=sort_key)
        c = r[p]
        self.rows.append((p, {a: x / c for a, x in r.items()}))
        return True

    def contains(self, v: dict[GTerm, Fraction]) -> bool:
        return not self.reduce(v)

    def copy(self) -> Span:
        s = Span()
        s.rows = list(self.rows)
        return s


# ------------------------------------------------------------------ the ground spec


@dataclass
class Spec:
    """The ground facts of a model that the closure needs."""

    agents: list[Name] = field(default_factory=list)
    holds: dict[Name, set[GTerm]] = field(default_factory=dict)  # agent -> held terms
    holders: dict[GTerm, set[Name]] = field(default_factory=dict)  # value -> agents
    public: set[GTerm] = field(default_factory=set)
    messages: list[tuple[int, Name, Name | None, GTerm]] = field(default_factory=list)
    eavesdroppers: list[tuple[Name, tuple[Name, Name | None] | None]] = field(
        default_factory=list)
    shares: list[tuple[int, frozenset[GTerm], GTerm]] = field(default_factory=list)
    weak: list[Name] = field(default_factory=list)
    universe: set[GTerm] = field(default_factory=set)
    groups: list[frozenset[Name]] = field(default_factory=list)
    corrupts: list[tuple[int, list[Name], list[Name]]] = field(default_factory=list)
    last_step: int = 0


def _vname(d, b) -> Name:
    return Name(d.name, tuple(ground.eval_index(i, b) for i in d.index))


def _indices(dims: tuple[tuple[int, int], ...]) -> Iterator[tuple[int, ...]]:
    yield from itertools.product(*(range(lo, hi + 1) for lo, hi in dims))


def spec_of(model: Model, guess_bits: int = 40) -> Spec:
    """Ground every declaration, message, adversary and target of the model."""
    s = Spec()
    s.agents = [Name(a.name, idx) for a in model.agents for idx in _indices(a.dims)]
    s.holds = {a: set() for a in s.agents}
    s.public |= set(s.agents)
    for d in model.values:
        for b in ground.bindings(d.gen):
            v = _vname(d, b)
            if d.kind == "public":
                s.public.add(v)
                continue
            for h in d.holders:
                a = ground.agent(h, b)
                s.holds.setdefault(a, set()).add(v)
                s.holders.setdefault(v, set()).add(a)
            if d.kind == "secret" and d.range is not None:
                lo, hi = d.range
                if hi - lo + 1 < 2 ** guess_bits and v not in s.weak:
                    s.weak.append(v)
        if d.shares is not None:
            groups: dict[tuple, tuple[GTerm, set[GTerm]]] = {}
            for b in ground.bindings(d.gen):
                outer = tuple(sorted((k, x) for k, x in b.items() if k != "#k"))
                v = norm(ground.term(d.shares.of, b))
                groups.setdefault(outer, (v, set()))[1].add(_vname(d, b))
            for v, ss in groups.values():
                s.shares.append((d.shares.threshold, frozenset(ss), v))
                s.universe |= subterms(v)
    for kp in model.keypairs:
        for b in ground.bindings(kp.gen):
            a = ground.agent(kp.agent, b)
            s.public.add(App("pk", (a,)))
            s.holds.setdefault(a, set()).add(App("sk", (a,)))
            s.holders.setdefault(App("sk", (a,)), set()).add(a)
    for m in model.messages:
        for b in ground.bindings(m.gen):
            to = None if m.receiver is None else ground.agent(m.receiver, b)
            t = norm(ground.term(m.term, b))
            s.messages.append((m.step, ground.agent(m.sender, b), to, t))
            s.universe |= subterms(t)
        s.last_step = max(s.last_step, m.step)
    for e in model.eavesdroppers:
        for b in ground.bindings(e.gen):
            link = None
            if e.link is not None:
                src, dst = e.link
                link = (ground.agent(src, b), None if dst is None else ground.agent(dst, b))
            s.eavesdroppers.append((ground.agent(e.agent, b), link))
    for c in model.colludes:
        members: set[Name] = set()
        for b in ground.bindings(c.gen):
            members |= {ground.agent(a, b) for a in c.members}
        s.groups.append(frozenset(members))
    for cr in model.corrupts:
        fam = [Name(cr.family, (i,)) for i in range(cr.lo, cr.hi + 1)]
        s.corrupts.append((cr.count, fam, [ground.agent(a, {}) for a in cr.with_]))
    for q in model.questions:
        for b in ground.bindings(q.gen):
            s.universe |= subterms(norm(ground.term(q.target, b)))
    return s


# --------------------------------------------------------------------- the closure


class Closure:
    """What a coalition knows after step `after` (default: the end): a naive fixpoint."""

    def __init__(self, spec: Spec, coalition: Iterable[Name], after: int | None = None):
        self.spec = spec
        self.members = frozenset(coalition)
        self.after = spec.last_step if after is None else after
        self.known: set[GTerm] = set(spec.public)
        self.guessed: set[Name] = set()
        for a in self.members:
            self.known |= spec.holds.get(a, set())
        taps = [link for e, link in spec.eavesdroppers if e in self.members]
        for step, src, dst, t in spec.messages:
            if step > self.after or not self.members:
                continue
            if dst is None or dst in self.members or any(
                link is None or link == (src, dst) for link in taps
            ):
                self.known.add(t)
        self._run()

    # ---------------------------------------------------------------- helpers

    def _invalidate(self) -> None:
        self._span: Span | None = None
        self._memo: dict[GTerm, bool] = {}

    def span(self) -> Span:
        if self._span is None:
            sp = Span()
            for t in sorted(self.known, key=sort_key):
                sp.add(vec(t))  # a linear term's row, or a known atom's unit vector
            self._span = sp
        return self._span

    def can_build(self, t: GTerm) -> bool:
        """Whether the coalition knows `t` or can compute it (compose, DH, linear)."""
        memo = self._memo
        if t in memo:
            return memo[t]
        memo[t] = False  # terms are finite trees; this only guards the recursion
        memo[t] = r = self._can_build(t)
        return r

    def _can_build(self, t: GTerm) -> bool:
        if t in self.known:
            return True
        if isinstance(t, Name):
            return False
        if isinstance(t, Lin):
            v = vec(t)
            sp = self.span()
            extra = [a for a in v if a not in self.known and self.can_build(a)]
            if extra:
                sp = sp.copy()
                for a in extra:
                    sp.add(vec(a))
            return sp.contains(v)
        if isinstance(t, App) and t.fn == "sk":
            return False
        if isinstance(t, App) and t.fn == "pk":
            return App("sk", t.args) in self.known
        return any(all(self.can_build(a) for a in args) for args in decompositions(t))

    def learns(self, t: GTerm) -> bool:
        """Whether the coalition knows the (ground) term `t`."""
        return self.can_build(norm(t))

    # ---------------------------------------------------------------- the fixpoint

    def _add(self, new: Iterable[GTerm]) -> bool:
        new = set(new) - self.known
        if new:
            self.known |= new
            self._invalidate()
        return bool(new)

    def _run(self) -> None:
        self._invalidate()
        while True:
            if self._decompose() or self._shares() or self._compose() or self._linear():
                continue
            if self._guess():
                continue
            break

    def _decompose(self) -> bool:
        new: set[GTerm] = set()
        for t in self.known:
            if isinstance(t, Tup):
                new.update(t.parts)
            elif isinstance(t, App):
                if t.fn == "enc" and self.can_build(t.args[0]):
                    new.add(t.args[1])
                elif t.fn == "aenc":
                    key = t.args[0]
                    if isinstance(key, App) and key.fn == "pk" and \
                            App("sk", key.args) in self.known:
                        new.add(t.args[1])
                elif t.fn == "sign":
                    new.add(t.args[1])
                elif t.fn == "sk":
                    new.add(App("pk", t.args))
        return self._add(new)

    def _shares(self) -> bool:
        new = [v for th, ss, v in self.spec.shares if len(ss & self.known) >= th]
        return self._add(new)

    def _compose(self) -> bool:
        return self._add([t for t in self.spec.universe
                          if t not in self.known and self.can_build(t)])

    def _linear(self) -> bool:
        atoms = {a for t in self.known | self.spec.universe if isinstance(t, Lin)
                 for a, _ in t.parts}
        sp = self.span()
        return self._add([a for a in atoms if a not in self.known and sp.contains(vec(a))])

    def _guess(self) -> bool:
        for w in self.spec.weak:
            if w not in self.known and Guess(self, w).testable():
                self.guessed.add(w)
                self._add([w])
                return True
        return False


class Guess:
    """Whether the coalition of `cl` can test a guess of the weak secret `w`."""

    def __init__(self, cl: Closure, w: Name):
        self.cl = cl
        self.w = w
        self._rb: dict[GTerm, bool] = {}

    def has(self, t: GTerm) -> bool:
        return contains(t, self.w)

    def rb(self, t: GTerm) -> bool:
        """t (containing w) can be rebuilt from the guess and the knowledge."""
        if t == self.w:
            return True
        if t in self._rb:
            return self._rb[t]
        self._rb[t] = False
        ok = any(all(self.arg_ok(a) for a in args) for args in decompositions(t))
        self._rb[t] = ok
        return ok

    def arg_ok(self, a: GTerm) -> bool:
        return self.rb(a) if self.has(a) else self.cl.can_build(a)

    def leaf_ok(self, a: GTerm) -> bool:
        """A term of K, P or RB (a leaf of a Test-4 construction)."""
        return a in self.cl.known or self.arg_ok(a)

    def testable(self) -> bool:
        cl, w = self.cl, self.w
        known = cl.known
        # Test 1: rebuild a known term that contains the guess
        for t in known:
            if t != w and self.has(t) and self.rb(t):
                return True
        # openings
        occs: list[tuple[GTerm, GTerm, tuple[int, ...]]] = []  # (term, C, path)
        roots: list[tuple[GTerm, tuple[int, ...]]] = []
        for c in known:
            if isinstance(c, App) and c.fn == "enc" and self.has(c.args[0]) \
                    and self.rb(c.args[0]):
                m = c.args[1]
                stack: list[tuple[GTerm, tuple[int, ...]]] = [(m, ())]
                while stack:
                    o, path = stack.pop()
                    occs.append((o, c, path))
                    if isinstance(o, Tup):
                        stack.extend((p, path + (i,)) for i, p in enumerate(o.parts))
                if isinstance(m, Tup):
                    roots.extend((c, (i,)) for i in range(len(m.parts)))
                else:
                    roots.append((c, ()))
        # Test 2: an opened term is known or can be rebuilt
        for o, _, _ in occs:
            if o in known or self.arg_ok(o):
                return True
        # Test 3: one term opened twice
        seen: dict[GTerm, tuple[GTerm, tuple[int, ...]]] = {}
        for o, c, path in occs:
            if o in seen and seen[o] != (c, path):
                return True
            seen.setdefault(o, (c, path))
        # Test 4: build from one root's openings, compare elsewhere
        for c, rpath in roots:
            under = {o for o, c2, p in occs if c2 == c and p[: len(rpath)] == rpath}
            elsewhere = {o for o, c2, p in occs if not (c2 == c and p[: len(rpath)] == rpath)}
            built = set(under)
            changed = True
            while changed:
                changed = False
                for t in cl.spec.universe:
                    if t in built or t == c:
                        continue
                    for args in decompositions(t):
                        if any(a in built for a in args) and all(
                            a in built or self.leaf_ok(a) for a in args
                        ):
                            built.add(t)
                            changed = True
                            break
            for t in built:
                if t in elsewhere or (t in known and t != c):
                    return True
        return False


# ------------------------------------------------------------------- questions


def closure(spec: Spec, coalition: Iterable[Name], after: int | None = None) -> Closure:
    return Closure(spec, coalition, after)


def learns(spec: Spec, coalition: Iterable[Name], target: GTerm,
           after: int | None = None) -> bool:
    return Closure(spec, coalition, after).learns(target)


def holders(spec: Spec, target: GTerm) -> set[Name]:
    """Agents that hold the target from the start (a declared value, or sk(a))."""
    return set(spec.holders.get(norm(target), set()))


def allowed_coalitions(spec: Spec) -> set[frozenset[Name]]:
    """Every coalition of the threat model: single agents, subsets of collude groups,
    subsets of corrupt coalitions."""
    out = {frozenset([a]) for a in spec.agents}
    for g in spec.groups:
        ms = sorted(g)
        for k in range(1, len(ms) + 1):
            out |= {frozenset(c) for c in itertools.combinations(ms, k)}
    for count, fam, with_ in spec.corrupts:
        for k in range(min(count, len(fam)) + 1):
            for pick in itertools.combinations(fam, k):
                ms = sorted(set(pick) | set(with_))
                for j in range(1, len(ms) + 1):
                    out |= {frozenset(c) for c in itertools.combinations(ms, j)}
    return out


@dataclass(frozen=True)
class Who:
    holders: frozenset[Name]
    public: bool
    learners: frozenset[frozenset[Name]]


def who_learns(spec: Spec, target: GTerm, after: int | None = None) -> Who:
    """Holders; whether the target is public (the empty coalition knows it); and the
    minimal coalitions of the threat model, holders excluded, that learn it."""
    hs = frozenset(holders(spec, target))
    if Closure(spec, (), after).learns(target):
        return Who(hs, True, frozenset())
    cands = sorted((c for c in allowed_coalitions(spec) if not c & hs),
                   key=lambda c: (len(c), sorted(c)))
    found: list[frozenset[Name]] = []
    for c in cands:
        if any(f <= c for f in found):
            continue
        if Closure(spec, c, after).learns(target):
            found.append(c)
    return Who(hs, False, frozenset(found))
