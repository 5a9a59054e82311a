"""Every example's verdicts, pinned: exact coalitions, answers and assertion outcomes.

Each example is checked end to end (parse, engine, proofs, proof checker) through
`report.check_spec`, the same path as `tipasp check`.
"""

from __future__ import annotations

from typing import Any

from conftest import EXAMPLES, check_example, check_file, learners

from tipasp import frontend
from tipasp.answer import Options
from tipasp.report import check_spec
from tipasp.results import Assertion, Result


def by_line(res: list[Result], text: str, name: str) -> Result:
    lines = (EXAMPLES / name).read_text().splitlines()
    exact = [i for i, ln in enumerate(lines, 1) if ln.split("#")[0].strip() == text]
    line = exact[0] if exact else next(
        i for i, ln in enumerate(lines, 1) if ln.strip().startswith(text)
    )
    (hit,) = [r for r in res if r.line == line]
    return hit


def json_by_line(res: list[Result], text: str, name: str) -> dict[str, Any]:
    """The result of the question `text` of the example `name`, in its JSON form."""
    return by_line(res, text, name).to_json()


def assertions(res: list[Result]) -> dict[str, bool]:
    return {r.text: r.holds for r in res if isinstance(r, Assertion)}


def test_secure_sum_only_server_with_both_neighbours_learns_x1() -> None:
    res = check_example("secure_sum.tip")
    who = json_by_line(res, "query who learns x[1]", "secure_sum.tip")
    assert who["holders"] == [["u[1]"]]
    assert [lr["coalition"] for lr in who["learners"]] == [["server", "u[2]", "u[5]"]]
    steps = who["learners"][0]["proof"]["steps"]
    assert steps[-1]["rule"] == "linear" and steps[-1]["term"] == "x[1]"
    alone = json_by_line(res, "query server learns x[1]", "secure_sum.tip")
    assert alone["answer"] is False
    assert "m[1]" in alone["why_not"] and "m[5]" in alone["why_not"]
    assert assertions(res) == {"not server learns x[3]": True}


def test_needham_schroeder_nonces_stay_secret_from_a_passive_eavesdropper() -> None:
    res = check_example("needham_schroeder.tip")
    na = by_line(res, "query who learns na", "needham_schroeder.tip")
    nb = by_line(res, "query who learns nb", "needham_schroeder.tip")
    assert na.to_json()["holders"] == [["alice"]] and learners(na) == [["bob"]]
    assert nb.to_json()["holders"] == [["bob"]] and learners(nb) == [["alice"]]
    assert all(assertions(res).values()), assertions(res)


def test_diffie_hellman_key_is_shared_but_hidden_from_eve() -> None:
    res = check_example("diffie_hellman.tip")
    assert all(assertions(res).values()), assertions(res)
    who = by_line(res, "query who learns msg", "diffie_hellman.tip")
    assert learners(who) == [["bob"]]
    rules = [s["rule"] for s in who.to_json()["learners"][0]["proof"]["steps"]]
    assert "dh" in rules and rules[-1] == "decrypt"


def test_hashed_pin_is_guessed_but_salted_pin_is_not() -> None:
    res = check_example("pin.tip")
    pin = json_by_line(res, "query eve learns pin", "pin.tip")
    assert pin["answer"] is True
    assert pin["proof"]["steps"][-1]["rule"] == "guess"
    pin2 = json_by_line(res, "query eve learns pin2", "pin.tip")
    assert pin2["answer"] is False
    assert all(assertions(res).values()), assertions(res)


def test_guess_bits_bound_disables_guessing_of_larger_ranges() -> None:
    res = check_example("pin.tip", Options(guess_bits=10))  # 10,000 values > 2^10
    pin = json_by_line(res, "query eve learns pin", "pin.tip")
    assert pin["answer"] is False


def test_key_chain_is_opened_only_by_the_whole_coalition() -> None:
    res = check_example("key_chain.tip")
    who = by_line(res, "query who learns doc", "key_chain.tip")
    assert learners(who) == [["clerk", "courier", "vault"]]
    pair = json_by_line(res, "query {courier, vault} learns doc", "key_chain.tip")
    assert pair["answer"] is False and "k1" in pair["why_not"]
    assert all(assertions(res).values()), assertions(res)


