"""An independent checker for proofs in the JSON form of docs/cli.md.

The checker validates what the solver prints and therefore shares no code with
it: it has its own parser for printed terms, its own term representation with its
own equality (linear combinations over exact fractions, Diffie-Hellman exponent
chains up to commutation), and it reads leaves against the model directly. It
uses only the model's data classes and `ground`'s index arithmetic.

`check(proof_json, model, coalition, target)` returns a list of problems, each
naming the step it concerns; an empty list means the proof is valid.
`check_attack(attack, model, target)` does the same for an attack by malicious
agents and intruders (docs/language.md): it replays the honest roles itself.

Internal terms are nested tuples, normalised on construction so that semantic
equality is `==`:

- `("n", base, idx)`            a value or agent name, `idx` a tuple of ints
- `("a", fn, args)`             an application other than exp (enc, hash, pk, f, ...)
- `("t", parts)`                a tuple of two or more parts
- `("x", base, exps)`           `exp(...exp(base, e1)..., ek)`, `base` not itself an
                                exp, `exps` sorted: exp(exp(g,a),b) = exp(exp(g,b),a)
                                makes every order of the exponents equal
- `("l", ((atom, Fraction), ...))`  a linear combination, atoms not linear, no zero
                                coefficients, sorted; a single atom with coefficient
                                1 is the atom itself, and `("l", ())` is 0
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Iterator, Mapping, Sequence
from fractions import Fraction
from typing import Any

from .ground import eval_cond, eval_index
from .model import (
    AgentRef,
    Generator,
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

CTerm = tuple[Any, ...]
"""A checker term (see the module docstring)."""

TraceLeaf = Callable[[str, CTerm, CTerm, int, int], "str | None"]
"""Judges a `receives`/`sees` leaf (rule, by, term, step, line) against an attack's
trace: None when it is justified, else why not."""

_BUILDABLE_ARITY: dict[str, int] = {"enc": 2, "aenc": 2, "sign": 2, "hash": 1, "mac": 2}
"""Built-in constructors that `build` may apply (exp is handled apart; pk has its own
rule; sk can never be built)."""

_INDEX_ERRORS = (ZeroDivisionError, KeyError, ValueError, TypeError)

# ------------------------------------------------------------------ term algebra


def _key(t: Any) -> str:
    return repr(t)


def mk_name(base: str, idx: Sequence[int] = ()) -> CTerm:
    """A name term."""
    return ("n", base, tuple(idx))


def mk_tup(parts: Sequence[CTerm]) -> CTerm:
    """A tuple term."""
    return ("t", tuple(parts))


def mk_app(fn: str, args: Sequence[CTerm]) -> CTerm:
    """An application, with exp chains flattened and their exponents sorted."""
    args = tuple(args)
    if fn == "exp" and len(args) == 2:
        base, e = args
        if base[0] == "x":
            return ("x", base[1], tuple(sorted((*base[2], e), key=_key)))
        return ("x", base, (e,))
    return ("a", fn, args)


def mk_lin(pairs: Sequence[tuple[CTerm, Fraction | int]]) -> CTerm:
    """The linear combination of (term, coefficient) pairs, normalised."""
    acc: dict[CTerm, Fraction] = {}
    for t, c in pairs:
        for atom, c2 in lin_view(t).items():
            acc[atom] = acc.get(atom, Fraction(0)) + Fraction(c) * c2
    items = sorted(((a, c) for a, c in acc.items() if c != 0), key=lambda ac: _key(ac[0]))
    if len(items) == 1 and items[0][1] == 1:
        return items[0][0]
    return ("l", tuple(items))


def lin_view(t: CTerm) -> dict[CTerm, Fraction]:
    """A term as {atom: coefficient}; a non-linear term is its own atom."""
    if t[0] == "l":
        return dict(t[1])
    return {t: Fraction(1)}


def children(t: CTerm) -> tuple[CTerm, ...]:
    """The immediate subterms."""
    kind = t[0]
    if kind == "a":
        return t[2]
    if kind == "t":
        return t[1]
    if kind == "x":
        return (t[1], *t[2])
    if kind == "l":
        return tuple(a for a, _ in t[1])
    return ()


def contains(t: CTerm, sub: CTerm) -> bool:
    """True when `sub` occurs in `t` (or is `t`)."""
    stack = [t]
    while stack:
        u = stack.pop()
        if u == sub:
            return True
        stack.extend(children(u))
    return False


def fmt(t: CTerm) -> str:
    """A checker term in the spec's syntax, for messages."""
    kind = t[0]
    if kind == "n":
        if t[2] and t[1].endswith("]"):  # `k[u[3]]`: indexed by the agents u[i]
            return f"{t[1][:-1]}[{','.join(str(i) for i in t[2])}]]"
        return t[1] + (f"[{','.join(str(i) for i in t[2])}]" if t[2] else "")
    if kind == "a":
        return f"{t[1]}({', '.join(fmt(a) for a in t[2])})"
    if kind == "t":
        return f"({', '.join(fmt(p) for p in t[1])})"
    if kind == "x":
        s = fmt(t[1])
        for e in t[2]:
            s = f"exp({s}, {fmt(e)})"
        return s
    if not t[1]:
        return "0"
    out: list[str] = []
    for k, (a, c) in enumerate(t[1]):
        mag = abs(c)
        body = fmt(a) if mag == 1 else f"{mag} * {fmt(a)}"
        out.append((body if c > 0 else f"-{body}") if k == 0 else f"{'+' if c > 0 else '-'} {body}")
    return " ".join(out)


# ------------------------------------------------------------------------ parsing

_TOK = re.compile(r"\s*(\d+|[A-Za-z_][A-Za-z0-9_]*|[\[\](),+\-*/.])")


class _Parser:
    """Recursive descent over printed terms; builds normalised checker terms.

    expr := ['-'] mono (('+'|'-') mono)* ; mono := [NUM '*'] prim | prim ['*' NUM] | '0'
    prim := ID ['[' ['-']INT {',' ['-']INT} ']'] ['.' ID] | ID '(' expr {',' expr} ')'
          | '(' expr {',' expr} ')'                   NUM := INT ['/' INT]

    `s2.nb` and `s[3].na` are values of sessions (docs/language.md): the names
    ("s2.nb", ()) and ("s.na", (3,)), the index belonging to the session.
    """

    def __init__(self, text: str) -> None:
        self.text = text
        self.toks: list[str] = []
        pos = 0
        body = text.rstrip()
        while pos < len(body):
            m = _TOK.match(body, pos)
            if m is None:
                raise ValueError(f"cannot read {body[pos:].strip()[:10]!r} in {text!r}")
            self.toks.append(m.group(1))
            pos = m.end()
        self.i = 0

    def _peek(self) -> str | None:
        return self.toks[self.i] if self.i < len(self.toks) else None

    def _next(self, want: str | None = None) -> str:
        tok = self._peek()
        if tok is None or (want is not None and tok != want):
            raise ValueError(f"expected {want or 'more'!r} in term {self.text!r}")
        self.i += 1
        return tok

    def parse(self) -> CTerm:
        t = self._expr()
        if self._peek() is not None:
            raise ValueError(f"unexpected {self._peek()!r} in term {self.text!r}")
        return t

    def _num(self) -> Fraction:
        n = Fraction(int(self._next()))
        if self._peek() == "/":
            self._next()
            d = self._next()
            if not d.isdigit() or int(d) == 0:
                raise ValueError(f"bad fraction in {self.text!r}")
            n /= int(d)
        return n

    def _expr(self) -> CTerm:
        sign = Fraction(1)
        if self._peek() == "-":
            self._next()
            sign = Fraction(-1)
        pairs = [self._mono(sign)]
        linear = sign != 1
        while self._peek() in ("+", "-"):
            sign = Fraction(1) if self._next() == "+" else Fraction(-1)
            pairs.append(self._mono(sign))
            linear = True
        if not linear and pairs[0][1] == 1:
            return pairs[0][0]
        return mk_lin(pairs)

    def _mono(self, sign: Fraction) -> tuple[CTerm, Fraction]:
        tok = self._peek()
        if tok is not None and tok.isdigit():
            c = self._num()
            if self._peek() == "*":
                self._next()
                return self._prim(), sign * c
            if c != 0:
                raise ValueError(f"a number is not a term, in {self.text!r}")
            return ("l", ()), Fraction(1)
        p = self._prim()
        if self._peek() == "*":
            self._next()
            tok = self._peek()
            if tok is None or not tok.isdigit():
                raise ValueError(f"expected a number after '*' in {self.text!r}")
            return p, sign * self._num()
        return p, sign

    def _prim(self) -> CTerm:
        tok = self._next()
        if tok == "(":
            items = self._list()
            return items[0] if len(items) == 1 else mk_tup(items)
        if not (tok[0].isalpha() or tok[0] == "_"):
            raise ValueError(f"unexpected {tok!r} in term {self.text!r}")
        if self._peek() == "[":
            self._next()
            nxt = self._peek()
            if nxt is not None and (nxt[0].isalpha() or nxt[0] == "_"):
                return self._agent_member(tok)
            idx = [self._int()]
            while self._peek() == ",":
                self._next()
                idx.append(self._int())
            self._next("]")
            return mk_name(self._session_value(tok), idx)
        if self._peek() == "(":
            self._next()
            return mk_app(tok, self._list())
        return mk_name(self._session_value(tok))

    def _agent_member(self, base: str) -> CTerm:
        """After `base[`: a value indexed by agents (docs/language.md): `k[alice]`,
        `m[alice,bob]` (one name each) or `k[u[3]]` (member 3 of the family `k[u]`)."""
        agents = [self._next()]
        if self._peek() == "[":  # `k[u[3]]`
            self._next()
            idx = [self._int()]
            while self._peek() == ",":
                self._next()
                idx.append(self._int())
            self._next("]")
            self._next("]")
            return mk_name(f"{base}[{agents[0]}]", idx)
        while self._peek() == ",":
            self._next()
            agents.append(self._next())
        self._next("]")
        if not all(a[0].isalpha() or a[0] == "_" for a in agents):
            raise ValueError(f"an agent index must be an agent name in {self.text!r}")
        return mk_name(f"{base}[{','.join(agents)}]")

    def _session_value(self, base: str) -> str:
        """`base`, or `base.v` when `.v` follows (a session's value)."""
        if self._peek() != ".":
            return base
        self._next()
        value = self._next()
        if not (value[0].isalpha() or value[0] == "_"):
            raise ValueError(f"expected a value name after '.' in {self.text!r}")
        return f"{base}.{value}"

    def _list(self) -> list[CTerm]:
        items = [self._expr()]
        while self._peek() == ",":
            self._next()
            items.append(self._expr())
        self._next(")")
        return items

    def _int(self) -> int:
        neg = self._peek() == "-"
        if neg:
            self._next()
        tok = self._next()
        if not tok.isdigit():
            raise ValueError(f"an index must be an integer in {self.text!r}")
        return -int(tok) if neg else int(tok)


