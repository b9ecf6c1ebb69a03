"""Charts and a self-contained HTML report from a finished run or sweep folder, without re-running.

    sifsim report FOLDER [--language sv|en]      (≡ python -m simulation report …)

A run folder (``population.parquet`` …) gets ``charts/*.png|svg`` and ``report.html``; a sweep
folder (``sweep_summary.csv``) gets the sweep charts and its own ``report.html``. The report
embeds its charts as base64 PNG and has no scripts, fonts or links: it opens offline and can be
mailed as one file. Building twice from the same tables gives byte-identical files.

The assumptions table carries each value's source label as written in the comments of the
``conf/`` files the run used (seed / pub / derived / assumption / reading, confidence H/M/L).
Those comments are captured once, into ``assumptions.csv`` in the run folder, the first time the
report is built — so a later rebuild shows the sources as they were when the run was made.
"""

from __future__ import annotations

import argparse
import base64
import html
import json
import math
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable, Mapping

import pandas as pd
import yaml

from simulation.present import charts
from simulation.present.charts import fmt_number, fmt_percent

CONF_DIR = Path(__file__).resolve().parents[2] / "conf"
ECONOMY_OPTION = "sweden_2017"          # the one economy group option (the config does not name it)
ASSUMPTIONS_FILE = "assumptions.csv"
REPORT_FILE = "report.html"
RUN_TABLES = ("ledger", "population", "repayment", "years", "per_replication", "summary")


# --- reading a folder ---------------------------------------------------------------------------

def read_table(folder: Path, stem: str) -> pd.DataFrame:
    """A table of a run or sweep folder: Parquet when present (exact types), else CSV."""
    parquet, csv = folder / f"{stem}.parquet", folder / f"{stem}.csv"
    if parquet.exists():
        return pd.read_parquet(parquet)
    if csv.exists():
        return pd.read_csv(csv)
    raise FileNotFoundError(f"{folder} has no {stem}.parquet or {stem}.csv")


def read_config(folder: Path) -> dict:
    """The run's resolved config (config.yaml, else Hydra's .hydra/config.yaml)."""
    for path in (folder / "config.yaml", folder / ".hydra" / "config.yaml"):
        if path.exists():
            return yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    raise FileNotFoundError(f"{folder} has no config.yaml")


def atomic_write_bytes(path: Path, data: bytes) -> None:
    from simulation.app.outputs import atomic_write
    atomic_write(path, lambda p: p.write_bytes(data))


# --- sources of the assumptions (conf comments) ------------------------------------------------------

from scenarios import provenance  # noqa: E402  (the records of conf/: one per leaf key, scenarios/provenance.py)


def lookup(tree: Any, path: Iterable[str]) -> Any:
    for key in path:
        if isinstance(tree, Mapping) and key in tree:
            tree = tree[key]
        else:
            raise KeyError(".".join(path))
    return tree


def conf_files(config: Mapping[str, Any]) -> list[tuple[str, str, tuple[str, ...]]]:
    """(group, option, path of the group's node in the config) for every conf file the run used."""
    files = [("economy", ECONOMY_OPTION, ("economy",)),
             ("municipality", config.get("municipality", {}).get("name", ""), ("municipality",)),
             ("population", config.get("population", {}).get("name", ""), ("population",))]
    portfolio = config.get("portfolio") or {}
    if portfolio:
        files += [("intervention", item.get("name", name), ("portfolio", name)) for name, item in portfolio.items()]
    else:
        files.append(("intervention", config.get("intervention", {}).get("name", ""), ("intervention",)))
    files += [("repayment", rule, ("repayment",)) for rule in (config.get("repayment", {}).get("rules") or {})]
    return files


def collect_assumptions(config: Mapping[str, Any], conf_dir: Path = CONF_DIR) -> pd.DataFrame:
    """Every default of the conf files the run used (with what their defaults lists pull in, e.g.
    conf/base/), the run's value beside it and the record's source label and confidence."""
    rows = []
    for group, option, node in conf_files(config):
        path = conf_dir / group / f"{option}.yaml"
        if not option or not path.exists():
            continue
        parsed = provenance.resolved(path, conf_dir)
        header = parsed.header
        records = list(parsed.records)
        if group == "repayment":  # one row for the rule itself: its label's record, its header as comment
            own = next((r for r in records if r.key == f"rules.{option}.label"), None)
            rule = lookup(config, node + ("rules", option))
            rows.append({"group": group, "option": option, "key": f"repayment.rules.{option}",
                         "value": json.dumps(rule.get("label", option), ensure_ascii=False), "changed": False,
                         "label": own.source_label if own else "", "confidence": own.confidence if own else "",
                         "comment": header, "file_note": ""})
            records = [r for r in records if r is not own]
        for rec in records:
            keypath = tuple(rec.key.split("."))
            try:
                value = lookup(config, node + keypath)
            except KeyError:
                continue  # a key the typed config does not carry
            rows.append({"group": group, "option": option, "key": ".".join(node + keypath),
                         "value": json.dumps(value, ensure_ascii=False), "changed": not same(value, rec.value),
                         "label": rec.source_label, "confidence": rec.confidence, "comment": rec.describe(),
                         # a rule's header is already its own row's comment
                         "file_note": "" if group == "repayment" else header})
    return pd.DataFrame(rows, columns=["group", "option", "key", "value", "changed", "label", "confidence",
                                       "comment", "file_note"])


def same(value: Any, default: Any) -> bool:
    """Whether the run's ``value`` is the conf file's ``default``.

    Keys the file leaves out are not compared: only the file's keys are.
    """
    a, b = value, default
    if isinstance(a, Mapping) and isinstance(b, Mapping):
        a = {str(k): v for k, v in a.items()}
        return all(str(k) in a and same(a[str(k)], v) for k, v in b.items())
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    if isinstance(a, (int, float)) and isinstance(b, (int, float)) and not isinstance(a, bool):
        return math.isclose(float(a), float(b), rel_tol=1e-12, abs_tol=1e-12)
    return a == b


