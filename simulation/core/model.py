"""The sifsim model: one replication, intervention and control arm side by side.

``SifsimModel.step()`` is one month and reads like the schedule (STYLE item 1):

    inflow → EB exits and re-entries → children (and open care) → enrolment → costs
    → record → fiscal close (December) → repayment

Both arms live in the same arrays (axis 0: 0 = intervention, 1 = control) and
read the same uniform draw per agent, process and month, so the difference
between the arms is the intervention's attributable effect and nothing else.
This file only wires the parts and orders the phases; the arithmetic lives in
the processes (``simulation/core``), the agents and mechanisms (``agents/``)
and the books (``simulation/accounting``).
"""

from __future__ import annotations

import mesa
import numpy as np

from agents import kernels
from agents.children import HOME
from agents.intervention import Intervention
from agents.mechanisms.family_treatment import intensive_hours_by_month as family_treatment_hours
from agents.units import MunicipalUnit
from scenarios.defaults import load_default_config
from scenarios.schema import SifsimConfig
from simulation.accounting.costs import CostBooking, hours_table
from simulation.accounting.evaluation import PrePostEvaluation
from simulation.accounting.fiscal_close import FiscalClose
from simulation.accounting.fund import Fund
from simulation.accounting.ledger import MonthlyLedger
from simulation.core.benefits import BenefitProcess
from simulation.core.calendar import Calendar
from simulation.core.calibration import BaselineCounters
from simulation.core.childhood import ChildhoodProcess
from simulation.core.draws import MonthDraws, replication_streams
from simulation.core.inflow_shocks import inflow_multiplier_by_month
from simulation.core.open_care import OpenCare
from simulation.core.participants import ParticipantCounts
from simulation.core.population import build_population, retire_settled_households

INTERVENTION, CONTROL = 0, 1
ARM_NAMES = ("intervention", "control")
#: the DataCollector's model reporters, one value per month for the model's first replication:
#: households on EB, EB exits and entries, children placed, and the SEK booked in the month
#: (every payer and category, the grant's two sides netting to zero), each per arm
MONTH_SERIES = tuple(f"{what}_{arm}" for what in ("households_on_eb", "eb_exits", "eb_entries",
                                                  "children_placed", "cost_sek") for arm in ARM_NAMES)


