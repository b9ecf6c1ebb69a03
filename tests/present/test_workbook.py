"""The run's Excel workbook: the sheets a municipal office opens, their values those of the CSVs."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from openpyxl import load_workbook

from simulation.present import labels
from simulation.present.workbook import WORKBOOK_FILE
from tests.present.fixtures import built_reports, run_config, run_folder, tables  # noqa: F401


#: the sheets that hold per-year bands over replications, and their key columns
BANDED_KEYS = {"repayment": ["grant", "rule", "year"], "budget": ["grant", "arm", "year", "unit", "body"]}


def assert_bands_of(csv: pd.DataFrame, got: pd.DataFrame, keys: list[str], stem: str) -> None:
    """The sheet holds, per key and amount of the CSV, its P10, median and P90 over replications."""
    keys = [k for k in keys if k in csv.columns]
    assert list(got.columns) == keys + ["metric", "p10", "p50", "p90"], stem
    metrics = [c for c in csv.columns if c not in keys and c != "replication" and csv[c].dtype.kind in "if"]
    assert list(dict.fromkeys(got["metric"])) == metrics, stem
    for metric in metrics:
        expected = csv.groupby(keys)[metric].quantile([0.1, 0.5, 0.9]).unstack().reset_index()
        sheet = got[got["metric"] == metric].drop(columns="metric")
        both = expected.merge(sheet, on=keys, how="outer", indicator=True)
        assert (both["_merge"] == "both").all(), (stem, metric)
        for column, q in (("p10", 0.1), ("p50", 0.5), ("p90", 0.9)):
            assert np.allclose(both[q].to_numpy(float), pd.to_numeric(both[column]).to_numpy(float),
                               rtol=1e-12, equal_nan=True), (stem, metric, column)


@pytest.mark.parametrize("lang", ["sv", "en"])
def test_workbook_has_the_run_tables_with_the_csv_values(lang, built_reports):  # noqa: F811
    folder = built_reports[lang]
    wb = load_workbook(folder / WORKBOOK_FILE, read_only=True)
    stems = ["summary", "repayment"] + (["budget"] if (folder / "budget.csv").exists() else []) + ["per_replication"]
    names = [labels.text(lang, f"workbook.{n}") for n in stems + ["assumptions", "about"]]
    assert wb.sheetnames == names
    for sheet, stem in zip(names, stems):
        rows = list(wb[sheet].values)
        csv = pd.read_csv(folder / f"{stem}.csv")
        got = pd.DataFrame(rows[1:], columns=rows[0])
        if stem in BANDED_KEYS:
            assert_bands_of(csv, got, BANDED_KEYS[stem], stem)
            continue
        assert list(rows[0]) == list(csv.columns), stem
        assert len(got) == len(csv), stem
        for column in csv.columns:
            a, b = csv[column], got[column]
            if pd.api.types.is_numeric_dtype(a):
                assert np.allclose(a.to_numpy(float), pd.to_numeric(b).to_numpy(float), equal_nan=True,
                                   rtol=1e-12), (stem, column)
            else:
                assert a.fillna("").astype(str).tolist() == b.fillna("").astype(str).tolist(), (stem, column)
    assumptions = list(wb[names[len(stems)]].values)
    assert len(assumptions) - 1 == len(pd.read_csv(folder / "assumptions.csv"))


def test_money_columns_are_formatted_as_whole_kronor(built_reports):  # noqa: F811
    wb = load_workbook(built_reports["sv"] / WORKBOOK_FILE)
    ws = wb[labels.text("sv", "workbook.repayment")]
    header = [c.value for c in ws[1]]
    metric, median = header.index("metric") + 1, header.index("p50") + 1
    row = next(r for r in range(2, ws.max_row + 1) if ws.cell(row=r, column=metric).value == "repaid_sek")
    assert ws.cell(row=row, column=median).number_format == "#,##0.###"
    assert ws.freeze_panes == "A2"


def test_workbook_has_a_budget_sheet_when_the_run_has_budget_csv(tmp_path, tables):  # noqa: F811
    """budget.csv becomes a sheet of per-year bands over replications, frozen header and number
    formats; without it there is no empty sheet."""
    from simulation.present.workbook import write_workbook
    budget = pd.DataFrame({"replication": [0, 0, 1], "arm": ["intervention", "control", "intervention"],
                           "year": [2014, 2014, 2015], "unit": ["eb_unit"] * 3, "body": ["ks"] * 3,
                           "frame_sek": [1_000_000.0, 1_000_000.0, 1_050_000.0],
                           "outturn_sek": [990_500.4, 1_002_000.0, 1_049_999.6],
                           "surplus_sek": [9_499.6, -2_000.0, 0.4]})
    path = write_workbook(tmp_path, {"summary": tables["summary"], "budget": budget}, "sv", version="x",
                          price_year=2017)
    wb = load_workbook(path)
    assert wb.sheetnames == [labels.text("sv", "workbook.summary"), labels.text("sv", "workbook.budget"),
                             labels.text("sv", "workbook.about")]
    ws = wb[labels.text("sv", "workbook.budget")]
    rows = list(ws.values)
    got = pd.DataFrame(rows[1:], columns=rows[0])
    assert_bands_of(budget, got, BANDED_KEYS["budget"], "budget")
    # one replication per (arm, year) here: every band is the value itself, rows in key order
    outturn = got[got["metric"] == "outturn_sek"]
    assert outturn["p10"].tolist() == outturn["p50"].tolist() == [1_002_000.0, 990_500.4, 1_049_999.6]
    assert ws.freeze_panes == "A2"
    assert ws.cell(row=2, column=rows[0].index("p50") + 1).number_format == "#,##0.###"
    # columns wide enough for their header
    assert ws.column_dimensions["D"].width >= len("body")
    without = write_workbook(tmp_path / "other" if (tmp_path / "other").mkdir() is None else tmp_path,
                             {"summary": tables["summary"]}, "sv", version="x", price_year=2017)
    assert labels.text("sv", "workbook.budget") not in load_workbook(without).sheetnames


def test_rows_written_as_xml_are_the_cells_openpyxl_writes(tmp_path):
    """The workbook's data rows are written as XML (issue 15); a sheet must read back exactly as
    openpyxl's own cell-by-cell writing of the same frame: values, types, formats, header font."""
    from openpyxl import Workbook
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter
    from simulation.present.workbook import number_format, write_workbook
    frame = pd.DataFrame({
        "rule": ["a & <b>", " padded ", "", None, "plain"],
        "replication": np.array([0, 1, 2, 3, 4], dtype=np.int32),
        "repaid_sek": [1234567.891234567, np.nan, -0.0, 1e16 + 2, 0.1 + 0.2],
        "repaid_share": [0.5, 1 / 3, np.nan, 2.0, 1e-300],
        "cash": [True, False, True, False, True],
        "year_fully_repaid": [2020.0, np.nan, 2031.0, np.nan, 2019.0],
    })
    path = write_workbook(tmp_path, {"per_replication": frame}, "en", version="x", price_year=2017)
    reference = Workbook()
    ws = reference.active
    ws.append(list(frame.columns))
    for cell in ws[1]:
        cell.font = Font(bold=True)
    for row in frame.itertuples(index=False):
        ws.append([None if (isinstance(v, float) and pd.isna(v)) else (v.item() if hasattr(v, "item") else v)
                   for v in row])
    for i, column in enumerate(frame.columns, start=1):
        if number_format(column):
            for cell in ws[get_column_letter(i)][1:]:
                cell.number_format = number_format(column)
    reference.save(tmp_path / "reference.xlsx")

    def cells(file, sheet):
        book = load_workbook(file)
        return [[(c.value, c.data_type, c.number_format, bool(c.font.b)) for c in row]
                for row in book[sheet].iter_rows()]

    got = cells(path, labels.text("en", "workbook.per_replication"))
    want = cells(tmp_path / "reference.xlsx", reference.active.title)
    assert got == want
    assert got[1][2][0] == float("%.16g" % 1234567.891234567) and got[2][2][2] == "#,##0"   # NaN: formatted, empty
    assert [r[0][0] for r in got[1:]] == ["a & <b>", " padded ", None, None, "plain"]
    from openpyxl.utils.exceptions import IllegalCharacterError
    with pytest.raises(IllegalCharacterError):     # as openpyxl: a control character is not XML
        write_workbook(tmp_path, {"per_replication": frame.assign(rule="bell\x07")}, "en", version="x",
                       price_year=2017)
