"""Exact linear knowledge (tipasp.linear): public oracles and a property test.

The oracles are the linear facts of DESIGN.md "Oracles to test against": secure
aggregation with pairwise masks (Bonawitz et al. 2017), the ring of masks of
docs/language.md, and a published total.  The property test compares
`solve` and `determined_atoms` with a deliberately naive dense Gaussian elimination
over fractions, written here independently of the module under test.
"""

from __future__ import annotations

import itertools
import random
from collections.abc import Hashable, Mapping, Sequence
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tipasp.linear import Combination, LinearSystem, determined_atoms, solve

# ----------------------------------------------------------------------- helpers


def naive_rank(vectors: Sequence[Mapping[Hashable, object]]) -> int:
    """Rank over the rationals by textbook dense Gaussian elimination."""
    atoms = sorted({a for v in vectors for a in v}, key=repr)
    m = [[Fraction(v.get(a, 0)) for a in atoms] for v in vectors]  # type: ignore[arg-type]
    rank = 0
    for c in range(len(atoms)):
        p = next((i for i in range(rank, len(m)) if m[i][c] != 0), None)
        if p is None:
            continue
        m[rank], m[p] = m[p], m[rank]
        for i in range(len(m)):
            if i != rank and m[i][c] != 0:
                f = m[i][c] / m[rank][c]
                m[i] = [x - f * y for x, y in zip(m[i], m[rank], strict=True)]
        rank += 1
    return rank


class NaiveSpan:
    """The span of some vectors, as a dense reduced row echelon form over fractions."""

    def __init__(self, vectors: Sequence[Mapping[Hashable, object]]):
        self.pivots: list[tuple[Hashable, dict[Hashable, Fraction]]] = []
        for v in vectors:
            r = self._reduce(v)
            if r:
                a = min(r, key=repr)
                r = {b: c / r[a] for b, c in r.items()}
                self.pivots = [(p, self._eliminate(row, a, r)) for p, row in self.pivots]
                self.pivots.append((a, r))

    @staticmethod
    def _eliminate(row, a, r):
        if a not in row:
            return row
        f = row[a]
        out = dict(row)
        for b, c in r.items():
            out[b] = out.get(b, Fraction(0)) - f * c
        return {b: c for b, c in out.items() if c != 0}

    def _reduce(self, v):
        r = {a: Fraction(c) for a, c in v.items() if c != 0}  # type: ignore[arg-type]
        for a, row in self.pivots:
            r = self._eliminate(r, a, row)
        return r

    def contains(self, v) -> bool:
        return not self._reduce(v)


def naive_determined(rows, known, target) -> bool:
    return NaiveSpan(list(rows) + [{a: 1} for a in known]).contains(target)


def check_combination(comb: Combination, rows, known, target) -> None:
    """The explanation reproduces the target exactly, from known atoms and independent rows."""
    want = {a: Fraction(c) for a, c in target.items() if c != 0}
    assert comb.as_row(rows) == want
    assert all(a in known for a, _ in comb.known)
    assert all(c != 0 for _, c in comb.rows) and all(d != 0 for _, d in comb.known)
    idx = [j for j, _ in comb.rows]
    assert idx == sorted(set(idx))
    reduced = [{a: c for a, c in rows[j].items() if a not in known} for j in idx]
    assert naive_rank(reduced) == len(reduced)  # no row can be dropped


def x(i: int) -> tuple[str, int]:
    return ("x", i)


def ssum(*ids: int) -> dict:
    return {x(i): 1 for i in ids}


# ------------------------------------------------------ secure aggregation (Bonawitz)


def bonawitz(n: int = 4):
    """User i sends x_i + sum_{j>i} m_ij - sum_{j<i} m_ji; the masks cancel in the sum."""
    def m(i, j):
        return ("m", min(i, j), max(i, j))

    rows = []
    for i in range(1, n + 1):
        r = {x(i): 1}
        for j in range(1, n + 1):
            if j != i:
                r[m(i, j)] = 1 if i < j else -1
        rows.append(r)

    def holds(i):  # a user holds its value and every mask it shares
        return {x(i)} | {m(i, j) for j in range(1, n + 1) if j != i}

    return rows, holds, m


def test_bonawitz_server_learns_only_the_sum():
    rows, _, _ = bonawitz()
    comb = solve(rows, set(), ssum(1, 2, 3, 4))
    assert comb is not None
    check_combination(comb, rows, set(), ssum(1, 2, 3, 4))
    assert [c for _, c in comb.rows] == [1, 1, 1, 1]
    for i in range(1, 5):
        assert solve(rows, set(), ssum(i)) is None
    assert solve(rows, set(), ssum(1, 2)) is None
    assert determined_atoms(rows, set(), [x(i) for i in range(1, 5)]) == set()


