"""The yardstick: sifsim's baseline benefit (EB) dynamics, written one agent at a time.

This is how a Mesa user would first write the model: one :class:`mesa.Agent`
per household with a ``step()``, and ``model.agents.shuffle_do("step")`` once
a month. It is kept only as a reference, for two purposes:

* ``test_reference_equivalence.py`` shows that sifsim's array model and this
  per-agent model give the same EB trajectory statistically;
* ``test_benchmarks.py`` measures how much faster sifsim is than this model on
  the same baseline workload.

The dynamics are the baseline of ``sifsim`` (no intervention), with every
parameter read from the typed config (``config.population``):

* a household has a fixed exit propensity ``z``: a mean-one lognormal with sd
  ``exit_propensity_sd`` (1 when the sd is 0), times the multiplier of its
  composition (composition drawn from ``composition_shares``);
* monthly exit hazard ``h = (h0 · z · exp(−λ·d) + floor) · caseload_factor``
  (clipped to [0, 1]; ``floor`` = ``eb_exit_hazard_floor_per_month``, the exit
  rate that does not fade with duration; ``h0`` = ``eb_exit_hazard_per_month`` − floor, since the
  key is the start-of-spell hazard, floor included), ``d`` = months on EB (0 in the month of entry, +1 for each month
  on EB), ``caseload_factor = (on EB at the start / on EB now)^elasticity``
  with "now" counted at the start of the month after the month's inflow;
* the exit route is drawn from ``exit_route_shares``; "moved" removes the
  household from the area (``agent.remove()``);
* re-entry (if ``reentry_enabled``): monthly hazard by exit route,
  ``1 − (1 − p12)^(1/12)``, times ``reentry_hazard_multiplier_after_24_months``
  once 24 or more months have passed since the exit, and none once
  ``reentry_window_months`` have passed. As in sifsim, re-entry is possible from
  the month after the exit (``months_since_exit`` ≥ 1), never in the same month;
* inflow (if ``inflow_enabled``): Poisson per month with mean
  ``rate · (1 + trend)^(t/12)``; ``rate`` is ``inflow_households_per_month`` or,
  when that is null, the steady inflow by Little's law (stock / EB months per
  entrant, as sifsim computes it);
* the starting stock is drawn from the steady state of the spell process:
  (z, d) with density ∝ f(z)·S(d | z), S the continuous-time spell survival
  (floor included),
  d uniform in ``[0, max_initial_months_on_eb)``, by rejection of whole
  candidates (long stayers, and low-propensity households, over-represented);
* with re-entry and inflow on, the area also starts with recent leavers (off
  EB, able to come back): Poisson, by exit route and months since exit (1 … window) in
  proportion to exits per month × route share × P(not back yet);
* sifsim retires households settled off EB (``retire_after_months_off_eb``):
  a computational device that leaves the EB dynamics unchanged as long as it
  is at least ``reentry_window_months`` (nobody retired could come back); the
  reference keeps every household.

Mirrors ``agents/households.py``, ``simulation/synthetic.py`` and
``SifsimModel.eb_transitions`` as of 2026-11-23 (lead's refactor in progress):
if the model's baseline dynamics change on purpose, change this file with them.

Only one arm is simulated (there is no intervention). Randomness: ``rng=seed``
for the Mesa model; households and their monthly draws use ``self.random``
(Mesa's stdlib generator) as a Mesa user would; the monthly inflow count and
the pool of recent leavers (vectorised set-up) use ``model.rng`` (numpy).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import mesa
import numpy as np

COMPOSITIONS = ("single_adult", "single_parent", "couple_with_children", "couple_without_children")
EXIT_ROUTES = ("work", "studies", "other_benefit", "moved", "stopped_applying")
MOVED = EXIT_ROUTES.index("moved")


@dataclass(frozen=True)
class ReferenceParams:
    """The baseline EB parameters, copied out of a typed sifsim config."""

    households: int
    months: int
    exit_hazard_per_month: float
    duration_decay: float
    exit_hazard_floor_per_month: float   # 0 where the config has no floor
    exit_propensity_sd: float
    composition_shares: tuple[float, ...]
    composition_multipliers: tuple[float, ...]
    route_shares: tuple[float, ...]
    reentry_within_12_months: tuple[float, ...]
    reentry_multiplier_after_24_months: float
    reentry_window_months: int | None   # None: no window (older configs have no such key)
    caseload_elasticity: float
    reentry_enabled: bool
    inflow_enabled: bool
    inflow_households_per_month: float | None
    inflow_trend_per_year: float
    max_initial_months_on_eb: int

    @classmethod
    def from_config(cls, config, months: int | None = None) -> "ReferenceParams":
        """From a typed ``SifsimConfig``; ``months`` defaults to the model's horizon."""
        pop = config.population
        floor = float(getattr(pop, "eb_exit_hazard_floor_per_month", 0.0) or 0.0)
        if months is None:
            months = 12 * (config.horizon_years + (1 if config.intervention.start_month > 1 else 0))
        return cls(
            households=pop.households,
            months=months,
            # h0 is the fading part: the config's key is the start-of-spell hazard, floor included
            exit_hazard_per_month=pop.eb_exit_hazard_per_month - floor,
            duration_decay=pop.eb_duration_decay,
            exit_hazard_floor_per_month=floor,
            exit_propensity_sd=pop.exit_propensity_sd,
            composition_shares=tuple(float(pop.composition_shares.get(c, 0.0)) for c in COMPOSITIONS),
            composition_multipliers=tuple(float(pop.exit_hazard_multiplier_by_composition.get(c, 1.0))
                                          for c in COMPOSITIONS),
            route_shares=tuple(float(pop.exit_route_shares.get(r, 0.0)) for r in EXIT_ROUTES),
            reentry_within_12_months=tuple(float(pop.reentry_within_12_months_by_route.get(r, 0.0))
                                           for r in EXIT_ROUTES),
            reentry_multiplier_after_24_months=pop.reentry_hazard_multiplier_after_24_months,
            reentry_window_months=getattr(pop, "reentry_window_months", None),
            caseload_elasticity=pop.caseload_elasticity,
            reentry_enabled=pop.reentry_enabled,
            inflow_enabled=pop.inflow_enabled,
            inflow_households_per_month=pop.inflow_households_per_month,
            inflow_trend_per_year=pop.inflow_trend_per_year,
            max_initial_months_on_eb=pop.max_initial_months_on_eb,
        )

    def perturbed(self, **changes) -> "ReferenceParams":
        """A copy with some parameters changed (used to show the equivalence test can fail)."""
        return replace(self, **changes)


