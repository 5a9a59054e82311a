"""Spec text to syntax tree (`tipasp.syntax`).

The work is split in two so that one bad line never hides the errors of the others:

1. A scanner walks the whole text once with a single regular expression. It
   tokenizes, drops comments (keeping them for the formatter), and cuts the token
   stream into logical statements: a statement ends at a newline unless a bracket
   is open or the line ends in `\\`. Bracket mistakes, unknown characters and
   numbers too large for clingo's 32-bit integers are reported here.
2. Each statement is parsed on its own with the LALR(1) table that lark builds
   from `grammar/tipasp.lark` (loaded as package data). The table is driven by a
   small loop here rather than by lark's own parser object: the per-statement and
   per-token overhead is what decides whether a 100,000-line spec takes one second
   or eight. The syntax tree is built by `_Builder`'s callbacks, wrapped by lark as
   usual. A syntax error is reported in words ("expected a term, found ')'") at the
   offending token, and the next statement is parsed as if nothing happened.

The scanner is a generator and the parser takes each token as it is made, so no
list of tokens is ever kept: a one-line sum of 100,000 terms is half a million
tokens, and holding them would double the memory of the whole front end. Only a
statement that fails to parse is scanned again, for its error message.

`parse_recover` returns the statements that parsed, every diagnostic, and the
names mentioned in the statements that did not parse (so that the resolver does
not report them as undeclared a second time). `parse` raises instead.
"""

from __future__ import annotations

import difflib
import gc
import importlib.resources
import re
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Literal, NamedTuple

import lark
from lark.lexer import Lexer
from lark.parsers.lalr_analysis import Shift

from . import syntax as S
from .errors import Diagnostic, SpecError
from .model import Pos

# ------------------------------------------------------------------------- vocabulary

#: Reserved words: never a name (docs/language.md).
KEYWORDS: frozenset[str] = frozenset(
    "const agent public secret random key keypair noise shares function collude corrupt "
    "eavesdropper query assert not who learns leakage to after for in if sum of with step "
    "mod malicious intruder protocol session fresh allow".split()
)

#: Words that are keywords only where the grammar expects them, names elsewhere.
SOFT_KEYWORDS: dict[str, str] = {
    **{
        w: w.upper()
        for w in (
            "range", "sensitivity", "threshold", "on", "within", "at", "nobody", "what", "only",
            "allowed", "learn", "from",
        )
    },
    "and": "_AND",  # `if i < j and j < k`: the same as a comma
}

#: Keywords that begin a statement (used to recover from an unclosed bracket).
STATEMENT_KEYWORDS: frozenset[str] = frozenset(
    "const agent public secret random key keypair noise shares function collude corrupt "
    "eavesdropper malicious intruder query assert protocol session fresh allow".split()
)

INT_MAX = 2**31 - 1  # clingo integers are 32-bit signed
MAX_DIAGNOSTICS = 100  # errors reported for one spec (binary garbage makes thousands)
MAX_BRACKET_DEPTH = 64  # deeper nesting is refused (keeps every later pass shallow)
MAX_EXPR_DEPTH = 150  # nesting of expression nodes (a flat `+` chain counts once)

_OPS: dict[str, str] = {
    "->": "_ARROW",
    "..": "_DOTDOT",
    "<=": "CMP",
    ">=": "CMP",
    "==": "CMP",
    "!=": "CMP",
    "<": "CMP",
    ">": "CMP",
    "-": "MINUS",
    "+": "PLUS",
    "*": "STAR",
    "/": "SLASH",
    "%": "PERCENT",
    "=": "_EQ",
    ",": "_COMMA",
    "@": "_ATSIGN",
    ":": "_COLON",
    "~": "_TILDE",
    "(": "LPAR",
    ")": "_RPAR",
    "[": "_LSQB",
    "]": "_RSQB",
    "{": "LBRACE",
    "}": "_RBRACE",
    ".": "_DOT",
    "?": "QMARK",
}
_OPENERS = {"(": ")", "[": "]", "{": "}"}
_BRACKETS = frozenset("()[]{}")
_KEYWORD_TYPES = {w: w.upper() for w in KEYWORDS}


class Tok(NamedTuple):
    """A token: its grammar terminal (`type`), its text, and where it is (1-based line
    and column, 0-based offsets). A plain tuple: cheap to make by the million."""

    type: str
    value: str
    start_pos: int
    line: int
    column: int
    end_line: int
    end_column: int
    end_pos: int


# Line breaks exactly as str.splitlines() sees them, so that our line numbers and
# the source line that Diagnostic.render prints always agree.
_NL_CHARS = "\n\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029"
_NL = f"\r\n|[{_NL_CHARS}]"
_NUM = r"[0-9]+(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?"
_TOKEN_RE = re.compile(
    f"(?P<nl>{_NL})"
    r"|(?P<ws>[ \t]+)"
    f"|(?P<comment>#[^{_NL_CHARS}]*)"
    f"|(?P<cont>\\\\[ \\t]*(?=(?:{_NL})|\\Z))"
    f"|(?P<num>{_NUM}[A-Za-z0-9_]*)"  # a number glued to a name is checked below
    r"|(?P<name>[A-Za-z_][A-Za-z0-9_]*)"
    r"|(?P<op>->|\.\.|<=|>=|==|!=|[-+*/%=,@:~<>()\[\]{}.?])"
    r"|(?P<bad>.)",
    re.DOTALL,
)
_NUM_RE = re.compile(_NUM)

# ---------------------------------------------------------------------------- scanner


class _Close(NamedTuple):
    """The end of a statement in the scanner's token stream (`type` is always "$CLOSE"):
    whether scanning found a problem in the statement, and its first and last lines.

    For protocol blocks (docs/language.md): `depth` is the number of blocks open when
    the statement began (its body statements have depth 1), `opens` marks a block's
    head `protocol NAME(...) {`, `closes` the `}` that ends a block."""

    type: str
    broken: bool
    first_line: int
    last_line: int
    depth: int = 0
    opens: bool = False
    closes: bool = False


def _describe_char(ch: str) -> str:
    """A character as an error message shows it: quoted if printable, else its code point."""
    if ch.isprintable() and not ch.isspace():
        return f"'{ch}'"
    return f"U+{ord(ch):04X}"


def _check_number(text: str) -> str | None:
    """Why a number literal cannot be used (too large for clingo), or None if it is fine."""
    if text.isdigit():
        if len(text.lstrip("0")) > 10 or int(text) > INT_MAX:
            return f"number too large: {_short(text)} (integers must be at most {INT_MAX})"
        return None
    if float(text) == float("inf"):
        return f"number too large: {_short(text)}"
    return None