@pytest.mark.parametrize(
    ("colluders", "learned", "not_learned"),
    [
        ((2,), (1, 3, 4), [(1,), (1, 3), (3, 4)]),
        ((2, 3), (1, 4), [(1,), (4,)]),
        ((2, 3, 4), (1,), []),
    ],
)
def test_bonawitz_colluding_users(colluders, learned, not_learned):
    rows, holds, _ = bonawitz()
    known = set().union(*(holds(u) for u in colluders))
    comb = solve(rows, known, ssum(*learned))
    assert comb is not None
    check_combination(comb, rows, known, ssum(*learned))
    for t in not_learned:
        assert solve(rows, known, ssum(*t)) is None
    det = determined_atoms(rows, known, [x(i) for i in range(1, 5)])
    expect = {x(i) for i in colluders} | ({x(learned[0])} if len(learned) == 1 else set())
    assert det == expect


def test_bonawitz_dropout_with_revealed_masks():
    rows, holds, m = bonawitz()
    sent = rows[:3]  # u4 drops after sharing its masks; its message never arrives
    revealed = {m(4, j) for j in (1, 2, 3)}  # the server unmasks with u4's mask shares
    assert solve(sent, revealed, ssum(1, 2, 3)) is not None  # the protocol's purpose
    known = holds(2) | holds(3) | revealed
    comb = solve(sent, known, ssum(1))
    assert comb is not None
    check_combination(comb, sent, known, ssum(1))
    assert comb.rows == ((0, Fraction(1)),)
    # without the revealed masks, the same coalition does not learn x1
    assert solve(sent, holds(2) | holds(3), ssum(1)) is None


# ---------------------------------------------------------------- the ring of masks


def ring(n: int, total: bool = False):
    """docs/language.md: u[i] sends x[i] + m[i] - m[i-1]; m[i] held by u[i], u[i+1]."""
    def mk(i):
        return ("m", (i - 1) % n + 1)

    rows = [{x(i): 1, mk(i): 1, mk(i - 1): -1} for i in range(1, n + 1)]
    if total:
        rows.append(ssum(*range(1, n + 1)))

    def holds(i):
        return {x(i), mk(i), mk(i - 1)}

    return rows, holds


def test_ring_server_alone_learns_total_not_x1():
    rows, _ = ring(5)
    assert solve(rows, set(), ssum(1)) is None
    comb = solve(rows, set(), ssum(1, 2, 3, 4, 5))
    assert comb is not None
    check_combination(comb, rows, set(), ssum(1, 2, 3, 4, 5))
    assert determined_atoms(rows, set()) == set()


def test_ring_server_with_both_neighbours_learns_x1():
    rows, holds = ring(5)
    known = holds(2) | holds(5)
    comb = solve(rows, known, ssum(1))
    assert comb is not None
    check_combination(comb, rows, known, ssum(1))
    # the proof step of docs/proofs.md: x[1] = (1) - (2) + (3)
    assert comb.rows == ((0, Fraction(1)),)
    assert dict(comb.known) == {("m", 1): -1, ("m", 5): 1}
    assert determined_atoms(rows, known, [x(i) for i in range(1, 6)]) == {x(1), x(2), x(5)}
    # one neighbour is not enough
    assert solve(rows, holds(2), ssum(1)) is None


def test_ring_published_total_is_explained_by_the_total_row():
    rows, _ = ring(200, total=True)
    comb = solve(rows, set(), ssum(*range(1, 201)))
    assert comb is not None and comb.rows == ((200, Fraction(1)),)
    rows2, holds = ring(200, total=True)
    known = holds(2) | holds(200)
    assert determined_atoms(rows2, known, [x(i) for i in range(1, 201)]) == {
        x(1), x(2), x(200)
    }


def test_three_users_and_a_published_total():
    rows = [ssum(1, 2, 3)]
    for a, b in itertools.combinations((1, 2, 3), 2):
        (c,) = {1, 2, 3} - {a, b}
        comb = solve(rows, {x(a), x(b)}, ssum(c))
        assert comb is not None
        check_combination(comb, rows, {x(a), x(b)}, ssum(c))
        assert dict(comb.known) == {x(a): -1, x(b): -1}
        assert solve(rows, {x(a)}, ssum(c)) is None


# ------------------------------------------------------------------- details of the API


