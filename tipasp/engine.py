"""Knowledge engine: ground the ASP program once, then answer by switching externals.

Two programs share the rules of `rules/*.lp`:

* the agents program gives every agent its own closure; it checks that each
  sender can build what it sends (a spec error otherwise);
* the coalition program has one knower `c` whose members are chosen by `in/1`:
  fixed (an explicit coalition), search (every minimal allowed coalition that
  learns a target, by subset-minimal enumeration) or why-not (minimal gifts).

After each symbolic solve, the numeric refinement (linear.py) decides which atoms
the coalition's linear observations determine; those come back as `learned/1`
externals until nothing changes. The predicates read and switched here are named in
`names.py`.
"""

from __future__ import annotations

import importlib.resources
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import clingo
from clingo import ast

from . import linear, names, progress
from .compile import Compiler, symbol_of
from .holders import holders
from .model import Model, Term
from .symbols import Decoder, encode
from .terms import GTerm, Lin, Name, atoms, sort_key
from .terms import lin as lin_of

AGENT_RULES = ("terms", "time", "knowledge", "synthesis", "algebra", "sharing", "guessing",
               "senders", "agents")
FEW_HARD = 32  # message instances checked one by one rather than by the agents program
KNOWLEDGE_CACHE = 8  # coalitions whose knowledge is kept for further questions
COALITION_RULES = ("terms", "time", "knowledge", "synthesis", "algebra", "sharing",
                   "guessing", "senders", "relevance", "coalition", "necessity")


def rule_text(name: str) -> str:
    """The text of rules/NAME.lp, read from the installed package."""
    return (importlib.resources.files("tipasp.rules") / f"{name}.lp").read_text("utf-8")


@dataclass(frozen=True)
class Leaf:
    """How a knower has a term without inference."""

    kind: str  # holds | receives | sees | public | gift
    by: Name | None
    step: int | None
    line: int | None


@dataclass(frozen=True)
class Derivation:
    """One way to derive a term: a rule and its premises (or a leaf)."""

    rule: str
    premises: tuple[GTerm, ...] = ()
    leaf: Leaf | None = None
    coefficients: tuple = ()


class Knowledge:
    """What a coalition knows after a step, with every derivation found.

    The derivations arrive as clingo symbols and are decoded on demand: a proof
    needs only the backward cone of its target, while the coalition may know a
    hundred thousand terms (every message a server receives). `ders` decodes all.
    """

    def __init__(
        self,
        members: tuple[Name, ...],
        after: int,
        public: dict[GTerm, int] | None = None,
        raw: dict[clingo.Symbol, list[clingo.Symbol]] | None = None,
        decoder: Decoder | None = None,
        agents: frozenset[str] = frozenset(),
        collapse: bool = False,
    ) -> None:
        self.members = members
        self.after = after
        self.public: dict[GTerm, int] = public if public is not None else {}
        self._raw = raw or {}  # term symbol -> its der/4 symbols, not yet decoded
        self._dec = decoder
        self._agents = agents
        # some linear term of the program cancels down to one atom (onelin/2): then a
        # term's own symbol is not the only one it may be known under
        self._collapse = collapse
        self._ders: dict[GTerm, list[Derivation]] = {}
        # the linear view (rows, known atoms, their LinearSystem), built on demand
        self.view: tuple[list[dict[GTerm, int]], set[GTerm], linear.LinearSystem] | None = None

    def terms(self) -> list[GTerm]:
        """Every term the coalition knows symbolically (public terms apart), without
        decoding derivations."""
        if self._raw:
            assert self._dec is not None
            term = self._dec.term
            pending = [term(sym) for sym in self._raw]
            seen = set(pending)
            return pending + [t for t in self._ders if t not in seen]
        return list(self._ders)

    def add(self, t: GTerm, d: Derivation) -> None:
        """Record one more derivation of `t` (a numeric one, found in Python). `t` is
        then in the span of the linear view already, so a view built before stays
        right."""
        self._ders.setdefault(t, []).append(d)

    @property
    def ders(self) -> dict[GTerm, list[Derivation]]:
        """Every derivation, by term (decodes whatever is still raw)."""
        for sym in list(self._raw):
            self._take(sym)
        return self._ders

    def derivations(self, t: GTerm) -> list[Derivation]:
        """The derivations of one term (decoding only that term's).

        A linear term is looked up under the symbols it was decoded from; an equal
        linear term of another template (another ASP term, see docs/engine.md,
        known issue 1) is not consulted until everything is decoded.
        """
        syms = self._symbols(t)
        if syms is None or self._collapse:
            return self.ders.get(t, [])
        for sym in syms:
            self._take(sym)
        return self._ders.get(t, [])

    def knows(self, t: GTerm) -> bool:
        """Whether the coalition knows `t` symbolically (derived, or public)."""
        if t in self._ders or t in self.public:
            return True
        syms = self._symbols(t)
        if syms is not None and any(sym in self._raw for sym in syms):
            return True
        if syms is None or isinstance(t, Lin) or self._collapse:
            return t in self.ders  # exact: decode the rest
        return False

    def _symbols(self, t: GTerm) -> list[clingo.Symbol] | None:
        """The symbols of `t`: a linear term's are those it was decoded from so far;
        None for a term with a linear part inside (no symbol of its own)."""
        if isinstance(t, Lin):
            return self._dec.symbols_of_lin(t) if self._dec is not None else []
        try:
            return [encode(t, self._agents)]
        except ValueError:
            return None

    def _take(self, sym: clingo.Symbol) -> None:
        """Decode the derivations of one term symbol, once."""
        syms = self._raw.pop(sym, None)
        if syms is None:
            return
        assert self._dec is not None
        dec = self._dec
        term = dec.term(sym)
        out = self._ders.setdefault(term, [])
        for s in syms:
            if s.name == names.SPLITS:
                out.append(Derivation("split", (dec.term(s.arguments[1]),)))
                continue
            if s.arguments[2].name == "same":
                # a linear term that cancels down to an atom (x + y - y) and the atom
                # are two symbols of one term: its derivations are both symbols'
                self._take(s.arguments[3].arguments[0])
                continue
            out.append(_derivation(dec, s))


