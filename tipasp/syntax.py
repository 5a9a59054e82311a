"""The syntax tree of a spec: what the parser produces and the resolver and formatter read.

The tree records the spec as written, before any name is looked up: a bare name
may turn out to be a constant, an agent, a value or a generator variable, and the
same expression node serves as an index expression (`i + 1`), a term
(`x[i] + m[i]`) or a number (`2.0`) depending on where it stands. The resolver
(`tipasp.resolve`) decides, and reports misuse at the node's position.

Every node is a frozen dataclass with the `Pos` of its first character. Chains of
`+`/`-` are kept flat (`Add`), so that a sum of 100,000 terms is one node and no
later pass has to recurse 100,000 levels deep. Parentheses are kept (`Paren`) so
that the formatter reproduces them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from .model import NOPOS, Pos

# ------------------------------------------------------------------------ expressions


@dataclass(frozen=True)
class Num:
    """A number literal as written (`42`, `0.5`, `1e-5`) with its value."""

    text: str
    value: int | float
    pos: Pos = NOPOS
    depth: int = field(default=1, compare=False, repr=False)


@dataclass(frozen=True)
class RangeIdx:
    """`lo..hi` inside brackets: a family range (`u[1..N]`, `s[1..5]`)."""

    lo: Expr
    hi: Expr
    pos: Pos = NOPOS
    depth: int = field(default=1, compare=False, repr=False)


@dataclass(frozen=True)
class Ref:
    """A name, bare (`index` None) or indexed (`x[i, j]`, `u[1..N]`)."""

    name: str
    index: tuple[Expr | RangeIdx, ...] | None = None
    pos: Pos = NOPOS
    depth: int = field(default=1, compare=False, repr=False)


@dataclass(frozen=True)
class Call:
    """`f(t1, t2)`: a built-in or declared function applied to terms."""

    fn: str
    args: tuple[Expr, ...]
    pos: Pos = NOPOS
    depth: int = field(default=1, compare=False, repr=False)


@dataclass(frozen=True)
class TupleExpr:
    """`(t1, t2, ...)` with two or more parts."""

    parts: tuple[Expr, ...]
    pos: Pos = NOPOS
    depth: int = field(default=1, compare=False, repr=False)


@dataclass(frozen=True)
class Paren:
    """`(e)`: grouping only; kept so that the formatter writes it back."""

    inner: Expr
    pos: Pos = NOPOS
    depth: int = field(default=1, compare=False, repr=False)


@dataclass(frozen=True)
class Add:
    """`e0 + e1 - e2 ...`: a flat chain; `rest` pairs each operator with its operand."""

    first: Expr
    rest: tuple[tuple[Literal["+", "-"], Expr], ...]
    pos: Pos = NOPOS
    depth: int = field(default=1, compare=False, repr=False)


@dataclass(frozen=True)
class Mul:
    """`left OP right` with OP one of `*`, `/`, `%`, `mod` (as written)."""

    op: Literal["*", "/", "%", "mod"]
    left: Expr
    right: Expr
    pos: Pos = NOPOS
    op_pos: Pos = NOPOS
    depth: int = field(default=1, compare=False, repr=False)


@dataclass(frozen=True)
class Neg:
    """`-e`."""

    arg: Expr
    pos: Pos = NOPOS
    depth: int = field(default=1, compare=False, repr=False)


@dataclass(frozen=True)
class SumExpr:
    """`sum(body for i in lo..hi [if cond])`."""

    body: Expr
    gen: Gen
    pos: Pos = NOPOS
    depth: int = field(default=1, compare=False, repr=False)


@dataclass(frozen=True)
class SessionValue:
    """`S.v` or `s[3].v` (docs/language.md): the fresh value `v` of session `S`."""

    session: Ref
    value: str
    pos: Pos = NOPOS
    value_pos: Pos = NOPOS
    depth: int = field(default=1, compare=False, repr=False)


@dataclass(frozen=True)
class Unchecked:
    """`?e`: a part of a message that its receiver accepts unchecked (docs/language.md)."""

    inner: Expr
    pos: Pos = NOPOS
    depth: int = field(default=1, compare=False, repr=False)


Expr = Num | Ref | Call | TupleExpr | Paren | Add | Mul | Neg | SumExpr | SessionValue | Unchecked

# ------------------------------------------------------------------------- generators


@dataclass(frozen=True)
class Binder:
    """`var in lo..hi`."""

    var: str
    lo: Expr
    hi: Expr
    pos: Pos = NOPOS


@dataclass(frozen=True)
class AgentBinder:
    """`var in {alice, bob}` (scalar agents) or `var in u[1..N]` (an agent family, one
    range index): a variable that stands for an agent (docs/language.md, values indexed
    by agents)."""

    var: str
    agents: tuple[Expr, ...]  # the set's members, or the one family reference `u[1..N]`
    family: bool = False  # `var in u[1..N]`
    pos: Pos = NOPOS


@dataclass(frozen=True)
class Cond:
    """`left OP right`, OP one of `< <= > >= == !=`."""

    op: Literal["<", "<=", ">", ">=", "==", "!="]
    left: Expr
    right: Expr
    pos: Pos = NOPOS


@dataclass(frozen=True)
class Gen:
    """`for b1, b2 ... [if c1, c2 ...]`."""

    binders: tuple[Binder | AgentBinder, ...]
    conds: tuple[Cond, ...] = ()
    pos: Pos = NOPOS


# ------------------------------------------------------------------------- statements


@dataclass(frozen=True)
class ConstStmt:
    """`const N = 5`."""

    name: str
    value: Expr
    pos: Pos = NOPOS
    name_pos: Pos = NOPOS
    span: tuple[int, int] = (0, 0)


@dataclass(frozen=True)
class AgentStmt:
    """`agent a, b, u[1..N]`."""

    items: tuple[Ref, ...]
    gen: Gen | None = None
    pos: Pos = NOPOS
    span: tuple[int, int] = (0, 0)


@dataclass(frozen=True)
class PublicStmt:
    """`public g, p`."""

    items: tuple[Ref, ...]
    gen: Gen | None = None
    pos: Pos = NOPOS
    span: tuple[int, int] = (0, 0)


@dataclass(frozen=True)
class ValueOpt:
    """An option of a value declaration: `range lo..hi` (two args) or `sensitivity x` (one)."""

    kind: Literal["range", "sensitivity"]
    args: tuple[Expr, ...]
    pos: Pos = NOPOS


@dataclass(frozen=True)
class ValueStmt:
    """`secret s @ a [range lo..hi] [sensitivity x]`, `random r @ a, b`, `key k @ a, b`."""

    kind: Literal["secret", "random", "key"]
    items: tuple[Ref, ...]
    holders: tuple[Ref, ...]
    opts: tuple[ValueOpt, ...] = ()
    gen: Gen | None = None
    pos: Pos = NOPOS
    span: tuple[int, int] = (0, 0)


@dataclass(frozen=True)
class NoiseStmt:
    """`noise e ~ gaussian(2.0) @ a`."""

    items: tuple[Ref, ...]
    dist: str
    scale: Expr
    holders: tuple[Ref, ...]
    gen: Gen | None = None
    pos: Pos = NOPOS
    dist_pos: Pos = NOPOS
    span: tuple[int, int] = (0, 0)


@dataclass(frozen=True)
class SharesStmt:
    """`shares s[1..5] of v threshold 3 @ a`."""

    target: Ref
    of: Expr
    threshold: Expr
    holders: tuple[Ref, ...]
    gen: Gen | None = None
    pos: Pos = NOPOS
    span: tuple[int, int] = (0, 0)


@dataclass(frozen=True)
class KeypairStmt:
    """`keypair a, b`."""

    agents: tuple[Ref, ...]
    gen: Gen | None = None
    pos: Pos = NOPOS
    span: tuple[int, int] = (0, 0)


@dataclass(frozen=True)
class FunctionSig:
    """`f/2` in a function declaration."""

    name: str
    arity: Num
    pos: Pos = NOPOS


@dataclass(frozen=True)
class FunctionStmt:
    """`function f/2, g/1`."""

    sigs: tuple[FunctionSig, ...]
    pos: Pos = NOPOS
    span: tuple[int, int] = (0, 0)


@dataclass(frozen=True)
class MessageStmt:
    """`[label:] sender -> receiver : term [for ...]`; receiver None is `*`."""

    label: str | None
    sender: Ref
    receiver: Ref | None
    term: Expr
    gen: Gen | None = None
    pos: Pos = NOPOS
    label_pos: Pos = NOPOS
    receiver_pos: Pos = NOPOS
    span: tuple[int, int] = (0, 0)


@dataclass(frozen=True)
class ColludeStmt:
    """`collude server, u[2]`."""

    members: tuple[Ref, ...]
    gen: Gen | None = None
    pos: Pos = NOPOS
    span: tuple[int, int] = (0, 0)


@dataclass(frozen=True)
class CorruptStmt:
    """`corrupt 2 of u[1..N] [with server]`, or of named agents `corrupt 2 of {b, c, d}`
    (then `named` lists them and `family` is the first)."""

    count: Expr
    family: Ref
    with_: tuple[Ref, ...] = ()
    pos: Pos = NOPOS
    span: tuple[int, int] = (0, 0)
    named: tuple[Ref, ...] = ()


@dataclass(frozen=True)
class EavesStmt:
    """`eavesdropper eve [on a -> b]`; a link receiver None is `*`."""

    agent: Ref
    link: tuple[Ref, Ref | None] | None = None
    gen: Gen | None = None
    pos: Pos = NOPOS
    span: tuple[int, int] = (0, 0)


@dataclass(frozen=True)
class AdversaryStmt:
    """`malicious a, b` or `intruder eve` (docs/language.md)."""

    kind: Literal["malicious", "intruder"]
    agents: tuple[Ref, ...]
    gen: Gen | None = None
    pos: Pos = NOPOS
    span: tuple[int, int] = (0, 0)


@dataclass(frozen=True)
class Coalition:
    """`server` or `{server, u[2]}` (`braced` tells which was written)."""

    members: tuple[Ref, ...]
    braced: bool
    pos: Pos = NOPOS


@dataclass(frozen=True)
class After:
    """`after setup` (label), `after 3` or `after step 3` (step, `step_kw` True)."""

    label: str | None
    step: Num | None
    step_kw: bool = False
    pos: Pos = NOPOS
    arg_pos: Pos = NOPOS


@dataclass(frozen=True)
class QueryStmt:
    """`query who learns T`, `query C learns T`, `query leakage of T to C [at D]`,
    `query what C learns` (no target: every value C learns)."""

    kind: Literal["who", "learns", "leakage", "what"]
    target: Expr | None
    coalition: Coalition | None = None
    after: After | None = None
    delta: Expr | None = None
    gen: Gen | None = None
    pos: Pos = NOPOS
    span: tuple[int, int] = (0, 0)


@dataclass(frozen=True)
class AssertStmt:
    """`assert [not] C learns T`, `assert nobody learns T`,
    `assert leakage of T to C within EPS[, DELTA]`."""

    kind: Literal["not_learns", "learns", "nobody", "leakage_within", "only_allowed"]
    target: Expr
    coalition: Coalition | None = None
    after: After | None = None
    epsilon: Expr | None = None
    delta: Expr | None = None
    gen: Gen | None = None
    pos: Pos = NOPOS
    span: tuple[int, int] = (0, 0)


@dataclass(frozen=True)
class AllowStmt:
    """`allow clinic, lab learns rec [from grant [to withdraw]]` (a policy)."""

    agents: tuple[Ref, ...]
    target: Expr
    start: str | None = None  # the label of the first step allowed
    start_pos: Pos = NOPOS
    end: str | None = None  # the label of the last step allowed
    end_pos: Pos = NOPOS
    pos: Pos = NOPOS
    span: tuple[int, int] = (0, 0)


@dataclass(frozen=True)
class FreshStmt:
    """`fresh na, nb @ A` inside a protocol block: values role `A` creates in each session."""

    items: tuple[Ref, ...]
    role: Ref
    pos: Pos = NOPOS
    span: tuple[int, int] = (0, 0)


@dataclass(frozen=True)
class ProtocolHead:
    """`protocol NAME(A, B, ...) {`: the first line of a block. The parser gathers the
    head, the block's statements and its `}` into one `ProtocolStmt`."""

    name: str
    params: tuple[tuple[str, Pos], ...]
    pos: Pos = NOPOS
    name_pos: Pos = NOPOS
    span: tuple[int, int] = (0, 0)


