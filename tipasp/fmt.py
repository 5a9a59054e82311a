"""`tipasp fmt`: the canonical layout of a spec.

The layout is one statement per line, with single spaces around `->`, `:`, `@`,
`=`, `~` and binary operators, `, ` between list items, ranges written `lo..hi`,
and parentheses exactly where the author put them. Comments are kept: a comment
on a line of its own stays on a line of its own, a comment after a statement
stays after it (two spaces before the `#`); a comment inside a statement that
spanned several lines moves to its own line just above the statement. Runs of
blank lines shrink to one, and a blank line separates statements of different
groups (constants, agents, other declarations, messages, adversaries,
questions).

A protocol block is printed with its head on one line, each statement of its body
on a line of its own indented by two spaces, and its `}` alone on the last line;
comments inside the block stay where they were in it (indented with the body), and
single blank lines between body statements are kept.

Formatting is purely syntactic (a spec with an undeclared name still formats),
idempotent, and does not change the model the spec resolves to.
"""

from __future__ import annotations

from . import syntax as S
from .parser import collected, gc_paused, parse_recover
from .syntax import show_expr, show_gen


def _refs(refs: tuple[S.Ref, ...]) -> str:
    """`a, u[i]`."""
    return ", ".join(show_expr(r) for r in refs)


def _gen(g: S.Gen | None) -> str:
    """` for ...` or nothing."""
    return f" {show_gen(g)}" if g is not None else ""


def _coalition(c: S.Coalition) -> str:
    """`a` or `{a, b}`, as written."""
    return "{" + _refs(c.members) + "}" if c.braced else _refs(c.members)


def _after(a: S.After | None) -> str:
    """` after ...` or nothing."""
    if a is None:
        return ""
    if a.label is not None:
        return f" after {a.label}"
    assert a.step is not None
    return f" after {'step ' if a.step_kw else ''}{a.step.text}"


def _head(st: S.ProtocolStmt) -> str:
    """`protocol NAME(A, B) {`."""
    return f"protocol {st.name}({', '.join(p for p, _ in st.params)}) {{"