def load_or_capture_assumptions(folder: Path, config: Mapping[str, Any]) -> pd.DataFrame:
    """The run's assumptions table: read from the folder, or captured from conf/ the first time."""
    path = folder / ASSUMPTIONS_FILE
    if path.exists():
        frame = pd.read_csv(path, keep_default_na=False, dtype=str)
        frame["changed"] = frame["changed"].str.lower() == "true"
        return frame
    frame = collect_assumptions(config)
    from simulation.app.outputs import atomic_write
    atomic_write(path, lambda p: frame.to_csv(p, index=False))
    return frame


# --- words ------------------------------------------------------------------------------------------

W: dict[str, dict[str, str]] = {
    "en": {
        "title": "Social investment fund: {intervention}",
        "subtitle": "Simulated outcome for {municipality} · {n} paired replications · {h}-year horizon · "
                    "money in {year} prices",
        "summary": "Summary",
        "key_figures": "Key figures by repayment rule",
        "savings": "What the intervention saved, and for whom",
        "charts": "Charts",
        "caveats": "Caveats",
        "assumptions": "Assumptions and their sources",
        "about": "About this run",
        "rule": "Repayment rule", "repaid": "Repaid", "repaid_share": "Share of grant repaid",
        "year_full": "Year fully repaid", "written_off": "Written off",
        "pressure": "Peak yearly budget pressure", "posts": "… in posts", "p_full": "P(full repayment)",
        "median_band": "median [P10 … P90]",
        "never": "never",
        "kf_note": "Medians over the replications with P10–P90 in brackets; P(full repayment) is the share of "
                   "replications in which the grant is fully back within the horizon. Budget pressure = "
                   "repayment demanded minus the cash saving on the borrowing committee's budget in the "
                   "same year (positive: cuts elsewhere), in SEK and in posts.",
        "measure": "Measure", "amount": "Over the horizon",
        "sv_cost": "Intervention cost (grant paid out)",
        "sv_naive": "Saving claimed without a control group (the projects' own method)",
        "sv_attr": "Attributable saving, all payers (simulated control group)",
        "sv_attr_pv": "… present value at the discount rate of {rate}",
        "sv_muni": "Saving to the municipality",
        "sv_rs": "Saving to region and state",
        "sv_borrower": "Saving to the borrowing committee",
        "sv_cash": "… of which cash (a budget line that falls)",
        "payer": "Payer",
        "payer_table": "Attributable saving by payer over the horizon",
        "group": "Group", "key": "Key", "value": "Value in this run", "source": "Source",
        "confidence": "Confidence", "comment": "Comment in the config",
        "changed": " (changed from the default)",
        "labels": {"seed": "seed document", "pub": "published", "derived": "derived", "assumption": "assumption",
                   "reading": "reading of a seed", "": "not stated"},
        "conf_words": {"H": "high", "M": "medium", "L": "low"},
        "groups": {"economy": "Economy", "municipality": "Municipality", "population": "Population",
                   "intervention": "Intervention", "repayment": "Repayment rules"},
        "assumptions_intro": "Every commented default of the configuration files this run used, with the value "
                             "the run used. Source labels: seed document (the municipal documents the model "
                             "is built from), published (research or statistics), derived (computed or fitted "
                             "from those), reading (our interpretation where a seed gives no number), "
                             "assumption (the modeller's judgement). Where a comment names several, the weakest "
                             "is shown. Counts: {counts}.",
        "about_items": "Seed {seed} · {n} paired replications · horizon {h} years · evaluation: {evaluation} · "
                       "config hash {hash} · sifsim {version} · git revision {git}",
        "offline": "This file is self-contained: it has no scripts, fonts or links and opens without a network.",
        "yes": "yes", "no": "no",
        # sweep
        "sweep_title": "Sweep: {n_jobs} jobs over {keys}",
        "sweep_summary_text": "{ok} of {n_jobs} jobs finished. Swept: {levels}. The charts show P(full repayment) "
                              "— the share of replications in which the grant is fully back within the "
                              "horizon — and how far each swept key moves it on its own.",
        "sweep_failed": "Jobs without a result",
        "job": "Job", "status": "Status", "error": "Error",
        "sweep_table": "Results per job (P(full repayment); median share repaid)",
        "baseline": "Tornado bars move one key at a time from the default ({baseline}).",
    },
    "sv": {
        "title": "Social investeringsfond: {intervention}",
        "subtitle": "Simulerat utfall för {municipality} · {n} parade replikeringar · horisont {h} år · "
                    "belopp i {year} års priser",
        "summary": "Sammanfattning",
        "key_figures": "Nyckeltal per återbetalningsregel",
        "savings": "Vad insatsen sparade, och åt vem",
        "charts": "Diagram",
        "caveats": "Förbehåll",
        "assumptions": "Antaganden och källor",
        "about": "Om körningen",
        "rule": "Återbetalningsregel", "repaid": "Återbetalt", "repaid_share": "Andel av bidraget återbetald",
        "year_full": "År fullt återbetalt", "written_off": "Avskrivet",
        "pressure": "Största årliga budgettryck", "posts": "… i tjänster", "p_full": "P(fullt återbetalt)",
        "median_band": "median [P10 … P90]",
        "never": "aldrig",
        "kf_note": "Medianer över replikeringarna med P10–P90 inom hakparentes; P(fullt återbetalt) är andelen "
                   "replikeringar där hela bidraget är tillbaka inom horisonten. Budgettryck = krävd "
                   "återbetalning minus den kontanta besparingen i lånande nämnds budget samma år (positivt: "
                   "neddragningar på annat håll), i kronor och i tjänster.",
        "measure": "Mått", "amount": "Över horisonten",
        "sv_cost": "Insatsens kostnad (utbetalt bidrag)",
        "sv_naive": "Besparing enligt uppföljning utan kontrollgrupp (projektens egen metod)",
        "sv_attr": "Hänförbar besparing, alla betalare (simulerad kontrollgrupp)",
        "sv_attr_pv": "… nuvärde med diskonteringsräntan {rate}",
        "sv_muni": "Besparing för kommunen",
        "sv_rs": "Besparing för region och stat",
        "sv_borrower": "Besparing för lånande nämnd",
        "sv_cash": "… varav kontant (en budgetpost som faktiskt minskar)",
        "payer": "Betalare",
        "payer_table": "Hänförbar besparing per betalare över horisonten",
        "group": "Grupp", "key": "Nyckel", "value": "Värde i körningen", "source": "Källa",
        "confidence": "Säkerhet", "comment": "Kommentar i konfigurationen",
        "changed": " (ändrat från standardvärdet)",
        "labels": {"seed": "källdokument", "pub": "publicerad källa", "derived": "härlett",
                   "assumption": "antagande", "reading": "tolkning av källdokument", "": "ej angivet"},
        "conf_words": {"H": "hög", "M": "medel", "L": "låg"},
        "groups": {"economy": "Ekonomi", "municipality": "Kommun", "population": "Befolkning",
                   "intervention": "Insats", "repayment": "Återbetalningsregler"},
        "assumptions_intro": "Alla kommenterade standardvärden i de konfigurationsfiler körningen använde, med "
                             "värdet i körningen. Källetiketter: källdokument (de kommunala dokument modellen "
                             "bygger på), publicerad källa (forskning eller statistik), härlett (beräknat eller "
                             "anpassat ur dessa), tolkning (vår läsning där källdokumentet saknar siffra), "
                             "antagande (modellerarens bedömning). Där en kommentar nämner flera visas den "
                             "svagaste. Antal: {counts}.",
        "about_items": "Slumpfrö {seed} · {n} parade replikeringar · horisont {h} år · utvärdering: {evaluation} · "
                       "konfigurationshash {hash} · sifsim {version} · git-revision {git}",
        "offline": "Filen är fristående: den har inga skript, typsnitt eller länkar och öppnas utan nätverk.",
        "yes": "ja", "no": "nej",
        "sweep_title": "Svep: {n_jobs} jobb över {keys}",
        "sweep_summary_text": "{ok} av {n_jobs} jobb blev klara. Svepta nycklar: {levels}. Diagrammen visar "
                              "P(fullt återbetalt) — andelen replikeringar där hela bidraget är tillbaka inom "
                              "horisonten — och hur långt varje svept nyckel ensam flyttar den.",
        "sweep_failed": "Jobb utan resultat",
        "job": "Jobb", "status": "Status", "error": "Fel",
        "sweep_table": "Resultat per jobb (P(fullt återbetalt); median andel återbetald)",
        "baseline": "Tornadons staplar flyttar en nyckel i taget från standardvärdet ({baseline}).",
    },
}

