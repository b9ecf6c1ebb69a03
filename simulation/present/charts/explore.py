"""Charts of ``sifsim explore``: Morris μ*–σ, Sobol bars with intervals, PRIM trade-off and box limits.

Drawn from the study's tables (not from a run folder), so they are plain builders, not entries
of the run/sweep registry; every text comes from ``labels/<language>.yaml`` (``explore:``).
"""

from __future__ import annotations

import math
from typing import Mapping

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from simulation.present import labels
from simulation.present.charts.context import metric_name, rule_title
from simulation.present.charts.style import NOTE_CHARS, PALETTE, WIDTH_IN, add_note, add_title, new_figure, \
    styled, wrap
from simulation.present.formatting import fmt_number, fmt_percent

DUMMY_COLOUR = "#999999"


def x_text(language: str, label: str, **kwargs) -> str:
    return labels.text(language, f"explore.{label}", **kwargs)


def factor_label(name: str, language: str) -> str:
    """A factor's label (``explore.factors``), or its name made readable; the dummy has its own."""
    known = labels.names(language, "explore.factors")
    return known.get(name) or name.replace("_", " ")


def _panels(n: int, panel_h: float, extra_h: float = 0.9):
    ncols = 1 if n == 1 else 2
    nrows = math.ceil(n / ncols)
    fig = new_figure(nrows * panel_h + extra_h)
    axes = np.atleast_1d(fig.subplots(nrows, ncols, squeeze=False)).ravel()
    for ax in axes[n:]:
        ax.set_axis_off()
    return fig, axes[:n]


def unit_scale(outcome: str, values: np.ndarray, language: str) -> tuple[float, str]:
    """(divisor, " (unit)") for an outcome's axis: SEK as tkr/mkr (kSEK/MSEK), others as they are."""
    from simulation.core.outcomes import OUTCOMES
    from simulation.present.formatting import money_scale
    unit = OUTCOMES[outcome].unit if outcome in OUTCOMES else ""
    if unit == "SEK":
        money = money_scale([v for v in values if v == v], language)
        return money.divisor, f" ({money.unit})"
    return 1.0, (f" ({unit})" if unit and unit not in ("share", "probability") else "")


@styled
def figure_morris(indices: pd.DataFrame, outcome: str, language: str, *, points: int, replications: int,
                  rule_labels: Mapping[str, str] | None = None) -> Figure:
    """μ* against σ for each factor of one outcome; one panel per rule; grey = at or below the dummy."""
    frame = indices[(indices["outcome"] == outcome) & ~indices["constant"]]
    rules = list(dict.fromkeys(frame["rule"].tolist()))
    if not rules:
        raise ValueError(f"no Morris indices of {outcome!r} to draw")
    fig, axes = _panels(len(rules), 2.3)
    divisor, unit = unit_scale(outcome, frame[["mu_star", "sigma"]].to_numpy(float).ravel(), language)
    for ax, rule in zip(axes, rules):
        g = frame[frame["rule"] == rule]
        mu, sigma, conf = (g[c].to_numpy(float) / divisor for c in ("mu_star", "sigma", "mu_star_conf"))
        colours = [DUMMY_COLOUR if n else PALETTE["intervention"] for n in g["noise"]]
        ax.scatter(mu, sigma, c=colours, s=12, zorder=3)
        ax.errorbar(mu, sigma, xerr=conf, fmt="none", ecolor="#bbbbbb", linewidth=0.6, zorder=2)
        ranked = np.argsort(-mu)
        shown = [i for i in ranked if not g["noise"].iloc[i]][:5] + \
            [i for i in range(len(g)) if g["factor"].iloc[i] == "seed"]
        for i in shown:
            ax.annotate(factor_label(g["factor"].iloc[i], language), (mu[i], sigma[i]), fontsize=5,
                        xytext=(3, 2), textcoords="offset points")
        floor = float(g["noise_floor"].iloc[0]) / divisor
        ax.axvline(floor, color=DUMMY_COLOUR, linewidth=0.6, linestyle="--")
        ax.set_xlabel(x_text(language, "morris_x") + unit, fontsize=6)
        ax.set_ylabel(x_text(language, "morris_y") + unit, fontsize=6)
        ax.tick_params(labelsize=5.5)
        ax.set_title(x_text(language, "all_rules") if rule == "all" else rule_title(rule, rule_labels, language),
                     fontsize=7)
    add_title(fig, x_text(language, "morris_title", outcome=metric_name(outcome, language)))
    add_note(fig, wrap(x_text(language, "morris_note", points=points, r=replications), NOTE_CHARS))
    return fig


