"""Exact linear knowledge: what a coalition's linear observations determine.

A coalition that received the values of some linear combinations of atoms (masked
sums ``x1 + m1 - m5``, shares, published totals), and that knows the values of some
atoms outright, knows exactly the combinations in the span of those rows and unit
vectors (docs/language.md: "a value is learned exactly when it is determined").
This module answers, in exact rational arithmetic (never floating-point rank):

* :func:`solve` -- is a target combination determined, and if so by which rows and
  known atoms, with which coefficients (a :class:`Combination`, shown to users as a
  proof step, so it is kept small);
* :func:`determined_atoms` -- every atom whose value is determined (the symbolic
  engine feeds these back: a determined atom may be a key that opens a ciphertext).

:class:`LinearSystem` does the same for repeated questions on one set of rows.

How it stays fast on 10^5 masked users:

* Known atoms are substituted first (they drop out of every row).
* Only the connected components of the bipartite row--atom graph that contain an atom
  of interest are touched (a breadth-first search over an incidence index; see
  :meth:`LinearSystem._component` for why this is not a networkx call).
* Elimination is sparse (one ``dict`` per row) with a minimum-degree pivot order, and
  very long rows (a published total over all users) are postponed until the sparse
  rows are eliminated, so a total over a ring of masks costs O(N), not O(N^2).
* Coefficients stay Python ``int`` while pivots are +-1 and only become
  :class:`fractions.Fraction` when a division is inexact.
* Deciding *which* pivot atoms are determined uses one random kernel vector computed
  modulo the prime 2^61 - 1: a non-zero entry is a certificate that the atom is not
  determined (the kernel vector is the image of an exact rational kernel vector).
  Atoms whose entry is zero are then confirmed exactly over the rationals, so the
  answer is always exact; the random vector only avoids exact work on atoms that
  are clearly free.
"""

from __future__ import annotations

import functools
import gc
import heapq
import numbers
import random
from collections.abc import Callable, Collection, Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction
from math import isqrt
from typing import Generic, ParamSpec, TypeVar

Coef = int | Fraction
"""An exact coefficient: an ``int`` whenever the value is integral, else a Fraction."""

K = TypeVar("K", bound=Hashable)
"""The atoms of one system (ground terms, strings, ...)."""

Row = Mapping[K, int | Fraction]
"""A linear combination of atoms: ``sum(coef * atom for atom, coef in row.items())``."""

_Vec = dict[int, Coef]  # a row over internal atom ids

_PRIME = (1 << 61) - 1  # a Mersenne prime: fast and far beyond any coefficient we expect
_SEED = 0x7195A5  # fixed: answers and timings are reproducible (exactness never depends on it)
_PREFIX_CAP = 1024  # most rows tried when looking for a short explanation
_PREFIX_NNZ = 50_000  # most non-zeros in those rows (each try re-eliminates them)

__all__ = [
    "Coef",
    "Combination",
    "LinearSystem",
    "Row",
    "determined_atoms",
    "solve",
    # the kernel, for other exact linear algebra over the same rows (dp.py)
    "Eliminator",
    "exact_coef",
    "reachable_rows",
    "without_gc",
]


_P = ParamSpec("_P")
_R = TypeVar("_R")


def without_gc(fn: Callable[_P, _R]) -> Callable[_P, _R]:
    """Run ``fn`` with the cyclic garbage collector paused (then restore its state).

    Elimination allocates hundreds of thousands of small dicts and no reference
    cycles; with the collector on, its repeated full scans of the growing heap made
    10^5 users about 1.5x slower (measured), for nothing to collect.
    """

    @functools.wraps(fn)
    def wrapper(*args: _P.args, **kwargs: _P.kwargs) -> _R:
        if not gc.isenabled():
            return fn(*args, **kwargs)
        gc.disable()
        try:
            return fn(*args, **kwargs)
        finally:
            gc.enable()

    return wrapper


# ------------------------------------------------------------------------ the answer