# What each chart tells a decision-maker (figure captions in the report).
CAPTIONS = {
    "en": {
        "repayment_timeline": "Does the money come back, and when? Per rule: what the fund paid out, what came "
                              "back and what the borrowing committee actually saved, year by year. The gap "
                              "between the grey and green lines is what is still owed or was written off.",
        "repayment_waterfall": "Why a claimed saving is not a repayment: each step keeps only what the next "
                               "party can use — attributable rather than claimed, the municipality's share, the "
                               "borrowing committee's share, the part that is cash — and then what each rule "
                               "takes back.",
        "who_saves": "Who gets the saving: the payer whose costs fall is often not the committee that borrowed "
                     "(budgets moved by reorganisations; region and state). Bars below zero are payers whose "
                     "costs rise.",
        "eb_caseload": "The effect on social assistance: households on EB with and without the intervention, "
                       "and the difference — the source of most of the saving.",
        "children_placed": "The effect on children placed in care — small numbers, large costs, late and "
                           "uncertain.",
        "fund_balance": "The fund's cash under each rule: how much capital is tied up and for how long.",
        "sweep_heatmap": "Where repayment is likely: P(full repayment) over the two swept assumptions.",
        "tornado_p_full_repayment": "Which assumption matters most for full repayment, one at a time.",
        "tornado_repaid_share": "Which assumption matters most for the share repaid, one at a time.",
    },
    "sv": {
        "repayment_timeline": "Kommer pengarna tillbaka, och när? Per regel: vad fonden betalade ut, vad som kom "
                              "tillbaka och vad lånande nämnd faktiskt sparade, år för år. Avståndet mellan den "
                              "grå och den gröna linjen är vad som är kvar att betala eller skrevs av.",
        "repayment_waterfall": "Varför en påstådd besparing inte är en återbetalning: varje steg behåller bara "
                               "det nästa part kan använda — hänförbart i stället för påstått, kommunens del, "
                               "lånande nämnds del, den kontanta delen — och sedan vad varje regel tar tillbaka.",
        "who_saves": "Vem som får besparingen: den betalare vars kostnader minskar är ofta inte nämnden som "
                     "lånade (budgetar flyttade vid omorganisationer; region och stat). Staplar under noll är "
                     "betalare vars kostnader ökar.",
        "eb_caseload": "Effekten på ekonomiskt bistånd: hushåll med EB med och utan insatsen, och skillnaden — "
                       "källan till det mesta av besparingen.",
        "children_placed": "Effekten på placerade barn — få barn, stora kostnader, sent och osäkert.",
        "fund_balance": "Fondens kassa under varje regel: hur mycket kapital som binds och hur länge.",
        "sweep_heatmap": "Var återbetalning är trolig: P(fullt återbetalt) över de två svepta antagandena.",
        "tornado_p_full_repayment": "Vilket antagande betyder mest för full återbetalning, ett i taget.",
        "tornado_repaid_share": "Vilket antagande betyder mest för andelen återbetald, ett i taget.",
    },
}

CSS = """
body{font-family:Georgia,'Times New Roman',serif;max-width:60rem;margin:2rem auto;padding:0 1rem;color:#111;
line-height:1.45}
h1{font-size:1.6rem;margin-bottom:.2rem}h2{font-size:1.25rem;border-bottom:1px solid #bbb;margin-top:2rem}
h3{font-size:1.05rem}
.sub{color:#444;margin-top:0}
table{border-collapse:collapse;margin:.6rem 0;font-size:.9rem}
th,td{border-bottom:1px solid #ddd;padding:.25rem .5rem;text-align:left;vertical-align:top}
td.num,th.num{text-align:right;white-space:nowrap}
.note{font-size:.85rem;color:#444}
figure{margin:1rem 0;break-inside:avoid}
figure img{max-width:100%;height:auto;border:1px solid #eee}
figcaption{font-size:.9rem;color:#333;max-width:40rem}
.charts{display:grid;grid-template-columns:repeat(auto-fill,minmax(22rem,1fr));gap:1rem}
.changed{color:#a00}
@media print{body{max-width:none;margin:0}.charts{display:block}}
"""


