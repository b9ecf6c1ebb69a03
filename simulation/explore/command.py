"""``sifsim explore``: the study from the command line to its folder of tables, charts and report.

    sifsim explore +uncertainty=default explore.design=morris explore.replications=20 [model overrides]

1. The study (``conf/explore.yaml`` + ``conf/uncertainty/<name>.yaml`` + ``explore.*`` overrides) and
   the model (every other override) are checked as a whole: the study's names and ranges, then the
   base model and every factor at both ends, composed like sweep jobs. Any problem: every message
   at once, exit 2, nothing run.
2. The design (Morris, or Sobol under the governor) runs in resumable chunks
   (:mod:`simulation.explore.evaluate`).
3. Written into the folder: ``explore_points.parquet/.csv`` (design point × rule × outcome),
   ``explore_indices.csv``, ``explore_boxes.csv`` (+ the sentences), ``explore_break_even.csv``,
   ``study.json``, ``charts/explore_*.png/.svg`` and ``report.html``.
"""

from __future__ import annotations

import json
import sys
import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np
import pandas as pd

from simulation.explore import designs
from simulation.explore.break_even import Crossing, bisect, crossings_table
from simulation.explore.discovery import PRIM_MISSING, Box, conditions, find_box, prim_available
from simulation.explore.evaluate import EvaluationLog, PointBuilder, evaluate, points_of, set_key, tidy_table
from simulation.explore.study import DUMMY, Study, StudyError, load_study

ALL_RULES = "all"      # an outcome that is the same for every rule (a saving) is analysed once


@dataclass
class StudyResult:
    folder: Path
    table: pd.DataFrame
    indices: pd.DataFrame
    boxes: list[tuple[str, str, Box | None]]
    break_even: pd.DataFrame
    stop: dict
    log: EvaluationLog
    timings_s: dict = field(default_factory=dict)


def design_runs(study: Study, base_samples: int | None = None) -> int:
    """Simulated paired replications a design takes: points × R."""
    d = len(study.factors) + 1
    if study.design == "morris":
        return study.trajectories * (d + 1) * study.replications
    if study.design == "sobol":
        return (base_samples or study.sobol_base_samples) * (d + 2) * study.replications
    return 0


def budget_problems(study: Study) -> list[str]:
    runs = design_runs(study)
    if runs > study.max_runs:
        what = "explore.trajectories" if study.design == "morris" else "explore.sobol_base_samples"
        return [f"explore.max_runs={study.max_runs}: the design's first stage needs {runs} runs "
                f"({what} × (factors + 2 or 3) × explore.replications); allowed: a larger budget or a smaller design"]
    return []


# --- the analyses ----------------------------------------------------------------------------

def outcome_series(table: pd.DataFrame, outcome: str) -> dict[str, pd.Series]:
    """{rule: mean per design point} of one outcome; one series under ``all`` if every rule has the same."""
    sub = table[table["outcome"] == outcome]
    wide = sub.pivot_table(index="point", columns="rule", values="mean", dropna=False).sort_index()
    if wide.empty:
        return {}
    first = wide.iloc[:, 0]
    if all(np.allclose(wide[c].to_numpy(float), first.to_numpy(float), equal_nan=True, rtol=0, atol=1e-6)
           for c in wide.columns):
        return {ALL_RULES: first}
    return {str(c): wide[c] for c in wide.columns}


def mc_error(table: pd.DataFrame, outcome: str, rule: str) -> dict:
    """The Monte Carlo error next to the indices: median MC standard error at a point, and the share of
    the outcome's variance over the design that the replication noise accounts for."""
    sub = table[table["outcome"] == outcome]
    if rule != ALL_RULES:
        sub = sub[sub["rule"] == rule]
    else:
        sub = sub[sub["rule"] == sub["rule"].iloc[0]] if len(sub) else sub
    se = sub["mc_se"].to_numpy(float)
    var = float(np.nanvar(sub["mean"].to_numpy(float), ddof=1)) if len(sub) > 1 else float("nan")
    share = float(np.nanmean(se ** 2) / var) if var and var > 0 else float("nan")
    return {"mc_se_median": float(np.nanmedian(se)) if len(se) else float("nan"), "outcome_sd": var ** 0.5,
            "mc_noise_share": share}


