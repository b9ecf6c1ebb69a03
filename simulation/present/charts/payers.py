"""Who saves: the attributable saving by payer (unit, committee, region, state) and year."""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from simulation.present.charts.context import ChartContext, payer_name, t
from simulation.present.charts.registry import chart
from simulation.present.charts.style import OKABE_ITO, PALETTE, legend_above, new_figure, shade_project, year_axis
from simulation.present.formatting import money_scale

MAX_PAYERS = 6   # the largest payers by total saving get a colour each; the rest are "other payers"


def saving_by_payer_year(ledger: pd.DataFrame) -> pd.DataFrame:
    """Attributable saving per (year, payer) row and replication column, financing excluded, zeros filled."""
    from simulation.accounting.ledger import savings_by  # the one definition of a saving
    per = savings_by(ledger, ["replication", "year", "payer"])
    per["payer"] = per["payer"].astype(str)
    full = per.pivot_table(index=["year", "payer"], columns="replication", values="saving_sek",
                           aggfunc="sum", fill_value=0.0)
    reps = sorted(ledger["replication"].unique())
    years = sorted(ledger["year"].unique())
    payers = sorted(per["payer"].unique())
    index = pd.MultiIndex.from_product([years, payers], names=["year", "payer"])
    return full.reindex(index=index, columns=reps, fill_value=0.0)


@chart("who_saves", tables=("ledger",), title="who_title", note="who_note")
def figure_who_saves(ledger: pd.DataFrame, ctx: ChartContext) -> Figure:
    """Stacked bars: median attributable saving by payer and year; a dot for the net median."""
    language = ctx.language
    full = saving_by_payer_year(ledger)
    medians = full.median(axis=1).unstack("payer")           # year x payer
    total_by_payer = full.groupby(level="payer").sum().median(axis=1)
    ranked = total_by_payer.abs().sort_values(ascending=False, kind="mergesort")
    keep = list(ranked[ranked > 0].index[:MAX_PAYERS])
    rest = [p for p in medians.columns if p not in keep]
    shown = medians[keep].copy()
    if rest and medians[rest].abs().to_numpy().sum() > 0:
        shown["__other__"] = medians[rest].sum(axis=1)
    net = full.groupby(level="year").sum().median(axis=1).reindex(shown.index)
    money = money_scale(np.concatenate([shown.clip(lower=0).sum(axis=1).to_numpy(),
                                        shown.clip(upper=0).sum(axis=1).to_numpy(), net.to_numpy()]), language)

    fig = new_figure(3.7)
    ax = fig.subplots()
    x = shown.index.to_numpy()
    pos_base = np.zeros(len(x))
    neg_base = np.zeros(len(x))
    colours = [c for c in OKABE_ITO if c != "#000000"]
    handles, labels = [], []
    for i, payer in enumerate(shown.columns):
        values = shown[payer].to_numpy()
        colour = PALETTE["other"] if payer == "__other__" else colours[i % len(colours)]
        pos = np.clip(values, 0, None)
        neg = np.clip(values, None, 0)
        ax.bar(x, pos, bottom=pos_base, color=colour, width=0.78, linewidth=0)
        ax.bar(x, neg, bottom=neg_base, color=colour, width=0.78, linewidth=0)
        pos_base += pos
        neg_base += neg
        handles.append(Patch(facecolor=colour, linewidth=0))
        labels.append(t(language, "who_other") if payer == "__other__" else payer_name(payer, language))
    ax.plot(x, net.to_numpy(), linestyle="none", marker="o", markersize=2.6, color=PALETTE["net"])
    handles.append(Line2D([], [], linestyle="none", marker="o", markersize=2.6, color=PALETTE["net"]))
    labels.append(t(language, "who_net"))
    ax.axhline(0, color="#000000", linewidth=0.6)
    project = shade_project(ax, ctx, annual=True)
    if project:
        handles.append(project)
        labels.append(t(language, "project"))
    ax.yaxis.set_major_formatter(money.formatter(language))
    ax.set_ylabel(money.label(language, ctx.price_year))
    ax.set_xlabel(t(language, "year"))
    year_axis(ax)
    legend_above(ax, handles, labels, ncols=2)
    return fig
