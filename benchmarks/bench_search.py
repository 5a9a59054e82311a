"""Minimal-coalition search and the cost of proofs, end to end.

Two tables, each N in a fresh `tipasp check` process (start-up included):

1. Coalition search: a ring of N pairwise-masked users, `corrupt 2 of u[1..N] with
   server`, `query who learns x[1]`. Exactly one minimal coalition exists,
   {server, u[2], u[N]}; the script checks that it is the one found.
2. Proof cost: the same spec checked with proofs and with `--no-proofs`.

Usage: python benchmarks/bench_search.py [N ...]   (default 1000 10000 100000)
"""

from __future__ import annotations

import os
import resource
import subprocess
import sys
import tempfile
import time

RING = """\
const N = {n}
agent server
agent u[1..N]
secret x[i] @ u[i]                      for i in 1..N
random m[i] @ u[i], u[i % N + 1]        for i in 1..N
u[i] -> server : x[i] + m[i] - m[(i + N - 2) % N + 1]   for i in 1..N
corrupt 2 of u[1..N] with server
query who learns x[1]
query {{server, u[2], u[N]}} learns x[1]
"""


def run(n: int, *extra: str) -> tuple[float, float, str, int]:
    """Wall time, peak RSS (MB) of this child, its output, its exit code."""
    with tempfile.NamedTemporaryFile("w", suffix=".tip", delete=False) as f:
        f.write(RING.format(n=n))
        path = f.name
    try:
        before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
        t0 = time.perf_counter()
        proc = subprocess.run(
            [sys.executable, "-m", "tipasp.cli", "check", path, *extra],
            capture_output=True, text=True, timeout=600, cwd=tempfile.gettempdir(),
        )
        wall = time.perf_counter() - t0
        peak = max(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, before) / 1024
        return wall, peak, proc.stdout, proc.returncode
    finally:
        os.unlink(path)


def main(argv: list[str]) -> None:
    sizes = [int(a) for a in argv] or [1000, 10000, 100000]
    print("coalition search (ring, corrupt 2 of N with server)")
    print(f"{'N':>8} | {'wall (s)':>9} | {'peak RSS (MB)':>13} | found")
    for n in sizes:
        wall, peak, out, rc = run(n, "--no-proofs")
        expected = f"{{server, u[2], u[{n}]}} learns x[1]"
        ok = "expected coalition" if expected in out and rc == 0 else f"MISMATCH (exit {rc})"
        print(f"{n:>8} | {wall:>9.2f} | {peak:>13.0f} | {ok}")
    print()
    print("proof cost (same spec)")
    print(f"{'N':>8} | {'proofs (s)':>10} | {'no proofs (s)':>13} | ratio")
    for n in sizes:
        with_p = run(n)[0]
        without = run(n, "--no-proofs")[0]
        print(f"{n:>8} | {with_p:>10.2f} | {without:>13.2f} | {with_p / without:.2f}")


if __name__ == "__main__":
    main(sys.argv[1:])