def w(language: str, key: str, **kwargs: Any) -> Any:
    text = W[language][key]
    return text.format(**kwargs) if kwargs and isinstance(text, str) else text


def esc(text: Any) -> str:
    return html.escape(str(text), quote=True)


# --- numbers ----------------------------------------------------------------------------------------

def is_missing(x: Any) -> bool:
    return x is None or (isinstance(x, float) and math.isnan(x))


def msek_number(sek: float, language: str, decimals: int | None = None) -> str:
    """SEK in millions without the unit: two decimals under 1 MSEK, one above; 0 as "0"."""
    if is_missing(sek):
        return "—"
    if decimals is None:
        decimals = 2 if abs(sek) < 1e6 else 1
    if round(sek / 1e6, decimals) == 0:
        return "0"
    return fmt_number(sek / 1e6, language, decimals)


def msek_unit(language: str) -> str:
    return "mkr" if language == "sv" else "MSEK"


def msek(sek: float, language: str) -> str:
    """SEK as mkr/MSEK with the unit."""
    return "—" if is_missing(sek) else f"{msek_number(sek, language)}\u00a0{msek_unit(language)}"


def band(p10: float, p50: float, p90: float, fmt) -> str:
    """"median [P10 … P90]", or just the median when the three agree."""
    lo, mid, hi = fmt(p10), fmt(p50), fmt(p90)
    return mid if lo == mid == hi else f"{mid} [{lo} … {hi}]"


def money_band(p10: float, p50: float, p90: float, language: str) -> str:
    """A band in mkr/MSEK with the unit once and the same decimals throughout."""
    values = [v for v in (p10, p50, p90) if not is_missing(v)]
    decimals = 2 if values and max(abs(v) for v in values) < 1e6 else 1
    text = band(p10, p50, p90, lambda x: msek_number(x, language, decimals))
    return text if text == "—" else f"{text}\u00a0{msek_unit(language)}"


def year_text(year: float, language: str) -> str:
    return w(language, "never") if is_missing(year) else str(int(year))


@dataclass(frozen=True)
class Stat:
    mean: float
    p10: float
    p50: float
    p90: float


def stat(summary: pd.DataFrame, rule: str, metric: str) -> Stat:
    row = summary[(summary["rule"] == rule) & (summary["metric"] == metric)]
    if not len(row):
        return Stat(*(float("nan"),) * 4)
    r = row.iloc[0]
    return Stat(float(r["mean"]), float(r["p10"]), float(r["p50"]), float(r["p90"]))


def key_figures(summary: pd.DataFrame, rules: list[str], language: str) -> list[dict[str, str]]:
    """One row of formatted key figures per rule (the report table; tests compare against it)."""
    rows = []
    pct = lambda x: fmt_percent(x, language)  # noqa: E731
    money = lambda x: msek(x, language)  # noqa: E731
    for rule in rules:
        share = stat(summary, rule, "repaid_share")
        year = stat(summary, rule, "year_fully_repaid")
        rows.append({
            "rule": rule,
            "repaid": money_band(*(getattr(stat(summary, rule, "repaid_sek"), k) for k in ("p10", "p50", "p90")),
                                 language),
            "repaid_share": band(share.p10, share.p50, share.p90, pct),
            "year_full": band(year.p10, year.p50, year.p90, lambda y: year_text(y, language)),
            "written_off": money(stat(summary, rule, "written_off_sek").p50),
            "pressure": money(stat(summary, rule, "peak_budget_pressure_sek").p50),
            "posts": fmt_number(stat(summary, rule, "peak_budget_pressure_posts").p50, language, 1),
            "p_full": pct(stat(summary, rule, "p_full_repayment").mean),
        })
    return rows


# --- html pieces ------------------------------------------------------------------------------------

def table_html(header: list[str], rows: list[list[str]], numeric: set[int] | None = None,
               row_attrs: list[str] | None = None, raw: bool = False) -> str:
    numeric = numeric or set()
    out = ["<table>", "<thead><tr>"]
    out += [f'<th{" class=\"num\"" if i in numeric else ""}>{esc(h)}</th>' for i, h in enumerate(header)]
    out.append("</tr></thead>")
    out.append("<tbody>")
    for k, row in enumerate(rows):
        attrs = f" {row_attrs[k]}" if row_attrs else ""
        cells = "".join(f'<td{" class=\"num\"" if i in numeric else ""}>{c if raw else esc(c)}</td>'
                        for i, c in enumerate(row))
        out.append(f"<tr{attrs}>{cells}</tr>")
    out.append("</tbody></table>")
    return "\n".join(out)


def figure_html(png: Path, stem: str, caption: str) -> str:
    data = base64.b64encode(png.read_bytes()).decode("ascii")
    return (f'<figure id="chart-{esc(stem)}"><img src="data:image/png;base64,{data}" alt="{esc(caption)}">'
            f"<figcaption>{esc(caption)}</figcaption></figure>")


def page(language: str, title: str, body: list[str]) -> bytes:
    text = "\n".join([
        "<!DOCTYPE html>",
        f'<html lang="{esc(language)}">',
        "<head>",
        '<meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{esc(title)}</title>",
        f"<style>{CSS}</style>",
        "</head>",
        "<body>",
        *body,
        "</body>",
        "</html>",
        "",
    ])
    return text.encode("utf-8")


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


# --- the run report ---------------------------------------------------------------------------------

def payer_totals(ledger: pd.DataFrame) -> pd.DataFrame:
    """Attributable saving per payer over the horizon: p10, p50, p90 over replications, largest first."""
    full = charts.saving_by_payer_year(ledger).groupby(level="payer").sum()
    q = full.quantile([0.1, 0.5, 0.9], axis=1).T
    q.columns = ["p10", "p50", "p90"]
    return q.sort_values("p50", ascending=False, kind="mergesort")