@dataclass(frozen=True)
class Combination(Generic[K]):
    """An explanation of a determined target.

    ``target == sum(c * rows[j] for j, c in self.rows) + sum(d * a for a, d in self.known)``
    holds exactly (as linear combinations of atoms), where ``rows`` is the sequence
    given to :func:`solve` and every atom in ``known`` is one of the known atoms.

    Attributes:
        rows: ``(row index, coefficient)`` pairs, ascending by index, coefficients
            non-zero.  The rows used are linearly independent (after substituting
            the known atoms), so no row can be dropped from the explanation.
        known: ``(known atom, coefficient)`` pairs with non-zero coefficients, in the
            order the atoms first occur in the target and then in the rows used.
    """

    rows: tuple[tuple[int, Fraction], ...]
    known: tuple[tuple[K, Fraction], ...]

    def as_row(self, rows: Sequence[Row[K]]) -> dict[K, Fraction]:
        """The combination evaluated as a row (zero coefficients dropped).

        Used to check an explanation: it must equal the target it explains.
        """
        acc: dict[K, Fraction] = {}
        for j, c in self.rows:
            for a, v in rows[j].items():
                acc[a] = acc.get(a, Fraction(0)) + c * v
        for a, d in self.known:
            acc[a] = acc.get(a, Fraction(0)) + d
        return {a: v for a, v in acc.items() if v != 0}


# ---------------------------------------------------------------- exact coefficients


def exact_coef(c: object) -> Coef:
    """An exact coefficient from user input; floats are refused (they are not exact)."""
    if type(c) is int:
        return c
    if isinstance(c, Fraction):
        return c.numerator if c.denominator == 1 else c
    if isinstance(c, numbers.Integral):  # bool, numpy integers
        return int(c)
    if isinstance(c, numbers.Rational):
        f = Fraction(int(c.numerator), int(c.denominator))
        return f.numerator if f.denominator == 1 else f
    raise TypeError(f"linear coefficient {c!r} is not exact (use int or fractions.Fraction)")


def _div(a: Coef, b: Coef) -> Coef:
    """``a / b`` exactly, as an int when the quotient is integral."""
    if type(a) is int and type(b) is int:
        q, r = divmod(a, b)
        if r == 0:
            return q
        return Fraction(a, b)
    f = Fraction(a) / b
    return f.numerator if f.denominator == 1 else f


def _norm(v: Coef) -> Coef:
    """Turn an integral Fraction back into an int (keeps the fast int path alive)."""
    if type(v) is Fraction and v.denominator == 1:
        return v.numerator
    return v


def _axpy(dst: dict, f: Coef, src: Mapping) -> None:
    """``dst -= f * src`` in place, dropping entries that become zero."""
    for k, v in src.items():
        w = dst.get(k, 0) - f * v
        if w == 0:
            dst.pop(k, None)
        else:
            dst[k] = _norm(w)


# ------------------------------------------------------------------- the eliminator