def test_fractions_and_known_target_atoms():
    rows = [{"a": Fraction(1, 2), "b": 3}, {"b": 2, "c": -1}]
    comb = solve(rows, {"c"}, {"a": 1, "c": 5})
    assert comb is not None
    check_combination(comb, rows, {"c"}, {"a": 1, "c": 5})
    assert solve(rows, set(), {"a": 1}) is None
    # a target made only of known atoms needs no row
    assert solve(rows, {"c"}, {"c": 2}) == Combination((), (("c", Fraction(2)),))
    # an unknown atom that no row mentions
    assert solve(rows, set(), {"z": 1}) is None
    assert solve(rows, set(), {"z": 0}) == Combination((), ())


def test_determined_atoms_candidates_and_known():
    rows = [{"a": 1, "b": 1}, {"b": 1}]
    assert determined_atoms(rows, set()) == {"a", "b"}
    assert determined_atoms(rows, {"k"}, ["a", "k", "z"]) == {"a", "k"}
    rows = [{"a": 1, "k": 1}, {"c": 1, "d": 1}]
    assert determined_atoms(rows, {"k"}) == {"a", "k"}


def test_cancellation_in_back_substitution():
    # a + b + c and b + c determine a although a's row mentions undetermined atoms
    rows = [{"a": 1, "b": 1, "c": 1}, {"b": 1, "c": 1}]
    assert determined_atoms(rows, set()) == {"a"}
    comb = solve(rows, set(), {"a": 1})
    assert comb is not None and comb.rows == ((0, Fraction(1)), (1, Fraction(-1)))


def test_floats_are_refused():
    with pytest.raises(TypeError):
        solve([{"a": 0.5}], set(), {"a": 1})


def test_huge_denominators_fall_back_to_exact_kernel():
    p = (1 << 61) - 1  # the modulus of the random kernel vector
    rows = [{"a": Fraction(1, p), "b": 1}, {"b": 1, "c": 1}, {"c": 1}]
    assert determined_atoms(rows, set()) == {"a", "b", "c"}
    rows = [{"a": p, "b": 1}, {"b": p, "c": 1}]
    assert determined_atoms(rows, set()) == set()


def test_linear_system_reuse_matches_one_shot():
    rows, holds = ring(30, total=True)
    known = holds(7) | holds(9)
    sys_ = LinearSystem(rows, known)
    for i in range(1, 31):
        assert (sys_.solve(ssum(i)) is None) == (solve(rows, known, ssum(i)) is None)
    assert sys_.determined_atoms() == determined_atoms(rows, known)
    assert x(8) in sys_.determined_atoms()


def test_larger_random_system_with_long_rows_agrees_with_naive():
    rnd = random.Random(7)
    atoms = [f"a{i}" for i in range(120)]
    rows = []
    for _ in range(70):
        k = rnd.choice([2, 3, 3, 4]) if rnd.random() < 0.9 else 100  # a few long rows
        rows.append({a: rnd.choice([-2, -1, 1, 1, 2, 3]) for a in rnd.sample(atoms, k)})
    rows += [{"a1": 1}, {"a2": 1, "a3": -1}]
    known = set(rnd.sample(atoms, 15))
    det = determined_atoms(rows, known)
    span = NaiveSpan(rows + [{a: 1} for a in known])
    seen = {a for r in rows for a in r}
    assert len(det - known) > 3  # the system is not trivial
    for a in seen:
        assert (a in det) == span.contains({a: 1}), a
    found = 0
    for _ in range(60):
        pool = sorted(det) if rnd.random() < 0.5 else sorted(seen)
        t = {a: rnd.choice([-1, 1, 2]) for a in rnd.sample(pool, rnd.randint(1, 3))}
        comb = solve(rows, known, t)
        assert (comb is not None) == span.contains(t)
        if comb is not None:
            found += 1
            check_combination(comb, rows, known, t)
    assert found >= 20


# ----------------------------------------------------------------------- property test

ATOMS = [f"v{i}" for i in range(6)]
coef = st.integers(min_value=-3, max_value=3)
row_st = st.dictionaries(st.sampled_from(ATOMS), coef, min_size=1, max_size=4)


@settings(max_examples=300, deadline=None)
@given(
    rows=st.lists(row_st, min_size=0, max_size=6),
    known=st.sets(st.sampled_from(ATOMS), max_size=3),
    target=row_st,
)
def test_solve_agrees_with_naive_elimination(rows, known, target):
    comb = solve(rows, known, target)
    assert (comb is not None) == naive_determined(rows, known, target)
    if comb is not None:
        check_combination(comb, rows, known, target)
    det = determined_atoms(rows, known, ATOMS)
    for a in ATOMS:
        assert (a in det) == naive_determined(rows, known, {a: 1})
