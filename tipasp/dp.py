"""Privacy loss of a secret from a coalition's noisy linear view (differential privacy).

docs/engine.md: the coalition knows every other secret (the worst case); what
it does not know -- masks and noise -- is random.  Its view of the target ``x`` is a
set of linear observations ``rows``.  :func:`leakage` classifies it:

``none``
    No combination of the rows in which every mask cancels depends on ``x``.
``exact``
    Some combination cancels every mask *and* every noise atom but keeps ``x``:
    the view determines ``x`` (decided in exact rational arithmetic).
``dp``
    Otherwise.  After projecting out the masks (keeping only the mask-free
    combinations, the left null space of the mask columns), the view is
    ``y = a * x + C e`` with ``e`` the independent unknown noise.  With Gaussian
    noise only, the view is exactly ``mu``-Gaussian-DP with
    ``mu = sensitivity * sqrt(a^T (C diag(sigma^2) C^T)^+ a)`` and ``epsilon`` is
    ``eps_from_mu(mu, delta)`` (``bound=False``).  With Laplace noise in play the
    returned ``epsilon`` is a sound upper bound (``bound=True``, ``mu=None``): see
    :func:`_composed_bound` for the argument.

The masks are modelled as uniform over a huge group: a view coordinate that still
contains a mask is uniform and independent of everything else, so it carries no
information and only the mask-free combinations matter.

Before any matrix work the rows are decomposed: only the connected component of the
target in the bipartite graph of rows and unknown atoms (masks, noise, target) is
kept -- rows outside it share no randomness with it and do not mention ``x``.  The
mask projection and the exactness test are exact sparse eliminations (reused from
:mod:`tipasp.linear`); the Gaussian quadratic form is solved densely with numpy for
small views and by a sparse LDL^T factorisation with a minimum-degree order for
large ones.
"""

from __future__ import annotations

import heapq
import math
from collections.abc import Collection, Hashable, Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Literal

import numpy as np

from .linear import Coef, Eliminator, K, Row, exact_coef, reachable_rows, without_gc

__all__ = ["Leakage", "delta_from_eps", "eps_from_mu", "leakage"]

_SQRT2 = math.sqrt(2.0)
_LOG_SQRT_2PI = 0.5 * math.log(2.0 * math.pi)
_DENSE_MAX = 400  # views with more independent observations use the sparse solver
_SWITCH_DEGREE = 64  # sparse LDL^T hands a remainder this dense over to numpy ...
_DENSE_REST = 5000  # ... if it has at most this many unknowns (200 MB of float64)
_SNAP_MAX = 60  # largest view whose Laplace bound is polished by an exact vertex


# --------------------------------------------------------------- Gaussian DP <-> (eps, delta)


def _log_ndtr(x: float) -> float:
    """log Phi(x), accurate far into the lower tail (no underflow)."""
    if x > -20.0:
        return math.log(0.5 * math.erfc(-x / _SQRT2))
    # Asymptotic series of the Mills ratio; relative error < 1e-11 for x <= -20.
    x2 = x * x
    s = 1.0 - 1.0 / x2 + 3.0 / x2**2 - 15.0 / x2**3 + 105.0 / x2**4 - 945.0 / x2**5
    return -0.5 * x2 - math.log(-x) - _LOG_SQRT_2PI + math.log(s)


def delta_from_eps(mu: float, eps: float) -> float:
    """The smallest delta for which a mu-GDP mechanism is (eps, delta)-DP.

    ``delta(eps) = Phi(-eps/mu + mu/2) - e^eps * Phi(-eps/mu - mu/2)`` (Dong, Roth and
    Su 2019, Corollary 2.13), computed in log space so that large ``mu`` and
    ``eps`` neither overflow nor underflow.
    """
    if mu < 0 or math.isnan(mu) or math.isnan(eps):
        raise ValueError(f"mu must be >= 0 (got {mu!r}) and eps a number (got {eps!r})")
    if mu == 0.0 or eps == math.inf:
        return 0.0
    if mu == math.inf:
        return 1.0
    a = -eps / mu + mu / 2.0
    b = -eps / mu - mu / 2.0
    d = math.exp(_log_ndtr(a)) - math.exp(eps + _log_ndtr(b))
    return min(1.0, max(0.0, d))


