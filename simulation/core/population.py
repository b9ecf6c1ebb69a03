"""Build the synthetic population of one replication (arm-independent).

Everything drawn here comes from the POPULATION and INFLOW streams (and the
set-up draws of ENROLMENT and ADULT_OUTCOME), so both arms start from the same
households and children, and the households that will move into the area later
are known (with their entry month) from the start: capacity is fixed, and agent
indices never depend on the arm. Each month's arrivals come from their own block
of the INFLOW stream (:class:`ArrivalDraws`), so an inflow shock changes
only the arrivals of the months it covers.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from scipy.special import gammaln, ndtri

from agents.children import (ADULT_AGE_MONTHS, MAX_PLACEMENT_MONTHS, ADULT_OUTCOMES, FAMILY_HOME, HOME, HVB, PROTECTIVE_FACTORS,
                             RISK_FACTORS, ChildPopulation)
from agents.hazards import (DAYS_PER_MONTH, exit_hazard_per_month, fading_exit_hazard_per_month,
                            monthly_from_cumulative, spell_survival)
from agents.households import COMPOSITION_INDEX, REENTRY_LATE_AFTER_MONTHS, HouseholdPopulation
from scenarios.schema import COMPOSITIONS, EXIT_ROUTES, EconomyConfig, PopulationConfig
from simulation.core.draws import Stream

WITH_CHILDREN = (COMPOSITION_INDEX["single_parent"], COMPOSITION_INDEX["couple_with_children"])
#: by composition index: has children (a table lookup instead of np.isin, called ~17 times per
#: replication by the starting stock's rejection draws)
HAS_CHILDREN = np.isin(np.arange(len(COMPOSITIONS)), WITH_CHILDREN)


@dataclass
class SyntheticPopulation:
    households: HouseholdPopulation
    children: ChildPopulation


@dataclass
class _Drawn:
    """One replication's synthetic agents, before they are stacked into a batch."""

    households: dict
    off_eb: tuple          # (index, route, months since exit) of the recent leavers
    children: dict
    placed: tuple          # (index, kind, months left) of the children in care at the start


def eb_amount_sek_per_month(composition: np.ndarray, n_children: np.ndarray,
                            economy: EconomyConfig) -> np.ndarray:
    """Monthly EB paid per household: flat, or riksnorm + rent × share paid (docs/sources.md)."""
    if economy.eb_amount_mode == "flat":
        return np.full(composition.shape, economy.eb_flat_sek_per_household_month)
    couple = np.isin(composition, [COMPOSITION_INDEX["couple_with_children"],
                                   COMPOSITION_INDEX["couple_without_children"]])
    personal = np.where(couple, economy.riksnorm_personal_sek_per_month["couple"],
                        economy.riksnorm_personal_sek_per_month["single"])
    size = (1 + couple + n_children).astype(int)
    shared_table = np.asarray(economy.riksnorm_shared_sek_per_month_by_size, dtype=float)
    shared = shared_table[np.minimum(size, len(shared_table)) - 1]
    norm = personal + economy.riksnorm_child_sek_per_month * n_children + shared + economy.rent_sek_per_month
    return norm * economy.eb_share_of_norm_paid


def uniform_months_between(first_year: int, last_year: int, n: int, gen: np.random.Generator) -> np.ndarray:
    """Ages in months, uniform over every month from the ``first_year`` birthday to the end of ``last_year``."""
    return months_between_from_uniforms(first_year, last_year, gen.random(n))


def months_between_from_uniforms(first_year: int, last_year: int, u: np.ndarray) -> np.ndarray:
    """:func:`uniform_months_between` from given uniforms (one per agent)."""
    span = (last_year - first_year + 1) * 12
    return (12 * first_year + np.minimum(np.floor(u * span), span - 1)).astype(np.int32)


def uniform_age_months(years_by_composition: dict, composition: np.ndarray,
                       gen: np.random.Generator) -> np.ndarray:
    """Each household's adult age in months, uniform over its composition's [first, last] years.

    One uniform per household (the same count whatever the compositions), mapped into the range
    of its own composition.
    """
    return age_months_from_uniforms(years_by_composition, composition, gen.random(composition.shape[0]))


def age_months_from_uniforms(years_by_composition: dict, composition: np.ndarray, u: np.ndarray) -> np.ndarray:
    """:func:`uniform_age_months` from given uniforms (one per household)."""
    ranges = np.array([years_by_composition[c] for c in COMPOSITIONS], dtype=np.int64)   # (compositions, 2)
    first, span = 12 * ranges[composition, 0], 12 * (ranges[composition, 1] - ranges[composition, 0] + 1)
    return (first + np.minimum(np.floor(u * span), span - 1)).astype(np.int32)


