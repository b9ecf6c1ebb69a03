"""Command line: ``sifsim`` (≡ ``python -m simulation``), a thin shell around :func:`run`.

    sifsim [key=value ...]            run (Hydra app over conf/config.yaml)
    sifsim -m key=a,b ...             sweep (Hydra multirun)
    sifsim report RUN_OR_SWEEP_DIR    regenerate charts and report without re-running
    sifsim validate [key=a,b ...]     check a config or a whole sweep grid, run nothing
"""

from __future__ import annotations

import logging
import shutil
import sys
import time
from pathlib import Path

import hydra
import pandas as pd
from omegaconf import DictConfig, OmegaConf

from scenarios.registry import register_configs
from scenarios.schema import SifsimConfig
from scenarios.validation import ConfigError, collect_problems

CONF_DIR = str(Path(__file__).resolve().parent.parent / "conf")
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
    from simulation.runner import savings_by
    per = savings_by(results.ledger, ["replication", "payer"])
    full = per.pivot_table(index="replication", columns="payer", values="saving_sek",
                           fill_value=0.0, observed=True)
    q = full.quantile([0.1, 0.5, 0.9]).T
    q.columns = ["p10", "p50", "p90"]
    return q.reset_index().sort_values("p50", ascending=False)


def execute(cfg: DictConfig, output_dir: Path) -> int:
    """Validate, run, write. On a config problem remove ``output_dir`` and return 2."""
    from simulation.outputs import write_run
    from simulation.runner import run
    try:
        config = to_typed(cfg)
        problems = collect_problems(config)
        if problems:
            raise ConfigError(problems)
    except ConfigError as err:
        print(str(err), file=sys.stderr)
        shutil.rmtree(output_dir, ignore_errors=True)
        return 2
    results = run(config)
    t0 = time.perf_counter()
    write_run(results, output_dir)
    timings = {"write_tables": time.perf_counter() - t0}
    if config.charts:
        t1 = time.perf_counter()
        from simulation.report import build_report
        build_report(output_dir)
        timings["charts_and_report"] = time.perf_counter() - t1
    write_run_manifest_timings(output_dir, timings)
    print(format_summary(results.summary, payer_bands(results)))
    print(f"\nRun folder: {output_dir}")
    return 0


def write_run_manifest_timings(folder: Path, timings: dict[str, float]) -> None:
    import json
    from simulation.outputs import atomic_write
    path = folder / "manifest.json"
    data = json.loads(path.read_text())
    data["wall_time_s"].update(timings)
    atomic_write(path, lambda p: p.write_text(json.dumps(data, indent=2)))


@hydra.main(version_base="1.3", config_path=CONF_DIR, config_name="config")
def hydra_main(cfg: DictConfig) -> None:
    from hydra.core.hydra_config import HydraConfig
    output_dir = Path(HydraConfig.get().runtime.output_dir)
    code = execute(cfg, output_dir)
    if code:
        sys.exit(code)


def main() -> None:
    register_configs()
    if len(sys.argv) > 1 and sys.argv[1] == "report":
        from simulation.report import report_main
        sys.exit(report_main(sys.argv[2:]))
    if len(sys.argv) > 1 and sys.argv[1] == "validate":
        from simulation.sweep import validate_main
        sys.exit(validate_main(sys.argv[2:]))
    hydra_main()


if __name__ == "__main__":
    main()