def late_share(ledger: pd.DataFrame, after_year: int) -> float:
    """Median share of the attributable saving (all payers) that arrives after ``after_year``."""
    full = charts.saving_by_payer_year(ledger).groupby(level="year").sum()
    total = full.sum(axis=0)
    late = full[full.index > after_year].sum(axis=0)
    shares = (late / total.where(total != 0)).dropna()
    return float(shares.median()) if len(shares) else float("nan")


def cash_share_all_payers(ledger: pd.DataFrame) -> float:
    """Median share of the attributable saving (all payers) that is cash somewhere."""
    from simulation.core.runner import savings_by
    per = savings_by(ledger, ["replication", "cash"])
    wide = per.pivot_table(index="replication", columns="cash", values="saving_sek", aggfunc="sum", fill_value=0.0)
    total = wide.sum(axis=1)
    cash = wide[True] if True in wide.columns else 0.0 * total
    shares = (cash / total.where(total != 0)).dropna()
    return float(shares.median()) if len(shares) else float("nan")


def summary_paragraphs(config: Mapping[str, Any], ctx: charts.ChartContext, summary: pd.DataFrame,
                       payers: pd.DataFrame, rules: list[str], language: str) -> list[str]:
    first = rules[0]
    s = lambda m: stat(summary, first, m)  # noqa: E731
    money = lambda x: msek(x, language)  # noqa: E731
    h = ctx.horizon_years
    cost, attr, muni, borrower, cash, naive = (s("intervention_cost_sek"), s("attributable_saving_sek"),
                                               s("municipal_saving_sek"), s("borrower_saving_sek"),
                                               s("cash_saving_sek"), s("naive_claim_sek"))
    top = payers.index[0] if len(payers) else None
    top_name = charts.payer_name(top, language) if top else "—"
    top_share = (payers["p50"].iloc[0] / muni.p50) if top and muni.p50 else float("nan")
    shares = [(stat(summary, r, "repaid_share").p50, ctx.rule(r)) for r in rules]
    shares_ok = [(v, r) for v, r in shares if not math.isnan(v)]
    p_full = [(stat(summary, r, "p_full_repayment").mean, ctx.rule(r)) for r in rules]
    best_p = max(p_full, key=lambda x: (x[0], x[1])) if p_full else (float("nan"), "—")
    pct = lambda x: fmt_percent(x, language)  # noqa: E731
    if language == "sv":
        paras = [
            f"{ctx.intervention} kostade {money(cost.p50)} ur den sociala investeringsfonden. Jämfört med samma "
            f"hushåll utan insatsen (en simulerad kontrollgrupp) sparade den på {h} år i median {money(attr.p50)} "
            f"för alla betalare tillsammans (P10–P90: {msek_number(attr.p10, language, 1)} till {money(attr.p90)}), varav "
            f"{money(muni.p50)} för kommunen. Hos nämnden som lånade hamnade {money(borrower.p50)}, och "
            f"{money(cash.p50)} av det var kontanter — en budgetpost som faktiskt minskar.",
            f"Den största besparingen hamnar hos {top_name}"
            + (f" ({pct(top_share)} av kommunens)" if not math.isnan(top_share) else "") + ". "
            f"En uppföljning utan kontrollgrupp, som projekten själva gjorde, hade redovisat {money(naive.p50)}.",
        ]
        if shares_ok:
            lo, hi = min(shares_ok), max(shares_ok)
            paras.append(
                f"Under de jämförda återbetalningsreglerna kommer i median mellan {pct(lo[0])} ({lo[1]}) och "
                f"{pct(hi[0])} ({hi[1]}) av bidraget tillbaka inom {h} år. "
                + (f"Störst chans till full återbetalning har {best_p[1]}: {pct(best_p[0])} av replikeringarna."
                   if best_p[0] > 0 else f"Under ingen regel är bidraget fullt återbetalt inom {h} år i någon "
                                         f"replikering."))
        paras.append("Varje replikering simulerar samma hushåll två gånger — med och utan insatsen — med samma "
                     "slumptal; skillnaden är insatsens hänförbara effekt. Siffrorna är modellresultat, inte "
                     "utfall: läs förbehållen och antagandena nedan.")
    else:
        paras = [
            f"{ctx.intervention} cost {money(cost.p50)} from the social investment fund. Compared with the same "
            f"households without it (a simulated control group), it saved a median {money(attr.p50)} over {h} "
            f"years for all payers together (P10–P90: {msek_number(attr.p10, language, 1)} to {money(attr.p90)}), "
            f"{money(muni.p50)} of it for the municipality. The committee that borrowed got {money(borrower.p50)}, "
            f"and {money(cash.p50)} of that as cash — a budget line that actually falls.",
            f"The largest saving lands on the {top_name}"
            + (f" ({pct(top_share)} of the municipality's)" if not math.isnan(top_share) else "") + ". "
            f"A follow-up without a control group, as the projects themselves did, would have reported "
            f"{money(naive.p50)}.",
        ]
        if shares_ok:
            lo, hi = min(shares_ok), max(shares_ok)
            paras.append(
                f"Under the repayment rules compared, a median of between {pct(lo[0])} ({lo[1]}) and "
                f"{pct(hi[0])} ({hi[1]}) of the grant comes back within {h} years. "
                + (f"The best chance of full repayment is under {best_p[1]}: {pct(best_p[0])} of the replications."
                   if best_p[0] > 0 else f"Under no rule is the grant fully repaid within {h} years in any "
                                         f"replication."))
        paras.append("Each replication simulates the same households twice — with and without the intervention — "
                     "with the same random draws; the difference is the intervention's attributable effect. The "
                     "figures are model results, not outcomes: read the caveats and assumptions below.")
    return paras