def parse(text: str) -> CTerm:
    """A printed ground term as a normalised checker term (ValueError if malformed)."""
    if not isinstance(text, str):
        raise ValueError(f"a term must be a string, got {type(text).__name__}")
    return _Parser(text).parse()


# --------------------------------------------------------------- model evaluation


def _agent(a: AgentRef, env: Mapping[str, int]) -> CTerm:
    return mk_name(a.name, [eval_index(i, env) for i in a.index])


def eval_term(t: Term, env: Mapping[str, int]) -> CTerm:
    """A model term under a binding, as a normalised checker term."""
    if isinstance(t, TName):
        return mk_name(t.name, [eval_index(i, env) for i in t.index])
    if isinstance(t, TAgent):
        return _agent(t.agent, env)
    if isinstance(t, TTuple):
        return mk_tup([eval_term(p, env) for p in t.parts])
    if isinstance(t, TApp):
        return mk_app(t.fn, [eval_term(a, env) for a in t.args])
    if isinstance(t, TLin):
        return mk_lin([(eval_term(p, env), c) for c, p in t.parts])
    if isinstance(t, TSum):
        return mk_lin([(eval_term(t.body, b), 1) for b in gen_bindings(t.gen, {}, env)])
    raise TypeError(f"not a model term: {t!r}")


def gen_bindings(
    gen: Generator | None,
    allowed: Mapping[str, set[int]],
    env: Mapping[str, int] | None = None,
) -> Iterator[dict[str, int]]:
    """Bindings of `gen` (extending `env`) meeting its conditions, where each variable
    in `allowed` only takes the listed values (the others range fully)."""
    base = dict(env or {})
    if gen is None:
        yield base
        return
    binders = gen.binders

    def rec(k: int, cur: dict[str, int]) -> Iterator[dict[str, int]]:
        if k == len(binders):
            try:
                ok = all(eval_cond(c, cur) for c in gen.conds)
            except _INDEX_ERRORS:
                ok = False
            if ok:
                yield dict(cur)
            return
        b = binders[k]
        try:
            lo, hi = eval_index(b.lo, cur), eval_index(b.hi, cur)
        except _INDEX_ERRORS:
            return
        vals: Sequence[int]
        if b.var in allowed:
            vals = sorted(v for v in allowed[b.var] if lo <= v <= hi)
        else:
            vals = range(lo, hi + 1)
        saved = cur.get(b.var)
        for v in vals:
            cur[b.var] = v
            yield from rec(k + 1, cur)
        if saved is None:
            cur.pop(b.var, None)
        else:
            cur[b.var] = saved

    yield from rec(0, base)


def _invert(e: IExpr, value: int) -> tuple[str, int] | None:
    """(var, v) when `e = value` forces var = v (e is var, var +/- c, c + var, -var)."""
    if isinstance(e, IVar):
        return e.name, value
    if isinstance(e, INeg) and isinstance(e.arg, IVar):
        return e.arg.name, -value
    if isinstance(e, IBin) and e.op in ("+", "-"):
        if isinstance(e.left, IVar) and isinstance(e.right, IConst):
            return e.left.name, value - e.right.value if e.op == "+" else value + e.right.value
        if e.op == "+" and isinstance(e.left, IConst) and isinstance(e.right, IVar):
            return e.right.name, value - e.left.value
    return None


def _forced(pairs: Sequence[tuple[IExpr, int]]) -> dict[str, set[int]] | None:
    """Variable values forced by the equations `expr = value`; None if contradictory.

    Equations the inversion does not cover are left to the final evaluation, so this
    only ever prunes bindings that cannot satisfy them.
    """
    out: dict[str, set[int]] = {}
    for e, v in pairs:
        inv = _invert(e, v)
        if inv is None:
            continue
        var, val = inv
        if var in out and val not in out[var]:
            return None
        out[var] = {val}
    return out


def _index_pairs(exprs: Sequence[IExpr], name: CTerm, base: str) -> list[tuple[IExpr, int]] | None:
    """Equations making the declared `base[exprs]` equal to the ground `name`; None if the
    base or the number of indices differs."""
    if name[0] != "n" or name[1] != base or len(name[2]) != len(exprs):
        return None
    return list(zip(exprs, name[2], strict=True))


def _leaf_names(t: CTerm) -> dict[tuple[str, int], list[tuple[int, ...]]]:
    """Every name in `t`, grouped by (base, number of indices)."""
    out: dict[tuple[str, int], list[tuple[int, ...]]] = {}
    stack = [t]
    while stack:
        u = stack.pop()
        if u[0] == "n":
            out.setdefault((u[1], len(u[2])), []).append(u[2])
        stack.extend(children(u))
    return out


def _hints(term: Term, gen: Generator | None, ground: CTerm) -> dict[str, set[int]]:
    """Likely values of the generator's variables, read off the names in `ground`.

    Used only to try promising bindings first; the full search follows if they fail,
    because linear cancellation can make a name of the message vanish.
    """
    if gen is None:
        return {}
    gvars = {b.var for b in gen.binders}
    names = _leaf_names(ground)
    out: dict[str, set[int]] = {}

    def visit(t: Term) -> None:
        refs: list[tuple[str, tuple[IExpr, ...]]] = []
        if isinstance(t, TName):
            refs.append((t.name, t.index))
        elif isinstance(t, TAgent):
            refs.append((t.agent.name, t.agent.index))
        elif isinstance(t, TTuple):
            for p in t.parts:
                visit(p)
        elif isinstance(t, TApp):
            for a in t.args:
                visit(a)
        elif isinstance(t, TLin):
            for _, p in t.parts:
                visit(p)
        for base, index in refs:
            seen = names.get((base, len(index)), [])
            for pos, e in enumerate(index):
                cands: set[int] = set()
                for idx in seen:
                    inv = _invert(e, idx[pos])
                    if inv is not None and inv[0] in gvars:
                        cands.add(inv[1])
                inv0 = _invert(e, 0)
                if inv0 is None or inv0[0] not in gvars:
                    continue
                var = inv0[0]
                out[var] = out[var] & cands if var in out else cands

    visit(term)
    return out


# --------------------------------------------------------------------------- check


