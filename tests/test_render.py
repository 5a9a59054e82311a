"""Renderings of proofs (text, Markdown, JSON, DOT) and the proof data helpers."""

from __future__ import annotations

import json
import re
from fractions import Fraction

import pytest
from conftest import CONTRACT_PROOF

from tipasp import render
from tipasp.model import (
    AgentDecl,
    AgentRef,
    Binder,
    Generator,
    IConst,
    IVar,
    Message,
    Model,
    Pos,
    TLin,
    TName,
)
from tipasp.proof import (
    Proof,
    ProofBuilder,
    Step,
    compact,
    parse_term,
    proof_from_json,
)
from tipasp.terms import App, Lin, Name, Tup, lin, show

X1, M1, M5 = Name("x", (1,)), Name("m", (1,)), Name("m", (5,))

# The term exactly as LANGUAGE.md prints it (not in canonical order).
MSG = Lin(((X1, 1), (M1, 1), (M5, -1)))

EXAMPLE = Proof(("server", "u[2]", "u[5]"), X1, (
    Step(1, MSG, "receives", by="server", step=1, line=10),
    Step(2, M1, "holds", by="u[2]", line=8),
    Step(3, M5, "holds", by="u[5]", line=8),
    Step(4, X1, "linear", (1, 2, 3), coefficients=(Fraction(1), Fraction(-1), Fraction(1))),
))

SPEC_TEXT = """\
{server, u[2], u[5]} learns x[1]
  1. server receives  x[1] + m[1] - m[5]        step 1, line 10
  2. u[2] holds       m[1]                       line 8
  3. u[5] holds       m[5]                       line 8
  4. x[1] = (1) - (2) + (3)                      linear elimination
"""


def _squash(s: str) -> list[str]:
    return [" ".join(line.split()) for line in s.strip("\n").splitlines()]


def test_text_matches_language_example() -> None:
    out = render.text(EXAMPLE)
    assert _squash(out) == _squash(SPEC_TEXT)
    lines = out.splitlines()
    assert lines[0] == "{server, u[2], u[5]} learns x[1]"
    # Aligned columns: the terms of the leaves start together, and so do the sources.
    term_cols = {line.index(t) for line, t in zip(lines[1:4], ["x[1] +", "m[1]", "m[5]"],
                                                 strict=True)}
    assert len(term_cols) == 1
    src_cols = {line.index(src) for line, src in
                zip(lines[1:], ["step 1, line 10", "line 8", "line 8", "linear elimination"],
                    strict=True)}
    assert len(src_cols) == 1
    assert lines[1].startswith("  1. server receives  ")
    assert all(not line.endswith(" ") for line in lines)


def test_text_single_agent_and_numbers_aligned() -> None:
    steps = [Step(k, Name("v", (k,)), "holds", by="a", line=3) for k in range(1, 11)]
    steps.append(Step(11, lin([(Name("v", (k,)), 1) for k in range(1, 11)]), "linear",
                      tuple(range(1, 11)), coefficients=(1,) * 10))
    p = Proof(("a",), steps[-1].term, tuple(steps))
    lines = render.text(p).splitlines()
    assert lines[0].startswith("a learns v[1] + v[2]")
    assert lines[1].startswith("   1. a holds")
    assert lines[10].startswith("  10. a holds")
    assert "= (1) + (2) + (3)" in lines[11]


def _all_rules_proof() -> Proof:
    k, s, pin, g = Name("k"), Name("s"), Name("pin"), Name("g")
    a, b, bob = Name("a"), Name("b"), Name("bob")
    sh = [Name("sh", (i,)) for i in (1, 2, 3)]
    steps = (
        Step(1, App("enc", (k, Tup((s, pin)))), "receives", by="bob", step=1, line=20),
        Step(2, k, "holds", by="bob", line=2),
        Step(3, Tup((s, pin)), "decrypt", (1, 2)),
        Step(4, pin, "split", (3,)),
        Step(5, App("aenc", (App("pk", (bob,)), s)), "sees", by="eve", step=2, line=21),
        Step(6, App("sk", (bob,)), "holds", by="bob", line=5),
        Step(7, s, "adecrypt", (5, 6)),
        Step(8, App("sign", (App("sk", (Name("alice"),)), s)), "receives", by="bob", step=3,
             line=22),
        Step(9, s, "unsign", (8,)),
        Step(10, App("pk", (bob,)), "pk", (6,)),
        Step(11, App("exp", (g, a)), "receives", by="bob", step=4, line=23),
        Step(12, b, "holds", by="bob", line=8),
        Step(13, App("exp", (App("exp", (g, a)), b)), "dh", (11, 12)),
        Step(14, Tup((s, k)), "build", (7, 2)),
        Step(15, sh[0], "holds", by="bob", line=10),
        Step(16, sh[1], "holds", by="bob", line=10),
        Step(17, sh[2], "holds", by="bob", line=10),
        Step(18, s, "reconstruct", (15, 16, 17)),
        Step(19, App("hash", (pin,)), "receives", by="bob", step=5, line=24),
        Step(20, pin, "guess", (19,)),
        Step(21, lin([(s, 2), (pin, 1)]), "linear", (18, 20), coefficients=(2, 1)),
        Step(22, s, "linear", (21, 20), coefficients=(Fraction(1, 2), Fraction(-1, 2))),
    )
    return Proof(("bob", "eve"), s, steps)


