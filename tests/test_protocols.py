"""Protocol blocks and sessions (docs/language.md): parsed, expanded into the ordinary
model (values `S.v`, messages with their sessions and roles), checked with errors at
their exact places, formatted, printed back, and run end to end on NSPK and NSL."""

from __future__ import annotations

import json

import pytest
from conftest import EXAMPLES, same_model, spec_errors
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tipasp import frontend, proofcheck
from tipasp import syntax as S
from tipasp.answer import Options
from tipasp.cli import main
from tipasp.errors import SpecError
from tipasp.fmt import format_source
from tipasp.frontend import load_text
from tipasp.model import AgentRef, IConst, IVar, TAgent, TApp, TName, TTuple
from tipasp.parser import KEYWORDS, parse, parse_recover
from tipasp.report import check_spec
from tipasp.terms import Name, show

NSPK = """\
agent alice, bob, eve
keypair alice, bob, eve
intruder eve

protocol nspk(A, B) {
  fresh na @ A
  fresh nb @ B
  A -> B : aenc(pk(B), (na, A))
  B -> A : aenc(pk(A), (na, nb))
  A -> B : aenc(pk(B), nb)
}

session s1 = nspk(alice, eve)          # alice starts a run with eve
session s2 = nspk(alice, bob)

query who learns s2.nb
assert nobody learns s2.nb
"""

FAMILY = """\
const N = 3
agent server, eve
agent u[1..N]
keypair server, eve
keypair u[1..N]

protocol nspk(A, B) {
  fresh na @ A
  fresh nb @ B
  A -> B : aenc(pk(B), (na, A))
  B -> A : aenc(pk(A), (na, ?nb))
  A -> B : aenc(pk(B), nb)
}

session s[i] = nspk(u[i], server) for i in 1..N
query eve learns s[3].na
query server learns s[i].na for i in 1..N
"""


def a(name: str, *index: int) -> AgentRef:
    return AgentRef(name, tuple(IConst(i) for i in index))


# ------------------------------------------------------------------------ the model


def test_nspk_values_are_the_sessions_fresh_values_with_their_holders() -> None:
    m = load_text(NSPK, "nspk.tip")
    got = {(v.name, v.kind, v.index, v.holders, v.gen, v.pos.line) for v in m.values}
    assert got == {
        ("s1.na", "random", (), (a("alice"),), None, 6),
        ("s1.nb", "random", (), (a("eve"),), None, 7),
        ("s2.na", "random", (), (a("alice"),), None, 6),
        ("s2.nb", "random", (), (a("bob"),), None, 7),
    }
    assert {n: (i.kind, i.arity) for n, i in m.names.items()} == {
        "s1.na": ("random", 0), "s1.nb": ("random", 0),
        "s2.na": ("random", 0), "s2.nb": ("random", 0),
    }


def test_nspk_messages_are_numbered_over_the_sessions_in_file_order() -> None:
    m = load_text(NSPK, "nspk.tip")
    rows = [
        (x.step, x.sender.name, x.receiver.name if x.receiver else None, x.session,
         x.sender_role, x.receiver_role, x.pos.line, x.text, x.label, x.gen)
        for x in m.messages
    ]
    assert rows == [
        (1, "alice", "eve", ("s1", ()), "A", "B", 8, "A -> B : aenc(pk(B), (na, A))", None, None),
        (2, "eve", "alice", ("s1", ()), "B", "A", 9, "B -> A : aenc(pk(A), (na, nb))", None, None),
        (3, "alice", "eve", ("s1", ()), "A", "B", 10, "A -> B : aenc(pk(B), nb)", None, None),
        (4, "alice", "bob", ("s2", ()), "A", "B", 8, "A -> B : aenc(pk(B), (na, A))", None, None),
        (5, "bob", "alice", ("s2", ()), "B", "A", 9, "B -> A : aenc(pk(A), (na, nb))", None, None),
        (6, "alice", "bob", ("s2", ()), "A", "B", 10, "A -> B : aenc(pk(B), nb)", None, None),
    ]
    assert m.messages[3].term == TApp(
        "aenc", (TApp("pk", (TAgent(a("bob")),)), TTuple((TName("s2.na"), TAgent(a("alice")))))
    )
    assert m.messages[4].term == TApp(
        "aenc", (TApp("pk", (TAgent(a("alice")),)), TTuple((TName("s2.na"), TName("s2.nb"))))
    )
    assert m.messages[0].pos.col == 3  # the protocol's line and column
    assert m.questions[0].target == TName("s2.nb")