class _Checker:
    """One check run: the model, the coalition and caches of leaf look-ups."""

    def __init__(self, model: Model, guess_bits: int, after: int | None,
                 trace_leaf: TraceLeaf | None = None) -> None:
        self.model = model
        self.guess_bits = guess_bits
        self.after = after
        self.trace_leaf = trace_leaf
        self.problems: list[str] = []

    # ---------------------------------------------------------------- agents

    def is_agent(self, a: CTerm) -> bool:
        """`a` names a declared agent (indices within the family's bounds)."""
        for d in self.model.agents:
            if a[0] == "n" and d.name == a[1] and len(d.dims) == len(a[2]):
                if all(lo <= i <= hi for (lo, hi), i in zip(d.dims, a[2], strict=True)):
                    return True
        return False

    # ----------------------------------------------------------------- holds

    def holds(self, by: CTerm, t: CTerm, line: int) -> str | None:
        """None when `by` holds `t` initially by the declaration at `line`, else why not."""
        m = self.model
        for d in m.agents:
            if d.pos.line == line and self.is_agent(t) and t[1] == d.name:
                return None
        for v in m.values:
            if v.pos.line == line and self._holds_value(v, by, t):
                return None
        for kp in m.keypairs:
            if kp.pos.line != line or t[0] != "a" or t[1] not in ("pk", "sk") or len(t[2]) != 1:
                continue
            owner = t[2][0]
            pairs = _index_pairs(kp.agent.index, owner, kp.agent.name)
            if pairs is None:
                continue
            forced = _forced(pairs)
            if forced is None:
                continue
            for env in gen_bindings(kp.gen, forced):
                try:
                    if _agent(kp.agent, env) != owner:
                        continue
                except _INDEX_ERRORS:
                    continue
                if t[1] == "pk" or owner == by:
                    return None
        return f"{fmt(by)} does not hold {fmt(t)} by any declaration at line {line}"

    def _holds_value(self, v: ValueDecl, by: CTerm, t: CTerm) -> bool:
        name_pairs = _index_pairs(v.index, t, v.name)
        if name_pairs is None:
            return False
        holders: list[AgentRef | None]
        holders = [None] if v.kind == "public" else list(v.holders)
        for h in holders:
            pairs = list(name_pairs)
            if h is not None:
                hp = _index_pairs(h.index, by, h.name)
                if hp is None:
                    continue
                pairs += hp
            forced = _forced(pairs)
            if forced is None:
                continue
            for env in gen_bindings(v.gen, forced):
                try:
                    if mk_name(v.name, [eval_index(i, env) for i in v.index]) != t:
                        continue
                    if h is None or _agent(h, env) == by:
                        return True
                except _INDEX_ERRORS:
                    continue
        return False

    # -------------------------------------------------------------- messages

    def _message_match(
        self,
        msg: Message,
        t: CTerm,
        pairs: list[tuple[IExpr, int]],
        accept: Callable[[Mapping[str, int]], bool],
    ) -> bool:
        """Some binding of `msg`'s generator, consistent with `pairs`, gives term `t`
        and passes `accept(env)`. Tries bindings hinted by `t`'s names first."""
        forced = _forced(pairs)
        if forced is None:
            return False
        hinted = dict(_hints(msg.term, msg.gen, t))
        for var, vals in forced.items():
            hinted[var] = vals & hinted[var] if var in hinted else vals
        tried_all = hinted == forced

        def search(allowed: Mapping[str, set[int]]) -> bool:
            for env in gen_bindings(msg.gen, allowed):
                try:
                    if eval_term(msg.term, env) == t and accept(env):
                        return True
                except _INDEX_ERRORS:
                    continue
            return False

        if search(hinted):
            return True
        return False if tried_all else search(forced)

    def receives(self, by: CTerm, t: CTerm, step: int, line: int) -> str | None:
        """None when `by` receives `t` in the message at `step`, `line`; else why not."""
        found = False
        for msg in self.model.messages:
            if msg.step != step or msg.pos.line != line:
                continue
            found = True
            if msg.receiver is None:
                pairs: list[tuple[IExpr, int]] = []
            else:
                rp = _index_pairs(msg.receiver.index, by, msg.receiver.name)
                if rp is None:
                    continue
                pairs = rp

            def accept(env: Mapping[str, int], msg: Message = msg) -> bool:
                return msg.receiver is None or _agent(msg.receiver, env) == by

            if self._message_match(msg, t, pairs, accept):
                return None
        if not found:
            return f"no message at step {step}, line {line}"
        return f"no message at step {step}, line {line} delivers {fmt(t)} to {fmt(by)}"

    def sees(self, by: CTerm, t: CTerm, step: int, line: int) -> str | None:
        """None when eavesdropper `by` sees `t` in the message at `step`, `line`."""
        eavs = [e for e in self.model.eavesdroppers if e.agent.name == by[1]]
        if not eavs:
            return f"{fmt(by)} is not an eavesdropper"
        msgs = [msg for msg in self.model.messages if msg.step == step and msg.pos.line == line]
        if not msgs:
            return f"no message at step {step}, line {line}"
        for e in eavs:
            ep = _index_pairs(e.agent.index, by, e.agent.name)
            forced = None if ep is None else _forced(ep)
            if forced is None:
                continue
            for eenv in gen_bindings(e.gen, forced):
                try:
                    if _agent(e.agent, eenv) != by:
                        continue
                    link = None
                    if e.link is not None:
                        src = _agent(e.link[0], eenv)
                        dst = None if e.link[1] is None else _agent(e.link[1], eenv)
                        link = (src, dst)
                except _INDEX_ERRORS:
                    continue
                for msg in msgs:
                    pairs: list[tuple[IExpr, int]] = []
                    if link is not None:
                        sp = _index_pairs(msg.sender.index, link[0], msg.sender.name)
                        if sp is None:
                            continue
                        pairs += sp
                        if (link[1] is None) != (msg.receiver is None):
                            continue
                        if link[1] is not None and msg.receiver is not None:
                            rp = _index_pairs(msg.receiver.index, link[1], msg.receiver.name)
                            if rp is None:
                                continue
                            pairs += rp

                    def accept(
                        env: Mapping[str, int], msg: Message = msg, link: Any = link
                    ) -> bool:
                        if link is None:
                            return True
                        if _agent(msg.sender, env) != link[0]:
                            return False
                        if link[1] is None or msg.receiver is None:
                            return link[1] is None and msg.receiver is None
                        return _agent(msg.receiver, env) == link[1]

                    if self._message_match(msg, t, pairs, accept):
                        return None
        return f"{fmt(by)} taps no message at step {step}, line {line} carrying {fmt(t)}"

    # -------------------------------------------------------------- inference

    def infer(self, rule: str, t: CTerm, prem: list[CTerm], raw: Mapping) -> str | None:
        """None when `t` follows from `prem` by `rule`, else the reason it does not."""
        n = len(prem)
        if rule == "split":
            if n != 1:
                return "split takes one premise"
            if prem[0][0] != "t" or t not in prem[0][1]:
                return f"{fmt(t)} is not a part of the tuple {fmt(prem[0])}"
            return None
        if rule == "decrypt":
            if n != 2:
                return "decrypt takes two premises: enc(k, m) and k"
            c, k = prem
            if c[0] != "a" or c[1] != "enc" or len(c[2]) != 2:
                return f"premise {fmt(c)} is not a symmetric encryption"
            if c[2][0] != k:
                return f"{fmt(k)} is not the key of {fmt(c)}"
            if c[2][1] != t:
                return f"{fmt(c)} does not encrypt {fmt(t)}"
            return None
        if rule == "adecrypt":
            if n != 2:
                return "adecrypt takes two premises: aenc(pk(b), m) and sk(b)"
            c, k = prem
            if c[0] != "a" or c[1] != "aenc" or len(c[2]) != 2:
                return f"premise {fmt(c)} is not a public-key encryption"
            pk = c[2][0]
            if pk[0] != "a" or pk[1] != "pk" or len(pk[2]) != 1:
                return f"{fmt(c)} is not encrypted under a public key pk(b)"
            if k != mk_app("sk", pk[2]):
                return f"{fmt(k)} is not the private key matching {fmt(pk)}"
            if c[2][1] != t:
                return f"{fmt(c)} does not encrypt {fmt(t)}"
            return None
        if rule == "unsign":
            if n != 1:
                return "unsign takes one premise"
            s = prem[0]
            if s[0] != "a" or s[1] != "sign" or len(s[2]) != 2 or s[2][1] != t:
                return f"{fmt(prem[0])} is not a signature on {fmt(t)}"
            return None
        if rule == "pk":
            if n != 1 or prem[0][0] != "a" or prem[0][1] != "sk" or len(prem[0][2]) != 1:
                return "pk takes one premise sk(a)"
            if t != mk_app("pk", prem[0][2]):
                return f"{fmt(t)} is not the public key of {fmt(prem[0])}"
            return None
        if rule == "dh":
            if n != 2:
                return "dh takes two premises: exp(g, a) and b"
            if prem[0][0] != "x":
                return f"premise {fmt(prem[0])} is not an exponential exp(g, a)"
            if mk_app("exp", prem) != t:
                return f"{fmt(t)} is not exp({fmt(prem[0])}, {fmt(prem[1])})"
            return None
        if rule == "build":
            return self._build(t, prem)
        if rule == "linear":
            return self._linear(t, prem, raw)
        if rule == "reconstruct":
            return self._reconstruct(t, prem)
        if rule == "guess":
            return self._guess(t, prem)
        return f"unknown rule {rule!r}"

    def _build(self, t: CTerm, prem: list[CTerm]) -> str | None:
        kind = t[0]
        if kind == "t":
            if mk_tup(prem) != t:
                return f"{fmt(t)} is not the tuple of the premises in order"
            return None
        if kind == "x":
            if len(prem) != 2 or mk_app("exp", prem) != t:
                return f"{fmt(t)} is not exp applied to the two premises in order"
            return None
        if kind == "a":
            fn = t[1]
            arity = _BUILDABLE_ARITY.get(fn)
            if arity is None:
                arity = next((f.arity for f in self.model.functions if f.name == fn), None)
            if arity is None:
                return f"{fn} is not a function that can be applied (pk uses rule pk)"
            if len(prem) != arity or mk_app(fn, prem) != t:
                return f"{fmt(t)} is not {fn} applied to the premises in order"
            return None
        if kind == "l":
            return "a linear term is obtained by a linear step, not build"
        return f"the name {fmt(t)} cannot be built"

    def _linear(self, t: CTerm, prem: list[CTerm], raw: Mapping) -> str | None:
        coeffs_raw = raw.get("coefficients")
        if not isinstance(coeffs_raw, list):
            return "a linear step needs a list of coefficients"
        if len(coeffs_raw) != len(prem):
            return f"{len(coeffs_raw)} coefficients for {len(prem)} premises"
        coeffs: list[Fraction] = []
        for c in coeffs_raw:
            if isinstance(c, int) and not isinstance(c, bool):
                coeffs.append(Fraction(c))
            elif isinstance(c, str) and re.fullmatch(r"\s*-?\d+\s*(/\s*[1-9]\d*\s*)?", c):
                coeffs.append(Fraction(c.replace(" ", "")))
            else:
                return f"coefficient {c!r} is neither an integer nor a string p/q"
        combo = mk_lin(list(zip(prem, coeffs, strict=True)))
        if combo != t:
            return f"the combination gives {fmt(combo)}, not {fmt(t)}"
        return None

    def _reconstruct(self, t: CTerm, prem: list[CTerm]) -> str | None:
        if not prem or any(p[0] != "n" for p in prem):
            return "reconstruct takes shares (names) as premises"
        distinct = set(prem)
        best = 0
        for v in self.model.values:
            sh = v.shares
            if sh is None or v.name != prem[0][1]:
                continue
            pairs = _index_pairs(v.index, prem[0], v.name)
            if pairs is None:
                continue
            kvar = v.gen.binders[-1].var if v.gen is not None and v.gen.binders else None
            forced = _forced(pairs) or {}
            forced.pop(kvar or "", None)  # range over every share of the same sharing
            groups: dict[tuple[tuple[str, int], ...], set[CTerm]] = {}
            for env in gen_bindings(v.gen, forced):
                try:
                    name = mk_name(v.name, [eval_index(i, env) for i in v.index])
                    if eval_term(sh.of, env) != t:
                        continue
                except _INDEX_ERRORS:
                    continue
                key = tuple(sorted((k, x) for k, x in env.items() if k != kvar))
                groups.setdefault(key, set()).add(name)
            for names in groups.values():
                if distinct <= names:
                    if len(distinct) >= sh.threshold:
                        return None
                    best = max(best, sh.threshold)
        if best:
            return f"{len(distinct)} distinct shares of {fmt(t)}, the threshold is {best}"
        return f"the premises are not shares of one sharing of {fmt(t)}"

    def _guess(self, t: CTerm, prem: list[CTerm]) -> str | None:
        ranged = None
        for v in self.model.values:
            if v.kind != "secret" or v.range is None:
                continue
            pairs = _index_pairs(v.index, t, v.name)
            forced = None if pairs is None else _forced(pairs)
            if forced is None:
                continue
            for env in gen_bindings(v.gen, forced):
                try:
                    if mk_name(v.name, [eval_index(i, env) for i in v.index]) == t:
                        ranged = v.range
                        break
                except _INDEX_ERRORS:
                    continue
            if ranged is not None:
                break
        if ranged is None:
            return f"{fmt(t)} is not a secret declared with a range"
        size = ranged[1] - ranged[0] + 1
        if size.bit_length() > self.guess_bits:
            return f"the range of {fmt(t)} has {size} values, not fewer than 2^{self.guess_bits}"
        if not prem:
            return "guess needs a premise to test guesses against"
        if t in prem:
            return f"the guessed secret {fmt(t)} is itself a premise"
        if not GuessTest(t, set(prem)).tested():
            return (f"no test of a guess of {fmt(t)}: no premise can be rebuilt from the "
                    "guess, and no ciphertext decrypted with it shows redundancy")
        return None


