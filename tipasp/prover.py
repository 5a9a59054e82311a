"""Knowledge → proofs: choose, among all derivations clingo found, a smallest proof tree.

The coalition program records every derivation of every known term (der/4), so
the derivation graph may contain cycles (a key opens a message that contains the
key). Knuth's generalisation of Dijkstra's algorithm over this hypergraph gives
each term its cheapest acyclic derivation (cost = number of steps in the proof
tree), and the proof of the target is read off bottom-up; shared sub-proofs are
printed once.
"""

from __future__ import annotations

import heapq
from collections.abc import Mapping
from fractions import Fraction

from .engine import Derivation, Knowledge
from .proof import Proof, Step
from .proofcheck import GuessTest, parse
from .terms import App, GTerm, Lin, Tup, atoms, flatten_exp, show, subterms

Shares = Mapping[GTerm, tuple[int, tuple[GTerm, ...]]]  # value -> (threshold, its shares)


def _expand(t: GTerm, d: Derivation, know: Knowledge, shares: Shares, forbid: frozenset[GTerm]
            ) -> tuple[str, tuple[GTerm, ...], tuple[Fraction, ...] | None] | None:
    """The proof rule, premises and coefficients of derivation `d` of `t` (None: unusable)."""
    r = d.rule
    if r == "given":
        return None  # a placeholder: numeric steps come as `linear`, gifts never prove
    if d.leaf is not None:
        return (r, (), None)
    if r == "linear":
        return ("linear", d.premises, tuple(Fraction(c) for c in d.coefficients))
    if r == "build":
        if isinstance(t, Tup):
            return ("build", t.parts, None)
        if isinstance(t, App):
            return ("build", t.args, None)
        return None
    if r == "lbuild":
        parts = atoms(t)
        return ("linear", tuple(parts), tuple(Fraction(c) for c in parts.values()))
    if r == "peel":
        (lterm,) = d.premises
        parts = atoms(lterm)
        ca = Fraction(parts[t])
        others = [b for b in parts if b != t]
        return ("linear", (lterm, *others), (1 / ca, *(-Fraction(parts[b]) / ca for b in others)))
    if r == "reconstruct":
        th, all_shares = shares.get(t, (0, ()))
        have = [s for s in all_shares if know.knows(s)]
        if th == 0 or len(have) < th:
            return None
        return ("reconstruct", tuple(have[:th]), None)
    if r == "guess":
        prem = tuple(dict.fromkeys(d.premises))
        full = (*prem, *_support(prem, t, know, shares, forbid | {t}))
        # The closure records tests whose known parts may come from the guess itself
        # (a plaintext decrypted with it): keep only tests that hold with what the
        # knower has without the guess.
        if not GuessTest(parse(show(t)), {parse(show(p)) for p in full}).tested():
            return None
        return ("guess", full, None)
    return (r, d.premises, None)


def _kids(t: GTerm) -> tuple[GTerm, ...]:
    if isinstance(t, App):
        return t.args
    if isinstance(t, Tup):
        return t.parts
    if isinstance(t, Lin):
        return tuple(p for p, _ in t.parts)
    return ()


def _support(prem: tuple[GTerm, ...], w: GTerm, know: Knowledge, shares: Shares,
             forbid: frozenset[GTerm]) -> tuple[GTerm, ...]:
    """The known parts that a guess test of `w` against the terms `prem` uses: the
    largest parts free of `w` inside them that the knower has without the guess
    (what rebuilding, or building from a decrypted plaintext, takes from its
    knowledge). Parts it has only through the guess (a plaintext it decrypted with
    it) would make the proof circular."""
    out: list[GTerm] = []

    def visit(u: GTerm) -> None:
        if u == w or u in out or u in prem:
            return
        if w not in subterms(u) and know.knows(u) and _best(know, u, shares, forbid)[0]:
            out.append(u)
            return
        for k in _kids(u):
            visit(k)

    for p in prem:
        for k in _kids(p):
            visit(k)
        # Diffie-Hellman: exp(exp(g, pin), r) is rebuilt from a known exp(g, r)
        for u in subterms(p):
            if isinstance(u, App) and u.fn == "exp" and w in subterms(u):
                base, exps = flatten_exp(u)
                for e in exps:
                    half = App("exp", (base, e))
                    if w not in subterms(e) and half not in out and know.knows(half) \
                            and _best(know, half, shares, forbid)[0]:
                        out.append(half)
    return tuple(out)


