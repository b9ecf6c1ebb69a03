"""Does the money come back: the grant and repayments per rule, from claimed saving to repayment,
and the fund's cash."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.ticker import MaxNLocator

from simulation.present.charts.context import ChartContext, t
from simulation.present.charts.registry import chart
from simulation.present.charts.style import PALETTE, RULE_COLOURS, RULE_STYLES, band_handle, legend_above, \
    new_figure, panels_with_legend_row, plot_band, shade_project, wrap, year_axis
from simulation.present.formatting import CountFormatter, fmt_percent, money_scale


def fund_level(repayment: pd.DataFrame) -> pd.DataFrame:
    """The fund's own rows: a portfolio run adds ``grant == "fund"`` totals to each grant's rows."""
    if "grant" in repayment.columns and (repayment["grant"] == "fund").any():
        return repayment[repayment["grant"] == "fund"]
    return repayment


def rules_of(table: pd.DataFrame) -> list[str]:
    """The rules of a table, in the order they first appear."""
    return list(dict.fromkeys(table["rule"].tolist()))


def year_fully_repaid_median(per_replication: pd.DataFrame, rule: str) -> float:
    """Median year of full repayment, "never" (NaN) counting as later than any year.

    The same convention as the summary table (simulation.core.runner.summarise).
    """
    values = per_replication.loc[per_replication["rule"] == rule, "year_fully_repaid"].to_numpy(dtype=float)
    if values.size == 0:
        return float("nan")
    filled = np.where(np.isnan(values), np.inf, values)
    q = float(np.quantile(filled, 0.5, method="inverted_cdf"))
    return q if np.isfinite(q) else float("nan")


def yearly(frame: pd.DataFrame, column: str) -> pd.DataFrame:
    """``column`` per year (rows) and replication (columns)."""
    return frame.pivot_table(index="year", columns="replication", values=column, aggfunc="sum")


def _cumulative(frame: pd.DataFrame, column: str) -> pd.DataFrame:
    wide = frame.pivot_table(index="year", columns="replication", values=column, aggfunc="sum", fill_value=0.0)
    return wide.sort_index().cumsum()


@chart("repayment_timeline", tables=("repayment", "years", "per_replication"), title="timeline_title")
def figure_repayment_timeline(repayment: pd.DataFrame, years: pd.DataFrame, per_replication: pd.DataFrame,
                              ctx: ChartContext) -> Figure:
    """Per rule: cumulative grant, repaid and the borrower's attributable saving, with bands."""
    language = ctx.language
    repayment = fund_level(repayment)
    rules = rules_of(repayment)
    n = len(rules)
    ncols = 1 if n == 1 else 2
    nrows = math.ceil(n / ncols)
    legend_in_slot = n > 1 and n % 2 == 1
    if legend_in_slot:
        fig = new_figure(1.55 * nrows + 0.75)
        axes = np.atleast_1d(fig.subplots(nrows, ncols, sharex=True, sharey=True, squeeze=False)).ravel()
        legend_ax = axes[n]
    else:
        fig = new_figure(1.55 * nrows + 0.75 + 0.6)
        legend_ax, axes = panels_with_legend_row(fig, nrows, ncols, 0.6, 1.55, sharex=True, sharey=True)

    saving = _cumulative(years, "borrower_saving_sek")
    everything = [saving.to_numpy().ravel()]
    per_rule = {}
    for rule in rules:
        rr = repayment[repayment["rule"] == rule]
        per_rule[rule] = (_cumulative(rr, "disbursed_sek"), _cumulative(rr, "repaid_sek"))
        everything += [w.to_numpy().ravel() for w in per_rule[rule]]
    values = np.concatenate(everything)
    money = money_scale(values, language)
    horizon = ctx.horizon_years or int(repayment["year"].nunique())
    top = float(np.nanmax(values)) if values.size else 1.0
    bottom = min(0.0, float(np.nanmin(values)))
    if not top > bottom:     # nothing granted, repaid or saved (intervention=none): a unit span, not a singular axis
        top = bottom + 1.0

    for i, rule in enumerate(rules):
        ax = axes[i]
        granted, repaid = per_rule[rule]
        owed = rule not in ctx.rules_not_owed
        plot_band(ax, granted.index, granted, PALETTE["grant"], t(language, "timeline_grant"))
        if owed:        # a rule that asks for nothing back (the budget model) has no repayment to draw
            plot_band(ax, repaid.index, repaid, PALETTE["repaid"], t(language, "timeline_repaid"))
        plot_band(ax, saving.index, saving, PALETTE["saving"], t(language, "timeline_saving"), linestyle="--")
        ax.set_title(ctx.rule(rule), fontsize=7)
        if owed:
            year_full = year_fully_repaid_median(per_replication, rule)
            p_full = float(per_replication.loc[per_replication["rule"] == rule, "p_full_repayment"].mean())
            p_text = t(language, "timeline_p", p=fmt_percent(p_full, language))
            if np.isnan(year_full):
                status = t(language, "timeline_never", h=horizon)
            else:
                ax.axvline(year_full, color="#000000", linestyle=":", linewidth=0.9)
                status = t(language, "timeline_full_at", year=int(year_full))
            status = f"{status}\n{p_text}"
        else:
            status = t(language, "timeline_not_owed")
        # the status sits in head room above the curves, so it never covers a line
        ax.text(0.02, 0.98, status, transform=ax.transAxes, va="top", ha="left",
                fontsize=5.8, color="#222222", linespacing=1.15, zorder=5,
                bbox={"facecolor": "white", "edgecolor": "none", "pad": 0.6, "alpha": 0.9})
        ax.yaxis.set_major_formatter(money.formatter(language))
        ax.yaxis.set_major_locator(MaxNLocator(nbins=4))
        year_axis(ax, nbins=4)
        ax.tick_params(axis="x", labelbottom=True)
        if i % ncols == 0:
            ax.set_ylabel(money.label(language, ctx.price_year), fontsize=6)
    axes[0].set_ylim(bottom - 0.03 * (top - bottom), top + 0.55 * (top - bottom))
    entries = [(Line2D([], [], color=PALETTE["grant"]), "timeline_grant"),
               (Line2D([], [], color=PALETTE["repaid"]), "timeline_repaid"),
               (Line2D([], [], color=PALETTE["saving"], linestyle="--"), "timeline_saving"),
               (Line2D([], [], color="#000000", linestyle=":", linewidth=0.9), "timeline_full"),
               (band_handle(), "band")]
    if all(rule in ctx.rules_not_owed for rule in rules):    # nothing repaid anywhere: no repayment keys
        entries = [e for e in entries if e[1] not in ("timeline_repaid", "timeline_full")]
    handles = [handle for handle, _ in entries]
    labels = [t(language, key) for _, key in entries]
    labels = [wrap(label, 27) for label in labels]
    for ax in axes[n:]:
        ax.set_axis_off()
    legend_ax.legend(handles, labels, loc="center left", fontsize=6, handlelength=2.2,
                     ncols=1 if legend_in_slot else 2, borderaxespad=0.0)
    for i, ax in enumerate(axes[:n]):
        if i + ncols >= n:  # nothing drawn below it
            ax.set_xlabel(t(language, "year"), fontsize=6)
    return fig


