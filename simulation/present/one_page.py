"""The report's one-page summary (A4, printable; the first screen of ``report.html``).

What a board needs on one sheet: the decision in plain words; the headline (present value of the
attributable saving and the saving within the project years, the nominal horizon total as a
sensitivity, issue 11 item 6); whether the figures are gross or net of the grant; the key figures
per repayment rule; the three caveats that matter most for *this* run; and how to reproduce it.

The numbers are pure functions of the run's tables and config (tested in
tests/present/test_one_page.py); :func:`one_page_html` only lays them out. Figures another part of
the model may add later (``net_benefit_pv_sek_<perspective>`` metrics of ``summary``) are read
when present and left out when absent.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping

import pandas as pd
import yaml

from simulation.present import labels
from simulation.present.charts import ChartContext, saving_by_payer_year
from simulation.present.charts.context import rule_owes
from simulation.present.formatting import fmt_number, fmt_percent, is_missing, msek, msek_number, year_text
from simulation.present.page import esc
from simulation.present.yaml_read import SAFE_LOADER

NET_PREFIX = "net_benefit_pv_sek"     # the money helper's per-perspective metrics: net_benefit_pv_sek_<perspective>
TIE_TOLERANCE = 1e-9                  # P(full) values closer than this are a tie


def say(language: str, key: str, **kwargs: Any) -> str:
    return labels.text(language, f"one_page.{key}", **kwargs)


@dataclass(frozen=True)
class Band:
    """Median and the P10–P90 band of an outcome."""

    p10: float
    p50: float
    p90: float
    mean: float = float("nan")

    @property
    def missing(self) -> bool:
        return is_missing(self.p50)


def band_of(summary: pd.DataFrame, rule: str, metric: str) -> Band:
    row = summary[(summary["rule"] == rule) & (summary["metric"] == metric)]
    if not len(row):
        return Band(*(float("nan"),) * 4)
    r = row.iloc[0]
    return Band(float(r["p10"]), float(r["p50"]), float(r["p90"]), float(r["mean"]))


# --- facts about the rules ------------------------------------------------------------------------

def best_rules(summary: pd.DataFrame, rules: list[str], config: Mapping[str, Any]) -> tuple[float, list[str]]:
    """The highest P(full repayment) among the rules that ask for money back, and every rule that
    has it (a tie lists them all, in the table's order)."""
    values = [(band_of(summary, r, "p_full_repayment").mean, r) for r in rules if rule_owes(config, r)]
    values = [(p, r) for p, r in values if not math.isnan(p)]
    if not values:
        return float("nan"), []
    top = max(p for p, _ in values)
    return top, [r for p, r in values if abs(p - top) <= TIE_TOLERANCE]


def words_list(items: list[str], language: str) -> str:
    """"a", "a and b", "a, b and c" in the language."""
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + say(language, "and") + items[-1]


# --- the headline and net vs gross ------------------------------------------------------------------

def headline(summary: pd.DataFrame, rule: str) -> dict[str, Band]:
    """The decision's figures (all payers): PV, within the project years, nominal over the horizon."""
    return {m: band_of(summary, rule, m) for m in
            ("attributable_saving_pv_sek", "attributable_saving_project_years_sek", "attributable_saving_sek",
             "intervention_cost_sek")}


def net_of_grant(per_replication: pd.DataFrame | None, rule: str) -> Band:
    """PV of the attributable saving minus the grant, per replication (median and P10–P90)."""
    need = {"rule", "attributable_saving_pv_sek", "intervention_cost_sek"}
    if per_replication is None or not need <= set(per_replication.columns):
        return Band(*(float("nan"),) * 4)
    rows = per_replication[per_replication["rule"] == rule]
    net = (rows["attributable_saving_pv_sek"] - rows["intervention_cost_sek"]).astype(float)
    if not len(net):
        return Band(*(float("nan"),) * 4)
    q = net.quantile([0.1, 0.5, 0.9])
    return Band(float(q[0.1]), float(q[0.5]), float(q[0.9]), float(net.mean()))


def perspectives(summary: pd.DataFrame, rule: str) -> dict[str, Band]:
    """{perspective: net benefit PV} for every ``net_benefit_pv_sek_<perspective>`` metric present."""
    names = [m for m in dict.fromkeys(summary["metric"]) if str(m).startswith(NET_PREFIX + "_")]
    return {m[len(NET_PREFIX) + 1:]: band_of(summary, rule, m) for m in names}


# --- the three caveats of this run --------------------------------------------------------------------

def share_before(ledger: pd.DataFrame, year: int) -> float:
    """Median share of the attributable saving (all payers) that arrives in years before ``year``."""
    by_year = saving_by_payer_year(ledger).groupby(level="year").sum()
    total = by_year.sum(axis=0)
    early = by_year[by_year.index < year].sum(axis=0)
    shares = (early / total.where(total != 0)).dropna()
    return float(shares.median()) if len(shares) else float("nan")


def after_window_share(summary: pd.DataFrame, rule: str) -> float:
    """Share of the rule's median horizon saving that falls after the rule's repayment window."""
    total = band_of(summary, rule, "attributable_saving_sek").p50
    inside = band_of(summary, rule, "attributable_saving_in_window_sek").p50
    if is_missing(total) or is_missing(inside) or total <= 0:
        return float("nan")
    return max(0.0, min(1.0, 1.0 - inside / total))


def top_caveats(config: Mapping[str, Any], ctx: ChartContext, summary: pd.DataFrame, ledger: pd.DataFrame,
                rules: list[str]) -> list[tuple[str, str]]:
    """(head, text) of the three caveats that matter most for this run, each with its numbers:
    what would have happened anyway (the policy path), what falls outside the rules' windows,
    and what the evaluation method can know."""
    lang = ctx.language
    pct = lambda x: fmt_percent(x, lang)  # noqa: E731
    money = lambda x: msek(x, lang)  # noqa: E731
    first = rules[0]
    out = []

    path = ((config.get("intervention") or {}).get("ordinary_practice") or {})
    if path.get("enabled"):
        year, month = int(path.get("start_year")), int(path.get("start_month", 1))
        out.append((say(lang, "cav_path_head"),
                    say(lang, "cav_path_on", date=f"{year}-{month:02d}", months=path.get("eligible_min_months_on_eb"),
                        share=pct(share_before(ledger, year)), year=year)))
    else:
        out.append((say(lang, "cav_path_head"), say(lang, "cav_path_off")))

    windows = [(after_window_share(summary, r), r) for r in rules if rule_owes(config, r)]
    windows = [(s, r) for s, r in windows if not math.isnan(s)]
    if windows:
        lo, hi = min(windows), max(windows)
        out.append((say(lang, "cav_window_head"),
                    say(lang, "cav_window", lo=pct(lo[0]), lo_rule=ctx.rule(lo[1]), hi=pct(hi[0]),
                        hi_rule=ctx.rule(hi[1]), h=ctx.horizon_years)))
    else:
        late = 1.0 - share_before(ledger, (ctx.end_year or 0) + 1) if ctx.end_year else float("nan")
        out.append((say(lang, "cav_window_head"), say(lang, "cav_late", share=pct(late), year=ctx.end_year or "—")))

    method = config.get("evaluation") or "attributable"
    attr_years = band_of(summary, first, "attributable_saving_project_years_sek").p50
    naive = band_of(summary, first, "naive_claim_sek").p50
    out.append((say(lang, "cav_method_head"),
                say(lang, f"cav_method_{method}" if method in ("naive", "deadweight_adjusted") else "cav_method_attributable",
                    naive=money(naive), attr=money(attr_years))))
    return out


# --- reproducing the run -------------------------------------------------------------------------------

def reproduce_command(folder: Path | None, config: Mapping[str, Any]) -> str:
    """The command that reruns this folder: Hydra's recorded overrides, else the run's key values."""
    overrides_file = Path(folder) / ".hydra" / "overrides.yaml" if folder is not None else None
    if overrides_file is not None and overrides_file.exists():
        overrides = yaml.load(overrides_file.read_text(encoding="utf-8"), Loader=SAFE_LOADER) or []
        overrides = [o for o in overrides if not str(o).startswith("hydra.")]
    else:
        overrides = [f"seed={config.get('seed')}", f"replications={config.get('replications')}",
                     f"horizon_years={config.get('horizon_years')}"]
    return " ".join(["sifsim", *map(str, overrides)])


# --- the page section --------------------------------------------------------------------------------------

def _cell(median: str, band_text: str | None = None) -> str:
    return esc(median) + (f'<span class="band">{esc(band_text)}</span>' if band_text else "")


def _money_cell(b: Band, language: str) -> str:
    if b.missing:
        return "—"
    decimals = 2 if max(abs(b.p10), abs(b.p50), abs(b.p90)) < 1e6 else 1
    mid = msek_number(b.p50, language, decimals)
    lo, hi = msek_number(b.p10, language, decimals), msek_number(b.p90, language, decimals)
    unit = labels.text(language, "charts.money_unit_M")
    return _cell(f"{mid}\u00a0{unit}", None if lo == mid == hi else f"[{lo} … {hi}]")


def rule_rows(config: Mapping[str, Any], ctx: ChartContext, summary: pd.DataFrame,
              rules: list[str]) -> list[tuple[str, list[str]]]:
    """(rule, cells as HTML) of the key-figures table: in-window saving, repaid, year repaid,
    written off, peak pressure in SEK and posts, P(full) with its 80 % interval."""
    lang = ctx.language
    rows = []
    for rule in rules:
        owes = rule_owes(config, rule)
        b = lambda m: band_of(summary, rule, m)  # noqa: E731
        year = b("year_fully_repaid")
        p = b("p_full_repayment")
        not_owed = esc(say(lang, "not_owed"))
        year_band = None if year.p10 == year.p50 == year.p90 or (is_missing(year.p10) and is_missing(year.p90)) \
            else f"[{year_text(year.p10, lang)} … {year_text(year.p90, lang)}]"
        cells = [
            esc(ctx.rule(rule)),
            _money_cell(b("attributable_saving_in_window_sek"), lang) if owes else "—",
            _money_cell(b("repaid_sek"), lang) if owes else not_owed,
            _cell(year_text(year.p50, lang), year_band) if owes else not_owed,
            esc(msek(b("written_off_sek").p50, lang)) if owes else not_owed,
            esc(msek(b("peak_budget_pressure_sek").p50, lang)),
            esc(fmt_number(b("peak_budget_pressure_posts").p50, lang, 1)),
            _cell(fmt_percent(p.mean, lang), None if p.missing else f"[{fmt_percent(p.p10, lang)} … {fmt_percent(p.p90, lang)}]")
            if owes else not_owed,
        ]
        rows.append((rule, cells))
    return rows


def decision_text(config: Mapping[str, Any], ctx: ChartContext, summary: pd.DataFrame, rules: list[str]) -> str:
    """The decision in plain words: what it costs, what it saves when it matters, whether it comes back."""
    lang = ctx.language
    money = lambda x: msek(x, lang)  # noqa: E731
    h = headline(summary, rules[0])
    text = say(lang, "decision_cost", intervention=ctx.intervention or "—",
               cost=money(h["intervention_cost_sek"].p50), pv=money(h["attributable_saving_pv_sek"].p50),
               years=money(h["attributable_saving_project_years_sek"].p50))
    p, best = best_rules(summary, rules, config)
    owed = [r for r in rules if rule_owes(config, r)]
    if not owed:
        return text + " " + say(lang, "decision_no_rule")
    names = words_list([ctx.rule(r) for r in best], lang)
    if is_missing(p) or p <= 0:
        return text + " " + say(lang, "decision_never", h=ctx.horizon_years)
    key = "decision_likely" if p >= 0.5 else "decision_unlikely"
    tie = say(lang, "tie", n=len(best)) if len(best) > 1 else ""
    return text + " " + say(lang, key, rules=names, p=fmt_percent(p, lang), h=ctx.horizon_years, tie=tie)


def one_page_html(config: Mapping[str, Any], ctx: ChartContext, tables: Mapping[str, pd.DataFrame],
                  manifest: Mapping[str, Any], folder: Path | None, title: str, subtitle: str) -> list[str]:
    """The one-page summary as HTML fragments (the first ``<section>`` of the report)."""
    lang = ctx.language
    summary, ledger = tables["summary"], tables["ledger"]
    rules = list(dict.fromkeys(summary["rule"].tolist()))
    first = rules[0]
    h = headline(summary, first)
    rate = ctx.discount_rate
    out = ['<section id="one-page" class="one-page">', f"<h1>{esc(title)}</h1>", f'<p class="sub">{esc(subtitle)}</p>',
           f'<p class="decision" id="decision">{esc(decision_text(config, ctx, summary, rules))}</p>']

    # the headline: PV and project years first, the nominal horizon total as a sensitivity
    lines = [(say(lang, "pv", rate=fmt_percent(rate, lang, 1) if rate is not None else "—"), h["attributable_saving_pv_sek"]),
             (say(lang, "project_years", first=ctx.start_year or "—", last=ctx.end_year or "—"),
              h["attributable_saving_project_years_sek"]),
             (say(lang, "nominal", h=ctx.horizon_years), h["attributable_saving_sek"]),
             (say(lang, "grant"), h["intervention_cost_sek"])]
    net = net_of_grant(tables.get("per_replication"), first)
    if not net.missing:
        lines.append((say(lang, "net"), net))
    for perspective, b in perspectives(summary, first).items():
        name = labels.names(lang, "perspectives").get(perspective, perspective.replace("_", " "))
        lines.append((say(lang, "net_perspective", perspective=name), b))
    out.append('<table class="headline" id="headline"><tbody>')
    out += [f'<tr><th scope="row">{esc(label)}</th><td class="num">{_money_cell(b, lang)}</td></tr>'
            for label, b in lines]
    out.append("</tbody></table>")
    out.append(f'<p class="note" id="gross-net">{esc(say(lang, "gross", grant=msek(h["intervention_cost_sek"].p50, lang)))}</p>')

    header = [say(lang, k) for k in ("rule", "in_window", "repaid", "year_full", "written_off", "pressure",
                                      "posts", "p_full")]
    out.append(f'<h2>{esc(labels.text(lang, "report.key_figures"))}</h2>')
    out.append('<table class="key-figures" id="key-figures"><thead><tr>'
               + "".join(f'<th{"" if i == 0 else " class=\"num\""}>{esc(x)}</th>' for i, x in enumerate(header))
               + "</tr></thead><tbody>")
    for rule, cells in rule_rows(config, ctx, summary, rules):
        out.append(f'<tr data-rule="{esc(rule)}">'
                   + "".join(f'<td{"" if i == 0 else " class=\"num\""}>{c}</td>' for i, c in enumerate(cells)) + "</tr>")
    out.append("</tbody></table>")
    out.append(f'<p class="note">{esc(say(lang, "kf_note"))}</p>')

    out.append(f'<h2>{esc(say(lang, "caveats"))}</h2><ol class="caveats" id="top-caveats">')
    out += [f"<li><strong>{esc(head)}</strong> {esc(text)}</li>"
            for head, text in top_caveats(config, ctx, summary, ledger, rules)]
    out.append("</ol>")
    version = manifest.get("sifsim_version", "—")
    git = (manifest.get("git_revision") or "—")[:12]
    out.append(f'<p class="note reproduce" id="reproduce">{esc(say(lang, "reproduce", version=version, git=git))} '
               f"<code>{esc(reproduce_command(folder, config))}</code></p>")
    out.append("</section>")
    return out
