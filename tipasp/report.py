"""From a model to checked results, and the human-readable report.

`check_spec` runs the sender checks (a message its sender cannot build is a spec
error), answers every question, and runs the independent proof checker on every
proof it is about to print: a rejected proof is a bug in tipasp, never shown as a
result. `render_text` prints the typed results (results.py) for people; each proof
it prints is the one the result carries beside its learner.
"""

from __future__ import annotations

from collections.abc import Sequence

from . import progress, proofcheck, render
from .answer import Answerer, Options, instances
from .attack_search import Attack, attack_json
from .engine import Engine, Knowledge
from .errors import Diagnostic, InternalError, SpecError
from .model import Model, Pos, Query
from .results import (
    Assertion,
    Leakage,
    Learner,
    Learns,
    PrivacyLoss,
    Result,
    WhatLearns,
    WhoLearns,
    assert_never,
)
from .terms import App, GTerm, Lin, Name, Tup, show


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


Asked = WhoLearns | Learns | Leakage | Assertion
"""A result about one target (a whole view is checked value by value)."""


def check_spec(model: Model, options: Options) -> list[Result]:
    """Every question's result, in source order (results.py: one typed result per
    ground question).

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
    results: list[Result] = []
    view: list[Learns] = []  # the values learned so far of a `query what C learns`
    for i, inst in enumerate(insts, 1):
        q = inst.question
        progress.phase(f"question {i} of {len(insts)} (line {q.pos.line})")
        if isinstance(q, Query) and q.view:
            item = answerer.view_item(inst)
            if item is not None:
                view.append(item)
            nxt = insts[i].question if i < len(insts) else None
            if not (isinstance(nxt, Query) and nxt.view and nxt.pos == q.pos):
                assert inst.coalition is not None
                res: Result = WhatLearns(q.pos.line, inst.coalition, q.after, tuple(view),
                                         answerer.active)
                view = []
            else:
                continue
        else:
            res = answerer.answer(inst)
        if options.proofs:
            for sub in res.learned if isinstance(res, WhatLearns) else (res,):
                for learner in sub.answered():
                    _check_proof(model, options, sub, learner)
        results.append(res)
    return results


def _check_proof(model: Model, options: Options, res: Asked, learner: Learner) -> None:
    """Stop the run unless `learner` (a "learns" answer of `res`) has a proof the
    checker accepts for its own coalition and the result's target."""
    if learner.attack is not None:
        _check_attack(model, options, res, learner.attack)
        return
    p = learner.proof
    target = show(res.target)
    who = _coal(learner.coalition) if learner.coalition else "a coalition"
    if p is None:
        raise InternalError(
            f"internal error: answer without a proof: line {res.line} says {who} "
            f"learns {target}, and no proof of it was found"
        )
    if list(p.coalition) != [show(a) for a in learner.coalition] or show(p.target) != target:
        raise InternalError(
            f"internal error: the proof for line {res.line} is for "
            f"{render.coalition_text(p.coalition)} learning {show(p.target)}, not {who} "
            f"learning {target}"
        )
    problems = proofcheck.check(p.to_json(), model, list(p.coalition), show(p.target),
                                guess_bits=options.guess_bits, after=res.after)
    if problems:
        raise InternalError(
            "internal error: the proof checker rejected a proof for "
            f"line {res.line}: {'; '.join(problems)}\n{render.text(p)}"
        )


def _check_attack(model: Model, options: Options, res: Asked, attack: Attack) -> None:
    """Stop the run unless the attack replays: honest events follow their roles,
    every delivery is derivable when it happens, the final proof concludes."""
    from .attack_render import attack_text

    # (a delivery without a proof is the network handing on an honest message, which
    # the checker matches against the earlier send)
    problems = [] if attack.proof is not None else ["the attack has no final proof"]
    if not problems:
        problems = proofcheck.check_attack(attack_json(attack), model, show(res.target),
                                           guess_bits=options.guess_bits)
    if problems:
        raise InternalError(
            f"internal error: the checker rejected the attack for line {res.line}: "
            f"{'; '.join(problems)}\n{attack_text(attack)}"
        )


def render_text(results: Sequence[Result]) -> str:
    """The report for people: one block per result. Each proof printed is the one
    the result carries beside the learner it justifies (never looked up elsewhere):
    a learner without one (`--no-proofs`) is printed as one line, `C learns T`."""
    out: list[str] = []
    for r in results:
        out.extend(_block(r))
        out.append("")
    if not results:
        out.append("no queries or assertions")
    return "\n".join(out) + "\n"


