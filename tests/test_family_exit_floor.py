"""The EB exit floor by composition and the eligible families' exit rate (issue 11 item 3, 0.5.0).

``population.eb_exit_hazard_floor_multiplier_by_composition`` scales the floor of each composition,
h_c(d) = (h(0) − f·m_c)·z·exp(−λd) + f·m_c. Two closed forms follow:

- with a very fast fading part (λ = 5 a month: exp(−5·24) ≈ 1e-52) and no frailty, a family on EB
  ≥ 24 months leaves with exactly its floor f·m each month, so the counter behind the calibration
  target ``eligible_family_exits_per_year`` reads 12·f·m;
- at duration 0 every composition's hazard is h(0), whatever its floor (the key keeps the meaning
  issue 11 item 7 gave it).
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from scenarios.validation import ConfigError, validate
from simulation.core.calibration import baseline_statistics
from simulation.core.model import CONTROL, SifsimModel
from tests.support import make_config

FLOOR = 0.01
CLOSED = ("intervention=none", "population.households=3000", "horizon_years=3",
          "population.eb_exit_hazard_per_month=0.3", "population.eb_duration_decay=5",
          f"population.eb_exit_hazard_floor_per_month={FLOOR}", "population.exit_propensity_sd=0",
          "population.reentry_enabled=false", "population.inflow_enabled=false",
          "population.caseload_elasticity=0", "population.pension_age_years=100")


def floors(families: float, others: float) -> str:
    return ("population.eb_exit_hazard_floor_multiplier_by_composition={"
            f"single_adult:{others},single_parent:{families},couple_with_children:{families},"
            f"couple_without_children:{others}}}")


def eligible_family_rate(families: float, others: float) -> tuple[float, float]:
    """The counter's pooled rate over 4 replications and all years, and its binomial standard error."""
    cfg = make_config(*CLOSED, floors(families, others))
    model = SifsimModel(cfg, replications=[0, 1, 2, 3]).run()
    rows = pd.concat([pd.DataFrame(model.replication_rows(r)["calibration"]) for r in range(4)])
    rate = baseline_statistics(rows, skip_years=0)["eligible_family_exits_per_year"]
    months = rows["eligible_family_months"].sum()
    p = rate / 12
    return rate, 12 * math.sqrt(p * (1 - p) / months)


@pytest.mark.parametrize("families", [0.3, 1.0])
def test_eligible_families_leave_at_their_floor(families):
    rate, se = eligible_family_rate(families, 2.5)
    expected = 12 * FLOOR * families
    # ≈ 30 000 family-months at risk: a standard error of ≈ 0.003–0.007 a year
    assert abs(rate - expected) < 4 * se, (rate, expected, se)


def test_the_families_floor_moves_the_counter_and_the_others_do_not():
    low, se_low = eligible_family_rate(0.3, 1.0)
    other, se_other = eligible_family_rate(0.3, 2.5)
    high, se_high = eligible_family_rate(1.0, 1.0)
    assert high - low > 8 * math.hypot(se_low, se_high), (low, high)
    # households without children are not in the counter: their floor moves it only through the draws
    # of the starting stock (a different sample of the same families' distribution)
    assert abs(low - other) < 4 * math.hypot(se_low, se_other), (low, other)


def test_every_composition_starts_a_spell_at_h0_whatever_its_floor():
    cfg = make_config("intervention=none", "population.households=100", "horizon_years=1",
                      floors(0.3, 2.5))
    model = SifsimModel(cfg)
    hh, benefits = model.households, model.benefits
    assert benefits.floor_by_entry.min() < benefits.floor_by_entry.max()      # the floors differ
    # h(0) = fading part + floor for every composition (propensity 1, duration 0)
    np.testing.assert_allclose(benefits.fading_by_entry + benefits.floor_by_entry,
                               cfg.population.eb_exit_hazard_per_month, rtol=0, atol=1e-15)
    assert hh.on_eb[CONTROL].any()


@pytest.mark.parametrize("override, named", [
    ("population.eb_exit_hazard_floor_multiplier_by_composition.single_parent=-1",
     "population.eb_exit_hazard_floor_multiplier_by_composition.single_parent=-1"),
    # 0.008 × 40 = 0.32 a month, above the start-of-spell hazard 0.258
    ("population.eb_exit_hazard_floor_multiplier_by_composition.single_adult=40",
     "population.eb_exit_hazard_floor_multiplier_by_composition.single_adult=40"),
    ("~population.eb_exit_hazard_floor_multiplier_by_composition.couple_without_children",
     "population.eb_exit_hazard_floor_multiplier_by_composition.couple_without_children: missing"),
    ("+population.eb_exit_hazard_floor_multiplier_by_composition.pensioner=1",
     "population.eb_exit_hazard_floor_multiplier_by_composition.pensioner: unknown composition"),
])
def test_a_bad_floor_multiplier_is_refused_naming_the_key(override, named):
    cfg = make_config(override)
    with pytest.raises(ConfigError) as err:
        validate(cfg)
    problems = [line for line in str(err.value).splitlines() if line.strip().startswith("-")]
    assert any(named in p for p in problems), str(err.value)
    assert len(problems) == 1, str(err.value)