class Eliminator:
    """Sparse exact Gaussian elimination with a minimum-degree pivot order.

    Rows are ``dict`` (atom id -> coefficient).  Pivots are taken only on atoms for
    which ``eligible`` holds (all atoms by default); the privacy module uses this to
    eliminate masks first.  After :meth:`add`, the pivot rows are in echelon form:
    pivot row ``k`` contains its pivot atom and otherwise only atoms that are pivots
    of later rows or are never pivots.  ``leftover`` holds the non-zero rows that
    have no eligible atom left; rows that reduce to zero are linearly dependent and
    are dropped.

    With ``track=True`` every row carries its provenance: a dict (original row
    index -> coefficient) such that the row equals that combination of the
    original rows.
    """

    def __init__(self, eligible: Callable[[int], bool] | None = None, track: bool = False):
        self.eligible = eligible
        self.track = track
        self.pivot_atom: list[int] = []
        self.pivot_row: list[_Vec] = []
        self.pivot_prov: list[dict[int, Coef] | None] = []
        self.index: dict[int, int] = {}  # pivot atom -> its position in the pivot order
        self.leftover: list[tuple[_Vec, dict[int, Coef] | None]] = []

    # The public entry point ---------------------------------------------------------

    def add(self, rows: Iterable[tuple[int, Mapping[int, Coef]]]) -> None:
        """Eliminate the given ``(original index, row)`` pairs (rows are copied).

        Sparse rows go first; rows much longer than typical (a published total over
        every user) are postponed and reduced against the sparse pivots afterwards,
        which keeps the elimination of a ring of masks plus its total linear.
        """
        track = self.track
        reduce_first = bool(self.index)
        batch: list[tuple[_Vec, dict[int, Coef] | None]] = []
        nnz = 0
        for j, r in rows:
            v = dict(r)
            p: dict[int, Coef] | None = {j: 1} if track else None
            if reduce_first:
                self.reduce(v, p)
            if v:
                batch.append((v, p))
                nnz += len(v)
        if not batch:
            return
        limit = max(64, 4 * isqrt(nnz))
        sparse: list[tuple[_Vec, dict[int, Coef] | None]] = []
        dense: list[tuple[_Vec, dict[int, Coef] | None]] = []
        for rp in batch:
            (dense if len(rp[0]) > limit else sparse).append(rp)
        self._run(sparse)
        if dense:
            reduced = []
            for v, p in dense:
                self.reduce(v, p)
                if v:
                    reduced.append((v, p))
            self._run(reduced)

    def reduce(self, v: _Vec, prov: dict[int, Coef] | None = None) -> dict[int, Coef] | None:
        """Reduce ``v`` in place by the pivot rows, so that no pivot atom is left in it.

        Returns (and updates) ``prov``: the combination of original rows that was
        subtracted is *subtracted* from ``prov`` (so a row and its provenance stay
        equal).  Pivots are processed in pivot order; subtracting pivot row ``k``
        only brings in atoms of later pivots, so the loop terminates.
        """
        index = self.index
        heap = [index[a] for a in v if a in index]
        heapq.heapify(heap)
        while heap:
            k = heapq.heappop(heap)
            a = self.pivot_atom[k]
            ca = v.get(a)
            if ca is None:
                continue
            prow = self.pivot_row[k]
            f = _div(ca, prow[a])
            for b, cb in prow.items():
                w = v.get(b, 0) - f * cb
                if w == 0:
                    v.pop(b, None)
                else:
                    if b not in v and b in index:
                        heapq.heappush(heap, index[b])
                    v[b] = _norm(w)
            if prov is not None:
                pp = self.pivot_prov[k]
                assert pp is not None
                _axpy(prov, f, pp)
        return prov

    # The minimum-degree loop ---------------------------------------------------------

    def _run(self, batch: list[tuple[_Vec, dict[int, Coef] | None]]) -> None:
        if len(batch) == 1:  # common (a lone total): no column index needed
            r, p = batch[0]
            eligible = self.eligible
            cands = [a for a in r if eligible is None or eligible(a)]
            if not cands:
                self.leftover.append((r, p))
                return
            a = next((b for b in cands if abs(r[b]) == 1), cands[0])
            self.index[a] = len(self.pivot_atom)
            self.pivot_atom.append(a)
            self.pivot_row.append(r)
            self.pivot_prov.append(p)
            return
        rows = [r for r, _ in batch]
        provs = [p for _, p in batch]
        eligible = self.eligible
        col: dict[int, set[int]] = {}
        for i, r in enumerate(rows):
            for a in r:
                if eligible is None or eligible(a):
                    s = col.get(a)
                    if s is None:
                        col[a] = {i}
                    else:
                        s.add(i)
        # Minimum degree: atoms in exactly one row (free pivots, no update) come from a
        # stack; the others from a lazy heap keyed by their current column count.
        singles = [a for a, s in col.items() if len(s) == 1]
        heap = [(len(s), a) for a, s in col.items() if len(s) > 1]
        heapq.heapify(heap)
        pivot_atom, pivot_row, pivot_prov, index = (
            self.pivot_atom, self.pivot_row, self.pivot_prov, self.index)
        while True:
            if singles:
                a = singles.pop()
                s = col.get(a)
                if s is None or len(s) != 1:
                    continue
            elif heap:
                cnt, a = heapq.heappop(heap)
                s = col.get(a)
                if s is None or len(s) != cnt:
                    if s:
                        heapq.heappush(heap, (len(s), a))
                    continue
            else:
                break
            if len(s) == 1:
                (best,) = s
            else:
                # Prefer a +-1 pivot (keeps integers), then the shortest row.
                best = -1
                best_key = (True, 0, 0)
                for i in s:
                    r = rows[i]
                    key = (abs(r[a]) != 1, len(r), i)
                    if best < 0 or key < best_key:
                        best, best_key = i, key
            prow = rows[best]
            pprov = provs[best]
            c = prow[a]
            del col[a]
            s.discard(best)
            for b in prow:
                sb = col.get(b)
                if sb is not None:
                    sb.discard(best)
            for i in s:
                r = rows[i]
                f = _div(r[a], c)
                for b, cb in prow.items():
                    w = r.get(b, 0) - f * cb
                    if w == 0:
                        if r.pop(b, None) is not None:
                            sb = col.get(b)
                            if sb is not None:
                                sb.discard(i)
                    else:
                        if b not in r:
                            sb = col.get(b)
                            if sb is not None:
                                sb.add(i)
                        r[b] = _norm(w)
                if pprov is not None:
                    p = provs[i]
                    assert p is not None
                    _axpy(p, f, pprov)
            for b in prow:
                sb = col.get(b)
                if sb is not None:
                    n = len(sb)
                    if n == 0:
                        del col[b]
                    elif n == 1:
                        singles.append(b)
                    else:
                        heapq.heappush(heap, (n, b))
            index[a] = len(pivot_atom)
            pivot_atom.append(a)
            pivot_row.append(prow)
            pivot_prov.append(pprov)
            rows[best] = {}  # taken: not a leftover
        for r, p in zip(rows, provs, strict=True):
            if r:
                self.leftover.append((r, p))


