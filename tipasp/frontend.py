"""The front end's public entry points: a spec file or text in, a checked `Model` out.

Every problem with the input becomes a `SpecError` whose diagnostics render as
`FILE:LINE:COL: error: message`: a file that cannot be read or is not UTF-8, a
syntax error, an undeclared name, a `--set` that names no constant. Nothing a
user can write makes these functions raise anything else.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

from .errors import Diagnostic, SpecError
from .model import Model, Pos
from .parser import INT_MAX, gc_paused, parse_recover
from .resolve import resolve

#: At most this many diagnostics are reported for one spec (binary garbage makes many).
MAX_DIAGNOSTICS = 100

COMMAND_LINE = "<command line>"

_OVERRIDE_RE = re.compile(r"\s*([A-Za-z_][A-Za-z0-9_]*)\s*=\s*([+-]?[0-9]+)\s*")


def _capped(err: SpecError) -> SpecError:
    diags = err.diagnostics
    if len(diags) <= MAX_DIAGNOSTICS:
        return err
    rest = len(diags) - MAX_DIAGNOSTICS
    kept = diags[:MAX_DIAGNOSTICS]
    kept.append(Diagnostic(diags[MAX_DIAGNOSTICS].pos, f"too many errors: {rest} more not shown"))
    return SpecError(kept, err.source)


def load_text(
    text: str, file: str = "<string>", overrides: Mapping[str, int] | None = None
) -> Model:
    """The model of the spec `text` (named `file` in messages); raises SpecError."""
    if text.startswith("\ufeff"):  # a UTF-8 byte order mark is not part of the spec
        text = text[1:]
    with gc_paused():
        result = parse_recover(text, file)
        try:
            return resolve(
                result.spec,
                overrides,
                prior=result.diagnostics,
                unparsed_names=result.unparsed_names,
            )
        except SpecError as e:
            raise _capped(e) from None


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
        good = data[: e.start]
        line = good.count(b"\n") + 1
        last = good[good.rfind(b"\n") + 1 :].decode("utf-8", errors="replace")
        col = len(last) + 1
        shown = data.decode("utf-8", errors="replace")
        raise SpecError(
            Diagnostic(
                Pos(path, line, col),
                f"the spec is not valid UTF-8 text (byte 0x{data[e.start]:02x})",
            ),
            shown,
        ) from None


def load(path: str, overrides: Mapping[str, int] | None = None) -> Model:
    """The model of the spec file at `path`, constants overridden by `overrides`."""
    return load_text(read_source(path), path, overrides)


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
