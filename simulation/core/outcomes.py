"""Outcomes, declared once by name with unit and direction (STYLE item 5).

Tables and charts refer to these names; ``higher_is_better`` says which way is good
for the municipality.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Outcome:
    name: str
    unit: str
    higher_is_better: bool
    en: str
    sv: str


OUTCOMES = {o.name: o for o in (
    Outcome("intervention_cost_sek", "SEK", False, "Intervention cost (grant)", "Insatsens kostnad (bidrag)"),
    Outcome("naive_claim_sek", "SEK", True, "Saving claimed without control group", "Besparing enligt före/efter-uppföljning"),
    Outcome("attributable_saving_sek", "SEK", True, "Attributable saving, all payers", "Hänförbar besparing, alla betalare"),
    Outcome("attributable_saving_pv_sek", "SEK", True, "Attributable saving, present value", "Hänförbar besparing, nuvärde"),
    Outcome("attributable_saving_project_years_sek", "SEK", True, "Attributable saving within the project years",
            "Hänförbar besparing under projektåren"),
    Outcome("attributable_saving_in_window_sek", "SEK", True, "Attributable saving within the rule's repayment window",
            "Hänförbar besparing inom regelns återbetalningsfönster"),
    Outcome("attributable_saving_fund_inputs_sek", "SEK", True,
            "Attributable saving from the posts the fund paid", "Hänförbar besparing från tjänster som fonden betalade"),
    Outcome("fund_share_of_effect", "share", True, "Fund's share of the attributable saving (by the inputs it paid)",
            "Fondens andel av den hänförbara besparingen (efter de insatser den betalade)"),
    Outcome("municipal_saving_sek", "SEK", True, "Saving to the municipality", "Besparing för kommunen"),
    Outcome("borrower_saving_sek", "SEK", True, "Saving to the borrowing committee", "Besparing för den lånande nämnden"),
    Outcome("cash_saving_sek", "SEK", True, "Cash saving to the borrowing committee", "Kontant besparing för den lånande nämnden"),
    Outcome("region_state_saving_sek", "SEK", True, "Saving to region and state", "Besparing för region och stat"),
    Outcome("repaid_sek", "SEK", True, "Repaid to the fund", "Återbetalt till fonden"),
    Outcome("repaid_share", "share", True, "Share of grant repaid", "Andel av bidraget återbetald"),
    Outcome("year_fully_repaid", "year", False, "Year fully repaid", "År då fullt återbetalt"),
    Outcome("written_off_sek", "SEK", False, "Written off", "Avskrivet"),
    Outcome("outstanding_end_sek", "SEK", False, "Still owed at the horizon", "Kvar att betala vid horisonten"),
    Outcome("peak_budget_pressure_sek", "SEK", False, "Peak yearly budget pressure", "Största årliga budgettryck"),
    Outcome("peak_budget_pressure_posts", "posts", False, "Peak budget pressure in posts", "Största budgettryck i tjänster"),
    Outcome("p_full_repayment", "probability", True, "P(full repayment within horizon)", "P(fullt återbetalt inom horisonten)"),
    # per perspective (simulation/accounting/perspectives.py): WSIPP-style figures
    *(o for view, en, sv in (("budget", "public budgets", "offentliga budgetar"),
                             ("society", "society (incl. lost production)", "samhället (inkl. produktionsbortfall)"),
                             ("household", "households' disposable income", "hushållens disponibla inkomst"))
      for o in (
        Outcome(f"net_benefit_pv_sek_{view}", "SEK", True, f"Net benefit PV, {en}", f"Nettonytta, nuvärde, {sv}"),
        Outcome(f"benefit_cost_ratio_{view}", "ratio", True, f"Benefit–cost ratio, {en}", f"Nytta per krona, {sv}"),
        Outcome(f"p_net_benefit_positive_{view}", "probability", True, f"P(net benefit > 0), {en}",
                f"P(nettonytta > 0), {sv}"))),
)}


#: ledger categories whose effect comes from the EB unit's posts (the caseload mechanism); every other
#: effect is credited to the intervention's other posts (issue 11 item 2)
EB_EFFECT_CATEGORIES = ("eb", "eb_refill", "other_benefit")
EB_UNIT = "eb_unit"


def fund_share_of_inputs(cost_lines) -> dict[bool, float]:
    """The fund's share, by cost weight, of the posts behind EB effects (key True) and other effects (False).

    A cost line with ``payer: fund`` is the fund's; any other payer's (e.g. the state's Urban
    utveckling posts at Öster's Herrgården) is not. Without lines of a kind the share is that of
    all lines, and 1 without any line (the grant is all there is).
    """
    lines = list(cost_lines or [])

    def share(selected) -> float | None:
        total = sum(line.weight_sek for line in selected)
        return sum(line.weight_sek for line in selected if line.payer == "fund") / total if total > 0 else None

    overall = share(lines)
    overall = 1.0 if overall is None else overall
    eb = share([line for line in lines if line.unit == EB_UNIT])
    other = share([line for line in lines if line.unit != EB_UNIT])
    return {True: overall if eb is None else eb, False: overall if other is None else other}
