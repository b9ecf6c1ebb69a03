"""Intervention mechanics: effect scale, delay, implementation shocks, protective places."""

from __future__ import annotations

import numpy as np
import pytest

from simulation.core.model import CONTROL, INTERVENTION, SifsimModel
from simulation.core.runner import run, savings_by
from tests.support import make_config


def eb_saving_by_replication(*overrides: str) -> np.ndarray:
    results = run(make_config("replications=4", "horizon_years=6", *overrides))
    eb = savings_by(results.ledger[results.ledger["category"] == "eb"], ["replication"])
    return eb.set_index("replication")["saving_sek"].reindex(range(4), fill_value=0.0).to_numpy()


def test_a_larger_effect_scale_saves_more_on_average():
    none, half, full = (eb_saving_by_replication(f"intervention.effect_scale={s}") for s in (0, 0.5, 1))
    assert (none == 0).all()
    assert 0 < half.mean() < full.mean()


def test_a_delayed_start_enrols_nobody_before_the_delay_is_over():
    cfg = make_config("intervention=familjecentral_sodertalje", "municipality=sodertalje",
                      "population=sodertalje", "replications=1", "horizon_years=5")
    model = SifsimModel(cfg)
    assert model.intervention.t_start == 24
    for _ in range(24):
        model.step()
    assert not model.households.participant.any()
    model.step()
    assert model.households.participant[INTERVENTION].any()
    assert model.households.participant[CONTROL].any()   # the same rule picks the comparison families


def test_an_implementation_shock_cuts_the_effect_for_its_duration():
    cfg = make_config("replications=1", "horizon_years=6", "intervention.ramp_up_months=0",
                      "intervention.implementation_shocks=[{year:2015,month:7,duration_months:6,"
                      "effect_multiplier:0.25}]")
    model = SifsimModel(cfg)
    itv = model.intervention
    before, during, after = (itv.effect_strength(t) for t in (17, 18, 24))
    assert before == after == pytest.approx(1.0)
    assert during == pytest.approx(0.25)
    assert itv.effect_strength(itv.t_end + 12) == pytest.approx(np.exp(-12 / 12))


def test_protective_places_respect_capacity_and_age_and_only_the_intervention_arm():
    cfg = make_config("replications=1", "horizon_years=4")
    model = SifsimModel(cfg)
    for _ in range(30):
        model.step()
    ch = model.children
    factors = {m.key: m.factor for m in model.intervention.mechanisms if m.name == "protective"}
    assert set(factors) == set(cfg.intervention.protective)
    for name, mech in cfg.intervention.protective.items():
        k = factors[name]
        held = ch.assigned_protective[INTERVENTION] == k
        assert 0 < held.sum() <= mech.capacity_children
        assert not (ch.assigned_protective[CONTROL] == k).any()
        assert ch.protective[INTERVENTION, held, k].all()


def test_deadweight_adjusted_claim_stops_with_the_project():
    """Naive and expected-anyway exits are counted over the same years (issue 10, smell 2).

    The expected baseline kept growing after the project while the naive claim
    stopped, so the deadweight-adjusted claim went negative in 2018–21.
    """
    cfg = make_config("replications=1", "horizon_years=8", "municipality.reorganisations=[]")
    model = SifsimModel(cfg).run()
    end = cfg.intervention.end_year
    after = [y for y in model.years if y.year > end]
    during = [y for y in model.years if y.year <= end]
    assert after and all(y.naive_claim_sek == 0.0 for y in after)
    assert all(y.deadweight_adjusted_claim_sek == 0.0 for y in after), \
        [(y.year, y.deadweight_adjusted_claim_sek) for y in after]
    # during the project the expected-anyway exits are subtracted (so the adjusted claim is smaller)
    assert sum(y.deadweight_adjusted_claim_sek for y in during) < sum(y.naive_claim_sek for y in during)
