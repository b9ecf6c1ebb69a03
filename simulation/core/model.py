"""The sifsim model: one replication, intervention and control arm side by side.

``SifsimModel.step()`` is one month and reads like the schedule (STYLE item 1):

    inflow → EB exits and re-entries → children → intervention → costs → fiscal close → repayment

Both arms live in the same arrays (axis 0: 0 = intervention, 1 = control) and
read the same uniform draw per agent, process and month, so the difference
between the arms is the intervention's attributable effect and nothing else.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import mesa
import numpy as np

from agents.children import (ADULT_OUTCOMES, FAMILY_HOME, HOME, HVB, PROTECTIVE_FACTORS,
                             count_factors, placement_hazard_per_month)
from simulation.accounting.fund import Fund, YearInputs
from agents.households import COMPOSITION_INDEX, ROUTE_INDEX, exit_hazard_per_month
from agents.units import MunicipalUnit
from scenarios.schema import SifsimConfig
from simulation.accounting import repayment
from simulation.accounting.evaluation import naive_eb_claim_sek, naive_open_care_claim_sek, naive_placement_claim_sek
from simulation.accounting.ledger import FINANCING_CATEGORIES, MonthlyLedger
from simulation.core.draws import Stream, replication_streams
from simulation.core.population import build_population, reentry_hazard_by_route, route_shares

INTERVENTION, CONTROL = 0, 1
DAYS_PER_MONTH = 365.25 / 12
ADULT_PAYER = {"unemployed_on_eb": "eb_unit", "mental_illness": "adult_services",
               "substance_abuse": "adult_services"}


@dataclass
class YearRecord:
    """What the model knows about one closed calendar year (per arm where relevant)."""

    year: int
    borrower_saving_sek: float
    borrower_cash_saving_sek: float
    naive_claim_sek: float
    deadweight_adjusted_claim_sek: float
    naive_claim_total_sek: float         # every payer: what a pre/post report would claim
    disbursed_sek: float


class SifsimModel(mesa.Model):
    """One paired replication (intervention arm + control arm) as a Mesa model.

    Args:
        config: the validated, typed configuration.
        replication: index of this replication (selects its random streams).
        rng: seed; defaults to ``config.seed`` (Mesa's ``batch_run`` passes ``rng``).
    """

    def __init__(self, config: SifsimConfig | None = None, replication: int = 0,
                 rng: int | None = None):
        config = config if config is not None else SifsimConfig()
        seed = config.seed if rng is None else int(rng)
        super().__init__(rng=seed)
        self.config = config
        self.replication = replication
        self.streams = replication_streams(seed, replication)
        itv, pop, eco = config.intervention, config.population, config.economy

        # --- calendar: month 0 is January of the intervention's start year ---------------
        self.start_year = itv.start_year
        self.n_years = config.horizon_years + (1 if itv.start_month > 1 else 0)
        self.n_months = 12 * self.n_years
        self.month = 0
        self.t_start = (itv.start_month - 1) + itv.delay_months
        self.t_end = (itv.end_year - itv.start_year) * 12 + itv.end_month - 1 + itv.delay_months
        self.active = itv.name != "none" and itv.participants_households > 0

        # --- agents ------------------------------------------------------------------------
        synthetic = build_population(pop, eco, self.n_months, self.streams)
        self.households = synthetic.households
        self.children = synthetic.children
        self.inflow_per_month = synthetic.inflow_per_month
        self.units: dict[str, MunicipalUnit] = {
            u.name: MunicipalUnit(self, u, config.municipality.reorganisations, self.start_year)
            for u in config.municipality.units}
        self.payer_by_unit_month = {name: [u.payer_at(m) for m in range(self.n_months)]
                                    for name, u in self.units.items()}
        self.borrower_units = tuple(n for n, u in self.units.items() if u.committee == itv.borrower)
        # budget pressure in posts of the borrowing committee's average cost per post
        self.borrower_sek_per_post_year = float(np.mean(
            [self.units[u].sek_per_post_year for u in self.borrower_units])) if self.borrower_units else 0.0
        cost_years = sorted(int(y) for y, v in itv.cost_sek_by_year.items() if v > 0)
        self.fund_start_year = cost_years[0] if cost_years else self.start_year
        self.funds: dict[str, Fund] = {
            name: Fund(self, name, rule, config.municipality.fund_capital_sek, repayment.step)
            for name, rule in config.repayment.rules.items()}

        # --- parameters turned into arrays once ---------------------------------------------
        self.route_cdf = np.cumsum(route_shares(pop))
        self.reentry_hazard = reentry_hazard_by_route(pop)
        on_eb0 = self.households.on_eb[CONTROL].sum()
        eb_posts = max(on_eb0 / self.units["eb_unit"].caseload_households_per_worker, 1e-9)
        self.eb_posts = eb_posts
        self.caseload_mult = 1.0
        if itv.caseload.enabled:
            self.caseload_mult = (self.units["eb_unit"].caseload_households_per_worker
                                  / itv.caseload.participant_households_per_worker
                                  ) ** itv.caseload.exit_hazard_elasticity_to_caseload
        self._index_families()
        self.mean_risk = float(count_factors(self.children.risk[CONTROL]).mean()) if len(self.children) else 0.0
        # float32 like the draws they are compared with
        self.onset_by_protection = (pop.risk_onset_per_month * np.exp(
            -pop.protective_onset_log_multiplier * np.arange(len(PROTECTIVE_FACTORS) + 2))).astype(np.float32)
        self.placement_hazard_table = np.clip(placement_hazard_per_month(
            pop.placement_hazard_per_year, np.arange(5)[:, None], np.arange(len(PROTECTIVE_FACTORS) + 2)[None, :],
            pop.placement_risk_log_multiplier, pop.placement_protection_log_multiplier, self.mean_risk), 0, 1)
        self.adult_base_probability = np.array([pop.adult_outcome_base_probability[k] for k in ADULT_OUTCOMES])
        self.adult_remission_per_month = 1.0 - (1.0 - pop.adult_outcome_remission_per_year) ** (1.0 / 12.0)
        self.hvb_mean_months = pop.hvb_mean_days / DAYS_PER_MONTH
        self.family_home_mean_months = pop.family_home_mean_days / DAYS_PER_MONTH
        self.replacement_hazard = 1.0 - (1.0 - pop.replacement_within_2_years) ** (1.0 / 24.0)
        ordinary = np.full(eco.ordinary_treatment_months, eco.ordinary_treatment_hours_per_month)
        self.ordinary_hours = ordinary
        self.intensive_hours = np.asarray(itv.family_treatment.intensive_hours_by_month[
            :itv.family_treatment.intensive_months], dtype=float)
        hours_len = max(len(ordinary), len(self.intensive_hours), 1)
        self.hours_table = np.zeros((2, hours_len + 1))
        self.hours_table[0, :len(ordinary)] = ordinary
        self.hours_table[1, :len(self.intensive_hours)] = self.intensive_hours
        self.protective_index = {name: PROTECTIVE_FACTORS.index(m.factor)
                                 for name, m in itv.protective.items() if m.enabled}

        # --- books ----------------------------------------------------------------------------
        self.ledger = MonthlyLedger(self.n_months, eco.cash_share_by_category)
        self.ledger_rows: list[tuple] = []
        self.population_rows: list[tuple] = []
        self.repayment_rows: list[dict] = []
        self.years: list[YearRecord] = []
        # what a pre/post evaluation without control group claims, SEK by year (DESIGN §3)
        self._naive_eb = np.zeros(self.n_years)
        self._naive_open_care = np.zeros(self.n_years)
        self._expected_baseline = np.zeros(self.n_years)    # SEK of exits expected anyway
        self._cumulative_measured = 0.0   # the same measured saving feeds every rule
        self._exits = np.zeros(2, dtype=np.int64)
        self._entries = np.zeros(2, dtype=np.int64)
        # calibration statistics of the control arm (parameters.md §7), one row per year
        self._months_on_eb_this_year = np.zeros(self.households.capacity, dtype=np.int8)
        self._placements_this_year = 0
        self._minor_months_this_year = 0
        self._cohort_on_eb_at_60 = [0, 0]   # entrants of the first year: [on EB 60 months later, total]
        self.calibration_rows: list[dict] = []
        self.retired_households = 0

        self.datacollector = mesa.DataCollector(model_reporters={
            "households_on_eb_intervention": lambda m: int(m.households.on_eb[INTERVENTION].sum()),
            "households_on_eb_control": lambda m: int(m.households.on_eb[CONTROL].sum()),
        })

    # ======================================================================================
    # the schedule
    # ======================================================================================

    def step(self) -> None:
        """One month."""
        t = self.month
        self.inflow(t)
        u = self._draws(t)
        self.eb_transitions(t, u)
        self.children_step(t, u)
        self.intervention_step(t, u)
        self.book_costs(t)
        self.record_month(t)
        self.households.advance_month()
        if t % 12 == 11:
            self.fiscal_close(t // 12)
        self.month += 1
        if self.month >= self.n_months:
            self.running = False

    def run(self) -> "SifsimModel":
        """Run to the horizon."""
        while self.running:
            self.step()
        return self

    # ======================================================================================
    # phases
    # ======================================================================================

    def _draws(self, t: int) -> dict[Stream, np.ndarray]:
        """This month's uniforms: a fixed number per stream, shared by both arms."""
        n, m = len(self.households), len(self.children)
        s, f32 = self.streams, np.float32
        return {
            Stream.EB_EXIT: s[Stream.EB_EXIT].random(n, dtype=f32),
            Stream.EXIT_ROUTE: s[Stream.EXIT_ROUTE].random(n, dtype=f32),
            Stream.REENTRY: s[Stream.REENTRY].random(n, dtype=f32),
            Stream.OPEN_CARE: s[Stream.OPEN_CARE].random(n, dtype=f32),
            Stream.TREATMENT: s[Stream.TREATMENT].random(n, dtype=f32),
            Stream.CHILD_RISK: s[Stream.CHILD_RISK].random((m, 4), dtype=f32),
            Stream.CHILD_PROTECTIVE: s[Stream.CHILD_PROTECTIVE].random((m, 5), dtype=f32),
            Stream.PLACEMENT: s[Stream.PLACEMENT].random(m, dtype=f32),
            Stream.PLACEMENT_KIND: s[Stream.PLACEMENT_KIND].random(m, dtype=f32),
            Stream.ADULT_REMISSION: s[Stream.ADULT_REMISSION].random((m, 3), dtype=f32),
        }

    def inflow(self, t: int) -> None:
        """New households arrive on EB (drawn at set-up, the same in both arms)."""
        arrived = self.households.enter(t)
        if arrived:
            self.children.activate_households(len(self.households))
        self._entries += arrived

    def effect_strength(self, t: int) -> float:
        """0…1: effect_scale × ramp-up × implementation shocks × decay after the end."""
        itv = self.config.intervention
        if not self.active or t < self.t_start:
            return 0.0
        ramp = 1.0 if itv.ramp_up_months == 0 else min(1.0, (t - self.t_start + 1) / itv.ramp_up_months)
        strength = itv.effect_scale * ramp
        for shock in itv.implementation_shocks:
            at = (shock.year - self.start_year) * 12 + shock.month - 1
            if at <= t < at + shock.duration_months:
                strength *= shock.effect_multiplier
        if t > self.t_end:
            decay = itv.effect_decay_months_after_end
            strength *= math.exp(-(t - self.t_end) / decay) if decay > 0 else 0.0
        return strength

    def eb_transitions(self, t: int, u: dict) -> None:
        """EB exits (duration dependence, caseload, intervention) and re-entries."""
        hh, pop = self.households, self.config.population
        base = exit_hazard_per_month(pop.eb_exit_hazard_per_month * hh.exit_propensity, hh.months_on_eb,
                                     pop.eb_duration_decay, pop.eb_exit_hazard_floor_per_month)
        # caseload per worker scales the hazard (DESIGN §3); posts fixed at the start
        on_eb = np.count_nonzero(hh.on_eb, axis=1)
        caseload_factor = (self.eb_posts * self.units["eb_unit"].caseload_households_per_worker
                           / np.maximum(on_eb, 1)) ** pop.caseload_elasticity
        hazard = base * caseload_factor[:, None]
        strength = self.effect_strength(t)
        treated = hh.participant[INTERVENTION] & hh.on_eb[INTERVENTION]
        if strength > 0 and self.caseload_mult != 1.0:
            hazard[INTERVENTION] = np.where(
                treated, hazard[INTERVENTION] * (1.0 + strength * (self.caseload_mult - 1.0)),
                hazard[INTERVENTION])
        hazard = np.clip(hazard, 0.0, 1.0)
        # what a pre/post evaluator would expect participants to do anyway (deadweight), over
        # the same months as the naive claim below: both stop when the project ends
        if self.active and t <= self.t_end:
            year = t // 12
            expected = base[INTERVENTION] * caseload_factor[INTERVENTION]
            self._expected_baseline[year] += float(
                (np.clip(expected, 0, 1) * hh.eb_sek_per_month)[treated].sum()
                * self.config.intervention.naive_claim.eb_months_claimed_per_exit)
        exits, route = hh.eb_exits(hazard, u[Stream.EB_EXIT], u[Stream.EXIT_ROUTE], self.route_cdf)
        back = hh.eb_reentries(self.reentry_hazard, u[Stream.REENTRY],
                               pop.reentry_hazard_multiplier_after_24_months, pop.reentry_window_months)
        self._exits = np.count_nonzero(exits, axis=1)
        self._entries = self._entries + np.count_nonzero(back, axis=1)
        if self.active and t <= self.t_end:
            naive = self.config.intervention.naive_claim
            claimed = exits[INTERVENTION] & hh.participant[INTERVENTION]
            if not naive.count_exits_to_other_benefit:
                claimed &= route != ROUTE_INDEX["other_benefit"]
            self._naive_eb[t // 12] += naive_eb_claim_sek(
                claimed.astype(float), hh.eb_sek_per_month, naive.eb_months_claimed_per_exit)

    def children_step(self, t: int, u: dict) -> None:
        """Risk and protective factors, placements, open care, adult outcomes."""
        ch, hh, pop = self.children, self.households, self.config.population
        if len(ch) == 0:
            self._open_care(t, u, np.zeros((2, len(hh))))
            return
        # household state the children need, packed into bits and spread to them in one pass
        flags = self.per_child(
            hh.present.view(np.uint8)
            | ((~hh.on_eb & (hh.last_exit_route == ROUTE_INDEX["work"])).view(np.uint8) << 1)
            | ((hh.open_care_intensive & (hh.open_care_months_left > 0)).view(np.uint8) << 2)
            | (hh.participant.view(np.uint8) << 3))
        ch.sync_presence((flags & 1).view(bool), t)
        age = ch.age_months(t)
        minors = ch.present & ~ch.adult & (age >= 0)[None, :] & (age < 216)[None, :]
        strength = self.effect_strength(t)
        itv = self.config.intervention
        # the household's situation protects too: a parent in work, or in treatment
        parent_in_work = (flags >> 1) & 1
        n_protective = count_factors(ch.protective) + parent_in_work
        onset = self.onset_by_protection[n_protective]
        remission = np.full(onset.shape, pop.risk_remission_per_month, dtype=np.float32)
        intensive = ((flags >> 2) & 1).view(bool)
        participant_child = ((flags >> 3) & 1).view(bool)
        if strength > 0 or intensive[INTERVENTION].any():
            ft = itv.family_treatment
            if ft.enabled:
                remission[INTERVENTION] *= np.where(intensive[INTERVENTION], ft.risk_remission_multiplier, 1.0)
            for name, k in self.protective_index.items():
                mech = itv.protective[name]
                held = ch.assigned_protective[INTERVENTION] == k
                onset[INTERVENTION] *= np.where(held, 1.0 + strength * (mech.risk_onset_multiplier - 1.0), 1.0)
        ch.evolve_factors(onset, remission, pop.protective_loss_per_month,
                          u[Stream.CHILD_RISK], u[Stream.CHILD_PROTECTIVE][:, :4], minors)
        # placements: re-placement hazard for those recently home (Vinnerljung et al. 2004)
        ch.end_placements()
        n_risk = count_factors(ch.risk)
        # table lookup of placement_hazard_per_month over (risk factors 0–4, protective 0–5)
        hazard = self.placement_hazard_table[n_risk, n_protective]
        recent = ch.ever_placed & (ch.months_since_return < 24)
        np.maximum(hazard, self.replacement_hazard, out=hazard, where=recent)
        if itv.family_treatment.enabled:
            hazard[INTERVENTION] *= np.where(intensive[INTERVENTION] & participant_child[INTERVENTION],
                                             itv.family_treatment.placement_hazard_multiplier, 1.0)
        new = ch.placements(hazard, u[Stream.PLACEMENT], u[Stream.PLACEMENT_KIND],
                            pop.hvb_share_of_placements, self.hvb_mean_months,
                            self.family_home_mean_months, minors)
        self._placements_this_year += int(np.count_nonzero(new[CONTROL]))
        self._minor_months_this_year += int(np.count_nonzero(minors[CONTROL]))
        # open-care need of a family rises with its children's risk
        family_risk = np.zeros((2, len(hh)))
        k = int(np.searchsorted(self._families, len(hh)))
        if k:
            family_risk[:, self._families[:k]] = np.maximum.reduceat(
                np.where(minors, n_risk, 0), self._family_first_child[:k], axis=1)
        self._open_care(t, u, family_risk)
        # adult outcomes at 18, with risks multiplied by childhood risk
        ch.come_of_age(t, n_risk, self.adult_base_probability, pop.adult_outcome_risk_multiplier_max,
                       ch.adult_outcome_draws)
        ch.adult_remission(self.adult_remission_per_month, u[Stream.ADULT_REMISSION])

    def _open_care(self, t: int, u: dict, family_risk: np.ndarray) -> None:
        """Families with children start open-care episodes; participants may get the intensive one."""
        hh, pop = self.households, self.config.population
        hh.open_care_months_left -= (hh.open_care_months_left > 0)
        hh.open_care_month_index += (hh.open_care_months_left > 0)
        with_children = (hh.n_children > 0)[None, :] & hh.present
        need = 1.0 - (1.0 - pop.open_care_need_per_year) ** (1.0 / 12.0)
        hazard = need * np.exp(pop.open_care_risk_log_multiplier * family_risk)
        start = with_children & (hh.open_care_months_left == 0) & (u[Stream.OPEN_CARE][None, :] < hazard)
        self._start_episodes(t, start, u)

    def _start_episodes(self, t: int, start: np.ndarray, u: dict) -> None:
        hh, itv, eco = self.households, self.config.intervention, self.config.economy
        intensive = np.zeros_like(start)
        if itv.family_treatment.enabled:
            strength = self.effect_strength(t)
            in_project = self.t_start <= t <= self.t_end
            if in_project and strength > 0:
                intensive[INTERVENTION] = (start[INTERVENTION] & hh.participant[INTERVENTION]
                                           & (u[Stream.TREATMENT] < strength))
                if self.active:
                    claimed = start[INTERVENTION] & hh.participant[INTERVENTION]
                    self._naive_open_care[t // 12] += naive_open_care_claim_sek(
                        int(claimed.sum()), self.ordinary_hours, self.intensive_hours,
                        eco.therapists_per_family, eco.therapist_sek_per_hour)
        length = np.where(intensive, len(self.intensive_hours), eco.ordinary_treatment_months)
        np.copyto(hh.open_care_months_left, length, where=start, casting="unsafe")
        hh.open_care_month_index[start] = 0
        np.copyto(hh.open_care_intensive, intensive, where=start)

    def intervention_step(self, t: int, u: dict) -> None:
        """Enrol participants (same rule in both arms), give places in protective activities."""
        if not self.active:
            return
        itv, hh, ch = self.config.intervention, self.households, self.children
        in_project = self.t_start <= t <= self.t_end
        if not in_project:
            return
        if t == self.t_start or itv.enrol_during_project:
            eligible_comp = np.isin(hh.composition, [COMPOSITION_INDEX[c] for c in itv.eligible_compositions])
            for arm in (INTERVENTION, CONTROL):
                current = hh.participant[arm] & hh.on_eb[arm]
                room = itv.participants_households - int(current.sum())
                if room <= 0:
                    continue
                eligible = (hh.present[arm] & hh.on_eb[arm] & eligible_comp & ~hh.participant[arm]
                            & (hh.months_on_eb[arm] >= itv.eligible_min_months_on_eb))
                idx = np.flatnonzero(eligible)
                chosen = idx[np.argsort(hh.enrolment_priority[idx], kind="stable")[:room]]
                hh.participant[arm, chosen] = True
                risky = hh.open_care_months_left[arm, chosen] > 0
                hh.track[arm, chosen] = np.where((hh.n_children[chosen] > 0) & risky, 2, 1)
                if t == self.t_start and itv.family_treatment.enabled:
                    # families already in open care move to the intensive variant
                    start = np.zeros_like(hh.participant)
                    start[arm, chosen[risky]] = True
                    if arm == INTERVENTION:
                        self._start_episodes(t, start, u)
        strength = self.effect_strength(t)
        if len(ch) == 0 or not self.protective_index:
            return
        age_years = ch.age_months(t) // 12
        participant_child = hh.participant[INTERVENTION, ch.household] & ch.present[INTERVENTION] & ~ch.adult[INTERVENTION]
        for name, k in self.protective_index.items():
            mech = itv.protective[name]
            held = ch.assigned_protective[INTERVENTION] == k
            drop = held & (u[Stream.CHILD_PROTECTIVE][:, 4] < mech.dropout_per_month)
            ch.assigned_protective[INTERVENTION, drop] = -1
            held &= ~drop
            room = mech.capacity_children - int(held.sum())
            if room <= 0 or strength <= 0:
                continue
            eligible = (participant_child & (ch.assigned_protective[INTERVENTION] < 0)
                        & (age_years >= mech.child_age_min_years) & (age_years <= mech.child_age_max_years))
            idx = np.flatnonzero(eligible)
            chosen = idx[np.argsort(ch.priority[idx], kind="stable")[:room]]
            # with effect_scale < 1 only a share of places changes anything (same draw in every run)
            works = chosen[ch.priority[chosen] * 0.999 < strength] if strength < 1 else chosen
            ch.assigned_protective[INTERVENTION, works] = k
            ch.protective[INTERVENTION, works, k] = True

    def book_costs(self, t: int) -> None:
        """Every cost of the month into the ledger, per arm."""
        hh, ch, eco, itv, led = self.households, self.children, self.config.economy, \
            self.config.intervention, self.ledger
        led.add(t, "eb", "eb_unit", (hh.on_eb * hh.eb_sek_per_month).sum(axis=1))
        off = hh.present & ~hh.on_eb
        fk = off & (hh.last_exit_route == ROUTE_INDEX["other_benefit"])
        studies = off & (hh.last_exit_route == ROUTE_INDEX["studies"]) & (hh.months_since_exit < 24)
        led.add(t, "other_benefit", "state", np.count_nonzero(fk, axis=1) * eco.state_benefit_sek_per_household_month
                + np.count_nonzero(studies, axis=1) * eco.student_aid_sek_per_household_month)
        in_care = hh.open_care_months_left > 0
        idx = np.minimum(hh.open_care_month_index, self.hours_table.shape[1] - 1)
        hours = np.where(in_care, self.hours_table[hh.open_care_intensive.astype(int), idx], 0.0)
        led.add(t, "open_care_hours", "open_care",
                hours.sum(axis=1) * eco.therapists_per_family * eco.therapist_sek_per_hour)
        if len(ch):
            led.add(t, "placement_hvb", "child_authority",
                    np.count_nonzero(ch.placement == HVB, axis=1) * DAYS_PER_MONTH * eco.hvb_sek_per_day)
            led.add(t, "placement_family_home", "child_authority",
                    np.count_nonzero(ch.placement == FAMILY_HOME, axis=1) * DAYS_PER_MONTH * eco.family_home_sek_per_day)
            minors = ch.present & ~ch.adult
            conduct = np.count_nonzero(minors & ch.risk[:, :, 0], axis=1) * eco.conduct_problems_sek_per_child_year / 12
            led.add(t, "conduct_problems", "school", conduct * eco.conduct_problems_municipality_share)
            led.add(t, "conduct_problems", "region", conduct * (1 - eco.conduct_problems_municipality_share))
            adults = np.count_nonzero(ch.adult_outcome, axis=1)  # (arms, 3)
            for k, name in enumerate(ADULT_OUTCOMES):
                cost = eco.adult_outcomes[name]
                monthly = adults[:, k] * cost.sek_per_person_year / 12
                led.add(t, f"adult_{name}", ADULT_PAYER[name], monthly * cost.municipality_share)
                led.add(t, f"adult_{name}", "region", monthly * cost.region_share)
                led.add(t, f"adult_{name}", "state", monthly * cost.state_share)
        if self.active:
            year = str(self.start_year + t // 12)
            yearly = itv.cost_sek_by_year.get(year, 0.0)
            if yearly:
                amount = np.array([yearly / 12.0, 0.0])
                lines = itv.cost_lines or []
                total = sum(line.weight_sek for line in lines) or 1.0
                shares = [(line.unit, line.weight_sek / total) for line in lines] or [("eb_unit", 1.0)]
                for unit, share in shares:
                    led.add(t, "intervention_posts", unit, amount * share)
                    led.add(t, "fund_grant", unit, -amount * share)
                led.add(t, "fund_grant", "ks", amount)

    def record_month(self, t: int) -> None:
        hh, ch = self.households, self.children
        self._months_on_eb_this_year[:len(hh)] += hh.on_eb[CONTROL]
        if 60 <= t < 72:
            cohort = hh.entry_month == t - 60
            self._cohort_on_eb_at_60[0] += int((cohort & hh.on_eb[CONTROL]).sum())
            self._cohort_on_eb_at_60[1] += int(cohort.sum())
        placed = np.count_nonzero(ch.placement != HOME, axis=1) if len(ch) else np.zeros(2, dtype=int)
        on_eb = np.count_nonzero(hh.on_eb, axis=1)
        year, month = self.start_year + t // 12, t % 12 + 1
        for arm, name in ((INTERVENTION, "intervention"), (CONTROL, "control")):
            self.population_rows.append((self.replication, name, year, month, int(on_eb[arm]),
                                         int(self._exits[arm]), int(self._entries[arm]),
                                         int(placed[arm])))
        self._entries = np.zeros(2, dtype=np.int64)
        self.datacollector.collect(self)

    def per_child(self, household_values: np.ndarray) -> np.ndarray:
        """A per-household (arms, N) array spread to the children, who are stored household by household."""
        return np.repeat(household_values, self.households.n_children, axis=1)

    def _index_families(self) -> None:
        """Children are stored household by household: segment starts for per-family reductions."""
        self._families = np.flatnonzero(self.households._full["n_children"] > 0)
        self._family_first_child = np.searchsorted(self.children._full["household"], self._families)

    def retire_settled_households(self) -> int:
        """Stop simulating households that have left the benefit system for good (yearly).

        Retired, in both arms alike (so the arms stay paired): households that
        moved away, and non-participants off EB beyond the re-entry window
        (they can no longer come back) with no open-care episode and no child
        placed. Their EB dynamics are over; what the model gives up is the
        later child and adult costs of former clients' families, equal in both
        arms but for spillovers (README: simplifications). Participants are
        followed to the horizon.
        """
        window = self.config.population.retire_after_months_off_eb
        if window is None:
            return 0
        hh, ch = self.households, self.children
        gone = ~hh.present.any(axis=0)
        settled = (~hh.on_eb & (hh.last_exit_route >= 0) & (hh.months_since_exit >= window)).all(axis=0) \
            & ~hh.participant.any(axis=0) & (hh.open_care_months_left == 0).all(axis=0)
        placed_child = np.zeros(len(hh), dtype=bool)
        if len(ch):
            placed_child[ch.household[(ch.placement != HOME).any(axis=0)]] = True
        retiring = (gone | settled) & ~placed_child
        # compacting the arrays costs a pass over all of them: wait until it pays (≥ 10 % of the active)
        if np.count_nonzero(retiring) < max(1, len(hh) // 10):
            return 0
        new_position, future_end = hh.retire(retiring)
        ch.follow_households(new_position, len(hh), future_end)
        self._index_families()
        # the yearly counters were reset at the close just before: nothing per household to carry
        return int(retiring.sum())

    # ======================================================================================
    # fiscal close and repayment
    # ======================================================================================

    def fiscal_close(self, year_index: int) -> None:
        """Close a calendar year: displacement, ledger rows, unit spending, repayment."""
        year = self.start_year + year_index
        months = range(12 * year_index, 12 * year_index + 12)
        months_on_eb = self._months_on_eb_this_year
        any_eb = months_on_eb > 0
        self.calibration_rows.append({
            "replication": self.replication, "year": year,
            "households_with_eb": int(any_eb.sum()),
            "long_term_households": int((months_on_eb >= 10).sum()),
            "eb_household_months": int(months_on_eb.sum()),
            "placements": self._placements_this_year,
            "minor_years": self._minor_months_this_year / 12.0,
            "cohort_on_eb_at_60": self._cohort_on_eb_at_60[0] if year_index == 5 else 0,
            "cohort_size": self._cohort_on_eb_at_60[1] if year_index == 5 else 0,
        })
        months_on_eb[:] = 0
        self._placements_this_year = self._minor_months_this_year = 0
        self.retired_households += self.retire_settled_households()
        eco, itv = self.config.economy, self.config.intervention
        by_slot = self.ledger.category_by_body(slice(months.start, months.stop))
        # displacement: a share of the freed EB budget is spent again on refill clients
        eb = by_slot.get(("eb", "eb_unit"), np.zeros(2))
        freed = max(0.0, float(eb[CONTROL] - eb[INTERVENTION]))
        if eco.displacement > 0 and freed > 0:
            refill = eco.displacement * freed
            for t in months:  # spread over the year so a mid-year reorganisation splits it too
                self.ledger.add(t, "eb_refill", "eb_unit", np.array([refill / 12.0, 0.0]))
        rows = self.ledger.year_rows(self.replication, year, months, self.payer_by_unit_month)
        self.ledger_rows.extend(rows)
        borrower_saving, borrower_cash = 0.0, 0.0
        for _, arm, _, payer, category, amount, cash in rows:
            if category in FINANCING_CATEGORIES or payer not in self.borrower_units:
                continue
            sign = 1.0 if arm == "control" else -1.0
            borrower_saving += sign * amount
            if cash:
                borrower_cash += sign * amount
        for _, arm, _, payer, category, amount, _ in rows:
            if payer in self.units:
                self.units[payer].record_spending(year, arm, amount)
        naive_borrower = self._naive_for_borrower(year_index, months)
        disbursed = float(itv.cost_sek_by_year.get(str(year), 0.0)) if self.active else 0.0
        record = YearRecord(year=year, borrower_saving_sek=borrower_saving,
                            borrower_cash_saving_sek=borrower_cash,
                            naive_claim_sek=naive_borrower[0],
                            deadweight_adjusted_claim_sek=naive_borrower[1],
                            naive_claim_total_sek=naive_borrower[2],
                            disbursed_sek=disbursed)
        self.years.append(record)
        measured = {"attributable": borrower_saving, "naive": record.naive_claim_sek,
                    "deadweight_adjusted": record.deadweight_adjusted_claim_sek}[self.config.evaluation]
        if year < self.fund_start_year:
            return
        moved = any(self.units[u].moved_before(months.stop - 1) for u in self.borrower_units)
        self._cumulative_measured += measured
        for name, fund in self.funds.items():
            row = fund.close_year(YearInputs(
                year=year, year_offset=year - self.fund_start_year, disbursed_sek=disbursed,
                measured_saving_sek=measured, cash_saving_sek=borrower_cash,
                project_ended=months.start > self.t_end, responsibility_moved=moved,
                cumulative_measured_saving_sek=self._cumulative_measured))
            pressure = row["budget_pressure_sek"]
            self.repayment_rows.append({
                "rule": name, "replication": self.replication, **row,
                "budget_pressure_posts": pressure / self.borrower_sek_per_post_year
                if self.borrower_sek_per_post_year else 0.0})

    def _naive_for_borrower(self, year_index: int, months: range) -> tuple[float, float, float]:
        """Naive and deadweight-adjusted claims that land on the borrower, and the naive total.

        EB claims land on whoever held the EB budget; open-care claims on open
        care; the placement claim (staff judgement, seed 004) on the child
        authority, booked in the project's last year.
        """
        itv, eco = self.config.intervention, self.config.economy
        if not self.active:
            return 0.0, 0.0, 0.0
        last_month = months.stop - 1
        eb_holder = self.payer_by_unit_month["eb_unit"][last_month]
        eb_to_borrower = eb_holder in self.borrower_units
        naive = self._naive_eb[year_index] if eb_to_borrower else 0.0
        if self.payer_by_unit_month["open_care"][last_month] in self.borrower_units:
            naive += self._naive_open_care[year_index]
        total = self._naive_eb[year_index] + self._naive_open_care[year_index]
        if months.start <= self.t_end <= months.stop - 1:
            participants = self.households.participant[INTERVENTION]
            n_children = int(self.households.n_children[participants].sum())
            placements = naive_placement_claim_sek(
                n_children * itv.naive_claim.avoided_placements_claimed_per_child,
                itv.naive_claim.avoided_placement_days_claimed, eco.hvb_sek_per_day)
            total += placements
            if self.payer_by_unit_month["child_authority"][last_month] in self.borrower_units:
                naive += placements
        expected = self._expected_baseline[year_index] if eb_to_borrower else 0.0
        return naive, naive - expected, total
