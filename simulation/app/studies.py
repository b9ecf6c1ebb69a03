"""Studies that add tables to a run (``study=...``, set by conf/experiment files)."""

from __future__ import annotations

from pathlib import Path

from simulation.app.outputs import write_table
from simulation.core.runner import Results


def run_studies(results: Results, folder: Path) -> str | None:
    """Write the study's tables into ``folder``; return text to print, if any."""
    if results.config.study == "replicate_oster_report":
        from simulation.accounting.oster_report import comparison_table, format_comparison
        table = comparison_table(results)
        write_table(table, Path(folder), "oster_report_comparison")
        return format_comparison(table)
    return None