def test_narration_messages_and_sessions_share_the_step_numbers() -> None:
    src = NSPK.replace("session s2", "alice -> bob : alice\nsession s2").replace(
        "query who",
        "bob -> alice : s2.nb\nfinal: bob -> alice : bob\n"
        "query who learns s2.nb after final\nquery who",
    )
    m = load_text(src, "t.tip")
    assert [(x.step, x.session) for x in m.messages] == [
        (1, ("s1", ())), (2, ("s1", ())), (3, ("s1", ())), (4, None),
        (5, ("s2", ())), (6, ("s2", ())), (7, ("s2", ())), (8, None), (9, None),
    ]
    assert m.labels == {"final": 9}
    assert m.questions[0].after == 9
    assert m.messages[7].term == TName("s2.nb")


def test_a_family_of_sessions() -> None:
    m = load_text(FAMILY, "fam.tip")
    gen = m.messages[0].gen
    assert gen is not None and [(b.var, b.lo, b.hi) for b in gen.binders] == [
        ("i", IConst(1), IConst(3))
    ]
    vals = {v.name: v for v in m.values}
    assert vals["s.na"].index == (IVar("i"),)
    assert vals["s.na"].holders == (AgentRef("u", (IVar("i"),)),)
    assert vals["s.nb"].holders == (a("server"),)
    assert vals["s.na"].gen == gen
    assert m.names["s.na"].arity == 1
    assert [(x.step, x.session, x.sender, x.receiver) for x in m.messages] == [
        (1, ("s", (IVar("i"),)), AgentRef("u", (IVar("i"),)), a("server")),
        (2, ("s", (IVar("i"),)), a("server"), AgentRef("u", (IVar("i"),))),
        (3, ("s", (IVar("i"),)), AgentRef("u", (IVar("i"),)), a("server")),
    ]
    assert m.questions[0].target == TName("s.na", (IConst(3),))
    assert m.questions[1].target == TName("s.na", (IVar("i"),))
    # --set N resizes the family
    m5 = frontend.load_text(FAMILY.replace("s[3]", "s[5]"), "fam.tip", {"N": 5})
    assert m5.questions[0].target == TName("s.na", (IConst(5),))


def test_unchecked_parts_are_recorded_with_the_message() -> None:
    m = load_text(FAMILY, "fam.tip")
    assert m.messages[1].unchecked == (TName("s.nb", (IVar("i"),)),)
    assert m.messages[1].term == TApp(
        "aenc",
        (TApp("pk", (TAgent(AgentRef("u", (IVar("i"),))),)),
         TTuple((TName("s.na", (IVar("i"),)), TName("s.nb", (IVar("i"),))))),
    )
    assert m.messages[0].unchecked == ()
    # in the narration too, several parts, a tuple part
    n = load_text("agent a, b\nrandom x, y @ a\na -> b : (?x, ?(y, a), x)\n", "t.tip")
    assert n.messages[0].unchecked == (TName("x"), TTuple((TName("y"), TAgent(a("a")))))
    assert n.messages[0].term == TTuple(
        (TName("x"), TTuple((TName("y"), TAgent(a("a")))), TName("x"))
    )


def test_role_parameters_and_global_names_in_a_block() -> None:
    src = (
        "agent alice, bob, server\nkeypair alice, bob\npublic g\nkey k @ alice, bob\n"
        "function f/2\n"
        "protocol p(A, B) {\n  fresh n @ A\n  A -> B : (f(n, g), enc(k, (A, server)), sk(A))\n"
        "  B -> * : hash(n)\n}\n"
        "session s = p(alice, bob)\n"
    )
    m = load_text(src, "t.tip")
    assert m.messages[0].term == TTuple((
        TApp("f", (TName("s.n"), TName("g"))),
        TApp("enc", (TName("k"), TTuple((TAgent(a("alice")), TAgent(a("server")))))),
        TApp("sk", (TAgent(a("alice")),)),
    ))
    assert m.messages[1].receiver is None and m.messages[1].receiver_role is None
    assert m.messages[1].sender_role == "B"


