"""Budget frames and outturn: what a saving looks like against a unit's budget (issue 12).

Each unit has a yearly budget *frame* set ex ante by a budgeting rule
(``municipality.budget.rule``) and an *outturn*, the cash it spent in the simulated arm
(the cash part of every cost booked on the unit; the project's posts and the grant that
pays them net to zero). Surplus = frame − outturn. Seed 004: "there is no pot of money to
set against future repayments": under ``incremental`` budgeting next year's frame is this
year's outturn × (1 + growth), so a saving that has levelled off leaves no surplus, and an
inflow that rises in both arms (``population.inflow_shocks``) pushes outturn above the
frame in both arms although the attributable saving (control − intervention) is unchanged.

Rules (``BUDGET_RULES``):

- ``incremental``: frame[y] = outturn[y − 1] of the same arm × (1 + growth);
- ``plan``: frame[y] = ``plan_frame_sek_by_unit_year[unit][y]`` where given, else
  frame[0] × (1 + growth)^y — a plan fixed in advance that does not follow the outturn.

The first year's frame is the same in both arms, set before anything is known of the project:
the unit's ``budget_frame_sek_per_year`` where given (> 0), else the control arm's outturn of
that year (what the unit would have spent: a frame that fits the counterfactual).

Yearly work only, vectorised over (arms, replications).
"""

from __future__ import annotations

from itertools import repeat
from typing import NamedTuple

import numpy as np

from simulation.accounting.ledger import ARMS

INTERVENTION, CONTROL = 0, 1


class BudgetRow(NamedTuple):
    """One row of ``budget.csv``."""

    replication: int
    arm: str
    year: int
    unit: str
    body: str
    frame_sek: float
    outturn_sek: float
    surplus_sek: float


BUDGET_COLUMNS = BudgetRow._fields


def next_frame(rule: str, growth_per_year: float, *, year_index: int, first_frame: np.ndarray,
               last_outturn: np.ndarray, planned_sek: float | None = None) -> np.ndarray:
    """The frame of year ``year_index`` ≥ 1 under a budgeting rule, per (arm, replication)."""
    if rule == "incremental":
        return last_outturn * (1.0 + growth_per_year)
    if rule == "plan":
        if planned_sek is not None:
            return np.full_like(first_frame, float(planned_sek))
        return first_frame * (1.0 + growth_per_year) ** year_index
    raise ValueError(f"municipality.budget.rule={rule!r}: allowed are incremental, plan")


class BudgetFrames:
    """Frames, outturn and surplus of every unit, year by year, for a batch of replications."""

    def __init__(self, budget_config, units: dict, n_reps: int, n_arms: int = 2):
        self.rule = budget_config.rule
        # a unit's own rule (municipality.units[*].budget_rule) before the municipality's
        self.rule_of = {name: getattr(u, "budget_rule", None) or self.rule for name, u in units.items()}
        self.growth = float(budget_config.growth_per_year)
        self.plan = {u: {int(y): float(v) for y, v in years.items()}
                     for u, years in (budget_config.plan_frame_sek_by_unit_year or {}).items()}
        self.given = {name: float(getattr(u, "budget_frame_sek_per_year", 0.0) or 0.0)
                      for name, u in units.items()}
        self.units = list(units)
        self.shape = (n_arms, n_reps)
        self._first: dict[str, np.ndarray] = {}
        self._last_outturn: dict[str, np.ndarray] = {}

    def close_year(self, year_index: int, year: int, outturn_by_unit: dict[str, np.ndarray]
                   ) -> dict[str, tuple[np.ndarray, np.ndarray]]:
        """Set each unit's frame for the year and compare the outturn: unit → (frame, outturn)."""
        out = {}
        for unit in self.units:
            outturn = np.asarray(outturn_by_unit.get(unit, np.zeros(self.shape)), dtype=float)
            if year_index == 0 or unit not in self._first:
                base = self.given.get(unit, 0.0)
                first = np.full(self.shape, base) if base > 0 else np.broadcast_to(
                    outturn[CONTROL], self.shape).copy()
                if self.rule_of.get(unit, self.rule) == "plan" and year in self.plan.get(unit, {}):
                    first = np.full(self.shape, self.plan[unit][year])
                self._first[unit] = first
                frame = first
            else:
                frame = next_frame(self.rule_of.get(unit, self.rule), self.growth, year_index=year_index, first_frame=self._first[unit],
                                   last_outturn=self._last_outturn[unit],
                                   planned_sek=self.plan.get(unit, {}).get(year))
            self._last_outturn[unit] = outturn
            out[unit] = (frame, outturn)
        return out


def outturn_by_unit(by_slot: dict[tuple[str, str], np.ndarray], cash_share: dict[str, float],
                    units: list[str], shape: tuple[int, int]) -> dict[str, np.ndarray]:
    """The cash each unit spent: Σ over the categories booked on it of amount × cash share."""
    out = {u: np.zeros(shape) for u in units}
    for (category, body), amounts in by_slot.items():
        if body in out:
            out[body] = out[body] + amounts * cash_share[category]
    return out


def budget_rows(replications: list[int], year: int, frames: dict[str, tuple[np.ndarray, np.ndarray]],
                body_by_unit: dict[str, str]) -> list[list[BudgetRow]]:
    """The year's rows of ``budget.csv``, one list per replication of the batch."""
    units = list(frames)
    if not units:
        return [[] for _ in replications]
    # (units × arms, R) arrays of frames, outturns and surpluses (the same float differences as f − o one
    # by one), as Python floats per replication; the rows made by map and zip (no Python loop per row)
    frame = np.concatenate([np.asarray(frames[u][0], dtype=float) for u in units])
    outturn = np.concatenate([np.asarray(frames[u][1], dtype=float) for u in units])
    frames_by_rep, outturns_by_rep, surpluses_by_rep = frame.T.tolist(), outturn.T.tolist(), (frame - outturn).T.tolist()
    n_arms = np.asarray(frames[units[0]][0]).shape[0]
    arm_names = [ARMS[arm] for _ in units for arm in range(n_arms)]
    unit_names = [u for u in units for _ in range(n_arms)]
    bodies = [body_by_unit[u] for u in unit_names]
    out = []
    for r, replication in enumerate(replications):
        fields = zip(repeat(replication), arm_names, repeat(year), unit_names, bodies, frames_by_rep[r],
                     outturns_by_rep[r], surpluses_by_rep[r])
        out.append(list(map(tuple.__new__, repeat(BudgetRow), fields)))
    return out
