"""The command line as a user meets it: exit codes, JSON output, explain, fmt,
errors in the FILE:LINE:COL form, the time limit, and names that are ASP words."""

from __future__ import annotations

import json

import pytest
from conftest import EXAMPLES, run_cli, run_main, write_spec

from tipasp.cli import main


def test_check_exits_zero_when_every_assertion_holds(capsys) -> None:
    code, out, _ = run_main(capsys, "check", str(EXAMPLES / "secure_sum.tip"))
    assert code == 0
    assert "{server, u[2], u[5]} learns x[1]" in out
    assert "x[1] = (1) - (2) + (3)" in out


def test_check_exits_one_when_an_assertion_fails(capsys, tmp_path) -> None:
    spec = write_spec(tmp_path, "agent a, b\nsecret s @ a\na -> b : s\nassert not b learns s\n")
    code, out, _ = run_main(capsys, "check", spec)
    assert code == 1
    assert "FAILS" in out and "b receives" in out


def test_json_output_follows_the_contract(capsys) -> None:
    code, out, _ = run_main(capsys, "check", str(EXAMPLES / "secure_sum.tip"), "--json")
    assert code == 0
    doc = json.loads(out)
    assert doc["spec"].endswith("secure_sum.tip")
    who, learns, asserted = doc["results"]
    assert who == {
        **who,
        "line": 15, "kind": "who_learns", "target": "x[1]", "after": None,
        "holders": [["u[1]"]],
    }
    assert [lr["coalition"] for lr in who["learners"]] == [["server", "u[2]", "u[5]"]]
    steps = who["learners"][0]["proof"]["steps"]
    assert steps[-1] == {"id": 4, "term": "x[1]", "rule": "linear", "premises": [1, 2, 3],
                         "coefficients": [1, -1, 1]}
    assert {s["rule"] for s in steps[:3]} == {"receives", "holds"}
    assert learns["kind"] == "learns" and learns["answer"] is False
    assert learns["coalition"] == ["server"] and "why_not" in learns
    assert asserted == {"line": 17, "kind": "assert", "text": "not server learns x[3]",
                        "target": "x[3]", "after": None, "holds": True, "counterexample": None}


def test_failed_assertion_in_json_carries_a_counterexample_proof(capsys, tmp_path) -> None:
    spec = write_spec(tmp_path, "agent a, b\nsecret s @ a\na -> b : s\nassert not b learns s\n")
    code, out, _ = run_main(capsys, "check", spec, "--json")
    assert code == 1
    (res,) = json.loads(out)["results"]
    assert res["holds"] is False
    assert res["counterexample"]["coalition"] == ["b"]
    assert res["counterexample"]["proof"]["steps"] == [
        {"id": 1, "term": "s", "rule": "receives", "by": "b", "step": 1, "line": 3,
         "premises": []}
    ]


def test_spec_error_is_reported_with_position_and_caret(capsys, tmp_path) -> None:
    spec = write_spec(tmp_path, "agent a\nsecret s @ a\nquery a learns t\n")
    code, out, err = run_main(capsys, "check", spec)
    assert code == 2 and out == ""
    first = err.splitlines()[0]
    assert first.startswith(f"{spec}:3:16: error:")
    assert "query a learns t" in err and "^" in err


def test_missing_file_is_a_spec_error_not_a_traceback(capsys, tmp_path) -> None:
    code, _, err = run_main(capsys, "check", str(tmp_path / "nope.tip"))
    assert code == 2
    assert "error:" in err and "Traceback" not in err


def test_sender_that_cannot_build_its_message_is_a_spec_error(capsys, tmp_path) -> None:
    spec = write_spec(tmp_path, "agent a, b\nsecret s @ b\nkey k @ a\na -> b : enc(k, s)\n")
    code, _, err = run_main(capsys, "check", spec)
    assert code == 2
    assert f"{spec}:4:1: error: a cannot send enc(k, s) at step 1: it does not know s" in err


def test_explain_prints_one_proof_in_each_format(capsys) -> None:
    spec = str(EXAMPLES / "secure_sum.tip")
    q = "{server, u[2], u[5]} learns x[1]"
    code, text, _ = run_main(capsys, "explain", spec, q)
    assert code == 0 and text.splitlines()[0] == q
    code, md, _ = run_main(capsys, "explain", spec, q, "--format", "markdown")
    assert code == 0 and "|" in md
    code, js, _ = run_main(capsys, "explain", spec, q, "--format", "json")
    (res,) = json.loads(js)
    assert res["answer"] is True and res["proof"]["steps"][-1]["term"] == "x[1]"
    code, dot, _ = run_main(capsys, "explain", spec, q, "--format", "dot")
    assert code == 0 and dot.lstrip().startswith("digraph") and "step 1" in dot


def test_explain_of_a_no_gives_the_why_not(capsys) -> None:
    code, out, _ = run_main(capsys, "explain", str(EXAMPLES / "secure_sum.tip"),
                            "server learns x[1]")
    assert code == 0
    assert "why not: server would learn x[1] with m[1] (held by u[1], u[2])" in out


def test_explain_reports_errors_in_the_query_itself(capsys) -> None:
    code, _, err = run_main(capsys, "explain", str(EXAMPLES / "secure_sum.tip"), "server learns zz")
    assert code == 2 and "<query>:1:" in err


