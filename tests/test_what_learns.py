"""`query what C learns` (docs/language.md, "Whole views"): every non-public declared
value the coalition learns without holding it, each with its own checked proof; the
same answers as asking `C learns v` value by value."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import check_text, run_main, spec_errors, write_spec

from tipasp import fmt
from tipasp.results import Learns, WhatLearns

SPEC = """\
agent server, u[1..3]
secret x[i] @ u[i] for i in 1..3
random m @ u[1], u[2]
key k @ u[1], server
public g
u[1] -> server : enc(k, x[1] + m)
u[2] -> server : m
u[2] -> server : x[2]
u[3] -> server : (hash(x[3]), g)
server -> u[3] : x[2]
query what server learns
query what {u[3], u[1]} learns
query what u[3] learns after 1
"""


def test_view_lists_what_is_learned_and_not_held() -> None:
    server, pair, early = check_text(SPEC)
    assert isinstance(server, WhatLearns)
    assert [str(it.target) for it in server.learned] == [
        "Name(base='x', idx=(1,))", "Name(base='x', idx=(2,))", "Name(base='m', idx=())"]
    assert isinstance(pair, WhatLearns) and pair.coalition[0].base == "u"
    # u[1] holds x[1], m and k; u[3] holds x[3]; u[3] receives x[2]
    assert [it.target.idx for it in pair.learned] == [(2,)]
    assert isinstance(early, WhatLearns) and early.after == 1 and early.learned == ()


def test_view_agrees_with_questions_value_by_value() -> None:
    values = ["x[1]", "x[2]", "x[3]", "m", "k"]
    asked = SPEC.split("query")[0] + "".join(f"query server learns {v}\n" for v in values)
    answers = {v: r.answer for v, r in zip(values, check_text(asked), strict=True)
               if isinstance(r, Learns)}
    (view, *_) = check_text(SPEC)
    assert isinstance(view, WhatLearns)
    listed = {f"{it.target.base}" + (f"[{it.target.idx[0]}]" if it.target.idx else "")
              for it in view.learned}
    assert listed == {v for v, yes in answers.items() if yes and v != "k"}  # server holds k


def test_json_and_layout(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code, out, _ = run_main(capsys, "check", write_spec(tmp_path, SPEC), "--json")
    assert code == 0
    first = json.loads(out)["results"][0]
    assert list(first) == ["line", "kind", "coalition", "after", "learned"]
    assert first["kind"] == "what_learns" and first["coalition"] == ["server"]
    assert [it["target"] for it in first["learned"]] == ["x[1]", "x[2]", "m"]
    assert all(it["proof"]["steps"][-1]["term"] == it["target"] for it in first["learned"])
    layout = fmt.format_source(SPEC.replace("what {u[3], u[1]}", "what {u[3],u[1]}"), "t.tip")
    assert "query what {u[3], u[1]} learns\n" in layout


def test_errors() -> None:
    (err,) = spec_errors(SPEC + "query what server learns for i in 1..2\n")
    assert err[:2] == (14, 26) and "takes no generator" in err[2]
    (err,) = spec_errors(SPEC + "query what nobody2 learns\n")
    assert "undeclared agent 'nobody2'" in err[2]
