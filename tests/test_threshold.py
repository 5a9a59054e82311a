"""Threshold sharing in `who learns`: the necessity analysis (rules/necessity.lp) and
the counting tree (rules/sharing.lp) speed the search up without changing its answers.

Every spec here is also decided by brute force: each allowed coalition is asked
explicitly (`Engine.knowledge`, fixed mode, where the redundant constraints of the
search play no part) and the minimal learners are compared with the search's.
"""

from __future__ import annotations

import sys
from itertools import combinations
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tipasp import frontend
from tipasp.answer import instances
from tipasp.engine import Engine
from tipasp.terms import Name

# the benchmark's key chain (benchmarks/bench_coalitions.py): a dealer shares v into
# t[0..N], threshold 3; the server gets enc(k[i], t[i]) and enc(k[7], enc(k[N], t[0]))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "benchmarks"))
from bench_coalitions import KEYCHAIN as _BENCH  # noqa: E402


def keychain(n: int, extra: str = "") -> str:
    """The benchmark's spec for N = n, with `extra` statements before the threat model."""
    return _BENCH.format(n=n).replace("corrupt", extra + "\ncorrupt")


def u(i: int) -> Name:
    return Name("u", (i,))


S = Name("server")


def search_and_brute(
    text: str, max_coalition: int | None = None
) -> tuple[set[frozenset[Name]], set[frozenset[Name]], Engine]:
    """(minimal learners by the search, minimal learners by brute force, the engine) for
    the spec's one `who learns` question, with its one `corrupt` statement."""
    model = frontend.load_text(text)
    eng = Engine(model, max_coalition=max_coalition)
    (inst,) = instances(model, eng)
    found = {frozenset(k.members) for k in eng.who_learns(inst.symbol, decode=False)}
    holders = set(eng.holders(inst.symbol))
    names = [Name(a.name, idx) for a in model.agents for idx in _indices(a.dims)]
    (cr,) = model.corrupts
    fam = [Name(cr.family, (i,)) for i in range(cr.lo, cr.hi + 1)]
    with_ = [Name(a.name, a.index) for a in cr.with_]
    allowed = {frozenset([a]) for a in names}
    for k in range(cr.count + 1):
        for part in combinations(fam, k):
            for r in range(len(with_) + 1):
                for w in combinations(with_, r):
                    if part or w:
                        allowed.add(frozenset(part) | frozenset(w))
    learners = set()
    for s in allowed:
        if s & holders or max_coalition is not None and len(s) > max_coalition:
            continue
        know = eng.knowledge(tuple(sorted(s)))
        if eng.determined(know, inst.target):
            learners.add(s)
    minimal = {s for s in learners if not any(o < s for o in learners)}
    return found, minimal, eng


def _indices(dims):
    if not dims:
        return [()]
    (lo, hi), *rest = dims
    return [(i, *r) for i in range(lo, hi + 1) for r in _indices(rest)]


def test_keychain_has_one_minimal_learner():
    found, brute, _ = search_and_brute(keychain(9))
    assert found == brute == {frozenset({S, u(7), u(9)})}


def test_necessity_analysis_finds_the_agents_each_share_needs():
    model = frontend.load_text(keychain(9))
    eng = Engine(model)
    instances(model, eng)
    nec: dict[str, set[str]] = {}
    for sym in eng.static_atoms("necessary", 3):
        _, share, agent = (eng.decode(a) for a in sym.arguments)
        nec.setdefault(str(share.idx[0]), set()).add(str(agent))
    name = lambda a: str(a)  # noqa: E731
    assert nec["0"] == {name(S), name(u(7)), name(u(9))}
    assert all(nec[str(i)] == {name(S), name(u(i))} for i in range(1, 10))


def test_keychain_search_refutes_without_counting_pairs():
    # before rules/necessity.lp, clasp refuted the pairs of users one by one
    # (tens of thousands of conflicts at N = 100); now unit propagation does it
    # (clingo's statistics are those of the last solve call)
    model = frontend.load_text(keychain(150))
    eng = Engine(model)
    (inst,) = instances(model, eng)
    found = eng.who_learns(inst.symbol, decode=False)
    assert [set(k.members) for k in found] == [{S, u(7), u(150)}]
    conflicts = eng.coalition.statistics["solving"]["solvers"]["conflicts"]
    assert conflicts < 200


