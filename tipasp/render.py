"""Renderings of a `Proof` for people (text, Markdown), programs (JSON) and graphs (DOT).

The text form follows docs/proofs.md: a header `{server, u[2], u[5]} learns
x[1]`, then one numbered line per step with the fact in the middle column and its
justification (`step 1, line 10`, `line 8`, `linear elimination`) in an aligned
right column. References to earlier steps are written `(n)`.

The DOT form draws the derivation in the manner of Scyther's attack graphs: each
step is a node, message leaves say who sent/received what at which step, and edges
run from premises to conclusions (edges out of a received message carry its step).
"""

from __future__ import annotations

import json as _json
from collections.abc import Callable
from fractions import Fraction

from .model import Model
from .proof import Proof, Step
from .terms import GTerm, Tup, show

# ------------------------------------------------------------------------- phrases

RULE_TITLES: dict[str, str] = {
    "holds": "initial knowledge",
    "receives": "received message",
    "sees": "eavesdropped message",
    "split": "tuple split",
    "decrypt": "decryption",
    "adecrypt": "private-key decryption",
    "unsign": "signature opened",
    "build": "composition",
    "pk": "public key",
    "dh": "Diffie-Hellman",
    "linear": "linear elimination",
    "reconstruct": "threshold reconstruction",
    "guess": "offline guessing",
}
"""Short names of the rules, used in the justification column."""


def coalition_text(coalition: tuple[str, ...] | list[str]) -> str:
    """`{server, u[2]}` for a coalition, the bare name for a single agent."""
    if len(coalition) == 1:
        return coalition[0]
    return "{" + ", ".join(coalition) + "}"


def _ref(i: int) -> str:
    return f"({i})"


def _refs(ids: tuple[int, ...]) -> str:
    return ", ".join(_ref(i) for i in ids)


def _coef_text(c: Fraction) -> str:
    return str(c.numerator) if c.denominator == 1 else f"{c.numerator}/{c.denominator}"


def linear_text(premises: tuple[int, ...], coefficients: tuple[Fraction, ...]) -> str:
    """`(1) - (2) + 2 * (3)`: the combination of premises a linear step applies."""
    out: list[str] = []
    for k, (p, c) in enumerate(zip(premises, coefficients, strict=False)):
        mag = abs(c)
        body = _ref(p) if mag == 1 else f"{_coef_text(mag)} * {_ref(p)}"
        if k == 0:
            out.append(body if c >= 0 else f"-{body}")
        else:
            out.append(f"{'-' if c < 0 else '+'} {body}")
    return " ".join(out) if out else "0"


def _part_index(container: GTerm, part: GTerm) -> int | None:
    if isinstance(container, Tup):
        for k, p in enumerate(container.parts):
            if p == part:
                return k + 1
    return None


def how_text(step: Step, steps: dict[int, Step]) -> tuple[str, str]:
    """How an inference step got its term: (`"="` or `""`, description with `(n)` references).

    `x = decrypt (3) with key (4)` reads as term, connector, description.
    """
    p = step.premises
    r = step.rule
    if r == "split" and p:
        k = _part_index(steps[p[0]].term, step.term) if p[0] in steps else None
        return "=", (f"part {k} of {_ref(p[0])}" if k is not None else f"part of {_ref(p[0])}")
    if r == "decrypt" and len(p) == 2:
        return "=", f"decrypt {_ref(p[0])} with key {_ref(p[1])}"
    if r == "adecrypt" and len(p) == 2:
        return "=", f"decrypt {_ref(p[0])} with private key {_ref(p[1])}"
    if r == "unsign" and p:
        return "=", f"message signed in {_ref(p[0])}"
    if r == "build":
        return "", f"built from {_refs(p)}"
    if r == "pk" and p:
        return "=", f"public key of {_ref(p[0])}"
    if r == "dh" and len(p) == 2:
        return "=", f"{_ref(p[0])} raised to {_ref(p[1])}"
    if r == "linear":
        coeffs = step.coefficients or tuple(Fraction(1) for _ in p)
        return "=", linear_text(p, coeffs)
    if r == "reconstruct":
        return "", f"reconstructed from shares {_refs(p)}"
    if r == "guess" and p:
        using = f" using {_refs(p[1:])}" if len(p) > 1 else ""
        return "", f"guessed, tested against {_ref(p[0])}{using}"
    return "", (f"by {r} from {_refs(p)}" if p else f"by {r}")


