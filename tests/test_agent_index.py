"""Values indexed by agents and generators over agents (docs/language.md, "Values
indexed by agents"): `key k[a] @ a, server for a in {alice, bob}`, `for a in u[1..N]`,
`k[A]` inside a protocol block. Each test pins what a user sees: the model's names,
the verdicts with their checked proofs, the canonical layout, the errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import run_main, spec_errors, write_spec

from tipasp import fmt, frontend
from tipasp.proofcheck import parse
from tipasp.terms import Name, show

SET = """\
agent alice, bob, eve, server
key k[a] @ a, server for a in {alice, bob, eve}
secret x[a] @ a for a in {alice, bob}
alice -> server : enc(k[alice], x[alice])
bob -> server : enc(k[bob], x[bob])
server -> eve : k[bob]
eavesdropper eve
query eve learns x[alice]
query who learns x[bob]
"""

FAMILY = """\
const N = 4
agent server
agent u[1..N]
key k[a] @ a, server for a in u[1..N]
secret x[i] @ u[i] for i in 1..N
u[i] -> server : enc(k[u[i]], x[i]) for i in 1..N
server -> u[1] : k[u[2]]
eavesdropper u[1]
query u[1] learns x[2]
query u[1] learns x[3]
"""


def _json(capsys: pytest.CaptureFixture[str], tmp_path: Path, text: str) -> tuple[int, dict]:
    code, out, _ = run_main(capsys, "check", write_spec(tmp_path, text), "--json")
    return code, json.loads(out)


def test_a_set_of_agents_declares_one_value_each() -> None:
    model = frontend.load_text(SET, "t.tip")
    keys = sorted((v.name, v.index) for v in model.values if v.kind == "key")
    assert keys == [("k[alice]", ()), ("k[bob]", ()), ("k[eve]", ())]
    holders = {v.name: sorted(h.name for h in v.holders) for v in model.values}
    assert holders["k[eve]"] == ["eve", "server"]
    assert holders["x[bob]"] == ["bob"]
    assert "k" not in model.names and model.names["k[alice]"].kind == "key"


def test_set_verdicts_and_proofs(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code, out = _json(capsys, tmp_path, SET)
    assert code == 0
    learns, who = out["results"]
    assert learns["target"] == "x[alice]" and learns["answer"] is False  # k[alice] unknown
    assert who["target"] == "x[bob]"
    assert who["holders"] == [["bob"]]
    assert sorted(lr["coalition"] for lr in who["learners"]) == [["eve"], ["server"]]
    for lr in who["learners"]:
        assert lr["proof"]["steps"][-1]["term"] == "x[bob]"


def test_a_family_of_agents_keeps_one_family(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    model = frontend.load_text(FAMILY, "t.tip")
    (key,) = [v for v in model.values if v.kind == "key"]
    assert key.name == "k[u]" and len(key.index) == 1 and key.gen is not None  # not N values
    code, out = _json(capsys, tmp_path, FAMILY)
    assert code == 0
    yes, no = out["results"]
    assert yes["answer"] is True
    terms = [s["term"] for s in yes["proof"]["steps"]]
    assert terms == ["enc(k[u[2]], x[2])", "k[u[2]]", "x[2]"]
    assert no["answer"] is False


def test_printed_members_parse_back() -> None:
    assert show(Name("k[u]", (3,))) == "k[u[3]]"
    assert show(Name("k[alice]")) == "k[alice]"
    assert parse("enc(k[u[3]], k[alice,bob])") == (
        "a",
        "enc",
        (("n", "k[u]", (3,)), ("n", "k[alice,bob]", ())),
    )


def test_protocol_block_indexes_by_role() -> None:
    text = """\
agent alice, bob, server
key k[a] @ a, server for a in {alice, bob}
protocol p(A, S) {
  fresh n @ A
  A -> S : enc(k[A], n)
}
session s1 = p(alice, server)
session s2 = p(bob, server)
"""
    model = frontend.load_text(text, "t.tip")
    assert [show_term(m.term) for m in model.messages] == [
        "enc(k[alice], s1.n)",
        "enc(k[bob], s2.n)",
    ]


def show_term(t: object) -> str:
    """A model term without generator variables, printed."""
    from tipasp import ground

    return show(ground.term(t, {}))  # type: ignore[arg-type]


def test_fmt_keeps_agent_generators() -> None:
    text = "agent alice, bob, server\nagent u[1..3]\nkey k[a] @ a, server for a in {alice,bob}\n" \
        "key j[a] @ a for a in u[1..3]\n"
    out = fmt.format_source(text, "t.tip")
    assert "key k[a] @ a, server for a in {alice, bob}" in out
    assert "key j[a] @ a for a in u[1..3]" in out
    assert fmt.format_source(out, "t.tip") == out


def test_conditions_between_agents() -> None:
    text = """\
agent alice, bob, carol
key k[a, b] @ a, b for a in {alice, bob, carol}, b in {alice, bob, carol} if a != b
"""
    model = frontend.load_text(text, "t.tip")
    assert len(model.values) == 6 and "k[alice,alice]" not in model.names


@pytest.mark.parametrize(
    ("src", "where", "needle"),
    [
        (
            "agent alice, bob, server\nkey k[a] @ a for a in {alice, bob}\n"
            "alice -> bob : k[server]\n",
            (3, 16),
            "no value k[server] is declared ('k' is declared for k[alice], k[bob])",
        ),
        (
            "agent alice\nsecret x @ alice\nkey k[a] @ a for a in {alice, x}\n",
            (3, 31),
            "'x' is not an agent",
        ),
        (
            "const N = 2\nagent alice\nkey k[a] @ a for a in N\n",
            (3, 23),
            "takes a range 'lo..hi'",
        ),
        (
            "agent alice\nagent u[1..2]\nkey k[i] @ u[i] for i in 1..2\n"
            "alice -> alice : k[alice]\n",
            (4, 20),
            "'alice' is an agent, not an integer",
        ),
        (
            "agent alice, bob\nkey k[a] @ a for a in {alice, bob}\nalice -> bob : k[1]\n",
            (3, 18),
            "'k' is indexed by agents",
        ),
        (
            "agent alice, bob\nkey k[a] @ a for a in {alice, bob}\nkey k[alice] @ alice\n",
            (3, 5),
            "'k[alice]' is declared twice",
        ),
        (
            "agent u[1..2]\nprotocol p(A) {\n  fresh n @ A\n  A -> A : n\n}\n"
            "session s[a] = p(a) for a in u[1..2]\n",
            (6, 25),
            "a session family is indexed by integers",
        ),
        (
            "agent alice, bob\nkey k[a] @ a for a in {alice, bob} if a < bob\n",
            (2, 39),
            "agents are compared only with == and !=",
        ),
    ],
)
def test_errors(src: str, where: tuple[int, int], needle: str) -> None:
    errors = spec_errors(src)
    assert any((line, col) == where and needle in msg for line, col, msg in errors), errors
