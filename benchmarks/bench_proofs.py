"""Benchmark of the cost of proofs: the same specs checked with and without --no-proofs.

For every spec and N (default N = 10^4) the script runs
`python -m tipasp.cli check SPEC --json` and the same with `--no-proofs`, each in
a fresh subprocess (so the peak RSS, ru_maxrss of that one child from wait4, is
its own), and prints the wall times, their ratio (proofs / no proofs), both peak
memories, the number of questions and the number of proofs printed. It also
checks that the two runs give the same answers once the proofs are taken out;
a difference prints a MISMATCH block and makes the script exit with status 1.

Specs (Q, `--queries`, sets the size of the query families; default 20):

  family  N users send enc(k[i], (x[i], r[i])) and enc(k[i], (n[i], hash(pin[i])))
          (pin[i] guessable), plus a dealer's 2-of-3 sharing of z; questions:
          server learns x[i], who learns r[i], server learns pin[i] (i <= Q each),
          a tuple built by {server, u[2]}, who learns z, one assertion. Proofs use
          decrypt, split, guess, build and reconstruct.
  ring    secure sum over a ring of pairwise masks with `corrupt 2 of u[1..N] with
          server`; who learns x[1] and x[N/2], one explicit coalition, one
          assertion. Proofs are linear eliminations.
  mixed   both: the ring messages plus the family messages and questions. (Shows
          what a linear target costs every other question of the spec.)

Run:
    python benchmarks/bench_proofs.py [N ...]            (default 10000)
    python benchmarks/bench_proofs.py --spec family --queries 100 10000
    options: --spec family|ring|mixed (repeatable; default all), --queries Q,
             --repeat R (best of R runs each; default 1), --timeout SECONDS per run
             (default 300), --mem-limit MB address-space limit per run (default 8192)
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from typing import Any

from runner import Run, report_failures, run_tipasp

HEADER = """\
const N = {n}
const Q = {q}
const H = {h}
agent server, dealer
agent u[1..N]
"""

FAMILY = """\
secret x[i] @ u[i]                              for i in 1..N
secret pin[i] @ u[i] range 0..9999              for i in 1..N
key k[i] @ u[i], server                         for i in 1..N
random r[i] @ u[i]                              for i in 1..N
random n[i] @ u[i]                              for i in 1..N
secret z @ dealer
key kd @ dealer, server
shares s[1..3] of z threshold 2 @ dealer
u[i] -> server : enc(k[i], (x[i], r[i]))        for i in 1..N
u[i] -> server : enc(k[i], (n[i], hash(pin[i])))   for i in 1..N
dealer -> server : enc(kd, s[1])
dealer -> u[1] : s[2]
dealer -> u[2] : s[3]
collude server, u[2]
query server learns x[i]                        for i in 1..Q
query who learns r[i]                           for i in 1..Q
query server learns pin[i]                      for i in 1..Q
query {server, u[2]} learns (x[1], x[2])
query who learns z
assert not u[3] learns x[1]
"""

RING = """\
secret y[i] @ u[i]                              for i in 1..N
random m[i] @ u[i], u[i % N + 1]                for i in 1..N
u[i] -> server : y[i] + m[i] - m[(i + N - 2) % N + 1]   for i in 1..N
corrupt 2 of u[1..N] with server
query who learns y[1]
query who learns y[H]
query {server, u[2], u[N]} learns y[1]
assert not server learns y[3]
"""

SPECS = {"family": FAMILY, "ring": RING, "mixed": RING + FAMILY}


def count_proofs(x: Any) -> int:
    """Non-null "proof" values anywhere in a JSON answer."""
    if isinstance(x, dict):
        own = 1 if x.get("proof") is not None else 0
        return own + sum(count_proofs(v) for v in x.values())
    if isinstance(x, list):
        return sum(count_proofs(v) for v in x)
    return 0


def strip_proofs(x: Any) -> Any:
    """The answer without its "proof" fields."""
    if isinstance(x, dict):
        return {k: strip_proofs(v) for k, v in x.items() if k != "proof"}
    if isinstance(x, list):
        return [strip_proofs(v) for v in x]
    return x


def best(args: list[str], repeat: int, timeout: float, mem_mb: int) -> Run:
    """The fastest of `repeat` runs (all runs must finish for a time to count)."""
    runs = []
    for _ in range(repeat):
        r = run_tipasp(args, timeout, mem_mb)
        runs.append(r)
        if r.status in ("timeout", "memout"):
            return r
    return min(runs, key=lambda r: r.wall)


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("sizes", nargs="*", type=int, default=[10_000])
    ap.add_argument("--spec", action="append", choices=sorted(SPECS))
    ap.add_argument("--queries", type=int, default=20, help="Q: size of each query family")
    ap.add_argument("--repeat", type=int, default=1)
    ap.add_argument("--timeout", type=float, default=300.0)
    ap.add_argument("--mem-limit", type=int, default=8192, help="MB of address space per run")
    args = ap.parse_args(argv)
    specs = args.spec or ["family", "ring", "mixed"]

    cols = ["spec", "N", "questions", "proofs", "proofs (s)", "no-proofs (s)", "ratio",
            "MB proofs", "MB no-pr.", "exit"]
    widths = [6, 7, 9, 6, 10, 13, 6, 9, 9, 9]
    print(" | ".join(f"{c:>{w}}" for c, w in zip(cols, widths, strict=True)))
    print("-+-".join("-" * w for w in widths))
    failures: list[str] = []
    for name in specs:
        for n in args.sizes:
            q = min(args.queries, n)
            text = HEADER.format(n=n, q=q, h=max(1, n // 2)) + SPECS[name]
            with tempfile.NamedTemporaryFile("w", suffix=".tip", delete=False) as f:
                f.write(text)
                path = f.name
            try:
                off = best(["check", path, "--json", "--no-proofs"], args.repeat,
                           args.timeout, args.mem_limit)
                on = best(["check", path, "--json"], args.repeat, args.timeout,
                          args.mem_limit)
            finally:
                os.unlink(path)
            questions = nproofs = "-"
            try:
                a_on = json.loads(on.stdout)["results"] if on.status in ("0", "1") else None
                a_off = json.loads(off.stdout)["results"] if off.status in ("0", "1") else None
            except (ValueError, KeyError):
                a_on = a_off = None
                failures.append(f"{name} N={n}: no JSON answer")
            if a_on is not None:
                questions = str(len(a_on))
                nproofs = str(count_proofs(a_on))
            if a_on is not None and a_off is not None:
                if count_proofs(a_off):
                    failures.append(f"{name} N={n}: --no-proofs printed proofs")
                if strip_proofs(a_on) != strip_proofs(a_off):
                    diff = [(x, y) for x, y in zip(strip_proofs(a_on), strip_proofs(a_off),
                                                   strict=False) if x != y]
                    failures.append(f"{name} N={n}: answers differ with and without "
                                    f"proofs; first difference:\n      with:    "
                                    f"{diff[0][0] if diff else a_on}\n      without: "
                                    f"{diff[0][1] if diff else a_off}")
            for r, which in ((on, "proofs"), (off, "--no-proofs")):
                if r.status not in ("0", "1", "timeout", "memout"):
                    tail = " / ".join((r.stderr or r.stdout).strip().splitlines()[-3:])
                    failures.append(f"{name} N={n} ({which}): exit {r.status}: {tail}")
            finished = on.status in ("0", "1") and off.status in ("0", "1")
            ratio = f"{on.wall / off.wall:.2f}" if finished and off.wall > 0 else "-"
            t_on = f"{on.wall:.2f}" if on.status not in ("timeout",) else "timeout"
            t_off = f"{off.wall:.2f}" if off.status not in ("timeout",) else "timeout"
            exits = f"{on.status}/{off.status}"
            row = [name, str(n), questions, nproofs, t_on, t_off, ratio,
                   f"{on.peak_mb:.0f}", f"{off.peak_mb:.0f}", exits]
            print(" | ".join(f"{c:>{w}}" for c, w in zip(row, widths, strict=True)),
                  flush=True)
    return report_failures("MISMATCH", failures)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
