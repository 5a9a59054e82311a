"""SARIF 2.1.0 output (`tipasp check SPEC --format sarif`, docs/cli.md), so that
code-scanning CI shows a failed assertion or a spec error on the spec's own line.

One SARIF result per failed assertion (rule `assertion-failed`; the message is the
counterexample: the proof, or the attack, or the privacy loss, as the text report
prints it) and per spec error (rule `spec-error`; the message is the diagnostic with
its hint). Answers to queries are not results: SARIF reports problems, and a query
asks a question rather than stating a requirement.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from . import __version__
from .errors import Diagnostic
from .results import Assertion

if TYPE_CHECKING:
    from .api import Report

SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"

_RULES = [
    {
        "id": "assertion-failed",
        "name": "AssertionFailed",
        "shortDescription": {"text": "An assertion of the spec does not hold"},
        "fullDescription": {
            "text": "A coalition learns what an assertion says it must not learn (or does "
            "not learn what it must), or a release leaks more than the stated budget. "
            "The message holds the checked counterexample."
        },
        "defaultConfiguration": {"level": "error"},
    },
    {
        "id": "spec-error",
        "name": "SpecError",
        "shortDescription": {"text": "The spec cannot be read"},
        "fullDescription": {
            "text": "A syntax error, an undeclared name, a wrong index, a sender that "
            "cannot build what it sends, ..."
        },
        "defaultConfiguration": {"level": "error"},
    },
]


def _location(uri: str, line: int, col: int) -> dict[str, Any]:
    region: dict[str, Any] = {"startLine": max(line, 1)}
    if col >= 1:
        region["startColumn"] = col
    return {"physicalLocation": {"artifactLocation": {"uri": uri}, "region": region}}


def _log(uri: str, results: list[dict[str, Any]]) -> dict[str, Any]:
    driver = {"name": "tipasp", "version": __version__, "rules": _RULES}
    return {
        "$schema": SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {"driver": driver},
                "artifacts": [{"location": {"uri": uri}}],
                "results": results,
            }
        ],
    }


def report_sarif(report: Report) -> dict[str, Any]:
    """The SARIF log of a report: one result per failed assertion."""
    from .report import render_text

    cols = {q.pos.line: q.pos.col for q in report.model.questions}
    results = []
    for r in report.results:
        if not isinstance(r, Assertion) or r.holds:
            continue
        results.append(
            {
                "ruleId": "assertion-failed",
                "ruleIndex": 0,
                "level": "error",
                "message": {"text": render_text([r]).rstrip("\n")},
                "locations": [_location(report.spec, r.line, cols.get(r.line, 1))],
            }
        )
    return _log(report.spec, results)


def errors_sarif(uri: str, diagnostics: list[Diagnostic]) -> dict[str, Any]:
    """The SARIF log of a spec that cannot be checked: one result per diagnostic."""
    results = []
    for d in diagnostics:
        text = d.message + (f" (hint: {d.hint})" if d.hint else "")
        results.append(
            {
                "ruleId": "spec-error",
                "ruleIndex": 1,
                "level": "error",
                "message": {"text": text},
                "locations": [_location(d.pos.file or uri, d.pos.line, d.pos.col)],
            }
        )
    return _log(uri, results)
