"""Numbers as a reader sees them: thousands separators, decimal commas and units by language."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Callable, Sequence

import numpy as np
from matplotlib.ticker import Formatter

from simulation.present.labels import text


def is_missing(x: Any) -> bool:
    return x is None or (isinstance(x, float) and math.isnan(x))


def fmt_number(x: float, language: str, decimals: int = 0) -> str:
    """1234.5 -> "1,234.5" (en) or "1 234,5" (sv), with a true minus sign."""
    if is_missing(x):
        return "—"
    s = f"{abs(x):,.{decimals}f}"
    if language == "sv":
        s = s.replace(",", "\u00a0").replace(".", ",")
    if round(x, decimals) < 0:
        s = "−" + s
    return s


def fmt_percent(share: float, language: str, decimals: int = 0) -> str:
    """0.125 -> "12 %" (sv) or "12%" (en)."""
    if is_missing(share):
        return "—"
    return fmt_number(100 * share, language, decimals) + ("\u00a0%" if language == "sv" else "%")


def as_number(value: Any) -> float | None:
    """``value`` as a float if it is one ("0.5" counts), else None."""
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def fmt_level(value: Any, language: str) -> str:
    """A swept or configured value: integers without decimals, others with the digits they need."""
    x = as_number(value)
    if x is None:
        return str(value)
    if float(x).is_integer():
        return fmt_number(x, language, 0)
    decimals = max(1, min(4, -int(math.floor(math.log10(abs(x)))) + 1)) if x else 1
    return fmt_number(x, language, decimals).rstrip("0").rstrip(",.") if decimals > 1 else fmt_number(x, language, decimals)


# --- money on chart axes ----------------------------------------------------------------------

@dataclass(frozen=True)
class Money:
    """How SEK are shown on an axis: divide by ``divisor`` and call the result ``unit``."""

    divisor: float
    unit: str

    def label(self, language: str, price_year: int | None) -> str:
        if price_year is None:
            return text(language, "charts.money_axis_noyear", unit=self.unit)
        return text(language, "charts.money_axis", unit=self.unit, year=price_year)

    def text(self, sek: float, language: str, decimals: int | None = None) -> str:
        value = sek / self.divisor
        if decimals is None:
            decimals = 1 if abs(value) < 100 else 0
        return f"{fmt_number(value, language, decimals)}\u00a0{self.unit}"

    def formatter(self, language: str) -> "MoneyFormatter":
        return MoneyFormatter(self.divisor, language)


def tick_decimals(locs: np.ndarray, most: int = 3) -> int:
    """The fewest decimals that show every tick exactly (−0,25 not "−0,2"), at most ``most``."""
    locs = np.asarray(locs, dtype=float)
    locs = locs[np.isfinite(locs)]
    for decimals in range(most + 1):
        if np.allclose(locs, np.round(locs, decimals), rtol=0, atol=1e-9 * max(1.0, float(np.abs(locs).max(initial=0)))):
            return decimals
    return most


class MoneyFormatter(Formatter):
    """Tick labels in the chosen unit, with as many decimals as the tick step needs (all alike)."""

    def __init__(self, divisor: float, language: str):
        self.divisor, self.language = divisor, language
        self.ticks = np.array([], dtype=float)
        self.decimals = tick_decimals(self.ticks)

    def set_locs(self, locs):
        super().set_locs(locs)
        self.ticks = np.asarray(locs, dtype=float)  # our own copy: Formatter.locs is deprecated (3.11)
        # the ticks' decimals once per set of ticks, not once per label (issue 15: 3 264 calls of
        # tick_decimals over a run's charts); the ticks change only here
        self.decimals = tick_decimals(self.ticks / self.divisor)

    def __call__(self, x, pos=None):
        return fmt_number(x / self.divisor, self.language, self.decimals)


class CountFormatter(MoneyFormatter):
    """Counts (households, children, posts) with a thousands separator and the step's decimals."""

    def __init__(self, language: str):
        super().__init__(1.0, language)


def money_scale(values: Sequence[float] | np.ndarray, language: str) -> Money:
    """mkr/MSEK when the largest magnitude is at least 1 MSEK, else tkr/kSEK."""
    arr = np.asarray(values, dtype=float)
    arr = arr[np.isfinite(arr)]
    biggest = float(np.abs(arr).max()) if arr.size else 0.0
    if biggest >= 1e6:
        return Money(1e6, text(language, "charts.money_unit_M"))
    return Money(1e3, text(language, "charts.money_unit_k"))


# --- money in report tables (always mkr/MSEK) -------------------------------------------------------

def msek_unit(language: str) -> str:
    return text(language, "charts.money_unit_M")


def msek_number(sek: float, language: str, decimals: int | None = None) -> str:
    """SEK in millions without the unit: two decimals under 1 MSEK, one above; 0 as "0"."""
    if is_missing(sek):
        return "—"
    if decimals is None:
        decimals = 2 if abs(sek) < 1e6 else 1
    if round(sek / 1e6, decimals) == 0:
        return "0"
    return fmt_number(sek / 1e6, language, decimals)


def msek(sek: float, language: str) -> str:
    """SEK as mkr/MSEK with the unit."""
    return "—" if is_missing(sek) else f"{msek_number(sek, language)}\u00a0{msek_unit(language)}"


def band(p10: float, p50: float, p90: float, fmt: Callable[[float], str]) -> str:
    """"median [P10 … P90]", or just the median when the three agree."""
    lo, mid, hi = fmt(p10), fmt(p50), fmt(p90)
    return mid if lo == mid == hi else f"{mid} [{lo} … {hi}]"


def money_band(p10: float, p50: float, p90: float, language: str) -> str:
    """A band in mkr/MSEK with the unit once and the same decimals throughout."""
    values = [v for v in (p10, p50, p90) if not is_missing(v)]
    decimals = 2 if values and max(abs(v) for v in values) < 1e6 else 1
    out = band(p10, p50, p90, lambda x: msek_number(x, language, decimals))
    return out if out == "—" else f"{out}\u00a0{msek_unit(language)}"


def year_text(year: float, language: str) -> str:
    """A calendar year, or "never" when missing."""
    return text(language, "charts.never") if is_missing(year) else str(int(year))
