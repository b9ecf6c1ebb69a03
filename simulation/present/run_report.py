"""A run's report, from its tables and config: ``charts/*.png|svg`` and one self-contained
``report.html`` (plain-words summary, key figures per rule, savings by payer, the charts, the
caveats, the assumptions with their sources, and what was run)."""

from __future__ import annotations

import json
import math
import re
from pathlib import Path
from typing import Any, Callable, Mapping

import pandas as pd

from simulation.present import labels, one_page
from simulation.present.charts import CHARTS, ChartContext, payer_name, run_charts, saving_by_payer_year
from simulation.present.files import atomic_write_bytes
from simulation.present.formatting import fmt_number, fmt_percent, money_band, msek, msek_number
from simulation.present.page import esc, figure_html, page, table_html

REPORT_FILE = "report.html"
# the tables the report reads itself; the charts' tables are declared in the chart registry
REPORT_TABLES = ("summary", "ledger")
# read when the folder has them (older folders may not); the report leaves their figures out otherwise
OPTIONAL_TABLES = ("per_replication", "budget")
# a config value that is a name (JSON string of lower-case letters, digits and underscores)
IDENTIFIER = re.compile(r'^"[a-z][a-z0-9_]*"$')


def run_report_tables() -> tuple[str, ...]:
    """Every table a run report reads: its own and those of every run chart."""
    names = list(REPORT_TABLES)
    for c in CHARTS.values():
        if c.kind == "run":
            names += [n for n in c.tables if n not in names]
    return tuple(names)


def w(language: str, key: str, **kwargs: Any) -> str:
    """A report text (labels/<language>.yaml, ``report:``)."""
    return labels.text(language, f"report.{key}", **kwargs)


# --- numbers ----------------------------------------------------------------------------------------

#: an outcome's mean, median and P10–P90 band from the summary (NaN when the run lacks it)
stat = one_page.band_of