# --------------------------------------------------------------------- the system



def reachable_rows(
    rows: Sequence[Mapping[int, object]], col: Sequence[Sequence[int]], seeds: Iterable[int]
) -> list[int]:
    """Rows (ascending) reachable from the seed atoms in the bipartite row--atom graph.

    `rows[j]` maps atom ids of row j to coefficients; `col[a]` lists the rows of atom a.
    This is the connected-component decomposition of DESIGN.md, restricted to the
    components that matter. It is a plain search over incidence lists rather than a
    networkx call: for 10^5 masked users, building the networkx graph alone took
    about 1.1 s of the 2 s budget (measured), while this search visits only the
    components asked for, in linear time.
    """
    seen_rows: set[int] = set()
    seen = set(seeds)
    stack = list(seen)
    while stack:
        a = stack.pop()
        for j in col[a]:
            if j in seen_rows:
                continue
            seen_rows.add(j)
            for b in rows[j]:
                if b not in seen:
                    seen.add(b)
                    stack.append(b)
    return sorted(seen_rows)

class LinearSystem(Generic[K]):
    """A coalition's linear view: observed rows and known atoms, indexed once.

    Build it once and ask :meth:`solve` and :meth:`determined_atoms` as often as
    needed; the module-level functions of the same names are one-shot wrappers.
    """

    @without_gc
    def __init__(self, rows: Sequence[Row[K]], known: Collection[K]):
        self.rows = rows
        self.known = known if isinstance(known, (set, frozenset)) else set(known)
        ids: dict[K, int] = {}
        atoms: list[K] = []
        col: list[list[int]] = []
        is_known: list[bool] = []
        known_set = self.known
        out: list[_Vec] = []
        # One hash per occurrence: known atoms get an id too, flagged, and are skipped.
        for j, row in enumerate(rows):
            v: _Vec = {}
            for a, c in row.items():
                if type(c) is not int:
                    c = exact_coef(c)
                if not c:
                    continue
                i = ids.get(a)
                if i is None:
                    i = ids[a] = len(atoms)
                    atoms.append(a)
                    col.append([])
                    is_known.append(a in known_set)
                if is_known[i]:
                    continue
                v[i] = c
                col[i].append(j)
            out.append(v)
        self._id = ids
        self._atom = atoms
        self._rows = out
        self._is_known = is_known
        self._col = col

    # Decomposition --------------------------------------------------------------------

    def _component(self, seeds: Iterable[int]) -> list[int]:
        """Rows (ascending) reachable from the seed atoms: see `reachable_rows`."""
        return reachable_rows(self._rows, self._col, seeds)

    # solve ---------------------------------------------------------------------------

    @without_gc
    def solve(self, target: Row[K]) -> Combination[K] | None:
        """An explanation of ``target`` from the rows and known atoms, or None.

        None means the target combination is not determined: it is not in the span
        of the rows and the unit vectors of the known atoms.  Otherwise the returned
        :class:`Combination` reproduces the target exactly, uses only rows of the
        target's connected components, and uses as few rows as a bounded search
        finds (see :meth:`_short_explanation`; failing that, the whole component).
        """
        t: _Vec = {}
        for a, c in target.items():
            c = exact_coef(c)
            if c == 0 or a in self.known:
                continue
            i = self._id.get(a)
            if i is None:
                return None  # an unknown atom that no row mentions
            t[i] = t.get(i, 0) + c
        if not t:
            return self._combination(target, {})
        chosen = self._short_explanation(t)
        if chosen is None:
            # No short explanation: decide on the whole connected component (one
            # tracked elimination both decides and explains).
            chosen = self._component(t)
        elim = Eliminator(track=True)
        elim.add((j, self._rows[j]) for j in chosen)
        residual = dict(t)
        prov = elim.reduce(residual, {})
        if residual:
            return None
        assert prov is not None
        # residual = t - sum(prov) == 0, so t = -prov as a combination of rows
        coefs = {j: -c for j, c in prov.items() if c != 0}
        return self._combination(target, coefs)

    def _short_explanation(self, t: _Vec) -> list[int] | None:
        """A small set of rows whose span (with the known atoms) contains ``t``, or None.

        First a single row proportional to ``t``; then growing prefixes (1, 2, 4, ...
        rows) of the rows nearest the target, ranked by the share of their atoms that
        are target atoms, within a budget of ``_PREFIX_CAP`` rows and
        ``_PREFIX_NNZ`` non-zeros.  This touches only a neighbourhood of the target,
        not its whole component; None means "nothing small found", not "undetermined".
        """
        rows = self._rows
        ranked = self._nearest_rows(t, _PREFIX_CAP)
        n = len(t)
        for j in ranked:
            r = rows[j]
            if len(r) == n and r.keys() == t.keys():
                ratio = None
                for a, c in t.items():
                    q = _div(c, r[a])
                    if ratio is None:
                        ratio = q
                    elif q != ratio:
                        break
                else:
                    return [j]
        budget: list[int] = []
        nnz = 0
        for j in ranked:
            nnz += len(rows[j])
            if nnz > _PREFIX_NNZ:
                break
            budget.append(j)
        k = 1
        while k <= len(budget):
            if self._in_span(budget[:k], t):
                return sorted(budget[:k])
            if k == len(budget):
                break
            k = min(2 * k, len(budget))
        return None

    def _nearest_rows(self, t: _Vec, cap: int) -> list[int]:
        """Up to about ``cap`` rows near the target, in breadth-first layers from its atoms.

        Layer 0 (every row with a target atom) is ranked by the share of the row's
        atoms that are target atoms, then by length; later layers by length, and
        the search stops as soon as ``cap`` rows are collected.
        """
        rows, col = self._rows, self._col
        seen_rows: set[int] = set()
        seen_atoms = set(t)
        frontier = list(t)
        out: list[int] = []
        first = True
        while frontier and len(out) < cap:
            layer: list[int] = []
            nxt: list[int] = []
            for a in frontier:
                if not first and len(out) + len(layer) >= cap:
                    break
                for j in col[a]:
                    if j in seen_rows:
                        continue
                    seen_rows.add(j)
                    layer.append(j)
                    for b in rows[j]:
                        if b not in seen_atoms:
                            seen_atoms.add(b)
                            nxt.append(b)
            if first:
                layer.sort(key=lambda j: (-sum(1 for a in rows[j] if a in t) / len(rows[j]),
                                          len(rows[j]), j))
                first = False
            else:
                layer.sort(key=lambda j: (len(rows[j]), j))
            out.extend(layer)
            frontier = nxt
        return out

    def _in_span(self, row_ids: Sequence[int], t: _Vec) -> bool:
        elim = Eliminator()
        elim.add((j, self._rows[j]) for j in row_ids)
        residual = dict(t)
        elim.reduce(residual)
        return not residual

    def _combination(self, target: Row[K], coefs: Mapping[int, Coef]) -> Combination[K]:
        """Complete the row coefficients with the known atoms' coefficients, and check.

        ``d_a = target[a] - sum_j c_j rows[j][a]`` for each known atom ``a``; every
        unknown atom must cancel exactly, which is checked here (an explanation is
        a proof step, so it is verified before it leaves this module).
        """
        known_set = self.known
        acc: dict[K, Coef] = {}  # insertion order: target atoms, then row atoms
        for a, c in target.items():
            if type(c) is not int:
                c = exact_coef(c)
            acc[a] = _norm(acc.get(a, 0) + c)
        used = sorted(coefs)
        for j in used:
            cj = coefs[j]
            for a, v in self.rows[j].items():
                if type(v) is not int:
                    v = exact_coef(v)
                w = acc.get(a, 0) - cj * v
                acc[a] = w if type(w) is int else _norm(w)
        known = []
        for a, v in acc.items():
            if v == 0:
                continue
            if a not in known_set:  # an unknown atom did not cancel
                raise AssertionError(f"internal error: linear explanation leaves {a!r}")
            known.append((a, Fraction(v)))
        return Combination(tuple((j, Fraction(coefs[j])) for j in used), tuple(known))

    # determined_atoms ----------------------------------------------------------------

    @without_gc
    def determined_atoms(self, candidates: Collection[K] | None = None) -> set[K]:
        """Every candidate atom whose value is determined.

        Candidates default to every atom appearing in the rows.  A known candidate is
        determined (trivially) and is included; a candidate that is neither known nor
        in any row is not.
        """
        out: set[K] = set()
        if candidates is None:
            cand_ids = set(range(len(self._atom)))
            out |= {a for a, k in zip(self._atom, self._is_known, strict=True) if k}
            row_ids: Sequence[int] = range(len(self._rows))
        else:
            cand_ids = set()
            for a in candidates:
                if a in self.known:
                    out.add(a)
                elif a in self._id:
                    cand_ids.add(self._id[a])
            if not cand_ids:
                return out
            row_ids = self._component(cand_ids)
        elim = Eliminator()
        elim.add((j, self._rows[j]) for j in row_ids if self._rows[j])
        maybe = [a for a in cand_ids if a in elim.index]
        if not maybe:
            return out
        z = _kernel_sample(elim)
        maybe = [a for a in maybe if z[a] == 0]
        for i in _exact_determined(elim, maybe):
            out.add(self._atom[i])
        return out


