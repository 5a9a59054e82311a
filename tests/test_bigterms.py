"""Big terms written out literally stay linear: a tuple of N parts and a sum of N terms
on one line (benchmarks/bench_bigterms.py times them; the 10,000-part tuple once took
over two minutes, the 100,000-term sum 1.4 GB).

No test here looks at a clock: each counts work (Python calls, bytes allocated,
characters of ASP program) at two sizes, N and 2N, and a quadratic step shows as a
ratio near 4 where a linear one gives 2.
"""

from __future__ import annotations

import dataclasses
import sys
import tracemalloc
from collections.abc import Callable
from typing import Any

import pytest

from tipasp import frontend
from tipasp.compile import Compiler
from tipasp.parser import parse, parse_recover
from tipasp.static import trivially_built

LINEAR = 2.5  # the largest ratio at 2N over N accepted as linear (quadratic: ~4)


def tuple_spec(n: int) -> str:
    parts = ", ".join(f"x[{i}]" for i in range(1, n + 1))
    return f"agent a, b\nsecret x[i] @ a for i in 1..{n}\na -> b : ({parts})\nquery b learns x[7]\n"


def sum_spec(n: int) -> str:
    terms = " + ".join(f"x[{i}]" for i in range(1, n + 1))
    return f"agent a, b\nsecret x[i] @ a for i in 1..{n}\na -> b : {terms}\nquery b learns x[7]\n"


SPECS = {"tuple": tuple_spec, "sum": sum_spec}


def calls(fn: Callable[[], Any]) -> int:
    """How many Python and C functions `fn()` calls (a count of work, not a time)."""
    n = 0

    def count(frame: Any, event: str, arg: Any) -> None:
        nonlocal n
        if event in ("call", "c_call"):
            n += 1

    sys.setprofile(count)
    try:
        fn()
    finally:
        sys.setprofile(None)
    return n


@pytest.fixture(scope="module", autouse=True)
def _warm() -> None:
    """Build the parse table (once per process) before anything is counted."""
    frontend.load_text(tuple_spec(10), "warm.tip")


@pytest.mark.parametrize("kind", sorted(SPECS))
def test_front_end_work_grows_linearly(kind: str) -> None:
    """Parsing, resolving and the static sender check of one N-part term: the calls made
    for 2N parts are about twice those for N."""

    def front_end(n: int) -> Callable[[], None]:
        text = SPECS[kind](n)

        def run() -> None:
            model = frontend.load_text(text, "big.tip")
            for msg in model.messages:
                trivially_built(model, msg)

        return run

    small, large = calls(front_end(1_000)), calls(front_end(2_000))
    assert large / small < LINEAR, (small, large)


@pytest.mark.parametrize("kind", sorted(SPECS))
def test_the_parser_keeps_no_token_list(kind: str) -> None:
    """A one-line term of N parts is about 5N tokens; the scanner hands them to the
    parser one at a time, so parsing allocates hardly more than the tree it returns
    (keeping the tokens of the statement would take about twice the tree again)."""
    text = SPECS[kind](5_000)
    tracemalloc.start()
    try:
        result = parse_recover(text, "big.tip")
        kept, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert not result.diagnostics
    assert peak < 1.3 * kept, (kept, peak)


def test_a_statement_that_fails_is_scanned_again_for_its_message() -> None:
    """The parser keeps no tokens; a syntax error deep in a long line still names its
    place and what was expected there."""
    parts = ", ".join(f"x[{i}]" for i in range(1, 2_001))
    text = f"agent a, b\nsecret x[i] @ a for i in 1..2000\na -> b : ({parts} x[1])\n"
    result = parse_recover(text, "big.tip")
    (diag,) = result.diagnostics
    assert diag.pos.line == 3 and diag.pos.col == text.splitlines()[2].index(" x[1])") + 2
    assert "found 'x'" in diag.message
    assert "x" in result.unparsed_names
    with pytest.raises(Exception, match="found 'x'"):
        parse(text, "big.tip")


class _CountingTuple(tuple):  # type: ignore[type-arg]
    """A tuple that counts how often it is iterated."""

    iterations = 0

    def __iter__(self) -> Any:
        _CountingTuple.iterations += 1
        return super().__iter__()


def test_the_static_check_indexes_the_declarations_once_per_model() -> None:
    """trivially_built runs once per message statement: it must not walk every value
    declaration each time (30,000 messages and 30,000 declarations made that 10^9)."""
    k = 50
    lines = ["agent server"] + [f"agent a{i}" for i in range(k)]
    lines += [f"secret x{i} @ a{i}" for i in range(k)]
    lines += [f"a{i} -> server : x{i}" for i in range(k)]
    model = frontend.load_text("\n".join(lines) + "\n", "many.tip")
    counted = dataclasses.replace(model, values=_CountingTuple(model.values))
    _CountingTuple.iterations = 0
    assert all(trivially_built(counted, msg) for msg in counted.messages)
    assert _CountingTuple.iterations <= 2


def _program_chars(n: int) -> int:
    """The size, in characters, of the ASP program compiled for an N-part tuple."""
    model = frontend.load_text(tuple_spec(n), "big.tip")
    return sum(len(str(rule)) for rule in Compiler(model).compile())


def test_the_asp_program_of_a_tuple_grows_linearly() -> None:
    small, large = _program_chars(300), _program_chars(600)
    assert large / small < LINEAR, (small, large)
