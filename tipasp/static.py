"""Symbolic facts about message templates, decided once per statement (not per instance).

`trivially_built` proves that every instance of a message statement is built by its
sender from what it holds at the start, by unifying the index expressions of the
statement with those of the declarations. The engine then skips the per-instance
sender check for that step: for `u[i] -> server : enc(k[i], x[i]) for i in 1..N`
with `key k[i] @ u[i]` and `secret x[i] @ u[i]`, that is N instances not grounded.
The check is conservative: when unsure it answers False and clingo decides.
"""

from __future__ import annotations

import weakref
from collections.abc import Iterator, Mapping

from .model import (
    AgentRef,
    Binder,
    IBin,
    IConst,
    IExpr,
    INeg,
    IVar,
    Message,
    Model,
    TAgent,
    TApp,
    Term,
    TLin,
    TName,
    TSum,
    TTuple,
    ValueDecl,
)


def _subst(e: IExpr, env: Mapping[str, IExpr]) -> IExpr:
    """`e` with variables replaced by expressions."""
    if isinstance(e, IVar):
        return env.get(e.name, e)
    if isinstance(e, IBin):
        return IBin(e.op, _subst(e.left, env), _subst(e.right, env))
    if isinstance(e, INeg):
        return INeg(_subst(e.arg, env))
    return e


def _interval(e: IExpr, box: Mapping[str, tuple[int, int]]) -> tuple[int, int] | None:
    """Bounds of `e` over the box of variable ranges (None when not simple)."""
    if isinstance(e, IConst):
        return e.value, e.value
    if isinstance(e, IVar):
        return box.get(e.name)
    if isinstance(e, IBin) and e.op in "+-":
        a, b = _interval(e.left, box), _interval(e.right, box)
        if a is None or b is None:
            return None
        return (a[0] + b[0], a[1] + b[1]) if e.op == "+" else (a[0] - b[1], a[1] - b[0])
    return None


def _leaves(t: Term, box: dict[str, tuple[int, int]]) -> Iterator[tuple[Term, dict]]:
    """The leaves of a term, each with the variable ranges in force (sums add binders)."""
    if isinstance(t, (TName, TAgent)):
        yield t, box
    elif isinstance(t, TTuple):
        for p in t.parts:
            yield from _leaves(p, box)
    elif isinstance(t, TApp):
        if t.fn in ("pk", "sk"):
            yield t, box
        else:
            for a in t.args:
                yield from _leaves(a, box)
    elif isinstance(t, TLin):
        for _, p in t.parts:
            yield from _leaves(p, box)
    elif isinstance(t, TSum):
        inner = _box(t.gen.binders, box)
        if inner is None or t.gen.conds:
            yield t, box  # not simple: a leaf that no rule below accepts
        else:
            yield from _leaves(t.body, inner)


def _box(binders: tuple[Binder, ...], box: Mapping[str, tuple[int, int]]
         ) -> dict[str, tuple[int, int]] | None:
    out = dict(box)
    for b in binders:
        lo, hi = _interval(b.lo, out), _interval(b.hi, out)
        if lo is None or hi is None:
            return None
        out[b.var] = (lo[0], hi[1])
    return out


def _held(decl: ValueDecl, index: tuple[IExpr, ...], sender: AgentRef,
          box: Mapping[str, tuple[int, int]]) -> bool:
    """Does every instance of `decl`'s name at `index` exist and have `sender` as a holder?"""
    if decl.kind == "public":
        return True
    gen = decl.gen
    binders = gen.binders if gen is not None else ()
    if gen is not None and gen.conds:
        return False
    names = [i.name for i in decl.index if isinstance(i, IVar)]
    if len(decl.index) != len(index) or len(names) != len(decl.index):
        return False
    if sorted(names) != sorted(b.var for b in binders) or len(set(names)) != len(names):
        return False
    env = dict(zip(names, index, strict=True))
    for b in binders:  # the leaf's index values must lie in the declared ranges
        rng = _interval(env[b.var], box)
        if rng is None or not (isinstance(b.lo, IConst) and isinstance(b.hi, IConst)):
            return False
        if rng[0] < b.lo.value or rng[1] > b.hi.value:
            return False
    return any(
        h.name == sender.name and tuple(_subst(i, env) for i in h.index) == sender.index
        for h in decl.holders
    )


# The declarations of each model by name, and its agent names: made once per model,
# not once per message (a spec of 30,000 messages and 30,000 declarations would
# otherwise index the declarations 30,000 times).
_INDEX: weakref.WeakKeyDictionary[Model, tuple[dict[str, list[ValueDecl]], frozenset[str]]] = (
    weakref.WeakKeyDictionary()
)


def _index(model: Model) -> tuple[dict[str, list[ValueDecl]], frozenset[str]]:
    """The model's value declarations by name, and its agent names (cached per model)."""
    found = _INDEX.get(model)
    if found is None:
        decls: dict[str, list[ValueDecl]] = {}
        for d in model.values:
            decls.setdefault(d.name, []).append(d)
        found = decls, frozenset(a.name for a in model.agents)
        _INDEX[model] = found
    return found


def trivially_built(model: Model, msg: Message) -> bool:
    """True when every instance of `msg` is built by its sender from its initial holdings."""
    box = _box(msg.gen.binders, {}) if msg.gen is not None else {}
    if box is None:
        return False
    decls, agents = _index(model)
    for leaf, lbox in _leaves(msg.term, box):
        if isinstance(leaf, TAgent):
            continue  # agent names are public
        if not isinstance(leaf, TName) or leaf.name in agents:
            return False
        if not any(_held(d, leaf.index, msg.sender, lbox) for d in decls.get(leaf.name, ())):
            return False
    return True
