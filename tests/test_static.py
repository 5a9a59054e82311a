"""The compile-time proof that a message template is built by its sender from what it
holds: it must say yes only when every instance is, and fall back (no) otherwise."""

from __future__ import annotations

import pytest

from tipasp import frontend
from tipasp.static import trivially_built

HEAD = """const N = 4
agent server
agent u[1..N]
secret x[i] @ u[i]                  for i in 1..N
key k[i] @ u[i], server             for i in 1..N
random m[i] @ u[i], u[i % N + 1]    for i in 1..N
public g
"""


@pytest.mark.parametrize(
    ("message", "expected"),
    [
        ("u[i] -> server : enc(k[i], (x[i], g, server))   for i in 1..N", True),
        ("server -> u[i] : enc(k[i], g)                   for i in 1..N", True),
        ("u[i] -> server : x[i] + m[i]                    for i in 1..N", True),
        # u[i] holds m[i-1] too (as u[(i-1) % N + 1]), but not syntactically: ask clingo
        ("u[i] -> server : m[(i + N - 2) % N + 1]         for i in 1..N", False),
        # a value the sender does not hold
        ("u[i] -> server : x[1]                           for i in 1..N", False),
        # the server does not hold x
        ("server -> u[i] : x[i]                           for i in 1..N", False),
        # a sum over other agents' values
        ("server -> * : sum(x[i] for i in 1..N)", False),
    ],
)
def test_trivially_built_says_yes_only_when_every_instance_is_held(message: str, expected: bool
                                                                  ) -> None:
    model = frontend.load_text(HEAD + message + "\n", "t.tip")
    (msg,) = model.messages
    assert trivially_built(model, msg) is expected


@pytest.mark.parametrize("n", [4, 40])  # few instances: coalition program; many: agents program
def test_engine_still_rejects_what_the_static_check_leaves_to_clingo(n: int) -> None:
    from tipasp.answer import Options
    from tipasp.errors import SpecError
    from tipasp.report import check_spec

    model = frontend.load_text(HEAD + "server -> u[i] : x[i] for i in 1..N\n", "t.tip", {"N": n})
    with pytest.raises(SpecError) as err:
        check_spec(model, Options())
    assert "server cannot send x[1] at step 1" in err.value.render()


def test_a_linear_part_the_sender_holds_needs_no_sender_check() -> None:
    from tipasp.engine import Engine

    model = frontend.load_text(
        HEAD + "u[i] -> server : enc(k[i], x[i] + m[i] - m[(i + N - 2) % N + 1]) for i in 1..N\n",
        "t.tip",
    )
    assert Engine(model).static_atoms("hard", 3) == ()  # every sender holds its parts
    broken = frontend.load_text(HEAD + "u[i] -> server : enc(k[i], x[i] + x[1]) for i in 1..N\n",
                                "t.tip")
    assert len(Engine(broken).static_atoms("hard", 3)) == 3  # u[2..4] do not hold x[1]