@styled
def figure_sobol(indices: pd.DataFrame, outcome: str, language: str, *, points: int, replications: int,
                 rule_labels: Mapping[str, str] | None = None) -> Figure:
    """S1 and ST with their 95 % bootstrap intervals per factor of one outcome; one panel per rule."""
    frame = indices[(indices["outcome"] == outcome) & ~indices["constant"]]
    rules = list(dict.fromkeys(frame["rule"].tolist()))
    if not rules:
        raise ValueError(f"no Sobol indices of {outcome!r} to draw")
    n_factors = frame["factor"].nunique()
    panel_h = 0.16 * n_factors + 0.7
    fig = new_figure(len(rules) * panel_h + 1.0)
    axes = np.atleast_1d(fig.subplots(len(rules), 1, squeeze=False)).ravel()
    for ax, rule in zip(axes, rules):
        g = frame[frame["rule"] == rule].sort_values("ST")
        y = np.arange(len(g))
        ax.barh(y + 0.18, g["ST"], height=0.36, xerr=g["ST_conf"], color=PALETTE["high"],
                error_kw={"linewidth": 0.6}, label=x_text(language, "sobol_total"))
        ax.barh(y - 0.18, g["S1"], height=0.36, xerr=g["S1_conf"], color=PALETTE["low"],
                error_kw={"linewidth": 0.6}, label=x_text(language, "sobol_first"))
        names = [factor_label(f, language) + (" *" if n else "") for f, n in zip(g["factor"], g["noise"])]
        ax.set_yticks(y, names, fontsize=5.5)
        ax.axvline(float(g["noise_floor"].iloc[0]), color=DUMMY_COLOUR, linewidth=0.6, linestyle="--")
        ax.tick_params(axis="x", labelsize=5.5)
        ax.set_title(x_text(language, "all_rules") if rule == "all" else rule_title(rule, rule_labels, language),
                     fontsize=7)
    axes[0].legend(fontsize=5.5, loc="lower right")
    axes[-1].set_xlabel(x_text(language, "sobol_x"), fontsize=6)
    add_title(fig, x_text(language, "sobol_title", outcome=metric_name(outcome, language)))
    add_note(fig, wrap(x_text(language, "sobol_note", points=points, r=replications), NOTE_CHARS))
    return fig


@styled
def figure_prim_tradeoff(trajectory: pd.DataFrame, step: int, language: str, *, title: str) -> Figure:
    """PRIM's peeling trajectory: density against coverage, each step coloured by restricted factors."""
    fig = new_figure(2.6)
    ax = fig.subplots()
    points = ax.scatter(trajectory["coverage"], trajectory["density"], c=trajectory["res dim"],
                        cmap="viridis", s=10, zorder=3)
    chosen = trajectory.loc[step]
    ax.scatter([chosen["coverage"]], [chosen["density"]], s=60, facecolors="none", edgecolors="#000000",
               linewidth=0.8, zorder=4, label=x_text(language, "prim_chosen"))
    ax.set_xlabel(x_text(language, "prim_coverage"), fontsize=6)
    ax.set_ylabel(x_text(language, "prim_density"), fontsize=6)
    ax.set_xlim(0, 1.05)
    ax.set_ylim(0, 1.05)
    ax.tick_params(labelsize=5.5)
    cbar = fig.colorbar(points, ax=ax, shrink=0.8)
    cbar.set_label(x_text(language, "prim_res_dim"), fontsize=6)
    cbar.ax.tick_params(labelsize=5.5)
    ax.legend(fontsize=5.5, loc="lower left")
    add_title(fig, title)
    add_note(fig, wrap(x_text(language, "prim_tradeoff_note"), NOTE_CHARS))
    return fig


@styled
def figure_prim_box(limits: pd.DataFrame, ranges: Mapping[str, tuple[float, float]], language: str, *,
                    title: str, coverage: float, density: float) -> Figure:
    """The box's limits on each restricted factor, as a share of the factor's range in the design."""
    factors = list(limits.index)
    fig = new_figure(0.3 * max(len(factors), 1) + 1.2)
    ax = fig.subplots()
    for y, f in enumerate(factors):
        lo_all, hi_all = ranges[f]
        span = (hi_all - lo_all) or 1.0
        lo, hi = (limits.loc[f, "min"] - lo_all) / span, (limits.loc[f, "max"] - lo_all) / span
        ax.barh(y, 1.0, color="#eeeeee", height=0.6)
        ax.barh(y, hi - lo, left=lo, color=PALETTE["repaid"], height=0.6)
        ax.text(lo, y + 0.38, fmt_number(limits.loc[f, "min"], language, 2), fontsize=5, ha="left", va="bottom")
        ax.text(hi, y + 0.38, fmt_number(limits.loc[f, "max"], language, 2), fontsize=5, ha="right", va="bottom")
    ax.set_yticks(range(len(factors)), [factor_label(f, language) for f in factors], fontsize=5.5)
    ax.set_xlim(0, 1)
    ax.set_ylim(-0.6, len(factors) - 0.1)
    ax.set_xlabel(x_text(language, "prim_box_x"), fontsize=6)
    ax.tick_params(axis="x", labelsize=5.5)
    add_title(fig, title)
    add_note(fig, wrap(x_text(language, "prim_box_note", coverage=fmt_percent(coverage, language),
                              density=fmt_percent(density, language)), NOTE_CHARS))
    return fig


__all__ = ["figure_morris", "figure_sobol", "figure_prim_tradeoff", "figure_prim_box", "factor_label", "WIDTH_IN"]
