"""Charts from a run folder's tables (matplotlib; PNG + SVG; labels in Swedish or English).

Every chart is drawn at A4 half-width (8.5 cm) with type of at least 6 pt, in the Okabe–Ito
palette (readable with the common colour-vision deficiencies), and carries a note with the key
assumptions and the number of replications. Money is shown as tkr/kSEK or mkr/MSEK with the
price year.

Each chart is declared once, in :data:`CHARTS` (see :mod:`.registry`), by the module of its
family: :mod:`.repayment`, :mod:`.payers`, :mod:`.population`, :mod:`.sweep`. Its
``figure_<name>(...) -> Figure`` builder is what the tests read titles, labels and legends
from; :func:`run_charts` and the report iterate the registry.
"""

# the order of these imports is the order of the charts in the report: repayment first
from simulation.present.charts import repayment  # noqa: I001
from simulation.present.charts import payers, budget, population, sweep
from simulation.present.charts.context import ChartContext, key_name, metric_name, payer_name, rule_label, \
    rule_title
from simulation.present.charts.budget import figure_budget_frames, surplus_by_year
from simulation.present.charts.payers import figure_who_saves, saving_by_payer_year
from simulation.present.charts.population import common_window, figure_children_placed, figure_eb_caseload
from simulation.present.charts.registry import CHARTS, Chart, chart, charts_of, run_charts, sweep_charts
from simulation.present.charts.repayment import figure_budget_pressure, figure_fund_balance, \
    figure_repayment_timeline, figure_repayment_waterfall, fund_level
from simulation.present.charts.style import DPI, WIDTH_IN, house_style, save
from simulation.present.charts.sweep import SweepContext, completed, figure_sweep_heatmap, figure_tornado, \
    same_value, sorted_levels, swept_keys, swings

__all__ = [
    "CHARTS", "Chart", "budget", "figure_budget_frames", "surplus_by_year", "ChartContext", "DPI", "SweepContext", "WIDTH_IN", "chart", "charts_of", "common_window",
    "completed", "figure_budget_pressure", "figure_children_placed", "figure_eb_caseload", "figure_fund_balance",
    "figure_repayment_timeline", "figure_repayment_waterfall", "figure_sweep_heatmap", "figure_tornado",
    "figure_who_saves", "fund_level", "house_style", "key_name", "metric_name", "payer_name", "payers",
    "population", "repayment", "rule_label", "rule_title", "run_charts", "same_value", "save",
    "saving_by_payer_year", "sorted_levels", "sweep", "sweep_charts", "swept_keys", "swings",
]
