"""Validate a whole sifsim configuration before any simulation starts.

Each problem is one line naming the key, the value and what is allowed; all
problems are collected and reported together (STYLE item 9).
"""

from __future__ import annotations

import dataclasses
import difflib
import math
from typing import Any

from scenarios import schema
from scenarios.vocabulary import (ADULT_OUTCOMES, COMPOSITIONS, EXIT_ROUTES, PROTECTIVE_FACTORS, RISK_FACTORS,
                                  UNITS)


class ConfigError(ValueError):
    """Raised with every problem found in a configuration, one per line."""

    def __init__(self, problems: list[str]):
        self.problems = list(problems)
        super().__init__("invalid configuration:\n" + "\n".join(f"  - {p}" for p in problems))


def _describe_range(meta: dict[str, Any]) -> str:
    lo, hi = meta.get("lo"), meta.get("hi")
    if lo is not None and hi is not None:
        return f"a number in [{lo}, {hi}{')' if meta.get('hi_open') else ']'}"
    if lo is not None:
        return f"a number >= {lo}"
    return f"a number <= {hi}"


def _check_value(key: str, value: Any, meta: dict[str, Any], problems: list[str]) -> None:
    choices = meta.get("choices")
    if choices is not None:
        if value not in choices:
            problems.append(f"{key}={value!r}: allowed values are {', '.join(choices)}")
        return
    lo, hi = meta.get("lo"), meta.get("hi")
    if value is None or (lo is None and hi is None):
        return
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        problems.append(f"{key}={value!r}: expected {_describe_range(meta)}")
        return
    if isinstance(value, float) and math.isnan(value):
        problems.append(f"{key}=nan: expected {_describe_range(meta)}")
        return
    too_low = lo is not None and value < lo
    too_high = hi is not None and (value >= hi if meta.get("hi_open") else value > hi)
    if too_low or too_high:
        problems.append(f"{key}={value!r}: expected {_describe_range(meta)}")


def _unknown_keys(obj: Any, prefix: str, problems: list[str]) -> None:
    """Keys the schema does not declare.

    Hydra accepts ``+typo=1`` (and ``++typo=1``) even on a structured root:
    ``+`` opens the node for the addition, and ``OmegaConf.to_object`` then
    sets the extra key as a plain attribute on the dataclass. Plain ``typo=1``
    is refused by Hydra itself; this catches the ``+`` form.
    """
    known = [fld.name for fld in dataclasses.fields(obj)]
    for name, value in vars(obj).items():
        if name in known:
            continue
        where = f"'{prefix[:-1]}'" if prefix else "the top level"
        near = difflib.get_close_matches(name, known, n=1)
        hint = f"did you mean {prefix}{near[0]}? " if near else ""
        problems.append(f"{prefix}{name}={value!r}: unknown key (added with +?); {hint}"
                        f"allowed keys at {where}: {', '.join(known)}")


def _walk(obj: Any, prefix: str, problems: list[str]) -> None:
    """Check every field's declared range, recursing into nested configs."""
    _unknown_keys(obj, prefix, problems)
    for fld in dataclasses.fields(obj):
        value = getattr(obj, fld.name)
        key = f"{prefix}{fld.name}"
        if dataclasses.is_dataclass(value):
            _walk(value, key + ".", problems)
        elif isinstance(value, dict):
            for k, v in value.items():
                if dataclasses.is_dataclass(v):
                    _walk(v, f"{key}.{k}.", problems)
                elif fld.metadata:
                    _check_value(f"{key}.{k}", v, fld.metadata, problems)
        elif isinstance(value, list):
            for i, v in enumerate(value):
                if dataclasses.is_dataclass(v):
                    _walk(v, f"{key}[{i}].", problems)
                elif fld.metadata:
                    _check_value(f"{key}[{i}]", v, fld.metadata, problems)
        elif fld.metadata:
            _check_value(key, value, fld.metadata, problems)


def _check_shares(key: str, shares: dict[str, float], allowed: tuple[str, ...],
                  problems: list[str], *, must_sum_to_one: bool, complete: bool = False) -> None:
    for name, v in shares.items():
        if name not in allowed:
            problems.append(f"{key}.{name}: unknown name; allowed are {', '.join(allowed)}")
        elif not (isinstance(v, (int, float)) and 0.0 <= v <= 1.0):
            problems.append(f"{key}.{name}={v!r}: expected a probability in [0, 1]")
    if complete:
        missing = [a for a in allowed if a not in shares]
        if missing:
            problems.append(f"{key}: missing {', '.join(missing)}; every one of {', '.join(allowed)} is needed")
    if must_sum_to_one and shares:
        total = sum(float(v) for v in shares.values())
        if abs(total - 1.0) > 1e-6:
            problems.append(f"{key}: shares sum to {total:.4f}; they must sum to 1")


