"""tipasp: who can learn what, in a protocol or a data flow.

The library (docs/api.md): `tipasp.load`, `tipasp.check`, `tipasp.explain`, the
`Report` they return and the one exception type `tipasp.TipaspError`. They are
imported on first use, so that the command line starts without loading the solver
for `tipasp fmt`.
"""

from __future__ import annotations

from typing import Any

__version__ = "0.1.0"

__all__ = ["Report", "TipaspError", "check", "explain", "load"]


def __getattr__(name: str) -> Any:
    """`tipasp.check` and the rest, loaded from tipasp.api on first use (PEP 562)."""
    if name == "TipaspError":
        from .errors import TipaspError

        return TipaspError
    if name in ("Report", "check", "explain", "load"):
        from . import api

        return getattr(api, name)
    raise AttributeError(f"module 'tipasp' has no attribute {name!r}")
