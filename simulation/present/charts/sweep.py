"""Sweeps: a metric over two swept keys (heatmap), and one-at-a-time swings (tornado).

P(full repayment) and the share repaid, and the decision metrics that move when those are flat
(the PV of the attributable saving, the peak budget pressure in posts).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Mapping

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.ticker import FuncFormatter

from simulation.core.outcomes import OUTCOMES
from simulation.present import labels
from simulation.present.charts.context import key_name, metric_name, rule_title, t
from simulation.present.charts.registry import chart
from simulation.present.charts.style import NOTE_CHARS, PALETTE, WIDTH_IN, add_note, add_title, new_figure, \
    panels_with_legend_row, styled, wrap
from simulation.present.formatting import as_number, fmt_level, fmt_number, fmt_percent, money_scale


# columns of sweep_summary that are not a job's overrides (simulation/app/sweep.py RESERVED_COLUMNS)
SUMMARY_COLUMNS = ("job", "status", "rule", "metric", "mean", "p10", "p50", "p90", "error", "wall_time_s")


def swept_keys(sweep_summary: pd.DataFrame) -> list[str]:
    """Override columns that take more than one value across the jobs."""
    keys = [c for c in sweep_summary.columns if c not in SUMMARY_COLUMNS]
    return [k for k in keys if sweep_summary[k].dropna().astype(str).nunique() > 1]


def completed(sweep_summary: pd.DataFrame) -> pd.DataFrame:
    """Rows of jobs that finished ("ok"); failed, stale or missing jobs carry no numbers."""
    if "status" in sweep_summary.columns:
        return sweep_summary[sweep_summary["status"].astype(str) == "ok"]
    return sweep_summary


def same_value(a: Any, b: Any) -> bool:
    """Equal as numbers when both are numbers ("0.5" == 0.5), else as text."""
    x, y = as_number(a), as_number(b)
    if x is not None and y is not None:
        return math.isclose(x, y, rel_tol=1e-9, abs_tol=1e-12)
    return str(a) == str(b)


def sorted_levels(values: pd.Series) -> list[Any]:
    """The distinct values of a swept key, in numeric order when they are all numbers."""
    levels = list(dict.fromkeys(values.dropna().tolist()))
    if all(as_number(v) is not None for v in levels):
        return sorted(levels, key=lambda v: float(v))
    return sorted(levels, key=str)


def sweep_note(sweep_summary: pd.DataFrame, language: str, stat: str = "mean",
               replications: int | None = None) -> str:
    """How many jobs and replications the values summarise, and which statistic they are."""
    jobs = sweep_summary["job"].nunique() if "job" in sweep_summary.columns else len(sweep_summary)
    n = replications
    if n is None and "replications" in sweep_summary.columns and sweep_summary["replications"].nunique() == 1:
        n = sweep_summary["replications"].iloc[0]
    stat_text = labels.text(language, f"stats.{stat}")
    text = t(language, "note_sweep", jobs=jobs, n=n, stat=stat_text) if n is not None else \
        t(language, "note_sweep_no_n", jobs=jobs, stat=stat_text)
    return wrap(text, NOTE_CHARS)


def rules_that_differ(frame: pd.DataFrame, metric: str) -> list[str]:
    """The rules of a metric's rows; only the first when every rule has the same values (a saving,
    which does not depend on the repayment rule: one panel, not five identical ones)."""
    rows = frame[frame["metric"] == metric]
    rules = list(dict.fromkeys(rows["rule"].dropna().tolist()))
    if len(rules) > 1:
        keys = [c for c in rows.columns if c not in SUMMARY_COLUMNS]
        wide = rows.pivot_table(index=keys or None, columns="rule", values="mean", dropna=False) if keys else None
        if wide is not None and len(wide) and all(
                np.allclose(wide[r].to_numpy(float), wide[rules[0]].to_numpy(float), equal_nan=True, atol=1e-6)
                for r in rules if r in wide.columns):
            return rules[:1]
    return rules


def metric_format(metric: str, values: list[float], language: str):
    """(cell text, colour-bar tick formatter, unit suffix) for a metric's values."""
    unit = OUTCOMES[metric].unit if metric in OUTCOMES else ""
    if unit in ("share", "probability"):
        return (lambda v: fmt_number(100 * v, language)), FuncFormatter(lambda v, _p: fmt_number(100 * v, language)), " (%)"
    if unit == "SEK":
        money = money_scale(values, language)
        return (lambda v: fmt_number(v / money.divisor, language, 1)), money.formatter(language), \
            f" ({money.label(language, None)})"
    return (lambda v: fmt_number(v, language, 1)), FuncFormatter(lambda v, _p: fmt_number(v, language, 1)), \
        (f" ({unit})" if unit else "")