def _draw_households(pop: PopulationConfig, gen: np.random.Generator, n: int):
    shares = np.array([pop.composition_shares.get(c, 0.0) for c in COMPOSITIONS])
    composition = gen.choice(len(COMPOSITIONS), size=n, p=shares / shares.sum())
    extra = gen.poisson(max(pop.children_per_family_mean - 1.0, 0.0), size=n)
    n_children = np.where(HAS_CHILDREN[composition], 1 + extra, 0)
    sd = pop.exit_propensity_sd
    # mean-one lognormal frailty: heterogeneity makes the stock's hazard fall with duration
    propensity = gen.lognormal(mean=-0.5 * sd * sd, sigma=sd, size=n) if sd > 0 else np.ones(n)
    mult = np.array([pop.exit_hazard_multiplier_by_composition.get(c, 1.0) for c in COMPOSITIONS])
    return composition, n_children, propensity * mult[composition]


def _steady_stock(pop: PopulationConfig, gen: np.random.Generator, n: int):
    """Draw the starting stock from the steady state of the spell process.

    In a steady stock, a household with propensity z and current duration d
    appears with density ∝ f(z)·S(d | z): long-stayers are over-represented
    (length-biased sampling). Drawn by rejection: candidate (z, d) from the
    entrant distribution and a uniform duration, accepted with probability
    S(d | z); a rejected candidate is redrawn whole.
    """
    comp, kids, prop = (np.empty(0, dtype=np.int64), np.empty(0, dtype=np.int64), np.empty(0))
    months = np.empty(0, dtype=np.int32)
    floors = exit_floor_by_composition(pop)
    for _ in range(1000):
        need = n - comp.shape[0]
        if need <= 0:
            break
        batch = max(4 * need, 64)
        c, k, z = _draw_households(pop, gen, batch)
        d = gen.integers(0, pop.max_initial_months_on_eb, size=batch)
        floor = floors[c]
        base = z * fading_exit_hazard_per_month(pop.eb_exit_hazard_per_month, floor)
        accept = gen.random(batch) < spell_survival(d, base, pop.eb_duration_decay, floor)
        comp = np.concatenate([comp, c[accept]])[:n]
        kids = np.concatenate([kids, k[accept]])[:n]
        prop = np.concatenate([prop, z[accept]])[:n]
        months = np.concatenate([months, d[accept].astype(np.int32)])[:n]
    return comp, kids, prop, months


def route_shares(pop: PopulationConfig) -> np.ndarray:
    """The exit-route mix, normalised to sum to 1, in EXIT_ROUTES order."""
    routes = np.array([pop.exit_route_shares.get(r, 0.0) for r in EXIT_ROUTES])
    return routes / max(routes.sum(), 1e-12)


def exit_floor_by_composition(pop: PopulationConfig) -> np.ndarray:
    """The EB exit hazard that does not fade with duration, per composition (COMPOSITIONS order).

    ``eb_exit_hazard_floor_per_month`` × ``eb_exit_hazard_floor_multiplier_by_composition``, by the
    composition a household came with (like ``exit_hazard_multiplier_by_composition``, which is in
    its exit propensity). The start-of-spell hazard stays ``eb_exit_hazard_per_month`` for every
    composition: the fading part is h(0) − its floor (:func:`agents.hazards.fading_exit_hazard_per_month`).
    """
    multipliers = pop.eb_exit_hazard_floor_multiplier_by_composition
    return pop.eb_exit_hazard_floor_per_month * np.array([float(multipliers.get(c, 1.0)) for c in COMPOSITIONS])


def still_out_by_route(pop: PopulationConfig, months: np.ndarray) -> np.ndarray:
    """P(not back on EB after m months off), by exit route (rows) and m (columns)."""
    q = reentry_hazard_by_route(pop)[:, None]
    late = np.clip(q * pop.reentry_hazard_multiplier_after_24_months, 0, 1)
    m = np.asarray(months)[None, :]
    k = REENTRY_LATE_AFTER_MONTHS
    return np.where(m < k, (1 - q) ** m, (1 - q) ** k * (1 - late) ** np.maximum(m - k, 0))


def eventual_reentry_by_route(pop: PopulationConfig) -> np.ndarray:
    """Probability that a household leaving by each route comes back within the re-entry window."""
    return 1 - still_out_by_route(pop, np.array([pop.reentry_window_months]))[:, 0]


def expected_spells_per_entrant(pop: PopulationConfig) -> float:
    """Spells repeat with the probability of coming back (route mix × eventual re-entry)."""
    p_back = float((route_shares(pop) * eventual_reentry_by_route(pop)).sum())
    return 1.0 / max(1.0 - p_back, 1e-6)