def caveats(config: Mapping[str, Any], ctx: charts.ChartContext, summary: pd.DataFrame, ledger: pd.DataFrame,
            payers: pd.DataFrame, rules: list[str], language: str) -> list[str]:
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
    reorg_text = "; ".join(f"{charts.payer_name(r['unit'], language)} → {charts.payer_name(r['to_body'], language)} "
                           f"{r['year']}-{int(r.get('month', 1)):02d}" for r in reorgs)
    outside = [p for p in payers.index if p in ("region", "state")]
    outside_text = ", ".join(f"{charts.payer_name(p, language)} {money(payers.loc[p, 'p50'])}" for p in outside)
    if language == "sv":
        items = [
            ("Undvikna kostnader är inte kontanter.",
             f"Av den hänförbara besparingen är i median {pct(cash_all)} kontanter för någon betalare; resten är undvikna "
             f"kostnader — frigjord behandlartid som går till andra klienter (källdokument 004), samhällskostnader "
             f"för beteendeproblem och vuxenutfall som inte är en enskild budgetpost. Lånande nämnd fick "
             f"{money(borrower)} varav {money(cash)} kontant. En återbetalning ur ”besparingen” måste därför "
             f"hittas i budgeten — se budgettrycket i nyckeltalen."),
            ("Effekterna kommer sent.",
             "Effekter på barnen (placeringar, vuxenutfall) visar sig år efter projektet. "
             + (f"I denna körning kommer {pct(late)} av den hänförbara besparingen efter år {start + window}, "
                f"då Stockholms regel (2016) slutat räkna; " if not math.isnan(late) and h > window else "")
             + f"det som händer efter horisonten på {h} år räknas inte alls."),
            ("Hänförbarhet kräver en kontrollgrupp.",
             f"Projektens egna uppföljningar saknade kontrollgrupp och räknade varje avslut från EB som effekt. "
             f"Modellens kontrollarm ger samma hushåll utan insatsen: hänförbart {money(attr)} mot "
             f"{money(naive)} enligt projektens metod. I verkligheten finns ingen sådan kontrollgrupp, så "
             f"återbetalning efter ”uppmätt besparing” vilar på en siffra ingen kan mäta."),
            ("Fel ficka och omorganisationer.",
             "Besparingen hamnar där kostnaden faller, inte hos den som lånade"
             + (f": {reorg_text}" if reorg_text else "")
             + (f". Region och stat: {outside_text}" if outside_text else "")
             + ". En nämnd kan inte betala tillbaka ur besparingar som hamnar i en annan budget."),
            ("Modellresultat.",
             "Siffrorna kommer från en simulering; många parametrar är antaganden med låg säkerhet (se tabellen "
             "nedan). Använd dem för att jämföra regler och se vad som driver utfallet, inte som prognos."),
        ]
    else:
        items = [
            ("Cost avoidance is not cash.",
             f"Of the attributable saving, a median {pct(cash_all)} is cash for some payer; the rest is avoided cost — "
             f"freed therapist time that goes to other clients (seed 004), social costs of conduct problems and "
             f"adult outcomes that are no single budget line. The borrowing committee got {money(borrower)}, "
             f"{money(cash)} of it as cash. A repayment out of \u201csavings\u201d has to be found in the budget — "
             f"see the budget pressure in the key figures."),
            ("Effects come late.",
             "Effects on the children (placements, adult outcomes) show years after the project. "
             + (f"In this run {pct(late)} of the attributable saving arrives after {start + window}, when the "
                f"Stockholm 2016 rule has stopped counting; " if not math.isnan(late) and h > window else "")
             + f"whatever happens after the {h}-year horizon is not counted at all."),
            ("Attribution needs a control group.",
             f"The projects' own follow-ups had no control group and counted every exit from EB as an effect. The "
             f"model's control arm gives the same households without the intervention: attributable "
             f"{money(attr)} against {money(naive)} by the projects' method. In reality there is no such control "
             f"group, so repayment out of a \u201cmeasured saving\u201d rests on a number nobody can measure."),
            ("Wrong pocket and reorganisations.",
             "The saving lands where the cost falls, not on the borrower"
             + (f": {reorg_text}" if reorg_text else "")
             + (f". Region and state: {outside_text}" if outside_text else "")
             + ". A committee cannot repay out of savings that land in another budget."),
            ("Model results.",
             "The figures come from a simulation; many parameters are low-confidence assumptions (see the table "
             "below). Use them to compare rules and see what drives the outcome, not as a forecast."),
        ]
    return [f"<li><strong>{esc(head)}</strong> {esc(text)}</li>" for head, text in items]


def assumptions_html(assumptions: pd.DataFrame, language: str) -> list[str]:
    labels, conf_words, groups = w(language, "labels"), w(language, "conf_words"), w(language, "groups")
    counts = assumptions["label"].fillna("").value_counts()
    count_text = ", ".join(f"{labels.get(k, k)} {int(counts.get(k, 0))}"
                           for k in ("seed", "pub", "derived", "reading", "assumption", "") if counts.get(k, 0))
    out = [f'<p class="note">{esc(w(language, "assumptions_intro", counts=count_text))}</p>']
    for (group, option), rows in assumptions.groupby(["group", "option"], sort=False):
        out.append(f"<h3>{esc(groups.get(group, group))}: {esc(option)}</h3>")
        note = next((n for n in rows["file_note"] if n), "")
        if note:
            out.append(f'<p class="note">{esc(note)}</p>')
        body = []
        for _, r in rows.iterrows():
            value = esc(value_text(r["value"], language))
            if bool(r["changed"]):
                value = f'<span class="changed">{value}{esc(w(language, "changed"))}</span>'
            conf = "–".join(conf_words.get(c, c) for c in str(r["confidence"]).split("–")) if r["confidence"] else ""
            body.append([f"<code>{esc(r['key'])}</code>", value, esc(labels.get(r["label"], r["label"])),
                         esc(conf), esc(r["comment"])])
        out.append(table_html([w(language, "key"), w(language, "value"), w(language, "source"),
                               w(language, "confidence"), w(language, "comment")], body, raw=True))
    return out


def run_tables(folder: Path) -> dict[str, pd.DataFrame]:
    return {stem: read_table(folder, stem) for stem in RUN_TABLES}