#: evaluation methods compared over the same years (the project years: the naive claim's), then
#: the chain over the whole horizon, a sensitivity (issue 11 item 6)
SAME_YEAR_STEPS = 2
WATERFALL_STEPS = (("naive_claim_sek", "waterfall_naive", "#999999"),
                   ("attributable_saving_project_years_sek", "waterfall_attributable_project", "#0072B2"),
                   ("attributable_saving_sek", "waterfall_attributable", "#0072B2"),
                   ("municipal_saving_sek", "waterfall_municipal", "#56B4E9"),
                   ("borrower_saving_sek", "waterfall_borrower", "#CC79A7"),
                   ("cash_saving_sek", "waterfall_cash", "#D55E00"))


def waterfall_rows(per_replication: pd.DataFrame, language: str, context: ChartContext
                   ) -> list[tuple[str, float, float, float, str]]:
    """(label, P10, median, P90, colour) per bar: the chain of savings, then repaid per rule."""
    rules = rules_of(per_replication)
    # the saving metrics do not depend on the rule: take them from the first rule's rows
    shared = per_replication[per_replication["rule"] == rules[0]]
    rows = []
    for metric, key, colour in WATERFALL_STEPS:
        if metric in shared.columns:
            rows.append((t(language, key), shared[metric].to_numpy(dtype=float), colour))
    for rule in rules:
        values = per_replication.loc[per_replication["rule"] == rule, "repaid_sek"].to_numpy(dtype=float)
        rows.append((t(language, "waterfall_repaid", rule=context.rule(rule)), values, PALETTE["repaid"]))
    return [(label, *(float(q) for q in np.quantile(v, [0.1, 0.5, 0.9])), colour) for label, v, colour in rows]