class GuessTest:
    """Whether a knower of `known` can test a guess of `w` offline (docs/language.md).

    1. rebuild: a known term (not `w`) containing `w` is rebuilt from the guess:
       every part containing `w` rebuilt, every other part composed from `known`;
    2. open: a known enc(K, M) whose key K is rebuilt from the guess is decrypted,
       and the plaintext is recognised: a term occurs twice among the decrypted
       parts; a decrypted part is rebuilt from the guess; or a term obtained from
       one root of a decryption (the whole plaintext, or one top-level part of a
       tuple plaintext, split further) equals a term decrypted under another root
       (of another ciphertext, or another top-level part) or a known term other
       than the ciphertext itself.
    """

    def __init__(self, w: CTerm, known: set[CTerm]) -> None:
        self.w = w
        self.known = known
        self._memo: dict[CTerm, bool] = {}
        self._rb: dict[CTerm, bool] = {}

    def comp(self, u: CTerm) -> bool:
        """`u` (free of the guess) is composed from the known terms."""
        return not contains(u, self.w) and _composable(u, self.known, self._memo)

    def rebuilt(self, u: CTerm) -> bool:
        """`u` (containing the guess) is rebuilt from the guess and the known terms."""
        if u == self.w:
            return True
        if u in self._rb:
            return self._rb[u]
        self._rb[u] = False
        kids = children(u)
        ok = contains(u, self.w) and bool(kids) and not (u[0] == "a" and u[1] in ("pk", "sk"))
        ok = ok and all(self.rebuilt(k) if contains(k, self.w) else self.comp(k) for k in kids)
        if not ok and u[0] == "x":  # exp(g, ..., a, b) from a known exp(g, ..., a) and b
            need: Counter[CTerm] = Counter(u[2])
            for k in self.known:
                if k[0] == "x" and k[1] == u[1] and not Counter[CTerm](k[2]) - need:
                    rest = list((need - Counter(k[2])).elements())
                    if rest and all(self.rebuilt(e) if contains(e, self.w) else self.comp(e)
                                    for e in rest) and any(contains(e, self.w) for e in rest):
                        ok = True
                        break
        self._rb[u] = ok
        return ok

    def tested(self) -> bool:
        w = self.w
        if any(k != w and contains(k, w) and self.rebuilt(k) for k in self.known):
            return True
        # decryptions with a rebuilt key: occurrences (ciphertext, root, path, term)
        occ: list[tuple[CTerm, int, tuple[int, ...], CTerm]] = []
        for c in self.known:
            if c[0] != "a" or c[1] != "enc" or len(c[2]) != 2:
                continue
            key, m = c[2]
            if not contains(key, w) or not self.rebuilt(key):
                continue
            occ.append((c, 0, (), m))
            if m[0] == "t":
                stack: list[tuple[int, tuple[int, ...], CTerm]] = [
                    (i, (i,), p) for i, p in enumerate(m[1], 1)]
                while stack:
                    root, path, u = stack.pop()
                    occ.append((c, root, path, u))
                    if u[0] == "t":
                        stack.extend((root, (*path, j), p) for j, p in enumerate(u[1], 1))
        seen: dict[CTerm, tuple[CTerm, tuple[int, ...]]] = {}
        for c, _, path, u in occ:
            if u in seen and seen[u] != (c, path):
                return True  # the same term decrypted twice
            seen.setdefault(u, (c, path))
            if contains(u, w) and self.rebuilt(u):
                return True  # a decrypted part rebuilt from the guess
        roots = {(c, r) for c, r, _, _ in occ}
        for c, r in roots:
            mine = {u for c2, r2, _, u in occ if (c2, r2) == (c, r)}
            memo: dict[CTerm, str | None] = {}
            for c2, r2, _, u in occ:
                other = c2 != c or (r != 0 and r2 != 0 and r2 != r)
                if other and self._obtained(u, c, mine, memo) == "open":
                    return True
            if any(k != c and self._built(k, c, mine, memo) for k in self.known):
                return True
        return False

    def _built(self, k: CTerm, c: CTerm, mine: set[CTerm], memo: dict[CTerm, str | None]
               ) -> bool:
        """The known term `k` is a decrypted term of the root, or is built from
        its parts (at least one obtained from the root's decrypted terms)."""
        if k in mine:
            return True
        if k[0] not in ("t", "a", "x") or (k[0] == "a" and k[1] in ("pk", "sk")):
            return False
        got = [self._obtained(u, c, mine, memo) for u in children(k)]
        return bool(got) and None not in got and "open" in got

    def _obtained(self, u: CTerm, c: CTerm, mine: set[CTerm], memo: dict[CTerm, str | None]
                  ) -> str | None:
        """How `u` is obtained under a root of `c` whose decrypted terms are `mine`:
        "open" (using one of them), "plain" (from knowledge and the guess), or None."""
        if u in memo:
            return memo[u]
        memo[u] = None
        res: str | None = None
        if u in mine and u != c:
            res = "open"
        elif self.comp(u) or (contains(u, self.w) and self.rebuilt(u)):
            res = "plain"
        elif u != c and u[0] in ("t", "a", "x") and not (u[0] == "a" and u[1] in ("pk", "sk")):
            got = [self._obtained(k, c, mine, memo) for k in children(u)]
            if got and all(g is not None for g in got):
                res = "open" if "open" in got else "plain"
        memo[u] = res
        return res


