"""The yearly close's faster paths against their references, to the bit, on random states (issue 15):
the retirement's one gather per array (agents/base.py) against compacting each row by itself, the
year's ledger rows and savings (simulation/accounting/ledger.py: YearTotals) against building and
adding the rows one by one, and the arrivals' one index (agents/households.py: enter) against one
slice per row."""

from __future__ import annotations

import numpy as np
import pytest

from agents.base import ArrayPopulation, compact
from simulation.accounting.fiscal_close import FiscalClose
from simulation.accounting.ledger import (ARMS, CATEGORIES, FINANCING_CATEGORIES, PERSPECTIVE_OF, LedgerRow,
                                         MonthlyLedger)


class _Population(ArrayPopulation):
    FIXED = ("kind", "amount")
    STATE = ("flag", "count", "factors")


def _random_population(rng, n_reps: int, n_agents: int) -> _Population:
    arrays = {
        "kind": rng.integers(-100, 100, size=(n_reps, n_agents)).astype(np.int8),
        "amount": rng.random((n_reps, n_agents)),
        "flag": rng.random((2, n_reps, n_agents)) < 0.5,
        "count": rng.integers(0, 1000, size=(2, n_reps, n_agents)).astype(np.int32),
        "factors": rng.random((2, n_reps, n_agents, 3)) < 0.3,          # a trailing axis, as the risks
    }
    return _Population(arrays, np.full(n_reps, n_agents), 2)