def test_hospital_reidentification_needs_research_and_linkage() -> None:
    res = check_example("hospital.tip")
    who = by_line(res, "query who learns record(ident[1], diag[1])", "hospital.tip")
    assert learners(who) == [["hospital"], ["linkage", "research"]]
    assert all(assertions(res).values()), assertions(res)


def test_shamir_three_of_five_learned_by_exactly_the_ten_triples() -> None:
    res = check_example("shamir.tip")
    who = by_line(res, "query who learns v", "shamir.tip")
    got = learners(who)
    assert len(got) == 10 and all(len(c) == 3 for c in got)
    assert sorted(map(tuple, got)) == sorted(
        tuple(f"h[{i}]" for i in trip)
        for trip in __import__("itertools").combinations(range(1, 6), 3)
    )
    assert all(assertions(res).values()), assertions(res)


def test_shamir_with_two_corrupt_holders_nobody_learns() -> None:
    res = check_example("shamir_two.tip")
    who = by_line(res, "query who learns v", "shamir_two.tip")
    assert learners(who) == []
    assert assertions(res) == {"nobody learns v": True}


def test_key_server_corrupt_server_plus_one_user_reads_other_users_data() -> None:
    res = check_example("key_server.tip")
    sess = by_line(res, "query who learns sess[1]", "key_server.tip")
    assert sess.to_json()["holders"] == [["server"]]
    assert learners(sess) == [["u[1]"], ["u[2]"]]
    data = by_line(res, "query who learns data[1]", "key_server.tip")
    assert learners(data) == [["u[2]"], ["server", "u[3]"], ["server", "u[4]"]]
    assert all(assertions(res).values()), assertions(res)


def test_split_query_needs_both_servers() -> None:
    res = check_example("split_query.tip")
    who = by_line(res, "query who learns q", "split_query.tip")
    assert learners(who) == [["s1", "s2"]]
    assert all(assertions(res).values()), assertions(res)


def test_secure_sum_with_seven_users_the_colluders_no_longer_hold_both_masks() -> None:
    # with N = 7, u[1]'s masks are m[1] (u[1], u[2]) and m[7] (u[7], u[1]): u[5] is no help
    res = check_example("secure_sum.tip", N=7)
    who = by_line(res, "query who learns x[1]", "secure_sum.tip")
    assert learners(who) == []


def test_every_proof_of_every_example_passes_the_independent_checker() -> None:
    from tipasp import proofcheck
    from tipasp.attack_search import attack_json
    from tipasp.results import Learns, WhoLearns
    from tipasp.terms import show

    checked = 0
    for path in sorted(EXAMPLES.glob("*.tip")):
        model = frontend.load(str(path))
        for r in check_spec(model, Options()):
            if isinstance(r, Learns) and r.answer or isinstance(r, WhoLearns) and r.learners:
                assert r.answered(), (path.name, r.line)
            target = show(r.target)
            for learner in r.answered():
                p = learner.proof  # every yes has its own proof, for its own coalition
                assert p is not None, (path.name, r.line)
                assert show(p.target) == target
                if learner.attack is not None:  # replayed, its final proof included
                    problems = proofcheck.check_attack(attack_json(learner.attack), model,
                                                       target)
                    assert problems == [], (path.name, r.line, problems)
                    checked += 1
                    continue
                assert list(p.coalition) == [show(a) for a in learner.coalition]
                problems = proofcheck.check(p.to_json(), model, list(p.coalition),
                                            show(p.target), after=r.after)
                assert problems == [], (path.name, r.line, problems)
                checked += 1
    assert checked >= 25


def test_published_total_any_two_users_learn_the_third() -> None:
    res = check_example("published_total.tip")
    who = json_by_line(res, "query who learns x[3]", "published_total.tip")
    assert who["holders"] == [["u[3]"]]
    assert [lr["coalition"] for lr in who["learners"]] == [["tally"], ["u[1]", "u[2]"]]
    steps = who["learners"][1]["proof"]["steps"]
    assert steps[-1]["rule"] == "linear" and steps[-1]["coefficients"] == [1, -1, -1]
    alone = json_by_line(res, "query u[1] learns x[3]", "published_total.tip")
    assert alone["answer"] is False
    assert assertions(res) == {"{u[1], u[2]} learns x[3]": True}


