"""From a model to checked results, and the human-readable report.

`check_spec` runs the sender checks (a message its sender cannot build is a spec
error), answers every question, and runs the independent proof checker on every
proof it is about to print: a rejected proof is a bug in tipasp, never shown as a
result.
"""

from __future__ import annotations

from typing import Any

from . import progress, proofcheck, render
from .answer import Answerer, Options, answered, instances
from .engine import Engine, Knowledge
from .errors import Diagnostic, InternalError, SpecError
from .model import Model, Pos
from .terms import App, GTerm, Lin, Tup, show


def missing_parts(know: Knowledge, t: GTerm) -> list[GTerm]:
    """The smallest parts of `t` that the knower neither knows nor can build."""
    if know.knows(t):
        return []
    kids: tuple[GTerm, ...] = ()
    if isinstance(t, App) and t.fn not in ("pk", "sk"):
        kids = t.args
    elif isinstance(t, Tup):
        kids = t.parts
    elif isinstance(t, Lin):
        kids = tuple(p for p, _ in t.parts)
    if not kids:
        return [t]
    out: list[GTerm] = []
    for k in kids:
        for m in missing_parts(know, k):
            if m not in out:
                out.append(m)
    return out or [t]


def sender_errors(model: Model, engine: Engine) -> list[Diagnostic]:
    """A diagnostic for each message whose sender cannot build it at its step."""
    by_step = {m.step: m for m in model.messages}
    diags = []
    for step, sender, term in engine.unbuildable():
        msg = by_step[step]
        know = engine.knowledge((sender,), step - 1)
        miss = ", ".join(show(t) for t in missing_parts(know, term))
        diags.append(
            Diagnostic(
                Pos(model.file, msg.pos.line, msg.pos.col),
                f"{show(sender)} cannot send {show(term)} at step {step}: "
                f"it does not know {miss}",
                "a sender can only send what it holds, has received, or can build from those",
            )
        )
    return diags


def check_spec(model: Model, options: Options) -> list[dict[str, Any]]:
    """Every question's result, in source order (see answer.py for the result form).

    Every answer that says a coalition learns its target carries a proof, and the
    independent checker accepts it, or the run stops with an InternalError (exit
    3): tipasp never prints a "yes" it cannot justify (`--no-proofs` aside).
    """
    engine = Engine(model, guess_bits=options.guess_bits, max_coalition=options.max_coalition)
    insts = instances(model, engine)
    engine.ground()  # now, so that progress shows grounding and sender checks apart
    progress.phase("checking that every sender can build what it sends")
    diags = sender_errors(model, engine)
    if diags:
        raise SpecError(diags, model.source)
    answerer = Answerer(model, engine, options)
    results = []
    for i, inst in enumerate(insts, 1):
        progress.phase(f"question {i} of {len(insts)} (line {inst.question.pos.line})")
        res = answerer.answer(inst)
        if options.proofs:
            for place in answered(res):
                _check_proof(model, options, res, place)
        results.append(res)
    return results


def _check_proof(model: Model, options: Options, res: dict[str, Any],
                 place: dict[str, Any]) -> None:
    """Stop the run unless `place` (a "learns" answer) has a proof the checker accepts
    for its own coalition and the result's target."""
    if place.get("_attack") is not None:
        _check_attack(model, options, res, place)
        return
    p = place.get("_proof")
    coalition = place.get("coalition") or res.get("coalition") or []
    who = _coal(coalition) if coalition else "a coalition"
    if p is None:
        raise InternalError(
            f"internal error: answer without a proof: line {res['line']} says {who} "
            f"learns {res['target']}, and no proof of it was found"
        )
    if list(p.coalition) != list(coalition) or show(p.target) != res["target"]:
        raise InternalError(
            f"internal error: the proof for line {res['line']} is for "
            f"{_coal(list(p.coalition))} learning {show(p.target)}, not {who} learning "
            f"{res['target']}"
        )
    problems = proofcheck.check(p.to_json(), model, list(p.coalition), show(p.target),
                                guess_bits=options.guess_bits, after=res.get("after"))
    if problems:
        raise InternalError(
            "internal error: the proof checker rejected a proof for "
            f"line {res['line']}: {'; '.join(problems)}\n{render.text(p)}"
        )


