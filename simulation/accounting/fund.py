"""The social investment fund, held by the executive board (KS)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

import mesa

from scenarios.schema import RepaymentRuleConfig


@dataclass
class FundBooks:
    """The fund's cumulative books (SEK). Invariants, checked at every close:

    cash = capital − disbursed + repaid; owed = disbursed − repaid − written off ≥ 0;
    equity = capital − written off.
    """

    capital_sek: float
    disbursed_sek: float = 0.0
    repaid_sek: float = 0.0
    written_off_sek: float = 0.0

    @property
    def cash_sek(self) -> float:
        return self.capital_sek - self.disbursed_sek + self.repaid_sek

    @property
    def owed_sek(self) -> float:
        return self.disbursed_sek - self.repaid_sek - self.written_off_sek

    @property
    def equity_sek(self) -> float:
        return self.capital_sek - self.written_off_sek


@dataclass
class YearInputs:
    """What the fund needs to know at a fiscal close."""

    year: int
    year_offset: int                 # years since the start year (first disbursement)
    disbursed_sek: float
    measured_saving_sek: float       # by the scenario's evaluation method, borrower only
    cash_saving_sek: float           # the borrower's attributable cash saving
    project_ended: bool
    responsibility_moved: bool
    cumulative_measured_saving_sek: float


@dataclass
class RuleState:
    """What a rule remembers across years."""

    triggered: bool = False
    trigger_year_offset: int | None = None
    waived: bool = False
    instalments_paid: int = 0
    history: list[dict] = field(default_factory=list)


StepFn = Callable[[RepaymentRuleConfig, RuleState, FundBooks, YearInputs], dict]


class Fund(mesa.Agent):
    """One fund applying one repayment rule (``repayment=all`` makes one per preset).

    The rule's arithmetic is a pure function supplied by the model
    (``simulation.accounting.repayment.step``); the fund keeps the books and the history.
    """

    def __init__(self, model: mesa.Model, rule_name: str, rule: RepaymentRuleConfig,
                 capital_sek: float, step_fn: StepFn):
        super().__init__(model)
        self.rule_name = rule_name
        self.rule = rule
        self.books = FundBooks(capital_sek=capital_sek)
        self.state = RuleState()
        self._step_fn = step_fn

    def close_year(self, inputs: YearInputs) -> dict:
        row = self._step_fn(self.rule, self.state, self.books, inputs)
        self.state.history.append(row)
        return row