def test_text_describes_every_rule() -> None:
    out = render.text(_all_rules_proof())
    for fragment in [
        "bob receives",
        "(s, pin) = decrypt (1) with key (2)",
        "pin = part 2 of (3)",
        "eve sees",
        "s = decrypt (5) with private key (6)",
        "s = message signed in (8)",
        "pk(bob) = public key of (6)",
        "exp(exp(g, a), b) = (11) raised to (12)",
        "(s, k) built from (7), (2)",
        "s reconstructed from shares (15), (16), (17)",
        "pin guessed, tested against (19)",
        "pin + 2 * s = 2 * (18) + (20)",
        "s = 1/2 * (21) - 1/2 * (20)",
        "step 2, line 21, eavesdropped",
        "Diffie-Hellman",
        "threshold reconstruction",
        "offline guessing",
    ]:
        assert fragment in out, fragment
    assert " by " not in out  # no step fell through to the generic description


def test_linear_text_signs() -> None:
    f = Fraction
    assert render.linear_text((1, 2, 3), (f(1), f(-1), f(1))) == "(1) - (2) + (3)"
    assert render.linear_text((1, 2), (f(-1), f(3))) == "-(1) + 3 * (2)"
    assert render.linear_text((4,), (f(-2, 3),)) == "-2/3 * (4)"


# -------------------------------------------------------------------------- markdown

def _md_cells(row: str) -> list[str]:
    assert row.startswith("|") and row.endswith("|")
    return [c.strip() for c in re.split(r"(?<!\\)\|", row[1:-1])]


def test_markdown_table() -> None:
    out = render.markdown(EXAMPLE)
    lines = out.strip().splitlines()
    assert lines[0] == "**{server, u[2], u[5]} learns `x[1]`**"
    table = [line for line in lines if line.startswith("|")]
    assert len(table) == 2 + len(EXAMPLE.steps)
    widths = {len(_md_cells(r)) for r in table}
    assert widths == {4}
    assert _md_cells(table[2]) == ["1", "`x[1] + m[1] - m[5]`", "server receives",
                                   "step 1, line 10"]
    assert _md_cells(table[5]) == ["4", "`x[1]`", "(1) - (2) + (3)", "linear elimination"]


def test_markdown_escapes_pipes() -> None:
    p = Proof(("a|b",), Name("v"), (Step(1, Name("v"), "holds", by="a|b", line=1),))
    table = [r for r in render.markdown(p).splitlines() if r.startswith("|")]
    assert {len(_md_cells(r)) for r in table} == {4}
    assert "a\\|b holds" in table[-1]


# ------------------------------------------------------------------------------ json

def test_to_json_contract_form() -> None:
    d = EXAMPLE.to_json()
    assert d == CONTRACT_PROOF
    assert list(d["steps"][0]) == ["id", "term", "rule", "by", "step", "line", "premises"]
    assert all(type(c) is int for c in d["steps"][3]["coefficients"])
    json.dumps(d)  # serialisable as is


def test_fraction_coefficients_in_json() -> None:
    d = _all_rules_proof().to_json()
    assert d["steps"][-1]["coefficients"] == ["1/2", "-1/2"]
    assert d["steps"][-2]["coefficients"] == [2, 1]


def _canonical(p: Proof) -> Proof:
    """The proof with every term canonical (as the solver produces them)."""
    return Proof(p.coalition, parse_term(show(p.target)),
                 tuple(Step(s.id, parse_term(show(s.term)), s.rule, s.premises, s.by, s.step,
                            s.line, s.coefficients) for s in p.steps))


