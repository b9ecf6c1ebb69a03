"""The summary's ledger groupings (issue 15: the command's speed) are ``savings_by``'s own sums.

``runner.budget_savings_by`` filters the ledger once by comparing the categorical ``perspective``
column instead of turning it into strings per call; these tests hold it to the same rows, order
and bits as ``savings_by``, on a run's ledger and on ledgers of other column types.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from simulation.accounting.ledger import savings_by
from simulation.core.runner import budget_savings_by, run
from tests.support import make_config

KEYS = (["replication", "year", "payer"], ["replication", "grant", "category"], ["replication", "grant", "year"])


@pytest.fixture(scope="module")
def ledger() -> pd.DataFrame:
    return run(make_config("replications=2", "horizon_years=6")).ledger


@pytest.mark.parametrize("keys", KEYS)
def test_the_same_sums_as_savings_by_on_a_run(ledger, keys):
    assert isinstance(ledger["perspective"].dtype, pd.CategoricalDtype)
    # the run has rows outside the budget perspective and financing rows, which both leave out
    assert (ledger["perspective"] != "budget").any()
    expected, got = savings_by(ledger, keys), budget_savings_by(ledger, keys)
    pd.testing.assert_frame_equal(got, expected, check_exact=True)
    assert got["saving_sek"].abs().sum() > 0


def test_the_same_sums_with_plain_strings_and_a_missing_perspective(ledger):
    plain = ledger.astype({c: str for c in ("arm", "payer", "category", "perspective", "grant")})
    plain.loc[plain.index[:7], "perspective"] = np.nan          # counted by neither
    keys = ["replication", "year", "payer"]
    pd.testing.assert_frame_equal(budget_savings_by(plain, keys), savings_by(plain, keys), check_exact=True)
    before = savings_by(ledger, keys)["saving_sek"].sum()
    assert budget_savings_by(plain, keys)["saving_sek"].sum() != before   # the 7 rows were dropped


def test_a_ledger_without_perspectives_is_left_to_savings_by(ledger):
    bare = ledger.drop(columns="perspective")
    keys = ["replication", "grant", "year"]
    pd.testing.assert_frame_equal(budget_savings_by(bare, keys), savings_by(bare, keys), check_exact=True)
