"""The set-up of sifsim 0.2.0, kept runnable so that tests can compare engines (issue 15).

Up to 0.2.0 each replication estimated the steady inflow rate from its own sample of
4 000 households drawn from its POPULATION stream (right after the starting stock), so
the rate carried ≈ 2 % Monte Carlo noise and every later set-up draw of the replication
depended on that sample. Since 0.3.0 the rate is a quadrature, the same in every
replication, and uses no stream. ``legacy_setup()`` patches the 0.2.0 behaviour back in
(results then equal 0.2.0's, draw for draw), so the statistical test in
``tests/test_engine_equivalence.py`` can run both engines on the model as it is now.
"""

from __future__ import annotations

import contextlib

import numpy as np

import simulation.core.population as population

LEGACY_SAMPLE_HOUSEHOLDS = 4000


def legacy_inflow_per_month(pop, gen: np.random.Generator) -> float:
    """0.2.0's estimate: Little's law with the mean spell averaged over a sample of entrants."""
    composition, _, z = population._draw_households(pop, gen, LEGACY_SAMPLE_HOUSEHOLDS)
    d = np.arange(max(pop.max_initial_months_on_eb * 2, 600))
    # each composition's floor (0.5.0's floor multipliers; one floor for all in 0.2.0)
    floor = population.exit_floor_by_composition(pop)[composition][:, None]
    base = z[:, None] * population.fading_exit_hazard_per_month(pop.eb_exit_hazard_per_month, floor)
    hazard = np.clip(population.exit_hazard_per_month(base, d[None, :], pop.eb_duration_decay, floor), 0, 1)
    survival = np.cumprod(1 - hazard, axis=1)
    mean_spell = float((1 + survival[:, :-1].sum(axis=1)).mean())
    months_per_entrant = mean_spell * population.expected_spells_per_entrant(pop)
    if pop.reentry_enabled and pop.reentry_duration_memory > 0:
        months_per_entrant *= population.duration_memory_factor(pop)
    # pension age (issue 11 item 5, after 0.2.0) shortens spells in both set-ups alike
    months_per_entrant *= population.pension_truncation_factor(pop)
    return pop.households / months_per_entrant


@contextlib.contextmanager
def legacy_setup():
    """Within the block, replications are set up as in 0.2.0 (in this process only)."""
    stock, inflow = population._steady_stock, population.steady_inflow_per_month
    last_generator = {}

    def steady_stock(pop, gen, n):
        out = stock(pop, gen, n)
        last_generator["gen"] = gen          # 0.2.0 drew its sample next, from the same stream
        return out

    population._steady_stock = steady_stock
    population.steady_inflow_per_month = lambda pop: legacy_inflow_per_month(pop, last_generator["gen"])
    try:
        yield
    finally:
        population._steady_stock, population.steady_inflow_per_month = stock, inflow
