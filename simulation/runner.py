"""``run(config) -> Results``: the pure entry point, callable from Python, tests and Hydra.

Runs every paired replication (serially: parallelism belongs to Hydra's
launchers, one level up), gathers the tidy tables and computes the summary.
"""

from __future__ import annotations

import sys
import time
from dataclasses import dataclass, field
from typing import Callable

import numpy as np
import pandas as pd

from scenarios.schema import SifsimConfig
from scenarios.validation import validate
from simulation.ledger import FINANCING_CATEGORIES, LEDGER_COLUMNS
from simulation.model import SifsimModel
from simulation.outcomes import OUTCOMES

POPULATION_COLUMNS = ("replication", "arm", "year", "month", "households_on_eb", "eb_exits",
                      "eb_entries", "children_placed")
REPAYMENT_COLUMNS = ("rule", "replication", "year", "disbursed_sek", "measured_saving_sek",
                     "repaid_sek", "written_off_sek", "outstanding_sek", "fund_balance_sek",
                     "budget_pressure_sek", "budget_pressure_posts", "cash_saving_sek",
                     "fund_equity_sek")
MUNICIPAL_EXCLUDED_PAYERS = ("region", "state")


@dataclass
class Results:
    """Everything a run produces, as tidy tables."""

    config: SifsimConfig
    ledger: pd.DataFrame
    population: pd.DataFrame
    repayment: pd.DataFrame
    years: pd.DataFrame
    per_replication: pd.DataFrame
    summary: pd.DataFrame
    timings_s: dict[str, float] = field(default_factory=dict)


class Progress:
    """Progress on stderr: replications done, elapsed and time left.

    On a terminal one line is rewritten every ``every_s`` seconds; in a log
    (not a TTY) a line is written at most every ``every_log_s`` seconds, so
    long runs and sweeps show progress without flooding their logs.
    """

    def __init__(self, total: int, label: str, enabled: bool = True, every_s: float = 1.0,
                 every_log_s: float = 15.0):
        self.total, self.label, self.enabled = total, label, enabled
        self.tty = sys.stderr.isatty()
        self.every_s = every_s if self.tty else every_log_s
        self.t0 = self.last = time.perf_counter()

    def update(self, done: int) -> None:
        now = time.perf_counter()
        finished = done >= self.total
        if not self.enabled or (now - self.last < self.every_s and not finished):
            return
        self.last = now
        rate = done / max(now - self.t0, 1e-9)
        left = (self.total - done) / rate if rate > 0 else float("nan")
        text = (f"{self.label}: {done}/{self.total} replications, {now - self.t0:.0f} s elapsed, "
                f"≈{left:.0f} s left")
        if self.tty:
            print("\r" + text, end="\n" if finished else "", file=sys.stderr, flush=True)
        else:
            print(text, file=sys.stderr, flush=True)


def run_replication(config: SifsimConfig, replication: int) -> SifsimModel:
    """Simulate one paired replication to the horizon."""
    return SifsimModel(config, replication=replication).run()


def run(config: SifsimConfig, *, progress: bool | None = None,
        on_replication: Callable[[int], None] | None = None) -> Results:
    """Validate ``config``, simulate all replications and summarise them."""
    validate(config)
    timings: dict[str, float] = {}
    t0 = time.perf_counter()
    ledger_rows, population_rows, repayment_rows, year_rows = [], [], [], []
    show = config.progress if progress is None else progress
    bar = Progress(config.replications, config.scenario, enabled=show)
    for r in range(config.replications):
        model = run_replication(config, r)
        ledger_rows.extend(model.ledger_rows)
        population_rows.extend(model.population_rows)
        repayment_rows.extend(model.repayment_rows)
        year_rows.extend({"replication": r, **vars(y)} for y in model.years)
        bar.update(r + 1)
        if on_replication is not None:
            on_replication(r)
    timings["simulate"] = time.perf_counter() - t0

    t1 = time.perf_counter()
    ledger = pd.DataFrame(ledger_rows, columns=list(LEDGER_COLUMNS))
    ledger = ledger.astype({"replication": "int32", "year": "int16", "amount_sek": "float64",
                            "cash": "bool", "arm": "category", "payer": "category",
                            "category": "category"})
    population = pd.DataFrame(population_rows, columns=list(POPULATION_COLUMNS))
    repayment = pd.DataFrame(repayment_rows)
    repayment = repayment[[c for c in REPAYMENT_COLUMNS if c in repayment.columns]] if len(repayment) \
        else pd.DataFrame(columns=list(REPAYMENT_COLUMNS))
    years = pd.DataFrame(year_rows)
    per_rep = per_replication_metrics(config, ledger, repayment, years)
    summary = summarise(per_rep)
    timings["summarise"] = time.perf_counter() - t1
    return Results(config=config, ledger=ledger, population=population, repayment=repayment,
                   years=years, per_replication=per_rep, summary=summary, timings_s=timings)


