"""Core model: closed forms, paired arms, reproducibility, head counts, money."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from simulation.accounting.ledger import FINANCING_CATEGORIES
from simulation.core.model import CONTROL, INTERVENTION, SifsimModel
from simulation.core.runner import run, savings_by
from tests.support import CONSTANT_HAZARD, make_config


@pytest.mark.parametrize("hazard", [0.05, 0.2])
def test_constant_hazard_gives_mean_spell_one_over_h(hazard):
    """No decay, re-entry, inflow or heterogeneity: spells are geometric, mean 1/h months."""
    n = 3000
    cfg = make_config(*CONSTANT_HAZARD, f"population.eb_exit_hazard_per_month={hazard}",
                      f"population.households={n}", "replications=1", "horizon_years=25")
    model = SifsimModel(cfg).run()
    pop = pd.DataFrame(model.population_rows, columns=["replication", "arm", "year", "month", "on_eb",
                                                       "exits", "entries", "placed"])
    control = pop[pop["arm"] == "control"].reset_index(drop=True)
    # spell length of a household leaving in month index t (0-based) is t + 1 months
    lengths = np.repeat(np.arange(1, len(control) + 1), control["exits"].to_numpy())
    assert lengths.size == n - control["on_eb"].iloc[-1]
    # the few still on EB at the horizon are censored: include them at the memoryless expectation
    still = int(control["on_eb"].iloc[-1])
    mean = (lengths.sum() + still * (len(control) + 1 / hazard)) / n
    se = math.sqrt(1 - hazard) / hazard / math.sqrt(n)
    assert abs(mean - 1 / hazard) < 4 * se, (mean, 1 / hazard, se)


def test_duration_dependence_lengthens_spells():
    """The same h0 with a falling hazard must give longer spells than 1/h0."""
    n, h = 3000, 0.1
    cfg = make_config(*CONSTANT_HAZARD, f"population.eb_exit_hazard_per_month={h}",
                      "population.eb_duration_decay=0.05", f"population.households={n}",
                      "replications=1", "horizon_years=10")
    model = SifsimModel(cfg).run()
    on_eb = [row[4] for row in model.population_rows if row[1] == "control"]
    # Σ on_eb after each month = Σ (spell − 1): a lower bound on total months, truncated at the horizon
    mean_lower_bound = 1 + sum(on_eb) / n
    assert mean_lower_bound > 1 / h + 5 * math.sqrt(1 - h) / h / math.sqrt(n)


def test_zero_effect_gives_identical_arms_household_by_household():
    cfg = make_config("intervention.effect_scale=0", "replications=1", "horizon_years=8")
    model = SifsimModel(cfg).run()
    hh, ch = model.households, model.children
    assert hh.participant[INTERVENTION].sum() >= cfg.intervention.participants_households
    for name in hh.STATE:
        a = getattr(hh, name)
        assert np.array_equal(a[INTERVENTION], a[CONTROL]), name
    for name in ch.STATE:
        a = getattr(ch, name)
        assert np.array_equal(a[INTERVENTION], a[CONTROL]), name


def test_zero_effect_leaves_only_the_intervention_cost():
    cfg = make_config("intervention.effect_scale=0", "replications=2", "horizon_years=6")
    results = run(cfg)
    savings = savings_by(results.ledger, ["replication", "payer", "category"])
    assert (savings["saving_sek"] == 0).all()
    financing = results.ledger[results.ledger["category"] == "intervention_posts"]
    # the fund's grant, plus the posts another payer funded (cost lines weighted like the fund's)
    lines = cfg.intervention.cost_lines
    fund_weight = sum(line.weight_sek for line in lines if line.payer == "fund")
    total_cost = sum(cfg.intervention.cost_sek_by_year.values()) * sum(line.weight_sek for line in lines) / fund_weight
    per_rep = financing.groupby("replication")["amount_sek"].sum()
    assert np.allclose(per_rep.to_numpy(), total_cost, atol=1.0)
    pop = results.population
    assert (pop[pop.arm == "intervention"]["households_on_eb"].to_numpy()
            == pop[pop.arm == "control"]["households_on_eb"].to_numpy()).all()


def test_full_effect_makes_the_arms_differ_and_participants_leave_faster():
    cfg = make_config("replications=3", "horizon_years=5")
    results = run(cfg)
    pop = results.population
    interv = pop[pop.arm == "intervention"].groupby(["year"])["eb_exits"].sum()
    control = pop[pop.arm == "control"].groupby(["year"])["eb_exits"].sum()
    assert interv.loc[2014:2017].sum() > control.loc[2014:2017].sum()
    eb = savings_by(results.ledger[results.ledger["category"] == "eb"], ["replication"])
    assert (eb["saving_sek"] > 0).all()


def test_same_seed_same_tables_different_seed_different():
    a = run(make_config("replications=2", "horizon_years=4"))
    b = run(make_config("replications=2", "horizon_years=4"))
    c = run(make_config("replications=2", "horizon_years=4", "seed=7"))
    for name in ("ledger", "population", "repayment", "summary"):
        pd.testing.assert_frame_equal(getattr(a, name), getattr(b, name), check_exact=True)
    assert not a.population.equals(c.population)


def test_replication_results_do_not_depend_on_how_many_run():
    """Replication r draws from its own streams: running 1 or 3 gives the same replication 0."""
    one = run(make_config("replications=1", "horizon_years=4"))
    three = run(make_config("replications=3", "horizon_years=4"))
    first = three.population[three.population["replication"] == 0].reset_index(drop=True)
    pd.testing.assert_frame_equal(one.population, first, check_exact=True)


def test_head_counts_add_up_every_month():
    cfg = make_config("replications=2", "horizon_years=6")
    pop = run(cfg).population.sort_values(["replication", "arm", "year", "month"])
    for _, g in pop.groupby(["replication", "arm"]):
        on = g["households_on_eb"].to_numpy()
        flow = g["eb_entries"].to_numpy()[1:] - g["eb_exits"].to_numpy()[1:]
        assert np.array_equal(np.diff(on), flow)
    first = pop[(pop["year"] == 2014) & (pop["month"] == 1)]
    assert (first["households_on_eb"] == cfg.population.households - first["eb_exits"]
            + first["eb_entries"]).all()


def test_children_and_placements_are_consistent():
    cfg = make_config("replications=1", "horizon_years=6")
    model = SifsimModel(cfg).run()
    ch, hh = model.children, model.households
    assert np.array_equal(np.bincount(ch.household[0], minlength=len(hh)), hh.n_children[0].astype(int))
    placed = ch.placement != 0
    assert not (placed & ch.adult).any()
    assert (ch.ever_placed | ~placed).all()
    # a child's view matches the arrays
    i = int(np.flatnonzero(ch.ever_placed[CONTROL, 0])[0]) if ch.ever_placed[CONTROL].any() else 0
    view = model.children.child(i, CONTROL, model.month)
    assert view.ever_placed == bool(ch.ever_placed[CONTROL, 0, i])


def test_ledger_conserves_money_to_the_krona():
    # no reorganisation here, so the grant's two sides land on different payers
    cfg = make_config("replications=1", "horizon_years=6", "municipality.reorganisations=[]")
    model = SifsimModel(cfg).run()
    ledger = pd.DataFrame(model.ledger_rows, columns=["replication", "arm", "year", "payer",
                                                      "category", "amount_sek", "cash", "perspective"])
    for arm, name in ((INTERVENTION, "intervention"), (CONTROL, "control")):
        booked = model.ledger.month_total(arm, slice(0, model.n_months))
        rows = ledger.loc[ledger["arm"] == name, "amount_sek"].sum()
        assert abs(booked - rows) < 1.0
    # the grant is a transfer: what the committee receives, KS pays
    grant = ledger[ledger["category"] == "fund_grant"]
    assert abs(grant["amount_sek"].sum()) < 1.0
    assert abs(grant.loc[grant["payer"] == "ks", "amount_sek"].sum()
               - sum(cfg.intervention.cost_sek_by_year.values())) < 1.0


def test_savings_are_control_minus_intervention_and_split_into_cash():
    results = run(make_config("replications=2", "horizon_years=6"))
    ledger = results.ledger
    effects = ledger[~ledger["category"].isin(FINANCING_CATEGORIES) & (ledger["perspective"] == "budget")]
    by_arm = effects.groupby(["replication", "arm"], observed=True)["amount_sek"].sum().unstack()
    direct = (by_arm["control"] - by_arm["intervention"]).to_numpy()
    per_payer = savings_by(ledger, ["replication", "payer"]).groupby("replication")["saving_sek"].sum()
    assert np.allclose(direct, per_payer.to_numpy(), atol=1.0)
    # open-care hours are cost avoidance (freed therapist time), EB is cash
    assert not ledger.loc[ledger["category"] == "open_care_hours", "cash"].any()
    assert ledger.loc[ledger["category"] == "eb", "cash"].all()


def test_reorganisation_moves_the_eb_saving_away_from_the_borrower():
    """Malmö 2013: the EB budget sits with KS, so no EB saving lands on the borrowing committee."""
    results = run(make_config("replications=2", "horizon_years=6"))
    eb = results.ledger[results.ledger["category"] == "eb"]
    assert set(eb["payer"].unique()) == {"ks"}
    moved_back = run(make_config("replications=2", "horizon_years=6", "municipality.reorganisations=[]"))
    borrower_eb = savings_by(moved_back.ledger[moved_back.ledger["category"] == "eb"], ["payer"])
    assert set(borrower_eb["payer"]) == {"eb_unit"}
    assert (borrower_eb["saving_sek"] > 0).all()
    borrower = results.years.groupby("replication")["borrower_saving_sek"].sum()
    borrower_back = moved_back.years.groupby("replication")["borrower_saving_sek"].sum()
    assert (borrower_back > borrower).all()


def test_mesa_batch_run_keeps_working():
    import mesa
    cfg = make_config("replications=1", "horizon_years=1")
    out = mesa.batch_run(SifsimModel, parameters={"config": [cfg]}, rng=[1, 2], max_steps=12,
                         number_processes=1, data_collection_period=-1, display_progress=False)
    assert len(out) == 2
    assert {"households_on_eb_control", "households_on_eb_intervention"} <= set(out[0])
    assert out[0]["households_on_eb_control"] != out[1]["households_on_eb_control"] or \
        out[0]["households_on_eb_intervention"] != out[1]["households_on_eb_intervention"]


def test_household_view_matches_arrays():
    model = SifsimModel(make_config("replications=1", "horizon_years=2")).run()
    i = int(np.flatnonzero(model.households.participant[INTERVENTION, 0])[0])
    view = model.households.household(i, INTERVENTION)
    assert view.participant and view.arm == "intervention" and view.replication == 0
    assert view.on_eb == bool(model.households.on_eb[INTERVENTION, 0, i])
    assert view.children == int(model.households.n_children[0, i]) > 0


def test_retired_households_are_settled_and_their_identity_is_kept():
    cfg = make_config("replications=1", "horizon_years=12")
    model = SifsimModel(cfg).run()
    hh = model.households
    assert model.retired_households > 0
    start, end = int(hh.capacity[0] - hh.n_retired[0]), int(hh.capacity[0])
    # the retired households' state as it was when they retired (their slots are then made inert)
    retired = {name: hh.retired_state(0)[name] for name in ("on_eb", "participant", "months_since_exit",
                                                             "present", "pensioned")}
    assert retired["on_eb"].shape[1] == end - start > 0
    gone = ~retired["present"].any(axis=0)
    assert not retired["on_eb"].any()
    # participants are followed to the horizon unless they moved away
    assert not retired["participant"][:, ~gone].any()
    # off EB beyond the re-entry window, or past pension age off EB (issue 11 item 5), in every arm
    assert (((retired["months_since_exit"] >= cfg.population.retire_after_months_off_eb)
             | retired["pensioned"]).all(axis=0) | gone).all()
    # every household is still there exactly once
    ids = np.sort(hh.full("original_index")[0])
    assert np.array_equal(ids, np.arange(hh.capacity[0]))
    # children follow their households
    ch = model.children
    assert (np.diff(ch.full("household")[0]) >= 0).all()
    assert np.array_equal(np.bincount(ch.full("household")[0], minlength=hh.capacity[0]),
                          hh.full("n_children")[0].astype(int))


def test_without_retirement_the_arms_still_pair_and_more_households_stay_active():
    cfg = make_config("replications=1", "horizon_years=8", "population.retire_after_months_off_eb=null",
                      "intervention.effect_scale=0")
    model = SifsimModel(cfg).run()
    assert model.retired_households == 0
    assert len(model.households) == model.households.capacity[0] - int(
        (model.households.full("entry_month")[0] >= model.n_months).sum())
    assert np.array_equal(model.households.on_eb[INTERVENTION], model.households.on_eb[CONTROL])


def test_worker_processes_give_identical_tables():
    serial = run(make_config("replications=3", "horizon_years=3", "workers=1"))
    parallel = run(make_config("replications=3", "horizon_years=3", "workers=2"))
    for name in ("ledger", "population", "repayment", "summary", "years"):
        pd.testing.assert_frame_equal(getattr(serial, name), getattr(parallel, name), check_exact=True)


def test_the_ledger_refuses_a_category_it_does_not_know():
    """A typo in a category must not silently become cash (issue 10)."""
    from simulation.accounting.ledger import CATEGORIES, MonthlyLedger, cash_shares
    ledger = MonthlyLedger(12, {"eb": 1.0})
    with pytest.raises(KeyError, match="placement_hbv"):
        ledger.add(0, "placement_hbv", "child_authority", 1.0)
    with pytest.raises(ValueError, match="ebb"):
        cash_shares({"ebb": 1.0})
    shares = cash_shares({})
    assert {name for name, s in shares.items() if s == 1.0} == {n for n, c in CATEGORIES.items() if c.budget_line}


def test_norm_amounts_follow_the_riksnorm_formula():
    """eb_amount_mode=norm: (personal + children + shared by size + rent) × share paid (docs/sources.md: riksnorm 2017)."""
    from agents.households import COMPOSITION_INDEX
    from simulation.core.population import eb_amount_sek_per_month
    eco = make_config("economy.eb_amount_mode=norm").economy
    composition = np.array([COMPOSITION_INDEX[c] for c in ("single_adult", "single_parent",
                                                           "couple_with_children", "couple_without_children")])
    n_children = np.array([0, 2, 3, 0])
    got = eb_amount_sek_per_month(composition, n_children, eco)
    personal = eco.riksnorm_personal_sek_per_month
    shared = eco.riksnorm_shared_sek_per_month_by_size
    expected = [personal["single"] + shared[0],
                personal["single"] + 2 * eco.riksnorm_child_sek_per_month + shared[2],
                personal["couple"] + 3 * eco.riksnorm_child_sek_per_month + shared[3],   # 5 persons: capped at 4
                personal["couple"] + shared[1]]
    assert got == pytest.approx([(e + eco.rent_sek_per_month) * eco.eb_share_of_norm_paid for e in expected])


@pytest.mark.parametrize("overrides", [(), ("economy.eb_amount_mode=norm",
                                            "population.inflow_shocks=[{first_year: 2015, last_year: 2016, "
                                            "relative_change: 0.5}]", "municipality.budget.rule=plan")],
                         ids=["default", "norm_amounts_inflow_shock_plan"])
def test_a_replications_rows_are_identical_alone_and_in_a_batch(overrides):
    """Issue 15's promise: a batch steps replications together, but replication r's rows are
    exactly those of r run alone (its own streams, its own sums), in any batch."""
    from simulation.core.runner import simulate_rows
    cfg = make_config("replications=4", "horizon_years=12", *overrides)
    batch = simulate_rows(cfg, "g", [0, 1, 2, 3])
    pair = simulate_rows(cfg, "g", [3, 1])
    alone = {r: simulate_rows(cfg, "g", [r]) for r in range(4)}
    for key in ("ledger", "population", "repayment", "years"):
        assert batch[key] == [row for r in range(4) for row in alone[r][key]], key
        assert pair[key] == alone[3][key] + alone[1][key], key
    assert len({len(alone[r]["ledger"]) for r in range(4)} | {0}) > 1   # something was booked


def test_batch_sizes_follow_the_work():
    from simulation.core.runner import batch_size, batches
    assert batch_size(make_config()) == 100                       # Öster: every replication at once
    assert batch_size(make_config("population=national", "replications=3")) == 1
    assert batches(list(range(10)), size=100, workers=2) == [list(range(5)), list(range(5, 10))]
    assert batches(list(range(5)), size=2, workers=1) == [[0, 1], [2, 3], [4]]