def _short(text: str, limit: int = 24) -> str:
    """`text`, cut to `limit` characters for an error message."""
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _tokens(
    source: str,
    file: str,
    diags: list[Diagnostic],
    comments: list[S.Comment],
    begin: int = 0,
    endpos: int | None = None,
    line: int = 1,
    line_start: int = 0,
    depth: int = 0,
) -> Iterator[Tok | _Close]:
    """Tokenize `source` and cut it into logical statements (see the module docstring):
    yields each statement's tokens, then a `_Close`. Problems go to `diags`, comments to
    `comments`.

    `begin` and `endpos` scan only `source[begin:endpos]`, which starts on line `line`, whose
    first character is at offset `line_start`, inside `depth` protocol blocks (to scan
    one statement again). A token that cannot be used (an invalid or too large number,
    an unknown character) has type BAD, which no parser state accepts.

    Protocol blocks: the `{` that ends a statement beginning with `protocol` (outside
    brackets) opens a block and ends that statement; inside a block, statements are cut
    by lines as everywhere; a `}` outside brackets ends the statement before it and
    begins one (type BLOCK_END) that closes the block. A statement keyword other than
    `fresh` at column 1 inside a block means the block was left open: it is reported
    and closed there.
    """
    broken = False
    stack: list[tuple[str, Pos]] = []
    first_line = 0
    started = False  # the current statement has a token
    cont = False  # the current line ended in `\`
    line_has_code = False
    blocks: list[Pos] = [Pos(file, 0, 0)] * depth  # the `{` of each open protocol block
    stmt_depth = 0  # blocks open when the current statement began
    stmt_first = ""  # the type of the current statement's first token
    opens = closes = False  # the current statement opens / closes a block

    def fail(pos: Pos, message: str, hint: str | None = None) -> None:
        """Record the first problem of the current statement and mark it broken."""
        nonlocal broken
        if not broken:
            diags.append(Diagnostic(pos, message, hint))
        broken = True

    def close(last_line: int) -> _Close | None:
        """End the current statement at `last_line` (reporting an open bracket)."""
        nonlocal broken, stack, started, opens, closes
        if stack:
            ch, pos = stack[-1]
            fail(pos, f"'{ch}' was never closed")
        out = (
            _Close("$CLOSE", broken, first_line, last_line, stmt_depth, opens, closes)
            if started
            else None
        )
        broken = False
        stack = []
        started = False
        opens = closes = False
        return out

    def unclosed_blocks() -> None:
        """Report every open protocol block as never closed, and forget them."""
        for p in blocks:
            diags.append(
                Diagnostic(p, "'{' was never closed", "close the protocol block with '}'")
            )
        blocks.clear()

    new_tok = tuple.__new__  # Tok(...) without the keyword-argument machinery
    matches = (
        _TOKEN_RE.finditer(source, begin)
        if endpos is None
        else _TOKEN_RE.finditer(source, begin, endpos)
    )
    for m in matches:
        kind = m.lastgroup
        if kind == "ws":
            continue
        start = m.start()
        if kind == "nl":
            if not stack and not cont:
                done = close(line)
                if done is not None:
                    yield done
            line += 1
            line_start = m.end()
            cont = False
            line_has_code = False
            continue
        col = start - line_start + 1
        text = m.group()
        if kind == "name":
            ttype = _KEYWORD_TYPES.get(text, "NAME")
            if stack and not line_has_code and text in STATEMENT_KEYWORDS:
                # A statement keyword cannot stand inside brackets: the bracket left
                # open on an earlier line is the mistake; resynchronise here.
                done = close(line - 1)
                if done is not None:
                    yield done
            if blocks and not started and col == 1 and text in STATEMENT_KEYWORDS:
                if text != "fresh":  # a block's body is indented: this line is not in it
                    unclosed_blocks()
        elif kind == "op":
            ttype = _OPS[text]
            if text == "}" and blocks and not stack:
                # the end of a protocol block: a statement of its own
                if started:
                    yield close(line)  # type: ignore[misc]
                ttype = "BLOCK_END"
        elif kind == "comment":
            comments.append(S.Comment(line, col, text.rstrip(), line_has_code))
            continue
        elif kind == "cont":
            cont = True
            continue
        elif kind == "num":
            # a number that cannot be used is BAD: the parser must not build it
            hint = None
            if _NUM_RE.fullmatch(text):
                problem = _check_number(text)
            else:
                problem = f"invalid number '{_short(text)}'"
                hint = "a name cannot start with a digit"
            ttype = "NUMBER" if problem is None else "BAD"
        else:
            ttype = "BAD"
        if not started:
            first_line = line
            started = True
            stmt_depth = len(blocks)
            stmt_first = ttype
        line_has_code = True
        yield new_tok(Tok, (ttype, text, start, line, col, line, col + len(text), m.end()))
        if kind == "name" or (kind == "op" and text not in _BRACKETS):
            continue
        pos = Pos(file, line, col)
        if kind == "op":
            if text in _OPENERS:
                if text == "{" and stmt_first == "PROTOCOL" and all(c == "(" for c, _ in stack):
                    # `protocol NAME(A, B) {`: the head ends here, the block begins
                    if stack:  # `protocol p(A, B {`
                        fail(stack[0][1], "'(' was never closed")
                        stack = []
                    blocks.append(pos)
                    opens = True
                    yield close(line)  # type: ignore[misc]
                    continue
                stack.append((text, pos))
                if len(stack) > MAX_BRACKET_DEPTH:
                    fail(pos, f"brackets nested too deeply (more than {MAX_BRACKET_DEPTH} levels)")
            elif not stack:
                if ttype == "BLOCK_END":
                    blocks.pop()
                    closes = True
                    continue
                fail(pos, f"unmatched '{text}'")
            else:
                opener, opos = stack.pop()
                if _OPENERS[opener] != text:
                    fail(
                        pos,
                        f"'{text}' does not match '{opener}' "
                        f"at line {opos.line}, column {opos.col}",
                    )
        elif kind == "num":
            if problem is not None:
                fail(pos, problem, hint)
        elif text == "\\":
            fail(pos, "'\\' continues a statement only at the very end of a line")
        else:
            hint = None
            if text.isalpha():
                hint = "names use only ASCII letters, digits and '_'"
            elif text == "!":
                hint = "'not' is written as a word: assert not a learns x"
            fail(pos, f"unexpected character {_describe_char(text)}", hint)
    done = close(line)
    if done is not None:
        yield done
    unclosed_blocks()


def _statement_tokens(
    source: str, file: str, first: Tok, last: Tok, depth: int = 0
) -> list[Tok]:
    """The tokens of the statement from `first` to `last` (begun inside `depth` protocol
    blocks), scanned again (the parser keeps none; only a statement that fails to parse
    needs them, for its message)."""
    line_start = first.start_pos - first.column + 1
    stream = _tokens(
        source, file, [], [], first.start_pos, last.end_pos, first.line, line_start, depth
    )
    return [t for t in stream if type(t) is Tok]