def savings_by(ledger: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    """Attributable saving (control − intervention) grouped by ``keys``, financing excluded."""
    effects = ledger[~ledger["category"].isin(FINANCING_CATEGORIES)]
    signed = np.where(effects["arm"] == "control", effects["amount_sek"], -effects["amount_sek"])
    out = effects.assign(saving_sek=signed).groupby(keys, observed=True)["saving_sek"].sum()
    return out.reset_index()


def _year_fully_repaid(rule_rows: pd.DataFrame) -> float:
    """First year after which nothing is owed and all the grant is back; NaN if never."""
    total = rule_rows["disbursed_sek"].sum()
    if total <= 0:
        return float("nan")
    repaid_cum = rule_rows["repaid_sek"].cumsum()
    done = rule_rows[(repaid_cum >= total - 1.0) & (rule_rows["outstanding_sek"] <= 1.0)]
    return float(done["year"].iloc[0]) if len(done) else float("nan")


def per_replication_metrics(config: SifsimConfig, ledger: pd.DataFrame, repayment: pd.DataFrame,
                            years: pd.DataFrame) -> pd.DataFrame:
    """One row per (rule, replication) with every outcome of :mod:`simulation.outcomes`."""
    start = config.intervention.start_year
    rate = config.economy.discount_rate
    by_year_payer = savings_by(ledger, ["replication", "year", "payer", "cash"])
    by_year_payer["discount"] = (1.0 + rate) ** -(by_year_payer["year"] - start)
    reps = pd.DataFrame({"replication": range(config.replications)})

    def total(mask: pd.Series, column: str = "saving_sek") -> pd.Series:
        frame = by_year_payer[mask]
        values = frame[column] if column == "saving_sek" else frame["saving_sek"] * frame["discount"]
        return values.groupby(frame["replication"]).sum().reindex(reps["replication"], fill_value=0.0)

    everyone = pd.Series(True, index=by_year_payer.index)
    municipal = ~by_year_payer["payer"].isin(MUNICIPAL_EXCLUDED_PAYERS)
    borrower_units = [u.name for u in config.municipality.units if u.committee == config.intervention.borrower]
    borrower = by_year_payer["payer"].isin(borrower_units)
    base = pd.DataFrame({
        "replication": reps["replication"],
        "attributable_saving_sek": total(everyone).to_numpy(),
        "attributable_saving_pv_sek": total(everyone, "pv").to_numpy(),
        "municipal_saving_sek": total(municipal).to_numpy(),
        "region_state_saving_sek": total(~municipal).to_numpy(),
        "borrower_saving_sek": total(borrower).to_numpy(),
        "cash_saving_sek": total(borrower & by_year_payer["cash"]).to_numpy(),
    })
    if len(years):
        y = years.groupby("replication")[["naive_claim_total_sek", "disbursed_sek"]].sum()
        base["naive_claim_sek"] = y["naive_claim_total_sek"].reindex(reps["replication"], fill_value=0).to_numpy()
        base["intervention_cost_sek"] = y["disbursed_sek"].reindex(reps["replication"], fill_value=0).to_numpy()
    rows = []
    for rule in config.repayment.rules:
        rr = repayment[repayment["rule"] == rule] if len(repayment) else repayment
        for rep, g in (rr.groupby("replication") if len(rr) else []):
            g = g.sort_values("year")
            disbursed = g["disbursed_sek"].sum()
            repaid = g["repaid_sek"].sum()
            year_full = _year_fully_repaid(g)
            rows.append({
                "rule": rule, "replication": rep, "repaid_sek": repaid,
                "repaid_share": repaid / disbursed if disbursed > 0 else float("nan"),
                "year_fully_repaid": year_full,
                "written_off_sek": g["written_off_sek"].sum(),
                "outstanding_end_sek": g["outstanding_sek"].iloc[-1],
                "peak_budget_pressure_sek": max(0.0, g["budget_pressure_sek"].max()),
                "peak_budget_pressure_posts": max(0.0, g["budget_pressure_posts"].max()),
                "p_full_repayment": float(not np.isnan(year_full)),
            })
    per_rule = pd.DataFrame(rows)
    if per_rule.empty:
        return base.assign(rule="none")
    return per_rule.merge(base, on="replication", how="left")


def summarise(per_rep: pd.DataFrame) -> pd.DataFrame:
    """``rule, metric, mean, p10, p50, p90`` over replications (INTERFACE.md).

    ``year_fully_repaid``: replications that never repay count as later than
    any year, so a quantile falling among them is empty ("never"), and the
    mean is given only when every replication repays.
    """
    out = []
    metrics = [m for m in OUTCOMES if m in per_rep.columns]
    for rule, g in per_rep.groupby("rule", sort=False):
        for metric in metrics:
            values = g[metric].to_numpy(dtype=float)
            if metric == "year_fully_repaid":
                filled = np.where(np.isnan(values), np.inf, values)
                q = np.quantile(filled, [0.1, 0.5, 0.9], method="inverted_cdf")
                q = [float(v) if np.isfinite(v) else float("nan") for v in q]
                mean = float(values.mean()) if not np.isnan(values).any() else float("nan")
            else:
                finite = values[~np.isnan(values)]
                if finite.size == 0:
                    q, mean = [float("nan")] * 3, float("nan")
                else:
                    q = [float(v) for v in np.quantile(finite, [0.1, 0.5, 0.9])]
                    mean = float(finite.mean())
            out.append({"rule": rule, "metric": metric, "mean": mean, "p10": q[0], "p50": q[1], "p90": q[2]})
    return pd.DataFrame(out, columns=["rule", "metric", "mean", "p10", "p50", "p90"])
