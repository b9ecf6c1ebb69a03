"""sifsim and the per-agent Mesa reference give the same EB trajectory, statistically.

Two configurations, both with no intervention (the control arm of sifsim is compared):

A. **Exact** — constant hazard (``eb_duration_decay=0``), no frailty
   (``exit_propensity_sd=0``), every composition multiplier 1,
   ``caseload_elasticity=0``, no re-entry, no inflow. Every household then
   leaves independently with the same monthly hazard ``h = h0 + floor``
   (the config's exit-hazard floor, if any), whatever its drawn starting
   duration or composition, so the number on EB after ``m`` months is
   Binomial(N, p(m)) with ``p(m) = (1 − h)^m``: mean ``N·p`` and,
   over R seeds, standard error ``√(N·p(1−p)/R)``. sifsim, the reference and
   the closed form must agree within 4 standard errors at months 12, 24 and
   60; a reference whose hazard (h0 and floor) is 10 % too high must be
   caught (it is, by ≈5–8 standard errors; 5 % would not be, reliably).

B. **Full baseline dynamics** — every baseline mechanism on: lognormal
   frailty (sd 0.6) times the composition multipliers, duration dependence
   (h0 = 0.15, λ = 0.03) plus the exit-hazard floor, caseload elasticity 0.5, re-entry by exit route
   with the 24-month multiplier and the re-entry window (``malmo_oster``
   values), Poisson inflow (an explicit 19 households a month, so that both
   models use the same rate), the starting stock drawn from the steady
   state and the pool of recent leavers who can come back, in both. No
   closed form: sifsim and the reference must agree within 4 standard errors
   of the difference (from the seeds' sample variances) in the mean number
   on EB at months 12, 24, 60 and the exits over 60 months.
   A reference whose hazard is 15 % too high must be caught here too (10 %
   is caught at ≈4–5 standard errors with these sizes: too close to call).

"Month m" is the row after m monthly steps (sifsim's population row m − 1).
sifsim's replications give its seeds; the reference uses seeds 1000, 1001, …
"""

from __future__ import annotations

import numpy as np
import pytest

from ._config import compose_config
from .reference_model import ReferenceModel, ReferenceParams

MONTHS = (12, 24, 60)
HORIZON_MONTHS = 60
SEEDS = 10
Z_LIMIT = 4.0

COMMON = ["population=malmo_oster", "intervention=none", "repayment=budget_model",
          f"replications={SEEDS}", f"horizon_years={HORIZON_MONTHS // 12}", "charts=false",
          "progress=false", "seed=20140101",
          # the per-agent yardstick has no ages: pension age beyond every horizon (issue 11 item 5)
          "population.pension_age_years=100"]
EXACT = COMMON + ["population.households=1500", "population.eb_exit_hazard_per_month=0.03",
                  "population.eb_duration_decay=0", "population.exit_propensity_sd=0",
                  "population.caseload_elasticity=0", "population.reentry_enabled=false",
                  "population.inflow_enabled=false"] + [
    f"population.exit_hazard_multiplier_by_composition.{c}=1.0"
    for c in ("single_adult", "single_parent", "couple_with_children", "couple_without_children")]
FULL = COMMON + ["population.households=500", "population.eb_exit_hazard_per_month=0.15",
                 "population.eb_duration_decay=0.03", "population.exit_propensity_sd=0.6",
                 "population.caseload_elasticity=0.5", "population.reentry_enabled=true",
                 "population.inflow_enabled=true", "population.inflow_households_per_month=19"]


def sifsim_runs(config) -> dict[str, np.ndarray]:
    """Per replication (rows): on EB at MONTHS, and exits over the horizon (control arm)."""
    from simulation.core.runner import run

    pop = run(config, progress=False).population
    ctl = pop[pop["arm"] == "control"].sort_values(["replication", "year", "month"])
    on_eb = ctl["households_on_eb"].to_numpy().reshape(config.replications, -1)
    exits = ctl["eb_exits"].to_numpy().reshape(config.replications, -1)
    assert on_eb.shape[1] >= HORIZON_MONTHS
    return {"on_eb": on_eb[:, [m - 1 for m in MONTHS]],
            "exits": exits[:, :HORIZON_MONTHS].sum(axis=1)}


def reference_runs(params: ReferenceParams, seeds: int = SEEDS) -> dict[str, np.ndarray]:
    on_eb, exits = [], []
    for i in range(seeds):
        traj = ReferenceModel(params, rng=1000 + i).run().trajectory()
        assert len(traj) == params.months
        on_eb.append(traj["households_on_eb"].to_numpy()[[m - 1 for m in MONTHS]])
        exits.append(traj["eb_exits"].to_numpy()[:HORIZON_MONTHS].sum())
    return {"on_eb": np.array(on_eb, dtype=float), "exits": np.array(exits, dtype=float)}


def closed_form_share(params: ReferenceParams, months: np.ndarray) -> np.ndarray:
    """p(m) = (1 − h0 − floor)^m: share of the stock still on EB (one constant hazard, nothing else)."""
    assert set(params.composition_multipliers) == {1.0} and params.exit_propensity_sd == 0
    hazard = params.exit_hazard_per_month + params.exit_hazard_floor_per_month
    return (1.0 - hazard) ** np.asarray(months, dtype=float)