# ------------------------------------------------------------------- the LALR parser


class _NoLexer(Lexer):
    """Placeholder lexer for lark: tokens come from `_tokens`, and `_Table.parse`
    drives lark's LALR table itself, so lark never lexes anything."""

    __future_interface__ = 2

    def __init__(self, lexer_conf: Any) -> None:
        pass

    def lex(self, lexer_state: Any, parser_state: Any) -> Iterator[Any]:  # pragma: no cover
        raise RuntimeError("tipasp drives the parse table itself; lark never lexes")


class _NodeError(Exception):
    """Raised by the tree builder for a problem it finds itself (nesting too deep)."""

    def __init__(self, pos: Pos, message: str) -> None:
        super().__init__(message)
        self.pos = pos
        self.message = message


class _AddBuilder:
    """A `+`/`-` chain under construction (mutable, so that long chains cost O(n))."""

    __slots__ = ("first", "rest", "pos", "depth")

    def __init__(self, first: S.Expr, pos: Pos) -> None:
        self.first = first
        self.rest: list[tuple[Literal["+", "-"], S.Expr]] = []
        self.pos = pos
        self.depth = first.depth + 1

    def freeze(self) -> S.Add:
        """The finished chain as a frozen `Add` node."""
        return S.Add(self.first, tuple(self.rest), self.pos, self.depth)


def _fin(x: Any) -> Any:
    """`x`, with an unfinished `+` chain frozen into an `Add` node."""
    return x.freeze() if isinstance(x, _AddBuilder) else x


def _finalizing(method: Callable[[Any, list[Any]], Any]) -> Callable[[Any, list[Any]], Any]:
    """Decorate a tree-builder callback so that it never sees an unfinished `+` chain."""

    def wrapped(self: Any, children: list[Any]) -> Any:
        return method(self, [_fin(c) for c in children])

    wrapped.__name__ = method.__name__
    wrapped.__doc__ = method.__doc__
    return wrapped


def _binder_parts(b: S.Binder | S.AgentBinder) -> list[S.Expr]:
    """The expressions inside a binder (for the nesting depth)."""
    return list(b.agents) if isinstance(b, S.AgentBinder) else [b.lo, b.hi]


def _nodes(children: list[Any]) -> list[Any]:
    """The children that are syntax nodes (not tokens)."""
    return [c for c in children if not isinstance(c, Tok)]


