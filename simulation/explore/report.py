"""The study's charts and its HTML report section (``report.html`` in the study folder).

Sentences, tables and charts in the run's ``language`` (labels ``explore:``); the page is the
project's self-contained HTML (:mod:`simulation.present.page`).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from simulation.present import labels, page
from simulation.present.charts import explore as charts
from simulation.present.charts.context import key_name, metric_name
from simulation.present.charts.style import save
from simulation.present.files import atomic_write_bytes
from simulation.present.formatting import fmt_number, fmt_percent

CHART_DIR = "charts"


def x(language: str, label: str, **kwargs) -> str:
    return labels.text(language, f"explore.{label}", **kwargs)


def fmt_value(value: float, language: str) -> str:
    """A factor value or an index: enough digits to read it, in the language's notation."""
    if value != value:
        return "—"
    magnitude = abs(value)
    decimals = 0 if magnitude >= 100 or float(value).is_integer() else 2 if magnitude >= 1 else 3
    return fmt_number(value, language, decimals)


def governor_key(stop: dict) -> str:
    """The label of how Sobol stopped; "converged" with no index above the noise floor says just that
    (the floor's own interval was too wide to rank anything, not a narrow interval on every index)."""
    if stop.get("reason") != "converged":
        return "governor_budget"
    return "governor_nothing_retained" if stop.get("retained") == 0 else "governor_converged"


def success_text(name: str, language: str) -> str:
    try:
        return x(language, f"success_{name}")
    except labels.LabelError:
        return name.replace("_", " ")


def rule_text(rule: str, language: str, rule_labels: dict | None = None) -> str:
    from simulation.present.charts.context import rule_title
    return x(language, "all_rules") if rule == "all" else rule_title(rule, rule_labels, language)


def box_sentence(box_view: dict, language: str) -> str:
    """One PRIM box as a sentence: where the rule works, with its density and coverage."""
    rule, success = rule_text(box_view["rule"], language, box_view.get("rule_labels")), success_text(box_view["success"], language)
    box = box_view["box"]
    if box is None:
        key = "box_always" if box_view["works_share"] >= 1.0 else "box_never"
        return x(language, key, rule=rule, success=success)
    parts = [x(language, "at_least" if op == ">=" else "at_most", factor=charts.factor_label(f, language),
               value=fmt_value(v, language)) for f, op, v in box["conditions"]]
    conditions = x(language, "and").join(parts) if parts else x(language, "box_anywhere")
    return x(language, "box_sentence", rule=rule, success=success, density=fmt_percent(box["density"], language),
             coverage=fmt_percent(box["coverage"], language), conditions=conditions, cases=box["cases"],
             points=box["points"])


def draw_charts(view: dict, folder: Path, language: str) -> list[tuple[str, Path, str]]:
    """Every chart of the study: (stem, png, caption)."""
    out = []
    folder = Path(folder) / CHART_DIR
    idx = view["indices"]
    points = int(view["stop"].get("points", 0))
    if len(idx):
        for outcome in dict.fromkeys(idx["outcome"]):
            if idx[(idx["outcome"] == outcome)]["constant"].all():
                continue
            stem = f"explore_{view['design']}_{outcome}"
            builder = charts.figure_morris if view["design"] == "morris" else charts.figure_sobol
            fig = builder(idx, outcome, language, points=points, replications=view["replications"],
                          rule_labels=view.get("rule_labels"))
            png = save(fig, folder, stem)[0]
            key = "morris_title" if view["design"] == "morris" else "sobol_title"
            out.append((stem, png, x(language, key, outcome=metric_name(outcome, language))))
    for b in view["boxes"]:
        if b["box"] is None:
            continue
        rule, success = rule_text(b["rule"], language, view.get("rule_labels")), success_text(b["success"], language)
        stem = f"explore_prim_{b['success']}_{b['rule']}"
        title = x(language, "prim_title", rule=rule, success=success)
        png = save(charts.figure_prim_tradeoff(b["box"]["trajectory"], b["box"]["step"], language, title=title),
                   folder, stem + "_tradeoff")[0]
        out.append((stem + "_tradeoff", png, title))
        if len(b["box"]["limits"]):
            box_title = x(language, "prim_box_title", rule=rule)
            png = save(charts.figure_prim_box(b["box"]["limits"], b["box"]["ranges"], language, title=box_title,
                                              coverage=b["box"]["coverage"], density=b["box"]["density"]),
                       folder, stem + "_limits")[0]
            out.append((stem + "_limits", png, box_title))
    return out


