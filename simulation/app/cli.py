"""Command line: ``sifsim`` (≡ ``python -m simulation``) — which subcommand, then hand over.

    sifsim [key=value ...]            run (Hydra app over conf/config.yaml)
    sifsim -m key=a,b ...             sweep (Hydra multirun)
    sifsim report RUN_OR_SWEEP_DIR    regenerate charts and report without re-running
    sifsim validate [key=a,b ...]     check a config or a whole sweep grid, run nothing
    sifsim aggregate SWEEP_DIR        rebuild a sweep's sweep_summary.csv/.parquet

A run or sweep is checked first (:func:`simulation.app.grid.preflight`), then
handed to the Hydra task (:func:`simulation.app.task.hydra_main`). Nothing
imports this module but the entry points.
"""

from __future__ import annotations

import sys
from pathlib import Path

from scenarios.registry import register_configs
from simulation.app import grid, sweep, task


def main() -> None:
    register_configs()
    args = sys.argv[1:]
    if args[:1] == ["report"]:
        from simulation.present.report import report_main
        sys.exit(report_main(args[1:]))
    if args[:1] == ["validate"]:
        sys.exit(grid.validate_main(args[1:]))
    if args[:1] == ["aggregate"]:
        sys.exit(sweep.aggregate_main(args[1:]))
    code = grid.preflight(args)
    if code:
        sys.exit(code)
    with sweep.outcome_file() as path:
        try:
            task.hydra_main()
        except (SystemExit, KeyboardInterrupt):
            # Hydra exits 1 when a launcher fails (a killed or timed-out job): on_multirun_end
            # does not run then, so the table of what did finish is built here.
            outcome = sweep.SweepOutcome.read(path)
            if outcome and not outcome.aggregated:
                sweep.finish_sweep(Path(outcome.dir))
            raise
        outcome = sweep.SweepOutcome.read(path)
    if outcome and outcome.not_ok:
        sys.exit(1)


if __name__ == "__main__":
    main()
