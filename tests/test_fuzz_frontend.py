"""Mangled specs never crash the front end: every input gives a model or a clean SpecError.

Valid specs (the examples and the fixtures) are mangled by hypothesis: characters
deleted, inserted, replaced, the text truncated, random bytes spliced in. The front
end must answer with a model, or with a SpecError whose every diagnostic renders as
`FILE:LINE:COL: error: ...`. Whenever a mangled spec still loads, the formatter must
be idempotent on it and preserve its model.
"""

from __future__ import annotations

import re
import tempfile
from pathlib import Path

from conftest import SPEC_FILES, same_model
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tipasp.errors import SpecError
from tipasp.fmt import format_source
from tipasp.frontend import load, load_text

BASES = [p.read_text(encoding="utf-8") for p in SPEC_FILES]
HEAD = re.compile(r"^(t\.tip|<command line>):\d+:\d+: error: ")

# Pieces that make mangling reach deep into the grammar rather than stop at the lexer.
PIECES = list("abxiNu0123456789 \t\n()[]{},:@~=-+*/%<>.#\\!$") + [
    "->",
    "..",
    " for i in 1..N",
    " if i < j",
    "sum(",
    "query ",
    "assert ",
    "agent ",
    "secret ",
    "1e999",
    "99999999999",
    " mod ",
    " step ",
    " after ",
    "nobody ",
    " range ",
    "not ",
    "é",
    "\x00",
    "\r",
    "\u2028",
    "\ufeff",
]


@st.composite
def mangled(draw: st.DrawFn) -> str:
    text = draw(st.sampled_from(BASES))
    for _ in range(draw(st.integers(1, 6))):
        pos = draw(st.integers(0, len(text)))
        op = draw(st.sampled_from(["delete", "insert", "replace", "truncate", "junk"]))
        if op == "delete":
            text = text[:pos] + text[pos + draw(st.integers(1, 8)) :]
        elif op == "insert":
            text = text[:pos] + draw(st.sampled_from(PIECES)) + text[pos:]
        elif op == "replace":
            text = text[:pos] + draw(st.sampled_from(PIECES)) + text[pos + 1 :]
        elif op == "truncate":
            text = text[:pos]
        else:
            text = text[:pos] + draw(st.text(max_size=12)) + text[pos:]
    return text


def check_error(err: SpecError) -> None:
    rendered = err.render()
    assert err.diagnostics
    for d in err.diagnostics:
        assert HEAD.match(d.render(err.source)), d.render(err.source)
    assert HEAD.match(rendered), rendered


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mangled())
def test_mangled_text_gives_a_model_or_a_clean_error(text: str):
    try:
        model = load_text(text, "t.tip")
    except SpecError as err:
        check_error(err)
        return
    once = format_source(text, "t.tip")
    assert format_source(once, "t.tip") == once
    assert same_model(model, load_text(once, "t.tip"))


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mangled())
def test_mangled_text_formats_or_gives_a_clean_error(text: str):
    try:
        format_source(text, "t.tip")
    except SpecError as err:
        check_error(err)


@settings(max_examples=200, deadline=None)
@given(st.sampled_from(BASES), st.binary(max_size=40), st.integers(0, 10_000))
def test_random_bytes_in_a_file(base: str, junk: bytes, at: int):
    data = base.encode("utf-8")
    at = min(at, len(data))
    data = data[:at] + junk + data[at:]
    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / "t.tip"
        path.write_bytes(data)
        try:
            load(str(path))
        except SpecError as err:
            for diag in err.diagnostics:
                assert diag.render(err.source).startswith(f"{path}:"), diag
                assert re.match(rf"^{re.escape(str(path))}:\d+:\d+: error: ", diag.render(None))


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=200))
def test_arbitrary_text(text: str):
    try:
        load_text(text, "t.tip")
    except SpecError as err:
        check_error(err)