def eps_from_mu(mu: float, delta: float) -> float:
    """The smallest eps >= 0 with ``delta_from_eps(mu, eps) <= delta``.

    ``delta(eps)`` is decreasing in eps, so the root is bracketed by doubling and then
    found by bisection to a relative precision of 1e-13.  ``mu = 0`` gives 0;
    ``mu = inf`` gives inf.
    """
    if not 0.0 < delta < 1.0:
        raise ValueError(f"delta must be in (0, 1), got {delta!r}")
    if mu < 0 or math.isnan(mu):
        raise ValueError(f"mu must be >= 0, got {mu!r}")
    if mu == math.inf:
        return math.inf
    if delta_from_eps(mu, 0.0) <= delta:
        return 0.0
    lo, hi = 0.0, 1.0
    while delta_from_eps(mu, hi) > delta:
        lo, hi = hi, 2.0 * hi
    for _ in range(200):
        mid = 0.5 * (lo + hi)
        if delta_from_eps(mu, mid) > delta:
            lo = mid
        else:
            hi = mid
        if hi - lo <= 1e-13 * hi:
            break
    return hi


# ---------------------------------------------------------------------------- the answer


@dataclass(frozen=True)
class Leakage:
    """How much a coalition's view leaks about one secret.

    Attributes:
        kind: ``"exact"`` (the view determines the secret), ``"none"`` (the view
            does not depend on it) or ``"dp"`` (noisy: see epsilon).
        epsilon: privacy loss at ``delta``: 0.0 for ``none``, None for ``exact``
            (no finite epsilon), else the (exact or bounding) epsilon.
        delta: the delta at which epsilon is stated (the one asked for).
        mu: the exact Gaussian-DP parameter when all noise in play is Gaussian
            (0.0 for ``none``); None for ``exact`` and whenever Laplace noise is in play.
        bound: True when epsilon is only a sound upper bound (Laplace noise in play).
    """

    kind: Literal["exact", "none", "dp"]
    epsilon: float | None
    delta: float
    mu: float | None
    bound: bool


# ------------------------------------------------------------------------------ leakage


def _exact_coef(c: object) -> Coef:
    """An exact coefficient; a finite float is taken at its exact binary value."""
    if isinstance(c, float):
        if not math.isfinite(c):
            raise ValueError(f"coefficient {c!r} is not finite")
        f = Fraction(c)
        return f.numerator if f.denominator == 1 else f
    return exact_coef(c)


def _scale(kind: str, atom: Hashable, s: float) -> float:
    s = float(s)
    if not (s >= 0.0 and math.isfinite(s)):
        raise ValueError(f"{kind} scale of {atom!r} must be finite and >= 0, got {s!r}")
    return s


@without_gc
def leakage(
    rows: Sequence[Row[K]],
    target: K,
    *,
    masks: Collection[K],
    gaussian: Mapping[K, float],
    laplace: Mapping[K, float],
    sensitivity: float = 1.0,
    delta: float = 1e-5,
) -> Leakage:
    """The privacy loss of ``target`` to a coalition whose linear observations are ``rows``.

    Args:
        rows: the values the coalition sees, as linear combinations of atoms
            (coefficients int or Fraction; a float is taken at its exact binary value).
        target: the secret atom.
        masks: atoms uniform over a huge group and unknown to the coalition.
        gaussian: noise atom -> standard deviation sigma (unknown, independent).
        laplace: noise atom -> Laplace scale b (unknown, independent).
        sensitivity: how far two neighbouring values of the target may differ.
        delta: the delta at which epsilon is reported.

    Every other atom is known to the coalition.  A noise atom with scale 0 is a known
    constant.  See the module docstring for the meaning of the result.
    """
    if not 0.0 < delta < 1.0:
        raise ValueError(f"delta must be in (0, 1), got {delta!r}")
    sensitivity = float(sensitivity)
    if not (sensitivity >= 0.0 and math.isfinite(sensitivity)):
        raise ValueError(f"sensitivity must be finite and >= 0, got {sensitivity!r}")
    mask_set = set(masks)
    if target in mask_set or target in gaussian or target in laplace:
        raise ValueError(f"the target {target!r} cannot be a mask or a noise atom")
    both = (set(gaussian) & set(laplace)) | (mask_set & (set(gaussian) | set(laplace)))
    if both:
        raise ValueError(f"atoms declared twice (mask/gaussian/laplace): {sorted(map(repr, both))}")
    sigma = {a: _scale("gaussian", a, s) for a, s in gaussian.items()}
    scale_b = {a: _scale("laplace", a, s) for a, s in laplace.items()}

    # Atom ids: 0 is the target, then masks and noise atoms of positive scale in order
    # of first occurrence (ids break ties in the pivot order, and the order of the
    # spec keeps eliminations local); every other atom is known to the coalition, or
    # is zero-scale noise, and drops out of the rows.
    unknown = set(mask_set)
    unknown.update(a for a, v in sigma.items() if v > 0)
    unknown.update(a for a, v in scale_b.items() if v > 0)
    ids: dict[K, int] = {target: 0}
    names: list[K] = [target]
    red: list[dict[int, Coef]] = []
    col: list[list[int]] = [[]]
    get = ids.get
    for j, row in enumerate(rows):
        v: dict[int, Coef] = {}
        for a, c in row.items():
            i = get(a)
            if i is None:
                if a not in unknown:
                    continue
                i = ids[a] = len(names)
                names.append(a)
                col.append([])
            if type(c) is not int:
                c = _exact_coef(c)
            if not c:
                continue
            v[i] = c
            col[i].append(j)
        red.append(v)
    none = Leakage("none", 0.0, delta, 0.0, False)
    if not col[0]:
        return none
    comp = reachable_rows(red, col, [0])

    # Project out the masks: eliminate on mask atoms only; the rows left over
    # (reduced) span the mask-free combinations of the component's rows.
    is_mask = [a in mask_set for a in names]
    phase1 = Eliminator(eligible=is_mask.__getitem__)
    phase1.add((j, red[j]) for j in comp)
    eff = [r for r, _ in phase1.leftover]
    if not any(0 in r for r in eff):
        return none

    # Exactness: eliminate on noise atoms; a leftover row holds only the target.
    phase2 = Eliminator(eligible=lambda a: a != 0)
    phase2.add(enumerate(eff))
    if phase2.leftover:
        return Leakage("exact", None, delta, None, False)
    basis = phase2.pivot_row  # independent rows spanning the mask-free view
    in_play = {a for r in basis for a in r if a != 0}
    lap_ids = {a: scale_b[names[a]] for a in in_play if names[a] in scale_b}
    gauss_ids = {a: sigma[names[a]] for a in in_play if names[a] in sigma}
    if not lap_ids:
        q, _ = _min_norm(basis, {a: s * s for a, s in gauss_ids.items()})
        mu = sensitivity * math.sqrt(max(q, 0.0))
        return Leakage("dp", eps_from_mu(mu, delta), delta, mu, False)
    eps = _composed_bound(eff, gauss_ids, lap_ids, sensitivity, delta)
    return Leakage("dp", eps, delta, None, True)

