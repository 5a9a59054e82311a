"""Syntax tree to model: names looked up, constants substituted, everything checked.

The resolver turns a `tipasp.syntax.Spec` into a `tipasp.model.Model`. It decides
what every name is (constant, agent, value, function, generator variable), turns
index arithmetic into `IExpr`s (constant parts folded with C semantics, as clingo
computes them), terms into `Term`s (linear arithmetic flattened into `TLin`), and
keeps families symbolic: a statement over `for i in 1..N` stays one object whatever N.

It reports every problem it finds, one per statement, each at the position of
the offending name or number. Checks that need the values of generator variables
(an index inside its family's range) are exact when a generator has at most
10,000 bindings and are done with interval arithmetic otherwise; a family of a
million agents costs no more than a family of ten.
"""

from __future__ import annotations

import dataclasses
import difflib
import itertools
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Literal, NoReturn, cast

from . import ground
from . import syntax as S
from .errors import Diagnostic
from .ground import bindings, c_div, c_mod, eval_index
from .model import (
    BUILTIN_ARITY,
    AgentDecl,
    AgentRef,
    Allow,
    Assertion,
    Binder,
    Collude,
    Corrupt,
    Eavesdropper,
    FunctionDecl,
    Generator,
    IBin,
    ICmp,
    IConst,
    IExpr,
    INeg,
    IVar,
    Keypair,
    Message,
    Model,
    NameInfo,
    Noise,
    Pos,
    Query,
    Shares,
    TAgent,
    TApp,
    Term,
    TLin,
    TName,
    TSum,
    TTuple,
    ValueDecl,
)
from .parser import INT_MAX, collected

#: Generators with at most this many bindings are checked exactly, by evaluation.
SMALL_GENERATOR = 10_000
#: Total bindings the resolver may evaluate for its checks over a whole spec.
EVAL_BUDGET = 200_000
#: Deepest index expression accepted (a longer `i + 1 + 1 ...` chain is refused).
MAX_INDEX_DEPTH = 100

_KIND_WORDS = {
    "public": "public value",
    "secret": "secret",
    "random": "random value",
    "key": "key",
    "noise": "noise value",
    "share": "share",
}

Interval = tuple[int, int]


class _Fail(Exception):
    """Abandon the current statement; `diag` None means the problem was already reported."""

    def __init__(self, diag: Diagnostic | None) -> None:
        super().__init__(diag.message if diag else "")
        self.diag = diag


def _fail(pos: Pos, message: str, hint: str | None = None) -> NoReturn:
    """Abandon the current statement with a diagnostic at `pos`."""
    raise _Fail(Diagnostic(pos, message, hint))


@dataclass
class _Decl:
    """The first declaration of a name: what it is and where."""

    category: str  # "constant", "agent", "value", "function"
    kind: str  # value kind, or the category again
    arity: int
    pos: Pos

    def describe(self) -> str:
        """`a secret`, `an agent`... for messages."""
        word = _KIND_WORDS.get(self.kind, self.kind)
        article = "an" if word[0] in "aeiou" else "a"
        return f"{article} {word}"


@dataclass
class _Check:
    """An index to check against its family once every declaration is known."""

    family: str  # "agent" or "value"
    name: str
    index: tuple[IExpr, ...]
    pos: Pos
    exact: bool  # False inside a sum: its variables are not the statement's
    env: dict[str, Interval | None]  # the variables' bounds (shared with the statement)


@dataclass
class _Block:
    """A protocol block being resolved (docs/language.md): its role parameters, its fresh
    values (with the role that creates each; None if that role was wrong), and the
    roles whose pk/sk it uses (with the first use)."""

    name: str
    roles: dict[str, Pos]
    fresh: dict[str, tuple[str | None, Pos]] = field(default_factory=dict)
    keys: dict[str, Pos] = field(default_factory=dict)


@dataclass
class _Template:
    """A resolved protocol block: terms with role parameters as agents (`AgentRef(A)`)
    and fresh values as names (`TName(na)`), substituted by each session."""

    block: _Block
    fresh: list[tuple[str, str, Pos]]  # (value, role, position)
    # (statement, sender role, receiver role or None for `*`, term, `?` parts, text)
    messages: list[tuple[S.MessageStmt, str, str | None, Term, tuple[Term, ...], str]]


@dataclass
class _Ctx:
    """Per-statement state: variables in scope, hidden range binders, deferred checks."""

    scope: dict[str, Interval | None] = field(default_factory=dict)
    hidden: list[Binder] = field(default_factory=list)
    checks: list[_Check] = field(default_factory=list)
    in_sum: int = 0
    block: _Block | None = None  # inside a protocol block: its roles and fresh values
    unchecked: list[Term] | None = None  # in a message: the parts marked `?`

    def hidden_var(self, lo: int, hi: int, name: str | None = None) -> IVar:
        """A fresh generator variable for a range written inside brackets (`u[1..N]`)."""
        var = name or f"#{len(self.hidden) + 1}"
        self.hidden.append(Binder(var, IConst(lo), IConst(hi)))
        self.scope[var] = (lo, hi)
        return IVar(var)


def _plural(n: int, word: str) -> str:
    """`1 index`, `2 indexes`, `3 steps`."""
    return f"{n} {word}" if n == 1 else f"{n} {word}{'es' if word.endswith('x') else 's'}"


def _suggest(name: str, candidates: Iterable[str]) -> str | None:
    """'did you mean ...?' for the closest candidate, if any is close."""
    pool = list(candidates)
    if len(pool) > 2000:  # keep difflib cheap on huge specs
        pool = [c for c in pool if abs(len(c) - len(name)) <= 2 and c[:1] == name[:1]][:2000]
    close = difflib.get_close_matches(name, pool, n=1, cutoff=0.6)
    return f"did you mean '{close[0]}'?" if close else None


def _show_index(e: IExpr) -> str:
    """An index expression as text, for messages."""
    if isinstance(e, IConst):
        return str(e.value)
    if isinstance(e, IVar):
        return e.name
    if isinstance(e, INeg):
        return f"-{_show_index(e.arg)}"
    return f"({_show_index(e.left)} {e.op} {_show_index(e.right)})"


def _fold(op: Literal["+", "-", "*", "/", "%"], a: IExpr, b: IExpr, pos: Pos) -> IExpr:
    """`a op b`, computed now when both sides are constants (C semantics)."""
    if isinstance(b, IConst) and b.value == 0 and op in ("/", "%"):
        _fail(pos, "division by zero")
    if isinstance(a, IConst) and isinstance(b, IConst):
        x, y = a.value, b.value
        v = {"+": x + y, "-": x - y, "*": x * y}.get(op)
        if v is None:
            v = c_div(x, y) if op == "/" else c_mod(x, y)
        return IConst(_fits(v, pos))
    return IBin(op, a, b)


def _fits(v: int, pos: Pos) -> int:
    """`v`, if it is a 32-bit clingo integer; else an error at `pos`."""
    if not -INT_MAX - 1 <= v <= INT_MAX:
        _fail(pos, f"value too large: {v} (clingo integers are 32-bit, at most {INT_MAX})")
    return v


def _interval(e: IExpr, env: Mapping[str, Interval | None]) -> Interval | None:
    """Bounds on the values of `e` when each variable ranges over its interval (None: unknown)."""
    if isinstance(e, IConst):
        return (e.value, e.value)
    if isinstance(e, IVar):
        return env.get(e.name)
    if isinstance(e, INeg):
        a = _interval(e.arg, env)
        return None if a is None else (-a[1], -a[0])
    a, b = _interval(e.left, env), _interval(e.right, env)
    if a is None or b is None:
        return None
    if e.op == "+":
        return (a[0] + b[0], a[1] + b[1])
    if e.op == "-":
        return (a[0] - b[1], a[1] - b[0])
    if e.op == "*":
        corners = [x * y for x in a for y in b]
        return (min(corners), max(corners))
    if b[0] <= 0 <= b[1]:
        return None
    if e.op == "/":
        corners = [c_div(x, y) for x in a for y in b]
        return (min(corners), max(corners))
    m = max(abs(b[0]), abs(b[1])) - 1
    if a[0] >= 0:
        return (0, min(m, a[1]))
    if a[1] <= 0:
        return (max(-m, a[0]), 0)
    return (-m, m)


