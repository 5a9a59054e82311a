"""Malicious agents and the network intruder (docs/language.md): attacks found by the
bounded search, replayed by the independent checker, verdicts pinned on the
examples."""

from __future__ import annotations

import pytest
from conftest import EXAMPLES, check_example, check_text, learners

from tipasp import frontend, names
from tipasp.answer import Options
from tipasp.attack_roles import Var, roles
from tipasp.attack_search import AttackSearch
from tipasp.report import check_spec
from tipasp.results import Result
from tipasp.terms import Name


def by_line(res: list[Result], line: int) -> Result:
    return next(r for r in res if r.line == line)


def test_lowe_attack_on_needham_schroeder_is_found_and_checked() -> None:
    res = check_example("nspk_narration.tip")
    learns = by_line(res, 20).to_json()
    assert learns["answer"] is True and learns["bounded"] is True
    events = learns["attack"]["events"]
    # the shortest attack: alice starts with eve, eve replays to bob, bob's answer
    # is forwarded to alice, who decrypts it for eve
    assert [(e["kind"], e["role"], e["line"]) for e in events] == [
        ("send", "alice", 13), ("deliver", "bob", 16), ("send", "bob", 17),
        ("deliver", "alice", 14), ("send", "alice", 15)]
    assert events[1]["term"] == "aenc(pk(bob), (na1, alice))"
    assert events[1]["from"] == "alice" and events[1]["agent"] == "eve"
    assert learns["attack"]["proof"]["steps"][-1]["term"] == "nb2"
    who = by_line(res, 21)
    assert learners(who) == [["eve"], ["alice"]]
    assert who.to_json()["learners"][0]["attack"]["events"] == events
    assert by_line(res, 22).to_json()["holds"] is True


def test_the_lowe_fix_has_no_attack_within_the_bound() -> None:
    res = check_example("nsl_narration.tip")
    fixed = by_line(res, 21).to_json()
    assert fixed["holds"] is True and fixed["bounded"] is True
    who = by_line(res, 22)
    assert learners(who) == [["alice"]]
    assert who.to_json()["bounded"] is True


def test_unauthenticated_diffie_hellman_has_a_man_in_the_middle() -> None:
    (res,) = (r.to_json() for r in check_example("dh_mitm.tip"))
    assert res["answer"] is True
    terms = [e["term"] for e in res["attack"]["events"]]
    assert "exp(g, e)" in terms  # eve's half key replaces bob's


def test_signed_diffie_hellman_keeps_the_secret() -> None:
    (res,) = (r.to_json() for r in check_example("dh_signed.tip"))
    assert res["holds"] is True and res["bounded"] is True


def test_roles_check_what_they_know_and_accept_the_rest() -> None:
    model = frontend.load(str(EXAMPLES / "nspk_narration.tip"))
    rs = {r.agent: r for r in roles(model).honest}
    assert set(rs) == {Name("alice"), Name("bob")}  # eve is the adversary: not run
    alice = rs[Name("alice")]
    recv = alice.steps[1]
    assert recv.kind == "recv" and recv.line == 14
    # alice checks her own nonce na1 and accepts eve's nonce as it arrives
    nb1 = Var(Name("alice"), Name("nb1"), "value")
    from tipasp.terms import App, Tup
    assert recv.pattern == App("aenc", (App("pk", (Name("alice"),)), Tup((Name("na1"), nb1))))
    # ... and sends back whatever she received in its place
    assert alice.steps[2].pattern == App("aenc", (App("pk", (Name("eve"),)), nb1))


def test_a_malicious_insider_without_an_intruder_sees_only_its_own_messages() -> None:
    text = """agent alice, bob, server
key kas @ alice, server
key kbs @ bob, server
secret s @ alice
random k @ server
malicious bob
server -> alice : enc(kas, k)
server -> bob : enc(kbs, k)
alice -> bob : enc(k, s)
query bob learns s
query {bob} learns k
"""
    res = check_text(text, "insider.tip")
    assert [r.to_json()["answer"] for r in res] == [True, True]


def test_no_attack_when_the_key_stays_between_honest_agents() -> None:
    text = """agent alice, server, mallory
key kas @ alice, server
secret s @ alice
random k @ server
malicious mallory
server -> alice : enc(kas, k)
alice -> server : enc(k, s)
assert not mallory learns s
"""
    (res,) = (r.to_json() for r in check_text(text, "honest.tip"))
    assert res["holds"] is True and res["bounded"] is True


@pytest.mark.parametrize("name", ["nspk_narration.tip", "dh_mitm.tip"])
def test_every_attack_replays_in_the_checker(name: str) -> None:
    from tipasp import proofcheck
    from tipasp.attack_search import attack_json
    from tipasp.terms import show

    model = frontend.load(str(EXAMPLES / name))
    attacks = 0
    for r in check_spec(model, Options()):
        for lr in r.answered():
            if lr.attack is not None:
                attacks += 1
                assert proofcheck.check_attack(attack_json(lr.attack), model,
                                               show(r.target)) == []
    assert attacks


def test_the_search_is_fast_on_lowe() -> None:
    """Not a timing test: the ground attack program of NSPK stays small."""
    model = frontend.load(str(EXAMPLES / "nspk_narration.tip"))
    s = AttackSearch(model, [Name("nb2")])
    atoms = len(s.control(s.horizons()[-1]).symbolic_atoms)
    assert 1000 < atoms < 20000, atoms


