"""The sweep charts also draw the decision metrics that move, and the tornado's labels never collide."""

from __future__ import annotations

import pandas as pd
import pytest

from simulation.present import charts
from simulation.present.charts import CHARTS


def sweep(values: dict) -> pd.DataFrame:
    """A sweep over (elasticity, effect) with P(full) flat at 0 and two moving metrics; per rule a, b."""
    rows = []
    for job, ((el, e), (pv, posts)) in enumerate(values.items()):
        for rule in ("a", "b"):
            for metric, v in (("p_full_repayment", 0.0), ("attributable_saving_pv_sek", pv),
                              ("peak_budget_pressure_posts", posts + (0.5 if rule == "b" else 0.0))):
                rows.append({"job": job, "status": "ok", "elasticity": el, "intervention.effect_scale": e,
                             "replications": 10, "rule": rule, "metric": metric, "mean": v, "p10": v, "p50": v,
                             "p90": v, "error": None})
    return pd.DataFrame(rows)


# effect 1 is the baseline; both ends of the elasticity swing lie above the default (same side), close together
GRID = {(0.8, 1.0): (21.0e6, 1.0), (1.2, 1.0): (20.0e6, 1.2), (1.6, 1.0): (21.5e6, 1.4),
        (0.8, 0.5): (10.0e6, 1.1), (1.2, 0.5): (11.0e6, 1.3), (1.6, 0.5): (12.0e6, 1.5),
        (0.8, 1.5): (30.0e6, 0.9), (1.2, 1.5): (31.0e6, 1.0), (1.6, 1.5): (32.0e6, 1.2)}
BASELINE = {"elasticity": 1.2, "intervention.effect_scale": 1.0}


def title(ax) -> str:
    """An axes' title wherever it sits (the house style puts titles on the left)."""
    return next((ax.get_title(loc) for loc in ("left", "center", "right") if ax.get_title(loc)), "")


def text_boxes(fig, ax):
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    canvas = FigureCanvasAgg(fig)
    canvas.draw()
    renderer = canvas.get_renderer()
    return [(t.get_text(), t.get_window_extent(renderer)) for t in ax.texts]


@pytest.mark.parametrize("metric", ["p_full_repayment", "attributable_saving_pv_sek"])
def test_tornado_value_labels_never_overlap_even_when_both_ends_are_on_one_side(metric):
    fig = charts.figure_tornado(sweep(GRID), BASELINE, "sv", metric=metric, rule="a")
    ax = next(a for a in fig.axes if title(a))
    boxes = text_boxes(fig, ax)
    assert len(boxes) == 4                           # two labels per swept key
    for i, (ti, bi) in enumerate(boxes):
        for tj, bj in boxes[i + 1:]:
            assert not bi.overlaps(bj), f"{ti!r} and {tj!r} overlap"
    # the elasticity row: its smaller value (1.2 → 20.0e6 is the default; 0.8 → 21.0e6 < 1.6 → 21.5e6)
    # puts "0,8" on the left of the row and "1,6" on the right
    if metric == "attributable_saving_pv_sek":
        by_text = {t: b for t, b in boxes}
        assert by_text["0,8"].x1 < by_text["1,6"].x0


def test_a_rule_independent_metric_is_one_panel_and_a_rule_dependent_one_a_panel_per_rule():
    table = sweep(GRID)
    pv = charts.figure_tornado(table, BASELINE, "en", metric="attributable_saving_pv_sek")
    posts = charts.figure_tornado(table, BASELINE, "en", metric="peak_budget_pressure_posts")
    assert [title(a) for a in pv.axes if title(a)] == ["all rules"]
    assert [title(a) for a in posts.axes if title(a)] == ["A", "B"]


def test_heatmaps_and_tornados_of_the_moving_metrics_are_registered_and_show_the_values(tmp_path):
    table = sweep(GRID)
    context = charts.SweepContext.from_summary(table, "en", BASELINE)
    for name in ("sweep_heatmap_attributable_saving_pv_sek", "sweep_heatmap_peak_budget_pressure_posts",
                 "tornado_attributable_saving_pv_sek", "tornado_peak_budget_pressure_posts"):
        assert CHARTS[name].wanted(context)
        paths = CHARTS[name].save({"sweep_summary": table}, context, tmp_path)
        assert [p.name for p in paths] == [f"{name}.png", f"{name}.svg", f"{name}.csv"]
    fig = charts.figure_sweep_heatmap(table, "elasticity", "intervention.effect_scale", "en",
                                      metric="attributable_saving_pv_sek")
    ax = next(a for a in fig.axes if title(a))
    cells = {tuple(round(v) for v in t.get_position()): t.get_text() for t in ax.texts}
    assert cells[(0, 1)] == "21.0" and cells[(2, 2)] == "32.0"        # MSEK, elasticity × effect
    assert "Attributable saving, present value over two swept assumptions" in fig._suptitle.get_text().replace("\n", " ")
    flat = charts.figure_sweep_heatmap(table, "elasticity", "intervention.effect_scale", "en")
    values = {t.get_text() for a in flat.axes if title(a) for t in a.texts}
    assert values == {"0"}                                          # P(full) flat: why the others are drawn