def indices_rows(idx: pd.DataFrame, design: str, language: str,
                 rule_labels: dict | None = None) -> tuple[list[str], list[list[str]], list[str]]:
    col, conf = ("mu_star", "mu_star_conf") if design == "morris" else ("ST", "ST_conf")
    header = [x(language, "col_outcome"), x(language, "col_rule"), x(language, "col_factor"),
              "μ*" if design == "morris" else "ST", x(language, "col_interval"),
              x(language, "col_sigma") if design == "morris" else "S1", x(language, "col_mc"),
              x(language, "col_mc_share")]
    rows, constant = [], []
    for (outcome, rule), g in idx.groupby(["outcome", "rule"], sort=False):
        if g["constant"].all():
            constant.append(x(language, "constant", outcome=f"{metric_name(outcome, language)} "
                              f"({rule_text(rule, language, rule_labels)})"))
            continue
        kept = g[~g["noise"]].sort_values(col, ascending=False)
        dummy = g[g["factor"] == "seed"]
        for r in [*kept.itertuples(), *dummy.itertuples()]:
            other = r.sigma if design == "morris" else r.S1
            rows.append([metric_name(outcome, language), rule_text(rule, language, rule_labels),
                         charts.factor_label(r.factor, language), fmt_value(getattr(r, col), language),
                         "± " + fmt_value(getattr(r, conf), language), fmt_value(other, language),
                         fmt_value(r.mc_se_median, language), fmt_percent(r.mc_noise_share, language)])
    return header, rows, constant


