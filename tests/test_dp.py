"""Privacy loss from a noisy linear view (tipasp.dp): oracles, cross-checks, properties.

Oracles (DESIGN.md "Oracles to test against"):

* mu-GDP to (eps, delta = 1e-5); Gaussian sigma = 1 composed k times;
* the same numbers from dp-accounting's PLD accountant (a test-only dependency);
* GOPA-style correlated noise (Sabater, Bellet, Ramon 2022) with sigma_eta = 1,
  sigma_Delta = 1000, four honest users.

The GOPA oracle numbers are the sigma_Delta -> infinity limits.  With
sigma_Delta = 1000 the exact mu is slightly larger: for a connected honest
component of n users mu^2 = 1/n + (1 - 1/n) / (1 + n * 10^6) (the effective
resistance from the target to ground, see `gopa_mu2`), so mu exceeds the limit
by at most 2e-7 and eps by at most 1e-6 -- far inside the 1e-3 tolerance on eps.
The exact finite-sigma_Delta mu is pinned to 1e-9 relative.
"""

from __future__ import annotations

import itertools
import math
import random

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from tipasp import dp
from tipasp.dp import Leakage, delta_from_eps, eps_from_mu, leakage

DELTA = 1e-5

# ------------------------------------------------------------ mu-GDP -> (eps, delta)


@pytest.mark.parametrize(("mu", "eps"), [(0.5, 1.9931), (1.0, 4.3772), (2.0, 9.9973)])
def test_eps_from_mu_oracle(mu, eps):
    assert eps_from_mu(mu, DELTA) == pytest.approx(eps, abs=1e-3)


@pytest.mark.parametrize(("k", "eps"), [(10, 17.8566), (100, 91.8173)])
def test_gaussian_composed_k_times(k, eps):
    # sigma = 1, sensitivity 1, k-fold composition is sqrt(k)-GDP
    assert eps_from_mu(math.sqrt(k), DELTA) == pytest.approx(eps, abs=1e-3)
    # the same through leakage: k independent observations of x
    rows = [{"x": 1, ("g", i): 1} for i in range(k)]
    res = leakage(rows, "x", masks=(), gaussian={("g", i): 1.0 for i in range(k)}, laplace={})
    assert res.kind == "dp" and not res.bound
    assert res.mu == pytest.approx(math.sqrt(k), rel=1e-12)
    assert res.epsilon == pytest.approx(eps, abs=1e-3)


def test_delta_from_eps_inverts_eps_from_mu():
    for mu in (0.01, 0.3, 1.0, 3.0, 20.0, 60.0):
        for delta in (1e-3, 1e-5, 1e-10):
            eps = eps_from_mu(mu, delta)
            assert delta_from_eps(mu, eps) <= delta * (1 + 1e-9)
            if eps > 0:
                assert delta_from_eps(mu, eps * (1 - 1e-6)) > delta
    assert eps_from_mu(0.0, DELTA) == 0.0
    assert eps_from_mu(1e-9, DELTA) == 0.0  # delta(0) = 2 Phi(mu/2) - 1 < delta
    assert eps_from_mu(math.inf, DELTA) == math.inf
    assert delta_from_eps(1.0, math.inf) == 0.0
    with pytest.raises(ValueError):
        eps_from_mu(1.0, 0.0)


def test_eps_from_mu_agrees_with_scipy_formula():
    from scipy.stats import norm

    for mu in (0.2, 1.3, 4.0):
        eps = eps_from_mu(mu, 1e-6)
        d = norm.cdf(-eps / mu + mu / 2) - math.exp(eps) * norm.cdf(-eps / mu - mu / 2)
        assert d == pytest.approx(1e-6, rel=1e-6)


@pytest.mark.parametrize(("sigma", "k"), [(1.0, 1), (2.0, 1), (1.0, 10), (0.8, 3), (4.0, 20)])
def test_eps_from_mu_matches_pld_accountant(sigma, k):
    from dp_accounting import dp_event
    from dp_accounting.pld import pld_privacy_accountant

    acc = pld_privacy_accountant.PLDAccountant()
    acc.compose(dp_event.GaussianDpEvent(sigma), k)
    assert eps_from_mu(math.sqrt(k) / sigma, DELTA) == pytest.approx(
        acc.get_epsilon(DELTA), abs=1e-3
    )


# ------------------------------------------------------------------------- GOPA