class _Resolver:
    """One resolution of one spec (see the module docstring)."""

    def __init__(
        self,
        spec: S.Spec,
        overrides: Mapping[str, int] | None,
        unparsed: frozenset[str],
        had_syntax_errors: bool,
    ) -> None:
        self.spec = spec
        self.file = spec.file
        self.overrides = dict(overrides or {})
        self.unparsed = unparsed
        self.had_syntax_errors = had_syntax_errors
        self.diags: list[Diagnostic] = []
        self.consts: dict[str, int] = {}
        self.decls: dict[str, _Decl] = {}
        self.skip: set[tuple[int, int]] = set()  # (statement, item) declared twice
        self.agents: dict[str, AgentDecl] = {}
        self.functions: dict[str, FunctionDecl] = {}
        self.names: dict[str, NameInfo] = {}
        self.keypair_agents: set[str] = set()
        self.labels: dict[str, int] = {}
        self.n_steps = 0
        self.values: list[ValueDecl] = []
        self.keypairs: list[Keypair] = []
        self.messages: list[Message] = []
        self.colludes: list[Collude] = []
        self.corrupts: list[Corrupt] = []
        self.eavesdroppers: list[Eavesdropper] = []
        self.adversaries: dict[str, list[AgentRef]] = {"malicious": [], "intruder": []}
        self.allows: list[Allow] = []
        self.questions: list[Query | Assertion] = []
        self.deferred: list[tuple[list[_Check], Generator | None, dict[str, Interval | None]]] = []
        self.value_scopes: list[dict[str, Interval | None]] = []
        # value names with a declaration that did not resolve: their extent is unknown
        self.failed_values: set[str] = set(unparsed)
        self.budget = EVAL_BUDGET
        # docs/language.md: protocol blocks and sessions (first declaration of each name)
        self.protocol_stmts: dict[str, S.ProtocolStmt] = {}
        self.session_stmts: dict[str, S.SessionStmt] = {}
        self.templates: dict[str, _Template] = {}  # the protocols that resolved
        # docs/language.md, values indexed by agents: family -> its members' names
        # (`k` -> {`k[alice]`, `k[u]`}: `k[u]` is the family k[u[1..N]], indexed as u is)
        self.agent_indexed: dict[str, set[str]] = {}
        self.int_indexed: set[str] = set()  # value families declared with integer indices

    # ------------------------------------------------------------------------ driver

    def run(self) -> Model | None:
        """Resolve the whole spec: the model, or None with every problem in `diags`."""
        stmts = self.spec.statements
        self._register(stmts)
        self._constants(stmts)
        for k, st in enumerate(stmts):
            if isinstance(st, S.AgentStmt):
                self._guard(self._agent_stmt, k, st)
            elif isinstance(st, S.FunctionStmt):
                self._guard(self._function_stmt, k, st)
        work = self._expand_agent_binders(stmts)  # after every agent
        for k, st in work:
            if isinstance(st, (S.PublicStmt, S.ValueStmt, S.NoiseStmt)):
                self._guard(self._value_stmt, k, st)
            elif isinstance(st, S.SharesStmt):
                if not self._guard(self._shares_stmt, k, st):
                    self.failed_values.add(st.target.name)
        for name in self.agent_indexed:  # `k` itself names no value: `k[alice]` does
            if not any(v.name == name for v in self.values):
                self.names.pop(name, None)
        for k, st in work:  # after every agent: keypairs name agents
            if isinstance(st, S.KeypairStmt):
                self._guard(self._keypair_stmt, k, st)
        for k, st in enumerate(stmts):  # after every global name
            if isinstance(st, S.ProtocolStmt):
                self._protocol_stmt(k, st)
        self._collect_labels(stmts)
        step = 0
        last_message = -1
        for k, st in work:
            if isinstance(st, S.MessageStmt):
                if k != last_message:  # copies of one statement (agents expanded): one step
                    step += 1
                    last_message = k
                self._guard(self._message_stmt, k, st, step)
            elif isinstance(st, S.SessionStmt):
                self._guard(self._session_stmt, k, st, step)
                step += self._protocol_steps(st.protocol)
            elif isinstance(st, S.ColludeStmt):
                self._guard(self._collude_stmt, k, st)
            elif isinstance(st, S.CorruptStmt):
                self._guard(self._corrupt_stmt, k, st)
            elif isinstance(st, S.EavesStmt):
                self._guard(self._eaves_stmt, k, st)
            elif isinstance(st, S.AdversaryStmt):
                self._guard(self._adversary_stmt, k, st)
            elif isinstance(st, S.AllowStmt):
                self._guard(self._allow_stmt, k, st)
            elif isinstance(st, S.QueryStmt):
                self._guard(self._query_stmt, k, st)
            elif isinstance(st, S.AssertStmt):
                self._guard(self._assert_stmt, k, st)
        self._run_checks()
        if self.diags:
            return None
        return Model(
            file=self.file,
            source=self.spec.source,
            consts=dict(self.consts),
            agents=tuple(self.agents.values()),
            values=tuple(self.values),
            keypairs=tuple(self.keypairs),
            functions=tuple(self.functions.values()),
            messages=tuple(self.messages),
            colludes=tuple(self.colludes),
            corrupts=tuple(self.corrupts),
            eavesdroppers=tuple(self.eavesdroppers),
            questions=tuple(self.questions),
            names=dict(self.names),
            labels=dict(self.labels),
            malicious=tuple(self.adversaries["malicious"]),
            intruders=tuple(self.adversaries["intruder"]),
            allows=tuple(self.allows),
        )

    def _guard(self, fn: Callable[..., object], *args: object) -> bool:
        """Run one statement's resolution; a problem is recorded and the statement skipped.

        Returns whether the statement resolved."""
        try:
            fn(*args)
        except _Fail as f:
            if f.diag is not None:
                self.diags.append(f.diag)
            return False
        return True

    # ------------------------------------------------------- generators over agents

    def _expand_agent_binders(self, stmts: tuple[S.Stmt, ...]) -> list[tuple[int, S.Stmt]]:
        """The statements with their agent binders gone (docs/language.md, values indexed
        by agents), each paired with its index in the spec: `for a in {alice, bob}`
        makes one copy of the statement per agent (the user listed them), with `a`
        replaced by the agent; `for a in u[1..N]` becomes `for a in 1..N` with `a`
        replaced by `u[a]` (one statement, whatever N)."""
        out: list[tuple[int, S.Stmt]] = []
        for k, st in enumerate(stmts):
            gen = getattr(st, "gen", None)
            if not isinstance(gen, S.Gen) or not any(
                isinstance(b, S.AgentBinder) for b in gen.binders
            ):
                out.append((k, st))
                continue
            try:
                out.extend((k, x) for x in self._expand_statement(st, gen))
            except _Fail as f:
                if f.diag is not None:
                    self.diags.append(f.diag)
                self.failed_values.update(r.name for r in getattr(st, "items", ()))
        return out

    def _expand_statement(self, st: S.Stmt, gen: S.Gen) -> list[S.Stmt]:
        """One statement's copies for the agent binders of its generator."""
        if isinstance(st, (S.AgentStmt, S.SessionStmt)):
            what = "an agent family" if isinstance(st, S.AgentStmt) else "a session family"
            _fail(
                next(b.pos for b in gen.binders if isinstance(b, S.AgentBinder)),
                f"{what} is indexed by integers, not by agents",
                "for example: session s[i] = p(u[i], server) for i in 1..N"
                if isinstance(st, S.SessionStmt)
                else None,
            )
        sets: list[tuple[str, list[S.Ref]]] = []
        families: dict[str, str] = {}  # variable -> agent family
        binders: list[S.Binder | S.AgentBinder] = []
        subst: dict[str, S.Expr] = {}
        seen: set[str] = set()
        for b in gen.binders:
            if b.var in seen:
                _fail(b.pos, f"variable '{b.var}' is bound twice")
            seen.add(b.var)
            if not isinstance(b, S.AgentBinder):
                binders.append(b)
                continue
            word = self._declared_word(b.var)
            if word is not None or b.var in self.consts:
                word = word or "a constant"
                _fail(b.pos, f"'{b.var}' is {word} and cannot be a generator variable")
            if b.family:
                fam = b.agents[0]
                if not (
                    isinstance(fam, S.Ref)
                    and fam.index is not None
                    and len(fam.index) == 1
                    and isinstance(fam.index[0], S.RangeIdx)
                ):
                    _fail(
                        fam.pos,
                        f"'{b.var} in ...' takes a range 'lo..hi', a set of agents "
                        "'{alice, bob}' or an agent family with a range 'u[1..N]'",
                    )
                decl = self.agents.get(fam.name)
                if decl is None or len(decl.dims) != 1:
                    if decl is None and fam.name in self.unparsed:
                        raise _Fail(None)
                    _fail(
                        fam.pos,
                        f"'{fam.name}' is not a family of agents with one index"
                        if decl is None or decl.dims
                        else f"agent '{fam.name}' takes no index",
                        self._hint(fam.name, self.agents) if decl is None else None,
                    )
                rng = fam.index[0]
                assert isinstance(rng, S.RangeIdx)
                binders.append(S.Binder(b.var, rng.lo, rng.hi, b.pos))
                families[b.var] = fam.name
                subst[b.var] = S.Ref(fam.name, (S.Ref(b.var, None, b.pos),), fam.pos)
                continue
            members: list[S.Ref] = []
            for m in b.agents:
                decl = self.agents.get(m.name) if isinstance(m, S.Ref) else None
                if not isinstance(m, S.Ref) or decl is None or decl.dims or m.index:
                    if isinstance(m, S.Ref) and decl is None and m.name in self.unparsed:
                        raise _Fail(None)
                    _fail(
                        m.pos,
                        "a set of agents lists agents without index, as in {alice, bob}"
                        if isinstance(m, S.Ref) and decl is not None
                        else f"'{S.show_expr(m)}' is not an agent",
                        "for a family, write: for a in u[1..N]"
                        if isinstance(m, S.Ref) and decl is not None
                        else (self._hint(m.name, self.agents) if isinstance(m, S.Ref) else None),
                    )
                members.append(m)
            sets.append((b.var, members))
        conds: list[S.Cond] = []
        set_conds: list[S.Cond] = []
        agent_vars = {v for v, _ in sets}
        for c in gen.conds:
            names = {r.name for r in self._names_in(c.left) + self._names_in(c.right)}
            if not names & (agent_vars | set(families)):
                conds.append(c)
                continue
            sides = (c.left, c.right)
            bare = all(isinstance(x, S.Ref) and x.index is None for x in sides)
            if c.op not in ("==", "!=") or not bare:
                _fail(
                    c.pos,
                    "agents are compared only with == and !=, one variable or agent on each side",
                )
            left, right = (x.name for x in sides if isinstance(x, S.Ref))
            if left in families or right in families:
                if families.get(left) != families.get(right):
                    _fail(c.pos, "compare agents of one family with each other, as in a != b")
                conds.append(c)  # both stand for u[...]: their indices compare
            else:
                set_conds.append(c)
        new_gen: S.Gen | None = S.Gen(tuple(binders), tuple(conds), gen.pos) if binders else None
        if new_gen is None and conds:
            _fail(conds[0].pos, "a condition needs a generator variable")
        copies: list[S.Stmt] = []
        for combo in itertools.product(*(members for _, members in sets)):
            env = {v: m.name for (v, _), m in zip(sets, combo, strict=True)}

            def value(x: S.Expr, env: dict[str, str] = env) -> str:
                assert isinstance(x, S.Ref)
                return env.get(x.name, x.name)

            if not all(
                (value(c.left) == value(c.right)) == (c.op == "==") for c in set_conds
            ):
                continue
            sub = dict(subst)
            for v, m in zip((v for v, _ in sets), combo, strict=True):
                sub[v] = m
            body = _substitute(dataclasses.replace(st, gen=None), sub)  # type: ignore[arg-type]
            copies.append(cast(S.Stmt, dataclasses.replace(body, gen=new_gen)))  # type: ignore[type-var]
        return copies

    # --------------------------------------------------------------------- constants

    def _constants(self, stmts: tuple[S.Stmt, ...]) -> None:
        """Evaluate `const` statements in order; `--set` values replace theirs."""
        declared = {s.name for s in stmts if isinstance(s, S.ConstStmt)}
        for k, st in enumerate(stmts):
            if not isinstance(st, S.ConstStmt) or (k, 0) in self.skip:
                continue
            try:
                value = self._const_expr(st.value, st.name)
                if st.name in self.overrides:
                    value = _fits(self.overrides[st.name], st.name_pos)
                self.consts[st.name] = value
            except _Fail as f:
                if f.diag is not None:
                    self.diags.append(f.diag)
        for name, value in self.overrides.items():
            if name not in declared:
                self.diags.append(
                    Diagnostic(
                        Pos(self.file, 0, 0),
                        f"--set {name}={value}: the spec declares no constant '{name}'",
                        self._hint(name, declared),
                    )
                )

    def _const_expr(self, e: S.Expr, defining: str) -> int:
        """The value of a `const` right-hand side (earlier constants only)."""
        names = self._names_in(e)
        for ref in names:
            if ref.name not in self.consts:
                if ref.name in self.unparsed:
                    raise _Fail(None)
                if ref.name == defining:
                    _fail(ref.pos, f"constant '{defining}' cannot be defined in terms of itself")
                d = self.decls.get(ref.name)
                if d is not None and d.category == "constant":
                    _fail(
                        ref.pos,
                        f"constant '{ref.name}' is used before its definition (line {d.pos.line})",
                    )
                if d is not None:
                    _fail(ref.pos, f"'{ref.name}' is {d.describe()}, not a constant")
                _fail(ref.pos, f"unknown constant '{ref.name}'", self._hint(ref.name, self.consts))
        return self._const_int(e, _Ctx(), "a constant")

    def _names_in(self, e: S.Expr | S.RangeIdx) -> list[S.Ref]:
        """Every name reference inside `e`, in source order."""
        out: list[S.Ref] = []
        stack: list[object] = [e]
        while stack:
            x = stack.pop()
            if isinstance(x, S.Ref):
                out.append(x)
                stack.extend(x.index or ())
            elif isinstance(x, S.Add):
                stack.append(x.first)
                stack.extend(y for _, y in x.rest)
            elif isinstance(x, S.Mul):
                stack += [x.left, x.right]
            elif isinstance(x, (S.Neg,)):
                stack.append(x.arg)
            elif isinstance(x, S.Paren):
                stack.append(x.inner)
            elif isinstance(x, S.RangeIdx):
                stack += [x.lo, x.hi]
            elif isinstance(x, S.Call):
                stack.extend(x.args)
            elif isinstance(x, S.TupleExpr):
                stack.extend(x.parts)
            elif isinstance(x, S.SumExpr):
                stack.append(x.body)
        out.sort(key=lambda r: (r.pos.line, r.pos.col))
        return out

    # ------------------------------------------------------------------ name table

    def _register(self, stmts: tuple[S.Stmt, ...]) -> None:
        """Record the first declaration of every name; later clashing ones are errors."""
        for k, st in enumerate(stmts):
            items: list[tuple[str, Pos, str, str, int]] = []
            if isinstance(st, S.ConstStmt):
                items = [(st.name, st.name_pos, "constant", "constant", 0)]
            elif isinstance(st, S.AgentStmt):
                items = [(r.name, r.pos, "agent", "agent", len(r.index or ())) for r in st.items]
            elif isinstance(st, S.PublicStmt):
                items = [(r.name, r.pos, "value", "public", len(r.index or ())) for r in st.items]
            elif isinstance(st, S.ValueStmt):
                items = [(r.name, r.pos, "value", st.kind, len(r.index or ())) for r in st.items]
            elif isinstance(st, S.NoiseStmt):
                items = [(r.name, r.pos, "value", "noise", len(r.index or ())) for r in st.items]
            elif isinstance(st, S.SharesStmt):
                r = st.target
                items = [(r.name, r.pos, "value", "share", len(r.index or ()))]
            elif isinstance(st, S.FunctionStmt):
                items = [(s.name, s.pos, "function", "function", 0) for s in st.sigs]
            elif isinstance(st, S.ProtocolStmt):
                items = [(st.name, st.name_pos, "protocol", "protocol", 0)]
                self.protocol_stmts.setdefault(st.name, st)
            elif isinstance(st, S.SessionStmt):
                r = st.target
                items = [(r.name, r.pos, "session", "session", len(r.index or ()))]
                self.session_stmts.setdefault(r.name, st)
            if isinstance(st, S.KeypairStmt):
                self.keypair_agents.update(r.name for r in st.agents)
            for j, (name, pos, category, kind, arity) in enumerate(items):
                prev = self.decls.get(name)
                if prev is None:
                    self.decls[name] = _Decl(category, kind, arity, pos)
                    if category == "value":
                        self.names[name] = NameInfo(kind, arity, pos)  # type: ignore[arg-type]
                    continue
                same_family = (
                    category == "value"
                    and prev.category == "value"
                    and prev.kind == kind
                    and prev.arity == arity
                    and arity > 0
                )
                if same_family:
                    continue  # more members of one value family: checked per instance
                self.skip.add((k, j))
                if category == "value" and prev.category == "value" and prev.kind == kind:
                    message = (
                        f"'{name}' is declared twice (first at line {prev.pos.line})"
                        if arity == prev.arity
                        else f"'{name}' was declared with {_plural(prev.arity, 'index')} "
                        f"at line {prev.pos.line}; here it has {arity}"
                    )
                else:
                    message = (
                        f"'{name}' is declared twice: it is already {prev.describe()} "
                        f"(line {prev.pos.line})"
                    )
                self.diags.append(Diagnostic(pos, message))

    def _hint(self, name: str, *pools: Iterable[str]) -> str | None:
        """'did you mean ...?' from the names in `pools`, unless so many errors were
        found already that nobody reads more hints (looking is linear in the names)."""
        if len(self.diags) >= 100:
            return None
        return _suggest(name, itertools.chain(*pools))

    def _declared_word(self, name: str) -> str | None:
        """What `name` is declared as (`a secret`), or None."""
        d = self.decls.get(name)
        return d.describe() if d else None

    # ------------------------------------------------------------------ expressions

    def _iexpr(self, e: S.Expr | S.RangeIdx, ctx: _Ctx, depth: int = 0) -> IExpr:
        """An index expression: integers, constants and generator variables."""
        if depth > MAX_INDEX_DEPTH:
            _fail(e.pos, f"index expression too deep (more than {MAX_INDEX_DEPTH} operations)")
        if isinstance(e, S.Num):
            if isinstance(e.value, float):
                _fail(e.pos, f"expected an integer, found {e.text}")
            return IConst(e.value)
        if isinstance(e, S.Ref):
            if e.index is not None:
                word = self._declared_word(e.name) or "a name"
                _fail(
                    e.pos,
                    f"'{e.name}[...]' cannot stand in an integer expression: '{e.name}' is {word}",
                )
            if e.name in ctx.scope:
                return IVar(e.name)
            if e.name in self.consts:
                return IConst(self.consts[e.name])
            self._unknown_integer(e, ctx)
        if isinstance(e, S.Paren):
            return self._iexpr(e.inner, ctx, depth)
        if isinstance(e, S.Neg):
            a = self._iexpr(e.arg, ctx, depth + 1)
            return IConst(_fits(-a.value, e.pos)) if isinstance(a, IConst) else INeg(a)
        if isinstance(e, S.Add):
            acc = self._iexpr(e.first, ctx, depth + len(e.rest))
            for op, x in e.rest:
                acc = _fold(op, acc, self._iexpr(x, ctx, depth + len(e.rest)), x.pos)
            return acc
        if isinstance(e, S.Mul):
            mul_op = "%" if e.op == "mod" else e.op
            a = self._iexpr(e.left, ctx, depth + 1)
            b = self._iexpr(e.right, ctx, depth + 1)
            return _fold(mul_op, a, b, e.op_pos)
        if isinstance(e, S.RangeIdx):
            _fail(e.pos, "a range 'lo..hi' is not allowed here")
        _fail(e.pos, "expected an integer expression, found a term")

    def _unknown_integer(self, e: S.Ref, ctx: _Ctx) -> NoReturn:
        """Report a name that cannot stand in an integer expression."""
        name = e.name
        word = self._declared_word(name)
        if word is not None:
            _fail(e.pos, f"'{name}' is {word}, not an integer")
        if name in self.unparsed:
            raise _Fail(None)
        hint = self._hint(name, ctx.scope, self.consts)
        if hint is None and len(name) <= 2 and name.islower():
            hint = f"bind it with a generator: for {name} in LO..HI"
        _fail(e.pos, f"unknown constant or variable '{name}'", hint)

    def _const_int(self, e: S.Expr | S.RangeIdx, ctx: _Ctx, what: str) -> int:
        """An integer that must be known now (a family range, a threshold, a count)."""
        v = self._iexpr(e, ctx)
        if not isinstance(v, IConst):
            _fail(e.pos, f"{what} must be a constant integer, not depend on a variable")
        return v.value

    def _try_const(self, e: S.Expr, ctx: _Ctx) -> int | float | None:
        """The value of `e` if it is made of numbers and constants only, else None (no error)."""
        if isinstance(e, S.Num):
            return e.value
        if isinstance(e, S.Ref):
            if e.index is None and e.name not in ctx.scope and e.name in self.consts:
                return self.consts[e.name]
            return None
        if isinstance(e, S.Paren):
            return self._try_const(e.inner, ctx)
        if isinstance(e, S.Neg):
            a = self._try_const(e.arg, ctx)
            return None if a is None else -a
        if isinstance(e, (S.Add, S.Mul)):
            operands = (
                [e.first, *(x for _, x in e.rest)]
                if isinstance(e, S.Add)
                else [
                    e.left,
                    e.right,
                ]
            )
            vals = [self._try_const(x, ctx) for x in operands]
            nums = [v for v in vals if v is not None]
            if len(nums) < len(vals):
                return None
            if isinstance(e, S.Mul):
                a, b = nums
                if e.op == "*":
                    return a * b
                if isinstance(a, float) or isinstance(b, float):
                    return None
                if b == 0:
                    _fail(e.op_pos, "division by zero")
                return c_div(a, b) if e.op == "/" else c_mod(a, b)
            total = nums[0]
            for (op, _), v in zip(e.rest, nums[1:], strict=False):
                total = total + v if op == "+" else total - v
            return total
        return None

    def _number(self, e: S.Expr, what: str) -> float:
        """A real-valued parameter (scale, sensitivity, epsilon, delta): numbers and constants."""
        v = self._try_const(e, _Ctx())
        if v is None:
            _fail(e.pos, f"{what} must be a number")
        v = float(v)
        if v != v or v in (float("inf"), float("-inf")):
            _fail(e.pos, f"{what} is too large")
        return v

    # ------------------------------------------------------------------- generators

    def _gen(self, g: S.Gen | None, ctx: _Ctx) -> Generator | None:
        """Resolve a generator, adding its variables to `ctx.scope`."""
        if g is None:
            return None
        binders: list[Binder] = []
        for b in map(_int_binder, g.binders):
            self._check_var_name(b, ctx)
            lo = self._iexpr(b.lo, ctx)
            hi = self._iexpr(b.hi, ctx)
            ilo, ihi = _interval(lo, ctx.scope), _interval(hi, ctx.scope)
            ctx.scope[b.var] = None if ilo is None or ihi is None else (ilo[0], ihi[1])
            binders.append(Binder(b.var, lo, hi))
        conds = tuple(
            ICmp(c.op, self._iexpr(c.left, ctx), self._iexpr(c.right, ctx)) for c in g.conds
        )
        return Generator(tuple(binders), conds)

    def _check_var_name(self, b: S.Binder, ctx: _Ctx) -> None:
        """A generator variable must be fresh and not a declared name."""
        if b.var in ctx.scope:
            _fail(b.pos, f"variable '{b.var}' is bound twice")
        if b.var in self.consts:
            _fail(b.pos, f"'{b.var}' is a constant and cannot be a generator variable")
        word = self._declared_word(b.var)
        if word is not None:
            _fail(b.pos, f"'{b.var}' is {word} and cannot be a generator variable")

    def _finish_gen(self, gen: Generator | None, ctx: _Ctx) -> Generator | None:
        """The statement's generator with its hidden range binders appended, and its
        deferred checks queued."""
        if ctx.hidden:
            gen = Generator(
                (gen.binders if gen else ()) + tuple(ctx.hidden), gen.conds if gen else ()
            )
        self.deferred.append((ctx.checks, gen, ctx.scope))
        return gen

    # ------------------------------------------------------------------------- refs

    def _not_agent(self, ref: S.Ref, ctx: _Ctx) -> NoReturn:
        """Report a reference that should name an agent and does not."""
        name = ref.name
        if name in ctx.scope:
            _fail(ref.pos, f"'{name}' is a generator variable, not an agent")
        d = self.decls.get(name)
        if d is not None and d.category == "agent":
            raise _Fail(None)  # its declaration failed and was reported
        if d is not None:
            _fail(ref.pos, f"'{name}' is {d.describe()}, not an agent")
        if name in self.unparsed:
            raise _Fail(None)
        if name == "nobody" and name not in self.decls:
            _fail(
                ref.pos,
                "'nobody' is not an agent: a query asks about a coalition that exists",
                "to require that nobody learns it: assert nobody learns ...; "
                "to ask who does: query who learns ...",
            )
        _fail(ref.pos, f"undeclared agent '{name}'", self._hint(name, self.agents))

    def _agent_ref(self, ref: S.Ref, ctx: _Ctx, allow_range: bool = False) -> AgentRef:
        """An agent (holder, sender, coalition member...); ranges become hidden binders."""
        if ctx.block is not None and ref.name in ctx.block.roles:
            return self._role_agent(ref, ctx.block)
        decl = self.agents.get(ref.name)
        if decl is None:
            self._not_agent(ref, ctx)
        given = ref.index or ()
        if len(given) != len(decl.dims):
            self._arity_error(ref, "agent", len(decl.dims))
        index: list[IExpr] = []
        for (flo, fhi), ix in zip(decl.dims, given, strict=False):
            if isinstance(ix, S.RangeIdx):
                if not allow_range:
                    _fail(
                        ix.pos,
                        "a range is not allowed here",
                        "name one agent, or use a generator: ... for i in LO..HI",
                    )
                lo, hi = self._range(ix, ctx)
                if lo < flo or hi > fhi:
                    _fail(
                        ix.pos,
                        f"{ref.name}[{lo}..{hi}] is outside the family {ref.name}[{flo}..{fhi}]",
                    )
                index.append(ctx.hidden_var(lo, hi))
            else:
                index.append(self._iexpr(ix, ctx))
        out = AgentRef(ref.name, tuple(index), ref.pos)
        if index:
            ctx.checks.append(
                _Check("agent", ref.name, out.index, ref.pos, ctx.in_sum == 0, ctx.scope)
            )
        return out

    def _arity_error(self, ref: S.Ref, what: str, want: int) -> NoReturn:
        """Report a name used with the wrong number of indices."""
        got = len(ref.index or ())
        if want == 0:
            _fail(ref.pos, f"{what} '{ref.name}' takes no index")
        _fail(
            ref.pos,
            f"{what} '{ref.name}' takes {_plural(want, 'index')}, found {got}",
            f"write {ref.name}[{', '.join('ijklmnpq'[:want])}]" if got == 0 else None,
        )

    def _range(self, r: S.RangeIdx, ctx: _Ctx) -> tuple[int, int]:
        """The constant bounds of `lo..hi`; an empty range is an error."""
        lo = self._const_int(r.lo, ctx, "a range bound")
        hi = self._const_int(r.hi, ctx, "a range bound")
        if lo > hi:
            _fail(r.pos, f"empty range {lo}..{hi}: the lower bound is above the upper")
        return lo, hi

    # ------------------------------------------------------------------------ terms

    def _term(self, e: S.Expr, ctx: _Ctx) -> Term:
        """A term: a name, an agent, a tuple, a function application, a linear combination."""
        if isinstance(e, (S.Add, S.Neg, S.Mul)):
            parts = self._lin(e, ctx, 1)
            if len(parts) == 1 and parts[0][0] == 1:
                return parts[0][1]
            return TLin(tuple(parts))
        if isinstance(e, S.Paren):
            return self._term(e.inner, ctx)
        if isinstance(e, S.Ref):
            return self._name_term(e, ctx)
        if isinstance(e, S.Call):
            return self._call(e, ctx)
        if isinstance(e, S.TupleExpr):
            return TTuple(tuple(self._term(p, ctx) for p in e.parts))
        if isinstance(e, S.SumExpr):
            return self._sum(e, ctx)
        if isinstance(e, S.SessionValue):
            return self._session_value(e, ctx)
        if isinstance(e, S.Unchecked):
            return self._unchecked(e, ctx)
        if isinstance(e, S.Num):
            _fail(
                e.pos,
                f"a number is not a term: {e.text}",
                "numbers are coefficients of terms, as in 3 * x",
            )
        raise TypeError(e)  # pragma: no cover

    def _lin(self, e: S.Expr, ctx: _Ctx, coef: int) -> list[tuple[int, Term]]:
        """`e` times `coef` as a flat list of (coefficient, term)."""
        if isinstance(e, S.Add):
            out = self._lin(e.first, ctx, coef)
            for op, x in e.rest:
                out += self._lin(x, ctx, coef if op == "+" else -coef)
            return out
        if isinstance(e, S.Neg):
            return self._lin(e.arg, ctx, -coef)
        if isinstance(e, S.Paren):
            return self._lin(e.inner, ctx, coef)
        if isinstance(e, S.Mul):
            if e.op != "*":
                _fail(
                    e.op_pos,
                    f"'{e.op}' is index arithmetic: terms combine only with +, - "
                    "and integer coefficients",
                )
            for c_side, t_side in ((e.left, e.right), (e.right, e.left)):
                c = self._try_const(c_side, ctx)
                if c is not None:
                    if isinstance(c, float):
                        _fail(c_side.pos, f"a coefficient must be an integer, found {c}")
                    return self._lin(t_side, ctx, _fits(coef * c, c_side.pos))
            for side in (e.left, e.right):
                while isinstance(side, S.Paren):
                    side = side.inner
                if isinstance(side, S.Ref) and side.name in ctx.scope:
                    _fail(
                        side.pos,
                        f"a coefficient must be constant, but '{side.name}' is a "
                        "generator variable",
                    )
            _fail(
                e.op_pos,
                "a product of two terms is not linear: one side of '*' must be an integer constant",
            )
        t = self._term(e, ctx)
        if isinstance(t, TAgent):
            _fail(e.pos, f"'{t.agent.name}' is an agent: agents cannot be added or scaled")
        return [(coef, t)]

    def _name_term(self, ref: S.Ref, ctx: _Ctx) -> Term:
        """A name used as a term: a value, or an agent's identity."""
        name = ref.name
        if ctx.block is not None and (name in ctx.block.roles or name in ctx.block.fresh):
            return self._block_name(ref, ctx.block)
        if name in ctx.scope:
            _fail(ref.pos, f"'{name}' is a generator variable, not a term")
        if name in self.agent_indexed or (name in self.names and name not in self.int_indexed):
            member = self._agent_member_term(ref, ctx)
            if member is not None:
                return member
        info = self.names.get(name)
        if info is not None:
            given = ref.index or ()
            if len(given) != info.arity:
                self._arity_error(ref, _KIND_WORDS[info.kind], info.arity)
            index: list[IExpr] = []
            for ix in given:
                if isinstance(ix, S.RangeIdx):
                    _fail(
                        ix.pos,
                        "a range is not a term",
                        f"to add up a family write sum({name}[i] for i in LO..HI)",
                    )
                index.append(self._iexpr(ix, ctx))
            out = TName(name, tuple(index), ref.pos)
            if index:
                ctx.checks.append(
                    _Check("value", name, out.index, ref.pos, ctx.in_sum == 0, ctx.scope)
                )
            return out
        if name in self.agents:
            return TAgent(self._agent_ref(ref, ctx))
        if name in self.consts:
            _fail(
                ref.pos,
                f"'{name}' is a constant, not a term",
                "numbers are coefficients of terms, as in 3 * x",
            )
        if name in self.functions or name in BUILTIN_ARITY:
            _fail(ref.pos, f"'{name}' is a function: apply it, as in {name}(...)")
        self._not_a_term(ref)
        word = self._declared_word(name)
        if word is not None:  # declared, but its declaration did not resolve
            raise _Fail(None)
        if name in self.unparsed:
            raise _Fail(None)
        _fail(
            ref.pos,
            f"undeclared name '{name}'",
            self._hint(
                name,
                self.names,
                self.agents,
                *((ctx.block.roles, ctx.block.fresh) if ctx.block is not None else ()),
            ),
        )

    def _agent_member_term(self, ref: S.Ref, ctx: _Ctx) -> Term | None:
        """`k[alice]`, `k[u[i]]`, `k[A]` in a protocol block: a value of a family indexed
        by agents (None: `ref` is not indexed by agents)."""
        key = self._agent_key(ref, ctx, declaring=False)
        if key is None:
            return None
        name, index = key
        if any(isinstance(i, IVar) and i.name.startswith("@") for i in index):
            return TName(name, index, ref.pos)  # a template: each session fills it in
        self._known_member(ref.name, name, ref.pos)
        out = TName(name, index, ref.pos)
        if index:
            ctx.checks.append(_Check("value", name, index, ref.pos, ctx.in_sum == 0, ctx.scope))
        return out

    def _show_member(self, name: str) -> str:
        """`k[alice]`, or `k[u[...]]` for the member family of an agent family `u`."""
        inner = name[name.find("[") + 1 : -1]
        decl = self.agents.get(inner)
        return f"{name[:-1]}[...]]" if decl is not None and decl.dims else name

    def _known_member(self, family: str, name: str, pos: Pos) -> None:
        """Report a member of an agent-indexed family that no statement declares."""
        if name in self.names:
            return
        if family in self.failed_values:
            raise _Fail(None)
        members = sorted(self.agent_indexed.get(family, ()))
        shown = ", ".join(self._show_member(m) for m in members)
        _fail(
            pos,
            f"no value {self._show_member(name)} is declared"
            + (f" ('{family}' is declared for {shown})" if members else ""),
        )

    def _call(self, e: S.Call, ctx: _Ctx) -> Term:
        """A function application: built-in or declared, arity checked."""
        fn = e.fn
        arity = BUILTIN_ARITY.get(fn)
        if arity is None:
            decl = self.functions.get(fn)
            if decl is None:
                word = self._declared_word(fn)
                if word is not None and self.decls[fn].category != "function":
                    _fail(e.pos, f"'{fn}' is {word}, not a function")
                if fn in self.unparsed or word is not None:
                    raise _Fail(None)
                _fail(
                    e.pos,
                    f"unknown function '{fn}'",
                    self._hint(fn, BUILTIN_ARITY, self.functions)
                    or f"declare it: function {fn}/{len(e.args)}",
                )
            arity = decl.arity
        if len(e.args) != arity:
            _fail(e.pos, f"'{fn}' takes {_plural(arity, 'argument')}, found {len(e.args)}")
        if fn in ("pk", "sk"):
            arg = e.args[0]
            while isinstance(arg, S.Paren):
                arg = arg.inner
            if not isinstance(arg, S.Ref):
                _fail(arg.pos, f"the argument of {fn}(...) must be an agent")
            agent = self._agent_ref(arg, ctx)
            if agent.name not in self.keypair_agents and not self._role_key(agent, ctx):
                _fail(
                    arg.pos,
                    f"{fn}({arg.name}...) needs a key pair: '{arg.name}' has none",
                    f"declare it: keypair {show_ref(arg)}",
                )
            return TApp(fn, (TAgent(agent),), e.pos)
        return TApp(fn, tuple(self._term(a, ctx) for a in e.args), e.pos)

    def _sum(self, e: S.SumExpr, ctx: _Ctx) -> TSum:
        """`sum(body for ...)`: the body in a scope extended by the sum's variables."""
        if ctx.block is not None:
            _fail(
                e.pos,
                "a generator inside a protocol block is not allowed: sum(...) ranges over one",
            )
        inner = _Ctx(dict(ctx.scope), ctx.hidden, ctx.checks, ctx.in_sum + 1)
        gen = self._gen(e.gen, inner)
        assert gen is not None
        return TSum(self._term(e.body, inner), gen)

    # ------------------------------------------------------------------ declarations

    def _agent_stmt(self, k: int, st: S.AgentStmt) -> None:
        """Declare the agents of one `agent` statement."""
        for j, ref in enumerate(st.items):
            if (k, j) in self.skip:
                continue
            try:
                self.agents[ref.name] = AgentDecl(ref.name, self._agent_dims(ref, st.gen), ref.pos)
            except _Fail as f:
                if f.diag is not None:
                    self.diags.append(f.diag)

    def _agent_dims(self, ref: S.Ref, g: S.Gen | None) -> tuple[tuple[int, int], ...]:
        """`u[1..N]`, or `u[i] for i in 1..N` with constant bounds: the family's ranges."""
        index = ref.index or ()
        if g is None:
            dims = []
            for ix in index:
                if not isinstance(ix, S.RangeIdx):
                    _fail(
                        ix.pos,
                        "an agent family is declared with ranges",
                        f"for example: agent {ref.name}[1..N]",
                    )
                dims.append(self._range(ix, _Ctx()))
            return tuple(dims)
        if not index:
            _fail(g.pos, f"'for' makes no sense here: agent '{ref.name}' has no index")
        if g.conds:
            _fail(g.conds[0].pos, "an agent family cannot have conditions: it is a box of ranges")
        ctx = _Ctx()
        bounds: dict[str, tuple[int, int]] = {}
        for b in map(_int_binder, g.binders):
            self._check_var_name(b, ctx)
            lo, hi = (
                self._const_int(b.lo, ctx, "a range bound"),
                self._const_int(b.hi, ctx, "a range bound"),
            )
            if lo > hi:
                _fail(b.pos, f"empty range {lo}..{hi}: the lower bound is above the upper")
            bounds[b.var] = (lo, hi)
            ctx.scope[b.var] = (lo, hi)
        dims = []
        for ix in index:
            if not (isinstance(ix, S.Ref) and ix.index is None and ix.name in bounds):
                _fail(ix.pos, "each index of an agent family must be one generator variable")
            dims.append(bounds.pop(ix.name))
        if bounds:
            _fail(g.pos, f"variable '{next(iter(bounds))}' is not an index of '{ref.name}'")
        return tuple(dims)

    def _function_stmt(self, k: int, st: S.FunctionStmt) -> None:
        """Declare the functions of one `function` statement."""
        for j, sig in enumerate(st.sigs):
            if (k, j) in self.skip:
                continue
            if sig.name in BUILTIN_ARITY:
                self.diags.append(
                    Diagnostic(
                        sig.pos,
                        f"'{sig.name}' is a built-in function "
                        f"({sig.name}/{BUILTIN_ARITY[sig.name]}) and cannot be declared",
                    )
                )
                continue
            arity = sig.arity.value
            if isinstance(arity, float) or arity < 1:
                self.diags.append(
                    Diagnostic(
                        sig.arity.pos,
                        f"the arity of '{sig.name}' must be a whole number of at least 1",
                    )
                )
                continue
            self.functions[sig.name] = FunctionDecl(sig.name, arity, sig.pos)

    def _value_index(self, ref: S.Ref, ctx: _Ctx) -> tuple[IExpr, ...]:
        """The index of a declared value: expressions, ranges becoming hidden binders."""
        out: list[IExpr] = []
        for ix in ref.index or ():
            if isinstance(ix, S.RangeIdx):
                lo, hi = self._range(ix, ctx)
                out.append(ctx.hidden_var(lo, hi))
            else:
                out.append(self._iexpr(ix, ctx))
        return tuple(out)

    def _index_agent(self, ix: S.Expr | S.RangeIdx, ctx: _Ctx) -> AgentRef | None:
        """The agent an index names (`alice`, `u[3]`, `u[i]`, a role parameter `A`
        inside a protocol block), or None if the index is not an agent."""
        if not isinstance(ix, S.Ref) or ix.name in ctx.scope:
            return None
        if ctx.block is not None and ix.name in ctx.block.roles:
            return self._role_agent(ix, ctx.block)
        if ix.name not in self.agents:
            return None
        if any(isinstance(j, S.RangeIdx) for j in ix.index or ()):
            _fail(ix.pos, "a range of agents is not allowed here", "name one agent")
        return self._agent_ref(ix, ctx)

    def _agent_key(
        self, ref: S.Ref, ctx: _Ctx, declaring: bool
    ) -> tuple[str, tuple[IExpr, ...]] | None:
        """The member of a family indexed by agents that `ref` names, as (name, index):
        `k[alice]` is the value named `k[alice]` (no index), `k[u[i]]` the member i of the
        family `k[u]`; None when `ref`'s indices are not agents. Inside a protocol block,
        a role parameter stands for the session's agent: `k[A]` is kept as `k` indexed by
        `@A`, filled in by each session (`_instantiate`)."""
        given = ref.index or ()
        agents = [self._index_agent(ix, ctx) for ix in given]
        if not given or all(a is None for a in agents):
            if not declaring and ref.name in self.agent_indexed and given:
                members = ", ".join(sorted(self.agent_indexed[ref.name]))
                _fail(
                    given[0].pos,
                    f"'{ref.name}' is indexed by agents (declared: {members})",
                )
            return None
        if ref.name in self.int_indexed:
            _fail(ref.pos, f"'{ref.name}' is indexed by integers, not by agents")
        for ix, a in zip(given, agents, strict=True):
            if a is None:
                _fail(ix.pos, f"every index of '{ref.name}' must be an agent, as the others are")
        acts = [a for a in agents if a is not None]
        if ctx.block is not None and any(a.name in ctx.block.roles for a in acts):
            if any(a.index for a in acts):
                _fail(ref.pos, "inside a protocol block, index values by roles and named agents")
            return ref.name, tuple(IVar("@" + a.name) for a in acts)
        return _agent_member(ref.name, acts, ref.pos)

    def _declared_index(self, ref: S.Ref, ctx: _Ctx, kind: str) -> tuple[str, tuple[IExpr, ...]]:
        """The name and index a value declaration declares: `x[i]` as written, or a
        member of a family indexed by agents (`k[alice]`, `k[u[i]]`: `_agent_key`)."""
        key = self._agent_key(ref, ctx, declaring=True)
        if key is None:
            if ref.name in self.agent_indexed and ref.index:
                _fail(
                    ref.pos,
                    f"'{ref.name}' is indexed by agents elsewhere: index it by agents here",
                )
            if ref.index:
                self.int_indexed.add(ref.name)
            return ref.name, self._value_index(ref, ctx)
        name, index = key
        members = self.agent_indexed.setdefault(ref.name, set())
        first = self.names.get(name)
        if name in members and not index and first is not None:
            _fail(ref.pos, f"'{name}' is declared twice (first at line {first.pos.line})")
        members.add(name)
        self.names[name] = NameInfo(kind, len(index), ref.pos)  # type: ignore[arg-type]
        return name, index

    def _value_stmt(self, k: int, st: S.PublicStmt | S.ValueStmt | S.NoiseStmt) -> None:
        """One `public`/`secret`/`random`/`key`/`noise` statement: one ValueDecl per name."""
        kind = (
            "public"
            if isinstance(st, S.PublicStmt)
            else ("noise" if isinstance(st, S.NoiseStmt) else st.kind)
        )
        failed_before = set(self.failed_values)
        self.failed_values.update(r.name for r in st.items)  # until an item resolves
        ctx0 = _Ctx()
        gen0 = self._gen(st.gen, ctx0)
        rng: tuple[int, int] | None = None
        sensitivity = 1.0
        noise: Noise | None = None
        if isinstance(st, S.ValueStmt):
            seen: dict[str, Pos] = {}
            for opt in st.opts:
                if kind != "secret":
                    _fail(opt.pos, f"'{opt.kind}' applies only to secrets")
                if opt.kind in seen:
                    _fail(
                        opt.pos,
                        f"'{opt.kind}' is given twice (also at column {seen[opt.kind].col})",
                    )
                seen[opt.kind] = opt.pos
                if opt.kind == "range":
                    lo = self._const_int(opt.args[0], _Ctx(), "a range bound")
                    hi = self._const_int(opt.args[1], _Ctx(), "a range bound")
                    if lo > hi:
                        _fail(
                            opt.args[0].pos,
                            f"empty range {lo}..{hi}: the lower bound is above the upper",
                        )
                    rng = (lo, hi)
                else:
                    sensitivity = self._number(opt.args[0], "the sensitivity")
                    if sensitivity <= 0:
                        _fail(opt.args[0].pos, "the sensitivity must be positive")
        if isinstance(st, S.NoiseStmt):
            if st.dist not in ("gaussian", "laplace"):
                _fail(
                    st.dist_pos,
                    f"unknown noise distribution '{st.dist}': use gaussian(sigma) or laplace(b)",
                    self._hint(st.dist, ["gaussian", "laplace"]),
                )
            scale = self._number(st.scale, "the noise scale")
            if scale <= 0:
                _fail(st.scale.pos, "the noise scale must be positive")
            noise = Noise(st.dist, scale)  # type: ignore[arg-type]
        holders_src = () if isinstance(st, S.PublicStmt) else st.holders
        for j, ref in enumerate(st.items):
            if (k, j) in self.skip:
                continue
            try:
                ctx = _Ctx(dict(ctx0.scope))
                name, index = self._declared_index(ref, ctx, kind)
                holders = tuple(self._agent_ref(h, ctx, allow_range=True) for h in holders_src)
                gen = self._finish_gen(gen0, ctx)
                decl = ValueDecl(
                    kind,
                    name,
                    index,
                    holders,
                    gen,
                    ref.pos,
                    rng,
                    sensitivity,
                    noise,
                )
                self.values.append(decl)
                self.value_scopes.append(ctx.scope)
                if ref.name not in failed_before:
                    self.failed_values.discard(ref.name)
            except _Fail as f:
                if f.diag is not None:
                    self.diags.append(f.diag)

    def _shares_stmt(self, k: int, st: S.SharesStmt) -> None:
        """One `shares` statement: a ValueDecl of kind share, its index `#k` bound last."""
        if (k, 0) in self.skip:
            return
        ref = st.target
        ctx = _Ctx()
        gen0 = self._gen(st.gen, ctx)
        index = ref.index or ()
        ranges = [ix for ix in index if isinstance(ix, S.RangeIdx)]
        if len(ranges) != 1:
            _fail(
                ref.pos,
                "shares are declared with exactly one index range, as in s[1..5]",
                f"for example: shares {ref.name}[1..5] of v threshold 3 @ a",
            )
        lo, hi = self._range(ranges[0], ctx)
        n = hi - lo + 1
        out_index: list[IExpr] = []
        for ix in index:
            if isinstance(ix, S.RangeIdx):
                out_index.append(IVar("#k"))
            else:
                out_index.append(self._iexpr(ix, ctx))
        of = self._term(st.of, ctx)
        t = self._const_int(st.threshold, ctx, "the threshold")
        if t < 1:
            _fail(st.threshold.pos, f"the threshold must be at least 1, found {t}")
        if t > n:
            _fail(st.threshold.pos, f"threshold {t} is more than the {n} shares")
        ctx.hidden_var(lo, hi, "#k")
        holders = tuple(self._agent_ref(h, ctx, allow_range=True) for h in st.holders)
        # `#k` must be the generator's last binder: move it behind any holder ranges.
        ctx.hidden.sort(key=lambda b: b.var == "#k")
        gen = self._finish_gen(gen0, ctx)
        self.values.append(
            ValueDecl(
                "share",
                ref.name,
                tuple(out_index),
                holders,
                gen,
                ref.pos,
                shares=Shares(of, n, t),
            )
        )
        self.value_scopes.append(ctx.scope)

    def _keypair_stmt(self, k: int, st: S.KeypairStmt) -> None:
        """One Keypair per agent of a `keypair` statement."""
        ctx0 = _Ctx()
        gen0 = self._gen(st.gen, ctx0)
        for ref in st.agents:
            ctx = _Ctx(dict(ctx0.scope))
            agent = self._agent_ref(ref, ctx, allow_range=True)
            self.keypairs.append(Keypair(agent, self._finish_gen(gen0, ctx), ref.pos))

    # ------------------------------------------------------------------ messages

    def _collect_labels(self, stmts: tuple[S.Stmt, ...]) -> None:
        """Number the message steps and map labels to them (labels must be unique)."""
        step = 0
        first: dict[str, Pos] = {}
        for st in stmts:
            if isinstance(st, S.SessionStmt):
                step += self._protocol_steps(st.protocol)
                continue
            if not isinstance(st, S.MessageStmt):
                continue
            step += 1
            if st.label is None:
                continue
            if st.label in first:
                self.diags.append(
                    Diagnostic(
                        st.label_pos,
                        f"label '{st.label}' is already used at line {first[st.label].line}",
                    )
                )
                continue
            first[st.label] = st.label_pos
            self.labels[st.label] = step
        self.n_steps = step

    def _message_stmt(self, k: int, st: S.MessageStmt, step: int) -> None:
        """One message statement: one step."""
        ctx = _Ctx(unchecked=[])
        gen = self._gen(st.gen, ctx)
        sender = self._agent_ref(st.sender, ctx)
        receiver = self._agent_ref(st.receiver, ctx) if st.receiver is not None else None
        term = self._term(st.term, ctx)
        gen = self._finish_gen(gen, ctx)
        label = st.label if st.label is not None and self.labels.get(st.label) == step else None
        text = self.spec.source[st.span[0] : st.span[1]].strip()
        self.messages.append(
            Message(
                step, label, sender, receiver, term, gen, st.pos, text,
                unchecked=tuple(ctx.unchecked or ()),
            )
        )

    # ---------------------------------------------- protocol blocks and sessions

    def _fresh_names(self, protocol: str) -> list[str]:
        """The values a protocol block declares `fresh` (as written, in order)."""
        p = self.protocol_stmts.get(protocol)
        if p is None:
            return []
        return [r.name for item in p.body if isinstance(item, S.FreshStmt) for r in item.items]

    def _protocol_steps(self, protocol: str) -> int:
        """The number of messages (steps) of a protocol block; 0 if there is none."""
        p = self.protocol_stmts.get(protocol)
        return 0 if p is None else sum(isinstance(i, S.MessageStmt) for i in p.body)

    def _block_local_name(self, name: str, pos: Pos, what: str) -> None:
        """A role parameter or fresh value must not reuse a declared name."""
        d = self.decls.get(name)
        if d is not None:
            _fail(
                pos,
                f"{what} cannot be named '{name}': it is already {d.describe()} "
                f"(line {d.pos.line})",
                "give it a name of its own",
            )

    def _role_of(self, ref: S.Ref, block: _Block, why: str) -> str:
        """The role parameter `ref` names (sender, receiver, creator of a fresh value)."""
        if ref.name in block.roles:
            self._role_agent(ref, block)  # not indexed
            return ref.name
        roles = ", ".join(block.roles)
        d = self.decls.get(ref.name)
        what = f"'{ref.name}' is {d.describe()}, not a role" if d else f"'{ref.name}' is not a role"
        _fail(
            ref.pos,
            f"{what} of protocol '{block.name}' (its roles: {roles})",
            self._hint(ref.name, block.roles) or why,
        )

    def _role_agent(self, ref: S.Ref, block: _Block) -> AgentRef:
        """A role parameter used as an agent (a term, or inside pk/sk)."""
        if ref.index is not None:
            _fail(
                ref.pos, f"role parameter '{ref.name}' cannot be indexed: it stands for one agent"
            )
        return AgentRef(ref.name, (), ref.pos)

    def _role_key(self, agent: AgentRef, ctx: _Ctx) -> bool:
        """`pk(A)`/`sk(A)` of a role parameter: recorded, and checked for each session."""
        if ctx.block is None or agent.name not in ctx.block.roles:
            return False
        ctx.block.keys.setdefault(agent.name, agent.pos)
        return True

    def _block_name(self, ref: S.Ref, block: _Block) -> Term:
        """A role parameter (an agent's identity) or a fresh value, inside a block."""
        if ref.name in block.roles:
            return TAgent(self._role_agent(ref, block))
        if ref.index is not None:
            _fail(ref.pos, f"fresh value '{ref.name}' takes no index: each session creates one")
        return TName(ref.name, (), ref.pos)

    def _not_a_term(self, ref: S.Ref) -> None:
        """Report a session or protocol name used as a term."""
        d = self.decls.get(ref.name)
        if d is None or d.category not in ("session", "protocol"):
            return
        if d.category == "protocol":
            _fail(
                ref.pos,
                f"'{ref.name}' is a protocol, not a term",
                f"run it in a session: session s1 = {ref.name}(...)",
            )
        hint = None
        sess = self.session_stmts.get(ref.name)
        values = self._fresh_names(sess.protocol) if sess is not None else []
        if sess is not None and values:
            n = len(sess.target.index or ())
            idx = f"[{', '.join('ijklmn'[:n])}]" if n else ""
            hint = f"name one of its values, as in {ref.name}{idx}.{values[0]}"
        _fail(ref.pos, f"'{ref.name}' is a session, not a term", hint)

    def _unchecked(self, e: S.Unchecked, ctx: _Ctx) -> Term:
        """`?t`: the term `t`, recorded as a part the receiver accepts unchecked."""
        if ctx.unchecked is None:
            if ctx.in_sum:
                _fail(e.pos, "'?' cannot mark a part inside sum(...)")
            _fail(
                e.pos,
                "'?' marks a part of a message that its receiver accepts unchecked; "
                "it can be used only in a message",
            )
        t = self._term(e.inner, ctx)
        if t not in ctx.unchecked:
            ctx.unchecked.append(t)
        return t

    def _session_value(self, e: S.SessionValue, ctx: _Ctx) -> Term:
        """`S.v` / `s[3].v`: the fresh value `v` of session `S` (the name `S.v`)."""
        sref = e.session
        name = sref.name
        sess = self.session_stmts.get(name)
        if sess is None:
            if ctx.block is not None and (name in ctx.block.roles or name in ctx.block.fresh):
                what = "a role parameter" if name in ctx.block.roles else "a fresh value"
                _fail(sref.pos, f"'{name}' is {what}, not a session")
            d = self.decls.get(name)
            if d is not None:
                _fail(sref.pos, f"'{name}' is {d.describe()}, not a session")
            if name in ctx.scope:
                _fail(sref.pos, f"'{name}' is a generator variable, not a session")
            if name in self.unparsed:
                raise _Fail(None)
            _fail(
                sref.pos,
                f"unknown session '{name}'",
                self._hint(name, self.session_stmts)
                or ("no session is declared" if not self.session_stmts else None),
            )
        given = sref.index or ()
        want = len(sess.target.index or ())
        if len(given) != want:
            if want == 0:
                _fail(sref.pos, f"session '{name}' takes no index")
            _fail(
                sref.pos,
                f"session family '{name}' takes {_plural(want, 'index')}, found {len(given)}",
                f"write {name}[{', '.join('ijklmn'[:want])}].{e.value}" if not given else None,
            )
        index: list[IExpr] = []
        for ix in given:
            if isinstance(ix, S.RangeIdx):
                _fail(ix.pos, "a range is not allowed here", "name one session")
            index.append(self._iexpr(ix, ctx))
        proto = self.protocol_stmts.get(sess.protocol)
        if proto is None:
            raise _Fail(None)  # reported at the session
        values = self._fresh_names(sess.protocol)
        if e.value not in values:
            _fail(
                e.value_pos,
                f"session '{name}' runs protocol '{proto.name}', which creates no value "
                f"'{e.value}'",
                self._hint(e.value, values)
                or (
                    f"its fresh values: {', '.join(values)}"
                    if values
                    else f"protocol '{proto.name}' declares no fresh value"
                ),
            )
        vname = f"{name}.{e.value}"
        out = TName(vname, tuple(index), e.pos)
        if index:
            ctx.checks.append(_Check("value", vname, out.index, e.pos, ctx.in_sum == 0, ctx.scope))
        return out

    def _protocol_stmt(self, k: int, st: S.ProtocolStmt) -> None:
        """Resolve a protocol block once, into a template that each session
        instantiates. Every problem in the block is reported."""
        if (k, 0) in self.skip:  # declared twice: reported
            return
        block = _Block(st.name, {})
        ok = True

        def report(f: _Fail) -> None:
            nonlocal ok
            ok = False
            if f.diag is not None:
                self.diags.append(f.diag)

        for pname, ppos in st.params:
            try:
                if pname in block.roles:
                    _fail(ppos, f"role parameter '{pname}' is listed twice")
                block.roles[pname] = ppos
                self._block_local_name(pname, ppos, "a role parameter")
            except _Fail as f:
                report(f)
        fresh: list[tuple[str, str, Pos]] = []
        for item in st.body:
            if not isinstance(item, S.FreshStmt):
                continue
            role: str | None = None
            try:
                role = self._role_of(
                    item.role, block, "a fresh value is created by one of the protocol's roles"
                )
            except _Fail as f:
                report(f)
            for ref in item.items:
                try:
                    if ref.name in block.roles:
                        _fail(
                            ref.pos,
                            f"'{ref.name}' is a role parameter: it stands for an agent and "
                            "cannot be declared fresh",
                        )
                    if ref.name in block.fresh:
                        first = block.fresh[ref.name][1]
                        _fail(
                            ref.pos,
                            f"'{ref.name}' is declared fresh twice in protocol '{st.name}' "
                            f"(first at line {first.line})",
                        )
                    block.fresh[ref.name] = (role, ref.pos)
                    self._block_local_name(ref.name, ref.pos, "a fresh value")
                    if ref.index is not None:
                        _fail(ref.pos, f"fresh value '{ref.name}' takes no index: each session "
                              "creates one")
                    if role is not None:
                        fresh.append((ref.name, role, ref.pos))
                except _Fail as f:
                    report(f)
        messages = []
        for item in st.body:
            if isinstance(item, S.MessageStmt):
                try:
                    messages.append(self._block_message(item, block))
                except _Fail as f:
                    report(f)
        if ok:
            self.templates[st.name] = _Template(block, fresh, messages)

    def _block_message(
        self, st: S.MessageStmt, block: _Block
    ) -> tuple[S.MessageStmt, str, str | None, Term, tuple[Term, ...], str]:
        """A message of a protocol block, with roles for agents and fresh values as names."""
        if st.label is not None:
            _fail(
                st.label_pos,
                "a message in a protocol block cannot have a label: it is a step of every "
                "session that runs the protocol",
            )
        if st.gen is not None:
            _fail(
                st.gen.pos,
                "a generator inside a protocol block is not allowed",
                "for many runs of the protocol, use a family of sessions: "
                "session s[i] = P(...) for i in 1..N",
            )
        why = "a message in a protocol block goes from one of its roles to another (or to *)"
        sender = self._role_of(st.sender, block, why)
        receiver = self._role_of(st.receiver, block, why) if st.receiver is not None else None
        ctx = _Ctx(block=block, unchecked=[])
        term = self._term(st.term, ctx)
        self._finish_gen(None, ctx)
        text = self.spec.source[st.span[0] : st.span[1]].strip()
        return st, sender, receiver, term, tuple(ctx.unchecked or ()), text

    def _session_stmt(self, k: int, st: S.SessionStmt, step: int) -> None:
        """`session S = P(a, b)`: expanded into the model. Each fresh value `v` of `P`
        becomes the random value `S.v` (indexed like the session, held by the agent
        playing its role), each message of `P` a message at the next step, with the
        agents for the roles and the session's values for the fresh ones."""
        if (k, 0) in self.skip:  # declared twice: reported
            return
        sname = st.target.name
        proto = self.protocol_stmts.get(st.protocol)
        if proto is None:
            d = self.decls.get(st.protocol)
            if d is not None:
                _fail(st.protocol_pos, f"'{st.protocol}' is {d.describe()}, not a protocol")
            if st.protocol in self.unparsed:
                raise _Fail(None)
            _fail(
                st.protocol_pos,
                f"unknown protocol '{st.protocol}'",
                self._hint(st.protocol, self.protocol_stmts)
                or ("no protocol is declared" if not self.protocol_stmts else None),
            )
        names = [f"{sname}.{v}" for v in self._fresh_names(st.protocol)]
        self.failed_values.update(names)  # until the session resolves
        ctx = _Ctx()
        gen = self._gen(st.gen, ctx)
        index: list[IExpr] = []
        for ix in st.target.index or ():
            if isinstance(ix, S.RangeIdx):
                _fail(
                    ix.pos,
                    "a range is not allowed here",
                    "for a family of sessions, use a generator: "
                    f"session {sname}[i] = {proto.name}(...) for i in 1..N",
                )
            index.append(self._iexpr(ix, ctx))
        if gen is not None and not index:
            _fail(
                st.target.pos,
                f"session '{sname}' has a generator but no index: name each session",
                f"session {sname}[{gen.binders[0].var}] = {proto.name}(...) {S.show_gen(st.gen)}"
                if st.gen is not None
                else None,
            )
        roles = [p for p, _ in proto.params]
        if len(st.args) != len(roles):
            where = st.args[len(roles)].pos if len(st.args) > len(roles) else st.protocol_pos
            _fail(
                where,
                f"protocol '{proto.name}' takes {_plural(len(roles), 'agent')} "
                f"(its roles {', '.join(roles)}), found {len(st.args)}",
            )
        agents = [self._agent_ref(a, ctx) for a in st.args]
        tpl = self.templates.get(st.protocol)
        if tpl is None:
            raise _Fail(None)  # the protocol's own problems are reported
        for role, upos in tpl.block.keys.items():
            j = roles.index(role)
            if agents[j].name not in self.keypair_agents:
                arg = st.args[j]
                _fail(
                    arg.pos,
                    f"'{arg.name}' plays {role} in protocol '{proto.name}', which uses "
                    f"pk({role}) or sk({role}) (line {upos.line}): '{arg.name}' has no key pair",
                    f"declare it: keypair {show_ref(arg)}",
                )
        gen = self._finish_gen(gen, ctx)
        self._distinct_sessions(st, gen, tuple(index), ctx)
        by_role = dict(zip(roles, agents, strict=True))
        idx = tuple(index)
        fresh = {v: TName(f"{sname}.{v}", idx) for v, _, _ in tpl.fresh}
        for v, role, pos in tpl.fresh:
            name = f"{sname}.{v}"
            self.values.append(ValueDecl("random", name, idx, (by_role[role],), gen, pos))
            self.value_scopes.append(ctx.scope)
            self.names[name] = NameInfo("random", len(idx), pos)
            self.failed_values.discard(name)
        def member(family: str, acts: list[AgentRef], pos: Pos) -> TName:
            name, index = _agent_member(family, acts, st.pos)
            self._known_member(family, name, st.pos)
            if index:
                ctx.checks.append(_Check("value", name, index, st.pos, True, ctx.scope))
            return TName(name, index, pos)

        for j, (mst, srole, rrole, term, unchecked, text) in enumerate(tpl.messages, start=1):
            self.messages.append(
                Message(
                    step + j,
                    None,
                    by_role[srole],
                    by_role[rrole] if rrole is not None else None,
                    _instantiate(term, by_role, fresh, member),
                    gen,
                    mst.pos,
                    text,
                    session=(sname, idx),
                    sender_role=srole,
                    receiver_role=rrole,
                    unchecked=tuple(_instantiate(u, by_role, fresh, member) for u in unchecked),
                )
            )

    def _distinct_sessions(
        self, st: S.SessionStmt, gen: Generator | None, index: tuple[IExpr, ...], ctx: _Ctx
    ) -> None:
        """No two bindings of a session family's generator may name the same session
        (checked when the generator is small enough to evaluate)."""
        if gen is None or not self._small(gen, ctx.scope):
            return
        seen: dict[tuple[int, ...], dict[str, int]] = {}
        try:
            for b in bindings(gen):
                idx = tuple(eval_index(i, b) for i in index)
                if idx in seen:
                    _fail(
                        st.target.pos,
                        f"session {st.target.name}[{', '.join(map(str, idx))}] is named twice "
                        f"(when {_when(seen[idx])} and when {_when(b)})",
                    )
                seen[idx] = dict(b)
        except (ZeroDivisionError, KeyError):
            pass

    # --------------------------------------------------------------- adversaries

    def _adversary_stmt(self, k: int, st: S.AdversaryStmt) -> None:
        """`malicious ...` or `intruder ...`: concrete agents (a bounded attack search
        runs over few of them), each listed once."""
        ctx = _Ctx()
        gen = self._gen(st.gen, ctx)
        refs = tuple(self._agent_ref(m, ctx, allow_range=True) for m in st.agents)
        out = self.adversaries[st.kind]
        for b in ground.bindings(self._finish_gen(gen, ctx)):
            for r in refs:
                a = ground.agent(r, b)
                ref = AgentRef(a.base, tuple(IConst(i) for i in a.idx), r.pos)
                if ref not in out:
                    out.append(ref)

    def _collude_stmt(self, k: int, st: S.ColludeStmt) -> None:
        """One `collude` statement: one group."""
        ctx = _Ctx()
        gen = self._gen(st.gen, ctx)
        # One group: the members over every binding (a range is a hidden binder).
        members = tuple(self._agent_ref(m, ctx, allow_range=True) for m in st.members)
        self.colludes.append(Collude(members, self._finish_gen(gen, ctx), st.pos))

    def _corrupt_stmt(self, k: int, st: S.CorruptStmt) -> None:
        """One `corrupt` statement."""
        ctx = _Ctx()
        count = self._const_int(st.count, ctx, "the number of corrupt agents")
        if count < 0:
            _fail(st.count.pos, f"the number of corrupt agents cannot be negative ({count})")
        if st.named:
            self._corrupt_named(count, st, ctx)
            return
        fam = st.family
        decl = self.agents.get(fam.name)
        if decl is None:
            self._not_agent(fam, ctx)
        if len(decl.dims) != 1:
            _fail(
                fam.pos,
                f"'{fam.name}' is not a one-dimensional agent family "
                f"(corrupt picks agents from u[LO..HI])",
            )
        flo, fhi = decl.dims[0]
        if fam.index is None:
            lo, hi = flo, fhi
        else:
            ix = fam.index
            if len(ix) != 1 or not isinstance(ix[0], S.RangeIdx):
                _fail(fam.pos, f"expected a range of the family, as in {fam.name}[{flo}..{fhi}]")
            lo, hi = self._range(ix[0], ctx)
            if lo < flo or hi > fhi:
                _fail(
                    ix[0].pos,
                    f"{fam.name}[{lo}..{hi}] is outside the family {fam.name}[{flo}..{fhi}]",
                )
        with_ = tuple(self._agent_ref(w, ctx) for w in st.with_)
        self._finish_gen(None, ctx)
        self.corrupts.append(Corrupt(count, fam.name, lo, hi, with_, st.pos))

    def _corrupt_named(self, count: int, st: S.CorruptStmt, ctx: _Ctx) -> None:
        """`corrupt T of {b, c, d} with server`: the agents are listed, so there are few,
        and the statement is the `collude` groups it stands for: `with` plus each set of
        at most T listed agents (docs/language.md, "Adversaries")."""
        pool = [self._agent_ref(r, ctx) for r in st.named]
        seen: dict[AgentRef, S.Ref] = {}
        for a, r in zip(pool, st.named, strict=True):
            if a in seen:
                _fail(r.pos, f"'{show_ref(r)}' is listed twice")
            seen[a] = r
        with_ = tuple(self._agent_ref(w, ctx) for w in st.with_)
        for w, r in zip(with_, st.with_, strict=True):
            if w in seen:
                _fail(r.pos, f"'{show_ref(r)}' is both listed and in 'with'")
        self._finish_gen(None, ctx)
        for size in range(min(count, len(pool)) + 1):
            for group in itertools.combinations(pool, size):
                members = with_ + group
                if members:
                    self.colludes.append(Collude(members, None, st.pos))

    def _allow_stmt(self, k: int, st: S.AllowStmt) -> None:
        """`allow a, b learns t [from L1 [to L2]]`: labels resolved to steps."""
        ctx = _Ctx()
        agents = tuple(self._agent_ref(r, ctx) for r in st.agents)
        target = self._term(st.target, ctx)
        self._finish_gen(None, ctx)
        start = self._label_step(st.start, st.start_pos) if st.start else None
        end = self._label_step(st.end, st.end_pos) if st.end else None
        if start is not None and end is not None and end < start:
            _fail(st.end_pos, f"'{st.end}' (step {end}) comes before '{st.start}' (step {start})")
        self.allows.append(Allow(agents, target, start, end, st.pos))

    def _label_step(self, label: str, pos: Pos) -> int:
        """The step of a message label."""
        if label not in self.labels:
            _fail(pos, f"unknown label '{label}'",
                  self._hint(label, self.labels) or ("no message has a label"
                                                     if not self.labels else None))
        return self.labels[label]

    def _eaves_stmt(self, k: int, st: S.EavesStmt) -> None:
        """One `eavesdropper` statement."""
        ctx = _Ctx()
        gen = self._gen(st.gen, ctx)
        agent = self._agent_ref(st.agent, ctx)
        link = None
        if st.link is not None:
            a = self._agent_ref(st.link[0], ctx)
            b = self._agent_ref(st.link[1], ctx) if st.link[1] is not None else None
            link = (a, b)
        self.eavesdroppers.append(Eavesdropper(agent, link, self._finish_gen(gen, ctx), st.pos))

    # ----------------------------------------------------------------- questions

    def _coalition(self, c: S.Coalition, ctx: _Ctx) -> tuple[AgentRef, ...]:
        """The agents of a coalition."""
        return tuple(self._agent_ref(m, ctx) for m in c.members)

    def _after(self, a: S.After | None) -> int | None:
        """The step an `after` clause names (labels resolved), or None."""
        if a is None:
            return None
        if a.label is not None:
            if a.label not in self.labels:
                if a.label in self.unparsed:
                    raise _Fail(None)
                _fail(
                    a.arg_pos,
                    f"unknown label '{a.label}'",
                    self._hint(a.label, self.labels)
                    or ("no message has a label" if not self.labels else None),
                )
            return self.labels[a.label]
        assert a.step is not None
        n = a.step.value
        if isinstance(n, float):
            _fail(a.arg_pos, f"a step is a whole number, found {a.step.text}")
        if n > self.n_steps and not self.had_syntax_errors:
            _fail(
                a.arg_pos,
                f"step {n} is out of range: the spec has {_plural(self.n_steps, 'step')}, "
                f"so 'after' takes 0..{self.n_steps}",
            )
        return n

    def _question_text(self, st: S.QueryStmt | S.AssertStmt, keyword: str) -> str:
        """The question as written, after its keyword."""
        text = self.spec.source[st.span[0] : st.span[1]]
        return text[len(keyword) :].strip()

    def _query_stmt(self, k: int, st: S.QueryStmt) -> None:
        """One `query` statement."""
        if st.target is None:
            self._what_stmt(st)
            return
        ctx = _Ctx()
        gen = self._gen(st.gen, ctx)
        coalition = self._coalition(st.coalition, ctx) if st.coalition is not None else None
        target = self._term(st.target, ctx)
        after = self._after(st.after)
        delta = self._delta(st)
        gen = self._finish_gen(gen, ctx)
        assert st.kind != "what"  # a whole view has no target: _what_stmt
        self.questions.append(
            Query(
                st.kind,
                target,
                coalition,
                after,
                gen,
                st.pos,
                self._question_text(st, "query"),
                delta,
            )
        )

    def _what_stmt(self, st: S.QueryStmt) -> None:
        """`query what C learns`: one `C learns v` question per declared value that is
        not public, each family as one question over its own generator, marked as
        members of the view (gathered into one result by the report)."""
        if st.gen is not None:
            _fail(
                st.gen.pos,
                "a whole view takes no generator",
                "ask it once per coalition: query what u[1] learns",
            )
        assert st.coalition is not None
        ctx = _Ctx()
        coalition = self._coalition(st.coalition, ctx)
        after = self._after(st.after)
        self._finish_gen(None, ctx)
        text = self._question_text(st, "query")
        for d in self.values:
            if d.kind == "public":
                continue
            self.questions.append(
                Query("learns", TName(d.name, d.index, d.pos), coalition, after, d.gen,
                      st.pos, text, None, view=True)
            )

    def _delta(self, st: S.QueryStmt | S.AssertStmt) -> float | None:
        """The `at` / `within` delta of a leakage question, checked (None when absent)."""
        if st.delta is None:
            return None
        delta = self._number(st.delta, "delta")
        if not 0 < delta < 1:
            _fail(st.delta.pos, f"delta must be between 0 and 1 (exclusive), found {delta}")
        return delta

    def _assert_stmt(self, k: int, st: S.AssertStmt) -> None:
        """One `assert` statement."""
        ctx = _Ctx()
        gen = self._gen(st.gen, ctx)
        coalition = self._coalition(st.coalition, ctx) if st.coalition is not None else None
        target = self._term(st.target, ctx)
        after = self._after(st.after)
        eps = None
        if st.epsilon is not None:
            eps = self._number(st.epsilon, "epsilon")
            if eps < 0:
                _fail(st.epsilon.pos, f"epsilon cannot be negative, found {eps}")
        delta = self._delta(st)
        gen = self._finish_gen(gen, ctx)
        self.questions.append(
            Assertion(
                st.kind,
                target,
                coalition,
                after,
                gen,
                st.pos,
                self._question_text(st, "assert"),
                eps,
                delta,
            )
        )

    # ----------------------------------------------------------- deferred checks

    def _small(self, gen: Generator | None, env: Mapping[str, Interval | None]) -> bool:
        """Whether `gen` has few enough bindings to evaluate (and the budget allows it)."""
        if gen is None:
            return True
        size = 1
        for b in gen.binders:
            iv = env.get(b.var)
            if iv is None:
                return False
            size *= max(0, iv[1] - iv[0] + 1)
            if size > SMALL_GENERATOR:
                return False
        if size > self.budget:
            return False
        self.budget -= size
        return True

    def _gen_is_empty(self, gen: Generator | None, env: Mapping[str, Interval | None]) -> bool:
        """Whether some binder of `gen` has an empty range (then nothing is declared)."""
        if gen is None:
            return False
        return any((iv := env.get(b.var)) is not None and iv[0] > iv[1] for b in gen.binders)

    def _value_families(
        self,
    ) -> dict[str, tuple[list[Interval] | None, dict[tuple[int, ...], Pos] | None]]:
        """For each value name: a box bounding its declared indices and, when the
        declarations are small, the exact set of declared indices."""
        fams: dict[str, tuple[list[Interval] | None, dict[tuple[int, ...], Pos] | None]] = {}
        for name in self.failed_values:
            fams[name] = (None, None)
        for decl, scope in zip(self.values, self.value_scopes, strict=True):
            if not decl.index or decl.name in self.failed_values:
                continue
            box, inst = fams.get(decl.name, ([], {}))
            if self._gen_is_empty(decl.gen, scope):
                fams[decl.name] = (box, inst)
                continue
            ivs = [_interval(ix, scope) for ix in decl.index]
            if box is not None:
                bounded = [iv for iv in ivs if iv is not None]
                if len(bounded) < len(ivs):
                    box = None
                elif not box:
                    box = bounded
                else:
                    box = [
                        (min(a[0], iv[0]), max(a[1], iv[1]))
                        for a, iv in zip(box, bounded, strict=False)
                    ]
            if inst is not None:
                if self._small(decl.gen, scope):
                    try:
                        mine = {
                            tuple(eval_index(ix, env) for ix in decl.index)
                            for env in bindings(decl.gen)
                        }
                    except (ZeroDivisionError, KeyError):
                        mine = None
                    if mine is None:
                        inst = None
                    else:
                        for idx in sorted(mine):
                            if idx in inst:
                                self.diags.append(
                                    Diagnostic(
                                        decl.pos,
                                        f"{decl.name}[{', '.join(map(str, idx))}] is declared "
                                        f"twice (first at line {inst[idx].line})",
                                    )
                                )
                                break
                        for idx in mine:
                            inst.setdefault(idx, decl.pos)
                else:
                    inst = None
            fams[decl.name] = (box, inst)
        return fams

    def _run_checks(self) -> None:
        """Check every recorded index against its family, as far as it can be checked."""
        fams = self._value_families()
        for checks, gen, env in self.deferred:
            if self._gen_is_empty(gen, env):
                continue
            small: bool | None = None
            for chk in checks:
                if chk.family == "agent":
                    box: list[Interval] | None = list(self.agents[chk.name].dims)
                    inst = None
                else:
                    box, inst = fams.get(chk.name, (None, None))
                if box is None and inst is None:
                    continue
                ivs = [_interval(ix, chk.env) for ix in chk.index]
                within = box is not None and all(
                    iv is not None and b[0] <= iv[0] and iv[1] <= b[1]
                    for iv, b in zip(ivs, box, strict=False)
                )
                if within and inst is None:
                    continue
                consts = [ix.value for ix in chk.index if isinstance(ix, IConst)]
                if len(consts) == len(chk.index):
                    idx = tuple(consts)
                    self._check_instance(chk, idx, box, inst, None)
                    continue
                if chk.exact:
                    if small is None:
                        small = self._small(gen, env)
                    if small:
                        try:
                            for bnd in bindings(gen):
                                idx = tuple(eval_index(ix, bnd) for ix in chk.index)
                                if not self._check_instance(chk, idx, box, inst, bnd):
                                    break
                        except (ZeroDivisionError, KeyError):
                            pass
                        continue
                if box is not None and (gen is None or not gen.conds):
                    for iv, b, ix in zip(ivs, box, chk.index, strict=False):
                        if iv is not None and (iv[1] < b[0] or iv[0] > b[1]):
                            self.diags.append(
                                Diagnostic(
                                    chk.pos,
                                    f"index {_show_index(ix)} of '{chk.name}' is always "
                                    f"outside {b[0]}..{b[1]}",
                                )
                            )
                            break

    def _check_instance(
        self,
        chk: _Check,
        idx: tuple[int, ...],
        box: list[Interval] | None,
        inst: dict[tuple[int, ...], Pos] | None,
        env: Mapping[str, int] | None,
    ) -> bool:
        """Report `chk.name[idx]` if it is not a member of its family; True if it is."""
        ok = inst is None or idx in inst
        if box is not None:
            ok = ok and all(b[0] <= v <= b[1] for v, b in zip(idx, box, strict=False))
        if ok:
            return True
        shown = (
            f"{chk.name[:-1]}[{', '.join(map(str, idx))}]]"  # `k[u[3]]`, indexed by agents
            if chk.name.endswith("]")
            else f"{chk.name}[{', '.join(map(str, idx))}]"
        )
        when = ""
        if env:
            visible = {k: v for k, v in env.items() if not k.startswith("#")}
            if visible:
                when = " (when " + ", ".join(f"{k} = {v}" for k, v in visible.items()) + ")"
        if chk.family == "agent":
            dims = ", ".join(f"{a}..{b}" for a, b in self.agents[chk.name].dims)
            message = f"{shown} is out of range: the family is {chk.name}[{dims}]{when}"
        elif "." in chk.name:  # `s[5].na`: a value of a session family
            base = chk.name.split(".", 1)[0]
            extent = ""
            if box is not None:
                extent = f"; the sessions {base}[...] have indices in " + ", ".join(
                    f"{a}..{b}" for a, b in box
                )
            message = f"there is no session {base}[{', '.join(map(str, idx))}]{when}{extent}"
        else:
            extent = ""
            if box is not None:
                extent = "; declared indices lie in " + ", ".join(f"{a}..{b}" for a, b in box)
            message = f"{shown} is not declared{when}{extent}"
        self.diags.append(Diagnostic(chk.pos, message))
        return False