def _check_intervention(itv: schema.InterventionConfig, key: str, pop: schema.PopulationConfig,
                        committees: set[str], problems: list[str]) -> None:
    """Dates, eligibility, costs and borrower of one intervention (or portfolio item)."""
    start = (itv.start_year, itv.start_month)
    end = (itv.end_year, itv.end_month)
    if end < start:
        problems.append(f"{key}.end_year/end_month={itv.end_year}-{itv.end_month:02d}: "
                        f"the end is before the start {itv.start_year}-{itv.start_month:02d}; "
                        "allowed: an end on or after the start")
    op = itv.ordinary_practice
    if op.enabled and (op.start_year, op.start_month) < start:
        problems.append(f"{key}.ordinary_practice.start_year/start_month={op.start_year}-{op.start_month:02d}: "
                        f"before the intervention's start {itv.start_year}-{itv.start_month:02d}; "
                        "allowed: a date on or after the start (or enabled=false)")
    for c in itv.eligible_compositions:
        if c not in COMPOSITIONS:
            problems.append(f"{key}.eligible_compositions: {c!r} is unknown; "
                            f"allowed are {', '.join(COMPOSITIONS)}")
    for year, amount in itv.cost_sek_by_year.items():
        if not str(year).isdigit():
            problems.append(f"{key}.cost_sek_by_year.{year}: keys must be calendar years")
        if amount < 0:
            problems.append(f"{key}.cost_sek_by_year.{year}={amount!r}: expected a cost >= 0")
    for name, mech in itv.protective.items():
        if mech.child_age_max_years < mech.child_age_min_years:
            problems.append(f"{key}.protective.{name}.child_age_max_years="
                            f"{mech.child_age_max_years}: must be >= child_age_min_years "
                            f"({mech.child_age_min_years})")
    if itv.participants_households > pop.households:
        problems.append(f"{key}.participants_households={itv.participants_households}: "
                        f"more than population.households={pop.households}; allowed: at most that")
    if itv.name != "none" and itv.borrower not in committees:
        problems.append(f"{key}.borrower={itv.borrower!r}: not a committee of the municipality; "
                        f"allowed are {', '.join(sorted(committees))}")


def collect_problems(cfg: schema.SifsimConfig) -> list[str]:
    """Every problem in ``cfg``, one message each; empty when the config is valid."""
    problems: list[str] = []
    _walk(cfg, "", problems)
    pop, eco, itv, mun = cfg.population, cfg.economy, cfg.intervention, cfg.municipality

    _check_shares("population.composition_shares", pop.composition_shares, COMPOSITIONS,
                  problems, must_sum_to_one=True)
    _check_shares("population.exit_route_shares", pop.exit_route_shares, EXIT_ROUTES,
                  problems, must_sum_to_one=True)
    _check_shares("population.reentry_within_12_months_by_route",
                  pop.reentry_within_12_months_by_route, EXIT_ROUTES, problems,
                  must_sum_to_one=False, complete=True)
    for name, v in pop.exit_hazard_multiplier_by_composition.items():
        if name not in COMPOSITIONS:
            problems.append(f"population.exit_hazard_multiplier_by_composition.{name}: unknown "
                            f"composition; allowed are {', '.join(COMPOSITIONS)}")
        elif v < 0:
            problems.append(f"population.exit_hazard_multiplier_by_composition.{name}={v!r}: "
                            "expected a number >= 0")
    _check_shares("population.risk_factor_prevalence_at_entry", pop.risk_factor_prevalence_at_entry,
                  RISK_FACTORS, problems, must_sum_to_one=False, complete=True)
    _check_shares("population.protective_factor_prevalence_at_entry",
                  pop.protective_factor_prevalence_at_entry, PROTECTIVE_FACTORS, problems,
                  must_sum_to_one=False, complete=True)
    _check_shares("population.adult_outcome_base_probability", pop.adult_outcome_base_probability,
                  ADULT_OUTCOMES, problems,
                  must_sum_to_one=False, complete=True)
    for name, cost in eco.adult_outcomes.items():
        total = cost.municipality_share + cost.region_share + cost.state_share
        if abs(total - 1.0) > 1e-6:
            problems.append(f"economy.adult_outcomes.{name}: payer shares sum to {total:.4f}; "
                            "municipality_share + region_share + state_share must be 1")
    for name, v in eco.cash_share_by_category.items():
        if not 0.0 <= v <= 1.0:
            problems.append(f"economy.cash_share_by_category.{name}={v!r}: expected a share in [0, 1]")
    if len(eco.riksnorm_shared_sek_per_month_by_size) < 1:
        problems.append("economy.riksnorm_shared_sek_per_month_by_size: needs at least one amount")

    # municipality
    names = [u.name for u in mun.units]
    for u in UNITS:
        if u not in names:
            problems.append(f"municipality.units: unit {u!r} is missing; every one of "
                            f"{', '.join(UNITS)} is needed")
    dupes = sorted({n for n in names if names.count(n) > 1})
    if dupes:
        problems.append(f"municipality.units: {', '.join(dupes)} listed more than once")
    for i, r in enumerate(mun.reorganisations):
        if not r.to_body.strip():
            problems.append(f"municipality.reorganisations[{i}].to_body='': name the body that takes over")
    committees = {u.committee for u in mun.units}
    _check_intervention(itv, "intervention", pop, committees, problems)
    for name, item in cfg.portfolio.items():
        _check_intervention(item, f"portfolio.{name}", pop, committees, problems)

    # repayment rules
    for name, rule in cfg.repayment.rules.items():
        key = f"repayment.rules.{name}"
        if rule.last_year_offset is not None and rule.last_year_offset < rule.first_year_offset:
            problems.append(f"{key}.last_year_offset={rule.last_year_offset}: before "
                            f"first_year_offset={rule.first_year_offset}; allowed: >= it")
        if rule.amount_basis == "none" and rule.trigger != "none":
            problems.append(f"{key}.trigger={rule.trigger!r}: a rule with amount_basis='none' "
                            "repays nothing; use trigger='none'")
    if not cfg.repayment.rules:
        problems.append("repayment.rules: empty; choose a preset: repayment=budget_model, "
                        "malmo_2012, sodertalje_2015, stockholm_2016, norrkoping_2010 or all")
    return problems


def validate(cfg: schema.SifsimConfig) -> None:
    """Raise :class:`ConfigError` listing every problem, or return quietly."""
    problems = collect_problems(cfg)
    if problems:
        raise ConfigError(problems)
