"""Numeric examples pinned against the oracles of DESIGN.md: secure aggregation
(Bonawitz et al. 2017), GOPA-style correlated noise, local Gaussian noise."""

from __future__ import annotations

import math

import numpy as np
import pytest
from conftest import EXAMPLES, check_example, check_text, learners
from test_examples import assertions, by_line

from tipasp import dp
from tipasp.results import Learns


def test_secure_aggregation_matches_bonawitz_oracle() -> None:
    res = check_example("secure_aggregation.tip")
    answers = {r.line: r.answer for r in res if isinstance(r, Learns)}
    name = "secure_aggregation.tip"
    expected = {
        "query server learns x[1] + x[2] + x[3] + x[4]": True,
        "query server learns x[1]\n": False,
        "query {server, u[2]} learns x[1] + x[3] + x[4]": True,
        "query {server, u[2]} learns x[1] + x[3]\n": False,
        "query {server, u[2], u[3]} learns x[1] + x[4]": True,
        "query {server, u[2], u[3]} learns x[1]\n": False,
        "query {server, u[2], u[3], u[4]} learns x[1]": True,
    }
    lines = (EXAMPLES / name).read_text().splitlines(keepends=True)
    for text, want in expected.items():
        line = next(i for i, ln in enumerate(lines, 1) if ln.startswith(text))
        assert answers[line] is want, text
    who = by_line(res, "query who learns x[1]", name)
    assert learners(who) == [["server", "u[2]", "u[3]", "u[4]"]]


def test_dropout_unmasking_exposes_u1_to_server_with_u2_u3() -> None:
    name = "secure_aggregation_dropout.tip"
    res = check_example(name)
    before = by_line(res, "query {server, u[2], u[3]} learns x[1] after upload", name).to_json()
    after = by_line(res, "query {server, u[2], u[3]} learns x[1]", name).to_json()
    assert before["answer"] is False and before["after"] == 1
    assert after["answer"] is True
    who_end = by_line(res, "query who learns x[1]", name)
    who_upload = by_line(res, "query who learns x[1] after upload", name)
    assert learners(who_end) == [["server", "u[2]", "u[3]"]]
    assert learners(who_upload) == []


def gopa_mu(adjacency_honest: np.ndarray, sigma_eta: float, sigma_delta: float, i: int) -> float:
    """mu for honest user i: the view is x + eta + Delta-sums, covariance
    sigma_eta^2 I + sigma_delta^2 L_H (DESIGN.md), sensitivity 1."""
    lap = np.diag(adjacency_honest.sum(axis=1)) - adjacency_honest
    cov = sigma_eta**2 * np.eye(len(lap)) + sigma_delta**2 * lap
    a = np.zeros(len(lap))
    a[i] = 1.0
    return float(math.sqrt(a @ np.linalg.solve(cov, a)))


def test_gopa_complete_graph_four_honest_users() -> None:
    res = check_example("gopa.tip")
    colluders = ["server", "u[5]", "u[6]"]
    leaks = [r for r in (r.to_json() for r in res)
             if r["kind"] == "leakage" and r["coalition"] == colluders]
    assert len(leaks) == 4
    oracle = gopa_mu(np.ones((4, 4)) - np.eye(4), 1.0, 1000.0, 0)
    for r in leaks:
        assert r["exact"] is False and r["bound"] is False
        assert r["mu"] == pytest.approx(oracle, abs=1e-6)
        assert r["epsilon"] == pytest.approx(1.9931, abs=1e-3)
    assert assertions(res) == {"leakage of x[1] to {server, u[5], u[6]} within 2.0, 1e-5": True}


def test_gopa_graph_epsilon_per_honest_user_follows_its_component() -> None:
    res = check_example("gopa_graph.tip")
    leaks = {r["target"]: r for r in (r.to_json() for r in res) if r["kind"] == "leakage"}
    adj = np.zeros((6, 6))
    for i, j in [(0, 1), (0, 2), (1, 2), (3, 4)]:
        adj[i, j] = adj[j, i] = 1
    for k in range(6):
        r = leaks[f"x[{k + 1}]"]
        assert r["mu"] == pytest.approx(gopa_mu(adj, 1.0, 1000.0, k), abs=1e-6)
        assert r["epsilon"] == pytest.approx(dp.eps_from_mu(r["mu"], 1e-5), abs=1e-9)
    assert leaks["x[4]"]["epsilon"] == pytest.approx(2.9432, abs=1e-3)  # two of two
    assert leaks["x[6]"]["epsilon"] == pytest.approx(4.3772, abs=1e-3)  # local DP
    got = assertions(res)
    assert got == {
        "leakage of x[4] to {server, u[7], u[8]} within 3.0, 1e-5": True,
        "leakage of x[6] to {server, u[7], u[8]} within 3.0, 1e-5": False,
    }


def test_local_noise_leaks_one_gaussian_release_to_the_server_only() -> None:
    res = check_example("local_noise.tip")
    to = {tuple(r["coalition"]): r for r in (r.to_json() for r in res) if r["kind"] == "leakage"}
    assert to[("server",)]["mu"] == pytest.approx(1.0, abs=1e-9)
    assert to[("server",)]["epsilon"] == pytest.approx(4.3772, abs=1e-3)
    assert to[("u[2]",)]["none"] is True
    assert to[("u[1]",)]["exact"] is True
    assert all(assertions(res).values())


def test_a_mask_that_other_messages_determine_hides_nothing() -> None:
    """m masks x[1] + e, but m + r and r reach the server too: m is determined, so
    the server's loss on x[1] is that of the Gaussian noise alone (mu = 1/sigma)."""

    spec = """agent server, a, b, c
secret x @ a
random m @ a, b
random r @ b, c
noise e ~ gaussian(2.0) @ a
a -> server : x + m + e
b -> server : m + r
c -> server : r
query leakage of x to server
query leakage of x to c
"""
    res = check_text(spec, "t.tip")
    to = {tuple(r["coalition"]): r for r in (r.to_json() for r in res) if r["kind"] == "leakage"}
    assert to[("server",)]["exact"] is False and to[("server",)]["none"] is False
    assert to[("server",)]["mu"] == pytest.approx(0.5, abs=1e-9)
    assert to[("c",)]["none"] is True
