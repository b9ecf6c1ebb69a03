"""The sensitivity and discovery methods against functions whose answers are known (no model runs)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from simulation.explore import designs
from simulation.explore.break_even import bisect
from simulation.explore.discovery import conditions, find_box
from simulation.explore.study import Factor


def ishigami(unit: np.ndarray, a: float = 7.0, b: float = 0.1) -> np.ndarray:
    z = -np.pi + 2 * np.pi * unit
    return np.sin(z[:, 0]) + a * np.sin(z[:, 1]) ** 2 + b * z[:, 2] ** 4 * np.sin(z[:, 0])


def test_sobol_of_ishigami_within_stated_tolerances():
    """Ishigami (a=7, b=0.1): S1 = 0.314, 0.442, 0; ST = 0.558, 0.442, 0.244 (Saltelli et al. 2008).
    N = 1024: within 0.05 absolute (SALib's own test tolerance), and the interval covers the truth."""
    problem = designs.unit_problem(["x1", "x2", "x3"])
    x = designs.sobol_design(problem, 1024, seed=1)
    si = designs.sobol_indices(problem, ishigami(x), seed=1, resamples=100)
    exact_s1, exact_st = np.array([0.314, 0.442, 0.0]), np.array([0.558, 0.442, 0.244])
    np.testing.assert_allclose(si["S1"], exact_s1, atol=0.05)
    np.testing.assert_allclose(si["ST"], exact_st, atol=0.05)
    assert (np.abs(si["ST"] - exact_st) <= si["ST_conf"] + 0.02).all()


def test_sobol_rows_of_n_are_the_first_rows_of_2n():
    """The governor's next stage extends the design: every point already run is reused."""
    problem = designs.unit_problem(["a", "b", "c"])
    small, large = designs.sobol_design(problem, 16, seed=3), designs.sobol_design(problem, 32, seed=3)
    np.testing.assert_array_equal(small, large[:len(small)])


def test_morris_ranks_a_planted_linear_function():
    """y = 10a + 5b + 1c + 0d: μ* ranks a > b > c > d, equals the coefficients, σ = 0 (no interaction)."""
    problem = designs.unit_problem(list("abcd"))
    x = designs.morris_design(problem, 10, 4, seed=2)
    y = 10 * x[:, 0] + 5 * x[:, 1] + 1 * x[:, 2]
    idx = designs.morris_indices(problem, x, y, 4, seed=2)
    assert idx.sort_values("mu_star", ascending=False)["factor"].tolist() == list("abcd")
    np.testing.assert_allclose(idx["mu_star"], [10, 5, 1, 0], atol=1e-9)
    np.testing.assert_allclose(idx["sigma"], 0, atol=1e-9)


def test_morris_sigma_sees_an_interaction():
    """y = a·b: neither factor has a constant effect, so σ > 0 for both; c does nothing."""
    problem = designs.unit_problem(list("abc"))
    x = designs.morris_design(problem, 20, 4, seed=5)
    idx = designs.morris_indices(problem, x, x[:, 0] * x[:, 1], 4, seed=5).set_index("factor")
    assert idx.loc["a", "sigma"] > 0.1 and idx.loc["b", "sigma"] > 0.1
    assert idx.loc["c", "mu_star"] == 0


def test_the_same_seed_gives_identical_indices_and_another_seed_other_intervals():
    problem = designs.unit_problem(["x1", "x2", "x3"])
    x = designs.sobol_design(problem, 128, seed=7)
    y = ishigami(x)
    first = designs.sobol_indices(problem, y, seed=11, resamples=50)
    again = designs.sobol_indices(problem, y, seed=11, resamples=50)
    pd.testing.assert_frame_equal(first, again)
    other = designs.sobol_indices(problem, y, seed=12, resamples=50)
    assert not np.allclose(first["ST_conf"], other["ST_conf"])
    m1 = designs.morris_design(problem, 5, 4, seed=1)
    np.testing.assert_array_equal(m1, designs.morris_design(problem, 5, 4, seed=1))


def test_noise_floor_marks_factors_at_or_below_the_dummy():
    table = pd.DataFrame({"factor": ["a", "b", "seed"], "ST": [0.5, 0.02, 0.03], "ST_conf": [0.05, 0.01, 0.01]})
    marked = designs.mark_noise(table, "seed", "ST", "ST_conf").set_index("factor")
    assert marked.loc["seed", "noise_floor"] == pytest.approx(0.04)
    assert marked["noise"].to_dict() == {"a": False, "b": True, "seed": True}


def test_governor_stops_only_when_every_retained_interval_is_narrow():
    narrow = pd.DataFrame({"factor": ["a", "b"], "ST": [0.5, 0.2], "ST_conf": [0.04, 0.019], "noise": [False, False]})
    wide = narrow.assign(ST_conf=[0.04, 0.05])
    noisy_only = narrow.assign(noise=[True, True], ST_conf=[1.0, 1.0])
    assert designs.governor([narrow], 0.1).converged
    verdict = designs.governor([narrow, wide], 0.1)
    assert not verdict.converged and verdict.worst_ratio == pytest.approx(0.25) and verdict.retained == 4
    assert designs.governor([noisy_only], 0.1).converged       # nothing retained holds nothing back


def test_prim_recovers_a_planted_box():
    """The rule works where a > 0.6 and b < 0.4 (c, d irrelevant): PRIM's box restricts a and b only,
    near the planted limits, with coverage and density ≥ 0.8."""
    rng = np.random.default_rng(1)
    x = pd.DataFrame(rng.uniform(size=(1000, 4)), columns=list("abcd"))
    works = ((x["a"] > 0.6) & (x["b"] < 0.4)).to_numpy()
    box = find_box(x, works, min_coverage=0.8)
    assert box.coverage >= 0.8 and box.density >= 0.8
    found = {(f, op): v for f, op, v in conditions(box)}
    assert set(found) == {("a", ">="), ("b", "<=")}
    assert found[("a", ">=")] == pytest.approx(0.6, abs=0.05)
    assert found[("b", "<=")] == pytest.approx(0.4, abs=0.05)
    assert (box.trajectory["coverage"].diff().dropna() <= 1e-12).all()   # peeling only loses cases


def test_prim_gives_no_box_when_the_rule_works_everywhere_or_nowhere():
    x = pd.DataFrame({"a": np.linspace(0, 1, 50)})
    assert find_box(x, np.ones(50, bool)) is None
    assert find_box(x, np.zeros(50, bool)) is None


def test_bisection_finds_a_known_crossing_and_reports_brackets_that_do_not_straddle():
    f = lambda v: 1 / (1 + np.exp(-(v - 1.3) * 8))  # noqa: E731 - P = 0.5 at 1.3
    c = bisect(f, 0.0, 3.0, 0.5, 12)
    assert c.status == "found" and c.value == pytest.approx(1.3, abs=3 / 2 ** 12) and c.value >= 1.3
    assert c.evaluations == 14
    assert bisect(f, 2.0, 3.0, 0.5, 5).status == "already_at_low"
    none = bisect(f, 0.0, 1.0, 0.5, 5)
    assert none.status == "not_reached" and np.isnan(none.value)


def test_factor_values_follow_their_distribution():
    u = np.linspace(0.0005, 0.9995, 1000)
    uniform = Factor("x", "k", 2.0, 4.0)
    assert uniform.value(0.0) == 2.0 and uniform.value(1.0) == 4.0 and uniform.value(0.5) == 3.0
    tri = Factor("x", "k", 0.0, 1.0, dist="triangular", mode=0.25)
    values = np.array([tri.value(v) for v in u])
    assert values.mean() == pytest.approx((0 + 1 + 0.25) / 3, abs=0.01)     # mean of a triangle
    year = Factor("y", "k", 2017, 2024, integer=True)
    years = [year.value(v) for v in u]
    assert set(years) == set(range(2017, 2025)) and all(isinstance(v, int) for v in years)
    assert abs(years.count(2017) - years.count(2024)) <= 2                # each year equally likely