def _block(r: Result) -> list[str]:
    """The lines of one result in the report (without the blank line after it)."""
    line = f"line {r.line}: "
    after = f" after step {r.after}" if r.after is not None else ""
    out: list[str] = []
    if isinstance(r, WhatLearns):
        out.append(f"{line}what {_coal(r.coalition)} learns{after}")
        if not r.learned:
            out.append("  nothing it does not hold")
        for it in r.learned:
            assert it.learner is not None
            out.append(_learner(it.learner, show(it.target), 2)
                       or f"  {_coal(it.learner.coalition)} learns {show(it.target)}")
        return out
    target = show(r.target)
    match r:
        case WhoLearns():
            out.append(f"{line}who learns {target}{after}")
            if r.public:
                out.append("  it is public: every agent knows it")
            holders = ", ".join(show(h) for h in r.holders) or "nobody"
            out.append(f"  holders: {holders}")
            if not r.learners:
                out.append("  learners: none")
            if not r.complete:
                out.append("  note: a scenario of the threat model was too large for the exact "
                           "linear search; coalitions that need a long elimination may be missing")
            for lr in r.learners:
                out.append(_learner(lr, target, 2) or f"  {_coal(lr.coalition)} learns {target}")
        case Learns():
            verdict = "yes" if r.answer else "no"
            out.append(f"{line}{_coal(r.coalition)} learns {target}{after}? {verdict}")
            if r.learner is not None:
                evidence = _learner(r.learner, target, 2)
                if evidence:
                    out.append(evidence)
            else:
                out.append(f"  why not: {r.why_not}")
                if r.bounded:
                    out.append("  (no attack within the bounded search: every honest role "
                               "runs once)")
        case Leakage():
            out.append(f"{line}leakage of {target} to {_coal(r.coalition)}{after}: "
                       f"{_leak(r.loss)}")
        case Assertion():
            verdict = "holds" if r.holds else "FAILS"
            out.append(f"{line}assert {r.text}: {verdict}")
            ce = r.counterexample
            for v in r.violations:  # a policy: every coalition it does not allow
                banned = ", ".join(show(a) for a in v.not_allowed)
                out.append(f"  violation: {_coal(v.learner.coalition)} learns {target} at step "
                           f"{v.step}, where no allow covers {banned}")
                evidence = _learner(v.learner, target, 4)
                if evidence:
                    out.append(evidence)
            if isinstance(ce, Learner) and not r.violations:
                evidence = _learner(ce, target, 4)
                if evidence:
                    out.append("  counterexample:")
                    out.append(evidence)
                else:
                    out.append(f"  counterexample: {_coal(ce.coalition)} learns {target}")
            elif isinstance(ce, PrivacyLoss):
                out.append(f"  actual: {_leak(ce)}")
            if r.why_not:
                out.append(f"  why not: {r.why_not}")
        case _:
            assert_never(r)
    return out


def _learner(lr: Learner, target: str, indent: int) -> str | None:
    """The learner's own evidence, indented: its attack, else its proof; None when it
    carries neither (proofs off)."""
    from .attack_render import attack_text

    if lr.attack is not None:
        return _indent(attack_text(lr.attack), indent)
    if lr.proof is not None:
        return _indent(render.text(lr.proof), indent)
    return None


def _leak(loss: PrivacyLoss) -> str:
    """`exact ...`, `none ...`, or `epsilon = E at delta = D[, mu = M] (KIND)`."""
    if loss.exact:
        return "exact (the value is determined)"
    if loss.none:
        return "none (the view does not depend on it)"
    kind = "upper bound" if loss.bound else "exact Gaussian DP"
    mu = f", mu = {loss.mu:.4f}" if loss.mu is not None else ""
    return f"epsilon = {loss.epsilon:.4f} at delta = {loss.delta:g}{mu} ({kind})"


def _coal(names: Sequence[Name]) -> str:
    """`server` for one agent, `{server, u[2]}` for a coalition."""
    return render.coalition_text([show(a) for a in names])


def _indent(text: str, n: int) -> str:
    pad = " " * n
    return "\n".join(pad + ln if ln else ln for ln in text.rstrip("\n").splitlines())