@dataclass(frozen=True)
class BlockEnd:
    """The `}` that closes a protocol block (parser-internal, like `ProtocolHead`)."""

    pos: Pos = NOPOS
    span: tuple[int, int] = (0, 0)


@dataclass(frozen=True)
class ProtocolStmt:
    """`protocol NAME(A, B) { ... }`: role parameters and a body of `fresh`
    declarations and messages, one per line; `body_lines[k]` is the (first, last)
    physical line of `body[k]`."""

    name: str
    params: tuple[tuple[str, Pos], ...]
    body: tuple[FreshStmt | MessageStmt, ...]
    pos: Pos = NOPOS
    name_pos: Pos = NOPOS
    body_lines: tuple[tuple[int, int], ...] = ()
    end_pos: Pos = NOPOS
    span: tuple[int, int] = (0, 0)


@dataclass(frozen=True)
class SessionStmt:
    """`session S = NAME(a, b)` or `session s[i] = NAME(u[i], b) for i in 1..N`."""

    target: Ref
    protocol: str
    args: tuple[Ref, ...]
    gen: Gen | None = None
    pos: Pos = NOPOS
    protocol_pos: Pos = NOPOS
    span: tuple[int, int] = (0, 0)


Stmt = (
    ConstStmt
    | AgentStmt
    | PublicStmt
    | ValueStmt
    | NoiseStmt
    | SharesStmt
    | KeypairStmt
    | FunctionStmt
    | MessageStmt
    | ColludeStmt
    | AdversaryStmt
    | CorruptStmt
    | AllowStmt
    | EavesStmt
    | QueryStmt
    | AssertStmt
    | FreshStmt
    | ProtocolHead
    | BlockEnd
    | ProtocolStmt
    | SessionStmt
)

