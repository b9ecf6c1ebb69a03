"""Validate a whole sifsim configuration before any simulation starts.

Each problem is one line naming the key, the value and what is allowed; all
problems are collected and reported together (STYLE item 9).
"""

from __future__ import annotations

import dataclasses
import difflib
import math
import re
from collections.abc import Sequence
from typing import Any

from scenarios import schema
from scenarios.vocabulary import (BUDGET_RULES, ADULT_OUTCOMES, COMPOSITIONS, EXIT_ROUTES, PROTECTIVE_FACTORS, RETIRED_KEYS, RISK_FACTORS,
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


def _is_nonfinite(value: Any) -> bool:
    return isinstance(value, float) and not math.isfinite(value)


def _nonfinite(key: str, value: float) -> str:
    return f"{key}={value!r}: not a finite number; allowed: a finite number (no nan, inf or 1e309)"


def _check_value(key: str, value: Any, meta: dict[str, Any], problems: list[str]) -> None:
    if _is_nonfinite(value):
        problems.append(_nonfinite(key, value))
        return
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
        if f"{prefix}{name}" in RETIRED_KEYS:
            problems.append(f"{prefix}{name}={value!r}: {RETIRED_KEYS[prefix + name]}")
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
                elif fld.metadata or _is_nonfinite(v):
                    _check_value(f"{key}.{k}", v, fld.metadata or {}, problems)
        elif isinstance(value, list):
            for i, v in enumerate(value):
                if dataclasses.is_dataclass(v):
                    _walk(v, f"{key}[{i}].", problems)
                elif fld.metadata or _is_nonfinite(v):
                    _check_value(f"{key}[{i}]", v, fld.metadata or {}, problems)
        elif fld.metadata or _is_nonfinite(value):
            _check_value(key, value, fld.metadata or {}, problems)


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


#: a unit's or committee's name: it is a payer in the ledger and a column value in budget.csv
NAME = re.compile(r"^[a-z][a-z0-9_]*$")


def _check_organisation(mun: schema.MunicipalityConfig, problems: list[str]) -> set[str]:
    """Units and committees of the municipality; returns the committee names."""
    committees = [c.name for c in mun.committees]
    for i, c in enumerate(mun.committees):
        if not NAME.match(c.name):
            problems.append(f"municipality.committees[{i}].name={c.name!r}: not a name; allowed: lower-case "
                            "letters, digits and _ starting with a letter (e.g. arbetsmarknadsnamnd)")
        if not c.label.strip():
            problems.append(f"municipality.committees[{i}].label='': give the name shown in the report "
                            "(e.g. arbetsmarknadsnämnden)")
    dupes = sorted({n for n in committees if committees.count(n) > 1})
    if dupes:
        problems.append(f"municipality.committees: {', '.join(dupes)} listed more than once")
    if not committees:
        problems.append("municipality.committees: empty; list the committees that hold the units' budgets")
    names = [u.name for u in mun.units]
    for u in UNITS:
        if u not in names:
            problems.append(f"municipality.units: unit {u!r} is missing; every one of "
                            f"{', '.join(UNITS)} is needed (others may be added)")
    dupes = sorted({n for n in names if names.count(n) > 1})
    if dupes:
        problems.append(f"municipality.units: {', '.join(dupes)} listed more than once")
    for i, u in enumerate(mun.units):
        if not NAME.match(u.name):
            problems.append(f"municipality.units[{i}].name={u.name!r}: not a name; allowed: lower-case "
                            "letters, digits and _ starting with a letter (e.g. jobbcenter)")
        if u.budget_rule is not None and u.budget_rule not in BUDGET_RULES:
            problems.append(f"municipality.units[{i}].budget_rule={u.budget_rule!r}: allowed values are "
                            f"{', '.join(BUDGET_RULES)} (or leave it out: the unit follows municipality.budget.rule)")
        if u.committee not in committees:
            problems.append(f"municipality.units[{i}].committee={u.committee!r}: not a committee of the "
                            f"municipality; allowed: {', '.join(committees)} (or add it to "
                            "municipality.committees)")
    for i, r in enumerate(mun.reorganisations):
        if r.unit not in names:
            problems.append(f"municipality.reorganisations[{i}].unit={r.unit!r}: not a unit of the "
                            f"municipality; allowed: {', '.join(names)}")
        if not r.to_body.strip():
            problems.append(f"municipality.reorganisations[{i}].to_body='': name the body that takes over")
    return set(committees)


def _check_intervention(itv: schema.InterventionConfig, key: str, pop: schema.PopulationConfig,
                        committees: set[str], problems: list[str], units: Sequence[str] = UNITS) -> None:
    """Dates, eligibility, costs, cost lines and borrower of one intervention (or portfolio item)."""
    for i, line in enumerate(itv.cost_lines or []):
        if line.unit not in units:
            problems.append(f"{key}.cost_lines[{i}].unit={line.unit!r}: not a unit of the municipality; "
                            f"allowed: {', '.join(units)} (or add it to municipality.units)")
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
        if amount < 0 and math.isfinite(amount):
            problems.append(f"{key}.cost_sek_by_year.{year}={amount!r}: expected a cost >= 0")
    lines = itv.cost_lines or []
    if lines and not any(line.payer == "fund" and line.weight_sek > 0 for line in lines):
        problems.append(f"{key}.cost_lines: no line with payer='fund' and weight_sek > 0, so the fund's "
                        "grant (cost_sek_by_year) pays for nothing and other payers' lines have no scale; "
                        "allowed: at least one fund line")
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
                        f"allowed are {', '.join(sorted(committees))} (municipality.committees)")


