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


# ------------------------------------------- what a receiver checks (regressions)
#
# Five specs on which the bounded search disagreed with the checker's reading of the
# roles (tests/data/attacks/, each with a header): a receiver must check a part it
# computes from what it accepted earlier against what it computes, not against the
# narration's term (a DH key from the half key received, in either order of
# exponents; a tuple or a hash inside a signature; a key it accepted), and a part it
# accepted as it arrived is never opened later.

ATTACK_SPECS = EXAMPLES.parent / "tests" / "data" / "attacks"


def _check_file(name: str, capsys: pytest.CaptureFixture[str]) -> tuple[int, list[dict]]:
    """`tipasp check tests/data/attacks/NAME --json`: the exit code and the results."""
    import json

    from tipasp import cli

    code = cli.main(["check", str(ATTACK_SPECS / name), "--json"])
    return code, json.loads(capsys.readouterr().out)["results"]


@pytest.mark.parametrize("name", ["dh_key_not_checked.tip", "dh_key_not_opened.tip",
                                  "signed_hash_not_checked.tip"])
def test_no_false_attack_where_the_receiver_checks_what_it_computes(
        name: str, capsys: pytest.CaptureFixture[str]) -> None:
    """The search found attacks the checker rejects (exit 3): alice accepted bob's
    genuine message for a half key (or key) eve had replaced."""
    code, (res,) = _check_file(name, capsys)
    assert code == 0
    assert res["holds"] is True and res["bounded"] is True


def test_receive_patterns_use_what_was_accepted() -> None:
    """The compiled roles: the key, the signed half key and the signed hash are
    computed from the parts accepted earlier (variables), whichever order of
    exponents the narration writes the key in."""
    from tipasp.terms import App, Tup

    def role(name: str, agent: str, session: str = "s1") -> list:
        model = frontend.load(str(ATTACK_SPECS / name))
        (r,) = [r for r in roles(model).honest
                if r.agent == Name(agent) and r.session == Name(session)]
        return [st.pattern for st in r.steps]

    x, y = Name("s1.x"), Name("s1.y")
    half = Var(Name("alice"), App("exp", (Name("g"), y)), "exp/2")
    key = App("exp", (half, x))
    assert role("dh_key_not_opened.tip", "alice")[2] == App(
        "enc", (key, App("sign", (App("sk", (Name("bob"),)), half))))
    assert role("dh_key_not_checked.tip", "alice")[2] == App(
        "enc", (key, App("sign", (App("sk", (Name("bob"),)), Tup((half, Name("bob")))))))
    k = Var(Name("alice"), Name("s1.k"), "value")
    assert role("signed_hash_not_checked.tip", "alice")[1] == App(
        "sign", (App("sk", (Name("bob"),)), App("hash", (k,))))
    kab = Var(Name("bob"), Name("s1.kab"), "value")
    assert role("missed_replay.tip", "bob")[2] == App(
        "enc", (kab, App("hash", (Name("s1.nb"),))))


def _attacks(name: str) -> list[tuple[str, dict]]:
    """The attacks of every question of the spec, as JSON, each accepted by the
    checker."""
    from tipasp import proofcheck
    from tipasp.attack_search import attack_json
    from tipasp.terms import show

    model = frontend.load(str(ATTACK_SPECS / name))
    out = []
    for r in check_spec(model, Options()):
        for lr in r.answered():
            if lr.attack is not None:
                a = attack_json(lr.attack)
                assert proofcheck.check_attack(a, model, show(r.target)) == []
                out.append((show(r.target), a))
    return out


def test_dh_key_written_in_the_server_s_order_does_not_hide_the_attack(
        capsys: pytest.CaptureFixture[str]) -> None:
    """Nothing authenticates the client: eve sends her own half key in alice's name
    and computes the server's key (the search said no)."""
    code, (res,) = _check_file("dh_false_no_attack.tip", capsys)
    assert code == 0 and res["answer"] is True and res["bounded"] is True
    ((target, attack),) = _attacks("dh_false_no_attack.tip")
    assert target == "s1.m"
    delivered = [e["term"] for e in attack["events"] if e["kind"] == "deliver"]
    assert delivered == ["exp(g, g)", "enc(exp(exp(g, g), s1.y), alice)"]


