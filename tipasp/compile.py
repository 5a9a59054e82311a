"""Model → ASP program: facts and non-ground rules built through clingo's AST.

Families stay non-ground: a declaration `for i in 1..N` becomes one rule whose body
is `V0 = 1..N`, and clingo instantiates it. Every name from the spec reaches clingo
as a `clingo.String` symbol inside a term (`v("x", (I,))` for the value `x[i]`,
`ag("u", (I,))` for the agent `u[i]`), never as program text, so a spec may name
an agent `Alice`, `knows` or `a). #show x` without effect on the program.

Term encoding (shared with `symbols.py`, which decodes answers):
  v(Name, Idx)      a declared value          ag(Name, Idx)  an agent
  tup((P1, ..))     a tuple                   uf(Name, (A1, ..)) a declared function
  enc/aenc/sign/hash/mac/exp/pk/sk(..)        the built-in functions (model.BUILTINS)
  lin(Id, Inst)     the linear term of source occurrence Id under binding Inst
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import clingo
from clingo import ast

from .ground import c_div, c_mod
from .ground import term as ground_term
from .model import (
    BUILTINS,
    AgentRef,
    Generator,
    IBin,
    ICmp,
    IConst,
    IExpr,
    INeg,
    IVar,
    Model,
    TAgent,
    TApp,
    Term,
    TLin,
    TName,
    TSum,
    TTuple,
    subterms,
)
from .static import trivially_built
from .terms import App, GTerm, Lin, Name, Tup

_POS = ast.Position("<tipasp>", 1, 1)
LOC = ast.Location(_POS, _POS)

_BINOP = {
    "+": ast.BinaryOperator.Plus,
    "-": ast.BinaryOperator.Minus,
    "*": ast.BinaryOperator.Multiplication,
    "/": ast.BinaryOperator.Division,
    "%": ast.BinaryOperator.Modulo,
}
_CMP = {
    "<": ast.ComparisonOperator.LessThan,
    "<=": ast.ComparisonOperator.LessEqual,
    ">": ast.ComparisonOperator.GreaterThan,
    ">=": ast.ComparisonOperator.GreaterEqual,
    "==": ast.ComparisonOperator.Equal,
    "!=": ast.ComparisonOperator.NotEqual,
}
SHAPE_INLINE = 8  # composite terms with more arguments get a handle (see _shape)

Env = dict[str, ast.AST]
_NOPOS = re.compile(r"pos=Pos\([^)]*\)")  # source positions, dropped from template keys


def _is_num(t: ast.AST) -> bool:
    return t.ast_type == ast.ASTType.SymbolicTerm and t.symbol.type == clingo.SymbolType.Number


def num(n: int) -> ast.AST:
    """An integer term."""
    return ast.SymbolicTerm(LOC, clingo.Number(n))


def string(s: str) -> ast.AST:
    """A string term: how every spec name reaches clingo."""
    return ast.SymbolicTerm(LOC, clingo.String(s))


def fn(name: str, *args: ast.AST) -> ast.AST:
    """A function term with a fixed (tipasp's own) name."""
    return ast.Function(LOC, name, list(args), 0)


def tup(args: list[ast.AST]) -> ast.AST:
    """A tuple term."""
    return ast.Function(LOC, "", args, 0)


def atom(name: str, *args: ast.AST) -> ast.AST:
    """A positive body or head literal."""
    return ast.Literal(LOC, ast.Sign.NoSign, ast.SymbolicAtom(fn(name, *args)))


def in_range(var: ast.AST, lo: ast.AST, hi: ast.AST) -> ast.AST:
    """The body literal `var = lo..hi` that binds a family index."""
    interval = ast.Interval(LOC, lo, hi)
    return ast.Literal(
        LOC,
        ast.Sign.NoSign,
        ast.Comparison(var, [ast.Guard(ast.ComparisonOperator.Equal, interval)]),
    )


def _fsym(name: str, *args: clingo.Symbol) -> clingo.Symbol:
    """A ground function symbol."""
    return clingo.Function(name, list(args))


def _vsym(name: str, idx: list[clingo.Symbol]) -> clingo.Symbol:
    """The symbol of the declared value `name[idx]` (as `term` writes it: v(Name, Idx))."""
    return _fsym("v", clingo.String(name), clingo.Tuple_(idx))


def ground_atom(sym: clingo.Symbol) -> ast.AST:
    """A head literal that is one ground symbol (one AST node for the whole atom)."""
    return ast.Literal(LOC, ast.Sign.NoSign, ast.SymbolicAtom(ast.SymbolicTerm(LOC, sym)))


def rule(head: ast.AST, body: list[ast.AST]) -> ast.AST:
    """A rule `head :- body.` (a fact when the body is empty)."""
    return ast.Rule(LOC, head, list(body))


class Compiler:
    """Turns a Model into ASP rules (see module docstring for the term encoding)."""

    def __init__(self, model: Model, guess_bits: int = 40) -> None:
        self.model = model
        self.guess_bits = guess_bits
        self._agent_names = frozenset(a.name for a in model.agents)
        self.out: list[ast.AST] = []
        self._ids = 0
        self._vars = 0
        self._lin_ids: dict[tuple[tuple[str, ...], tuple[str, ...]], int] = {}
        # lin(Id, Inst) decodes as template Id under the binding of its variables
        # (sorted names) to Inst: Python needs no coefficient table from clingo
        self.lin_templates: dict[int, tuple[Term, tuple[str, ...]]] = {}

    # ------------------------------------------------------------------ helpers

    def _fresh_id(self) -> int:
        self._ids += 1
        return self._ids

    def _fresh_var(self) -> ast.AST:
        self._vars += 1
        return ast.Variable(LOC, f"V{self._vars}")

    def emit(self, head: ast.AST, body: list[ast.AST]) -> None:
        """Add a rule to the program."""
        self.out.append(rule(head, body))

    def index(self, e: IExpr, env: Env) -> ast.AST:
        """An index expression as an ASP term (constant parts folded)."""
        if isinstance(e, IConst):
            return num(e.value)
        if isinstance(e, IVar):
            return env[e.name]
        if isinstance(e, INeg):
            arg = self.index(e.arg, env)
            if _is_num(arg):
                return num(-arg.symbol.number)
            return ast.UnaryOperation(LOC, ast.UnaryOperator.Minus, arg)
        if isinstance(e, IBin):
            left, right = self.index(e.left, env), self.index(e.right, env)
            if _is_num(left) and _is_num(right) and not (e.op in "/%" and right.symbol.number == 0):
                a, b = left.symbol.number, right.symbol.number
                val = {"+": a + b, "-": a - b, "*": a * b}.get(e.op)
                if val is None:
                    val = c_div(a, b) if e.op == "/" else c_mod(a, b)
                return num(val)
            return ast.BinaryOperation(LOC, _BINOP[e.op], left, right)
        raise TypeError(e)

    def cond(self, c: ICmp, env: Env) -> ast.AST:
        """A generator condition as a comparison literal."""
        cmp = ast.Comparison(
            self.index(c.left, env), [ast.Guard(_CMP[c.op], self.index(c.right, env))]
        )
        return ast.Literal(LOC, ast.Sign.NoSign, cmp)

    def generator(
        self, gen: Generator | None, env: Env, body: list[ast.AST]
    ) -> tuple[Env, list[ast.AST]]:
        """Bind the generator's variables: `V = lo..hi` literals and its conditions."""
        if gen is None:
            return env, body
        env = dict(env)
        body = list(body)
        for b in gen.binders:
            var = self._fresh_var()
            body.append(in_range(var, self.index(b.lo, env), self.index(b.hi, env)))
            env[b.var] = var
        body.extend(self.cond(c, env) for c in gen.conds)
        return env, body

    def agent(self, a: AgentRef, env: Env) -> ast.AST:
        """The ASP term of an agent reference."""
        return fn("ag", string(a.name), tup([self.index(i, env) for i in a.index]))

    # -------------------------------------------------------------------- terms

    def term(self, t: Term, env: Env, body: list[ast.AST]) -> ast.AST:
        """The ASP term of `t`; emits arg/nargs/lterm rules describing its shape."""
        if isinstance(t, TName):
            consts = [i.value for i in t.index if isinstance(i, IConst)]
            if len(consts) == len(t.index):  # ground: one AST node, not five
                idx = [clingo.Number(v) for v in consts]
                return ast.SymbolicTerm(LOC, _vsym(t.name, idx))
            return fn("v", string(t.name), tup([self.index(i, env) for i in t.index]))
        if isinstance(t, TAgent):
            return self.agent(t.agent, env)
        if isinstance(t, TTuple):
            parts = [self.term(p, env, body) for p in t.parts]
            me = fn("tup", tup(parts))
            self._shape(me, parts, body, env)
            return me
        if isinstance(t, TApp):
            args = [self.term(a, env, body) for a in t.args]
            if t.fn in BUILTINS:
                me = fn(t.fn, *args)
            else:
                me = fn("uf", string(t.fn), tup(args))
            if t.fn not in ("pk", "sk"):
                self._shape(me, args, body, env)
            return me
        if isinstance(t, (TLin, TSum)):
            # the same linear template (summands in any order) under the same
            # variables is the same term
            summands = list(self._summands(t, 1, env, body))
            texts = [_NOPOS.sub("", repr((c, s))) for c, s, _, _ in summands]
            key = (tuple(sorted(texts)), tuple(sorted(env)))
            known = self._lin_ids.get(key)
            lid = known if known is not None else self._fresh_id()
            self._lin_ids[key] = lid
            self.lin_templates.setdefault(lid, (t, tuple(sorted(env))))
            inst = tup([env[k] for k in sorted(env)])
            me = fn("lin", num(lid), inst)
            me_sym = None if env else _fsym("lin", clingo.Number(lid), clingo.Tuple_([]))
            # every occurrence describes its summands (its generator may cover other
            # index values); a slot names a summand by its rank in the canonical order
            # and its sum indices, so repeated descriptions are identical facts and
            # never add up twice
            rank = {i: r for r, i in enumerate(sorted(range(len(texts)), key=texts.__getitem__))}
            for k, (coef, summand, senv, sbody) in enumerate(summands):
                a = self.term(summand, senv, sbody)
                if (me_sym is not None and not senv and not sbody
                        and a.ast_type == ast.ASTType.SymbolicTerm):
                    # a ground summand of a literal sum: the fact as one symbol (4 AST
                    # nodes, not 14; an AST node costs about 200 bytes in clingo)
                    slot_sym = _fsym("s", clingo.Number(rank[k]), clingo.Tuple_([]))
                    fact = _fsym("lterm", me_sym, a.symbol, clingo.Number(coef), slot_sym)
                    self.out.append(rule(ground_atom(fact), []))
                    continue
                slot = fn("s", num(rank[k]), tup([senv[v] for v in sorted(senv)]))
                self.emit(atom("lterm", me, a, num(coef), slot), sbody)
            return me
        raise TypeError(t)

    def _shape(self, me: ast.AST, args: list[ast.AST], body: list[ast.AST], env: Env) -> None:
        """arg/nargs facts describing the composite term `me` (rules/terms.lp)."""
        if len(args) <= SHAPE_INLINE:
            for i, a in enumerate(args, 1):
                self.emit(atom("arg", me, num(i), a), body)
            self.emit(atom("nargs", me, num(len(args))), body)
            return
        # A long argument list: `me` is written once, under a handle (Id, Inst);
        # each argument refers to the handle, so the program grows linearly with
        # the number of arguments (terms.lp joins them back into arg/nargs).
        sid = num(self._fresh_id())
        inst = tup([env[k] for k in sorted(env)])
        self.emit(atom("shape", sid, inst, me, num(len(args))), body)
        for i, a in enumerate(args, 1):
            self.emit(atom("sarg", sid, inst, num(i), a), body)

    def _summands(
        self, t: Term, coef: int, env: Env, body: list[ast.AST]
    ) -> Iterator[tuple[int, Term, Env, list[ast.AST]]]:
        """Flatten nested linear terms and sums into (coefficient, atom, env, body)."""
        if isinstance(t, TLin):
            for c, p in t.parts:
                yield from self._summands(p, coef * c, env, body)
        elif isinstance(t, TSum):
            senv, sbody = self.generator(t.gen, env, body)
            yield from self._summands(t.body, coef, senv, sbody)
        else:
            yield coef, t, env, body

    # ------------------------------------------------------------- statements

    def compile(self) -> list[ast.AST]:
        """All rules for the spec (declarations, messages, adversaries)."""
        m = self.model
        self._named = agents_in_terms(m)
        for a in m.agents:
            body: list[ast.AST] = []
            idx = []
            for lo, hi in a.dims:
                var = self._fresh_var()
                body.append(in_range(var, num(lo), num(hi)))
                idx.append(var)
            me = fn("ag", string(a.name), tup(idx))
            self.emit(atom("agent", me), body)
            if a.name in self._named:  # agent names are public, where terms use them
                self.emit(atom("pubv", me, num(a.pos.line)), body)
        for d in m.values:
            env, body = self.generator(d.gen, {}, [])
            me = fn("v", string(d.name), tup([self.index(i, env) for i in d.index]))
            line = num(d.pos.line)
            if d.kind == "public":
                self.emit(atom("pubv", me, line), body)
            for h in d.holders:
                self.emit(atom("init", self.agent(h, env), me, line), body)
            if d.range is not None:
                lo, hi = d.range
                if (hi - lo + 1).bit_length() <= self.guess_bits:  # fewer than 2^bits values
                    self.emit(atom("weak", me), body)
            if d.shares is not None:
                # the shared value is one term for all shares (the hidden share index
                # #k is no variable of it: a linear value would be a template per share)
                of = self.term(d.shares.of, {k: v for k, v in env.items() if k != "#k"}, body)
                self.emit(
                    atom("share", me, of, env["#k"], num(d.shares.threshold)), body
                )
        for kp in m.keypairs:
            env, body = self.generator(kp.gen, {}, [])
            ag = self.agent(kp.agent, env)
            line = num(kp.pos.line)
            self.emit(atom("pubv", fn("pk", ag), line), body)
            self.emit(atom("init", ag, fn("sk", ag), line), body)
        for msg in m.messages:
            env, body = self.generator(msg.gen, {}, [])
            t = self.term(msg.term, env, body)
            to = fn("all") if msg.receiver is None else self.agent(msg.receiver, env)
            self.emit(atom("step", num(msg.step)), [])
            if trivially_built(self.model, msg):
                self.emit(atom("trivial", num(msg.step)), [])
            self.emit(
                atom("msg", num(msg.step), self.agent(msg.sender, env), to, t, num(msg.pos.line)),
                body,
            )
        for e in m.eavesdroppers:
            env, body = self.generator(e.gen, {}, [])
            who = self.agent(e.agent, env)
            if e.link is None:
                self.emit(atom("tapall", who), body)
            else:
                src, dst = e.link
                to = fn("all") if dst is None else self.agent(dst, env)
                self.emit(atom("tap", who, self.agent(src, env), to), body)
        for gi, g in enumerate(m.colludes, 1):
            env, body = self.generator(g.gen, {}, [])
            self.emit(atom("group", num(gi)), [])
            for ref in g.members:
                self.emit(atom("member", num(gi), self.agent(ref, env)), body)
        for ci, c in enumerate(m.corrupts, 1):
            self.emit(atom("corrupt", num(ci), num(c.count)), [])
            var = self._fresh_var()
            rng = in_range(var, num(c.lo), num(c.hi))
            fam = fn("ag", string(c.family), tup([var]))
            self.emit(atom("cfam", num(ci), fam), [rng])
            self.emit(atom("cmember", num(ci), fam), [rng])
            for ref in c.with_:
                self.emit(atom("cmember", num(ci), self.agent(ref, {})), [])
        return self.out

    def target(self, t: Term, binding: dict[str, int]) -> ast.AST:
        """Rules making the ground target `t` (under `binding`) part of the universe.

        Returns the AST term; `symbol_of` turns it into a clingo Symbol.
        """
        # the target is ground: compile its canonical form, so that a target whose
        # summands cancel (`x + y - y`) is the atom itself (its holders, its symbol)
        me = self.term(model_term(ground_term(t, binding), self._agent_names), {}, [])
        self.emit(atom("target", me), [])
        return me


def model_term(g: GTerm, agents: frozenset[str]) -> Term:
    """The model term of a ground term (indices as constants; `agents`: the names
    that are agents)."""
    if isinstance(g, Name):
        idx = tuple(IConst(i) for i in g.idx)
        if g.base in agents:
            return TAgent(AgentRef(g.base, idx))
        return TName(g.base, idx)
    if isinstance(g, Tup):
        return TTuple(tuple(model_term(p, agents) for p in g.parts))
    if isinstance(g, App):
        return TApp(g.fn, tuple(model_term(a, agents) for a in g.args))
    if isinstance(g, Lin):
        return TLin(tuple((c, model_term(a, agents)) for a, c in g.parts))
    raise TypeError(g)


def agents_in_terms(model: Model) -> set[str]:
    """Names of the agent families that some term of the spec mentions (as `a` or
    in pk/sk): only their names need to be public terms."""
    terms = [m.term for m in model.messages] + [q.target for q in model.questions]
    terms += [d.shares.of for d in model.values if d.shares is not None]
    return {s.agent.name for t in terms for s in subterms(t) if isinstance(s, TAgent)}


def symbol_of(t: ast.AST) -> clingo.Symbol:
    """The clingo Symbol of a ground AST term made by the Compiler."""
    if t.ast_type == ast.ASTType.SymbolicTerm:
        return t.symbol
    if t.ast_type == ast.ASTType.Function:
        args = [symbol_of(a) for a in t.arguments]
        if t.name == "":
            return clingo.Tuple_(args)
        return clingo.Function(t.name, args)
    if t.ast_type in (ast.ASTType.BinaryOperation, ast.ASTType.UnaryOperation):
        raise ValueError("target index must be evaluated before symbol_of")
    raise TypeError(t)