def format_stmt(st: S.Stmt) -> str:
    """One statement in canonical layout (without comments); a protocol block takes
    several lines."""
    if isinstance(st, S.ProtocolStmt):
        return "\n".join([_head(st), *(f"  {format_stmt(b)}" for b in st.body), "}"])
    if isinstance(st, S.FreshStmt):
        return f"fresh {_refs(st.items)} @ {show_expr(st.role)}"
    if isinstance(st, S.SessionStmt):
        return f"session {show_expr(st.target)} = {st.protocol}({_refs(st.args)}){_gen(st.gen)}"
    if isinstance(st, S.ConstStmt):
        return f"const {st.name} = {show_expr(st.value)}"
    if isinstance(st, S.AgentStmt):
        return f"agent {_refs(st.items)}{_gen(st.gen)}"
    if isinstance(st, S.PublicStmt):
        return f"public {_refs(st.items)}{_gen(st.gen)}"
    if isinstance(st, S.ValueStmt):
        opts = "".join(
            f" range {show_expr(o.args[0])}..{show_expr(o.args[1])}"
            if o.kind == "range"
            else f" sensitivity {show_expr(o.args[0])}"
            for o in st.opts
        )
        return f"{st.kind} {_refs(st.items)} @ {_refs(st.holders)}{opts}{_gen(st.gen)}"
    if isinstance(st, S.NoiseStmt):
        return (
            f"noise {_refs(st.items)} ~ {st.dist}({show_expr(st.scale)}) "
            f"@ {_refs(st.holders)}{_gen(st.gen)}"
        )
    if isinstance(st, S.SharesStmt):
        return (
            f"shares {show_expr(st.target)} of {show_expr(st.of)} threshold "
            f"{show_expr(st.threshold)} @ {_refs(st.holders)}{_gen(st.gen)}"
        )
    if isinstance(st, S.KeypairStmt):
        return f"keypair {_refs(st.agents)}{_gen(st.gen)}"
    if isinstance(st, S.FunctionStmt):
        return "function " + ", ".join(f"{s.name}/{s.arity.text}" for s in st.sigs)
    if isinstance(st, S.MessageStmt):
        label = f"{st.label}: " if st.label is not None else ""
        receiver = show_expr(st.receiver) if st.receiver is not None else "*"
        return f"{label}{show_expr(st.sender)} -> {receiver} : {show_expr(st.term)}{_gen(st.gen)}"
    if isinstance(st, S.ColludeStmt):
        return f"collude {_refs(st.members)}{_gen(st.gen)}"
    if isinstance(st, S.CorruptStmt):
        with_ = f" with {_refs(st.with_)}" if st.with_ else ""
        pool = f"{{{_refs(st.named)}}}" if st.named else show_expr(st.family)
        return f"corrupt {show_expr(st.count)} of {pool}{with_}"
    if isinstance(st, S.AdversaryStmt):
        return f"{st.kind} {_refs(st.agents)}{_gen(st.gen)}"
    if isinstance(st, S.EavesStmt):
        link = ""
        if st.link is not None:
            receiver = show_expr(st.link[1]) if st.link[1] is not None else "*"
            link = f" on {show_expr(st.link[0])} -> {receiver}"
        return f"eavesdropper {show_expr(st.agent)}{link}{_gen(st.gen)}"
    if isinstance(st, S.QueryStmt):
        if st.target is None:  # `query what C learns`
            assert st.coalition is not None
            return f"query what {_coalition(st.coalition)} learns{_after(st.after)}{_gen(st.gen)}"
        target = show_expr(st.target)
        if st.kind == "who":
            body = f"who learns {target}{_after(st.after)}"
        elif st.kind == "learns":
            assert st.coalition is not None
            body = f"{_coalition(st.coalition)} learns {target}{_after(st.after)}"
        else:
            assert st.coalition is not None
            at = f" at {show_expr(st.delta)}" if st.delta is not None else ""
            body = f"leakage of {target} to {_coalition(st.coalition)}{_after(st.after)}{at}"
        return f"query {body}{_gen(st.gen)}"
    if isinstance(st, S.AllowStmt):
        window = f" from {st.start}" if st.start else ""
        window += f" to {st.end}" if st.end else ""
        return f"allow {_refs(st.agents)} learns {show_expr(st.target)}{window}"
    if isinstance(st, S.AssertStmt):
        target = show_expr(st.target)
        if st.kind == "only_allowed":
            return f"assert only allowed learn {target}{_after(st.after)}{_gen(st.gen)}"
        if st.kind == "nobody":
            body = f"nobody learns {target}{_after(st.after)}"
        elif st.kind in ("learns", "not_learns"):
            assert st.coalition is not None
            neg = "not " if st.kind == "not_learns" else ""
            body = f"{neg}{_coalition(st.coalition)} learns {target}{_after(st.after)}"
        else:
            assert st.coalition is not None and st.epsilon is not None
            delta = f", {show_expr(st.delta)}" if st.delta is not None else ""
            body = (
                f"leakage of {target} to {_coalition(st.coalition)}{_after(st.after)} "
                f"within {show_expr(st.epsilon)}{delta}"
            )
        return f"assert {body}{_gen(st.gen)}"
    raise TypeError(st)  # pragma: no cover


def _group(st: S.Stmt) -> str:
    """The group a statement belongs to; a blank line separates different groups."""
    if isinstance(st, S.ConstStmt):
        return "const"
    if isinstance(st, S.AgentStmt):
        return "agent"
    if isinstance(st, S.MessageStmt):
        return "message"
    if isinstance(st, (S.ColludeStmt, S.CorruptStmt, S.EavesStmt, S.AdversaryStmt)):
        return "adversary"
    if isinstance(st, S.AllowStmt):
        return "policy"
    if isinstance(st, (S.QueryStmt, S.AssertStmt)):
        return "question"
    if isinstance(st, S.ProtocolStmt):
        return "protocol"
    if isinstance(st, S.SessionStmt):
        return "session"
    return "declaration"