class ReferenceHousehold(mesa.Agent):
    """One household on (or recently off) EB."""

    def __init__(self, model: "ReferenceModel", composition: int, propensity: float,
                 months_on_eb: int = 0):
        super().__init__(model)
        self.composition = composition
        self.propensity = propensity
        self.on_eb = True
        self.months_on_eb = months_on_eb
        self.months_since_exit = 0
        self.exit_route: int | None = None

    def step(self) -> None:
        model = self.model
        if self.on_eb:
            hazard = (model.params.exit_hazard_per_month * self.propensity
                      * math.exp(-model.params.duration_decay * self.months_on_eb)
                      + model.params.exit_hazard_floor_per_month) * model.caseload_factor
            if self.random.random() < min(hazard, 1.0):
                self.on_eb = False
                self.exit_route = model.draw_route(self.random.random())
                self.months_since_exit = 0
                model.exits_this_month += 1
                if self.exit_route == MOVED:
                    self.remove()
                    return
        if not self.on_eb and self.exit_route is not None and 1 <= self.months_since_exit < model.reentry_window:
            hazard = model.reentry_hazard[self.exit_route]
            if self.months_since_exit >= 24:
                hazard *= model.params.reentry_multiplier_after_24_months
            if self.random.random() < hazard:
                self.on_eb = True
                self.months_on_eb = 0
                model.entries_this_month += 1
        # the month passes
        if self.on_eb:
            self.months_on_eb += 1
        else:
            self.months_since_exit += 1