def test_the_protocol_of_the_contract_parses_as_one_statement() -> None:
    spec = parse(NSPK, "t.tip")
    (block,) = [s for s in spec.statements if isinstance(s, S.ProtocolStmt)]
    assert block.name == "nspk" and [p for p, _ in block.params] == ["A", "B"]
    assert [type(b).__name__ for b in block.body] == [
        "FreshStmt", "FreshStmt", "MessageStmt", "MessageStmt", "MessageStmt"
    ]
    assert block.body_lines == ((6, 6), (7, 7), (8, 8), (9, 9), (10, 10))
    k = spec.statements.index(block)
    assert spec.lines[k] == (5, 11)
    sessions = [s for s in spec.statements if isinstance(s, S.SessionStmt)]
    assert [(s.target.name, s.protocol, [r.name for r in s.args]) for s in sessions] == [
        ("s1", "nspk", ["alice", "eve"]), ("s2", "nspk", ["alice", "bob"])
    ]


def test_block_layouts_that_parse() -> None:
    head = "agent alice, bob\nkeypair alice, bob\n"
    one_line = load_text(head + "protocol p(A, B) { A -> B : A }\nsession s = p(alice, bob)\n")
    assert [x.term for x in one_line.messages] == [TAgent(a("alice"))]
    closing_after = load_text(
        head + "protocol p(A, B) {\n  fresh n @ A\n  A -> B : (n,\n    A) }\n"
        "session s = p(alice, bob)\n"
    )
    assert closing_after.messages[0].term == TTuple((TName("s.n"), TAgent(a("alice"))))
    unindented = load_text(
        head + "protocol p(A, B) {\nfresh n @ A\n\n# a comment\nA -> B : n\n}\n"
        "session s = p(alice, bob)\n"
    )
    assert unindented.messages[0].term == TName("s.n")
    crlf = load_text((head + "protocol p(A, B) {\n  A -> B : A\n}\nsession s = p(alice, bob)\n")
                     .replace("\n", "\r\n"))
    assert len(crlf.messages) == 1


def test_new_keywords_are_reserved() -> None:
    assert {"protocol", "session", "fresh"} <= KEYWORDS
    assert spec_errors("agent session") == [
        (1, 7, "'session' is a keyword and cannot be used as a name")
    ]


def test_an_empty_spec_with_only_a_protocol_is_fine() -> None:
    m = load_text("agent a\nprotocol p(A) {\n  fresh n @ A\n}\n")
    assert m.messages == () and m.values == ()


# ------------------------------------------------------------------------- printing


def test_show_prints_session_values_as_written() -> None:
    assert show(Name("s.na", (3,))) == "s[3].na"
    assert show(Name("s.na", (1, 2))) == "s[1,2].na"
    assert show(Name("s2.nb")) == "s2.nb"
    assert show(Name("x", (3,))) == "x[3]"


def test_the_proof_checker_parses_session_values() -> None:
    assert proofcheck.parse("s[3].na") == ("n", "s.na", (3,))
    assert proofcheck.parse("s2.nb") == ("n", "s2.nb", ())
    assert proofcheck.parse("aenc(pk(eve), (s1.na, alice))") == proofcheck.parse(
        "aenc(pk(eve), (s1.na, alice))"
    )
    assert proofcheck.parse("s[1].na + s[2].na") == proofcheck.mk_lin(
        [(("n", "s.na", (1,)), 1), (("n", "s.na", (2,)), 1)]
    )
    with pytest.raises(ValueError):
        proofcheck.parse("s2.")
    with pytest.raises(ValueError):
        proofcheck.parse("s2.3")


# --------------------------------------------------------------------------- errors

H = "agent alice, bob, eve\nkeypair alice, bob\n"  # lines 1-2
P = "protocol p(A, B) {\n  fresh na @ A\n  A -> B : aenc(pk(B), (na, A))\n}\n"  # lines 3-6


