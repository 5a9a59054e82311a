"""Evaluate the model's symbolic parts in Python for one binding of the index variables.

The engine never uses this to expand families (clingo does that); it is for the
places that need one concrete instance: checking a proof's leaves, naming a query's
target, and the reference closure used by the tests.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping

from .model import (
    AgentRef,
    Generator,
    IBin,
    ICmp,
    IConst,
    IExpr,
    INeg,
    IVar,
    TAgent,
    TApp,
    Term,
    TLin,
    TName,
    TSum,
    TTuple,
)
from .terms import App, GTerm, Name, Tup, lin

Env = Mapping[str, int]


def c_div(a: int, b: int) -> int:
    """Integer division truncating toward zero (C and clingo semantics)."""
    q = abs(a) // abs(b)
    return q if (a >= 0) == (b >= 0) else -q


def c_mod(a: int, b: int) -> int:
    """Remainder with the sign of the dividend (C and clingo semantics)."""
    return a - b * c_div(a, b)


def eval_index(e: IExpr, env: Env) -> int:
    """The value of an index expression; raises ZeroDivisionError or KeyError."""
    if isinstance(e, IConst):
        return e.value
    if isinstance(e, IVar):
        return env[e.name]
    if isinstance(e, INeg):
        return -eval_index(e.arg, env)
    if isinstance(e, IBin):
        a, b = eval_index(e.left, env), eval_index(e.right, env)
        if e.op == "+":
            return a + b
        if e.op == "-":
            return a - b
        if e.op == "*":
            return a * b
        if e.op == "/":
            return c_div(a, b)
        return c_mod(a, b)
    raise TypeError(e)


def eval_cond(c: ICmp, env: Env) -> bool:
    a, b = eval_index(c.left, env), eval_index(c.right, env)
    return {
        "<": a < b,
        "<=": a <= b,
        ">": a > b,
        ">=": a >= b,
        "==": a == b,
        "!=": a != b,
    }[c.op]


def bindings(gen: Generator | None, env: Env | None = None) -> Iterator[dict[str, int]]:
    """Every binding of the generator's variables (extending `env`) that meets its conditions."""
    base = dict(env or {})
    if gen is None:
        yield base
        return

    def rec(k: int, cur: dict[str, int]) -> Iterator[dict[str, int]]:
        if k == len(gen.binders):
            if all(eval_cond(c, cur) for c in gen.conds):
                yield dict(cur)
            return
        b = gen.binders[k]
        lo, hi = eval_index(b.lo, cur), eval_index(b.hi, cur)
        for v in range(lo, hi + 1):
            cur[b.var] = v
            yield from rec(k + 1, cur)
        cur.pop(b.var, None)

    yield from rec(0, base)


def agent(a: AgentRef, env: Env) -> Name:
    """The ground agent named by `a` under `env`."""
    return Name(a.name, tuple(eval_index(i, env) for i in a.index))


def term(t: Term, env: Env) -> GTerm:
    """The ground term of `t` under `env` (linear parts canonicalised)."""
    if isinstance(t, TName):
        return Name(t.name, tuple(eval_index(i, env) for i in t.index))
    if isinstance(t, TAgent):
        return agent(t.agent, env)
    if isinstance(t, TTuple):
        return Tup(tuple(term(p, env) for p in t.parts))
    if isinstance(t, TApp):
        return App(t.fn, tuple(term(a, env) for a in t.args))
    if isinstance(t, TLin):
        return lin([(term(p, env), c) for c, p in t.parts])
    if isinstance(t, TSum):
        return lin([(term(t.body, b), 1) for b in bindings(t.gen, env)])
    raise TypeError(t)
