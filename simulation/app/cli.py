"""Command line: ``sifsim`` (≡ ``python -m simulation``) — which subcommand, then hand over.

    sifsim [key=value ...]            run (Hydra app over conf/config.yaml)
    sifsim -m key=a,b ...             sweep (Hydra multirun)
    sifsim report RUN_OR_SWEEP_DIR    regenerate charts and report without re-running
    sifsim validate [key=a,b ...]     check a config or a whole sweep grid, run nothing
    sifsim aggregate SWEEP_DIR        rebuild a sweep's sweep_summary.csv/.parquet
    sifsim explore [+uncertainty=NAME] [explore.key=v ...] [model overrides]
                                      global sensitivity and scenario discovery (simulation.explore)
    sifsim --help | --version         what it takes (:mod:`simulation.app.help`) | version and git revision

The subcommands are the registry :data:`COMMANDS`: ``--help`` lists it, so a new
subcommand is one entry there.

A run or sweep is checked first (:func:`simulation.app.grid.preflight_run`), then
handed to the Hydra task (:func:`simulation.app.task.hydra_main`); a single run's
checked config goes with it (:mod:`simulation.app.handover`). Nothing imports
this module but the entry points.
"""

from __future__ import annotations

import difflib
import re
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

# only what the first lines of main() need: it starts the workers' warm server before it imports
# Hydra, pandas and the rest (about 1.1 s; tests/test_lazy_imports.py)
from simulation.app import warm


@dataclass(frozen=True)
class Command:
    """A subcommand: its one-line summary (``sifsim --help``) and its handler (argv -> exit code)."""

    summary: str
    run: Callable[[list[str]], int]


def _report(argv: list[str]) -> int:
    from simulation.app.report_guard import guarded_report
    return guarded_report(argv)


def _validate(argv: list[str]) -> int:
    from simulation.app import grid
    return grid.validate_main(argv)


def _aggregate(argv: list[str]) -> int:
    from simulation.app import sweep
    return sweep.aggregate_main(argv)


def _explore(argv: list[str]) -> int:
    from simulation.explore.command import explore_main
    return explore_main(argv)


#: every subcommand, in the order ``sifsim --help`` lists them; register a new one here
COMMANDS: dict[str, Command] = {
    "report": Command("regenerate charts and report of a run or sweep folder, without re-running",
                      _report),
    "validate": Command("check a config or a whole sweep grid (-m, -cd, -cn), run nothing",
                        _validate),
    "aggregate": Command("rebuild a sweep folder's sweep_summary.csv/.parquet",
                         _aggregate),
    "explore": Command("global sensitivity and scenario discovery: Morris, Sobol, PRIM, break-even "
                       "(+uncertainty=NAME explore.design=morris|sobol …)", _explore),
}


def unknown_command(args: list[str]) -> str | None:
    """A first word that is neither a subcommand nor an override (``sifsim reprot``): the message."""
    if not args or not re.fullmatch(r"[A-Za-z][\w-]*", args[0]) or args[0] in COMMANDS:
        return None
    near = difflib.get_close_matches(args[0], COMMANDS, n=1)
    hint = f"did you mean {near[0]}? " if near else ""
    return (f"sifsim: unknown command {args[0]!r}; {hint}allowed: {', '.join(COMMANDS)}, "
            "or overrides key=value (sifsim --help)")


def warm_workers_wanted(args: list[str]) -> bool:
    """A run, a sweep or ``explore`` that may start worker pools (not ``--help``, ``--version``,
    ``report``, ``validate``, ``aggregate``, nor a run with ``workers=1``: :func:`warm.wanted`)."""
    if any(a in ("--help", "-h", "--version", "-V") for a in args):
        return False
    if args and args[0] in COMMANDS:
        return args[0] == "explore" and warm.wanted(args[1:], workers_key="explore.workers")
    return unknown_command(args) is None and warm.wanted(args)


def main() -> None:
    args = sys.argv[1:]
    if warm_workers_wanted(args):
        # the workers' fork server imports the model and loads its compiled loops on the other
        # core while this process composes and checks the config (simulation/app/warm.py)
        warm.start()
    from scenarios.registry import register_configs
    from simulation.app import grid, handover, sweep, task
    register_configs()
    message = unknown_command(args)
    if message:
        print(message, file=sys.stderr)
        sys.exit(2)
    if args and args[0] in COMMANDS:
        sys.exit(COMMANDS[args[0]].run(args[1:]))
    if "--version" in args or "-V" in args:
        from simulation.app.help import version_text
        print(version_text())
        sys.exit(0)
    if "--help" in args or "-h" in args:
        from simulation.app.help import help_text
        ns = grid.parse_command_line([a for a in args if a not in ("--help", "-h")])
        _, extra = grid.search_dirs(ns) if ns is not None else (None, [])
        print(help_text({name: c.summary for name, c in COMMANDS.items()}, extra_dirs=extra))
        sys.exit(0)
    # a single run's config is composed once, checked, and handed to Hydra's run
    # (simulation/app/handover.py); None: Hydra composes it itself
    code, composed = grid.preflight_run(args, task.hydra_main, task.HYDRA_CONFIG_PATH,
                                        task.HYDRA_CONFIG_NAME)
    if code:
        sys.exit(code)
    with sweep.outcome_file() as path, sweep.terminate_children_on_sigterm():
        try:
            with handover.handed_over(composed):
                task.hydra_main()
        except (SystemExit, KeyboardInterrupt):
            # Hydra exits 1 when a launcher fails (a killed or timed-out job): on_multirun_end
            # does not run then, so the table of what did finish is built here.
            outcome = sweep.SweepOutcome.read(path)
            if outcome and not outcome.aggregated:
                sweep.finish_sweep(Path(outcome.dir))
            if outcome:
                sweep.release_lock(Path(outcome.dir))
            raise
        outcome = sweep.SweepOutcome.read(path)
        if outcome:
            sweep.release_lock(Path(outcome.dir))
    if outcome and outcome.not_ok:
        sys.exit(1)


if __name__ == "__main__":
    main()