@pytest.mark.parametrize(
    ("src", "expected"),
    [
        pytest.param(H + P + "session s = q(alice, bob)\n",
                     [(7, 13, "unknown protocol 'q'")], id="unknown-protocol"),
        pytest.param(H + P + "session s = p(alice)\n",
                     [(7, 13, "protocol 'p' takes 2 agents (its roles A, B), found 1")],
                     id="too-few-agents"),
        pytest.param(H + P + "session s = p(alice, bob, eve)\n",
                     [(7, 27, "protocol 'p' takes 2 agents (its roles A, B), found 3")],
                     id="too-many-agents"),
        pytest.param(H + P + "session s = p(alice, bob)\nquery eve learns t.na\n",
                     [(8, 18, "unknown session 't'")], id="unknown-session"),
        pytest.param(H + P + "session s = p(alice, bob)\nquery eve learns s.nb\n",
                     [(8, 20, "session 's' runs protocol 'p', which creates no value 'nb'")],
                     id="unknown-session-value"),
        pytest.param(H + P + "session s = p(alice, bob)\nquery eve learns alice.na\n",
                     [(8, 18, "'alice' is an agent, not a session")], id="agent-as-session"),
        pytest.param(H + P + "session s = p(alice, bob)\nsession s = p(bob, alice)\n",
                     [(8, 9, "'s' is declared twice: it is already a session (line 7)")],
                     id="duplicate-session"),
        pytest.param(H + P + P.replace("(A, B)", "(C)").replace("A", "C").replace("B", "C"),
                     [(7, 10, "'p' is declared twice: it is already a protocol (line 3)")],
                     id="duplicate-protocol"),
        pytest.param(H + "protocol p(A, B) {\n  fresh na @ C\n}\n",
                     [(4, 14, "'C' is not a role of protocol 'p' (its roles: A, B)")],
                     id="fresh-at-non-role"),
        pytest.param(H + "protocol p(A, B) {\n  fresh na @ alice\n}\n",
                     [(4, 14, "'alice' is an agent, not a role of protocol 'p' "
                              "(its roles: A, B)")],
                     id="fresh-at-agent"),
        pytest.param(H + "protocol p(A, B) {\n  fresh A @ A\n}\n",
                     [(4, 9, "'A' is a role parameter: it stands for an agent and cannot be "
                             "declared fresh")],
                     id="role-declared-fresh"),
        pytest.param(H + "protocol p(A, B) {\n  A -> B : A[1]\n}\n",
                     [(4, 12, "role parameter 'A' cannot be indexed: it stands for one agent")],
                     id="role-indexed"),
        pytest.param(H + "protocol p(A, B) {\n  A -> B : pk(B[2])\n}\n",
                     [(4, 15, "role parameter 'B' cannot be indexed: it stands for one agent")],
                     id="role-indexed-in-pk"),
        pytest.param(H + "protocol p(A, B) {\n  A -> B : A + A\n}\n",
                     [(4, 12, "'A' is an agent: agents cannot be added or scaled")],
                     id="role-added"),
        pytest.param(H + "protocol p(A, B) {\n  fresh na @ A\n  A -> B : (na, nc)\n}\n",
                     [(5, 17, "undeclared name 'nc'")], id="undeclared-in-block"),
        pytest.param(H + "protocol p(A, B) {\n  A -> B : A for i in 1..2\n}\n",
                     [(4, 14, "a generator inside a protocol block is not allowed")],
                     id="generator-in-block"),
        pytest.param(H + "public x[1..2]\nprotocol p(A, B) {\n"
                     "  A -> B : sum(x[i] for i in 1..2)\n}\n",
                     [(5, 12, "a generator inside a protocol block is not allowed: sum(...) "
                              "ranges over one")],
                     id="sum-in-block"),
        pytest.param(H + "protocol p(A, B) {\n  l1: A -> B : A\n}\n",
                     [(4, 3, "a message in a protocol block cannot have a label: it is a step "
                             "of every session that runs the protocol")],
                     id="label-in-block"),
        pytest.param(H + "protocol p(A, B) {\n  protocol q(C) {\n    C -> C : C\n  }\n}\n",
                     [(4, 3, "protocol blocks cannot be nested")], id="nested-block"),
        pytest.param(H + "protocol p(A, B) {\n  A -> B : A\nquery who learns alice\n",
                     [(3, 18, "'{' was never closed")], id="unclosed-block"),
        pytest.param(H + "protocol p(A, B) {\n  A -> B : A\n",
                     [(3, 18, "'{' was never closed")], id="unclosed-block-at-eof"),
        pytest.param(H + "protocol p(A, B)\n",
                     [(3, 17, "expected '{', found the end of the statement")],
                     id="block-without-brace"),
        pytest.param(H + "}\n", [(3, 1, "unmatched '}'")], id="stray-brace"),
        pytest.param(H + "protocol p(A, B {\n  fresh na @ A\n  A -> B : na\n}\n"
                     "session s = p(alice, bob)\nquery bob learns s.na\n",
                     [(3, 11, "'(' was never closed")], id="unclosed-parenthesis-in-head"),
        pytest.param(H + "protocol p(A, B) {\n  A -> B : A\n} x\n",
                     [(5, 3, "expected the end of the statement, found 'x'")],
                     id="junk-after-block"),
        pytest.param(H + "fresh na @ alice\n",
                     [(3, 1, "'fresh' can only be used inside a protocol block")],
                     id="fresh-outside-block"),
        pytest.param(H + "protocol p(A, B) {\n  secret x @ A\n}\n",
                     [(4, 3, "'secret' cannot be used inside a protocol block")],
                     id="declaration-in-block"),
        pytest.param(H + "protocol p(A, B) {\n  fresh na @ A\n  fresh na @ B\n}\n",
                     [(5, 9, "'na' is declared fresh twice in protocol 'p' (first at line 4)")],
                     id="fresh-twice"),
        pytest.param(H + "protocol p(A, A) {\n  A -> A : A\n}\n",
                     [(3, 15, "role parameter 'A' is listed twice")], id="role-twice"),
        pytest.param(H + "protocol p(alice, B) {\n  B -> alice : B\n}\n",
                     [(3, 12, "a role parameter cannot be named 'alice': it is already an "
                              "agent (line 1)")],
                     id="role-named-like-an-agent"),
        pytest.param(H + "random na @ alice\nprotocol p(A, B) {\n  fresh na @ A\n}\n",
                     [(5, 9, "a fresh value cannot be named 'na': it is already a random "
                             "value (line 3)")],
                     id="fresh-named-like-a-value"),
        pytest.param(H + "protocol p(A, B) {\n  alice -> B : A\n}\n",
                     [(4, 3, "'alice' is an agent, not a role of protocol 'p' (its roles: A, B)")],
                     id="sender-not-a-role"),
        pytest.param(H + "protocol p(A, B) {\n  A -> C : A\n}\n",
                     [(4, 8, "'C' is not a role of protocol 'p' (its roles: A, B)")],
                     id="receiver-not-a-role"),
        pytest.param("agent alice, bob, carol\nkeypair alice, bob\n" + P
                     + "session s = p(alice, carol)\n",
                     [(7, 22, "'carol' plays B in protocol 'p', which uses pk(B) or sk(B) "
                              "(line 5): 'carol' has no key pair")],
                     id="role-agent-without-keypair"),
        pytest.param(H + P + "session s = p(alice, dave)\n",
                     [(7, 22, "undeclared agent 'dave'")], id="unknown-agent-in-session"),
        pytest.param(H + "random r @ alice\nquery bob learns ?r\n",
                     [(4, 18, "'?' marks a part of a message that its receiver accepts "
                              "unchecked; it can be used only in a message")],
                     id="unchecked-outside-messages"),
        pytest.param(H + "public x[1..2]\nalice -> bob : sum(?x[i] for i in 1..2)\n",
                     [(4, 20, "'?' cannot mark a part inside sum(...)")],
                     id="unchecked-in-sum"),
        pytest.param(H + P + "session s = p(alice, bob)\nquery bob learns s\n",
                     [(8, 18, "'s' is a session, not a term")], id="session-as-term"),
        pytest.param(H + P + "query bob learns p\n",
                     [(7, 18, "'p' is a protocol, not a term")], id="protocol-as-term"),
        pytest.param(H + P + "session s = p(alice, bob)\nquery bob learns s[1].na\n",
                     [(8, 18, "session 's' takes no index")], id="session-not-a-family"),
        pytest.param(H + P + "session s[i] = p(alice, bob) for i in 1..2\nquery bob learns s.na\n",
                     [(8, 18, "session family 's' takes 1 index, found 0")],
                     id="family-without-index"),
        pytest.param(H + P + "session s[i] = p(alice, bob) for i in 1..2\n"
                     "query bob learns s[3].na\n",
                     [(8, 18, "there is no session s[3]; the sessions s[...] have indices in "
                              "1..2")],
                     id="family-out-of-range"),
        pytest.param(H + P + "session s[i % 2] = p(alice, bob) for i in 1..3\n",
                     [(7, 9, "session s[1] is named twice (when i = 1 and when i = 3)")],
                     id="family-names-a-session-twice"),
        pytest.param(H + P + "session s = p(alice, bob) for i in 1..3\n",
                     [(7, 9, "session 's' has a generator but no index: name each session")],
                     id="generator-without-index"),
        pytest.param(H + P + "session s[1..2] = p(alice, bob)\n",
                     [(7, 11, "a range is not allowed here")], id="session-range"),
        pytest.param(H + P + "session s = p(alice, bob)\nquery bob learns s[1..2].na\n",
                     [(8, 18, "session 's' takes no index")], id="session-value-range"),
        pytest.param(H + "agent u[1.N]\n",
                     [(3, 10, "expected ',', '..' or ']', found '.'")], id="lone-dot"),
        pytest.param(H + "random r @ alice\nalice -> bob : ??r\n",
                     [(4, 17, "expected a term, found '?'")], id="double-question-mark"),
    ],
)
def test_errors_at_their_place(src: str, expected: list[tuple[int, int, str]]) -> None:
    assert spec_errors(src) == expected


