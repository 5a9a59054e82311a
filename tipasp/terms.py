"""Ground terms: the values and messages of one concrete run, with indices evaluated.

The engine decodes clingo's answer into these, proofs are made of them, and
`show` prints them in the spec's own term syntax so that output parses back.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, order=True)
class Name:
    """A declared value (`x[1]`, `m[1,2]`, `k`) or an agent (inside pk/sk)."""

    base: str
    idx: tuple[int, ...] = ()


@dataclass(frozen=True)
class App:
    """A function application: enc, aenc, sign, hash, mac, exp, pk, sk or a declared function."""

    fn: str
    args: tuple[GTerm, ...]


@dataclass(frozen=True)
class Tup:
    parts: tuple[GTerm, ...]


@dataclass(frozen=True)
class Lin:
    """A linear combination with integer coefficients, canonical: sorted by `show`, no zeros,
    at least two parts or one part with a coefficient other than 1."""

    parts: tuple[tuple[GTerm, int], ...]


GTerm = Name | App | Tup | Lin


def lin(parts: dict[GTerm, int] | list[tuple[GTerm, int]]) -> GTerm:
    """Canonical linear term from (term, coefficient) pairs: merged, zeros dropped, sorted.

    A combination that is a single term with coefficient 1 is that term itself.
    """
    acc: dict[GTerm, int] = {}
    items = parts.items() if isinstance(parts, dict) else parts
    for t, c in items:
        if isinstance(t, Lin):
            for t2, c2 in t.parts:
                acc[t2] = acc.get(t2, 0) + c * c2
        else:
            acc[t] = acc.get(t, 0) + c
    kept = sorted(((t, c) for t, c in acc.items() if c != 0), key=lambda tc: sort_key(tc[0]))
    if len(kept) == 1 and kept[0][1] == 1:
        return kept[0][0]
    return Lin(tuple(kept))


def sort_key(t: GTerm) -> tuple:
    """A total order on terms: names by base then indices, then everything else by text."""
    if isinstance(t, Name):
        return (0, t.base, t.idx)
    return (1, show(t), ())


def show(t: GTerm) -> str:
    """The term in spec syntax (`x[1] + m[1] - m[5]`, `enc(k, (a, b))`)."""
    if isinstance(t, Name):
        if t.idx:
            if "." in t.base:  # a value of a session family: the index is the session's
                session, value = t.base.split(".", 1)
                return f"{session}[{','.join(str(i) for i in t.idx)}].{value}"
            if t.base.endswith("]"):  # `k[u]`: indexed by the agents u[i] (`k[u[3]]`)
                return f"{t.base[:-1]}[{','.join(str(i) for i in t.idx)}]]"
            return f"{t.base}[{','.join(str(i) for i in t.idx)}]"
        return t.base
    if isinstance(t, App):
        return f"{t.fn}({', '.join(show(a) for a in t.args)})"
    if isinstance(t, Tup):
        return f"({', '.join(show(p) for p in t.parts)})"
    if isinstance(t, Lin):
        if not t.parts:
            return "0"
        out = []
        for k, (term, c) in enumerate(t.parts):
            s = show(term)
            if isinstance(term, Lin):
                s = f"({s})"
            mag = abs(c)
            body = s if mag == 1 else f"{mag} * {s}"
            if k == 0:
                out.append(body if c > 0 else f"-{body}")
            else:
                out.append(f"{'+' if c > 0 else '-'} {body}")
        return " ".join(out)
    raise TypeError(f"not a ground term: {t!r}")


def atoms(t: GTerm) -> dict[GTerm, int]:
    """The linear view of a term: {atom: coefficient}; a non-linear term is its own atom."""
    if isinstance(t, Lin):
        return dict(t.parts)
    return {t: 1}


def flatten_exp(t: GTerm) -> tuple[GTerm, list[GTerm]]:
    """A chain of exponentiations as its base and its exponents, outermost first:
    exp(exp(g, a), b) is (g, [b, a]); a term that is no exp is (t, [])."""
    exps: list[GTerm] = []
    while isinstance(t, App) and t.fn == "exp":
        exps.append(t.args[1])
        t = t.args[0]
    return t, exps


def subterms(t: GTerm) -> set[GTerm]:
    """Every subterm of `t`, `t` included."""
    out: set[GTerm] = set()
    stack = [t]
    while stack:
        u = stack.pop()
        if u in out:
            continue
        out.add(u)
        if isinstance(u, App):
            stack.extend(u.args)
        elif isinstance(u, Tup):
            stack.extend(u.parts)
        elif isinstance(u, Lin):
            stack.extend(p for p, _ in u.parts)
    return out