def _recent_leavers(pop: PopulationConfig, gen: np.random.Generator, exits_per_month: float):
    """Households that left EB within the re-entry window before the start, still in the area.

    Without them nobody could come back in the first years and the stock would dip.
    Steady state: for each route r and months off m, exits × share_r × P(not yet back after m).
    Returns (route, months_since_exit) arrays.
    """
    routes = route_shares(pop)
    routes[EXIT_ROUTES.index("moved")] = 0.0          # they left the area
    still_out = still_out_by_route(pop, np.arange(pop.reentry_window_months))
    weight = exits_per_month * routes[:, None] * still_out
    n = int(gen.poisson(weight.sum())) if weight.sum() > 0 else 0
    cell = gen.choice(weight.size, size=n, p=(weight / weight.sum()).ravel()) if n else np.empty(0, int)
    # months since exit 1 … window (a household can come back from the month after it left)
    return (cell // weight.shape[1]).astype(np.int8), (cell % weight.shape[1] + 1).astype(np.int32)


def steady_inflow_per_month(pop: PopulationConfig) -> float:
    """Inflow that keeps the stock level, by Little's law: stock / EB months per entrant.

    EB months per entrant = E_z[mean spell | z] × expected number of spells,
    where spells repeat with the probability of coming back (route mix ×
    eventual re-entry by route). The expectation over the exit propensity z is a
    quadrature (:func:`propensity_quadrature`), not a sample: the rate is a property
    of the configuration, the same in every replication, and uses no random stream.
    """
    months = max(pop.max_initial_months_on_eb * 2, STEADY_STATE_SPELL_MONTHS)
    mean_spell = _mean_spell_months(*_hazard_parameters(pop), months)
    months_per_entrant = mean_spell * expected_spells_per_entrant(pop)
    if pop.reentry_enabled and pop.reentry_duration_memory > 0:
        months_per_entrant *= duration_memory_factor(pop)
    months_per_entrant *= pension_truncation_factor(pop)
    return pop.households / months_per_entrant


def pension_truncation_factor(pop: PopulationConfig) -> float:
    """How much pension age shortens an entrant's first spell on EB, on average (issue 11 item 5).

    A household aged a months at entry leaves EB at pension age P after at most P − a months, so
    its expected months on EB are Σ_k P(T > k) · P(a < P − k) with T its spell length and a
    uniform over its composition's entry ages; the factor is that over the untruncated mean,
    both averaged over the exit propensity (:func:`propensity_quadrature`). Later spells, which
    start older, are taken to be shortened alike (an approximation; the stock-level test checks it).
    """
    months = max(pop.max_initial_months_on_eb * 2, STEADY_STATE_SPELL_MONTHS)
    ages = tuple(tuple(int(v) for v in pop.adult_age_years_at_entry_by_composition[c]) for c in COMPOSITIONS)
    return _pension_factor(*_hazard_parameters(pop), months, ages, 12 * int(pop.pension_age_years))


@lru_cache(maxsize=256)
def _pension_factor(h_start: float, decay: float, floors: tuple, sd: float, multipliers: tuple, shares: tuple,
                    months: int, ages: tuple, pension_months: int) -> float:
    p = np.asarray(shares, dtype=float) / max(sum(shares), 1e-12)
    frailty, w = frailty_nodes(sd, PROPENSITY_NODES)
    k = np.arange(months)
    truncated = untruncated = 0.0
    for c, (first, last) in enumerate(ages):
        if p[c] <= 0:
            continue
        z = multipliers[c] * frailty
        h0 = fading_exit_hazard_per_month(h_start, floors[c])
        hazard = np.clip(exit_hazard_per_month(h0 * z[:, None], k[None, :], decay, floors[c]), 0, 1)
        # P(T > k): 1 at k = 0, then the survival after the draws of months 0 … k−1
        beyond = np.concatenate([np.ones((z.size, 1)), np.cumprod(1 - hazard, axis=1)[:, :-1]], axis=1)
        lo, hi = 12 * first, 12 * (last + 1)
        before_pension = np.clip((pension_months - k - lo) / (hi - lo), 0.0, 1.0)   # P(a < P − k)
        truncated += p[c] * float(w @ (beyond @ before_pension))
        untruncated += p[c] * float(w @ beyond.sum(axis=1))
    return truncated / untruncated if untruncated > 0 else 1.0


#: durations (months) in the mean-spell table of :func:`steady_inflow_per_month` (spells longer than
#: this count as this long: P(on EB after 50 years) is negligible for any hazard floor the schema allows)
STEADY_STATE_SPELL_MONTHS = 600
#: Gauss–Hermite nodes per household composition in :func:`propensity_quadrature` (a numerical
#: setting; tests/test_engine_equivalence.py compares the rate it gives with a large sample)
PROPENSITY_NODES = 64


def _hazard_parameters(pop: PopulationConfig) -> tuple:
    """The hashable inputs of the spell-length calculations (for their caches): the start-of-spell
    hazard h(0), λ, the floor of each composition, the frailty sd, the composition multipliers and shares."""
    return (float(pop.eb_exit_hazard_per_month), float(pop.eb_duration_decay),
            tuple(float(v) for v in exit_floor_by_composition(pop)), float(pop.exit_propensity_sd),
            tuple(float(pop.exit_hazard_multiplier_by_composition.get(c, 1.0)) for c in COMPOSITIONS),
            tuple(float(pop.composition_shares.get(c, 0.0)) for c in COMPOSITIONS))


def frailty_nodes(sd: float, nodes: int) -> tuple[np.ndarray, np.ndarray]:
    """Gauss–Hermite nodes and weights of the mean-one lognormal frailty exp(−sd²/2 + sd·X), X ~ N(0, 1)."""
    if sd <= 0:
        return np.ones(1), np.ones(1)
    x, w = np.polynomial.hermite_e.hermegauss(nodes)
    return np.exp(-0.5 * sd * sd + sd * x), w / w.sum()


def propensity_quadrature(sd: float, multipliers: tuple, shares: tuple,
                          nodes: int = PROPENSITY_NODES) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Nodes, weights and compositions for E_z[g(z)] over the exit propensity of an entrant.

    z = the composition's multiplier × a mean-one lognormal frailty exp(−sd²/2 + sd·X),
    X ~ N(0, 1), as :func:`_draw_households` draws it: Gauss–Hermite quadrature in X
    (exact for polynomials in X up to degree 2·nodes − 1), weighted by the composition shares.
    The third array is each node's composition index (its floor: :func:`exit_floor_by_composition`).
    """
    p = np.asarray(shares, dtype=float) / max(sum(shares), 1e-12)
    frailty, w = frailty_nodes(sd, nodes)
    z = (np.asarray(multipliers)[:, None] * frailty[None, :]).ravel()
    weights = (p[:, None] * w[None, :]).ravel()
    composition = np.repeat(np.arange(len(multipliers)), frailty.size)
    keep = weights > 0
    return z[keep], weights[keep], composition[keep]


@lru_cache(maxsize=256)
def _mean_spell_months(h_start: float, decay: float, floors: tuple, sd: float, multipliers: tuple,
                       shares: tuple, months: int) -> float:
    """E_z[1 + Σ_{d < months−1} P(still on EB after month d | z)], the mean spell of an entrant."""
    z, w, composition = propensity_quadrature(sd, multipliers, shares)
    floor = np.asarray(floors)[composition][:, None]
    d = np.arange(months)
    h0 = fading_exit_hazard_per_month(h_start, floor)
    hazard = np.clip(exit_hazard_per_month(h0 * z[:, None], d[None, :], decay, floor), 0, 1)
    survival = np.cumprod(1 - hazard, axis=1)      # P(still on EB after month d)
    return float(w @ (1 + survival[:, :-1].sum(axis=1)))


#: size of the numerical solution in :func:`duration_memory_factor` (households × durations)
MEMORY_FACTOR_HOUSEHOLDS, MEMORY_FACTOR_MONTHS, MEMORY_FACTOR_SEED = 40, 360, 0


def _eb_months_per_entrant(hazard: np.ndarray, p_back: float, memory: float, iterations: int = 400) -> float:
    """Expected EB months of an entrant over all its spells, when a return resumes at
    ``floor(memory × duration at exit)`` (hazard: (households, durations), the last duration absorbing).

    E(a) = L(a) + p_back · Σ_d f_a(d) · E(floor(memory·d)), with L(a) the mean length of a spell
    starting at duration a and f_a(d) the probability that it ends at duration d; solved by
    fixed-point iteration (it contracts with factor p_back < 1). With S(d) = P(on EB after the
    draws of months 0 … d−1), a spell from a survives to d with S(d)/S(a), so both sums over d are
    reverse cumulative sums divided by S(a): O(households × durations) per iteration.
    """
    z, n = hazard.shape
    h = hazard.copy()
    h[:, -1] = 1.0                                        # no spell runs past the table
    log_s = np.cumsum(np.log1p(-np.minimum(h, 1 - 1e-15)), axis=1)
    survival = np.exp(np.concatenate([np.zeros((z, 1)), log_s], axis=1))   # S(0 … n)
    at = survival[:, :n]                                  # S(a)

    def from_a(values: np.ndarray) -> np.ndarray:         # Σ_{d ≥ a} values[d] / S(a)
        return np.cumsum(values[:, ::-1], axis=1)[:, ::-1] / at

    # L(a) = 1 + Σ_{d=a}^{n−2} S(d+1)/S(a), as steady_inflow_per_month counts a spell
    length = 1.0 + from_a(survival[:, 1:]) - survival[:, n:] / at
    ends = at * h                                          # S(d)·h(d): the spell ends at d
    resume = np.floor(memory * np.arange(n)).astype(int)
    e = length.copy()
    for _ in range(iterations):
        new = length + p_back * from_a(ends * e[:, resume])
        done = np.abs(new - e).max() <= 1e-9 * np.abs(new).max()
        e = new
        if done:
            break
    return float(e[:, 0].mean())


def duration_memory_factor(pop: PopulationConfig) -> float:
    """How much ``population.reentry_duration_memory`` lengthens an entrant's EB months
    (relative to resuming at 0), so that the steady inflow keeps the stock level.

    Solved for entrants at evenly spaced quantiles of the exit propensity, drawn once from a
    fixed generator (the same factor in every replication; no random stream is used).
    """
    p_back = float((route_shares(pop) * eventual_reentry_by_route(pop)).sum())
    return _memory_factor(*_hazard_parameters(pop), p_back, float(pop.reentry_duration_memory))


@lru_cache(maxsize=256)
def _memory_factor(h_start: float, decay: float, floors: tuple, sd: float, multipliers: tuple, shares: tuple,
                   p_back: float, memory: float) -> float:
    gen = np.random.default_rng(MEMORY_FACTOR_SEED)
    p = np.asarray(shares) / max(sum(shares), 1e-12)
    composition = gen.choice(len(COMPOSITIONS), size=4000, p=p)
    z = (gen.lognormal(mean=-0.5 * sd * sd, sigma=sd, size=4000) if sd > 0 else np.ones(4000)) \
        * np.asarray(multipliers)[composition]
    order = np.argsort(z)[((np.arange(MEMORY_FACTOR_HOUSEHOLDS) + 0.5) / MEMORY_FACTOR_HOUSEHOLDS * z.size).astype(int)]
    z, floor = z[order], np.asarray(floors)[composition[order]][:, None]
    d = np.arange(MEMORY_FACTOR_MONTHS)
    h0 = fading_exit_hazard_per_month(h_start, floor)
    hazard = np.clip(exit_hazard_per_month(h0 * z[:, None], d[None, :], decay, floor), 0, 1)
    with_memory = _eb_months_per_entrant(hazard, p_back, memory)
    return with_memory / _eb_months_per_entrant(hazard, p_back, 0.0)


def build_population(pop: PopulationConfig, economy: EconomyConfig, n_months: int,
                     streams: list[dict[Stream, np.random.Generator]],
                     inflow_multiplier_by_month: np.ndarray | float = 1.0) -> SyntheticPopulation:
    """The households and children of a batch of replications, each drawn from its own streams.

    ``inflow_multiplier_by_month``: the inflow shocks (simulation/core/inflow_shocks.py), 1 = none.
    The arrivals' draws are compiled when the batch's monthly loops will be (:func:`arrivals_implementation`;
    the same uniforms either way)."""
    implementation = arrivals_implementation(pop, n_months, len(streams))
    drawn = [_draw_replication(pop, economy, n_months, s, inflow_multiplier_by_month, implementation)
             for s in streams]
    households = HouseholdPopulation(**{k: [d.households[k] for d in drawn] for k in drawn[0].households},
                                     n_months=n_months)
    for r, d in enumerate(drawn):
        if d.off_eb[0].size:
            households.start_off_eb(r, *d.off_eb)
    children = ChildPopulation(**{k: [d.children[k] for d in drawn] for k in drawn[0].children})
    children.activate_households(households.n_active)
    for r, d in enumerate(drawn):
        children.start_placed(r, *d.placed)
    return SyntheticPopulation(households=households, children=children)


def arrivals_implementation(pop: PopulationConfig, n_months: int, n_reps: int) -> str:
    """"numba" or "numpy" for the arrivals' draws: :func:`agents.kernels.choose` for the batch's work
    as the model counts it (arms × child slots × months), estimated before the draws from the
    households ever in the area (the start and the steady inflow over the horizon; Öster has about as
    many child slots as that, half again at most), so that a small run in a fresh process does not
    load numba for its set-up alone. Either choice gives the same uniforms."""
    from agents import kernels
    rate = pop.inflow_households_per_month if pop.inflow_households_per_month is not None else \
        _steady_inflow_estimate(pop)
    households_ever = pop.households + (max(float(rate), 0.0) * n_months if pop.inflow_enabled else 0.0)
    return kernels.choose(2 * n_reps * households_ever * n_months)


#: the steady inflow as this module defines it, for the estimate above only (tests/legacy_setup.py
#: replaces ``steady_inflow_per_month`` by a per-replication sample drawn after the stock)
_steady_inflow_estimate = steady_inflow_per_month


#: PCG64 outputs reserved for one month's arrivals (never overlapping: a month draws a few thousand
#: at most, and the period is 2**128)
ARRIVAL_BLOCK_OUTPUTS = 2 ** 64
#: uniforms per arriving household (composition, extra children, exit propensity, enrolment priority,
#: adult age) and per child (age, risk factors, protective factors, enrolment priority, adult outcomes,
#: age at leaving home)
HOUSEHOLD_UNIFORMS = 5
CHILD_UNIFORMS = 1 + len(RISK_FACTORS) + len(PROTECTIVE_FACTORS) + 1 + len(ADULT_OUTCOMES) + 1


class ArrivalDraws:
    """Each month's block of the INFLOW stream (issue 12: inflow shocks, exactly where they can).

    A month's arrivals — their number, every attribute of theirs and of their children — are drawn
    from that month's own blocks, so they depend only on (seed, replication, month of arrival, index
    within the month): an inflow shock in month t changes month t's arrivals and nothing else. The
    households' block of month t starts ``t × ARRIVAL_BLOCK_OUTPUTS`` outputs into the INFLOW stream
    (re-positioned per month: the Poisson count uses a variable number of outputs); their children's
    uniforms come from a second generator spawned from the INFLOW stream's seed, ``t ×
    ARRIVAL_BLOCK_OUTPUTS`` into it (one output per uniform, so a relative ``advance`` positions it).
    """

    def __init__(self, inflow: np.random.Generator):
        self.gen, self.bits = inflow, inflow.bit_generator
        self.base = self.bits.state
        seq = self.bits.seed_seq
        self.child_bits = np.random.PCG64(np.random.SeedSequence(seq.entropy, spawn_key=(*seq.spawn_key, 0)))
        self.child_gen = np.random.Generator(self.child_bits)
        self.child_position = 0

    def households_at(self, month: int) -> np.random.Generator:
        """The INFLOW stream at the start of ``month``'s block."""
        self.bits.state = self.base
        self.bits.advance(month * ARRIVAL_BLOCK_OUTPUTS)
        return self.gen

    def children(self, month: int, n: int) -> np.ndarray:
        """(n, CHILD_UNIFORMS) uniforms for the children of ``month``'s arrivals (months in increasing order)."""
        start = month * ARRIVAL_BLOCK_OUTPUTS
        self.child_bits.advance(start - self.child_position)
        self.child_position = start + n * CHILD_UNIFORMS
        return self.child_gen.random((n, CHILD_UNIFORMS))


