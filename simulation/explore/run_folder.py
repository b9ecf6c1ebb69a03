"""Studies inside a run folder: where they go, what they start from, which the run's report shows.

A study belongs to a run when its folder is ``RUN/explore/<name>/`` (``explore.run_folder=RUN``
puts it there; an ``explore.output_dir`` of that form is recognised too). Such a study starts
from the run's own command-line overrides (``RUN/.hydra/overrides.yaml``, less Hydra's and the
run settings a study sets itself), and when it is done the run's ``report.html`` is rebuilt with a
section "Which assumptions decide?" (:func:`simulation.explore.report.run_report_section`);
``sifsim report RUN`` shows it too. No heavy imports here: :mod:`simulation.explore.study` checks
the setting with these functions before anything runs.
"""

from __future__ import annotations

from pathlib import Path

import yaml

from simulation.present.yaml_read import SAFE_LOADER

STUDIES_DIR = "explore"                 # RUN/explore/<study>/
STUDY_RECORD = "study.json"
#: overrides of a run that a study does not take over: Hydra's own, and what a design point sets itself
NOT_TAKEN = ("replications", "progress", "charts", "workers")


def is_run_folder(folder: Path | str) -> bool:
    """A folder ``sifsim`` wrote a run into: its resolved config and its summary table."""
    folder = Path(folder)
    return (folder / "config.yaml").is_file() and any((folder / f"summary.{ext}").is_file()
                                                      for ext in ("parquet", "csv"))


def run_of(study_folder: Path | str) -> Path | None:
    """The run folder a study folder ``RUN/explore/<name>`` belongs to, if it is one."""
    folder = Path(study_folder).resolve()
    if folder.parent.name == STUDIES_DIR and is_run_folder(folder.parent.parent):
        return folder.parent.parent
    return None


def study_folders(run_folder: Path | str) -> list[Path]:
    """The finished studies of a run (``RUN/explore/*/study.json``), oldest name first."""
    root = Path(run_folder) / STUDIES_DIR
    return sorted(p.parent for p in root.glob(f"*/{STUDY_RECORD}")) if root.is_dir() else []


def run_overrides(run_folder: Path | str) -> list[str]:
    """The run's command-line overrides a study starts from (``.hydra/overrides.yaml``; [] if none)."""
    path = Path(run_folder) / ".hydra" / "overrides.yaml"
    if not path.is_file():
        return []
    out = []
    for item in yaml.load(path.read_text(encoding="utf-8"), Loader=SAFE_LOADER) or []:
        key = str(item).lstrip("+~").split("=", 1)[0]
        if key.startswith("hydra") or key in NOT_TAKEN:
            continue
        out.append(str(item))
    return out


def run_folder_problems(run_folder: object, output_dir: object) -> list[str]:
    """``explore.run_folder`` (and an ``explore.output_dir`` beside it) checked; [] when fine."""
    if run_folder is None:
        return []
    if not isinstance(run_folder, str) or not is_run_folder(run_folder):
        return [f"explore.run_folder={run_folder!r}: not a run folder (no config.yaml and summary table); "
                "allowed: null or a folder sifsim wrote a run into, e.g. results/runs/<time>"]
    if isinstance(output_dir, str):
        inside = Path(output_dir).resolve().parent == (Path(run_folder) / STUDIES_DIR).resolve()
        if not inside:
            return [f"explore.output_dir={output_dir}: not a study folder of explore.run_folder={run_folder}; "
                    f"allowed: null ({run_folder}/{STUDIES_DIR}/<time>) or {run_folder}/{STUDIES_DIR}/<name>"]
    return []