@styled
def figure_sweep_heatmap(sweep_summary: pd.DataFrame, x_key: str, y_key: str, language: str,
                         rule: str | None = None, rule_labels: Mapping[str, str] | None = None,
                         replications: int | None = None, metric: str = "p_full_repayment") -> Figure:
    """A metric (the mean over replications; P(full repayment) by default) over two swept keys; one
    panel per rule (one panel if the metric does not depend on the rule)."""
    frame = completed(sweep_summary)
    rules = [rule] if rule is not None else rules_that_differ(frame, metric)
    frame = frame[frame["metric"] == metric]
    if not rules:
        raise ValueError(f"sweep_summary has no {metric} rows to draw")
    is_p_full = metric == "p_full_repayment"
    values = [float(v) for v in frame["mean"].dropna()]
    cell_text, tick_format, unit_suffix = metric_format(metric, values, language)
    bounded = is_p_full or (metric in OUTCOMES and OUTCOMES[metric].unit in ("share", "probability"))
    vmin, vmax = (0.0, 1.0) if bounded else (min(values, default=0.0), max(values, default=1.0))
    if vmax <= vmin:
        vmax = vmin + 1.0
    xs, ys = sorted_levels(frame[x_key]), sorted_levels(frame[y_key])
    others = [k for k in swept_keys(frame) if k not in (x_key, y_key)]
    n = len(rules)
    ncols = 1 if n == 1 else 2
    nrows = math.ceil(n / ncols)
    cell_w = (WIDTH_IN - 0.9) / ncols
    fig = new_figure(nrows * max(1.2, min(2.4, cell_w * len(ys) / max(len(xs), 1) + 0.5)) + 0.9)
    axes = np.atleast_1d(fig.subplots(nrows, ncols, squeeze=False)).ravel()
    image = None
    for i, r in enumerate(rules):
        ax = axes[i]
        sub = frame[frame["rule"] == r]
        grid = np.full((len(ys), len(xs)), np.nan)
        for iy, yv in enumerate(ys):
            for ix, xv in enumerate(xs):
                cell = sub[sub[x_key].map(lambda v: same_value(v, xv)) & sub[y_key].map(lambda v: same_value(v, yv))]
                if len(cell):
                    grid[iy, ix] = float(cell["mean"].mean())
        image = ax.imshow(grid, origin="lower", cmap="cividis", vmin=vmin, vmax=vmax, aspect="auto")
        for iy in range(len(ys)):
            for ix in range(len(xs)):
                value = grid[iy, ix]
                text = "—" if np.isnan(value) else cell_text(value)
                light = not np.isnan(value) and (value - vmin) / (vmax - vmin) > 0.55
                ax.text(ix, iy, text, ha="center", va="center", fontsize=5.5,
                        color="#000000" if light else "#ffffff")
        ax.set_xticks(range(len(xs)), [fmt_level(v, language) for v in xs])
        ax.set_yticks(range(len(ys)), [fmt_level(v, language) for v in ys])
        ax.set_xlabel(key_name(x_key, language), fontsize=6)
        ax.set_ylabel(key_name(y_key, language), fontsize=6)
        ax.grid(False)
        ax.tick_params(labelsize=6, length=0)
        for spine in ax.spines.values():
            spine.set_visible(False)
        one_for_all = rule is None and n == 1 and frame["rule"].nunique() > 1
        ax.set_title(labels.text(language, "explore.all_rules") if one_for_all else rule_title(r, rule_labels, language),
                     fontsize=7)
    for ax in axes[n:]:
        ax.set_axis_off()
    cbar = fig.colorbar(image, ax=list(axes[:n]), location="bottom", shrink=0.6, aspect=30)
    cbar_label = t(language, "heatmap_cbar") if is_p_full else metric_name(metric, language)
    cbar.set_label(cbar_label + unit_suffix, fontsize=6)
    cbar.ax.xaxis.set_major_formatter(tick_format)
    cbar.ax.tick_params(labelsize=6)
    add_title(fig, t(language, "heatmap_title") if is_p_full else
              labels.text(language, "explore.sweep_heatmap_title", metric=metric_name(metric, language)))
    note = sweep_note(frame, language, "mean", replications)
    if others:
        note += "\n" + wrap(t(language, "heatmap_mean_over") + ": " +
                            ", ".join(key_name(k, language) for k in others), NOTE_CHARS)
    add_note(fig, note)
    return fig



@dataclass(frozen=True)
class Swing:
    key: str
    low_level: Any          # the key's lowest swept value …
    low_value: float        # … and the metric there
    high_level: Any
    high_value: float

    @property
    def width(self) -> float:
        return abs(self.high_value - self.low_value)