def _households_from_uniforms(pop: PopulationConfig, u: np.ndarray):
    """Composition, children and exit propensity from (n, 3) uniforms, distributed as
    :func:`_draw_households` draws them (inverse CDFs; tests/accounting/test_inflow_shocks.py)."""
    shares = np.array([pop.composition_shares.get(c, 0.0) for c in COMPOSITIONS])
    cdf = np.cumsum(shares / shares.sum())
    composition = np.minimum(np.searchsorted(cdf, u[:, 0], side="right"), len(COMPOSITIONS) - 1)
    lam = max(pop.children_per_family_mean - 1.0, 0.0)
    k = np.arange(64 + int(10 * lam))
    poisson_cdf = np.cumsum(np.exp(-lam + k * np.log(lam) - gammaln(k + 1))) if lam > 0 else np.ones(1)
    extra = np.minimum(np.searchsorted(poisson_cdf, u[:, 1], side="right"), poisson_cdf.size - 1)
    n_children = np.where(HAS_CHILDREN[composition], 1 + extra, 0)
    sd = pop.exit_propensity_sd
    normal = ndtri(np.clip(u[:, 2], 1e-300, 1.0 - 2.0 ** -53))
    propensity = np.exp(-0.5 * sd * sd + sd * normal) if sd > 0 else np.ones(u.shape[0])
    mult = np.array([pop.exit_hazard_multiplier_by_composition.get(c, 1.0) for c in COMPOSITIONS])
    return composition, n_children, propensity * mult[composition]


