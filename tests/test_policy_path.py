"""The policy path (issue 11): a method that becomes ordinary practice reaches both arms."""

from __future__ import annotations

import numpy as np
import pandas as pd

from scenarios.validation import collect_problems
from simulation.core.model import CONTROL, INTERVENTION, SifsimModel
from simulation.core.runner import run, savings_by
from tests.support import make_config

SMALL = ("replications=4", "horizon_years=8")
OFF = "intervention.ordinary_practice.enabled=false"


def eb_saving_by_year(results) -> pd.Series:
    eb = savings_by(results.ledger[results.ledger["category"] == "eb"], ["year"])
    return eb.set_index("year")["saving_sek"]


def test_the_default_oster_path_follows_seed_001():
    op = make_config().intervention.ordinary_practice
    assert (op.enabled, op.start_year, op.start_month, op.eligible_min_months_on_eb, op.mechanisms) == \
        (True, 2019, 2, 24, ["caseload"])


def test_a_disabled_path_is_the_model_without_one():
    """enabled=false gives the same tables as a path that never reaches anyone (no mechanism,
    or a date after the horizon): the off path runs exactly the code of the model before it."""
    off = run(make_config(*SMALL, OFF))
    for other in (("intervention.ordinary_practice.mechanisms=[]",),
                  ("intervention.ordinary_practice.start_year=2099",)):
        on = run(make_config(*SMALL, *other))
        for table in ("ledger", "population", "repayment"):
            pd.testing.assert_frame_equal(getattr(off, table), getattr(on, table))


def test_the_path_reaches_eligible_households_of_both_arms_from_its_date():
    cfg = make_config("replications=1", "horizon_years=7", "intervention.ordinary_practice.start_year=2019",
                      "intervention.ordinary_practice.start_month=2")
    model = SifsimModel(cfg)
    policy = model.intervention.ordinary_practice
    assert policy.t_start == 12 * 5 + 1
    assert not policy.reaches(policy.t_start - 1, "caseload")
    assert policy.reaches(policy.t_start, "caseload")
    assert not policy.reaches(policy.t_start, "family_treatment")
    for _ in range(policy.t_start):
        model.step()
    reached = policy.eligible()
    hh = model.households
    assert reached[CONTROL].any() and reached[INTERVENTION].any()
    assert (hh.months_on_eb[reached] >= 24).all() and hh.on_eb[reached].all()


def test_with_the_path_the_attributable_eb_saving_after_its_date_shrinks():
    off, on = run(make_config(*SMALL, OFF)), run(make_config(*SMALL))
    before_off, before_on = (eb_saving_by_year(r).loc[:2018] for r in (off, on))
    after_off, after_on = (eb_saving_by_year(r).loc[2019:].sum() for r in (off, on))
    np.testing.assert_allclose(before_on.to_numpy(), before_off.to_numpy())   # nothing changes before 2019
    assert after_off > 0
    assert after_on < 0.9 * after_off


def test_bad_path_values_are_refused_with_a_message():
    bad = make_config("intervention.ordinary_practice.mechanisms=[caseload,protective]",
                      "intervention.ordinary_practice.start_year=2013",
                      "intervention.ordinary_practice.start_month=13",
                      "intervention.ordinary_practice.eligible_min_months_on_eb=-1")
    problems = "\n".join(collect_problems(bad))
    assert "intervention.ordinary_practice.mechanisms[1]='protective': allowed values are caseload" in problems
    assert "intervention.ordinary_practice.start_month=13: expected a number in [1, 12]" in problems
    assert "intervention.ordinary_practice.eligible_min_months_on_eb=-1: expected a number >= 0" in problems
    early = make_config("intervention.ordinary_practice.start_year=2013")
    assert any("ordinary_practice.start_year/start_month=2013-02: before the intervention's start 2014-01"
               in p for p in collect_problems(early))
    assert collect_problems(make_config()) == []
