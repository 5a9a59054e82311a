"""A reference knowledge closure in plain Python: the rules of LANGUAGE.md §6 as a naive
fixpoint over ground terms. Deliberately simple and slow; the tests compare the
engine's answers with it."""

from __future__ import annotations

from tipasp import ground
from tipasp.model import Model
from tipasp.terms import App, GTerm, Name, Tup, subterms


def universe(model: Model) -> set[GTerm]:
    out: set[GTerm] = set()
    for m in model.messages:
        for b in ground.bindings(m.gen):
            out |= subterms(ground.term(m.term, b))
    return out


def public(model: Model) -> set[GTerm]:
    out: set[GTerm] = set()
    for a in model.agents:
        if not a.dims:
            out.add(Name(a.name))
    for d in model.values:
        if d.kind == "public":
            for b in ground.bindings(d.gen):
                out.add(Name(d.name, tuple(ground.eval_index(i, b) for i in d.index)))
    for kp in model.keypairs:
        for b in ground.bindings(kp.gen):
            out.add(App("pk", (ground.agent(kp.agent, b),)))
    return out


def base(model: Model, agent: Name) -> set[GTerm]:
    out: set[GTerm] = set()
    for d in model.values:
        for b in ground.bindings(d.gen):
            if any(ground.agent(h, b) == agent for h in d.holders):
                out.add(Name(d.name, tuple(ground.eval_index(i, b) for i in d.index)))
    for kp in model.keypairs:
        for b in ground.bindings(kp.gen):
            if ground.agent(kp.agent, b) == agent:
                out.add(App("sk", (agent,)))
    for m in model.messages:
        for b in ground.bindings(m.gen):
            to = None if m.receiver is None else ground.agent(m.receiver, b)
            if to is None or to == agent:
                out.add(ground.term(m.term, b))
    return out


def closure(model: Model, agent: Name) -> set[GTerm]:
    """Everything `agent` knows after the last step."""
    uni = universe(model)
    known = base(model, agent) | public(model)
    changed = True
    while changed:
        changed = False
        new: set[GTerm] = set()
        for t in known:
            if isinstance(t, Tup):
                new.update(t.parts)
            elif isinstance(t, App):
                if t.fn == "enc" and t.args[0] in known:
                    new.add(t.args[1])
                elif t.fn == "aenc":
                    key = t.args[0]
                    if isinstance(key, App) and key.fn == "pk" and App("sk", key.args) in known:
                        new.add(t.args[1])
                elif t.fn == "sign":
                    new.add(t.args[1])
                elif t.fn == "sk" and App("pk", t.args) in uni:
                    new.add(App("pk", t.args))
        for t in uni:
            if t in known:
                continue
            if isinstance(t, Tup) and all(p in known for p in t.parts):
                new.add(t)
            elif isinstance(t, App) and t.fn not in ("pk", "sk") and all(
                a in known for a in t.args
            ):
                new.add(t)
        if not new <= known:
            known |= new
            changed = True
    return known
