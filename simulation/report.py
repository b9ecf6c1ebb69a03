"""Charts and report from a finished run folder, without re-running the model."""

from __future__ import annotations

import argparse
from pathlib import Path

import pandas as pd
import yaml

from simulation import charts


def build_report(folder: Path, language: str | None = None) -> list[Path]:
    """(Re)build every chart of a run folder from its tables."""
    folder = Path(folder)
    config = yaml.safe_load((folder / "config.yaml").read_text())
    lang = language or config.get("language", "sv")
    population = pd.read_parquet(folder / "population.parquet")
    out = folder / "charts"
    paths = []
    paths += charts.eb_caseload(population, lang, out)
    return paths


def report_main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="sifsim report",
                                     description="Regenerate charts and report from a run folder.")
    parser.add_argument("folder", type=Path)
    parser.add_argument("--language", choices=("sv", "en"), default=None)
    args = parser.parse_args(argv)
    if not (args.folder / "population.parquet").exists():
        parser.error(f"{args.folder} is not a sifsim run folder (no population.parquet)")
    for path in build_report(args.folder, args.language):
        print(path)
    return 0
