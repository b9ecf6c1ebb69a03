"""``run(config) -> Results``: the pure entry point, callable from Python, tests and Hydra.

Runs every paired replication (serially: parallelism belongs to Hydra's
launchers, one level up), gathers the tidy tables and computes the summary.
"""

from __future__ import annotations

import dataclasses
import multiprocessing
import os
import sys
import time
from concurrent.futures import Executor, ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Callable, Sequence

import numpy as np
import pandas as pd

from scenarios.schema import SifsimConfig
from scenarios.validation import validate
from simulation.accounting.budget import BUDGET_COLUMNS
from simulation.accounting.ledger import LEDGER_COLUMNS, savings_by
from simulation.accounting.perspectives import perspective_metrics
from simulation.core.outcomes import EB_EFFECT_CATEGORIES, OUTCOMES, fund_share_of_inputs
from simulation.core.participants import PARTICIPANT_COLUMNS

if TYPE_CHECKING:   # the model (and Mesa, 0.75 s to import) is loaded where a replication runs
    from simulation.core.model import SifsimModel

POPULATION_COLUMNS = ("replication", "arm", "year", "month", "households_on_eb", "eb_exits",
                      "eb_entries", "children_placed")
REPAYMENT_COLUMNS = ("rule", "replication", "year", "disbursed_sek", "measured_saving_sek",
                     "repaid_sek", "written_off_sek", "outstanding_sek", "fund_balance_sek",
                     "budget_pressure_sek", "budget_pressure_posts", "cash_saving_sek",
                     "fund_equity_sek", "frame_adjustment_sek")
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
    #: per replication, arm and year: households and children enrolled, participants' EB exits by route
    #: per replication, arm, year and unit: budget frame, outturn and surplus (accounting/budget.py)
    budget: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=[*BUDGET_COLUMNS, "grant"]))
    participants: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=[*PARTICIPANT_COLUMNS,
                                                                                    "grant"]))


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
    """Simulate one paired replication to the horizon (a batch of one)."""
    from simulation.core.model import SifsimModel
    return SifsimModel(config, replications=[replication]).run()


#: household slots (replications × households ever in the area) a batch may hold; a slot
#: with its children's arrays costs well under 0.6 kB (an estimate from the national benchmark:
#: 871 MB peak, imports included, for about 2 M slots)
BATCH_HOUSEHOLD_SLOTS = 400_000