def test_errors_carry_hints() -> None:
    def hint(src: str) -> str | None:
        with pytest.raises(SpecError) as info:
            load_text(src, "t.tip")
        return info.value.diagnostics[0].hint

    assert hint(H + P + "session s = pp(alice, bob)\n") == "did you mean 'p'?"
    assert hint(H + P + "session run1 = p(alice, bob)\nquery eve learns run2.na\n") == (
        "did you mean 'run1'?"
    )
    assert hint(H + P + "session s = p(alice, bob)\nquery eve learns s.nb\n") == (
        "its fresh values: na"
    )
    assert hint(H + "protocol p(A, B) {\n  fresh na @ AA\n}\n") == "did you mean 'A'?"
    assert hint(H + "protocol p(Alice, B) {\n  B -> Alice : Alicee\n}\n") == (
        "did you mean 'Alice'?"
    )
    assert hint("agent alice, carol\nkeypair alice\n" + P
                + "session s = p(alice, carol)\n") == "declare it: keypair carol"
    assert hint(H + "protocol p(A, B)\n") == (
        "a protocol block opens with '{' at the end of its first line"
    )
    assert hint(H + "protocol p(A, B) {\n  A -> B : A\n") == "close the protocol block with '}'"
    assert hint(H + P + "session s = p(alice, bob)\nquery bob learns s\n") == (
        "name one of its values, as in s.na"
    )