def test_share_also_sent_in_clear_is_not_over_pruned():
    # u[2] gets t[5] in clear: t[5] no longer needs u[5] and the server, and u[2]
    # with any user but u[5] has three shares
    found, brute, _ = search_and_brute(keychain(8, "dealer -> u[2] : t[5]"))
    expected = {frozenset({S, u(7), u(8)})} | {
        frozenset({S, u(2), u(i)}) for i in range(1, 9) if i not in (2, 5)
    }
    assert found == brute == expected


def test_key_held_by_two_agents_is_not_over_pruned():
    # t[3] opens with k[3] (u[3]) or with k2 (u[4]): it needs neither u[3] nor u[4]
    found, brute, _ = search_and_brute(keychain(8, "key k2 @ u[4], dealer\n"
                                                       "dealer -> server : enc(k2, t[3])"))
    # {server, u[3], u[4]} has two shares; u[4] with any user but u[3] has three
    expected = {frozenset({S, u(7), u(8)})} | {
        frozenset({S, u(4), u(i)}) for i in range(1, 9) if i not in (3, 4)
    }
    assert found == brute == expected


def test_broadcast_share():
    # everybody has t[1]: any two other users with the server have three shares
    found, brute, _ = search_and_brute(keychain(8, "dealer -> * : t[1]"))
    expected = {frozenset({S, u(i), u(j)}) for i, j in combinations(range(2, 9), 2)}
    assert found == brute == expected


def test_max_coalition_caps_the_count():
    extra = "dealer -> server : (t[1], t[2])"
    found, brute, _ = search_and_brute(keychain(8, extra), max_coalition=2)
    assert found == brute == {frozenset({S, u(i)}) for i in range(3, 9)}
    found, brute, _ = search_and_brute(keychain(8), max_coalition=2)
    assert found == brute == set()


@st.composite
def specs(draw) -> str:
    th = draw(st.integers(1, 3))
    lines = ["agent d, s", "agent u[1..4]", "secret v @ d",
             f"shares t[1..4] of v threshold {th} @ d"]
    agents = ["s", "u[1]", "u[2]", "u[3]", "u[4]"]
    for j in range(1, 4):
        hs = draw(st.sets(st.sampled_from(agents), max_size=2))
        lines.append(f"key k{j} @ " + ", ".join(["d", *sorted(hs)]))
    share = st.integers(1, 4).map(lambda i: f"t[{i}]")
    key = st.integers(1, 3).map(lambda j: f"k{j}")
    inner = st.one_of(share, key, st.tuples(share, key).map(lambda p: f"({p[0]}, {p[1]})"))
    term = st.one_of(
        share,
        st.tuples(key, inner).map(lambda p: f"enc({p[0]}, {p[1]})"),
        st.tuples(key, key, inner).map(lambda p: f"enc({p[0]}, enc({p[1]}, {p[2]}))"),
        st.tuples(share, share).map(lambda p: f"({p[0]}, {p[1]})"),
    )
    for _ in range(draw(st.integers(1, 6))):
        to = draw(st.sampled_from(agents + ["*"]))
        lines.append(f"d -> {to} : {draw(term)}")
    if draw(st.booleans()):
        lines.append(f"eavesdropper {draw(st.sampled_from(agents))}")
    lines += [f"corrupt {draw(st.integers(1, 2))} of u[1..4] with s", "query who learns v"]
    return "\n".join(lines) + "\n"


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(specs())
def test_search_agrees_with_brute_force_on_random_threshold_specs(text: str) -> None:
    found, brute, _ = search_and_brute(text)
    assert found == brute, text


def test_dealer_holding_the_shares_but_not_the_secret():
    # the dealer alone reconstructs; without it, the key chain is the only way
    text = keychain(8).replace("agent server, dealer", "agent server, dealer, owner").replace(
        "secret v @ dealer", "secret v @ owner")
    found, brute, _ = search_and_brute(text)
    assert found == brute == {frozenset({Name("dealer")}), frozenset({S, u(7), u(8)})}
    model = frontend.load_text(keychain(300).replace(
        "agent server, dealer", "agent server, dealer, owner").replace(
        "secret v @ dealer", "secret v @ owner"))
    eng = Engine(model)
    (inst,) = instances(model, eng)
    assert len(eng.who_learns(inst.symbol, decode=False)) == 2
    assert eng.coalition.statistics["solving"]["solvers"]["conflicts"] < 200
