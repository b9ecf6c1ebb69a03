"""Calibration: the baseline against the targets of scenarios/calibration.py (EB and placements), with stated tolerances."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from scenarios.calibration import PROJECT_TARGETS, TARGETS
from simulation.core.calibration import baseline_statistics, calibration_table
from simulation.core.model import SifsimModel
from simulation.core.participants import PARTICIPANT_COLUMNS
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


# --- the projects against the seeds' counts (issue 11 item 3) ----------------------------------

#: the medians are over 30 replications, as in README's table: with 8 the median of Öster's exits moved
#: by ±3 between random-stream layouts (44.5 vs 38.5 with 30, issue 11 item 5)
PROJECT_REPLICATIONS = 30


@pytest.fixture(scope="module")
def project_runs():
    """participants.csv over the project years, per (intervention, population), 30 replications."""
    runs = {}
    for key in sorted({(t.intervention, t.population) for t in PROJECT_TARGETS}):
        intervention, population = key
        cfg = make_config(f"intervention={intervention}", f"population={population}",
                          f"replications={PROJECT_REPLICATIONS}")
        itv = cfg.intervention
        cfg = make_config(f"intervention={intervention}", f"population={population}",
                          f"replications={PROJECT_REPLICATIONS}",
                          f"horizon_years={itv.end_year - itv.start_year + 1}")
        model = SifsimModel(cfg, replications=list(range(PROJECT_REPLICATIONS))).run()
        rows = [row for r in range(PROJECT_REPLICATIONS) for row in model.replication_rows(r)["participants"]]
        table = pd.DataFrame(rows, columns=PARTICIPANT_COLUMNS)
        runs[key] = (table[(table["year"] >= itv.start_year) & (table["year"] <= itv.end_year)],
                     itv.end_year - itv.start_year + 1)
    return runs


def project_statistic(table: pd.DataFrame, n_years: int, arm: str, statistic: str) -> float:
    per_replication = table[table["arm"] == arm].groupby("replication")
    if statistic == "exits_work_per_year":
        return float(per_replication["exits_work"].sum().median()) / n_years
    assert statistic == "exits_total", statistic
    exits = [c for c in PARTICIPANT_COLUMNS if c.startswith("exits_")]
    return float(per_replication[exits].sum().sum(axis=1).median())


@pytest.mark.parametrize("target", PROJECT_TARGETS, ids=[t.name for t in PROJECT_TARGETS])
def test_project_meets_the_seeds_count(project_runs, target):
    table, n_years = project_runs[(target.intervention, target.population)]
    value = project_statistic(table, n_years, target.arm, target.statistic)
    assert target.low <= value <= target.high, f"{target.name}: model {value:.2f}, accepted " \
        f"[{target.low}, {target.high}] ({target.source})"


def test_the_controlled_comparison_is_a_difference_between_the_arms(project_runs):
    """Innerstaden's project arm leaves to work at least 6× as often as its control arm (seed: ≈15×;
    the model ≈11× since 0.5.0's families' exit floor, ≈3.5× before it)."""
    table, n_years = project_runs[("hela_familjen_innerstaden", "malmo_innerstaden")]
    project = project_statistic(table, n_years, "intervention", "exits_work_per_year")
    control = project_statistic(table, n_years, "control", "exits_work_per_year")
    assert project >= 6 * control > 0, (project, control)