def batch_size(config: SifsimConfig) -> int:
    """Replications stepped together: as many as fit :data:`BATCH_HOUSEHOLD_SLOTS`.

    The households ever in the area are estimated as the starting stock plus
    one stock's worth of inflow per two years (the default Öster case has 782
    over 25 years from 200).
    """
    years = config.horizon_years + 1
    slots = config.population.households * (1.0 + years / 2.0)
    return int(max(1, min(config.replications, BATCH_HOUSEHOLD_SLOTS // max(slots, 1.0))))


def batches(replications: list[int], size: int, workers: int) -> list[list[int]]:
    """Consecutive runs of replications: at most ``size`` each, and at least one per worker."""
    n = len(replications)
    per = max(1, min(size, -(-n // max(workers, 1))))
    return [replications[i:i + per] for i in range(0, n, per)]


def grants(config: SifsimConfig) -> dict[str, SifsimConfig]:
    """One config per grant: the portfolio's items, or the single intervention."""
    if not config.portfolio:
        return {config.intervention.name: config}
    return {name: dataclasses.replace(config, intervention=itv, portfolio={})
            for name, itv in config.portfolio.items()}


def fund_totals(repayment: pd.DataFrame, capital_sek: float) -> pd.DataFrame:
    """A portfolio fund's books: every grant's rows summed on a common year grid.

    Before a grant starts it owes nothing; after its last simulated year it
    owes what it owed then. Balances are recomputed for the whole fund:
    cash = capital − Σ disbursed + Σ repaid; equity = capital − Σ written off.
    """
    flows = ["disbursed_sek", "measured_saving_sek", "repaid_sek", "written_off_sek",
             "budget_pressure_sek", "budget_pressure_posts", "cash_saving_sek"]
    years = pd.RangeIndex(int(repayment["year"].min()), int(repayment["year"].max()) + 1, name="year")
    parts = []
    for (rule, rep, _), g in repayment.groupby(["rule", "replication", "grant"], sort=False):
        g = g.set_index("year").reindex(years)
        g[flows] = g[flows].fillna(0.0)
        g["outstanding_sek"] = g["outstanding_sek"].ffill().fillna(0.0)
        parts.append(g[flows + ["outstanding_sek"]].assign(rule=rule, replication=rep))
    full = pd.concat(parts).reset_index().groupby(["rule", "replication", "year"], sort=False).sum().reset_index()
    g = full.groupby(["rule", "replication"], sort=False)
    full["fund_balance_sek"] = capital_sek - g["disbursed_sek"].cumsum() + g["repaid_sek"].cumsum()
    full["fund_equity_sek"] = capital_sek - g["written_off_sek"].cumsum()
    full["grant"] = "fund"
    return full


#: the raw row tables of a batch (:func:`simulate_rows`), and those the per-replication outcomes are
#: made from (:func:`run_outcomes`: the rest is not built)
ROW_TABLES = ("ledger", "population", "repayment", "years", "participants", "budget")
OUTCOME_ROW_TABLES = ("ledger", "repayment", "years")


def simulate_rows(case: SifsimConfig, grant: str, replications: list[int],
                  tables: Sequence[str] = ROW_TABLES) -> dict[str, list]:
    """Simulate a batch of replications of one grant; return their raw table rows (picklable):
    those of ``tables`` (the others are empty lists)."""
    out: dict[str, list] = {name: [] for name in ROW_TABLES}
    from simulation.core.model import SifsimModel   # here: the main process of a run never needs Mesa
    model = SifsimModel(case, replications=replications).run()
    for i, r in enumerate(replications):
        rows = model.replication_rows(i, with_population="population" in tables,
                                      with_participants="participants" in tables)
        out["ledger"].extend(row + (grant,) for row in rows["ledger"])
        out["repayment"].extend({**row, "grant": grant} for row in rows["repayment"])
        out["years"].extend({"replication": r, **y.row(), "grant": grant} for y in rows["years"])
        for name in ("population", "participants", "budget"):
            if name in tables:
                out[name].extend(row + (grant,) for row in rows[name])
    return out


def worker_count(config: SifsimConfig, tasks: int) -> int:
    """``workers: null`` = one per core, never more than there are replications to run.

    Inside a process that is itself a worker (a Hydra joblib or submitit job, a
    pool worker) ``null`` means 1: the launcher already spreads jobs over cores,
    and nested pools would only compete for them (and loky workers cannot
    start a spawn pool at all).
    """
    if config.workers is not None:
        wanted = config.workers
    elif multiprocessing.parent_process() is not None:
        wanted = 1
    else:
        wanted = os.cpu_count() or 1
    return max(1, min(wanted, tasks))


def use_environment(values: dict[str, str | None]) -> None:
    """A pool worker's initializer: set (or unset: None) these environment variables."""
    for name, value in values.items():
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value


def run(config: SifsimConfig, *, progress: bool | None = None,
        on_replication: Callable[[int], None] | None = None,
        mp_context: multiprocessing.context.BaseContext | None = None,
        worker_environment: dict[str, str | None] | None = None,
        pool: Executor | None = None, after_batches: Sequence[Callable[[], object]] = (),
        _outcomes_only: bool = False) -> Results:
    """Validate ``config``, simulate all replications of every grant and summarise them.

    Replications are independent (their own random streams), so they may run in
    worker processes (``workers``); the tables are assembled in replication order
    and are identical whatever the number of workers, the batches and how the workers
    were started: ``mp_context`` (default ``spawn``; ``sifsim`` passes its warm fork server,
    :mod:`simulation.app.warm`), with ``worker_environment`` set in each worker first
    (a forked worker has its server's environment, not this process's).

    ``pool``: the caller's worker pool (as many processes as :func:`worker_count` gives),
    used instead of a pool of this run's own and left running (``sifsim`` draws the charts in it).
    ``after_batches``: tasks for that pool, submitted behind the batches (the queue is first in,
    first out: whichever worker is idle first takes the first of them, as it would a batch), or at
    once when the batches run here (one worker or one batch: the pool then runs none of them);
    their results are not waited for (``sifsim``: the chart modules' imports, which the idle
    workers make meanwhile).
    """
    validate(config)
    timings: dict[str, float] = {}
    t0 = time.perf_counter()
    show = config.progress if progress is None else progress
    cases = grants(config)
    total = config.replications * len(cases)
    workers = worker_count(config, total)
    size = batch_size(config)
    tables = OUTCOME_ROW_TABLES if _outcomes_only else ROW_TABLES
    tasks = [(grant, case, reps) for grant, case in cases.items()
             for reps in batches(list(range(config.replications)), size, workers)]
    bar = Progress(total, config.scenario, enabled=show)
    parts: list[dict[str, list]] = [None] * len(tasks)  # type: ignore[list-item]
    done = 0

    def finished(reps: list[int]) -> None:
        nonlocal done
        done += len(reps)
        bar.update(done)
        if on_replication is not None:
            for r in reps:
                on_replication(r)

    if workers == 1 or len(tasks) == 1:
        if pool is not None:
            for task in after_batches:      # the pool's workers have no batch: they start now
                pool.submit(task)
        for i, (grant, case, reps) in enumerate(tasks):
            parts[i] = simulate_rows(case, grant, reps, tables)
            finished(reps)
    else:
        own = pool is None
        if own:
            context = mp_context if mp_context is not None else multiprocessing.get_context("spawn")
            pool = ProcessPoolExecutor(max_workers=min(workers, len(tasks)), mp_context=context,
                                       initializer=use_environment, initargs=(worker_environment or {},))
        try:
            futures = {pool.submit(simulate_rows, case, grant, reps, tables): i
                       for i, (grant, case, reps) in enumerate(tasks)}
            for task in after_batches:      # the queue is first in, first out: behind every batch
                pool.submit(task)
            for future in as_completed(futures):
                parts[futures[future]] = future.result()
                finished(tasks[futures[future]][2])
        finally:
            # every result is in (or a task failed): the workers exit on their own while the
            # tables are assembled, instead of the run waiting for their interpreters to shut down
            # (a caller's pool is the caller's to shut down)
            if own:
                pool.shutdown(wait=False, cancel_futures=True)
    timings["simulate"] = time.perf_counter() - t0

    t1 = time.perf_counter()
    results = assemble(config, parts, summary=not _outcomes_only)
    timings["summarise"] = time.perf_counter() - t1
    results.timings_s = timings
    return results


def run_outcomes(config: SifsimConfig, *, progress: bool | None = None) -> pd.DataFrame:
    """The per-replication outcomes of :func:`run` (``Results.per_replication``, the same table to
    the bit), without the tables they are not made from: the population, participants and budget
    rows are not collected and the summary is not made (``sifsim explore``: a design point needs
    only these; a study-sized point's assembly ≈ a quarter shorter)."""
    return run(config, progress=progress, _outcomes_only=True).per_replication


def assemble(config: SifsimConfig, parts: list[dict[str, list]], *, summary: bool = True) -> Results:
    """The tables of a run from its batches' raw rows (in replication order), and their summary
    (``summary`` False: none made, an empty frame; :func:`run_outcomes`, whose batches also
    collect no population, participants or budget rows: those tables are then empty)."""
    cases = grants(config)

    def rows(table: str) -> list:
        return [row for part in parts for row in part[table]]

    ledger = pd.DataFrame(rows("ledger"), columns=[*LEDGER_COLUMNS, "grant"])
    ledger = ledger.astype({"replication": "int32", "year": "int16", "amount_sek": "float64",
                            "cash": "bool", "arm": "category", "payer": "category",
                            "category": "category", "grant": "category", "perspective": "category"})
    population = pd.DataFrame(rows("population"), columns=[*POPULATION_COLUMNS, "grant"])
    repayment = pd.DataFrame(rows("repayment"))
    columns = [*REPAYMENT_COLUMNS, "grant"]
    if len(repayment) and len(cases) > 1:
        repayment = pd.concat([repayment, fund_totals(repayment, config.municipality.fund_capital_sek)],
                              ignore_index=True)
    repayment = repayment[columns] if len(repayment) else pd.DataFrame(columns=columns)
    years = with_same_year_comparison(pd.DataFrame(rows("years")), ledger, cases)
    participants = pd.DataFrame(rows("participants"), columns=[*PARTICIPANT_COLUMNS, "grant"])
    budget = pd.DataFrame(rows("budget"), columns=[*BUDGET_COLUMNS, "grant"])
    per_rep = per_replication_metrics(config, ledger, repayment, years)
    return Results(config=config, ledger=ledger, population=population, repayment=repayment,
                   years=years, per_replication=per_rep, summary=summarise(per_rep) if summary else pd.DataFrame(),
                   participants=participants, budget=budget)


def fund_rows(repayment: pd.DataFrame) -> pd.DataFrame:
    """The fund-level repayment rows: the portfolio total, or the single grant's rows."""
    if len(repayment) and (repayment["grant"] == "fund").any():
        return repayment[repayment["grant"] == "fund"]
    return repayment


def repayment_start_year(case: SifsimConfig) -> int:
    """A rule's "start year": the year of the grant's first disbursement (as the fiscal close
    counts it), or the intervention's start year if it disburses nothing."""
    cost_years = sorted(int(y) for y, v in case.intervention.cost_sek_by_year.items() if v > 0)
    return cost_years[0] if cost_years else case.intervention.start_year


def with_same_year_comparison(years: pd.DataFrame, ledger: pd.DataFrame,
                              cases: dict[str, SifsimConfig]) -> pd.DataFrame:
    """years.csv with ``attributable_saving_sek`` (every payer, the year's) and ``project_year``.

    So that every evaluation method is compared over the same years (issue 11 item 6): the naive
    and deadweight-adjusted claims are made over the project years; sum a method's column and
    ``attributable_saving_sek`` over the rows with ``project_year`` (or over any other set of
    years, the same for both).
    """
    if not len(years):
        return years
    by_year = savings_by(ledger, ["replication", "grant", "year"]).rename(
        columns={"saving_sek": "attributable_saving_sek"})
    by_year["grant"] = by_year["grant"].astype(str)
    by_year["year"] = by_year["year"].astype(int)
    out = years.assign(grant=years["grant"].astype(str)).merge(
        by_year, on=["replication", "grant", "year"], how="left")
    out["attributable_saving_sek"] = out["attributable_saving_sek"].fillna(0.0)
    first = out["grant"].map(lambda g: cases[g].intervention.start_year if g in cases else -1)
    last = out["grant"].map(lambda g: cases[g].intervention.end_year if g in cases else -1)
    out["project_year"] = (out["year"] >= first) & (out["year"] <= last)
    return out


def saving_within_years(by_grant_year: pd.DataFrame, years_by_grant: dict[str, tuple[int, float]],
                        reps: pd.Index) -> np.ndarray:
    """Per replication: the attributable saving (all payers) in each grant's years [first, last]."""
    grant = by_grant_year["grant"].astype(str)
    first = grant.map(lambda g: years_by_grant[g][0]).to_numpy(dtype=float)
    last = grant.map(lambda g: years_by_grant[g][1]).to_numpy(dtype=float)
    year = by_grant_year["year"].to_numpy(dtype=float)
    inside = by_grant_year[(year >= first) & (year <= last)]
    return inside["saving_sek"].groupby(inside["replication"]).sum().reindex(reps, fill_value=0.0).to_numpy()


def per_rule_metrics(rule_rows: pd.DataFrame, rule: str, in_window_sek: np.ndarray,
                     reps: pd.Index) -> pd.DataFrame:
    """One rule's repayment outcomes, one row per replication (grouped, not a loop over them).

    ``year_fully_repaid``: the first year after which nothing is owed and all the grant is
    back (cumulative repaid ≥ disbursed − 1 SEK and outstanding ≤ 1 SEK); NaN if never.
    """
    if not len(rule_rows):
        return pd.DataFrame()
    g = rule_rows.sort_values(["replication", "year"], kind="stable")
    by = g.groupby("replication", sort=True)
    disbursed = by["disbursed_sek"].transform("sum")
    done = (disbursed > 0) & (by["repaid_sek"].cumsum() >= disbursed - 1.0) & (g["outstanding_sek"] <= 1.0)
    year_full = g["year"].where(done).groupby(g["replication"]).first().astype(float)
    out = pd.DataFrame({
        "repaid_sek": by["repaid_sek"].sum(),
        "disbursed": by["disbursed_sek"].sum(),
        "year_fully_repaid": year_full,
        "written_off_sek": by["written_off_sek"].sum(),
        "outstanding_end_sek": by["outstanding_sek"].last(),
        "peak_budget_pressure_sek": by["budget_pressure_sek"].max().clip(lower=0.0),
        "peak_budget_pressure_posts": by["budget_pressure_posts"].max().clip(lower=0.0),
    })
    out.index.name = "replication"
    out = out.reset_index()
    disbursed_total = out.pop("disbursed")
    out.insert(0, "rule", rule)
    out.insert(3, "repaid_share", np.where(disbursed_total > 0, out["repaid_sek"] / disbursed_total.where(
        disbursed_total > 0, 1.0), np.nan))
    out["p_full_repayment"] = out["year_fully_repaid"].notna().astype(float)
    out["attributable_saving_in_window_sek"] = in_window_sek[reps.get_indexer(out["replication"])].astype(float)
    return out


def per_replication_metrics(config: SifsimConfig, ledger: pd.DataFrame, repayment: pd.DataFrame,
                            years: pd.DataFrame) -> pd.DataFrame:
    """One row per (rule, replication) with every outcome of :mod:`simulation.core.outcomes`.

    ``attributable_saving_project_years_sek``: within each grant's project years (its start
    year … end year); ``attributable_saving_in_window_sek``: within the rule's repayment window,
    start year + ``first_year_offset`` … start year + ``last_year_offset`` (to the horizon if
    open), the start year being the grant's first disbursement. Both all payers, nominal.
    """
    start = min(c.intervention.start_year for c in grants(config).values())
    rate = config.economy.discount_rate
    by_year_payer = savings_by(ledger, ["replication", "year", "payer"])
    by_year_payer["discount"] = (1.0 + rate) ** -(by_year_payer["year"].astype(float) - start)
    reps = pd.Index(range(config.replications), name="replication")

    def total(frame: pd.DataFrame, values: pd.Series) -> np.ndarray:
        return values.groupby(frame["replication"]).sum().reindex(reps, fill_value=0.0).to_numpy()

    municipal = by_year_payer[~by_year_payer["payer"].isin(MUNICIPAL_EXCLUDED_PAYERS)]
    others = by_year_payer[by_year_payer["payer"].isin(MUNICIPAL_EXCLUDED_PAYERS)]
    base = pd.DataFrame({
        "replication": reps,
        "attributable_saving_sek": total(by_year_payer, by_year_payer["saving_sek"]),
        "attributable_saving_pv_sek": total(by_year_payer, by_year_payer["saving_sek"] * by_year_payer["discount"]),
        "municipal_saving_sek": total(municipal, municipal["saving_sek"]),
        "region_state_saving_sek": total(others, others["saving_sek"]),
    })
    cases = grants(config)
    # the fund's share of the effect, by the inputs it paid (issue 11 item 2; simulation/core/outcomes.py)
    by_grant_category = savings_by(ledger, ["replication", "grant", "category"])
    shares = {g: fund_share_of_inputs(c.intervention.cost_lines) for g, c in cases.items()}
    fund_part = by_grant_category["saving_sek"] * [
        shares[str(g)][str(cat) in EB_EFFECT_CATEGORIES] if str(g) in shares else 1.0
        for g, cat in zip(by_grant_category["grant"], by_grant_category["category"])]
    base["attributable_saving_fund_inputs_sek"] = total(by_grant_category, fund_part)
    attributable = base["attributable_saving_sek"].to_numpy()
    base["fund_share_of_effect"] = np.where(attributable > 0, base["attributable_saving_fund_inputs_sek"]
                                            / np.where(attributable > 0, attributable, 1.0), np.nan)
    by_grant_year = savings_by(ledger, ["replication", "grant", "year"])
    base["attributable_saving_project_years_sek"] = saving_within_years(
        by_grant_year, {g: (c.intervention.start_year, c.intervention.end_year) for g, c in cases.items()}, reps)
    window_by_rule = {}
    for rule, params in config.repayment.rules.items():
        window_by_rule[rule] = saving_within_years(by_grant_year, {
            g: (repayment_start_year(c) + params.first_year_offset,
                float("inf") if params.last_year_offset is None else repayment_start_year(c) + params.last_year_offset)
            for g, c in cases.items()}, reps)
    if len(years):
        y = years.groupby("replication")[["borrower_saving_sek", "borrower_cash_saving_sek",
                                          "naive_claim_total_sek", "disbursed_sek"]].sum().reindex(reps, fill_value=0.0)
        base["borrower_saving_sek"] = y["borrower_saving_sek"].to_numpy()
        base["cash_saving_sek"] = y["borrower_cash_saving_sek"].to_numpy()
        base["naive_claim_sek"] = y["naive_claim_total_sek"].to_numpy()
        base["intervention_cost_sek"] = y["disbursed_sek"].to_numpy()
    base = base.merge(perspective_metrics(ledger, years[years["grant"] != "fund"] if len(years) else years,
                                          start_year=start, discount_rate=rate, replications=reps),
                      on="replication", how="left")
    fund = fund_rows(repayment)
    parts = [per_rule_metrics(fund[fund["rule"] == rule], rule, window_by_rule[rule], reps)
             for rule in config.repayment.rules if len(fund)]
    per_rule = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()
    if per_rule.empty:
        return base.assign(rule="none")
    return per_rule.merge(base, on="replication", how="left")


def monte_carlo_interval(successes: int, trials: int, level: float = 0.8) -> tuple[float, float]:
    """Clopper–Pearson interval for a probability estimated as successes / trials.

    Exact (beta quantiles): with 0 of n the upper bound is 1 − ((1 − level)/2)^(1/n).
    """
    if trials == 0:
        return float("nan"), float("nan")
    # the inverse regularised incomplete beta is beta.ppf (the same bits: both are Boost's
    # ibeta_inv); scipy.special, not scipy.stats, whose import took 1.5 s of the summary (issue 15)
    from scipy.special import betaincinv
    tail = (1.0 - level) / 2.0
    low = 0.0 if successes == 0 else float(betaincinv(successes, trials - successes + 1, tail))
    high = 1.0 if successes == trials else float(betaincinv(successes + 1, trials - successes, 1 - tail))
    return low, high


def summarise(per_rep: pd.DataFrame) -> pd.DataFrame:
    """``rule, metric, mean, p10, p50, p90`` over replications (INTERFACE.md).

    ``year_fully_repaid``: replications that never repay count as later than
    any year, so a quantile falling among them is empty ("never"), and the
    mean is given only when every replication repays.
    ``p_full_repayment``: mean and p50 are the share of replications fully
    repaid; p10 and p90 bound its 80 % Monte Carlo (Clopper–Pearson) interval —
    quantiles of a 0/1 outcome would say nothing.
    """
    out = []
    metrics = [m for m in OUTCOMES if m in per_rep.columns]
    for rule, g in per_rep.groupby("rule", sort=False):
        for metric in metrics:
            values = g[metric].to_numpy(dtype=float)
            if OUTCOMES[metric].unit == "probability":
                done = values[~np.isnan(values)]
                mean = float(done.mean()) if done.size else float("nan")
                low, high = monte_carlo_interval(int(done.sum()), int(done.size))
                q = [low, mean, high]
            elif metric == "year_fully_repaid":
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