class Engine:
    """Grounds a model's programs on demand and answers knowledge questions."""

    def __init__(self, model: Model, *, guess_bits: int = 40, max_coalition: int | None = None):
        self.model = model
        self.guess_bits = guess_bits
        self.max_coalition = max_coalition
        self.agent_names = frozenset(a.name for a in model.agents)
        self._dims = {a.name: a.dims for a in model.agents}
        self._shares: dict[GTerm, tuple[int, tuple[GTerm, ...]]] | None = None
        self.last_step = max((m.step for m in model.messages), default=0)
        self._targets: list[tuple[object, clingo.Symbol]] = []
        self._coal: clingo.Control | None = None
        self._assigned: dict[clingo.Symbol, bool] = {}
        self._pending_targets: list[ast.AST] = []
        self._compiler = Compiler(model, guess_bits)
        # compile() returns the compiler's own list, which later target() calls extend:
        # the spec's rules are its first _n_spec_rules entries.
        self._spec_rules = self._compiler.compile()
        self._n_spec_rules = len(self._spec_rules)
        self._dec: Decoder | None = None
        self._pub: dict[GTerm, int] = {}
        self._holders: dict[clingo.Symbol, list[Name]] | None = None
        self._symatoms_cache: frozenset[GTerm] | None = None
        self._known: dict[tuple[frozenset[Name], int], Knowledge] = {}
        self._static: dict[tuple[str, int], tuple[clingo.Symbol, ...]] = {}

    # ------------------------------------------------------------ set-up

    @property
    def shares(self) -> dict[GTerm, tuple[int, tuple[GTerm, ...]]]:
        """Every shared value: its threshold and its shares (for proofs)."""
        if self._shares is None:
            from . import ground

            acc: dict[GTerm, tuple[int, list[Name]]] = {}
            for d in self.model.values:
                if d.shares is None:
                    continue
                for b in ground.bindings(d.gen):
                    v = ground.term(d.shares.of, b)
                    sh = Name(d.name, tuple(ground.eval_index(i, b) for i in d.index))
                    acc.setdefault(v, (d.shares.threshold, []))[1].append(sh)
            self._shares = {v: (th, tuple(sorted(ss))) for v, (th, ss) in acc.items()}
        return self._shares

    def is_agent(self, t: GTerm) -> bool:
        """Whether the term is a declared agent (an agent's name is public)."""
        if not isinstance(t, Name):
            return False
        dims = self._dims.get(t.base)
        return dims is not None and len(dims) == len(t.idx) and all(
            lo <= i <= hi for (lo, hi), i in zip(dims, t.idx, strict=True))

    def add_target(self, t: Term, binding: dict[str, int]) -> clingo.Symbol:
        """Register a query target before grounding; returns its symbol."""
        if self._coal is not None:
            raise RuntimeError("targets must be added before the first question")
        before = len(self._compiler.out)
        term_ast = self._compiler.target(t, binding)
        self._pending_targets.extend(self._compiler.out[before:])
        return symbol_of(term_ast)

    def _control(
        self, rules: Iterable[str], extra: list[ast.AST], args: list[str]
    ) -> clingo.Control:
        which = "coalition" if "coalition" in rules else "agents"
        progress.phase(f"grounding the {which} program")
        ctl = clingo.Control(args + ["--warn=none"], logger=_quiet)
        for r in rules:
            ctl.add("base", [], rule_text(r))
        with ast.ProgramBuilder(ctl) as b:
            for stmt in self._spec_rules[: self._n_spec_rules]:
                b.add(stmt)
            for stmt in extra:
                b.add(stmt)
        ctl.ground([("base", [])])
        return ctl

    def ground(self) -> None:
        """Ground the coalition program now (otherwise its first use grounds it)."""
        _ = self.coalition

    @property
    def coalition(self) -> clingo.Control:
        if self._coal is None:
            extra = list(self._pending_targets)
            if self.max_coalition is not None:
                extra.append(_fact(names.MAXSIZE, clingo.Number(self.max_coalition)))
            self._coal = self._control(
                COALITION_RULES,
                extra,
                ["--heuristic=Domain", "--enum-mode=domRec", "--project"],
            )
        return self._coal

    def _set(self, ctl: clingo.Control, sym: clingo.Symbol, value: bool) -> None:
        ctl.assign_external(sym, value)
        if ctl is self._coal:
            if value:
                self._assigned[sym] = True
            else:
                self._assigned.pop(sym, None)

    def _reset(self) -> None:
        ctl = self.coalition
        for sym in list(self._assigned):
            ctl.assign_external(sym, False)
        self._assigned.clear()

    def _set_after(self, ctl: clingo.Control, after: int) -> None:
        for s in range(1, self.last_step + 1):
            self._set(ctl, clingo.Function(names.DELIVERED, [clingo.Number(s)]), s <= after)

    # ------------------------------------------------------- sender checks

    def unbuildable(self) -> list[tuple[int, Name, GTerm]]:
        """Messages whose sender cannot build them at their step: (step, sender, term)."""
        steps = sorted(
            sa.symbol.arguments[0].number
            for sa in self.coalition.symbolic_atoms.by_signature(names.NEEDCHECK, 1)
        )
        if not steps:
            return []  # every sender holds what it sends, or can build it from that
        hard = self.static_atoms(names.HARD, 3)
        if len(hard) <= FEW_HARD:
            # a few instances: ask the coalition program about each sender directly
            out = []
            for sym in hard:
                step, sender_sym, tsym = sym.arguments
                sender = self._decoder.name(sender_sym)
                term = self._decoder.term(tsym)
                know = self.knowledge((sender,), step.number - 1)
                if not self.determined(know, term):
                    out.append((step.number, sender, term))
            return sorted(out, key=lambda x: (x[0], sort_key(x[1])))
        ctl = self._control(AGENT_RULES, [], [])
        dec = Decoder(self._compiler.lin_templates)
        bad: list[tuple[int, Name, clingo.Symbol]] = []
        for s in steps:
            self._set_after(ctl, s - 1)
            for s2 in range(1, self.last_step + 1):
                ctl.assign_external(clingo.Function(names.CHECK_STEP, [clingo.Number(s2)]), s2 == s)
            found: list[clingo.Symbol] = []
            with ctl.solve(yield_=True) as h:
                for m in h:
                    found = list(m.symbols(shown=True))
                    break
            for sym in found:
                step_sym, sender_sym, t = sym.arguments
                bad.append((step_sym.number, dec.name(sender_sym), t))
        # numeric second chance: a linear message may follow from what the sender saw
        out = []
        for n, sender, tsym in bad:
            know = self.knowledge((sender,), n - 1)
            term = self._decoder.term(tsym)
            if not self.determined(know, term):
                out.append((n, sender, term))
        return out

    # ------------------------------------------------------------ knowledge

    def knowledge(self, members: tuple[Name, ...], after: int | None = None) -> Knowledge:
        """Everything the coalition `members` knows after step `after` (default: the end).

        The last few answers are kept: a spec asks about the same coalition again and
        again (`server learns x[i] for i in 1..Q`), and each answer may mean decoding
        everything a server received.
        """
        after = self.last_step if after is None else after
        members = tuple(sorted(set(members)))
        key = (frozenset(members), after)
        hit = self._known.pop(key, None)
        if hit is None:
            hit = self._knowledge(members, after)
        self._known[key] = hit  # most recently used last
        while len(self._known) > KNOWLEDGE_CACHE:
            del self._known[next(iter(self._known))]
        return hit

    def _knowledge(self, members: tuple[Name, ...], after: int) -> Knowledge:
        ctl = self.coalition
        self._reset()
        self._set_after(ctl, after)
        self._set(ctl, clingo.Function(names.FIXED), True)
        for m in members:
            self._set(ctl, clingo.Function(names.WANT, [encode(m, self.agent_names)]), True)
        learned: set[GTerm] = set()
        while True:
            syms = self._solve_one(ctl)
            if syms is None:
                know = Knowledge(members, after)
                break
            raw, other = _split(syms)
            know = self._knowing(members, after, raw)
            needed = {self._decoder.term(s.arguments[0]): s.arguments[0]
                      for s in other.get(names.NEEDLIN, ())}
            rows, known = self._linear_view(know)
            # only atoms with a use outside linear terms can take the closure further
            cands = self._symatoms - known - learned
            # (with no rows, a needed linear term may still be built from known atoms:
            # hash(r + n) with r and n known)
            if not (rows and cands) and not needed:
                break
            system = linear.LinearSystem(rows, known)
            new = system.determined_atoms(cands) - known if cands and rows else set()
            # a linear term the coalition needs (a key, say) and can compute
            new |= {t for t in needed if t not in learned
                    and system.solve(atoms(t)) is not None}
            if not new:
                break
            for a in new:
                sym = needed[a] if isinstance(a, Lin) else self._sym(a)
                self._set(ctl, clingo.Function(names.LEARNED, [sym]), True)
            learned |= new
        if learned:
            # explain each learned term from what was not learned numerically, nor
            # derived from what was (a learned x + y peels y: y cannot explain x + y)
            # (the prover never uses a `given` leaf, so "it has a proof" is the test;
            # a learned term that also has a proof of its own, such as a received 4 * k
            # equal to a learned target, stays a row)
            rows, known_base = self._linear_view(know)
            shares = self.shares
            rows = [r for r in rows if _provable(know, lin_of(r), shares)]
            known_base = {t for t in known_base if _provable(know, t, shares)}
            for a in learned:
                comb = linear.solve(rows, known_base, atoms(a))
                if comb is not None:
                    know.add(a, _numeric(comb, rows))
        return know

    def determined(self, know: Knowledge, target: GTerm) -> bool:
        """Does the coalition know `target` (symbolically, or as a linear combination)?"""
        if know.knows(target):
            return True
        if know.view is None:
            rows, known = self._linear_view(know)
            know.view = (rows, known, linear.LinearSystem(rows, known))
        rows, known, system = know.view
        if isinstance(target, Lin) or rows:
            comb = system.solve(atoms(target))
            if comb is None:
                return False
            # the combination is the proof's last step
            know.add(target, _numeric(comb, rows))
            return True
        return False

    def who_learns(
        self, target: clingo.Symbol, after: int | None = None, decode: bool = True
    ) -> list[Knowledge]:
        """Every minimal allowed coalition (holders excluded) that learns `target`;
        with `decode` False, only the members (no derivations: no proofs wanted)."""
        after = self.last_step if after is None else after
        ctl = self.coalition
        self._reset()
        self._set_after(ctl, after)
        self._set(ctl, clingo.Function(names.SEARCH), True)
        self._set(ctl, clingo.Function(names.ASKED, [target]), True)
        out: list[Knowledge] = []
        _set_models(ctl, 0)
        with ctl.solve(yield_=True) as h:
            for m in h:
                raw, other = _split(m.symbols(shown=True))
                members = tuple(
                    sorted(self._decoder.name(s.arguments[0]) for s in other.get(names.IN, ()))
                )
                if decode:
                    out.append(self._knowing(members, after, raw))
                else:
                    out.append(Knowledge(members, after))
        out.sort(key=lambda k: (len(k.members), k.members))
        return out

    def why_not(
        self, members: tuple[Name, ...], target: clingo.Symbol, after: int | None, limit: int = 3
    ) -> list[tuple[tuple[GTerm, tuple[Name, ...]], ...]]:
        """Up to `limit` minimal sets of values that would let the coalition learn the
        target; each value with the agents that hold it from the start."""
        after = self.last_step if after is None else after
        ctl = self.coalition
        self._reset()
        self._set_after(ctl, after)
        self._set(ctl, clingo.Function(names.FIXED), True)
        self._set(ctl, clingo.Function(names.WHYNOT), True)
        self._set(ctl, clingo.Function(names.ASKED, [target]), True)
        for a in members:
            self._set(ctl, clingo.Function(names.WANT, [encode(a, self.agent_names)]), True)
        _set_models(ctl, limit)
        sets = []
        with ctl.solve(yield_=True) as h:
            for m in h:
                gifts = [self._decoder.term(s.arguments[0]) for s in m.symbols(shown=True)
                         if s.name == names.GIFT]
                sets.append(tuple((g, tuple(holders(self.model, g)))
                                  for g in sorted(gifts, key=sort_key)))
        sets.sort(key=lambda s: (len(s), [sort_key(g) for g, _ in s]))
        return sets

    def holders(self, target: clingo.Symbol) -> list[Name]:
        """Agents that hold `target` from the start."""
        if self._holders is None:
            self._holders = {}
        if target not in self._holders:  # decode only this target's holders
            self._holders[target] = [
                self._decoder.name(sa.symbol.arguments[1])
                for sa in self.coalition.symbolic_atoms.by_signature(names.THOLDER, 2)
                if sa.symbol.arguments[0] == target
            ]
        return sorted(set(self._holders[target]))

    @property
    def _symatoms(self) -> frozenset[GTerm]:
        """Atoms of relevant linear terms that are also used outside them (symatom/1)."""
        if self._symatoms_cache is None:
            self._symatoms_cache = frozenset(
                self._decoder.term(sym.arguments[0]) for sym in self.static_atoms(names.SYMATOM, 1))
        return self._symatoms_cache

    def static_atoms_set(self, name: str, arity: int) -> frozenset[clingo.Symbol]:
        """`static_atoms` as a set, for membership tests."""
        return frozenset(self.static_atoms(name, arity))

    def static_atoms(self, name: str, arity: int) -> tuple[clingo.Symbol, ...]:
        """The atoms of a predicate that grounding decided (static facts; read once,
        since every question may ask, and there may be one per agent)."""
        key = (name, arity)
        if key not in self._static:
            self._static[key] = tuple(
                sa.symbol for sa in self.coalition.symbolic_atoms.by_signature(name, arity))
        return self._static[key]

    def is_public(self, target: clingo.Symbol) -> bool:
        """Whether the target is a declared public term (every agent holds it)."""
        return any(
            sa.symbol.arguments[0] == target
            for sa in self.coalition.symbolic_atoms.by_signature(names.PUBREL, 2)
        )

    def decode(self, s: clingo.Symbol) -> GTerm:
        """The ground term of a clingo symbol of the coalition program."""
        return self._decoder.term(s)

    def decode_name(self, s: clingo.Symbol) -> Name:
        """The name of a value or agent symbol of the coalition program."""
        return self._decoder.name(s)

    # ------------------------------------------------------------- internals

    @property
    def _decoder(self) -> Decoder:
        """The decoder of the coalition program (built once, with the public terms)."""
        if self._dec is None:
            self._dec = Decoder(self._compiler.lin_templates)
            for sa in self.coalition.symbolic_atoms.by_signature(names.PUBREL, 2):
                t, line = sa.symbol.arguments
                self._pub[self._dec.term(t)] = line.number
        return self._dec

    def _sym(self, t: GTerm) -> clingo.Symbol:
        return encode(t, self.agent_names)

    def _solve_one(self, ctl: clingo.Control) -> list[clingo.Symbol] | None:
        _set_models(ctl, 1)
        with ctl.solve(yield_=True) as h:
            for m in h:
                return list(m.symbols(shown=True))
        return None

    def _knowing(self, members, after, raw: dict[clingo.Symbol, list[clingo.Symbol]]
                 ) -> Knowledge:
        return Knowledge(members, after, self._pub, raw, self._decoder, self.agent_names,
                         bool(self.static_atoms(names.ONELIN, 2)))

    def _linear_view(
        self, know: Knowledge, exclude: frozenset[GTerm] = frozenset()
    ) -> tuple[list[dict[GTerm, int]], set[GTerm]]:
        """The coalition's linear observations (rows) and the atoms it knows."""
        terms = know.terms()
        rows = [dict(t.parts) for t in terms if isinstance(t, Lin) and t not in exclude]
        known = {t for t in terms if not isinstance(t, Lin)} | set(know.public)
        return rows, known