def collect_problems(cfg: schema.SifsimConfig) -> list[str]:
    """Every problem in ``cfg``, one message each; empty when the config is valid.

    A non-finite value is reported once (not again by the checks that use it);
    The simulated window (:func:`window_problems`) and the size of a run
    (:func:`simulation.app.resources.collect_run_problems`) are checked by what ``sifsim`` runs, not here: a library caller may
    simulate a short part of a project on purpose.
    """
    problems = _value_problems(cfg)
    bad = [p.split("=", 1)[0] for p in problems if ": not a finite number" in p]
    if bad:
        problems = [p for p in problems if ": not a finite number" in p
                    or not any(_key_of(p) == b or b.startswith(_key_of(p) + ".") for b in bad)]
    return problems


def _key_of(problem: str) -> str:
    end = min((i for i in (problem.find("="), problem.find(":")) if i >= 0), default=len(problem))
    return problem[:end]


# --- the simulated window ----------------------------------------------------------------

def _simulated(cfg: schema.SifsimConfig) -> dict[str, schema.InterventionConfig]:
    """The interventions that are simulated (key -> config): the portfolio's grants, or the single one."""
    if cfg.portfolio:
        return {f"portfolio.{name}": itv for name, itv in cfg.portfolio.items()}
    return {"intervention": cfg.intervention}


def _window(cfg: schema.SifsimConfig, itv: schema.InterventionConfig) -> tuple[int, int]:
    """(first, one past the last) simulated month as year*12 + month-1 (simulation.core.calendar)."""
    years = cfg.horizon_years + (1 if itv.start_month > 1 else 0)
    first = itv.start_year * 12
    return first, first + 12 * years


def _ym(m: int) -> str:
    return f"{m // 12}-{m % 12 + 1:02d}"