def _children_from_uniforms(pop: PopulationConfig, u: np.ndarray) -> dict:
    """Age at entry, factors, priority and adult-outcome draws of children from (m, CHILD_UNIFORMS) uniforms."""
    risk_prev = np.array([pop.risk_factor_prevalence_at_entry[k] for k in RISK_FACTORS])
    prot_prev = np.array([pop.protective_factor_prevalence_at_entry[k] for k in PROTECTIVE_FACTORS])
    r0, p0 = 1, 1 + len(RISK_FACTORS)
    q = p0 + len(PROTECTIVE_FACTORS)
    return dict(age_at_entry=(u[:, 0] * ((pop.child_age_max_years_at_entry + 1) * 12)).astype(np.int64),
                risk=u[:, r0:p0] < risk_prev, protective=u[:, p0:q] < prot_prev, priority=u[:, q].copy(),
                adult_outcome_draws=u[:, q + 1:q + 1 + len(ADULT_OUTCOMES)].astype(np.float32),
                leave_home_age_months=months_between_from_uniforms(*pop.child_leave_home_age_years, u[:, -1]))


def _draw_arrivals(pop: PopulationConfig, gen: ArrivalDraws, rate_by_month: np.ndarray,
                   implementation: str = "numpy"):
    """Every month's arrivals from its own block: (counts by month, household attributes, children's).

    With ``implementation`` "numba" and every monthly rate below 10, the same uniforms come from
    compiled PCG64 steps (simulation/core/kernels_arrivals.py: numpy's bits, without the two Python
    calls and the state reset per month); otherwise, and as the reference, from ``gen`` month by month.
    """
    n_months = rate_by_month.shape[0]
    fast = None
    if implementation == "numba":
        from simulation.core.kernels_arrivals import CompiledArrivals, compiled_rates
        if compiled_rates(rate_by_month):
            fast = CompiledArrivals(gen.gen, ARRIVAL_BLOCK_OUTPUTS)
    if fast is not None:
        counts, u = fast.households(rate_by_month, HOUSEHOLD_UNIFORMS)
    else:
        counts = np.zeros(n_months, dtype=np.int64)
        uniforms = []
        for t in np.flatnonzero(rate_by_month > 0):
            g = gen.households_at(int(t))
            counts[t] = g.poisson(rate_by_month[t])
            if counts[t]:
                uniforms.append(g.random((int(counts[t]), HOUSEHOLD_UNIFORMS)))
        u = np.concatenate(uniforms) if uniforms else np.zeros((0, HOUSEHOLD_UNIFORMS))
    composition, n_children, propensity = _households_from_uniforms(pop, u)
    kids_by_month = np.bincount(np.repeat(np.arange(n_months), counts), weights=n_children,
                                minlength=n_months).astype(np.int64)
    if fast is not None:
        v = fast.children(kids_by_month, CHILD_UNIFORMS)
    else:
        child_uniforms = [gen.children(int(t), int(kids_by_month[t])) for t in np.flatnonzero(kids_by_month)]
        v = np.concatenate(child_uniforms) if child_uniforms else np.zeros((0, CHILD_UNIFORMS))
    households = dict(composition=composition, n_children=n_children, exit_propensity=propensity,
                      enrolment_priority=u[:, 3].copy(),
                      adult_age_months=age_months_from_uniforms(pop.adult_age_years_at_entry_by_composition,
                                                                composition, u[:, 4]))
    return counts, households, _children_from_uniforms(pop, v)


