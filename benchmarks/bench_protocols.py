"""Benchmark of the protocol library (examples/protocols/, docs/protocols.md).

Each protocol is checked in a fresh `python -m tipasp.cli check SPEC --json` process
(start up, parsing, the bounded attack search or the honest-but-curious engine, proofs
and the independent replay of every attack included), with wall time and that
process's own peak RSS (benchmarks/runner.py). Its answers are compared with the
published verdict for the setting the spec models (the same pins as
tests/test_protocol_library.py).

When a `proverif` binary is on PATH, the ProVerif twin of the spec
(benchmarks/proverif/NAME.pv, written for the same roles and secrets) is run too, with
its verdict (`attack` when some `query attacker(...)` is false, `secret` when all are
true) and wall time. ProVerif is not a dependency: without it those columns say `-`.
The verdicts can differ for reasons of the models, not bugs: ProVerif checks
unboundedly many sessions, tipasp the sessions the spec lists (each honest role once);
both models here are typed. See docs/protocols.md.

The table: protocol, sessions, verdict (the published one when tipasp's answers all
match it, else what tipasp answered), published verdict, tipasp wall seconds, peak RSS
in MB, status (the exit code, `timeout`, `memout`; `known` for a difference that is a
known bug or limit of tipasp, listed in KNOWN), ProVerif's verdict and seconds. A
wrong verdict that is not known prints a MISMATCH block and makes the script exit with
status 1.

Run:
    python benchmarks/bench_protocols.py                  (every protocol)
    python benchmarks/bench_protocols.py nspk nsl --timeout 60
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from runner import report_failures, run_tipasp

ROOT = Path(__file__).resolve().parent.parent
PROTOCOLS = ROOT / "examples" / "protocols"
PROVERIF = Path(__file__).resolve().parent / "proverif"


@dataclass(frozen=True)
class Case:
    sessions: str
    published: str  # the published verdict, short
    answers: tuple[str, ...]  # each question's answer, in order: yes/no/holds/FAILS/mu
    proverif: str = ""  # the verdict ProVerif should give on the twin model, if any


CASES: dict[str, Case] = {
    "nspk": Case("a-e, a-b", "attack (Lowe)", ("yes", "holds"), "attack"),
    "nsl": Case("a-e, a-b", "secret", ("holds", "holds"), "secret"),
    "denning_sacco_pk": Case("a-e, a-b", "attack (Abadi-Needham)", ("yes",)),
    "denning_sacco_pk_fixed": Case("a-e, a-b", "secret", ("holds", "holds")),
    "nssk": Case("3: a-b, a-e, e-b", "secret", ("holds", "holds"), "secret"),
    "nssk_replay": Case("a-b + old key", "attack (Denning-Sacco)", ("yes", "holds"),
                        "attack"),
    "denning_sacco": Case("3: a-b, a-e, e-b", "secret", ("holds", "holds")),
    "otway_rees": Case("a-b", "secret", ("holds",), "secret"),
    "yahalom": Case("3: a-b, a-e, e-b", "secret", ("holds", "holds"), "secret"),
    "woo_lam": Case("a-b, e-b", "attack (Abadi-Needham)", ("yes",)),
    "woo_lam_fixed": Case("a-b, e-b", "secret", ("holds",)),
    "wide_mouthed_frog": Case("3: a-b, a-e, e-b", "secret", ("holds", "holds")),
    "andrew_rpc": Case("a-b + old key", "attack (BAN replay)", ("yes",)),
    "andrew_rpc_ban": Case("a-b + old key", "secret", ("holds", "holds")),
    "kerberos5": Case("a-b", "secret", ("holds", "holds")),
    "dh": Case("a-b", "attack (MITM)", ("yes",), "attack"),
    "dh_signed": Case("a-b, a-e", "secret", ("holds",), "secret"),
    "sts": Case("a-b, a-e", "secret", ("holds",)),
    "tls13": Case("a-s", "req secret, resp not", ("holds", "yes")),
    "ssh": Case("a-s", "secret", ("holds",)),
    "secagg_passive": Case("1 round, 4 users", "sum only", ("holds",) * 7),
    "secagg_malicious": Case("1 round, 3 users", "attack (x2 leaks)", ("yes", "yes")),
    "gopa": Case("1 round, 6 users", "mu = 1/2", ("mu 0.5000",) * 4 + ("mu 0.4082",)
                 + ("holds", "holds")),
    "pin_challenge": Case("t-c", "PIN guessed", ("yes",)),
    "eke": Case("a-b", "secret", ("holds", "holds")),
    "sd_jwt": Case("1 issue + 1 show", "undisclosed secret", ("holds",) * 4),
    "sd_jwt_unsalted": Case("1 issue + 1 show", "birth guessed", ("yes", "holds")),
}

# protocol -> why tipasp's answer is not the published one (a known bug or limit)
KNOWN = {
    "sts": "false attack: DH key from a half key of the same message not used to open it",
    "ssh": "false attack: a signed hash of a half key of the same message is not rebuilt",
}


def answers(stdout: str) -> tuple[str, ...]:
    out = []
    for r in json.loads(stdout)["results"]:
        if r["kind"] == "learns":
            out.append("yes" if r["answer"] else "no")
        elif r["kind"] == "assert":
            out.append("holds" if r["holds"] else "FAILS")
        elif r["kind"] == "leakage":
            out.append("exact" if r["exact"] else "none" if r["none"] else f"mu {r['mu']:.4f}")
        else:
            out.append(r["kind"])
    return tuple(out)


def proverif(name: str, timeout: float) -> tuple[str, str]:
    """ProVerif's verdict on the twin model and its wall time, or ("-", "-")."""
    model = PROVERIF / f"{name}.pv"
    exe = shutil.which("proverif")
    if exe is None or not model.exists():
        return "-", "-"
    t0 = time.perf_counter()
    try:
        proc = subprocess.run([exe, str(model)], capture_output=True, text=True,
                              timeout=timeout)
    except subprocess.TimeoutExpired:
        return "timeout", f"{timeout:.0f}"
    wall = time.perf_counter() - t0
    results = re.findall(r"^RESULT (.*)$", proc.stdout, re.M)
    if proc.returncode != 0 or not results:
        verdict = "error"
    elif any(r.endswith("is false.") for r in results):
        verdict = "attack"
    elif all(r.endswith("is true.") for r in results):
        verdict = "secret"
    else:
        verdict = "unknown"  # "cannot be proved"
    return verdict, f"{wall:.2f}"


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("names", nargs="*", help="protocols to run (default: all)")
    ap.add_argument("--timeout", type=float, default=900.0)
    ap.add_argument("--mem-limit", type=int, default=8192, help="MB of address space per run")
    args = ap.parse_args(argv)

    names = args.names or list(CASES)
    unknown = [n for n in names if n not in CASES]
    if unknown:
        ap.error(f"unknown protocols: {', '.join(unknown)}")
    if shutil.which("proverif") is None:
        print("(no proverif on PATH: its columns are '-')")

    cols = [("protocol", 22), ("sessions", 16), ("verdict", 22), ("published", 22),
            ("tipasp s", 8), ("peak MB", 7), ("status", 6), ("ProVerif", 8), ("PV s", 6)]
    print(" | ".join(f"{h:>{w}}" for h, w in cols))
    print("-+-".join("-" * w for _, w in cols))
    failures: list[str] = []
    for name in names:
        case = CASES[name]
        run = run_tipasp(["check", str(PROTOCOLS / f"{name}.tip"), "--json"], args.timeout,
                         args.mem_limit)
        got = answers(run.stdout) if run.stdout and run.status in ("0", "1") else ()
        ok = got == case.answers
        if ok:
            verdict = case.published
        elif got:
            verdict = " ".join(got)
        elif run.status == "3":
            verdict = "error" if "internal error" in run.stderr else "limit"
        else:
            verdict = run.status
        status = run.status
        if not ok and name in KNOWN:
            status = "known"
        elif not ok:
            why = " ".join(got) or f"exit {run.status}: {run.stderr.strip()[:200]}"
            failures.append(f"{name}: {why}, expected {' '.join(case.answers)}")
        pv, pv_s = proverif(name, args.timeout)
        if pv not in ("-", case.proverif) and case.proverif:
            failures.append(f"{name}: ProVerif {pv}, expected {case.proverif}")
        row = [name, case.sessions, verdict, case.published, f"{run.wall:.2f}",
               f"{run.peak_mb:.0f}", status, pv, pv_s]
        print(" | ".join(f"{v:>{w}}" for v, (_, w) in zip(row, cols, strict=True)),
              flush=True)
    for name in names:
        if name in KNOWN:
            print(f"known: {name}: {KNOWN[name]}")
    return report_failures("MISMATCH: a verdict is not the published one", failures)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
