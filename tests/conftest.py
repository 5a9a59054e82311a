"""Helpers that several test files share: import them by name
(`from conftest import check_example, learners`).

tests/ is not a package, so pytest puts it on sys.path and this module is importable
like the test files' other neighbours (`reference`, `specgen`, `test_rules`).
"""

from __future__ import annotations

import dataclasses
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import pytest

from tipasp import frontend
from tipasp.answer import Options
from tipasp.cli import main
from tipasp.errors import SpecError
from tipasp.model import Model
from tipasp.report import check_spec
from tipasp.terms import show

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
DATA = ROOT / "tests" / "data"
SPEC_FILES = sorted(EXAMPLES.glob("*.tip")) + sorted(DATA.glob("*.tip"))
"""Every valid spec file: the examples and the test fixtures."""

# Subprocesses run outside the repository, so that `python -m tipasp.cli` imports the
# installed package (in the repository the source folder tipasp/ shadows it, and
# lacks tipasp.grammar and tipasp.rules, which setup maps from grammar/ and rules/).
CLI_CWD = Path(tempfile.mkdtemp(prefix="tipasp-cli-"))


# The proof of x[1] in the contract's JSON example (docs/cli.md; examples/secure_sum.tip).
CONTRACT_PROOF: dict[str, Any] = {"steps": [
    {"id": 1, "term": "x[1] + m[1] - m[5]", "rule": "receives", "by": "server", "step": 1,
     "line": 10, "premises": []},
    {"id": 2, "term": "m[1]", "rule": "holds", "by": "u[2]", "line": 8, "premises": []},
    {"id": 3, "term": "m[5]", "rule": "holds", "by": "u[5]", "line": 8, "premises": []},
    {"id": 4, "term": "x[1]", "rule": "linear", "premises": [1, 2, 3],
     "coefficients": [1, -1, 1]},
]}


# ---------------------------------------------------------------- checking specs


def check_example(name: str, options: Options | None = None, **overrides: int) -> list[Any]:
    """The results of `tipasp check examples/NAME` (`overrides` as `--set`)."""
    model = frontend.load(str(EXAMPLES / name), overrides or None)
    return check_spec(model, options or Options())


def check_text(text: str, name: str = "t.tip", overrides: dict[str, int] | None = None,
               **options: Any) -> list[Any]:
    """The results of checking a spec given as text (`options`: those of Options)."""
    return check_spec(frontend.load_text(text, name, overrides), Options(**options))


def write_spec(directory: Path, text: str, name: str = "spec.tip") -> str:
    """Write a spec file into `directory`; its path."""
    path = directory / name
    path.write_text(text)
    return str(path)


def check_file(directory: Path, text: str, name: str = "spec.tip", **options: Any) -> list[Any]:
    """The results of checking a spec written to a file (as `tipasp check FILE` reads it)."""
    return check_spec(frontend.load(write_spec(directory, text, name)), Options(**options))


def learners(result: Any) -> list[list[str]]:
    """The coalitions of a `who learns` result (results.WhoLearns), in the order
    reported, as lists of agent names."""
    return [[show(a) for a in lr.coalition] for lr in result.learners]


# ------------------------------------------------------------------ the front end


def spec_errors(src: str, name: str = "t.tip", **overrides: int) -> list[tuple[int, int, str]]:
    """The diagnostics of a spec that must not load: (line, column, message)."""
    with pytest.raises(SpecError) as info:
        frontend.load_text(src, name, overrides or None)
    return [(d.pos.line, d.pos.col, d.message) for d in info.value.diagnostics]


def same_model(a: Model, b: Model) -> bool:
    """Equal in everything but the source text (positions are compare=False already)."""
    return all(
        getattr(a, f.name) == getattr(b, f.name)
        for f in dataclasses.fields(Model)
        if f.name != "source"
    )


# ------------------------------------------------------------- the command line


def run_main(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    """`tipasp ARGS` in this process: the exit code, stdout and stderr."""
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def run_cli(*args: str, **kw: Any) -> subprocess.CompletedProcess[str]:
    """`python -m tipasp.cli ARGS` as a separate process (outside the repository)."""
    return subprocess.run([sys.executable, "-m", "tipasp.cli", *args], capture_output=True,
                          text=True, timeout=120, cwd=CLI_CWD, **kw)