def _set_models(ctl: clingo.Control, n: int) -> None:
    """Set clingo's `solve.models` option (0: all models).

    clingo's stub types every configuration subkey as `None | str | Configuration`;
    `solve` is always a Configuration, which the stub cannot express.
    """
    ctl.configuration.solve.models = n  # type: ignore[union-attr]  # stub: subkeys are a union


def _quiet(code: clingo.MessageCode, message: str) -> None:
    """Drop clingo's messages (e.g. "domRec ignored: No domain atoms found."): tipasp
    reports what matters itself."""


def _fact(name: str, *args: clingo.Symbol) -> ast.AST:
    from .compile import LOC

    head = ast.Literal(
        LOC,
        ast.Sign.NoSign,
        ast.SymbolicAtom(ast.Function(LOC, name, [ast.SymbolicTerm(LOC, a) for a in args], 0)),
    )
    return ast.Rule(LOC, head, [])


def _split(syms: Iterable[clingo.Symbol]
           ) -> tuple[dict[clingo.Symbol, list[clingo.Symbol]], dict[str, list[clingo.Symbol]]]:
    """A model's shown atoms in one pass (each call into clingo costs): der/4 by the
    term derived, and the others by name."""
    raw: dict[clingo.Symbol, list[clingo.Symbol]] = {}
    other: dict[str, list[clingo.Symbol]] = {}
    for s in syms:
        name = s.name
        if name == names.DER:
            raw.setdefault(s.arguments[1], []).append(s)
        elif name == names.SPLITS:  # splits(X, tup(Parts)): each part, by split
            for part in s.arguments[1].arguments[0].arguments:
                raw.setdefault(part, []).append(s)
        else:
            other.setdefault(name, []).append(s)
    return raw, other