# ---------------------------------------------------------- weighted minimum-norm shifts


def _min_norm(
    basis: Sequence[Mapping[int, Coef]], weight: Mapping[int, float]
) -> tuple[float, dict[int, float]]:
    """``min sum_i e_i^2 / w_i`` subject to ``C e = a``, and the minimiser ``e*``.

    ``basis`` rows are ``a_j * x + sum_i C_ji e_i`` with atom 0 the target ``x``; they
    must be linearly independent in their noise part (the echelon rows produced by
    the exact elimination are), so ``S = C W C^T`` is positive definite.  The
    minimum equals ``a^T S^-1 a`` and ``e* = W C^T S^-1 a``.  Noise atoms without a
    weight are treated as absent (weight 0).
    """
    k = len(basis)
    a = np.array([float(r.get(0, 0)) for r in basis])
    cols: dict[int, list[tuple[int, float]]] = {}
    for j, r in enumerate(basis):
        for i, c in r.items():
            if i != 0 and weight.get(i, 0.0) > 0.0:
                cols.setdefault(i, []).append((j, float(c)))
    if k == 1:  # one observation: S is the scalar sum_i w_i c_i^2
        s1 = math.fsum(weight[i] * c * c for i, ((_, c),) in cols.items())
        if s1 <= 0.0:
            return math.inf, {}
        lam1 = float(a[0]) / s1
        return float(a[0]) * lam1, {i: weight[i] * c * lam1 for i, ((_, c),) in cols.items()}
    if k <= _DENSE_MAX:
        order = list(cols)
        w = np.array([weight[i] for i in order])
        cm = np.zeros((k, len(order)))
        js: list[int] = []
        ps: list[int] = []
        vs: list[float] = []
        for p, i in enumerate(order):
            for j, cf in cols[i]:
                js.append(j)
                ps.append(p)
                vs.append(cf)
        cm[js, ps] = vs
        s = (cm * w) @ cm.T
        try:
            lam = np.linalg.solve(s, a)
        except np.linalg.LinAlgError:
            lam = np.linalg.lstsq(s, a, rcond=None)[0]
        e = w * (cm.T @ lam)
        return float(a @ lam), dict(zip(order, e.tolist(), strict=True))
    q, lam_list = _sparse_solve(k, cols, weight, list(a))
    e_sparse = {i: weight[i] * sum(c * lam_list[j] for j, c in lst) for i, lst in cols.items()}
    return q, e_sparse


