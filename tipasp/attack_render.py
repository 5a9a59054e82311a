"""Attacks → text, Markdown and DOT (docs/language.md): the renderings of an attack
found by the bounded search (attack_search.py); the JSON form is
`attack_search.attack_json`.

The text form lists the events, one per line, with the adversary's derivation of
each delivered term it did not simply forward, then the proof of the target from
what it holds at the end. The DOT form is a message sequence chart: one lifeline
per agent (the adversary's drawn apart), one arrow per event, in order, with the
adversary's derivations beside its deliveries.
"""

from __future__ import annotations

from . import render
from .attack_search import Attack, Event
from .terms import show


def _where(e: Event) -> str:
    """`, s2, role B` for an event of a session's role (nothing for the narration)."""
    if e.session is None:
        return ""
    return f", {show(e.session)}, role {e.role}"


def attack_text(a: Attack) -> str:
    """The attack as text (docs/language.md): one line per event, with the adversary's
    derivation of each delivered term that it did not simply observe, then the proof
    of the target from what it holds at the end."""
    from . import render

    who = render.coalition_text([show(x) for x in a.adversary])
    rows: list[tuple[str, str, str, str]] = []
    subs: dict[int, list[str]] = {}
    for e in a.events:
        if e.kind == "send":
            to = f"to {show(e.to)}" if e.to is not None else "to everyone"
            rows.append((f"{e.index}.", f"{show(e.agent)} sends", show(e.term),
                         f"{to}{_where(e)}, line {e.line}"))
        else:
            frm = f" as from {show(e.sender)}" if e.sender is not None else ""
            assert e.to is not None  # a delivery always names its honest receiver
            rows.append((f"{e.index}.", f"{show(e.agent)} delivers", show(e.term),
                         f"to {show(e.to)}{frm}{_where(e)}, line {e.line}"))
            if e.proof is not None and len(e.proof.steps) > 1:
                body = render.text(e.proof).rstrip("\n").splitlines()[1:]
                subs[e.index] = [f"{e.index}.{ln.strip()}" for ln in body]
    w1 = max((len(r[1]) for r in rows), default=0)
    w2 = max((len(r[2]) for r in rows), default=0)
    lines = [f"{who} learns {show(a.target)}   (attack, {len(a.events)} events)"]
    for (num, who_does, term, where), e in zip(rows, a.events, strict=True):
        lines.append(f"  {num:<3} {who_does:<{w1}}  {term:<{w2}}  {where}")
        lines.extend(f"        {ln}" for ln in subs.get(e.index, []))
    if a.proof is not None:
        lines.append(f"  then {render.header(a.proof)}:")
        lines.extend("  " + ln for ln in render.text(a.proof).rstrip("\n").splitlines()[1:])
    return "\n".join(lines) + "\n"


def attack_markdown(a: Attack) -> str:
    """The attack as a Markdown table (one row per event), then the final proof."""
    who = render.coalition_text([show(x) for x in a.adversary])
    out = [f"**{render._md_cell(who)} learns {render._md_code(show(a.target))}** "
           f"(attack, {len(a.events)} events)", "",
           "| # | event | term | to | line |", "|---:|---|---|---|---:|"]
    for e in a.events:
        verb = "sends" if e.kind == "send" else "delivers"
        to = show(e.to) if e.to is not None else "everyone"
        if e.kind == "deliver" and e.sender is not None:
            to += f" (as from {show(e.sender)})"
        out.append(f"| {e.index} | {render._md_cell(show(e.agent) + ' ' + verb + _where(e))} | "
                   f"{render._md_code(show(e.term))} | {render._md_cell(to)} | {e.line} |")
    if a.proof is not None:
        out += ["", "Then:", "", render.markdown(a.proof).rstrip("\n")]
    return "\n".join(out) + "\n"


def attack_dot(a: Attack) -> str:
    """The attack as a message sequence chart in Graphviz: a column of points per
    agent (its lifeline), an arrow per event from sender to receiver at its row,
    and for each delivery the adversary built, a note with its derivation."""
    q = render.dot_quote
    agents: list[str] = []
    adv = [show(x) for x in a.adversary]
    for e in a.events:
        for x in (e.agent, e.to):
            if x is not None and show(x) not in agents and show(x) not in adv:
                agents.append(show(x))
    cols = agents + adv
    rows = len(a.events) + 1
    out = ["digraph attack {", "  rankdir=TB; splines=false; nodesep=1.2;",
           f"  label={q(f'{render.coalition_text(adv)} learns {show(a.target)} (attack)')};",
           "  labelloc=t;", "  node [shape=point, width=0.05];"]
    for c, name in enumerate(cols):
        color = "red" if name in adv else "black"
        out.append(f"  h{c} [shape=box, width=1, label={q(name)}, color={color}];")
        chain = [f"h{c}"] + [f"p{c}_{r}" for r in range(1, rows + 1)]
        out.append("  " + " -> ".join(chain) + f" [arrowhead=none, style=dashed, color={color}];")
    for r in range(rows + 1):
        same = " ".join(f"h{c}" if r == 0 else f"p{c}_{r}" for c in range(len(cols)))
        out.append(f"  {{ rank=same; {same} }}")
    for e in a.events:
        src = cols.index(show(e.agent))
        dst = cols.index(show(e.to)) if e.to is not None else src
        label = f"{e.index}. {show(e.term)}"
        if e.kind == "deliver" and e.sender is not None:
            label += f"\n(as from {show(e.sender)})"
        color = "red" if e.kind == "deliver" else "black"
        out.append(f"  p{src}_{e.index} -> p{dst}_{e.index} [label={q(label)}, "
                   f"color={color}, constraint=false];")
        if e.kind == "deliver" and e.proof is not None and len(e.proof.steps) > 1:
            note = "\n".join(ln.strip() for ln in
                             render.text(e.proof).rstrip("\n").splitlines()[1:])
            out.append(f"  n{e.index} [shape=note, fontsize=9, label={q(note)}];")
            out.append(f"  {{ rank=same; p{src}_{e.index}; n{e.index} }}")
            out.append(f"  p{src}_{e.index} -> n{e.index} [style=dotted, arrowhead=none, "
                       "constraint=false];")
    out.append("}")
    return "\n".join(out) + "\n"
