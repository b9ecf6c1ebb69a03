"""The declared study: what it composes to, and one clear message per problem before anything runs."""

from __future__ import annotations

import numpy as np
import pytest

from simulation.core.outcomes import OUTCOMES
from simulation.explore.evaluate import PointBuilder, points_of
from simulation.explore.study import DUMMY, StudyError, load_study, split_arguments


def problems_of(*args: str) -> list[str]:
    with pytest.raises(StudyError) as err:
        load_study(list(args))
    return err.value.problems


def test_the_default_study_declares_real_keys_outcomes_of_the_registry_and_sources():
    study = load_study([])
    keys = {f.name: f.key for f in study.factors}
    assert keys["effect_scale"] == "intervention.effect_scale"
    assert keys["reentry_duration_memory"] == "population.reentry_duration_memory"
    assert keys["discount_rate"] == "economy.discount_rate"
    assert keys["hvb_sek_per_day"] == "economy.hvb_sek_per_day"
    assert keys["policy_path_start_year"] == "intervention.ordinary_practice.start_year"
    assert len(study.factors) == 13 and DUMMY not in keys
    # what would have happened anyway (issue 11's family exit floor) is one factor over both family keys
    floor = next(f for f in study.factors if f.name == "family_exit_floor_multiplier")
    prefix = "population.eb_exit_hazard_floor_multiplier_by_composition."
    assert floor.keys == (prefix + "single_parent", prefix + "couple_with_children")
    assert next(f for f in study.factors if f.name == "policy_path_start_year").integer
    assert set(study.outcomes) <= set(OUTCOMES)
    assert {"attributable_saving_pv_sek", "p_full_repayment", "peak_budget_pressure_posts",
            "repaid_share", "borrower_saving_sek"} <= set(study.outcomes)
    assert {s.name for s in study.success} == {"full_repayment", "pressure_within_one_post"}
    from simulation.explore.command import factor_sources
    sources = factor_sources(study)
    assert set(sources) == set(keys)
    assert "1 100–8 400" in sources["hvb_sek_per_day"]


def test_study_and_model_overrides_are_split():
    study, model = split_arguments(["explore.design=sobol", "horizon_years=6", "uncertainty=smoke"])
    assert study == ["explore.design=sobol", "+uncertainty=smoke"] and model == ["horizon_years=6"]
    assert load_study(["explore.replications=3", "horizon_years=6"]).model_overrides == ("horizon_years=6",)


def test_a_factor_range_outside_the_schema_is_refused_naming_key_value_and_range():
    [p] = problems_of("uncertainty.factors.discount_rate.high=1.5")
    assert "uncertainty.factors.discount_rate.high=1.5" in p and "economy.discount_rate" in p
    assert "a number in [0.0, 1.0)" in p


def test_a_factor_that_is_not_a_number_is_refused():
    [p] = problems_of("uncertainty.factors.effect_scale.key=intervention.name")
    assert p.startswith("uncertainty.factors.effect_scale.key=intervention.name: not a number")
    assert "allowed: a key whose value is a float or an int" in p


def test_an_unknown_factor_key_and_an_unknown_outcome_are_both_reported():
    problems = problems_of("uncertainty.factors.effect_scale.key=intervention.effekt_scale",
                           "uncertainty.outcomes=[repaid_share,repaid_shares]")
    assert any("intervention.effekt_scale: unknown config key" in p for p in problems)
    assert any("'repaid_shares' is not an outcome; allowed: " in p and "repaid_share" in p for p in problems)


def test_bad_settings_are_each_named():
    problems = problems_of("explore.design=latin", "explore.replications=1", "explore.sobol_base_samples=100",
                           "+explore.chunks=3")
    text = "\n".join(problems)
    assert "explore.design='latin': not allowed; allowed: one of morris, sobol, none" in text
    assert "explore.replications=1: not allowed; allowed: an integer >= 2" in text
    assert "explore.sobol_base_samples=100: not allowed; allowed: a power of two >= 8" in text
    assert "explore.chunks: unknown key" in text


def test_an_unknown_uncertainty_set_lists_the_options():
    [p] = problems_of("+uncertainty=nope")
    assert "uncertainty=nope: no such option in config group 'uncertainty'; allowed: default, smoke" == p


def test_an_integer_key_needs_whole_bounds():
    [p] = problems_of("uncertainty.factors.policy_path_start_year.high=2020.5")
    assert "intervention.ordinary_practice.start_year is an integer; allowed: whole numbers" in p


FLOOR = "population.eb_exit_hazard_floor_multiplier_by_composition"


def test_a_factor_may_set_several_keys_and_each_is_checked():
    problems = problems_of(f"uncertainty.factors.family_exit_floor_multiplier.key=[{FLOOR}.single_parent,"
                           "population.eb_exit_floor_multipliers.couple_with_children]")
    assert any("population.eb_exit_floor_multipliers.couple_with_children: unknown config key" in p
               for p in problems)
    # a map's entries have no range in the schema: the model's own check names each key at the factor's end
    study = load_study(["uncertainty.factors.family_exit_floor_multiplier.low=-0.1"])
    with PointBuilder(study) as builder:
        problems = builder.check()
    for composition in ("single_parent", "couple_with_children"):
        assert any(p.startswith(f"{FLOOR}.{composition}=-0.1: expected a number >= 0 (at {FLOOR}.single_parent")
                   for p in problems), problems


def test_a_point_sets_every_key_of_a_factor_to_its_value():
    study = load_study([])
    floor = next(f for f in study.factors if f.name == "family_exit_floor_multiplier")
    unit = np.full((1, len(study.factors) + 1), 0.5)
    unit[0, study.factor_names.index(floor.name)] = 1.0
    with PointBuilder(study) as builder:
        [point] = points_of(study, unit, builder.base_seed())
        config = builder.point(point).config
    multipliers = config.population.eb_exit_hazard_floor_multiplier_by_composition
    assert multipliers["single_parent"] == multipliers["couple_with_children"] == floor.high
    assert multipliers["single_adult"] == 2.5 != floor.high          # the other compositions keep their value
    assert f"{FLOOR}.single_parent=0.6" in point.overrides(study)
    assert f"{FLOOR}.couple_with_children=0.6" in point.overrides(study)


def test_a_key_set_by_two_factors_is_refused_even_inside_a_list():
    [p] = problems_of(f"+uncertainty.factors.another_floor={{key: {FLOOR}.couple_with_children, low: 0.2, "
                      "high: 0.4}")
    assert p == (f"uncertainty.factors: key {FLOOR}.couple_with_children is set by two factors; "
                 "allowed: one factor per key")


def test_an_integer_key_cannot_share_a_factor():
    problems = problems_of("uncertainty.factors.policy_path_start_year.key=[intervention.ordinary_practice.start_year,"
                           "economy.discount_rate]")
    assert any("policy_path_start_year.key=" in p and "an integer key in a list" in p for p in problems)