def _modp(c: Coef) -> int:
    """``c`` modulo the prime; raises ZeroDivisionError if its denominator vanishes mod p."""
    if type(c) is int:
        return c % _PRIME
    assert isinstance(c, Fraction)
    return c.numerator * pow(c.denominator, -1, _PRIME) % _PRIME


def _kernel_sample(elim: Eliminator) -> Mapping[int, Coef]:
    """A random vector z with ``row . z == 0`` for every pivot row (a kernel vector).

    Free atoms (never pivots) get random non-zero values; pivot atoms are solved for
    in reverse pivot order.  Computed modulo p = 2^61 - 1; this is the image of the
    exact rational kernel vector with the same free values, as long as no
    denominator or pivot coefficient is divisible by p -- if one is, the vector is
    recomputed over the rationals.  Either way ``z[a] != 0`` proves that atom ``a``
    is not determined (a determined atom is zero on every kernel vector).
    """
    rng = random.Random(_SEED)
    try:
        z: dict[int, int] = {}
        for k in range(len(elim.pivot_atom) - 1, -1, -1):
            a = elim.pivot_atom[k]
            row = elim.pivot_row[k]
            s = 0
            for b, cb in row.items():
                if b == a:
                    continue
                zb = z.get(b)
                if zb is None:
                    zb = z[b] = rng.getrandbits(60) | 1  # non-zero modulo p
                s += _modp(cb) * zb
            z[a] = -s * pow(_modp(row[a]), -1, _PRIME) % _PRIME
        return z
    except (ZeroDivisionError, ValueError):
        pass
    rng = random.Random(_SEED)
    zq: dict[int, Coef] = {}
    for k in range(len(elim.pivot_atom) - 1, -1, -1):
        a = elim.pivot_atom[k]
        row = elim.pivot_row[k]
        s2: Coef = 0
        for b, cb in row.items():
            if b == a:
                continue
            zb2 = zq.get(b)
            if zb2 is None:
                zb2 = zq[b] = rng.getrandbits(60) | 1
            s2 = s2 + cb * zb2
        zq[a] = _div(-s2, row[a])
    return zq


