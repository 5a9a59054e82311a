"""The resolved model of a spec: what the front end hands to the engine.

Every name in the model has been checked against its declaration, constants are
substituted by their integer values, and families stay symbolic: a declaration
over `for i in 1..N` is one object holding the generator and index *expressions*,
never N objects. The engine compiles these objects into non-ground ASP rules.

All classes are frozen dataclasses; positions (`Pos`) point into the source so that
later stages can report problems in the `FILE:LINE:COL` form.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Literal

# --------------------------------------------------------------------------- positions


@dataclass(frozen=True)
class Pos:
    """A place in a spec file (1-based line and column)."""

    file: str
    line: int
    col: int


NOPOS = Pos("<none>", 0, 0)

# ------------------------------------------------------------------ index expressions
#
# Index arithmetic is integer arithmetic with C semantics, as clingo evaluates it:
# `/` truncates toward zero and `%` takes the sign of the dividend. Constants are
# already substituted, so an index expression mentions only integers and the
# variables bound by the enclosing generator(s).


@dataclass(frozen=True)
class IConst:
    value: int


@dataclass(frozen=True)
class IVar:
    name: str


@dataclass(frozen=True)
class IBin:
    op: Literal["+", "-", "*", "/", "%"]
    left: IExpr
    right: IExpr


@dataclass(frozen=True)
class INeg:
    arg: IExpr


IExpr = IConst | IVar | IBin | INeg


@dataclass(frozen=True)
class ICmp:
    """A generator condition `left OP right`."""

    op: Literal["<", "<=", ">", ">=", "==", "!="]
    left: IExpr
    right: IExpr


@dataclass(frozen=True)
class Binder:
    """`var in lo..hi` (both bounds inclusive; may mention earlier variables)."""

    var: str
    lo: IExpr
    hi: IExpr


@dataclass(frozen=True)
class Generator:
    """`for i in 1..N, j in 1..N if i < j`: binders in order, then conditions (all must hold)."""

    binders: tuple[Binder, ...]
    conds: tuple[ICmp, ...] = ()


# ----------------------------------------------------------------------------- agents


@dataclass(frozen=True)
class AgentRef:
    """An agent, possibly indexed: `server`, `u[i]`, `u[2]`."""

    name: str
    index: tuple[IExpr, ...] = ()
    pos: Pos = field(default=NOPOS, compare=False)


@dataclass(frozen=True)
class AgentDecl:
    """`agent u[1..N]` (dims = ((1, N),)) or `agent server` (dims = ())."""

    name: str
    dims: tuple[tuple[int, int], ...]
    pos: Pos = field(default=NOPOS, compare=False)


# ------------------------------------------------------------------------------ terms
#
# Terms with index expressions. Built-in function names: enc, aenc, sign, hash, mac,
# exp, pk, sk; any other name is a `function f/n` declared by the user. The argument
# of pk/sk is a TAgent.


@dataclass(frozen=True)
class TName:
    """A declared value: `x`, `x[i]`, `m[i, j]`."""

    name: str
    index: tuple[IExpr, ...] = ()
    pos: Pos = field(default=NOPOS, compare=False)


@dataclass(frozen=True)
class TAgent:
    """An agent used as a term (argument of pk/sk)."""

    agent: AgentRef


@dataclass(frozen=True)
class TTuple:
    parts: tuple[Term, ...]


@dataclass(frozen=True)
class TApp:
    fn: str
    args: tuple[Term, ...]
    pos: Pos = field(default=NOPOS, compare=False)


@dataclass(frozen=True)
class TLin:
    """A linear combination `c1*t1 + c2*t2 + ...` with integer coefficients (unsimplified)."""

    parts: tuple[tuple[int, Term], ...]


@dataclass(frozen=True)
class TSum:
    """`sum(body for var in lo..hi [if cond])` (a linear term)."""

    body: Term
    gen: Generator


Term = TName | TAgent | TTuple | TApp | TLin | TSum

def subterms(t: Term) -> Iterator[Term]:
    """`t` and every term inside it, sum bodies included (pre-order)."""
    yield t
    if isinstance(t, TTuple):
        for p in t.parts:
            yield from subterms(p)
    elif isinstance(t, TApp):
        for a in t.args:
            yield from subterms(a)
    elif isinstance(t, TLin):
        for _, p in t.parts:
            yield from subterms(p)
    elif isinstance(t, TSum):
        yield from subterms(t.body)


BUILTIN_ARITY: dict[str, int] = {
    "enc": 2,
    "aenc": 2,
    "sign": 2,
    "hash": 1,
    "mac": 2,
    "exp": 2,
    "pk": 1,
    "sk": 1,
}
"""The built-in functions and their arities: the one list of them (the resolver, the
compiler's term encoding and its decoder all read it)."""

BUILTINS: frozenset[str] = frozenset(BUILTIN_ARITY)
"""The names of the built-in functions (a term `enc(k, m)` keeps its name in ASP)."""

# ----------------------------------------------------------------------- declarations

ValueKind = Literal["public", "secret", "random", "key", "noise", "share"]


@dataclass(frozen=True)
class Noise:
    dist: Literal["gaussian", "laplace"]
    scale: float  # sigma for gaussian, b for laplace


@dataclass(frozen=True)
class ValueDecl:
    """One declaration statement of values, e.g. `random m[i] @ u[i], u[i % N + 1] for i in 1..N`.

    `index` holds the index expressions of the declared name in terms of the
    generator's variables (usually just the variables: `x[i]`). `holders` is empty
    for `public` values (every agent holds them). For `shares s[1..n] of v threshold t`
    the declaration carries `shares`; its `index` is `(IVar("#k"),)` ranging over
    1..n through `gen`'s last binder `#k`.
    """

    kind: ValueKind
    name: str
    index: tuple[IExpr, ...]
    holders: tuple[AgentRef, ...]
    gen: Generator | None
    pos: Pos = field(default=NOPOS, compare=False)
    range: tuple[int, int] | None = None  # `range lo..hi` (secrets only)
    sensitivity: float = 1.0  # secrets only
    noise: Noise | None = None  # noise only
    shares: Shares | None = None  # shares only


@dataclass(frozen=True)
class Shares:
    """`shares s[1..n] of v threshold t`: `of` is the shared term, `n` the number of shares."""

    of: Term
    n: int
    threshold: int


@dataclass(frozen=True)
class NameInfo:
    """What a value name is: its kind and the shape of its index (for checking uses)."""

    kind: ValueKind
    arity: int  # number of indices
    pos: Pos = field(default=NOPOS, compare=False)


@dataclass(frozen=True)
class Keypair:
    """`keypair a`: pk(a) public, sk(a) held by a (possibly under a generator)."""

    agent: AgentRef
    gen: Generator | None
    pos: Pos = field(default=NOPOS, compare=False)


@dataclass(frozen=True)
class FunctionDecl:
    name: str
    arity: int
    pos: Pos = field(default=NOPOS, compare=False)


# --------------------------------------------------------------------------- messages


@dataclass(frozen=True)
class Message:
    """One message statement: one step (numbered from 1 in source order).

    `receiver` None means broadcast (`*`).
    """

    step: int
    label: str | None
    sender: AgentRef
    receiver: AgentRef | None
    term: Term
    gen: Generator | None
    pos: Pos = field(default=NOPOS, compare=False)
    text: str = field(default="", compare=False)  # the statement as written
    # docs/language.md: a message of a protocol block run by a session (`session S =
    # P(a, b)`): the session (its name and index expressions over `gen`) and the
    # roles of the sender and the receiver. None: the narration's own message.
    session: tuple[str, tuple[IExpr, ...]] | None = None
    sender_role: str | None = None
    receiver_role: str | None = None
    # parts marked `?x`: the receiver accepts them unchecked
    unchecked: tuple[Term, ...] = ()


# ------------------------------------------------------------------------ adversaries


@dataclass(frozen=True)
class Collude:
    members: tuple[AgentRef, ...]
    gen: Generator | None = None
    pos: Pos = field(default=NOPOS, compare=False)


@dataclass(frozen=True)
class Corrupt:
    """`corrupt T of u[1..N] with server`: coalitions of `with_` plus at most T of the family."""

    count: int
    family: str
    lo: int
    hi: int
    with_: tuple[AgentRef, ...]
    pos: Pos = field(default=NOPOS, compare=False)


@dataclass(frozen=True)
class Eavesdropper:
    """`eavesdropper eve` (link None: every message) or `eavesdropper eve on a -> b`."""

    agent: AgentRef
    link: tuple[AgentRef, AgentRef | None] | None = None
    gen: Generator | None = None
    pos: Pos = field(default=NOPOS, compare=False)


# -------------------------------------------------------------------------- questions

QueryKind = Literal["who", "learns", "leakage"]
AssertKind = Literal["not_learns", "nobody", "leakage_within", "learns", "only_allowed"]


@dataclass(frozen=True)
class Query:
    """`query who learns T`, `query C learns T`, `query leakage of T to C [at DELTA]`.

    `coalition` is None for `who`. `after` is a step number (labels resolved), None
    for "after the last step".
    """

    kind: QueryKind
    target: Term
    coalition: tuple[AgentRef, ...] | None
    after: int | None
    gen: Generator | None
    pos: Pos = field(default=NOPOS, compare=False)
    text: str = field(default="", compare=False)
    delta: float | None = None  # leakage only
    # one value of `query what C learns` (docs/language.md): the report gathers the
    # view's values into one result and lists only those C learns without holding them
    view: bool = False


@dataclass(frozen=True)
class Assertion:
    """`assert not C learns T`, `assert nobody learns T`, `assert C learns T`,
    `assert leakage of T to C within EPS, DELTA`."""

    kind: AssertKind
    target: Term
    coalition: tuple[AgentRef, ...] | None
    after: int | None
    gen: Generator | None
    pos: Pos = field(default=NOPOS, compare=False)
    text: str = field(default="", compare=False)
    epsilon: float | None = None
    delta: float | None = None


@dataclass(frozen=True)
class Allow:
    """`allow clinic, lab learns rec [from grant to withdraw]` (docs/language.md,
    "Policies"): these agents may learn the target, at any step or only at steps
    `start`..`end` (both included; None: unbounded on that side)."""

    agents: tuple[AgentRef, ...]
    target: Term
    start: int | None = None
    end: int | None = None
    pos: Pos = field(default=NOPOS, compare=False)


# ------------------------------------------------------------------------------ model


@dataclass(frozen=True)
class Model:
    """A whole resolved spec.

    `consts` holds the final constant values (after `--set`). `names` maps every
    declared value name to its kind and index arity. `questions` keeps queries and
    assertions in source order.
    """

    file: str
    source: str
    consts: dict[str, int]
    agents: tuple[AgentDecl, ...]
    values: tuple[ValueDecl, ...]
    keypairs: tuple[Keypair, ...]
    functions: tuple[FunctionDecl, ...]
    messages: tuple[Message, ...]
    colludes: tuple[Collude, ...]
    corrupts: tuple[Corrupt, ...]
    eavesdroppers: tuple[Eavesdropper, ...]
    questions: tuple[Query | Assertion, ...]
    names: dict[str, NameInfo]
    labels: dict[str, int]  # step label -> step number
    # docs/language.md: agents that deviate (`malicious a`) and network intruders
    # (`intruder e`); together they are one adversary. Empty: everyone is honest.
    malicious: tuple[AgentRef, ...] = ()
    intruders: tuple[AgentRef, ...] = ()
    allows: tuple[Allow, ...] = ()  # the policy's `allow` statements, in source order

    def __hash__(self) -> int:  # dict fields: identity is enough for a model
        return id(self)

    def _repr_html_(self) -> str:
        """The spec with line numbers, in a notebook (tipasp.html)."""
        from .html import model_html

        return model_html(self)
