"""clingo symbols ↔ ground terms (the decoding side of compile.py's term encoding)."""

from __future__ import annotations

from collections.abc import Mapping

import clingo

from . import ground
from .model import BUILTINS, Term
from .terms import App, GTerm, Lin, Name, Tup

LinTemplates = Mapping[int, tuple[Term, tuple[str, ...]]]


class Decoder:
    """Decodes term symbols; a linear term lin(Id, Inst) is its compiled template Id
    evaluated under the binding Inst (no coefficient table read back from clingo)."""

    def __init__(self, lin_templates: LinTemplates | None = None):
        self.lin_templates = lin_templates or {}
        self._cache: dict[clingo.Symbol, GTerm] = {}
        self._lin_syms: dict[GTerm, list[clingo.Symbol]] = {}  # decoded linear terms

    def symbols_of_lin(self, t: GTerm) -> list[clingo.Symbol]:
        """The symbols a linear term was decoded from so far."""
        return self._lin_syms.get(t, [])

    def term(self, s: clingo.Symbol) -> GTerm:
        """The ground term of a symbol (memoised: the same symbols recur across answers)."""
        hit = self._cache.get(s)
        if hit is not None:
            return hit
        out = self._term(s)
        self._cache[s] = out
        return out

    def name(self, s: clingo.Symbol) -> Name:
        """The term of a value or agent symbol (v/ag), which is always a Name."""
        t = self.term(s)
        if not isinstance(t, Name):
            raise ValueError(f"not a value or agent symbol: {s}")
        return t

    def _term(self, s: clingo.Symbol) -> GTerm:
        name, args = s.name, s.arguments
        if name in ("v", "ag"):
            return Name(args[0].string, tuple(a.number for a in args[1].arguments))
        if name == "tup":
            return Tup(tuple(self.term(a) for a in args[0].arguments))
        if name == "uf":
            return App(args[0].string, tuple(self.term(a) for a in args[1].arguments))
        if name == "lin":
            t, names = self.lin_templates[args[0].number]
            inst = [a.number for a in args[1].arguments]
            out = ground.term(t, dict(zip(names, inst, strict=True)))
            self._lin_syms.setdefault(out, []).append(s)
            return out
        if name in BUILTINS:
            return App(name, tuple(self.term(a) for a in args))
        raise ValueError(f"unexpected term symbol {s}")


def encode(t: GTerm, agents: frozenset[str]) -> clingo.Symbol:
    """The symbol of a non-linear ground term (`agents`: the names that are agents)."""
    if isinstance(t, Name):
        idx = clingo.Tuple_([clingo.Number(i) for i in t.idx])
        return clingo.Function("ag" if t.base in agents else "v", [clingo.String(t.base), idx])
    if isinstance(t, Tup):
        return clingo.Function("tup", [clingo.Tuple_([encode(p, agents) for p in t.parts])])
    if isinstance(t, App):
        args = [encode(a, agents) for a in t.args]
        if t.fn in BUILTINS:
            return clingo.Function(t.fn, args)
        return clingo.Function("uf", [clingo.String(t.fn), clingo.Tuple_(args)])
    if isinstance(t, Lin):
        raise ValueError("linear terms have no symbol of their own")
    raise TypeError(t)
