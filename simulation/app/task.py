"""The Hydra task: one run, or one job of a sweep — a thin shell around :func:`simulation.core.runner.run`.

:func:`execute` validates a composed config, runs it and writes the run folder;
:func:`hydra_main` is the ``@hydra.main`` entry point that ``sifsim`` calls
(:mod:`simulation.app.cli`), adding what a sweep job needs: skip a job that is
already complete (resume), record ``done.json`` or ``error.json``.
"""

from __future__ import annotations

import logging
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import hydra
import pandas as pd
from omegaconf import DictConfig

from scenarios.validation import ConfigError
from simulation.app.resources import collect_run_problems
from simulation.app import sweep, warm
from simulation.app.collector import freeze_imports
from simulation.app.config import CONF_DIR, to_typed
from simulation.app.outputs import manifest, write_manifest, write_run_tables
from simulation.app.prepare import Preparation
from simulation.app.run_folder import discard_fresh_run_folder
from simulation.app.studies import run_studies
from simulation.present.workers import prepare_chart_worker

log = logging.getLogger("sifsim")


def fmt_msek(x: float) -> str:
    return "—" if pd.isna(x) else f"{x / 1e6:,.1f}"


def format_summary(summary: pd.DataFrame, ledger_savings_by_payer: pd.DataFrame | None = None,
                   config=None) -> str:
    """The short table printed at the end of a run, in the run's ``language`` (English without a
    config), with payers and rules by their readable names and "—" where a rule owes nothing."""
    from simulation.present import labels
    from simulation.present.charts import payer_name, rule_label
    from simulation.present.formatting import fmt_number

    language = getattr(config, "language", None) or "en"
    rules_config = dict(getattr(getattr(config, "repayment", None), "rules", None) or {})
    say = lambda key: labels.text(language, f"console.{key}")  # noqa: E731
    msek_text = lambda x: "—" if pd.isna(x) else fmt_number(x / 1e6, language, 1)  # noqa: E731

    def value(rule, metric, col="p50"):
        row = summary[(summary["rule"] == rule) & (summary["metric"] == metric)]
        return float(row[col].iloc[0]) if len(row) else float("nan")

    def rule_name(rule):
        spec = rules_config.get(rule)
        return rule_label(spec.label, language) if spec is not None and getattr(spec, "label", "") else rule

    def owes(rule):
        spec = rules_config.get(rule)
        return spec is None or (spec.amount_basis != "none" and spec.trigger != "none")

    lines = []
    first = summary["rule"].iloc[0] if len(summary) else None
    headline = [("pv", "attributable_saving_pv_sek"), ("project_years", "attributable_saving_project_years_sek"),
                ("nominal", "attributable_saving_sek")]
    if first is not None and not pd.isna(value(first, headline[0][1])):
        # the decision's figures first: the PV and the saving inside the years that matter
        lines.append(say("headline"))
        label_width = max([40] + [len(say(key)) for key, _ in headline])
        for key, metric in headline:
            lines.append(f"  {say(key):<{label_width}} {msek_text(value(first, metric)):>8}  "
                         f"[{msek_text(value(first, metric, 'p10'))} – {msek_text(value(first, metric, 'p90'))}]")
        lines.append("")
    if ledger_savings_by_payer is not None and len(ledger_savings_by_payer):
        lines.append(say("by_payer"))
        names = [payer_name(str(p), language) for p in ledger_savings_by_payer["payer"]]
        width = max([18] + [len(n) for n in names])
        for name, (_, r) in zip(names, ledger_savings_by_payer.iterrows()):
            lines.append(f"  {name:<{width}} {msek_text(r['p50']):>8}  [{msek_text(r['p10'])} – {msek_text(r['p90'])}]")
        lines.append("")
    rules = list(summary["rule"].unique())
    keys = ("in_window", "repaid", "year", "written_off", "pressure", "posts", "p_full")
    rule_width = max([16] + [len(rule_name(r)) for r in rules])
    widths = [max(len(say(k)), 6) for k in keys]
    header = f"{say('rule'):<{rule_width}} " + " ".join(f"{say(k):>{w}}" for k, w in zip(keys, widths))
    lines += [say("by_rule"), header, "-" * len(header)]
    for rule in rules:
        share, year = value(rule, "repaid_share"), value(rule, "year_fully_repaid")
        p_full = value(rule, "p_full_repayment", "mean")
        if owes(rule):
            cells = [msek_text(value(rule, "attributable_saving_in_window_sek")),
                     "—" if pd.isna(share) else fmt_number(100 * share, language, 0),
                     say("never") if pd.isna(year) else f"{year:.0f}",
                     msek_text(value(rule, "written_off_sek"))]
        else:   # nothing is owed (the budget model): nothing to repay or write off
            cells = ["—"] * 4
        cells += [msek_text(value(rule, "peak_budget_pressure_sek")),
                  fmt_number(value(rule, "peak_budget_pressure_posts"), language, 1),
                  fmt_number(p_full, language, 2) if owes(rule) else "—"]
        lines.append(f"{rule_name(rule):<{rule_width}} " + " ".join(f"{c:>{w}}" for c, w in zip(cells, widths)))
    return "\n".join(lines)


