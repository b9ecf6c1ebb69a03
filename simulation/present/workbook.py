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
openpyxl writes the sheets' headers, widths, frozen panes and styles; their data rows are
written as the XML openpyxl would write for them (:class:`_SheetRows`: the same bytes, a fifth
of the time), which the same test file compares against openpyxl's own cell-by-cell writing.
"""

from __future__ import annotations

import datetime as dt
import io
import math
import re
import zipfile
from pathlib import Path
from typing import Mapping
from xml.sax.saxutils import escape

import pandas as pd
from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.utils.exceptions import IllegalCharacterError
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


def _sheet(wb: Workbook, title: str, frame: pd.DataFrame) -> "_SheetRows":
    """A sheet with its header, frozen, column widths and formats; its data rows are written as
    XML when the workbook is saved (:class:`_SheetRows`), openpyxl's own cell objects cost 2 s."""
    ws = wb.create_sheet(title[:31])                # Excel's limit on sheet names
    frame = frame.head(EXCEL_MAX_ROWS - 1)
    ws.append([str(c) for c in frame.columns])
    for cell in ws[1]:
        cell.font = Font(bold=True)
        _ = cell.style_id        # registered first, as when openpyxl saves: the same styles.xml
    ws.freeze_panes = "A2"
    styles = []
    for i, column in enumerate(frame.columns, start=1):
        letter = get_column_letter(i)
        fmt = number_format(str(column))
        # the column's cell style as openpyxl registers it (the index its styles.xml gives it)
        probe = ws.cell(row=2, column=i)
        if fmt:
            probe.number_format = fmt
        styles.append(probe.style_id if fmt else None)
        width = max([len(str(column))] + [len(str(v)) for v in frame[column].head(200)])
        ws.column_dimensions[letter].width = min(60, max(8, width + 2))
    ws.delete_rows(2)                               # the probes: the rows are :class:`_SheetRows`'
    return _SheetRows(frame, styles)


class _SheetRows:
    """A sheet's data rows as the ``<row>`` elements openpyxl would write for them: the same cell
    types and values (numbers as ``%.16g``, text inline, an empty cell kept where its column has a
    number format), from a string join instead of one object per cell (issue 15: 1.8 s → 0.2 s)."""

    def __init__(self, frame: pd.DataFrame, styles: list[int | None]):
        self.frame, self.styles = frame, styles

    def xml(self) -> str:
        letters = [get_column_letter(i) for i in range(1, len(self.styles) + 1)]
        styled = [f' s="{s}"' if s is not None else "" for s in self.styles]
        parts = []
        for r, row in enumerate(self.frame.itertuples(index=False, name=None), start=2):
            parts.append(f'<row r="{r}">')
            for letter, style, v in zip(letters, styled, row):
                parts.append(_cell(f"{letter}{r}", style, v))
            parts.append("</row>")
        return "".join(parts)

    def dimension(self) -> str:
        last = get_column_letter(max(1, len(self.styles)))
        return f"A1:{last}{len(self.frame) + 1}"


def _cell(ref: str, style: str, v: object) -> str:
    """One ``<c>`` as openpyxl 3.1 writes it for the value ``v`` (its type inference, its text)."""
    if hasattr(v, "item"):
        v = v.item()
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return f'<c r="{ref}"{style} t="n" />' if style else ""
    if isinstance(v, bool):
        return f'<c r="{ref}"{style} t="b"><v>{int(v)}</v></c>'
    if isinstance(v, (int, float)):
        text = "" if math.isinf(v) else "%.16g" % v
        return f'<c r="{ref}"{style} t="n"><v>{text}</v></c>'
    text = str(v)
    if ILLEGAL_CHARACTERS_RE.search(text):     # refused, as openpyxl refuses them (not valid XML)
        raise IllegalCharacterError(f"{text!r} cannot be used in worksheets.")
    if text == "":
        return f'<c r="{ref}"{style} t="inlineStr" />'
    space = ' xml:space="preserve"' if text.strip() and text != text.strip() else ""
    return f'<c r="{ref}"{style} t="inlineStr"><is><t{space}>{escape(text)}</t></is></c>'


def write_workbook(folder: Path, tables: Mapping[str, pd.DataFrame], language: str, *,
                   version: str, price_year: int) -> Path:
    """Write ``folder/sifsim.xlsx`` from the run's tables (those of :data:`SHEETS` that exist)."""
    wb = Workbook()
    wb.remove(wb.active)
    rows: dict[str, _SheetRows] = {}
    for name in SHEETS:
        if name in tables and tables[name] is not None:
            frame = tables[name]
            if name in BANDED and len(frame):
                frame = yearly_bands(frame, BANDED[name])
            sheet_file = f"xl/worksheets/sheet{len(wb.worksheets) + 1}.xml"   # openpyxl's naming
            rows[sheet_file] = _sheet(wb, labels.text(language, f"workbook.{name}"), frame)
    about = wb.create_sheet(labels.text(language, "workbook.about")[:31])
    about.append([labels.text(language, "workbook.about_text", version=version, folder=Path(folder).name,
                              year=price_year)])
    # the same tables give the same bytes (`sifsim report` regenerates byte-identical files): fixed
    # document dates, and the zip container's entries re-stamped with a fixed time
    wb.properties.created = wb.properties.modified = FIXED_TIME
    buffer = io.BytesIO()
    wb.save(buffer)
    path = Path(folder) / WORKBOOK_FILE
    atomic_write(path, lambda p: p.write_bytes(_restamped(buffer.getvalue(), rows)))
    return path


def _with_rows(content: bytes, rows: _SheetRows) -> bytes:
    """A sheet's XML as openpyxl wrote it (its header row only) with the data rows added."""
    text = content.decode("utf-8")
    head, _, rest = text.partition("</row>")         # the end of the header row
    if not rest:
        return content
    text = head + "</row>" + rows.xml() + rest
    text = re.sub(r'<dimension ref="[^"]*"', f'<dimension ref="{rows.dimension()}"', text, count=1)
    return text.encode("utf-8")


def _restamped(data: bytes, rows: Mapping[str, _SheetRows] | None = None) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            entry = zipfile.ZipInfo(info.filename, date_time=(1980, 1, 1, 0, 0, 0))
            entry.compress_type = zipfile.ZIP_DEFLATED
            content = src.read(info.filename)
            if rows and info.filename in rows:
                content = _with_rows(content, rows[info.filename])
            if info.filename == "docProps/core.xml":   # openpyxl stamps "modified" when it saves
                content = re.sub(rb"(<dcterms:modified[^>]*>)[^<]*", rb"\g<1>2000-01-01T00:00:00Z", content)
            dst.writestr(entry, content)
    return out.getvalue()
