"""Benchmark of `who learns`: minimal coalitions among many corruptible agents.

Each spec has `agent server`, `agent u[1..N]`, `corrupt 2 of u[1..N] with server`
and one `query who learns T`, so the search space holds every coalition of the
server with up to two of the N users (about N^2 / 2 of them) while exactly one of
them is a minimal learner. Two shapes:

  ring      secure sum over a ring of pairwise masks: u[i] sends the server
            x[i] + m[i] - m[i-1]; only {server, u[2], u[N]}, which holds both masks
            on u[1]'s message, learns x[1] (linear knowledge).
  keychain  threshold sharing behind keys: a dealer shares v into t[0..N] with
            threshold 3 and sends the server enc(k[i], t[i]) for every user, plus
            enc(k[7], enc(k[N], t[0])); only {server, u[7], u[N]} gets three shares
            (Dolev-Yao decryption and threshold reconstruction).

Every (shape, N) runs `python -m tipasp.cli check SPEC --json` in a fresh
subprocess, so start-up, parsing, grounding, solving and proofs are counted and
the peak resident memory (ru_maxrss of that one child, from wait4) is its own.
The table gives N, wall seconds, peak RSS in MB, the number of minimal
coalitions found, the answer's own `complete` flag (`no`: tipasp says it cut its
exact linear search short), the exit code (or `timeout` / `memout`), and whether
the answer is the expected one (holders and learners). A wrong answer prints a
MISMATCH block and makes the script exit with status 1.

A shape that times out at some N is not run at larger N (`skipped`).

Run:
    python benchmarks/bench_coalitions.py [N ...]        (default 1000 10000 100000)
    python benchmarks/bench_coalitions.py --shape ring --timeout 120 1000 10000
    options: --shape ring|keychain (repeatable; default both), --timeout SECONDS per
             run (default 300), --mem-limit MB address-space limit per run (default
             8192), --no-proofs (passed to tipasp)

DESIGN.md target: minimal coalitions for a target among 10^4 corruptible agents in
under 5 s (and, for this benchmark, 10^5 in under 30 s).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile

from runner import Run, report_failures, run_tipasp

RING = """\
# Ring of pairwise masks: only the two neighbours of u[1] (with the server) learn x[1].
const N = {n}
agent server
agent u[1..N]
secret x[i] @ u[i]                      for i in 1..N
random m[i] @ u[i], u[i % N + 1]        for i in 1..N
u[i] -> server : x[i] + m[i] - m[(i + N - 2) % N + 1]   for i in 1..N
corrupt 2 of u[1..N] with server
query who learns x[1]
"""

KEYCHAIN = """\
# Threshold shares behind per-user keys: only {{server, u[A], u[N]}} gets 3 shares.
const N = {n}
const A = 7
agent server, dealer
agent u[1..N]
secret v @ dealer
key k[i] @ u[i], dealer                     for i in 1..N
shares t[0..N] of v threshold 3 @ dealer
dealer -> server : enc(k[i], t[i])          for i in 1..N
dealer -> server : enc(k[A], enc(k[N], t[0]))
corrupt 2 of u[1..N] with server
query who learns v
"""


def ring_expected(n: int) -> tuple[list[list[str]], list[list[str]]]:
    """(holders, minimal learners) of x[1] in the ring."""
    return [["u[1]"]], [sorted(["server", "u[2]", f"u[{n}]"])]


def keychain_expected(n: int) -> tuple[list[list[str]], list[list[str]]]:
    """(holders, minimal learners) of v in the key chain."""
    return [["dealer"]], [sorted(["server", "u[7]", f"u[{n}]"])]


SHAPES = {
    "ring": (RING, ring_expected, 3),
    "keychain": (KEYCHAIN, keychain_expected, 8),
}


def check(shape: str, n: int, run: Run, proofs: bool) -> tuple[str, str, str, list[str]]:
    """(number of coalitions, complete, verdict, mismatch details) for one finished run.

    `complete` is the answer's own "complete" flag (`no` when tipasp cut its exact
    linear search short and says that coalitions may be missing); it is reported,
    not counted as a mismatch: the check compares the coalitions themselves.
    """
    if run.status in ("timeout", "memout"):
        return "-", "-", "-", []
    try:
        results = json.loads(run.stdout)["results"]
        (res,) = [r for r in results if r.get("kind") == "who_learns"]
    except (ValueError, KeyError):
        tail = (run.stderr or run.stdout).strip().splitlines()[-5:]
        return "-", "-", "MISMATCH", ["no JSON answer from tipasp; last lines:", *tail]
    holders = sorted(sorted(h) for h in res.get("holders", []))
    learners = sorted(sorted(lr["coalition"]) for lr in res.get("learners", []))
    exp_holders, exp_learners = SHAPES[shape][1](n)
    problems = []
    if learners != sorted(exp_learners):
        problems.append(f"learners: expected {exp_learners}, found {learners}")
    if holders != sorted(exp_holders):
        problems.append(f"holders: expected {exp_holders}, found {holders}")
    if any(lr.get("proof") is None for lr in res.get("learners", [])) and proofs:
        problems.append("a learner came without a proof")
    if run.status != "0":
        problems.append(f"exit code {run.status}")
    complete = {True: "yes", False: "no"}.get(res.get("complete"), "?")
    return str(len(learners)), complete, ("MISMATCH" if problems else "ok"), problems



def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("sizes", nargs="*", type=int, default=[1_000, 10_000, 100_000])
    ap.add_argument("--shape", action="append", choices=sorted(SHAPES))
    ap.add_argument("--timeout", type=float, default=300.0)
    ap.add_argument("--mem-limit", type=int, default=8192, help="MB of address space per run")
    ap.add_argument("--no-proofs", action="store_true")
    args = ap.parse_args(argv)
    shapes = args.shape or ["ring", "keychain"]

    print(f"{'shape':>8} | {'N':>7} | {'wall (s)':>8} | {'peak RSS (MB)':>13} | "
          f"{'coalitions':>10} | {'complete':>8} | {'exit':>7} | check")
    print("-+-".join(["-" * 8, "-" * 7, "-" * 8, "-" * 13, "-" * 10, "-" * 8, "-" * 7, "-" * 8]))
    failures: list[str] = []
    for shape in shapes:
        spec, _, min_n = SHAPES[shape]
        gave_up = False
        for n in args.sizes:
            if gave_up or n < min_n:
                why = "skipped" if gave_up else f"N < {min_n}"
                print(f"{shape:>8} | {n:>7} | {'-':>8} | {'-':>13} | {'-':>10} | "
                      f"{'-':>8} | {'-':>7} | {why}", flush=True)
                continue
            with tempfile.NamedTemporaryFile("w", suffix=".tip", delete=False) as f:
                f.write(spec.format(n=n))
                path = f.name
            try:
                extra = ["--no-proofs"] if args.no_proofs else []
                run = run_tipasp(["check", path, "--json", *extra], args.timeout,
                                 args.mem_limit)
            finally:
                os.unlink(path)
            count, complete, verdict, problems = check(shape, n, run, not args.no_proofs)
            print(f"{shape:>8} | {n:>7} | {run.wall:>8.2f} | {run.peak_mb:>13.0f} | "
                  f"{count:>10} | {complete:>8} | {run.status:>7} | {verdict}", flush=True)
            if problems:
                failures.append(f"{shape} N={n}:\n    " + "\n    ".join(problems))
            if run.status in ("timeout", "memout"):
                gave_up = True
    return report_failures("MISMATCH: the coalitions found are not the expected ones", failures)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
