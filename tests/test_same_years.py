"""Issue 11 item 6: evaluation methods are compared over the same years (years.csv, the waterfall)."""

from __future__ import annotations

import numpy as np
import pytest

from simulation.core.runner import run
from tests.support import make_config


@pytest.fixture(scope="module")
def results():
    cfg = make_config("replications=3", "horizon_years=8")
    return cfg, run(cfg)


def test_years_carry_the_attributable_saving_of_each_year(results):
    cfg, res = results
    years = res.years
    per_rep = res.per_replication.drop_duplicates("replication").set_index("replication").sort_index()
    by_rep = years.groupby("replication")
    # every year: the horizon total; the project years: the saving within the project years
    assert np.allclose(by_rep["attributable_saving_sek"].sum(), per_rep["attributable_saving_sek"], atol=1.0)
    project = years[years["project_year"]]
    assert sorted(project["year"].unique()) == list(range(cfg.intervention.start_year, cfg.intervention.end_year + 1))
    assert np.allclose(project.groupby("replication")["attributable_saving_sek"].sum(),
                       per_rep["attributable_saving_project_years_sek"], atol=1.0)


def test_the_naive_claim_is_made_over_the_project_years_only(results):
    """So the naive claim and the project years' attributable saving cover the same years."""
    _, res = results
    years = res.years
    outside = years[~years["project_year"]]
    assert (outside["naive_claim_total_sek"] == 0).all()
    assert (outside["deadweight_adjusted_claim_sek"] == 0).all()
    assert (years[years["project_year"]]["naive_claim_total_sek"] != 0).any()
    per_rep = res.per_replication.drop_duplicates("replication").set_index("replication").sort_index()
    assert np.allclose(years.groupby("replication")["naive_claim_total_sek"].sum(), per_rep["naive_claim_sek"])