class _Builder(lark.Transformer):
    """Builds `tipasp.syntax` nodes while the LALR parser reduces (no lark Tree is made)."""

    def __init__(self) -> None:
        super().__init__(visit_tokens=False)
        self.file = "<string>"

    # -- helpers ----------------------------------------------------------------------

    def _pos(self, x: Any) -> Pos:
        """The position of a token or node."""
        if isinstance(x, Tok):
            return Pos(self.file, x.line, x.column)
        return x.pos

    @staticmethod
    def _depth(pos: Pos, *subs: Any) -> int:
        """The nesting depth of a new node over `subs`; refuses too deep a nesting."""
        d = 1 + max((getattr(s, "depth", 1) for s in subs), default=0)
        if d > MAX_EXPR_DEPTH:
            raise _NodeError(pos, f"expression nested too deeply (more than {MAX_EXPR_DEPTH})")
        return d

    def _gen(self, children: list[Any]) -> S.Gen | None:
        """The trailing generator among the children, if any."""
        gens = [c for c in children if isinstance(c, S.Gen)]
        return gens[0] if gens else None

    # -- statements ---------------------------------------------------------------------

    def start(self, c: list[Any]) -> Any:
        """The statement itself."""
        return c[0]

    @_finalizing
    def const_stmt(self, c: list[Any]) -> S.ConstStmt:
        """`const N = e`."""
        kw, name, value = c
        return S.ConstStmt(name.value, value, self._pos(kw), self._pos(name))

    def agent_stmt(self, c: list[Any]) -> S.AgentStmt:
        """`agent a, u[1..N] [for ...]`."""
        return S.AgentStmt(c[1], self._gen(c), self._pos(c[0]))

    def public_stmt(self, c: list[Any]) -> S.PublicStmt:
        """`public g, p [for ...]`."""
        return S.PublicStmt(c[1], self._gen(c), self._pos(c[0]))

    def value_stmt(self, c: list[Any]) -> S.ValueStmt:
        """`secret|random|key names @ holders [options] [for ...]`."""
        opts = tuple(x for x in c if isinstance(x, S.ValueOpt))
        return S.ValueStmt(c[0].value, c[1], c[2], opts, self._gen(c), self._pos(c[0]))

    @_finalizing
    def value_opt(self, c: list[Any]) -> S.ValueOpt:
        """`range lo..hi` or `sensitivity x`."""
        return S.ValueOpt(c[0].value, tuple(c[1:]), self._pos(c[0]))

    @_finalizing
    def noise_stmt(self, c: list[Any]) -> S.NoiseStmt:
        """`noise e ~ dist(scale) @ holders [for ...]`."""
        kw, items, dist, _lpar, scale, holders = c[:6]
        return S.NoiseStmt(
            items, dist.value, scale, holders, self._gen(c), self._pos(kw), self._pos(dist)
        )

    @_finalizing
    def shares_stmt(self, c: list[Any]) -> S.SharesStmt:
        """`shares s[1..n] of t threshold k @ holders [for ...]`."""
        kw, target, _of, of, _thr, threshold, holders = c[:7]
        return S.SharesStmt(target, of, threshold, holders, self._gen(c), self._pos(kw))

    def keypair_stmt(self, c: list[Any]) -> S.KeypairStmt:
        """`keypair a, b [for ...]`."""
        return S.KeypairStmt(c[1], self._gen(c), self._pos(c[0]))

    def function_stmt(self, c: list[Any]) -> S.FunctionStmt:
        """`function f/2, g/1`."""
        return S.FunctionStmt(tuple(c[1:]), self._pos(c[0]))

    def fsig(self, c: list[Any]) -> S.FunctionSig:
        """`f/2`."""
        name, _slash, num = c
        return S.FunctionSig(name.value, self.number([num]), self._pos(name))

    @_finalizing
    def message_stmt(self, c: list[Any]) -> S.MessageStmt:
        """`[label:] sender -> receiver : term [for ...]`."""
        label: Tok | None = c[0] if isinstance(c[0], Tok) else None
        rest = c[1:] if label is not None else c
        sender, (receiver, rpos), term = rest[0], rest[1], rest[2]
        first = label if label is not None else sender
        return S.MessageStmt(
            label.value if label is not None else None,
            sender,
            receiver,
            term,
            self._gen(c),
            self._pos(first),
            self._pos(label) if label is not None else self._pos(sender),
            rpos,
        )

    def receiver(self, c: list[Any]) -> tuple[S.Ref | None, Pos]:
        """A receiver: an agent, or `*` (None), with its position."""
        x = c[0]
        if isinstance(x, Tok):  # `*`
            return None, self._pos(x)
        return x, x.pos

    def collude_stmt(self, c: list[Any]) -> S.ColludeStmt:
        """`collude a, b [for ...]`."""
        return S.ColludeStmt(c[1], self._gen(c), self._pos(c[0]))

    @_finalizing
    def corrupt_stmt(self, c: list[Any]) -> S.CorruptStmt:
        """`corrupt k of u[lo..hi] [with a, b]`."""
        kw, count, _of, family = c[:4]
        with_ = c[5] if len(c) > 5 else ()
        return S.CorruptStmt(count, family, with_, self._pos(kw))

    @_finalizing
    def corrupt_named_stmt(self, c: list[Any]) -> S.CorruptStmt:
        """`corrupt k of {a, b, c} [with d]`."""
        kw, count, _of, _lbrace, named = c[:5]
        with_ = c[6] if len(c) > 6 else ()
        return S.CorruptStmt(count, named[0], with_, self._pos(kw), named=tuple(named))

    def eaves_stmt(self, c: list[Any]) -> S.EavesStmt:
        """`eavesdropper e [on a -> b] [for ...]`."""
        link = None
        if len(c) > 2 and isinstance(c[2], Tok) and c[2].type == "ON":
            link = (c[3], c[4][0])
        return S.EavesStmt(c[1], link, self._gen(c), self._pos(c[0]))

    def malicious_stmt(self, c: list[Any]) -> S.AdversaryStmt:
        """`malicious a, b [for ...]`."""
        return S.AdversaryStmt("malicious", c[1], self._gen(c), self._pos(c[0]))

    def intruder_stmt(self, c: list[Any]) -> S.AdversaryStmt:
        """`intruder e [for ...]`."""
        return S.AdversaryStmt("intruder", c[1], self._gen(c), self._pos(c[0]))

    def protocol_head(self, c: list[Any]) -> S.ProtocolHead:
        """`protocol NAME(A, B, ...) {`."""
        kw, name = c[0], c[1]
        params = tuple((t.value, self._pos(t)) for t in c[3:] if t.type == "NAME")
        return S.ProtocolHead(name.value, params, self._pos(kw), self._pos(name))

    def fresh_stmt(self, c: list[Any]) -> S.FreshStmt:
        """`fresh v1, v2 @ A` (inside a protocol block)."""
        return S.FreshStmt(c[1], c[2], self._pos(c[0]))

    def block_end(self, c: list[Any]) -> S.BlockEnd:
        """The `}` that closes a protocol block."""
        return S.BlockEnd(self._pos(c[0]))

    def session_stmt(self, c: list[Any]) -> S.SessionStmt:
        """`session S = NAME(a, b) [for ...]`."""
        kw, target, name, _lpar, args = c[:5]
        return S.SessionStmt(target, name.value, args, self._gen(c), self._pos(kw), self._pos(name))

    def _after(self, c: list[Any]) -> S.After | None:
        """The `after` clause among the children, if any."""
        found = [x for x in c if isinstance(x, S.After)]
        return found[0] if found else None

    def _target_and_coalition(self, c: list[Any]) -> tuple[S.Expr, S.Coalition | None]:
        """A question's target term and coalition, from its children."""
        coal = next((x for x in c if isinstance(x, S.Coalition)), None)
        exprs = [x for x in _nodes(c) if not isinstance(x, (S.Coalition, S.After, S.Gen))]
        return exprs[0], coal

    @_finalizing
    def query_who(self, c: list[Any]) -> S.QueryStmt:
        """`query who learns t [after s] [for ...]`."""
        target, _ = self._target_and_coalition(c)
        return S.QueryStmt("who", target, None, self._after(c), None, self._gen(c), self._pos(c[0]))

    @_finalizing
    def query_learns(self, c: list[Any]) -> S.QueryStmt:
        """`query C learns t [after s] [for ...]`."""
        coal, target = c[1], c[3]
        return S.QueryStmt(
            "learns", target, coal, self._after(c), None, self._gen(c), self._pos(c[0])
        )

    @_finalizing
    def query_what(self, c: list[Any]) -> S.QueryStmt:
        """`query what C learns [after s] [for ...]` (a whole view: no target)."""
        coal = c[2]
        return S.QueryStmt("what", None, coal, self._after(c), None, self._gen(c), self._pos(c[0]))

    @_finalizing
    def query_leakage(self, c: list[Any]) -> S.QueryStmt:
        """`query leakage of t to C [at d] [for ...]`."""
        target, coal = c[3], c[5]
        at = [j for j, x in enumerate(c) if isinstance(x, Tok) and x.type == "AT"]
        delta = c[at[0] + 1] if at else None
        return S.QueryStmt(
            "leakage", target, coal, self._after(c), delta, self._gen(c), self._pos(c[0])
        )

    @_finalizing
    def assert_not(self, c: list[Any]) -> S.AssertStmt:
        """`assert not C learns t [after s] [for ...]`."""
        return S.AssertStmt(
            "not_learns", c[4], c[2], self._after(c), None, None, self._gen(c), self._pos(c[0])
        )

    @_finalizing
    def assert_learns(self, c: list[Any]) -> S.AssertStmt:
        """`assert C learns t [after s] [for ...]`."""
        return S.AssertStmt(
            "learns", c[3], c[1], self._after(c), None, None, self._gen(c), self._pos(c[0])
        )

    @_finalizing
    def assert_only(self, c: list[Any]) -> S.AssertStmt:
        """`assert only allowed learn t [after s] [for ...]`."""
        return S.AssertStmt(
            "only_allowed", c[4], None, self._after(c), None, None, self._gen(c), self._pos(c[0])
        )

    def allow_stmt(self, c: list[Any]) -> S.AllowStmt:
        """`allow a, b learns t [from L1] [to L2]`."""
        kw, refs, _learns, target = c[:4]
        rest = c[4:]
        after = {rest[j].type: rest[j + 1] for j in range(0, len(rest) - 1, 2)}
        start, end = after.get("FROM"), after.get("TO")
        return S.AllowStmt(
            tuple(refs), _fin(target),
            start.value if start else None, self._pos(start) if start else S.NOPOS,
            end.value if end else None, self._pos(end) if end else S.NOPOS, self._pos(kw),
        )

    @_finalizing
    def assert_nobody(self, c: list[Any]) -> S.AssertStmt:
        """`assert nobody learns t [after s] [for ...]`."""
        return S.AssertStmt(
            "nobody", c[3], None, self._after(c), None, None, self._gen(c), self._pos(c[0])
        )

    @_finalizing
    def assert_leakage(self, c: list[Any]) -> S.AssertStmt:
        """`assert leakage of t to C within e[, d] [for ...]`."""
        target, coal = c[3], c[5]
        within = next(j for j, x in enumerate(c) if isinstance(x, Tok) and x.type == "WITHIN")
        eps = c[within + 1]
        rest = [x for x in c[within + 2 :] if not isinstance(x, S.Gen)]
        delta = rest[0] if rest else None
        return S.AssertStmt(
            "leakage_within", target, coal, self._after(c), eps, delta, self._gen(c),
            self._pos(c[0]),
        )

    def after(self, c: list[Any]) -> S.After:
        """`after label`, `after 3` or `after step 3`."""
        kw, arg = c[0], c[-1]
        step_kw = len(c) == 3
        if arg.type == "NAME":
            return S.After(arg.value, None, False, self._pos(kw), self._pos(arg))
        return S.After(None, self.number([arg]), step_kw, self._pos(kw), self._pos(arg))

    def coalition(self, c: list[Any]) -> S.Coalition:
        """`a` or `{a, b}`."""
        if isinstance(c[0], Tok):  # `{ refs }`
            return S.Coalition(c[1], True, self._pos(c[0]))
        return S.Coalition((c[0],), False, c[0].pos)

    # -- names and generators -------------------------------------------------------------

    def refs(self, c: list[Any]) -> tuple[S.Ref, ...]:
        """`r1, r2, ...`."""
        return tuple(c)

    @_finalizing
    def ref(self, c: list[Any]) -> S.Ref:
        """`name` or `name[i1, i2, ...]`."""
        name = c[0]
        pos = self._pos(name)
        if len(c) == 1:
            return S.Ref(name.value, None, pos)
        index = tuple(c[1:])
        return S.Ref(name.value, index, pos, self._depth(pos, *index))

    @_finalizing
    def range_index(self, c: list[Any]) -> S.RangeIdx:
        """`lo..hi` inside brackets."""
        return S.RangeIdx(c[0], c[1], c[0].pos)

    def gen(self, c: list[Any]) -> S.Gen:
        """`for binders [if conditions]`."""
        binders = tuple(x for x in c if isinstance(x, (S.Binder, S.AgentBinder)))
        conds = tuple(x for x in c if isinstance(x, S.Cond))
        return S.Gen(binders, conds, self._pos(c[0]))

    @_finalizing
    def binder(self, c: list[Any]) -> S.Binder:
        """`var in lo..hi`."""
        var, _in, lo, hi = c
        return S.Binder(var.value, lo, hi, self._pos(var))

    @_finalizing
    def agent_family_binder(self, c: list[Any]) -> S.AgentBinder:
        """`var in u[1..N]` (checked by the resolver: anything else is reported there)."""
        var, _in, fam = c
        return S.AgentBinder(var.value, (fam,), True, self._pos(var))

    def agent_set_binder(self, c: list[Any]) -> S.AgentBinder:
        """`var in {alice, bob}`."""
        var, _in, _lbrace, refs = c
        return S.AgentBinder(var.value, tuple(refs), False, self._pos(var))

    @_finalizing
    def cond(self, c: list[Any]) -> S.Cond:
        """`left OP right`."""
        left, op, right = c
        return S.Cond(op.value, left, right, left.pos)

    # -- expressions ----------------------------------------------------------------------

    def add(self, c: list[Any]) -> _AddBuilder:
        """`left + right` or `left - right`: extends a flat chain."""
        left, op, right = c[0], c[1], _fin(c[2])
        if not isinstance(left, _AddBuilder):
            left = _AddBuilder(left, left.pos)
        left.rest.append((op.value, right))
        if right.depth + 1 > left.depth:
            left.depth = self._depth(left.pos, right)
        return left

    def mul(self, c: list[Any]) -> S.Mul:
        """`left * right`, `/`, `%` or `mod`."""
        left, op, right = c
        pos = left.pos
        return S.Mul(op.value, left, right, pos, self._pos(op), self._depth(pos, left, right))

    def neg(self, c: list[Any]) -> S.Neg:
        """`-e`."""
        pos = self._pos(c[0])
        return S.Neg(c[1], pos, self._depth(pos, c[1]))

    def unchecked(self, c: list[Any]) -> S.Unchecked:
        """`?e`: a message part its receiver accepts unchecked."""
        pos = self._pos(c[0])
        inner = _fin(c[1])
        return S.Unchecked(inner, pos, self._depth(pos, inner))

    @_finalizing
    def session_value(self, c: list[Any]) -> S.SessionValue:
        """`S.v` or `s[3].v`."""
        ref, name = c
        return S.SessionValue(ref, name.value, ref.pos, self._pos(name), self._depth(ref.pos, ref))

    def number(self, c: list[Any]) -> S.Num:
        """A number literal."""
        tok = c[0]
        text = tok.value
        value: int | float = int(text) if text.isdigit() else float(text)
        return S.Num(text, value, self._pos(tok))

    @_finalizing
    def call(self, c: list[Any]) -> S.Call:
        """`f(t1, t2, ...)`."""
        name = c[0]
        args = tuple(c[2:])
        pos = self._pos(name)
        return S.Call(name.value, args, pos, self._depth(pos, *args))

    @_finalizing
    def paren(self, c: list[Any]) -> S.Paren:
        """`(e)`."""
        pos = self._pos(c[0])
        return S.Paren(c[1], pos, self._depth(pos, c[1]))

    @_finalizing
    def tuple_expr(self, c: list[Any]) -> S.TupleExpr:
        """`(t1, t2, ...)`."""
        pos = self._pos(c[0])
        parts = tuple(c[1:])
        return S.TupleExpr(parts, pos, self._depth(pos, *parts))

    @_finalizing
    def sum_expr(self, c: list[Any]) -> S.SumExpr:
        """`sum(body for ...)`."""
        kw, _lpar, body, gen = c
        pos = self._pos(kw)
        subs = [body] + [x for b in gen.binders for x in _binder_parts(b)]
        return S.SumExpr(body, gen, pos, self._depth(pos, *subs))