def _check_attack(model: Model, options: Options, res: dict[str, Any],
                  place: dict[str, Any]) -> None:
    """Stop the run unless the attack replays: honest events follow their roles,
    every delivery is derivable when it happens, the final proof concludes."""
    from .attack_render import attack_text

    attack = place["_attack"]
    # (a delivery without a proof is the network handing on an honest message, which
    # the checker matches against the earlier send)
    problems = [] if attack.proof is not None else ["the attack has no final proof"]
    if not problems:
        problems = proofcheck.check_attack(place["attack"], model, res["target"],
                                           guess_bits=options.guess_bits)
    if problems:
        raise InternalError(
            f"internal error: the checker rejected the attack for line {res['line']}: "
            f"{'; '.join(problems)}\n{attack_text(attack)}"
        )


def render_text(results: list[dict[str, Any]]) -> str:
    """The report for people: one block per result. Each proof printed is the one
    stored beside the answer it justifies (never looked up by coalition)."""
    from .attack_render import attack_text

    out: list[str] = []
    for r in results:
        line = f"line {r['line']}: "
        after = f" after step {r['after']}" if r.get("after") is not None else ""
        if r["kind"] == "who_learns":
            out.append(f"{line}who learns {r['target']}{after}")
            if r.get("public"):
                out.append("  it is public: every agent knows it")
            holders = ", ".join(h[0] for h in r["holders"]) or "nobody"
            out.append(f"  holders: {holders}")
            if not r["learners"]:
                out.append("  learners: none")
            if not r.get("complete", True):
                out.append("  note: a scenario of the threat model was too large for the exact "
                           "linear search; coalitions that need a long elimination may be missing")
            for lr in r["learners"]:
                p = lr.get("_proof")
                if lr.get("_attack") is not None:
                    out.append(_indent(attack_text(lr["_attack"]), 2))
                elif p is not None:
                    out.append(_indent(render.text(p), 2))
                else:
                    out.append("  " + _coal(lr["coalition"]) + f" learns {r['target']}")
        elif r["kind"] == "learns":
            verdict = "yes" if r["answer"] else "no"
            out.append(f"{line}{_coal(r['coalition'])} learns {r['target']}{after}? {verdict}")
            if r["answer"] and r.get("_attack") is not None:
                out.append(_indent(attack_text(r["_attack"]), 2))
            elif r["answer"] and r.get("_proof") is not None:
                out.append(_indent(render.text(r["_proof"]), 2))
            elif not r["answer"]:
                out.append(f"  why not: {r['why_not']}")
                if r.get("bounded"):
                    out.append("  (no attack within the bounded search: every honest role "
                               "runs once)")
        elif r["kind"] == "leakage":
            out.append(f"{line}leakage of {r['target']} to {_coal(r['coalition'])}: "
                       + _leak(r))
        else:
            verdict = "holds" if r["holds"] else "FAILS"
            out.append(f"{line}assert {r['text']}: {verdict}")
            ce = r.get("counterexample")
            if ce and ce.get("_attack") is not None:
                out.append("  counterexample:")
                out.append(_indent(attack_text(ce["_attack"]), 4))
            elif ce and ce.get("_proof") is not None:
                out.append("  counterexample:")
                out.append(_indent(render.text(ce["_proof"]), 4))
            elif ce and "coalition" in ce:
                out.append(f"  counterexample: {_coal(ce['coalition'])} learns {r['target']}")
            elif ce and "epsilon" in ce:
                out.append(f"  actual: {_leak(ce)}")
            if r.get("why_not"):
                out.append(f"  why not: {r['why_not']}")
        out.append("")
    if not results:
        out.append("no queries or assertions")
    return "\n".join(out) + "\n"


def _leak(r: dict[str, Any]) -> str:
    if r.get("exact"):
        return "exact (the value is determined)"
    if r.get("none"):
        return "none (the view does not depend on it)"
    kind = "upper bound" if r.get("bound") else "exact Gaussian DP"
    mu = f", mu = {r['mu']:.4f}" if r.get("mu") is not None else ""
    return f"epsilon = {r['epsilon']:.4f} at delta = {r['delta']:g}{mu} ({kind})"


def _coal(names: list[str]) -> str:
    return names[0] if len(names) == 1 else "{" + ", ".join(names) + "}"


def _indent(text: str, n: int) -> str:
    pad = " " * n
    return "\n".join(pad + ln if ln else ln for ln in text.rstrip("\n").splitlines())
