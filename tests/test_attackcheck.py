"""The independent checker of attacks (docs/language.md): `proofcheck.check_attack`.

Lowe's attack on Needham-Schroeder, written as a narration, is accepted; broken
variants (roles out of order, wrong sends, deliveries an honest receiver refuses or
the adversary cannot build, a reordered trace, a wrong adversary, a wrong final
proof, leaves the adversary cannot see) are each rejected with a message that names
the problem.
"""

from __future__ import annotations

import copy
from typing import Any

import pytest

from tipasp import frontend
from tipasp.model import Model
from tipasp.proofcheck import check_attack

NSPK = """\
agent alice, bob, eve
keypair alice, bob, eve
random na1 @ alice
random nb1 @ eve
random na2 @ alice
random nb2 @ bob
alice -> eve : aenc(pk(eve), (na1, alice))
eve -> alice : aenc(pk(alice), (na1, nb1))
alice -> eve : aenc(pk(eve), nb1)
alice -> bob : aenc(pk(bob), (na2, alice))
bob -> alice : aenc(pk(alice), (na2, nb2))
alice -> bob : aenc(pk(bob), nb2)
intruder eve
query eve learns nb2
"""


def leaf(sid: int, term: str, rule: str, line: int, step: int | None = None,
         by: str = "eve") -> dict[str, Any]:
    s: dict[str, Any] = {"id": sid, "term": term, "rule": rule, "by": by, "line": line,
                         "premises": []}
    if step is not None:
        s["step"] = step
    return s


def inf(sid: int, term: str, rule: str, *premises: int) -> dict[str, Any]:
    return {"id": sid, "term": term, "rule": rule, "premises": list(premises)}


def send(index: int, agent: str, to: str | None, term: str, line: int, step: int
         ) -> dict[str, Any]:
    return {"index": index, "kind": "send", "session": None, "role": agent, "agent": agent,
            "to": to, "term": term, "line": line, "step": step}


def deliver(index: int, agent: str, to: str, frm: str, term: str, line: int, step: int,
            *proof: dict[str, Any]) -> dict[str, Any]:
    return {"index": index, "kind": "deliver", "session": None, "role": to, "agent": agent,
            "to": to, "term": term, "line": line, "step": step, "from": frm,
            "proof": {"steps": list(proof)}}


# The attack as tipasp prints it (/tmp/a/nspk_attack.json), written out.
LOWE: dict[str, Any] = {
    "adversary": ["eve"],
    "events": [
        send(1, "alice", "eve", "aenc(pk(eve), (na1, alice))", 7, 1),
        deliver(2, "eve", "bob", "alice", "aenc(pk(bob), (na1, alice))", 10, 4,
                leaf(1, "pk(bob)", "holds", 2),
                leaf(2, "aenc(pk(eve), (na1, alice))", "sees", 7, 1),
                leaf(3, "sk(eve)", "holds", 2),
                inf(4, "(na1, alice)", "adecrypt", 2, 3),
                inf(5, "aenc(pk(bob), (na1, alice))", "build", 1, 4)),
        send(3, "bob", "alice", "aenc(pk(alice), (na1, nb2))", 11, 5),
        deliver(4, "eve", "alice", "eve", "aenc(pk(alice), (na1, nb2))", 8, 2,
                leaf(1, "aenc(pk(alice), (na1, nb2))", "sees", 11, 3)),
        send(5, "alice", "eve", "aenc(pk(eve), nb2)", 9, 3),
    ],
    "proof": {"steps": [
        leaf(1, "aenc(pk(eve), nb2)", "sees", 9, 5),
        leaf(2, "sk(eve)", "holds", 2),
        inf(3, "nb2", "adecrypt", 1, 2),
    ]},
}


@pytest.fixture(scope="module")
def nspk() -> Model:
    return frontend.load_text(NSPK, "nspk.tip")


def lowe() -> dict[str, Any]:
    return copy.deepcopy(LOWE)