class _Table:
    """lark's LALR(1) table for the grammar, recoded for a fast driver loop.

    `actions[state][terminal or rule name]` is `(True, next_state)` for a shift and
    `(False, size, callback, rule_name, unit)` for a reduction; `callback` is lark's
    wrapper around the `_Builder` method for the rule (it drops `_` tokens and
    inlines `?rule`s, exactly as lark's own parser would), and `unit` marks a
    `?rule` of one symbol, whose reduction just passes the child on.
    """

    def __init__(self) -> None:
        grammar = (importlib.resources.files("tipasp.grammar") / "tipasp.lark").read_text(
            encoding="utf-8"
        )
        self.builder = _Builder()
        parser = lark.Lark(
            grammar,
            parser="lalr",
            lexer=_NoLexer,
            maybe_placeholders=False,
            transformer=self.builder,
        )
        table, callbacks = _lalr_internals(parser)
        self.start: int = table.start_states["start"]
        self.end: int = table.end_states["start"]
        self.actions: dict[int, dict[str, tuple[Any, ...]]] = {}
        for state, acts in table.states.items():
            row: dict[str, tuple[Any, ...]] = {}
            for key, (action, arg) in acts.items():
                if action is Shift:
                    row[str(key)] = (True, arg)
                else:
                    size = len(arg.expansion)
                    # A `?rule` with one symbol just passes its child on: no call needed.
                    unit = size == 1 and arg.options.expand1 and not arg.alias
                    row[str(key)] = (False, size, callbacks[arg], str(arg.origin.name), unit)
            self.actions[state] = row

    def parse(
        self, items: Iterator[Tok | _Close]
    ) -> Iterator[tuple[_Close, Any, _Stuck | _NodeError | None, Tok, Tok]]:
        """Parse the statements of a token stream (`_tokens`) as their tokens arrive.

        Yields, per statement: its `_Close`, its syntax node (None if it did not
        parse), the problem that stopped the parse (a `_Stuck` at a bad token or a
        `_NodeError`; None if it parsed), and its first and last tokens. After a
        problem the rest of the statement's tokens are skipped.
        """
        actions = self.actions
        start, end = self.start, self.end
        soft_keywords = SOFT_KEYWORDS
        stack = [start]
        values: list[Any] = []
        i = 0  # the index of `tok` in its statement
        first: Tok | None = None
        prev: Tok | None = None
        problem: _Stuck | _NodeError | None = None
        result: Any = None
        for item in items:
            closing: _Close | None = None
            if isinstance(item, _Close):
                closing = item
                assert prev is not None  # a statement has a token
                tok = Tok(
                    "$END",
                    "",
                    prev.end_pos,
                    prev.end_line,
                    prev.end_column,
                    prev.end_line,
                    prev.end_column,
                    prev.end_pos,
                )
            else:
                tok = item
            ttype = tok.type
            if problem is None:
                acts = actions[stack[-1]]
                if ttype == "NAME":
                    soft = soft_keywords.get(tok.value)
                    if soft is not None and soft in acts:
                        tok = tok._replace(type=soft)
                        ttype = soft
                try:
                    while True:
                        act = acts.get(ttype)
                        if act is None:
                            problem = _Stuck(i, tok)
                            break
                        if act[0]:
                            stack.append(act[1])
                            values.append(tok)
                            break
                        _, size, callback, origin, unit = act
                        if unit:
                            del stack[-1]
                            new_state = actions[stack[-1]][origin][1]
                            stack.append(new_state)
                            acts = actions[new_state]
                            continue
                        if size:
                            children = values[-size:]
                            del values[-size:]
                            del stack[-size:]
                        else:
                            children = []
                        value = callback(children)
                        new_state = actions[stack[-1]][origin][1]
                        stack.append(new_state)
                        if new_state == end and ttype == "$END":
                            result = value
                            break
                        values.append(value)
                        acts = actions[new_state]
                except _NodeError as e:
                    problem = e
            if closing is None:
                if first is None:
                    first = tok
                prev = tok
                i += 1
                continue
            assert first is not None and prev is not None
            yield closing, result, problem, first, prev
            stack = [start]
            values = []
            i = 0
            first = prev = None
            problem = result = None

    def acceptable(self, toks: list[Tok], index: int) -> set[str]:
        """The terminals that could follow `toks[:index]` (exact, unlike the table row)."""
        stack = self._stack_after(toks[:index])
        found: set[str] = set()
        for t in self.actions[stack[-1]]:
            if not (t.isupper() or t == "$END"):
                continue
            st = list(stack)
            while True:
                act = self.actions[st[-1]].get(t)
                if act is None:
                    break
                if act[0]:
                    found.add(t)
                    break
                if act[1]:
                    del st[-act[1] :]
                st.append(self.actions[st[-1]][act[3]][1])
                if t == "$END" and st[-1] == self.end:
                    found.add(t)
                    break
        return found

    def _stack_after(self, toks: list[Tok]) -> list[int]:
        """The parser's state stack after shifting `toks` (a prefix known to parse)."""
        stack = [self.start]
        for tok in toks:
            ttype = tok.type
            if ttype == "NAME" and SOFT_KEYWORDS.get(tok.value) in self.actions[stack[-1]]:
                ttype = SOFT_KEYWORDS[tok.value]
            while True:
                act = self.actions[stack[-1]][ttype]
                if act[0]:
                    stack.append(act[1])
                    break
                if act[1]:
                    del stack[-act[1] :]
                stack.append(self.actions[stack[-1]][act[3]][1])
        return stack


