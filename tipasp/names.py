"""The ASP predicates that the Python side reads, adds or switches, by name.

One place for the names that cross the seam between Python and `rules/*.lp`: a
predicate renamed in the rules is renamed here, and `tests/test_rules.py` checks that
every name below is a predicate of the shipped rules (and that every external Python
switches is declared `#external` there). The facts of the spec itself (`msg`,
`init`, `arg`, ...) are the compiler's vocabulary: `compile.py` writes them, and
docs/engine.md lists them ("The facts the compiler writes").
"""

from __future__ import annotations

# ------------------------------------------------- externals switched from Python

DELIVERED = "delivered"  # delivered(S): the messages of step S have arrived (time.lp)
CHECK_STEP = "check_step"  # check_step(S): the agents program checks step S (agents.lp)
FIXED = "fixed"  # fixed: the coalition is exactly the wanted agents (coalition.lp)
SEARCH = "search"  # search: find every minimal allowed coalition that learns the target
WHYNOT = "whynot"  # whynot: find minimal gifts that make the fixed coalition learn it
WANT = "want"  # want(A): A is a member of the fixed coalition
ASKED = "asked"  # asked(T): T is the target of the question being answered
LEARNED = "learned"  # learned(T): the numeric refinement found T determined for c

EXTERNALS = frozenset({DELIVERED, CHECK_STEP, FIXED, SEARCH, WHYNOT, WANT, ASKED, LEARNED})
"""Every external that Python switches (each is declared `#external` in the rules)."""

# ------------------------------------------------------ facts Python adds itself

MAXSIZE = "maxsize"  # maxsize(K): --max-coalition K (engine.py)
CAN_SEND = "can_send"  # can_send(I, J, G, M, L): role step J of I sends M (attack.lp)
CAN_ACCEPT = "can_accept"  # can_accept(I, J, G, M, L): role step J of I accepts M (attack.lp)

FED = frozenset({MAXSIZE, CAN_SEND, CAN_ACCEPT})
"""Facts written from Python by name, beside those compile.py and attack_search.py
write with a literal name (`atom("msg", ...)`, `F("inst", ...)`)."""

# ------------------------------------------------------ shown atoms of a model

DER = "der"  # der(X, T, Rule, Premises): one derivation of T by the knower X
SPLITS = "splits"  # splits(X, T): X has every part of the tuple T, by split
IN = "in"  # in(A): A is a member of the coalition
GIFT = "gift"  # gift(T): a why-not gives the coalition T
NEEDLIN = "needlin"  # needlin(L): c needs the linear term L and does not know it
NOBUILD = "nobuild"  # nobuild(S, A, T): at step S, A sends T but cannot build it
OCCURS = "occurs"  # occurs(T, E): the event E of an attack happens at time T

# ------------------------------- static atoms of the grounded coalition program

NEEDCHECK = "needcheck"  # needcheck(S): a message of step S needs a sender check
HARD = "hard"  # hard(S, A, T): the message T of step S is not trivially built by A
THOLDER = "tholder"  # tholder(T, A): A holds the target T from the start
SYMATOM = "symatom"  # symatom(A): an atom worth deciding numerically
PUBREL = "pubrel"  # pubrel(T, L): the relevant public term T, declared on line L
ONELIN = "onelin"  # onelin(L, A): the linear term L cancels down to the atom A
LINREL = "linrel"  # linrel(T): a linear term is relevant to the target T
CAND = "cand"  # cand(A): A may contribute to a target (a candidate member)
MEMBER = "member"  # member(G, A): A is a member of the collude group G
