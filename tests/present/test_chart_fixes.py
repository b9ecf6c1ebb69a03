"""Issue 14's chart fixes: ticks shown exactly, a placements difference that is not a flat median,
coinciding rule lines named, no matplotlib warnings on a run without effect, and every chart's
data in a CSV beside it (written from the registry)."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from simulation.present import charts
from simulation.present.charts import CHARTS, charts_of
from simulation.present.charts.data import chart_data
from simulation.present.formatting import CountFormatter, tick_decimals
from tests.present.fixtures import run_config, run_folder, tables  # noqa: F401
from tests.present.test_charts import synthetic_repayment


def test_tick_decimals_show_every_tick_exactly():
    assert tick_decimals(np.array([-1.0, -0.75, -0.5, -0.25, 0.0])) == 2
    assert tick_decimals(np.array([-1.0, -0.8, -0.6, 0.0])) == 1
    assert tick_decimals(np.array([0.0, 500.0, 1000.0])) == 0
    formatter = CountFormatter("sv")
    formatter.set_locs([-1.0, -0.75, -0.5, -0.25, 0.0])
    # the bug: "−0,8" and "−0,2" for −0,75 and −0,25
    assert [formatter(x) for x in (-0.75, -0.25, 0.0)] == ["−0,75", "−0,25", "0,00"]


def test_children_placed_difference_is_the_mean_with_round_ticks(tables):  # noqa: F811
    population = tables["population"]
    fig = charts.figure_children_placed(population, "sv", charts.ChartContext(language="sv"))
    fig.canvas.draw() if hasattr(fig.canvas, "draw") else None
    ax = fig.axes[1]
    by_year = lambda arm: population[population.arm == arm].pivot_table(  # noqa: E731
        index="year", columns="replication", values="children_placed", aggfunc="mean")
    mean_diff = (by_year("intervention") - by_year("control")).mean(axis=1)
    lines = [ln for ln in ax.get_lines() if not ln.get_label().startswith("_")]
    assert [ln.get_label() for ln in lines] == ["skillnad, medelvärde (band: P10–P90)"]
    assert lines[0].get_ydata() == pytest.approx(mean_diff.to_numpy())
    # no median line: a median of a few children's difference is 0 almost everywhere
    ticks = ax.yaxis.get_majorticklocs()
    steps = np.diff(ticks)
    assert np.allclose(steps, steps[0])
    mantissa = steps[0] / 10 ** np.floor(np.log10(steps[0]))
    assert min(abs(mantissa - m) for m in (1, 2, 5, 10)) < 1e-9, ticks


def test_fund_balance_names_rules_whose_lines_coincide():
    repayment, _, _ = synthetic_repayment()
    twin = repayment.assign(rule="twin")
    other = repayment.assign(rule="other", fund_balance_sek=repayment["fund_balance_sek"] - 50.0)
    both = pd.concat([repayment, twin, other])
    ctx = charts.ChartContext(language="en", rule_labels={"demo": "Demo", "twin": "Twin", "other": "Other"})
    fig = charts.figure_fund_balance(both, "en", ctx)
    labels = [ln.get_label() for ln in fig.axes[0].get_lines() if not ln.get_label().startswith("_")]
    assert labels == ["Demo = Twin", "Other"]          # one line for the two identical rules, named together
    assert "The same balance under Demo, Twin" in fig.get_supxlabel().replace("\n", " ")
    assert charts.repayment.coinciding({"a": pd.DataFrame([[1.0]]), "b": pd.DataFrame([[2.0]])}) == [["a"], ["b"]]


@pytest.fixture(scope="module")
def no_effect_tables(tmp_path_factory):
    """A run without intervention: both arms identical, every difference zero."""
    from simulation.core.runner import run
    from tests.support import make_config
    results = run(make_config("intervention=none", "replications=2", "horizon_years=4"), progress=False)
    tables = {name: getattr(results, name) for name in ("ledger", "population", "repayment", "years",
                                                        "per_replication", "summary", "budget")}
    return tables, results.config


def test_charts_of_a_run_without_intervention_draw_without_warnings(no_effect_tables, tmp_path):
    from dataclasses import asdict
    tables, config = no_effect_tables
    ctx = charts.ChartContext.from_config(asdict(config), "sv")
    with warnings.catch_warnings():
        warnings.simplefilter("error")      # "identical low and high ylims" was one
        paths = charts.run_charts(tables, ctx, tmp_path)
    assert set(paths) == {c.name for c in charts_of("run")}


def test_every_chart_writes_its_data_beside_it(tables, run_config, tmp_path):  # noqa: F811
    ctx = charts.ChartContext.from_config(run_config, "en")
    paths = charts.run_charts(tables, ctx, tmp_path)
    for name in (c.name for c in charts_of("run")):
        csv = tmp_path / f"{name}.csv"
        assert csv in paths[name]
        frame = pd.read_csv(csv)
        assert list(frame.columns) == ["panel", "series", "statistic", "x", "x_label", "y", "value"]
        assert len(frame) > 0 and frame["value"].notna().any(), name
    # the caseload chart's data are the table's numbers: the median and P10/P90 of households on EB
    frame = pd.read_csv(tmp_path / "eb_caseload.csv")
    pop = tables["population"]
    wide = pop[pop.arm == "control"].assign(date=lambda d: d.year + (d.month - 1) / 12).pivot_table(
        index="date", columns="replication", values="households_on_eb", aggfunc="sum")
    got = frame[(frame.series == "control arm") & (frame.statistic == "line")]
    assert got["value"].to_numpy() == pytest.approx(wide.median(axis=1).to_numpy())
    p90 = frame[(frame.series == "control arm") & (frame.statistic == "p90")]
    assert p90["value"].to_numpy() == pytest.approx(np.quantile(wide.to_numpy(float), 0.9, axis=1), rel=1e-9)


def test_chart_data_reads_bars_and_skips_reference_lines():
    from matplotlib.figure import Figure
    fig = Figure()
    ax = fig.subplots()
    ax.bar([0, 1], [3.0, -2.0], label="saving")
    ax.axhline(0)
    ax.plot([0, 1], [1.0, 2.0], label="net")
    data = chart_data(fig)
    assert set(data["series"]) == {"saving", "net"}
    bars = data[data.statistic == "bar"]
    assert bars["value"].tolist() == [3.0, -2.0]
    assert CHARTS  # the registry is what writes them (run_charts above)
