"""Scenario discovery with PRIM (Friedman & Fisher 1999; the standalone ``prim`` package, Project Platypus).

``prim`` is GPL-3.0-or-later and sifsim is MIT, so it is the optional extra ``discovery``
(``pip install -e '.[discovery]'``; ``make test`` installs it), not a dependency: without it a study
still runs its design, indices and break-even, and says once, before the first run, that the boxes
are left out and how to get them (:data:`PRIM_MISSING`). README "Dependencies and licences".

For a boolean "the rule works" over the design points, PRIM peels the factor space to a box
where the rule works in most points (density) while holding most of the points where it works
(coverage). The box reported is the densest step of the peeling trajectory whose coverage is at
least ``min_coverage``; the whole trajectory is kept for the trade-off chart.
"""

from __future__ import annotations

import importlib.util
import warnings
from dataclasses import dataclass, field

import numpy as np
import pandas as pd


PRIM_PACKAGE = "prim"
PRIM_MISSING = ("scenario discovery (PRIM boxes) is left out: it needs the optional package prim "
                "(GPL-3.0-or-later, so sifsim (MIT) does not install it by default); install it with "
                "`pip install -e '.[discovery]'` (make test does); the design, indices and break-even run without it")


class PrimMissing(RuntimeError):
    """The optional ``prim`` package is not installed (:data:`PRIM_MISSING` says what to do)."""

    def __init__(self) -> None:
        super().__init__(PRIM_MISSING)


def prim_available() -> bool:
    """Whether the optional ``prim`` package (extra ``discovery``) can be imported."""
    return importlib.util.find_spec(PRIM_PACKAGE) is not None


@dataclass
class Box:
    """One PRIM box: its limits on the restricted factors, coverage and density, the trajectory."""

    limits: pd.DataFrame                  # index factor; columns min, max (only restricted factors)
    coverage: float
    density: float
    mass: float
    step: int                             # the chosen step of the trajectory
    trajectory: pd.DataFrame              # coverage, density, mass, res dim per peeling step
    ranges: dict = field(default_factory=dict)   # factor -> (min, max) over all points
    cases: int = 0                        # points where the rule works
    points: int = 0


def find_box(x: pd.DataFrame, works: np.ndarray, *, peel_alpha: float = 0.05,
             min_coverage: float = 0.8) -> Box | None:
    """The PRIM box of ``works`` over the factors ``x``; ``None`` if the rule works nowhere or everywhere.

    Raises :class:`PrimMissing` when the optional ``prim`` package is not installed.
    """
    works = np.asarray(works, dtype=bool)
    if works.all() or not works.any():
        return None
    if not prim_available():
        raise PrimMissing()
    import prim
    x = x.reset_index(drop=True).astype(float)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)    # the package's pandas idioms, not ours
        p = prim.Prim(x, works, threshold=0.5, threshold_type=">", peel_alpha=peel_alpha, paste_alpha=peel_alpha)
        box = p.find_box()
        trajectory = box.peeling_trajectory[["coverage", "density", "mass", "res dim"]].astype(float).reset_index(drop=True)
        ok = trajectory.index[trajectory["coverage"] >= min_coverage - 1e-12]
        step = int(trajectory.loc[ok, "density"].idxmax()) if len(ok) else 0
        box.select(step)
        limits = box.limits[["min", "max"]].astype(float)
    ranges = {c: (float(x[c].min()), float(x[c].max())) for c in x.columns}
    row = trajectory.loc[step]
    return Box(limits=limits, coverage=float(row["coverage"]), density=float(row["density"]),
               mass=float(row["mass"]), step=step, trajectory=trajectory, ranges=ranges,
               cases=int(works.sum()), points=int(works.size))


def conditions(box: Box, tol: float = 1e-9) -> list[tuple[str, str, float]]:
    """(factor, ">=" | "<=", value) for each box side that is tighter than the design's range."""
    out = []
    for factor, (lo, hi) in box.limits.iterrows():
        full_lo, full_hi = box.ranges.get(factor, (lo, hi))
        if lo > full_lo + tol:
            out.append((str(factor), ">=", float(lo)))
        if hi < full_hi - tol:
            out.append((str(factor), "<=", float(hi)))
    return out
