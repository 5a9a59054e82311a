"""Random small protocol blocks, as TEXT, and a brute-force replay of their runs, for
the property test of the bounded attack search (tests/test_attacks.py).

`protocol(seed)` is a spec: agents alice, bob and the intruder eve (key pairs, a
public g, a value ke of eve's, sometimes a key kab of alice and bob), a block
p(A, B) of 2-4 messages (often a Diffie-Hellman exchange first, often alice's
payload m last) that mix tuples, enc (under kab, a value or private key received,
or a Diffie-Hellman key written in either order of exponents), aenc, sign, hash,
private keys and half keys exp(g, x), the session s1 = p(alice, bob), sometimes a
second session in which eve plays a role, and one question `query eve learns
s1.V`. Every message is sendable: the sender builds it from what it holds and what
it received and could open (a plain syntactic closure; the front end checks it
again). No linear terms: the search peels a sum only when the adversary has its
other atoms without inference, a bound of its own (docs/engine.md).

`brute_attack(model, target)` searches the runs of the same bound as the attack
search (every honest role at most once, in any order) by brute force, with the
independent checker's replay of the honest roles (proofcheck._Honest: what a
receiver accepts) and the naive reference closure (tests/reference.py: what eve can
build). At each receive, eve delivers the terms she can build that follow the
checker's reading of the expected message (`_candidates`): the one term a checked
part must be, the parts of what the receiver opens, and in place of a part it
accepts as it arrives, the terms of that type she knows, the honest one, the part
filled with her atoms, and her exponentials (a small bound). It returns the events
of an attack (a list of strings) or None; TooBig when the run or a delivery has too
many choices.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from typing import Any

from reference import Closure, Spec, norm, spec_of

from tipasp import proofcheck as pc
from tipasp.model import Model
from tipasp.terms import App, GTerm, Lin, Name, Tup, lin, show, subterms

# ------------------------------------------------------------------- the generator

# A term: ("n", text) an atom or role, ("tup", a, b), ("enc", k, m), ("aenc", R, m)
# = aenc(pk(R), m), ("sign", R, m) = sign(sk(R), m), ("hash", m), ("exp", text)
# = exp(g, x), ("dh", x_text, y_text) = exp(exp(g, x), y), ("sk", R) = sk(R).
T = tuple

FRESH = {"A": ["na", "x", "m"], "B": ["nb", "y", "k"]}
EXPONENT = {"A": "x", "B": "y"}


def text(t: T) -> str:
    k = t[0]
    if k == "n":
        return t[1]
    if k == "tup":
        return f"({text(t[1])}, {text(t[2])})"
    if k == "aenc":
        return f"aenc(pk({t[1]}), {text(t[2])})"
    if k == "sign":
        return f"sign(sk({t[1]}), {text(t[2])})"
    if k == "exp":
        return f"exp(g, {t[1]})"
    if k == "dh":
        return f"exp(exp(g, {t[1]}), {t[2]})"
    if k == "sk":
        return f"sk({t[1]})"
    return f"{k}(" + ", ".join(text(a) for a in t[1:]) + ")"


def _opened(t: T, role: str, known: set[T]) -> set[T]:
    """What `role` gets out of receiving `t` (split, decrypt, unsign), by the same
    plain closure a sender check uses."""
    out: set[T] = {t}
    k = t[0]
    if k == "tup":
        out |= _opened(t[1], role, known) | _opened(t[2], role, known)
    elif k == "enc" and t[1] in known | out:
        out |= _opened(t[2], role, known)
    elif k == "aenc" and t[1] == role:
        out |= _opened(t[2], role, known)
    elif k == "sign":
        out |= _opened(t[2], role, known)
    return out


def protocol(seed: int) -> str:
    """A random spec with one protocol block and one question (see the module
    docstring); the same seed gives the same text."""
    rnd = random.Random(seed)
    shared = rnd.random() < 0.4
    own: dict[str, set[T]] = {r: {("n", v) for v in FRESH[r]} for r in "AB"}
    known: dict[str, set[T]] = {r: {("n", "A"), ("n", "B")} | own[r] for r in "AB"}
    if shared:
        for r in "AB":
            known[r].add(("n", "kab"))

    def dh(r: str) -> list[T]:
        """The DH key `r` can compute (the other's half key received, its own
        exponent), written in either order of exponents."""
        other = "B" if r == "A" else "A"
        if ("exp", EXPONENT[other]) not in known[r]:
            return []
        x, y = EXPONENT[r], EXPONENT[other]
        return [("dh", y, x) if rnd.random() < 0.5 else ("dh", x, y)]

    def keys(r: str) -> list[T]:
        """Symmetric keys `r` has: atoms (not roles, exponents or the payload m)."""
        return sorted(t for t in known[r] if t[0] == "sk" or t[0] == "n"
                      and t[1] not in ("A", "B", "x", "y", "m")) + dh(r) * 2

    def gen(r: str, depth: int) -> T:
        other = "B" if r == "A" else "A"
        atoms = sorted(t for t in known[r] if t[0] == "n" and t[1] not in ("x", "y", "m"))
        received = sorted(known[r] - own[r] - {("n", "A"), ("n", "B"), ("n", "kab")})
        # no linear terms: the search peels a sum only when the adversary has its
        # other atoms without inference (docs/engine.md), a bound of its own
        choices = ["atom", "half", "sk"] + ["dh"] * bool(dh(r)) + ["recv", "recv"] * bool(
            received)
        if depth > 0:
            choices += ["tup", "tup", "enc", "enc", "aenc", "sign", "sign", "hash"]
        c = rnd.choice(choices)
        if c == "atom":
            return rnd.choice(atoms)
        if c == "half":
            return ("exp", EXPONENT[r])
        if c == "dh":
            return dh(r)[0]
        if c == "recv":
            return rnd.choice(received)
        if c == "sk":  # its own private key (sent encrypted, one hopes)
            return ("sk", r)
        if c == "tup":
            return ("tup", gen(r, depth - 1), gen(r, depth - 1))
        if c == "enc":
            return ("enc", rnd.choice(keys(r)), gen(r, depth - 1))
        if c == "aenc":
            return ("aenc", rnd.choice([other, other, r]), gen(r, depth - 1))
        if c == "sign":
            return ("sign", r, gen(r, depth - 1))
        return ("hash", gen(r, depth - 1))

    lines: list[str] = []
    used: set[str] = set()

    def send(sender: str, t: T) -> None:
        receiver = "B" if sender == "A" else "A"
        lines.append(f"  {sender} -> {receiver} : {text(t)}")
        known[receiver] |= _opened(t, receiver, known[receiver])
        used.update(u[1] for u in _atoms(t))

    sender = "A" if rnd.random() < 0.75 else "B"
    n = rnd.randint(2, 3)
    if rnd.random() < 0.6:  # a Diffie-Hellman exchange first, then the rest
        for r in "AB":
            half = ("exp", EXPONENT[r])
            send(r, half if rnd.random() < 0.5 else ("tup", half, gen(r, 1)))
        sender, n = "B" if rnd.random() < 0.5 else "A", n - 1
    for _ in range(n):
        send(sender, gen(sender, 2))
        sender = ("B" if sender == "A" else "A") if rnd.random() < 0.8 else sender
    if rnd.random() < 0.7:  # alice's payload, under a key she has
        send("A", ("enc", rnd.choice(keys("A")), ("n", "m")) if rnd.random() < 0.85
             else ("aenc", "B", ("n", "m")))
    fresh = [f"  fresh {', '.join(v for v in FRESH[r] if v in used)} @ {r}"
             for r in "AB" if any(v in used for v in FRESH[r])]
    sessions = ["session s1 = p(alice, bob)"]
    extra = rnd.random()
    if "kab" in used:
        pass  # eve has no kab: she could not play a role that sends under it
    elif extra < 0.3:
        sessions.append("session s2 = p(alice, eve)")
    elif extra < 0.5:
        sessions.append("session s2 = p(eve, bob)")
    targets = [v for r in "AB" for v in FRESH[r] if v in used] or ["na"]
    target = "m" if "m" in targets and rnd.random() < 0.8 else rnd.choice(targets)
    head = ["agent alice, bob, eve", "keypair alice, bob, eve", "public g",
            "random ke @ eve"]
    if shared:
        head.append("key kab @ alice, bob")
    head.append("intruder eve")
    return "\n".join([*head, "", "protocol p(A, B) {", *fresh, *lines, "}", "",
                      *sessions, "", f"query eve learns s1.{target}", ""])


def _atoms(t: T) -> Iterator[T]:
    if t[0] == "n":
        yield t
    elif t[0] == "exp":
        yield ("n", t[1])
    elif t[0] == "dh":
        yield ("n", t[1])
        yield ("n", t[2])
    else:
        for a in t[1:]:
            if isinstance(a, tuple):
                yield from _atoms(a)
            else:
                yield ("n", a)


# ------------------------------------------------------------- the brute force

MAX_CANDIDATES = 4000  # terms tried at one delivery; beyond: TooBig


class TooBig(Exception):
    """The brute force would try too many terms at one delivery."""


def _to_g(c: pc.CTerm) -> GTerm:
    """A checker term as a ground term (exponents in the reference's order)."""
    if c[0] == "n":
        return Name(c[1], c[2])
    if c[0] == "t":
        return Tup(tuple(_to_g(p) for p in c[1]))
    if c[0] == "a":
        return App(c[1], tuple(_to_g(a) for a in c[2]))
    if c[0] == "x":
        out = _to_g(c[1])
        for e in c[2]:
            out = App("exp", (out, _to_g(e)))
        return norm(out)
    return lin([(_to_g(a), int(x)) for a, x in c[1]])


def _to_c(g: GTerm) -> pc.CTerm:
    """A ground term as a checker term."""
    if isinstance(g, Name):
        return pc.mk_name(g.base, g.idx)
    if isinstance(g, Tup):
        return pc.mk_tup([_to_c(p) for p in g.parts])
    if isinstance(g, App):
        return pc.mk_app(g.fn, [_to_c(a) for a in g.args])
    assert isinstance(g, Lin)
    return pc.mk_lin([(_to_c(a), x) for a, x in g.parts])


class _Adversary:
    """What eve can build, from what she holds and the messages she saw (the
    reference closure)."""

    def __init__(self, base: Spec, eve: Name, seen: frozenset[pc.CTerm]) -> None:
        spec = Spec(agents=[eve], holds={eve: set(base.holds.get(eve, set()))},
                    public=set(base.public),
                    messages=[(1, eve, eve, _to_g(c)) for c in sorted(seen, key=repr)],
                    last_step=1)
        self.cl = Closure(spec, [eve])
        # every subterm of what she knows, by type (the terms she may put in a place)
        self.pool: dict[Any, list[pc.CTerm]] = {}
        for g in sorted({s for t in self.cl.known for s in subterms(t)}, key=show):
            c = _to_c(g)
            if self.builds(c):
                self.pool.setdefault(_type(c), []).append(c)
        self.own = [c for c in self.pool.get("value", [])]

    def builds(self, c: pc.CTerm) -> bool:
        return self.cl.can_build(_to_g(c))


def _type(c: pc.CTerm) -> Any:
    if c[0] == "n":
        return "agent" if c[1] in ("alice", "bob", "eve") and not c[2] else "value"
    if c[0] == "x":
        return "exp"
    if c[0] == "t":
        return ("t", len(c[1]))
    if c[0] == "a":
        return ("a", c[1], len(c[2]))
    return "lin"


def _candidates(e: pc.CTerm, h: pc._Honest, adv: _Adversary) -> list[pc.CTerm]:
    """The terms eve delivers to `h` in place of the expected `e`, following the
    checker's reading of `e` (proofcheck._Honest.match): a part the receiver checks
    (accepted before, or derivable) gets the one term it accepts; a tuple, and a
    ciphertext or signature it opens, their constructor over the candidates for
    their parts; a part it accepts as it arrives (opaque), every term of its type
    that eve knows (a subterm of what she knows, that she can build), the honest
    term, the part filled with atoms of eve's, and for an exponential one of hers
    raised to an atom of hers. (Candidates only: `match` decides.)"""
    sigma = h.sigma

    def cands(node: pc.CTerm) -> list[pc.CTerm]:
        if node in sigma:
            return [sigma[node]]
        if h.derivable(node):
            return [pc._subst(node, sigma)]
        if node[0] == "t":
            return _build(pc.mk_tup, [cands(p) for p in node[1]])
        if node[0] == "a" and len(node[2]) == 2:
            fn, (key, m) = node[1], node[2]
            opens = (fn == "enc" and h.derivable(key)) or (
                fn == "aenc" and pc._is_pk(key) and pc.mk_app("sk", key[2]) in h.known) or (
                fn == "sign" and key[0] == "a" and key[1] == "sk")
            if opens:
                return _build(lambda args: pc.mk_app(fn, args),
                              [[pc._subst(key, sigma)], cands(m)])
        out: dict[pc.CTerm, None] = dict.fromkeys(adv.pool.get(_type(node), []))
        if node[0] == "l":  # a value stands for a linear term too
            out.update(dict.fromkeys(adv.pool.get("value", [])))
        out[pc._subst(node, sigma)] = None
        out[_fill(node, adv)] = None
        if node[0] == "x":  # a known exponential (or g) raised to an atom of eve's
            for b in [*adv.pool.get("exp", []), pc.mk_name("g")]:
                for x in adv.own:
                    out[pc.mk_app("exp", (b, x))] = None
        return [t for t in out if adv.builds(t)]

    def _build(make: Any, options: list[list[pc.CTerm]]) -> list[pc.CTerm]:
        count = 1
        for o in options:
            count *= len(o)
        if count > MAX_CANDIDATES:
            raise TooBig(pc.fmt(e))
        return [t for combo in _product(options) if adv.builds(t := make(combo))]

    return [t for t in cands(e) if adv.builds(t)]


def _fill(t: pc.CTerm, adv: _Adversary) -> pc.CTerm:
    """`t` with every atom replaced by one of eve's (her name for an agent)."""
    if t[0] == "n":
        return pc.mk_name("eve") if _type(t) == "agent" else (adv.own or [t])[0]
    if t[0] == "t":
        return pc.mk_tup([_fill(p, adv) for p in t[1]])
    if t[0] == "a":
        return pc.mk_app(t[1], [_fill(a, adv) for a in t[2]])
    if t[0] == "x":
        out = _fill(t[1], adv)
        for x in t[2]:
            out = pc.mk_app("exp", (out, _fill(x, adv)))
        return out
    return t


def _product(options: list[list[pc.CTerm]]) -> Iterator[tuple[pc.CTerm, ...]]:
    if not options:
        yield ()
        return
    for x in options[0]:
        for rest in _product(options[1:]):
            yield (x, *rest)


def _clone(h: pc._Honest) -> pc._Honest:
    c = object.__new__(pc._Honest)
    c.ck, c.name, c.groups = h.ck, h.name, h.groups
    c.gi, c.done = h.gi, set(h.done)
    c.known, c.sigma = set(h.known), dict(h.sigma)
    return c


def brute_attack(model: Model, target: str, max_states: int = 3000) -> list[str] | None:
    """The events of a run in which eve learns `target` (brute force, the module
    docstring), or None. TooBig beyond `max_states` states of the run."""
    rp = pc._Replay(model, 40)
    base = spec_of(model)
    (eve,) = [Name(pc.fmt(a)) for a in rp.adv]
    goal = norm(_to_g(pc.parse(target)))
    keys = sorted(rp.groups, key=repr)
    advs: dict[frozenset[pc.CTerm], _Adversary] = {}
    visited: set[Any] = set()

    def adversary(seen: frozenset[pc.CTerm]) -> _Adversary:
        if seen not in advs:
            advs[seen] = _Adversary(base, eve, seen)
        return advs[seen]

    def sends_later(h: pc._Honest) -> bool:
        """The role has a send ahead (else what it accepts changes nothing eve sees)."""
        group = h._group()
        return group is not None and (
            any(kind == "send" for j, (kind, _) in enumerate(group) if j not in h.done)
            or any(kind == "send" for g in h.groups[h.gi + 1:] for kind, _ in g))

    def state_key(states: dict, seen: frozenset[pc.CTerm]) -> Any:
        return (seen, tuple((k, states[k].gi, frozenset(states[k].done),
                             frozenset(states[k].sigma.items()))
                            for k in keys if sends_later(states[k])))

    def run(states: dict, seen: frozenset[pc.CTerm], trace: list[str]) -> list[str] | None:
        sk = state_key(states, seen)
        if sk in visited:
            return None
        visited.add(sk)
        if len(visited) > max_states:
            raise TooBig(f"more than {max_states} states")
        adv = adversary(seen)
        if adv.cl.can_build(goal):
            return trace
        for k in keys:
            h = states[k]
            group = h._group()
            if group is None:
                continue
            for j, (kind, inst) in enumerate(group):
                if j in h.done:
                    continue
                h2 = _clone(h)
                if kind == "send":
                    h2.take(j)
                    term = pc._subst(inst.term, h.sigma)
                    got = run({**states, k: h2}, seen | {term},
                              [*trace, f"{pc.fmt(h.name)} sends {pc.fmt(term)} (line "
                                       f"{inst.line})"])
                    if got is not None:
                        return got
                    continue
                if not sends_later(h):
                    continue
                for d in _candidates(inst.term, h, adv):
                    sigma = dict(h.sigma)
                    if h.match(inst.term, d, sigma, inst.unchecked) is not None:
                        continue
                    h3 = _clone(h)
                    h3.take(j)
                    h3.sigma = sigma
                    h3.learn(inst.term)
                    got = run({**states, k: h3}, seen,
                              [*trace, f"eve delivers {pc.fmt(d)} to {pc.fmt(h.name)} "
                                       f"(line {inst.line})"])
                    if got is not None:
                        return got
        return None

    return run({k: rp.state(k) for k in keys}, frozenset(), [])