# ------------------------------------------------------------------------ whole specs


@dataclass(frozen=True)
class Comment:
    """A `#` comment: `trailing` when code precedes it on its line."""

    line: int
    col: int
    text: str
    trailing: bool


@dataclass(frozen=True)
class Spec:
    """A parsed spec: its statements in source order, and its comments (for `fmt`).

    `lines[k]` is the (first, last) physical line of `statements[k]`.
    """

    file: str
    source: str
    statements: tuple[Stmt, ...]
    lines: tuple[tuple[int, int], ...] = ()
    comments: tuple[Comment, ...] = ()


# ---------------------------------------------------------------------------- printing


def show_expr(e: Expr | RangeIdx) -> str:
    """An expression in canonical layout: single spaces around binary operators,
    `, ` between parts, ranges as `lo..hi`, parentheses exactly where written."""
    if isinstance(e, Num):
        return e.text
    if isinstance(e, Ref):
        if e.index is None:
            return e.name
        return f"{e.name}[{', '.join(show_expr(i) for i in e.index)}]"
    if isinstance(e, RangeIdx):
        return f"{show_expr(e.lo)}..{show_expr(e.hi)}"
    if isinstance(e, Call):
        return f"{e.fn}({', '.join(show_expr(a) for a in e.args)})"
    if isinstance(e, TupleExpr):
        return f"({', '.join(show_expr(p) for p in e.parts)})"
    if isinstance(e, Paren):
        return f"({show_expr(e.inner)})"
    if isinstance(e, Add):
        out = [show_expr(e.first)]
        for op, x in e.rest:
            out.append(f"{op} {show_expr(x)}")
        return " ".join(out)
    if isinstance(e, Mul):
        return f"{show_expr(e.left)} {e.op} {show_expr(e.right)}"
    if isinstance(e, Neg):
        return f"-{show_expr(e.arg)}"
    if isinstance(e, SumExpr):
        return f"sum({show_expr(e.body)} {show_gen(e.gen)})"
    if isinstance(e, SessionValue):
        return f"{show_expr(e.session)}.{e.value}"
    if isinstance(e, Unchecked):
        return f"?{show_expr(e.inner)}"
    raise TypeError(e)


def show_binder(b: Binder | AgentBinder) -> str:
    """`i in 1..N`, `a in {alice, bob}`, `a in u[1..N]`."""
    if isinstance(b, AgentBinder):
        if b.family:
            return f"{b.var} in {show_expr(b.agents[0])}"
        return f"{b.var} in {{{', '.join(show_expr(r) for r in b.agents)}}}"
    return f"{b.var} in {show_expr(b.lo)}..{show_expr(b.hi)}"


def show_gen(g: Gen) -> str:
    """`for i in 1..N, j in i + 1..N if i != 2`."""
    text = "for " + ", ".join(show_binder(b) for b in g.binders)
    if g.conds:
        text += " if " + ", ".join(
            f"{show_expr(c.left)} {c.op} {show_expr(c.right)}" for c in g.conds
        )
    return text
