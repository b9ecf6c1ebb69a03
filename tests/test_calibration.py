"""Calibration: the baseline against parameters.md §7 (EB and placements), with stated tolerances."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from scenarios.calibration import TARGETS
from simulation.core.calibration import baseline_statistics, calibration_table
from simulation.core.model import SifsimModel
from tests.support import make_config


CALIBRATION_REPLICATIONS = 30
#: a target is met when the pooled value is within the accepted range, allowing this many Monte
#: Carlo standard errors (from the spread between replications): the test is about the model's
#: expectation, not the luck of 30 replications
MONTE_CARLO_SE_ALLOWED = 2.0


@pytest.fixture(scope="module")
def baseline_stats():
    """Pooled statistics of 30 baseline replications (one batch), and their Monte Carlo standard errors."""
    cfg = make_config("intervention=none", "population.households=1000", "horizon_years=12")
    model = SifsimModel(cfg, replications=list(range(CALIBRATION_REPLICATIONS))).run()
    per_replication = [pd.DataFrame(model.replication_rows(r)["calibration"])
                       for r in range(CALIBRATION_REPLICATIONS)]
    pooled = baseline_statistics(pd.concat(per_replication))
    spread = pd.DataFrame([baseline_statistics(rows) for rows in per_replication])
    se = (spread.std(ddof=1) / np.sqrt(CALIBRATION_REPLICATIONS)).to_dict()
    return pooled, se


@pytest.mark.parametrize("target", TARGETS, ids=[t.name for t in TARGETS])
def test_baseline_meets_target(baseline_stats, target):
    pooled, se = baseline_stats
    value, allowance = pooled[target.name], MONTE_CARLO_SE_ALLOWED * se[target.name]
    assert target.low - allowance <= value <= target.high + allowance, \
        f"{target.name}: model {value:.3f} (Monte Carlo SE {se[target.name]:.4f}), accepted " \
        f"[{target.low}, {target.high}] ({target.source})"


def test_calibration_table_flags_a_miss():
    table = calibration_table({t.name: t.high * 2 for t in TARGETS})
    assert not table["met"].any()


def test_the_stock_stays_level_without_intervention():
    cfg = make_config("intervention=none", "population.households=1000", "horizon_years=12")
    model = SifsimModel(cfg).run()
    pop = pd.DataFrame(model.population_rows, columns=["r", "arm", "year", "month", "on", "x", "e", "p"])
    by_year = pop[pop["arm"] == "control"].groupby("year")["on"].mean()
    assert by_year.max() / by_year.min() < 1.15, by_year.round().tolist()
