"""``runner.run_outcomes``: the per-replication outcomes of a run without the tables they are not
made from (what ``sifsim explore`` runs at every design point, issue 15): the same table as
``run(config).per_replication``, to the bit, for one grant and for a fund portfolio, serially
and in workers."""

from __future__ import annotations

import pandas as pd
import pytest

from simulation.core import runner
from simulation.core.runner import run, run_outcomes
from tests.support import make_config


@pytest.mark.parametrize("overrides", [
    ("replications=3", "horizon_years=8"),
    ("+experiment=malmo_fund", "replications=2", "horizon_years=8"),      # a portfolio: fund totals
    ("replications=4", "horizon_years=6", "workers=2"),                    # batches in worker processes
], ids=["one_grant", "portfolio", "workers"])
def test_the_outcomes_are_the_runs_to_the_bit(overrides):
    config = make_config(*overrides)
    whole = run(config)
    outcomes = run_outcomes(config)
    pd.testing.assert_frame_equal(outcomes, whole.per_replication, check_exact=True)
    assert len(outcomes) == config.replications * whole.per_replication["rule"].nunique() > 0


def test_the_tables_outcomes_do_not_need_are_not_collected(monkeypatch):
    """The batches collect no population, participants or budget rows, and no summary is made
    (a run collects and makes all of them)."""
    config = make_config("replications=2", "horizon_years=4")
    seen: list[dict[str, list]] = []
    collect = runner.simulate_rows

    def spy(*args, **kwargs):
        out = collect(*args, **kwargs)
        seen.append(out)
        return out

    monkeypatch.setattr(runner, "simulate_rows", spy)
    summarised = []
    monkeypatch.setattr(runner, "summarise", lambda per_rep: summarised.append(1) or pd.DataFrame())
    run_outcomes(config)
    assert seen and all(not part[name] for part in seen for name in ("population", "participants", "budget"))
    assert all(part["ledger"] and part["repayment"] and part["years"] for part in seen)
    assert not summarised
    seen.clear()
    run(config)
    assert all(part[name] for part in seen for name in runner.ROW_TABLES)
    assert summarised
