"""A sweep's report, from ``sweep_summary``: the sweep charts and one self-contained ``report.html``."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Mapping

import pandas as pd

from simulation.present.charts import SweepContext, completed, key_name, rule_title, sorted_levels
from simulation.present.charts.parallel import draw_sweep_charts
from simulation.present.files import atomic_write_bytes
from simulation.present.formatting import fmt_level, fmt_percent
from simulation.present.page import esc, page, table_html
from simulation.present.run_report import REPORT_FILE, charts_html, w


def rule_labels_of(job_config: Mapping[str, Any]) -> dict[str, str]:
    """{rule name: label} from a job's config."""
    rules_cfg = (job_config.get("repayment", {}) or {}).get("rules", {}) or {}
    return {name: r.get("label") or name for name, r in rules_cfg.items()}


def write_sweep_report(sweep_summary: pd.DataFrame, folder: Path, baseline: Mapping[str, Any], *,
                       language: str, rule_labels: Mapping[str, str] | None = None, workers: int = 1,
                       mp_context=None) -> list[Path]:
    """Draw the sweep charts that apply into ``folder/charts`` and write ``folder/report.html``.

    Args:
        sweep_summary: one row per job, rule and metric (failed jobs with their error).
        folder: the sweep folder.
        baseline: the value of each swept key the tornados swing around.
        language: "sv" or "en".
        rule_labels: {rule name: config label}.
        workers: processes drawing the charts (1: in this one); the same files either way.
        mp_context: how those processes start (default: the chart workers' fork server).

    Returns:
        The paths written: every chart's PNG and SVG, then the report.
    """
    folder = Path(folder)
    lang = language
    rule_labels = dict(rule_labels or {})
    table = sweep_summary
    done = completed(table)
    sweep = SweepContext.from_summary(done, lang, baseline, rule_labels)
    keys = list(sweep.keys)
    chart_files = draw_sweep_charts(done, sweep, folder / "charts", workers, mp_context=mp_context)

    jobs = table.drop_duplicates("job") if "job" in table.columns else table
    n_jobs = len(jobs)
    ok = int((jobs["status"] == "ok").sum()) if "status" in jobs.columns else n_jobs
    levels = "; ".join(f"{key_name(k, lang)} ({k}) = " +
                       ", ".join(fmt_level(v, lang) for v in sorted_levels(done[k])) for k in keys)
    title = w(lang, "sweep_title", n_jobs=n_jobs, keys=", ".join(key_name(k, lang) for k in keys) or "—")
    body = [f"<h1>{esc(title)}</h1>",
            f'<section id="summary"><h2>{esc(w(lang, "summary"))}</h2>',
            f"<p>{esc(w(lang, 'sweep_summary_text', ok=ok, n_jobs=n_jobs, levels=levels or '—'))}</p>"]
    if keys:
        base_text = ", ".join(f"{key_name(k, lang)} = {fmt_level(v, lang)}" for k, v in baseline.items())
        body.append(f"<p>{esc(w(lang, 'baseline', baseline=base_text))}</p>")
    body.append("</section>")
    body.append(f'<section id="charts"><h2>{esc(w(lang, "charts"))}</h2><div class="charts">')
    body += charts_html(chart_files, lang)
    body.append("</div></section>")

    rules = list(dict.fromkeys(done["rule"].dropna().tolist())) if "rule" in done.columns else []
    header = [w(lang, "job")] + [key_name(k, lang) for k in keys] + [rule_title(r, rule_labels, lang) for r in rules]
    rows = []
    for job, g in done.groupby("job", sort=True):
        cells = [str(job)] + [fmt_level(g[k].iloc[0], lang) for k in keys]
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
