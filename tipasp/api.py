"""The Python library: load a spec, check it, explain one question (docs/api.md).

    >>> import tipasp
    >>> report = tipasp.check("examples/secure_sum.tip")
    >>> report.results[0].answer
    False

The command line is a thin layer over these functions: `tipasp check --json` prints
`Report.to_json()`, and every problem is raised as one exception type,
`tipasp.TipaspError` (a `SpecError`, with `diagnostics`, for a bad spec; a
`ResourceLimit` or an `InternalError` otherwise), never printed.

Results are the frozen classes of `tipasp.results` (`Learns`, `WhoLearns`, `Leakage`,
`Assertion`); every "yes" among them carries a proof the independent checker has
accepted, as on the command line. In a notebook, a `Report`, a `Proof` and a `Model`
show themselves as HTML (`tipasp.html`).
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from . import frontend
from .answer import Options
from .model import Model
from .results import Assertion, Result

__all__ = ["Report", "check", "explain", "load"]

Spec = Model | str | os.PathLike[str]
"""What the functions accept as a spec: a loaded model, a path, or the spec's text."""


def load(spec: str | os.PathLike[str], overrides: Mapping[str, int] | None = None) -> Model:
    """The model of a spec: a path to a `.tip` file (a `Path`, or a string without a
    line break naming an existing file) or the spec's text itself. `overrides` replace
    constants, as `--set N=10` does. Raises `SpecError` with every problem found."""
    if isinstance(spec, os.PathLike):
        return frontend.load(os.fspath(spec), overrides)
    if "\n" not in spec and os.path.isfile(spec):
        return frontend.load(spec, overrides)
    return frontend.load_text(spec, "<string>", overrides)


@dataclass(frozen=True)
class Report:
    """The answers to a spec's questions, in source order (one per ground question)."""

    spec: str
    """The spec's file name (`<string>` for text), as the JSON output names it."""
    model: Model = field(repr=False)
    results: tuple[Result, ...]

    @property
    def failed(self) -> bool:
        """Whether an assertion fails (the command line then exits with 1)."""
        return any(isinstance(r, Assertion) and not r.holds for r in self.results)

    def to_json(self) -> dict[str, Any]:
        """Exactly what `tipasp check --json` prints (docs/cli.md, "JSON output")."""
        return {"spec": self.spec, "results": [r.to_json() for r in self.results]}

    def text(self) -> str:
        """The report `tipasp check` prints."""
        from .report import render_text

        return render_text(self.results)

    def __iter__(self) -> Iterator[Result]:
        return iter(self.results)

    def __len__(self) -> int:
        return len(self.results)

    def __getitem__(self, i: int) -> Result:
        return self.results[i]

    def _repr_html_(self) -> str:
        from .html import report_html

        return report_html(self)


def _model(spec: Spec, overrides: Mapping[str, int] | None) -> Model:
    if isinstance(spec, Model):
        if overrides:
            raise TypeError("overrides apply when loading: pass a path or text, not a model")
        return spec
    return load(spec, overrides)


def check(
    spec: Spec,
    overrides: Mapping[str, int] | None = None,
    *,
    guess_bits: int = 40,
    max_coalition: int | None = None,
    proofs: bool = True,
) -> Report:
    """Answer every question of a spec (a model, a path or text), as `tipasp check`
    does; the options are the command line's `--guess-bits`, `--max-coalition` and
    `--no-proofs`. Raises `SpecError` for a bad spec (including a sender that cannot
    build what it sends), `InternalError` if a proof fails its check."""
    from .report import check_spec

    model = _model(spec, overrides)
    options = Options(guess_bits=guess_bits, max_coalition=max_coalition, proofs=proofs)
    return Report(model.file, model, tuple(check_spec(model, options)))


def explain(
    spec: Spec,
    question: str,
    overrides: Mapping[str, int] | None = None,
    *,
    guess_bits: int = 40,
    max_coalition: int | None = None,
) -> Report:
    """Answer one question that the spec need not contain, as `tipasp explain` does:
    `question` is written as after `query` (`"server learns x[1]"`, `"who learns
    x[2]"`) or as a whole `query`/`assert` statement. Problems in the question are
    reported at `<query>:1:COL`."""
    from .report import check_spec

    if isinstance(spec, Model):
        if overrides:
            raise TypeError("overrides apply when loading: pass a path or text, not a model")
        model = frontend.load_text_with_query(spec.source, question, spec.file, spec.consts)
    elif isinstance(spec, os.PathLike) or ("\n" not in spec and os.path.isfile(spec)):
        model = frontend.load_with_query(os.fspath(spec), question, overrides)
    else:
        model = frontend.load_text_with_query(spec, question, "<string>", overrides)
    only = replace(model, questions=model.questions[-1:])
    options = Options(guess_bits=guess_bits, max_coalition=max_coalition)
    return Report(model.file, only, tuple(check_spec(only, options)))