def value_text(raw: str, language: str, limit: int = 90) -> str:
    """A config value (JSON text) for a table cell: numbers in the language's style, long ones cut."""
    try:
        value = json.loads(raw)
    except (TypeError, ValueError):
        return str(raw)

    def fmt(v: Any) -> str:
        if isinstance(v, bool):
            return w(language, "yes") if v else w(language, "no")
        if v is None:
            return "—"
        if isinstance(v, (int, float)):
            decimals = 0 if float(v).is_integer() else min(4, max(1, len(repr(float(v)).split(".")[1])))
            return fmt_number(float(v), language, decimals)
        if isinstance(v, Mapping):
            return "{" + ", ".join(f"{k}: {fmt(x)}" for k, x in v.items()) + "}"
        if isinstance(v, (list, tuple)):
            return "[" + ", ".join(fmt(x) for x in v) + "]"
        return str(v)

    text = fmt(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def payer_totals(ledger: pd.DataFrame) -> pd.DataFrame:
    """Attributable saving per payer over the horizon: p10, p50, p90 over replications, largest first."""
    full = saving_by_payer_year(ledger).groupby(level="payer").sum()
    q = full.quantile([0.1, 0.5, 0.9], axis=1).T
    q.columns = ["p10", "p50", "p90"]
    return q.sort_values("p50", ascending=False, kind="mergesort")


def late_share(ledger: pd.DataFrame, after_year: int) -> float:
    """Median share of the attributable saving (all payers) that arrives after ``after_year``."""
    full = saving_by_payer_year(ledger).groupby(level="year").sum()
    total = full.sum(axis=0)
    late = full[full.index > after_year].sum(axis=0)
    shares = (late / total.where(total != 0)).dropna()
    return float(shares.median()) if len(shares) else float("nan")


def cash_share_all_payers(ledger: pd.DataFrame) -> float:
    """Median share of the attributable saving (all payers) that is cash somewhere."""
    from simulation.accounting.ledger import savings_by  # the one definition of a saving
    per = savings_by(ledger, ["replication", "cash"])
    wide = per.pivot_table(index="replication", columns="cash", values="saving_sek", aggfunc="sum", fill_value=0.0)
    total = wide.sum(axis=1)
    cash = wide[True] if True in wide.columns else 0.0 * total
    shares = (cash / total.where(total != 0)).dropna()
    return float(shares.median()) if len(shares) else float("nan")


PERSPECTIVE_NAMES = ("budget", "society", "household")


def perspectives_html(summary: pd.DataFrame, rule: str, lang: str) -> list[str]:
    """WSIPP-style figures side by side: PV of net benefit, benefit–cost ratio, P(net benefit > 0)."""
    if f"net_benefit_pv_sek_{PERSPECTIVE_NAMES[0]}" not in set(summary["metric"]):
        return []
    rows = []
    for view in PERSPECTIVE_NAMES:
        net = stat(summary, rule, f"net_benefit_pv_sek_{view}")
        ratio = stat(summary, rule, f"benefit_cost_ratio_{view}")
        p = stat(summary, rule, f"p_net_benefit_positive_{view}")
        rows.append([labels.text(lang, f"perspectives.{view}"), money_band(net.p10, net.p50, net.p90, lang),
                     fmt_number(ratio.p50, lang, 2) if not math.isnan(ratio.p50) else "—",
                     fmt_percent(p.mean, lang) if not math.isnan(p.mean) else "—"])
    say = lambda key: labels.text(lang, f"perspectives.{key}")  # noqa: E731
    return [f'<section id="perspectives"><h2>{esc(say("title"))}</h2>',
            table_html([say("perspective"), f'{say("net_benefit")}, {w(lang, "median_band")}', say("ratio"),
                        say("p_positive")], rows, numeric={1, 2, 3}),
            f'<p class="note">{esc(say("note"))}</p></section>']


def organisation_html(config: Mapping[str, Any], ledger: pd.DataFrame, lang: str) -> list[str]:
    """The municipality's committees and their units as the config defines them (units and
    committees are data, issue 14), which one borrows, and each unit's net booked amount over the
    horizon, intervention arm minus control arm (median over replications): a unit of one's own
    (a jobbcenter) appears here even when its project cost and its grant net to zero."""
    mun = config.get("municipality") or {}
    committees, units = mun.get("committees") or [], mun.get("units") or []
    if not units:
        return []
    say = lambda key: labels.text(lang, f"organisation.{key}")  # noqa: E731
    borrower = (config.get("intervention") or {}).get("borrower")
    by_unit = {}
    if len(ledger):
        net = ledger.groupby(["replication", "arm", "payer"], observed=True)["amount_sek"].sum().unstack("arm")
        if {"intervention", "control"} <= set(net.columns):
            delta = (net["intervention"].fillna(0.0) - net["control"].fillna(0.0)).groupby(level="payer").median()
            by_unit = delta.to_dict()
    label = {c.get("name"): c.get("label") or c.get("name") for c in committees}
    rows = []
    for u in units:
        committee = u.get("committee")
        rows.append([label.get(committee, committee) + (f" ({say('borrows')})" if committee == borrower else ""),
                     payer_name(u.get("name"), lang),
                     msek(by_unit[u.get("name")], lang) if u.get("name") in by_unit else "—"])
    header = [say("committee"), say("unit"), say("net_booked")]
    return [f'<section id="organisation"><h2>{esc(say("title"))}</h2>', table_html(header, rows, numeric={2}),
            f'<p class="note">{esc(say("note"))}</p></section>']


def budget_html(budget: pd.DataFrame | None, lang: str) -> list[str]:
    """The EB unit's frame, outturn and surplus per year in both arms (medians): the seed's "no pot of money"."""
    if budget is None or not len(budget):
        return []
    eb = budget[budget["unit"] == "eb_unit"]
    per = eb.groupby(["year", "arm", "replication"], observed=True)[["frame_sek", "outturn_sek", "surplus_sek"]].sum()
    med = per.groupby(["year", "arm"], observed=True).median().unstack("arm")
    say = lambda key: labels.text(lang, f"budget.{key}")  # noqa: E731
    rows = []
    for year, r in med.iterrows():
        rows.append([str(year)] + [msek(r[(col, arm)], lang) for arm in ("intervention", "control")
                                   for col in ("frame_sek", "outturn_sek", "surplus_sek")
                                   if (col, arm) in r.index])
    header = [say("year")] + [f"{say(col)} ({say(arm)})" for arm in ("intervention", "control")
                              for col in ("frame_sek", "outturn_sek", "surplus_sek")]
    return [f'<section id="budget"><h2>{esc(say("title"))}</h2>',
            table_html(header, rows, numeric=set(range(1, 7))),
            f'<p class="note">{esc(say("note"))}</p></section>']


# --- words built from the numbers ----------------------------------------------------------------------

def summary_paragraphs(ctx: ChartContext, summary: pd.DataFrame, payers: pd.DataFrame, rules: list[str],
                       language: str, config: Mapping[str, Any] | None = None) -> list[str]:
    """The plain-words summary: cost, saving and who got it, repayment under the rules, the method."""
    say = lambda key, **kw: labels.text(language, f"summary.{key}", **kw)  # noqa: E731
    first = rules[0]
    s = lambda m: stat(summary, first, m)  # noqa: E731
    money = lambda x: msek(x, language)  # noqa: E731
    pct = lambda x: fmt_percent(x, language)  # noqa: E731
    h = ctx.horizon_years
    cost, attr, muni, borrower, cash, naive = (s("intervention_cost_sek"), s("attributable_saving_sek"),
                                               s("municipal_saving_sek"), s("borrower_saving_sek"),
                                               s("cash_saving_sek"), s("naive_claim_sek"))
    top = payers.index[0] if len(payers) else None
    top_name = payer_name(top, language) if top else "—"
    top_share = (payers["p50"].iloc[0] / muni.p50) if top and muni.p50 else float("nan")
    owed = [r for r in rules if one_page.rule_owes(config or {}, r)] if config is not None else rules
    shares = [(stat(summary, r, "repaid_share").p50, ctx.rule(r)) for r in owed]
    shares_ok = [(v, r) for v, r in shares if not math.isnan(v)]
    best_p, best = one_page.best_rules(summary, owed, config) if config is not None else (float("nan"), [])
    best_names = one_page.words_list([ctx.rule(r) for r in best], language)
    paras = [
        say("cost", intervention=ctx.intervention, cost=money(cost.p50), h=h, attr=money(attr.p50),
            attr_p10=msek_number(attr.p10, language, 1), attr_p90=money(attr.p90), muni=money(muni.p50),
            borrower=money(borrower.p50), cash=money(cash.p50)),
        say("top", top=top_name, naive=money(naive.p50),
            top_share=say("top_share", share=pct(top_share)) if not math.isnan(top_share) else ""),
    ]
    if shares_ok:
        lo, hi = min(shares_ok), max(shares_ok)
        paras.append(say("rules", lo=pct(lo[0]), lo_rule=lo[1], hi=pct(hi[0]), hi_rule=hi[1], h=h)
                     + (say("best", rule=best_names, p=pct(best_p)) if best_p > 0 else say("none_full", h=h)))
    paras.append(say("method"))
    return paras


def caveats(config: Mapping[str, Any], ctx: ChartContext, summary: pd.DataFrame, ledger: pd.DataFrame,
            payers: pd.DataFrame, rules: list[str], language: str) -> list[str]:
    """The seeds' caveats, each with this run's numbers, as ``<li>`` items."""
    say = lambda key, **kw: labels.text(language, f"caveats.{key}", **kw)  # noqa: E731
    first = rules[0]
    money = lambda x: msek(x, language)  # noqa: E731
    pct = lambda x: fmt_percent(x, language)  # noqa: E731
    attr = stat(summary, first, "attributable_saving_sek").p50
    borrower = stat(summary, first, "borrower_saving_sek").p50
    cash = stat(summary, first, "cash_saving_sek").p50
    naive = stat(summary, first, "naive_claim_sek").p50
    cash_all = cash_share_all_payers(ledger)
    start = ctx.start_year or int(ledger["year"].min())
    window = 6  # Stockholm 2016: savings counted for at most six years (seed 002)
    late = late_share(ledger, start + window)
    h = ctx.horizon_years or int(ledger["year"].nunique())
    reorgs = (config.get("municipality", {}) or {}).get("reorganisations") or []
    reorg_text = "; ".join(f"{payer_name(r['unit'], language)} → {payer_name(r['to_body'], language)} "
                           f"{r['year']}-{int(r.get('month', 1)):02d}" for r in reorgs)
    outside = [p for p in payers.index if p in ("region", "state")]
    outside_text = ", ".join(f"{payer_name(p, language)} {money(payers.loc[p, 'p50'])}" for p in outside)
    late_text = say("late.share", share=pct(late), year=start + window) \
        if not math.isnan(late) and h > window else ""
    texts = {
        "cash": say("cash.text", cash_all=pct(cash_all), borrower=money(borrower), cash=money(cash)),
        "late": say("late.text", late=late_text, h=h),
        "control": say("control.text", attr=money(attr), naive=money(naive)),
        "pocket": say("pocket.text", reorgs=say("pocket.reorgs", reorgs=reorg_text) if reorg_text else "",
                      outside=say("pocket.outside", outside=outside_text) if outside_text else ""),
        "model": say("model.text"),
    }
    return [f"<li><strong>{esc(say(f'{key}.head'))}</strong> {esc(text)}</li>" for key, text in texts.items()]


def option_title(group: str, option: str, config: Mapping[str, Any], language: str) -> str:
    """A conf file's option as a reader knows it: the rule's, intervention's or municipality's
    label from the config, a label of ``options:``, else the name made readable."""
    ctx = ChartContext.from_config(config, language)
    if group == "repayment":
        return ctx.rule(option)
    node = config.get(group) or {}
    if isinstance(node, Mapping) and node.get("name") == option and node.get("label"):
        return str(node["label"])
    for item in (config.get("portfolio") or {}).values() if group == "intervention" else ():
        if item.get("name") == option and item.get("label"):
            return str(item["label"])
    return labels.names(language, "options").get(option, option.replace("_", " "))


def assumptions_html(assumptions: pd.DataFrame, language: str, config: Mapping[str, Any] | None = None) -> list[str]:
    """The assumptions table, one block per conf file, with the source labels in words."""
    # a comment that names no source has the label "" (the files call it "none")
    sources = {("" if k == "none" else k): v for k, v in labels.names(language, "sources").items()}
    conf_words, groups = labels.names(language, "confidence"), labels.names(language, "groups")
    counts = assumptions["label"].fillna("").value_counts()
    count_text = ", ".join(f"{sources.get(k, k)} {int(counts.get(k, 0))}"
                           for k in ("seed", "pub", "derived", "reading", "assumption", "") if counts.get(k, 0))
    out = [f'<p class="note">{esc(w(language, "assumptions_intro", counts=count_text))}</p>']
    for (group, option), rows in assumptions.groupby(["group", "option"], sort=False):
        out.append(f"<h3>{esc(groups.get(group, group))}: {esc(option_title(group, option, config or {}, language))}</h3>")
        note = next((n for n in rows["file_note"] if n), "")
        if note:
            out.append(f'<p class="note">{esc(note)}</p>')
        body = []
        for _, r in rows.iterrows():
            value = esc(value_text(r["value"], language))
            if IDENTIFIER.match(str(r["value"])) or str(r["value"])[:1] in "{[":
                # a name the config uses ("after_project") or a table/list keyed by such names: code
                value = f"<code>{value}</code>"
            if bool(r["changed"]):
                value = f'<span class="changed">{value}{esc(w(language, "changed"))}</span>'
            conf = "–".join(conf_words.get(c, c) for c in str(r["confidence"]).split("–")) if r["confidence"] else ""
            body.append([f"<code>{esc(r['key'])}</code>", value, esc(sources.get(r["label"], r["label"])),
                         esc(conf), f'<span lang="en" class="conf-comment">{esc(r["comment"])}</span>'])
        out.append(table_html([w(language, "key"), w(language, "value"), w(language, "source"),
                               w(language, "confidence"), w(language, "comment")], body, raw=True))
    return out


def charts_html(chart_files: Mapping[str, list[Path]], language: str) -> list[str]:
    """The charts section's figures, each with its registered caption."""
    out = []
    for name, paths in chart_files.items():
        png = next(p for p in paths if p.suffix == ".png")
        out.append(figure_html(png, name, labels.text(language, CHARTS[name].caption)))
    return out


# --- the page -------------------------------------------------------------------------------------------

def render_run_report(config: Mapping[str, Any], tables: Mapping[str, pd.DataFrame], ctx: ChartContext,
                      chart_files: Mapping[str, list[Path]] | Callable[[], Mapping[str, list[Path]]],
                      assumptions: pd.DataFrame,
                      manifest: Mapping[str, Any] | None = None, folder: Path | None = None) -> bytes:
    """The report as UTF-8 HTML bytes (``folder``: the run folder, for the command that reproduces it).

    ``chart_files`` may be a callable that waits for charts being drawn: it is called last, when
    the rest of the page is written.
    """
    lang = ctx.language
    manifest = manifest or {}
    summary = tables["summary"]
    rules = list(dict.fromkeys(summary["rule"].tolist()))
    payers = payer_totals(tables["ledger"])
    n = config.get("replications")
    title = w(lang, "title", intervention=ctx.intervention)
    subtitle = w(lang, "subtitle", municipality=ctx.municipality, n=n, h=ctx.horizon_years, year=ctx.price_year)
    body = one_page.one_page_html(config, ctx, tables, manifest, folder, title, subtitle)

    body.append(f'<section id="summary"><h2>{esc(w(lang, "summary"))}</h2>')
    body += [f"<p>{esc(p)}</p>" for p in summary_paragraphs(ctx, summary, payers, rules, lang, config)]
    body.append("</section>")

    first = rules[0]
    rate = ctx.discount_rate
    lines = [("intervention_cost_sek", w(lang, "sv_cost")), ("naive_claim_sek", w(lang, "sv_naive")),
             ("attributable_saving_sek", w(lang, "sv_attr")),
             ("attributable_saving_pv_sek", w(lang, "sv_attr_pv", rate=fmt_percent(rate, lang, 1) if rate is not None else "—")),
             ("attributable_saving_fund_inputs_sek", w(lang, "sv_attr_fund")),
             ("municipal_saving_sek", w(lang, "sv_muni")), ("region_state_saving_sek", w(lang, "sv_rs")),
             ("borrower_saving_sek", w(lang, "sv_borrower")), ("cash_saving_sek", w(lang, "sv_cash"))]
    body.append(f'<section id="savings"><h2>{esc(w(lang, "savings"))}</h2>')
    body.append(table_html([w(lang, "measure"), f'{w(lang, "amount")}, {w(lang, "median_band")}'],
                           [[label, money_band(*(getattr(stat(summary, first, m), k) for k in ("p10", "p50", "p90")),
                                               lang)]
                            for m, label in lines if m in set(summary["metric"])], numeric={1}))
    body.append(f"<h3>{esc(w(lang, 'payer_table'))}</h3>")
    body.append(table_html([w(lang, "payer"), f'{w(lang, "amount")}, {w(lang, "median_band")}'],
                           [[payer_name(p, lang), money_band(r["p10"], r["p50"], r["p90"], lang)]
                            for p, r in payers.iterrows()], numeric={1}))
    body.append("</section>")

    body += perspectives_html(summary, first, lang)
    body += budget_html(tables.get("budget"), lang)
    body += organisation_html(config, tables["ledger"], lang)

    body.append(f'<section id="charts"><h2>{esc(w(lang, "charts"))}</h2><div class="charts">')
    charts_at = len(body)       # filled in last: the charts may still be being drawn (a callable)
    body.append("</div></section>")

    # issue 13: the `sifsim explore` studies in RUN/explore/<name>/, "Which assumptions decide?" (none: no section)
    from simulation.explore.report import run_report_section
    body += run_report_section(folder, lang, config)

    body.append(f'<section id="caveats"><h2>{esc(w(lang, "caveats"))}</h2><ul>')
    body += caveats(config, ctx, summary, tables["ledger"], payers, rules, lang)
    body.append("</ul></section>")

    body.append(f'<section id="about"><h2>{esc(w(lang, "about"))}</h2>')
    body.append("<p>" + esc(w(lang, "about_items", seed=config.get("seed"), n=n, h=ctx.horizon_years,
                                evaluation=labels.names(lang, "evaluations").get(config.get("evaluation"), config.get("evaluation")), hash=manifest.get("config_hash", "—"),
                                version=manifest.get("sifsim_version", "—"),
                                git=manifest.get("git_revision") or "—")) + "</p>")
    body.append(f'<p class="note">{esc(w(lang, "offline"))}</p></section>')
    body.append(f'<section id="assumptions" class="appendix"><h2>{esc(w(lang, "assumptions"))}</h2>')
    body += assumptions_html(assumptions, lang, config)
    body.append("</section>")

    body[charts_at:charts_at] = charts_html(chart_files() if callable(chart_files) else chart_files, lang)
    return page(lang, title, body)


def write_run_report(tables: Mapping[str, pd.DataFrame], config: Mapping[str, Any], folder: Path,
                     assumptions: pd.DataFrame, *, language: str | None = None,
                     manifest: Mapping[str, Any] | None = None,
                     chart_files: Mapping[str, list[Path]] | Callable[[], Mapping[str, list[Path]]]
                     | None = None) -> list[Path]:
    """Draw every run chart into ``folder/charts`` and write ``folder/report.html``.

    Args:
        tables: the run's tables by name (:func:`run_report_tables` lists the ones read).
        config: the run's resolved config.
        folder: where ``charts/`` and ``report.html`` go.
        assumptions: the assumptions table (one row per commented default, with its source).
        language: "sv" or "en"; default: the config's ``language``.
        manifest: the run's manifest (config hash, version, git revision), if any.
        chart_files: the charts, if already drawn into ``folder/charts`` ({name: paths}), or a
            callable returning them once they are (called when the rest of the page is written).

    Returns:
        The paths written: every chart's PNG and SVG, then the report.
    """
    folder = Path(folder)
    ctx = ChartContext.from_config(config, language or config.get("language", "sv"))
    if chart_files is None:
        chart_files = run_charts(tables, ctx, folder / "charts")
    report = folder / REPORT_FILE
    html = render_run_report(config, tables, ctx, chart_files, assumptions, manifest, folder)
    if callable(chart_files):
        chart_files = chart_files()     # already waited for, inside render_run_report
    atomic_write_bytes(report, html)
    return [p for ps in chart_files.values() for p in ps] + [report]
