"""Re-entry with memory (issue 11): a returning household resumes (part of) its months on EB."""

from __future__ import annotations

import numpy as np
import pytest

from agents.hazards import exit_hazard_per_month
from simulation.core.model import SifsimModel
from tests.support import make_config

# no heterogeneity, no inflow (fixed agent indices), no retirement, no pension exits (the closed
# form has none); duration dependence on, every household leaving returns often (re-entry as
# configured, half of them within a year)
MEMORY_SETUP = (
    "intervention=none", "population.households=3000", "horizon_years=6", "population.pension_age_years=100",
    "population.exit_propensity_sd=0", "population.eb_exit_hazard_floor_per_month=0",
    "population.eb_exit_hazard_per_month=0.25",   # the fitted fading part, without the floor
    "population.inflow_enabled=false", "population.caseload_elasticity=0",
    "population.retire_after_months_off_eb=null",
    "population.reentry_within_12_months_by_route={work:0.5,studies:0.5,other_benefit:0.5,moved:0,"
    "stopped_applying:0.5}",
    "population.exit_hazard_multiplier_by_composition={single_adult:1,single_parent:1,"
    "couple_with_children:1,couple_without_children:1}",
)


def follow(memory: float):
    """Step a model and count, by cumulative months on EB (all spells), households at risk and exits."""
    cfg = make_config(*MEMORY_SETUP, f"population.reentry_duration_memory={memory}")
    model = SifsimModel(cfg)
    hh = model.households
    cumulative = hh.months_on_eb.copy()          # months on EB so far, counted across spells
    at_risk, exits = np.zeros(400), np.zeros(400)
    clock_is_cumulative = True
    returned = 0
    for _ in range(model.n_months):
        on_before = hh.on_eb.copy()
        at_risk_idx = cumulative[on_before]
        model.step()
        left = on_before & ~hh.on_eb
        back = ~on_before & hh.on_eb
        returned += int(back.sum())
        np.add.at(at_risk, np.minimum(at_risk_idx, 399), 1)
        np.add.at(exits, np.minimum(cumulative[left], 399), 1)
        cumulative += hh.on_eb
        clock_is_cumulative &= bool((hh.months_on_eb[hh.on_eb] == cumulative[hh.on_eb]).all())
    return cfg.population, at_risk, exits, clock_is_cumulative, returned


def test_with_memory_one_a_returning_household_resumes_where_it_left_off():
    """Exact: with memory = 1 every household's duration clock is its cumulative months on EB, so
    its exit hazard month by month is that of one uninterrupted spell, whatever its exits."""
    pop, at_risk, exits, clock_is_cumulative, returned = follow(1.0)
    assert returned > 500                        # the set-up has many returns
    assert clock_is_cumulative
    # the spell-length distribution in EB months: life table against the closed form
    # S(k) = Π_{d<k} (1 − h(d)), h(d) = h0·exp(−λd) (floor 0, no heterogeneity)
    d = np.arange(36)
    h = exit_hazard_per_month(pop.eb_exit_hazard_per_month, d, pop.eb_duration_decay, 0.0)
    empirical = exits[d] / at_risk[d]
    se = np.sqrt(h * (1 - h) / at_risk[d])
    assert np.all(np.abs(empirical - h) < 4 * se + 1e-12)
    survival_model, survival_closed = np.cumprod(1 - empirical), np.cumprod(1 - h)
    np.testing.assert_allclose(survival_model, survival_closed, atol=0.02)


def test_with_memory_zero_returns_restart_the_clock():
    _, at_risk, exits, clock_is_cumulative, returned = follow(0.0)
    assert returned > 500 and not clock_is_cumulative


@pytest.mark.parametrize("memory", [0.0, 0.25, 1.0])
def test_a_return_resumes_with_the_share_of_its_months(memory):
    cfg = make_config("intervention=none", "population.households=50", "horizon_years=2",
                      f"population.reentry_duration_memory={memory}")
    hh = SifsimModel(cfg).households
    hh.months_on_eb[:] = 37
    hh.on_eb[:] = False
    hh.last_exit_route[:] = 0
    hh.months_since_exit[:] = 1
    back = hh.eb_reentries(np.ones(5), np.zeros(hh.on_eb.shape[1:]), 1.0, 60, memory)
    assert back.all()
    assert (hh.months_on_eb[back] == int(np.floor(memory * 37))).all()