def analyse(study: Study, design: str, unit: np.ndarray, table: pd.DataFrame) -> pd.DataFrame:
    """The index table: one row per outcome, rule and factor (the dummy included)."""
    problem = designs.unit_problem(study.factor_names + [DUMMY])
    parts = []
    for outcome in study.outcomes:
        for rule, y in outcome_series(table, outcome).items():
            values = y.to_numpy(float)
            base = {"method": design, "outcome": outcome, "rule": rule, **mc_error(table, outcome, rule)}
            if np.isnan(values).any() or np.nanstd(values) == 0:
                parts.append(pd.DataFrame({"factor": problem["names"], **base, "constant": True}))
                continue
            with warnings.catch_warnings(), np.errstate(all="ignore"):
                warnings.simplefilter("ignore", RuntimeWarning)
                if design == "morris":
                    idx = designs.morris_indices(problem, unit, values, study.levels, study.seed,
                                                 study.bootstrap_resamples)
                    idx = designs.mark_noise(idx, DUMMY, "mu_star", "mu_star_conf")
                else:
                    idx = designs.sobol_indices(problem, values, study.seed, study.bootstrap_resamples)
                    idx = designs.mark_noise(idx, DUMMY, "ST", "ST_conf")
            parts.append(idx.assign(**base, constant=False))
    out = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()
    if len(out):
        # a constant outcome has no indices: its rows are marked constant, and noise (nothing to rank)
        out["noise"] = [True if v is None or v != v else bool(v) for v in out.get("noise", [None] * len(out))]
        out["constant"] = out["constant"].astype(bool)
    first = ["method", "outcome", "rule", "factor"]
    return out[first + [c for c in out.columns if c not in first]]


def discover(study: Study, table: pd.DataFrame) -> list[tuple[str, str, Box | None]]:
    """(success name, rule, box) for every declared success and rule."""
    out = []
    factors = study.factor_names
    for success in study.success:
        sub = table[table["outcome"] == success.outcome]
        for rule in dict.fromkeys(sub["rule"].tolist()):
            rows = sub[sub["rule"] == rule].sort_values("point")
            works = np.array([success.holds(v) for v in rows["mean"].to_numpy(float)])
            box = find_box(rows[factors], works, peel_alpha=study.peel_alpha, min_coverage=study.min_coverage)
            out.append((success.name, str(rule), box, float(works.mean()) if works.size else float("nan")))
    return out


def break_even(study: Study, builder: PointBuilder) -> tuple[pd.DataFrame, int]:
    """Per rule, the key's value at which P(full repayment) reaches the target; once, where the PV of
    the attributable saving turns positive. Same seeds at every value; evaluations cached by value."""
    from simulation.core.runner import run_outcomes
    b = study.break_even
    typed, _ = builder.base()
    cache: dict[float, pd.DataFrame] = {}

    def at(x: float) -> pd.DataFrame:
        key = round(float(x), 12)
        if key not in cache:
            import copy
            config = copy.deepcopy(typed)
            set_key(config, b.key, float(x))
            # the runner's own pool over the replications, when there are enough to pay for its start
            config.workers = study.workers if study.workers is not None or study.replications >= 10 else 1
            cache[key] = run_outcomes(config, progress=False)
        return cache[key]

    rules = list(dict.fromkeys(at(b.low)["rule"].astype(str)))
    crossings: list[Crossing] = []
    for rule in rules:
        f = lambda x, r=rule: float(at(x).query("rule == @r")["p_full_repayment"].mean())  # noqa: E731
        crossings.append(bisect(f, b.low, b.high, b.target_p_full, b.iterations, rule, "p_full_repayment"))
    g = lambda x: float(at(x).groupby("replication")["attributable_saving_pv_sek"].first().mean())  # noqa: E731
    # "turns positive": at least one krona (a saving of exactly 0, no effect at all, is not positive)
    crossings.append(bisect(g, b.low, b.high, 1.0, b.iterations, ALL_RULES, "attributable_saving_pv_sek"))
    return crossings_table(crossings, b.key), len(cache) * study.replications


# --- the study -------------------------------------------------------------------------------

