"""Benchmark of the numeric core: exact linear closure and DP for N masked users.

Prints one table row per N (default 10^3, 10^4, 10^5).  Each N runs in a fresh
subprocess so that its peak resident memory is its own.  Columns (seconds):

  determined  determined_atoms for {server, u2, uN} over a ring of pairwise masks
              (user i sends x_i + m_i - m_{i-1}) plus the published total: finds x_1
  solve x1    solve(x_1) for the same coalition (determined; a one-row explanation)
  solve none  solve(x_1) for the server alone (undetermined; the whole ring is one
              component because of the total, so this is a full elimination)
  dp masked   leakage of x_1 to the server when every user also adds Gaussian noise
              (masks projected out over the whole ring; mu = 1 / (sigma sqrt(N)))
  dp gopa     GOPA-style pairwise-cancelling noise on a ring, every 100th user
              colluding: only the target's honest segment is solved
  total       sum of the five
  peak MB     peak resident set size of the subprocess (ru_maxrss)
  base MB     resident set size after imports and building the inputs

Run:  python benchmarks/bench_linear.py [N ...]
The DESIGN.md target is "linear closure and DP for 10^5 masked users in under 2 s".
"""

from __future__ import annotations

import json
import math
import resource
import subprocess
import sys
import time


def _rss_mb() -> float:
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return rss / (1024 * 1024) if sys.platform == "darwin" else rss / 1024


def _timed(fn):
    t = time.perf_counter()
    out = fn()
    return time.perf_counter() - t, out


def one(n: int) -> dict[str, float]:
    """Run every scenario for n users; return the timings and memory."""
    from tipasp.dp import leakage
    from tipasp.linear import determined_atoms, solve

    def x(i: int) -> tuple[str, int]:
        return ("x", i)

    def m(i: int) -> tuple[str, int]:
        return ("m", (i - 1) % n + 1)

    ring = [{x(i): 1, m(i): 1, m(i - 1): -1} for i in range(1, n + 1)]
    ring.append({x(i): 1 for i in range(1, n + 1)})  # the published total
    coalition = {x(2), m(1), m(2), x(n), m(n - 1), m(n)}  # server, u2, uN

    sigma = 2.0
    noisy = [{x(i): 1, m(i): 1, m(i - 1): -1, ("e", i): 1} for i in range(1, n + 1)]
    masks = {m(i) for i in range(1, n + 1)}
    noise = {("e", i): sigma for i in range(1, n + 1)}

    gopa = [
        {x(u): 1, ("eta", u): 1, ("d", u, (u + 1) % n): 1, ("d", (u - 1) % n, u): -1}
        for u in range(n)
    ]
    honest = {u for u in range(n) if u % 100}
    gnoise = {("eta", u): 1.0 for u in honest}
    gnoise.update({("d", u, (u + 1) % n): 1000.0 for u in honest if (u + 1) % n in honest})
    base = _rss_mb()

    t_det, det = _timed(lambda: determined_atoms(ring, coalition))
    assert x(1) in det and x(3) not in det
    t_x1, comb = _timed(lambda: solve(ring, coalition, {x(1): 1}))
    assert comb is not None and len(comb.rows) == 1
    t_none, none = _timed(lambda: solve(ring, set(), {x(1): 1}))
    assert none is None
    t_dpm, res = _timed(lambda: leakage(noisy, x(1), masks=masks, gaussian=noise, laplace={}))
    assert res.mu is not None and math.isclose(res.mu, 1 / (sigma * math.sqrt(n)), rel_tol=1e-9)
    t_dpg, res = _timed(lambda: leakage(gopa, x(150 % n), masks=(), gaussian=gnoise, laplace={}))
    assert res.kind == "dp"
    times = [t_det, t_x1, t_none, t_dpm, t_dpg]
    return {
        "n": n,
        "determined": t_det,
        "solve x1": t_x1,
        "solve none": t_none,
        "dp masked": t_dpm,
        "dp gopa": t_dpg,
        "total": sum(times),
        "peak MB": _rss_mb(),
        "base MB": base,
    }


COLUMNS = ["n", "determined", "solve x1", "solve none", "dp masked", "dp gopa", "total",
           "peak MB", "base MB"]


def main(argv: list[str]) -> None:
    if argv[:1] == ["--one"]:
        print(json.dumps(one(int(argv[1]))))
        return
    sizes = [int(a) for a in argv] or [1_000, 10_000, 100_000]
    print(" | ".join(f"{c:>10}" for c in COLUMNS))
    print("-+-".join("-" * 10 for _ in COLUMNS))
    for n in sizes:
        out = subprocess.run([sys.executable, __file__, "--one", str(n)], check=True,
                             capture_output=True, text=True).stdout
        row = json.loads(out.strip().splitlines()[-1])
        cells = [f"{row['n']:>10}"] + [
            f"{row[c]:>10.3f}" if c.endswith("MB") is False else f"{row[c]:>10.1f}"
            for c in COLUMNS[1:]
        ]
        print(" | ".join(cells), flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