class _Stuck(Exception):
    """The parser cannot take token number `index` (`tok`, possibly `$END`)."""

    def __init__(self, index: int, tok: Tok) -> None:
        super().__init__(tok.type)
        self.index = index
        self.tok = tok


_lock = threading.Lock()
_table: _Table | None = None


def _lalr_internals(parser: lark.Lark) -> tuple[Any, Any]:
    """The LALR parse table and the reduction callbacks inside a lark parser: the one
    place that reads lark's private parser objects (pinned to lark 1.x in
    pyproject.toml). Another lark fails here with a clear message, not deep inside
    a parse."""
    try:
        lalr = parser.parser.parser.parser  # ParsingFrontend -> LALR_Parser -> _Parser
        return lalr.parse_table, lalr.callbacks
    except AttributeError as err:
        from .errors import InternalError

        raise InternalError(
            f"internal error: this version of lark ({lark.__version__}) does not expose "
            "the LALR parse table tipasp drives; install lark>=1.1,<2") from err


def _get_table() -> _Table:
    """The parse table (built once, from the grammar shipped as package data)."""
    global _table
    if _table is None:
        _table = _Table()
    return _table


# --------------------------------------------------------------- syntax error messages

_PUNCT_WORDS = {v: k for k, v in _OPS.items() if v != "CMP"}
_WORDS: dict[str, str] = {
    "NAME": "a name",
    "NUMBER": "a number",
    "$END": "the end of the statement",
    "CMP": "a comparison ('<', '<=', '>', '>=', '==' or '!=')",
    **{t: f"'{p}'" for t, p in _PUNCT_WORDS.items()},
    **{w.upper(): f"'{w}'" for w in KEYWORDS},
    **{t: f"'{w}'" for w, t in SOFT_KEYWORDS.items()},
    "BLOCK_END": "'}'",
}
_EXPR_START = {"NAME", "NUMBER", "LPAR", "MINUS", "SUM", "QMARK"}
_CONTINUATIONS = {"PLUS", "MINUS", "STAR", "SLASH", "PERCENT", "MOD", "_LSQB", "LPAR", "_DOT"}
_STMT_START = {w.upper() for w in STATEMENT_KEYWORDS}
# Rank for listing expected tokens: keywords and punctuation first, the end last.
_LAST = {"$END": 3, "NAME": 1, "NUMBER": 1}

