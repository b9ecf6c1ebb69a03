"""Repayment rules: one general rule, presets are parameter sets of it (DESIGN §3).

:func:`step` is the pure yearly arithmetic a :class:`simulation.accounting.fund.Fund` applies at
each fiscal close; :func:`schedule` runs it over a whole stream of years (used
by tests with hand-computed schedules, and by the report).

Year offsets count from the start year, the year of the first disbursement.
"""

from __future__ import annotations

from simulation.accounting.fund import FundBooks, RuleState, YearInputs
from scenarios.schema import RepaymentRuleConfig

EPS_SEK = 1e-6


def _triggered(rule: RepaymentRuleConfig, state: RuleState, inp: YearInputs) -> bool:
    if state.triggered:
        return True
    if rule.trigger == "after_project":
        hit = inp.project_ended
    elif rule.trigger == "fixed_year":
        hit = inp.year_offset >= rule.trigger_year_offset
    elif rule.trigger == "threshold":
        hit = inp.measured_saving_sek > 0 and inp.measured_saving_sek >= rule.threshold_sek
    else:
        hit = False
    if hit:
        state.triggered = True
        state.trigger_year_offset = inp.year_offset
    return hit


def _in_window(rule: RepaymentRuleConfig, state: RuleState, offset: int) -> bool:
    if offset < rule.first_year_offset:
        return False
    if rule.last_year_offset is not None and offset > rule.last_year_offset:
        return False
    return True


def _basis_sek(rule: RepaymentRuleConfig, state: RuleState, books: FundBooks,
               inp: YearInputs) -> float:
    """What the rule asks for this year, before the cap."""
    if rule.amount_basis == "fixed_instalment":
        if state.instalments_paid >= rule.instalments:
            return 0.0
        return books.disbursed_sek * rule.cap_share_of_grant / rule.instalments
    if rule.exempt_effects_after_years is not None and inp.year_offset > rule.exempt_effects_after_years:
        return 0.0
    if rule.amount_basis == "measured_saving":
        return rule.share_of_basis * max(0.0, inp.measured_saving_sek)
    if rule.amount_basis == "cash_saving":
        return rule.share_of_basis * max(0.0, inp.cash_saving_sek)
    return 0.0


def step(rule: RepaymentRuleConfig, state: RuleState, books: FundBooks, inp: YearInputs) -> dict:
    """Apply one year of a repayment rule; update ``books`` and ``state``; return the year's row.

    Order within a year: disbursement, the board's waiver review, repayment,
    write-off when a window closes with the risk on the executive board.
    Budget pressure = instalment − the borrower's cash saving (positive = cuts elsewhere).
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
        if not state.waived and _triggered(rule, state, inp) and _in_window(rule, state, inp.year_offset):
            cap_left = rule.cap_share_of_grant * books.disbursed_sek - books.repaid_sek
            due = min(_basis_sek(rule, state, books, inp), max(0.0, books.owed_sek), max(0.0, cap_left))
            if due > EPS_SEK:
                repaid = due
                books.repaid_sek += repaid
                if rule.amount_basis == "fixed_instalment":
                    state.instalments_paid += 1
        window_closes = rule.last_year_offset is not None and inp.year_offset == rule.last_year_offset
        if window_closes and rule.risk_bearer == "ks" and books.owed_sek > EPS_SEK:
            written_off += books.owed_sek
            books.written_off_sek += books.owed_sek

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
        "budget_pressure_sek": repaid - inp.cash_saving_sek,
    }


def schedule(rule: RepaymentRuleConfig, *, start_year: int, disbursed_sek: list[float],
             measured_saving_sek: list[float], cash_saving_sek: list[float] | None = None,
             project_end_year: int | None = None, responsibility_moved: bool = False,
             capital_sek: float = 0.0) -> list[dict]:
    """Run a rule over a stream of years starting at ``start_year`` (pure; for tests and reports)."""
    n = len(measured_saving_sek)
    disbursed = list(disbursed_sek) + [0.0] * (n - len(disbursed_sek))
    cash = list(cash_saving_sek) if cash_saving_sek is not None else [0.0] * n
    end = project_end_year if project_end_year is not None else start_year + len(disbursed_sek) - 1
    books, state = FundBooks(capital_sek=capital_sek), RuleState()
    rows, cumulative = [], 0.0
    for i in range(n):
        cumulative += measured_saving_sek[i]
        rows.append(step(rule, state, books, YearInputs(
            year=start_year + i, year_offset=i, disbursed_sek=disbursed[i],
            measured_saving_sek=measured_saving_sek[i], cash_saving_sek=cash[i],
            project_ended=start_year + i > end, responsibility_moved=responsibility_moved,
            cumulative_measured_saving_sek=cumulative)))
    return rows
