"""Repayment rules: one general rule, presets are parameter sets of it (README "The model").

:func:`step` is the pure yearly arithmetic a :class:`simulation.accounting.fund.Fund` applies at
each fiscal close; :func:`schedule` runs it over a whole stream of years (used
by tests with hand-computed schedules, and by the report).

Year offsets count from the start year, the year of the first disbursement.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from scenarios.schema import RepaymentRuleConfig

EPS_SEK = 1e-6


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
    """What a rule needs to know at a fiscal close."""

    year: int
    year_offset: int                 # years since the start year (first disbursement)
    disbursed_sek: float
    measured_saving_sek: float       # by the scenario's evaluation method, borrower only
    cash_saving_sek: float           # the borrower's attributable cash saving
    project_ended: bool
    responsibility_moved: bool
    cumulative_measured_saving_sek: float
    borrower_surplus_sek: float = 0.0  # the borrower's frame − outturn: its repayment capacity without cuts
    borrower_share_of_saving: float = 1.0  # the borrower's share of the municipality's cumulative saving


@dataclass
class RuleState:
    """What a rule remembers across years."""

    triggered: bool = False
    waived: bool = False
    instalments_paid: int = 0
    window_spending_reduction_sek: float = 0.0   # Σ of the borrower's cash saving over the window so far


# --- triggers and amount bases, registered by name (the schema's choices) -----------------

Trigger = Callable[[RepaymentRuleConfig, YearInputs], bool]
Basis = Callable[[RepaymentRuleConfig, RuleState, FundBooks, YearInputs], float]

#: when repayment starts: the first year this is true (then it stays triggered)
TRIGGER_RULES: dict[str, Trigger] = {
    "none": lambda rule, inp: False,
    "after_project": lambda rule, inp: inp.project_ended,
    "fixed_year": lambda rule, inp: inp.year_offset >= rule.trigger_year_offset,
    "threshold": lambda rule, inp: inp.measured_saving_sek > 0 and inp.measured_saving_sek >= rule.threshold_sek,
}


def _exempt(rule: RepaymentRuleConfig, inp: YearInputs) -> bool:
    return rule.exempt_effects_after_years is not None and inp.year_offset > rule.exempt_effects_after_years


def _fixed_instalment(rule: RepaymentRuleConfig, state: RuleState, books: FundBooks, inp: YearInputs) -> float:
    if state.instalments_paid >= rule.instalments:
        return 0.0
    return books.disbursed_sek * rule.cap_share_of_grant / rule.instalments


#: what a rule asks for in a year, before the cap
BASIS_RULES: dict[str, Basis] = {
    "none": lambda rule, state, books, inp: 0.0,
    "fixed_instalment": _fixed_instalment,
    "measured_saving": lambda rule, state, books, inp: (
        0.0 if _exempt(rule, inp) else rule.share_of_basis * max(0.0, inp.measured_saving_sek)),
    "cash_saving": lambda rule, state, books, inp: (
        0.0 if _exempt(rule, inp) else rule.share_of_basis * max(0.0, inp.cash_saving_sek)),
    # Stockholm (seed 002): "motsvarande den utgiftsminskning som uppstått" — the spending reduction
    # (the borrower's cash saving) netted over the window so far, less what was repaid: a noisy
    # good year cannot repay on its own when the years around it lose
    "cumulative_spending_reduction": lambda rule, state, books, inp: max(
        0.0, rule.share_of_basis * state.window_spending_reduction_sek - books.repaid_sek),
}


def _triggered(rule: RepaymentRuleConfig, state: RuleState, inp: YearInputs) -> bool:
    if not state.triggered and TRIGGER_RULES[rule.trigger](rule, inp):
        state.triggered = True
    return state.triggered


def _in_window(rule: RepaymentRuleConfig, offset: int) -> bool:
    if offset < rule.first_year_offset:
        return False
    if rule.last_year_offset is not None and offset > rule.last_year_offset:
        return False
    return True


def step(rule: RepaymentRuleConfig, state: RuleState, books: FundBooks, inp: YearInputs) -> dict:
    """Apply one year of a repayment rule; update ``books`` and ``state``; return the year's row.

    Order within a year: disbursement, the board's waiver review, repayment,
    write-off when a window closes with the risk on the executive board.
    Budget pressure = the instalment the borrower bears − the part of it its surplus against its
    budget frame covers (positive = cuts elsewhere; negative = the surplus left after the instalment;
    simulation/accounting/budget.py). A deficit against the frame is not pressure of the rule: it is
    there with or without the loan (a grant, the budget model, shows none).
    """
    books.disbursed_sek += inp.disbursed_sek
    written_off = 0.0
    repaid = 0.0

    if rule.amount_basis == "none":
        # a grant: nothing is owed, the fund's equity falls by what it pays out
        written_off = inp.disbursed_sek
        books.written_off_sek += written_off
    else:
        review = rule.waiver_review_year_offset
        if review is not None and inp.year_offset == review and not state.waived:
            failed = inp.cumulative_measured_saving_sek < rule.failed_below_share_of_grant * books.disbursed_sek
            if (rule.waive_if_responsibility_moved and inp.responsibility_moved) or \
                    (rule.waive_if_failed and failed):
                state.waived = True
                written_off = max(0.0, books.owed_sek)
                books.written_off_sek += written_off
        in_window = _in_window(rule, inp.year_offset)
        if in_window and not _exempt(rule, inp):
            state.window_spending_reduction_sek += inp.cash_saving_sek
        if not state.waived and _triggered(rule, state, inp) and in_window:
            cap_left = rule.cap_share_of_grant * books.disbursed_sek - books.repaid_sek
            due = min(BASIS_RULES[rule.amount_basis](rule, state, books, inp), max(0.0, books.owed_sek),
                      max(0.0, cap_left))
            if due > EPS_SEK:
                repaid = due
                books.repaid_sek += repaid
                if rule.amount_basis == "fixed_instalment":
                    state.instalments_paid += 1
        window_closes = rule.last_year_offset is not None and inp.year_offset == rule.last_year_offset
        if window_closes and rule.risk_bearer == "ks" and books.owed_sek > EPS_SEK:
            written_off += books.owed_sek
            books.written_off_sek += books.owed_sek

    window_closes = rule.last_year_offset is not None and inp.year_offset == rule.last_year_offset
    # Stockholm: "därefter görs en slutlig justering av ordinarie budget" — a permanent frame change of
    # the units concerned, reported as its own figure (SEK per year from then on), not a repayment
    frame_adjustment = max(0.0, inp.cash_saving_sek) if rule.final_frame_adjustment and window_closes else 0.0
    # Södertälje: the instalment cuts the frames where the saving lands; the borrower bears its share
    borrower_cut = repaid * min(1.0, max(0.0, inp.borrower_share_of_saving)) if rule.cut_where_saving_lands \
        else repaid
    assert books.owed_sek >= -EPS_SEK, "the fund is owed a negative amount"
    return {
        "year": inp.year,
        "disbursed_sek": inp.disbursed_sek,
        "measured_saving_sek": inp.measured_saving_sek,
        "cash_saving_sek": inp.cash_saving_sek,
        "repaid_sek": repaid,
        "written_off_sek": written_off,
        "outstanding_sek": max(0.0, books.owed_sek),
        "fund_balance_sek": books.cash_sek,
        "fund_equity_sek": books.equity_sek,
        "budget_pressure_sek": borrower_cut - max(0.0, inp.borrower_surplus_sek),
        "frame_adjustment_sek": frame_adjustment,
    }


def schedule(rule: RepaymentRuleConfig, *, start_year: int, disbursed_sek: list[float],
             measured_saving_sek: list[float], cash_saving_sek: list[float] | None = None,
             project_end_year: int | None = None, responsibility_moved: bool = False,
             capital_sek: float = 0.0, surplus_sek: list[float] | None = None,
             borrower_share_of_saving: list[float] | None = None) -> list[dict]:
    """Run a rule over a stream of years starting at ``start_year`` (pure; for tests and reports)."""
    n = len(measured_saving_sek)
    disbursed = list(disbursed_sek) + [0.0] * (n - len(disbursed_sek))
    cash = list(cash_saving_sek) if cash_saving_sek is not None else [0.0] * n
    surplus = list(surplus_sek) if surplus_sek is not None else [0.0] * n
    share = list(borrower_share_of_saving) if borrower_share_of_saving is not None else [1.0] * n
    end = project_end_year if project_end_year is not None else start_year + len(disbursed_sek) - 1
    books, state = FundBooks(capital_sek=capital_sek), RuleState()
    rows, cumulative = [], 0.0
    for i in range(n):
        cumulative += measured_saving_sek[i]
        rows.append(step(rule, state, books, YearInputs(
            year=start_year + i, year_offset=i, disbursed_sek=disbursed[i],
            measured_saving_sek=measured_saving_sek[i], cash_saving_sek=cash[i],
            project_ended=start_year + i > end, responsibility_moved=responsibility_moved,
            cumulative_measured_saving_sek=cumulative, borrower_surplus_sek=surplus[i],
            borrower_share_of_saving=share[i])))
    return rows
