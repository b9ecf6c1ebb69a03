"""The debt follows the successor (issue 12 item 4): Malmö's May 2017 reorganisation (seeds 000/004)."""

from __future__ import annotations

import numpy as np

from simulation.accounting.ledger import savings_by
from simulation.core.runner import run
from tests.support import make_config

BORROWER_UNITS = {"eb_unit", "open_care", "child_authority", "leisure", "adult_services"}   # social_services
NOT_SUCCESSOR = ("municipality.reorganisations=[{unit: eb_unit, to_body: ks, year: 2013, month: 1, "
                 "successor_of_borrower: false}, {unit: open_care, to_body: asn, year: 2017, month: 5, "
                 "successor_of_borrower: false}, {unit: child_authority, to_body: asn, year: 2017, month: 5, "
                 "successor_of_borrower: false}, {unit: leisure, to_body: fritidsnamnden, year: 2017, "
                 "month: 5, successor_of_borrower: false}]")


def borrower_by_year(results, bodies: set[str]) -> np.ndarray:
    per = savings_by(results.ledger, ["replication", "year", "payer"])
    per = per[per["payer"].astype(str).isin(bodies)]
    return per.groupby(["replication", "year"])["saving_sek"].sum()


def test_the_successor_committee_carries_the_borrowers_savings_and_its_debt():
    common = ("replications=2", "horizon_years=6")
    with_successor, without = run(make_config(*common)), run(make_config(*common, NOT_SUCCESSOR))
    for results, bodies in ((with_successor, BORROWER_UNITS | {"asn"}), (without, BORROWER_UNITS)):
        years = results.years.set_index(["replication", "year"])["borrower_saving_sek"]
        expected = borrower_by_year(results, bodies).reindex(years.index, fill_value=0.0)
        assert np.allclose(years.to_numpy(), expected.to_numpy(), atol=1.0)
    # from 2018 the open-care and child savings land on ASN: counted for the borrower only via the successor
    late = lambda r: r.years[r.years["year"] >= 2018]["borrower_saving_sek"].abs().sum()  # noqa: E731
    asn = borrower_by_year(with_successor, {"asn"})
    assert asn.abs().sum() > 0
    assert late(with_successor) > late(without)
    # the successor's rows are the same money: the ledgers of the two runs are identical
    assert np.isclose(with_successor.ledger["amount_sek"].sum(), without.ledger["amount_sek"].sum())
