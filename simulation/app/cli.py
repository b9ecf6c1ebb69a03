"""Command line: ``sifsim`` (≡ ``python -m simulation``), a thin shell around :func:`run`.

    sifsim [key=value ...]            run (Hydra app over conf/config.yaml)
    sifsim -m key=a,b ...             sweep (Hydra multirun)
    sifsim report RUN_OR_SWEEP_DIR    regenerate charts and report without re-running
    sifsim validate [key=a,b ...]     check a config or a whole sweep grid, run nothing
"""

from __future__ import annotations

import logging
import sys
import time
from pathlib import Path

import hydra
import pandas as pd
from omegaconf import DictConfig, OmegaConf

from scenarios.registry import register_configs
from scenarios.schema import SifsimConfig
from scenarios.validation import ConfigError, collect_problems
from simulation.app.run_folder import discard_fresh_run_folder

CONF_DIR = str(Path(__file__).resolve().parents[2] / "conf")
log = logging.getLogger("sifsim")


def to_typed(cfg: DictConfig) -> SifsimConfig:
    """The composed DictConfig as typed dataclasses (the hydra node dropped)."""
    plain = OmegaConf.masked_copy(cfg, [k for k in cfg.keys() if k != "hydra"]) if "hydra" in cfg else cfg
    obj = OmegaConf.to_object(plain)
    assert isinstance(obj, SifsimConfig)
    return obj


def fmt_msek(x: float) -> str:
    return "—" if pd.isna(x) else f"{x / 1e6:,.1f}"


def format_summary(summary: pd.DataFrame, ledger_savings_by_payer: pd.DataFrame | None = None) -> str:
    """The short table printed at the end of a run."""
    def value(rule, metric, col="p50"):
        row = summary[(summary["rule"] == rule) & (summary["metric"] == metric)]
        return float(row[col].iloc[0]) if len(row) else float("nan")

    lines = []
    if ledger_savings_by_payer is not None and len(ledger_savings_by_payer):
        lines.append("Attributable saving by payer over the horizon, MSEK (median [P10–P90]):")
        for _, r in ledger_savings_by_payer.iterrows():
            lines.append(f"  {r['payer']:<18} {fmt_msek(r['p50']):>8}  [{fmt_msek(r['p10'])} – {fmt_msek(r['p90'])}]")
        lines.append("")
    header = f"{'rule':<16} {'repaid %':>9} {'fully repaid':>12} {'written off':>12} " \
             f"{'peak pressure':>14} {'posts':>6} {'P(full)':>8}"
    lines += ["Repayment by rule (medians; MSEK):", header, "-" * len(header)]
    for rule in summary["rule"].unique():
        share = value(rule, "repaid_share")
        year = value(rule, "year_fully_repaid")
        lines.append(
            f"{rule:<16} {('—' if pd.isna(share) else f'{100 * share:.0f}'):>9} "
            f"{('never' if pd.isna(year) else f'{year:.0f}'):>12} "
            f"{fmt_msek(value(rule, 'written_off_sek')):>12} "
            f"{fmt_msek(value(rule, 'peak_budget_pressure_sek')):>14} "
            f"{value(rule, 'peak_budget_pressure_posts'):>6.1f} "
            f"{value(rule, 'p_full_repayment', 'mean'):>8.2f}")
    return "\n".join(lines)


def payer_bands(results) -> pd.DataFrame:
    from simulation.core.runner import savings_by
    per = savings_by(results.ledger, ["replication", "payer"])
    full = per.pivot_table(index="replication", columns="payer", values="saving_sek",
                           fill_value=0.0, observed=True)
    q = full.quantile([0.1, 0.5, 0.9]).T
    q.columns = ["p10", "p50", "p90"]
    return q.reset_index().sort_values("p50", ascending=False)


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
    from simulation.app.outputs import write_run
    from simulation.core.runner import run
    try:
        config = to_typed(cfg)
        problems = collect_problems(config)
        if problems:
            raise ConfigError(problems)
    except ConfigError as err:
        if in_sweep:
            raise
        print(str(err), file=sys.stderr)
        discard_fresh_run_folder(output_dir)
        return 2
    cases = max(1, len(getattr(config, "portfolio", None) or {}))   # a fund portfolio runs each grant
    on_replication = job_progress(config.replications * cases, job) if in_sweep and config.progress else None
    results = run(config, progress=config.progress and not in_sweep, on_replication=on_replication)
    t0 = time.perf_counter()
    write_run(results, output_dir)
    from simulation.app.studies import run_studies
    study_text = run_studies(results, output_dir)
    timings = {"write_tables": time.perf_counter() - t0}
    if config.charts:
        t1 = time.perf_counter()
        from simulation.present.report import build_report
        build_report(output_dir)
        timings["charts_and_report"] = time.perf_counter() - t1
    write_run_manifest_timings(output_dir, timings)
    if in_sweep:
        print(f"{output_dir}: {config.replications} replications in "
              f"{sum(results.timings_s.values()) + sum(timings.values()):.1f} s")
        return 0
    print(format_summary(results.summary, payer_bands(results)))
    if study_text:
        print("\n" + study_text)
    print(f"\nRun folder: {output_dir}")
    return 0


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


def write_run_manifest_timings(folder: Path, timings: dict[str, float]) -> None:
    import json
    from simulation.app.outputs import atomic_write
    path = folder / "manifest.json"
    data = json.loads(path.read_text())
    data["wall_time_s"].update(timings)
    atomic_write(path, lambda p: p.write_text(json.dumps(data, indent=2)))


