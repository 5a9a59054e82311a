"""The parser: lexical rules, statement splitting, and the syntax tree of every form."""

from __future__ import annotations

import time

import pytest

from tipasp import syntax as S
from tipasp.errors import SpecError
from tipasp.model import Pos
from tipasp.parser import KEYWORDS, parse, parse_recover


def P(line: int, col: int) -> Pos:
    return Pos("t.tip", line, col)


def stmts(src: str) -> tuple[S.Stmt, ...]:
    return parse(src, "t.tip").statements


def one(src: str) -> S.Stmt:
    (st,) = stmts(src)
    return st


# ------------------------------------------------------------------ lexical


def test_range_is_int_dotdot_name_not_a_decimal():
    st = one("agent u[1..N]")
    assert isinstance(st, S.AgentStmt)
    (rng,) = st.items[0].index  # type: ignore[misc]
    assert rng == S.RangeIdx(S.Num("1", 1, P(1, 9)), S.Ref("N", None, P(1, 12)), P(1, 9))


def test_range_with_arithmetic_bounds():
    st = one("a -> b : x for j in i+1..N-1")
    assert isinstance(st, S.MessageStmt) and st.gen is not None
    b = st.gen.binders[0]
    assert S.show_expr(b.lo) == "i + 1" and S.show_expr(b.hi) == "N - 1"


@pytest.mark.parametrize(
    "text, value", [("42", 42), ("0.5", 0.5), ("1e-5", 1e-5), ("2.5e3", 2500.0), ("7E+2", 700.0)]
)
def test_numbers(text: str, value: float):
    st = one(f"const N = {text}")
    assert isinstance(st, S.ConstStmt)
    assert st.value == S.Num(text, value, P(1, 11))
    assert type(st.value.value) is type(value)  # type: ignore[union-attr]


def test_comments_blank_lines_and_positions():
    spec = parse("# head\n\nagent a   # trailing\n  # indented\nagent b\n", "t.tip")
    assert [type(s) for s in spec.statements] == [S.AgentStmt, S.AgentStmt]
    assert spec.lines == ((3, 3), (5, 5))
    assert spec.comments == (
        S.Comment(1, 1, "# head", False),
        S.Comment(3, 11, "# trailing", True),
        S.Comment(4, 3, "# indented", False),
    )
    assert spec.statements[1].pos == P(5, 1)


def test_backslash_continues_a_statement():
    spec = parse("agent a, \\\n   b\nagent c", "t.tip")
    first = spec.statements[0]
    assert isinstance(first, S.AgentStmt)
    assert [r.name for r in first.items] == ["a", "b"]
    assert first.items[1].pos == P(2, 4)
    assert spec.lines == ((1, 2), (3, 3))


def test_open_brackets_continue_a_statement():
    src = "a -> b : enc(k, (\n    x,   # first\n    y\n))\nagent c"
    spec = parse(src, "t.tip")
    msg = spec.statements[0]
    assert isinstance(msg, S.MessageStmt)
    assert S.show_expr(msg.term) == "enc(k, (x, y))"
    assert spec.lines == ((1, 4), (5, 5))
    assert msg.span == (0, src.index("))") + 2)


def test_crlf_and_other_line_breaks_count_as_splitlines_does():
    spec = parse("agent a\r\nagent b\x0cagent c\u2028agent d", "t.tip")
    assert [s.pos.line for s in spec.statements] == [1, 2, 3, 4]


def test_tabs_count_as_one_column():
    st = one("\tagent\ta")
    assert isinstance(st, S.AgentStmt)
    assert st.pos == P(1, 2) and st.items[0].pos == P(1, 8)


def test_keywords_are_reserved():
    assert "mod" in KEYWORDS and "step" in KEYWORDS
    for word in sorted(KEYWORDS):
        with pytest.raises(SpecError) as info:
            parse(f"agent {word}", "t.tip")
        assert info.value.diagnostics[0].message == (
            f"'{word}' is a keyword and cannot be used as a name"
        ), word


def test_soft_keywords_are_names_elsewhere():
    st = one("agent range, at, on, nobody, within, threshold, sensitivity, and")
    assert isinstance(st, S.AgentStmt)
    assert [r.name for r in st.items] == [
        "range",
        "at",
        "on",
        "nobody",
        "within",
        "threshold",
        "sensitivity",
        "and",
    ]


def test_soft_keyword_glued_to_a_name_is_a_name():
    # `rangeN` must not be read as `range N`.
    with pytest.raises(SpecError) as info:
        parse("secret x @ a rangeN..9", "t.tip")
    assert info.value.diagnostics[0].pos == P(1, 14)


# ------------------------------------------------------------ statement forms


def test_const_statement():
    assert one("const M = N * 2") == S.ConstStmt(
        "M",
        S.Mul("*", S.Ref("N", None, P(1, 11)), S.Num("2", 2, P(1, 15)), P(1, 11), P(1, 13)),
        P(1, 1),
        P(1, 7),
        (0, 15),
    )


def test_value_statement_options_in_source_order():
    st = one("secret s @ a sensitivity 2.0 range 0..9")
    assert isinstance(st, S.ValueStmt)
    assert [o.kind for o in st.opts] == ["sensitivity", "range"]
    assert st.holders == (S.Ref("a", None, P(1, 12)),)