def payer_bands(results) -> pd.DataFrame:
    from simulation.core.runner import savings_by
    per = savings_by(results.ledger, ["replication", "payer"])
    full = per.pivot_table(index="replication", columns="payer", values="saving_sek",
                           fill_value=0.0, observed=True)
    q = full.quantile([0.1, 0.5, 0.9]).T
    q.columns = ["p10", "p50", "p90"]
    return q.reset_index().sort_values("p50", ascending=False)



def kernel_problems() -> list[str]:
    """``SIFSIM_KERNELS`` (agents/kernels.py) checked with the config, before any work starts."""
    from agents import kernels
    try:
        kernels.requested()
    except ValueError as err:
        return [str(err)]
    return []

def execute(cfg: DictConfig, output_dir: Path, *, in_sweep: bool = False, job: int | None = None) -> int:
    """Validate, run, write.

    On a config problem: in a single run print every problem, remove what this
    process created in ``output_dir`` (nothing, if the folder existed before: see
    :mod:`simulation.app.run_folder`) and return 2; in a sweep job (``in_sweep``) raise :class:`ConfigError` so the
    job's ``error.json`` lists the problems and the other jobs go on. A sweep job
    logs a progress line at most every ``SWEEP_PROGRESS_EVERY_S`` seconds instead of
    the runner's one-line display (parallel jobs would overwrite each other's), and
    one line instead of the summary table.
    """
    from simulation.core.runner import run
    try:
        config = to_typed(cfg)
        problems = collect_run_problems(config) + kernel_problems()
        if problems:
            raise ConfigError(problems)
    except ConfigError as err:
        if in_sweep:
            raise
        print(str(err), file=sys.stderr)
        discard_fresh_run_folder(output_dir)
        return 2
    log_start(cfg, config, output_dir, job)
    # the imports and the composed config are frozen: the collections the tables' rows trigger walk
    # only what the run makes (simulation/app/collector.py)
    freeze_imports()
    cases = max(1, len(config.portfolio))   # a fund portfolio runs each grant
    on_replication = job_progress(config.replications * cases, job) if in_sweep and config.progress else None
    from simulation.core.runner import use_environment, worker_count
    chart_workers = worker_count(config, tasks=2) if config.charts else 1
    replication_workers = worker_count(config, tasks=config.replications * cases)
    pools = chart_workers > 1 or replication_workers > 1
    # every pool's workers fork from one warm server (simulation/app/warm.py): started by the
    # command line before it composed the config, or here (a no-op if it runs already)
    context = warm.context() if pools else None
    pool = None
    if pools:
        warm.start()
        # one pool for the replications, then the charts: the chart modules' imports, one per chart
        # worker, are queued behind the batches, so a worker whose batch is done takes one while
        # the others finish and the tables are summarised, instead of the server importing them
        # before its first fork (simulation/app/warm.py; any idle worker may take any of them)
        pool = ProcessPoolExecutor(max_workers=max(chart_workers, replication_workers), mp_context=context,
                                   initializer=use_environment, initargs=(warm.worker_environment(),))
    prepare = (prepare_chart_worker,) * chart_workers if pool is not None and chart_workers > 1 else ()
    try:
        # imports and the assumptions table, made while the replications run (simulation/app/prepare.py)
        preparation = Preparation(config, charts=config.charts)
        results = run(config, progress=config.progress and not in_sweep, on_replication=on_replication,
                      mp_context=context, worker_environment=warm.worker_environment(), pool=pool,
                      after_batches=prepare)
        if pool is not None and not prepare:
            pool.shutdown(wait=False, cancel_futures=True)     # no charts to draw in it
        preparation.join()
        record = manifest(results)            # written once every phase has its time (below)
        timings = record["wall_time_s"]
        t0 = time.perf_counter()
        drawing = None
        # the Parquet tables and config.yaml first: the charts are drawn from them while the CSVs are written
        write_run_tables(results, output_dir, csv=False)
        if chart_workers > 1:
            from simulation.present.report import start_charts
            drawing = start_charts(output_dir, config.language, chart_workers, mp_context=context, pool=pool)
        try:
            write_run_tables(results, output_dir, parquet=False)
            study_text = run_studies(results, output_dir)
        except BaseException:
            if drawing is not None:
                drawing.__exit__(None, None, None)
            raise
        timings["write_tables"] = time.perf_counter() - t0
        if config.charts:
            from simulation.present.report import build_report
            # the report cites the manifest (config hash, version, git revision): it is written
            # from the same record before the report, and once more with the report's own time
            write_manifest(record, output_dir)
            t1 = time.perf_counter()
            # the charts are drawn on the run's cores (``workers``) while the workbook is written
            build_report(output_dir, workers=chart_workers, drawing=drawing, mp_context=context,
                         assumptions=preparation.assumptions())
            timings["charts_and_report"] = time.perf_counter() - t1
    finally:
        if pool is not None:
            # the workers exit on their own, the run does not wait for their interpreters
            pool.shutdown(wait=False, cancel_futures=True)
    write_manifest(record, output_dir)
    log_end(record, output_dir)
    if in_sweep:
        print(f"{output_dir}: {config.replications} replications in "
              f"{sum(timings.values()):.1f} s")
        return 0
    print(format_summary(results.summary, payer_bands(results), config=config))
    if study_text:
        print("\n" + study_text)
    print(f"\nRun folder: {output_dir}")
    return 0