def gopa(users, edges, honest, target, sigma_eta=1.0, sigma_delta=1000.0):
    """Each user u publishes x_u + eta_u + sum_v +-d_uv (d_uv added by u, subtracted by v).

    The server sees every publication; colluders (users not honest) know their own
    x, eta and every d on their edges, so only honest noise is in the noise map.
    """
    rows = []
    for u in users:
        r = {("x", u): 1, ("eta", u): 1}
        for p, q in edges:
            if p == u:
                r[("d", p, q)] = 1
            elif q == u:
                r[("d", p, q)] = -1
        rows.append(r)
    gauss = {("eta", u): sigma_eta for u in honest}
    gauss.update({("d", p, q): sigma_delta for p, q in edges if p in honest and q in honest})
    return leakage(rows, ("x", target), masks=(), gaussian=gauss, laplace={}, delta=DELTA)


def gopa_mu2(n: int, sigma_delta: float = 1000.0) -> float:
    """Exact mu^2 for a complete honest component of n users, sigma_eta = 1.

    Noise covariance I + sigma_Delta^2 L(K_n): eigenvalue 1 on the all-ones vector and
    1 + n sigma_Delta^2 on its complement, so e_t^T S^-1 e_t = 1/n + (1-1/n)/(1+n s^2).
    """
    return 1 / n + (1 - 1 / n) / (1 + n * sigma_delta**2)


def test_gopa_complete_honest_graph():
    users = range(1, 7)
    honest = {1, 2, 3, 4}  # 5 and 6 collude with the server
    res = gopa(users, list(itertools.combinations(users, 2)), honest, 1)
    assert res.kind == "dp" and not res.bound
    assert res.mu == pytest.approx(math.sqrt(gopa_mu2(4)), rel=1e-9)
    assert res.epsilon == pytest.approx(1.9931, abs=1e-3)


def test_gopa_two_honest_components_of_two():
    users = range(1, 7)
    honest = {1, 2, 3, 4}
    edges = [(1, 2), (3, 4), (1, 5), (2, 5), (3, 6), (4, 6), (5, 6), (2, 6), (1, 6)]
    res = gopa(users, edges, honest, 1)
    assert res.mu == pytest.approx(math.sqrt(gopa_mu2(2)), rel=1e-9)
    assert res.epsilon == pytest.approx(2.9432, abs=1e-3)


def test_gopa_user_whose_neighbours_all_collude():
    users = range(1, 7)
    honest = {1, 2, 3, 4}
    edges = [(1, 5), (1, 6), (2, 3), (3, 4), (2, 4), (2, 5), (4, 6)]
    res = gopa(users, edges, honest, 1)
    assert res.mu == pytest.approx(1.0, rel=1e-12)
    assert res.epsilon == pytest.approx(4.3772, abs=1e-3)


def test_gopa_ring_decomposes_at_colluders():
    # A ring of 300 users, every 10th colludes: the target's honest segment is all that
    # matters, and the answer equals the one computed on that segment alone.
    n = 300
    users = range(n)
    edges = [(i, (i + 1) % n) for i in range(n)]
    honest = {u for u in users if u % 10}
    big = gopa(users, edges, honest, 15)
    seg_users = range(10, 21)  # 10 and 20 collude
    seg_edges = [(i, i + 1) for i in range(10, 20)]
    small = gopa(seg_users, seg_edges, honest & set(seg_users), 15)
    assert big.mu == pytest.approx(small.mu, rel=1e-12)


def test_sparse_solver_matches_dense(monkeypatch):
    # GOPA on a ring with one colluder: one honest path; force the sparse LDL^T path.
    n = 60
    users = range(n)
    edges = [(i, (i + 1) % n) for i in range(n)] + [(i, (i + 7) % n) for i in range(0, n, 3)]
    honest = set(range(1, n))
    dense = gopa(users, edges, honest, 5, sigma_delta=3.0)
    monkeypatch.setattr(dp, "_DENSE_MAX", 0)
    sparse = gopa(users, edges, honest, 5, sigma_delta=3.0)
    assert sparse.mu == pytest.approx(dense.mu, rel=1e-9)


def test_sparse_solver_on_an_expander_switches_to_dense(monkeypatch):
    import networkx as nx

    g = nx.random_regular_graph(4, 240, seed=5)
    edges = sorted((min(u, v), max(u, v)) for u, v in g.edges())
    users = range(240)
    honest = set(range(1, 240))
    dense = gopa(users, edges, honest, 3, sigma_delta=10.0)
    monkeypatch.setattr(dp, "_DENSE_MAX", 0)
    sparse = gopa(users, edges, honest, 3, sigma_delta=10.0)
    monkeypatch.setattr(dp, "_SWITCH_DEGREE", 8)  # part sparse, part dense
    switched = gopa(users, edges, honest, 3, sigma_delta=10.0)
    assert sparse.mu == pytest.approx(dense.mu, rel=1e-9)
    assert switched.mu == pytest.approx(dense.mu, rel=1e-9)


# ------------------------------------------------------------------ exact and none