def test_noise_and_shares_statements():
    noise = one("noise e[i] ~ gaussian(2.0) @ u[i], u[j] for i in 1..3, j in 1..3 if i < j")
    assert isinstance(noise, S.NoiseStmt)
    assert noise.dist == "gaussian" and noise.scale == S.Num("2.0", 2.0, P(1, 23))
    assert len(noise.holders) == 2 and noise.gen is not None and len(noise.gen.conds) == 1
    shares = one("shares s[1..5] of v threshold 3 @ a")
    assert isinstance(shares, S.SharesStmt)
    assert shares.threshold == S.Num("3", 3, P(1, 31))


def test_message_forms():
    labelled = one("setup: a -> * : x")
    assert isinstance(labelled, S.MessageStmt)
    assert labelled.label == "setup" and labelled.receiver is None
    assert labelled.receiver_pos == P(1, 13)
    plain = one("u[i] -> server : x[i] for i in 1..N")
    assert isinstance(plain, S.MessageStmt) and plain.label is None
    assert plain.sender == S.Ref("u", (S.Ref("i", None, P(1, 3)),), P(1, 1))


def test_adversary_forms():
    c = one("corrupt 2 of u[1..N] with server, eve")
    assert isinstance(c, S.CorruptStmt) and [w.name for w in c.with_] == ["server", "eve"]
    e = one("eavesdropper eve on u[i] -> * for i in 1..N")
    assert isinstance(e, S.EavesStmt) and e.link is not None and e.link[1] is None


def test_query_and_assert_forms():
    q = one("query {a, b} learns x after step 3 for i in 1..2")
    assert isinstance(q, S.QueryStmt) and q.kind == "learns"
    assert q.coalition is not None and q.coalition.braced
    assert q.after == S.After(None, S.Num("3", 3, P(1, 34)), True, P(1, 23), P(1, 34))
    leak = one("query leakage of x to a at 1e-6")
    assert isinstance(leak, S.QueryStmt) and leak.delta == S.Num("1e-6", 1e-6, P(1, 28))
    kinds = [
        one(src).kind  # type: ignore[union-attr]
        for src in [
            "assert not a learns x",
            "assert a learns x",
            "assert nobody learns x",
            "assert leakage of x to {a} within 1, 1e-5",
        ]
    ]
    assert kinds == ["not_learns", "learns", "nobody", "leakage_within"]


def test_plus_minus_chains_are_flat():
    st = one("a -> b : x + y - z + w")
    assert isinstance(st, S.MessageStmt) and isinstance(st.term, S.Add)
    assert [op for op, _ in st.term.rest] == ["+", "-", "+"]
    assert S.show_expr(st.term) == "x + y - z + w"


def test_precedence_and_parentheses():
    st = one("const N = -1 + 2 * (3 - 4) % 5 mod 6 / 7")
    assert isinstance(st, S.ConstStmt)
    assert S.show_expr(st.value) == "-1 + 2 * (3 - 4) % 5 mod 6 / 7"
    assert isinstance(st.value, S.Add)
    assert isinstance(st.value.first, S.Neg)
    assert isinstance(st.value.rest[0][1], S.Mul) and st.value.rest[0][1].op == "/"


def test_tuple_needs_two_parts_and_paren_groups():
    st = one("a -> b : ((x), (y, z))")
    assert isinstance(st, S.MessageStmt) and isinstance(st.term, S.TupleExpr)
    assert isinstance(st.term.parts[0], S.Paren) and isinstance(st.term.parts[1], S.TupleExpr)


# ------------------------------------------------------------- recovery & speed


def test_recovery_keeps_good_statements_and_collects_bad_ones():
    res = parse_recover("agent a\nagent (\nsecret x @ a\nquery a lerns x\n", "t.tip")
    assert [type(s) for s in res.spec.statements] == [S.AgentStmt, S.ValueStmt]
    assert [(d.pos.line, d.pos.col) for d in res.diagnostics] == [(2, 7), (4, 9)]
    assert "lerns" in res.unparsed_names and "x" in res.unparsed_names


def test_hundred_thousand_lines_parse_in_a_few_seconds():
    lines = ["agent server"]
    k = 33_333
    lines += [f"agent a{i}" for i in range(k)]
    lines += [f"secret x{i} @ a{i} range 0..9" for i in range(k)]
    lines += [f"a{i} -> server : x{i} + x{(i + 1) % k} - 2 * x{(i + 2) % k}" for i in range(k)]
    src = "\n".join(lines)
    start = time.perf_counter()
    spec = parse(src, "big.tip")
    elapsed = time.perf_counter() - start
    assert len(spec.statements) == 3 * k + 1
    assert elapsed < 10.0, elapsed  # about 3 s on a 2020s laptop core


def test_an_unsupported_lark_fails_with_a_clear_message() -> None:
    """The one access to lark's private parser objects says what to install."""
    import pytest

    from tipasp.errors import InternalError
    from tipasp.parser import _lalr_internals

    class NotLark:
        parser = None

    with pytest.raises(InternalError, match="install lark>=1.1,<2"):
        _lalr_internals(NotLark())  # type: ignore[arg-type]