@pytest.mark.parametrize("fmt", ["text", "markdown", "dot", "json"])
def test_explain_renders_the_attack(fmt: str, capsys: pytest.CaptureFixture[str]) -> None:
    from tipasp import cli

    spec = str(EXAMPLES / "nspk_narration.tip")
    assert cli.main(["explain", spec, "eve learns nb2", "--format", fmt]) == 0
    out = capsys.readouterr().out
    if fmt == "text":
        assert "eve learns nb2   (attack, 5 events)" in out
        assert "eve delivers  aenc(pk(bob), (na1, alice))  to bob as from alice" in out
    elif fmt == "markdown":
        assert out.count("\n| ") >= 5 + 3 and "(as from alice)" in out
    elif fmt == "dot":
        assert out.startswith("digraph attack {")
        arrows = [ln for ln in out.splitlines() if "-> p" in ln and "label=" in ln]
        assert len(arrows) == 5  # one arrow per event on the lifelines
    else:
        import json

        (res,) = json.loads(out)
        assert res["bounded"] is True and len(res["attack"]["events"]) == 5


def test_an_attack_through_linear_terms() -> None:
    """The adversary peels a mask that bob sends back in clear."""
    text = """agent alice, bob, eve
key k @ alice, bob
secret x @ alice
random m @ alice
intruder eve
alice -> bob : x + m
alice -> bob : enc(k, m)
bob -> alice : m
query eve learns x
"""
    (res,) = (r.to_json() for r in check_text(text, "lin.tip"))
    assert res["answer"] is True
    assert res["attack"]["proof"]["steps"][-1]["rule"] == "linear"


def test_secure_aggregation_a_malicious_server_unmasks_a_live_user() -> None:
    """Bonawitz et al.'s dropout recovery without a consistency round: the server
    names a live user (u2) as dropped (a `?` part u1 accepts unchecked) and learns
    u2's input; an honest server learns only the sum."""
    path = EXAMPLES / "secagg_dropout.tip"
    total, single = (r.to_json() for r in check_example("secagg_dropout.tip"))
    assert total["answer"] is True and single["answer"] is True
    events = single["attack"]["events"]
    named = [e for e in events if e["kind"] == "deliver" and e["to"] == "u1"
             and e["line"] == 34]
    assert [e["term"] for e in named] == ["exp(g, a2)"]  # u2's key, named as dropped
    honest = path.read_text().replace("malicious server\n", "")
    total, single = (r.to_json() for r in check_text(honest, "secagg.tip"))
    assert total["answer"] is True and single["answer"] is False


def test_a_part_marked_unchecked_is_accepted_afresh() -> None:
    """`?exp(g, a3)`: u1 accepted u3's key before, yet takes whatever the server
    names now, and computes its answer from it."""
    model = frontend.load(str(EXAMPLES / "secagg_dropout.tip"))
    u1 = next(r for r in roles(model).honest if r.agent == Name("u1"))
    recv, reply = u1.steps[3], u1.steps[4]
    assert isinstance(recv.pattern, Var) and recv.pattern.n == 1
    from tipasp.terms import App
    assert reply.pattern == App("exp", (recv.pattern, Name("a1")))


def test_a_name_sent_in_clear_is_relabelled_and_the_fix_holds() -> None:
    (res,) = (r.to_json() for r in check_example("name_in_clear.tip"))
    assert res["answer"] is True
    relabelled = res["attack"]["events"][1]
    assert relabelled["kind"] == "deliver" and relabelled["term"] == "(eve, enc(k, s1.na))"
    assert res["attack"]["events"][2]["term"] == "aenc(pk(eve), (s1.na, s1.s))"
    (fixed,) = (r.to_json() for r in check_example("name_in_clear_fixed.tip"))
    assert fixed["holds"] is True and fixed["bounded"] is True


def test_protocol_blocks_give_lowes_attack_as_in_the_contract() -> None:
    who, nobody = (r.to_json() for r in check_example("nspk.tip"))
    assert [lr["coalition"] for lr in who["learners"]] == [["eve"], ["alice"]]
    events = who["learners"][0]["attack"]["events"]
    assert [(e["kind"], e["session"], e["role"]) for e in events] == [
        ("send", "s1", "A"), ("deliver", "s2", "B"), ("send", "s2", "B"),
        ("deliver", "s1", "A"), ("send", "s1", "A")]
    assert nobody["holds"] is False and nobody["counterexample"]["attack"]["events"] == events
    (_, nsl) = check_example("nsl.tip")
    assert nsl.to_json()["holds"] is True


def test_signatures_nobody_can_make_are_not_candidates_but_an_oracle_s_are() -> None:
    """Candidate messages with a signature by an honest key are dropped unless some
    honest role makes that signature; a role that signs what it received makes any
    signature of that shape (a signing oracle), so then nothing is dropped."""
    base = """agent alice, bob, eve
keypair alice, bob, eve
random n, m @ eve
random r @ alice
intruder eve
{oracle}alice -> bob : sign(sk(alice), r)
query eve learns r
"""
    def candidates(text: str) -> int:
        s = AttackSearch(frontend.load_text(text, "sig.tip"), [Name("r")])
        facts = s._facts()
        return sum(1 for f in facts if f.name == names.CAN_ACCEPT and "sign" in str(f.arguments[3]))

    assert candidates(base.format(oracle="")) == 1  # only alice's own signature of r
    oracle = "eve -> alice : n\nalice -> eve : sign(sk(alice), n)\n"
    assert candidates(base.format(oracle=oracle)) > 1
