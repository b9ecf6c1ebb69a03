"""Every cost of a month, per arm, into the ledger: prices × the agents' states."""

from __future__ import annotations

import numpy as np

from agents.base import prefix_sums
from agents.children import ADULT_OUTCOMES, FAMILY_HOME, HVB, RISK_FACTORS
from agents.hazards import DAYS_PER_MONTH, MONTHS_PER_YEAR
from agents.households import ROUTE_INDEX
from simulation.accounting.fiscal import FiscalBooking, disposable_income_per_work_month
from simulation.accounting.ledger import MonthlyLedger

#: months a household that left EB for studies draws student aid (CSN's grant part;
#: economy.student_aid_sek_per_household_month, assumption L)
STUDENT_AID_MONTHS = 24
#: the municipal share of an adult outcome's cost is booked on this unit
ADULT_OUTCOME_UNIT = {"unemployed_on_eb": "eb_unit", "mental_illness": "adult_services",
                      "substance_abuse": "adult_services"}
CONDUCT_PROBLEMS = RISK_FACTORS.index("conduct_problems")


def hours_table(ordinary_hours_by_month: np.ndarray, intensive_hours_by_month: np.ndarray) -> np.ndarray:
    """Therapist hours by (variant: 0 ordinary, 1 intensive) and month of the episode; 0 past its end."""
    length = max(len(ordinary_hours_by_month), len(intensive_hours_by_month), 1)
    table = np.zeros((2, length + 1))
    table[0, :len(ordinary_hours_by_month)] = ordinary_hours_by_month
    table[1, :len(intensive_hours_by_month)] = intensive_hours_by_month
    return table


class CostBooking:
    """Books each month's costs of both arms; the intervention's financing by its yearly budget."""

    def __init__(self, ledger: MonthlyLedger, economy, intervention_config, calendar, households, children,
                 hours_by_variant_month: np.ndarray, intervention_active: bool):
        self.ledger, self.eco, self.itv = ledger, economy, intervention_config
        self.calendar, self.households, self.children = calendar, households, children
        self.hours = hours_by_variant_month
        self.intervention_active = intervention_active
        self.fiscal = FiscalBooking(ledger, economy.fiscal)
        self.work_income_sek_per_month = disposable_income_per_work_month(economy.fiscal)

    def book(self, t: int) -> None:
        hh, ch, eco, led = self.households, self.children, self.eco, self.ledger
        eb_paid = prefix_sums(hh.on_eb * hh.eb_sek_per_month, hh.n_active)   # (arms, R)
        led.add(t, "eb", "eb_unit", eb_paid)
        off = hh.present & ~hh.on_eb
        # an exit to another benefit shifts the payer for as long as that benefit lasts, not forever
        fk = off & (hh.last_exit_route == ROUTE_INDEX["other_benefit"]) \
            & (hh.months_since_exit < eco.other_benefit_months)
        studies = off & (hh.last_exit_route == ROUTE_INDEX["studies"]) & (hh.months_since_exit < STUDENT_AID_MONTHS)
        other = np.count_nonzero(fk, axis=-1) * eco.state_benefit_sek_per_household_month \
            + np.count_nonzero(studies, axis=-1) * eco.student_aid_sek_per_household_month
        # a household that reached pension age on EB gets the state's old-age support (issue 11
        # item 5): what EB paid, now paid by the state — a shift of payer, not a saving
        other = other + prefix_sums(hh.old_age_support * hh.eb_sek_per_month, hh.n_active)
        led.add(t, "other_benefit", "state", other)
        working = self.fiscal.book(t, hh)          # taxes and transfers of exits to work (fiscal.py)
        household_income = eb_paid + other + working * self.work_income_sek_per_month
        # therapist hours of the families in an episode (few): looked up for them only
        in_care = np.nonzero(hh.open_care_months_left > 0)
        hours = np.zeros(hh.open_care_months_left.shape)
        hours[in_care] = self.hours[hh.open_care_intensive[in_care].astype(np.intp),
                                    np.minimum(hh.open_care_month_index[in_care], self.hours.shape[1] - 1)]
        led.add(t, "open_care_hours", "open_care",
                prefix_sums(hours, hh.n_active) * eco.therapists_per_family * eco.therapist_sek_per_hour)
        if len(ch):
            led.add(t, "placement_hvb", "child_authority",
                    np.count_nonzero(ch.placement == HVB, axis=-1) * DAYS_PER_MONTH * eco.hvb_sek_per_day)
            led.add(t, "placement_family_home", "child_authority",
                    np.count_nonzero(ch.placement == FAMILY_HOME, axis=-1) * DAYS_PER_MONTH * eco.family_home_sek_per_day)
            minors = ch.present & ~ch.adult
            conduct = np.count_nonzero(minors & ch.risk[..., CONDUCT_PROBLEMS], axis=-1) \
                * eco.conduct_problems_sek_per_child_year / MONTHS_PER_YEAR
            led.add(t, "conduct_problems", "school", conduct * eco.conduct_problems_municipality_share)
            if eco.conduct_problems_municipality_share < 1:
                led.add(t, "conduct_problems", "region", conduct * (1 - eco.conduct_problems_municipality_share))
            # (arms, R, outcomes); one outcome at a time (a count over the agent axis of a strided
            # view is several times faster than over axis −2 of the whole array)
            adults = np.stack([np.count_nonzero(ch.adult_outcome[..., k], axis=-1)
                               for k in range(len(ADULT_OUTCOMES))], axis=-1)
            for k, name in enumerate(ADULT_OUTCOMES):
                cost = eco.adult_outcomes[name]
                monthly = adults[..., k] * cost.sek_per_person_year / MONTHS_PER_YEAR
                led.add(t, f"adult_{name}", ADULT_OUTCOME_UNIT[name], monthly * cost.municipality_share)
                led.add(t, f"adult_{name}", "region", monthly * cost.region_share)
                led.add(t, f"adult_{name}", "state", monthly * cost.state_share)
            # an adult on EB is EB paid, by the EB unit's payer (the society view above is its N&W cost)
            on_eb = adults[..., ADULT_OUTCOMES.index("unemployed_on_eb")] * eco.adult_on_eb_sek_per_month
            led.add(t, "adult_on_eb", "eb_unit", on_eb)
            household_income = household_income + on_eb
        led.add(t, "household_income", "households", -household_income)
        if self.intervention_active:
            self.book_financing(t)

    def book_financing(self, t: int) -> None:
        """The project's posts (spent by its units) and the fund's grant that pays them (KS)."""
        yearly = self.itv.cost_sek_by_year.get(str(self.calendar.year(t)), 0.0)
        if not yearly:
            return
        amount = np.array([yearly / 12.0, 0.0])[:, None]      # (arms, 1): the same in every replication
        lines = self.itv.cost_lines or []
        # weights relative to the fund's lines; a line another payer funds (issue 11 item 2) costs
        # its weight in the same SEK, financed by that payer's grant instead of the fund's
        total = sum(line.weight_sek for line in lines if line.payer == "fund") or 1.0
        shares = [(line.unit, line.weight_sek / total, line.payer) for line in lines] or [("eb_unit", 1.0, "fund")]
        for unit, share, payer in shares:
            self.ledger.add(t, "intervention_posts", unit, amount * share)
            self.ledger.add(t, f"{payer}_grant", unit, -amount * share)
            if payer != "fund":
                self.ledger.add(t, f"{payer}_grant", payer, amount * share)
        self.ledger.add(t, "fund_grant", "ks", amount)
