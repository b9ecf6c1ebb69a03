"""The cost booking's compiled loops against their numpy references, to the bit, on random states
(simulation/accounting/kernels_books.py; tests/test_kernels.py's style)."""

from __future__ import annotations

import numpy as np
import pytest

from agents.base import prefix_sums
from simulation.accounting.costs import hours_table
from simulation.accounting.kernels_books import exact_units, open_care_hour_sums


def _reference_hours(months_left, intensive, month_index, table, n_active):
    """costs.py's numpy lines: the hours looked up for the families in an episode, each prefix summed."""
    in_care = np.nonzero(months_left > 0)
    hours = np.zeros(months_left.shape)
    hours[in_care] = table[intensive[in_care].astype(np.intp), np.minimum(month_index[in_care], table.shape[1] - 1)]
    return prefix_sums(hours, n_active)


def _random_episodes(rng, n_reps=5, width=3000, share_in_care=0.3):
    months_left = np.where(rng.random((2, n_reps, width)) < share_in_care,
                           rng.integers(1, 12, size=(2, n_reps, width)), 0).astype(np.int16)
    intensive = rng.random((2, n_reps, width)) < 0.5
    month_index = rng.integers(0, 15, size=(2, n_reps, width)).astype(np.int16)   # past the table's end too
    n_active = np.array([width, 0, 17, width // 2, width - 1][:n_reps], dtype=np.int64)
    return months_left, intensive, month_index, n_active


@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize("ordinary, intensive_hours", [
    ([4.0, 4.0, 4.0, 2.0], [8.0] * 7 + [2.0] * 3),                  # the configured kind: whole hours
    ([1.5, 0.75, 0.3125], [8.25, 2.5]),                              # quarters and sixteenths: exact units
    ([3e-4, 1.0], [2.0 ** -20, 7.0]),                                # down to 2⁻²⁰ h
], ids=["whole", "dyadic", "finest"])
def test_open_care_hour_sums_are_numpys_prefix_sums(seed, ordinary, intensive_hours):
    rng = np.random.default_rng(seed)
    table = hours_table(np.array(ordinary), np.array(intensive_hours))
    months_left, intensive, month_index, n_active = _random_episodes(rng)
    exact = exact_units(table, months_left.shape[-1])
    if 3e-4 in ordinary:            # 3e-4 is no whole multiple of 2⁻²⁰: numpy's path is kept
        assert exact is None
        return
    units, unit_hours = exact
    compiled = open_care_hour_sums(months_left, intensive, month_index, units, unit_hours, n_active)
    reference = _reference_hours(months_left, intensive, month_index, table, n_active)
    assert compiled.tobytes() == reference.tobytes()                 # the same bits
    assert compiled[:, 1].tolist() == [0.0, 0.0] and (compiled[:, 0] > 0).all()


def test_exact_units_refuse_tables_whose_sums_could_round():
    """Tenths are refused: summed in another order than numpy's pairwise sum their bits can differ
    (the reference is numpy's), which whole multiples of 2⁻ᵏ below 2⁵³ units never do."""
    table = hours_table(np.array([0.1, 2.0]), np.array([8.0]))
    assert exact_units(table, 10) is None                            # 0.1 is no multiple of a power of two
    assert exact_units(hours_table(np.array([2.0 ** 40]), np.array([1.0])), 2 ** 13) is None   # 2⁵³ reached
    units, unit_hours = exact_units(hours_table(np.array([1.5]), np.array([8.0])), 100)
    assert unit_hours == 0.5 and units.tolist() == [[3, 0], [16, 0]]
    assert exact_units(np.array([[np.nan, 1.0]]), 10) is None
