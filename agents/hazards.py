"""Rate arithmetic, pure functions: monthly hazards from the yearly or cumulative figures
the sources give, and the hazard forms of the agents' transitions.

Kept in ``agents/`` because the agents' own rules use them (docs/architecture.md: agents know
their own state and rules); the model and the population builder import them from here.
"""

from __future__ import annotations

import numpy as np

MONTHS_PER_YEAR = 12
DAYS_PER_MONTH = 365.25 / MONTHS_PER_YEAR


def monthly_from_yearly(probability_per_year: float) -> float:
    """The constant monthly hazard that gives ``probability_per_year`` within a year."""
    return 1.0 - (1.0 - probability_per_year) ** (1.0 / 12.0)


def monthly_from_cumulative(prob: float | np.ndarray, months: float) -> np.ndarray:
    """The constant monthly hazard giving ``prob`` within ``months`` months."""
    prob = np.clip(np.asarray(prob, dtype=float), 0.0, 1.0 - 1e-12)
    return 1.0 - (1.0 - prob) ** (1.0 / months)


def fading_exit_hazard_per_month(start_of_spell_per_month: float, floor_per_month: float) -> float:
    """The part of the EB exit hazard that fades with duration, h0 = h(0) − floor.

    ``population.eb_exit_hazard_per_month`` is the hazard at the start of a spell, floor
    included, for a household of exit propensity 1 (issue 11 item 7): doubling it doubles
    the first-month exits of a homogeneous population.
    """
    return start_of_spell_per_month - floor_per_month


def exit_hazard_per_month(base_per_month: np.ndarray | float, months_on_eb: np.ndarray,
                          duration_decay: float, floor_per_month: float = 0.0) -> np.ndarray:
    """Monthly EB exit hazard with duration dependence, h(d) = h0 · exp(−λ d) + floor.

    ``base_per_month`` is the fading part h0 (see :func:`fading_exit_hazard_per_month`),
    times the household's exit propensity.

    Source: docs/sources.md (hazard form; Mood 2012 for the duration dependence). The
    floor is the exit rate that does not fade with duration (pension, other reasons):
    without it a long-stayer would never leave and the stock would creep upwards.
    """
    return base_per_month * np.exp(-duration_decay * months_on_eb) + floor_per_month


def spell_survival(months: np.ndarray, base_per_month: np.ndarray | float,
                   duration_decay: float, floor_per_month: float = 0.0) -> np.ndarray:
    """Probability that a spell lasts beyond ``months`` under the continuous-time hazard."""
    if duration_decay == 0.0:
        cumulative = base_per_month * months
    else:
        cumulative = base_per_month * (1.0 - np.exp(-duration_decay * months)) / duration_decay
    return np.exp(-(cumulative + floor_per_month * months))


def caseload_factor(posts: float, households_per_worker: float, households_on_eb: np.ndarray,
                    elasticity: float) -> np.ndarray:
    """EB exit hazard multiplier from the caseload per worker: (caseload at start / now)^elasticity.

    Posts are fixed at the start (the unit staffs to its starting caseload), so
    a growing stock dilutes every worker's time (docs/sources.md, assumption).
    """
    return (posts * households_per_worker / np.maximum(households_on_eb, 1)) ** elasticity


def placement_hazard_per_month(base_per_year: float, n_risk: np.ndarray, n_protective: np.ndarray,
                               risk_log_multiplier: float, protection_log_multiplier: float,
                               mean_risk: float) -> np.ndarray:
    """Monthly placement hazard: rises with risk factors, falls with protective ones.

    Log-linear around the population's mean risk so that ``base_per_year`` stays
    the average yearly rate (docs/sources.md: 0.01–0.02/year in long-term EB families).
    """
    base = monthly_from_yearly(base_per_year)
    return base * np.exp(risk_log_multiplier * (n_risk - mean_risk)
                         - protection_log_multiplier * n_protective)


def adult_risk_multiplier(n_risk: np.ndarray, max_multiplier: float, n_factors: int) -> np.ndarray:
    """Relative risk of adult outcomes: 1 with no childhood risk, ``max`` with all ``n_factors``."""
    return 1.0 + (max_multiplier - 1.0) * n_risk / n_factors
