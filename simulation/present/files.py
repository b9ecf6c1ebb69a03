"""Writing output files so that a reader never sees half a file, and reading a run folder's tables and config."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Callable

import pandas as pd
import yaml

from simulation.present.yaml_read import SAFE_LOADER  # noqa: F401  (re-exported)

Writer = Callable[[Path, Callable[[Path], object]], None]


def atomic_write(path: Path, write: Callable[[Path], object]) -> None:
    """Call ``write(tmp_path)`` then rename onto ``path``."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    try:
        write(tmp)
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()


def atomic_write_bytes(path: Path, data: bytes) -> None:
    atomic_write(path, lambda p: p.write_bytes(data))


# --- reading a run folder ------------------------------------------------------------------------

def read_table(folder: Path, stem: str) -> pd.DataFrame:
    """A table of a run or sweep folder: Parquet when present (exact types), else CSV."""
    parquet, csv = folder / f"{stem}.parquet", folder / f"{stem}.csv"
    if parquet.exists():
        return pd.read_parquet(parquet)
    if csv.exists():
        return pd.read_csv(csv)
    raise FileNotFoundError(f"{folder} has no {stem}.parquet or {stem}.csv")




def read_config(folder: Path) -> dict:
    """The run's resolved config (config.yaml, else Hydra's .hydra/config.yaml)."""
    for path in (folder / "config.yaml", folder / ".hydra" / "config.yaml"):
        if path.exists():
            return yaml.load(path.read_text(encoding="utf-8"), Loader=SAFE_LOADER) or {}
    raise FileNotFoundError(f"{folder} has no config.yaml")
