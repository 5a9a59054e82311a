"""A why-not over many users stays short (issue 15, item 7): a run of members of one
family, each held by its own member of an agent family, is one range."""

from __future__ import annotations

from conftest import check_example

from tipasp.answer import FOLD_RUN
from tipasp.results import Learns


def test_sixty_users_fold_into_one_range() -> None:
    res = check_example("secure_sum.tip", N=60)[1]
    assert isinstance(res, Learns) and res.answer is False
    assert res.why_not == (
        "server would learn x[1] with m[1] (held by u[1], u[2]) and m[60] (held by u[1], "
        "u[60]); or with x[2..60] (59 values, x[i] held by u[i])"
    )


def test_short_runs_stay_listed() -> None:
    n = FOLD_RUN  # x[2..n]: one value fewer than a run that folds
    res = check_example("secure_sum.tip", N=n)[1]
    assert isinstance(res, Learns) and res.why_not is not None
    assert "x[2] (held by u[2]), x[3] (held by u[3])" in res.why_not
    assert ".." not in res.why_not
    res = check_example("secure_sum.tip", N=n + 1)[1]
    assert isinstance(res, Learns) and res.why_not is not None
    assert res.why_not.endswith(f"or with x[2..{n + 1}] ({n} values, x[i] held by u[i])")