def test_a_key_bound_to_a_replayed_value_is_used_afterwards(
        capsys: pytest.CaptureFixture[str]) -> None:
    """Denning and Sacco's replay: bob takes the old key kold, and later messages
    under kold are accepted (the search said no for s1.m)."""
    code, results = _check_file("missed_replay.tip", capsys)
    assert code == 0 and [r["answer"] for r in results] == [True, True]
    attacks = dict(_attacks("missed_replay.tip"))
    events = attacks["s1.m"]["events"]
    assert [(e["kind"], e["term"]) for e in events] == [
        ("send", "enc(kb, kold)"), ("deliver", "enc(kb, kold)"),
        ("send", "enc(kold, s1.nb)"), ("deliver", "enc(kold, hash(s1.nb))"),
        ("send", "enc(kold, s1.m)")]


# ------------------------------------------------- the over-approximation (issue 11, item 7)

ADVERSARY_EXAMPLES = sorted(
    p.name for p in EXAMPLES.glob("*.tip")
    if frontend.load(str(p)).malicious or frontend.load(str(p)).intruders)


def _search_of(name: str) -> tuple[AttackSearch, list]:
    from tipasp import ground

    model = frontend.load(str(EXAMPLES / name))
    targets = []
    for q in model.questions:
        for b in ground.bindings(q.gen):
            t = ground.term(q.target, b)
            if t not in targets:
                targets.append(t)
    return AttackSearch(model, targets), targets


def test_needham_schroeder_symmetric_key_replay_of_an_old_session_key() -> None:
    """Denning and Sacco's replay: with s1's key revealed, eve passes s1's ticket to
    bob in s2 and reads his nonce (8 events, the shortest); without the reveal, no
    attack within the bound. Both fast since the search keeps only the messages
    some run can deliver (a ciphertext under k[alice] or k[bob] is one the server
    sent, not any filling of its shape)."""
    (replay,) = (r.to_json() for r in check_example("nssk_replay.tip"))
    assert replay["answer"] is True and replay["bounded"] is True
    events = replay["attack"]["events"]
    assert len(events) == 8
    assert {"enc(k[bob], (s1.kab, alice))", "enc(s1.kab, s2.nb)"} <= {e["term"] for e in events}
    assert replay["attack"]["proof"]["steps"][-1]["term"] == "s2.nb"
    (safe,) = (r.to_json() for r in check_example("nssk.tip"))
    assert safe["answer"] is False and safe["bounded"] is True
    s, _ = _search_of("nssk_replay.tip")
    accepts = [f for f in s.horizons() and s._fact_list or [] if f.name == names.CAN_ACCEPT]
    assert 0 < len(accepts) < 100, len(accepts)  # 5,888 when every filling was a candidate


@pytest.mark.parametrize("name", ADVERSARY_EXAMPLES)
def test_the_over_approximation_contains_every_attack(name: str) -> None:
    """A target outside what the adversary may know in some run (`possible`) is
    answered without a search: the planning program, run anyway, finds no attack
    there; and every term an attack delivers, and its target, are inside."""
    from tipasp.attack_search import canonical

    s, targets = _search_of(name)
    for t in targets:
        a = s.search(t)
        if not s.possible(t):
            assert a is None, (name, t)
        if a is not None:
            assert s.possible(t)
            reach = s._reach
            assert reach is not None
            for e in a.events:
                assert e.kind == "send" or reach.derivable(canonical(e.term)), (name, e)