def run_study(study: Study, builder: PointBuilder, folder: Path, *,
              on_chunk: Callable[[int, int], None] | None = None) -> StudyResult:
    """Run the design (resuming from ``folder``'s chunks), analyse it, write every table."""
    from simulation.app.outputs import write_table
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    log = EvaluationLog()
    timings: dict[str, float] = {}
    problem = designs.unit_problem(study.factor_names + [DUMMY])
    base_seed = builder.base_seed()
    stop: dict = {"design": study.design}
    table, indices, unit = pd.DataFrame(), pd.DataFrame(), np.empty((0, len(problem["names"])))
    t0 = time.perf_counter()
    if study.design == "morris":
        unit = designs.morris_design(problem, study.trajectories, study.levels, study.seed)
        configs = [builder.point(p) for p in points_of(study, unit, base_seed)]
        rows = evaluate(study, configs, folder, log, on_chunk, " morris")
        table = tidy_table(study, configs, rows, "morris")
        indices = analyse(study, "morris", unit, table)
        stop.update(reason="design complete", points=len(configs), runs=len(configs) * study.replications)
    elif study.design == "sobol":
        n = study.sobol_base_samples
        while True:
            unit = designs.sobol_design(problem, n, study.seed)
            configs = [builder.point(p) for p in points_of(study, unit, base_seed)]
            rows = evaluate(study, configs, folder, log, on_chunk, f" sobol N={n}")
            table = tidy_table(study, configs, rows, "sobol")
            indices = analyse(study, "sobol", unit, table)
            tables = [g for _, g in indices[~indices["constant"]].groupby(["outcome", "rule"])] if len(indices) else []
            verdict = designs.governor(tables, study.ci_target)
            stop.update(base_samples=n, points=len(configs), runs=len(configs) * study.replications,
                        worst_ci_ratio=verdict.worst_ratio, retained=verdict.retained)
            if verdict.converged:
                stop["reason"] = "converged"
                break
            if 2 * n > study.sobol_max_base_samples or design_runs(study, 2 * n) > study.max_runs:
                stop["reason"] = "run budget"
                break
            n *= 2
    timings["design"] = time.perf_counter() - t0
    t1 = time.perf_counter()
    boxes = []
    if study.success and len(table):
        if prim_available():
            boxes = discover(study, table)
            stop["discovery"] = "done"
        else:
            stop["discovery"] = "prim_missing"      # the optional extra `discovery` (GPL) is not installed
    timings["prim"] = time.perf_counter() - t1
    be = pd.DataFrame()
    if study.break_even.enabled:
        t2 = time.perf_counter()
        be, runs = break_even(study, builder)
        stop["break_even_runs"] = runs
        timings["break_even"] = time.perf_counter() - t2
    if len(table):
        write_table(table, folder, "explore_points")
    if len(indices):
        indices.to_csv(folder / "explore_indices.csv", index=False)
    if len(be):
        be.to_csv(folder / "explore_break_even.csv", index=False)
    box_rows = []
    for name, rule, box, share in boxes:
        box_rows.append({"success": name, "rule": rule, "share_of_points_working": share,
                         "coverage": box.coverage if box else float("nan"),
                         "density": box.density if box else float("nan"),
                         "mass": box.mass if box else float("nan"),
                         "conditions": "; ".join(f"{f} {op} {v:.6g}" for f, op, v in conditions(box)) if box else ""})
    if box_rows:
        pd.DataFrame(box_rows).to_csv(folder / "explore_boxes.csv", index=False)
    stop.update(chunks_run=log.chunks_run, points_run=log.points_run, points_reused=log.chunks_reused_points)
    record = {"study": study.source, "model_overrides": list(study.model_overrides),
              "base_config_hash": builder.base()[1], "stop": stop, "wall_time_s": timings}
    (folder / "study.json").write_text(json.dumps(record, indent=2, default=str), encoding="utf-8")
    return StudyResult(folder, table, indices, [(n, r, b) for n, r, b, _ in boxes], be, stop, log, timings)


def default_folder(run_folder: str | None = None) -> Path:
    """results/explore/<time>, or <run_folder>/explore/<time> for a study of a run."""
    from simulation.explore.run_folder import STUDIES_DIR
    root = Path(run_folder) / STUDIES_DIR if run_folder else Path("results") / "explore"
    return root / time.strftime("%Y-%m-%d_%H-%M-%S")


def rebuild_run_report(folder: Path) -> Path | None:
    """When the study folder is RUN/explore/<name>, rebuild RUN's report (with the study's section)."""
    from simulation.explore.run_folder import run_of
    run = run_of(folder)
    if run is None:
        return None
    from simulation.present.report import build_report
    return build_report(run)[-1]