def render_run_report(folder: Path, config: Mapping[str, Any], tables: Mapping[str, pd.DataFrame],
                      ctx: charts.ChartContext, chart_files: Mapping[str, list[Path]],
                      assumptions: pd.DataFrame) -> bytes:
    lang = ctx.language
    summary = tables["summary"]
    rules = list(dict.fromkeys(summary["rule"].tolist()))
    payers = payer_totals(tables["ledger"])
    manifest = {}
    if (folder / "manifest.json").exists():
        manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    n = config.get("replications")
    title = w(lang, "title", intervention=ctx.intervention)
    body = [f"<h1>{esc(title)}</h1>",
            f'<p class="sub">{esc(w(lang, "subtitle", municipality=ctx.municipality, n=n, h=ctx.horizon_years, year=ctx.price_year))}</p>']

    body.append(f'<section id="summary"><h2>{esc(w(lang, "summary"))}</h2>')
    body += [f"<p>{esc(p)}</p>" for p in summary_paragraphs(config, ctx, summary, payers, rules, lang)]
    body.append("</section>")

    kf = key_figures(summary, rules, lang)
    body.append(f'<section id="key-figures"><h2>{esc(w(lang, "key_figures"))}</h2>')
    header = [w(lang, "rule"), f'{w(lang, "repaid")}, {w(lang, "median_band")}',
              f'{w(lang, "repaid_share")}, {w(lang, "median_band")}', f'{w(lang, "year_full")}, {w(lang, "median_band")}',
              w(lang, "written_off"), w(lang, "pressure"), w(lang, "posts"), w(lang, "p_full")]
    rows = [[ctx.rule(r["rule"]), r["repaid"], r["repaid_share"], r["year_full"], r["written_off"], r["pressure"],
             r["posts"], r["p_full"]] for r in kf]
    body.append(table_html(header, rows, numeric=set(range(1, 8)),
                           row_attrs=[f'data-rule="{esc(r["rule"])}"' for r in kf]))
    body.append(f'<p class="note">{esc(w(lang, "kf_note"))}</p></section>')

    first = rules[0]
    rate = ctx.discount_rate
    lines = [("intervention_cost_sek", w(lang, "sv_cost")), ("naive_claim_sek", w(lang, "sv_naive")),
             ("attributable_saving_sek", w(lang, "sv_attr")),
             ("attributable_saving_pv_sek", w(lang, "sv_attr_pv", rate=fmt_percent(rate, lang, 1) if rate is not None else "—")),
             ("municipal_saving_sek", w(lang, "sv_muni")), ("region_state_saving_sek", w(lang, "sv_rs")),
             ("borrower_saving_sek", w(lang, "sv_borrower")), ("cash_saving_sek", w(lang, "sv_cash"))]
    body.append(f'<section id="savings"><h2>{esc(w(lang, "savings"))}</h2>')
    body.append(table_html([w(lang, "measure"), f'{w(lang, "amount")}, {w(lang, "median_band")}'],
                           [[label, money_band(*(getattr(stat(summary, first, m), k) for k in ("p10", "p50", "p90")),
                                               lang)]
                            for m, label in lines if m in set(summary["metric"])], numeric={1}))
    body.append(f"<h3>{esc(w(lang, 'payer_table'))}</h3>")
    body.append(table_html([w(lang, "payer"), f'{w(lang, "amount")}, {w(lang, "median_band")}'],
                           [[charts.payer_name(p, lang), money_band(r["p10"], r["p50"], r["p90"], lang)]
                            for p, r in payers.iterrows()], numeric={1}))
    body.append("</section>")

    body.append(f'<section id="charts"><h2>{esc(w(lang, "charts"))}</h2><div class="charts">')
    for stem, paths in chart_files.items():
        png = next(p for p in paths if p.suffix == ".png")
        body.append(figure_html(png, stem, CAPTIONS[lang].get(stem, stem)))
    body.append("</div></section>")

    body.append(f'<section id="caveats"><h2>{esc(w(lang, "caveats"))}</h2><ul>')
    body += caveats(config, ctx, summary, tables["ledger"], payers, rules, lang)
    body.append("</ul></section>")

    body.append(f'<section id="assumptions"><h2>{esc(w(lang, "assumptions"))}</h2>')
    body += assumptions_html(assumptions, lang)
    body.append("</section>")

    body.append(f'<section id="about"><h2>{esc(w(lang, "about"))}</h2>')
    body.append("<p>" + esc(w(lang, "about_items", seed=config.get("seed"), n=n, h=ctx.horizon_years,
                                evaluation=config.get("evaluation"), hash=manifest.get("config_hash", "—"),
                                version=manifest.get("sifsim_version", "—"),
                                git=manifest.get("git_revision") or "—")) + "</p>")
    body.append(f'<p class="note">{esc(w(lang, "offline"))}</p></section>')
    return page(lang, title, body)


def build_report(folder: Path, language: str | None = None) -> list[Path]:
    """(Re)build every chart and ``report.html`` of a run folder from its tables."""
    folder = Path(folder)
    config = read_config(folder)
    lang = language or config.get("language", "sv")
    ctx = charts.ChartContext.from_config(config, lang)
    tables = run_tables(folder)
    chart_files = charts.run_charts(tables, ctx, folder / "charts")
    assumptions = load_or_capture_assumptions(folder, config)
    report = folder / REPORT_FILE
    atomic_write_bytes(report, render_run_report(folder, config, tables, ctx, chart_files, assumptions))
    paths = [p for ps in chart_files.values() for p in ps]
    return paths + [folder / ASSUMPTIONS_FILE, report]


# --- the sweep report -------------------------------------------------------------------------------

def conf_default(key: str, conf_dir: Path = CONF_DIR) -> Any:
    """The default of a dotted config key from conf/ (config.yaml and its group defaults); None if unknown."""
    root = yaml.safe_load((conf_dir / "config.yaml").read_text(encoding="utf-8")) or {}
    groups = {}
    for entry in root.get("defaults", []):
        if isinstance(entry, Mapping):
            for group, option in entry.items():
                groups[str(group)] = option
    parts = key.split(".")
    try:
        if parts[0] in groups:
            if len(parts) == 1:
                return groups[parts[0]]
            data = yaml.safe_load((conf_dir / parts[0] / f"{groups[parts[0]]}.yaml").read_text(encoding="utf-8"))
            return lookup(data, parts[1:])
        return lookup(root, parts)
    except (KeyError, OSError):
        return None