@pytest.mark.parametrize("p", [EXAMPLE, _all_rules_proof()])
def test_json_round_trip(p: Proof) -> None:
    p = _canonical(p)
    text = render.json(p)
    d = json.loads(text)
    assert d["coalition"] == list(p.coalition)
    assert d["target"] == show(p.target)
    assert d["steps"] == p.to_json()["steps"]
    assert proof_from_json(d) == p
    # The bare contract form needs coalition and target from the caller.
    bare = proof_from_json(p.to_json(), coalition=p.coalition, target=show(p.target))
    assert bare == p


def test_proof_from_json_errors() -> None:
    with pytest.raises(ValueError):
        proof_from_json({"steps": [{"id": 1, "term": "x[", "rule": "holds"}]})
    with pytest.raises(ValueError):
        proof_from_json({"steps": [{"id": 1, "term": "x", "rule": "linear", "premises": [],
                                    "coefficients": [0.5]}]})
    with pytest.raises(ValueError):
        proof_from_json({})


def test_parse_term_inverts_show() -> None:
    for s in ["x[1] + m[1] - m[5]", "enc(k, (a, b))", "-2 * x + hash(y)", "m[1,2]",
              "exp(exp(g, a), b)", "0", "hash(0)", "x[-1]"]:
        assert show(parse_term(s)) == show(parse_term(show(parse_term(s))))
    assert parse_term("x[1] + m[1] - m[5]") == lin([(X1, 1), (M1, 1), (M5, -1)])
    assert parse_term("(a, b)") == Tup((Name("a"), Name("b")))
    assert parse_term("-x") == Lin(((Name("x"), -1),))


# ------------------------------------------------------------------------------- dot

_DOT_TOKEN = re.compile(
    r'\s*(?:("(?:[^"\\]|\\.)*")|(->|[{}\[\];=,])|([A-Za-z_][A-Za-z0-9_]*|-?(?:\.\d+|\d+(?:\.\d*)?)))',
    re.S,
)


def _dot_tokens(s: str) -> list[str]:
    toks, pos = [], 0
    while pos < len(s):
        if s[pos:].strip() == "":
            break
        m = _DOT_TOKEN.match(s, pos)
        assert m, f"bad DOT at {s[pos:pos + 30]!r}"
        toks.append(m.group(m.lastindex or 0))
        pos = m.end()
    return toks


def _unq(tok: str) -> str:
    if tok.startswith('"'):
        return re.sub(r"\\(.)", lambda m: "\n" if m.group(1) == "n" else m.group(1), tok[1:-1])
    return tok


def _parse_dot(s: str) -> tuple[dict[str, dict[str, str]], list[tuple[str, str, dict[str, str]]]]:
    """A strict reader for the DOT subset `render.dot` writes: nodes, edges, attributes."""
    toks = _dot_tokens(s)
    i = 0

    def take(want: str | None = None) -> str:
        nonlocal i
        assert i < len(toks), "unexpected end of DOT"
        t = toks[i]
        assert want is None or t == want, (want, t, toks[max(0, i - 5):i + 5])
        i += 1
        return t

    def attrs() -> dict[str, str]:
        out: dict[str, str] = {}
        take("[")
        while toks[i] != "]":
            k = _unq(take())
            take("=")
            out[k] = _unq(take())
            if toks[i] == ",":
                take(",")
        take("]")
        return out

    take("digraph")
    if toks[i] != "{":
        take()
    take("{")
    nodes: dict[str, dict[str, str]] = {}
    edges: list[tuple[str, str, dict[str, str]]] = []
    while toks[i] != "}":
        first = take()
        if first in ("node", "edge", "graph"):
            attrs()
        elif toks[i] == "=":
            take("=")
            take()
        elif toks[i] == "->":
            take("->")
            dst = _unq(take())
            a = attrs() if toks[i] == "[" else {}
            edges.append((_unq(first), dst, a))
        else:
            nodes[_unq(first)] = attrs() if toks[i] == "[" else {}
        take(";")
    take("}")
    assert i == len(toks)
    return nodes, edges


