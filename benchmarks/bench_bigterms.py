"""Benchmark of big terms written out literally: one long tuple, one long sum.

Each spec has `agent a, b`, `secret x[i] @ a for i in 1..N`, one message from a to
b and `query b learns x[7]`. The message is one of:

  tuple   (x[1], x[2], ..., x[N])          written out on one line: b learns x[7]
  sum     x[1] + x[2] + ... + x[N]         written out on one line: b does not
  gsum    sum(x[i] for i in 1..N)          the same sum by a generator (for comparison)

A literal tuple of N parts is 5N tokens for the scanner, N arguments in the ASP
program and N `split` derivations; every stage must stay linear in N (the
10,000-part tuple once took over two minutes, the 100,000-term sum 1.4 GB).

Every (case, N) runs `python -m tipasp.cli check SPEC --json` in a fresh subprocess,
so start-up, parsing, grounding, solving and proofs are counted and the peak
resident memory (ru_maxrss of that one child, from wait4) is its own. The table
gives the case, N, the spec's size, wall seconds, peak RSS in MB, the exit code (or
`timeout` / `memout`) and whether the answer is the expected one. A wrong answer
makes the script exit with status 1. A case that times out at some N is not run
at larger N (`skipped`).

Run:
    python benchmarks/bench_bigterms.py                  (default sizes per case)
    python benchmarks/bench_bigterms.py --case tuple 1000 3000 10000
    options: --case tuple|sum|gsum (repeatable; default all three), --timeout
             SECONDS per run (default 300), --mem-limit MB address-space limit per
             run (default 8192)
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile

from runner import Run, report_failures, run_tipasp

HEAD = """\
agent a, b
secret x[i] @ a for i in 1..{n}
"""
QUERY = "query b learns x[7]\n"


def tuple_spec(n: int) -> str:
    parts = ", ".join(f"x[{i}]" for i in range(1, n + 1))
    return HEAD.format(n=n) + f"a -> b : ({parts})\n" + QUERY


def sum_spec(n: int) -> str:
    terms = " + ".join(f"x[{i}]" for i in range(1, n + 1))
    return HEAD.format(n=n) + f"a -> b : {terms}\n" + QUERY


def gsum_spec(n: int) -> str:
    return HEAD.format(n=n) + f"a -> b : sum(x[i] for i in 1..{n})\n" + QUERY


# case -> (spec maker, does b learn x[7]?, default sizes)
CASES = {
    "tuple": (tuple_spec, True, [1_000, 3_000, 10_000]),
    "sum": (sum_spec, False, [10_000, 30_000, 100_000]),
    "gsum": (gsum_spec, False, [10_000, 30_000, 100_000]),
}


def check(run: Run, expected: bool) -> tuple[str, list[str]]:
    """`ok` or `MISMATCH`, and what is wrong with the run's answer."""
    if run.status != "0":
        return "-", []
    try:
        results = json.loads(run.stdout)["results"]
    except (ValueError, KeyError):
        return "MISMATCH", ["the output is not tipasp's JSON report"]
    answers = [r.get("answer") for r in results]
    if answers != [expected]:
        return "MISMATCH", [f"b learns x[7]: expected {expected}, got {answers}"]
    return "ok", []


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("sizes", nargs="*", type=int, help="N (default: per case)")
    ap.add_argument("--case", action="append", choices=list(CASES))
    ap.add_argument("--timeout", type=float, default=300.0)
    ap.add_argument("--mem-limit", type=int, default=8192, help="MB of address space per run")
    args = ap.parse_args(argv)
    cases = args.case or list(CASES)

    print(f"{'case':>5} | {'N':>7} | {'spec (KB)':>9} | {'wall (s)':>8} | "
          f"{'peak RSS (MB)':>13} | {'exit':>7} | check")
    print("-+-".join(["-" * 5, "-" * 7, "-" * 9, "-" * 8, "-" * 13, "-" * 7, "-" * 8]))
    failures: list[str] = []
    for case in cases:
        make, expected, default_sizes = CASES[case]
        gave_up = False
        for n in args.sizes or default_sizes:
            text = make(n)
            kb = len(text.encode()) / 1024
            if gave_up:
                print(f"{case:>5} | {n:>7} | {kb:>9.0f} | {'-':>8} | {'-':>13} | {'-':>7} | "
                      "skipped", flush=True)
                continue
            with tempfile.NamedTemporaryFile("w", suffix=".tip", delete=False) as f:
                f.write(text)
                path = f.name
            try:
                run = run_tipasp(["check", path, "--json"], args.timeout, args.mem_limit)
            finally:
                os.unlink(path)
            verdict, problems = check(run, expected)
            print(f"{case:>5} | {n:>7} | {kb:>9.0f} | {run.wall:>8.2f} | {run.peak_mb:>13.0f} | "
                  f"{run.status:>7} | {verdict}", flush=True)
            if problems:
                failures.append(f"{case} N={n}: " + "; ".join(problems))
            if run.status in ("timeout", "memout"):
                gave_up = True
    return report_failures("MISMATCH: a big-term spec got the wrong answer", failures)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
