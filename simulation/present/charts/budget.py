"""Budget frames: the EB unit's surplus against its frame in both arms (issue 12, budget.csv)."""

from __future__ import annotations

import pandas as pd
from matplotlib.figure import Figure

from simulation.present.charts.context import ChartContext, t
from simulation.present.charts.registry import chart
from simulation.present.charts.style import PALETTE, band_handle, legend_above, new_figure, plot_band, \
    shade_project, year_axis
from simulation.present.formatting import money_scale

#: the unit whose frame the chart shows: the one that holds most of the saving (EB)
BUDGET_CHART_UNIT = "eb_unit"


def surplus_by_year(budget: pd.DataFrame, arm: str, unit: str = BUDGET_CHART_UNIT) -> pd.DataFrame:
    """The unit's surplus (frame − outturn) per year row and replication column, summed over grants."""
    rows = budget[(budget["arm"] == arm) & (budget["unit"] == unit)]
    return rows.pivot_table(index="year", columns="replication", values="surplus_sek", aggfunc="sum",
                            fill_value=0.0)


@chart("budget_frames", tables=("budget",), title="budget_title", note="budget_note")
def figure_budget_frames(budget: pd.DataFrame, ctx: ChartContext) -> Figure:
    """The EB unit's surplus against its frame, intervention and control arm (median, P10–P90)."""
    language = ctx.language
    wides = {arm: surplus_by_year(budget, arm) for arm in ("control", "intervention")}
    money = money_scale(pd.concat(wides.values(), axis=1).to_numpy().ravel(), language)
    fig = new_figure(3.4)
    ax = fig.subplots()
    for arm, wide in wides.items():
        plot_band(ax, wide.index, wide, PALETTE[arm], t(language, arm))
    ax.axhline(0, color="#000000", linewidth=0.6)   # below it the unit spends more than its frame
    handles, labels = ax.get_legend_handles_labels()
    project = shade_project(ax, ctx, annual=True)
    extra = [band_handle()] + ([project] if project else [])
    ax.yaxis.set_major_formatter(money.formatter(language))
    ax.set_ylabel(money.label(language, ctx.price_year))
    ax.set_xlabel(t(language, "year"))
    year_axis(ax)
    legend_above(ax, handles + extra, labels + [t(language, "band")] + ([t(language, "project")] if project else []))
    return fig
