"""Exogenous inflow shocks (``population.inflow_shocks``): a multiplier on each month's inflow rate.

A shock is a dated relative change of the monthly inflow rate (e.g. +30 % in the 2015–16
migration years), the same in both arms: it raises the EB outturn above its frame in both arms.
Each month's arrivals are drawn from that month's own block of the INFLOW stream
(``simulation/core/population.py: ArrivalDraws``) and every monthly stream starts each month at
its own block (``simulation/core/draws.py``), so a shock changes only the arrivals of the months
it covers. Where none of them can become a participant (a shock after the last enrolment, or
arrivals that cannot reach the eligibility rule's months on EB before it) the attributable saving
(control − intervention) is the same to the krona, in every perspective, payer and year; where
they can, the project's places are filled from a larger pool and the saving moves by Monte Carlo
noise only (tests/accounting/test_inflow_shocks.py).
"""

from __future__ import annotations

import numpy as np


def inflow_multiplier_by_month(shocks, start_year: int, n_months: int) -> np.ndarray:
    """(n_months,) multiplier of the inflow rate: Π (1 + relative_change) over the shocks covering a month."""
    years = start_year + np.arange(n_months) // 12
    multiplier = np.ones(n_months)
    for shock in shocks or ():
        covered = (years >= shock.first_year) & (years <= shock.last_year)
        multiplier[covered] *= 1.0 + shock.relative_change
    return multiplier