def window_problems(cfg: schema.SifsimConfig) -> list[str]:
    """Every dated item inside the simulated window [start, start + horizon), or one message naming it."""
    problems: list[str] = []
    hi_horizon = 80
    for key, itv in _simulated(cfg).items():
        first, stop = _window(cfg, itv)
        if itv.name == "none":
            continue
        span = f"the simulated window {_ym(first)} to {_ym(stop - 1)} (start_year {itv.start_year}, " \
               f"horizon_years={cfg.horizon_years})"
        project_end = itv.end_year * 12 + itv.end_month - 1
        fits = project_end + itv.delay_months < stop   # else the horizon message says it all
        for year in itv.cost_sek_by_year:
            if not str(year).isdigit():
                continue
            y = int(year)
            if y < itv.start_year:
                problems.append(f"{key}.cost_sek_by_year.{year}: a cost year before {key}.start_year="
                                f"{itv.start_year} (it would shift every repayment year offset); "
                                f"allowed: years {itv.start_year} to {(stop - 1) // 12}, or move start_year")
            elif y * 12 >= stop and fits:
                problems.append(f"{key}.cost_sek_by_year.{year}: after the end of {span}; "
                                f"allowed: years {itv.start_year} to {(stop - 1) // 12}, or a longer horizon_years")
        if not fits:
            need = (project_end + itv.delay_months) // 12 - itv.start_year + 1
            if itv.delay_months and project_end < stop:
                problems.append(f"{key}.delay_months={itv.delay_months}: moves the project end "
                                f"{_ym(project_end)} to {_ym(project_end + itv.delay_months)}, after {span}; "
                                f"allowed: at most {stop - 1 - project_end}, or a longer horizon_years")
            elif need > hi_horizon:
                problems.append(f"{key}.end_year={itv.end_year}: the project ends after {span}, and no "
                                f"allowed horizon_years (at most {hi_horizon}) reaches it; allowed: an end "
                                f"before {_ym(first + 12 * hi_horizon)}")
            else:
                problems.append(f"horizon_years={cfg.horizon_years}: shorter than the project {key} "
                                f"({_ym(itv.start_year * 12 + itv.start_month - 1)} to "
                                f"{_ym(project_end + itv.delay_months)} with delay_months="
                                f"{itv.delay_months}); allowed: horizon_years >= {need}")
        for i, shock in enumerate(itv.implementation_shocks):
            m = shock.year * 12 + shock.month - 1
            if not first <= m < stop:
                problems.append(f"{key}.implementation_shocks[{i}].year={shock.year}: "
                                f"{shock.year}-{shock.month:02d} is outside {span}; allowed: a date inside it")
    # a preset's reorganisation after a short horizon is a fact left outside the window; one
    # that no allowed horizon reaches (2150) is a mistake
    last = max(itv.start_year for itv in _simulated(cfg).values()) * 12 + 12 * (hi_horizon + 1)
    for i, r in enumerate(cfg.municipality.reorganisations):
        m = r.year * 12 + r.month - 1
        if m >= last:
            problems.append(f"municipality.reorganisations[{i}].year={r.year}: {r.year}-{r.month:02d} is "
                            f"after any simulated window (start + horizon_years <= {hi_horizon}); allowed: "
                            f"a date before {_ym(last)} (one before the start is the state at the start)")
    return problems


def _age_range_problem(key: str, value, lo: int, hi: int, what: str) -> str | None:
    """A [first, last] range of whole years within [lo, hi], first <= last; or the message saying why not."""
    if not isinstance(value, (list, tuple)) or len(value) != 2 or \
            not all(isinstance(v, int) and not isinstance(v, bool) for v in value):
        return f"{key}={value!r}: expected [first, last], two whole years ({what}); allowed: {lo}–{hi}"
    first, last = value
    if not lo <= first <= last <= hi:
        return (f"{key}={list(value)!r}: expected {lo} <= first <= last <= {hi} ({what}); "
                f"allowed: whole years {lo}–{hi}, first <= last")
    return None


def _check_life_course(pop: schema.PopulationConfig, problems: list[str]) -> None:
    """Adults' ages, pension age, leaving home, the adult-outcome ages (issue 11 item 5)."""
    ages = pop.adult_age_years_at_entry_by_composition
    key = "population.adult_age_years_at_entry_by_composition"
    for name in ages:
        if name not in COMPOSITIONS:
            problems.append(f"{key}.{name}: unknown composition; allowed are {', '.join(COMPOSITIONS)}")
    valid = {}
    for name in COMPOSITIONS:
        if name not in ages:
            problems.append(f"{key}.{name}: missing; give [first, last] age in years for every composition "
                            f"({', '.join(COMPOSITIONS)})")
            continue
        problem = _age_range_problem(f"{key}.{name}", ages[name], 18, 99, "adult ages at entry")
        if problem:
            problems.append(problem)
        else:
            valid[name] = ages[name]
    # an adult comes onto EB before pension age (from it, the state's old-age support pays)
    oldest = max(valid.items(), key=lambda item: item[1][1], default=None)
    if oldest and 19 <= pop.pension_age_years <= 100 and pop.pension_age_years <= oldest[1][1]:
        problems.append(f"population.pension_age_years={pop.pension_age_years}: at or below the oldest "
                        f"entry age ({oldest[1][1]}, {key}.{oldest[0]}); allowed: above every "
                        "composition's last entry age")
    for field_name, lo, hi, what in (
            ("child_leave_home_age_years", 18, 30, "ages at which children leave home"),
            ("adult_outcome_onset_age_years", 18, 64, "ages over which adult outcomes can start"),
            ("adult_outcome_conduct_history_age_years", 0, 17,
             "childhood ages whose months with conduct problems are counted")):
        problem = _age_range_problem(f"population.{field_name}", getattr(pop, field_name), lo, hi, what)
        if problem:
            problems.append(problem)


