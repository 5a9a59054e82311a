"""End-to-end benchmark of family specs: N users, four terms each, one server.

Prints a table: N, wall time, peak memory (each N in a fresh process, its own RSS).
Each N runs `tipasp check` in a subprocess so that start-up, parsing, grounding,
solving and proofs are all counted. Usage:

    python benchmarks/bench_engine.py [N ...]      (default 1000 10000 100000)
"""

from __future__ import annotations

import os
import sys
import tempfile

from runner import run_tipasp

SPEC = """\
# {n} users; each holds a secret, a key and a mask, and sends two messages.
const N = {n}
agent server
agent u[1..N]
secret x[i] @ u[i]              for i in 1..N
key k[i] @ u[i], server         for i in 1..N
random r[i] @ u[i]              for i in 1..N
secret y[i] @ u[i]              for i in 1..N
u[i] -> server : enc(k[i], (x[i], r[i]))  for i in 1..N
u[i] -> server : hash(y[i])               for i in 1..N
query server learns x[1]
query u[2] learns x[1]
assert not u[3] learns y[1]
"""


def run(n: int) -> tuple[float, float, str]:
    """Wall time, this run's own peak RSS (MB) and exit status for N users."""
    with tempfile.NamedTemporaryFile("w", suffix=".tip", delete=False) as f:
        f.write(SPEC.format(n=n))
        path = f.name
    try:
        r = run_tipasp(["check", path], timeout=600, mem_mb=0)
        return r.wall, r.peak_mb, r.status
    finally:
        os.unlink(path)


def main(argv: list[str]) -> None:
    sizes = [int(a) for a in argv] or [1000, 10000, 100000]
    print(f"{'N':>8} | {'wall (s)':>9} | {'peak RSS (MB)':>13} | exit")
    print(f"{'-' * 8}-+-{'-' * 9}-+-{'-' * 13}-+-----")
    for n in sizes:
        wall, peak, rc = run(n)
        print(f"{n:>8} | {wall:>9.2f} | {peak:>13.0f} | {rc}")


if __name__ == "__main__":
    main(sys.argv[1:])
