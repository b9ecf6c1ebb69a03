"""The model's calendar: month 0 is January of the intervention's start year."""

from __future__ import annotations

from dataclasses import dataclass

from scenarios.schema import SifsimConfig

MONTHS_PER_YEAR = 12


@dataclass(frozen=True)
class Calendar:
    """Month indices of the simulated window and of the intervention's project months.

    ``t_start``/``t_end`` are the first and last project month (the configured
    start and end, both shifted by ``delay_months``). Budgets close per
    calendar year, so a project starting mid-year adds one simulated year.
    """

    start_year: int
    n_years: int
    t_start: int
    t_end: int

    @classmethod
    def from_config(cls, config: SifsimConfig) -> "Calendar":
        itv = config.intervention
        delay = itv.delay_months
        return cls(start_year=itv.start_year,
                   n_years=config.horizon_years + (1 if itv.start_month > 1 else 0),
                   t_start=(itv.start_month - 1) + delay,
                   t_end=(itv.end_year - itv.start_year) * MONTHS_PER_YEAR + itv.end_month - 1 + delay)

    @property
    def n_months(self) -> int:
        return MONTHS_PER_YEAR * self.n_years

    def month_index(self, year: int, month: int) -> int:
        """Month index of (year, month 1–12)."""
        return (year - self.start_year) * MONTHS_PER_YEAR + month - 1

    def year(self, t: int) -> int:
        """Calendar year of month index ``t``."""
        return self.start_year + t // MONTHS_PER_YEAR

    def months_of_year(self, year_index: int) -> range:
        return range(MONTHS_PER_YEAR * year_index, MONTHS_PER_YEAR * (year_index + 1))