def test_no_noise_is_exact_and_masks_hide():
    assert leakage([{"x": 1, "k": 1}], "x", masks=(), gaussian={}, laplace={}).kind == "exact"
    res = leakage([{"x": 1, "m": 1}], "x", masks={"m"}, gaussian={}, laplace={})
    assert res == Leakage("none", 0.0, DELTA, 0.0, False)
    assert leakage([{"y": 1}], "x", masks=(), gaussian={}, laplace={}).kind == "none"
    # two messages with the same mask: their difference is exact
    rows = [{"x": 1, "m": 1}, {"m": 1, "y": 2}]
    assert leakage(rows, "x", masks={"m"}, gaussian={}, laplace={}).kind == "exact"
    # noise that cancels is no noise
    rows = [{"x": 1, "g": 1}, {"g": 1}]
    assert leakage(rows, "x", masks=(), gaussian={"g": 5.0}, laplace={}).kind == "exact"
    # zero-scale noise is a known constant
    assert leakage([{"x": 1, "g": 1}], "x", masks=(), gaussian={"g": 0.0}, laplace={}).kind == (
        "exact")


def test_masked_noisy_ring_leaks_through_the_total_only():
    # secure aggregation with distributed noise: u_i sends x_i + m_i - m_{i-1} + eta_i
    n, sigma = 50, 2.0
    rows = [{("x", i): 1, ("m", i): 1, ("m", (i - 1) % n): -1, ("e", i): 1} for i in range(n)]
    masks = {("m", i) for i in range(n)}
    gauss = {("e", i): sigma for i in range(n)}
    res = leakage(rows, ("x", 0), masks=masks, gaussian=gauss, laplace={})
    assert res.mu == pytest.approx(1 / (sigma * math.sqrt(n)), rel=1e-12)
    # a colluding neighbour pair reveals both masks on x_0: only eta_0 is left
    known_masks = masks - {("m", 0), ("m", n - 1)}
    res = leakage(rows, ("x", 0), masks=known_masks, gaussian=gauss, laplace={})
    assert res.mu == pytest.approx(1 / sigma, rel=1e-12)


def test_input_validation():
    with pytest.raises(ValueError):
        leakage([{"x": 1}], "x", masks={"x"}, gaussian={}, laplace={})
    with pytest.raises(ValueError):
        leakage([{"x": 1, "g": 1}], "x", masks=(), gaussian={"g": 1.0}, laplace={"g": 1.0})
    with pytest.raises(ValueError):
        leakage([{"x": 1, "g": 1}], "x", masks=(), gaussian={"g": -1.0}, laplace={})
    with pytest.raises(ValueError):
        leakage([{"x": 1}], "x", masks=(), gaussian={}, laplace={}, delta=0.0)


# ------------------------------------------------------------------------ Laplace


def laplace_sum_density(z: np.ndarray, b1: float, b2: float) -> np.ndarray:
    """Density of Laplace(b1) + Laplace(b2), b1 != b2 (closed form)."""
    a = np.abs(z)
    return (b1 * np.exp(-a / b1) - b2 * np.exp(-a / b2)) / (2 * (b1**2 - b2**2))


def test_laplace_single_observation_is_tight():
    res = leakage([{"x": 3, "l": 1}], "x", masks=(), gaussian={}, laplace={"l": 2.0})
    assert res.kind == "dp" and res.bound and res.mu is None
    assert res.epsilon == pytest.approx(1.5, rel=1e-12)


def test_laplace_sum_of_two_noises_is_sound_and_tight():
    b1, b2 = 2.0, 4.0
    res = leakage([{"x": 1, "l1": 1, "l2": 1}], "x", masks=(), gaussian={},
                  laplace={"l1": b1, "l2": b2})
    # the bound puts the whole shift on the larger noise: 1 / max(b)
    assert res.epsilon == pytest.approx(1 / b2, rel=1e-12)
    # sound: the true pure-DP loss sup_z log f(z) / f(z - 1) is below it
    z = np.linspace(-60, 60, 200001)
    true_eps = np.max(np.abs(np.log(laplace_sum_density(z, b1, b2))
                             - np.log(laplace_sum_density(z - 1, b1, b2))))
    assert true_eps <= res.epsilon + 1e-9
    assert true_eps == pytest.approx(res.epsilon, rel=1e-3)  # and tight here


def test_laplace_independent_observations_compose():
    rows = [{"x": 1, "l1": 1}, {"x": 2, "l2": 1}, {"y": 1, "l3": 1}]
    res = leakage(rows, "x", masks=(), gaussian={}, laplace={"l1": 1.0, "l2": 4.0, "l3": 1.0})
    assert res.epsilon == pytest.approx(1.0 + 0.5, rel=1e-12)