def test_dot_structure() -> None:
    p = _all_rules_proof()
    nodes, edges = _parse_dot(render.dot(p))
    assert len(nodes) == len(p.steps)
    assert len(edges) == sum(len(s.premises) for s in p.steps)
    for src, dst, _ in edges:
        assert src in nodes and dst in nodes
        assert int(src[1:]) < int(dst[1:])
    # Edges out of message leaves carry the step.
    by_id = {f"s{s.id}": s for s in p.steps}
    for src, _dst, a in edges:
        s = by_id[src]
        if s.rule in ("receives", "sees"):
            assert f"step {s.step}" in a["label"]
    # Leaves say who, where; the conclusion stands out.
    assert "step 1, line 20" in nodes["s1"]["label"]
    assert "eve sees" in nodes["s5"]["label"]
    assert "bob holds (line 2)" in nodes["s2"]["label"]
    assert nodes[f"s{p.steps[-1].id}"].get("peripheries") == "2"
    assert "[Diffie-Hellman]" in nodes["s13"]["label"]


def test_dot_linear_edges_carry_coefficients() -> None:
    nodes, edges = _parse_dot(render.dot(EXAMPLE))
    labels = {(s, d): a.get("label", "") for s, d, a in edges}
    assert labels[("s1", "s4")] == "step 1, \u00d71"
    assert labels[("s2", "s4")] == "\u00d7(-1)"


def test_dot_quotes_strange_names() -> None:
    weird = 'a"b\\c'
    p = Proof((weird,), Name(weird), (Step(1, Name(weird), "holds", by=weird, line=1),))
    out = render.dot(p)
    nodes, _ = _parse_dot(out)
    assert weird in nodes["s1"]["label"]
    assert f'{weird} learns' in _unq(re.search(r'label=("(?:[^"\\]|\\.)*")', out).group(1))


def test_dot_with_model_names_the_sender() -> None:
    """With the model, a message leaf shows `sender -> receiver`, resolving u[i]."""
    i = IVar("i")
    gen = Generator((Binder("i", IConst(1), IConst(5)),))
    model = Model(
        file="s.tip", source="", consts={}, agents=(AgentDecl("server", ()),
                                                    AgentDecl("u", ((1, 5),))),
        values=(), keypairs=(), functions=(),
        messages=(Message(1, None, AgentRef("u", (i,)), AgentRef("server"),
                          TLin(((1, TName("x", (i,))), (1, TName("m", (i,))))), gen,
                          Pos("s.tip", 10, 1)),),
        colludes=(), corrupts=(), eavesdroppers=(), questions=(), names={}, labels={},
    )
    t = lin([(Name("x", (3,)), 1), (Name("m", (3,)), 1)])
    p = Proof(("server",), t, (Step(1, t, "receives", by="server", step=1, line=10),))
    nodes, _ = _parse_dot(render.dot(p, model))
    assert "u[3] -> server" in nodes["s1"]["label"]


# --------------------------------------------------------------- compact and builder

def test_compact_prunes_and_renumbers() -> None:
    a, b, c = Name("a"), Name("b"), Name("c")
    messy = Proof(("p",), Tup((a, b)), (
        Step(10, c, "holds", by="p", line=3),           # unused
        Step(7, Tup((a, b)), "build", (20, 30)),         # premises come later
        Step(20, a, "holds", by="p", line=1),
        Step(30, b, "holds", by="p", line=2),
        Step(40, Tup((a, b)), "build", (20, 30)),        # the conclusion (duplicate of 7)
    ))
    out = compact(messy)
    assert [s.id for s in out.steps] == [1, 2, 3]
    assert [show(s.term) for s in out.steps] == ["a", "b", "(a, b)"]
    assert out.steps[-1].premises == (1, 2)
    for s in out.steps:
        assert all(p < s.id for p in s.premises)
    with pytest.raises(ValueError):
        compact(Proof(("p",), a, (Step(1, a, "split", (2,)), Step(2, a, "split", (1,)))))
    with pytest.raises(ValueError):
        compact(Proof(("p",), a, (Step(1, a, "split", (9,)),)))


def test_builder_dedupes_and_orders() -> None:
    pb = ProofBuilder()
    k = pb.add(Name("k"), "holds", by="b", line=2)
    c = pb.add(App("enc", (Name("k"), Name("s"))), "receives", by="b", step=1, line=20)
    assert pb.add(Name("k"), "holds", by="b", line=2) == k
    junk = pb.add(Name("z"), "holds", by="b", line=9)
    s = pb.add(Name("s"), "decrypt", (c, k))
    assert junk != s
    p = pb.proof(["b"], Name("s"))
    assert [st.id for st in p.steps] == [1, 2, 3]
    assert p.conclusion.premises == (2, 1)
    assert p.coalition == ("b",)
    with pytest.raises(ValueError):
        pb.add(Name("t"), "split", (99,))
    with pytest.raises(ValueError):
        pb.add(Name("t"), "nonsense")
