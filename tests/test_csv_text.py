"""The run tables' CSV files are pandas' own bytes (simulation/app/outputs.py: csv_text, issue 15).

``write_table`` formats each column once per distinct value and joins the fields itself (about a
quarter of pandas' time for the default run's tables); these tests compare its bytes with
``DataFrame.to_csv(index=False)`` on a run's tables and on columns chosen to break it.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from simulation.app.outputs import RUN_TABLES, csv_text, write_table
from simulation.core.runner import run
from tests.support import make_config


def pandas_bytes(frame: pd.DataFrame, tmp_path) -> bytes:
    path = tmp_path / "pandas.csv"
    frame.to_csv(path, index=False)
    return path.read_bytes()


@pytest.fixture(scope="module")
def results():
    return run(make_config("replications=3", "horizon_years=4", "repayment=malmo_2012"))


@pytest.mark.parametrize("stem", RUN_TABLES)
def test_every_run_table_is_written_as_pandas_writes_it(results, stem, tmp_path):
    frame = getattr(results, stem)
    assert csv_text(frame) is not None, f"{stem} should not need pandas' writer"
    write_table(frame, tmp_path, stem, parquet=False)
    assert (tmp_path / f"{stem}.csv").read_bytes() == pandas_bytes(frame, tmp_path)


def awkward() -> pd.DataFrame:
    return pd.DataFrame({
        "text": pd.array(["plain", "a,b", 'say "hi"', "two\nlines", None, "å ä ö", "", "tab\there"], dtype="str"),
        "objects": np.array(["x", "y,z", None, "x", "", '"', "x", "q"], dtype=object),
        "cat": pd.Categorical(["b", "a", None, "b", "a", "b", "c,d", "a"], categories=["a", "b", "c,d", "unused"]),
        "real": [0.1, -0.0, 0.0, np.nan, 1e16, 1.5e-7, -np.inf, 12345678.9],
        "f32": np.array([0.1, 2.5, np.nan, 3.0, 0.1, 7.25, 1e-3, 0.0], dtype=np.float32),
        "whole": np.array([1, -2, 3, 1, 0, 2**40, -7, 1], dtype=np.int64),
        "small": np.array([1, 2, 3, 4, 5, 6, 7, 8], dtype=np.int16),
        "flag": [True, False, True, True, False, False, True, False],
        'odd, "label"': [1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0],
    })


def test_awkward_columns_are_written_as_pandas_writes_them(tmp_path):
    frame = awkward()
    text = csv_text(frame)
    assert text is not None
    assert text.encode("utf-8") == pandas_bytes(frame, tmp_path)
    assert "-0.0" in text and '"a,b"' in text and '"say ""hi"""' in text   # the cases are there


@pytest.mark.parametrize("frame", [
    pd.DataFrame({"only": ["", "x"]}),                                        # a lone empty field is quoted
    pd.DataFrame({"a": [], "b": []}),                                         # no rows
    pd.DataFrame({"when": pd.to_datetime(["2020-01-01", "2021-02-03"]), "n": [1, 2]}),
    pd.DataFrame({"mixed": np.array([1, "a"], dtype=object), "n": [1, 2]}),
    pd.DataFrame({"cr": ["a\rb", "c"], "n": [1, 2]}),                          # quoted or not by Python version
])
def test_other_frames_are_left_to_pandas_and_still_written(frame, tmp_path):
    assert csv_text(frame) is None
    write_table(frame, tmp_path, "t", parquet=False)
    assert (tmp_path / "t.csv").read_bytes() == pandas_bytes(frame, tmp_path)
