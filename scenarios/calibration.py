"""Calibration targets of the baseline (docs/sources.md), as data with tolerances."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Target:
    name: str
    value: float
    low: float           # accepted range (the tolerance the README states)
    high: float
    source: str


TARGETS = (
    Target("long_term_share_of_stock", 0.45, 0.38, 0.50,
           "pub: Socialstyrelsen/SKL 2015–16: 0.40 national, 0.455 Malmö (≥10 months in the year)"),
    Target("months_on_eb_per_household_year", 6.8, 6.3, 7.4,
           "pub: Socialstyrelsen: 6.5 national, 7.2 Stockholm"),
    Target("entrants_on_eb_after_5_years", 0.08, 0.05, 0.12,
           "pub: Mood 2012 (duration dependence)"),
    Target("placements_per_child_year", 0.015, 0.01, 0.02,
           "derived: 0.01–0.02/year in long-term EB families (Franzén, Vinnerljung & Hjern 2008)"),
    Target("eligible_family_exits_per_year", 0.08, 0.02, 0.15,
           "assumption anchored on Innerstaden's control group (≈1 self-sufficient household a year, seed "
           "004): the parameter table's §1 row, baseline exit of target families (children, ≥ 24 months on "
           "EB), EB exits per household-year on EB"),
)


@dataclass(frozen=True)
class ProjectTarget:
    """A participant statistic of one project's run against the seeds (issue 11 item 3).

    ``statistic`` is computed from ``participants.csv`` over the project's years, median over
    replications: ``exits_work_per_year`` (participant households leaving EB to work, a year) or
    ``exits_total`` (all routes, the project's years together).
    """

    name: str
    intervention: str
    population: str
    arm: str
    statistic: str
    value: float
    low: float
    high: float
    source: str


PROJECT_TARGETS = (
    ProjectTarget("innerstaden_project_exits_to_work_per_year", "hela_familjen_innerstaden",
                  "malmo_innerstaden", "intervention", "exits_work_per_year", 15.0, 11.0, 17.0,
                  "seeds 000, 004: ≈15 self-sufficient households a year (38 in 2013–15 ≈ 12.7); fitted"),
    ProjectTarget("innerstaden_control_exits_to_work_per_year", "hela_familjen_innerstaden",
                  "malmo_innerstaden", "control", "exits_work_per_year", 1.0, 0.0, 2.5,
                  "seed 004: ≈1 a year in the control group, read as a group of the project's size (the "
                  "model's control arm: the same places, filled by the same rule, without the method); "
                  "≈3 in 2013–15, whose exact 90 % Poisson interval is 0.82–7.75, 0.27–2.58 a year: "
                  "accepted 0–2.5; set by the families' exit floor (§1 row, ≈0.08 a year)"),
    ProjectTarget("oster_project_exits_2014_2017", "hela_familjen_oster", "malmo_oster",
                  "intervention", "exits_total", 41.0, 0.0, 41.0,
                  "seed 004: 41 exits from a group that grew, no control group: an upper bound"),
)