def _exact_determined(elim: Eliminator, atoms: Iterable[int]) -> list[int]:
    """The given pivot atoms that are determined, decided exactly.

    A pivot atom is determined iff its row in the reduced row echelon form has no
    free (non-pivot) atom.  That "free part" is computed by back-substitution in
    reverse pivot order, memoised, and only for the atoms asked about and the
    pivot atoms their rows refer to.
    """
    index = elim.index
    need: set[int] = set()
    stack = list(atoms)
    while stack:
        a = stack.pop()
        if a in need:
            continue
        need.add(a)
        for b in elim.pivot_row[index[a]]:
            if b != a and b in index and b not in need:
                stack.append(b)
    free_part: dict[int, dict[int, Coef]] = {}
    for a in sorted(need, key=index.__getitem__, reverse=True):
        row = elim.pivot_row[index[a]]
        acc: dict[int, Coef] = {}
        for b, cb in row.items():
            if b == a:
                continue
            if b in index:
                for f, cf in free_part[b].items():
                    w = acc.get(f, 0) + cb * cf
                    if w == 0:
                        acc.pop(f, None)
                    else:
                        acc[f] = _norm(w)
            else:
                w = acc.get(b, 0) + cb
                if w == 0:
                    acc.pop(b, None)
                else:
                    acc[b] = _norm(w)
        ca = row[a]
        free_part[a] = {f: _div(-w, ca) for f, w in acc.items()}
    return [a for a in atoms if not free_part[a]]


# ------------------------------------------------------------------ one-shot API


def solve(rows: Sequence[Row[K]], known: Collection[K], target: Row[K]) -> Combination[K] | None:
    """Is ``target`` determined by the values of ``rows`` and of the ``known`` atoms?

    Returns None when it is not (the target is not in the span of the rows and the
    known atoms' unit vectors); otherwise a :class:`Combination` with
    ``target == sum(c_j * rows[j]) + sum(d_a * a)`` exactly, using only rows of the
    target's connected components and as few rows as a bounded search finds.
    """
    return LinearSystem(rows, known).solve(target)


def determined_atoms(
    rows: Sequence[Row[K]],
    known: Collection[K],
    candidates: Collection[K] | None = None,
) -> set[K]:
    """Every atom among ``candidates`` (default: all atoms in ``rows``) that is determined.

    Known candidates are included.  Exact: the answer never depends on floating point
    or on chance (see the module docstring for the random kernel vector, which only
    speeds up the exact test).
    """
    return LinearSystem(rows, known).determined_atoms(candidates)
