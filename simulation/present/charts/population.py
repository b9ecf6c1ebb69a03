"""The intervention's effect on the population: households on EB, children placed in care."""

from __future__ import annotations

import pandas as pd
from matplotlib.figure import Figure

from simulation.present.charts.context import ChartContext, t
from simulation.present.charts.registry import chart
from matplotlib.ticker import MaxNLocator

from simulation.present.charts.style import PALETTE, band_handle, bands, legend_above, new_figure, plot_band, \
    shade_project, year_axis
from simulation.present.formatting import CountFormatter


def common_window(population: pd.DataFrame) -> tuple[pd.DataFrame, bool]:
    """A portfolio's population rows in the months every grant is simulated (each grant has its
    own area and years: summing outside the common months would show grants coming and going)."""
    if "grant" not in population.columns or population["grant"].nunique() < 2:
        return population, False
    months = population["year"] * 12 + population["month"]
    sets = [set(months[population["grant"] == g]) for g in population["grant"].unique()]
    common = set.intersection(*sets)
    if not common:
        first = population["grant"].iloc[0]
        return population[population["grant"] == first], True
    return population[months.isin(common)], True


def _monthly(population: pd.DataFrame, arm: str, column: str) -> pd.DataFrame:
    frame = population[population["arm"] == arm]
    date = frame["year"] + (frame["month"] - 1) / 12
    return frame.assign(date=date).pivot_table(index="date", columns="replication", values=column,
                                               aggfunc="sum")


def _yearly_mean(population: pd.DataFrame, arm: str, column: str) -> pd.DataFrame:
    frame = population[population["arm"] == arm]
    return frame.pivot_table(index="year", columns="replication", values=column, aggfunc="mean")


def _remark(language: str, portfolio: bool) -> str:
    return t(language, "portfolio_population") if portfolio else ""


@chart("eb_caseload", tables=("population",), title="eb_title")
def figure_eb_caseload(population: pd.DataFrame, ctx: ChartContext) -> tuple[Figure, str]:
    """EB households per month in both arms; the difference in households and cumulative exits."""
    language = ctx.language
    everything = population
    population, portfolio = common_window(population)
    fig = new_figure(4.3)
    ax1, ax2 = fig.subplots(2, 1, sharex=True, height_ratios=[1.2, 1])
    for arm in ("control", "intervention"):
        wide = _monthly(population, arm, "households_on_eb")
        plot_band(ax1, wide.index, wide, PALETTE[arm], t(language, arm))
    ax1.set_ylabel(t(language, "eb_y"))
    ax1.yaxis.set_major_formatter(CountFormatter(language))
    project = shade_project(ax1, ctx)
    h1, l1 = ax1.get_legend_handles_labels()
    extra = [band_handle()] + ([project] if project else [])
    legend_above(ax1, h1 + extra, l1 + [t(language, "band")] + ([t(language, "project")] if project else []))

    diff_h = _monthly(population, "intervention", "households_on_eb") - \
        _monthly(population, "control", "households_on_eb")
    # extra exits counted from each grant's own start, then summed over grants in the window shown
    parts = [(_monthly(g, "intervention", "eb_exits") - _monthly(g, "control", "eb_exits")).cumsum()
             for _, g in (everything.groupby("grant", sort=False) if portfolio else [(None, everything)])]
    diff_x = sum(part.reindex(diff_h.index).fillna(0.0) for part in parts)
    plot_band(ax2, diff_h.index, diff_h, PALETTE["difference"], t(language, "eb_diff_households"))
    plot_band(ax2, diff_x.index, diff_x, PALETTE["exits"], t(language, "eb_diff_exits"), linestyle="--")
    _difference_panel(ax2, ctx, "eb_diff_y", annual=False)
    return fig, _remark(language, portfolio)


@chart("children_placed", tables=("population",), title="placed_title")
def figure_children_placed(population: pd.DataFrame, ctx: ChartContext) -> tuple[Figure, str]:
    """Children placed outside the home (yearly mean of the monthly count), both arms, and the difference."""
    language = ctx.language
    population, portfolio = common_window(population)
    fig = new_figure(3.9)
    ax1, ax2 = fig.subplots(2, 1, sharex=True, height_ratios=[1.2, 1])
    for arm in ("control", "intervention"):
        wide = _yearly_mean(population, arm, "children_placed")
        plot_band(ax1, wide.index, wide, PALETTE[arm], t(language, arm), marker="o", markersize=2)
    ax1.set_ylabel(t(language, "placed_y"))
    ax1.yaxis.set_major_formatter(CountFormatter(language))
    # at least one child of head room: with no placements in either arm the axis would be singular
    ax1.set_ylim(bottom=0, top=max(1.0, float(ax1.get_ylim()[1])))
    project = shade_project(ax1, ctx, annual=True)
    h1, l1 = ax1.get_legend_handles_labels()
    extra = [band_handle()] + ([project] if project else [])
    legend_above(ax1, h1 + extra, l1 + [t(language, "band")] + ([t(language, "project")] if project else []))
    diff = _yearly_mean(population, "intervention", "children_placed") - \
        _yearly_mean(population, "control", "children_placed")
    # a difference of a few children is 0 in the median almost every year (a flat line on the zero
    # axis that says nothing): the mean shows the expected effect, the band its spread
    lo, _, hi = bands(diff)
    ax2.fill_between(diff.index, lo, hi, color=PALETTE["difference"], alpha=0.22, linewidth=0)
    ax2.plot(diff.index, diff.mean(axis=1), color=PALETTE["difference"], marker="o", markersize=2,
             label=t(language, "placed_diff_mean"))
    _difference_panel(ax2, ctx, "placed_diff_y", annual=True)
    # round ticks (−1, −0,5, 0 or −0,8, −0,6 …), each shown exactly
    ax2.yaxis.set_major_locator(MaxNLocator(nbins=5, steps=[1, 2, 5, 10]))
    return fig, _remark(language, portfolio)


def _difference_panel(ax, ctx: ChartContext, ylabel: str, *, annual: bool) -> None:
    """The lower panel (intervention − control) of the population charts."""
    language = ctx.language
    ax.axhline(0, color="#000000", linewidth=0.6)
    ax.set_ylabel(t(language, ylabel))
    ax.set_xlabel(t(language, "year"))
    ax.yaxis.set_major_formatter(CountFormatter(language))
    shade_project(ax, ctx, annual=annual)
    year_axis(ax)
    handles, labels = ax.get_legend_handles_labels()
    legend_above(ax, handles, labels)