@pytest.mark.parametrize("name", [*ADVERSARY_EXAMPLES, "nssk_replay.tip"])
def test_matching_finds_exactly_the_derivable_assignments(
        name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """The receive patterns are matched against what the adversary may know instead
    of trying every assignment: the same assignments, in the same order, as trying
    every one and keeping those whose message is derivable."""
    from tipasp import attack_search as search
    from tipasp.attack_roles import substitute
    from tipasp.errors import ResourceLimit

    compared = 0
    match = search._Matcher.match

    def checked(self, p, what):  # type: ignore[no-untyped-def]
        nonlocal compared
        got = match(self, p, what)
        try:
            every = search._product(self.vs, self.dom, what)
        except ResourceLimit:
            return got
        assert got == [sigma for sigma in every
                       if self.reach.derivable(search.canonical(substitute(p, sigma)))]
        compared += 1
        return got

    monkeypatch.setattr(search._Matcher, "match", checked)
    s, _ = _search_of(name)
    s.horizons()
    assert compared


def test_random_protocols_attacks_replay_and_no_means_none_by_brute_force() -> None:
    """Property, on small random protocol blocks (tests/protogen.py: 2-4 messages,
    DH, signatures, hashes, encryption, a second session with eve): every attack the
    search prints is accepted by the checker, and when the search says no, a brute
    force over the same bound (the checker's own replay of the roles, the reference
    closure for eve) finds no attack either. Fixed seeds; a spec the brute force
    finds too big (or the search's resource limit) is skipped, but most are not."""
    import protogen

    from tipasp import proofcheck
    from tipasp.attack_search import attack_json
    from tipasp.errors import ResourceLimit
    from tipasp.terms import show

    done = {"attack": 0, "none": 0}
    for seed in range(30):
        text = protogen.protocol(seed)
        model = frontend.load_text(text, f"protogen{seed}.tip")
        try:
            (res,) = check_spec(model, Options())
        except ResourceLimit:
            continue
        target = show(res.target)
        attacks = [lr.attack for lr in res.answered() if lr.attack is not None]
        if attacks:
            assert proofcheck.check_attack(attack_json(attacks[0]), model, target) == [], text
            done["attack"] += 1
        elif res.learner is None:
            try:
                run = protogen.brute_attack(model, target, max_states=800)
            except protogen.TooBig:
                continue
            assert run is None, f"seed {seed}: the search says no, but\n{run}\n{text}"
            done["none"] += 1
    assert done["attack"] >= 5 and done["none"] >= 10, done


@pytest.mark.parametrize("name", ["private_key_accepted.tip", "linear_part_accepted.tip"])
def test_a_part_the_receiver_cannot_check_takes_any_term_of_its_type(
        name: str, capsys: pytest.CaptureFixture[str]) -> None:
    """A private key, a linear term: what arrives in place of the part is used as it
    arrived (the search said no: it never tried another private key, and took only
    the expected linear term)."""
    code, (res,) = _check_file(name, capsys)
    assert code == 0 and res["answer"] is True and res["bounded"] is True
    ((target, attack),) = _attacks(name)
    assert target == "s" and attack["events"][0]["kind"] == "deliver"


def test_receive_patterns_read_linear_terms_and_a_message_s_parts_together() -> None:
    """A linear term the receiver computes from one it accepted (2 * (a + r) + n) is
    checked against what arrived in place of a + r; a half key and a ciphertext
    under the DH key computed from it, in one message, are read together (the
    ciphertext opened, the signed half key checked)."""
    from tipasp.terms import App, Lin, Tup

    lin_spec = """agent alice, bob, eve
key kab @ alice, bob
random a, r @ alice
random n, s @ bob
intruder eve
alice -> bob : a + r
bob -> alice : enc(kab, n)
alice -> bob : 2 * a + 2 * r + n
bob -> alice : enc(kab, s)
assert not eve learns s
"""
    bob = next(r for r in roles(frontend.load_text(lin_spec, "lin.tip")).honest
               if r.agent == Name("bob"))
    mask = Var(Name("bob"), Lin(((Name("a"), 1), (Name("r"), 1))), "lin")
    assert bob.steps[0].pattern == mask
    assert bob.steps[2].pattern == Lin(((mask, 2), (Name("n"), 1)))
    (res,) = (r.to_json() for r in check_text(lin_spec, "lin.tip"))
    assert res["holds"] is True

    sts = """agent alice, bob, eve
keypair alice, bob, eve
public g
intruder eve
protocol p(A, B) {
  fresh x, m @ A
  fresh y @ B
  A -> B : exp(g, x)
  B -> A : (exp(g, y), enc(exp(exp(g, x), y), sign(sk(B), exp(g, y))))
  A -> B : enc(exp(exp(g, y), x), m)
}
session s1 = p(alice, bob)
assert not eve learns s1.m
"""
    alice = next(r for r in roles(frontend.load_text(sts, "sts.tip")).honest
                 if r.agent == Name("alice"))
    half = Var(Name("alice"), App("exp", (Name("g"), Name("s1.y"))), "exp/2")
    assert alice.steps[1].pattern == Tup((half, App("enc", (
        App("exp", (half, Name("s1.x"))),
        App("sign", (App("sk", (Name("bob"),)), half))))))
    (res,) = (r.to_json() for r in check_text(sts, "sts.tip"))
    assert res["holds"] is True
