"""One Excel workbook per run (``sifsim.xlsx``): the tables a municipal office opens first.

CSV stays for machines; Swedish Excel opens a CSV with comma separators and decimal
points badly, while an .xlsx stores numbers as numbers and shows them in the reader's
locale (space as thousands separator and decimal comma in Swedish Excel). Sheets: summary,
repayment, budget (frames vs outturn, when the run has ``budget.csv``), per replication,
assumptions, and a short "about" sheet. Each sheet's values are
the CSV's values (tests/present/test_workbook.py).
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
            _sheet(wb, labels.text(language, f"workbook.{name}"), tables[name])
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
