"""Calibration: the baseline against parameters.md §7 (EB and placements), with stated tolerances."""

from __future__ import annotations

import pandas as pd
import pytest

from scenarios.calibration import TARGETS
from simulation.core.calibration import baseline_statistics, calibration_table
from simulation.core.model import SifsimModel
from tests.support import make_config


@pytest.fixture(scope="module")
def baseline_stats():
    cfg = make_config("intervention=none", "population.households=1000", "horizon_years=12")
    rows = []
    for r in range(3):
        rows += SifsimModel(cfg, replication=r).run().calibration_rows
    return baseline_statistics(pd.DataFrame(rows))


@pytest.mark.parametrize("target", TARGETS, ids=[t.name for t in TARGETS])
def test_baseline_meets_target(baseline_stats, target):
    value = baseline_stats[target.name]
    assert target.low <= value <= target.high, f"{target.name}: model {value:.3f}, accepted " \
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
