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
               the variant where U signs the key (no attack: s[1].d is outside what
               eve may know in any run, so `check` answers before any grounding),
               and the same variant with the planning program run anyway to the whole
               bound, every honest role of every session once (`search forced`: the
               scaling of the search itself; a Python process that calls
               AttackSearch.search, timed and measured the same way).

The table: case, N, verdict, expected verdict, wall seconds, peak RSS in MB, exit
code. A wrong verdict prints a MISMATCH block and makes the script exit with status
1; a run that hits the time limit, the address-space cap or tipasp's own memory
limit (exit 3) is reported as `timeout`, `memout` or `limit`, and the larger sizes
of that case are not run.

Run:
    python benchmarks/bench_attacks.py                      (examples, N = 1..64)
    python benchmarks/bench_attacks.py --sizes 1 2 4 8 16 --timeout 120 --secure

Issue 11's targets: Lowe's attack in under 1 s end to end; no-attack verdicts for
2–3 sessions of textbook protocols in under 2 s; 16 sessions under 30 s; and
Needham–Schroeder symmetric key with two sessions, with and without the old key
revealed, under 5 s each.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
from pathlib import Path

from runner import Run, report_failures, run_tipasp

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
    "nssk_replay.tip": ("attack", [True]),
    "nssk.tip": ("no attack", [False]),
}

# the planning program alone, run to the whole bound (`search forced`); prints
# "attack" or "no attack", then its own wall time and peak RSS in MB
FORCED = """\
import resource, sys, time
t0 = time.perf_counter()
from tipasp import frontend, ground
from tipasp.attack_search import AttackSearch
model = frontend.load(sys.argv[1])
targets = [ground.term(q.target, {}) for q in model.questions]
found = AttackSearch(model, targets).search(targets[0])
print("attack" if found else "no attack")
print(time.perf_counter() - t0)
print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
"""

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


def forced_search(path: str, timeout: float, mem_mb: int) -> tuple[str, Run]:
    """The verdict of the planning program alone on the spec, and its run."""

    def limit() -> None:
        if mem_mb > 0:
            lim = mem_mb * 1024 * 1024
            resource.setrlimit(resource.RLIMIT_AS, (lim, lim))

    try:
        p = subprocess.run([sys.executable, "-c", FORCED, path], capture_output=True,
                           text=True, timeout=timeout, preexec_fn=limit)
    except subprocess.TimeoutExpired:
        return "timeout", Run(timeout, 0.0, "timeout", "", "")
    if p.returncode != 0:
        status = "memout" if "MemoryError" in p.stderr or "bad_alloc" in p.stderr \
            else str(p.returncode)
        return status, Run(0.0, 0.0, status, p.stdout, p.stderr)
    verdict, wall, peak = p.stdout.splitlines()[-3:]
    return verdict, Run(float(wall), float(peak), "0", p.stdout, p.stderr)


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

    variants = [("keytransport", False, False)]
    if args.secure:
        variants += [("keytransport secure", True, False), ("secure, search forced", True, True)]
    for case, secure, forced in variants:
        for n in args.sizes:
            with tempfile.NamedTemporaryFile("w", suffix=".tip", delete=False) as f:
                f.write(keytransport(n, secure))
                path = f.name
            try:
                if forced:
                    verdict, run = forced_search(path, args.timeout, args.mem_limit)
                else:
                    run = run_tipasp(["check", path, "--json"], args.timeout, args.mem_limit)
            finally:
                os.unlink(path)
            if run.status in ("timeout", "memout", "3"):
                verdict = {"3": "limit"}.get(run.status, run.status)
            elif not forced:
                got = verdicts(run.stdout) if run.stdout else []
                verdict = {True: "attack", False: "no attack"}.get(got[0] if got else None, "?")
            row(case, str(n), verdict, "no attack" if secure else "attack", run)
            if run.status in ("timeout", "memout", "3"):
                break
    return report_failures("MISMATCH: a verdict is not the expected one", failures)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