def test_all_errors_of_a_block_are_reported_and_nothing_cascades() -> None:
    src = H + (
        "protocol p(A, B) {\n"       # 3
        "  fresh na @ C\n"           # 4: C is not a role (na still declared)
        "  A -> B : \n"              # 5: syntax error
        "  B -> A : (na, zz)\n"      # 6: undeclared zz
        "}\n"
        "session s = p(alice, bob)\n"  # 8: no error of its own
        "query eve learns s.na\n"      # 9: fine
        "protocol q(C D) {\n"          # 10: syntax error in the head
        "  C -> D : nope\n"            # 11: not reported (the block is left out)
        "}\n"
        "session t = q(alice, bob)\n"  # 13: not reported (q did not parse)
        "query eve learns t.nc\n"      # 14: not reported
    )
    assert spec_errors(src) == [
        (4, 14, "'C' is not a role of protocol 'p' (its roles: A, B)"),
        (5, 11, "expected a term, found the end of the statement"),
        (6, 17, "undeclared name 'zz'"),
        (10, 14, "expected ')' or ',', found 'D'"),
    ]


# ----------------------------------------------------------------------------- fmt


def test_fmt_prints_blocks_and_sessions_canonically() -> None:
    messy = (
        "agent alice,bob\nkeypair alice,bob\n"
        "protocol p(A,B) {   # head comment\n"
        "\n"
        "  # about na\n"
        "  fresh na@A\n"
        "      fresh nb @B  # nb\n"
        "\n\n"
        "  A->B:aenc(pk(B),(na,\n"
        "     # inside\n"
        "     A))  # after msg1\n"
        "B->A : aenc(pk(A),(na,?nb))\n"
        "}  # end\n"
        "session s1=p(alice,bob)\n"
        "session s[i] = p(alice, bob) for i in 1..2\n"
        "query who learns s1.nb\n"
        "query who learns s[2].nb\n"
        "protocol q(A) { A -> A : hash(A) }\n"
    )
    out = format_source(messy, "m.tip")
    assert out == (
        "agent alice, bob\n"
        "\n"
        "keypair alice, bob\n"
        "\n"
        "protocol p(A, B) {  # head comment\n"
        "  # about na\n"
        "  fresh na @ A\n"
        "  fresh nb @ B  # nb\n"
        "\n"
        "  # inside\n"
        "  A -> B : aenc(pk(B), (na, A))  # after msg1\n"
        "  B -> A : aenc(pk(A), (na, ?nb))\n"
        "}  # end\n"
        "\n"
        "session s1 = p(alice, bob)\n"
        "session s[i] = p(alice, bob) for i in 1..2\n"
        "\n"
        "query who learns s1.nb\n"
        "query who learns s[2].nb\n"
        "\n"
        "protocol q(A) {\n"
        "  A -> A : hash(A)\n"
        "}\n"
    )
    assert format_source(out, "m.tip") == out
    assert same_model(load_text(messy, "m.tip"), load_text(out, "m.tip"))


