"""The yearly close: ledger rows, the borrower's saving, the evaluator's claims, every fund's rule.

Called once per simulated calendar year, after its December.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np

from simulation.accounting.budget import BudgetFrames, budget_rows, outturn_by_unit
from simulation.accounting.fund import Fund, YearInputs
from simulation.accounting.ledger import FINANCING_CATEGORIES, PERSPECTIVE_OF, MonthlyLedger

INTERVENTION, CONTROL = 0, 1


@dataclass
class YearRecord:
    """What the books know about one closed calendar year (borrower and evaluator)."""

    year: int
    borrower_saving_sek: float
    borrower_cash_saving_sek: float
    naive_claim_sek: float
    deadweight_adjusted_claim_sek: float
    naive_claim_total_sek: float         # every payer: what a pre/post report would claim
    disbursed_sek: float
    borrower_surplus_sek: float = 0.0    # the borrower's frame − outturn, intervention arm (budget.csv)

    def row(self) -> dict:
        return asdict(self)


class FiscalClose:
    """Closes the years of every replication of a batch; keeps the rows its tables are made of."""

    def __init__(self, *, replications: list[int], config, calendar, ledger: MonthlyLedger,
                 payer_by_unit_month: dict[str, list[str]], units: dict, borrower_units: tuple[str, ...],
                 funds: list[dict[str, Fund]], evaluation, households, intervention_active: bool,
                 successor_bodies: tuple[str, ...] = ()):
        self.replications, self.config, self.calendar, self.ledger = list(replications), config, calendar, ledger
        self.payer_by_unit_month, self.units = payer_by_unit_month, units
        #: the borrower's units, and the bodies that succeed it (municipality.reorganisations[*]
        #: .successor_of_borrower): the borrower's savings and its debt are counted on the same body
        self.borrower_units = tuple(borrower_units) + tuple(b for b in successor_bodies if b not in borrower_units)
        self.borrower_own_units = tuple(borrower_units)
        self.funds, self.evaluation, self.households = funds, evaluation, households
        self.active = intervention_active
        itv = config.intervention
        cost_years = sorted(int(y) for y, v in itv.cost_sek_by_year.items() if v > 0)
        #: the start year of every repayment rule: the year of the first disbursement
        self.fund_start_year = cost_years[0] if cost_years else calendar.start_year
        # budget pressure in posts of the borrowing committee's average cost per post
        self.borrower_sek_per_post_year = float(np.mean(
            [units[u].sek_per_post_year for u in borrower_units])) if borrower_units else 0.0
        n = len(self.replications)
        self.budget = BudgetFrames(config.municipality.budget,
                                   {u.name: u for u in config.municipality.units}, n)
        self.budget_rows: list[list[tuple]] = [[] for _ in range(n)]
        self.cumulative_measured_sek = [0.0] * n     # the same measured saving feeds every rule
        self.cumulative_borrower_sek = [0.0] * n     # the borrower's and the municipality's budget saving,
        self.cumulative_municipal_sek = [0.0] * n    # from the start year: where the saving lands
        self.ledger_rows: list[list[tuple]] = [[] for _ in range(n)]
        self.years: list[list[YearRecord]] = [[] for _ in range(n)]
        self.repayment_rows: list[list[dict]] = [[] for _ in range(n)]

    def close(self, year_index: int) -> None:
        year = self.calendar.year(12 * year_index)
        months = self.calendar.months_of_year(year_index)
        totals = self.ledger.year_totals(months, self.payer_by_unit_month)
        rows_by_rep = totals.rows(self.replications, year)
        # the borrower's and the municipality's savings per replication, summed over the keys in the
        # rows' order (the same float sums as adding the year's rows one by one, as 0.7.0 did:
        # tests/test_yearly_close.py holds that code as the reference)
        borrower_savings, borrower_cash_savings = totals.signed_sums(
            [self._is_borrower_effect(payer, category) for _, payer, category in totals.keys])
        municipal_savings, _ = totals.signed_sums(
            [self._is_municipal_effect(payer, category) for _, payer, category in totals.keys])
        borrower_savings, borrower_cash_savings = borrower_savings.tolist(), borrower_cash_savings.tolist()
        municipal_savings = municipal_savings.tolist()
        claims = self._claims(year_index, months)
        itv = self.config.intervention
        disbursed = float(itv.cost_sek_by_year.get(str(year), 0.0)) if self.active else 0.0
        last = months.stop - 1
        # moved away: a borrower unit's budget is held by a body that does not succeed the borrower
        moved = any(self.payer_by_unit_month[u][last] not in self.borrower_units for u in self.borrower_own_units)
        surplus = self._budget_close(year_index, year, months)
        for r, replication in enumerate(self.replications):
            self.ledger_rows[r].extend(rows_by_rep[r])
            borrower_saving, borrower_cash = borrower_savings[r], borrower_cash_savings[r]
            naive, adjusted, naive_total = claims[r]
            self.years[r].append(YearRecord(
                year=year, borrower_saving_sek=borrower_saving, borrower_cash_saving_sek=borrower_cash,
                naive_claim_sek=naive, deadweight_adjusted_claim_sek=adjusted,
                naive_claim_total_sek=naive_total, disbursed_sek=disbursed,
                borrower_surplus_sek=float(surplus[r])))
            if year < self.fund_start_year:
                continue
            measured = {"attributable": borrower_saving, "naive": naive,
                        "deadweight_adjusted": adjusted}[self.config.evaluation]
            self.cumulative_measured_sek[r] += measured
            self.cumulative_borrower_sek[r] += borrower_saving
            self.cumulative_municipal_sek[r] += municipal_savings[r]
            municipal = self.cumulative_municipal_sek[r]
            share = self.cumulative_borrower_sek[r] / municipal if municipal > 0 else 1.0
            for name, fund in self.funds[r].items():
                row = fund.close_year(YearInputs(
                    year=year, year_offset=year - self.fund_start_year, disbursed_sek=disbursed,
                    measured_saving_sek=measured, cash_saving_sek=borrower_cash,
                    borrower_surplus_sek=float(surplus[r]), borrower_share_of_saving=share,
                    project_ended=months.start > self.calendar.t_end, responsibility_moved=moved,
                    cumulative_measured_saving_sek=self.cumulative_measured_sek[r]))
                pressure = row["budget_pressure_sek"]
                self.repayment_rows[r].append({
                    "rule": name, "replication": replication, **row,
                    "budget_pressure_posts": pressure / self.borrower_sek_per_post_year
                    if self.borrower_sek_per_post_year else 0.0})

    def _budget_close(self, year_index: int, year: int, months: range) -> np.ndarray:
        """Every unit's frame, outturn and surplus of the year (budget.csv); the borrower's surplus in
        the intervention arm per replication: its repayment capacity without cuts."""
        by_slot = self.ledger.category_by_body(slice(months.start, months.stop))
        units = list(self.budget.units)
        outturn = outturn_by_unit(by_slot, self.ledger.cash_share, units, self.budget.shape)
        frames = self.budget.close_year(year_index, year, outturn)
        last = months.stop - 1
        holder = {u: self.payer_by_unit_month[u][last] if u in self.payer_by_unit_month else u for u in units}
        body = {u: (self.units[u].committee if holder[u] == u and u in self.units else holder[u]) for u in units}
        for r, rows in enumerate(budget_rows(self.replications, year, frames, body)):
            self.budget_rows[r].extend(rows)
        surplus = np.zeros(len(self.replications))
        for u, (frame, spent) in frames.items():
            if holder[u] in self.borrower_units:
                surplus += frame[INTERVENTION] - spent[INTERVENTION]
        return surplus

    def _is_borrower_effect(self, payer: str, category: str) -> bool:
        """A key of the borrower's saving: the borrower's units' budget lines, financing excluded."""
        return category not in FINANCING_CATEGORIES and payer in self.borrower_units \
            and PERSPECTIVE_OF[category] == "budget"

    @staticmethod
    def _is_municipal_effect(payer: str, category: str) -> bool:
        """A key of the municipality's saving: its budget lines (not region, state), financing excluded."""
        return category not in FINANCING_CATEGORIES and PERSPECTIVE_OF[category] == "budget" \
            and payer not in ("region", "state")

    def _claims(self, year_index: int, months: range) -> list[tuple[float, float, float]]:
        """Each replication's claims of the year: EB and open care land on whoever held those budgets,
        the placement claim (staff judgement, seed 004) on the child authority, in the project's last year."""
        n = len(self.replications)
        if not self.active:
            return [(0.0, 0.0, 0.0)] * n
        last_month = months.stop - 1
        holder = {unit: payers[last_month] for unit, payers in self.payer_by_unit_month.items()}  # unit or body
        placements: list[float | None] = [None] * n
        if months.start <= self.calendar.t_end <= months.stop - 1:
            hh = self.households
            children = np.where(hh.participant[INTERVENTION], hh.n_children, 0).sum(axis=-1)
            placements = [self.evaluation.placement_claim_sek(int(c)) for c in children]
        return [self.evaluation.year_claims(
            r, year_index, eb_to_borrower=holder["eb_unit"] in self.borrower_units,
            open_care_to_borrower=holder["open_care"] in self.borrower_units,
            placements_sek=placements[r], placements_to_borrower=holder["child_authority"] in self.borrower_units)
            for r in range(n)]
