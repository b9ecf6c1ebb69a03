"""The ledger: every cost as a row by arm, year, payer, category and cash flag.

Costs are accumulated monthly per (category, unit-or-body) *slot*; at the
yearly close each slot's months are assigned to the body that bore the
unit's budget that month (reorganisations move it) and split into a cash
part (a budget line that actually falls) and a cost-avoidance part. The
split conserves money exactly: cost-avoidance = total − cash.

Categories form a closed vocabulary (:data:`CATEGORIES`): booking an unknown
category is an error, and each category says who pays it by default and
whether it is a budget line (the default of its cash share).

Savings by payer are control − intervention.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import compress, repeat
from typing import NamedTuple

import numpy as np
import pandas as pd

ARMS = ("intervention", "control")
FIXED_BODIES = ("ks", "region", "state")


class LedgerRow(NamedTuple):
    """One row of the ledger table (INTERFACE.md: ``ledger.parquet``; ``perspective`` since issue 12)."""

    replication: int
    arm: str
    year: int
    payer: str
    category: str
    amount_sek: float
    cash: bool
    perspective: str


LEDGER_COLUMNS = LedgerRow._fields


@dataclass(frozen=True)
class Category:
    """One kind of cost in the ledger.

    Attributes:
        name: the ``category`` column's value.
        payer: the unit or body that books it unless a booking names another.
        budget_line: whether a saving on it is money that falls out of a budget line
            (default cash share 1) or cost avoidance (0): freed staff time, societal costs.
        financing: the intervention's own financing (posts, the fund's grant), not an effect.
        perspective: whose accounts it is in (:data:`PERSPECTIVES`): ``budget`` — what a public
            payer's budget line actually pays or receives (benefits, care, taxes); ``society`` —
            Nilsson & Wadeskog-style costs of an outcome including lost production (not a budget
            line, and not to be added to the budget rows: they overlap); ``household`` — the
            households' disposable income (booked as a negative cost, so a saving is a gain).
    """

    name: str
    payer: str
    budget_line: bool
    financing: bool = False
    perspective: str = "budget"


#: the perspectives of the ledger (every category belongs to one); summaries give each its own figures
PERSPECTIVES = ("budget", "society", "household")


CATEGORIES: dict[str, Category] = {c.name: c for c in (
    Category("eb", "eb_unit", True),
    Category("other_benefit", "state", True),
    Category("open_care_hours", "open_care", False),
    Category("placement_hvb", "child_authority", True),
    Category("placement_family_home", "child_authority", True),
    Category("adult_on_eb", "eb_unit", True),
    Category("tax_employer_contributions", "state", True),
    Category("tax_state_income", "state", True),
    Category("tax_municipal_income", "ks", True),
    Category("tax_regional_income", "region", True),
    Category("earned_income_tax_credit", "state", True),
    Category("housing_allowance", "state", True),
    Category("conduct_problems", "school", False, perspective="society"),
    Category("adult_unemployed_on_eb", "eb_unit", False, perspective="society"),
    Category("adult_mental_illness", "adult_services", False, perspective="society"),
    Category("adult_substance_abuse", "adult_services", False, perspective="society"),
    Category("production", "society", False, perspective="society"),
    Category("household_income", "households", False, perspective="household"),
    Category("intervention_posts", "eb_unit", True, financing=True),
    Category("fund_grant", "ks", True, financing=True),
    Category("state_grant", "state", True, financing=True),   # posts a state grant paid (cost_lines payer)
)}
PERSPECTIVE_OF = {c.name: c.perspective for c in CATEGORIES.values()}
#: budget rows that are real resources used (not transfers between households and the public purse):
#: the society view counts them with its own rows (simulation/accounting/perspectives.py)
REAL_RESOURCE_CATEGORIES = ("open_care_hours", "placement_hvb", "placement_family_home")
#: categories that are the intervention's own financing, not an effect on anyone
FINANCING_CATEGORIES = tuple(c.name for c in CATEGORIES.values() if c.financing)


def cash_shares(configured: dict[str, float]) -> dict[str, float]:
    """Cash share of every category: the configured one, else 1 for a budget line and 0 otherwise.

    Raises ValueError naming an unknown category (a typo must not silently become cash).
    """
    unknown = sorted(set(configured) - set(CATEGORIES))
    if unknown:
        raise ValueError(f"economy.cash_share_by_category: unknown categories {', '.join(unknown)}; "
                         f"allowed are {', '.join(CATEGORIES)}")
    return {name: float(configured.get(name, 1.0 if c.budget_line else 0.0)) for name, c in CATEGORIES.items()}


class MonthlyLedger:
    """Monthly cost accumulator for both arms of every replication of a batch.

    Each (category, unit-or-body) slot holds an (arms, replications, months)
    array: a month's booking is one (arms, replications) array, and a year's
    total sums each replication's own twelve months (the last, contiguous axis),
    so a replication's figures do not depend on the batch it ran in.
    """

    def __init__(self, n_months: int, cash_share_by_category: dict[str, float], n_reps: int = 1,
                 n_arms: int = 2):
        self.n_months, self.n_reps, self.n_arms = n_months, n_reps, n_arms
        self.cash_share = cash_shares(cash_share_by_category)
        self._slot: dict[tuple[str, str], int] = {}
        #: (category, body as booked, None for the default payer) -> slot: ``add``'s lookup, once per key
        self._slot_of_booking: dict[tuple[str, str | None], int] = {}
        #: every slot's (arms, replications, months) amounts, slot after slot in one array (grown by
        #: doubling), so that a month's bookings are one indexed addition and its total one read;
        #: ``_amounts[i]`` is slot i's view of it
        self._store = np.zeros((0, n_arms, n_reps, n_months))
        self._amounts: list[np.ndarray] = []

    def slot(self, category: str, body: str) -> int:
        key = (category, body)
        if key not in self._slot:
            if category not in CATEGORIES:
                raise KeyError(f"ledger category {category!r} is not registered; known: {', '.join(CATEGORIES)}")
            i = len(self._amounts)
            if i == self._store.shape[0]:          # full: twice the slots (np.zeros: pages untouched until booked)
                grown = np.zeros((max(8, 2 * i),) + self._store.shape[1:])
                grown[:i] = self._store
                self._store = grown
                self._amounts = [grown[j] for j in range(i)]
            self._slot[key] = i
            self._amounts.append(self._store[i])
        return self._slot[key]

    def booking_slot(self, category: str, body: str | None) -> int:
        """The slot a booking of ``category`` on ``body`` (None: the category's payer) goes to; made now if new
        (slots are made in the order of first booking: the order of the ledger's rows)."""
        i = self._slot_of_booking.get((category, body))
        if i is None:       # first booking of (category, body): its slot, remembered (None: the payer's)
            i = self.slot(category, CATEGORIES[category].payer if body is None else body)
            self._slot_of_booking[(category, body)] = i
        return i

    def add(self, month: int, category: str, body: str | None, amount: np.ndarray | float) -> None:
        """Book a cost (SEK) for this month: (arms, replications), (arms, 1), (arms,) or a scalar.

        ``body`` None books it on the category's default payer.
        """
        i = self.booking_slot(category, body)
        amount = np.asarray(amount, dtype=float)
        if amount.ndim == 1:
            amount = amount[:, None]
        self._amounts[i][:, :, month] += amount

    def add_to_slots(self, month: int, slots: list[int], amounts: list) -> None:
        """``add`` of each amount to its slot (:meth:`booking_slot`), in one indexed addition when the slots
        are distinct (each slot's month gets its one addition: the same floats as one ``add`` each);
        a slot booked twice is added to in order, one ``add`` at a time."""
        if len(set(slots)) < len(slots):
            for i, amount in zip(slots, amounts):
                amount = np.asarray(amount, dtype=float)
                self._amounts[i][:, :, month] += amount[:, None] if amount.ndim == 1 else amount
            return
        block = np.empty((len(slots), self.n_arms, self.n_reps))
        for j, amount in enumerate(amounts):
            amount = np.asarray(amount, dtype=float)    # (arms, R), (arms, 1), (arms,) or a scalar, as add
            block[j] = amount[:, None] if amount.ndim == 1 else amount
        self._store[slots, :, :, month] += block

    def month_total(self, arm: int, months: slice, replication: int = 0) -> float:
        """Everything booked for one arm of one replication over the months (conservation checks)."""
        return float(sum(a[arm, replication, months].sum() for a in self._amounts))

    def month_totals(self, month: int, replication: int = 0) -> list[float]:
        """Per arm, :meth:`month_total` of the one month (the model's monthly series): the same float, read
        from the store at once. A slot's one-month sum is its value (numpy's sum adds it to 0: −0 becomes 0,
        which changes no sum below, as the running total never is −0) and the slots are added in order,
        as numpy floats, from 0, as ``month_total``'s Python ``sum`` adds them."""
        return [float(sum(by_slot)) for by_slot in self._store[:len(self._amounts), :, replication, month].T]

    def category_by_body(self, months: slice) -> dict[tuple[str, str], np.ndarray]:
        """Sum over the months, per (category, unit-or-body): (arms, replications)."""
        return {key: self._amounts[i][:, :, months].sum(axis=-1) for key, i in self._slot.items()}

    def year_totals(self, months: range, payer_by_unit_month: dict[str, list[str]]) -> YearTotals:
        """One calendar year's totals per (arm, payer, category), split into cash and the rest."""
        totals: dict[tuple[int, str, str], np.ndarray] = {}
        for (category, body), i in self._slot.items():
            per_month = self._amounts[i][:, :, months.start:months.stop]
            if body in payer_by_unit_month:
                payers = payer_by_unit_month[body][months.start:months.stop]
                for payer in dict.fromkeys(payers):
                    mask = np.fromiter((p == payer for p in payers), dtype=bool, count=len(payers))
                    sums = per_month[:, :, mask].sum(axis=-1)
                    for arm in range(self.n_arms):
                        key = (arm, payer, category)
                        totals[key] = totals[key] + sums[arm] if key in totals else sums[arm]
            else:
                sums = per_month.sum(axis=-1)
                for arm in range(self.n_arms):
                    key = (arm, body, category)
                    totals[key] = totals[key] + sums[arm] if key in totals else sums[arm]
        keys = list(totals)
        amount = np.array([totals[k] for k in keys]) if keys else np.zeros((0, self.n_reps))
        share = np.array([self.cash_share[category] for _, _, category in keys], dtype=float)
        cash = amount * share[:, None]           # the same float products as amount × share one by one
        return YearTotals(keys, amount, cash, amount - cash)

    def year_rows(self, replications: list[int], year: int, months: range,
                  payer_by_unit_month: dict[str, list[str]]) -> list[list[LedgerRow]]:
        """Ledger rows of one calendar year, one list per replication of the batch."""
        return self.year_totals(months, payer_by_unit_month).rows(replications, year)


@dataclass
class YearTotals:
    """A year's totals: ``keys`` (arm, payer, category) and (keys, replications) arrays of the amount,
    its cash part (amount × cash share) and the rest (amount − cash, as the rows always had it:
    cash + rest equals the amount up to the last bit's rounding)."""

    keys: list[tuple[int, str, str]]
    amount: np.ndarray
    cash: np.ndarray
    rest: np.ndarray

    def rows(self, replications: list[int], year: int) -> list[list[LedgerRow]]:
        """The ledger rows, one list per replication: a key's cash row, then its other row, each only
        where it is not zero (none where the amount is zero), in the order of the keys."""
        # a key's two rows side by side, (2 keys, R): cash, then the rest; each only where not zero
        n_rows, n_reps = 2 * len(self.keys), self.amount.shape[1]
        amounts = np.stack([self.cash, self.rest], axis=1).reshape(n_rows, n_reps)
        nonzero = self.amount != 0.0
        written = np.stack([nonzero & (self.cash != 0.0), nonzero & (self.rest != 0.0)], axis=1) \
            .reshape(n_rows, n_reps)
        # the rows' fixed fields per key once; per replication the rows are made by map and zip (no
        # Python loop per row: ≈ 60 000 rows for 50 Öster replications × 25 years)
        arms = [ARMS[arm] for arm, _, _ in self.keys for _ in (0, 1)]
        payers = [payer for _, payer, _ in self.keys for _ in (0, 1)]
        categories = [category for _, _, category in self.keys for _ in (0, 1)]
        views = [PERSPECTIVE_OF[category] for category in categories]
        cash_flags = [True, False] * len(self.keys)
        amounts_by_rep, written_by_rep = amounts.T.tolist(), written.T.tolist()
        out = []
        for r, replication in enumerate(replications):
            fields = zip(repeat(replication), arms, repeat(year), payers, categories, amounts_by_rep[r],
                         cash_flags, views)
            out.append(list(map(tuple.__new__, repeat(LedgerRow), compress(fields, written_by_rep[r]))))
        return out

    def signed_sums(self, include: list[bool], control_arm: int = 1) -> tuple[np.ndarray, np.ndarray]:
        """Per replication: Σ (control − intervention) of the included keys' rows — every row and its
        cash rows only — added in the rows' order (a key's cash row, then its other row), so the same
        float sums as adding the rows one by one; a row not written is a zero, which changes no sum."""
        total = np.zeros(self.amount.shape[1:])
        cash_total = np.zeros(self.amount.shape[1:])
        for k, (arm, _, _) in enumerate(self.keys):
            if not include[k]:
                continue
            sign = 1.0 if arm == control_arm else -1.0
            cash = sign * self.cash[k]
            total += cash
            cash_total += cash
            total += sign * self.rest[k]
        return total, cash_total


def savings_by(ledger: pd.DataFrame, keys: list[str], perspective: str | None = "budget") -> pd.DataFrame:
    """Attributable saving (control − intervention) grouped by ``keys``, financing excluded.

    ``perspective``: only the rows of that perspective (default: the public budgets, the figure a
    fund repays from); None: every row (the perspectives overlap: use only to check conservation).
    """
    effects = ledger[~ledger["category"].isin(FINANCING_CATEGORIES)]
    if perspective is not None:
        # compared on the column itself (a categorical compares its codes; turning the run's
        # 118 000 rows into strings took ≈ 0.07 s a call, issue 15); a missing perspective is none
        views = effects["perspective"] if "perspective" in effects.columns else \
            effects["category"].astype(str).map(PERSPECTIVE_OF).fillna("budget")
        effects = effects[(views == perspective).to_numpy(dtype=bool, na_value=False)]
    signed = np.where(effects["arm"] == "control", effects["amount_sek"], -effects["amount_sek"])
    out = effects.assign(saving_sek=signed).groupby(keys, observed=True)["saving_sek"].sum()
    return out.reset_index()