def swings(sweep_summary: pd.DataFrame, baseline_overrides: Mapping[str, Any], metric: str,
           rule: str, stat: str = "mean") -> tuple[float, list[Swing]]:
    """One-at-a-time swings: each key moved over its levels with every other key at its baseline.

    Returns the metric at the baseline (NaN if the grid lacks that point) and the swings,
    widest first.
    """
    frame = completed(sweep_summary)
    frame = frame[(frame["metric"] == metric) & (frame["rule"] == rule)]
    keys = [k for k in baseline_overrides if k in frame.columns]

    def at_baseline(rows: pd.DataFrame, except_key: str | None) -> pd.Series:
        mask = pd.Series(True, index=rows.index)
        for k in keys:
            if k != except_key:
                mask &= rows[k].map(lambda v, b=baseline_overrides[k]: same_value(v, b))
        return mask

    base_rows = frame[at_baseline(frame, None)]
    base = float(base_rows[stat].mean()) if len(base_rows) else float("nan")
    out = []
    for key in keys:
        rows = frame[at_baseline(frame, key)].dropna(subset=[stat])
        levels = sorted_levels(rows[key])
        if len(levels) < 2:
            continue
        lo = rows[rows[key].map(lambda v: same_value(v, levels[0]))][stat].mean()
        hi = rows[rows[key].map(lambda v: same_value(v, levels[-1]))][stat].mean()
        out.append(Swing(key, levels[0], float(lo), levels[-1], float(hi)))
    out.sort(key=lambda s: (-s.width, s.key))
    return base, out


@styled
def figure_tornado(sweep_summary: pd.DataFrame, baseline_overrides: Mapping[str, Any], language: str,
                   metric: str = "p_full_repayment", rule: str | None = None, stat: str = "mean",
                   rule_labels: Mapping[str, str] | None = None, replications: int | None = None) -> Figure:
    """Tornado: how far the metric moves when one key at a time goes to its lowest and highest value."""
    frame = completed(sweep_summary)
    rules = [rule] if rule is not None else rules_that_differ(frame, metric)
    if not rules:
        raise ValueError(f"sweep_summary has no rows for metric {metric!r}")
    one_for_all = rule is None and len(rules) == 1 and frame.loc[frame["metric"] == metric, "rule"].nunique() > 1
    results = {r: swings(frame, baseline_overrides, metric, r, stat) for r in rules}
    n_keys = max((len(s) for _, s in results.values()), default=0)
    is_share = OUTCOMES.get(metric) is not None and OUTCOMES[metric].unit in ("share", "probability")
    all_values = [v for base, ss in results.values() for s in ss for v in (s.low_value, s.high_value)] + \
                 [base for base, _ in results.values()]
    money = None if is_share or OUTCOMES.get(metric) is None or OUTCOMES[metric].unit != "SEK" \
        else money_scale(all_values, language)
    panel_h = 0.28 * max(n_keys, 1) + 0.55
    fig = new_figure(len(rules) * panel_h + 1.2)
    legend_ax, axes = panels_with_legend_row(fig, len(rules), 1, 0.35, panel_h, sharex=True)
    for ax, r in zip(axes, rules):
        base, ss = results[r]
        ss = ss[::-1]  # widest on top
        for y, s in enumerate(ss):
            ref = base if not np.isnan(base) else (s.low_value + s.high_value) / 2
            # the longer bar first, so a shorter one on the same side of the default stays visible
            bars = sorted(((s.low_value, PALETTE["low"]), (s.high_value, PALETTE["high"])),
                          key=lambda b: -abs(b[0] - ref))
            for value, colour in bars:
                ax.barh(y, value - ref, left=ref, color=colour, height=0.6)
            # each level is labelled outside the row's span, one on each side: the level whose value is
            # smaller on the left, the other on the right (the lowest level left on a tie). Labels at the
            # bar ends collided when both ends fell on the same side of the default (issue 14: "0,8" and
            # "1,6" printed on top of each other).
            pad = 0.01 if is_share else 0.0
            left_end, right_end = min(ref, s.low_value, s.high_value), max(ref, s.low_value, s.high_value)
            low_left = s.low_value <= s.high_value
            left_level, right_level = (s.low_level, s.high_level) if low_left else (s.high_level, s.low_level)
            ax.text(left_end - pad, y, fmt_level(left_level, language), ha="right", va="center", fontsize=5.5)
            ax.text(right_end + pad, y, fmt_level(right_level, language), ha="left", va="center", fontsize=5.5)
        if not np.isnan(base):
            ax.axvline(base, color="#000000", linewidth=0.7)
        ax.set_yticks(range(len(ss)), [key_name(s.key, language) for s in ss])
        ax.set_ylim(-0.6, max(len(ss), 1) - 0.4)
        ax.tick_params(axis="y", length=0)
        ax.grid(axis="y", visible=False)
        ax.grid(axis="x", color="#dddddd", linewidth=0.5)
        ax.set_title(labels.text(language, "explore.all_rules") if one_for_all else rule_title(r, rule_labels, language),
                     fontsize=7)
        if is_share:
            ax.set_xlim(-0.12, 1.12)
            ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _p: fmt_percent(v, language)))
        elif money is not None:
            ax.xaxis.set_major_formatter(money.formatter(language))
    for ax in axes[:-1]:
        ax.tick_params(axis="x", labelbottom=False)
    xlabel = metric_name(metric, language)
    if money is not None:
        xlabel += f" ({money.label(language, None)})"
    axes[-1].set_xlabel(xlabel)
    handles = [Patch(color=PALETTE["low"]), Patch(color=PALETTE["high"]),
               Line2D([], [], color="#000000", linewidth=0.7)]
    legend_ax.legend(handles, [t(language, "tornado_low"), t(language, "tornado_high"), t(language, "tornado_base")],
                     loc="center left", ncols=1, fontsize=6, borderaxespad=0.0)
    add_title(fig, t(language, "tornado_title", metric=metric_name(metric, language)))
    add_note(fig, sweep_note(frame, language, stat, replications))
    return fig