def _value_problems(cfg: schema.SifsimConfig) -> list[str]:
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
    if 0.0 <= pop.eb_exit_hazard_per_month <= 1.0 and \
            pop.eb_exit_hazard_per_month < pop.eb_exit_hazard_floor_per_month <= 1.0:
        problems.append(f"population.eb_exit_hazard_floor_per_month={pop.eb_exit_hazard_floor_per_month!r}: "
                        f"above population.eb_exit_hazard_per_month={pop.eb_exit_hazard_per_month!r}, the "
                        "hazard at the start of a spell, which includes the floor; allowed: a floor <= it")
    floor_key = "population.eb_exit_hazard_floor_multiplier_by_composition"
    for name in COMPOSITIONS:
        v = pop.eb_exit_hazard_floor_multiplier_by_composition.get(name)
        if v is None:
            problems.append(f"{floor_key}.{name}: missing; give a multiplier >= 0 for every composition "
                            f"({', '.join(COMPOSITIONS)})")
        elif _is_nonfinite(v) or v < 0:
            problems.append(f"{floor_key}.{name}={v!r}: expected a number >= 0")
        elif 0.0 <= pop.eb_exit_hazard_floor_per_month <= pop.eb_exit_hazard_per_month <= 1.0 and \
                pop.eb_exit_hazard_floor_per_month * v > pop.eb_exit_hazard_per_month:
            # (a floor above h(0) at multiplier 1 is named once, by the check above)
            problems.append(f"{floor_key}.{name}={v!r}: × population.eb_exit_hazard_floor_per_month="
                            f"{pop.eb_exit_hazard_floor_per_month!r} gives a floor of "
                            f"{pop.eb_exit_hazard_floor_per_month * v:.6g} per month, above "
                            f"population.eb_exit_hazard_per_month={pop.eb_exit_hazard_per_month!r}, the hazard "
                            "at the start of a spell, which includes the floor; allowed: floor × multiplier <= it")
    for name in pop.eb_exit_hazard_floor_multiplier_by_composition:
        if name not in COMPOSITIONS:
            problems.append(f"{floor_key}.{name}: unknown composition; allowed are {', '.join(COMPOSITIONS)}")
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
    _check_life_course(pop, problems)
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

    # municipality: its units and committees are data (a jobbcenter, an arbetsmarknadsnamnd);
    # the units the model books by name (UNITS) must be among them
    committees = _check_organisation(mun, problems)
    unit_names = [u.name for u in mun.units]
    for i, r in enumerate(mun.reorganisations):
        if not r.to_body.strip():
            problems.append(f"municipality.reorganisations[{i}].to_body='': name the body that takes over")
    for unit, years in (mun.budget.plan_frame_sek_by_unit_year or {}).items():
        key = f"municipality.budget.plan_frame_sek_by_unit_year.{unit}"
        if unit not in unit_names:
            problems.append(f"{key}: unknown unit {unit!r}; allowed: {', '.join(unit_names)}")
        for year, sek in (years or {}).items():
            if not str(year).isdigit() or not 1990 <= int(year) <= 2200:
                problems.append(f"{key}.{year}: not a year; allowed: a year 1990–2200")
            elif _is_nonfinite(sek) or sek < 0:
                problems.append(f"{key}.{year}={sek!r}: expected a frame in SEK >= 0")
    for i, shock in enumerate(pop.inflow_shocks or []):
        if shock.last_year < shock.first_year:
            problems.append(f"population.inflow_shocks[{i}].last_year={shock.last_year}: before "
                            f"first_year={shock.first_year}; allowed: >= it")
    _check_intervention(itv, "intervention", pop, committees, problems, unit_names)
    for name, item in cfg.portfolio.items():
        _check_intervention(item, f"portfolio.{name}", pop, committees, problems, unit_names)

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