def _composable(t: CTerm, known: set[CTerm], memo: dict[CTerm, bool]) -> bool:
    """`t` can be composed from `known` by tuples, function applications (not pk/sk),
    exponentiation (also of a known exp(g, a)) and linear combinations."""
    if t in known:
        return True
    if t in memo:
        return memo[t]
    memo[t] = False  # guard against cycles while deciding
    kind = t[0]
    ok = False
    if kind == "t":
        ok = all(_composable(p, known, memo) for p in t[1])
    elif kind == "a":
        ok = t[1] not in ("pk", "sk") and all(_composable(a, known, memo) for a in t[2])
    elif kind == "x":
        base, exps = t[1], t[2]
        ok = _composable(base, known, memo) and all(_composable(e, known, memo) for e in exps)
        if not ok:
            need: Counter[CTerm] = Counter(exps)
            for k in known:
                if k[0] == "x" and k[1] == base and not Counter[CTerm](k[2]) - need:
                    rest = need - Counter(k[2])
                    if all(_composable(e, known, memo) for e in rest.elements()):
                        ok = True
                        break
    elif kind == "l":
        ok = _in_linear_span(t, known, memo)
    memo[t] = ok
    return ok


def _in_linear_span(t: CTerm, known: set[CTerm], memo: dict[CTerm, bool]) -> bool:
    """`t` is a rational combination of known terms and of composable atoms."""
    vecs = [lin_view(k) for k in known]
    target = lin_view(t)
    atoms = set(target)
    for v in vecs:
        atoms |= set(v)
    free = {a for a in atoms if _composable(a, known, memo)}

    def project(v: dict[CTerm, Fraction]) -> dict[CTerm, Fraction]:
        return {a: c for a, c in v.items() if a not in free and c != 0}

    rows: list[tuple[CTerm, dict[CTerm, Fraction]]] = []

    def reduce(v: dict[CTerm, Fraction]) -> dict[CTerm, Fraction]:
        v = dict(v)
        for piv, row in rows:
            c = v.get(piv)
            if c:
                for a, rc in row.items():
                    v[a] = v.get(a, Fraction(0)) - c * rc
                v = {a: x for a, x in v.items() if x != 0}
        return v

    for vec in vecs:
        r = reduce(project(vec))
        if r:
            piv = min(r, key=_key)
            pc = r[piv]
            rows.append((piv, {a: c / pc for a, c in r.items()}))
    return not reduce(project(target))


def check(
    proof_json: Mapping,
    model: Model,
    coalition: Sequence[str],
    target: str,
    *,
    guess_bits: int = 40,
    after: int | None = None,
    trace_leaf: TraceLeaf | None = None,
) -> list[str]:
    """Problems with a JSON proof that `coalition` learns `target`; empty when it is valid.

    Checks the structure (ids 1..n, premises earlier, last step is the target), every
    leaf against the model (`holds` at its declaration's line, `receives`/`sees` at the
    message's step and line, by a coalition member; with `after`, no message later
    than that step), and every inference against the meaning of its rule.

    With `trace_leaf` (used by `check_attack`), `receives` and `sees` leaves are judged
    by `trace_leaf(rule, by, term, step, line)` (None: justified, else why not) in
    place of the model's messages; `holds` leaves are read against the model as ever.
    """
    problems: list[str] = []
    ck = _Checker(model, guess_bits, after, trace_leaf)
    members: set[CTerm] = set()
    for a in coalition:
        try:
            m = parse(a)
        except ValueError as e:
            problems.append(f"coalition: {e}")
            continue
        if m[0] != "n":
            problems.append(f"coalition: {a!r} is not an agent name")
        members.add(m)
    try:
        tgt: CTerm | None = parse(target)
    except ValueError as e:
        problems.append(f"target: {e}")
        tgt = None

    steps = proof_json.get("steps") if isinstance(proof_json, Mapping) else None
    if not isinstance(steps, list) or not steps:
        return [*problems, "the proof has no steps"]
    terms: dict[int, CTerm] = {}
    cache: dict[tuple[Any, ...], str | None] = {}
    for pos, s in enumerate(steps, start=1):
        if not isinstance(s, Mapping):
            problems.append(f"step {pos}: not an object")
            continue
        sid = s.get("id")
        label = f"step {sid if isinstance(sid, int) else pos}"
        if sid != pos or isinstance(sid, bool):
            problems.append(f"{label}: id should be {pos} (ids run 1..n in order)")
        try:
            t = parse(s.get("term"))  # type: ignore[arg-type]
        except ValueError as e:
            problems.append(f"{label}: {e}")
            continue
        rule = s.get("rule")
        prem_ids = s.get("premises", [])
        if not isinstance(prem_ids, list) or not all(
            isinstance(p, int) and not isinstance(p, bool) for p in prem_ids
        ):
            problems.append(f"{label}: premises must be a list of step ids")
            continue
        bad = [p for p in prem_ids if not 1 <= p < pos]
        if bad:
            problems.append(
                f"{label}: premise(s) {', '.join(map(str, bad))} do not refer to earlier steps"
            )
            continue
        try:
            if rule in ("holds", "receives", "sees"):
                why = ck_leaf(ck, s, t, rule, members, cache)
            elif isinstance(rule, str):
                if any(p not in terms for p in prem_ids):
                    terms[pos] = t  # its premises were reported already; judge later steps
                    continue
                why = ck.infer(rule, t, [terms[p] for p in prem_ids], s)
            else:
                why = "no rule"
        except (RecursionError, *_INDEX_ERRORS) as e:  # never crash on a strange proof
            why = f"could not be checked ({type(e).__name__}: {e})"
        if why is not None:
            problems.append(f"{label} ({rule}): {why}")
        terms[pos] = t
    n = len(steps)
    if tgt is not None and n in terms and terms[n] != tgt:
        problems.append(
            f"step {n}: the last step concludes {fmt(terms[n])}, not the target {fmt(tgt)}"
        )
    return problems


def ck_leaf(
    ck: _Checker,
    s: Mapping,
    t: CTerm,
    rule: str,
    members: set[CTerm],
    cache: dict[tuple[Any, ...], str | None],
) -> str | None:
    """Why the leaf `s` (with parsed term `t`) is not justified, or None."""
    if s.get("premises"):
        return "a leaf has no premises"
    by_s = s.get("by")
    if not isinstance(by_s, str):
        return "a leaf needs 'by'"
    try:
        by = parse(by_s)
    except ValueError as e:
        return f"by: {e}"
    if by not in members:
        return f"{by_s} is not a member of the coalition"
    if not ck.is_agent(by):
        return f"{by_s} is not a declared agent"
    line = s.get("line")
    if not isinstance(line, int) or isinstance(line, bool):
        return "a leaf needs its source 'line'"
    step = s.get("step")
    if rule != "holds":
        if not isinstance(step, int) or isinstance(step, bool):
            return "a message leaf needs its 'step'"
        if ck.after is not None and step > ck.after:
            return f"step {step} comes after the queried step {ck.after}"
    key = (rule, by, t, line, step)
    if key not in cache:
        if rule != "holds" and ck.trace_leaf is not None:
            cache[key] = ck.trace_leaf(rule, by, t, step, line)  # type: ignore[arg-type]
        elif rule == "holds":
            cache[key] = ck.holds(by, t, line)
        elif rule == "receives":
            cache[key] = ck.receives(by, t, step, line)  # type: ignore[arg-type]
        else:
            cache[key] = ck.sees(by, t, step, line)  # type: ignore[arg-type]
    return cache[key]


# ------------------------------------------------------------------ attacks (§11)
#
# An attack is a run of a narration against an active adversary (docs/language.md):
# honest agents follow their roles, the adversary (the malicious agents and the
# intruders, pooling their knowledge) delivers terms it can build. The checker
# replays the run: it rebuilds every honest agent's role from the model, keeps what
# each honest agent knows and what it accepted in place of what it expected, and
# checks every event against that state and every proof against the trace so far.

_ENC = ("enc", "renc")
_AENC = ("aenc", "raenc")


class _Inst:
    """One ground instance of a narration message: `sender -> receiver : term`."""

    __slots__ = ("id", "step", "line", "sender", "receiver", "term", "session", "roles",
                 "unchecked")

    def __init__(self, id_: int, step: int, line: int, sender: CTerm,
                 receiver: CTerm | None, term: CTerm, session: str | None = None,
                 roles: tuple[str | None, str | None] = (None, None)) -> None:
        self.id = id_
        self.step = step
        self.line = line
        self.sender = sender
        self.receiver = receiver
        self.term = term
        self.session = session  # `s2`, `s[3]`: the session of a protocol block's message
        self.roles = roles  # the sender's and the receiver's role in that session
        self.unchecked: frozenset[CTerm] = frozenset()  # the parts marked `?`


class _Send:
    """A send event of the trace, as leaves may cite it."""

    __slots__ = ("index", "line", "term", "to", "inst")

    def __init__(self, index: int, line: int, term: CTerm, to: CTerm | None,
                 inst: _Inst | None) -> None:
        self.index = index
        self.line = line
        self.term = term
        self.to = to
        self.inst = inst


