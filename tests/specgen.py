"""Random small specs, as TEXT, for the differential and property tests.

`specs()` is a hypothesis strategy of `GenSpec`: 2-4 agents, a handful of values of
every kind (secrets, secrets with `range 0..9`, randomness, a key, key pairs, a public
`g`, `shares sh[1..3] of V threshold 2`, noise, `function f/1`), 1-6 messages that mix
tuples, enc, aenc, sign, hash, mac, f, exp and linear terms, broadcasts, eavesdroppers,
collude groups, and a few questions (`query C learns T`, `query who learns T`, with
or without `after S`).

Every message is sendable: a sender only builds its message from what it knows by a
plain syntactic closure (what it holds, public terms, what it received or overheard
earlier, split and decrypted with keys it holds as they are).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from hypothesis import strategies as st

# A term: ("v", name) a value, ("ag", a) an agent, ("pk", a), ("sk", a),
# ("tup", (t, ...)), ("enc", k, m), ("aenc", a, m) = aenc(pk(a), m),
# ("sign", a, m) = sign(sk(a), m), ("hash", m), ("mac", k, m), ("f", m),
# ("exp", base, e), ("lin", ((c, t), ...)).
T = tuple

AGENT_NAMES = ["a", "b", "c", "d"]


def show(t: T) -> str:
    k = t[0]
    if k in ("v", "ag"):
        return t[1]
    if k == "pk":
        return f"pk({t[1]})"
    if k == "sk":
        return f"sk({t[1]})"
    if k == "tup":
        return "(" + ", ".join(show(p) for p in t[1]) + ")"
    if k == "aenc":
        return f"aenc(pk({t[1]}), {show(t[2])})"
    if k == "sign":
        return f"sign(sk({t[1]}), {show(t[2])})"
    if k == "lin":
        out = []
        for i, (c, p) in enumerate(t[1]):
            s = show(p)
            if p[0] == "lin":
                s = f"({s})"
            mag = abs(c)
            body = s if mag == 1 else f"{mag} * {s}"
            if i == 0:
                out.append(body if c > 0 else f"-{body}")
            else:
                out.append(("+ " if c > 0 else "- ") + body)
        return " ".join(out)
    return f"{k}(" + ", ".join(show(a) for a in t[1:]) + ")"


def lin_coeffs(t: T) -> dict[T, int]:
    """The canonical combination of a linear term (nested sums flattened)."""
    acc: dict[T, int] = {}
    if t[0] != "lin":
        return {t: 1}
    for c, p in t[1]:
        for q, d in lin_coeffs(p).items():
            acc[q] = acc.get(q, 0) + c * d
    return {q: c for q, c in acc.items() if c}


def subterms(t: T) -> list[T]:
    out = [t]
    k = t[0]
    if k == "tup":
        for p in t[1]:
            out += subterms(p)
    elif k == "lin":
        for _, p in t[1]:
            out += subterms(p)
    elif k in ("aenc", "sign"):
        out += [("pk" if k == "aenc" else "sk", t[1])] + subterms(t[2])
    elif k in ("enc", "hash", "mac", "f", "exp"):
        for a in t[1:]:
            out += subterms(a)
    return out


@dataclass
class GenSpec:
    """A generated spec: its statements by kind, and what is worth asking about."""

    agents: list[str]
    decls: list[str]
    messages: list[str]
    adversaries: list[str]
    groups: list[list[str]]
    values: list[str]  # every declared value name (shares as sh[1] ...), public apart
    targets: list[str]  # value names and a few composite / linear terms
    questions: list[str] = field(default_factory=list)

    @property
    def steps(self) -> int:
        return len(self.messages)

    def text(self, questions: list[str] | None = None) -> str:
        qs = self.questions if questions is None else questions
        lines = ["agent " + ", ".join(self.agents)]
        lines += self.decls + self.messages + self.adversaries + qs
        return "\n".join(lines) + "\n"

    def coalitions(self) -> list[list[str]]:
        """Every agent alone and every collude group."""
        return [[a] for a in self.agents] + [g for g in self.groups]


def coal_text(members: list[str]) -> str:
    return members[0] if len(members) == 1 else "{" + ", ".join(members) + "}"


class Pools:
    """What each agent syntactically knows (a sound under-approximation)."""

    def __init__(self, agents: list[str], keypairs: set[str]):
        self.keypairs = keypairs
        self.known: dict[str, set[T]] = {a: set() for a in agents}

    def add(self, a: str, t: T) -> None:
        k = self.known[a]
        todo = [t]
        while todo:
            u = todo.pop()
            if u in k:
                continue
            k.add(u)
            if u[0] == "tup":
                todo.extend(u[1])
            elif u[0] == "sign":
                todo.append(u[2])
            elif u[0] == "aenc" and u[1] == a and ("sk", a) in k:
                todo.append(u[2])
            # a key just learned opens the ciphertexts already known
            for c in list(k):
                if c[0] == "enc" and c[1] in k and c[2] not in k:
                    todo.append(c[2])


def _holders(draw, agents: list[str], most: int = 2) -> list[str]:
    n = draw(st.integers(1, min(most, len(agents))))
    return draw(st.lists(st.sampled_from(agents), min_size=n, max_size=n, unique=True))


@st.composite
def specs(draw, max_messages: int = 6, questions: bool = True,
          repeats: bool = True, linear_shares: bool = True) -> GenSpec:
    """A random spec. `repeats=False` keeps every atom once in a linear term (no
    `x + y - y`), `linear_shares=False` shares only non-linear values: to hunt for
    disagreements of other kinds while those (bugs 3, 6, 7 of the trust issue) dominate."""
    n_agents = draw(st.integers(2, 4))
    agents = AGENT_NAMES[:n_agents]
    decls: list[str] = []
    holds: dict[str, list[str]] = {}

    def declare(kind: str, name: str, hs: list[str], extra: str = "") -> None:
        decls.append(f"{kind} {name} @ {', '.join(hs)}{extra}")
        holds[name] = hs

    declare("secret", "x", _holders(draw, agents))
    declare("secret", "y", _holders(draw, agents))
    declare("secret", "pin", _holders(draw, agents, 1), " range 0..9")
    if draw(st.booleans()):
        declare("secret", "pw", _holders(draw, agents), " range 0..9")
    declare("random", "n", _holders(draw, agents))
    declare("random", "r", _holders(draw, agents))
    declare("key", "k", _holders(draw, agents))
    if draw(st.integers(0, 4)) == 0:
        holder = draw(st.sampled_from(agents))
        decls.append(f"noise e ~ gaussian(1.0) @ {holder}")
        holds["e"] = [holder]
    decls.append("public g")
    decls.append("function f/1")
    keypairs = set(draw(st.lists(st.sampled_from(agents), unique=True, max_size=n_agents)))
    if keypairs:
        decls.append("keypair " + ", ".join(sorted(keypairs)))
    shares_of = None
    if draw(st.booleans()):
        dealer = draw(st.sampled_from(agents))
        choices = ["x", "(x, n)", "(x, y)", "r"]
        if linear_shares:
            choices += ["x + y", "x + n"]
        shares_of = draw(st.sampled_from(choices))
        decls.append(f"shares sh[1..3] of {shares_of} threshold 2 @ {dealer}")
        for i in (1, 2, 3):
            holds[f"sh[{i}]"] = [dealer]

    pools = Pools(agents, keypairs)
    for a in agents:
        pools.add(a, ("v", "g"))
        for b in agents:
            pools.add(a, ("ag", b))
        for b in keypairs:
            pools.add(a, ("pk", b))
        if a in keypairs:
            pools.add(a, ("sk", a))
    for v, hs in holds.items():
        for a in hs:
            pools.add(a, ("v", v))

    # eavesdroppers are decided first: what they overhear extends what they can send
    eaves: list[tuple[str, tuple[str, str] | None]] = []
    if draw(st.integers(0, 2)) == 0:
        e = draw(st.sampled_from(agents))
        if draw(st.booleans()):
            eaves.append((e, None))
        else:
            src = draw(st.sampled_from(agents))
            dst = draw(st.sampled_from([x for x in agents if x != src] + ["*"]))
            eaves.append((e, (src, dst)))

    def values_of(pool: set[T]) -> list[T]:
        return sorted(t for t in pool if t[0] == "v")

    def term(a: str, depth: int) -> T:
        pool = pools.known[a]
        leaves = sorted(t for t in pool if t[0] not in ("sk",))
        kinds_ = ["leaf", "leaf", "tup", "enc", "enc", "hash", "mac", "f", "lin", "lin",
                  "exp", "aenc", "sign"]
        kind = "leaf" if depth == 0 else draw(st.sampled_from(kinds_))
        if kind == "leaf":
            vals = values_of(pool)
            if vals and draw(st.booleans()):
                return draw(st.sampled_from(vals))
            return draw(st.sampled_from(leaves))
        if kind == "tup":
            n = draw(st.integers(2, 3))
            return ("tup", tuple(term(a, depth - 1) for _ in range(n)))
        if kind in ("enc", "mac"):
            keys = [t for t in leaves if t[0] not in ("ag", "pk")] or leaves
            key = draw(st.sampled_from(keys))
            if draw(st.integers(0, 3)) == 0:
                key = term(a, depth - 1)
            return (kind, key, term(a, depth - 1))
        if kind in ("hash", "f"):
            return (kind, term(a, depth - 1))
        if kind == "aenc" and pools.keypairs:
            return ("aenc", draw(st.sampled_from(sorted(pools.keypairs))), term(a, depth - 1))
        if kind == "sign" and a in pools.keypairs:
            return ("sign", a, term(a, depth - 1))
        if kind == "exp":
            exps = [t for t in values_of(pool) if t[1] != "g"]
            halves = [t for t in pool if t[0] == "exp" and t[1] == ("v", "g")]
            if exps:
                e = draw(st.sampled_from(exps))
                base = ("v", "g")
                if halves and draw(st.booleans()):
                    base = draw(st.sampled_from(sorted(halves)))
                return ("exp", base, e)
        # a linear term
        atoms = [t for t in pool if t[0] == "v" and t[1] != "g" or t[0] == "lin"]
        atoms += [t for t in pool if t[0] in ("hash", "f")]
        atoms = sorted(atoms)
        if not atoms:
            return draw(st.sampled_from(leaves))
        n = draw(st.integers(1, 3))
        parts = [(draw(st.sampled_from([1, 1, 1, -1, 2])), draw(st.sampled_from(atoms)))
                 for _ in range(n)]
        if not repeats:
            seen: set[T] = set()
            for _, p in parts:
                if seen & set(lin_coeffs(p)):
                    return p
                seen |= set(lin_coeffs(p))
        elif draw(st.integers(0, 3)) == 0:  # x + y - y: cancels to x
            other = draw(st.sampled_from(atoms))
            parts += [(1, other), (-1, other)]
        if parts[0][0] < 0 and len(parts) == 1:
            parts[0] = (1, parts[0][1])
        t = ("lin", tuple(parts))
        if not lin_coeffs(t):
            t = ("lin", tuple(parts) + ((1, atoms[0]),))
            if not lin_coeffs(t):
                return atoms[0]
        if len(parts) == 1 and parts[0][0] == 1:
            return parts[0][1]
        return t

    messages: list[str] = []
    sent: list[T] = []
    n_msgs = draw(st.integers(1, max_messages))
    for _ in range(n_msgs):
        src = draw(st.sampled_from(agents))
        dst = draw(st.sampled_from([x for x in agents if x != src] + ["*"]))
        t = term(src, draw(st.integers(1, 3)))
        messages.append(f"{src} -> {dst} : {show(t)}")
        sent.append(t)
        for a in agents:
            if dst == "*" and a != src or a == dst or any(
                e == a and (link is None or link == (src, dst)) for e, link in eaves
            ):
                pools.add(a, t)

    adversaries: list[str] = []
    for e, link in eaves:
        adversaries.append(f"eavesdropper {e}" if link is None
                           else f"eavesdropper {e} on {link[0]} -> {link[1]}")
    groups: list[list[str]] = []
    for _ in range(draw(st.integers(0, 2))):
        size = draw(st.integers(2, min(3, n_agents)))
        g = sorted(draw(st.lists(st.sampled_from(agents), min_size=size, max_size=size,
                                 unique=True)))
        if g not in groups:
            groups.append(g)
            adversaries.append("collude " + ", ".join(g))

    values = sorted(holds)
    targets = list(values)
    for a in sorted(keypairs):
        targets.append(f"sk({a})")
    extra = {"(x, n)", "x + y", "x + r", "hash(pin)", "(pin, r)"}
    if shares_of is not None:
        extra.add(shares_of)
    subs = sorted({show(s) for t in sent for s in subterms(t)
                   if s[0] not in ("v", "ag", "pk", "sk")})
    if subs:
        extra |= set(draw(st.lists(st.sampled_from(subs), max_size=3)))
    targets += sorted(extra - set(targets))

    spec = GenSpec(agents, decls, messages, adversaries, groups, values, targets)
    if questions:
        spec.questions = draw(question_lists(spec))
    return spec


def question(spec: GenSpec) -> st.SearchStrategy[str]:
    """One `query` line about the spec."""
    coal = st.sampled_from(spec.coalitions() + [spec.agents[:2]])
    after = st.one_of(st.just(""), st.integers(0, spec.steps).map(lambda s: f" after {s}"))
    learns = st.tuples(coal, st.sampled_from(spec.targets), after).map(
        lambda c: f"query {coal_text(c[0])} learns {c[1]}{c[2]}")
    who = st.tuples(st.sampled_from(spec.targets), after).map(
        lambda c: f"query who learns {c[0]}{c[1]}")
    return st.one_of(learns, who)


def question_lists(spec: GenSpec, lo: int = 2, hi: int = 5) -> st.SearchStrategy[list[str]]:
    return st.lists(question(spec), min_size=lo, max_size=hi, unique=True)