def _int_binder(b: S.Binder | S.AgentBinder) -> S.Binder:
    """A binder over integers; agent binders are expanded before (`_expand_agent_binders`)
    wherever they are allowed, so one met here is misplaced."""
    if isinstance(b, S.AgentBinder):
        _fail(
            b.pos,
            f"'{b.var}' ranges over agents, which is allowed only in a statement's own "
            "generator (not in sum(...), an agent family or a session family)",
        )
    return b


def _agent_member(
    name: str, agents: list[AgentRef], pos: Pos
) -> tuple[str, tuple[IExpr, ...]]:
    """The value of family `name` for these agents: `k[alice]` (scalar agents: one value
    each, named with its agents) or the family `k[u]` indexed as `u` is (`k[u[3]]`)."""
    if all(not a.index for a in agents):
        return f"{name}[{','.join(a.name for a in agents)}]", ()
    if len(agents) == 1:
        return f"{name}[{agents[0].name}]", agents[0].index
    _fail(
        pos,
        f"'{name}' can be indexed by several agents only when none is in a family",
        f"write {name}[a] for a in u[1..N], or list the agents: for a in {{alice, bob}}",
    )


def _substitute(node: object, sub: Mapping[str, S.Expr]) -> object:
    """A syntax node with every bare reference to a variable of `sub` replaced (the
    replacement keeps the position of the place it fills)."""
    if isinstance(node, S.Ref) and node.index is None and node.name in sub:
        repl = sub[node.name]
        return dataclasses.replace(repl, pos=node.pos)
    if isinstance(node, tuple):
        return tuple(_substitute(x, sub) for x in node)
    if dataclasses.is_dataclass(node) and not isinstance(node, type):
        changes = {}
        for f in dataclasses.fields(node):
            if f.name == "pos" or not f.init:
                continue
            old = getattr(node, f.name)
            new = _substitute(old, sub)
            if new is not old:
                changes[f.name] = new
        return dataclasses.replace(node, **changes) if changes else node
    return node


