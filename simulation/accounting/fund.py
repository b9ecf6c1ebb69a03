"""The social investment fund, held by the executive board (KS): a Mesa agent keeping the books."""

from __future__ import annotations

import mesa

from scenarios.schema import RepaymentRuleConfig
from simulation.accounting.repayment import FundBooks, RuleState, YearInputs, step


class Fund(mesa.Agent):
    """One fund applying one repayment rule (``repayment=all`` makes one per preset).

    The rule's arithmetic is the pure :func:`simulation.accounting.repayment.step`;
    the fund keeps its books and what the rule remembers across years.
    """

    def __init__(self, model: mesa.Model, rule_name: str, rule: RepaymentRuleConfig, capital_sek: float):
        super().__init__(model)
        self.rule_name = rule_name
        self.rule = rule
        self.books = FundBooks(capital_sek=capital_sek)
        self.state = RuleState()

    def close_year(self, inputs: YearInputs) -> dict:
        """Apply the rule to one closed year; the year's repayment row."""
        return step(self.rule, self.state, self.books, inputs)


__all__ = ["Fund", "FundBooks", "RuleState", "YearInputs"]
