"""How much of the monthly sweep changes anything: the share of minor-months with an event, and of
present households on EB (docs/next-engine.md). Not a test; run from the repository's root:

    .venv/bin/python tests/benchmarks/event_share.py [OVERRIDE ...]

e.g. ``population=city population.households=10000 intervention=hela_familjen_oster
intervention.participants_households=500 horizon_years=20 replications=1``. An event is a risk
factor turning on or off, a protective factor lost, or a placement starting, in the children's
month (``ChildhoodProcess.step_fused``, the compiled path: run with ``SIFSIM_KERNELS=numba``).
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from _config import compose_config  # noqa: E402


def main(overrides: list[str]) -> dict[str, int]:
    import simulation.core.childhood as childhood
    from simulation.core.model import SifsimModel

    config = compose_config(["replications=4", *overrides])
    counts = {"minor_months": 0, "minor_months_with_event": 0, "household_months_present": 0,
              "household_months_on_eb": 0}
    step_fused = childhood.ChildhoodProcess.step_fused

    def counted(self, t, strength, draws, hooks, keep=None):
        ch, hh = self.children, self.households
        risk, protective, placed = ch.risk.copy(), ch.protective.copy(), ch.placement != 0
        kept: dict = {}
        step_fused(self, t, strength, draws, hooks, keep=kept)
        event = (ch.risk != risk).any(-1) | (ch.protective != protective).any(-1) | ((ch.placement != 0) & ~placed)
        counts["minor_months"] += int(kept["minors"].sum())
        counts["minor_months_with_event"] += int((event & kept["minors"]).sum())
        counts["household_months_present"] += int(hh.present.sum())
        counts["household_months_on_eb"] += int((hh.on_eb & hh.present).sum())

    childhood.ChildhoodProcess.step_fused = counted
    SifsimModel(config, replications=list(range(config.replications))).run()
    return counts


if __name__ == "__main__":
    c = main(sys.argv[1:])
    if not c["minor_months"]:
        sys.exit("event_share: the children's month ran on numpy's path (nothing counted): set SIFSIM_KERNELS=numba")
    print(c)
    print(f"minor-months with an event: {c['minor_months_with_event'] / max(c['minor_months'], 1):.1%}; "
          f"present households on EB: {c['household_months_on_eb'] / max(c['household_months_present'], 1):.1%}")