def test_mixed_gaussian_and_laplace_bound():
    sigma, b = 1.0, 2.0
    rows = [{"x": 1, "l": 1}, {"x": 1, "g": 1}]
    res = leakage(rows, "x", masks=(), gaussian={"g": sigma}, laplace={"l": b})
    assert res.bound and res.mu is None
    # basic composition of the two releases
    assert res.epsilon == pytest.approx(1 / b + eps_from_mu(1 / sigma, DELTA), rel=1e-9)
    # a single observation with both noises: at most the better of the two alone
    res = leakage([{"x": 1, "l": 1, "g": 1}], "x", masks=(), gaussian={"g": 10.0},
                  laplace={"l": 2.0})
    assert 0 < res.epsilon <= min(eps_from_mu(0.1, DELTA), 0.5) + 1e-12


def test_laplace_out_of_play_keeps_exact_gaussian_answer():
    rows = [{"x": 1, "g": 1}, {"y": 1, "l": 1}]
    res = leakage(rows, "x", masks=(), gaussian={"g": 2.0}, laplace={"l": 1.0})
    assert not res.bound and res.mu == pytest.approx(0.5)


# --------------------------------------------------- property test against scipy

ATOMS = ["x", "m1", "m2", "g1", "g2", "g3", "k"]


@settings(max_examples=150, deadline=None)
@given(
    rows=st.lists(
        st.dictionaries(st.sampled_from(ATOMS), st.integers(-2, 2), min_size=1, max_size=4),
        min_size=1, max_size=5,
    ),
    sig=st.lists(st.sampled_from([0.5, 1.0, 2.0, 3.0]), min_size=3, max_size=3),
)
def test_gaussian_leakage_agrees_with_dense_oracle(rows, sig):
    from scipy.linalg import null_space

    rows = [{a: c for a, c in r.items() if c} for r in rows]
    assume(any(r for r in rows))
    masks = ["m1", "m2"]
    noise = ["g1", "g2", "g3"]
    gauss = dict(zip(noise, sig, strict=True))
    res = leakage(rows, "x", masks=set(masks), gaussian=gauss, laplace={})

    def mat(cols):
        return np.array([[float(r.get(c, 0)) for c in cols] for r in rows])

    a, mm, cc = mat(["x"])[:, 0], mat(masks), mat(noise)
    left = null_space(mm.T) if mm.any() else np.eye(len(rows))
    a_eff, c_eff = left.T @ a, left.T @ cc
    if left.size == 0 or np.allclose(a_eff, 0, atol=1e-9):
        assert res.kind == "none"
        return
    cov = c_eff @ np.diag(np.square(sig)) @ c_eff.T
    # exact iff a_eff leaves the range of the noise covariance
    rank_c = np.linalg.matrix_rank(c_eff, tol=1e-9) if c_eff.size else 0
    rank_ca = np.linalg.matrix_rank(np.column_stack([c_eff, a_eff]), tol=1e-9)
    if rank_ca > rank_c:
        assert res.kind == "exact"
        return
    assert res.kind == "dp" and not res.bound
    mu = math.sqrt(a_eff @ np.linalg.pinv(cov, rcond=1e-10) @ a_eff)
    assert res.mu == pytest.approx(mu, rel=1e-7)
    assert res.epsilon == pytest.approx(eps_from_mu(mu, DELTA), rel=1e-7)


def test_random_laplace_bounds_beat_per_observation_composition():
    # Every row j carries its own Laplace noise l_j, so charging each row separately
    # (shift a_j on l_j, 0 elsewhere) is a feasible explanation with bound
    # sum_j |a_j| / b_j.  Ours minimises over explanations, so it is never worse.
    rnd = random.Random(3)
    for _ in range(40):
        rows = []
        for j in range(rnd.randint(1, 4)):
            r: dict = {("l", j): 1}
            if rnd.random() < 0.8:
                r["x"] = rnd.choice([1, 2, -1])
            for i in rnd.sample(range(4), rnd.randint(0, 2)):
                r[("s", i)] = rnd.choice([1, -1])
            rows.append(r)
        lap = {("l", j): rnd.choice([0.5, 1.0, 3.0]) for j in range(len(rows))}
        lap.update({("s", i): rnd.choice([1.0, 2.0]) for i in range(4)})
        res = leakage(rows, "x", masks=(), gaussian={}, laplace=lap)
        per_row = sum(abs(r.get("x", 0)) / lap[("l", j)] for j, r in enumerate(rows))
        if per_row == 0:
            assert res.kind == "none"
            continue
        assert res.kind == "dp" and res.bound
        assert 0 < res.epsilon <= per_row + 1e-9