def _sparse_solve(
    k: int, cols: Mapping[int, list[tuple[int, float]]], weight: Mapping[int, float],
    b: list[float],
) -> tuple[float, list[float]]:
    """Solve ``S lam = b`` for ``S = C W C^T`` by sparse LDL^T with a minimum-degree order.

    Returns ``(b^T S^-1 b, lam)``.  ``S`` is positive definite, so symmetric
    elimination without pivoting is stable in any order; the minimum-degree order
    keeps fill small for the graph-like views of GOPA-style protocols.  When the
    smallest degree left exceeds ``_SWITCH_DEGREE`` (an expander-like graph whose
    remainder has become dense) and at most ``_DENSE_REST`` unknowns are left, the
    remaining Schur complement is solved densely with numpy.
    """
    s: list[dict[int, float]] = [{} for _ in range(k)]
    for i, lst in cols.items():
        wi = weight[i]
        for j, cj in lst:
            sj = s[j]
            for l2, cl in lst:
                sj[l2] = sj.get(l2, 0.0) + wi * cj * cl
    heap = [(len(s[j]), j) for j in range(k)]
    heapq.heapify(heap)
    done = [False] * k
    factors: list[tuple[int, float, float, dict[int, float]]] = []
    quad = 0.0
    left = k
    while heap:
        cnt, j = heapq.heappop(heap)
        if done[j]:
            continue
        sj = s[j]
        if len(sj) != cnt:
            heapq.heappush(heap, (len(sj), j))
            continue
        if cnt > _SWITCH_DEGREE and left <= _DENSE_REST:
            break  # what is left is dense: finish with numpy
        done[j] = True
        left -= 1
        d = sj.pop(j)
        y = b[j]
        quad += y * y / d
        lj = {p: v / d for p, v in sj.items()}
        for p, lp in lj.items():
            b[p] -= lp * y
            sp = s[p]
            del sp[j]
            for q2, v in sj.items():
                sp[q2] = sp.get(q2, 0.0) - lp * v
            heapq.heappush(heap, (len(sp), p))
        factors.append((j, d, y, lj))
    lam = [0.0] * k
    if left:
        rest = [j for j in range(k) if not done[j]]
        pos = {j: n for n, j in enumerate(rest)}
        dense = np.zeros((len(rest), len(rest)))
        for j in rest:
            for p, v in s[j].items():
                dense[pos[j], pos[p]] = v
        rhs = np.array([b[j] for j in rest])
        lam_rest = np.linalg.solve(dense, rhs)
        quad += float(rhs @ lam_rest)
        for j, v in zip(rest, lam_rest.tolist(), strict=True):
            lam[j] = v
    for j, d, y, lj in reversed(factors):
        lam[j] = y / d - sum(lp * lam[p] for p, lp in lj.items())
    return quad, lam


# ------------------------------------------------------------------- Laplace: a sound bound