def _derivation(dec: Decoder, s: clingo.Symbol) -> Derivation:
    """The derivation recorded by one der(X, T, Rule, Premises) symbol."""
    _, _, r, prem = s.arguments
    if r.type == clingo.SymbolType.Function and r.arguments:
        if r.name == "holds":
            leaf = Leaf("holds", dec.name(r.arguments[0]), None, r.arguments[1].number)
        else:
            leaf = Leaf(r.name, dec.name(r.arguments[0]), r.arguments[1].number,
                        r.arguments[2].number)
        return Derivation(leaf.kind, (), leaf)
    return Derivation(r.name, tuple(dec.term(p) for p in prem.arguments))


def _provable(know: Knowledge, t: GTerm, shares: Mapping[GTerm, tuple[int, tuple[GTerm, ...]]]
              ) -> bool:
    """Whether the knower has `t` with a proof (a leaf, public, or a derivation that
    rests on neither gifts nor numeric results)."""
    if t in know.public or any(d.leaf is not None for d in know.derivations(t)):
        return True
    from .prover import derivable

    return derivable(know, t, frozenset(), shares)


def _numeric(comb, rows: list[dict[GTerm, int]]) -> Derivation:
    """A `linear` derivation from a linear.Combination over the coalition's rows."""
    from .terms import lin as mklin

    prem: list[GTerm] = []
    coefs: list = []
    for j, c in comb.rows:
        prem.append(mklin(rows[j]))
        coefs.append(c)
    for a, c in comb.known:
        prem.append(a)
        coefs.append(c)
    return Derivation("linear", tuple(prem), None, tuple(coefs))