@hydra.main(version_base="1.3", config_path=CONF_DIR, config_name="config")
def hydra_main(cfg: DictConfig) -> None:
    """The Hydra task: one run, or one job of a sweep.

    In a sweep a job whose folder already holds a complete result for the same
    overrides is skipped (resume), and a job that fails writes ``error.json``
    instead of raising, so the other jobs and the sweep table still happen.
    Under a parallel launcher a job runs its replications in one process.
    """
    from hydra.core.hydra_config import HydraConfig
    from hydra.types import RunMode

    from simulation.app import sweep
    hc = HydraConfig.get()
    output_dir = Path(hc.runtime.output_dir)
    in_sweep = hc.mode == RunMode.MULTIRUN
    overrides = list(hc.overrides.task)
    job = hc.job.num if in_sweep else None
    if in_sweep and sweep.is_complete(output_dir, overrides):
        log.info(f"job {job}: complete result already in {output_dir}; skipped")
        return
    if in_sweep and "workers" in cfg and not hc.launcher._target_.endswith(".BasicLauncher") \
            and not any(o.split("=")[0].lstrip("+") == "workers" for o in overrides):
        # A parallel launcher already runs a job per core: each job runs its replications
        # serially (no pool inside a pool; loky workers cannot spawn one). `workers=N` on
        # the command line still wins, e.g. on SLURM with hydra.launcher.cpus_per_task=N.
        cfg.workers = 1
    sweep.start_job(output_dir)
    t0 = time.perf_counter()
    try:
        sweep.maybe_inject_failure(overrides)
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
    sweep.write_done(output_dir, overrides, job, time.perf_counter() - t0)


def parse_command_line(args: list[str]):
    """Hydra's own argument parser on ``args``; None where Hydra will refuse them itself."""
    from hydra._internal.utils import get_args_parser
    parser = get_args_parser()
    try:
        return parser.parse_args(args)
    except SystemExit:
        return None


def search_dirs(ns) -> tuple[str, list[str]]:
    """(primary config dir, extra dirs) as Hydra resolves ``--config-path`` and ``--config-dir``."""
    primary = CONF_DIR
    if ns.config_path is not None:
        here = Path(__file__).resolve().parent       # relative to the file declaring @hydra.main
        primary = str((here / ns.config_path).resolve()) if not Path(ns.config_path).is_absolute() \
            else ns.config_path
    extra = [str(Path(ns.config_dir).resolve())] if ns.config_dir else []
    return primary, extra


def preflight(args: list[str]) -> int:
    """Check the config of every job a command line would run, before Hydra creates anything.

    Returns 0 to go on, 2 after printing every problem. Runs whatever Hydra
    flags are given (``-cn``, ``-cp``, ``-cd``, ``-m``); only command lines that
    run no task (``--help``, ``--cfg``, ``--info``, shell completion) or that
    Hydra's parser refuses are left to Hydra. A single run is always checked
    here, so a bad value never reaches a run folder; a sweep whose sweeper
    chooses its own jobs is checked job by job inside each job.
    """
    from simulation.app import sweep
    ns = parse_command_line(args)
    if ns is None or ns.help or ns.hydra_help or ns.cfg or ns.info or ns.shell_completion \
            or ns.experimental_rerun:
        return 0
    multirun = bool(ns.multirun)
    overrides = list(ns.overrides)
    conf_dir, extra_dirs = search_dirs(ns)
    config_name = ns.config_name or "config"
    try:
        if not multirun and any(o.is_sweep_override() for o in sweep.parse_overrides(overrides)):
            return 0  # Hydra explains that a sweep needs --multirun
    except Exception:  # noqa: BLE001 - an unparsable override: the check below names it
        pass
    try:
        checks = sweep.check_grid(overrides, multirun=multirun, conf_dir=conf_dir,
                                  config_name=config_name, extra_dirs=extra_dirs)
    except Exception as exc:  # noqa: BLE001
        if multirun:
            return 0   # a sweeper that picks its own jobs: each job is checked when it runs
        print(f"sifsim: not started: {str(exc).splitlines()[0]}", file=sys.stderr)
        return 2
    bad = [c for c in checks if c.problems]
    if not bad:
        return 0
    if multirun:
        print("sweep not started, invalid configuration:\n"
              + sweep.format_checks(checks, ok_lines=False), file=sys.stderr)
    else:
        print(str(ConfigError(bad[0].problems)), file=sys.stderr)
    return 2


def main() -> None:
    register_configs()
    args = sys.argv[1:]
    if args[:1] == ["report"]:
        from simulation.present.report import report_main
        sys.exit(report_main(args[1:]))
    if args[:1] == ["validate"]:
        from simulation.app.sweep import validate_main
        sys.exit(validate_main(args[1:]))
    if args[:1] == ["aggregate"]:
        from simulation.app.sweep import aggregate_main
        sys.exit(aggregate_main(args[1:]))
    code = preflight(args)
    if code:
        sys.exit(code)
    from simulation.app import sweep
    sweep.LAST_SWEEP.clear()
    try:
        hydra_main()
    except (SystemExit, KeyboardInterrupt):
        # Hydra exits 1 when a launcher fails (a killed or timed-out job): on_multirun_end
        # does not run then, so the table of what did finish is built here.
        if sweep.LAST_SWEEP.get("dir") and not sweep.LAST_SWEEP.get("aggregated"):
            sweep.finish_sweep(Path(sweep.LAST_SWEEP["dir"]))
        raise
    if sweep.LAST_SWEEP.get("not_ok"):
        sys.exit(1)


if __name__ == "__main__":
    main()
