"""`tipasp report SPEC -o report.html`: one self-contained HTML page about a spec.

The page holds the spec with line numbers, a message sequence chart of the
narration, and every result with its proof (the numbered text `tipasp check`
prints, and the derivation drawn as a graph), and, under malicious agents or an
intruder, each attack drawn as a sequence chart of the run. Everything is inline:
CSS, SVG drawings and one small script (it opens every folded section before
printing); the page loads nothing and works offline. Every piece of spec text
(names, terms, comments, file names) is escaped.

The drawings:

- the narration chart has one lifeline per agent declaration (a family `agent
  u[1..N]` is one lifeline, `u[i]`), one arrow per message statement (a broadcast
  `*` reaches every other lifeline), the statement's generator under its arrow,
  protocol sessions framed and labelled with their roles, and eavesdroppers,
  intruders, malicious agents and colluding groups marked on their lifelines;
- a proof graph has a node per step and an edge from each premise to the step
  using it, in layers (networkx's topological generations: the leaves on top, the
  conclusion at the bottom);
- an attack chart has a lifeline per honest agent and one per adversary agent:
  every honest send goes to the adversary (who sees the network), every delivery
  comes from it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from html import escape
from typing import TYPE_CHECKING

from . import __version__, render
from .attack_render import attack_text
from .model import AgentRef, IBin, IConst, IExpr, INeg, IVar, Message, Model
from .proof import Proof, Step
from .report import render_text
from .results import Assertion, Leakage, Learner, Learns, Result, WhatLearns, WhoLearns
from .terms import show

if TYPE_CHECKING:
    from .api import Report
    from .attack_search import Attack, Event

__all__ = ["attack_svg", "document", "narration_svg", "proof_svg"]

CHAR_W = 7.2
"""Width of one character of the 12px monospace font the drawings use (an estimate
for layout: the browser's font may differ slightly)."""

MAX_LABEL = 56
"""Arrow labels and node terms longer than this are cut (the full text is in the
element's tooltip)."""

MAX_GRAPH_STEPS = 400
"""Proofs with more steps are shown as text only (the graph would be unreadable)."""


def _e(s: object) -> str:
    """Escaped for text and for attribute values (quotes too)."""
    return escape(str(s), quote=True)


def _cut(s: str, n: int = MAX_LABEL) -> str:
    """`s`, shortened to `n` characters with an ellipsis."""
    return s if len(s) <= n else s[: max(n - 1, 1)] + "\u2026"


def _tw(s: str, size: float = 12) -> float:
    """Estimated width of `s` in the drawings' monospace font."""
    return len(s) * CHAR_W * size / 12


# ------------------------------------------------------------------- model text


def _iexpr(e: IExpr, top: bool = True) -> str:
    if isinstance(e, IConst):
        return str(e.value)
    if isinstance(e, IVar):
        return e.name
    if isinstance(e, INeg):
        return f"-{_iexpr(e.arg, False)}"
    if isinstance(e, IBin):
        s = f"{_iexpr(e.left, False)} {e.op} {_iexpr(e.right, False)}"
        return s if top else f"({s})"
    return str(e)


def agent_ref_text(a: AgentRef) -> str:
    """`server`, `u[i]`, `u[i + 1]`, `u[2]`."""
    if not a.index:
        return a.name
    return f"{a.name}[{', '.join(_iexpr(i) for i in a.index)}]"


def _split_top(s: str, sep: str) -> tuple[str, str] | None:
    """`s` split at the first `sep` outside brackets, or None."""
    depth = 0
    i = 0
    while i < len(s):
        c = s[i]
        if c in "([{":
            depth += 1
        elif c in ")]}":
            depth -= 1
        elif depth == 0 and s.startswith(sep, i):
            return s[:i], s[i + len(sep):]
        i += 1
    return None


def message_parts(m: Message) -> tuple[str, str]:
    """The term of a message statement as written, and its generator (`for i in
    1..N`, or ""). A session's message shows its ground term (roles replaced by the
    session's agents, values qualified by the session: `aenc(pk(eve), (s1.na, alice))`)
    when it has no generator."""
    text = " ".join(m.text.split())
    if m.label and text.startswith(m.label):
        rest = text[len(m.label):].lstrip()
        if rest.startswith(":"):
            text = rest[1:].strip()
    term, gen = text, ""
    arrow = _split_top(text, "->")
    if arrow is not None:
        colon = _split_top(arrow[1], ":")
        if colon is not None:
            term = colon[1].strip()
    g = _split_top(term, " for ")
    if g is not None:
        term, gen = g[0].strip(), "for " + g[1].strip()
    if m.session is not None and m.gen is None:
        from . import ground

        try:
            term = show(ground.term(m.term, {}))
        except (KeyError, ZeroDivisionError, TypeError, ValueError):
            pass
    return term or m.text, gen


def _source_line(model: Model, line: int) -> str:
    lines = model.source.splitlines()
    return lines[line - 1].strip() if 0 < line <= len(lines) else ""


# ----------------------------------------------------------------- SVG helpers

_DEFS = (
    '<defs>'
    '<marker id="{p}-a" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" '
    'markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" '
    'class="ah"/></marker>'
    '<marker id="{p}-r" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" '
    'markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" '
    'class="ah adv"/></marker>'
    '</defs>'
)


def _svg(kind: str, ident: str, width: float, height: float, body: Iterable[str],
         label: str) -> str:
    w, h = int(width + 0.5), int(height + 0.5)
    # on screen, scaled down to the page's width, but to no less than 60% (then the
    # figure scrolls); printed, always to the page's width
    return (f'<svg xmlns="http://www.w3.org/2000/svg" class="chart {kind}" id="{ident}" '
            f'role="img" aria-label="{_e(label)}" width="{w}" height="{h}" '
            f'style="min-width: {int(w * 0.6)}px" '
            f'viewBox="0 0 {w} {h}">' + _DEFS.format(p=ident) + "".join(body) + "</svg>")


def _text(x: float, y: float, s: str, cls: str = "", anchor: str = "start") -> str:
    c = f' class="{cls}"' if cls else ""
    a = f' text-anchor="{anchor}"' if anchor != "start" else ""
    return f'<text x="{x:.1f}" y="{y:.1f}"{c}{a}>{_e(s)}</text>'


# ----------------------------------------------------------- narration chart


@dataclass
class _Lifeline:
    name: str  # the declared name
    label: str  # `server`, `u[i]`
    sub: str  # `i in 1..5` for a family
    marks: list[str] = field(default_factory=list)
    adversary: bool = False
    eaves: bool = False


def _lifelines(model: Model) -> tuple[list[_Lifeline], list[str]]:
    """One lifeline per agent declaration, with its marks; and the legend lines."""
    lines: list[_Lifeline] = []
    for a in model.agents:
        if a.dims:
            vars_ = "ijkl"
            idx = [vars_[k] if k < len(vars_) else f"i{k}" for k in range(len(a.dims))]
            label = f"{a.name}[{', '.join(idx)}]"
            sub = ", ".join(f"{v} in {lo}..{hi}" for v, (lo, hi) in zip(idx, a.dims, strict=True))
        else:
            label, sub = a.name, ""
        lines.append(_Lifeline(a.name, label, sub))
    by_name = {ln.name: ln for ln in lines}
    legend: list[str] = []

    def mark(ref: AgentRef, text: str) -> _Lifeline | None:
        ln = by_name.get(ref.name)
        if ln is not None:
            if ref.index:
                text = f"{text}: {agent_ref_text(ref)}"
            head, _, who = text.partition(": ")
            for k, old in enumerate(ln.marks):
                if who and old.startswith(head + ": "):
                    if who not in old.split(": ", 1)[1].split(", "):
                        ln.marks[k] = f"{old}, {who}"
                    break
            else:
                ln.marks.append(text)
        return ln

    for ref in model.intruders:
        ln = mark(ref, "intruder")
        if ln:
            ln.adversary = True
    for ref in model.malicious:
        ln = mark(ref, "malicious")
        if ln:
            ln.adversary = True
    for ev in model.eavesdroppers:
        if ev.link is None:
            what = "eavesdropper"
        else:
            dst = agent_ref_text(ev.link[1]) if ev.link[1] is not None else "*"
            what = f"eavesdrops {agent_ref_text(ev.link[0])} -> {dst}"
        ln = mark(ev.agent, what)
        if ln:
            ln.eaves = True
        legend.append(f"eavesdropper (line {ev.pos.line}): {_source_line(model, ev.pos.line)}")
    for k, c in enumerate(model.colludes, 1):
        for ref in c.members:
            mark(ref, f"collude C{k}")
        legend.append(f"C{k} (line {c.pos.line}): {_source_line(model, c.pos.line)}")
    for cor in model.corrupts:
        mark(AgentRef(cor.family), f"corrupt {cor.count} of {cor.lo}..{cor.hi}")
        for w in cor.with_:
            mark(w, "corrupt: with")
        legend.append(f"threat model (line {cor.pos.line}): "
                      f"{_source_line(model, cor.pos.line)}")
    if model.intruders or model.malicious:
        names = ", ".join(agent_ref_text(r) for r in (*model.intruders, *model.malicious))
        legend.append(f"adversary: {names} (the bounded attack search runs for every "
                      "learning question)")
    return lines, legend


def _session_roles(msgs: Sequence[Message]) -> str:
    """`A = alice, B = eve` for the messages of one session."""
    roles: dict[str, str] = {}
    for m in msgs:
        if m.sender_role:
            roles.setdefault(m.sender_role, agent_ref_text(m.sender))
        if m.receiver_role and m.receiver is not None:
            roles.setdefault(m.receiver_role, agent_ref_text(m.receiver))
    return ", ".join(f"{r} = {a}" for r, a in roles.items())


def _session_name(m: Message) -> str | None:
    if m.session is None:
        return None
    name, idx = m.session
    return f"{name}[{', '.join(_iexpr(i) for i in idx)}]" if idx else name


def narration_svg(model: Model, ident: str = "narration") -> str:
    """The narration as a message sequence chart (inline SVG); every message
    statement is one `<g class="msg">`."""
    lifelines, _ = _lifelines(model)
    if not lifelines:
        return ""
    col = {ln.name: k for k, ln in enumerate(lifelines)}
    head_w = max(max(_tw(ln.label, 13) for ln in lifelines) + 24,
                 max((_tw(m, 10) for ln in lifelines for m in ln.marks), default=0) + 8, 96)
    longest = max((len(f"{m.step}. " + message_parts(m)[0]) for m in model.messages), default=0)
    # wide enough for the longest label, but the chart should fit a page (1080px)
    fit = max(180.0, 1080 / len(lifelines))
    colw = max(head_w + 24, min(max(150.0, _tw("x" * min(longest, MAX_LABEL)) + 30), fit, 380.0))
    left = 60.0
    xs = [left + colw / 2 + k * colw for k in range(len(lifelines))]
    nmarks = max((len(ln.marks) for ln in lifelines), default=0)
    top = 12 + 30 + (14 if any(ln.sub for ln in lifelines) else 0) + 12 * nmarks + 18
    rowh = 50.0
    # rows, with a gap where a session starts or ends
    rows: list[float] = []
    y = top + 20.0
    prev: str | None = None
    frames: list[tuple[str, int, int]] = []  # session, first row, last row
    for k, m in enumerate(model.messages):
        s = _session_name(m)
        if s != prev:
            if s is not None:
                y += 22
                frames.append((s, k, k))
            elif prev is not None:
                y += 10
        elif s is not None:
            frames[-1] = (s, frames[-1][1], k)
        rows.append(y)
        y += rowh
        prev = s
    height = y + 10
    width = left + colw * len(lifelines) + 20
    for m in model.messages:  # a loop on the last lifeline: room for its label
        if m.receiver is not None and m.receiver.name == m.sender.name == lifelines[-1].name:
            term = message_parts(m)[0]
            text = f"{m.step}. {agent_ref_text(m.sender)} -> {agent_ref_text(m.receiver)} : {term}"
            width = max(width, xs[-1] + 40 + _tw(_cut(text)) + 12)
    out: list[str] = []
    # session frames (behind everything)
    for s, first, last in frames:
        msgs = model.messages[first:last + 1]
        y0, y1 = rows[first] - 38, rows[last] + 22
        roles = _session_roles(msgs)
        label = f"session {s}" + (f": {roles}" if roles else "")
        out.append(f'<g class="session" data-session="{_e(s)}"><title>{_e(label)}</title>'
                   f'<rect x="{left - 50:.1f}" y="{y0:.1f}" width="{width - left + 40:.1f}" '
                   f'height="{y1 - y0:.1f}" rx="4"/>'
                   + _text(left - 44, y0 + 13, label, "frame-label") + "</g>")
    # lifelines
    for ln, x in zip(lifelines, xs, strict=True):
        cls = "lifeline" + (" adv" if ln.adversary else "") + (" eaves" if ln.eaves else "")
        bw = head_w
        parts = [f'<g class="{cls}" data-agent="{_e(ln.label)}">',
                 f"<title>{_e(' / '.join([ln.label, ln.sub, *ln.marks]).strip(' /'))}</title>",
                 f'<line x1="{x:.1f}" y1="{12 + 30:.1f}" x2="{x:.1f}" y2="{height - 6:.1f}" '
                 'class="life"/>',
                 f'<rect x="{x - bw / 2:.1f}" y="12" width="{bw:.1f}" height="30" rx="3" '
                 'class="head"/>',
                 _text(x, 32, ln.label, "agent", "middle")]
        yy = 42.0
        if ln.sub:
            yy += 13
            parts.append(_text(x, yy, ln.sub, "sub", "middle"))
        for mk in ln.marks:
            yy += 12
            parts.append(_text(x, yy, mk, "mark", "middle"))
        parts.append("</g>")
        out.extend(parts)
    # messages
    for m, y in zip(model.messages, rows, strict=True):
        term, gen = message_parts(m)
        src = col.get(m.sender.name)
        if src is None:
            continue
        x0 = xs[src]
        s = _session_name(m)
        who = agent_ref_text(m.sender) + " -> " + (
            agent_ref_text(m.receiver) if m.receiver is not None else "*")
        full = (f"step {m.step}" + (f" ({m.label})" if m.label else "")
                + (f", session {s}" if s else "") + f", line {m.pos.line}: {who} : {term}"
                + (f"   {gen}" if gen else ""))
        head = f"{m.step}. " + (f"{m.label}: " if m.label else "")
        parts = [f'<g class="msg" data-step="{m.step}" data-line="{m.pos.line}">'
                 f"<title>{_e(full)}</title>",
                 _text(8, y + 4, f"{m.step}", "stepno")]
        lx = min(x0, *xs) + 6 if m.receiver is None else x0 + 40
        under = gen
        if m.receiver is None:  # broadcast: to every other lifeline
            for x in xs:
                if x != x0:
                    parts.append(f'<line x1="{x0:.1f}" y1="{y:.1f}" x2="{x:.1f}" '
                                 f'y2="{y:.1f}" class="arrow bcast" '
                                 f'marker-end="url(#{ident}-a)"/>')
            if len(xs) == 1:
                parts.append(f'<circle cx="{x0:.1f}" cy="{y:.1f}" r="4" class="arrow"/>')
            avail = max(max(xs) - min(xs), colw) - 12
            n = max(24, min(MAX_LABEL, int(avail / CHAR_W)))
            parts.append(_text(lx, y - 6, _cut(head + term + "  \u2192 *", n), "lbl"))
        else:
            dst = col.get(m.receiver.name, src)
            x1 = xs[dst]
            if dst == src:  # within a family (u[i] -> u[j]): a loop
                parts.append(f'<path d="M{x0:.1f},{y - 8:.1f} h34 v16 h-32" '
                             f'class="arrow" fill="none" marker-end="url(#{ident}-a)"/>')
                parts.append(_text(lx, y + 4, _cut(head + f"{who} : {term}", MAX_LABEL),
                                   "lbl"))
            else:
                lx = min(x0, x1) + 6
                parts.append(f'<line x1="{x0:.1f}" y1="{y:.1f}" x2="{x1:.1f}" y2="{y:.1f}" '
                             f'class="arrow" marker-end="url(#{ident}-a)"/>')
                n = max(24, min(MAX_LABEL, int((abs(x1 - x0) - 12) / CHAR_W)))
                parts.append(_text(lx, y - 6, _cut(head + term, n), "lbl"))
                if m.sender.index or m.receiver.index:
                    under = f"{who}   {gen}".strip()
        if under:
            loop = m.receiver is not None and col.get(m.receiver.name, src) == src
            parts.append(_text(lx, y + (18 if loop else 14), _cut(under, MAX_LABEL + 24),
                               "gen"))
        parts.append("</g>")
        out.extend(parts)
    return _svg("msc", ident, width, height, out,
                f"message sequence chart of {len(model.messages)} message statement(s)")


# ---------------------------------------------------------------- proof graph


def _step_line(step: Step, steps: dict[int, Step]) -> str:
    """The step as one line: `3. server receives m[1] - m[5] + x[1] (step 1, line 10)`."""
    src = render.source_text(step)
    if step.is_leaf:
        return f"{step.id}. {render.fact_text(step, steps)} {show(step.term)}  ({src})"
    return f"{step.id}. {render.fact_text(step, steps)}  ({src})"


def proof_layers(proof: Proof) -> list[list[int]]:
    """The steps in layers: networkx's topological generations of the derivation
    (premise -> step), so leaves come first and the conclusion last; within a
    layer, steps ordered by the mean position of their premises, then by id."""
    import networkx as nx  # type: ignore[import-untyped]

    g = nx.DiGraph()
    g.add_nodes_from(s.id for s in proof.steps)
    g.add_edges_from((p, s.id) for s in proof.steps for p in s.premises if p != s.id)
    layers: list[list[int]] = []
    pos: dict[int, float] = {}
    premises = {s.id: s.premises for s in proof.steps}
    for gen in nx.topological_generations(g):
        def key(i: int) -> tuple[float, int]:
            ps = [pos[p] for p in premises.get(i, ()) if p in pos]
            return (sum(ps) / len(ps) if ps else -1.0, i)

        layer = sorted(gen, key=key) if layers else sorted(gen)
        for k, i in enumerate(layer):
            pos[i] = (k + 0.5) / len(layer)
        layers.append(layer)
    return layers


def proof_svg(proof: Proof, ident: str) -> str:
    """The proof's derivation as a layered graph (inline SVG): one `<g class="node">`
    per step (leaves on top, the conclusion at the bottom), one edge per premise."""
    steps = proof.step_by_id()
    if not proof.steps:
        return ""
    layers = proof_layers(proof)
    boxes: dict[int, tuple[float, float, float]] = {}  # id -> (x centre, y top, width)
    heads: dict[int, str] = {}
    terms: dict[int, str] = {}
    for s in proof.steps:
        if s.is_leaf:
            heads[s.id] = f"{s.id}. {s.by or '?'} {s.rule}"
        else:
            heads[s.id] = f"{s.id}. {render.RULE_TITLES.get(s.rule, s.rule)}"
        terms[s.id] = _cut(show(s.term), 40)
    widths = {i: max(_tw(heads[i], 11), _tw(terms[i]), 60) + 16 for i in steps}
    gap, nh, vgap, pad = 16.0, 40.0, 46.0, 10.0
    row_w = [sum(widths[i] for i in layer) + gap * (len(layer) - 1) for layer in layers]
    width = max(row_w) + 2 * pad
    for r, layer in enumerate(layers):
        x = pad + (width - 2 * pad - row_w[r]) / 2
        y = pad + r * (nh + vgap)
        for i in layer:
            boxes[i] = (x + widths[i] / 2, y, widths[i])
            x += widths[i] + gap
    height = pad * 2 + len(layers) * nh + (len(layers) - 1) * vgap
    out: list[str] = []
    last = proof.steps[-1].id
    for s in proof.steps:  # edges first, under the nodes
        cx, cy, _ = boxes[s.id]
        for k, p in enumerate(s.premises):
            if p not in boxes:
                continue
            px, py, _ = boxes[p]
            y0, y1 = py + nh, cy
            mid = (y0 + y1) / 2
            title = f"({p}) used by ({s.id})"
            coef = ""
            if s.rule == "linear" and s.coefficients is not None and k < len(s.coefficients):
                c = s.coefficients[k]
                title += f", coefficient {c}"
                coef = f"\u00d7{c}" if abs(c) != 1 else ""
            out.append(f'<g class="edge" data-from="{p}" data-to="{s.id}"><title>{_e(title)}'
                       f'</title><path d="M{px:.1f},{y0:.1f} C{px:.1f},{mid:.1f} {cx:.1f},'
                       f'{mid:.1f} {cx:.1f},{y1 - 1:.1f}" class="arrow" fill="none" '
                       f'marker-end="url(#{ident}-a)"/>')
            if coef:
                tx, ty = px + (cx - px) * 0.75, y0 + (y1 - y0) * 0.75
                out.append(_text(tx + 4, ty, coef, "coef"))
            out.append("</g>")
    for s in proof.steps:
        cx, cy, w = boxes[s.id]
        cls = f"node r-{s.rule}" + (" concl" if s.id == last else "")
        out.append(f'<g class="{cls}" data-step="{s.id}"><title>{_e(_step_line(s, steps))}'
                   f'</title><rect x="{cx - w / 2:.1f}" y="{cy:.1f}" width="{w:.1f}" '
                   f'height="{nh:.1f}" rx="{3 if s.is_leaf else 14}"/>'
                   + _text(cx, cy + 15, heads[s.id], "nhead", "middle")
                   + _text(cx, cy + 31, terms[s.id], "nterm", "middle") + "</g>")
    return _svg("dag", ident, width, height, out,
                f"proof graph: {render.header(proof)}, {len(proof.steps)} steps")


# ---------------------------------------------------------------- attack chart


def attack_svg(a: Attack, ident: str) -> str:
    """The attack's run as a message sequence chart (inline SVG): the honest agents'
    lifelines, then the adversary's; each send an arrow from the honest sender to
    the adversary (to the one it is addressed to, if it is one), each delivery an
    arrow from the adversary to the honest receiver. One `<g class="event">` each."""
    adv = [show(x) for x in a.adversary]
    honest: list[str] = []
    for e in a.events:
        for who in (e.agent, e.to):
            if who is not None and show(who) not in adv and show(who) not in honest:
                honest.append(show(who))
    cols = honest + adv
    if not cols:
        return ""
    longest = max((len(f"{e.index}. {show(e.term)}") for e in a.events), default=0)
    fit = max(180.0, 1080 / len(cols))
    colw = max(170.0, max(_tw(c, 13) for c in cols) + 40,
               min(_tw("x" * min(longest, MAX_LABEL)) + 30, fit, 380.0))
    left = 40.0
    xs = {c: left + colw / 2 + k * colw for k, c in enumerate(cols)}
    top, rowh = 52.0, 46.0
    height = top + rowh * (len(a.events) + 1)
    width = left + colw * len(cols) + 20
    out: list[str] = []
    for c in cols:
        x = xs[c]
        cls = "lifeline adv" if c in adv else "lifeline"
        out.append(f'<g class="{cls}" data-agent="{_e(c)}"><title>{_e(c)}'
                   + (" (adversary)" if c in adv else "") + "</title>"
                   f'<line x1="{x:.1f}" y1="40" x2="{x:.1f}" y2="{height - 6:.1f}" class="life"/>'
                   f'<rect x="{x - (colw - 30) / 2:.1f}" y="10" width="{colw - 30:.1f}" '
                   'height="30" rx="3" class="head"/>' + _text(x, 30, c, "agent", "middle")
                   + "</g>")
    for r, e in enumerate(a.events):
        y = top + rowh * (r + 0.7)
        src, dst = _event_ends(e, adv)
        x0, x1 = xs.get(src, left), xs.get(dst, left)
        deliver = e.kind == "deliver"
        where = f", session {show(e.session)}, role {e.role}" if e.session is not None else ""
        if deliver:
            frm = f" as from {show(e.sender)}" if e.sender is not None else ""
            full = (f"{e.index}. {show(e.agent)} delivers {show(e.term)} to "
                    f"{show(e.to) if e.to is not None else '?'}{frm}{where}, line {e.line}")
        else:
            to = show(e.to) if e.to is not None else "everyone"
            full = f"{e.index}. {show(e.agent)} sends {show(e.term)} to {to}{where}, line {e.line}"
        if deliver and e.proof is not None and len(e.proof.steps) > 1:
            full += "\n" + "\n".join(ln.strip() for ln in
                                     render.text(e.proof).rstrip("\n").splitlines()[1:])
        span = abs(x1 - x0)
        n = max(24, min(MAX_LABEL, int((span - 12) / CHAR_W)))
        label = f"{e.index}. {show(e.term)}"
        note = (f"as from {show(e.sender)}" if deliver and e.sender is not None
                else f"to {show(e.to)}" if not deliver and e.to is not None
                and show(e.to) != dst else "")
        if e.session is not None:
            note = (note + "  " if note else "") + f"[{show(e.session)}, role {e.role}]"
        cls = "event deliver" if deliver else "event send"
        marker = f"{ident}-r" if deliver else f"{ident}-a"
        body = [f'<g class="{cls}" data-index="{e.index}"><title>{_e(full)}</title>',
                _text(6, y + 4, str(e.index), "stepno")]
        if x0 == x1:
            body.append(f'<path d="M{x0:.1f},{y - 8:.1f} h34 v16 h-32" class="arrow'
                        f'{" adv" if deliver else ""}" fill="none" marker-end="url(#{marker})"/>')
            body.append(_text(x0 + 40, y + 4, _cut(label, MAX_LABEL), "lbl"))
        else:
            body.append(f'<line x1="{x0:.1f}" y1="{y:.1f}" x2="{x1:.1f}" y2="{y:.1f}" '
                        f'class="arrow{" adv" if deliver else ""}" marker-end="url(#{marker})"/>')
            body.append(_text(min(x0, x1) + 6, y - 6, _cut(label, n), "lbl"))
        if note:
            body.append(_text(min(x0, x1) + 6, y + 14, note, "gen"))
        body.append("</g>")
        out.extend(body)
    adversary = render.coalition_text(adv)
    return _svg("msc attack", ident, width, height, out,
                f"attack: {adversary} learns {show(a.target)}, {len(a.events)} events")


def _event_ends(e: Event, adv: list[str]) -> tuple[str, str]:
    """Where an event's arrow starts and ends: an honest send goes to the adversary
    agent it is addressed to, else to the first adversary agent (the network); a
    delivery goes from the delivering adversary agent to the honest receiver."""
    agent = show(e.agent)
    to = show(e.to) if e.to is not None else None
    if e.kind == "deliver":
        return agent, to or agent
    if to is not None and to in adv:
        return agent, to
    return agent, adv[0] if adv else (to or agent)


# --------------------------------------------------------------------- the page

_CSS = """
:root { --fg: #1b1f24; --muted: #59636e; --line: #d0d7de; --bg2: #f6f8fa;
  --yes: #b42318; --no: #1a7f37; --adv: #c62828; --accent: #0550ae; }
* { box-sizing: border-box; }
body { font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue",
  Arial, sans-serif; color: var(--fg); margin: 0 auto; max-width: 1180px; padding: 16px 24px; }
h1 { font-size: 1.5em; margin: 0.2em 0; } h2 { font-size: 1.25em; margin: 1.4em 0 0.5em;
  border-bottom: 1px solid var(--line); padding-bottom: 0.2em; }
h3 { font-size: 1.05em; margin: 0.8em 0 0.3em; }
code, pre, .mono { font-family: ui-monospace, "DejaVu Sans Mono", Menlo, Consolas, monospace;
  font-size: 13px; }
pre { background: var(--bg2); border: 1px solid var(--line); border-radius: 4px;
  padding: 8px 10px; overflow-x: auto; margin: 0.3em 0 0.6em; }
.meta { color: var(--muted); }
.summary { margin: 0.4em 0; }
nav.toc ol { margin: 0.2em 0; padding-left: 1.4em; columns: 2; }
nav.toc a { color: var(--accent); text-decoration: none; }
.toolbar { float: right; display: none; } .js .toolbar { display: block; }
.toolbar button { font: inherit; font-size: 13px; margin-left: 4px; }
pre.spec { line-height: 1.35; padding: 6px 0; }
pre.spec .l { display: block; padding: 0 10px; }
pre.spec .l:target { background: #fff8c5; }
pre.spec .n { display: inline-block; width: 3.2em; color: var(--muted); text-align: right;
  margin-right: 1em; user-select: none; }
pre.spec .c { color: #6e7781; }
.figure { overflow-x: auto; border: 1px solid var(--line); border-radius: 4px; padding: 4px;
  background: #fff; }
ul.legend { margin: 0.3em 0; padding-left: 1.2em; color: var(--muted); font-size: 14px; }
details.result { border: 1px solid var(--line); border-radius: 6px; margin: 0.6em 0;
  padding: 0 12px; }
details.result > summary { cursor: pointer; padding: 8px 0; font-weight: 600; }
details.result[open] > summary { border-bottom: 1px solid var(--line); margin-bottom: 6px; }
details.sub > summary { cursor: pointer; color: var(--accent); margin: 4px 0; }
.v { display: inline-block; font-size: 12px; font-weight: 700; padding: 1px 7px;
  border-radius: 10px; margin-right: 8px; border: 1px solid currentColor; }
.v-bad { color: var(--yes); } .v-good { color: var(--no); } .v-info { color: var(--accent); }
.info { margin: 0.2em 0; padding-left: 0; list-style: none; }
.learner { margin: 0.5em 0 0.8em; }
.learner h3 .who { font-family: ui-monospace, "DejaVu Sans Mono", Menlo, monospace; }
svg.chart { font-family: ui-monospace, "DejaVu Sans Mono", Menlo, Consolas, monospace;
  font-size: 12px; display: block; max-width: 100%; height: auto; }
svg .head { fill: #eef3fb; stroke: #5b7bb2; }
svg .lifeline.adv .head { fill: #fdecea; stroke: var(--adv); }
svg .lifeline.eaves .head { fill: #f4ecfb; stroke: #8250df; }
svg .life { stroke: #8c959f; stroke-dasharray: 5 4; }
svg .lifeline.adv .life { stroke: var(--adv); }
svg .agent { font-size: 13px; font-weight: 600; }
svg .sub { fill: var(--muted); font-size: 11px; }
svg .mark { fill: #8250df; font-size: 10px; }
svg .sub, svg .mark { paint-order: stroke; stroke: #fff; stroke-width: 3px; }
svg .lifeline.adv .mark { fill: var(--adv); }
svg .arrow { stroke: #24292f; stroke-width: 1.4; }
svg .arrow.adv { stroke: var(--adv); }
svg .arrow.bcast { stroke-dasharray: 2 2; }
svg .ah { fill: #24292f; } svg .ah.adv { fill: var(--adv); }
svg .lbl, svg .gen, svg .coef { paint-order: stroke; stroke: #fff; stroke-width: 3px;
  stroke-linejoin: round; }
svg .lbl { fill: #1b1f24; } svg .gen { fill: var(--muted); font-size: 11px; }
svg .coef { fill: #6639ba; font-size: 11px; }
svg .stepno { fill: var(--muted); font-size: 11px; }
svg .session rect { fill: #f6f8fa; stroke: #afb8c1; stroke-dasharray: 6 3; }
svg .frame-label { fill: #0550ae; font-size: 11px; font-weight: 600; }
svg .node rect { fill: #fff; stroke: #57606a; }
svg .node.r-holds rect { fill: #fff8c5; } svg .node.r-receives rect { fill: #ddf4ff; }
svg .node.r-sees rect { fill: #ffebe9; }
svg .node.concl rect { stroke: var(--yes); stroke-width: 2.5; }
svg .nhead { font-size: 11px; fill: var(--muted); } svg .nterm { fill: #1b1f24; }
footer { margin-top: 2em; color: var(--muted); font-size: 13px; }
@media print {
  body { max-width: none; padding: 0; font-size: 11pt; }
  .toolbar, nav.toc { display: none; }
  details > summary { list-style: none; }
  details > summary::-webkit-details-marker { display: none; }
  details::details-content { content-visibility: visible; display: contents; }
  details.result, .figure, pre.proof, .learner { break-inside: avoid; }
  h2 { break-after: avoid; } .figure { overflow: visible; border: none; }
  svg.chart { max-width: 100%; height: auto; min-width: 0 !important; }
  pre { white-space: pre-wrap; overflow: visible; }
  * { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
  a { color: inherit; text-decoration: none; }
}
"""

_SCRIPT = """
(function () {
  function all(open) {
    document.querySelectorAll('details').forEach(function (d) { d.open = open; });
  }
  window.addEventListener('beforeprint', function () { all(true); });
  document.querySelectorAll('[data-fold]').forEach(function (b) {
    b.addEventListener('click', function () { all(b.getAttribute('data-fold') === 'open'); });
  });
  document.documentElement.classList.add('js');
})();
"""


def _spec_html(model: Model) -> str:
    """The source, one `<span class="l" id="L<n>">` per line with its number;
    comments greyed."""
    lines = model.source.splitlines()
    out = []
    for i, t in enumerate(lines, 1):
        code, _, comment = t.partition("#")
        body = _e(code) + (f'<span class="c">#{_e(comment)}</span>' if "#" in t else "")
        out.append(f'<span class="l" id="L{i}"><span class="n">{i}</span>{body}</span>')
    return '<pre class="spec">' + "".join(out) + "</pre>"


def _verdict(r: Result) -> tuple[str, str]:
    """The verdict badge of a result: its text and its class."""
    if isinstance(r, Learns):
        return ("yes", "v-bad") if r.answer else ("no", "v-good")
    if isinstance(r, WhoLearns):
        if r.public:
            return "public", "v-bad"
        n = len(r.learners)
        return (f"{n} learner{'s' if n != 1 else ''}", "v-bad" if n else "v-good")
    if isinstance(r, Assertion):
        return ("holds", "v-good") if r.holds else ("FAILS", "v-bad")
    if isinstance(r, WhatLearns):
        n = len(r.learned)
        return (f"{n} value{'s' if n != 1 else ''}", "v-bad" if n else "v-good")
    if isinstance(r, Leakage):
        loss = r.loss
        if loss.exact:
            return "exact", "v-bad"
        if loss.none:
            return "none", "v-good"
        return f"\u03b5 = {loss.epsilon:.4g}", "v-info"
    return "", "v-info"


_INFO = ("it is public", "holders:", "learners:", "note:", "why not:", "actual:",
         "(no attack", "nothing it does not hold")


def _info_lines(block: list[str]) -> list[str]:
    """The lines of a result's text block that are not evidence (holders, why-not,
    actual leakage, notes), as `tipasp check` prints them."""
    return [ln.strip() for ln in block[1:]
            if ln.startswith("  ") and not ln.startswith("   ") and ln.strip().startswith(_INFO)]


def _proof_pre(text: str) -> str:
    """Proof or attack text, one `<span class="pl">` per line."""
    return ('<pre class="proof">'
            + "\n".join(f'<span class="pl">{_e(ln)}</span>' for ln in text.rstrip("\n").split("\n"))
            + "</pre>")


def _learner_html(lr: Learner, target: str, ident: str, title: str) -> str:
    who = render.coalition_text([show(a) for a in lr.coalition])
    out = [f'<div class="learner" id="{ident}">',
           f'<h3>{_e(title)}<span class="who">{_e(who)}</span> learns '
           f'<code>{_e(target)}</code>{" (attack)" if lr.attack is not None else ""}</h3>']
    if lr.attack is not None:
        a = lr.attack
        out.append(_proof_pre(attack_text(a)))
        out.append('<details class="sub" open><summary>the attack as a sequence chart'
                   f'</summary><div class="figure">{attack_svg(a, ident + "-atk")}</div></details>')
        if a.proof is not None and len(a.proof.steps) <= MAX_GRAPH_STEPS:
            out.append('<details class="sub" open><summary>final proof as a graph</summary>'
                       f'<div class="figure">{proof_svg(a.proof, ident + "-g")}</div></details>')
    elif lr.proof is not None:
        out.append(_proof_pre(render.text(lr.proof)))
        if len(lr.proof.steps) <= MAX_GRAPH_STEPS:
            out.append('<details class="sub" open><summary>proof as a graph</summary>'
                       f'<div class="figure">{proof_svg(lr.proof, ident + "-g")}</div></details>')
        else:
            out.append(f"<p class=meta>({len(lr.proof.steps)} steps: too many to draw)</p>")
    else:
        out.append("<p class=meta>(no proof: proofs were not computed)</p>")
    out.append("</div>")
    return "".join(out)


def result_html(r: Result, k: int) -> str:
    """One result: its question and verdict as the summary of an open `<details>`,
    then what `tipasp check` says beside the proofs, then each proof (text and
    graph) or attack (text and chart)."""
    block = render_text([r]).rstrip("\n").split("\n")
    head = block[0]
    verdict, cls = _verdict(r)
    ident = f"r{k}"
    out = [f'<details class="result" id="{ident}" open data-line="{r.line}" '
           f'data-kind="{r.kind}"><summary><span class="v {cls}">{_e(verdict)}</span>'
           f'<span class="q">{_e(head)}</span></summary>']
    info = _info_lines(block)
    if info:
        out.append('<ul class="info">' + "".join(f"<li>{_e(i)}</li>" for i in info) + "</ul>")
    if isinstance(r, WhatLearns):  # each value learned with its own proof
        evidence = [(show(it.target), lr) for it in r.learned for lr in it.answered()]
    else:
        evidence = [(show(r.target), lr) for lr in r.answered()]
    title = "counterexample: " if isinstance(r, Assertion) else ""
    for j, (target, lr) in enumerate(evidence, 1):
        out.append(_learner_html(lr, target, f"{ident}-{j}", title))
    out.append(f'<p class="meta">spec: <a href="#L{r.line}">line {r.line}</a></p>')
    out.append("</details>")
    return "".join(out)


def document(report: Report, spec_name: str | None = None) -> str:
    """The whole page for a checked spec."""
    model = report.model
    name = spec_name or report.spec
    results = report.results
    n_fail = sum(1 for r in results if isinstance(r, Assertion) and not r.holds)
    n_assert = sum(1 for r in results if isinstance(r, Assertion))
    attacks = sum(1 for r in results for lr in r.answered() if lr.attack is not None)
    lifelines, legend = _lifelines(model)
    summary = [f"{len(results)} result{'s' if len(results) != 1 else ''}"]
    if n_assert:
        summary.append(f"assertions: {n_assert - n_fail} of {n_assert} hold"
                       + (f", <strong class=\"v-bad\">{n_fail} FAIL{'S' if n_fail == 1 else ''}"
                          "</strong>" if n_fail else ""))
    if attacks:
        summary.append(f"{attacks} attack{'s' if attacks != 1 else ''}")
    summary.append(f"{len(model.agents)} agent declaration{'s' if len(model.agents) != 1 else ''}")
    summary.append(f"{len(model.messages)} message statement"
                   f"{'s' if len(model.messages) != 1 else ''}")
    consts = ", ".join(f"{k} = {v}" for k, v in model.consts.items())
    toc = ['<li><a href="#spec">The spec</a></li>', '<li><a href="#narration">The narration'
           '</a></li>', '<li><a href="#results">Results</a></li>']
    toc += [f'<li><a href="#r{k}">{_e(render_text([r]).split(chr(10), 1)[0])}</a></li>'
            for k, r in enumerate(results, 1)]
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        '<meta name="generator" content="tipasp ' + _e(__version__) + '">',
        f"<title>tipasp report: {_e(name)}</title>",
        f"<style>{_CSS}</style></head><body>",
        '<div class="toolbar"><button type="button" data-fold="open">expand all</button>'
        '<button type="button" data-fold="close">collapse all</button></div>',
        f"<h1>tipasp report: <code>{_e(name)}</code></h1>",
        f'<p class="summary">{" · ".join(summary)}</p>',
        (f'<p class="meta">constants: <code>{_e(consts)}</code></p>' if consts else ""),
        f'<nav class="toc"><ol>{"".join(toc)}</ol></nav>',
        '<h2 id="spec">The spec</h2>',
        _spec_html(model),
        '<h2 id="narration">The narration</h2>',
    ]
    if model.messages and lifelines:
        parts.append('<p class="meta">One lifeline per agent declaration (a family is one '
                     'lifeline, <code>u[i]</code>), one arrow per message statement; a '
                     'broadcast reaches every other lifeline. Hover an arrow for its full '
                     'statement.</p>')
        parts.append(f'<div class="figure">{narration_svg(model)}</div>')
    else:
        parts.append('<p class="meta">The spec has no message statements.</p>')
    if legend:
        parts.append('<ul class="legend">' + "".join(f"<li>{_e(x)}</li>" for x in legend)
                     + "</ul>")
    parts.append('<h2 id="results">Results</h2>')
    if not results:
        parts.append("<p>no queries or assertions</p>")
    parts.extend(result_html(r, k) for k, r in enumerate(results, 1))
    parts.append(f"<footer>Made by tipasp {_e(__version__)}. Every proof above was accepted "
                 "by tipasp's independent proof checker; every attack was replayed by it."
                 "</footer>")
    parts.append(f"<script>{_SCRIPT}</script></body></html>")
    return "\n".join(p for p in parts if p) + "\n"