_CONTEXT_WORDS = {
    "term": "a term",
    "int": "an integer expression",
    "number": "a number",
}
_SETS_CONTEXT = {
    "_COLON": "term",
    "LEARNS": "term",
    "OF": "term",
    "_EQ": "int",
    "IN": "int",
    "_DOTDOT": "int",
    "CMP": "int",
    "IF": "int",
    "RANGE": "int",
    "THRESHOLD": "int",
    "CORRUPT": "int",
    "SENSITIVITY": "number",
    "WITHIN": "number",
    "AT": "number",
    "_TILDE": "number",
}


def _expr_context(before: list[Tok]) -> str:
    """What kind of expression the tokens so far call for: a term, an integer or a number."""
    stack = ["term"]
    prev: Tok | None = None
    for tok in before:
        t = tok.type
        if t == "LPAR":
            if prev is not None and prev.type in ("NAME", "SUM"):
                stack.append(stack[-1] if stack[-1] == "number" else "term")
            else:
                stack.append(stack[-1])
        elif t == "_LSQB":
            stack.append("int")
        elif t == "LBRACE":
            stack.append("term")
        elif t in ("_RPAR", "_RSQB", "_RBRACE"):
            if len(stack) > 1:
                stack.pop()
        elif t in _SETS_CONTEXT:
            stack[-1] = _SETS_CONTEXT[t]
        prev = tok
    return stack[-1]


def _join(words: list[str]) -> str:
    """`a`, `a or b`, `a, b or c`."""
    if len(words) <= 1:
        return "".join(words)
    return ", ".join(words[:-1]) + " or " + words[-1]


def _found(tok: Tok) -> str:
    """The token an error message says it found, in words."""
    t = tok.type
    if t == "$END":
        return "the end of the statement"
    if t == "NAME":
        return f"'{tok.value}'"
    if t == "NUMBER":
        return f"number {tok.value}"
    if t.lower() in KEYWORDS or t in SOFT_KEYWORDS.values():
        return f"keyword '{tok.value}'"
    return f"'{tok.value}'"


# the words that begin a statement (a misspelt one makes the statement a message)
_STMT_WORDS = ("const", "agent", "public", "secret", "random", "key", "keypair", "noise",
               "shares", "function", "collude", "corrupt", "eavesdropper", "malicious",
               "intruder", "query", "assert", "protocol", "session", "fresh")


def _syntax_diagnostic(stuck: _Stuck, toks: list[Tok], file: str) -> Diagnostic:
    """A syntax error in words, at the token the parser could not take."""
    tok, index = stuck.tok, stuck.index
    expected = _get_table().acceptable(toks, index)
    pos = Pos(file, tok.line, tok.column)
    word = tok.value.lower()
    if tok.type != "NAME" and word in KEYWORDS and "NAME" in expected:
        return Diagnostic(pos, f"'{word}' is a keyword and cannot be used as a name")
    if expected & _STMT_START:
        return Diagnostic(
            pos,
            f"expected a statement, found {_found(tok)}",
            "a statement is a declaration (const, agent, secret, ...), a message "
            "'a -> b : term', an adversary (collude, corrupt, eavesdropper, malicious, "
            "intruder), a protocol block, a session, a query or an assertion",
        )
    listed: list[str] = []
    if {"NAME", "NUMBER", "LPAR"} <= expected:
        expected -= _EXPR_START
        listed.append(_CONTEXT_WORDS[_expr_context(toks[:index])])
    others = expected - _CONTINUATIONS if expected - _CONTINUATIONS else expected
    listed += [
        _WORDS.get(t, t) for t in sorted(others, key=lambda t: (_LAST.get(t, 0), _WORDS.get(t, t)))
    ]
    message = (
        f"expected {_join(listed)}, found {_found(tok)}" if listed else f"unexpected {_found(tok)}"
    )
    hint = None
    if tok.type == "NAME":
        words = [w.lower() for w in others if w.lower() in KEYWORDS or w in SOFT_KEYWORDS.values()]
        close = difflib.get_close_matches(word, words, n=1, cutoff=0.6)
        if close:
            hint = f"did you mean '{close[0]}'?"
    elif tok.type == "_EQ" and "CMP" in expected:
        hint = "use '==' to compare"
    elif tok.type == "_DOT" and "_DOTDOT" in expected:
        hint = "a range is written 'lo..hi'"
    first = toks[0] if toks else None
    if first is not None and first.type == "PROTOCOL" and "LBRACE" in expected:
        hint = "a protocol block opens with '{' at the end of its first line"
    if hint is None and index > 0 and first is not None and first.type == "NAME":
        # `eavesdrop eve on a -> b` reads as a message from agent `eavesdrop`
        close = difflib.get_close_matches(first.value.lower(), _STMT_WORDS, n=1, cutoff=0.75)
        if close:
            hint = f"did you mean '{close[0]}' at the start of the statement?"
    if tok.type == "NAME" and tok.value == "or" and "_AND" in expected:
        hint = "all conditions must hold; 'or' is not supported: split the statement in two"
    return Diagnostic(pos, message, hint)


# ------------------------------------------------------------------------------ driver


def collected(diagnostics: list[Diagnostic], source: str | None) -> SpecError:
    """One SpecError for `diagnostics`: in source order, at most MAX_DIAGNOSTICS of them
    and a note on the rest. (Rendering is linear in the source per diagnostic, so
    thousands of them would cost minutes for nothing anybody reads.)"""
    diags = sorted(diagnostics, key=lambda d: (d.pos.line, d.pos.col))
    if len(diags) > MAX_DIAGNOSTICS:
        rest = len(diags) - MAX_DIAGNOSTICS
        note = Diagnostic(diags[MAX_DIAGNOSTICS].pos, f"too many errors: {rest} more not shown")
        diags = diags[:MAX_DIAGNOSTICS] + [note]
    return SpecError(diags, source)


@dataclass(frozen=True)
class ParseResult:
    """What `parse_recover` found: the statements that parsed, every problem, and the
    names that occur in statements that did not parse."""

    spec: S.Spec
    diagnostics: tuple[Diagnostic, ...]
    unparsed_names: frozenset[str]


