"""The engine and the reference closure agree on every (agent, value) pair of random
small specs (hypothesis builds the models directly, without the parser)."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from reference import closure

from tipasp.engine import Engine
from tipasp.model import (
    AgentDecl,
    AgentRef,
    Keypair,
    Message,
    Model,
    NameInfo,
    Pos,
    TAgent,
    TApp,
    Term,
    TName,
    TTuple,
    ValueDecl,
)
from tipasp.terms import Name

AGENTS = ["a", "b", "c"]
VALUES = ["s1", "s2", "k1", "k2", "n1"]
P = Pos("random.tip", 1, 1)


def terms(depth: int) -> st.SearchStrategy[Term]:
    leaf = st.sampled_from(VALUES).map(lambda n: TName(n, (), P))
    if depth == 0:
        return leaf
    sub = terms(depth - 1)
    agent = st.sampled_from(AGENTS).map(lambda a: TAgent(AgentRef(a)))
    return st.one_of(
        leaf,
        st.lists(sub, min_size=2, max_size=3).map(lambda ps: TTuple(tuple(ps))),
        st.tuples(sub, sub).map(lambda kv: TApp("enc", kv, P)),
        st.tuples(agent, sub).map(lambda am: TApp("aenc", (TApp("pk", (am[0],)), am[1]), P)),
        st.tuples(agent, sub).map(lambda am: TApp("sign", (TApp("sk", (am[0],)), am[1]), P)),
        sub.map(lambda t: TApp("hash", (t,), P)),
    )


@st.composite
def models(draw) -> Model:
    holders = {v: draw(st.sets(st.sampled_from(AGENTS), max_size=2)) for v in VALUES}
    values = tuple(
        ValueDecl("secret", v, (), tuple(AgentRef(a) for a in sorted(hs)), None, P)
        for v, hs in holders.items()
    )
    n = draw(st.integers(1, 5))
    messages = []
    for s in range(1, n + 1):
        src, dst = draw(st.sampled_from(AGENTS)), draw(st.sampled_from(AGENTS + [None]))
        messages.append(Message(s, None, AgentRef(src), None if dst is None else AgentRef(dst),
                                draw(terms(2)), None, Pos("random.tip", s, 1)))
    return Model(
        file="random.tip", source="", consts={},
        agents=tuple(AgentDecl(a, (), P) for a in AGENTS), values=values,
        keypairs=tuple(Keypair(AgentRef(a), None, P) for a in AGENTS), functions=(),
        messages=tuple(messages), colludes=(), corrupts=(), eavesdroppers=(), questions=(),
        names={v: NameInfo("secret", 0) for v in VALUES}, labels={},
    )


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(models())
def test_engine_agrees_with_reference_closure_on_every_agent_and_value(model: Model) -> None:
    engine = Engine(model)
    for v in VALUES:  # the engine slices the spec to what can reach its targets
        engine.add_target(TName(v, (), P), {})
    for a in AGENTS:
        agent = Name(a)
        ref = {t for t in closure(model, agent) if isinstance(t, Name) and t.base in VALUES}
        know = engine.knowledge((agent,))
        got = {v for v in (Name(x) for x in VALUES) if know.knows(v)}
        assert got == ref, f"agent {a}: engine {sorted(map(str, got))} ref {sorted(map(str, ref))}"
