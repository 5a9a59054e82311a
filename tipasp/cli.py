"""The `tipasp` command line: check, explain, fmt.

Exit codes: 0 every assertion holds; 1 an assertion fails; 2 the spec has an
error; 3 a resource limit was hit (or an internal error, which is a bug).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import threading
from collections.abc import Sequence
from typing import Any

from . import __version__

EPILOG = """\
examples:
  tipasp check examples/secure_sum.tip
  tipasp check examples/secure_sum.tip --json
  tipasp check examples/secure_sum.tip --set N=1000 --timeout 60
  tipasp check examples/secure_sum.tip --set N=100000 --progress on
  tipasp explain examples/secure_sum.tip "{server, u[2], u[5]} learns x[1]"
  tipasp explain examples/secure_sum.tip "server learns x[1]" --format dot
  tipasp fmt examples/secure_sum.tip

exit codes: 0 all assertions hold, 1 an assertion fails, 2 spec error,
            3 resource limit (--timeout) or internal error
"""


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="tipasp",
        description="Who can learn what: information-flow analysis of protocols and data "
        "flows, with proofs.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--version", action="version", version=f"tipasp {__version__}")
    sub = p.add_subparsers(dest="command", metavar="COMMAND")

    def common(sp: argparse.ArgumentParser) -> None:
        sp.add_argument("spec", metavar="SPEC", help="the .tip file")
        sp.add_argument("--set", action="append", default=[], metavar="NAME=VALUE",
                        help="override a constant (repeatable)")
        sp.add_argument("--timeout", type=float, default=None, metavar="SECONDS",
                        help="give up after SECONDS (exit 3)")
        sp.add_argument("--guess-bits", type=int, default=40, metavar="B",
                        help="secrets with a range below 2^B values can be guessed (default 40)")
        sp.add_argument("--max-coalition", type=int, default=None, metavar="K",
                        help="consider coalitions of at most K agents")
        sp.add_argument("--progress", choices=["auto", "on", "off"], default="auto",
                        help="show what a long run is doing on standard error "
                        "(auto: when it is a terminal; default auto)")

    c = sub.add_parser("check", help="answer every query and assertion of a spec",
                       epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    common(c)
    c.add_argument("--json", action="store_true", help="print results as JSON")
    c.add_argument("--no-proofs", action="store_true", help="do not compute proofs")
    e = sub.add_parser("explain", help="the proof (or why-not) of one query",
                       epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    common(e)
    e.add_argument("query", metavar="QUERY", help='e.g. "server learns x[1]"')
    e.add_argument("--format", choices=["text", "markdown", "json", "dot"], default="text")
    f = sub.add_parser("fmt", help="print a spec in canonical layout")
    f.add_argument("spec", metavar="SPEC")
    return p


def _watchdog(seconds: float | None) -> None:
    if not seconds:
        return

    def fire() -> None:
        sys.stderr.write(f"tipasp: time limit of {seconds:g} s reached; giving up\n")
        sys.stderr.flush()
        os._exit(3)

    t = threading.Timer(seconds, fire)
    t.daemon = True
    t.start()


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `tipasp` console script."""
    from .errors import ResourceLimit, SpecError

    args = _parser().parse_args(argv)
    if args.command is None:
        _parser().print_help()
        return 2
    from . import progress

    try:
        if args.command == "fmt":
            return _fmt(args)
        _watchdog(args.timeout)
        progress.begin(args.progress)
        try:
            if args.command == "check":
                return _check(args)
            return _explain(args)
        finally:
            progress.end()
    except SpecError as err:
        sys.stderr.write(err.render() + "\n")
        return 2
    except ResourceLimit as err:
        sys.stderr.write(f"tipasp: {err}\n")
        return 3
    except MemoryError:
        sys.stderr.write("tipasp: out of memory\n")
        return 3
    except KeyboardInterrupt:
        return 130
    except Exception as err:  # a bug in tipasp, never the user's fault
        sys.stderr.write(
            f"tipasp: internal error: {type(err).__name__}: {err}\n"
            "This is a bug in tipasp; please report it with the spec. "
            "Set TIPASP_DEBUG=1 for the traceback.\n"
        )
        if os.environ.get("TIPASP_DEBUG"):
            import traceback

            traceback.print_exc()
        return 3


def _load(args: argparse.Namespace, extra: str | None = None):
    from . import frontend, progress

    progress.phase(f"reading {args.spec}")

    overrides = frontend.parse_overrides(args.set)
    if extra is None:
        return frontend.load(args.spec, overrides)
    return frontend.load_with_query(args.spec, extra, overrides)


def _options(args: argparse.Namespace, proofs: bool = True):
    from .answer import Options

    return Options(guess_bits=args.guess_bits, max_coalition=args.max_coalition, proofs=proofs)


def _fmt(args: argparse.Namespace) -> int:
    from . import frontend
    from .fmt import format_source

    text = frontend.read_source(args.spec)
    sys.stdout.write(format_source(text, args.spec))
    return 0


def _check(args: argparse.Namespace) -> int:
    from .report import check_spec, render_text

    model = _load(args)
    results = check_spec(model, _options(args, proofs=not args.no_proofs))
    if args.json:
        out = {"spec": args.spec, "results": [_public(r) for r in results]}
        sys.stdout.write(json.dumps(out, indent=2) + "\n")
    else:
        sys.stdout.write(render_text(results))
    failed = any(r["kind"] == "assert" and not r["holds"] for r in results)
    return 1 if failed else 0


def _explain(args: argparse.Namespace) -> int:
    from . import render
    from .report import check_spec, render_text

    model = _load(args, extra=args.query)
    last = model.questions[-1]
    only = model.__class__(**{**model.__dict__, "questions": (last,)})
    results = check_spec(only, _options(args))
    if args.format == "json":
        sys.stdout.write(json.dumps([_public(r) for r in results], indent=2) + "\n")
        return 1 if any(r["kind"] == "assert" and not r["holds"] for r in results) else 0
    chunks = []
    for r in results:
        proofs = r.get("_proofs") or []
        if not proofs:
            chunks.append(render_text([r]))
            continue
        for p in proofs:
            if args.format == "dot":
                chunks.append(render.dot(p))
            elif args.format == "markdown":
                chunks.append(render.markdown(p))
            else:
                chunks.append(render.text(p))
    sys.stdout.write("\n".join(c.rstrip("\n") for c in chunks) + "\n")
    failed = any(r["kind"] == "assert" and not r["holds"] for r in results)
    return 1 if failed else 0


def _public(r: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in r.items() if not k.startswith("_")}


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
