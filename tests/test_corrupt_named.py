"""`corrupt T of {b, c, d} with server` (docs/language.md, "Adversaries"): every group
of `with` plus at most T named agents, exactly as the equivalent `collude` lines."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import run_main, spec_errors, write_spec

from tipasp import fmt

SPEC = """\
agent a, b, c, d, server
secret x @ a
random m1 @ a, b
random m2 @ a, c
a -> server : x + m1 + m2
corrupt {T} of {{b, c, d}} with server
query who learns x
"""


def _who(capsys: pytest.CaptureFixture[str], tmp_path: Path, text: str) -> list[list[str]]:
    code, out, _ = run_main(capsys, "check", write_spec(tmp_path, text), "--json")
    assert code == 0
    return [lr["coalition"] for lr in json.loads(out)["results"][0]["learners"]]


@pytest.mark.parametrize(("t", "want"), [(0, []), (1, []), (2, [["b", "c", "server"]]),
                                         (5, [["b", "c", "server"]])])
def test_at_most_t_named_agents(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, t: int, want: list[list[str]]
) -> None:
    assert _who(capsys, tmp_path, SPEC.format(T=t)) == want


def test_same_as_the_collude_lines(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    groups = ["server", "server, b", "server, c", "server, d", "server, b, c", "server, b, d",
              "server, c, d"]
    colludes = "".join(f"collude {g}\n" for g in groups)
    by_collude = SPEC.format(T=2).replace("corrupt 2 of {b, c, d} with server\n", colludes)
    assert _who(capsys, tmp_path, by_collude) == _who(capsys, tmp_path, SPEC.format(T=2))


def test_layout_and_errors() -> None:
    text = SPEC.format(T=2).replace("{b, c, d}", "{b,c ,d}")
    assert "corrupt 2 of {b, c, d} with server" in fmt.format_source(text, "t.tip")
    errs = spec_errors(SPEC.format(T=1).replace("{b, c, d}", "{b, c, b}"))
    assert [(line, col) for line, col, _ in errs] == [(6, 21)] and "twice" in errs[0][2]
    errs = spec_errors(SPEC.format(T=1).replace("{b, c, d}", "{b, server}"))
    assert "both listed and in 'with'" in errs[0][2]
    errs = spec_errors(SPEC.format(T=1).replace("{b, c, d}", "{b, zed}"))
    assert "undeclared agent 'zed'" in errs[0][2]