def explore_main(argv: list[str]) -> int:
    """The command: check everything, run, write; 2 on a bad study (nothing run), 0 when done."""
    t0 = time.perf_counter()
    try:
        study = load_study(argv)
    except StudyError as err:
        print(f"sifsim explore: {err}", file=sys.stderr)
        return 2
    problems = budget_problems(study)
    with PointBuilder(study) as builder:
        problems += builder.check()
        if problems:
            print("sifsim explore: invalid study:\n" + "\n".join(f"  - {p}" for p in problems), file=sys.stderr)
            return 2
        folder = Path(study.output_dir) if study.output_dir else default_folder(study.run_folder)
        if study.success and study.design != "none" and not prim_available():
            print(f"sifsim explore: note: {PRIM_MISSING}", file=sys.stderr)
        print(f"sifsim explore: {study.design}, {len(study.factors)} factors + the dummy, "
              f"{study.replications} replications a point; folder {folder}", file=sys.stderr)
        result = run_study(study, builder, folder)
        base = builder.base()[0]
    from simulation.explore.report import write_explore_report
    labels_of_rules = {name: rule.label for name, rule in base.repayment.rules.items()}
    write_explore_report(result_view(result, study, labels_of_rules), folder, base.language)
    print(format_result(result, study))
    run_report = rebuild_run_report(folder)
    if run_report is not None:
        print(f"\nRun report with the section \"Which assumptions decide?\": {run_report}")
    print(f"\nExplore folder: {folder}  ({time.perf_counter() - t0:.0f} s)")
    return 0


def result_view(result: StudyResult, study: Study, rule_labels: dict | None = None) -> dict:
    """What the report needs, as plain tables and records."""
    rule_labels = dict(rule_labels or {})
    boxes = []
    for name, rule, box in result.boxes:
        success = next(s for s in study.success if s.name == name)
        boxes.append({"success": name, "outcome": success.outcome, "op": success.op, "threshold": success.threshold,
                      "rule": rule, "box": None if box is None else {
                          "coverage": box.coverage, "density": box.density, "mass": box.mass, "step": box.step,
                          "trajectory": box.trajectory, "limits": box.limits, "ranges": box.ranges,
                          "conditions": conditions(box), "cases": box.cases, "points": box.points},
                      "works_share": float(result.table[(result.table["outcome"] == success.outcome)
                                                        & (result.table["rule"] == rule)]["mean"]
                                           .map(success.holds).mean()) if len(result.table) else float("nan")})
    return {"factors": [{"name": f.name, "key": ", ".join(f.keys), "low": f.low, "high": f.high, "dist": f.dist,
                         "integer": f.integer} for f in study.factors],
            "sources": factor_sources(study), "indices": result.indices, "table": result.table,
            "boxes": boxes, "break_even": result.break_even, "stop": result.stop,
            "replications": study.replications, "design": study.design, "ci_target": study.ci_target,
            "model_overrides": list(study.model_overrides), "name": study.name,
            "rule_labels": rule_labels}


def factor_sources(study: Study) -> dict[str, str]:
    """Each factor's source text, read from its line in the uncertainty file (scenarios.provenance)."""
    from scenarios import provenance
    from simulation.app.config import CONF_DIR
    out: dict[str, str] = {}
    for path in sorted((Path(CONF_DIR) / "uncertainty").glob("*.yaml")):
        for record in provenance.parse_file(path).records:
            name = record.key.rsplit(".", 1)[-1]
            if record.key.startswith("factors.") and name in study.factor_names and name not in out:
                out[name] = f"{record.source_text} ({record.confidence})"
    return out


def format_result(result: StudyResult, study: Study) -> str:
    """The console summary: the factors that matter per outcome, the boxes, the break-even values."""
    lines = [f"Design: {result.stop.get('design')} — {result.stop.get('points', 0)} points × "
             f"{study.replications} replications; stop: {result.stop.get('reason', '—')}"]
    idx = result.indices
    if len(idx):
        col = "mu_star" if study.design == "morris" else "ST"
        for (outcome, rule), g in idx.groupby(["outcome", "rule"], sort=False):
            if g["constant"].all():
                lines.append(f"  {outcome} [{rule}]: constant over the design")
                continue
            kept = g[~g["noise"]].sort_values(col, ascending=False)
            top = ", ".join(f"{r.factor} {getattr(r, col):.3g}" for r in kept.head(4).itertuples())
            lines.append(f"  {outcome} [{rule}]: {top or 'nothing above the noise floor'}")
    for name, rule, box in result.boxes:
        if box is None:
            lines.append(f"  {name} [{rule}]: no box (the rule works everywhere or nowhere in the design)")
        else:
            cond = " and ".join(f"{f} {op} {v:.3g}" for f, op, v in conditions(box)) or "anywhere"
            lines.append(f"  {name} [{rule}]: {cond} (coverage {box.coverage:.2f}, density {box.density:.2f})")
    for row in result.break_even.itertuples() if len(result.break_even) else []:
        value = "—" if np.isnan(row.value) else f"{row.value:.3g}"
        lines.append(f"  break-even {row.outcome} [{row.rule}]: {row.key} = {value} ({row.status})")
    return "\n".join(lines)