def _draw_replication(pop: PopulationConfig, economy: EconomyConfig, n_months: int,
                      streams: dict[Stream, np.random.Generator],
                      inflow_multiplier_by_month: np.ndarray | float = 1.0,
                      implementation: str = "numpy") -> _Drawn:
    """One replication's agents: the start (stock and recent leavers, from the POPULATION,
    ENROLMENT and ADULT_OUTCOME streams), then each month's arrivals from that month's block of
    the INFLOW stream (:class:`ArrivalDraws`; ``implementation``: :func:`_draw_arrivals`'s)."""
    gen = streams[Stream.POPULATION]
    n0 = pop.households
    comp0, kids0, prop0, months0 = _steady_stock(pop, gen, n0)

    inflow_rate = pop.inflow_households_per_month
    if inflow_rate is None:
        inflow_rate = steady_inflow_per_month(pop)
    if not pop.inflow_enabled:
        inflow_rate = 0.0
    # recent leavers who may come back (only in an open population with re-entry)
    pool_route, pool_months = np.empty(0, np.int8), np.empty(0, np.int32)
    if pop.reentry_enabled and inflow_rate > 0:
        pool_route, pool_months = _recent_leavers(pop, gen, inflow_rate * expected_spells_per_entrant(pop))
    comp_p, kids_p, prop_p = _draw_households(pop, gen, pool_route.shape[0])
    n_pool = pool_route.shape[0]
    n_start = n0 + n_pool
    start_kids = np.concatenate([kids0, kids_p])
    m0 = int(start_kids.sum())
    start_children = dict(
        age_at_entry=gen.integers(0, (pop.child_age_max_years_at_entry + 1) * 12, size=m0),
        risk=gen.random((m0, len(RISK_FACTORS))) < np.array([pop.risk_factor_prevalence_at_entry[k]
                                                             for k in RISK_FACTORS]),
        protective=gen.random((m0, len(PROTECTIVE_FACTORS))) < np.array(
            [pop.protective_factor_prevalence_at_entry[k] for k in PROTECTIVE_FACTORS]),
        priority=streams[Stream.ENROLMENT].random(m0),
        adult_outcome_draws=streams[Stream.ADULT_OUTCOME].random((m0, len(ADULT_OUTCOMES)), dtype=np.float32))
    rate = inflow_rate * (1.0 + pop.inflow_trend_per_year) ** (np.arange(n_months) / 12.0) \
        * np.broadcast_to(inflow_multiplier_by_month, (n_months,))
    counts, new, new_children = _draw_arrivals(pop, ArrivalDraws(streams[Stream.INFLOW]), rate, implementation)

    composition = np.concatenate([comp0, comp_p, new["composition"]])
    n_children = np.concatenate([start_kids, new["n_children"]])
    entry_month = np.concatenate([np.full(n_start, -1), np.repeat(np.arange(n_months), counts)])
    initial_months = np.concatenate([months0, np.zeros(n_pool + int(counts.sum()), dtype=np.int32)])
    # the life course's draws (issue 11 item 5): the start's from their own stream (adults' ages
    # first, then the children's ages at leaving home), each month's arrivals' from that month's
    # block (ArrivalDraws), so neither moves another draw, and an inflow shock moves only its months
    life = streams[Stream.LIFE_COURSE]
    adult_age = np.concatenate([uniform_age_months(pop.adult_age_years_at_entry_by_composition,
                                                   composition[:n_start], life), new["adult_age_months"]])
    households = dict(
        composition=composition, n_children=n_children,
        exit_propensity=np.concatenate([prop0, prop_p, new["exit_propensity"]]),
        eb_sek_per_month=eb_amount_sek_per_month(composition, n_children, economy),
        entry_month=entry_month, initial_months_on_eb=initial_months,
        enrolment_priority=np.concatenate([streams[Stream.ENROLMENT].random(n_start),
                                           new["enrolment_priority"]]),
        adult_birth_month=np.maximum(entry_month, 0) - adult_age)
    off_eb = (np.arange(n0, n_start), pool_route, pool_months)

    household_of_child = np.repeat(np.arange(composition.shape[0]), n_children)
    entry = np.maximum(entry_month[household_of_child], 0)
    age_at_entry = np.concatenate([start_children["age_at_entry"], new_children["age_at_entry"]])
    leave_home_age = np.concatenate([uniform_months_between(*pop.child_leave_home_age_years, m0, life),
                                     new_children["leave_home_age_months"]])
    children = dict(household=household_of_child, birth_month=entry - age_at_entry,
                    leave_home_month=entry - age_at_entry + leave_home_age,
                    **{k: np.concatenate([start_children[k], new_children[k]])
                       for k in ("risk", "protective", "priority", "adult_outcome_draws")})
    # the children in care at the start are among the start's children (the first m0)
    placed = _initial_placements(pop, gen, np.ones(m0, dtype=bool), start_children["age_at_entry"])
    return _Drawn(households=households, off_eb=off_eb, children=children, placed=placed)