class _Frame:
    """A protocol block being gathered: its head (None if the head did not parse),
    the statements of its body with their lines, and where it began."""

    def __init__(self, head: S.ProtocolHead | None, first: Tok, first_line: int) -> None:
        self.head = head
        self.first = first
        self.last = first
        self.first_line = first_line
        self.body: list[S.FreshStmt | S.MessageStmt] = []
        self.body_lines: list[tuple[int, int]] = []
        self.broken = head is None


class _Blocks:
    """Gathers each protocol block (head, body statements, `}`) into one
    `ProtocolStmt` as the statements arrive (see `_tokens` for how the scanner marks
    them). A block whose head does not parse, that is nested in another, or that is
    never closed is dropped, and every name in it goes to `unparsed` so that the
    resolver does not report it again; a bad statement in a body is reported and
    left out."""

    def __init__(
        self,
        source: str,
        file: str,
        stmts: list[S.Stmt],
        lines: list[tuple[int, int]],
        diags: list[Diagnostic],
        unparsed: set[str],
        failed: Callable[[_Close, Any, Tok, Tok], None],
    ) -> None:
        self.source, self.file = source, file
        self.stmts, self.lines, self.diags, self.unparsed = stmts, lines, diags, unparsed
        self.failed = failed
        self.frames: list[_Frame] = []

    def take(
        self, close: _Close, stmt: Any, problem: _Stuck | _NodeError | None, first: Tok, last: Tok
    ) -> bool:
        """Take a statement into the open block, or open one; False: the statement
        is not in a block (the caller handles it)."""
        while self.frames and close.depth < len(self.frames):
            self._drop(self.frames.pop())  # left open: the scanner has reported it
        ok = problem is None and not close.broken
        if close.opens:
            if self.frames:
                self.diags.append(
                    Diagnostic(
                        Pos(self.file, first.line, first.column),
                        "protocol blocks cannot be nested",
                        "close the block above with '}' first",
                    )
                )
                for f in self.frames:
                    f.broken = True
            if not ok:
                self.failed(close, problem, first, last)
            self.frames.append(_Frame(stmt if ok else None, first, close.first_line))
            for f in self.frames:
                f.last = last
            return True
        if not self.frames:
            return False
        for f in self.frames:
            f.last = last
        frame = self.frames[-1]
        if close.closes:
            self.frames.pop()
            if not ok:
                self.failed(close, problem, first, last)
                frame.broken = True
            if frame.broken or self.frames:
                self._drop(frame)
                return True
            head = frame.head
            assert head is not None
            block = S.ProtocolStmt(
                head.name,
                head.params,
                tuple(frame.body),
                head.pos,
                head.name_pos,
                tuple(frame.body_lines),
                stmt.pos,
                (frame.first.start_pos, last.end_pos),
            )
            self.stmts.append(block)
            self.lines.append((frame.first_line, close.last_line))
            return True
        if not ok:
            self.failed(close, problem, first, last)
        elif isinstance(stmt, (S.FreshStmt, S.MessageStmt)):
            object.__setattr__(stmt, "span", (first.start_pos, last.end_pos))
            frame.body.append(stmt)
            frame.body_lines.append((close.first_line, close.last_line))
        else:
            self.diags.append(
                Diagnostic(
                    Pos(self.file, first.line, first.column),
                    f"'{first.value}' cannot be used inside a protocol block",
                    "a block holds 'fresh' declarations and messages between its roles",
                )
            )
            self.failed(close._replace(broken=True), None, first, last)
        return True

    def finish(self) -> None:
        """The end of the spec: blocks still open were never closed (reported)."""
        while self.frames:
            self._drop(self.frames.pop())

    def _drop(self, frame: _Frame) -> None:
        """Leave a block out; its names go to `unparsed`."""
        toks = _statement_tokens(self.source, self.file, frame.first, frame.last)
        self.unparsed.update(t.value for t in toks if t.type == "NAME")


@contextmanager
def gc_paused() -> Iterator[None]:
    """Pause the cycle collector: parsing makes millions of acyclic objects, and the
    collector's repeated passes over them would double the time for large specs."""
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()


def parse_recover(source: str, file: str = "<string>") -> ParseResult:
    """Parse every statement that can be parsed; collect the diagnostics of the rest."""
    with gc_paused():
        return _parse_recover(source, file)


def _parse_recover(source: str, file: str) -> ParseResult:
    """`parse_recover` with the cycle collector already paused."""
    scan_diags: list[Diagnostic] = []
    comments: list[S.Comment] = []
    syntax_diags: list[Diagnostic] = []
    stmts: list[S.Stmt] = []
    lines: list[tuple[int, int]] = []
    unparsed: set[str] = set()
    table = _get_table()

    def failed(close: _Close, problem: _Stuck | _NodeError | None, first: Tok, last: Tok) -> None:
        """Report a statement that did not parse; its names go to `unparsed`."""
        toks = _statement_tokens(source, file, first, last, close.depth)
        if not close.broken:  # else the scanner has reported the problem
            if isinstance(problem, _Stuck):
                syntax_diags.append(_syntax_diagnostic(problem, toks, file))
            elif problem is not None:
                syntax_diags.append(Diagnostic(problem.pos, problem.message))
        unparsed.update(t.value for t in toks if t.type == "NAME")

    blocks = _Blocks(source, file, stmts, lines, syntax_diags, unparsed, failed)
    with _lock:
        table.builder.file = file
        stream = _tokens(source, file, scan_diags, comments)
        for close, stmt, problem, first, last in table.parse(stream):
            if (blocks.frames or close.opens) and blocks.take(close, stmt, problem, first, last):
                continue
            if problem is None and not close.broken and first.type != "FRESH":
                # The statement was made just now and nobody else holds it: set its
                # span in place.
                object.__setattr__(stmt, "span", (first.start_pos, last.end_pos))
                stmts.append(stmt)
                lines.append((close.first_line, close.last_line))
                continue
            if problem is None and not close.broken:  # `fresh` outside a protocol block
                syntax_diags.append(
                    Diagnostic(
                        Pos(file, first.line, first.column),
                        "'fresh' can only be used inside a protocol block",
                        "outside a block, declare the value: random na @ alice",
                    )
                )
                close = close._replace(broken=True)  # reported: only collect its names
            failed(close, problem, first, last)
        blocks.finish()
    spec = S.Spec(file, source, tuple(stmts), tuple(lines), tuple(comments))
    return ParseResult(spec, tuple(scan_diags + syntax_diags), frozenset(unparsed))


def parse(source: str, file: str = "<string>") -> S.Spec:
    """The syntax tree of `source`; raises SpecError listing every syntax error."""
    result = parse_recover(source, file)
    if result.diagnostics:
        raise collected(list(result.diagnostics), source)
    return result.spec
