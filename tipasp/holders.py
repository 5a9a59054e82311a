"""Who holds a ground value from the start, read off the model's declarations.

The why-not sentence names who could give a missing value. Asking clingo would
need a table of holders for every value a why-not might offer (a hundred thousand
rows for a large family), so the few values a sentence names are looked up here
instead: the declaration's generator is solved for the value's index, directly
when the index is the generator's variables (`x[i]`), by enumeration otherwise.
"""

from __future__ import annotations

from collections.abc import Iterator

from . import ground
from .model import Generator, IExpr, IVar, Model
from .terms import App, GTerm, Name, sort_key


def holders(model: Model, t: GTerm) -> list[Name]:
    """The agents that hold `t` from the start (declared holders; `sk(a)`: a)."""
    out: set[Name] = set()
    if isinstance(t, App) and t.fn == "sk" and len(t.args) == 1:
        (a,) = t.args
        for kp in model.keypairs:
            if isinstance(a, Name) and kp.agent.name == a.base:
                for env in _matching(kp.gen, kp.agent.index, a.idx):
                    if ground.agent(kp.agent, env) == a:
                        out.add(a)
    elif isinstance(t, Name):
        for d in model.values:
            if d.name != t.base or len(d.index) != len(t.idx):
                continue
            for env in _matching(d.gen, d.index, t.idx):
                for h in d.holders:
                    try:
                        out.add(ground.agent(h, env))
                    except (ZeroDivisionError, KeyError):
                        continue  # no such holder (clingo drops the fact too)
    return sorted(out, key=sort_key)


def _matching(gen: Generator | None, index: tuple[IExpr, ...], idx: tuple[int, ...]
              ) -> Iterator[dict[str, int]]:
    """The bindings of `gen` under which `index` evaluates to `idx`."""
    if gen is None:
        if _evaluates_to(index, {}, idx):
            yield {}
        return
    binder_vars = [b.var for b in gen.binders]
    direct = [e.name for e in index if isinstance(e, IVar)]
    if len(direct) == len(index) and sorted(direct) == sorted(binder_vars) \
            and len(set(direct)) == len(direct):
        env = {v: i for v, i in zip(direct, idx, strict=True)}
        try:
            ok = all(ground.eval_index(b.lo, env) <= env[b.var] <= ground.eval_index(b.hi, env)
                     for b in gen.binders) and all(ground.eval_cond(c, env) for c in gen.conds)
        except ZeroDivisionError:
            ok = False
        if ok:
            yield env
        return
    for env in ground.bindings(gen):
        if _evaluates_to(index, env, idx):
            yield env


def _evaluates_to(index: tuple[IExpr, ...], env: dict[str, int], idx: tuple[int, ...]) -> bool:
    try:
        return tuple(ground.eval_index(e, env) for e in index) == idx
    except ZeroDivisionError:
        return False