@pytest.mark.parametrize("name", ["nspk.tip", "nsl.tip"])
def test_fmt_of_the_examples_is_idempotent_and_model_preserving(name: str) -> None:
    text = (EXAMPLES / name).read_text(encoding="utf-8")
    once = format_source(text, name)
    assert format_source(once, name) == once
    assert "  fresh na @ A\n  fresh nb @ B\n  A -> B : aenc(pk(B), (na, A))\n" in once
    assert same_model(load_text(text, name), load_text(once, name))


def test_fmt_of_a_spec_with_sessions_but_undeclared_names() -> None:
    src = "session s = nope(x, y)\n\nquery who learns s.v\n"
    assert format_source(src, "t.tip") == src


# ------------------------------------------------------------------------ fuzzing

PIECES = [
    "protocol ", "session ", "fresh ", "{", "}", "{\n", "\n}\n", "?", ".", "s1.", "s[1].",
    "\n  ", "\n", "(", ")", ",", "A", "B", " @ A", " -> ", " : ", "na", " for i in 1..2",
    "[i]", "agent ", "query ", "#",
]


@st.composite
def mangled(draw: st.DrawFn) -> str:
    text = draw(st.sampled_from([NSPK, FAMILY, (EXAMPLES / "nsl.tip").read_text()]))
    for _ in range(draw(st.integers(1, 5))):
        pos = draw(st.integers(0, len(text)))
        op = draw(st.sampled_from(["delete", "insert", "replace"]))
        if op == "delete":
            text = text[:pos] + text[pos + draw(st.integers(1, 6)):]
        elif op == "insert":
            text = text[:pos] + draw(st.sampled_from(PIECES)) + text[pos:]
        else:
            text = text[:pos] + draw(st.sampled_from(PIECES)) + text[pos + 1:]
    return text


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mangled())
def test_mangled_blocks_give_a_model_or_a_clean_error(text: str) -> None:
    try:
        model = load_text(text, "t.tip")
    except SpecError as e:
        assert e.diagnostics
        for d in e.diagnostics:
            assert d.pos.file == "t.tip" and d.pos.line >= 1 and d.message
        e.render()
        return
    once = format_source(text, "t.tip")
    assert format_source(once, "t.tip") == once
    assert same_model(model, load_text(once, "t.tip"))


def test_parse_recover_keeps_going_after_a_broken_block() -> None:
    res = parse_recover(H + "protocol p(A B) {\n  A -> B : A\n}\nagent carol\n", "t.tip")
    assert [type(s).__name__ for s in res.spec.statements] == [
        "AgentStmt", "KeypairStmt", "AgentStmt"
    ]
    assert {"p", "A", "B"} <= res.unparsed_names


# ------------------------------------------------------------------------ end to end


