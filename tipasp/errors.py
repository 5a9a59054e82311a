"""Errors that carry a source position, and their rendering.

A `SpecError` is a problem in the user's spec (exit code 2); `SpecErrors` carries
several independent ones at once. `ResourceLimit` is a time or size limit (exit 3).
Anything else escaping the pipeline is a bug in tipasp.
"""

from __future__ import annotations

from dataclasses import dataclass

from .model import Pos


@dataclass(frozen=True)
class Diagnostic:
    """One problem at one place: rendered as `FILE:LINE:COL: error: message`."""

    pos: Pos
    message: str
    hint: str | None = None

    def render(self, source: str | None) -> str:
        """The diagnostic with the offending source line and a caret under the column."""
        head = f"{self.pos.file}:{self.pos.line}:{self.pos.col}: error: {self.message}"
        lines = [head]
        if source is not None and self.pos.line >= 1:
            src_lines = source.splitlines()
            if self.pos.line <= len(src_lines):
                text = src_lines[self.pos.line - 1].expandtabs(1)
                lines.append(f"  {text}")
                lines.append("  " + " " * max(self.pos.col - 1, 0) + "^")
        if self.hint:
            lines.append(f"  hint: {self.hint}")
        return "\n".join(lines)


class SpecError(Exception):
    """One or more problems in a spec; `diagnostics` lists them in source order."""

    def __init__(self, diagnostics: list[Diagnostic] | Diagnostic, source: str | None = None):
        if isinstance(diagnostics, Diagnostic):
            diagnostics = [diagnostics]
        self.diagnostics = sorted(diagnostics, key=lambda d: (d.pos.line, d.pos.col))
        self.source = source
        super().__init__(self.render())

    def render(self) -> str:
        return "\n".join(d.render(self.source) for d in self.diagnostics)


def spec_error(pos: Pos, message: str, hint: str | None = None) -> SpecError:
    """A SpecError with a single diagnostic."""
    return SpecError(Diagnostic(pos, message, hint))


class ResourceLimit(Exception):
    """A time or size limit was hit (exit code 3)."""
