"""How much of the two arms is the same agent in the same state: the share of household-months and
child-months, among the agents present in either arm, whose every state array is equal in the
control and the intervention arm at the end of the month (docs/next-engine.md: an arm layout that
stores and steps the intervention arm only where it differs from the control arm). Not a test; run
from the repository's root:

    .venv/bin/python tests/benchmarks/arm_identity.py [OVERRIDE ...]

e.g. ``population=city population.households=10000 intervention=hela_familjen_oster
intervention.participants_households=500 horizon_years=20 replications=1``. Also split by year, so
that the project years (where the intervention works) and the years after show apart.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from _config import compose_config  # noqa: E402


def same_in_both_arms(population, names: tuple[str, ...]) -> tuple[np.ndarray, np.ndarray]:
    """(present in either arm, every state array equal in arms 0 and 1) over (R, window)."""
    present = population.present[0] | population.present[1]
    same = np.ones(present.shape, dtype=bool)
    for name in names:
        values = getattr(population, name)
        equal = values[0] == values[1]
        same &= equal.reshape(equal.shape[:2] + (-1,)).all(-1) if equal.ndim > 2 else equal
    return present, same


def main(overrides: list[str]) -> dict[str, dict[int, list[int]]]:
    from simulation.core.model import SifsimModel
    config = compose_config(["replications=2", *overrides])
    model = SifsimModel(config, replications=list(range(config.replications)))
    counts: dict[str, dict[int, list[int]]] = {"households": {}, "children": {}}
    while model.running:
        model.step()
        year = model.calendar.year(model.month - 1)
        for kind, population in (("households", model.households), ("children", model.children)):
            if len(population) == 0:
                continue
            present, same = same_in_both_arms(population, population.STATE)
            row = counts[kind].setdefault(year, [0, 0])
            row[0] += int(present.sum())
            row[1] += int((present & same).sum())
    return counts


if __name__ == "__main__":
    result = main(sys.argv[1:])
    for kind, by_year in result.items():
        total = np.array(list(by_year.values())).sum(0)
        print(f"{kind}: {total[1]:,} of {total[0]:,} agent-months present are the same in both arms "
              f"({total[1] / max(total[0], 1):.1%})")
        print("  by year: " + ", ".join(f"{y} {s / max(p, 1):.0%}" for y, (p, s) in sorted(by_year.items())))
