"""``sifsim report`` with a message, not a traceback, for folders it cannot use (issue 9).

Before anything is drawn: the folder exists and is a run or sweep folder; a run
folder has its summary (an interrupted run has not); every parquet table can be
opened (a truncated one cannot); its ``manifest.json`` names the run-folder layout this version
reads (another layout is refused; another sifsim version of the same layout, or no manifest, is
warned about). A run folder without ``done.json`` (killed
after its tables, e.g. in its charts phase) is reported with a warning. Any
other failure while drawing is one line, exit 2.
"""

from __future__ import annotations

import sys
from pathlib import Path

DONE = "done.json"
MANIFEST = "manifest.json"


def _manifest(folder: Path) -> dict | None:
    import json
    try:
        data = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def _layout_problem(folder: Path) -> str | None:
    """A run folder of another layout than this version reads: the refusal (None if readable)."""
    from simulation.app.outputs import RUN_FOLDER_LAYOUT
    data = _manifest(folder)
    if data is None:
        return None                      # no manifest: warned about by version_warning
    layout = data.get("layout", 1)
    if layout != RUN_FOLDER_LAYOUT:
        return (f"written by sifsim {data.get('sifsim_version', '?')} in run-folder layout {layout!r}; "
                f"this sifsim reads layout {RUN_FOLDER_LAYOUT} only: re-run it with this version, or "
                f"report it with sifsim {data.get('sifsim_version', '?')}")
    return None


def version_warning(folder: Path) -> str | None:
    """A run folder of the same layout but another sifsim version, or without a manifest: the warning."""
    from simulation import __version__
    from simulation.present.report import is_run_folder
    if not is_run_folder(folder):
        return None
    data = _manifest(folder)
    if data is None:
        return (f"warning: {folder} has no readable {MANIFEST}: the version that wrote it is unknown; "
                "the report may not match its tables")
    written = data.get("sifsim_version")
    if written != __version__:
        return (f"warning: {folder} was written by sifsim {written}, this is {__version__} (same "
                "layout): the report is drawn with this version's charts and labels")
    return None


def _problem(folder: Path) -> str | None:
    from simulation.present.report import is_run_folder, is_sweep_folder
    if not folder.is_dir():
        return f"{folder}: no such folder"
    if not is_run_folder(folder) and not is_sweep_folder(folder):
        return (f"{folder}: neither a sifsim run folder (no population.parquet) nor a sweep folder "
                "(no sweep_summary.csv)")
    if not is_sweep_folder(folder) and not (folder / "summary.csv").is_file():
        return f"{folder}: an interrupted run (no summary.csv); re-run it to get a report"
    problem = _layout_problem(folder)
    if problem:
        return problem
    import pyarrow.parquet as pq
    for path in sorted(folder.glob("*.parquet")):
        try:
            pq.ParquetFile(path).close()
        except Exception as exc:  # noqa: BLE001 - any unreadable table is the same message
            return f"{path}: unreadable table ({type(exc).__name__}: {str(exc).splitlines()[0]}); " \
                   "re-run to rewrite it"
    return None


def guarded_report(argv: list[str]) -> int:
    from simulation.present.report import is_sweep_folder, report_main
    folders = [a for i, a in enumerate(argv)
               if not a.startswith("-") and (i == 0 or argv[i - 1] != "--language")]
    if argv and not any(a in ("-h", "--help") for a in argv) and folders:
        folder = Path(folders[0])
        problem = _problem(folder)
        if problem:
            print(f"sifsim report: {problem}; nothing written", file=sys.stderr)
            return 2
        warning = version_warning(folder)
        if warning:
            print(f"sifsim report: {warning}", file=sys.stderr)
        if not is_sweep_folder(folder) and not (folder / DONE).is_file():
            print(f"sifsim report: warning: {folder} has no {DONE}: the run did not finish "
                  "(killed after writing its tables?); the report may be incomplete", file=sys.stderr)
    try:
        return report_main(argv)
    except SystemExit:
        raise
    except Exception as exc:  # noqa: BLE001 - one line instead of a traceback
        print(f"sifsim report: failed: {type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}",
              file=sys.stderr)
        return 2
