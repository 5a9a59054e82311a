"""The protocol library (examples/protocols/, docs/protocols.md): every verdict pinned.

Each spec is checked end to end as `tipasp check FILE --json` does (in this process,
through `cli.main`), and the answer of each of its questions is compared with the
published verdict for the setting the spec models, written below in the order of the
spec's questions. Every attack in the output is replayed once more by the independent
checker (`proofcheck.check_attack`), and the exit status must be 0 or 1 (never 2, a
spec error, nor 3, a limit or an internal error).

Every answer matches the published verdict for the modelled setting (about 10 s in
all on a 2-core machine; the slowest, woo_lam.tip, about 3 s). A difference found
later, from a bug or a limit of tipasp, is pinned at the published verdict with an
xfail(strict) marker and its reason, so that it fails loudly once fixed.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from tipasp import frontend, proofcheck
from tipasp.cli import main

PROTOCOLS = Path(__file__).resolve().parent.parent / "examples" / "protocols"

# file -> the answer of each question, in the spec's order (see `verdict`)
FAST: dict[str, list[str]] = {
    "nspk.tip": [
        "eve learns s2.nb: yes",  # Lowe's attack
        "assert not eve learns s2.na: holds",
    ],
    "nsl.tip": [
        "assert not eve learns s2.nb: holds",
        "assert not eve learns s2.na: holds",
    ],
    "denning_sacco_pk.tip": [
        "eve learns s2.m: yes",  # Abadi and Needham's attack
    ],
    "denning_sacco_pk_fixed.tip": [
        "assert not eve learns s2.m: holds",
        "assert not eve learns s2.k: holds",
    ],
    "dh.tip": [
        "eve learns s1.m: yes",  # man in the middle
    ],
    "dh_signed.tip": [
        "assert not eve learns s1.m: holds",
    ],
    "tls13.tip": [
        "assert not eve learns s1.req: holds",
        "eve learns s1.resp: yes",  # the client is not authenticated
    ],
    "andrew_rpc.tip": [
        "eve learns s1.m: yes",  # replay of an old message 4
    ],
    "andrew_rpc_ban.tip": [
        "assert not eve learns s1.m: holds",
        "assert not eve learns s1.kn: holds",
    ],
    "wide_mouthed_frog.tip": [
        "assert not eve learns s1.kab: holds",
        "assert not eve learns s1.m: holds",
    ],
    "nssk.tip": [
        "assert not eve learns s1.kab: holds",
        "assert not eve learns s1.nb: holds",
    ],
    "nssk_replay.tip": [
        "eve learns s1.m: yes",  # Denning and Sacco's replay
        "assert not eve learns s1.kab: holds",
    ],
    "denning_sacco.tip": [
        "assert not eve learns s1.kab: holds",
        "assert not eve learns s1.m: holds",
    ],
    "yahalom.tip": [
        "assert not eve learns s1.kab: holds",
        "assert not eve learns s1.nb: holds",
    ],
    "woo_lam_fixed.tip": [
        "assert not eve learns s1.m: holds",
    ],
    "otway_rees.tip": [
        "assert not eve learns s1.kab: holds",
    ],
    "woo_lam.tip": [
        "eve learns s1.m: yes",  # the parallel-session attack (13 events)
    ],
    "kerberos5.tip": [
        "assert not eve learns s1.kat: holds",
        "assert not eve learns s1.kab: holds",
    ],
    "secagg_passive.tip": [
        "assert server learns x[1] + x[2] + x[3] + x[4]: holds",
        "assert not server learns x[1]: holds",
        "assert {server, u[2]} learns x[1] + x[3] + x[4]: holds",
        "assert not {server, u[2]} learns x[1] + x[3]: holds",
        "assert {server, u[2], u[3]} learns x[1] + x[4]: holds",
        "assert not {server, u[2], u[3]} learns x[1]: holds",
        "assert {server, u[2], u[3], u[4]} learns x[1]: holds",
    ],
    "secagg_malicious.tip": [
        "server learns x1 + x2: yes",
        "server learns x2: yes",  # the server names a live user as dropped
    ],
    "gopa.tip": [
        "leakage of x[1] to {server, u[5], u[6]}: mu = 0.5000",
        "leakage of x[2] to {server, u[5], u[6]}: mu = 0.5000",
        "leakage of x[3] to {server, u[5], u[6]}: mu = 0.5000",
        "leakage of x[4] to {server, u[5], u[6]}: mu = 0.5000",
        "leakage of x[1] to server: mu = 0.4082",
        "assert leakage of x[1] to {server, u[5], u[6]} within 2.0, 1e-5: holds",
        "assert not {server, u[5], u[6]} learns x[1]: holds",
    ],
    "pin_challenge.tip": [
        "eve learns pin: yes",  # offline guessing
    ],
    "eke.tip": [
        "assert not eve learns pw: holds",
        "assert not eve learns s1.nb: holds",
    ],
    "sd_jwt.tip": [
        "assert verifier learns name: holds",
        "assert not verifier learns birth: holds",
        "assert not verifier learns address: holds",
        "assert not eve learns birth: holds",
    ],
    "sd_jwt_unsalted.tip": [
        "verifier learns birth: yes",  # offline guessing against the digest
        "assert not verifier learns address: holds",
    ],
    "sts.tip": [
        "assert not eve learns s1.m: holds",
    ],
    "ssh.tip": [
        "assert not eve learns pw: holds",
    ],
}

def coalition(names: list[str]) -> str:
    return names[0] if len(names) == 1 else "{" + ", ".join(names) + "}"


def verdict(r: dict[str, Any]) -> str:
    """One result of `tipasp check --json`, as a line of the tables above."""
    kind = r["kind"]
    if kind == "learns":
        return f"{coalition(r['coalition'])} learns {r['target']}: " \
               f"{'yes' if r['answer'] else 'no'}"
    if kind == "assert":
        return f"assert {r['text']}: {'holds' if r['holds'] else 'FAILS'}"
    if kind == "leakage":
        head = f"leakage of {r['target']} to {coalition(r['coalition'])}"
        if r["exact"] or r["none"]:
            return f"{head}: {'exact' if r['exact'] else 'none'}"
        return f"{head}: mu = {r['mu']:.4f}"
    if kind == "who_learns":
        return f"who learns {r['target']}: " + "; ".join(
            coalition(lr["coalition"]) for lr in r["learners"])
    raise AssertionError(f"unexpected result kind {kind}")


def attacks(results: list[dict[str, Any]]) -> list[tuple[str, dict[str, Any]]]:
    """Every attack in the results, with its target."""
    out = []
    for r in results:
        if r.get("attack"):
            out.append((r["target"], r["attack"]))
        for lr in r.get("learners") or []:
            if lr.get("attack"):
                out.append((r["target"], lr["attack"]))
        cex = r.get("counterexample")
        if isinstance(cex, dict) and cex.get("attack"):
            out.append((r["target"], cex["attack"]))
    return out


def check(name: str, expected: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    path = PROTOCOLS / name
    code = main(["check", str(path), "--json"])
    captured = capsys.readouterr()
    assert code in (0, 1), f"exit {code}: {captured.err}"
    results = json.loads(captured.out)["results"]
    assert [verdict(r) for r in results] == expected
    assert code == (1 if any(line.endswith(": FAILS") for line in expected) else 0)
    model = frontend.load(str(path))
    found = attacks(results)
    for target, attack in found:
        assert proofcheck.check_attack(attack, model, target) == [], (name, target)
    # every "yes" and every failed "not ... learns" carries its proof or its attack
    for r in results:
        if r.get("answer") is True:
            assert r.get("attack") or r.get("proof"), (name, r["line"])
        if r["kind"] == "assert" and r["holds"] is False and r.get("counterexample"):
            cex = r["counterexample"]
            assert cex.get("attack") or cex.get("proof"), (name, r["line"])


@pytest.mark.parametrize("name", sorted(FAST))
def test_fast_protocols(name: str, capsys: pytest.CaptureFixture[str]) -> None:
    check(name, FAST[name], capsys)


# ------------------------------------------------------------------ the library itself


def test_every_protocol_is_pinned_once_and_there_are_at_least_twenty() -> None:
    files = sorted(p.name for p in PROTOCOLS.glob("*.tip"))
    pinned = list(FAST)
    assert sorted(pinned) == files
    assert len(pinned) == len(set(pinned))
    assert len(files) >= 20


@pytest.mark.parametrize("name", sorted(p.name for p in PROTOCOLS.glob("*.tip")))
def test_every_spec_has_its_header(name: str) -> None:
    """Source, sessions, property, published verdict and tipasp's verdict, in the
    leading comment."""
    text = (PROTOCOLS / name).read_text()
    header = []
    for line in text.splitlines():
        if not line.startswith("#"):
            break
        header.append(line)
    head = "\n".join(header)
    for field in ("Source:", "Sessions:", "Propert", "Published verdict", "tipasp:"):
        assert re.search(rf"^# {field}", head, re.M), f"{name}: no '{field}' line"
    # the questions make the verdict explicit
    assert re.search(r"^(query|assert) ", text, re.M)
