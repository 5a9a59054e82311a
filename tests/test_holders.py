"""holders.py answers "who holds this value from the start" from the model; the
oracle is the init/3 facts clingo grounds from the same declarations."""

from __future__ import annotations

from pathlib import Path

import pytest

from tipasp import frontend
from tipasp.engine import Engine
from tipasp.holders import holders
from tipasp.terms import GTerm, Name, sort_key

EXAMPLES = sorted(Path(__file__).parent.parent.glob("examples/*.tip"))

ODD = """const N = 5
agent server
agent u[1..N]
agent d[1..2]
random m[i] @ u[i], u[i % N + 1]           for i in 1..N
secret y[2 * i] @ u[i], server              for i in 1..N if i != 3
secret z[i, j] @ u[j]                       for i in 1..N, j in i..N
secret w @ server, u[2]
keypair u[i]                                for i in 2..N
keypair server
shares t[i, 1..3] of w threshold 2 @ d[i]   for i in 1..2
u[i] -> server : (m[i], y[2 * i])           for i in 1..N if i != 3
"""


def _init_table(engine: Engine) -> dict[GTerm, list[Name]]:
    table: dict[GTerm, set[Name]] = {}
    for sym in engine.static_atoms("init", 3):
        a, t, _ = sym.arguments
        table.setdefault(engine.decode(t), set()).add(engine.decode(a))  # type: ignore[arg-type]
    return {t: sorted(hs, key=sort_key) for t, hs in table.items()}


@pytest.mark.parametrize("source", [*(p.read_text() for p in EXAMPLES), ODD],
                         ids=[*(p.stem for p in EXAMPLES), "odd"])
def test_holders_agree_with_the_grounded_init_facts(source: str) -> None:
    model = frontend.load_text(source, "t.tip")
    engine = Engine(model)
    table = _init_table(engine)
    assert table
    for t, expected in table.items():
        assert holders(model, t) == expected, t


def test_holders_of_an_undeclared_index_are_nobody() -> None:
    model = frontend.load_text(ODD, "t.tip")
    assert holders(model, Name("y", (6,))) == []      # i = 3 is excluded
    assert holders(model, Name("y", (3,))) == []      # odd: no i gives it
    assert holders(model, Name("z", (4, 2))) == []    # j < i
    assert holders(model, Name("m", (7,))) == []      # out of range
    assert holders(model, Name("z", (2, 4))) == [Name("u", (4,))]
