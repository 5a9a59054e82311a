"""Engine.knowledge keeps recent answers: a kept answer must be the one a fresh
engine gives, whatever was asked in between (other coalitions, other steps,
searches that switch the program's externals)."""

from __future__ import annotations

from tipasp import frontend
from tipasp.answer import instances
from tipasp.engine import KNOWLEDGE_CACHE, Engine
from tipasp.terms import Name

SPEC = """agent server, a, b
secret x @ a
random m @ a, b
key k @ a, server
a -> server : x + m           # step 1
b -> server : enc(k, m)       # step 2
query who learns x
"""

S, A, B = Name("server", ()), Name("a", ()), Name("b", ())
X = Name("x", ())


def _engine() -> tuple[Engine, object]:
    model = frontend.load_text(SPEC, "t.tip")
    eng = Engine(model)
    (inst,) = instances(model, eng)
    return eng, inst


def _fresh(members: tuple[Name, ...], after: int) -> bool:
    eng, _ = _engine()
    return eng.determined(eng.knowledge(members, after), X)


def test_kept_knowledge_is_what_a_fresh_engine_says() -> None:
    eng, inst = _engine()
    asks = [((S,), 1), ((S,), 2), ((S, B), 1), ((S,), 1), ((B, S), 2), ((S,), 2)]
    for members, after in asks:
        eng.who_learns(inst.symbol)  # a search in between switches every external
        got = eng.determined(eng.knowledge(members, after), X)
        assert got == _fresh(members, after), (members, after)
    # the server learns x only after step 2 (m arrives under k, which it holds)
    assert [_fresh((S,), 1), _fresh((S,), 2)] == [False, True]


def test_the_same_coalition_in_any_order_is_one_entry() -> None:
    eng, _ = _engine()
    one = eng.knowledge((S, B))
    assert eng.knowledge((B, S)) is one
    assert one.members == tuple(sorted((S, B)))


def test_old_entries_are_dropped() -> None:
    eng, _ = _engine()
    first = eng.knowledge((S,), 0)
    for after in range(1, KNOWLEDGE_CACHE + 1):
        eng.knowledge((A,), after % 3)
        eng.knowledge((B,), after)
    assert eng.knowledge((S,), 0) is not first
    assert len(eng._known) <= KNOWLEDGE_CACHE
