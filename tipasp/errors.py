"""The errors tipasp reports itself, and the rendering of those with a source position.

Every one derives from `TipaspError`, whose `exit_code` is the command's exit status:

- `SpecError`: one or more problems in the user's spec, each a `Diagnostic` with a
  position (exit code 2);
- `ResourceLimit`: a time or size limit was hit (exit code 3);
- `InternalError`: tipasp found a bug in itself, e.g. a proof that the independent
  checker rejects (exit code 3; the message starts with "internal error:").

Any other exception escaping the pipeline is a bug in tipasp as well.
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


class TipaspError(Exception):
    """The root of the errors tipasp reports itself; `exit_code` is the exit status.

    The library raises only these (docs/api.md): `diagnostics` lists every problem
    with its position (a bad spec: `SpecError`), and is empty for a limit hit or an
    internal error, which say what happened in their message."""

    exit_code = 3
    diagnostics: list[Diagnostic] = []  # noqa: RUF012 - replaced per instance, never mutated


class SpecError(TipaspError):
    """One or more problems in a spec; `diagnostics` lists them in source order."""

    exit_code = 2

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


class ResourceLimit(TipaspError):
    """A time or size limit was hit (exit code 3)."""

    exit_code = 3


class InternalError(TipaspError):
    """A bug in tipasp that tipasp detected itself (exit code 3), e.g. a proof the
    independent checker rejects. The message always starts with "internal error:"."""

    exit_code = 3
    PREFIX = "internal error:"

    def __init__(self, message: str) -> None:
        if not message.startswith(self.PREFIX):
            message = f"{self.PREFIX} {message}"
        super().__init__(message)