@chart("repayment_waterfall", tables=("per_replication",), title="waterfall_title", note="waterfall_note")
def figure_repayment_waterfall(per_replication: pd.DataFrame, ctx: ChartContext) -> Figure:
    """How a claimed saving shrinks to what is repaid: medians with P10–P90 whiskers."""
    language = ctx.language
    stats = waterfall_rows(per_replication, language, ctx)
    first = per_replication[per_replication["rule"] == rules_of(per_replication)[0]]
    grant = float(np.median(first["intervention_cost_sek"])) if "intervention_cost_sek" in first else None
    chain = sum(1 for m, _k, _c in WATERFALL_STEPS if m in first.columns)
    same_years = sum(1 for m, _k, _c in WATERFALL_STEPS[:SAME_YEAR_STEPS] if m in first.columns)
    money = money_scale([s[i] for s in stats for i in (1, 2, 3)] + ([grant] if grant else []), language)

    # labels sit above their bars, so the bars get the full width of a half-page chart
    fig = new_figure(0.31 * len(stats) + 1.3)
    ax = fig.subplots()
    ypos = np.arange(len(stats))[::-1].astype(float)
    ypos[same_years:] -= 0.4  # a gap between the same-year comparison and the horizon's chain
    ypos[chain:] -= 0.4  # a gap between the chain of savings and the rules' repayments
    left = min(0.0, min(s[1] for s in stats))
    right = max(max(s[3] for s in stats), grant or 0.0)
    span = (right - left) or 1.0
    for y, (label, p10, p50, p90, colour) in zip(ypos, stats):
        ax.barh(y, p50, color=colour, height=0.42)
        ax.errorbar(p50, y, xerr=[[p50 - p10], [p90 - p50]], color="#222222", capsize=1.5,
                    elinewidth=0.6, capthick=0.6)
        ax.text(left, y + 0.25, label, va="bottom", ha="left", fontsize=6.3, zorder=4,
                bbox={"facecolor": "white", "edgecolor": "none", "pad": 0.4, "alpha": 0.85})
        ax.text(max(p50, p90, 0.0) + 0.015 * span, y, money.text(p50, language), va="center", ha="left",
                fontsize=6)
    for k in range(chain - 1):  # a waterfall's steps: each bar's end dotted down to the next
        if k == same_years - 1:
            continue  # the same-year comparison and the horizon's chain are not one chain
        ax.plot([stats[k][2]] * 2, [ypos[k] - 0.21, ypos[k + 1] + 0.21], color="#777777", linewidth=0.5,
                linestyle=":")
    if grant:
        ax.axvline(grant, color=PALETTE["grant"], linestyle="--", linewidth=0.8)
        ax.text(grant + 0.01 * span, ypos[0] + 0.75, t(language, "waterfall_grant", value=money.text(grant, language)),
                ha="left", va="bottom", fontsize=6, color=PALETTE["grant"])
    if chain < len(stats):
        ax.axhline((ypos[chain - 1] + ypos[chain]) / 2 + 0.1, color="#bbbbbb", linewidth=0.5)
    if 0 < same_years < chain:
        ax.axhline((ypos[same_years - 1] + ypos[same_years]) / 2 + 0.1, color="#bbbbbb", linewidth=0.5)
    ax.axvline(0, color="#000000", linewidth=0.6)
    ax.set_yticks([])
    ax.spines["left"].set_visible(False)
    ax.set_ylim(ypos[-1] - 0.45, ypos[0] + 1.05)
    ax.set_xlim(left - 0.02 * span, right + 0.22 * span)
    ax.xaxis.set_major_formatter(money.formatter(language))
    ax.xaxis.set_major_locator(MaxNLocator(nbins=6))
    ax.set_xlabel(money.label(language, ctx.price_year))
    ax.grid(axis="x", color="#e6e6e6", linewidth=0.5)
    ax.grid(axis="y", visible=False)
    return fig


def sek_per_post_year(repayment: pd.DataFrame) -> float | None:
    """What one post costs the borrowing committee a year, as the table's two pressure columns imply
    (``budget_pressure_posts`` is ``budget_pressure_sek`` over that cost); None without it."""
    if "budget_pressure_posts" not in repayment.columns:
        return None
    rows = repayment[(repayment["budget_pressure_posts"] != 0) & (repayment["budget_pressure_sek"] != 0)]
    if not len(rows):
        return None
    return float(np.median(rows["budget_pressure_sek"] / rows["budget_pressure_posts"]))


def _rule_bands(ax, wides: dict[str, pd.DataFrame], ctx: ChartContext,
                names: dict[str, str] | None = None) -> None:
    """One median line with its P10–P90 band per rule, each rule its own colour and dash."""
    for i, rule in enumerate(wides):
        plot_band(ax, wides[rule].index, wides[rule], RULE_COLOURS[i % len(RULE_COLOURS)],
                  (names or {}).get(rule, ctx.rule(rule)),
                  linestyle=RULE_STYLES[i % len(RULE_STYLES)], marker="o", markersize=1.8)