def _narration(model: Model) -> list[_Inst]:
    """Every ground message instance, in narration order (statements in step order,
    the bindings of a family in generator order)."""
    out: list[_Inst] = []
    for msg in sorted(model.messages, key=lambda m: m.step):
        for env in gen_bindings(msg.gen, {}):
            try:
                s = _agent(msg.sender, env)
                r = None if msg.receiver is None else _agent(msg.receiver, env)
                t = eval_term(msg.term, env)
                session = None
                if msg.session is not None:
                    name, idx = msg.session
                    vals = [eval_index(i, env) for i in idx]
                    session = name + (f"[{','.join(map(str, vals))}]" if vals else "")
            except _INDEX_ERRORS:
                continue
            inst = _Inst(len(out), msg.step, msg.pos.line, s, r, t, session,
                         (msg.sender_role, msg.receiver_role))
            try:
                inst.unchecked = frozenset(eval_term(u, env) for u in msg.unchecked)
            except _INDEX_ERRORS:
                pass
            out.append(inst)
    return out


def _all_agents(model: Model) -> list[CTerm]:
    """Every declared agent, ground."""
    out: list[CTerm] = []
    for d in model.agents:
        combos: list[tuple[int, ...]] = [()]
        for lo, hi in d.dims:
            combos = [(*c, i) for c in combos for i in range(lo, hi + 1)]
        out.extend(mk_name(d.name, c) for c in combos)
    return out


def _subst(t: CTerm, sigma: Mapping[CTerm, CTerm]) -> CTerm:
    """`t` with every maximal subterm in the domain of `sigma` replaced by its image."""
    if not sigma:
        return t
    if t in sigma:
        return sigma[t]
    kind = t[0]
    if kind == "t":
        return mk_tup([_subst(p, sigma) for p in t[1]])
    if kind == "a":
        return mk_app(t[1], [_subst(a, sigma) for a in t[2]])
    if kind == "x":
        # exp(exp(g, a), b) is flattened: an accepted exp(g, a) inside it is found as
        # a sub-multiset of the exponents (the largest one, for maximality)
        need: Counter[CTerm] = Counter(t[2])
        best: CTerm | None = None
        for k in sigma:
            if k[0] == "x" and k[1] == t[1] and not Counter[CTerm](k[2]) - need:
                if best is None or (len(k[2]), _key(k)) > (len(best[2]), _key(best)):
                    best = k
        if best is None:
            out, rest = _subst(t[1], sigma), list(t[2])
        else:
            out, rest = sigma[best], list((need - Counter(best[2])).elements())
        for e in rest:
            out = mk_app("exp", (out, _subst(e, sigma)))
        return out
    if kind == "l":
        # an accepted linear term L inside t (t = c * L + rest) stands for what arrived
        view = lin_view(t)
        pairs: list[tuple[CTerm, Fraction]] = []
        for k in sorted((k for k in sigma if k[0] == "l" and k[1]), key=_key):
            kv = lin_view(k)
            c = view.get(k[1][0][0], Fraction(0)) / k[1][0][1]
            if c and all(view.get(a, Fraction(0)) == c * x for a, x in kv.items()):
                pairs.append((sigma[k], c))
                for a in kv:
                    view.pop(a)
        pairs.extend((_subst(a, sigma), c) for a, c in view.items())
        return mk_lin(pairs)
    return t


def _is_pk(t: CTerm) -> bool:
    return t[0] == "a" and t[1] == "pk" and len(t[2]) == 1


class _Honest:
    """An honest agent replaying its role: where it is, what it knows (`known`: terms of
    the narration, i.e. as it expected them), and what it accepted in place of what it
    expected (`sigma`: expected part -> the part that actually arrived).

    Invariant: for every term u it knows, the agent really holds `_subst(u, sigma)`.
    So a part accepted as it arrived (in the domain of sigma) is never opened: the
    agent holds what arrived, not what the narration says was there.
    """

    def __init__(self, ck: _Checker, name: CTerm, groups: list[list[tuple[str, _Inst]]],
                 known: set[CTerm]) -> None:
        self.ck = ck
        self.name = name
        self.groups = groups  # role steps, grouped by narration step
        self.gi = 0
        self.done: set[int] = set()
        self.known = known
        self.sigma: dict[CTerm, CTerm] = {}
        self._analyse()

    # ------------------------------------------------------------ knowledge

    def derivable(self, t: CTerm) -> bool:
        """`t` is composed from what the agent knows (tuples, functions other than
        pk/sk, exponentiation, linear combinations; pk(b) is known with sk(b))."""
        return _composable(t, self.known, {})

    def _analyse(self) -> None:
        """Close the knowledge under splitting, decryption with derivable keys,
        asymmetric decryption with held private keys, unsigning and pk(b) from sk(b);
        parts accepted as they arrived are not opened."""
        k = self.known
        changed = True
        while changed:
            changed = False
            for t in list(k):
                if t in self.sigma:
                    continue
                new: Sequence[CTerm] = ()
                if t[0] == "t":
                    new = t[1]
                elif t[0] == "a" and len(t[2]) == 2:
                    key, m = t[2]
                    if t[1] in _ENC and self.derivable(key):
                        new = (m,)
                    elif t[1] in _AENC and _is_pk(key) and mk_app("sk", key[2]) in k:
                        new = (m,)
                    elif t[1] == "sign":
                        new = (m,)
                elif t[0] == "a" and t[1] == "sk" and len(t[2]) == 1:
                    new = (mk_app("pk", t[2]),)
                for u in new:
                    if u not in k:
                        k.add(u)
                        changed = True

    def learn(self, t: CTerm) -> None:
        self.known.add(t)
        self._analyse()

    # ------------------------------------------------------------ matching

    def match(self, e: CTerm, d: CTerm, sigma: dict[CTerm, CTerm],
              unchecked: frozenset[CTerm] = frozenset()) -> str | None:
        """Why the agent, expecting `e`, does not accept `d` in its place (None: it
        accepts, and `sigma` records what it accepted unchecked). A part marked `?`
        (in `unchecked`) is accepted as it arrives, whatever was accepted for it
        before, and stands for what arrived from then on."""
        who = fmt(self.name)
        if e in unchecked:
            why = self._typed(e, d)
            if why is None:
                sigma[e] = d
            return why
        if e in sigma:
            if d != sigma[e]:
                return (f"{who} expects {fmt(e)}, which it accepted earlier as "
                        f"{fmt(sigma[e])}, and gets {fmt(d)}")
            return None
        if self.derivable(e):
            want = _subst(e, sigma)
            if d != want:
                return f"{who} can check {fmt(e)}: it expects {fmt(want)} and gets {fmt(d)}"
            return None
        if e[0] == "t":
            if d[0] != "t" or len(d[1]) != len(e[1]):
                return (f"{who} expects a tuple of {len(e[1])} parts for {fmt(e)} "
                        f"and gets {fmt(d)}")
            # The parts of one message are read together: the values among them (names,
            # exponentials, linear terms) are matched first, and the receiver may use
            # them to open or rebuild the other parts (a ciphertext under a key computed
            # from a half key that arrives beside it; a signed hash of that half key).
            pairs = list(zip(e[1], d[1], strict=True))
            first = [(pe, pd) for pe, pd in pairs if pe[0] not in ("t", "a")]
            then = [(pe, pd) for pe, pd in pairs if pe[0] in ("t", "a")]
            for pe, pd in first:
                why = self.match(pe, pd, sigma, unchecked)
                if why is not None:
                    return why
            if not then:
                return None
            saved, saved_sigma = set(self.known), self.sigma
            try:
                # what arrived so far stands for the expected parts (sigma), as after
                # a receive: the agent now holds those parts
                self.sigma = {**self.sigma, **sigma}
                for pe, _ in first:
                    self.known.add(pe)
                self._analyse()
                for pe, pd in then:
                    why = self.match(pe, pd, sigma, unchecked)
                    if why is not None:
                        return why
            finally:
                self.known = saved
                self.sigma = saved_sigma
            return None
        if e[0] == "a" and len(e[2]) == 2:
            fn, (key, m) = e[1], e[2]
            opens = None
            if fn in _ENC and self.derivable(key):
                opens = f"it knows the key {fmt(key)}"
            elif fn in _AENC and _is_pk(key) and mk_app("sk", key[2]) in self.known:
                opens = f"it holds {fmt(mk_app('sk', key[2]))}"
            elif fn == "sign" and key[0] == "a" and key[1] == "sk" and len(key[2]) == 1:
                opens = f"it verifies signatures by {fmt(key[2][0])}"
            if opens is not None:
                want_key = _subst(key, sigma)
                if d[0] != "a" or d[1] != fn or len(d[2]) != 2 or d[2][0] != want_key:
                    return (f"{who} expects {fmt(e)} ({opens}): {fn}({fmt(want_key)}, ...) "
                            f"and gets {fmt(d)}")
                return self.match(m, d[2][1], sigma, unchecked)
        why = self._typed(e, d)
        if why is not None:
            return why
        sigma[e] = d
        return None

    def _typed(self, e: CTerm, d: CTerm) -> str | None:
        """Why `d` cannot stand for the unchecked part `e` (typed matching), or None."""
        who = fmt(self.name)
        is_agent = self.ck.is_agent
        if e[0] == "n":
            if is_agent(e):
                if not is_agent(d):
                    return f"{who} accepts only an agent name in place of {fmt(e)}, not {fmt(d)}"
                return None
            if d[0] != "n" or is_agent(d):
                what = "an agent name" if d[0] == "n" else f"the compound term {fmt(d)}"
                return (f"{who} accepts only an atomic value in place of {fmt(e)}, "
                        f"not {what}" + (f" {fmt(d)}" if d[0] == "n" else ""))
            return None
        if e[0] == "l":
            if d[0] == "l" or (d[0] == "n" and not is_agent(d)):
                return None
            return (f"{who} accepts only a value or a linear term in place of {fmt(e)}, "
                    f"not {fmt(d)}")
        if e[0] == "x":
            if d[0] != "x":
                return f"{who} accepts only an exponential in place of {fmt(e)}, not {fmt(d)}"
            return None
        if e[0] == "a":
            if d[0] != "a" or d[1] != e[1] or len(d[2]) != len(e[2]):
                return (f"{who} accepts only a term {e[1]}(...) with {len(e[2])} "
                        f"argument(s) in place of {fmt(e)}, not {fmt(d)}")
            return None
        if d[0] != "t" or len(d[1]) != len(e[1]):
            return f"{who} accepts only a tuple of {len(e[1])} parts in place of {fmt(e)}"
        return None

    # ------------------------------------------------------------ role

    def _group(self) -> list[tuple[str, _Inst]] | None:
        while self.gi < len(self.groups) and len(self.done) == len(self.groups[self.gi]):
            self.gi += 1
            self.done = set()
        return self.groups[self.gi] if self.gi < len(self.groups) else None

    def next_steps(self) -> str:
        """The agent's possible next role steps, for messages."""
        group = self._group()
        if group is None:
            return f"{fmt(self.name)} has finished its role"
        out = []
        for j, (kind, inst) in enumerate(group):
            if j in self.done:
                continue
            if kind == "send":
                to = "*" if inst.receiver is None else fmt(inst.receiver)
                out.append(f"a send to {to} at step {inst.step} (line {inst.line})")
            else:
                out.append(f"a receive from {fmt(inst.sender)} at step {inst.step} "
                           f"(line {inst.line})")
        return f"the next step of {fmt(self.name)} is " + " or ".join(out)

    def candidates(self, kind: str, step: Any, line: Any) -> list[int]:
        """Positions in the current group of undone `kind` steps at `step`, `line`."""
        group = self._group()
        if group is None:
            return []
        return [j for j, (k, inst) in enumerate(group)
                if j not in self.done and k == kind and inst.step == step and inst.line == line]

    def take(self, j: int) -> _Inst:
        group = self._group()
        assert group is not None
        self.done.add(j)
        return group[j][1]


