"""Write a run folder: tables (Parquet + CSV), manifest, summary; every file written then renamed."""

from __future__ import annotations

import copy
import hashlib
import json
import platform
import subprocess
import sys
from importlib import metadata
from pathlib import Path

import numpy as np
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
        atomic_write(folder / f"{stem}.csv", lambda p: write_csv(frame, p))


def write_csv(frame: pd.DataFrame, path: Path) -> None:
    """``frame.to_csv(path, index=False)``'s bytes, made column by column where :func:`csv_text`
    can (every run table), else by pandas."""
    text = csv_text(frame)
    if text is None:
        frame.to_csv(path, index=False)
    else:
        Path(path).write_text(text, encoding="utf-8", newline="")


def _csv_field(text: str) -> str | None:
    # the csv module's QUOTE_MINIMAL, as pandas writes (line terminator "\n"): quoted if it holds
    # the delimiter, the quote character or "\n", quotes doubled; a carriage return (quoted or not
    # depending on the Python version) is left to pandas (None)
    if "\r" in text:
        return None
    if any(c in text for c in ',"\n'):
        return '"' + text.replace('"', '""') + '"'
    return text


def _csv_column(values: pd.Series) -> list[str] | None:
    """A column's fields as ``to_csv`` writes them (no index, ``na_rep=""``), or None for a kind
    of column left to pandas."""
    dtype = values.dtype
    if isinstance(dtype, pd.CategoricalDtype) or dtype == object or isinstance(dtype, pd.StringDtype):
        codes, uniques = pd.factorize(values, use_na_sentinel=True)
        if isinstance(uniques, pd.Categorical) or isinstance(uniques, pd.CategoricalIndex):
            uniques = np.asarray(uniques, dtype=object)
        words = [_csv_field(str(u)) if isinstance(u, str) else None for u in uniques]
        if any(w is None for w in words):     # a number, a date … among the words: pandas says how
            return None
        return np.array(words + [""], dtype=object)[codes].tolist()
    if dtype.kind in "fiu":
        # pandas: ``values.astype(str)`` (floats with missing values as na_rep); here each distinct
        # value is formatted once, by the same numpy call (a run's amounts and years repeat)
        numbers = values.to_numpy()
        if dtype.kind == "f" and np.signbit(numbers[numbers == 0]).any():
            # factorize takes -0.0 for 0.0; pandas writes each as it is
            return np.where(np.isnan(numbers), "", numbers.astype(str)).tolist()
        codes, uniques = pd.factorize(numbers, use_na_sentinel=True)
        words = np.append(np.asarray(uniques).astype(str).astype(object), "")
        return words[codes].tolist()
    if dtype.kind == "b":
        return np.where(values.to_numpy(), "True", "False").tolist()
    return None


def csv_text(frame: pd.DataFrame) -> str | None:
    """The text ``frame.to_csv(index=False)`` writes (issue 15: about a quarter of the time of pandas'
    own writer for the default run's tables), or None where it is left to pandas: one column
    (the csv module quotes an empty lone field), no rows, column labels that are not plain text,
    or a column of another kind (dates, mixed objects)."""
    if frame.shape[1] < 2 or not len(frame) or not all(isinstance(c, str) for c in frame.columns) \
            or not frame.columns.is_unique:
        return None
    columns = []
    for name in frame.columns:
        fields = _csv_column(frame[name])
        if fields is None:
            return None
        columns.append(fields)
    header = [_csv_field(c) for c in frame.columns]
    if any(h is None for h in header):
        return None
    return ",".join(header) + "\n" + "\n".join(map(",".join, zip(*columns))) + "\n"


def git_revision() -> str | None:
    try:
        here = Path(__file__).resolve().parent
        out = subprocess.run(["git", "rev-parse", "HEAD"], cwd=here, capture_output=True, text=True, timeout=5)
        return out.stdout.strip() or None if out.returncode == 0 else None
    except (OSError, subprocess.SubprocessError):
        return None


#: the last config turned into an OmegaConf node: (the config, a copy of it then, the node)
_STRUCTURED: list[tuple[object, object, object]] = []


def structured(config):
    """``OmegaConf.structured(config)``, made once for a config that has not changed since.

    A run needs it three times (the log's config hash, the manifest's, ``config.yaml``) and it
    costs about 0.3 s each for the default config (issue 15); the copy catches a config changed
    in place between two calls, which then gets a new node.
    """
    if _STRUCTURED and _STRUCTURED[0][0] is config and _STRUCTURED[0][1] == config:
        return _STRUCTURED[0][2]
    node = OmegaConf.structured(config)
    _STRUCTURED[:] = [(config, copy.deepcopy(config), node)]
    return node


def config_text(config) -> str:
    """``config.yaml``'s text: the resolved config as YAML."""
    return OmegaConf.to_yaml(structured(config))


def config_hash(config) -> str:
    text = OmegaConf.to_yaml(structured(config), sort_keys=True)
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


RUN_TABLES = ("ledger", "population", "repayment", "summary", "years", "per_replication", "participants",
              "budget")


def write_run_tables(results: Results, folder: Path, *, parquet: bool = True, csv: bool = True) -> None:
    """Write every table of INTERFACE.md and the resolved config into ``folder``.

    ``parquet=True, csv=False`` writes what the charts read (the Parquet tables and
    ``config.yaml``), so that ``sifsim`` can start drawing them while it writes the CSVs
    (``csv=True, parquet=False``); both (the default) write everything.
    """
    folder = Path(folder)
    for stem in RUN_TABLES:
        write_table(getattr(results, stem), folder, stem, parquet=parquet, csv=csv)
    if parquet:
        atomic_write(folder / "config.yaml", lambda p: p.write_text(config_text(results.config)))


def write_manifest(record: dict, folder: Path) -> None:
    """Write ``manifest.json`` (a record from :func:`manifest`) into ``folder``."""
    atomic_write(Path(folder) / "manifest.json", lambda p: p.write_text(json.dumps(record, indent=2)))


def write_run(results: Results, folder: Path, extra_timings: dict[str, float] | None = None) -> None:
    """The tables, the config and the manifest in one call (for tools and tests writing a run folder)."""
    write_run_tables(results, folder)
    write_manifest(manifest(results, extra_timings), folder)
