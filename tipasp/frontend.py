"""The front end's public entry points: a spec file or text in, a checked `Model` out.

Every problem with the input becomes a `SpecError` whose diagnostics render as
`FILE:LINE:COL: error: message`: a file that cannot be read or is not UTF-8, a
syntax error, an undeclared name, a `--set` that names no constant. Nothing a
user can write makes these functions raise anything else.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import replace

from . import syntax as S
from .errors import Diagnostic, SpecError
from .model import Model, Pos
from .parser import INT_MAX, MAX_DIAGNOSTICS, collected, gc_paused, parse_recover
from .resolve import resolve

__all__ = [
    "COMMAND_LINE",
    "MAX_DIAGNOSTICS",
    "QUERY_FILE",
    "load",
    "load_text",
    "load_text_with_query",
    "load_with_query",
    "parse_overrides",
    "read_source",
]

COMMAND_LINE = "<command line>"

_OVERRIDE_RE = re.compile(r"\s*([A-Za-z_][A-Za-z0-9_]*)\s*=\s*([+-]?[0-9]+)\s*")


def load_text(
    text: str, file: str = "<string>", overrides: Mapping[str, int] | None = None
) -> Model:
    """The model of the spec `text` (named `file` in messages); raises SpecError."""
    if text.startswith("\ufeff"):  # a UTF-8 byte order mark is not part of the spec
        text = text[1:]
    with gc_paused():
        result = parse_recover(text, file)
        return resolve(
            result.spec,
            overrides,
            prior=result.diagnostics,
            unparsed_names=result.unparsed_names,
        )


def read_source(path: str) -> str:
    """The text of the spec file at `path`; raises SpecError if it cannot be read as UTF-8."""
    try:
        with open(path, "rb") as f:
            data = f.read()
    except OSError as e:
        reason = e.strerror or str(e)
        raise SpecError(Diagnostic(Pos(path, 0, 0), f"cannot read the spec: {reason}")) from None
    except ValueError as e:  # e.g. a path with a NUL character
        raise SpecError(Diagnostic(Pos(path, 0, 0), f"cannot read the spec: {e}")) from None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as e:
        shown = data.decode("utf-8", errors="replace")
        line, col = _line_col(data[: e.start].decode("utf-8"))
        raise SpecError(
            Diagnostic(
                Pos(path, line, col),
                f"the spec is not valid UTF-8 text (byte 0x{data[e.start]:02x})",
            ),
            shown,
        ) from None


def _line_col(prefix: str) -> tuple[int, int]:
    """The 1-based line and column just after `prefix`, counting lines as
    str.splitlines() does (as the scanner and Diagnostic.render do)."""
    lines = prefix.splitlines(keepends=True)
    if not lines:
        return 1, 1
    last = lines[-1]
    if last.splitlines() != [last]:  # the prefix ends with a line break
        return len(lines) + 1, 1
    return len(lines), len(last) + 1


def load(path: str, overrides: Mapping[str, int] | None = None) -> Model:
    """The model of the spec file at `path`, constants overridden by `overrides`."""
    return load_text(read_source(path), path, overrides)


QUERY_FILE = "<query>"


def load_with_query(path: str, question: str, overrides: Mapping[str, int] | None = None) -> Model:
    """The model of the spec at `path` with one more question, last in `questions`.

    `question` is written as after the keyword `query` (`"server learns x[1]"`), or
    as a whole statement starting with `query` or `assert`. Problems in it are
    reported against `<query>:1:COL`, with the question as the source line.
    """
    return load_text_with_query(read_source(path), question, path, overrides)


def load_text_with_query(
    text: str,
    question: str,
    file: str = "<string>",
    overrides: Mapping[str, int] | None = None,
) -> Model:
    """`load_with_query` for spec text already in memory."""
    if text.startswith("\ufeff"):
        text = text[1:]
    q = " ".join(question.split())
    if q.split(" ", 1)[0] not in ("query", "assert"):
        q = "query " + q
    with gc_paused():
        spec_res = parse_recover(text, file)
        q_res = parse_recover(q, QUERY_FILE)
        if spec_res.diagnostics:
            resolve(  # raises, with the syntax errors and whatever else is wrong
                spec_res.spec,
                overrides,
                prior=spec_res.diagnostics,
                unparsed_names=spec_res.unparsed_names,
            )
        if q_res.diagnostics:
            raise collected(list(q_res.diagnostics), q)
        stmts = q_res.spec.statements
        if len(stmts) != 1 or not isinstance(stmts[0], (S.QueryStmt, S.AssertStmt)):
            raise SpecError(
                Diagnostic(Pos(QUERY_FILE, 1, 1), "expected one query, as in: server learns x"),
                q,
            )
        # Place the question after the spec's text, so that its `text` is sliced right.
        offset = len(text) + 1
        qstmt = stmts[0]
        object.__setattr__(qstmt, "span", (qstmt.span[0] + offset, qstmt.span[1] + offset))
        spec = replace(
            spec_res.spec,
            source=text + "\n" + q,
            statements=spec_res.spec.statements + (qstmt,),
        )
        try:
            model = resolve(spec, overrides)
        except SpecError as e:
            mine = [d for d in e.diagnostics if d.pos.file != QUERY_FILE]
            if mine:
                raise collected(mine, text) from None
            raise collected(e.diagnostics, q) from None
        return replace(model, source=text)


def parse_overrides(items: Iterable[str]) -> dict[str, int]:
    """`["N=10", "M=3"]` (from `--set`) as a dict; raises SpecError for a bad item."""
    out: dict[str, int] = {}
    diags: list[Diagnostic] = []
    where = Pos(COMMAND_LINE, 0, 0)
    for item in items:
        m = _OVERRIDE_RE.fullmatch(item)
        if m is None:
            diags.append(
                Diagnostic(
                    where,
                    f"--set {item!r}: expected NAME=INTEGER, for example --set N=10",
                )
            )
            continue
        name, digits = m.group(1), m.group(2)
        if len(digits.lstrip("+-").lstrip("0")) > 10 or abs(int(digits)) > INT_MAX:
            diags.append(Diagnostic(where, f"--set {name}: number too large: {digits[:24]}"))
            continue
        if name in out:
            diags.append(Diagnostic(where, f"--set {name} is given twice"))
            continue
        out[name] = int(digits)
    if diags:
        raise SpecError(diags)
    return out