def fact_text(step: Step, steps: dict[int, Step]) -> str:
    """The middle column: `AGENT VERB` for a leaf (its term has its own column), else
    `TERM = HOW` / `TERM HOW` for an inference, referring to premises as `(n)`."""
    if step.is_leaf:
        return f"{step.by or '?'} {step.rule}"
    conn, desc = how_text(step, steps)
    t = show(step.term)
    return f"{t} {conn} {desc}" if conn else f"{t} {desc}"


def source_text(step: Step) -> str:
    """The right column: `step 1, line 10` for messages, `line 8` for holds, else the rule."""
    if step.rule in ("receives", "sees"):
        parts = []
        if step.step is not None:
            parts.append(f"step {step.step}")
        if step.line is not None:
            parts.append(f"line {step.line}")
        if step.rule == "sees":
            parts.append("eavesdropped")
        return ", ".join(parts)
    if step.rule == "holds":
        return f"line {step.line}" if step.line is not None else "initially"
    return RULE_TITLES.get(step.rule, step.rule)


def header(proof: Proof) -> str:
    """`{server, u[2], u[5]} learns x[1]`."""
    return f"{coalition_text(proof.coalition)} learns {show(proof.target)}"


# ---------------------------------------------------------------------------- text


def text(proof: Proof, indent: str = "  ") -> str:
    """The proof as aligned, numbered lines (docs/proofs.md), ending in a newline.

    Leaves are `N. AGENT holds|receives|sees  TERM   SOURCE`, with agent-and-verb and
    term in their own columns; inferences are `N. TERM = HOW   RULE`. The source/rule
    column starts at the same place on every line.
    """
    steps = proof.step_by_id()
    num_w = max((len(f"{s.id}.") for s in proof.steps), default=2)
    leaf_heads = [fact_text(s, steps) for s in proof.steps if s.is_leaf]
    head_w = max((len(h) for h in leaf_heads), default=0) + 2
    mids: list[str] = []
    for s in proof.steps:
        if s.is_leaf:
            mids.append(fact_text(s, steps).ljust(head_w) + show(s.term))
        else:
            mids.append(fact_text(s, steps))
    mid_w = max((len(m) for m in mids), default=0) + 4
    lines = [header(proof)]
    for s, m in zip(proof.steps, mids, strict=True):
        lines.append(f"{indent}{f'{s.id}.'.rjust(num_w)} {m.ljust(mid_w)}{source_text(s)}".rstrip())
    return "\n".join(lines) + "\n"


# ------------------------------------------------------------------------ markdown


def _md_cell(s: str) -> str:
    """A table cell: pipes escaped, newlines flattened."""
    return s.replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ")


def _md_code(s: str) -> str:
    """Inline code for a table cell: survives backticks inside `s`; pipes escaped (the one
    escape GitHub tables honour inside code spans)."""
    ticks = "`"
    while ticks in s:
        ticks += "`"
    pad = " " if s.startswith("`") or s.endswith("`") else ""
    return f"{ticks}{pad}{s.replace('|', chr(92) + '|')}{pad}{ticks}"


def markdown(proof: Proof) -> str:
    """The proof as a Markdown table: step, fact, how it was obtained, source or rule."""
    steps = proof.step_by_id()
    out = [
        f"**{_md_cell(coalition_text(proof.coalition))} learns "
        f"{_md_code(show(proof.target))}**",
        "",
        "| # | term | obtained | justification |",
        "|---:|---|---|---|",
    ]
    for s in proof.steps:
        how = fact_text(s, steps) if s.is_leaf else how_text(s, steps)[1]
        out.append(
            f"| {s.id} | {_md_code(show(s.term))} | {_md_cell(how)} "
            f"| {_md_cell(source_text(s))} |"
        )
    return "\n".join(out) + "\n"


# ---------------------------------------------------------------------------- json


def json(proof: Proof, indent: int | None = 2) -> str:
    """The proof as JSON: the contract's `{"steps": [...]}` plus `coalition` and `target`.

    `proof.proof_from_json(json.loads(...))` gives back an equal `Proof`.
    """
    d = {"coalition": list(proof.coalition), "target": show(proof.target), **proof.to_json()}
    return _json.dumps(d, indent=indent)


# ----------------------------------------------------------------------------- dot


def dot_quote(s: str) -> str:
    """A DOT double-quoted string: backslashes and quotes escaped, newlines as `\\n`."""
    s = s.replace("\\", "\\\\").replace('"', '\\"')
    s = s.replace("\r\n", "\n").replace("\r", "\n").replace("\n", "\\n")
    return f'"{s}"'


