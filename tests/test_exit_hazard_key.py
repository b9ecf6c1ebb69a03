"""Issue 11 item 7: ``population.eb_exit_hazard_per_month`` is the hazard at the start of a spell.

h(d) = (h(0) − floor)·z·exp(−λd) + floor, so for households at duration 0 the expected share leaving
in the first month is E[h(0)] = (h(0) − floor)·E[z] + floor = h(0) (E[z] = 1), floor included:
doubling the key doubles first-month exits. Under the old form (floor added on top of the key) the
same doubling gives (2h + f)/(h + f) = 1.67 with h = 0.1, f = 0.05, far outside the tolerance.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from scenarios.validation import ConfigError, validate
from simulation.core.model import CONTROL, SifsimModel
from tests.support import make_config

HOUSEHOLDS = 100_000
FLOOR = 0.05
# everyone starts at duration 0 (months drawn from [0, 1)), nothing comes in or back, no caseload
# effect, one composition multiplier: the first month's exits are a binomial draw per household
START_OF_SPELL = (
    "intervention=none", f"population.households={HOUSEHOLDS}", "replications=1", "horizon_years=1",
    "population.max_initial_months_on_eb=1", f"population.eb_exit_hazard_floor_per_month={FLOOR}",
    "population.reentry_enabled=false", "population.inflow_enabled=false",
    "population.caseload_elasticity=0",
    "population.exit_hazard_multiplier_by_composition={single_adult:1,single_parent:1,"
    "couple_with_children:1,couple_without_children:1}",
)


def first_month_exit_share(hazard: float, propensity_sd: float) -> float:
    cfg = make_config(*START_OF_SPELL, f"population.eb_exit_hazard_per_month={hazard}",
                      f"population.exit_propensity_sd={propensity_sd}")
    model = SifsimModel(cfg)
    hh = model.households
    assert (hh.months_on_eb[CONTROL][hh.on_eb[CONTROL]] == 0).all()
    before = int(hh.on_eb[CONTROL].sum())
    model.step()
    return (before - int(hh.on_eb[CONTROL].sum())) / before


@pytest.mark.parametrize("propensity_sd", [0.0, 0.6])
def test_doubling_the_start_of_spell_hazard_doubles_first_month_exits(propensity_sd):
    h = 0.1
    single, double = first_month_exit_share(h, propensity_sd), first_month_exit_share(2 * h, propensity_sd)
    # closed form: the share leaving in month one is the key itself; 4 binomial standard errors
    # (≈ 0.004 at h = 0.1 and 0.005 at 0.2 with 100 000 households; the frailty adds no bias: E[z] = 1)
    for share, expected in ((single, h), (double, 2 * h)):
        se = math.sqrt(expected * (1 - expected) / HOUSEHOLDS)
        assert abs(share - expected) < 4 * se, (share, expected, se)
    # the ratio: 2 within 4 standard errors of a ratio of two independent binomial shares (≈ 0.023)
    ratio_se = 2 * math.sqrt((1 - h) / (h * HOUSEHOLDS) + (1 - 2 * h) / (2 * h * HOUSEHOLDS))
    assert abs(double / single - 2) < 4 * ratio_se, (double / single, ratio_se)


def test_a_floor_above_the_start_of_spell_hazard_is_refused():
    cfg = make_config("population.eb_exit_hazard_per_month=0.01", "population.eb_exit_hazard_floor_per_month=0.02")
    with pytest.raises(ConfigError) as err:
        validate(cfg)
    message = str(err.value)
    assert "population.eb_exit_hazard_floor_per_month=0.02" in message
    assert "population.eb_exit_hazard_per_month=0.01" in message
