"""Benchmark of the bounded attack search (malicious agents, the intruder).

Two parts, each case a fresh `python -m tipasp.cli check SPEC --json` process (start
up, parsing, grounding, the search, proofs and the independent replay of every
attack included), with wall time and that process's own peak RSS:

  examples     the protocol examples with an adversary (examples/*.tip with
               `intruder` or `malicious`): the verdict of each question, checked
               against the one pinned here (the published verdict).
  keytransport one key-transport protocol in N sessions (`session s[i] = kt(u[i],
               server) for i in 1..N`) and an intruder that holds its own value ke:
               U sends S aenc(pk(S), (k, U)) and S answers enc(k, d). Nothing
               authenticates the key, so eve learns s[1].d (the shortest attack
               delivers a key of her own in u[1]'s name: 2 events). `--secure` adds
               the variant where U signs the key (no attack: the whole bound, every
               honest role of every session once, is searched).

The table: case, N, verdict, expected verdict, wall seconds, peak RSS in MB, exit
code. A wrong verdict prints a MISMATCH block and makes the script exit with status
1; a run that hits the time limit, the address-space cap or tipasp's own memory
limit (exit 3) is reported as `timeout`, `memout` or `limit`, and the larger sizes
of that case are not run.

Run:
    python benchmarks/bench_attacks.py                      (examples, N = 1..64)
    python benchmarks/bench_attacks.py --sizes 1 2 4 8 16 --timeout 120 --secure

DESIGN.md targets: Lowe's attack in under 1 s end to end; no-attack verdicts for
2–3 sessions of textbook protocols in under 2 s; 16 sessions under 30 s.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from pathlib import Path

from runner import report_failures, run_tipasp

ROOT = Path(__file__).resolve().parent.parent

# example -> the verdict of each question, in order (True: learns / assertion holds)
EXAMPLES = {
    "nspk_narration.tip": ("attack", [True, None, True]),
    "nsl_narration.tip": ("no attack", [True, None, True]),
    "dh_mitm.tip": ("attack", [True]),
    "dh_signed.tip": ("no attack", [True]),
    "nspk.tip": ("attack", [None, False]),
    "nsl.tip": ("no attack", [None, True]),
    "name_in_clear.tip": ("attack", [True]),
    "name_in_clear_fixed.tip": ("no attack", [True]),
    "secagg_dropout.tip": ("attack", [True, True]),
}

KEYTRANSPORT = """\
const N = {n}
agent server, eve
agent u[1..N]
keypair server, eve
{keys}
random ke @ eve
intruder eve
protocol kt(U, S) {{
  fresh k @ U
  fresh d @ S
  U -> S : {first}
  S -> U : enc(k, d)
}}
session s[i] = kt(u[i], server) for i in 1..N
query eve learns s[1].d
"""


def keytransport(n: int, secure: bool) -> str:
    if secure:  # the key is signed by its user: the server accepts no key of eve's
        return KEYTRANSPORT.format(n=n, keys="keypair u[i] for i in 1..N",
                                   first="aenc(pk(S), sign(sk(U), (k, U)))")
    return KEYTRANSPORT.format(n=n, keys="", first="aenc(pk(S), (k, U))")


def verdicts(stdout: str) -> list[bool | None]:
    """learns -> answer, assert -> holds, who learns -> None."""
    out: list[bool | None] = []
    for r in json.loads(stdout)["results"]:
        out.append(r.get("answer", r.get("holds")) if r["kind"] != "who_learns" else None)
    return out


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", nargs="*", type=int, default=[1, 2, 4, 8, 16, 32, 64])
    ap.add_argument("--timeout", type=float, default=300.0)
    ap.add_argument("--mem-limit", type=int, default=8192, help="MB of address space per run")
    ap.add_argument("--secure", action="store_true", help="also the authenticated variant")
    args = ap.parse_args(argv)

    print(f"{'case':>22} | {'N':>3} | {'verdict':>9} | {'expected':>9} | {'wall (s)':>8} | "
          f"{'peak RSS (MB)':>13} | {'exit':>7}")
    print("-+-".join(["-" * 22, "-" * 3, "-" * 9, "-" * 9, "-" * 8, "-" * 13, "-" * 7]))
    failures: list[str] = []

    def row(case: str, n: str, verdict: str, expected: str, run) -> None:  # type: ignore[no-untyped-def]
        print(f"{case:>22} | {n:>3} | {verdict:>9} | {expected:>9} | {run.wall:>8.2f} | "
              f"{run.peak_mb:>13.0f} | {run.status:>7}", flush=True)
        if verdict != expected and run.status not in ("timeout", "memout", "3"):
            failures.append(f"{case} N={n}: {verdict}, expected {expected}")

    for name, (expected, answers) in EXAMPLES.items():
        run = run_tipasp(["check", str(ROOT / "examples" / name), "--json"], args.timeout,
                         args.mem_limit)
        got = verdicts(run.stdout) if run.stdout else []
        verdict = expected if got == answers else f"got {got}"
        row(name, "-", verdict, expected, run)

    variants = [("keytransport", False)] + ([("keytransport secure", True)] if args.secure else [])
    for case, secure in variants:
        for n in args.sizes:
            with tempfile.NamedTemporaryFile("w", suffix=".tip", delete=False) as f:
                f.write(keytransport(n, secure))
                path = f.name
            try:
                run = run_tipasp(["check", path, "--json"], args.timeout, args.mem_limit)
            finally:
                os.unlink(path)
            if run.status in ("timeout", "memout", "3"):
                verdict = {"3": "limit"}.get(run.status, run.status)
            else:
                got = verdicts(run.stdout) if run.stdout else []
                verdict = {True: "attack", False: "no attack"}.get(got[0] if got else None, "?")
            row(case, str(n), verdict, "no attack" if secure else "attack", run)
            if run.status in ("timeout", "memout", "3"):
                break
    return report_failures("MISMATCH: a verdict is not the expected one", failures)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