def coinciding(wides: dict[str, pd.DataFrame]) -> list[list[str]]:
    """The rules grouped by identical yearly values in every replication (their lines would hide
    each other), in the order of ``wides``."""
    groups: list[list[str]] = []
    for rule, wide in wides.items():
        for group in groups:
            other = wides[group[0]]
            if other.shape == wide.shape and other.index.equals(wide.index) and \
                    np.allclose(other.to_numpy(float), wide.to_numpy(float), rtol=0, atol=0.5, equal_nan=True):
                group.append(rule)
                break
        else:
            groups.append([rule])
    return groups


def _finish_yearly_money(ax, money, ctx: ChartContext, handles: list, labels: list, project) -> None:
    """Money axis, year axis, and the legend (rules, band, project years) above the panel."""
    language = ctx.language
    ax.yaxis.set_major_formatter(money.formatter(language))
    ax.set_ylabel(money.label(language, ctx.price_year))
    ax.set_xlabel(t(language, "year"))
    year_axis(ax)
    handles.append(band_handle())
    labels.append(t(language, "band"))
    if project:
        handles.append(project)
        labels.append(t(language, "project"))
    legend_above(ax, handles, labels, ncols=2)


@chart("budget_pressure", tables=("repayment",), title="pressure_title", note="pressure_note")
def figure_budget_pressure(repayment: pd.DataFrame, ctx: ChartContext) -> Figure:
    """The borrowing committee's yearly budget pressure under each rule (median, P10–P90): repayment
    demanded minus its cash saving that year; right axis: the same in posts."""
    language = ctx.language
    repayment = fund_level(repayment)
    rules = rules_of(repayment)
    wides = {rule: yearly(repayment[repayment["rule"] == rule], "budget_pressure_sek") for rule in rules}
    money = money_scale(np.concatenate([w.to_numpy().ravel() for w in wides.values()]), language)
    fig = new_figure(3.4)
    ax = fig.subplots()
    _rule_bands(ax, wides, ctx)
    handles, labels = ax.get_legend_handles_labels()
    ax.axhline(0, color="#000000", linewidth=0.6)   # above it the committee cuts elsewhere
    project = shade_project(ax, ctx, annual=True)
    sek_per_post = sek_per_post_year(repayment)
    if sek_per_post:
        posts = ax.secondary_yaxis("right", functions=(lambda sek: sek / sek_per_post,
                                                       lambda n: n * sek_per_post))
        posts.yaxis.set_major_formatter(CountFormatter(language))
        posts.set_ylabel(t(language, "pressure_posts"))
    _finish_yearly_money(ax, money, ctx, handles, labels, project)
    return fig


@chart("fund_balance", tables=("repayment",), title="fund_title")
def figure_fund_balance(repayment: pd.DataFrame, ctx: ChartContext) -> tuple[Figure, str]:
    """The fund's cash at each year end, one line per rule (median, P10–P90 band); rules whose
    balances coincide share one line, labelled with all their names, and the note says so."""
    language = ctx.language
    repayment = fund_level(repayment)
    rules = rules_of(repayment)
    wides = {rule: yearly(repayment[repayment["rule"] == rule], "fund_balance_sek") for rule in rules}
    values = np.concatenate([w.to_numpy().ravel() for w in wides.values()] +
                            ([np.array([ctx.fund_capital_sek])] if ctx.fund_capital_sek else []))
    money = money_scale(values, language)
    fig = new_figure(3.3)
    ax = fig.subplots()
    # rules with the same balance in every replication are drawn once, named together
    groups = coinciding(wides)
    joined = lambda group: wrap(" = ".join(ctx.rule(r) for r in group), 28)  # noqa: E731
    _rule_bands(ax, {g[0]: wides[g[0]] for g in groups}, ctx, {g[0]: joined(g) for g in groups})
    same = [g for g in groups if len(g) > 1]
    remark = " ".join(t(language, "fund_same", rules=", ".join(ctx.rule(r) for r in g)) for g in same)
    handles, labels = ax.get_legend_handles_labels()
    if ctx.fund_capital_sek:
        ax.axhline(ctx.fund_capital_sek, color=PALETTE["grant"], linewidth=0.6, linestyle=(0, (2, 2)))
        handles.append(Line2D([], [], color=PALETTE["grant"], linewidth=0.6, linestyle=(0, (2, 2))))
        labels.append(t(language, "fund_capital", value=money.text(ctx.fund_capital_sek, language)))
    project = shade_project(ax, ctx, annual=True)
    _finish_yearly_money(ax, money, ctx, handles, labels, project)
    return fig, remark
