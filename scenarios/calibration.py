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
)
