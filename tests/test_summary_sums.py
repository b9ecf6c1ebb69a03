"""The summary's ledger groupings (issue 15: the command's speed) are ``savings_by``'s own sums.

``savings_by`` compares the categorical ``perspective`` column itself instead of turning it into
strings per call; these tests hold it to the rows, order and bits of that string comparison
(:func:`by_strings`, the filter it replaced), on a run's ledger and on ledgers of other column types.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from simulation.accounting.ledger import FINANCING_CATEGORIES, PERSPECTIVE_OF, savings_by
from simulation.core.runner import run
from tests.support import make_config

KEYS = (["replication", "year", "payer"], ["replication", "grant", "category"], ["replication", "grant", "year"])


def by_strings(ledger: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    """The budget perspective's saving with the perspective compared as strings (the reference)."""
    effects = ledger[~ledger["category"].isin(FINANCING_CATEGORIES)]
    views = effects["perspective"].astype(str) if "perspective" in effects.columns else \
        effects["category"].astype(str).map(PERSPECTIVE_OF).fillna("budget")
    effects = effects[views.to_numpy() == "budget"]
    signed = np.where(effects["arm"] == "control", effects["amount_sek"], -effects["amount_sek"])
    return effects.assign(saving_sek=signed).groupby(keys, observed=True)["saving_sek"].sum().reset_index()


@pytest.fixture(scope="module")
def ledger() -> pd.DataFrame:
    return run(make_config("replications=2", "horizon_years=6")).ledger


@pytest.mark.parametrize("keys", KEYS)
def test_the_same_sums_as_by_strings_on_a_run(ledger, keys):
    assert isinstance(ledger["perspective"].dtype, pd.CategoricalDtype)
    # the run has rows outside the budget perspective and financing rows, which both leave out
    assert (ledger["perspective"] != "budget").any()
    expected, got = by_strings(ledger, keys), savings_by(ledger, keys)
    pd.testing.assert_frame_equal(got, expected, check_exact=True)
    assert got["saving_sek"].abs().sum() > 0


def test_the_same_sums_with_plain_strings_and_a_missing_perspective(ledger):
    plain = ledger.astype({c: str for c in ("arm", "payer", "category", "perspective", "grant")})
    plain.loc[plain.index[:7], "perspective"] = np.nan          # counted by neither
    keys = ["replication", "year", "payer"]
    pd.testing.assert_frame_equal(savings_by(plain, keys), by_strings(plain, keys), check_exact=True)
    before = savings_by(ledger, keys)["saving_sek"].sum()
    assert savings_by(plain, keys)["saving_sek"].sum() != before   # the 7 rows were dropped


def test_a_ledger_without_perspectives_maps_its_categories(ledger):
    bare = ledger.drop(columns="perspective")
    keys = ["replication", "grant", "year"]
    pd.testing.assert_frame_equal(savings_by(bare, keys), by_strings(bare, keys), check_exact=True)
