"""The Python library (docs/api.md): the page's examples run as written, the report's
JSON equals the command line's, errors arrive as one exception type, and the HTML
shown in notebooks holds every result and escapes spec text."""

from __future__ import annotations

import doctest
import re
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import ROOT

import tipasp
from tipasp.errors import SpecError, TipaspError

DOC = ROOT / "docs" / "api.md"


def test_the_pages_examples_run_as_shown(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)
    blocks = re.findall(r"```pycon\n(.*?)```", DOC.read_text(), flags=re.S)
    assert len(blocks) >= 5
    parser = doctest.DocTestParser()
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS)
    test = parser.get_doctest("\n".join(blocks), {}, "docs/api.md", str(DOC), 0)
    runner.run(test)
    result = runner.summarize(verbose=False)
    assert result.attempted >= 15 and result.failed == 0


def test_load_accepts_paths_and_text(tmp_path: Path) -> None:
    path = tmp_path / "s.tip"
    path.write_text("agent a, b\nsecret x @ a\na -> b : x\nquery b learns x\n")
    by_path = tipasp.load(path)
    by_str = tipasp.load(str(path))
    by_text = tipasp.load(path.read_text())
    assert by_path.file == by_str.file == str(path) and by_text.file == "<string>"
    assert tipasp.check(by_path)[0].answer is True
    with pytest.raises(TypeError):
        tipasp.check(by_path, {"N": 2})


def test_every_error_is_a_tipasp_error() -> None:
    with pytest.raises(TipaspError) as info:
        tipasp.check("agent a\nsecret x @ a\na -> a : y\n")
    assert isinstance(info.value, SpecError)
    assert [(d.pos.line, d.pos.col) for d in info.value.diagnostics] == [(3, 10)]
    with pytest.raises(SpecError) as q:
        tipasp.explain("agent a\nsecret x @ a\n", "a learns zz")
    assert q.value.diagnostics[0].pos.file == "<query>"
    assert TipaspError.diagnostics == []  # limits and internal errors carry none


def test_html_holds_every_result_and_escapes(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)
    report = tipasp.check("examples/secure_sum.tip")
    page = report._repr_html_()
    assert page.count("<details>") == len(report) == 3
    assert "line 15: x[1]" in page and "{server, u[2], u[5]}" in page
    spec = "agent a, b\nsecret x @ a\na -> b : x   # <script>alert(1)</script>\nquery b learns x\n"
    model = tipasp.load(spec)
    assert "<script>" not in model._repr_html_() and "&lt;script&gt;" in model._repr_html_()
    proof = tipasp.check(model)[0].learner.proof
    assert proof is not None and "b receives" in proof._repr_html_()


def test_importing_tipasp_loads_no_solver() -> None:
    code = "import sys, tipasp; print('clingo' in sys.modules)"
    run = subprocess.run([sys.executable, "-c", code], cwd="/", capture_output=True,
                         text=True, check=True)
    assert run.stdout.strip() == "False"
