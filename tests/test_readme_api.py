"""README "From Python": the block runs as written, and the DataCollector's series are the model's own counts."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd

README = Path(__file__).resolve().parents[1] / "README.md"


def readme_python_block() -> str:
    section = README.read_text(encoding="utf-8").split("## From Python", 1)[1].split("\n## ", 1)[0]
    (block,) = re.findall(r"```python\n(.*?)```", section, re.S)
    return block


def test_the_readme_python_example_runs_and_its_series_match_the_tables(capsys):
    scope: dict = {}
    exec(compile(readme_python_block(), "README.md#from-python", "exec"), scope)  # noqa: S102
    model, series, out = scope["model"], scope["series"], scope["out"]
    from simulation.core.model import MONTH_SERIES
    assert list(series.columns) == list(MONTH_SERIES)
    assert len(series) == model.n_months
    population = pd.DataFrame(model.population_rows, columns=["replication", "arm", "year", "month",
                                                               "households_on_eb", "eb_exits", "eb_entries",
                                                               "children_placed"])
    for arm in ("intervention", "control"):
        rows = population[population["arm"] == arm]
        for what in ("households_on_eb", "eb_exits", "eb_entries", "children_placed"):
            assert np.array_equal(series[f"{what}_{arm}"].to_numpy(), rows[what].to_numpy()), (what, arm)
    # the monthly costs add up to everything the arm's ledger holds, to the krona
    for arm_index, arm in enumerate(("intervention", "control")):
        total = model.ledger.month_total(arm_index, slice(0, model.n_months))
        assert abs(series[f"cost_sek_{arm}"].sum() - total) < 1.0
    # batch_run returned the series for both scales and both replications
    assert set(out["effect_scale"]) == {0.0, 1.0} and set(out["replication"]) == {0, 1}
    assert {"eb_exits_control", "cost_sek_intervention"} <= set(out.columns)
    last = out[out["Step"] == out["Step"].max()]
    # the control arm is the same whatever the effect scale (same seeds); the intervention arm is not
    by_scale = last.set_index(["effect_scale", "replication"]).sort_index()
    assert np.array_equal(by_scale.loc[0.0, "households_on_eb_control"], by_scale.loc[1.0, "households_on_eb_control"])
    printed = capsys.readouterr().out
    assert "households_on_eb_intervention" in printed and "arm" in printed
