"""`format_source`: canonical layout, comments kept, idempotent, and model-preserving."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import DATA, SPEC_FILES, same_model

from tipasp.errors import SpecError
from tipasp.fmt import format_source
from tipasp.frontend import load_text

SPECS = SPEC_FILES


def test_there_are_specs_to_format():
    assert any(p.parent.name == "data" for p in SPECS)


@pytest.mark.parametrize("path", SPECS, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_idempotent_and_model_preserving(path: Path):
    text = path.read_text(encoding="utf-8")
    once = format_source(text, str(path))
    assert format_source(once, str(path)) == once
    assert same_model(load_text(text, str(path)), load_text(once, str(path)))
    # every comment survives
    comments = [ln.split("#", 1)[1].strip() for ln in text.splitlines() if "#" in ln]
    for c in comments:
        assert c in once


def test_canonical_layout_of_a_messy_spec():
    text = (DATA / "messy.tip").read_text()
    assert format_source(text, "messy.tip") == (
        "# A spec written carelessly: the formatter's input fixture.\n"
        "const N = 3\n"
        "\n"
        "agent server, u[1..N]\n"
        "\n"
        "secret x[i] @ u[i] range 0..9 for i in 1..N  # trailing comment\n"
        "random m[i, j] @ u[i], u[j] for i in 1..N, j in 1..N if i < j, j != i + 1\n"
        "\n"
        "u[i] -> server : x[i] + sum(m[i, j] for j in i + 1..N) - sum(m[j, i] for j in 1..i - 1)"
        " for i in 1..N\n"
        "# inner comment\n"
        "server -> * : enc(hash(x[1]), (x[2], x[3]))\n"
        "\n"
        "collude server, u[2]\n"
        "\n"
        "query {server, u[2]} learns x[1] - 2 * x[2] after step 1\n"
        "assert leakage of x[1] to server within 1.0, 1e-5\n"
    )


@pytest.mark.parametrize(
    "src, out",
    [
        ("", ""),
        ("\n\n  \n", ""),
        ("# only a comment", "# only a comment\n"),
        ("agent a\n\n\n\nagent b\n\n", "agent a\n\nagent b\n"),
        ("const N = 1\n# about agents\nagent a", "const N = 1\n\n# about agents\nagent a\n"),
        ("a -> b : - -x+-y", "a -> b : --x + -y\n"),
        ("a -> b : x * 3 - (y)", "a -> b : x * 3 - (y)\n"),
        ("function f/2,g/1", "function f/2, g/1\n"),
        ("noise e~laplace(1)@a,b", "noise e ~ laplace(1) @ a, b\n"),
        ("shares s[i,1..3]of v[i]threshold 2@d[i]for i in 1..N", None),
        ("eavesdropper eve on a->*", "eavesdropper eve on a -> *\n"),
        ("corrupt 1 of u", "corrupt 1 of u\n"),
        ("query leakage of x to a at 1e-6", "query leakage of x to a at 1e-6\n"),
        ("assert nobody learns x after setup", "assert nobody learns x after setup\n"),
        ("query who learns x after 2", "query who learns x after 2\n"),
        ("agent a, \\\n  b", "agent a, b\n"),
    ],
)
def test_layout_cases(src: str, out: str | None):
    result = format_source(src, "t.tip")
    if out is None:
        out = "shares s[i, 1..3] of v[i] threshold 2 @ d[i] for i in 1..N\n"
    assert result == out
    assert format_source(result, "t.tip") == result


def test_fmt_does_not_need_a_resolvable_spec():
    assert format_source("a -> b : undeclared", "t.tip") == "a -> b : undeclared\n"


def test_fmt_rejects_syntax_errors_with_all_of_them():
    with pytest.raises(SpecError) as info:
        format_source("agent (\nquery who\n", "t.tip")
    assert [(d.pos.line, d.pos.col) for d in info.value.diagnostics] == [(1, 7), (2, 10)]
    assert info.value.render().startswith("t.tip:1:7: error:")