def _format_block(
    st: S.ProtocolStmt, comments: list[S.Comment], src_lines: list[str], first: int, last: int
) -> str:
    """A protocol block (lines `first`..`last`) in canonical layout, with its comments
    kept in place: a comment after the head, after a body statement or after the `}`
    stays there; any other comment in the block goes on its own line, indented."""
    starts = {lines[0]: j for j, lines in enumerate(st.body_lines)}
    in_body = {ln: j for j, (a, b) in enumerate(st.body_lines) for ln in range(a, b + 1)}
    head_trailing = end_trailing = ""
    above: dict[int, list[str]] = {}  # body statement -> comments just above it
    after: dict[int, str] = {}  # body statement -> its trailing comment
    loose: dict[int, str] = {}  # line -> a comment on a line of its own
    for c in comments:
        if c.trailing and c.line == last:
            end_trailing = f"  {c.text}"
        elif c.line in in_body:
            j = in_body[c.line]
            if c.trailing and c.line == st.body_lines[j][1]:
                after[j] = f"  {c.text}"
            else:
                above.setdefault(j, []).append(c.text)
        elif c.trailing and c.line == first:
            head_trailing = f"  {c.text}"
        else:
            loose[c.line] = c.text
    out = [_head(st) + head_trailing]
    line = first
    while line <= last:
        if line in starts:
            j = starts[line]
            out += [f"  {text}" for text in above.get(j, [])]
            out.append(f"  {format_stmt(st.body[j])}{after.get(j, '')}")
            line = st.body_lines[j][1] + 1
            continue
        if line in loose:
            out.append(f"  {loose[line]}")
        elif first < line < last and not src_lines[line - 1].strip() and out[-1] != "":
            out.append("")
        line += 1
    if out[-1] == "":
        out.pop()
    if len(out) > 1 and out[1] == "":
        del out[1]
    out.append("}" + end_trailing)
    return "\n".join(out)


def format_source(text: str, file: str = "<string>") -> str:
    """The canonical layout of the spec `text`; raises SpecError if it does not parse."""
    with gc_paused():
        return _format(text, file)


def _format(text: str, file: str) -> str:
    """`format_source` with the cycle collector already paused."""
    if text.startswith("\ufeff"):
        text = text[1:]
    result = parse_recover(text, file)
    if result.diagnostics:
        raise collected(list(result.diagnostics), text)
    spec = result.spec

    starts: dict[int, int] = {}  # first line -> statement number
    covered: dict[int, int] = {}  # every line of a statement -> statement number
    for k, (first, last) in enumerate(spec.lines):
        starts[first] = k
        for line in range(first, last + 1):
            covered[line] = k
    comments_by_stmt: dict[int, list[S.Comment]] = {}
    loose: dict[int, S.Comment] = {}
    for c in spec.comments:
        if c.line in covered:
            comments_by_stmt.setdefault(covered[c.line], []).append(c)
        else:
            loose[c.line] = c

    # items: ("blank", ""), ("comment", text) or ("stmt", (text, group))
    items: list[tuple[str, str | tuple[str, str]]] = []
    src_lines = text.splitlines()
    n_lines = len(src_lines)
    line = 1
    while line <= n_lines:
        if line in starts:
            k = starts[line]
            first, last = spec.lines[k]
            st = spec.statements[k]
            if isinstance(st, S.ProtocolStmt):
                block = _format_block(st, comments_by_stmt.get(k, []), src_lines, first, last)
                items.append(("stmt", (block, _group(st))))
                line = last + 1
                continue
            trailing = ""
            for c in comments_by_stmt.get(k, []):
                if c.line == last and c.trailing:
                    trailing = f"  {c.text}"
                else:
                    items.append(("comment", c.text))
            st = spec.statements[k]
            items.append(("stmt", (format_stmt(st) + trailing, _group(st))))
            line = last + 1
            continue
        if line in loose:
            items.append(("comment", loose[line].text))
        elif line not in covered:
            items.append(("blank", ""))
        line += 1

    out: list[str] = []
    last_group: str | None = None
    last_stmt_at = -1  # index in `out` just after the previous statement
    blank_since = False
    for kind, payload in items:
        if kind == "blank":
            if out and out[-1] != "":
                out.append("")
            blank_since = True
            continue
        if isinstance(payload, str):  # a comment
            out.append(payload)
            continue
        stmt_text, group = payload
        if last_group is not None and group != last_group and not blank_since:
            out.insert(last_stmt_at, "")
        out.append(stmt_text)
        last_group = group
        last_stmt_at = len(out)
        blank_since = False
    while out and out[-1] == "":
        out.pop()
    return "\n".join(out) + "\n" if out else ""