def reindex(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    for i, e in enumerate(events, start=1):
        e["index"] = i
    return events


def has(problems: list[str], *fragments: str) -> None:
    """Some problem mentions every fragment."""
    assert any(all(f in p for f in fragments) for p in problems), problems


# ------------------------------------------------------------------ Lowe's attack


def test_lowe_attack_is_valid(nspk: Model) -> None:
    assert check_attack(lowe(), nspk, "nb2") == []


def test_event_out_of_role_order(nspk: Model) -> None:
    a = lowe()
    ev = a["events"]
    ev[3], ev[4] = ev[4], ev[3]  # alice sends at step 3 before she receives at step 2
    reindex(ev)
    a["proof"]["steps"][0]["step"] = 4
    problems = check_attack(a, nspk, "nb2")
    has(problems, "event 4", "alice does not send at step 3 (line 9) now",
        "a receive from eve at step 2 (line 8)")


def test_role_step_skipped_or_repeated(nspk: Model) -> None:
    a = lowe()
    del a["events"][0]  # alice's first step (step 1) is skipped
    reindex(a["events"])
    problems = check_attack(a, nspk, "nb2")
    has(problems, "alice does not wait for a message at step 2 (line 8) now",
        "a send to eve at step 1 (line 7)")
    a = lowe()
    a["events"].append(send(6, "alice", "eve", "aenc(pk(eve), nb2)", 9, 3))
    has(check_attack(a, nspk, "nb2"), "event 6", "alice does not send at step 3")


def test_send_term_differs_from_role(nspk: Model) -> None:
    a = lowe()
    # alice accepted nb2 in place of nb1, so she sends nb2, not nb1
    a["events"][4]["term"] = "aenc(pk(eve), nb1)"
    a["proof"]["steps"][0]["term"] = "aenc(pk(eve), nb1)"
    problems = check_attack(a, nspk, "nb2")
    has(problems, "event 5", "alice's message at step 3 (line 9) is aenc(pk(eve), nb2)",
        "not aenc(pk(eve), nb1)")
    a = lowe()
    a["events"][0]["to"] = "bob"
    has(check_attack(a, nspk, "nb2"), "event 1", "sends step 1 (line 7) to eve, not bob")


def test_delivery_receiver_does_not_accept(nspk: Model) -> None:
    a = lowe()
    # eve builds aenc(pk(alice), (nb1, nb1)); alice created na1 and checks it
    a["events"][3] = deliver(4, "eve", "alice", "eve", "aenc(pk(alice), (nb1, nb1))", 8, 2,
                             leaf(1, "nb1", "holds", 4),
                             inf(2, "(nb1, nb1)", "build", 1, 1),
                             leaf(3, "pk(alice)", "holds", 2),
                             inf(4, "aenc(pk(alice), (nb1, nb1))", "build", 3, 2))
    problems = check_attack(a, nspk, "nb2")
    has(problems, "event 4", "alice does not accept aenc(pk(alice), (nb1, nb1))",
        "alice can check na1: it expects na1 and gets nb1")
    assert not any("proof:" in p and "event 4" in p for p in problems), problems
    a = lowe()
    a["events"][3]["term"] = "aenc(pk(alice), (na2, nb2))"
    has(check_attack(a, nspk, "nb2"), "event 4", "expects na1 and gets na2")


def test_delivery_of_wrong_shape(nspk: Model) -> None:
    a = lowe()
    a["events"][3]["term"] = "aenc(pk(eve), (na1, nb2))"  # not under alice's key
    has(check_attack(a, nspk, "nb2"), "event 4",
        "it holds sk(alice)", "aenc(pk(alice), ...) and gets aenc(pk(eve), (na1, nb2))")


def test_type_violating_delivery(nspk: Model) -> None:
    a = lowe()
    # an agent name where alice expects eve's nonce nb1
    a["events"][3] = deliver(4, "eve", "alice", "eve", "aenc(pk(alice), (na1, eve))", 8, 2,
                             leaf(1, "aenc(pk(eve), (na1, alice))", "sees", 7, 1),
                             leaf(2, "sk(eve)", "holds", 2),
                             inf(3, "(na1, alice)", "adecrypt", 1, 2),
                             inf(4, "na1", "split", 3),
                             leaf(5, "eve", "holds", 1),
                             inf(6, "(na1, eve)", "build", 4, 5),
                             leaf(7, "pk(alice)", "holds", 2),
                             inf(8, "aenc(pk(alice), (na1, eve))", "build", 7, 6))
    problems = check_attack(a, nspk, "nb2")
    has(problems, "event 4", "accepts only an atomic value in place of nb1",
        "not an agent name eve")
    assert not any("event 4: proof" in p for p in problems), problems
    a = lowe()
    a["events"][3]["term"] = "aenc(pk(alice), (na1, hash(nb1)))"
    has(check_attack(a, nspk, "nb2"), "accepts only an atomic value in place of nb1",
        "the compound term hash(nb1)")


def test_underivable_delivery(nspk: Model) -> None:
    a = lowe()
    del a["events"][1]["proof"]
    has(check_attack(a, nspk, "nb2"), "event 2", "needs a proof")
    a = lowe()
    a["events"][1]["proof"] = {"steps": [
        leaf(1, "aenc(pk(bob), (na1, alice))", "holds", 2)]}
    has(check_attack(a, nspk, "nb2"), "event 2: proof: step 1 (holds)",
        "eve does not hold aenc(pk(bob), (na1, alice))")
    a = lowe()
    # eve cites alice's step-3 message (event 5), which comes later
    a["events"][3]["proof"] = {"steps": [leaf(1, "aenc(pk(eve), nb2)", "sees", 9, 5),
                                         leaf(2, "sk(eve)", "holds", 2),
                                         inf(3, "nb2", "adecrypt", 1, 2),
                                         leaf(4, "na1", "holds", 3),
                                         inf(5, "(na1, nb2)", "build", 4, 3),
                                         leaf(6, "pk(alice)", "holds", 2),
                                         inf(7, "aenc(pk(alice), (na1, nb2))", "build", 6, 5)]}
    problems = check_attack(a, nspk, "nb2")
    has(problems, "event 4: proof: step 1 (sees)", "event 5 comes after this delivery")
    has(problems, "event 4: proof: step 4 (holds)", "eve does not hold na1")


def test_reordered_trace(nspk: Model) -> None:
    a = lowe()
    ev = a["events"]
    ev[2], ev[3] = ev[3], ev[2]  # the delivery to alice before bob sends what it carries
    reindex(ev)
    ev[2]["proof"]["steps"][0]["step"] = 4
    problems = check_attack(a, nspk, "nb2")
    has(problems, "event 3: proof: step 1 (sees)", "event 4 comes after this delivery (event 3)")
    assert len(problems) == 1, problems


def test_leaf_must_match_the_event(nspk: Model) -> None:
    a = lowe()
    a["events"][3]["proof"]["steps"][0]["line"] = 10
    has(check_attack(a, nspk, "nb2"), "event 3 is at line 11, not line 10")
    a = lowe()
    a["events"][3]["proof"]["steps"][0]["step"] = 2
    has(check_attack(a, nspk, "nb2"), "event 2 is not a send")
    a = lowe()
    a["proof"]["steps"][0]["step"] = 9
    has(check_attack(a, nspk, "nb2"), "proof: step 1 (sees)", "there is no event 9")


def test_wrong_adversary(nspk: Model) -> None:
    for wrong in (["bob", "eve"], [], ["alice"], None):
        a = lowe()
        a["adversary"] = wrong
        has(check_attack(a, nspk, "nb2"), "adversary:", "should be ['eve']")


def test_roles_of_the_adversary_and_of_the_honest(nspk: Model) -> None:
    a = lowe()
    a["events"][1]["agent"] = "alice"  # an honest agent builds nothing for others
    has(check_attack(a, nspk, "nb2"), "event 2", "alice is honest: only the adversary")
    a["events"][1]["proof"] = None  # nor did alice send this term to bob
    has(check_attack(a, nspk, "nb2"), "event 2",
        "no earlier send by alice to bob carries aenc(pk(bob), (na1, alice))")
    a = lowe()
    a["events"][0]["role"] = a["events"][0]["agent"] = "eve"
    has(check_attack(a, nspk, "nb2"), "event 1", "role eve is an adversary agent")
    a = lowe()
    a["events"][3]["from"] = "bob"
    has(check_attack(a, nspk, "nb2"), "event 4", "the narration's sender at step 2 (line 8) "
        "is eve, not 'bob'")


def test_final_proof_must_conclude_target(nspk: Model) -> None:
    a = lowe()
    del a["proof"]["steps"][2]
    has(check_attack(a, nspk, "nb2"), "proof: step 2",
        "the last step concludes sk(eve), not the target nb2")
    a = lowe()
    assert check_attack(a, nspk, "na2") != []
    a = lowe()
    del a["proof"]
    has(check_attack(a, nspk, "nb2"), "proof: the attack has no final proof")


def test_malformed_attacks_do_not_crash(nspk: Model) -> None:
    assert check_attack([], nspk, "nb2") != []  # type: ignore[arg-type]
    a = lowe()
    a["events"] = "x"
    assert check_attack(a, nspk, "nb2") != []
    a = lowe()
    a["events"][0] = {"index": 1, "kind": "block"}
    has(check_attack(a, nspk, "nb2"), "event 1", "neither send nor deliver")
    a = lowe()
    a["events"][2]["term"] = "aenc(pk(alice), (na1"
    has(check_attack(a, nspk, "nb2"), "event 3: term:")
    a = lowe()
    a["events"][2]["session"] = "s1"
    has(check_attack(a, nspk, "nb2"), "event 3", "plays no role bob in session s1")


def test_no_adversary_no_attack() -> None:
    model = frontend.load_text(NSPK.replace("intruder eve\n", ""), "nspk.tip")
    has(check_attack(lowe(), model, "nb2"), "no malicious agent and no intruder")


# ---------------------------------------------- malicious agents without an intruder


def test_malicious_without_intruder_cannot_see_others_messages() -> None:
    model = frontend.load_text(NSPK.replace("intruder eve", "malicious eve"), "nspk.tip")
    a = lowe()
    problems = check_attack(a, model, "nb2")
    has(problems, "event 2: proof: step 2 (sees)", "the model has no intruder")
    # eve receives alice's first message (it is sent to her) but not bob's reply to alice
    for e in a["events"]:
        for s in e.get("proof", {}).get("steps", []):
            if s["rule"] == "sees":
                s["rule"] = "receives"
    for s in a["proof"]["steps"]:
        if s["rule"] == "sees":
            s["rule"] = "receives"
    problems = check_attack(a, model, "nb2")
    assert not any(p.startswith("event 2") for p in problems), problems
    has(problems, "event 4: proof: step 1 (receives)",
        "event 3 is sent to alice, not to eve; without an intruder the adversary does not see it")
    assert len(problems) == 1, problems
    # but the network hands bob's reply to alice, who cannot tell it from eve's:
    # Lowe's attack needs no intruder
    a["events"][3]["proof"] = None
    assert check_attack(a, model, "nb2") == []
    a["events"][3]["term"] = "aenc(pk(alice), (na1, nb1))"  # not what bob sent
    has(check_attack(a, model, "nb2"), "event 4", "no earlier send to alice carries "
        "aenc(pk(alice), (na1, nb1))", "needs a proof")


ORACLE = """\
agent alice, bob, mal
keypair alice, bob, mal
secret s @ alice
random n @ mal
alice -> mal : aenc(pk(bob), s)
mal -> bob : aenc(pk(bob), n)
bob -> mal : aenc(pk(mal), n)
malicious mal
query mal learns s
"""


def oracle_attack() -> dict[str, Any]:
    """mal hands alice's ticket for bob to bob as its own challenge; bob, who cannot tell
    s from a nonce of mal's, answers with s under mal's key."""
    return {
        "adversary": ["mal"],
        "events": [
            send(1, "alice", "mal", "aenc(pk(bob), s)", 5, 1),
            deliver(2, "mal", "bob", "mal", "aenc(pk(bob), s)", 6, 2,
                    leaf(1, "aenc(pk(bob), s)", "receives", 5, 1, by="mal")),
            send(3, "bob", "mal", "aenc(pk(mal), s)", 7, 3),
        ],
        "proof": {"steps": [
            leaf(1, "aenc(pk(mal), s)", "receives", 7, 3, by="mal"),
            leaf(2, "sk(mal)", "holds", 2, by="mal"),
            inf(3, "s", "adecrypt", 1, 2),
        ]},
    }


def test_malicious_agent_learns_what_is_sent_to_it() -> None:
    model = frontend.load_text(ORACLE, "oracle.tip")
    assert check_attack(oracle_attack(), model, "s") == []
    a = oracle_attack()
    a["proof"]["steps"][0]["rule"] = "sees"
    has(check_attack(a, model, "s"), "proof: step 1 (sees)", "the model has no intruder")
    a = oracle_attack()
    a["events"][2]["term"] = "aenc(pk(mal), n)"  # bob sends what he received, not n
    a["proof"]["steps"][0]["term"] = "aenc(pk(mal), n)"
    has(check_attack(a, model, "s"), "event 3", "bob's message at step 3 (line 7) is "
        "aenc(pk(mal), s) with what it accepted substituted")


RELAY = """\
agent u[1..2], c, mal
secret x[i] @ u[i] for i in 1..2
random r @ mal
u[i] -> c : x[i] for i in 1..2
c -> * : hash(x[1])
c -> mal : (x[1], x[2])
malicious mal
query mal learns x[2]
"""


def test_honest_delivery_broadcast_and_families() -> None:
    model = frontend.load_text(RELAY, "relay.tip")
    events = [
        send(1, "u[2]", "c", "x[2]", 4, 1),
        send(2, "u[1]", "c", "x[1]", 4, 1),
        # the network passes on an honest send (no proof; agent: the honest sender)
        {**deliver(3, "u[2]", "c", "u[2]", "x[2]", 4, 1), "proof": None},
        # mal, malicious, answers for u[1] with a nonce of its own: c cannot check it
        deliver(4, "mal", "c", "u[1]", "r", 4, 1, leaf(1, "r", "holds", 3, by="mal")),
        send(5, "c", None, "hash(r)", 5, 2),
        send(6, "c", "mal", "(r, x[2])", 6, 3),
    ]
    attack: dict[str, Any] = {"adversary": ["mal"], "events": events, "proof": {"steps": [
        leaf(1, "(r, x[2])", "receives", 6, 6, by="mal"),
        inf(2, "x[2]", "split", 1),
    ]}}
    assert check_attack(attack, model, "x[2]") == []
    b = copy.deepcopy(attack)  # a broadcast is received by everyone
    b["proof"]["steps"] = [leaf(1, "hash(r)", "receives", 5, 5, by="mal")]
    assert check_attack(b, model, "hash(r)") == []
    b = copy.deepcopy(attack)  # the network passes on what was sent, nothing else
    b["events"][2]["term"] = "x[1]"
    has(check_attack(b, model, "x[2]"), "event 3", "no earlier send by u[2] to c carries x[1]")
    b["events"][2]["agent"] = "mal"  # u[1]'s x[1], passed on by the network, is fine
    problems = check_attack(b, model, "x[2]")  # (then c sends (r, x[1]), not (r, x[2]))
    assert [p[:8] for p in problems] == ["event 6:"], problems
    b = copy.deepcopy(attack)  # a send is passed on once
    b["events"].insert(3, {**deliver(4, "u[2]", "c", "u[1]", "x[2]", 4, 1), "proof": None})
    b["events"] = reindex(b["events"][:5])
    has(check_attack(b, model, "x[2]"), "event 4", "no earlier send by u[2] to c carries x[2] "
        "(or it was passed on already)")
    b = copy.deepcopy(attack)  # c's step 1 is two receives: both before its step 2
    b["events"] = reindex([b["events"][i] for i in (0, 1, 2, 4, 3, 5)])
    has(check_attack(b, model, "x[2]"), "event 4", "c does not send at step 2 (line 5) now")


SIGNED = """\
agent alice, bob, mal
keypair alice, bob, mal
random n @ alice
secret s @ bob
random r @ mal
alice -> bob : sign(sk(alice), n)
bob -> alice : enc(n, s)
intruder mal
query mal learns s
"""


def test_signatures_are_checked() -> None:
    model = frontend.load_text(SIGNED, "signed.tip")
    replay: dict[str, Any] = {"adversary": ["mal"], "events": [
        send(1, "alice", "bob", "sign(sk(alice), n)", 6, 1),
        deliver(2, "mal", "bob", "alice", "sign(sk(alice), n)", 6, 1,
                leaf(1, "sign(sk(alice), n)", "sees", 6, 1, by="mal")),
        send(3, "bob", "alice", "enc(n, s)", 7, 2),
    ], "proof": {"steps": [
        leaf(1, "enc(n, s)", "sees", 7, 3, by="mal"),
        leaf(2, "sign(sk(alice), n)", "sees", 6, 1, by="mal"),
        inf(3, "n", "unsign", 2),
        inf(4, "s", "decrypt", 1, 3),
    ]}}
    assert check_attack(replay, model, "s") == []
    forged = copy.deepcopy(replay)
    forged["events"] = [
        deliver(1, "mal", "bob", "alice", "sign(sk(mal), r)", 6, 1,
                leaf(1, "sk(mal)", "holds", 2, by="mal"),
                leaf(2, "r", "holds", 5, by="mal"),
                inf(3, "sign(sk(mal), r)", "build", 1, 2)),
        send(2, "bob", "alice", "enc(r, s)", 7, 2),
    ]
    forged["proof"] = {"steps": [leaf(1, "enc(r, s)", "sees", 7, 2, by="mal"),
                                 leaf(2, "r", "holds", 5, by="mal"),
                                 inf(3, "s", "decrypt", 1, 2)]}
    has(check_attack(forged, model, "s"), "event 1", "bob does not accept sign(sk(mal), r)",
        "it verifies signatures by alice")


DH = """\
agent alice, bob, eve
public g
random a @ alice
random b @ bob
random e @ eve
secret s @ alice
alice -> bob : exp(g, a)
bob -> alice : exp(g, b)
alice -> bob : enc(exp(exp(g, b), a), s)
intruder eve
query eve learns s
"""


def test_man_in_the_middle_on_diffie_hellman() -> None:
    """alice accepts exp(g, e) for bob's exp(g, b) and keys her message with it."""
    model = frontend.load_text(DH, "dh.tip")
    attack: dict[str, Any] = {"adversary": ["eve"], "events": [
        send(1, "alice", "bob", "exp(g, a)", 7, 1),
        deliver(2, "eve", "alice", "bob", "exp(g, e)", 8, 2,
                leaf(1, "g", "holds", 2), leaf(2, "e", "holds", 5),
                inf(3, "exp(g, e)", "build", 1, 2)),
        send(3, "alice", "bob", "enc(exp(exp(g, e), a), s)", 9, 3),
    ], "proof": {"steps": [
        leaf(1, "exp(g, a)", "sees", 7, 1),
        leaf(2, "e", "holds", 5),
        inf(3, "exp(exp(g, a), e)", "dh", 1, 2),
        leaf(4, "enc(exp(exp(g, e), a), s)", "sees", 9, 3),
        inf(5, "s", "decrypt", 4, 3),
    ]}}
    assert check_attack(attack, model, "s") == []
    b = copy.deepcopy(attack)  # alice keys with what arrived, not with exp(g, b)
    b["events"][2]["term"] = "enc(exp(exp(g, b), a), s)"
    has(check_attack(b, model, "s"), "event 3", "is enc(exp(exp(g, a), e), s)")
    b = copy.deepcopy(attack)  # typed: a name is no exponential
    b["events"][1]["term"] = "e"
    b["events"][1]["proof"] = {"steps": [leaf(1, "e", "holds", 5)]}
    has(check_attack(b, model, "s"), "event 2", "accepts only an exponential in place of "
        "exp(g, b), not e")


MASKED = """\
agent a, b, c
secret x @ a
secret y @ b
random m @ a, b
random r @ c
a -> c : x + m
c -> b : x + m
b -> c : x + m + y
malicious c
query c learns y
"""


def test_linear_part_accepted_unchecked() -> None:
    """b cannot check x + m (it lacks x) and adds y to whatever c passes on."""
    model = frontend.load_text(MASKED, "masked.tip")
    attack: dict[str, Any] = {"adversary": ["c"], "events": [
        deliver(1, "c", "b", "c", "r", 7, 2, leaf(1, "r", "holds", 5, by="c")),
        send(2, "b", "c", "r + y", 8, 3),
    ], "proof": {"steps": [
        leaf(1, "r + y", "receives", 8, 2, by="c"),
        leaf(2, "r", "holds", 5, by="c"),
        {**inf(3, "y", "linear", 1, 2), "coefficients": [1, -1]},
    ]}}
    assert check_attack(attack, model, "y") == []
    b = copy.deepcopy(attack)
    b["events"][0]["term"] = "c"
    b["events"][0]["proof"] = {"steps": [leaf(1, "c", "holds", 1, by="c")]}
    has(check_attack(b, model, "y"), "event 1", "accepts only a value or a linear term in "
        "place of m + x, not c")