def check_attack(attack: Mapping, model: Model, target: str, *, guess_bits: int = 40
                 ) -> list[str]:
    """Problems with an attack (docs/language.md) on a narration without protocol blocks;
    an empty list means the attack is valid.

    `attack` is `{"adversary": [...], "events": [...], "proof": {"steps": [...]}}`.

    - The adversary is the model's malicious agents and intruders, ground, sorted by
      name and index, and equals `attack["adversary"]`; every other agent is honest.
    - An honest agent's role is its part of the ground narration (families expanded
      in generator order): a send where it is the sender, a receive where it is the
      receiver (of a broadcast `*`: every agent but the sender), grouped by step.
      Its events take its role steps in order, none twice, none skipped (it may stop
      early); within one step, its steps may come in any order.
    - Events are numbered 1..n (`index`), `session` is null. `send`: `role` = `agent`
      = an honest sender at its next role step (`line`, `step`), `to` the narration's
      receiver (null for `*`), `term` the narration's message with what the sender
      accepted substituted. `deliver`: `role` = `to` = an honest receiver at its next
      role step, `from` the narration's sender there, and either
        * `agent` an adversary agent and `proof` a section-10 proof that the adversary
          builds `term` from what it holds and from earlier send events, or
        * no `proof` (absent or null): the network passes on an earlier send event
          addressed to the receiver (or to `*`) that carries exactly `term`, each such
          send at most once to each receiver; `agent` is an adversary agent or that
          send's honest sender. (A receiver does not authenticate senders: the send
          may be of another step than the one the receiver waits at.)
    - The receiver accepts the delivered term D for the expected term E when
      match(E, D) holds, with its knowledge K (what it holds initially: its values,
      public values, every agent name, every pk, its own sk; and each message it
      expected at its earlier receives; closed under splitting, decryption with
      derivable keys, asymmetric decryption with held private keys, unsigning) and
      sigma (what it accepted unchecked: expected part -> received part): E in sigma:
      D = sigma(E); E derivable from K: D = E with sigma applied; a tuple: part by
      part; enc(k, m) with k derivable, aenc(pk(b), m) with sk(b) in K, sign(sk(b), m):
      D has the same constructor and key, and m matches D's message; otherwise D is
      accepted for E (sigma(E) := D) if it has E's type: an agent name for an agent
      name; a name that is not an agent for any other name; a name or linear term for a
      linear term; an exponential for an exponential; the same function and arity for
      an application. Parts accepted unchecked are never opened later.
    - Leaves of every proof: `holds` as for `check`; `receives`/`sees` cite a send
      event by its index (`step`), with its `line` and `term`, earlier than the
      delivery (any event for the final proof); `receives` by the adversary agent the
      send is addressed to (anyone for `*`), `sees` by an intruder (any send).
    - The final `proof` concludes `target` under the same leaf rules over all events.
    """
    if not isinstance(attack, Mapping):
        return ["the attack is not an object"]
    rp = _Replay(model, guess_bits)
    if not rp.adv:
        return [*rp.problems, "the model has no malicious agent and no intruder: "
                "there is no adversary"]
    problems = rp.problems
    if attack.get("adversary") != rp.names:
        problems.append(f"adversary: {attack.get('adversary')!r} should be {rp.names!r} "
                        "(the malicious agents and intruders of the model, sorted)")
    events = attack.get("events")
    if not isinstance(events, list):
        return [*problems, "events: not a list"]
    rp.n_events = len(events)
    for pos, ev in enumerate(events, start=1):
        if isinstance(ev, Mapping) and isinstance(ev.get("kind"), str):
            rp.kinds[pos] = ev["kind"]
    for pos, ev in enumerate(events, start=1):
        label = f"event {pos}"
        if not isinstance(ev, Mapping):
            problems.append(f"{label}: not an object")
            continue
        if ev.get("index") != pos or isinstance(ev.get("index"), bool):
            problems.append(f"{label}: index should be {pos} (events run 1..n in order)")
        try:
            problems.extend(f"{label}: {why}" for why in rp.event(ev, pos))
        except (RecursionError, *_INDEX_ERRORS) as e:  # never crash on a strange attack
            problems.append(f"{label}: could not be checked ({type(e).__name__}: {e})")
    proof = attack.get("proof")
    if not isinstance(proof, Mapping):
        problems.append("proof: the attack has no final proof")
    else:
        problems.extend(f"proof: {why}" for why in check(
            proof, model, rp.names, target, guess_bits=guess_bits,
            trace_leaf=rp.judge(len(events) + 1, "the end of the trace")))
    return problems


def _initial_knowledge(model: Model, a: CTerm, agents: Sequence[CTerm]) -> set[CTerm]:
    """What honest agent `a` holds before the run: its values, public values, every
    agent name, pk of every keypair, sk of its own."""
    known: set[CTerm] = set(agents)
    for v in model.values:
        for env in gen_bindings(v.gen, {}):
            try:
                name = mk_name(v.name, [eval_index(i, env) for i in v.index])
                if v.kind == "public" or any(_agent(h, env) == a for h in v.holders):
                    known.add(name)
            except _INDEX_ERRORS:
                continue
    for kp in model.keypairs:
        for env in gen_bindings(kp.gen, {}):
            try:
                owner = _agent(kp.agent, env)
            except _INDEX_ERRORS:
                continue
            known.add(mk_app("pk", (owner,)))
            if owner == a:
                known.add(mk_app("sk", (owner,)))
    return known


_RoleKey = tuple[str | None, str | None, CTerm]


