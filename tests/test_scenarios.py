"""Seed scenarios: the Öster report reproduced to the krona, fund portfolios, reorganisation."""

from __future__ import annotations

import numpy as np
import pytest

from scenarios import oster_report as R
from simulation.accounting.oster_report import comparison_table, report_table
from simulation.core.runner import run
from tests.support import make_config


def test_report_table_reproduces_the_oster_report_exactly():
    table = report_table()
    assert table == {"investment": 8_694_786, "eb": 4_104_000, "open_care": 774_080,
                     "placements": 4_200_000, "total_saving": 9_078_080}
    assert table == R.REPORTED_SEK
    # the report's cost by post sums to 2 SEK more than its cost by year (rounding in the seed)
    assert sum(R.INVESTMENT_SEK_BY_POST.values()) == R.REPORTED_SEK["investment"] + 2


def test_replicate_oster_report_experiment_sets_the_model_beside_the_report():
    cfg = make_config("+experiment=replicate_oster_report", "replications=3", "horizon_years=6")
    assert cfg.study == "replicate_oster_report"
    results = run(cfg)
    table = comparison_table(results).set_index("line")
    assert table.loc["total_saving", "report_sek"] == 9_078_080
    # the model's grant is the report's investment, to the krona
    assert table.loc["investment", "model_project_p50_sek"] == pytest.approx(8_694_786, abs=0.5)
    # lines add up in the model too
    parts = table.loc[["eb", "open_care", "placements"], "model_horizon_p50_sek"]
    assert table.loc["total_saving", "model_horizon_p10_sek"] <= parts.sum() or \
        table.loc["total_saving", "model_horizon_p50_sek"] > 0
    assert table["explanation"].str.len().min() > 20


@pytest.mark.parametrize("experiment,capital,granted", [
    ("malmo_fund", 100_000_000, 26_000_000), ("sodertalje_fund", 24_000_000, 12_850_000)])
def test_fund_portfolio_books(experiment, capital, granted):
    cfg = make_config(f"+experiment={experiment}", "replications=2", "horizon_years=10")
    results = run(cfg)
    rep = results.repayment
    fund = rep[rep["grant"] == "fund"].sort_values(["rule", "replication", "year"])
    assert set(rep["grant"]) == set(cfg.portfolio) | {"fund"}
    for (rule, r), g in fund.groupby(["rule", "replication"]):
        assert g["disbursed_sek"].sum() == pytest.approx(granted, abs=1e4)
        expected_cash = capital - g["disbursed_sek"].cumsum() + g["repaid_sek"].cumsum()
        assert np.allclose(g["fund_balance_sek"], expected_cash)
        owed = g["disbursed_sek"].cumsum() - g["repaid_sek"].cumsum() - g["written_off_sek"].cumsum()
        assert np.allclose(g["outstanding_sek"], owed.clip(lower=0), atol=1.0)
        # each grant's rows add up to the fund's
        grants = rep[(rep["rule"] == rule) & (rep["replication"] == r) & (rep["grant"] != "fund")]
        assert grants["repaid_sek"].sum() == pytest.approx(g["repaid_sek"].sum())
    if experiment == "malmo_fund":
        # what happened: nothing back. Under Malmö's rule with the board's waiver the model repays
        # at most a sliver (projects ending in 2016 repay out of savings landing on the district in
        # 2017, before the board's review in start year + 4) and writes off the rest. Since 0.5.0
        # (Innerstaden fitted to its ≈15 vs ≈1 a year) Innerstaden's measured saving on the district
        # in 2016 repays more in some replications: 2.16 and 0.04 MSEK of 26 in these two (measured
        # 2026-12-01; 1.39 MSEK of the first from Innerstaden), so a sliver is now under 10 %
        malmo = fund[fund["rule"] == "malmo_2012"].groupby("replication")
        assert (malmo["repaid_sek"].sum() < 0.10 * granted).all()
        assert (malmo["written_off_sek"].sum() > 0.90 * granted).all()


def test_after_the_reorganisation_the_borrower_gets_no_saving_from_the_moved_unit():
    """Malmö 1 May 2017: child & family units move to ASN; from then their savings are booked on ASN
    (the borrower's successor, tests/accounting/test_successor.py)."""
    results = run(make_config("replications=2", "horizon_years=6"))
    moved = results.ledger[(results.ledger["category"].isin(["open_care_hours", "placement_hvb",
                                                             "placement_family_home"]))]
    after = moved[moved["year"] >= 2018]
    assert set(after["payer"].unique()) <= {"asn"}
    before = moved[moved["year"] <= 2016]
    assert set(before["payer"].unique()) <= {"open_care", "child_authority"}