def show_ref(r: S.Ref) -> str:
    """A name reference as written in canonical layout."""
    return S.show_expr(r)


def _when(env: Mapping[str, int]) -> str:
    """`i = 1, j = 2`: a generator binding for a message (hidden variables left out)."""
    return ", ".join(f"{k} = {v}" for k, v in env.items() if not k.startswith("#"))


def _instantiate(
    t: Term,
    agents: Mapping[str, AgentRef],
    fresh: Mapping[str, TName],
    member: Callable[[str, list[AgentRef], Pos], TName],
) -> Term:
    """A protocol block's term for one session: role parameters (`TAgent(A)`) become the
    session's agents, fresh values (`TName(na)`) the session's values `S.na`, and values
    indexed by roles (`k[A]`, kept as `k` indexed by `@A`) the values of the session's
    agents (`member`)."""
    if isinstance(t, TAgent):
        a = agents.get(t.agent.name)
        return TAgent(a) if a is not None and not t.agent.index else t
    if isinstance(t, TName):
        if t.index and all(isinstance(i, IVar) and i.name.startswith("@") for i in t.index):
            acts = [
                agents.get(i.name[1:], AgentRef(i.name[1:]))
                for i in t.index
                if isinstance(i, IVar)
            ]
            return member(t.name, acts, t.pos)
        f = fresh.get(t.name)
        return TName(f.name, f.index, t.pos) if f is not None and not t.index else t
    if isinstance(t, TTuple):
        return TTuple(tuple(_instantiate(p, agents, fresh, member) for p in t.parts))
    if isinstance(t, TApp):
        return TApp(t.fn, tuple(_instantiate(a, agents, fresh, member) for a in t.args), t.pos)
    if isinstance(t, TLin):
        return TLin(tuple((c, _instantiate(p, agents, fresh, member)) for c, p in t.parts))
    return t  # no sums in protocol blocks


def resolve(
    spec: S.Spec,
    overrides: Mapping[str, int] | None = None,
    *,
    prior: Iterable[Diagnostic] = (),
    unparsed_names: frozenset[str] = frozenset(),
) -> Model:
    """The model of `spec`; raises SpecError with `prior` diagnostics and every new one.

    `unparsed_names` are names that occur in statements that failed to parse: an
    undeclared-name error about them would only repeat the syntax error.
    """
    prior = list(prior)
    r = _Resolver(spec, overrides, unparsed_names, bool(prior))
    model = r.run()
    if model is None or prior:
        raise collected(prior + r.diags, spec.source)
    return model