def test_fmt_prints_a_spec_that_checks_the_same(capsys, tmp_path) -> None:
    code, out, _ = run_main(capsys, "fmt", str(EXAMPLES / "key_chain.tip"))
    assert code == 0
    again = write_spec(tmp_path, out, "formatted.tip")
    code2, out2, _ = run_main(capsys, "check", again, "--json")
    code3, out3, _ = run_main(capsys, "check", str(EXAMPLES / "key_chain.tip"), "--json")
    assert code2 == code3 == 0
    strip = lambda s: [{k: v for k, v in r.items()} for r in json.loads(s)["results"]]  # noqa: E731
    assert strip(out2) == strip(out3)


def test_names_that_are_asp_words_are_just_names(capsys, tmp_path) -> None:
    spec = write_spec(tmp_path, (
        "agent Alice, knows, show, _x, not_\n"
        "secret minimize @ Alice\n"
        "key base @ Alice, knows\n"
        "Alice -> show : enc(base, minimize)\n"
        "show -> _x : enc(base, minimize)\n"
        "collude show, _x, not_\n"
        "query who learns minimize\n"
        "assert not show learns minimize\n"
        "query {knows, show} learns minimize\n"
    ))
    code, out, _ = run_main(capsys, "check", spec, "--json")
    assert code == 0
    who, _, pair = json.loads(out)["results"]
    assert who["holders"] == [["Alice"]]
    assert who["learners"] == []  # nobody in the collude group has the key
    assert pair["answer"] is True
    assert [s["by"] for s in pair["proof"]["steps"] if "by" in s] == ["show", "knows"]


def test_max_coalition_bounds_the_search(capsys) -> None:
    code, out, _ = run_main(capsys, "check", str(EXAMPLES / "key_chain.tip"), "--json",
                       "--max-coalition", "2")
    who = json.loads(out)["results"][0]
    assert who["learners"] == []  # the only learner needs three agents


def test_eavesdropper_on_one_link_sees_only_that_link(capsys, tmp_path) -> None:
    spec = write_spec(tmp_path, (
        "agent a, b, c, eve\nsecret s @ a\nsecret t @ a\n"
        "a -> b : s\na -> c : t\n"
        "eavesdropper eve on a -> b\n"
        "query eve learns s\nquery eve learns t\n"
    ))
    code, out, _ = run_main(capsys, "check", spec, "--json")
    s, t = json.loads(out)["results"]
    assert s["answer"] is True and s["proof"]["steps"][0]["rule"] == "sees"
    assert t["answer"] is False


def test_after_a_label_or_step_sees_only_earlier_messages(capsys, tmp_path) -> None:
    spec = write_spec(tmp_path, (
        "agent a, b\nsecret s @ a\nkey k @ a\n"
        "first: a -> b : enc(k, s)\nsecond: a -> b : k\n"
        "query b learns s after first\nquery b learns s after 2\nquery who learns s after step 1\n"
    ))
    code, out, _ = run_main(capsys, "check", spec, "--json")
    first, second, who = json.loads(out)["results"]
    assert (first["answer"], first["after"]) == (False, 1)
    assert (second["answer"], second["after"]) == (True, 2)
    assert who["learners"] == []


def test_timeout_gives_exit_three(tmp_path) -> None:
    spec = write_spec(tmp_path, (
        "const N = 40000\nagent server\nagent u[1..N]\nsecret x[i] @ u[i] for i in 1..N\n"
        "key k[i] @ u[i], server for i in 1..N\n"
        "u[i] -> server : enc(k[i], x[i]) for i in 1..N\nquery who learns x[1]\n"
    ))
    proc = run_cli("check", spec, "--timeout", "0.5")
    assert proc.returncode == 3
    assert "time limit" in proc.stderr


def test_version_and_help(capsys) -> None:
    with pytest.raises(SystemExit) as e:
        main(["--version"])
    assert e.value.code == 0 and "tipasp" in capsys.readouterr().out
    with pytest.raises(SystemExit):
        main(["check", "--help"])
    assert "examples:" in capsys.readouterr().out


def test_an_internal_error_exits_three_without_a_traceback(capsys, monkeypatch) -> None:
    import tipasp.report

    def boom(*_a, **_k):
        raise RuntimeError("simulated bug")

    monkeypatch.setattr(tipasp.report, "check_spec", boom)
    code, _, err = run_main(capsys, "check", str(EXAMPLES / "secure_sum.tip"))
    assert code == 3
    assert "internal error: RuntimeError: simulated bug" in err and "Traceback" not in err


def test_errors_in_an_explained_question_quote_the_question(capsys, tmp_path) -> None:
    spec = write_spec(tmp_path, "agent a, b\nsecret x @ a\nsecret y @ a\na -> b : x + y\n")
    code, _, err = run_main(capsys, "explain", spec, "leakage of x + y to b")
    assert code == 2
    assert err.splitlines()[0].startswith("<query>:1:1: error: leakage is measured")
    assert err.splitlines()[1].strip() == "query leakage of x + y to b"


def test_the_report_ends_with_a_newline_even_without_questions(capsys, tmp_path) -> None:
    code, out, _ = run_main(capsys, "check", write_spec(tmp_path, "agent a\n"))
    assert code == 0 and out == "no queries or assertions\n"