SenderOf = Callable[[Step], "str | None"]


def dot(proof: Proof, model: Model | None = None, *, sender_of: SenderOf | None = None) -> str:
    """The proof as a Graphviz digraph.

    Nodes: one per step. Message leaves (`receives`, `sees`) are boxes labelled
    `SENDER -> RECEIVER`, the step, line and term; `holds` leaves are notes with the
    holder and declaration line; inferences are ellipses with the rule; the
    conclusion has a double border. Edges run from each premise to the step using
    it; edges leaving a message carry `step N`, edges into a linear step carry the
    coefficient. The sender of a message is found through `sender_of` or, given the
    `model`, by looking the message up (omitted when it cannot be determined).
    """
    if sender_of is None and model is not None:
        sender_of = _model_sender_lookup(model)
    steps = proof.step_by_id()
    last = proof.steps[-1].id if proof.steps else None
    lines = [
        "digraph proof {",
        "  rankdir=TB;",
        f"  label={dot_quote(header(proof))};",
        "  labelloc=t;",
        '  node [fontname="Helvetica", fontsize=10];',
        '  edge [fontname="Helvetica", fontsize=9];',
    ]
    for s in proof.steps:
        t = show(s.term)
        attrs: dict[str, str] = {}
        if s.rule in ("receives", "sees"):
            sender = sender_of(s) if sender_of else None
            src = ", ".join(
                x
                for x in (
                    f"step {s.step}" if s.step is not None else "",
                    f"line {s.line}" if s.line is not None else "",
                )
                if x
            )
            if s.rule == "receives":
                who = f"{sender} -> {s.by}" if sender else f"{s.by} receives"
            else:
                who = f"{s.by} sees" + (f" (sent by {sender})" if sender else "")
            attrs["label"] = f"{s.id}. {who}\n{src}\n{t}"
            attrs["shape"] = "box"
            attrs["style"] = "filled"
            attrs["fillcolor"] = "lightblue" if s.rule == "receives" else "lightpink"
        elif s.rule == "holds":
            where = f"line {s.line}" if s.line is not None else "initially"
            attrs["label"] = f"{s.id}. {s.by} holds ({where})\n{t}"
            attrs["shape"] = "note"
            attrs["style"] = "filled"
            attrs["fillcolor"] = "lightyellow"
        else:
            how = how_text(s, steps)[1]
            attrs["label"] = f"{s.id}. {t}\n{how}\n[{RULE_TITLES.get(s.rule, s.rule)}]"
            attrs["shape"] = "ellipse"
        if s.id == last:
            attrs["peripheries"] = "2"
            attrs["color"] = "red"
        body = ", ".join(f"{k}={dot_quote(v)}" for k, v in attrs.items())
        lines.append(f"  {dot_quote(f's{s.id}')} [{body}];")
    for s in proof.steps:
        for k, p in enumerate(s.premises):
            labels: list[str] = []
            ps = steps.get(p)
            if ps is not None and ps.rule in ("receives", "sees") and ps.step is not None:
                labels.append(f"step {ps.step}")
            if s.rule == "linear" and s.coefficients is not None and k < len(s.coefficients):
                c = s.coefficients[k]
                labels.append(f"\u00d7{_coef_text(c)}" if c >= 0 else f"\u00d7({_coef_text(c)})")
            attr = f" [label={dot_quote(', '.join(labels))}]" if labels else ""
            lines.append(f"  {dot_quote(f's{p}')} -> {dot_quote(f's{s.id}')}{attr};")
    lines.append("}")
    return "\n".join(lines) + "\n"


def _model_sender_lookup(model: Model, limit: int = 100_000) -> SenderOf:
    """A function giving the sender of a message leaf, found in `model` (None if unsure).

    The message is the one at the leaf's step and line; an indexed sender is
    resolved by searching (at most `limit`) bindings of the message's generator for
    one that produces the leaf's term.
    """
    from . import ground  # local: rendering without a model needs none of this

    def sender(step: Step) -> str | None:
        for m in model.messages:
            if m.step != step.step or (step.line is not None and m.pos.line != step.line):
                continue
            if not m.sender.index:
                return m.sender.name
            for n, env in enumerate(ground.bindings(m.gen)):
                if n >= limit:
                    break
                try:
                    if ground.term(m.term, env) == step.term:
                        return show(ground.agent(m.sender, env))
                except (ZeroDivisionError, KeyError):
                    continue
        return None

    return sender