def _initial_placements(pop: PopulationConfig, gen: np.random.Generator, at_start: np.ndarray,
                        age_months: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Children in care at the start, from the steady state: P(in care) = r·L / (1 + r·L).

    r is the yearly placement hazard and L the mean length in years (kind mix);
    the remaining length is geometric with the kind's mean (memoryless).
    Returns (index, kind, months left).
    """
    days = pop.hvb_share_of_placements * pop.hvb_mean_days + \
        (1 - pop.hvb_share_of_placements) * pop.family_home_mean_days
    load = pop.placement_hazard_per_year * days / (12 * DAYS_PER_MONTH)
    p_in_care = load / (1.0 + load)
    minors = at_start & (age_months < ADULT_AGE_MONTHS)
    idx = np.flatnonzero(minors & (gen.random(at_start.shape[0]) < p_in_care))
    hvb = gen.random(idx.size) < pop.hvb_share_of_placements
    mean_months = np.where(hvb, pop.hvb_mean_days, pop.family_home_mean_days) / DAYS_PER_MONTH
    months_left = gen.geometric(1.0 / np.maximum(mean_months, 1.0))
    return (idx, np.where(hvb, HVB, FAMILY_HOME).astype(np.int8),
            np.minimum(months_left, MAX_PLACEMENT_MONTHS).astype(np.int16))


def reentry_hazard_by_route(pop: PopulationConfig) -> np.ndarray:  # noqa: D401
    """Monthly re-entry hazard by exit route from the 12-month shares (docs/sources.md)."""
    if not pop.reentry_enabled:
        return np.zeros(len(EXIT_ROUTES))
    return np.array([monthly_from_cumulative(pop.reentry_within_12_months_by_route[r], 12.0)
                     for r in EXIT_ROUTES])


def retire_settled_households(households: HouseholdPopulation, children: ChildPopulation,
                              window_months: int | None) -> int:
    """Stop simulating households that have left the benefit system for good (yearly).

    Retired, in both arms alike (so the arms stay paired): households that
    moved away, and non-participants off EB beyond the re-entry window
    (they can no longer come back) with no open-care episode and no child
    placed. Their EB dynamics are over; what the model gives up is the
    later child and adult costs of former clients' families, equal in both
    arms but for spillovers (README: simplifications). Participants are
    followed to the horizon. Each replication decides for itself, so its
    agents' order (and so its draws) never depends on the batch. Returns how
    many retired.
    """
    if window_months is None:
        return 0
    hh, ch = households, children
    settled = hh.settled(window_months)
    if len(ch):
        placed = (ch.placement != HOME).any(axis=0) & (ch.household < hh.n_active[:, None])
        for r in np.flatnonzero(placed.any(axis=-1)):
            settled[r, ch.household[r, placed[r]]] = False
    total = 0
    # the rows are queued and compacted together: one gather per array (agents/base.py)
    hh.begin_compaction()
    ch.begin_compaction()
    for r in range(hh.n_reps):
        retiring = settled[r, :int(hh.n_active[r])]
        count = int(np.count_nonzero(retiring))
        # every year there is one to retire: a rule that waited for a share of the active (to save
        # passes over the arrays) would let the number of later arrivals move everyone's slot, and so
        # their draws (issue 12: an inflow shock must not change the households already there)
        if count == 0:
            continue
        new_position, future_end = hh.retire(r, retiring, rebind=False)
        ch.follow_households(r, new_position, int(hh.n_active[r]), future_end, rebind=False)
        total += count
    hh.end_compaction()
    ch.end_compaction()
    if total:
        hh.rebind()
        ch.activate_households(ch.n_households)
    return total