def sweep_baseline(table: pd.DataFrame, keys: list[str]) -> dict[str, Any]:
    """Each swept key's default if it is one of the swept levels, else its middle level."""
    baseline = {}
    for key in keys:
        levels = charts.sorted_levels(table[key])
        default = conf_default(key)
        match = next((v for v in levels if default is not None and charts.same_value(v, default)), None)
        baseline[key] = match if match is not None else levels[len(levels) // 2]
    return baseline


def sweep_job_config(folder: Path) -> dict:
    """The config of the sweep's first job that has one (language, rule labels)."""
    configs = sorted(folder.glob("*/config.yaml"), key=lambda p: (len(p.parent.name), p.parent.name))
    return yaml.safe_load(configs[0].read_text(encoding="utf-8")) if configs else {}


def build_sweep_report(sweep_folder: Path, language: str | None = None,
                       baseline_overrides: Mapping[str, Any] | None = None) -> list[Path]:
    """Sweep charts (heatmap when two or more keys were swept; tornados) and ``report.html``."""
    folder = Path(sweep_folder)
    table = read_table(folder, "sweep_summary")
    job_config = sweep_job_config(folder)
    lang = language or job_config.get("language", "sv")
    rules_cfg = (job_config.get("repayment", {}) or {}).get("rules", {}) or {}
    rule_labels = {name: r.get("label") or name for name, r in rules_cfg.items()}
    done = charts.completed(table)
    keys = charts.swept_keys(done)
    out = folder / "charts"
    chart_files: dict[str, list[Path]] = {}
    if len(keys) >= 2 and (done["metric"] == "p_full_repayment").any():
        chart_files["sweep_heatmap"] = charts.sweep_heatmap(done, keys[0], keys[1], lang, out, rule_labels=rule_labels)
    baseline = dict(baseline_overrides) if baseline_overrides else sweep_baseline(done, keys)
    if keys:
        for metric in ("p_full_repayment", "repaid_share"):
            if (done["metric"] == metric).any():
                chart_files[f"tornado_{metric}"] = charts.tornado(done, baseline, lang, out, metric=metric,
                                                                  rule_labels=rule_labels)

    jobs = table.drop_duplicates("job") if "job" in table.columns else table
    n_jobs = len(jobs)
    ok = int((jobs["status"] == "ok").sum()) if "status" in jobs.columns else n_jobs
    levels = "; ".join(f"{charts.key_name(k, lang)} ({k}) = " +
                       ", ".join(charts.fmt_level(v, lang) for v in charts.sorted_levels(done[k])) for k in keys)
    title = w(lang, "sweep_title", n_jobs=n_jobs, keys=", ".join(charts.key_name(k, lang) for k in keys) or "—")
    body = [f"<h1>{esc(title)}</h1>",
            f'<section id="summary"><h2>{esc(w(lang, "summary"))}</h2>',
            f"<p>{esc(w(lang, 'sweep_summary_text', ok=ok, n_jobs=n_jobs, levels=levels or '—'))}</p>"]
    if keys:
        base_text = ", ".join(f"{charts.key_name(k, lang)} = {charts.fmt_level(v, lang)}" for k, v in baseline.items())
        body.append(f"<p>{esc(w(lang, 'baseline', baseline=base_text))}</p>")
    body.append("</section>")
    body.append(f'<section id="charts"><h2>{esc(w(lang, "charts"))}</h2><div class="charts">')
    for stem, paths in chart_files.items():
        png = next(p for p in paths if p.suffix == ".png")
        body.append(figure_html(png, stem, CAPTIONS[lang].get(stem, stem)))
    body.append("</div></section>")

    rules = list(dict.fromkeys(done["rule"].dropna().tolist())) if "rule" in done.columns else []
    header = [w(lang, "job")] + [charts.key_name(k, lang) for k in keys] + \
             [charts.rule_title(r, rule_labels, lang) for r in rules]
    rows = []
    for job, g in done.groupby("job", sort=True):
        cells = [str(job)] + [charts.fmt_level(g[k].iloc[0], lang) for k in keys]
        for r in rules:
            p = g[(g["rule"] == r) & (g["metric"] == "p_full_repayment")]["mean"]
            share = g[(g["rule"] == r) & (g["metric"] == "repaid_share")]["p50"]
            cells.append(f"{fmt_percent(float(p.iloc[0]), lang) if len(p) else '—'}; "
                         f"{fmt_percent(float(share.iloc[0]), lang) if len(share) else '—'}")
        rows.append(cells)
    body.append(f'<section id="jobs"><h2>{esc(w(lang, "sweep_table"))}</h2>')
    body.append(table_html(header, rows, numeric=set(range(1 + len(keys), len(header)))))
    failed = jobs[jobs["status"] != "ok"] if "status" in jobs.columns else jobs.iloc[0:0]
    if len(failed):
        body.append(f"<h3>{esc(w(lang, 'sweep_failed'))}</h3>")
        body.append(table_html([w(lang, "job"), w(lang, "status"), w(lang, "error")],
                               [[str(r["job"]), str(r["status"]), str(r.get("error", "") or "")]
                                for _, r in failed.iterrows()]))
    body.append("</section>")
    body.append(f'<p class="note">{esc(w(lang, "offline"))}</p>')
    report = folder / REPORT_FILE
    atomic_write_bytes(report, page(lang, title, body))
    return [p for ps in chart_files.values() for p in ps] + [report]


# --- command line -------------------------------------------------------------------------------------

def is_sweep_folder(folder: Path) -> bool:
    return (folder / "sweep_summary.csv").exists() or (folder / "sweep_summary.parquet").exists()


def is_run_folder(folder: Path) -> bool:
    return (folder / "population.parquet").exists() or (folder / "population.csv").exists()


def report_main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="sifsim report",
                                     description="Regenerate the charts and report.html of a run or sweep folder "
                                                 "from its tables, without re-running the model.")
    parser.add_argument("folder", type=Path, help="a run folder (results/runs/…) or a sweep folder (results/sweeps/…)")
    parser.add_argument("--language", choices=("sv", "en"), default=None,
                        help="labels and text (default: the run's `language`)")
    args = parser.parse_args(argv)
    if is_sweep_folder(args.folder):
        paths = build_sweep_report(args.folder, args.language)
    elif is_run_folder(args.folder):
        paths = build_report(args.folder, args.language)
    else:
        parser.error(f"{args.folder} is neither a sifsim run folder (no population.parquet) "
                     f"nor a sweep folder (no sweep_summary.csv)")
    for path in paths:
        print(path)
    return 0