def write_explore_report(view: dict, folder: Path, language: str) -> Path:
    """Charts into ``folder/charts`` and the report section ``folder/report.html``; returns its path."""
    folder = Path(folder)
    body = [f"<h1>{page.esc(x(language, 'report_title', name=view['name']))}</h1>",
            f"<p>{page.esc(x(language, 'intro', r=view['replications']))}</p>",
            f"<p class=\"sub\">{page.esc(x(language, 'model_overrides', overrides=' '.join(view['model_overrides'])) if view['model_overrides'] else x(language, 'model_default'))}</p>",
            f"<h2>{page.esc(x(language, 'factors_heading'))}</h2>"]
    rows = [[charts.factor_label(f["name"], language), f["key"],
             f"{fmt_value(f['low'], language)} – {fmt_value(f['high'], language)}",
             x(language, f["dist"]), view["sources"].get(f["name"], "")] for f in view["factors"]]
    body.append(page.table_html([x(language, k) for k in ("col_factor", "col_key", "col_range",
                                                          "col_distribution", "col_source")], rows))
    stop = view["stop"]
    if view["design"] in ("morris", "sobol"):
        body.append(f"<h2>{page.esc(x(language, 'indices_heading_' + view['design']))}</h2>")
        body.append(f"<p>{page.esc(x(language, 'indices_text_' + view['design']))}</p>")
        if view["design"] == "sobol":
            key = governor_key(stop)
            body.append(f"<p>{page.esc(x(language, key, target=fmt_percent(view['ci_target'], language), n=stop.get('base_samples'), points=stop.get('points'), runs=stop.get('runs'), worst=fmt_percent(stop.get('worst_ci_ratio', float('nan')), language)))}</p>")
        else:
            body.append(f"<p>{page.esc(x(language, 'morris_done', points=stop.get('points'), runs=stop.get('runs')))}</p>")
        if len(view["indices"]):
            header, rows, constant = indices_rows(view["indices"], view["design"], language, view.get("rule_labels"))
            body.append(page.table_html(header, rows, numeric={3, 4, 5, 6, 7}))
            body += [f"<p class=\"note\">{page.esc(c)}</p>" for c in constant]
    if stop.get("discovery") == "prim_missing":
        body.append(f"<h2>{page.esc(x(language, 'boxes_heading'))}</h2>")
        body.append(f"<p class=\"note\">{page.esc(x(language, 'boxes_prim_missing'))}</p>")
    if view["boxes"]:
        body.append(f"<h2>{page.esc(x(language, 'boxes_heading'))}</h2>")
        body.append(f"<p>{page.esc(x(language, 'boxes_text'))}</p><ul>")
        body += [f"<li>{page.esc(box_sentence({**b, 'rule_labels': view.get('rule_labels')}, language))}</li>"
                 for b in view["boxes"]]
        body.append("</ul>")
    be = view["break_even"]
    if len(be):
        body.append(f"<h2>{page.esc(x(language, 'break_even_heading'))}</h2>")
        p_full = be[be["outcome"] == "p_full_repayment"]
        target = float(p_full["target"].iloc[0]) if len(p_full) else float("nan")
        text = x(language, "break_even_text", parameter=key_name(be["key"].iloc[0], language),
                 target=fmt_percent(target, language), runs=stop.get("break_even_runs", "—"))
        body.append(f"<p>{page.esc(text)}</p>")
        rows = []
        for r in be.itertuples():
            what = metric_name(r.outcome, language) if r.outcome == "p_full_repayment" else x(language, "break_even_pv")
            rows.append([rule_text(r.rule, language, view.get("rule_labels")), what, fmt_value(r.value, language),
                         x(language, f"status_{r.status}")])
        body.append(page.table_html([x(language, "col_rule"), x(language, "col_outcome"), x(language, "col_value"),
                                     x(language, "col_status")], rows, numeric={2}))
    figures = draw_charts(view, folder, language)
    if figures:
        body.append(f"<h2>{page.esc(x(language, 'charts_heading'))}</h2><div class=\"charts\">")
        body += [page.figure_html(png, stem, caption) for stem, png, caption in figures]
        body.append("</div>")
    path = folder / "report.html"
    atomic_write_bytes(path, page.page(language, x(language, "report_title", name=view["name"]), body))
    (folder / f"explore_boxes_{language}.txt").write_text(
        "\n".join(box_sentence({**b, "rule_labels": view.get("rule_labels")}, language) for b in view["boxes"]) + "\n",
        encoding="utf-8")
    other = "en" if language == "sv" else "sv"
    (folder / f"explore_boxes_{other}.txt").write_text(
        "\n".join(box_sentence({**b, "rule_labels": view.get("rule_labels")}, other) for b in view["boxes"]) + "\n",
        encoding="utf-8")
    return path


# --- the section of a run's report (RUN/explore/<study>/) ---------------------------------------------

def read_study(folder: Path) -> dict:
    """A finished study's record and tables, read from its folder (a table it did not write is empty)."""
    import json
    folder = Path(folder)

    def table(name: str) -> pd.DataFrame:
        path = folder / name
        return pd.read_csv(path) if path.is_file() else pd.DataFrame()

    return {"folder": folder, "record": json.loads((folder / "study.json").read_text(encoding="utf-8")),
            "indices": table("explore_indices.csv"), "boxes": table("explore_boxes.csv")}


def parse_conditions(text: object) -> list[tuple[str, str, float]]:
    """``explore_boxes.csv``'s ``conditions`` ("a >= 0.6; b <= 0.4") as (factor, op, value)."""
    out = []
    for part in str(text).split(";") if isinstance(text, str) else []:
        factor, op, value = part.split()
        out.append((factor, op, float(value)))
    return out


def box_views(boxes: pd.DataFrame, points: int, rule_labels: dict | None) -> list[dict]:
    """The rows of ``explore_boxes.csv`` as the views :func:`box_sentence` reads."""
    out = []
    for r in boxes.itertuples():
        box = None
        if r.coverage == r.coverage:            # a box was found (NaN: the rule works everywhere or nowhere)
            box = {"conditions": parse_conditions(r.conditions), "coverage": float(r.coverage),
                   "density": float(r.density), "cases": int(round(float(r.share_of_points_working) * points)),
                   "points": points}
        out.append({"success": r.success, "rule": str(r.rule), "works_share": float(r.share_of_points_working),
                    "box": box, "rule_labels": rule_labels})
    return out


