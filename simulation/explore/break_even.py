"""What you need to believe: the value of one key (the effect scale) at which a rule starts to work.

Per rule, bisection on ``explore.break_even.key`` between ``low`` and ``high`` for the point
where P(full repayment) reaches ``target_p_full``; and once for all rules, where the present
value of the attributable saving turns positive. Every evaluation runs the same paired
replications (the base config's seed at every value: common random numbers), so the estimate
moves with the key, not with the draws. Bisection assumes the outcome grows with the key over
[low, high]; a bracket that does not straddle the target is reported as such, not guessed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import pandas as pd


@dataclass(frozen=True)
class Crossing:
    """Where ``outcome`` of ``rule`` reaches ``target`` as the key moves (``value`` NaN unless found)."""

    rule: str
    outcome: str
    target: float
    value: float
    status: str               # found, already_at_low, not_reached
    low: float                # the last bracket
    high: float
    evaluations: int


def bisect(f: Callable[[float], float], low: float, high: float, target: float, iterations: int,
           rule: str = "", outcome: str = "") -> Crossing:
    """The smallest key value (to (high − low) / 2^iterations) at which ``f(x) >= target``.

    ``f`` is evaluated at most ``iterations + 2`` times (``low``, ``high``, then the midpoints);
    the reported value is the upper end of the last bracket, where ``f`` is known to reach the target.
    """
    calls = 0

    def g(x: float) -> float:
        nonlocal calls
        calls += 1
        return f(x)

    f_low = g(low)
    if f_low >= target:
        return Crossing(rule, outcome, target, float(low), "already_at_low", low, low, calls)
    f_high = g(high)
    if f_high < target:
        return Crossing(rule, outcome, target, float("nan"), "not_reached", low, high, calls)
    lo, hi = low, high
    for _ in range(iterations):
        mid = (lo + hi) / 2.0
        if g(mid) >= target:
            hi = mid
        else:
            lo = mid
    return Crossing(rule, outcome, target, float(hi), "found", lo, hi, calls)


def crossings_table(crossings: list[Crossing], key: str) -> pd.DataFrame:
    return pd.DataFrame([{"key": key, **c.__dict__} for c in crossings])