def log_start(cfg: DictConfig, config, output_dir: Path, job: int | None) -> None:
    """The first lines of ``sifsim.log``: what runs (version, overrides), its config hash and seeds."""
    from simulation.app.help import version_text
    from simulation.app.outputs import config_hash
    try:
        from hydra.core.hydra_config import HydraConfig
        overrides = " ".join(HydraConfig.get().overrides.task) or "(none)"
    except ValueError:          # not inside a Hydra run (a test calling execute)
        overrides = "(not from the command line)"
    what = f"job {job}" if job is not None else "run"
    log.info(f"{version_text()}: {what} into {output_dir}")
    log.info(f"overrides: {overrides}")
    grants = ", ".join(config.portfolio) if config.portfolio else config.intervention.name
    log.info(f"scenario {config.scenario}: municipality {config.municipality.name}, intervention {grants}, "
             f"repayment rules {', '.join(config.repayment.rules)}")
    log.info(f"config hash {config_hash(config)}; master seed {config.seed}; {config.replications} paired "
             f"replications, replication r draws from SeedSequence(entropy={config.seed}, spawn_key=(r,)); "
             f"horizon {config.horizon_years} years")


def log_end(record: dict, output_dir: Path) -> None:
    """The last lines of ``sifsim.log``: wall time per phase and every file written."""
    for phase, seconds in record["wall_time_s"].items():
        log.info(f"phase {phase}: {seconds:.2f} s")
    files = sorted(p.relative_to(output_dir).as_posix() for p in Path(output_dir).rglob("*")
                   if p.is_file() and not p.name.endswith(".log") and ".hydra" not in p.parts)
    log.info(f"{len(files)} files written in {output_dir}: {', '.join(files)}")


SWEEP_PROGRESS_EVERY_S = 30.0


def job_progress(total: int, job: int | None, every_s: float = SWEEP_PROGRESS_EVERY_S):
    """A callback for ``run(on_replication=...)`` logging ``job N: done/total, time left``."""
    t0 = last = time.perf_counter()
    done = 0

    def update(_replication: int) -> None:
        nonlocal last, done
        now, done = time.perf_counter(), done + 1
        if now - last < every_s or done >= total:
            return
        last = now
        left = (now - t0) / done * (total - done)
        log.info(f"job {job}: {done}/{total} replications, {now - t0:.0f} s, ≈{left:.0f} s left")
    return update


#: ``@hydra.main``'s config path and name (sifsim's check composes the run's config with them:
#: simulation/app/handover.py)
HYDRA_CONFIG_PATH = CONF_DIR
HYDRA_CONFIG_NAME = "config"


@hydra.main(version_base="1.3", config_path=HYDRA_CONFIG_PATH, config_name=HYDRA_CONFIG_NAME)
def hydra_main(cfg: DictConfig) -> None:
    """The Hydra task: one run, or one job of a sweep.

    In a sweep a job whose folder already holds a complete result for the same
    overrides is skipped (resume), and a job that fails writes ``error.json``
    instead of raising, so the other jobs and the sweep table still happen.
    Under a parallel launcher a job runs its replications in one process.
    """
    from hydra.core.hydra_config import HydraConfig
    from hydra.types import RunMode

    hc = HydraConfig.get()
    output_dir = Path(hc.runtime.output_dir)
    in_sweep = hc.mode == RunMode.MULTIRUN
    overrides = list(hc.overrides.task)
    job = hc.job.num if in_sweep else None
    config_hash = sweep.resolved_config_hash(cfg)
    if in_sweep and sweep.is_complete(output_dir, overrides, config_hash):
        log.info(f"job {job}: complete result already in {output_dir}; skipped")
        return
    if in_sweep and "workers" in cfg and not hc.launcher._target_.endswith(".BasicLauncher") \
            and not any(o.split("=")[0].lstrip("+") == "workers" for o in overrides):
        # A parallel launcher already runs a job per core: each job runs its replications
        # serially (no pool inside a pool; loky workers cannot spawn one). `workers=N` on
        # the command line still wins, e.g. on SLURM with hydra.launcher.cpus_per_task=N.
        cfg.workers = 1
    sweep.start_job(output_dir, remove_earlier=in_sweep)
    t0 = time.perf_counter()
    try:
        code = execute(cfg, output_dir, in_sweep=in_sweep, job=job)
    except Exception as exc:
        sweep.write_error(output_dir, overrides, job, exc, time.perf_counter() - t0)
        if not in_sweep:
            raise
        log.error(f"job {job} failed: {type(exc).__name__}: {str(exc).splitlines()[0]} "
                  f"(details in {output_dir / sweep.ERROR})")
        return
    if code:
        sys.exit(code)
    sweep.write_done(output_dir, overrides, job, time.perf_counter() - t0, config_hash)
