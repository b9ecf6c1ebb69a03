"""Write a run folder: tables (Parquet + CSV), manifest, summary; every file written then renamed."""

from __future__ import annotations

import hashlib
import json
import platform
import subprocess
import sys
from importlib import metadata
from pathlib import Path

import pandas as pd
from omegaconf import OmegaConf

from simulation.core.runner import Results
from simulation.present.files import atomic_write  # noqa: F401 - one definition, used here too

PACKAGES = ("mesa", "hydra-core", "omegaconf", "numpy", "scipy", "pandas", "matplotlib", "pyarrow")





#: the version of a run folder's layout (which files, which columns): ``sifsim report`` refuses a
#: folder of another layout (simulation.app.report_guard). Raise it when a table or file that the
#: report reads changes incompatibly; a folder written before the field is layout 1.
RUN_FOLDER_LAYOUT = 1

def write_table(frame: pd.DataFrame, folder: Path, stem: str, *, parquet: bool = True, csv: bool = True) -> None:
    if parquet:
        atomic_write(folder / f"{stem}.parquet", lambda p: frame.to_parquet(p, index=False))
    if csv:
        atomic_write(folder / f"{stem}.csv", lambda p: frame.to_csv(p, index=False))


def git_revision() -> str | None:
    try:
        here = Path(__file__).resolve().parent
        out = subprocess.run(["git", "rev-parse", "HEAD"], cwd=here, capture_output=True, text=True, timeout=5)
        return out.stdout.strip() or None if out.returncode == 0 else None
    except (OSError, subprocess.SubprocessError):
        return None


def config_hash(config) -> str:
    text = OmegaConf.to_yaml(OmegaConf.structured(config), sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def manifest(results: Results, extra_timings: dict[str, float] | None = None) -> dict:
    """Versions, seed, config hash, git revision and wall time per phase (``wall_time_s``)."""
    versions = {}
    for name in PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = None
    from simulation import __version__
    return {
        "sifsim_version": __version__,
        "layout": RUN_FOLDER_LAYOUT,
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "packages": versions,
        "seed": results.config.seed,
        "replications": results.config.replications,
        "horizon_years": results.config.horizon_years,
        "scenario": results.config.scenario,
        "config_hash": config_hash(results.config),
        "git_revision": git_revision(),
        "wall_time_s": {**results.timings_s, **(extra_timings or {})},
    }


def write_run_tables(results: Results, folder: Path) -> None:
    """Write every table of INTERFACE.md and the resolved config into ``folder``."""
    folder = Path(folder)
    write_table(results.ledger, folder, "ledger")
    write_table(results.population, folder, "population")
    write_table(results.repayment, folder, "repayment")
    write_table(results.summary, folder, "summary")
    write_table(results.years, folder, "years")
    write_table(results.per_replication, folder, "per_replication")
    write_table(results.participants, folder, "participants")
    write_table(results.budget, folder, "budget")
    atomic_write(folder / "config.yaml",
                 lambda p: p.write_text(OmegaConf.to_yaml(OmegaConf.structured(results.config))))


def write_manifest(record: dict, folder: Path) -> None:
    """Write ``manifest.json`` (a record from :func:`manifest`) into ``folder``."""
    atomic_write(Path(folder) / "manifest.json", lambda p: p.write_text(json.dumps(record, indent=2)))


def write_run(results: Results, folder: Path, extra_timings: dict[str, float] | None = None) -> None:
    """The tables, the config and the manifest in one call (for tools and tests writing a run folder)."""
    write_run_tables(results, folder)
    write_manifest(manifest(results, extra_timings), folder)
