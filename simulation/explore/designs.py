"""Designs and indices from SALib: Morris screening, Sobol indices with bootstrap intervals, the governor.

Every design is drawn in the unit hypercube (one column per factor, plus the dummy factor); a
factor's value is its inverse CDF at the unit coordinate (:meth:`simulation.explore.study.Factor.value`),
so the indices do not depend on a factor's unit and any distribution is one function.

References: Morris (1991), Campolongo, Cariboni & Saltelli (2007) for μ*; Saltelli et al. (2010)
for the Sobol estimators SALib uses; Herman & Usher (2017), SALib.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from SALib.analyze import morris as morris_analyze
from SALib.analyze import sobol as sobol_analyze
from SALib.sample import morris as morris_sample
from SALib.sample import sobol as sobol_sample


def unit_problem(names: list[str]) -> dict:
    """SALib's problem over the unit hypercube, one dimension per name."""
    return {"num_vars": len(names), "names": list(names), "bounds": [[0.0, 1.0]] * len(names)}


def morris_design(problem: dict, trajectories: int, levels: int, seed: int) -> np.ndarray:
    """``trajectories × (D + 1)`` rows of Morris's one-at-a-time trajectories."""
    return morris_sample.sample(problem, trajectories, num_levels=levels, seed=seed)


def sobol_design(problem: dict, base_samples: int, seed: int) -> np.ndarray:
    """``N × (D + 2)`` rows of the Saltelli scheme (first and total order, no second order).

    The rows of N are the first rows of 2N with the same seed (the scrambled Sobol' sequence is
    extended, not redrawn), so the governor's next stage reuses every point already run.
    """
    return sobol_sample.sample(problem, base_samples, calc_second_order=False, seed=seed)


def morris_indices(problem: dict, x: np.ndarray, y: np.ndarray, levels: int, seed: int,
                   resamples: int = 200) -> pd.DataFrame:
    """``factor, mu, mu_star, mu_star_conf, sigma`` (μ* with its bootstrap half-width at 95 %)."""
    si = morris_analyze.analyze(problem, x, np.asarray(y, dtype=float), num_resamples=resamples,
                                conf_level=0.95, num_levels=levels, seed=seed)
    return pd.DataFrame({"factor": problem["names"], "mu": np.asarray(si["mu"], float),
                         "mu_star": np.asarray(si["mu_star"], float),
                         "mu_star_conf": np.asarray(si["mu_star_conf"], float),
                         "sigma": np.asarray(si["sigma"], float)})


def sobol_indices(problem: dict, y: np.ndarray, seed: int, resamples: int = 200) -> pd.DataFrame:
    """``factor, S1, S1_conf, ST, ST_conf`` (bootstrap half-widths at 95 %)."""
    si = sobol_analyze.analyze(problem, np.asarray(y, dtype=float), calc_second_order=False,
                               num_resamples=resamples, conf_level=0.95, seed=seed)
    return pd.DataFrame({"factor": problem["names"], "S1": np.asarray(si["S1"], float),
                         "S1_conf": np.asarray(si["S1_conf"], float), "ST": np.asarray(si["ST"], float),
                         "ST_conf": np.asarray(si["ST_conf"], float)})


def mark_noise(indices: pd.DataFrame, dummy: str, column: str, conf: str) -> pd.DataFrame:
    """Add ``noise``: the factor's index is not above the dummy's upper bound (index + half-width)."""
    out = indices.copy()
    row = out[out["factor"] == dummy]
    floor = float(row[column].iloc[0] + row[conf].iloc[0]) if len(row) else 0.0
    out["noise_floor"] = floor
    out["noise"] = (out[column] <= floor) | (out["factor"] == dummy)
    return out


@dataclass(frozen=True)
class GovernorVerdict:
    """Whether Sobol may stop: every retained ST's half-width ≤ ``ci_target`` × ST."""

    converged: bool
    worst_ratio: float          # the largest half-width / ST among the retained factors
    retained: int               # factors above the noise floor, over all outcomes


def governor(indices: list[pd.DataFrame], ci_target: float) -> GovernorVerdict:
    """Check the stop rule over the index tables of every outcome (each with ``noise`` marked).

    A factor is retained when its ST is above the noise floor; a table with nothing retained
    (a constant or pure-noise outcome) does not hold the study back.
    """
    ratios = []
    for table in indices:
        kept = table[~table["noise"] & (table["ST"] > 0)]
        ratios += list((kept["ST_conf"] / kept["ST"]).to_numpy(dtype=float))
    worst = max(ratios) if ratios else 0.0
    return GovernorVerdict(converged=bool(worst <= ci_target), worst_ratio=float(worst), retained=len(ratios))