def test_nspk_the_attack_search_finds_lowes_attack_in_the_sessions() -> None:
    model = frontend.load(str(EXAMPLES / "nspk.tip"))
    who, nobody = (r.to_json() for r in check_spec(model, Options(proofs=False)))
    assert who["target"] == "s2.nb" and who["holders"] == [["bob"]]
    assert [lr["coalition"] for lr in who["learners"]] == [["eve"], ["alice"]]
    events = who["learners"][0]["attack"]["events"]
    assert [(e["kind"], e["session"], e["role"], e["agent"], e["to"], e["line"], e["step"])
            for e in events] == [
        ("send", "s1", "A", "alice", "eve", 14, 1),
        ("deliver", "s2", "B", "eve", "bob", 14, 4),
        ("send", "s2", "B", "bob", "alice", 15, 5),
        ("deliver", "s1", "A", "eve", "alice", 15, 2),
        ("send", "s1", "A", "alice", "eve", 16, 3),
    ]
    assert events[0]["term"] == "aenc(pk(eve), (s1.na, alice))"
    assert events[2]["term"] == "aenc(pk(alice), (s1.na, s2.nb))"
    assert who["bounded"] is True
    assert nobody["holds"] is False and nobody["counterexample"]["coalition"] == ["eve"]


def test_nspk_check_lists_eve_with_the_attack_and_the_assertion_fails(capsys) -> None:
    code = main(["check", str(EXAMPLES / "nspk.tip"), "--json"])
    out = capsys.readouterr().out
    assert code == 1
    who, nobody = json.loads(out)["results"]
    assert [lr["coalition"] for lr in who["learners"]] == [["eve"], ["alice"]]
    attack = who["learners"][0]["attack"]
    assert [(e["session"], e["role"], e["agent"]) for e in attack["events"]] == [
        ("s1", "A", "alice"), ("s2", "B", "eve"), ("s2", "B", "bob"),
        ("s1", "A", "eve"), ("s1", "A", "alice"),
    ]
    assert attack["events"][-1]["term"] == "aenc(pk(eve), s2.nb)"
    assert "attack" not in who["learners"][1]  # alice receives it in the honest run
    assert who["bounded"] is True
    assert nobody["holds"] is False and nobody["bounded"] is True
    assert nobody["counterexample"]["coalition"] == ["eve"]


def test_nspk_the_attack_replays_in_the_independent_checker() -> None:
    model = frontend.load(str(EXAMPLES / "nspk.tip"))
    who, _ = check_spec(model, Options())
    attack = who.to_json()["learners"][0]["attack"]
    assert proofcheck.check_attack(attack, model, "s2.nb") == []
    wrong = json.loads(json.dumps(attack))
    wrong["events"][0]["session"] = "s2"  # alice's first message belongs to s1
    assert proofcheck.check_attack(wrong, model, "s2.nb") != []


def test_nsl_check_no_attack_within_the_sessions(capsys) -> None:
    code = main(["check", str(EXAMPLES / "nsl.tip"), "--json"])
    out = capsys.readouterr().out
    assert code == 0
    who, not_eve = json.loads(out)["results"]
    assert [lr["coalition"] for lr in who["learners"]] == [["alice"]]
    assert who["bounded"] is True
    assert not_eve["text"] == "not eve learns s2.nb"
    assert not_eve["holds"] is True and not_eve["bounded"] is True


def test_the_sender_check_applies_to_session_messages(capsys, tmp_path) -> None:
    spec = tmp_path / "bad.tip"
    spec.write_text(
        "agent alice, bob\nkeypair alice, bob\n"
        "protocol p(A, B) {\n  fresh na @ A\n  fresh nb @ B\n"
        "  B -> A : aenc(pk(A), (na, nb))\n}\n"
        "session s = p(alice, bob)\nquery who learns s.nb\n"
    )
    code = main(["check", str(spec)])
    err = capsys.readouterr().err
    assert code == 2
    assert err.startswith(
        f"{spec}:6:3: error: bob cannot send aenc(pk(alice), (s.na, s.nb)) at step 1: "
        "it does not know s.na"
    )


def test_explain_takes_a_question_about_a_session_value() -> None:
    model = frontend.load_with_query(str(EXAMPLES / "nsl.tip"), "alice learns s2.nb")
    assert model.questions[-1].target == TName("s2.nb")
