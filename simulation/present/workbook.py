"""One Excel workbook per run (``sifsim.xlsx``): the tables a municipal office opens first.

CSV stays for machines; Swedish Excel opens a CSV with comma separators and decimal
points badly, while an .xlsx stores numbers as numbers and shows them in the reader's
locale (space as thousands separator and decimal comma in Swedish Excel). Sheets: summary,
repayment, budget (frames vs outturn, when the run has ``budget.csv``), per replication,
assumptions, and a short "about" sheet. Summary, per replication and assumptions hold the
CSV's values; repayment and budget hold, per year, the median and P10–P90 over replications of
every amount of ``repayment.csv`` and ``budget.csv`` (:func:`yearly_bands`): what an office reads,
and 20 000 cells instead of the 475 000 of every replication's rows (which cost 10 s of the
default run to write; the CSVs keep every row). tests/present/test_workbook.py checks both.
"""

from __future__ import annotations

import datetime as dt
import io
import re
import zipfile
from pathlib import Path
from typing import Mapping

import pandas as pd
from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from simulation.present import labels
from simulation.present.files import atomic_write

WORKBOOK_FILE = "sifsim.xlsx"
#: the run tables that become sheets, in order
SHEETS = ("summary", "repayment", "budget", "per_replication", "assumptions")   # budget: when the run has budget.csv
#: sheets that hold per-year bands over replications instead of every row (:func:`yearly_bands`)
BANDED = {"repayment": ("grant", "rule", "year"), "budget": ("grant", "arm", "year", "unit", "body")}
BAND_QUANTILES = {"p10": 0.1, "p50": 0.5, "p90": 0.9}
SEK_FORMAT = "#,##0"            # whole kronor; the reader's locale chooses the separators
SHARE_FORMAT = "0.000"
EXCEL_MAX_ROWS = 1_048_576
FIXED_TIME = dt.datetime(2000, 1, 1)


def number_format(column: str) -> str | None:
    if column.endswith("_sek") or column in ("mean", "p10", "p50", "p90"):
        return SEK_FORMAT if column.endswith("_sek") else "#,##0.###"
    if column.endswith(("_share", "_posts")) or column.startswith("p_"):
        return SHARE_FORMAT
    return None


def yearly_bands(frame: pd.DataFrame, keys: tuple[str, ...]) -> pd.DataFrame:
    """Long table: the ``keys`` present, ``metric`` (each other numeric column but the replication),
    and its P10, median and P90 over replications (pandas' linear quantiles, as the summary)."""
    keys = [k for k in keys if k in frame.columns]
    metrics = [c for c in frame.columns if c not in keys and c != "replication"
               and pd.api.types.is_numeric_dtype(frame[c]) and not pd.api.types.is_bool_dtype(frame[c])]
    long = frame.melt(id_vars=keys, value_vars=metrics, var_name="metric", value_name="value")
    grouped = long.groupby(keys + ["metric"], observed=True, sort=False)["value"]
    out = pd.concat({name: grouped.quantile(q) for name, q in BAND_QUANTILES.items()}, axis=1).reset_index()
    order = {m: i for i, m in enumerate(metrics)}
    return out.sort_values(keys + ["metric"], key=lambda c: c.map(order) if c.name == "metric" else c,
                           kind="stable").reset_index(drop=True)


def _sheet(wb: Workbook, title: str, frame: pd.DataFrame) -> None:
    ws = wb.create_sheet(title[:31])                # Excel's limit on sheet names
    frame = frame.head(EXCEL_MAX_ROWS - 1)
    ws.append([str(c) for c in frame.columns])
    for cell in ws[1]:
        cell.font = Font(bold=True)
    for row in frame.itertuples(index=False):
        ws.append([None if (isinstance(v, float) and pd.isna(v)) else
                   (v.item() if hasattr(v, "item") else v) for v in row])
    ws.freeze_panes = "A2"
    for i, column in enumerate(frame.columns, start=1):
        letter = get_column_letter(i)
        fmt = number_format(str(column))
        if fmt:
            for cell in ws[letter][1:]:
                cell.number_format = fmt
        width = max([len(str(column))] + [len(str(v)) for v in frame[column].head(200)])
        ws.column_dimensions[letter].width = min(60, max(8, width + 2))


def write_workbook(folder: Path, tables: Mapping[str, pd.DataFrame], language: str, *,
                   version: str, price_year: int) -> Path:
    """Write ``folder/sifsim.xlsx`` from the run's tables (those of :data:`SHEETS` that exist)."""
    wb = Workbook()
    wb.remove(wb.active)
    for name in SHEETS:
        if name in tables and tables[name] is not None:
            frame = tables[name]
            if name in BANDED and len(frame):
                frame = yearly_bands(frame, BANDED[name])
            _sheet(wb, labels.text(language, f"workbook.{name}"), frame)
    about = wb.create_sheet(labels.text(language, "workbook.about")[:31])
    about.append([labels.text(language, "workbook.about_text", version=version, folder=Path(folder).name,
                              year=price_year)])
    # the same tables give the same bytes (`sifsim report` regenerates byte-identical files): fixed
    # document dates, and the zip container's entries re-stamped with a fixed time
    wb.properties.created = wb.properties.modified = FIXED_TIME
    buffer = io.BytesIO()
    wb.save(buffer)
    path = Path(folder) / WORKBOOK_FILE
    atomic_write(path, lambda p: p.write_bytes(_restamped(buffer.getvalue())))
    return path


def _restamped(data: bytes) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            entry = zipfile.ZipInfo(info.filename, date_time=(1980, 1, 1, 0, 0, 0))
            entry.compress_type = zipfile.ZIP_DEFLATED
            content = src.read(info.filename)
            if info.filename == "docProps/core.xml":   # openpyxl stamps "modified" when it saves
                content = re.sub(rb"(<dcterms:modified[^>]*>)[^<]*", rb"\g<1>2000-01-01T00:00:00Z", content)
            dst.writestr(entry, content)
    return out.getvalue()
