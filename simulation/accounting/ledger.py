"""The ledger: every cost as a row by arm, year, payer, category and cash flag.

Costs are accumulated monthly per (category, unit-or-body) *slot*; at the
yearly close each slot's months are assigned to the body that bore the
unit's budget that month (reorganisations move it) and split into a cash
part (a budget line that actually falls) and a cost-avoidance part. The
split conserves money exactly: cost-avoidance = total − cash.

Savings by payer are control − intervention.
"""

from __future__ import annotations

from collections import defaultdict

import numpy as np

ARMS = ("intervention", "control")
FIXED_BODIES = ("ks", "region", "state")

# category -> how its municipal part is booked; region/state parts go to those bodies
CATEGORIES = (
    "eb", "eb_refill", "other_benefit", "open_care_hours", "placement_hvb",
    "placement_family_home", "conduct_problems", "adult_unemployed_on_eb",
    "adult_mental_illness", "adult_substance_abuse", "intervention_posts", "fund_grant",
)
# categories that are the intervention's own financing, not an effect on anyone
FINANCING_CATEGORIES = ("intervention_posts", "fund_grant")
LEDGER_COLUMNS = ("replication", "arm", "year", "payer", "category", "amount_sek", "cash")


class MonthlyLedger:
    """Monthly cost accumulator for both arms of one replication."""

    def __init__(self, n_months: int, cash_share_by_category: dict[str, float], n_arms: int = 2):
        self.n_months = n_months
        self.n_arms = n_arms
        self.cash_share = dict(cash_share_by_category)
        self._slot: dict[tuple[str, str], int] = {}
        self._amounts = np.zeros((n_arms, n_months, 32))

    def slot(self, category: str, body: str) -> int:
        key = (category, body)
        if key not in self._slot:
            idx = len(self._slot)
            if idx >= self._amounts.shape[2]:
                grown = np.zeros(self._amounts.shape[:2] + (2 * self._amounts.shape[2],))
                grown[:, :, :self._amounts.shape[2]] = self._amounts
                self._amounts = grown
            self._slot[key] = idx
        return self._slot[key]

    def add(self, month: int, category: str, body: str, amount_by_arm: np.ndarray | float) -> None:
        """Book a cost (SEK) for this month, per arm (an array of length n_arms or a scalar)."""
        self._amounts[:, month, self.slot(category, body)] += amount_by_arm

    def month_total(self, arm: int, months: slice) -> float:
        return float(self._amounts[arm, months].sum())

    def category_by_body(self, months: slice) -> dict[tuple[str, str], np.ndarray]:
        """Sum over the months, per (category, unit-or-body): array by arm."""
        return {key: self._amounts[:, months, i].sum(axis=1) for key, i in self._slot.items()}

    def year_rows(self, replication: int, year: int, months: range,
                  payer_by_unit_month: dict[str, list[str]]) -> list[tuple]:
        """Ledger rows of one calendar year (``months`` are month indices of that year)."""
        totals: dict[tuple[int, str, str], float] = defaultdict(float)
        for (category, body), i in self._slot.items():
            per_month = self._amounts[:, months.start:months.stop, i]
            if body in payer_by_unit_month:
                payers = payer_by_unit_month[body][months.start:months.stop]
                for payer in dict.fromkeys(payers):
                    mask = np.fromiter((p == payer for p in payers), dtype=bool, count=len(payers))
                    for arm in range(self.n_arms):
                        totals[(arm, payer, category)] += float(per_month[arm, mask].sum())
            else:
                for arm in range(self.n_arms):
                    totals[(arm, body, category)] += float(per_month[arm].sum())
        rows = []
        for (arm, payer, category), amount in totals.items():
            if amount == 0.0:
                continue
            cash = amount * self.cash_share.get(category, 1.0)
            if cash != 0.0:
                rows.append((replication, ARMS[arm], year, payer, category, cash, True))
            if amount - cash != 0.0:
                rows.append((replication, ARMS[arm], year, payer, category, amount - cash, False))
        return rows