def study_block(study: dict, language: str, rule_labels: dict | None) -> list[str]:
    """One study in the run's report: what ran, the ranking with its noise floor, the boxes, the charts."""
    folder, record = study["folder"], study["record"]
    stop, idx = record.get("stop", {}), study["indices"]
    design = stop.get("design", "none")
    settings = (record.get("study") or {}).get("explore") or {}
    replications = settings.get("replications", "—")
    overrides = " ".join(record.get("model_overrides") or [])
    out = [f"<h3>{page.esc(x(language, 'run_section_study', name=folder.name, design=x(language, 'design_' + design), points=stop.get('points', 0), r=replications))}</h3>",
           f"<p class=\"note\">{page.esc(x(language, 'run_section_where', path=f'{folder.parent.name}/{folder.name}/report.html', overrides=overrides or x(language, 'run_section_no_overrides')))}</p>"]
    if design == "sobol":
        key = governor_key(stop)
        out.append(f"<p>{page.esc(x(language, key, target=fmt_percent(settings.get('ci_target', float('nan')), language), n=stop.get('base_samples'), points=stop.get('points'), runs=stop.get('runs'), worst=fmt_percent(stop.get('worst_ci_ratio', float('nan')), language)))}</p>")
    if design in ("morris", "sobol") and len(idx):
        out.append(f"<p>{page.esc(x(language, 'indices_text_' + design))} {page.esc(x(language, 'run_section_noise'))}</p>")
        header, rows, constant = indices_rows(idx, design, language, rule_labels)
        if rows:
            out.append(page.table_html(header, rows, numeric={3, 4, 5, 6, 7}))
        out += [f"<p class=\"note\">{page.esc(c)}</p>" for c in constant]
    views = box_views(study["boxes"], int(stop.get("points", 0)), rule_labels) if len(study["boxes"]) else []
    if stop.get("discovery") == "prim_missing":
        out.append(f"<p class=\"note\">{page.esc(x(language, 'boxes_prim_missing'))}</p>")
    elif views:
        out.append(f"<h4>{page.esc(x(language, 'boxes_heading'))}</h4><ul>")
        out += [f"<li>{page.esc(box_sentence(v, language))}</li>" for v in views]
        out.append("</ul>")
    figures = []
    if design in ("morris", "sobol") and len(idx):
        for outcome in dict.fromkeys(idx["outcome"]):
            png = folder / CHART_DIR / f"explore_{design}_{outcome}.png"
            if png.is_file() and not idx[idx["outcome"] == outcome]["constant"].all():
                key = "morris_title" if design == "morris" else "sobol_title"
                figures.append((png, x(language, key, outcome=metric_name(outcome, language))))
    for v in views:
        png = folder / CHART_DIR / f"explore_prim_{v['success']}_{v['rule']}_tradeoff.png"
        if v["box"] is not None and png.is_file():
            figures.append((png, x(language, "prim_title", rule=rule_text(v["rule"], language, rule_labels),
                                   success=success_text(v["success"], language))))
    if figures:
        out.append("<div class=\"charts\">")
        out += [page.figure_html(png, f"explore-{folder.name}-{png.stem}", caption) for png, caption in figures]
        out.append("</div>")
    return out


def run_report_section(run_folder: Path | None, language: str, config: dict | None = None) -> list[str]:
    """The section "Which assumptions decide?" of a run's ``report.html``: every study in
    ``RUN/explore/<name>/`` (oldest first), from its own tables; [] when the run has none.
    ``config``: the run's resolved config (the rules' labels)."""
    from simulation.explore.run_folder import study_folders
    rules = ((config or {}).get("repayment") or {}).get("rules") or {}
    rule_labels = {name: (rule or {}).get("label") or name for name, rule in rules.items()}
    studies = [read_study(f) for f in study_folders(run_folder)] if run_folder is not None else []
    if not studies:
        return []
    out = [f"<section id=\"explore\"><h2>{page.esc(x(language, 'run_section_title'))}</h2>",
           f"<p>{page.esc(x(language, 'run_section_intro', n=len(studies)))}</p>"]
    for study in studies:
        out += study_block(study, language, rule_labels)
    out.append("</section>")
    return out
