"""How savings get *measured*: the arithmetic of a pre/post evaluation (DESIGN §3).

These are the formulas of the Hela familjen Öster final report (seed 004), used
both by the model's ``naive`` and ``deadweight_adjusted`` methods and by the
``replicate_oster_report`` study, which must reproduce the report to the krona.
"""

from __future__ import annotations

import numpy as np


def naive_eb_claim_sek(exits: float | np.ndarray, eb_sek_per_month: float | np.ndarray,
                       months_per_exit: float, deadweight_exits: float = 0.0) -> float:
    """Every exit counted as ``months_per_exit`` months of EB not paid (one year in seed 004).

    Seed 004: (41 − 3 deadweight) × 12 × 9 000 = 4 104 000 SEK.
    """
    exits = np.asarray(exits, dtype=float)
    amount = np.broadcast_to(np.asarray(eb_sek_per_month, dtype=float), exits.shape)
    per_exit = float((exits * amount).sum()) / max(float(exits.sum()), 1e-12) if exits.sum() else 0.0
    return float((exits.sum() - deadweight_exits) * months_per_exit * per_exit)


def treatment_cost_sek(hours_by_month: list[float] | np.ndarray, therapists: int,
                       sek_per_hour: float) -> float:
    """Cost of one family's treatment episode: Σ hours × therapists × hourly cost."""
    return float(np.sum(hours_by_month)) * therapists * sek_per_hour


def naive_open_care_claim_sek(families: float, ordinary_hours_by_month, intensive_hours_by_month,
                              therapists: int, sek_per_hour: float) -> float:
    """Families treated intensively × (ordinary − intensive episode cost).

    Seed 004: 16 × (84 960 − 36 580) = 774 080 SEK.
    """
    return families * (treatment_cost_sek(ordinary_hours_by_month, therapists, sek_per_hour)
                       - treatment_cost_sek(intensive_hours_by_month, therapists, sek_per_hour))


def naive_placement_claim_sek(children_avoided: float, days_per_placement: float,
                              sek_per_day: float) -> float:
    """Placements judged avoided × days × daily cost. Seed 004: 10 × 120 × 3 500 = 4 200 000 SEK."""
    return children_avoided * days_per_placement * sek_per_day
