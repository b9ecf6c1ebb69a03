"""Issue 11 item 2: effects come from funded inputs; posts another payer funded are in the ledger."""

from __future__ import annotations

import numpy as np
import pytest

from scenarios.schema import CostLine
from scenarios.validation import ConfigError, validate
from simulation.accounting.ledger import savings_by
from simulation.core.outcomes import EB_EFFECT_CATEGORIES, fund_share_of_inputs
from simulation.core.runner import run
from tests.support import make_config


@pytest.fixture(scope="module")
def oster():
    cfg = make_config("replications=3", "horizon_years=8")
    return cfg, run(cfg)


def test_oster_s_eb_effect_is_one_third_the_fund_s():
    """Seed 004: 1 EB post paid by the fund, 2 by Urban utveckling (assumed at the same cost each)."""
    cfg = make_config()
    shares = fund_share_of_inputs(cfg.intervention.cost_lines)
    assert shares[True] == pytest.approx(1 / 3, abs=1e-6)
    assert shares[False] == 1.0
    # with every line the fund's, the fund is credited with the whole effect
    lines = [CostLine(unit=line.unit, label=line.label, weight_sek=line.weight_sek, payer="fund")
             for line in cfg.intervention.cost_lines]
    assert fund_share_of_inputs(lines) == {True: 1.0, False: 1.0}
    assert fund_share_of_inputs([]) == {True: 1.0, False: 1.0}


def test_state_funded_posts_are_booked_as_the_state_s_grant(oster):
    cfg, res = oster
    itv = cfg.intervention
    fund_weight = sum(line.weight_sek for line in itv.cost_lines if line.payer == "fund")
    state_weight = sum(line.weight_sek for line in itv.cost_lines if line.payer == "state")
    expected = state_weight / fund_weight * sum(itv.cost_sek_by_year.values())
    ledger = res.ledger
    state = ledger[ledger["category"] == "state_grant"]
    assert set(state["arm"]) == {"intervention"}
    per_rep = state[state["payer"] == "state"].groupby("replication")["amount_sek"].sum()
    assert np.allclose(per_rep, expected, atol=1.0), (per_rep.tolist(), expected)
    # the state's grant is a transfer: the units' side cancels the state's, to the krona
    assert np.allclose(state.groupby("replication")["amount_sek"].sum(), 0.0, atol=1.0)
    # the posts cost the fund's grant plus the state's
    posts = ledger[ledger["category"] == "intervention_posts"].groupby("replication")["amount_sek"].sum()
    assert np.allclose(posts, sum(itv.cost_sek_by_year.values()) + expected, atol=1.0)


def test_the_fund_s_share_of_the_saving_credits_eb_effects_by_its_eb_posts(oster):
    """Per replication: saving from the fund's inputs = EB-effect saving / 3 + every other saving."""
    cfg, res = oster
    by_cat = savings_by(res.ledger, ["replication", "category"])
    eb = by_cat[by_cat["category"].isin(EB_EFFECT_CATEGORIES)].groupby("replication")["saving_sek"].sum()
    other = by_cat[~by_cat["category"].isin(EB_EFFECT_CATEGORIES)].groupby("replication")["saving_sek"].sum()
    per_rep = res.per_replication.drop_duplicates("replication").set_index("replication").sort_index()
    assert np.allclose(per_rep["attributable_saving_fund_inputs_sek"], eb / 3 + other, atol=1.0)
    share = per_rep["fund_share_of_effect"]
    assert np.allclose(share, per_rep["attributable_saving_fund_inputs_sek"] / per_rep["attributable_saving_sek"])
    assert ((share > 0.3) & (share < 1.0)).all(), share.tolist()   # most of the saving is EB's


def test_cost_lines_without_a_fund_line_are_refused():
    """Other payers' lines are scaled by the fund's: without a fund line nothing would carry the grant."""
    cfg = make_config()
    cfg.intervention.cost_lines = [CostLine(unit=line.unit, label=line.label, weight_sek=line.weight_sek,
                                            payer="state") for line in cfg.intervention.cost_lines]
    with pytest.raises(ConfigError, match=r"intervention\.cost_lines: no line with payer='fund'"):
        validate(cfg)