def _random_pending(rng, n_reps: int, n_agents: int, first_gone: int) -> list[tuple]:
    """Every row: an active prefix, a block not yet arrived, the rest retired earlier. Row 1 retires
    nobody (its order is the identity); every other row's first retiring agent is at ``first_gone``
    or later, row 0's exactly there."""
    pending = []
    for r in range(n_reps):
        n_active = int(rng.integers(first_gone + 2, n_agents // 2))
        future_end = int(rng.integers(n_active, n_agents - 2))
        retiring = rng.random(n_active) < 0.4
        retiring[:first_gone] = False
        if r == 0:
            retiring[first_gone] = True
        if r == 1:
            retiring[:] = False
        active = np.arange(n_active)
        pending.append((r, active[~retiring], active[retiring], n_active, future_end))
    return pending


@pytest.mark.parametrize("seed", range(6))
def test_one_gather_for_all_rows_is_each_rows_compaction(seed):
    """The queued rows compacted with one gather per array (only the columns some row changes) give
    the arrays that :func:`agents.base.compact` gives row by row (the reference)."""
    rng = np.random.default_rng(seed)
    n_reps, n_agents = 7, 120
    population = _random_population(rng, n_reps, n_agents)
    reference = {name: arr.copy() for name, arr in population._arrays.items()}
    pending = _random_pending(rng, n_reps, n_agents, first_gone=int(rng.integers(1, 6)))
    population._compact_by_one_gather(pending)
    for r, keep, gone, future_start, future_end in pending:
        compact([(reference[name][r], 0) for name in _Population.FIXED]
                + [(reference[name][:, r], 1) for name in _Population.STATE], keep, gone, future_start, future_end)
    changed = False
    for name, arr in population._arrays.items():
        assert np.array_equal(arr, reference[name]), name
        changed |= not np.array_equal(arr, _random_population(np.random.default_rng(seed), n_reps, n_agents)
                                      ._arrays[name])
    assert changed                                    # the compaction moved agents (not a no-op)


def test_one_gather_with_nobody_retiring_changes_nothing():
    rng = np.random.default_rng(11)
    population = _random_population(rng, 3, 40)
    before = {name: arr.copy() for name, arr in population._arrays.items()}
    population._compact_by_one_gather([(r, np.arange(10), np.arange(0), 10, 30) for r in range(3)])
    assert all(np.array_equal(before[name], arr) for name, arr in population._arrays.items())


def _reference_year_rows(ledger: MonthlyLedger, replications: list[int], year: int, months: range,
                         payer_by_unit_month: dict[str, list[str]]) -> list[list[LedgerRow]]:
    """0.7.0's ``MonthlyLedger.year_rows`` (db2f1a6), verbatim but for the names: the totals summed
    from the ledger's own monthly amounts per (arm, payer, category), then amount × cash share and
    the rest one row at a time, zeros left out. Independent of ``year_totals``."""
    totals: dict[tuple[int, str, str], np.ndarray] = {}
    for (category, body), i in ledger._slot.items():
        per_month = ledger._amounts[i][:, :, months.start:months.stop]
        if body in payer_by_unit_month:
            payers = payer_by_unit_month[body][months.start:months.stop]
            for payer in dict.fromkeys(payers):
                mask = np.fromiter((p == payer for p in payers), dtype=bool, count=len(payers))
                sums = per_month[:, :, mask].sum(axis=-1)
                for arm in range(ledger.n_arms):
                    key = (arm, payer, category)
                    totals[key] = totals[key] + sums[arm] if key in totals else sums[arm]
        else:
            sums = per_month.sum(axis=-1)
            for arm in range(ledger.n_arms):
                key = (arm, body, category)
                totals[key] = totals[key] + sums[arm] if key in totals else sums[arm]
    out = []
    as_floats = {key: amounts.tolist() for key, amounts in totals.items()}
    for r, replication in enumerate(replications):
        rows = []
        for (arm, payer, category), amounts in as_floats.items():
            amount = amounts[r]
            if amount == 0.0:
                continue
            cash = amount * ledger.cash_share[category]
            view = PERSPECTIVE_OF[category]
            if cash != 0.0:
                rows.append(LedgerRow(replication, ARMS[arm], year, payer, category, cash, True, view))
            if amount - cash != 0.0:
                rows.append(LedgerRow(replication, ARMS[arm], year, payer, category, amount - cash, False, view))
        out.append(rows)
    return out


def _reference_municipal_saving(rows: list[LedgerRow]) -> float:
    """0.7.0's ``FiscalClose._municipal_saving``: control − intervention on the municipality's budget
    lines (not region, state; financing excluded), the rows added one by one."""
    saving = 0.0
    for row in rows:
        if row.category in FINANCING_CATEGORIES or row.perspective != "budget" or row.payer in ("region", "state"):
            continue
        saving += row.amount_sek if row.arm == "control" else -row.amount_sek
    return saving


def _reference_borrower_saving(rows: list[LedgerRow], borrower_units: tuple[str, ...]) -> tuple[float, float]:
    """0.7.0's ``FiscalClose._borrower_saving``: control − intervention on the borrower's units
    (financing excluded), total and cash part, the rows added one by one."""
    saving, cash_saving = 0.0, 0.0
    for row in rows:
        if row.category in FINANCING_CATEGORIES or row.payer not in borrower_units \
                or row.perspective != "budget":
            continue
        sign = 1.0 if row.arm == "control" else -1.0
        saving += sign * row.amount_sek
        if row.cash:
            cash_saving += sign * row.amount_sek
    return saving, cash_saving


def _random_ledger(rng, n_reps: int) -> MonthlyLedger:
    shares = {name: float(rng.choice([0.0, 0.3, 1.0, 1 / 3])) for name in CATEGORIES}
    shares["eb"] = 0.3                               # the borrower's cash saving differs from its saving
    ledger = MonthlyLedger(24, shares, n_reps=n_reps)
    bodies = ["eb_unit", "open_care", "child_authority", "ks", "region", "state", "school"]
    for category in CATEGORIES:
        for body in ["eb_unit", *rng.choice(bodies[1:], size=2, replace=False)]:
            for month in range(24):
                amount = rng.normal(0, 1e5, size=(2, n_reps)) * (rng.random((2, n_reps)) < 0.7)  # zeros too
                ledger.add(month, category, str(body), amount)
    return ledger


@pytest.mark.parametrize("seed", range(4))
def test_year_rows_and_savings_are_the_row_by_row_figures(seed):
    """The year's rows are the former row-by-row rows, and the borrower's and the municipality's savings
    summed over the keys are the sums over those rows (the same floats, ==), with a reorganisation
    moving a unit's budget mid-year."""
    rng = np.random.default_rng(seed)
    n_reps = 5
    ledger = _random_ledger(rng, n_reps)
    payers = {"eb_unit": ["eb_unit"] * 18 + ["social_board"] * 6, "open_care": ["open_care"] * 24}
    months = range(12, 24)
    totals = ledger.year_totals(months, payers)
    rows = totals.rows(list(range(100, 100 + n_reps)), 2020)
    assert rows == _reference_year_rows(ledger, list(range(100, 100 + n_reps)), 2020, months, payers)
    assert any(row.payer == "social_board" for row in rows[0]) and any(not row.cash for row in rows[0])
    assert ledger.year_rows(list(range(n_reps)), 2020, months, payers) == \
        _reference_year_rows(ledger, list(range(n_reps)), 2020, months, payers)
    close = FiscalClose.__new__(FiscalClose)
    close.borrower_units = ("eb_unit", "social_board")
    borrower, borrower_cash = totals.signed_sums([close._is_borrower_effect(p, c) for _, p, c in totals.keys])
    municipal, _ = totals.signed_sums([close._is_municipal_effect(p, c) for _, p, c in totals.keys])
    for r in range(n_reps):
        assert (borrower[r], borrower_cash[r]) == _reference_borrower_saving(rows[r], close.borrower_units)
        assert municipal[r] == _reference_municipal_saving(rows[r])
        assert borrower[r] != borrower_cash[r] and municipal[r] != borrower[r]     # different figures


def test_a_year_with_nothing_booked_has_no_rows():
    ledger = MonthlyLedger(12, {}, n_reps=3)
    totals = ledger.year_totals(range(12), {})
    assert totals.rows([0, 1, 2], 2020) == [[], [], []]
    assert [s.tolist() for s in totals.signed_sums([])] == [[0.0] * 3, [0.0] * 3]
    ledger.add(3, "eb", None, np.zeros(2))                             # booked, but zero: no rows either
    assert ledger.year_rows([0, 1, 2], 2020, range(12), {}) == [[], [], []]


def test_year_totals_conserve_money():
    """Cash + the rest is the amount booked over the year's months, per key and replication."""
    rng = np.random.default_rng(3)
    ledger = _random_ledger(rng, 3)
    totals = ledger.year_totals(range(0, 12), {})
    assert np.allclose(totals.cash + totals.rest, totals.amount, rtol=0, atol=1e-6)
    booked = sum(ledger.month_total(0, slice(0, 12), r) + ledger.month_total(1, slice(0, 12), r) for r in range(3))
    assert totals.amount.sum() == pytest.approx(booked, abs=1e-3)


@pytest.mark.parametrize("few_rows", [0, 100], ids=["one-index", "slices"])
def test_arrivals_as_one_index_are_one_slice_per_row(monkeypatch, few_rows):
    """``HouseholdPopulation.enter``: the month's arrivals of every row set as one index give the arrays
    one slice per row gives."""
    from agents import households
    from agents.households import HouseholdPopulation
    monkeypatch.setattr(households, "FEW_ROWS", few_rows)
    rng = np.random.default_rng(7)
    n_reps, n_months = 6, 12

    def make():
        entries = [np.sort(np.concatenate([np.full(5, -1), rng_rows[r]])) for r in range(n_reps)]
        return HouseholdPopulation(
            composition=[np.zeros(e.size, int) for e in entries], n_children=[np.ones(e.size, int) for e in entries],
            exit_propensity=[np.ones(e.size) for e in entries], eb_sek_per_month=[np.ones(e.size) for e in entries],
            entry_month=entries, initial_months_on_eb=[np.full(e.size, 7) for e in entries],
            enrolment_priority=[np.ones(e.size) for e in entries], n_months=n_months)

    rng_rows = [rng.integers(0, n_months, size=int(rng.integers(0, 30))) for _ in range(n_reps)]
    fast, reference = make(), make()
    for month in range(n_months):
        old = reference.n_active.copy()
        arrived = fast.enter(month)
        reference._bind(old + arrived)
        for r in np.flatnonzero(arrived):
            new = slice(int(old[r]), int(reference.n_active[r]))
            reference.present[:, r, new] = True
            reference.on_eb[:, r, new] = True
            reference.months_on_eb[:, r, new] = 0
        # months on EB tick, so that a wrong slot set to 0 would show
        for pop in (fast, reference):
            pop.months_on_eb += pop.on_eb
        for name in ("present", "on_eb", "months_on_eb"):
            assert np.array_equal(fast.full(name), reference.full(name)), (month, name)
    assert fast.n_active.tolist() == [5 + len(r) for r in rng_rows]
    assert fast.full("present").sum() == 2 * sum(5 + len(r) for r in rng_rows)


def test_budget_rows_are_the_row_by_row_rows():
    """``budget_rows`` (the rows made by map and zip, surpluses as one array difference) gives the rows
    the former loop gave: per replication, unit and arm, frame − outturn as Python floats."""
    from simulation.accounting.budget import BudgetRow, budget_rows
    rng = np.random.default_rng(2)
    frames = {u: (rng.normal(1e6, 1e5, size=(2, 4)), rng.normal(1e6, 1e5, size=(2, 4))) for u in ("a", "b", "c")}
    body = {"a": "board", "b": "b", "c": "ks"}
    expected = []
    for r, replication in enumerate([7, 8, 9, 10]):
        rows = []
        for unit, (frame, outturn) in frames.items():
            for arm, name in enumerate(ARMS):
                f, o = float(frame[arm, r]), float(outturn[arm, r])
                rows.append(BudgetRow(replication, name, 2021, unit, body[unit], f, o, f - o))
        expected.append(rows)
    got = budget_rows([7, 8, 9, 10], 2021, frames, body)
    assert got == expected and all(type(x) is BudgetRow for rows in got for x in rows)
    assert got[1][3] == BudgetRow(8, "control", 2021, "b", "b", frames["b"][0][1, 1], frames["b"][1][1, 1],
                                  frames["b"][0][1, 1] - frames["b"][1][1, 1])
    assert budget_rows([1, 2], 2021, {}, {}) == [[], []]