class SifsimModel(mesa.Model):
    """Paired replications (intervention arm + control arm each) as a Mesa model.

    A batch of replications is stepped together: every agent array has a
    replication axis, so one month's pass serves them all (issue 15). Each
    replication draws from its own streams, spawned from (seed, replication),
    and sums only its own agents, so its tables are the same whether it runs
    alone or in a batch of any size.

    Args:
        config: the validated, typed configuration.
        replication: the replication to run when ``replications`` is not given.
        rng: seed; defaults to ``config.seed`` (Mesa's ``batch_run`` passes ``rng``).
        replications: the replications of the batch (their indices select their streams).
    """

    def __init__(self, config: SifsimConfig | None = None, replication: int = 0,
                 rng: int | None = None, replications: list[int] | None = None):
        # no config: what `sifsim` runs (conf/config.yaml), not bare schema defaults (there are none)
        config = config if config is not None else load_default_config()
        seed = config.seed if rng is None else int(rng)
        super().__init__(rng=seed)
        self.config = config
        self.replications = list(replications) if replications is not None else [replication]
        self.replication = self.replications[0]
        self.calendar = Calendar.from_config(config)
        self.n_months = self.calendar.n_months
        self.month = 0
        streams = [replication_streams(seed, r) for r in self.replications]
        pop, eco, itv = config.population, config.economy, config.intervention

        # --- agents --------------------------------------------------------------------------
        synthetic = build_population(pop, eco, self.n_months, streams,
                                     inflow_multiplier_by_month=inflow_multiplier_by_month(
                                         pop.inflow_shocks, self.calendar.start_year, self.n_months))
        n_reps = len(self.replications)
        self.households, self.children = synthetic.households, synthetic.children
        # compiled monthly loops when the batch is large enough to repay numba's start-up (agents/kernels.py)
        self.children.kernels = kernels.choose(2 * int(self.children.capacity.sum()) * self.n_months)
        self.households.kernels = self.children.kernels
        self.units: dict[str, MunicipalUnit] = {
            u.name: MunicipalUnit(self, u, config.municipality.reorganisations, self.calendar.start_year)
            for u in config.municipality.units}
        caseloads = {name: u.caseload_households_per_worker for name, u in self.units.items()}
        ordinary_hours = np.full(eco.ordinary_treatment_months, eco.ordinary_treatment_hours_per_month)
        intensive_hours = family_treatment_hours(itv.family_treatment)
        self.evaluation = PrePostEvaluation(self.calendar.n_years, itv.naive_claim, eco,
                                            ordinary_hours, intensive_hours, n_reps)
        self.intervention = Intervention(itv, self.calendar, self.households, self.children, caseloads,
                                         self.evaluation)

        # --- processes -------------------------------------------------------------------------
        self.draws = MonthDraws(streams, int(self.households.capacity.max()),
                                int(self.children.capacity.max()) if n_reps else 0,
                                implementation=self.children.kernels)
        self.baseline = BaselineCounters(self.replications, int(self.households.capacity.max()))
        self.open_care = OpenCare(pop, eco, self.households, self.intervention)
        self.intervention.open_care = self.open_care
        self.benefits = BenefitProcess(config, self.households, caseloads["eb_unit"], self.intervention,
                                       self.evaluation)
        self.participants = ParticipantCounts(self.replications, self.calendar.n_years)
        self.intervention.participant_counts = self.benefits.participant_counts = self.participants
        self.benefits.counters = self.baseline
        self.childhood = ChildhoodProcess(pop, self.households, self.children, self.intervention,
                                          self.open_care, self.baseline, economy=eco)

        # --- books -------------------------------------------------------------------------------
        self.ledger = MonthlyLedger(self.n_months, eco.cash_share_by_category, n_reps)
        self.costs = CostBooking(self.ledger, eco, itv, self.calendar, self.households, self.children,
                                 hours_table(ordinary_hours, intensive_hours),
                                 self.intervention.active)
        payer_by_unit_month = {name: [u.payer_at(m) for m in range(self.n_months)]
                               for name, u in self.units.items()}
        borrower_units = tuple(n for n, u in self.units.items() if u.committee == itv.borrower)
        successors = tuple(dict.fromkeys(r.to_body for r in config.municipality.reorganisations
                                         if r.successor_of_borrower and r.unit in borrower_units))
        self.funds = [{name: Fund(self, name, rule, config.municipality.fund_capital_sek)
                       for name, rule in config.repayment.rules.items()} for _ in self.replications]
        self.books = FiscalClose(replications=self.replications, config=config, calendar=self.calendar,
                                 ledger=self.ledger, payer_by_unit_month=payer_by_unit_month, units=self.units,
                                 borrower_units=borrower_units, funds=self.funds, evaluation=self.evaluation,
                                 households=self.households, intervention_active=self.intervention.active,
                                 successor_bodies=successors)
        self._monthly_counts: list[np.ndarray] = []      # per month: (arms, R, 4 counts)
        self._stacked_counts: tuple = (0, None)          # (months, their counts stacked) for replication_rows
        self.retired_households = 0
        self._exits = self._entries = np.zeros((2, n_reps), dtype=np.int64)
        # the key series of the model's first replication, per arm and month: numpy counts that
        # record_month has already made (no agent reporters; one small dict per month)
        self._month_series: dict[str, int | float] = {}
        self.datacollector = mesa.DataCollector(model_reporters={
            name: (lambda m, name=name: m._month_series[name]) for name in MONTH_SERIES})

    # --- the schedule ---------------------------------------------------------------------------

    def step(self) -> None:
        """One month."""
        t = self.month
        arrived = self.inflow(t)
        hh, ch = self.households, self.children
        draws = self.draws.draw(hh.n_active, ch.n_active, len(hh), len(ch))
        strength = self.intervention.effect_strength(t)
        self._exits, back = self.benefits.step(t, draws, strength)
        self._entries = arrived + back
        self.childhood.step(t, strength, draws)
        self.intervention.enrol(t, strength, draws)
        self.costs.book(t)
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

    # --- phases ------------------------------------------------------------------------------------

    def inflow(self, t: int) -> np.ndarray:
        """New households arrive on EB (drawn at set-up, the same in both arms); how many per replication."""
        arrived = self.households.enter(t)
        if arrived.any():
            self.children.activate_households(self.households.n_active)
        return arrived

    def record_month(self, t: int) -> None:
        hh, ch = self.households, self.children
        self.baseline.count_month(t, hh)
        placed = kernels.count_true(ch.placement != HOME, ch.kernels) if len(ch) else np.zeros_like(self._exits)
        on_eb = kernels.count_true(hh.on_eb, hh.kernels)
        counts = np.stack([on_eb, self._exits, self._entries, placed], axis=-1)   # (arms, R, 4)
        self._monthly_counts.append(counts)
        series = {}
        first = counts[:, 0].tolist()                       # (arms, 4) of the first replication, as ints
        costs = self.ledger.month_totals(t)                 # ledger.month_total of each arm's month
        for arm, arm_name in enumerate(ARM_NAMES):
            for i, what in enumerate(("households_on_eb", "eb_exits", "eb_entries", "children_placed")):
                series[f"{what}_{arm_name}"] = first[arm][i]
            series[f"cost_sek_{arm_name}"] = costs[arm]
        self._month_series = series
        self.datacollector.collect(self)

    def fiscal_close(self, year_index: int) -> None:
        """Close a calendar year: calibration counters, retirement of settled households, the books."""
        self.baseline.close_year(year_index, self.calendar.year(12 * year_index))
        self.retired_households += retire_settled_households(
            self.households, self.children, self.config.population.retire_after_months_off_eb)
        self.books.close(year_index)

    # --- what the run collects ----------------------------------------------------------------------

    def replication_rows(self, r: int, *, with_population: bool = True,
                         with_participants: bool = True) -> dict[str, list]:
        """The raw table rows of the batch's r-th replication (what a run of it alone would give);
        the population or the participants rows empty if ``with_population``/``with_participants``
        is False (:func:`simulation.core.runner.run_outcomes` needs neither)."""
        replication = self.replications[r]
        n_months = len(self._monthly_counts)
        population = []
        if n_months and with_population:
            if self._stacked_counts[0] != n_months:      # stacked once per batch, not per replication
                self._stacked_counts = (n_months, np.stack(self._monthly_counts).astype(np.int64))
            counts = self._stacked_counts[1][:, :, r].tolist()               # (months, arms, 4) Python ints
            for t in range(n_months):
                year, month, by_arm = self.calendar.year(t), t % 12 + 1, counts[t]
                for arm, name in enumerate(ARM_NAMES):
                    population.append((replication, name, year, month, *by_arm[arm]))
        return {"ledger": self.books.ledger_rows[r], "population": population, "budget": self.books.budget_rows[r],
                "repayment": self.books.repayment_rows[r], "years": self.books.years[r],
                "calibration": self.baseline.rows[r],
                "participants": self.participants.rows(r, self.calendar.start_year, ARM_NAMES) if with_participants
                else []}

    # the first replication's rows (a model of one replication, as Mesa's batch_run makes)
    @property
    def ledger_rows(self) -> list[tuple]:
        return self.books.ledger_rows[0]

    @property
    def population_rows(self) -> list[tuple]:
        return self.replication_rows(0)["population"]

    @property
    def repayment_rows(self) -> list[dict]:
        return self.books.repayment_rows[0]

    @property
    def years(self):
        return self.books.years[0]

    @property
    def calibration_rows(self) -> list[dict]:
        return self.baseline.rows[0]
