"""WSIPP-style figures per perspective (issue 12 item 3): PV of net benefit, benefit–cost ratio,
P(net benefit > 0) over replications.

Every ledger category belongs to one perspective (:data:`simulation.accounting.ledger.PERSPECTIVES`):
``budget`` (the public payers' budget lines: benefits, care, taxes and transfers), ``society``
(Nilsson & Wadeskog-style costs of outcomes, including lost production, and the production of
the parents who went to work, at labour cost) and ``household`` (disposable income). The
society figure also counts the budget rows that are real resources (care, therapist time:
``REAL_RESOURCE_CATEGORIES``) but not transfers (EB, taxes, allowances), which only move money
between households and the public purse. For each, per replication:

- benefit PV = Σ over years of the attributable saving (control − intervention) of that
  perspective's rows, discounted to the first intervention year at ``economy.discount_rate``;
- cost PV = the fund's grant (the disbursements), discounted the same way;
- net benefit PV = benefit PV − the cost PV that perspective bears (:data:`BEARS_THE_GRANT`): the
  public budgets pay the grant and society uses the posts it buys, the households pay nothing, so
  their net benefit is their benefit (WSIPP's participants' column carries no programme cost);
- benefit–cost ratio = benefit PV / cost PV (per krona of the grant, in every perspective);
- ``p_net_benefit_positive_<perspective>`` = 1 if the net benefit PV > 0 (its mean over
  replications is the probability; the summary gives its Monte Carlo interval).

The perspectives overlap (society's costs include public costs), so they are shown side by
side, never added.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from simulation.accounting.ledger import PERSPECTIVES, REAL_RESOURCE_CATEGORIES, savings_by

#: whether a perspective bears the grant's cost: the public budgets pay it (the fund's disbursements)
#: and society uses the staff time it buys; the households pay none of it
BEARS_THE_GRANT = {"budget": True, "society": True, "household": False}


def perspective_metrics(ledger: pd.DataFrame, years: pd.DataFrame, *, start_year: int, discount_rate: float,
                        replications: pd.Index) -> pd.DataFrame:
    """One row per replication: ``net_benefit_pv_sek_<p>``, ``benefit_cost_ratio_<p>``,
    ``p_net_benefit_positive_<p>`` for every perspective p."""
    def discount(year: pd.Series) -> np.ndarray:
        return (1.0 + discount_rate) ** -(year.astype(float).to_numpy() - start_year)

    if len(years):
        cost = (years["disbursed_sek"] * discount(years["year"])).groupby(years["replication"]).sum()
        cost = cost.reindex(replications, fill_value=0.0).to_numpy()
    else:
        cost = np.zeros(len(replications))
    out = pd.DataFrame({"replication": replications})
    for view in PERSPECTIVES:
        per = savings_by(ledger, ["replication", "year"], perspective=view)
        if view == "society":
            resources = savings_by(ledger[ledger["category"].isin(REAL_RESOURCE_CATEGORIES)],
                                   ["replication", "year"], perspective="budget")
            per = pd.concat([per, resources], ignore_index=True)
        benefit = (per["saving_sek"] * discount(per["year"])).groupby(per["replication"]).sum()
        benefit = benefit.reindex(replications, fill_value=0.0).to_numpy()
        net = benefit - cost if BEARS_THE_GRANT[view] else benefit
        out[f"net_benefit_pv_sek_{view}"] = net
        out[f"benefit_cost_ratio_{view}"] = np.divide(benefit, cost, out=np.full_like(benefit, np.nan),
                                                      where=cost > 0)
        out[f"p_net_benefit_positive_{view}"] = (net > 0).astype(float)
    return out
