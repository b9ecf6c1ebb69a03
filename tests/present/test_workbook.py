"""The run's Excel workbook: the sheets a municipal office opens, their values those of the CSVs."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from openpyxl import load_workbook

from simulation.present import labels
from simulation.present.workbook import WORKBOOK_FILE
from tests.present.fixtures import built_reports, run_config, run_folder, tables  # noqa: F401


@pytest.mark.parametrize("lang", ["sv", "en"])
def test_workbook_has_the_run_tables_with_the_csv_values(lang, built_reports):  # noqa: F811
    folder = built_reports[lang]
    wb = load_workbook(folder / WORKBOOK_FILE, read_only=True)
    names = [labels.text(lang, f"workbook.{n}") for n in
             ("summary", "repayment", "per_replication", "assumptions", "about")]
    assert wb.sheetnames == names
    for sheet, stem in zip(names, ("summary", "repayment", "per_replication")):
        rows = list(wb[sheet].values)
        csv = pd.read_csv(folder / f"{stem}.csv")
        assert list(rows[0]) == list(csv.columns), stem
        got = pd.DataFrame(rows[1:], columns=rows[0])
        assert len(got) == len(csv), stem
        for column in csv.columns:
            a, b = csv[column], got[column]
            if pd.api.types.is_numeric_dtype(a):
                assert np.allclose(a.to_numpy(float), pd.to_numeric(b).to_numpy(float), equal_nan=True,
                                   rtol=1e-12), (stem, column)
            else:
                assert a.fillna("").astype(str).tolist() == b.fillna("").astype(str).tolist(), (stem, column)
    assumptions = list(wb[names[3]].values)
    assert len(assumptions) - 1 == len(pd.read_csv(folder / "assumptions.csv"))


def test_money_columns_are_formatted_as_whole_kronor(built_reports):  # noqa: F811
    wb = load_workbook(built_reports["sv"] / WORKBOOK_FILE)
    ws = wb[labels.text("sv", "workbook.repayment")]
    header = [c.value for c in ws[1]]
    column = header.index("repaid_sek") + 1
    assert ws.cell(row=2, column=column).number_format == "#,##0"
    assert ws.freeze_panes == "A2"