class ReferenceModel(mesa.Model):
    """Baseline EB dynamics with one Mesa agent per household (one arm)."""

    def __init__(self, params: ReferenceParams, rng: int | None = None):
        super().__init__(rng=rng)
        self.params = params
        p = params
        total = sum(p.route_shares)
        self.route_cdf = []
        acc = 0.0
        for share in p.route_shares:
            acc += share / total
            self.route_cdf.append(acc)
        self.reentry_hazard = [
            (1.0 - (1.0 - min(max(q, 0.0), 1.0 - 1e-12)) ** (1.0 / 12.0)) if p.reentry_enabled else 0.0
            for q in p.reentry_within_12_months]
        self.reentry_window = p.reentry_window_months if p.reentry_window_months is not None else math.inf
        self.month = 0
        self.caseload_factor = 1.0
        self.exits_this_month = 0
        self.entries_this_month = 0

        for composition, propensity, months_on_eb in self.draw_starting_stock():
            ReferenceHousehold(self, composition, propensity, months_on_eb)
        self.on_eb_at_start = p.households
        self.inflow_per_month = self.steady_inflow() if p.inflow_households_per_month is None \
            else float(p.inflow_households_per_month)
        if not p.inflow_enabled:
            self.inflow_per_month = 0.0
        if p.reentry_enabled and self.inflow_per_month > 0:
            for route, months_off in self.draw_recent_leavers():
                household = ReferenceHousehold(self, *self.draw_household())
                household.on_eb = False
                household.exit_route = route
                household.months_since_exit = months_off
        self.datacollector = mesa.DataCollector(model_reporters={
            "households_on_eb": lambda m: m.agents.agg("on_eb", sum),
            "households_present": lambda m: len(m.agents),
            "eb_exits": "exits_this_month",
            "eb_entries": "entries_this_month",
        })

    # --- set-up -------------------------------------------------------------------

    def draw_household(self) -> tuple[int, float]:
        p = self.params
        composition = self.random.choices(range(len(COMPOSITIONS)), weights=p.composition_shares)[0]
        sd = p.exit_propensity_sd
        z = self.random.lognormvariate(-0.5 * sd * sd, sd) if sd > 0 else 1.0
        return composition, z * p.composition_multipliers[composition]

    def survival(self, months: int, propensity: float) -> float:
        """Spell survival beyond ``months`` under the continuous-time hazard."""
        h0, decay = self.params.exit_hazard_per_month * propensity, self.params.duration_decay
        cumulative = h0 * months if decay == 0 else h0 * (1.0 - math.exp(-decay * months)) / decay
        return math.exp(-(cumulative + self.params.exit_hazard_floor_per_month * months))

    def draw_starting_stock(self) -> list[tuple[int, float, int]]:
        """The starting stock (composition, propensity, months on EB) from the steady state.

        A household with propensity z and current duration d is in a steady
        stock with density ∝ f(z)·S(d | z) (long stayers over-represented): draw
        a candidate entrant and a uniform duration, keep it with probability
        S(d | z), otherwise draw a new candidate.
        """
        stock = []
        while len(stock) < self.params.households:
            composition, propensity = self.draw_household()
            d = self.random.randrange(self.params.max_initial_months_on_eb)
            if self.random.random() < self.survival(d, propensity):
                stock.append((composition, propensity, d))
        return stock

    def expected_spells_per_entrant(self) -> float:
        p = self.params
        total = sum(p.route_shares)
        p_back = sum(s / total * self.eventual_reentry(r) for r, s in enumerate(p.route_shares))
        return 1.0 / max(1.0 - p_back, 1e-6)

    def draw_recent_leavers(self) -> list[tuple[int, int]]:
        """(exit route, months since exit) of the households that left EB within the
        re-entry window before the start and are still in the area (steady state):
        expected number by route r and months off m = exits per month × share_r ×
        P(not back after m months), exits per month = inflow × spells per entrant.
        """
        p = self.params
        if p.reentry_window_months is None:
            return []
        shares = np.array(p.route_shares) / sum(p.route_shares)
        shares[MOVED] = 0.0
        q = np.array(self.reentry_hazard)
        m = np.arange(p.reentry_window_months)
        late = np.clip(q * p.reentry_multiplier_after_24_months, 0, 1)
        still_out = np.where(m[None, :] < 24, (1 - q[:, None]) ** m[None, :],
                             (1 - q[:, None]) ** 24 * (1 - late[:, None]) ** np.maximum(m[None, :] - 24, 0))
        weight = self.inflow_per_month * self.expected_spells_per_entrant() * shares[:, None] * still_out
        n = int(self.rng.poisson(weight.sum())) if weight.sum() > 0 else 0
        cells = self.rng.choice(weight.size, size=n, p=(weight / weight.sum()).ravel()) if n else []
        return [(int(c) // weight.shape[1], int(c) % weight.shape[1] + 1) for c in cells]

    def eventual_reentry(self, route: int) -> float:
        """Probability that a household leaving by ``route`` comes back within the re-entry window."""
        p = self.params
        q = self.reentry_hazard[route]
        late = min(q * p.reentry_multiplier_after_24_months, 1.0)
        window = self.reentry_window
        return 1.0 - (1.0 - q) ** min(24, window) * (1.0 - late) ** max(0, window - 24)

    def steady_inflow(self, sample: int = 4000) -> float:
        """Inflow that keeps the stock level (Little's law): stock / EB months per entrant.

        EB months per entrant = mean spell (averaged over ``sample`` entrants'
        propensities) × expected number of spells, 1 / (1 − P(come back)).
        Set-up arithmetic, so written with numpy as anyone would.
        """
        p = self.params
        shares = np.array(p.composition_shares) / sum(p.composition_shares)
        composition = self.rng.choice(len(COMPOSITIONS), size=sample, p=shares)
        sd = p.exit_propensity_sd
        z = self.rng.lognormal(-0.5 * sd * sd, sd, size=sample) if sd > 0 else np.ones(sample)
        z = z * np.array(p.composition_multipliers)[composition]
        d = np.arange(max(2 * p.max_initial_months_on_eb, 600))
        hazard = np.clip(p.exit_hazard_per_month * z[:, None] * np.exp(-p.duration_decay * d)[None, :]
                         + p.exit_hazard_floor_per_month, 0, 1)
        mean_spell = float((1.0 + np.cumprod(1.0 - hazard, axis=1)[:, :-1].sum(axis=1)).mean())
        return p.households / (mean_spell * self.expected_spells_per_entrant())

    def draw_route(self, u: float) -> int:
        for route, edge in enumerate(self.route_cdf):
            if u < edge:
                return route
        return len(self.route_cdf) - 1

    # --- the month -------------------------------------------------------------------

    def step(self) -> None:
        p = self.params
        self.exits_this_month = 0
        self.entries_this_month = 0
        rate = self.inflow_per_month * (1.0 + p.inflow_trend_per_year) ** (self.month / 12.0)
        arrivals = int(self.rng.poisson(rate)) if rate > 0 else 0
        for _ in range(arrivals):
            ReferenceHousehold(self, *self.draw_household())
        self.entries_this_month += arrivals
        on_eb = self.agents.agg("on_eb", sum)
        self.caseload_factor = (self.on_eb_at_start / max(on_eb, 1)) ** p.caseload_elasticity
        self.agents.shuffle_do("step")
        self.datacollector.collect(self)
        self.month += 1
        if self.month >= p.months:
            self.running = False

    def run(self) -> "ReferenceModel":
        while self.running:
            self.step()
        return self

    def trajectory(self):
        """Monthly table: households_on_eb, households_present, eb_exits, eb_entries (row m = after month m+1)."""
        return self.datacollector.get_model_vars_dataframe()