def test_who_learns_finds_learners_that_need_a_longer_elimination(tmp_path) -> None:
    # peeling over base knowledge cannot see it (m is only derived), the exact
    # linear completion of the search does: x1 = (x1 + m) - (m + x2) + x2
    (who,) = check_file(tmp_path, (
        "agent server, a, b\nsecret x1 @ a\nsecret x2 @ b\nrandom m @ a, b\n"
        "a -> server : x1 + m\nb -> server : m + x2\nb -> server : x2\n"
        "query who learns x1\n"
    ))
    assert learners(who) == [["server"]]
    assert who.complete is True
    last = who.to_json()["learners"][0]["proof"]["steps"][-1]
    assert last["rule"] == "linear" and last["term"] == "x1"


def test_shares_numbered_from_zero_count_too(tmp_path) -> None:
    (who,) = check_file(tmp_path, (
        "agent dealer, a, b\nsecret v @ dealer\n"
        "shares t[0..2] of v threshold 2 @ dealer\n"
        "dealer -> a : t[0]\ndealer -> b : t[2]\ncollude a, b\nquery who learns v\n"
    ))
    assert learners(who) == [["a", "b"]]
    assert who.to_json()["learners"][0]["proof"]["steps"][-1]["rule"] == "reconstruct"


LINEAR_KEY_CHAIN = """agent owner, s1, s2, s3
key k @ owner
random r1 @ owner
random r2 @ owner
secret doc @ owner
owner -> s1 : k + r1
owner -> s2 : r1 + r2
owner -> s3 : r2
owner -> s1 : enc(k, doc)
collude s1, s2, s3
query who learns doc
assert nobody learns doc
"""


def test_who_learns_finds_a_key_recovered_by_linear_elimination(tmp_path) -> None:
    who, nobody = check_file(tmp_path, LINEAR_KEY_CHAIN)
    assert learners(who) == [["s1", "s2", "s3"]]
    assert nobody.holds is False
    assert learners(check_file(tmp_path, LINEAR_KEY_CHAIN, max_coalition=2)[0]) == []


def test_who_learns_lists_only_minimal_coalitions(tmp_path) -> None:
    (who,) = check_file(tmp_path, (
        "agent client, s1, s2, y\nsecret q @ client\nrandom r @ client, y\n"
        "random t @ client, s2\nclient -> s1 : q + r + t\nclient -> s2 : r + t\n"
        "collude s1, s2, y\nquery who learns q\n"
    ))
    assert learners(who) == [["s1", "s2"]]


def test_leakage_of_a_combination_is_a_clear_spec_error(tmp_path) -> None:
    import pytest

    from tipasp.errors import SpecError

    with pytest.raises(SpecError) as err:
        check_file(tmp_path, "agent a, b\nsecret x @ a\nsecret y @ a\n"
                   "noise e ~ gaussian(1.0) @ a\na -> b : x + y + e\n"
                   "query leakage of x + y to b\n", "leak.tip")
    assert "leak.tip:6:1: error: leakage is measured for one declared value" in err.value.render()


def test_a_linear_term_is_one_term_wherever_and_however_it_is_written(tmp_path) -> None:
    res = check_file(tmp_path, (
        "agent a, b, c\nsecret x @ a\nsecret y @ a\nsecret doc @ a\nkey k @ a, b\n"
        "a -> b : x + y\n"
        "a -> b : enc(x + y, doc)\n"        # used as a key, written the same way
        "b -> c : enc(y + x, doc)\n"        # b can build it: the same term, reordered
        "a -> c : enc(k, (x, y))\n"
        "query b learns doc\nquery b learns hash(y + x)\nquery c learns doc\n"
    ))
    assert [r.answer for r in res] == [True, True, False]


def test_a_linear_key_computed_from_derived_atoms_opens_its_ciphertext(tmp_path) -> None:
    (res,) = check_file(tmp_path, (
        "agent a, b\nsecret x @ a\nsecret y @ a\nkey k @ a, b\nsecret doc @ a\nrandom r @ a\n"
        "a -> b : enc(k, (x, r))\na -> b : y + r\na -> b : enc(x + y, doc)\n"
        "query b learns doc\n"
    ))
    assert res.answer is True
    steps = res.to_json()["proof"]["steps"]
    assert steps[-1]["rule"] == "decrypt"
    assert any(s["rule"] == "linear" and s["term"] == "x + y" for s in steps)