class _Replay:
    """One replay of an attack: the adversary, the honest roles, the trace so far."""

    def __init__(self, model: Model, guess_bits: int) -> None:
        self.model = model
        self.guess_bits = guess_bits
        self.ck = _Checker(model, guess_bits, None)
        self.problems: list[str] = []
        self.adv: set[CTerm] = set()
        self.intruders: set[CTerm] = set()
        for refs, is_intruder in ((model.malicious, False), (model.intruders, True)):
            for ref in refs:
                try:
                    g = _agent(ref, {})
                except _INDEX_ERRORS:
                    self.problems.append(f"adversary: {ref.name} is not a ground agent")
                    continue
                self.adv.add(g)
                if is_intruder:
                    self.intruders.add(g)
        self.names = [fmt(a) for a in sorted(self.adv, key=lambda n: (n[1], n[2]))]
        self.agents = _all_agents(model)
        honest = [a for a in self.agents if a not in self.adv]
        self.honest = set(honest)
        # a role: (session, role in it, agent); (None, None, agent) for the narration's
        # own messages, where the agent is the role
        self.groups: dict[_RoleKey, list[list[tuple[str, _Inst]]]] = {}
        for inst in _narration(model):
            parts: list[tuple[_RoleKey, str]] = []
            srole, rrole = inst.roles
            if inst.sender in self.honest:
                parts.append(((inst.session, srole, inst.sender), "send"))
            if inst.receiver is None:
                parts.extend(((inst.session, None, a), "receive") for a in honest
                             if a != inst.sender)
            elif inst.receiver in self.honest:
                parts.append(((inst.session, rrole, inst.receiver), "receive"))
            for who, kind in parts:
                role_groups = self.groups.setdefault(who, [])
                if not role_groups or role_groups[-1][0][1].step != inst.step:
                    role_groups.append([])
                role_groups[-1].append((kind, inst))
        self.states: dict[_RoleKey, _Honest] = {}
        self.sends: dict[int, _Send] = {}
        self.passed: set[tuple[int, CTerm]] = set()  # (send index, receiver) passed on
        self.kinds: dict[int, str] = {}
        self.n_events = 0

    def state(self, key: _RoleKey) -> _Honest:
        if key not in self.states:
            agent = key[2]
            self.states[key] = _Honest(self.ck, agent, self.groups.get(key, []),
                                       _initial_knowledge(self.model, agent, self.agents))
        return self.states[key]

    # ---------------------------------------------------------------- leaves

    def judge(self, limit: int, here: str) -> TraceLeaf:
        """Judges `receives`/`sees` leaves of a proof at event `limit` (`here`)."""

        def judge(rule: str, by: CTerm, t: CTerm, step: int, line: int) -> str | None:
            if not 1 <= step <= self.n_events:
                return f"there is no event {step}"
            if step == limit:
                return f"a leaf cannot cite {here} itself"
            if step > limit:
                return f"event {step} comes after {here}"
            ev = self.sends.get(step)
            if ev is None:
                if self.kinds.get(step) == "send":
                    return f"event {step} is not a valid send"
                return f"event {step} is not a send (a leaf cites a send event by its index)"
            if ev.line != line:
                return f"event {step} is at line {ev.line}, not line {line}"
            if ev.term != t:
                return f"event {step} sends {fmt(ev.term)}, not {fmt(t)}"
            if rule == "sees":
                if not self.intruders:
                    return ("the model has no intruder: the adversary sees no message, it "
                            "receives those sent to it (rule receives)")
                if by not in self.intruders:
                    return f"{fmt(by)} is not an intruder; only an intruder sees every message"
                return None
            if ev.to is not None and ev.to != by:
                hint = (" (an intruder sees it: rule sees)" if self.intruders
                        else "; without an intruder the adversary does not see it")
                return f"event {step} is sent to {fmt(ev.to)}, not to {fmt(by)}{hint}"
            return None

        return judge

    # ---------------------------------------------------------------- events

    def event(self, ev: Mapping, pos: int) -> list[str]:
        """The problems of one event; advances its honest agent and the trace."""
        kind = ev.get("kind")
        if kind not in ("send", "deliver"):
            return [f"kind {kind!r} is neither send nor deliver"]
        session = ev.get("session")
        if session is not None and not isinstance(session, str):
            return [f"session {session!r}: a session's name or null"]
        out: list[str] = []
        fields: dict[str, CTerm | None] = {}
        for fname in ("agent", "to", "from", "term") + (("role",) if session is None else ()):
            raw = ev.get(fname)
            fields[fname] = None
            if raw is not None:
                try:
                    fields[fname] = parse(raw)
                except ValueError as e:
                    out.append(f"{fname}: {e}")
        term = fields["term"]
        if term is None:
            return out or ["the event needs a term"]
        if session is not None:  # a session's role: named by its parameter
            role = fields["agent"] if kind == "send" else fields["to"]
            rname = ev.get("role")
            if not isinstance(rname, str) or role is None:
                return [*out, "an event of a session needs its role's name and agent"]
            if role not in self.honest:
                return [*out, f"{fmt(role)} is not an honest agent; only honest agents run "
                        "roles"]
            if (session, rname, role) not in self.groups:
                return [*out, f"{fmt(role)} plays no role {rname} in session {session}"]
            key: _RoleKey = (session, rname, role)
        else:
            role = fields["role"]
            key = (None, None, role) if role is not None else (None, None, ("n", "", ()))
        if role is None:
            return [*out, "the event needs its role (the honest agent whose role it is)"]
        if role not in self.honest:
            what = "an adversary agent" if role in self.adv else "not a declared agent"
            return [*out, f"role {fmt(role)} is {what}; only honest agents have roles"]
        line, step = ev.get("line"), ev.get("step")
        if not (isinstance(line, int) and isinstance(step, int)) or isinstance(line, bool) \
                or isinstance(step, bool):
            return [*out, "the event needs its narration 'line' and 'step' (integers)"]
        st = self.state(key)
        where = f"step {step} (line {line})"
        if kind == "send":
            return out + self._send(st, pos, fields, term, step, line, where, ev)
        return out + self._deliver(st, pos, fields, term, step, line, where, ev)

    def _send(self, st: _Honest, pos: int, fields: Mapping[str, CTerm | None], term: CTerm,
              step: int, line: int, where: str, ev: Mapping) -> list[str]:
        out: list[str] = []
        role, to = st.name, fields["to"]
        if fields["agent"] != role:
            out.append(f"a send is by the agent of its role, {fmt(role)}, not "
                       f"{ev.get('agent')!r}")
        cands = st.candidates("send", step, line)
        if not cands:
            self.sends[pos] = _Send(pos, line, term, to, None)  # cited on its own merits
            return [*out, f"{fmt(role)} does not send at {where} now: {st.next_steps()}"]
        group = st.groups[st.gi]
        want = {j: _subst(group[j][1].term, st.sigma) for j in cands}
        to_ok = [j for j in cands if group[j][1].receiver == to]
        pick = next((j for j in to_ok if want[j] == term), None)
        if pick is None:
            pick = to_ok[0] if to_ok else cands[0]
            inst = group[pick][1]
            if inst.receiver != to:
                named = "*" if inst.receiver is None else fmt(inst.receiver)
                out.append(f"the narration sends {where} to {named}, not "
                           f"{'*' if to is None else fmt(to)}")
            if want[pick] != term:
                note = " with what it accepted substituted" if st.sigma else ""
                out.append(f"{fmt(role)}'s message at {where} is {fmt(want[pick])}{note}, "
                           f"not {fmt(term)}")
        self.sends[pos] = _Send(pos, line, term, to, st.take(pick))
        return out

    def _deliver(self, st: _Honest, pos: int, fields: Mapping[str, CTerm | None],
                 term: CTerm, step: int, line: int, where: str, ev: Mapping) -> list[str]:
        out: list[str] = []
        role, agent = st.name, fields["agent"]
        if fields["to"] != role:
            out.append(f"a delivery's role is its receiver: to {ev.get('to')!r} is not "
                       f"{fmt(role)}")
        cands = st.candidates("receive", step, line)
        if not cands:
            return [*out, f"{fmt(role)} does not wait for a message at {where} now: "
                    f"{st.next_steps()}"]
        group = st.groups[st.gi]
        from_ok = [j for j in cands if group[j][1].sender == fields["from"]]
        if not from_ok:
            out.append(f"the narration's sender at {where} is {fmt(group[cands[0]][1].sender)}, "
                       f"not {ev.get('from')!r}")
            from_ok = cands[:1]
        # who delivers it, and how the term was had
        proof = ev.get("proof")
        if agent is None or (agent not in self.adv and agent not in self.honest):
            out.append(f"the agent delivering, {ev.get('agent')!r}, is neither in the "
                       f"adversary {self.names} nor an honest sender")
        elif proof is None:
            out.extend(self._pass_on(pos, role, agent, term))
        elif agent not in self.adv:
            out.append(f"{fmt(agent)} is honest: only the adversary {self.names} delivers "
                       "terms it builds (a delivery with a proof)")
        elif not isinstance(proof, Mapping):
            out.append("proof: not an object")
        else:
            out.extend(f"proof: {why}" for why in check(
                proof, self.model, self.names, fmt(term), guess_bits=self.guess_bits,
                trace_leaf=self.judge(pos, f"this delivery (event {pos})")))
        # does the receiver accept it?
        tries: list[tuple[int, dict[CTerm, CTerm], str | None]] = []
        for j in from_ok:
            sigma = dict(st.sigma)
            tries.append((j, sigma, st.match(group[j][1].term, term, sigma,
                                             group[j][1].unchecked)))
            if tries[-1][2] is None:
                break
        j, sigma, why = tries[-1] if tries[-1][2] is None else tries[0]
        if why is not None:
            out.append(f"{fmt(role)} does not accept {fmt(term)} at {where}: {why}")
        inst = st.take(j)
        st.sigma = sigma
        st.learn(inst.term)
        return out

    def _pass_on(self, pos: int, role: CTerm, agent: CTerm, term: CTerm) -> list[str]:
        """A delivery without proof: the network passes on an earlier send to `role`."""
        for s in self.sends.values():
            if s.index >= pos or s.inst is None or (s.index, role) in self.passed:
                continue
            if s.to is not None and s.to != role:
                continue
            if s.term != term or (agent in self.honest and s.inst.sender != agent):
                continue
            self.passed.add((s.index, role))
            return []
        by = "" if agent in self.adv else f" by {fmt(agent)}"
        return [f"no earlier send{by} to {fmt(role)} carries {fmt(term)} (or it was passed "
                "on already); a delivery of another term needs a proof that the adversary "
                "builds it"]
