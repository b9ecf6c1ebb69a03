"""The chart registry, and what present/ may import."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from simulation.present import charts
from simulation.present.charts import CHARTS, chart, charts_of

PRESENT = Path(charts.__file__).resolve().parents[1]


def test_the_registry_holds_the_run_and_sweep_charts():
    assert [c.name for c in charts_of("run")] == ["repayment_timeline", "repayment_waterfall", "budget_pressure",
                                                 "fund_balance", "who_saves", "budget_frames", "eb_caseload",
                                                 "children_placed"]
    assert [c.name for c in charts_of("sweep")] == ["sweep_heatmap", "sweep_heatmap_attributable_saving_pv_sek",
                                                   "sweep_heatmap_peak_budget_pressure_posts",
                                                   "tornado_p_full_repayment", "tornado_repaid_share",
                                                   "tornado_attributable_saving_pv_sek",
                                                   "tornado_peak_budget_pressure_posts"]
    for c in CHARTS.values():
        assert c.tables and all(isinstance(t, str) for t in c.tables), c.name
        assert c.kind in ("run", "sweep")


def test_a_chart_name_is_registered_once():
    with pytest.raises(ValueError, match="registered twice"):
        chart("fund_balance", tables=("repayment",), title="fund_title")(lambda repayment, ctx: None)


def test_present_imports_nothing_from_app():
    """present/ draws and writes from tables: the run folder's I/O belongs to app/ (issue #10)."""
    offenders = []
    for path in PRESENT.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = [node.module or ""] if isinstance(node, ast.ImportFrom) else \
                [a.name for a in node.names] if isinstance(node, ast.Import) else []
            offenders += [f"{path.relative_to(PRESENT)}: {n}" for n in names if n.startswith("simulation.app")]
    assert offenders == []
