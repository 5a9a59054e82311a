"""HTML fragments for notebooks: a Report, a Proof and a Model show themselves with
these (`_repr_html_`). Self-contained markup (no script, no network), every piece of
spec text escaped; the proof text is the same as the command line prints."""

from __future__ import annotations

from html import escape
from typing import TYPE_CHECKING

from . import render
from .results import Assertion, Leakage, Learns, WhatLearns, WhoLearns
from .terms import show

if TYPE_CHECKING:
    from .api import Report
    from .model import Model
    from .proof import Proof

_STYLE = "font-family: monospace; white-space: pre; margin: 0.2em 0 0.6em 1.5em"


def proof_html(proof: Proof) -> str:
    """A proof as its numbered text (docs/proofs.md) in a preformatted block."""
    return f'<pre style="{_STYLE}">{escape(render.text(proof))}</pre>'


def _verdict(r: object) -> str:
    """The one-line answer of a result."""
    if isinstance(r, Learns):
        return "yes" if r.answer else "no"
    if isinstance(r, WhoLearns):
        n = len(r.learners)
        return "public" if r.public else f"{n} learning coalition{'s' if n != 1 else ''}"
    if isinstance(r, Assertion):
        return "holds" if r.holds else "FAILS"
    if isinstance(r, Leakage):
        return "leakage"
    if isinstance(r, WhatLearns):
        return f"{len(r.learned)} value(s) learned"
    return ""


def report_html(report: Report) -> str:
    """Every result: its question and verdict, then each learner's proof, folded."""
    rows = [f"<div><b>{escape(report.spec)}</b>: {len(report.results)} result(s)"
            + (" — an assertion fails" if report.failed else "") + "</div>"]
    for r in report.results:
        what = "what " + ", ".join(map(show, r.coalition)) + " learns" if isinstance(
            r, WhatLearns) else show(r.target)
        head = f"line {r.line}: {escape(what)} — {_verdict(r)}"
        parts = [f"<summary>{head}</summary>"]
        for lr in r.answered():
            who = ", ".join(escape(show(a)) for a in lr.coalition)
            if lr.proof is not None:
                parts.append(f"<div>{{{who}}}</div>{proof_html(lr.proof)}")
        rows.append(f"<details>{''.join(parts)}</details>")
    return "\n".join(rows)


def model_html(model: Model) -> str:
    """The spec's source with line numbers."""
    lines = model.source.splitlines()
    width = len(str(len(lines)))
    body = "\n".join(f"{i:>{width}}  {escape(t)}" for i, t in enumerate(lines, 1))
    return (f"<div><b>{escape(model.file)}</b>: {len(model.agents)} agent declaration(s), "
            f"{len(model.messages)} message statement(s), {len(model.questions)} "
            f"question(s)</div><pre style=\"{_STYLE}\">{body}</pre>")