def _best(know: Knowledge, target: GTerm, shares: Shares, forbid: frozenset[GTerm]
          ) -> tuple[bool, dict[GTerm, tuple[str, tuple[GTerm, ...], tuple | None, Derivation]]]:
    """Whether `target` has a proof that never uses a term of `forbid`, and the
    cheapest derivation of every term on the way (Knuth's algorithm)."""
    # The backward cone of the target: only its terms can be in the proof, and only
    # their derivations are decoded (a coalition may know far more).
    options: dict[GTerm, list[tuple[str, tuple[GTerm, ...], tuple | None, Derivation]]] = {}
    todo = [target]
    seen = {target}
    while todo:
        t = todo.pop()
        opts = options.setdefault(t, [])
        for d in know.derivations(t):
            if t in forbid or any(p in forbid for p in d.premises):
                continue
            e = _expand(t, d, know, shares, forbid)
            if e is not None and not any(p in forbid for p in e[1]):
                opts.append((*e, d))
                for p in e[1]:
                    if p not in seen:
                        seen.add(p)
                        todo.append(p)
        # Public terms are leaves held by any member.
        if t in know.public and all(o[0] != "holds" for o in opts):
            opts.append(("public", (), None, Derivation("public")))

    cost: dict[GTerm, int] = {}
    best: dict[GTerm, tuple[str, tuple[GTerm, ...], tuple | None, Derivation]] = {}
    waiting: dict[GTerm, list[tuple[GTerm, int]]] = {}
    remaining: dict[tuple[GTerm, int], int] = {}
    heap: list[tuple[int, int, GTerm, int]] = []
    tie = 0
    for t, opts in options.items():
        for i, (_, prem, _, _) in enumerate(opts):
            uniq = set(prem)
            if not uniq:
                heap.append((1, tie, t, i))
                tie += 1
            else:
                remaining[(t, i)] = len(uniq)
                for p in uniq:
                    waiting.setdefault(p, []).append((t, i))
    heapq.heapify(heap)
    while heap:
        c, _, t, i = heapq.heappop(heap)
        if t in cost:
            continue
        cost[t] = c
        best[t] = options[t][i]
        if t == target:
            break
        for u, j in waiting.get(t, ()):
            if u in cost:
                continue
            remaining[(u, j)] -= 1
            if remaining[(u, j)] == 0:
                prem = options[u][j][1]
                heapq.heappush(heap, (1 + sum(cost[p] for p in set(prem)), tie, u, j))
                tie += 1
    return target in cost, best


def derivable(know: Knowledge, t: GTerm, forbid: frozenset[GTerm],
              shares: Shares | None = None) -> bool:
    """Whether `t` has a derivation that uses no term of `forbid`."""
    return _best(know, t, shares or {}, forbid)[0]


def prove(know: Knowledge, target: GTerm, shares: Shares | None = None) -> Proof | None:
    """A smallest proof that the coalition of `know` learns `target`, or None."""
    shares = shares or {}
    coalition = tuple(show(m) for m in know.members)
    found, best = _best(know, target, shares, frozenset())
    if not found:
        return None

    steps: list[Step] = []
    ids: dict[GTerm, int] = {}

    def emit(t: GTerm) -> int:
        if t in ids:
            return ids[t]
        rule, prem, coefs, d = best[t]
        pids = tuple(emit(p) for p in prem)
        sid = len(steps) + 1
        if rule == "public":
            steps.append(Step(sid, t, "holds", (), by=coalition[0] if coalition else None,
                              line=know.public.get(t)))
        elif d.leaf is not None:
            leaf = d.leaf
            steps.append(Step(sid, t, rule, (), by=show(leaf.by) if leaf.by else None,
                              step=leaf.step, line=leaf.line))
        else:
            steps.append(Step(sid, t, rule, pids, coefficients=coefs))
        ids[t] = sid
        return sid

    # iterative deepening is unnecessary: best[] is acyclic by construction
    emit(target)
    return Proof(coalition=coalition, target=target, steps=tuple(steps))

