"""Fiscal revenue of exits from EB (issue 12 item 2): taxes, contributions and transfers by payer.

A household that leaves EB for work earns a wage (``economy.fiscal``) for as long as it stays
off EB after that exit (``work_income_months_after_exit``: null, the default, = no limit; a number
of months is a sensitivity for jobs lost without a return to EB). Each month of that wage:

- employer contributions (arbetsgivaravgifter) → the state;
- state income tax on the part of the yearly wage above the threshold → the state;
- municipal income tax on the taxable wage (wage − basic deduction) → the municipality
  (the executive board, ``ks``) for its retained share; the rest is taken back by the income
  equalisation (inkomstutjämning, a state grant that shrinks) → the state;
- regional income tax → the region for its retained share; the rest → the state;
- the earned-income tax credit (jobbskatteavdrag, a state cost) and the housing allowance
  (bostadsbidrag, a state cost) are transfers the other way.

Revenue is booked as a negative cost (the ledger's sign: control − intervention is then the
saving), so money is conserved per category: the payers' parts of a tax add up to the tax.
Per-month work is a count per (arm, replication) times per-household amounts (vectorised).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from agents.households import ROUTE_INDEX

MONTHS_PER_YEAR = 12


@dataclass(frozen=True)
class Flow:
    """One fiscal flow of one working household-month: ledger category, payer, SEK (+ cost, − revenue)."""

    category: str
    payer: str
    sek: float


def flows_per_work_month(fiscal) -> list[Flow]:
    """Every payer's flow for one household-month at work after an exit from EB (closed form)."""
    wage = float(fiscal.wage_sek_per_month)
    taxable = max(0.0, wage - fiscal.basic_deduction_sek_per_year / MONTHS_PER_YEAR)
    municipal = fiscal.municipal_tax_rate * taxable
    regional = fiscal.regional_tax_rate * taxable
    state_tax = fiscal.state_income_tax_rate * max(
        0.0, wage * MONTHS_PER_YEAR - fiscal.basic_deduction_sek_per_year - fiscal.state_income_tax_threshold_sek_per_year
    ) / MONTHS_PER_YEAR
    credit = min(fiscal.earned_income_tax_credit_sek_per_year / MONTHS_PER_YEAR, municipal + regional)
    flows = [
        Flow("tax_employer_contributions", "state", -fiscal.employer_contribution_rate * wage),
        Flow("tax_state_income", "state", -state_tax),
        Flow("tax_municipal_income", "ks", -municipal * fiscal.municipal_retained_share_of_tax),
        Flow("tax_municipal_income", "state", -municipal * (1.0 - fiscal.municipal_retained_share_of_tax)),
        Flow("tax_regional_income", "region", -regional * fiscal.regional_retained_share_of_tax),
        Flow("tax_regional_income", "state", -regional * (1.0 - fiscal.regional_retained_share_of_tax)),
        Flow("earned_income_tax_credit", "state", credit),
        Flow("housing_allowance", "state", float(fiscal.housing_allowance_sek_per_household_month)),
    ]
    return [f for f in flows if f.sek != 0.0]


def disposable_income_per_work_month(fiscal) -> float:
    """What a working household has per month: wage − income taxes + tax credit + housing allowance."""
    taxes = sum(-f.sek for f in flows_per_work_month(fiscal)
                if f.category in ("tax_state_income", "tax_municipal_income", "tax_regional_income"))
    return fiscal.wage_sek_per_month - taxes + sum(
        f.sek for f in flows_per_work_month(fiscal) if f.category in ("earned_income_tax_credit", "housing_allowance"))


def working_after_exit(households, months: int | None) -> np.ndarray:
    """(arms, replications, agents): off EB after an exit to work, for at most ``months`` months
    (None: for as long as the household stays off EB)."""
    hh = households
    working = hh.present & ~hh.on_eb & (hh.last_exit_route == ROUTE_INDEX["work"])
    return working if months is None else working & (hh.months_since_exit < months)


class FiscalBooking:
    """Books each month's taxes, contributions and transfers of the households working after an exit."""

    def __init__(self, ledger, fiscal):
        self.ledger, self.fiscal = ledger, fiscal
        self.flows = flows_per_work_month(fiscal)
        self.production_sek_per_month = fiscal.wage_sek_per_month * (1.0 + fiscal.employer_contribution_rate)

    def book(self, t: int, households, working: np.ndarray | None = None) -> np.ndarray:
        """Book month ``t``; the number of working households per (arm, replication) (``working``: that
        number counted already, by the cost booking's compiled pass; None: counted here)."""
        if working is None:
            working = np.count_nonzero(working_after_exit(households, self.fiscal.work_income_months_after_exit),
                                       axis=-1)
        if working.any():
            for flow in self.flows:
                self.ledger.add(t, flow.category, flow.payer, working * flow.sek)
            # society: what the work produces, valued at its labour cost (a negative cost, as revenue)
            self.ledger.add(t, "production", "society", -working * self.production_sek_per_month)
        return working
