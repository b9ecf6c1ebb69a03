"""Every cost of a month, per arm, into the ledger: prices × the agents' states."""

from __future__ import annotations

import math

import numpy as np

from agents import kernels
from agents.base import prefix_sums
from agents.children import ADULT_OUTCOMES, FAMILY_HOME, HVB, RISK_FACTORS
from agents.hazards import DAYS_PER_MONTH, MONTHS_PER_YEAR
from agents.households import ROUTE_INDEX
from simulation.accounting.fiscal import FiscalBooking, disposable_income_per_work_month
from simulation.accounting.kernels_books import exact_units, household_month, open_care_hour_sums
from simulation.accounting.ledger import MonthlyLedger

#: months a household that left EB for studies draws student aid (CSN's grant part;
#: economy.student_aid_sek_per_household_month, assumption L)
STUDENT_AID_MONTHS = 24
#: a months-since-exit limit no household reaches (the fiscal booking's "for as long as it stays off EB")
WHOLE_STAY = 2 ** 62
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
        # the hours as whole multiples of a power of two, when exact sums of them are (kernels_books.py)
        self.hour_units = exact_units(hours_by_variant_month, int(np.max(households.capacity, initial=0)))
        self.intervention_active = intervention_active
        self.fiscal = FiscalBooking(ledger, economy.fiscal)
        self.work_income_sek_per_month = disposable_income_per_work_month(economy.fiscal)
        self._benefit_limits: tuple[np.ndarray, np.ndarray] | None = None

    def book(self, t: int) -> None:
        hh, ch, eco, led = self.households, self.children, self.eco, self.ledger
        # the month's bookings in one indexed addition (ledger.add_to_slots: the same floats as one add
        # each); each slot is looked up where it was booked, so slots are made in the same order
        slots, amounts = [], []

        def add(category: str, body: str, amount) -> None:
            slots.append(led.booking_slot(category, body))
            amounts.append(amount)

        compiled = ch.kernels == "numba"
        if compiled and len(hh):
            # the household passes of amount_sums, benefit_counts and hour_sums in one
            # (kernels_books.household_month: the same sums and counts; numpy's sum where not exact)
            eb_paid, old_age_paid, counts, hours = household_month(hh, *self.benefit_limits(), self.hour_units)
            eb_paid = self.amount_sums(hh.on_eb, compiled=False) if eb_paid is None else eb_paid
            old_age_paid = self.amount_sums(hh.old_age_support, compiled=False) if old_age_paid is None \
                else old_age_paid
            n_other_benefit, n_studies, n_working = counts[..., 0], counts[..., 1], counts[..., 2]
            hours = self.hour_sums(compiled) if hours is None else hours
        else:
            eb_paid = self.amount_sums(hh.on_eb)                             # (arms, R)
            # an exit to another benefit shifts the payer for as long as that benefit lasts, not forever
            n_other_benefit, n_studies, n_working = self.benefit_counts(compiled)
            old_age_paid = self.amount_sums(hh.old_age_support)
            hours = self.hour_sums(compiled)
        add("eb", "eb_unit", eb_paid)
        other = n_other_benefit * eco.state_benefit_sek_per_household_month \
            + n_studies * eco.student_aid_sek_per_household_month
        # a household that reached pension age on EB gets the state's old-age support (issue 11
        # item 5): what EB paid, now paid by the state — a shift of payer, not a saving
        other = other + old_age_paid
        add("other_benefit", "state", other)
        working = self.fiscal.book(t, hh, n_working)   # taxes and transfers of exits to work (fiscal.py)
        household_income = eb_paid + other + working * self.work_income_sek_per_month
        add("open_care_hours", "open_care", hours * eco.therapists_per_family * eco.therapist_sek_per_hour)
        if len(ch):
            n_hvb, n_family_home, n_conduct, adults = self.child_counts(compiled)
            add("placement_hvb", "child_authority", n_hvb * DAYS_PER_MONTH * eco.hvb_sek_per_day)
            add("placement_family_home", "child_authority", n_family_home * DAYS_PER_MONTH * eco.family_home_sek_per_day)
            conduct = n_conduct * eco.conduct_problems_sek_per_child_year / MONTHS_PER_YEAR
            add("conduct_problems", "school", conduct * eco.conduct_problems_municipality_share)
            if eco.conduct_problems_municipality_share < 1:
                add("conduct_problems", "region", conduct * (1 - eco.conduct_problems_municipality_share))
            for k, name in enumerate(ADULT_OUTCOMES):
                cost = eco.adult_outcomes[name]
                monthly = adults[..., k] * cost.sek_per_person_year / MONTHS_PER_YEAR
                add(f"adult_{name}", ADULT_OUTCOME_UNIT[name], monthly * cost.municipality_share)
                add(f"adult_{name}", "region", monthly * cost.region_share)
                add(f"adult_{name}", "state", monthly * cost.state_share)
            # an adult on EB is EB paid, by the EB unit's payer (the society view above is its N&W cost)
            on_eb = adults[..., ADULT_OUTCOMES.index("unemployed_on_eb")] * eco.adult_on_eb_sek_per_month
            add("adult_on_eb", "eb_unit", on_eb)
            household_income = household_income + on_eb
        add("household_income", "households", -household_income)
        if self.intervention_active:
            self.book_financing(t, add)
        led.add_to_slots(t, slots, amounts)

    def hour_sums(self, compiled: bool) -> np.ndarray:
        """Per (arm, replication): the therapist hours of the month of the families in an episode,
        summed over each prefix. Compiled: added as exact whole units in one pass when the hours table
        allows it (``kernels_books.open_care_hour_sums``: numpy's sum, bit for bit), else looked up
        for the families in an episode and summed by numpy; the numpy path is the reference."""
        hh = self.households
        if compiled:
            whole = kernels.whole
            if self.hour_units is not None:
                units, unit_hours = self.hour_units
                return open_care_hour_sums(whole(hh.open_care_months_left), whole(hh.open_care_intensive),
                                           whole(hh.open_care_month_index), units, unit_hours, hh.n_active)
            hours = kernels.open_care_hours(whole(hh.open_care_months_left), whole(hh.open_care_intensive),
                                            whole(hh.open_care_month_index), self.hours,
                                            hh.open_care_months_left.shape)
        else:
            in_care = np.nonzero(hh.open_care_months_left > 0)
            hours = np.zeros(hh.open_care_months_left.shape)
            hours[in_care] = self.hours[hh.open_care_intensive[in_care].astype(np.intp),
                                        np.minimum(hh.open_care_month_index[in_care], self.hours.shape[1] - 1)]
        return prefix_sums(hours, hh.n_active)

    def amount_sums(self, mask: np.ndarray, compiled: bool = True) -> np.ndarray:
        """Per (arm, replication): the EB amounts of the households in ``mask``, summed over each prefix.

        Compiled when the amounts are whole SEK (exact in any order, so the same bits as numpy's
        sum); otherwise (or ``compiled`` False) numpy's.
        """
        hh = self.households
        if compiled and self.children.kernels == "numba" and len(hh):
            sums = kernels.masked_prefix_sums(kernels.whole(mask), kernels.whole(hh.eb_sek_per_month), hh.n_active)
            if sums is not None:
                return sums
        return prefix_sums(mask * hh.eb_sek_per_month, hh.n_active)

    def benefit_counts(self, compiled: bool) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
        """Per (arm, replication): households off EB on another benefit (within its length), on student
        aid and — compiled, in the same pass — working after an exit to work (within the fiscal
        booking's months; None from numpy, where :class:`FiscalBooking` counts them)."""
        hh, eco = self.households, self.eco
        routes, months = self.benefit_limits()
        if compiled:
            counts = np.empty((hh.n_arms, hh.n_reps, 3), dtype=np.int64)
            kernels.household_cost_counts(hh.n_active, kernels.whole(hh.present), kernels.whole(hh.on_eb),
                                          kernels.whole(hh.last_exit_route), kernels.whole(hh.months_since_exit),
                                          routes, months, counts)
            return counts[..., 0], counts[..., 1], counts[..., 2]
        off = hh.present & ~hh.on_eb
        fk = off & (hh.last_exit_route == routes[0]) & (hh.months_since_exit < eco.other_benefit_months)
        studies = off & (hh.last_exit_route == routes[1]) & (hh.months_since_exit < STUDENT_AID_MONTHS)
        return np.count_nonzero(fk, axis=-1), np.count_nonzero(studies, axis=-1), None

    def benefit_limits(self) -> tuple[np.ndarray, np.ndarray]:
        """The routes (another benefit, studies, work) and the months after an exit by each that the
        compiled counts count (:meth:`benefit_counts`): made once."""
        if self._benefit_limits is None:
            eco = self.eco
            routes = np.array([ROUTE_INDEX["other_benefit"], ROUTE_INDEX["studies"], ROUTE_INDEX["work"]],
                              dtype=np.int64)
            # months since exit are whole months: "< m" is "< ceil(m)"; no limit: beyond any count of months
            work_months = self.fiscal.fiscal.work_income_months_after_exit
            months = np.array([math.ceil(eco.other_benefit_months), STUDENT_AID_MONTHS,
                               WHOLE_STAY if work_months is None else math.ceil(work_months)], dtype=np.int64)
            self._benefit_limits = (routes, months)
        return self._benefit_limits

    def child_counts(self, compiled: bool) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Per (arm, replication): children in HVB, in a family home, minors with conduct problems,
        and (arms, R, outcomes) adults with each outcome."""
        ch = self.children
        if compiled:
            counts = np.empty((ch.n_arms, ch.n_reps, 3 + len(ADULT_OUTCOMES)), dtype=np.int64)
            kernels.child_cost_counts(ch.n_active, kernels.whole(ch.placement), kernels.whole(ch.present),
                                      kernels.whole(ch.adult), kernels.whole(ch.risk), np.int64(CONDUCT_PROBLEMS),
                                      kernels.whole(ch.adult_outcome), counts)
            return counts[..., 0], counts[..., 1], counts[..., 2], counts[..., 3:]
        minors = ch.present & ~ch.adult
        # one outcome at a time (a count over the agent axis of a strided view is several times
        # faster than over axis −2 of the whole array)
        adults = np.stack([np.count_nonzero(ch.adult_outcome[..., k], axis=-1)
                           for k in range(len(ADULT_OUTCOMES))], axis=-1)
        return (np.count_nonzero(ch.placement == HVB, axis=-1), np.count_nonzero(ch.placement == FAMILY_HOME, axis=-1),
                np.count_nonzero(minors & ch.risk[..., CONDUCT_PROBLEMS], axis=-1), adults)

    def book_financing(self, t: int, add=None) -> None:
        """The project's posts (spent by its units) and the fund's grant that pays them (KS); booked by
        ``add(category, body, amount)`` (:meth:`book`'s bookings of the month), else one ledger add each."""
        if add is None:
            def add(category: str, body: str, amount) -> None:
                self.ledger.add(t, category, body, amount)
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
            add("intervention_posts", unit, amount * share)
            add(f"{payer}_grant", unit, -amount * share)
            if payer != "fund":
                add(f"{payer}_grant", payer, amount * share)
        add("fund_grant", "ks", amount)
