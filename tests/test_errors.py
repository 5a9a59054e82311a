"""Every class of spec error: reported at the exact line and column, with the right words,
rendered as `FILE:LINE:COL: error: message` with the source line and a caret."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import spec_errors

from tipasp.errors import SpecError
from tipasp.frontend import MAX_DIAGNOSTICS, load, load_text, parse_overrides

AGENTS = "agent a, b\nagent u[1..3]\n"  # lines 1-2


def one(src: str, **overrides: int) -> tuple[int, int, str]:
    found = spec_errors(src, **overrides)
    assert len(found) == 1, found
    return found[0]


def hint(src: str) -> str | None:
    with pytest.raises(SpecError) as info:
        load_text(src, "t.tip")
    return info.value.diagnostics[0].hint


# ---------------------------------------------------------------- rendering


def test_render_has_file_line_col_source_and_caret():
    with pytest.raises(SpecError) as info:
        load_text("agent a\na -> a : secrt\n", "spec.tip")
    assert info.value.render().splitlines() == [
        "spec.tip:2:10: error: undeclared name 'secrt'",
        "  a -> a : secrt",
        "           ^",
    ]


def test_several_errors_reported_at_once_in_source_order():
    src = AGENTS + "a -> b : x\nsecret s @ a range 9..0\nquery a lerns s\nb -> a : y\n"
    assert spec_errors(src) == [
        (3, 10, "undeclared name 'x'"),
        (4, 20, "empty range 9..0: the lower bound is above the upper"),
        (5, 9, "expected 'learns', found 'lerns'"),
        (6, 10, "undeclared name 'y'"),
    ]


def test_a_broken_declaration_does_not_cascade():
    # `secret x` fails to parse; its later uses must not be reported as undeclared.
    assert spec_errors(AGENTS + "secret x @ a range 0..\na -> b : x\n") == [
        (3, 23, "expected an integer expression, found the end of the statement")
    ]


# ------------------------------------------------------------------- names


def test_undeclared_name_with_suggestion():
    assert one(AGENTS + "secret secret1 @ a\na -> a : secrt") == (4, 10, "undeclared name 'secrt'")
    assert hint(AGENTS + "secret secret1 @ a\na -> a : secrt") == "did you mean 'secret1'?"


def test_undeclared_agent_with_suggestion():
    assert one(AGENTS + "secret s @ bb") == (3, 12, "undeclared agent 'bb'")
    assert hint(AGENTS + "secret s @ uu") == "did you mean 'u'?"


def test_name_declared_twice():
    assert one(AGENTS + "secret x @ a\nrandom x @ b") == (
        4,
        8,
        "'x' is declared twice: it is already a secret (line 3)",
    )
    assert one(AGENTS + "secret x @ a\nsecret x @ b") == (
        4,
        8,
        "'x' is declared twice (first at line 3)",
    )
    assert one("const N = 1\nagent N") == (
        2,
        7,
        "'N' is declared twice: it is already a constant (line 1)",
    )


def test_family_member_declared_twice():
    assert one(AGENTS + "secret x[i] @ a for i in 1..3\nsecret x[3] @ b") == (
        4,
        8,
        "x[3] is declared twice (first at line 3)",
    )


def test_wrong_number_of_indices():
    src = AGENTS + "secret x[i] @ u[i] for i in 1..3\n"
    assert one(src + "a -> b : x") == (4, 10, "secret 'x' takes 1 index, found 0")
    assert one(src + "a -> b : x[1, 2]") == (4, 10, "secret 'x' takes 1 index, found 2")
    assert one(src + "u -> b : x[1]") == (4, 1, "agent 'u' takes 1 index, found 0")
    assert one(src + "a[1] -> b : x[1]") == (4, 1, "agent 'a' takes no index")


def test_index_out_of_family_range():
    src = AGENTS + "secret x[i] @ u[i] for i in 1..3\n"
    assert one(src + "a -> b : x[4]") == (
        4,
        10,
        "x[4] is not declared; declared indices lie in 1..3",
    )
    assert one(src + "u[0] -> b : x[1]") == (
        4,
        1,
        "u[0] is out of range: the family is u[1..3]",
    )
    assert one(AGENTS + "secret y[i] @ u[i + 1] for i in 1..3") == (
        3,
        15,
        "u[4] is out of range: the family is u[1..3] (when i = 3)",
    )


def test_index_out_of_range_in_a_huge_family_is_found_symbolically():
    src = "const N = 100000000\nagent u[1..N]\nsecret x[i] @ u[i] for i in 1..N\n"
    assert one(src + "u[i] -> u[1] : x[i + N] for i in 1..N") == (
        4,
        16,
        "index (i + 100000000) of 'x' is always outside 1..100000000",
    )


def test_holder_must_be_an_agent():
    assert one(AGENTS + "secret y @ a\nsecret x @ y") == (4, 12, "'y' is a secret, not an agent")


def test_value_where_an_agent_is_expected_and_back():
    assert one(AGENTS + "secret y @ a\ny -> a : y") == (4, 1, "'y' is a secret, not an agent")
    assert one(AGENTS + "secret y @ a\nquery {a, y} learns y") == (
        4,
        11,
        "'y' is a secret, not an agent",
    )
    assert one(AGENTS + "secret y @ a\na -> b : y + a") == (
        4,
        14,
        "'a' is an agent: agents cannot be added or scaled",
    )
    assert one(AGENTS + "keypair a\nsecret y @ a\na -> b : pk(y)") == (
        5,
        13,
        "'y' is a secret, not an agent",
    )


def test_constant_or_variable_is_not_a_term():
    assert one("const N = 2\n" + AGENTS + "a -> b : N") == (
        4,
        10,
        "'N' is a constant, not a term",
    )
    assert one(AGENTS + "u[i] -> b : i for i in 1..3") == (
        3,
        13,
        "'i' is a generator variable, not a term",
    )


# ---------------------------------------------------------------- functions


def test_unknown_function():
    assert one(AGENTS + "secret x @ a\na -> b : foo(x)") == (4, 10, "unknown function 'foo'")
    assert hint(AGENTS + "secret x @ a\na -> b : foo(x)") == "declare it: function foo/1"
    assert hint(AGENTS + "secret x @ a\na -> b : hsh(x)") == "did you mean 'hash'?"


def test_wrong_arity_builtin_and_declared():
    assert one(AGENTS + "secret x @ a\na -> b : enc(x)") == (
        4,
        10,
        "'enc' takes 2 arguments, found 1",
    )
    assert one(AGENTS + "secret x @ a\nfunction f/2\na -> b : f(x, x, x)") == (
        5,
        10,
        "'f' takes 2 arguments, found 3",
    )
    assert one("function hash/1") == (
        1,
        10,
        "'hash' is a built-in function (hash/1) and cannot be declared",
    )
    assert one("function f/0") == (1, 12, "the arity of 'f' must be a whole number of at least 1")


def test_pk_needs_a_keypair():
    assert one(AGENTS + "secret x @ a\na -> b : aenc(pk(b), x)") == (
        4,
        18,
        "pk(b...) needs a key pair: 'b' has none",
    )


# --------------------------------------------------------------- generators


def test_generator_variable_unbound():
    assert one(AGENTS + "secret x[i] @ u[i]") == (3, 10, "unknown constant or variable 'i'")
    assert hint(AGENTS + "secret x[i] @ u[i]") == "bind it with a generator: for i in LO..HI"


def test_generator_variable_bound_twice():
    assert one(AGENTS + "secret x[i] @ a for i in 1..3, i in 1..2") == (
        3,
        32,
        "variable 'i' is bound twice",
    )
    src = AGENTS + "secret x[i] @ a for i in 1..3\n"
    assert one(src + "a -> b : sum(x[i] for i in 1..3) for i in 1..2") == (
        4,
        23,
        "variable 'i' is bound twice",
    )


def test_generator_variable_clashing_with_a_name():
    assert one("const N = 3\n" + AGENTS + "secret x[N] @ a for N in 1..3") == (
        4,
        21,
        "'N' is a constant and cannot be a generator variable",
    )


def test_empty_or_inverted_family_range():
    assert one("agent u[3..1]") == (1, 9, "empty range 3..1: the lower bound is above the upper")
    assert one("const N = 0\nagent u[1..N]") == (
        2,
        9,
        "empty range 1..0: the lower bound is above the upper",
    )


def test_unknown_constant():
    assert one("const N = K + 1") == (1, 11, "unknown constant 'K'")
    assert one("const M = N\nconst N = 2") == (
        1,
        11,
        "constant 'N' is used before its definition (line 2)",
    )


def test_non_integer_where_an_integer_is_needed():
    assert one("agent u[1..2.5]") == (1, 12, "expected an integer, found 2.5")
    assert one(AGENTS + "secret x @ a\nsecret y[x] @ a") == (
        4,
        10,
        "'x' is a secret, not an integer",
    )
    assert one(AGENTS + "corrupt 2 of u[1..i]") == (3, 19, "unknown constant or variable 'i'")


def test_division_by_zero_in_constants():
    assert one("const N = 4 / (2 - 2)") == (1, 13, "division by zero")


# ---------------------------------------------------------- declarations


def test_secret_range_inverted():
    assert one(AGENTS + "secret s @ a range 9..0") == (
        3,
        20,
        "empty range 9..0: the lower bound is above the upper",
    )


def test_range_only_for_secrets():
    assert one(AGENTS + "random r @ a range 0..9") == (3, 14, "'range' applies only to secrets")


def test_threshold_out_of_bounds():
    src = AGENTS + "secret v @ a\n"
    assert one(src + "shares s[1..3] of v threshold 4 @ a") == (
        4,
        31,
        "threshold 4 is more than the 3 shares",
    )
    assert one(src + "shares s[1..3] of v threshold 0 @ a") == (
        4,
        31,
        "the threshold must be at least 1, found 0",
    )


def test_shares_need_one_range():
    assert one(AGENTS + "secret v @ a\nshares s[2] of v threshold 1 @ a") == (
        4,
        8,
        "shares are declared with exactly one index range, as in s[1..5]",
    )


def test_noise_distribution_and_scale():
    assert one(AGENTS + "noise e ~ gauss(1.0) @ a") == (
        3,
        11,
        "unknown noise distribution 'gauss': use gaussian(sigma) or laplace(b)",
    )
    assert one(AGENTS + "noise e ~ laplace(-1) @ a") == (3, 19, "the noise scale must be positive")


def test_corrupt_count_and_family():
    assert one(AGENTS + "corrupt -1 of u[1..3]") == (
        3,
        9,
        "the number of corrupt agents cannot be negative (-1)",
    )
    assert one(AGENTS + "corrupt 1 of u[0..3]") == (
        3,
        16,
        "u[0..3] is outside the family u[1..3]",
    )
    assert one(AGENTS + "corrupt 1 of a") == (
        3,
        14,
        "'a' is not a one-dimensional agent family (corrupt picks agents from u[LO..HI])",
    )


def test_eavesdropper_must_be_an_agent():
    assert one(AGENTS + "eavesdropper eve") == (3, 14, "undeclared agent 'eve'")


# --------------------------------------------------------------- messages


def test_duplicate_label():
    assert one(AGENTS + "l: a -> b : a\nl: b -> a : b") == (
        4,
        1,
        "label 'l' is already used at line 3",
    )


def test_terms_must_be_linear_with_integer_coefficients():
    src = AGENTS + "secret x, y @ a\n"
    assert one(src + "a -> b : x * y") == (
        4,
        12,
        "a product of two terms is not linear: one side of '*' must be an integer constant",
    )
    assert one(src + "a -> b : 0.5 * x") == (4, 10, "a coefficient must be an integer, found 0.5")
    assert one(src + "a -> b : x + 1") == (4, 14, "a number is not a term: 1")
    assert one(src + "a -> b : x / 2") == (
        4,
        12,
        "'/' is index arithmetic: terms combine only with +, - and integer coefficients",
    )
    assert one(src + "u[i] -> b : i * x for i in 1..3") == (
        4,
        13,
        "a coefficient must be constant, but 'i' is a generator variable",
    )


def test_range_is_not_a_term():
    assert one(AGENTS + "secret x[i] @ a for i in 1..3\na -> b : x[1..2]") == (
        4,
        12,
        "a range is not a term",
    )


# --------------------------------------------------------------- questions


def test_unknown_label_and_step_out_of_range():
    src = AGENTS + "secret x @ a\nsetup: a -> b : x\n"
    assert one(src + "query b learns x after stup") == (5, 24, "unknown label 'stup'")
    assert hint(src + "query b learns x after stup") == "did you mean 'setup'?"
    assert one(src + "query b learns x after step 2") == (
        5,
        29,
        "step 2 is out of range: the spec has 1 step, so 'after' takes 0..1",
    )


def test_leakage_parameters():
    src = AGENTS + "secret x @ a\n"
    assert one(src + "query leakage of x to b at 2") == (
        4,
        28,
        "delta must be between 0 and 1 (exclusive), found 2.0",
    )
    assert one(src + "assert leakage of x to b within -1") == (
        4,
        33,
        "epsilon cannot be negative, found -1.0",
    )


# ----------------------------------------------------------------- syntax


def test_keyword_used_as_a_name():
    assert one("agent agent") == (1, 7, "'agent' is a keyword and cannot be used as a name")
    assert one(AGENTS + "secret for @ a") == (
        3,
        8,
        "'for' is a keyword and cannot be used as a name",
    )


def test_syntax_errors_say_what_was_expected():
    assert one(AGENTS + "a -> b x") == (3, 8, "expected ':', found 'x'")
    assert one(AGENTS + "query who learns") == (
        3,
        17,
        "expected a term, found the end of the statement",
    )
    assert one(AGENTS + "a b") == (3, 3, "expected '->' or ':', found 'b'")
    assert one(AGENTS + "secret x[i] @ a for i in 1..3 if i = 2") == (
        3,
        36,
        "expected a comparison ('<', '<=', '>', '>=', '==' or '!='), found '='",
    )
    assert one("= 3") == (1, 1, "expected a statement, found '='")
    assert hint(AGENTS + "secret x @ a rnge 0..9") == "did you mean 'range'?"


def test_or_in_conditions_is_refused_with_advice():
    src = AGENTS + "secret x[i] @ a for i in 1..3 if i < 2 or i > 2"
    assert one(src) == (3, 40, "expected ',', 'and' or the end of the statement, found 'or'")
    assert "split the statement" in (hint(src) or "")


def test_number_too_large():
    assert one("const N = 99999999999999999999999") == (
        1,
        11,
        "number too large: 99999999999999999999999 (integers must be at most 2147483647)",
    )
    assert one("const N = 2147483648") == (
        1,
        11,
        "number too large: 2147483648 (integers must be at most 2147483647)",
    )
    assert one("const N = " + "9" * 5000)[2].startswith("number too large")
    assert one(AGENTS + "secret x @ a\nassert leakage of x to a within 1e999") == (
        4,
        33,
        "number too large: 1e999",
    )
    assert one("const N = 65536 * 65536") == (
        1,
        17,
        "value too large: 4294967296 (clingo integers are 32-bit, at most 2147483647)",
    )


def test_unknown_characters():
    assert one("agent a $ b") == (1, 9, "unexpected character '$'")
    assert one("agent é") == (1, 7, "unexpected character 'é'")
    assert one("agent a\x00") == (1, 8, "unexpected character U+0000")
    assert one("agent 2x") == (1, 7, "invalid number '2x'")
    assert one("agent a \\ b") == (
        1,
        9,
        "'\\' continues a statement only at the very end of a line",
    )


def test_unbalanced_brackets():
    assert one("agent u[1..3") == (1, 8, "'[' was never closed")
    assert one("agent a\n)") == (2, 1, "unmatched ')'")
    assert one(AGENTS + "a -> b : (a, b]") == (3, 15, "']' does not match '(' at line 3, column 10")


def test_unclosed_bracket_does_not_swallow_the_next_statements():
    src = "agent a, b\na -> b : (a,\nagent c\nc -> a : zz\n"
    assert spec_errors(src) == [
        (2, 10, "'(' was never closed"),
        (4, 10, "undeclared name 'zz'"),
    ]


def test_brackets_and_expressions_nested_too_deeply():
    assert one(AGENTS + "a -> b : " + "(" * 70 + "a" + ")" * 70)[2] == (
        "brackets nested too deeply (more than 64 levels)"
    )
    assert one(AGENTS + "a -> b : " + "-" * 400 + "a")[2].startswith("expression nested too deeply")


def test_a_long_flat_sum_is_fine():
    names = [f"x{k}" for k in range(20000)]
    src = "agent a\nsecret " + ", ".join(names) + " @ a\na -> a : " + " + ".join(names) + "\n"
    model = load_text(src, "t.tip")
    assert len(model.messages[0].term.parts) == 20000  # type: ignore[union-attr]


def test_too_many_errors_are_capped():
    src = "$\n" * 500
    with pytest.raises(SpecError) as info:
        load_text(src, "t.tip")
    diags = info.value.diagnostics
    assert len(diags) == MAX_DIAGNOSTICS + 1
    assert diags[-1].message == "too many errors: 400 more not shown"


# ------------------------------------------------------------------- files


def test_missing_file(tmp_path: Path):
    path = str(tmp_path / "nope.tip")
    with pytest.raises(SpecError) as info:
        load(path)
    d = info.value.diagnostics[0]
    assert (d.pos.line, d.pos.col) == (0, 0)
    assert (
        info.value.render() == f"{path}:0:0: error: cannot read the spec: No such file or directory"
    )


def test_directory_is_not_a_spec(tmp_path: Path):
    with pytest.raises(SpecError) as info:
        load(str(tmp_path))
    assert info.value.render().startswith(f"{tmp_path}:0:0: error: cannot read the spec:")


def test_unreadable_paths(tmp_path: Path):
    plain = tmp_path / "plain.tip"
    plain.write_text("agent a\n")
    for bad in [str(plain / "under_a_file.tip"), str(tmp_path / "nul\x00.tip")]:
        with pytest.raises(SpecError) as info:
            load(bad)
        assert info.value.render().startswith(f"{bad}:0:0: error: cannot read the spec: ")


def test_non_utf8_file_reports_the_byte(tmp_path: Path):
    p = tmp_path / "latin1.tip"
    p.write_bytes(b"agent a\nsecret caf\xe9 @ a\n")
    with pytest.raises(SpecError) as info:
        load(str(p))
    assert info.value.render().splitlines()[0] == (
        f"{p}:2:11: error: the spec is not valid UTF-8 text (byte 0xe9)"
    )


def test_binary_garbage(tmp_path: Path):
    p = tmp_path / "garbage.tip"
    p.write_bytes(bytes(range(256)) * 4)
    with pytest.raises(SpecError) as info:
        load(str(p))
    # Lines are counted as str.splitlines() counts them (\x0b, \x0c, \x1c... break lines),
    # so that the caret lands under the bad byte in the rendered line.
    lines = info.value.render().splitlines()
    assert lines[0] == f"{p}:8:98: error: the spec is not valid UTF-8 text (byte 0x80)"
    assert lines[2] == "  " + " " * 97 + "^"


def test_empty_file_is_a_valid_empty_spec(tmp_path: Path):
    p = tmp_path / "empty.tip"
    p.write_bytes(b"")
    model = load(str(p))
    assert model.agents == () and model.messages == ()


def test_crlf_line_endings(tmp_path: Path):
    p = tmp_path / "dos.tip"
    p.write_bytes(b"agent a\r\nsecret x @ a\r\na -> a : y\r\n")
    with pytest.raises(SpecError) as info:
        load(str(p))
    assert info.value.render().splitlines() == [
        f"{p}:3:10: error: undeclared name 'y'",
        "  a -> a : y",
        "           ^",
    ]


# --------------------------------------------------------------- overrides


def test_parse_overrides():
    assert parse_overrides(["N=10", " M = -3 "]) == {"N": 10, "M": -3}
    assert parse_overrides([]) == {}


@pytest.mark.parametrize(
    "item, message",
    [
        ("N", "--set 'N': expected NAME=INTEGER, for example --set N=10"),
        ("N=ten", "--set 'N=ten': expected NAME=INTEGER, for example --set N=10"),
        ("N=1.5", "--set 'N=1.5': expected NAME=INTEGER, for example --set N=10"),
        ("1N=2", "--set '1N=2': expected NAME=INTEGER, for example --set N=10"),
        ("N=99999999999", "--set N: number too large: 99999999999"),
    ],
)
def test_parse_overrides_errors(item: str, message: str):
    with pytest.raises(SpecError) as info:
        parse_overrides([item])
    assert info.value.render() == f"<command line>:0:0: error: {message}"


def test_override_given_twice():
    with pytest.raises(SpecError) as info:
        parse_overrides(["N=1", "N=2"])
    assert info.value.diagnostics[0].message == "--set N is given twice"


def test_override_of_an_undeclared_constant():
    with pytest.raises(SpecError) as info:
        load_text("const N = 3\nagent u[1..N]", "t.tip", {"NN": 4})
    assert info.value.render() == (
        "t.tip:0:0: error: --set NN=4: the spec declares no constant 'NN'\n"
        "  hint: did you mean 'N'?"
    )


def test_a_misspelt_statement_word_is_named_not_read_as_a_sender() -> None:
    """`eavesdrop e on a -> b` parses as a message from an agent `eavesdrop`; the
    error (at `e`) names the statement word that was meant."""
    src = AGENTS + "secret x @ a\na -> b : x\n"
    assert hint(src + "eavesdrop u[1] on a -> b") == (
        "did you mean 'eavesdropper' at the start of the statement?")
    assert hint(src + "queri b learns x") == "did you mean 'query' at the start of the statement?"
    assert one(src + "queri b learns x")[:2] == (5, 7)
    # a real message with a typo elsewhere gets no such hint
    assert hint(src + "a b : x") is None


def test_query_nobody_points_to_assert_and_who() -> None:
    (err,) = spec_errors("agent a, b\nsecret x @ a\na -> b : x\nquery nobody learns x\n")
    assert err[:2] == (4, 7)
    assert "'nobody' is not an agent" in err[2]