def _composed_bound(
    eff: list[dict[int, Coef]],
    gauss: Mapping[int, float],
    lap: Mapping[int, float],
    sensitivity: float,
    delta: float,
) -> float:
    """A sound upper bound on epsilon (at ``delta``) when Laplace noise is in play.

    Soundness.  Let ``y = a x + C e`` be the mask-free view, ``e`` independent noise,
    and let ``e*`` be any vector with ``C e* = a``.  Then ``y = C (e + x e*)``: the
    view is a post-processing of the vector ``Z = x e* + e``, whose coordinates are
    independent one-dimensional noisy releases of ``x e*_i``.  A Laplace coordinate
    (scale ``b_i``) is ``sensitivity |e*_i| / b_i``-DP; the Gaussian coordinates
    together are ``mu``-GDP with ``mu = sensitivity * ||e*_G / sigma_G||_2``.
    Basic composition and post-processing give
    ``epsilon <= sum_L sensitivity |e*_i| / b_i + eps_from_mu(mu, delta)`` at
    ``delta``.  Every ``e*`` gives a sound bound, so the minimum over several
    candidates is one too:

    * Gaussian noise only (Laplace shifts 0), when that is feasible: the exact
      Gaussian-DP of the view with the Laplace noise known;
    * Laplace noise only, when feasible: the weighted L1 minimisation
      ``min sum |e_i| / b_i`` by iteratively reweighted least squares (every
      iterate is feasible, so every iterate is a bound; on one observation
      ``x + Laplace(b)`` this gives the exact ``sensitivity / b``);
    * both, with Gaussian weights scaled by a few trade-off factors.

    Feasibility is checked numerically (residual ``C e* - a`` below 1e-8 relative);
    the bound is sound up to that floating-point tolerance.
    """
    best = math.inf
    small = len(eff) <= _DENSE_MAX

    def basis_without(drop: Mapping[int, float]) -> list[dict[int, Coef]] | None:
        rows = [{a: c for a, c in r.items() if a not in drop} for r in eff]
        el = Eliminator(eligible=lambda a: a != 0)
        el.add(enumerate(rows))
        return None if el.leftover else el.pivot_row

    def bound(e: Mapping[int, float]) -> float:
        eps_l = sensitivity * math.fsum(abs(e.get(i, 0.0)) / b for i, b in lap.items())
        mu = sensitivity * math.sqrt(math.fsum((e.get(i, 0.0) / s) ** 2 for i, s in gauss.items()))
        return eps_l + (eps_from_mu(mu, delta) if mu > 0 else 0.0)

    def feasible(basis: Sequence[Mapping[int, Coef]], e: Mapping[int, float]) -> bool:
        for r in basis:
            a = float(r.get(0, 0))
            lhs = math.fsum(float(c) * e.get(i, 0.0) for i, c in r.items() if i != 0)
            scale = 1.0 + abs(a) + math.fsum(
                abs(float(c) * e.get(i, 0.0)) for i, c in r.items() if i != 0)
            if abs(lhs - a) > 1e-8 * scale:
                return False
        return True

    last_e: dict[int, float] | None = None

    def irls(basis: Sequence[Mapping[int, Coef]], gw: Mapping[int, float], iters: int) -> None:
        nonlocal best, last_e
        weight = dict(gw)
        weight.update({i: b * b for i, b in lap.items()})
        smooth = None
        for _ in range(iters):
            _, e = _min_norm(basis, weight)
            last_e = e
            if feasible(basis, e):
                best = min(best, bound(e))
            top = max((abs(e.get(i, 0.0)) for i in lap), default=0.0)
            if top == 0.0:
                break
            smooth = 1e-2 * top if smooth is None else max(smooth / 10.0, 1e-12 * top)
            for i, b in lap.items():
                weight[i] = b * (abs(e.get(i, 0.0)) + smooth)

    # Gaussian only (the Laplace noise treated as known)
    if gauss:
        bg = basis_without(lap)
        if bg is not None:
            q, _ = _min_norm(bg, {i: s * s for i, s in gauss.items()})
            best = min(best, eps_from_mu(sensitivity * math.sqrt(max(q, 0.0)), delta))
    # Laplace only (the Gaussian noise treated as known)
    bl = basis_without(gauss)
    if bl is not None:
        irls(bl, {}, 25 if small else 4)
        if last_e is not None and len(bl) <= _SNAP_MAX and len(lap) <= 4 * _SNAP_MAX:
            # Snap to a vertex: the exact basic solution on the columns the IRLS
            # solution uses most (the L1 optimum is attained at such a vertex).
            order = sorted(lap, key=lambda i: (-abs(last_e.get(i, 0.0)) / lap[i], i))
            exact = _basic_solution(bl, order)
            if exact is not None:
                best = min(best, bound({i: float(v) for i, v in exact.items()}))
    # Both
    if gauss:
        full = basis_without({})
        assert full is not None
        for tau in ((0.01, 0.1, 1.0, 10.0, 100.0) if small else (1.0,)):
            irls(full, {i: tau * s * s for i, s in gauss.items()}, 12 if small else 3)
    return best


def _basic_solution(basis: Sequence[Mapping[int, Coef]], order: Sequence[int]) -> dict | None:
    """An exact solution of ``C e = a`` supported on the first independent columns of ``order``.

    Dense Gauss--Jordan over the rationals, choosing pivot columns in the given order;
    columns not chosen are 0.  None if the system has no solution on those columns.
    """
    k = len(basis)
    m = [[Fraction(r.get(i, 0)) for i in order] + [Fraction(r.get(0, 0))] for r in basis]
    pivots: list[int] = []
    row = 0
    for c in range(len(order)):
        if row == k:
            break
        p = next((i for i in range(row, k) if m[i][c] != 0), None)
        if p is None:
            continue
        m[row], m[p] = m[p], m[row]
        piv = m[row][c]
        m[row] = [v / piv for v in m[row]]
        for i in range(k):
            if i != row and m[i][c] != 0:
                f = m[i][c]
                m[i] = [vi - f * vr for vi, vr in zip(m[i], m[row], strict=True)]
        pivots.append(c)
        row += 1
    if any(m[i][-1] != 0 for i in range(row, k)):
        return None
    return {order[c]: m[i][-1] for i, c in enumerate(pivots)}