def z_two_samples(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """(mean a − mean b) / standard error of the difference (sample variances)."""
    se = np.sqrt(a.var(axis=0, ddof=1) / len(a) + b.var(axis=0, ddof=1) / len(b))
    return (a.mean(axis=0) - b.mean(axis=0)) / np.maximum(se, 1e-9)


def z_closed_form(a: np.ndarray, n: int, share: np.ndarray) -> np.ndarray:
    """(mean a − N·p) / exact binomial standard error of the mean over the seeds."""
    se = np.sqrt(n * share * (1.0 - share) / len(a))
    return (a.mean(axis=0) - n * share) / se


def describe(label: str, z: np.ndarray) -> str:
    return f"{label}: z at months {MONTHS} = {np.round(z, 2).tolist()} (limit ±{Z_LIMIT})"


# --- A: exact, closed form available -----------------------------------------------------

@pytest.fixture(scope="module")
def exact():
    config = compose_config(EXACT)
    params = ReferenceParams.from_config(config, months=HORIZON_MONTHS)
    share = closed_form_share(params, np.array(MONTHS))
    return config, params, share, sifsim_runs(config), reference_runs(params)


def test_exact_config_is_what_the_closed_form_assumes(exact):
    config, params, *_ = exact
    pop = config.population
    assert (pop.eb_duration_decay, pop.exit_propensity_sd, pop.caseload_elasticity) == (0, 0, 0)
    assert set(pop.exit_hazard_multiplier_by_composition.values()) == {1.0}
    assert not pop.reentry_enabled and not pop.inflow_enabled
    assert config.intervention.participants_households == 0


def test_sifsim_matches_closed_form(exact):
    config, params, share, sif, _ = exact
    z = z_closed_form(sif["on_eb"], params.households, share)
    assert np.all(np.abs(z) < Z_LIMIT), describe("sifsim vs closed form", z)


def test_reference_matches_closed_form(exact):
    _, params, share, _, ref = exact
    z = z_closed_form(ref["on_eb"], params.households, share)
    assert np.all(np.abs(z) < Z_LIMIT), describe("reference vs closed form", z)


def test_sifsim_matches_reference_exact(exact):
    _, params, share, sif, ref = exact
    # both have the binomial variance under the hypothesis: SE of the difference is √2 × exact SE
    se = np.sqrt(2 * params.households * share * (1 - share) / SEEDS)
    z = (sif["on_eb"].mean(axis=0) - ref["on_eb"].mean(axis=0)) / se
    assert np.all(np.abs(z) < Z_LIMIT), describe("sifsim vs reference", z)


def test_a_wrong_hazard_is_detected(exact):
    """The comparison has teeth: a reference with a 10 % higher hazard fails it."""
    _, params, share, sif, _ = exact
    wrong = reference_runs(params.perturbed(exit_hazard_per_month=params.exit_hazard_per_month * 1.10,
                                            exit_hazard_floor_per_month=params.exit_hazard_floor_per_month * 1.10))
    z_cf = z_closed_form(wrong["on_eb"], params.households, share)
    se = np.sqrt(2 * params.households * share * (1 - share) / SEEDS)
    z_pair = (sif["on_eb"].mean(axis=0) - wrong["on_eb"].mean(axis=0)) / se
    assert np.max(np.abs(z_cf)) > Z_LIMIT, describe("perturbed reference vs closed form", z_cf)
    assert np.max(np.abs(z_pair)) > Z_LIMIT, describe("sifsim vs perturbed reference", z_pair)


# --- B: full baseline dynamics, no closed form ---------------------------------------------

@pytest.fixture(scope="module")
def full():
    config = compose_config(FULL)
    params = ReferenceParams.from_config(config, months=HORIZON_MONTHS)
    return config, params, sifsim_runs(config), reference_runs(params)


def test_full_config_exercises_every_baseline_mechanism(full):
    config, params, *_ = full
    pop = config.population
    assert pop.eb_duration_decay > 0 and pop.exit_propensity_sd > 0 and pop.caseload_elasticity > 0
    assert pop.reentry_enabled and pop.inflow_enabled and pop.inflow_households_per_month > 0
    assert params.reentry_multiplier_after_24_months != 1.0
    # sifsim's retirement of settled households must not cut re-entries (the reference keeps everyone)
    retire = getattr(pop, "retire_after_months_off_eb", None)
    window = getattr(pop, "reentry_window_months", None)
    assert retire is None or window is None or retire >= window


def test_sifsim_matches_reference_full_dynamics(full):
    _, _, sif, ref = full
    z = z_two_samples(sif["on_eb"], ref["on_eb"])
    assert np.all(np.abs(z) < Z_LIMIT), describe("on EB, sifsim vs reference", z)
    z_exits = float(z_two_samples(sif["exits"], ref["exits"]))
    assert abs(z_exits) < Z_LIMIT, f"exits over {HORIZON_MONTHS} months: z = {z_exits:.2f}"


def test_a_wrong_hazard_is_detected_full_dynamics(full):
    _, params, sif, _ = full
    wrong = reference_runs(params.perturbed(exit_hazard_per_month=params.exit_hazard_per_month * 1.15))
    z = np.append(z_two_samples(sif["on_eb"], wrong["on_eb"]), z_two_samples(sif["exits"], wrong["exits"]))
    assert np.max(np.abs(z)) > Z_LIMIT, f"sifsim vs reference with 15 % higher hazard: z = {np.round(z, 2)}"