# --- the registered sweep charts ----------------------------------------------------------------------

@dataclass(frozen=True)
class SweepContext:
    """What the sweep charts need besides the table: the swept keys, the baseline of the tornados."""

    language: str
    keys: tuple[str, ...] = ()                       # swept keys, in column order
    baseline: Mapping[str, Any] = field(default_factory=dict)
    rule_labels: Mapping[str, str] = field(default_factory=dict)
    metrics: frozenset[str] = frozenset()            # metrics with rows in the table

    @classmethod
    def from_summary(cls, sweep_summary: pd.DataFrame, language: str, baseline: Mapping[str, Any],
                     rule_labels: Mapping[str, str] | None = None) -> "SweepContext":
        done = completed(sweep_summary)
        return cls(language=language, keys=tuple(swept_keys(done)), baseline=dict(baseline),
                   rule_labels=dict(rule_labels or {}), metrics=frozenset(done["metric"].dropna().astype(str)))


@chart("sweep_heatmap", kind="sweep", tables=("sweep_summary",), title="heatmap_title",
       applies=lambda s: len(s.keys) >= 2 and "p_full_repayment" in s.metrics)
def _sweep_heatmap(sweep_summary: pd.DataFrame, language: str, sweep: SweepContext) -> Figure:
    """The heatmap over the first two swept keys."""
    return figure_sweep_heatmap(sweep_summary, sweep.keys[0], sweep.keys[1], language, rule_labels=sweep.rule_labels)


#: decision metrics that move when P(full) is flat (issue 13 item 6): a heatmap and a tornado each
MOVING_METRICS = ("attributable_saving_pv_sek", "peak_budget_pressure_posts")
TORNADO_METRICS = ("p_full_repayment", "repaid_share", *MOVING_METRICS)


def _heatmap_of(metric: str):
    def draw(sweep_summary: pd.DataFrame, language: str, sweep: SweepContext) -> Figure:
        return figure_sweep_heatmap(sweep_summary, sweep.keys[0], sweep.keys[1], language,
                                    rule_labels=sweep.rule_labels, metric=metric)
    draw.__doc__ = f"The heatmap of {metric} over the first two swept keys."
    return draw


for _metric in MOVING_METRICS:
    chart(f"sweep_heatmap_{_metric}", kind="sweep", tables=("sweep_summary",), title="heatmap_title",
          applies=lambda s, m=_metric: len(s.keys) >= 2 and m in s.metrics)(_heatmap_of(_metric))


def _tornado_of(metric: str):
    def draw(sweep_summary: pd.DataFrame, language: str, sweep: SweepContext) -> Figure:
        return figure_tornado(sweep_summary, sweep.baseline, language, metric=metric, rule_labels=sweep.rule_labels)
    draw.__doc__ = f"The tornado of {metric} around the sweep's baseline."
    return draw


for _metric in TORNADO_METRICS:
    chart(f"tornado_{_metric}", kind="sweep", tables=("sweep_summary",), title="tornado_title",
          applies=lambda s, m=_metric: bool(s.keys) and m in s.metrics)(_tornado_of(_metric))
