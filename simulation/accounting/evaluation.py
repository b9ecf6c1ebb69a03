"""How savings get *measured*: the arithmetic of a pre/post evaluation (README "The model").

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


class PrePostEvaluation:
    """What a pre/post evaluation without a control group would claim, accumulated by year.

    It sees only the participants of the intervention arm during the project
    months (README "The model": ``naive`` and ``deadweight_adjusted``): every exit as
    ``eb_months_claimed_per_exit`` months of EB not paid, every family moved to
    the intensive treatment as an ordinary episode avoided, the placements
    staff judged avoided (booked in the project's last year), and — for the
    deadweight-adjusted method — the exits it would have expected anyway.
    Both the claims and the expected exits are counted over the same months.
    """

    def __init__(self, n_years: int, naive_claim, economy, ordinary_hours_by_month: np.ndarray,
                 intensive_hours_by_month: np.ndarray, n_reps: int = 1):
        self.naive_claim, self.economy = naive_claim, economy
        self.ordinary_hours, self.intensive_hours = ordinary_hours_by_month, intensive_hours_by_month
        # (replications, years)
        self.eb_sek = np.zeros((n_reps, n_years))
        self.open_care_sek = np.zeros((n_reps, n_years))
        self.expected_anyway_sek = np.zeros((n_reps, n_years))

    def count_expected_exits(self, t: int, expected_hazard: np.ndarray, eb_sek_per_month: np.ndarray,
                             treated: np.ndarray) -> None:
        """Exits the evaluator expects of treated participants anyway this month, in SEK claimed.

        Arrays are (replications, households); each replication sums only its own treated.
        """
        expected = np.clip(expected_hazard, 0, 1) * eb_sek_per_month
        for r in range(expected.shape[0]):
            self.expected_anyway_sek[r, t // 12] += float(
                expected[r][treated[r]].sum() * self.naive_claim.eb_months_claimed_per_exit)

    def count_exits(self, t: int, claimed: np.ndarray, eb_sek_per_month: np.ndarray) -> None:
        """Participants' exits this month ((replications, households) mask), each claimed as months of EB."""
        for r in range(claimed.shape[0]):
            amounts = eb_sek_per_month[r][claimed[r]]        # only this replication's exits are summed
            if amounts.size:
                self.eb_sek[r, t // 12] += naive_eb_claim_sek(
                    np.ones(amounts.size), amounts, self.naive_claim.eb_months_claimed_per_exit)

    def count_intensive_families(self, t: int, families: np.ndarray) -> None:
        """Families moved to the intensive treatment this month (per replication), each an episode avoided."""
        eco = self.economy
        self.open_care_sek[:, t // 12] += naive_open_care_claim_sek(
            np.asarray(families, dtype=float), self.ordinary_hours, self.intensive_hours,
            eco.therapists_per_family, eco.therapist_sek_per_hour)

    def placement_claim_sek(self, participant_children: int) -> float:
        """The placements staff judge avoided among the participants' children (seed 004)."""
        nc = self.naive_claim
        return naive_placement_claim_sek(participant_children * nc.avoided_placements_claimed_per_child,
                                         nc.avoided_placement_days_claimed, self.economy.hvb_sek_per_day)

    def year_claims(self, r: int, year_index: int, *, eb_to_borrower: bool, open_care_to_borrower: bool,
                    placements_sek: float | None, placements_to_borrower: bool) -> tuple[float, float, float]:
        """Replication r: (naive claim on the borrower, deadweight-adjusted claim on it, naive on every payer).

        ``placements_sek`` is the placement claim in the project's last year (None in other years).
        """
        naive = float(self.eb_sek[r, year_index]) if eb_to_borrower else 0.0
        if open_care_to_borrower:
            naive += float(self.open_care_sek[r, year_index])
        total = float(self.eb_sek[r, year_index]) + float(self.open_care_sek[r, year_index])
        if placements_sek is not None:
            total += placements_sek
            if placements_to_borrower:
                naive += placements_sek
        expected = float(self.expected_anyway_sek[r, year_index]) if eb_to_borrower else 0.0
        return naive, naive - expected, total
