"""The resolver: every statement form of the language becomes exactly the model objects
that the engine expects (hand-built here; positions are not compared)."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from tipasp.frontend import load, load_text
from tipasp.model import (
    AgentDecl,
    AgentRef,
    Assertion,
    Binder,
    Collude,
    Corrupt,
    Eavesdropper,
    FunctionDecl,
    Generator,
    IBin,
    ICmp,
    IConst,
    INeg,
    IVar,
    Keypair,
    Message,
    NameInfo,
    Noise,
    Query,
    Shares,
    TAgent,
    TApp,
    TLin,
    TName,
    TSum,
    TTuple,
    ValueDecl,
)

DATA = Path(__file__).resolve().parent / "data"

PRELUDE = """\
const N = 4
agent server, eve
agent u[1..N]
secret x[i] @ u[i] for i in 1..N
"""


def m(src: str, **overrides: int):
    return load_text(src, "t.tip", overrides or None)


def gen(*binders: tuple[str, int, int], conds: tuple[ICmp, ...] = ()) -> Generator:
    return Generator(tuple(Binder(v, IConst(lo), IConst(hi)) for v, lo, hi in binders), conds)


def a(name: str, *index: object) -> AgentRef:
    return AgentRef(name, tuple(_ix(i) for i in index))


def n(name: str, *index: object) -> TName:
    return TName(name, tuple(_ix(i) for i in index))


def _ix(i: object):
    if isinstance(i, int):
        return IConst(i)
    if isinstance(i, str):
        return IVar(i)
    return i


I = IVar("i")  # noqa: E741
GEN_I = gen(("i", 1, 4))

# ------------------------------------------------------------------- constants


def test_constants_substituted_and_derived():
    model = m("const N = 5\nconst M = N * 2 - 1\nagent u[1..M]")
    assert model.consts == {"N": 5, "M": 9}
    assert model.agents == (AgentDecl("u", ((1, 9),)),)


def test_override_replaces_value_before_everything_else():
    model = m("const N = 5\nconst M = N * 2\nagent u[1..M]", N=10)
    assert model.consts == {"N": 10, "M": 20}
    assert model.agents == (AgentDecl("u", ((1, 20),)),)


def test_index_arithmetic_has_c_semantics_and_is_folded():
    model = m("const A = -7 / 2\nconst B = -7 % 3\nconst C = 7 mod -3\nconst D = (1 + 2) * 3 - -1")
    assert model.consts == {"A": -3, "B": -1, "C": 1, "D": 10}


def test_mod_is_a_synonym_of_percent():
    a1 = m(PRELUDE + "random r[i] @ u[i mod N + 1] for i in 1..N").values[1]
    a2 = m(PRELUDE + "random r[i] @ u[i % N + 1] for i in 1..N").values[1]
    assert a1 == a2
    assert a1.holders == (AgentRef("u", (IBin("+", IBin("%", I, IConst(4)), IConst(1)),)),)


# ---------------------------------------------------------------------- agents


def test_agents_plain_family_and_two_dimensional():
    model = m("const N = 3\nagent a, b, u[1..N]\nagent d[0..1, 2..N + 1]")
    assert model.agents == (
        AgentDecl("a", ()),
        AgentDecl("b", ()),
        AgentDecl("u", ((1, 3),)),
        AgentDecl("d", ((0, 1), (2, 4))),
    )


def test_agent_family_with_generator_form():
    model = m("agent u[i, j] for i in 1..3, j in 2..5")
    assert model.agents == (AgentDecl("u", ((1, 3), (2, 5))),)


def test_a_million_agents_stay_symbolic_and_cheap():
    start = time.perf_counter()
    model = m(
        "const N = 1000000\nagent server\nagent u[1..N]\n"
        "secret x[i] @ u[i] for i in 1..N\n"
        "random r[i] @ u[i], u[i % N + 1] for i in 1..N\n"
        "u[i] -> server : x[i] + r[i] - r[(i + N - 2) % N + 1] for i in 1..N\n"
        "server -> * : sum(x[i] for i in 1..N)\n"
        "query server learns x[1]"
    )
    assert time.perf_counter() - start < 1.0
    assert model.agents[1] == AgentDecl("u", ((1, 1000000),))
    assert len(model.values) == 2 and len(model.messages) == 2
    assert model.values[0].gen == gen(("i", 1, 1000000))


# ---------------------------------------------------------------------- values


def test_public_values_one_decl_per_name():
    model = m("public g, p\npublic c[i] for i in 1..3")
    assert model.values == (
        ValueDecl("public", "g", (), (), None),
        ValueDecl("public", "p", (), (), None),
        ValueDecl("public", "c", (I,), (), gen(("i", 1, 3))),
    )
    assert model.names["c"] == NameInfo("public", 1)


def test_secret_with_range_and_sensitivity():
    model = m("agent a\nsecret s @ a range 0..9999 sensitivity 2.0\nsecret t @ a")
    assert model.values == (
        ValueDecl("secret", "s", (), (a("a"),), None, range=(0, 9999), sensitivity=2.0),
        ValueDecl("secret", "t", (), (a("a"),), None),
    )
    assert model.values[1].sensitivity == 1.0


def test_random_and_key_with_several_holders_and_index_expressions():
    model = m(PRELUDE + "random m[i] @ u[i], u[i % N + 1] for i in 1..N\nkey k @ server, u[1]")
    assert model.values[1] == ValueDecl(
        "random",
        "m",
        (I,),
        (a("u", "i"), a("u", IBin("+", IBin("%", I, IConst(4)), IConst(1)))),
        GEN_I,
    )
    assert model.values[2] == ValueDecl("key", "k", (), (a("server"), a("u", 1)), None)


def test_noise_gaussian_laplace_and_pairwise():
    model = m(
        PRELUDE
        + "noise e[i] ~ gaussian(2.0) @ u[i] for i in 1..N\nnoise l ~ laplace(3) @ u[1], u[2]"
    )
    assert model.values[1] == ValueDecl(
        "noise", "e", (I,), (a("u", "i"),), GEN_I, noise=Noise("gaussian", 2.0)
    )
    assert model.values[2] == ValueDecl(
        "noise", "l", (), (a("u", 1), a("u", 2)), None, noise=Noise("laplace", 3.0)
    )


def test_shares_simple():
    model = m("agent a\nsecret v @ a\nshares s[1..5] of v threshold 3 @ a")
    assert model.values[1] == ValueDecl(
        "share",
        "s",
        (IVar("#k"),),
        (a("a"),),
        Generator((Binder("#k", IConst(1), IConst(5)),)),
        shares=Shares(n("v"), 5, 3),
    )
    assert model.names["s"] == NameInfo("share", 1)


def test_shares_under_a_generator_keep_the_share_index_last():
    model = m(
        "const N = 3\nagent d[1..N]\nsecret v[i] @ d[i] for i in 1..N\n"
        "shares s[i, 1..3] of v[i] threshold 2 @ d[i] for i in 1..N"
    )
    assert model.values[1] == ValueDecl(
        "share",
        "s",
        (I, IVar("#k")),
        (a("d", "i"),),
        Generator((Binder("i", IConst(1), IConst(3)), Binder("#k", IConst(1), IConst(3)))),
        shares=Shares(n("v", "i"), 3, 2),
    )


def test_value_family_declared_by_range():
    model = m("agent a\nrandom r[1..3] @ a")
    assert model.values[0] == ValueDecl(
        "random", "r", (IVar("#1"),), (a("a"),), Generator((Binder("#1", IConst(1), IConst(3)),))
    )


def test_holders_by_range_become_a_generator():
    model = m("agent u[1..4]\nkey k @ u[1..4]")
    assert model.values[0] == ValueDecl(
        "key", "k", (), (a("u", "#1"),), Generator((Binder("#1", IConst(1), IConst(4)),))
    )


def test_value_family_declared_in_pieces():
    model = m("agent a, b\nsecret x[1] @ a\nsecret x[2] @ b\nquery a learns x[2]")
    assert [v.index for v in model.values] == [(IConst(1),), (IConst(2),)]


def test_keypairs_one_per_agent():
    model = m(
        "agent a, b\nagent u[1..3]\nkeypair a, b\nkeypair u[i] for i in 1..3\nkeypair u[1..2]"
    )
    assert model.keypairs == (
        Keypair(a("a"), None),
        Keypair(a("b"), None),
        Keypair(a("u", "i"), gen(("i", 1, 3))),
        Keypair(a("u", "#1"), Generator((Binder("#1", IConst(1), IConst(2)),))),
    )


def test_functions_declared_and_applied():
    model = m("agent a\nsecret x, y @ a\nfunction f/2, g/1\na -> a : f(g(x), y)")
    assert model.functions == (FunctionDecl("f", 2), FunctionDecl("g", 1))
    assert model.messages[0].term == TApp("f", (TApp("g", (n("x"),)), n("y")))


# ----------------------------------------------------------------------- terms


def term(src_term: str, extra: str = "") -> object:
    spec = (
        "agent a, b\nagent u[1..3]\nkeypair b\nsecret x, y, z @ a\n"
        "secret w[i] @ u[i] for i in 1..3\nfunction f/2\n" + extra + f"a -> b : {src_term}\n"
    )
    return m(spec).messages[0].term


def test_names_agents_and_keys_as_terms():
    assert term("x") == n("x")
    assert term("w[2]") == n("w", 2)
    assert term("aenc(pk(b), (x, a))") == TApp(
        "aenc", (TApp("pk", (TAgent(a("b")),)), TTuple((n("x"), TAgent(a("a")))))
    )
    assert term("sign(sk(b), u[2])") == TApp(
        "sign", (TApp("sk", (TAgent(a("b")),)), TAgent(a("u", 2)))
    )


def test_builtins_and_declared_functions():
    assert term("enc(x, mac(y, hash(z)))") == TApp(
        "enc", (n("x"), TApp("mac", (n("y"), TApp("hash", (n("z"),)))))
    )
    assert term("exp(exp(x, y), z)") == TApp("exp", (TApp("exp", (n("x"), n("y"))), n("z")))
    assert term("f(x, (y, z))") == TApp("f", (n("x"), TTuple((n("y"), n("z")))))


def test_grouping_is_not_a_tuple():
    assert term("(x)") == n("x")
    assert term("((x, y))") == TTuple((n("x"), n("y")))


def test_linear_terms_are_flattened():
    assert term("x - 2*y + z") == TLin(((1, n("x")), (-2, n("y")), (1, n("z"))))
    assert term("x * 3") == TLin(((3, n("x")),))
    assert term("-x") == TLin(((-1, n("x")),))
    assert term("-(x - y)") == TLin(((-1, n("x")), (1, n("y"))))
    assert term("2 * (x + 3 * (y - z))") == TLin(((2, n("x")), (6, n("y")), (-6, n("z"))))
    assert term("C * x - x * C", "const C = 4\n") == TLin(((4, n("x")), (-4, n("x"))))
    assert term("x + hash(y)") == TLin(((1, n("x")), (1, TApp("hash", (n("y"),)))))


def test_sums_with_outer_variables_in_bounds():
    spec = (
        "const N = 3\nagent s\nagent u[1..N]\nrandom d[i, j] @ u[i], u[j] for i in 1..N, "
        "j in 1..N if i < j\n"
        "u[i] -> s : sum(d[i, j] for j in i + 1..N) - sum(d[j, i] for j in 1..i - 1) "
        "for i in 1..N\n"
    )
    msg = m(spec).messages[0]
    assert msg.term == TLin(
        (
            (
                1,
                TSum(
                    n("d", "i", "j"), Generator((Binder("j", IBin("+", I, IConst(1)), IConst(3)),))
                ),
            ),
            (
                -1,
                TSum(
                    n("d", "j", "i"), Generator((Binder("j", IConst(1), IBin("-", I, IConst(1))),))
                ),
            ),
        )
    )
    assert m(spec).values[0].gen == gen(
        ("i", 1, 3), ("j", 1, 3), conds=(ICmp("<", IVar("i"), IVar("j")),)
    )


def test_sum_with_condition_and_negative_index():
    t = term("sum(w[i] for i in 1..3 if i != 2, -i < 0)")
    assert t == TSum(
        n("w", "i"),
        Generator(
            (Binder("i", IConst(1), IConst(3)),),
            (ICmp("!=", I, IConst(2)), ICmp("<", INeg(I), IConst(0))),
        ),
    )


def test_and_is_a_comma_in_conditions():
    t1 = term("sum(w[i] for i in 1..3 if i != 2 and i != 3)")
    t2 = term("sum(w[i] for i in 1..3 if i != 2, i != 3)")
    assert t1 == t2


# -------------------------------------------------------------------- messages


def test_messages_steps_labels_broadcast_and_text():
    model = m(
        PRELUDE + "setup: u[i] -> server : x[i]   for i in 1..N\n"
        "server -> * : sum(x[i] for i in 1..N)  # to everyone\n"
        "final: server -> eve : \\\n   x[1]\n"
    )
    assert model.messages == (
        Message(1, "setup", a("u", "i"), a("server"), n("x", "i"), GEN_I),
        Message(2, None, a("server"), None, TSum(n("x", "i"), GEN_I), None),
        Message(3, "final", a("server"), a("eve"), n("x", 1), None),
    )
    assert model.labels == {"setup": 1, "final": 3}
    assert model.messages[0].text == "setup: u[i] -> server : x[i]   for i in 1..N"
    assert model.messages[1].text == "server -> * : sum(x[i] for i in 1..N)"
    assert model.messages[2].text == "final: server -> eve : \\\n   x[1]"


# ----------------------------------------------------------------- adversaries


def test_collude():
    model = m(
        PRELUDE
        + "collude server, u[2]\ncollude server, u[i] for i in 1..2\ncollude server, u[2..3]"
    )
    assert model.colludes == (
        Collude((a("server"), a("u", 2))),
        Collude((a("server"), a("u", "i")), gen(("i", 1, 2))),
        Collude((a("server"), a("u", "#1")), Generator((Binder("#1", IConst(2), IConst(3)),))),
    )


def test_corrupt_forms():
    model = m(
        PRELUDE
        + "corrupt 2 of u[1..N] with server\ncorrupt 1 of u[2..3]\ncorrupt 0 of u with server, eve"
    )
    assert model.corrupts == (
        Corrupt(2, "u", 1, 4, (a("server"),)),
        Corrupt(1, "u", 2, 3, ()),
        Corrupt(0, "u", 1, 4, (a("server"), a("eve"))),
    )


def test_eavesdroppers():
    model = m(
        PRELUDE + "eavesdropper eve\neavesdropper eve on u[1] -> server\n"
        "eavesdropper eve on u[i] -> server for i in 1..N\neavesdropper eve on server -> *"
    )
    assert model.eavesdroppers == (
        Eavesdropper(a("eve")),
        Eavesdropper(a("eve"), (a("u", 1), a("server"))),
        Eavesdropper(a("eve"), (a("u", "i"), a("server")), GEN_I),
        Eavesdropper(a("eve"), (a("server"), None)),
    )


# ------------------------------------------------------------------- questions

QPRE = PRELUDE + "setup: u[i] -> server : x[i] for i in 1..N\nserver -> * : x[1] + x[2]\n"


def test_queries_every_form():
    model = m(
        QPRE + "query who learns x[1]\n"
        "query server learns x[1] after setup\n"
        "query {server, u[2]} learns x[1] + x[2] after step 2\n"
        "query {server} learns x[1] after 1\n"
        "query leakage of x[i] to server at 1e-6 for i in 1..N\n"
        "query leakage of x[1] to {server, eve}\n"
    )
    x1 = n("x", 1)
    assert model.questions == (
        Query("who", x1, None, None, None),
        Query("learns", x1, (a("server"),), 1, None),
        Query("learns", TLin(((1, x1), (1, n("x", 2)))), (a("server"), a("u", 2)), 2, None),
        Query("learns", x1, (a("server"),), 1, None),
        Query("leakage", n("x", "i"), (a("server"),), None, GEN_I, delta=1e-6),
        Query("leakage", x1, (a("server"), a("eve")), None, None),
    )
    assert [q.text for q in model.questions] == [
        "who learns x[1]",
        "server learns x[1] after setup",
        "{server, u[2]} learns x[1] + x[2] after step 2",
        "{server} learns x[1] after 1",
        "leakage of x[i] to server at 1e-6 for i in 1..N",
        "leakage of x[1] to {server, eve}",
    ]


def test_assertions_every_form():
    model = m(
        QPRE + "assert not server learns x[i] for i in 1..N\n"
        "assert server learns x[1] + x[2] after 0\n"
        "assert nobody learns x[3] after setup\n"
        "assert leakage of x[1] to {server, u[2]} within 1.0, 1e-5\n"
        "assert leakage of x[1] to server within 2\n"
    )
    assert model.questions == (
        Assertion("not_learns", n("x", "i"), (a("server"),), None, GEN_I),
        Assertion("learns", TLin(((1, n("x", 1)), (1, n("x", 2)))), (a("server"),), 0, None),
        Assertion("nobody", n("x", 3), None, 1, None),
        Assertion(
            "leakage_within",
            n("x", 1),
            (a("server"), a("u", 2)),
            None,
            None,
            epsilon=1.0,
            delta=1e-5,
        ),
        Assertion("leakage_within", n("x", 1), (a("server"),), None, None, epsilon=2.0),
    )
    assert model.questions[0].text == "not server learns x[i] for i in 1..N"
    assert model.questions[4].delta is None


def test_agent_identity_is_a_query_target():
    model = m(QPRE + "query who learns (server, x[1])")
    assert model.questions[0].target == TTuple((TAgent(a("server")), n("x", 1)))


# ----------------------------------------------------------------- lexical rules


def test_names_that_look_like_keywords_are_fine():
    model = m(
        "agent Alice, _x, knows, show, not_, range, at, on, nobody, within, threshold\n"
        "secret sensitivity @ range range 0..1\n"
        "Alice -> at : sensitivity\n"
        "eavesdropper on on Alice -> at\n"
        "assert {nobody} learns sensitivity\n"
    )
    assert [d.name for d in model.agents][:5] == ["Alice", "_x", "knows", "show", "not_"]
    assert model.values[0] == ValueDecl(
        "secret", "sensitivity", (), (a("range"),), None, range=(0, 1)
    )
    assert model.eavesdroppers[0] == Eavesdropper(a("on"), (a("Alice"), a("at")))
    assert model.questions[0].coalition == (a("nobody"),)


def test_empty_and_comment_only_specs_are_valid():
    for src in ["", "\n\n", "# nothing here\n   # at all", "\ufeff"]:
        model = m(src)
        assert model.agents == () and model.values == () and model.questions == ()


def test_all_forms_fixture_resolves():
    model = load(str(DATA / "all_forms.tip"))
    assert model.consts == {"N": 4, "M": 7}
    assert len(model.messages) == 5 and len(model.questions) == 9
    assert model.messages[3].term == TApp(
        "sign",
        (
            TApp("sk", (TAgent(a("u", 1)),)),
            TApp("mac", (n("k"), TApp("exp", (n("g"), TApp("h", (n("x", 1),)))))),
        ),
    )
    assert model.messages[4].term == TApp(
        "enc", (n("k"), TTuple((n("x", 2), TLin(((2, n("e", 2)), (-1, n("l")))))))
    )


@pytest.mark.parametrize("big", [3, 10_000, 10_000_000])
def test_index_checks_do_not_depend_on_family_size(big: int):
    start = time.perf_counter()
    model = m(
        f"const N = {big}\nagent u[1..N]\nsecret x[i] @ u[i] for i in 1..N\n"
        "u[i] -> u[i % N + 1] : x[i] for i in 1..N\n"
    )
    assert time.perf_counter() - start < 1.0
    assert model.messages[0].receiver == a("u", IBin("+", IBin("%", I, IConst(big)), IConst(1)))
