"""Charts from a run folder's tables (matplotlib; PNG + SVG; labels in Swedish or English).

Every chart is drawn at A4 half-width (8.5 cm) with type of at least 6 pt, in the
Okabe–Ito palette (readable with the common colour-vision deficiencies), and carries
a note with the key assumptions and the number of replications. Money is shown as
tkr/kSEK or mkr/MSEK with the price year.

Each chart has a ``figure_<name>(...) -> Figure`` builder (used by the tests to read
titles, labels and legends) and a public ``<name>(..., folder) -> list[Path]`` that
saves it. Output is byte-for-byte reproducible from the same tables: fixed size and
dpi, a fixed SVG hash salt, and no date or software stamps in the files.
"""

from __future__ import annotations

import contextlib
import functools
import math
import textwrap
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Mapping, Sequence

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from cycler import cycler  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from matplotlib.lines import Line2D  # noqa: E402
from matplotlib.patches import Patch  # noqa: E402
from matplotlib.ticker import Formatter, FuncFormatter, MaxNLocator  # noqa: E402

from simulation.core.outcomes import OUTCOMES  # noqa: E402

# --- style ----------------------------------------------------------------------------

# Okabe & Ito (2008), "Color Universal Design": distinguishable with protan, deutan and tritan vision.
OKABE_ITO = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000")
PALETTE = {"intervention": "#0072B2", "control": "#E69F00", "grant": "#555555", "repaid": "#009E73",
           "saving": "#CC79A7", "other": "#999999", "net": "#000000", "difference": "#0072B2",
           "exits": "#D55E00", "low": "#56B4E9", "high": "#D55E00"}
RULE_STYLES = ("-", "--", "-.", ":", (0, (5, 1, 1, 1)), (0, (1, 1)), (0, (8, 2)))

WIDTH_IN = 8.5 / 2.54          # A4 half-width
DPI = 200                       # fixed: PNG size in pixels never depends on the machine
NOTE_CHARS = 76                 # characters per note line at 5.5 pt over WIDTH_IN
TITLE_CHARS = 46                # characters per title line at 8 pt bold

RC = {
    "svg.hashsalt": "sifsim",   # fixed ids in SVG: identical files from identical tables
    "svg.fonttype": "path",     # glyphs as paths: the SVG needs no fonts installed
    "font.family": "DejaVu Sans",
    "font.size": 7,
    "axes.titlesize": 7.5,
    "axes.titleweight": "bold",
    "axes.titlelocation": "left",
    "axes.labelsize": 7,
    "xtick.labelsize": 6.5,
    "ytick.labelsize": 6.5,
    "legend.fontsize": 6.5,
    "legend.frameon": False,
    "figure.titlesize": 8,
    "figure.titleweight": "bold",
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.linewidth": 0.6,
    "axes.grid": True,
    "axes.grid.axis": "y",
    "grid.color": "#dddddd",
    "grid.linewidth": 0.5,
    "xtick.major.width": 0.6,
    "ytick.major.width": 0.6,
    "xtick.major.size": 2.5,
    "ytick.major.size": 2.5,
    "lines.linewidth": 1.2,
    "axes.prop_cycle": cycler(color=OKABE_ITO),
    "axes.formatter.use_locale": False,
    "figure.constrained_layout.h_pad": 0.03,
    "figure.constrained_layout.w_pad": 0.03,
    "savefig.dpi": DPI,
}


@contextlib.contextmanager
def house_style():
    """Matplotlib's defaults plus RC, whatever the process set before (so a chart drawn at the end
    of a run and one redrawn later by ``sifsim report`` are the same bytes); restored on exit."""
    with plt.rc_context():
        matplotlib.rcdefaults()
        matplotlib.rcParams.update(RC)
        yield


def styled(builder: Callable[..., Figure]) -> Callable[..., Figure]:
    """Build a figure under the house style (rcParams apply when artists are made)."""
    @functools.wraps(builder)
    def wrapper(*args, **kwargs):
        with house_style():
            return builder(*args, **kwargs)
    return wrapper


def save(fig: Figure, folder: Path, stem: str) -> list[Path]:
    """Write ``stem.png`` and ``stem.svg`` without date or version stamps; close the figure."""
    from simulation.app.outputs import atomic_write  # a reader never sees half a chart
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    with house_style():
        for ext, metadata in (("png", {"Software": None}),
                              ("svg", {"Date": None, "Creator": None})):
            path = folder / f"{stem}.{ext}"
            atomic_write(path, lambda p, ext=ext, metadata=metadata:
                         fig.savefig(p, dpi=DPI, format=ext, metadata=metadata))
            paths.append(path)
    plt.close(fig)
    return paths


def new_figure(height_in: float, width_in: float = WIDTH_IN) -> Figure:
    """A figure outside pyplot's registry (no global state), laid out by constrained layout."""
    return Figure(figsize=(width_in, height_in), layout="constrained")


# --- words ------------------------------------------------------------------------------

TEXT: dict[str, dict[str, str]] = {
    "en": {
        "year": "year", "median": "median", "band": "P10–P90",
        "intervention": "intervention arm", "control": "control arm",
        "project": "project period",
        "eb_title": "Households on social assistance (EB): intervention vs control",
        "eb_y": "households on EB",
        "eb_diff_y": "intervention − control",
        "eb_diff_households": "households on EB",
        "eb_diff_exits": "exits from EB, cumulative",
        "placed_title": "Children placed in care (residential or family home)",
        "placed_y": "children placed",
        "placed_diff_y": "intervention − control",
        "placed_diff": "children placed, difference (median)",
        "placed_diff_mean": "difference, mean",
        "timeline_title": "Grant, repayment and the borrower's saving, by rule",
        "timeline_grant": "grant paid out, cumulative",
        "timeline_repaid": "repaid to the fund, cumulative",
        "timeline_saving": "attributable saving to the borrowing committee, cumulative",
        "timeline_full": "year fully repaid (median)",
        "timeline_never": "not fully repaid\nwithin {h} years",
        "timeline_full_at": "repaid {year}",
        "timeline_p": "P(fully repaid) {p}",
        "waterfall_title": "From claimed saving to repayment",
        "waterfall_naive": "claimed without control group",
        "waterfall_attributable": "attributable saving, all payers",
        "waterfall_municipal": "saving to the municipality",
        "waterfall_borrower": "saving to the borrowing committee",
        "waterfall_cash": "cash saving to the borrowing committee",
        "waterfall_repaid": "repaid: {rule}",
        "waterfall_grant": "grant {value}",
        "who_title": "Who saves: attributable saving by payer and year",
        "who_net": "net, all payers (median)",
        "who_other": "other payers",
        "portfolio": "Portfolio of {n} grants ({first}–{last})",
        "portfolio_population": "Portfolio: summed over the grants' areas, in the months all of them are simulated.",
        "who_note": "Bars: median saving of each payer; below zero, a payer pays more. "
                    "Medians do not add up: the dot is the median of the total.",
        "waterfall_note": "Totals over the {h}-year horizon: bar = median, whisker = P10–P90. "
                          "Repaid = what each rule takes back from the borrowing committee.",
        "fund_title": "Fund cash at year end, by repayment rule",
        "fund_capital": "fund capital {value}",
        "heatmap_title": "P(full repayment within the horizon)",
        "heatmap_cbar": "P(full repayment)",
        "heatmap_mean_over": "mean over the other swept keys",
        "tornado_title": "One-at-a-time swings: {metric}",
        "tornado_low": "key at its lowest value",
        "tornado_high": "key at its highest value",
        "tornado_base": "default",
        "note_run": "{intervention} · {n} paired replications, median and P10–P90 · {prices}, undiscounted"
                    " · displacement {displacement} · effect scale {effect}",
        "note_sweep": "Sweep of {jobs} jobs · {n} replications each · values: {stat} over the replications",
        "note_sweep_no_n": "Sweep of {jobs} jobs · values: {stat} over each job's replications",
        "prices": "{year} prices",
        "money_unit_M": "MSEK", "money_unit_k": "kSEK",
        "money_axis": "{unit}, {year} prices",
        "money_axis_noyear": "{unit}",
        "never": "never",
    },
    "sv": {
        "year": "år", "median": "median", "band": "P10–P90",
        "intervention": "insatsarm", "control": "kontrollarm",
        "project": "projekttid",
        "eb_title": "Hushåll med ekonomiskt bistånd (EB): insats mot kontroll",
        "eb_y": "hushåll med EB",
        "eb_diff_y": "insats − kontroll",
        "eb_diff_households": "hushåll med EB",
        "eb_diff_exits": "avslut av EB, kumulativt",
        "placed_title": "Placerade barn (HVB eller familjehem)",
        "placed_y": "placerade barn",
        "placed_diff_y": "insats − kontroll",
        "placed_diff": "placerade barn, skillnad (median)",
        "placed_diff_mean": "skillnad, medelvärde",
        "timeline_title": "Bidrag, återbetalning och lånande nämnds besparing, per regel",
        "timeline_grant": "utbetalt bidrag, kumulativt",
        "timeline_repaid": "återbetalt till fonden, kumulativt",
        "timeline_saving": "hänförbar besparing hos lånande nämnd, kumulativt",
        "timeline_full": "år då fullt återbetalt (median)",
        "timeline_never": "inte fullt återbetalt\ninom {h} år",
        "timeline_full_at": "återbetalt {year}",
        "timeline_p": "P(fullt återbetalt) {p}",
        "waterfall_title": "Från påstådd besparing till återbetalning",
        "waterfall_naive": "påstådd utan kontrollgrupp",
        "waterfall_attributable": "hänförbar besparing, alla betalare",
        "waterfall_municipal": "besparing för kommunen",
        "waterfall_borrower": "besparing för lånande nämnd",
        "waterfall_cash": "kontant besparing för lånande nämnd",
        "waterfall_repaid": "återbetalt: {rule}",
        "waterfall_grant": "bidrag {value}",
        "who_title": "Vem sparar: hänförbar besparing per betalare och år",
        "who_net": "netto, alla betalare (median)",
        "who_other": "övriga betalare",
        "portfolio": "Portfölj med {n} insatser ({first}–{last})",
        "portfolio_population": "Portfölj: summa över insatsernas områden, de månader då alla simuleras.",
        "who_note": "Staplar: median av varje betalares besparing; under noll betalar den mer. "
                    "Medianer summerar inte: punkten är medianen av totalen.",
        "waterfall_note": "Summor över horisonten på {h} år: stapel = median, streck = P10–P90. "
                          "Återbetalt = vad varje regel tar tillbaka från lånande nämnd.",
        "fund_title": "Fondens kassa vid årets slut, per återbetalningsregel",
        "fund_capital": "fondkapital {value}",
        "heatmap_title": "P(fullt återbetalt inom horisonten)",
        "heatmap_cbar": "P(fullt återbetalt)",
        "heatmap_mean_over": "medelvärde över övriga svepta nycklar",
        "tornado_title": "Känslighet, en nyckel i taget: {metric}",
        "tornado_low": "nyckeln på sitt lägsta värde",
        "tornado_high": "nyckeln på sitt högsta värde",
        "tornado_base": "standardvärde",
        "note_run": "{intervention} · {n} parade replikeringar, median och P10–P90 · {prices}, odiskonterat"
                    " · undanträngning {displacement} · effektskala {effect}",
        "note_sweep": "Svep med {jobs} jobb · {n} replikeringar per jobb · värden: {stat} över replikeringarna",
        "note_sweep_no_n": "Svep med {jobs} jobb · värden: {stat} över varje jobbs replikeringar",
        "prices": "{year} års priser",
        "money_unit_M": "mkr", "money_unit_k": "tkr",
        "money_axis": "{unit}, {year} års priser",
        "money_axis_noyear": "{unit}",
        "never": "aldrig",
    },
}

# Bodies that pay or save (ledger ``payer``): units and the bodies reorganisations move them to.
PAYER_NAMES = {
    "en": {"eb_unit": "EB unit", "open_care": "open care", "child_authority": "child welfare authority",
           "school": "school", "leisure": "leisure", "adult_services": "adult services",
           "ks": "executive board (KS)", "region": "region", "state": "state",
           "asn": "social services committee (ASN)", "fritidsnamnden": "leisure committee"},
    "sv": {"eb_unit": "EB-enheten", "open_care": "öppenvården", "child_authority": "barn- och ungdomsmyndighet",
           "school": "skolan", "leisure": "fritid", "adult_services": "vuxenenheten",
           "ks": "kommunstyrelsen (KS)", "region": "regionen", "state": "staten",
           "asn": "arbetsmarknads- och socialnämnd (ASN)", "fritidsnamnden": "fritidsnämnden"},
}

# Swept keys a reader meets in sweep charts.
KEY_NAMES = {
    "en": {"intervention.effect_scale": "effect scale", "economy.displacement": "displacement",
           "economy.discount_rate": "discount rate", "population.households": "households on EB",
           "population.eb_exit_hazard_per_month": "EB exit hazard per month",
           "population.eb_duration_decay": "duration decay", "horizon_years": "horizon (years)",
           "evaluation": "evaluation", "municipality": "municipality", "intervention": "intervention",
           "repayment": "repayment rule", "replications": "replications",
           "intervention.caseload.exit_hazard_elasticity_to_caseload": "caseload elasticity",
           "population.exit_propensity_sd": "exit propensity spread",
           "population.eb_exit_hazard_floor_per_month": "EB exit floor per month"},
    "sv": {"intervention.effect_scale": "effektskala", "economy.displacement": "undanträngning",
           "economy.discount_rate": "diskonteringsränta", "population.households": "hushåll med EB",
           "population.eb_exit_hazard_per_month": "avslutsrisk EB per månad",
           "population.eb_duration_decay": "varaktighetsberoende", "horizon_years": "horisont (år)",
           "evaluation": "utvärdering", "municipality": "kommun", "intervention": "insats",
           "repayment": "återbetalningsregel", "replications": "replikeringar",
           "intervention.caseload.exit_hazard_elasticity_to_caseload": "ärendemängdens elasticitet",
           "population.exit_propensity_sd": "spridning i avslutsbenägenhet",
           "population.eb_exit_hazard_floor_per_month": "lägsta avslutsrisk EB per månad"},
}


def t(language: str, key: str, **kwargs: Any) -> str:
    """The label ``key`` in ``language``, formatted."""
    text = TEXT[language][key]
    return text.format(**kwargs) if kwargs else text


def payer_name(payer: str, language: str) -> str:
    return PAYER_NAMES[language].get(payer, payer)


def key_name(key: str, language: str) -> str:
    """A swept key's label; an unknown dotted key is shortened to its last part, readable."""
    known = KEY_NAMES[language].get(key)
    if known:
        return known
    last = key.rsplit(".", 1)[-1].replace("_", " ")
    return last if len(last) <= 32 else last[:31] + "…"


def metric_name(metric: str, language: str) -> str:
    outcome = OUTCOMES.get(metric)
    return getattr(outcome, language) if outcome else metric


def rule_title(name: str, rule_labels: Mapping[str, str] | None, language: str) -> str:
    """A rule's label if known, else its name made readable ("malmo_2012" -> "Malmo 2012")."""
    label = (rule_labels or {}).get(name) or name.replace("_", " ")
    return rule_label(label, language)


def rule_label(label: str, language: str) -> str:
    """A rule's config label; "Budgetmodell / budget model" holds both languages."""
    if " / " in label:
        sv, en = label.split(" / ", 1)
        label = sv if language == "sv" else en
    return label[:1].upper() + label[1:]


def fmt_number(x: float, language: str, decimals: int = 0) -> str:
    """1234.5 -> "1,234.5" (en) or "1 234,5" (sv), with a true minus sign."""
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "—"
    s = f"{abs(x):,.{decimals}f}"
    if language == "sv":
        s = s.replace(",", "\u00a0").replace(".", ",")
    if round(x, decimals) < 0:
        s = "−" + s
    return s


def fmt_percent(share: float, language: str, decimals: int = 0) -> str:
    if share is None or (isinstance(share, float) and math.isnan(share)):
        return "—"
    return fmt_number(100 * share, language, decimals) + ("\u00a0%" if language == "sv" else "%")


@dataclass(frozen=True)
class Money:
    """How SEK are shown on an axis: divide by ``divisor`` and call the result ``unit``."""

    divisor: float
    unit: str

    def label(self, language: str, price_year: int | None) -> str:
        if price_year is None:
            return t(language, "money_axis_noyear", unit=self.unit)
        return t(language, "money_axis", unit=self.unit, year=price_year)

    def text(self, sek: float, language: str, decimals: int | None = None) -> str:
        value = sek / self.divisor
        if decimals is None:
            decimals = 1 if abs(value) < 100 else 0
        return f"{fmt_number(value, language, decimals)}\u00a0{self.unit}"

    def formatter(self, language: str) -> "MoneyFormatter":
        return MoneyFormatter(self.divisor, language)


class MoneyFormatter(Formatter):
    """Tick labels in the chosen unit, with as many decimals as the tick step needs (all alike)."""

    def __init__(self, divisor: float, language: str):
        self.divisor, self.language = divisor, language
        self.ticks = np.array([], dtype=float)

    def set_locs(self, locs):
        super().set_locs(locs)
        self.ticks = np.asarray(locs, dtype=float)  # our own copy: Formatter.locs is deprecated (3.11)

    def __call__(self, x, pos=None):
        locs = self.ticks / self.divisor
        steps = np.diff(np.sort(locs))
        step = float(steps[steps > 0].min()) if (steps > 0).any() else 1.0
        decimals = 0 if step >= 1 else min(3, int(math.ceil(-math.log10(step) - 1e-9)))
        return fmt_number(x / self.divisor, self.language, decimals)


class CountFormatter(MoneyFormatter):
    """Counts (households, children) with a thousands separator and the step's decimals."""

    def __init__(self, language: str):
        super().__init__(1.0, language)


def money_scale(values: Sequence[float] | np.ndarray, language: str) -> Money:
    """mkr/MSEK when the largest magnitude is at least 1 MSEK, else tkr/kSEK."""
    arr = np.asarray(values, dtype=float)
    arr = arr[np.isfinite(arr)]
    biggest = float(np.abs(arr).max()) if arr.size else 0.0
    if biggest >= 1e6:
        return Money(1e6, t(language, "money_unit_M"))
    return Money(1e3, t(language, "money_unit_k"))


def wrap(text: str, width: int) -> str:
    return "\n".join(textwrap.wrap(text, width=width, break_long_words=False, break_on_hyphens=False))


# --- what a run is about -------------------------------------------------------------------

@dataclass(frozen=True)
class ChartContext:
    """The facts about a run that chart notes and labels need (from its config.yaml)."""

    language: str = "sv"
    replications: int | None = None
    price_year: int | None = None
    intervention: str = ""
    municipality: str = ""
    horizon_years: int | None = None
    start_year: int | None = None
    end_year: int | None = None
    displacement: float | None = None
    effect_scale: float | None = None
    discount_rate: float | None = None
    evaluation: str | None = None
    fund_capital_sek: float | None = None
    rule_labels: Mapping[str, str] = field(default_factory=dict)

    @classmethod
    def from_config(cls, config: Mapping[str, Any], language: str | None = None) -> "ChartContext":
        lang = language or config.get("language", "sv")
        economy = config.get("economy", {}) or {}
        itv = dict(config.get("intervention", {}) or {})
        portfolio = list((config.get("portfolio") or {}).values())
        if portfolio:  # a fund with several grants: name them all, span all their project years
            itv = {"label": t(lang, "portfolio", n=len(portfolio), first=min(p["start_year"] for p in portfolio),
                              last=max(p["end_year"] for p in portfolio)),
                   "start_year": min(p["start_year"] for p in portfolio),
                   "end_year": max(p["end_year"] for p in portfolio),
                   "effect_scale": portfolio[0].get("effect_scale")
                   if len({p.get("effect_scale") for p in portfolio}) == 1 else None}
        muni = config.get("municipality", {}) or {}
        rules = (config.get("repayment", {}) or {}).get("rules", {}) or {}
        return cls(
            language=lang,
            replications=config.get("replications"),
            price_year=economy.get("price_base_year"),
            intervention=itv.get("label", ""),
            municipality=muni.get("label", ""),
            horizon_years=config.get("horizon_years"),
            start_year=itv.get("start_year"),
            end_year=itv.get("end_year"),
            displacement=economy.get("displacement"),
            effect_scale=itv.get("effect_scale"),
            discount_rate=economy.get("discount_rate"),
            evaluation=config.get("evaluation"),
            fund_capital_sek=muni.get("fund_capital_sek"),
            rule_labels={name: rule_label(rule.get("label") or name, lang) for name, rule in rules.items()},
        )

    def rule(self, name: str) -> str:
        return rule_title(name, self.rule_labels, self.language)

    def note(self, replications: int | None = None) -> str:
        lang = self.language
        n = replications if replications is not None else self.replications
        parts = {
            "intervention": self.intervention or "—",
            "n": n if n is not None else "?",
            "prices": t(lang, "prices", year=self.price_year) if self.price_year else "SEK",
            "displacement": fmt_percent(self.displacement, lang) if self.displacement is not None else "—",
            "effect": fmt_level(self.effect_scale, lang) if self.effect_scale is not None else "—",
        }
        return wrap(t(lang, "note_run", **parts), NOTE_CHARS)


def context_or_default(context: ChartContext | None, language: str, replications: int | None) -> ChartContext:
    if context is None:
        return ChartContext(language=language, replications=replications)
    if context.language != language:
        raise ValueError(f"context language {context.language!r} differs from language {language!r}")
    return context


def add_note(fig: Figure, note: str) -> None:
    """The assumptions note under the chart (a figure x-label, so the layout makes room)."""
    fig.supxlabel(note, x=0.0, ha="left", fontsize=5.5, color="#444444", linespacing=1.3,
                  fontweight="normal")


def add_title(fig: Figure, title: str) -> None:
    fig.suptitle(wrap(title, TITLE_CHARS), x=0.0, ha="left", fontsize=8, fontweight="bold")


# --- quantiles over replications --------------------------------------------------------------

def bands(wide: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """P10, median and P90 across the columns (replications) of ``wide``, per row."""
    q = np.quantile(wide.to_numpy(dtype=float), [0.1, 0.5, 0.9], axis=1)
    return q[0], q[1], q[2]


def plot_band(ax, x, wide: pd.DataFrame, color: str, label: str | None = None, **line_kw) -> None:
    lo, mid, hi = bands(wide)
    ax.fill_between(x, lo, hi, color=color, alpha=0.22, linewidth=0)
    ax.plot(x, mid, color=color, label=label, **line_kw)


def shade_project(ax, context: ChartContext, annual: bool = False) -> Patch | None:
    """Grey the project years; ``annual``: x is a calendar year drawn as a category (a bar)."""
    if context.start_year is None or context.end_year is None:
        return None
    lo, hi = (context.start_year - 0.5, context.end_year + 0.5) if annual else \
        (context.start_year, context.end_year + 1)
    ax.axvspan(lo, hi, color="#000000", alpha=0.06, linewidth=0, zorder=0)
    return Patch(facecolor="#000000", alpha=0.08, linewidth=0)


def year_axis(ax, nbins: int = 6) -> None:
    """Calendar years at round steps (1, 2, 5, 10 …), never 2016, 2024, 2032."""
    ax.xaxis.set_major_locator(MaxNLocator(nbins=nbins, integer=True, steps=[1, 2, 5, 10]))


def band_handle(color: str = "#777777") -> Patch:
    return Patch(facecolor=color, alpha=0.3, linewidth=0)


def legend_above(ax, handles, labels, ncols: int = 2, **kwargs) -> None:
    """A legend between the title and the plot: it never covers data and the layout makes room."""
    # at half-page width two columns hold about 22 characters a line each, one column about 44:
    # wrap to that, and fall back to one column when a two-column label would need three lines
    def lines(label: str, width: int) -> list[str]:
        return [line for part in str(label).split("\n") for line in (textwrap.wrap(part, width) or [""])]
    if ncols > 1 and any(len(lines(label, 22)) > 2 for label in labels):
        ncols = 1
    width = 22 if ncols > 1 else 44
    labels = ["\n".join(lines(label, width)) for label in labels]
    ax.legend(handles, labels, loc="lower left", bbox_to_anchor=(0.0, 1.01), ncols=ncols,
              borderaxespad=0.0, handlelength=2.0, columnspacing=1.2, **kwargs)


def panels_with_legend_row(fig: Figure, nrows: int, ncols: int, legend_height: float, panel_height: float,
                           **share) -> tuple[Any, np.ndarray]:
    """A top row (axis off) for a shared legend above a grid of panels; (legend axes, panel axes)."""
    grid = fig.add_gridspec(nrows + 1, ncols, height_ratios=[legend_height] + [panel_height] * nrows)
    legend_ax = fig.add_subplot(grid[0, :])
    legend_ax.set_axis_off()
    axes = np.empty(nrows * ncols, dtype=object)
    for k in range(nrows * ncols):
        row, col = divmod(k, ncols)
        sharex = axes[0] if (share.get("sharex") and k) else None
        sharey = axes[0] if (share.get("sharey") and k) else None
        axes[k] = fig.add_subplot(grid[row + 1, col], sharex=sharex, sharey=sharey)
    return legend_ax, axes


# --- population charts ------------------------------------------------------------------------

def common_window(population: pd.DataFrame) -> tuple[pd.DataFrame, bool]:
    """A portfolio's population rows in the months every grant is simulated (each grant has its
    own area and years: summing outside the common months would show grants coming and going)."""
    if "grant" not in population.columns or population["grant"].nunique() < 2:
        return population, False
    months = population["year"] * 12 + population["month"]
    sets = [set(months[population["grant"] == g]) for g in population["grant"].unique()]
    common = set.intersection(*sets)
    if not common:
        first = population["grant"].iloc[0]
        return population[population["grant"] == first], True
    return population[months.isin(common)], True


def _population_note(ctx: ChartContext, portfolio: bool) -> str:
    note = ctx.note()
    return note + "\n" + wrap(t(ctx.language, "portfolio_population"), NOTE_CHARS) if portfolio else note


def _monthly(population: pd.DataFrame, arm: str, column: str) -> pd.DataFrame:
    frame = population[population["arm"] == arm]
    date = frame["year"] + (frame["month"] - 1) / 12
    return frame.assign(date=date).pivot_table(index="date", columns="replication", values=column,
                                               aggfunc="sum")


def _yearly_mean(population: pd.DataFrame, arm: str, column: str) -> pd.DataFrame:
    frame = population[population["arm"] == arm]
    return frame.pivot_table(index="year", columns="replication", values=column, aggfunc="mean")


@styled
def figure_eb_caseload(population: pd.DataFrame, language: str,
                       context: ChartContext | None = None) -> Figure:
    """EB households per month in both arms; the difference in households and cumulative exits."""
    ctx = context_or_default(context, language, int(population["replication"].nunique()))
    everything = population
    population, portfolio = common_window(population)
    fig = new_figure(4.3)
    ax1, ax2 = fig.subplots(2, 1, sharex=True, height_ratios=[1.2, 1])
    for arm in ("control", "intervention"):
        wide = _monthly(population, arm, "households_on_eb")
        plot_band(ax1, wide.index, wide, PALETTE[arm], t(language, arm))
    ax1.set_ylabel(t(language, "eb_y"))
    ax1.yaxis.set_major_formatter(CountFormatter(language))
    project = shade_project(ax1, ctx)
    h1, l1 = ax1.get_legend_handles_labels()
    extra = [band_handle()] + ([project] if project else [])
    legend_above(ax1, h1 + extra, l1 + [t(language, "band")] + ([t(language, "project")] if project else []))

    diff_h = _monthly(population, "intervention", "households_on_eb") - \
        _monthly(population, "control", "households_on_eb")
    # extra exits counted from each grant's own start, then summed over grants in the window shown
    parts = [(_monthly(g, "intervention", "eb_exits") - _monthly(g, "control", "eb_exits")).cumsum()
             for _, g in (everything.groupby("grant", sort=False) if portfolio else [(None, everything)])]
    diff_x = sum(part.reindex(diff_h.index).fillna(0.0) for part in parts)
    plot_band(ax2, diff_h.index, diff_h, PALETTE["difference"], t(language, "eb_diff_households"))
    plot_band(ax2, diff_x.index, diff_x, PALETTE["exits"], t(language, "eb_diff_exits"), linestyle="--")
    _finish_difference_panel(fig, ax2, language, ctx, portfolio, "eb_diff_y", "eb_title", annual=False)
    return fig


def _finish_difference_panel(fig: Figure, ax, language: str, ctx, portfolio: bool, ylabel: str, title: str,
                             *, annual: bool) -> None:
    """The lower panel (intervention − control) of the population charts, and the figure's title and note."""
    ax.axhline(0, color="#000000", linewidth=0.6)
    ax.set_ylabel(t(language, ylabel))
    ax.set_xlabel(t(language, "year"))
    ax.yaxis.set_major_formatter(CountFormatter(language))
    shade_project(ax, ctx, annual=annual)
    year_axis(ax)
    handles, labels = ax.get_legend_handles_labels()
    legend_above(ax, handles, labels)
    add_title(fig, t(language, title))
    add_note(fig, _population_note(ctx, portfolio))


def eb_caseload(population: pd.DataFrame, language: str, folder: Path,
                context: ChartContext | None = None) -> list[Path]:
    """EB households per month, both arms, median and P10–P90 over replications; the difference."""
    return save(figure_eb_caseload(population, language, context), folder, "eb_caseload")


@styled
def figure_children_placed(population: pd.DataFrame, language: str,
                           context: ChartContext | None = None) -> Figure:
    """Children placed outside the home (yearly mean of the monthly count), both arms, and the difference."""
    ctx = context_or_default(context, language, int(population["replication"].nunique()))
    population, portfolio = common_window(population)
    fig = new_figure(3.9)
    ax1, ax2 = fig.subplots(2, 1, sharex=True, height_ratios=[1.2, 1])
    for arm in ("control", "intervention"):
        wide = _yearly_mean(population, arm, "children_placed")
        plot_band(ax1, wide.index, wide, PALETTE[arm], t(language, arm), marker="o", markersize=2)
    ax1.set_ylabel(t(language, "placed_y"))
    ax1.yaxis.set_major_formatter(CountFormatter(language))
    ax1.set_ylim(bottom=0)
    project = shade_project(ax1, ctx, annual=True)
    h1, l1 = ax1.get_legend_handles_labels()
    extra = [band_handle()] + ([project] if project else [])
    legend_above(ax1, h1 + extra, l1 + [t(language, "band")] + ([t(language, "project")] if project else []))
    diff = _yearly_mean(population, "intervention", "children_placed") - \
        _yearly_mean(population, "control", "children_placed")
    plot_band(ax2, diff.index, diff, PALETTE["difference"], t(language, "placed_diff"), marker="o", markersize=2)
    # a difference of a few children is mostly 0 in the median: the mean shows the expected effect
    ax2.plot(diff.index, diff.mean(axis=1), color=PALETTE["exits"], linestyle="--", linewidth=1.0,
             label=t(language, "placed_diff_mean"))
    _finish_difference_panel(fig, ax2, language, ctx, portfolio, "placed_diff_y", "placed_title", annual=True)
    return fig


def children_placed(population: pd.DataFrame, language: str, folder: Path,
                    context: ChartContext | None = None) -> list[Path]:
    """Children placed (yearly mean of the monthly count) in both arms and the difference."""
    return save(figure_children_placed(population, language, context), folder, "children_placed")


# --- repayment charts ---------------------------------------------------------------------------

def fund_level(repayment: pd.DataFrame) -> pd.DataFrame:
    """The fund's own rows: a portfolio run adds ``grant == "fund"`` totals to each grant's rows."""
    if "grant" in repayment.columns and (repayment["grant"] == "fund").any():
        return repayment[repayment["grant"] == "fund"]
    return repayment


def _rules(table: pd.DataFrame) -> list[str]:
    return list(dict.fromkeys(table["rule"].tolist()))


def year_fully_repaid_median(per_replication: pd.DataFrame, rule: str) -> float:
    """Median year of full repayment, "never" (NaN) counting as later than any year.

    The same convention as the summary table (simulation.core.runner.summarise).
    """
    values = per_replication.loc[per_replication["rule"] == rule, "year_fully_repaid"].to_numpy(dtype=float)
    if values.size == 0:
        return float("nan")
    filled = np.where(np.isnan(values), np.inf, values)
    q = float(np.quantile(filled, 0.5, method="inverted_cdf"))
    return q if np.isfinite(q) else float("nan")


def _cumulative(frame: pd.DataFrame, column: str) -> pd.DataFrame:
    wide = frame.pivot_table(index="year", columns="replication", values=column, aggfunc="sum", fill_value=0.0)
    return wide.sort_index().cumsum()


@styled
def figure_repayment_timeline(repayment: pd.DataFrame, years: pd.DataFrame, per_replication: pd.DataFrame,
                              language: str, context: ChartContext | None = None) -> Figure:
    """Per rule: cumulative grant, repaid and the borrower's attributable saving, with bands."""
    ctx = context_or_default(context, language, int(repayment["replication"].nunique()))
    repayment = fund_level(repayment)
    rules = _rules(repayment)
    n = len(rules)
    ncols = 1 if n == 1 else 2
    nrows = math.ceil(n / ncols)
    legend_in_slot = n > 1 and n % 2 == 1
    if legend_in_slot:
        fig = new_figure(1.55 * nrows + 0.75)
        axes = np.atleast_1d(fig.subplots(nrows, ncols, sharex=True, sharey=True, squeeze=False)).ravel()
        legend_ax = axes[n]
    else:
        fig = new_figure(1.55 * nrows + 0.75 + 0.6)
        legend_ax, axes = panels_with_legend_row(fig, nrows, ncols, 0.6, 1.55, sharex=True, sharey=True)

    saving = _cumulative(years, "borrower_saving_sek")
    everything = [saving.to_numpy().ravel()]
    per_rule = {}
    for rule in rules:
        rr = repayment[repayment["rule"] == rule]
        per_rule[rule] = (_cumulative(rr, "disbursed_sek"), _cumulative(rr, "repaid_sek"))
        everything += [w.to_numpy().ravel() for w in per_rule[rule]]
    values = np.concatenate(everything)
    money = money_scale(values, language)
    horizon = ctx.horizon_years or int(repayment["year"].nunique())
    top = float(np.nanmax(values)) if values.size else 1.0
    bottom = min(0.0, float(np.nanmin(values)))

    for i, rule in enumerate(rules):
        ax = axes[i]
        granted, repaid = per_rule[rule]
        plot_band(ax, granted.index, granted, PALETTE["grant"], t(language, "timeline_grant"))
        plot_band(ax, repaid.index, repaid, PALETTE["repaid"], t(language, "timeline_repaid"))
        plot_band(ax, saving.index, saving, PALETTE["saving"], t(language, "timeline_saving"), linestyle="--")
        ax.set_title(ctx.rule(rule), fontsize=7)
        year_full = year_fully_repaid_median(per_replication, rule)
        p_full = float(per_replication.loc[per_replication["rule"] == rule, "p_full_repayment"].mean())
        p_text = t(language, "timeline_p", p=fmt_percent(p_full, language))
        if np.isnan(year_full):
            status = t(language, "timeline_never", h=horizon)
        else:
            ax.axvline(year_full, color="#000000", linestyle=":", linewidth=0.9)
            status = t(language, "timeline_full_at", year=int(year_full))
        # the status sits in head room above the curves, so it never covers a line
        ax.text(0.02, 0.98, f"{status}\n{p_text}", transform=ax.transAxes, va="top", ha="left",
                fontsize=5.8, color="#222222", linespacing=1.15, zorder=5,
                bbox={"facecolor": "white", "edgecolor": "none", "pad": 0.6, "alpha": 0.9})
        ax.yaxis.set_major_formatter(money.formatter(language))
        ax.yaxis.set_major_locator(MaxNLocator(nbins=4))
        year_axis(ax, nbins=4)
        ax.tick_params(axis="x", labelbottom=True)
        if i % ncols == 0:
            ax.set_ylabel(money.label(language, ctx.price_year), fontsize=6)
    axes[0].set_ylim(bottom - 0.03 * (top - bottom), top + 0.55 * (top - bottom))
    handles = [Line2D([], [], color=PALETTE["grant"]), Line2D([], [], color=PALETTE["repaid"]),
               Line2D([], [], color=PALETTE["saving"], linestyle="--"),
               Line2D([], [], color="#000000", linestyle=":", linewidth=0.9), band_handle()]
    labels = [t(language, "timeline_grant"), t(language, "timeline_repaid"),
              t(language, "timeline_saving"), t(language, "timeline_full"), t(language, "band")]
    labels = [wrap(label, 27) for label in labels]
    for ax in axes[n:]:
        ax.set_axis_off()
    legend_ax.legend(handles, labels, loc="center left", fontsize=6, handlelength=2.2,
                     ncols=1 if legend_in_slot else 2, borderaxespad=0.0)
    for i, ax in enumerate(axes[:n]):
        if i + ncols >= n:  # nothing drawn below it
            ax.set_xlabel(t(language, "year"), fontsize=6)
    add_title(fig, t(language, "timeline_title"))
    add_note(fig, ctx.note())
    return fig


def repayment_timeline(repayment: pd.DataFrame, years: pd.DataFrame, per_replication: pd.DataFrame,
                       language: str, folder: Path, context: ChartContext | None = None) -> list[Path]:
    """Cumulative grant, repaid and the borrower's saving per rule; year of full repayment marked."""
    fig = figure_repayment_timeline(repayment, years, per_replication, language, context)
    return save(fig, folder, "repayment_timeline")


WATERFALL_STEPS = (("naive_claim_sek", "waterfall_naive", "#999999"),
                   ("attributable_saving_sek", "waterfall_attributable", "#0072B2"),
                   ("municipal_saving_sek", "waterfall_municipal", "#56B4E9"),
                   ("borrower_saving_sek", "waterfall_borrower", "#CC79A7"),
                   ("cash_saving_sek", "waterfall_cash", "#D55E00"))


def waterfall_rows(per_replication: pd.DataFrame, language: str, context: ChartContext
                   ) -> list[tuple[str, float, float, float, str]]:
    """(label, P10, median, P90, colour) per bar: the chain of savings, then repaid per rule."""
    rules = _rules(per_replication)
    # the saving metrics do not depend on the rule: take them from the first rule's rows
    shared = per_replication[per_replication["rule"] == rules[0]]
    rows = []
    for metric, key, colour in WATERFALL_STEPS:
        if metric in shared.columns:
            rows.append((t(language, key), shared[metric].to_numpy(dtype=float), colour))
    for rule in rules:
        values = per_replication.loc[per_replication["rule"] == rule, "repaid_sek"].to_numpy(dtype=float)
        rows.append((t(language, "waterfall_repaid", rule=context.rule(rule)), values, PALETTE["repaid"]))
    return [(label, *(float(q) for q in np.quantile(v, [0.1, 0.5, 0.9])), colour) for label, v, colour in rows]


@styled
def figure_repayment_waterfall(per_replication: pd.DataFrame, language: str,
                               context: ChartContext | None = None) -> Figure:
    """How a claimed saving shrinks to what is repaid: medians with P10–P90 whiskers."""
    ctx = context_or_default(context, language, int(per_replication["replication"].nunique()))
    stats = waterfall_rows(per_replication, language, ctx)
    first = per_replication[per_replication["rule"] == _rules(per_replication)[0]]
    grant = float(np.median(first["intervention_cost_sek"])) if "intervention_cost_sek" in first else None
    chain = sum(1 for m, _k, _c in WATERFALL_STEPS if m in first.columns)
    money = money_scale([s[i] for s in stats for i in (1, 2, 3)] + ([grant] if grant else []), language)

    # labels sit above their bars, so the bars get the full width of a half-page chart
    fig = new_figure(0.31 * len(stats) + 1.3)
    ax = fig.subplots()
    ypos = np.arange(len(stats))[::-1].astype(float)
    ypos[chain:] -= 0.4  # a gap between the chain of savings and the rules' repayments
    left = min(0.0, min(s[1] for s in stats))
    right = max(max(s[3] for s in stats), grant or 0.0)
    span = (right - left) or 1.0
    for y, (label, p10, p50, p90, colour) in zip(ypos, stats):
        ax.barh(y, p50, color=colour, height=0.42)
        ax.errorbar(p50, y, xerr=[[p50 - p10], [p90 - p50]], color="#222222", capsize=1.5,
                    elinewidth=0.6, capthick=0.6)
        ax.text(left, y + 0.25, label, va="bottom", ha="left", fontsize=6.3, zorder=4,
                bbox={"facecolor": "white", "edgecolor": "none", "pad": 0.4, "alpha": 0.85})
        ax.text(max(p50, p90, 0.0) + 0.015 * span, y, money.text(p50, language), va="center", ha="left",
                fontsize=6)
    for k in range(chain - 1):  # a waterfall's steps: each bar's end dotted down to the next
        ax.plot([stats[k][2]] * 2, [ypos[k] - 0.21, ypos[k + 1] + 0.21], color="#777777", linewidth=0.5,
                linestyle=":")
    if grant:
        ax.axvline(grant, color=PALETTE["grant"], linestyle="--", linewidth=0.8)
        ax.text(grant + 0.01 * span, ypos[0] + 0.75, t(language, "waterfall_grant", value=money.text(grant, language)),
                ha="left", va="bottom", fontsize=6, color=PALETTE["grant"])
    if chain < len(stats):
        ax.axhline((ypos[chain - 1] + ypos[chain]) / 2 + 0.1, color="#bbbbbb", linewidth=0.5)
    ax.axvline(0, color="#000000", linewidth=0.6)
    ax.set_yticks([])
    ax.spines["left"].set_visible(False)
    ax.set_ylim(ypos[-1] - 0.45, ypos[0] + 1.05)
    ax.set_xlim(left - 0.02 * span, right + 0.22 * span)
    ax.xaxis.set_major_formatter(money.formatter(language))
    ax.xaxis.set_major_locator(MaxNLocator(nbins=6))
    ax.set_xlabel(money.label(language, ctx.price_year))
    ax.grid(axis="x", color="#e6e6e6", linewidth=0.5)
    ax.grid(axis="y", visible=False)
    add_title(fig, t(language, "waterfall_title"))
    add_note(fig, wrap(t(language, "waterfall_note", h=ctx.horizon_years or "?"), NOTE_CHARS) + "\n" + ctx.note())
    return fig


def repayment_waterfall(per_replication: pd.DataFrame, language: str, folder: Path,
                        context: ChartContext | None = None) -> list[Path]:
    """Claimed → attributable → municipal → borrower → cash saving, then repaid under each rule."""
    return save(figure_repayment_waterfall(per_replication, language, context), folder, "repayment_waterfall")


def saving_by_payer_year(ledger: pd.DataFrame) -> pd.DataFrame:
    """Attributable saving per (year, payer) row and replication column, financing excluded, zeros filled."""
    from simulation.core.runner import savings_by  # the one definition of a saving
    per = savings_by(ledger, ["replication", "year", "payer"])
    per["payer"] = per["payer"].astype(str)
    full = per.pivot_table(index=["year", "payer"], columns="replication", values="saving_sek",
                           aggfunc="sum", fill_value=0.0)
    reps = sorted(ledger["replication"].unique())
    years = sorted(ledger["year"].unique())
    payers = sorted(per["payer"].unique())
    index = pd.MultiIndex.from_product([years, payers], names=["year", "payer"])
    return full.reindex(index=index, columns=reps, fill_value=0.0)


MAX_PAYERS = 6


@styled
def figure_who_saves(ledger: pd.DataFrame, language: str, context: ChartContext | None = None) -> Figure:
    """Stacked bars: median attributable saving by payer and year; a dot for the net median."""
    ctx = context_or_default(context, language, int(ledger["replication"].nunique()))
    full = saving_by_payer_year(ledger)
    medians = full.median(axis=1).unstack("payer")           # year x payer
    total_by_payer = full.groupby(level="payer").sum().median(axis=1)
    ranked = total_by_payer.abs().sort_values(ascending=False, kind="mergesort")
    keep = list(ranked[ranked > 0].index[:MAX_PAYERS])
    rest = [p for p in medians.columns if p not in keep]
    shown = medians[keep].copy()
    if rest and medians[rest].abs().to_numpy().sum() > 0:
        shown["__other__"] = medians[rest].sum(axis=1)
    net = full.groupby(level="year").sum().median(axis=1).reindex(shown.index)
    money = money_scale(np.concatenate([shown.clip(lower=0).sum(axis=1).to_numpy(),
                                        shown.clip(upper=0).sum(axis=1).to_numpy(), net.to_numpy()]), language)

    fig = new_figure(3.7)
    ax = fig.subplots()
    x = shown.index.to_numpy()
    pos_base = np.zeros(len(x))
    neg_base = np.zeros(len(x))
    colours = [c for c in OKABE_ITO if c != "#000000"]
    handles, labels = [], []
    for i, payer in enumerate(shown.columns):
        values = shown[payer].to_numpy()
        colour = PALETTE["other"] if payer == "__other__" else colours[i % len(colours)]
        pos = np.clip(values, 0, None)
        neg = np.clip(values, None, 0)
        ax.bar(x, pos, bottom=pos_base, color=colour, width=0.78, linewidth=0)
        ax.bar(x, neg, bottom=neg_base, color=colour, width=0.78, linewidth=0)
        pos_base += pos
        neg_base += neg
        handles.append(Patch(facecolor=colour, linewidth=0))
        labels.append(t(language, "who_other") if payer == "__other__" else payer_name(payer, language))
    ax.plot(x, net.to_numpy(), linestyle="none", marker="o", markersize=2.6, color=PALETTE["net"])
    handles.append(Line2D([], [], linestyle="none", marker="o", markersize=2.6, color=PALETTE["net"]))
    labels.append(t(language, "who_net"))
    ax.axhline(0, color="#000000", linewidth=0.6)
    project = shade_project(ax, ctx, annual=True)
    if project:
        handles.append(project)
        labels.append(t(language, "project"))
    ax.yaxis.set_major_formatter(money.formatter(language))
    ax.set_ylabel(money.label(language, ctx.price_year))
    ax.set_xlabel(t(language, "year"))
    year_axis(ax)
    legend_above(ax, handles, labels, ncols=2)
    add_title(fig, t(language, "who_title"))
    add_note(fig, wrap(t(language, "who_note"), NOTE_CHARS) + "\n" + ctx.note())
    return fig


def who_saves(ledger: pd.DataFrame, language: str, folder: Path,
              context: ChartContext | None = None) -> list[Path]:
    """Who pays, who saves: median attributable saving by payer and year (stacked bars)."""
    return save(figure_who_saves(ledger, language, context), folder, "who_saves")


@styled
def figure_fund_balance(repayment: pd.DataFrame, language: str, context: ChartContext | None = None) -> Figure:
    """The fund's cash at each year end, one line per rule (median, P10–P90 band)."""
    ctx = context_or_default(context, language, int(repayment["replication"].nunique()))
    repayment = fund_level(repayment)
    rules = _rules(repayment)
    wides = {rule: repayment[repayment["rule"] == rule].pivot_table(
        index="year", columns="replication", values="fund_balance_sek", aggfunc="sum") for rule in rules}
    values = np.concatenate([w.to_numpy().ravel() for w in wides.values()] +
                            ([np.array([ctx.fund_capital_sek])] if ctx.fund_capital_sek else []))
    money = money_scale(values, language)
    fig = new_figure(3.3)
    ax = fig.subplots()
    colours = [c for c in OKABE_ITO if c not in ("#000000", "#F0E442")]
    for i, rule in enumerate(rules):
        plot_band(ax, wides[rule].index, wides[rule], colours[i % len(colours)], ctx.rule(rule),
                  linestyle=RULE_STYLES[i % len(RULE_STYLES)], marker="o", markersize=1.8)
    handles, labels = ax.get_legend_handles_labels()
    if ctx.fund_capital_sek:
        ax.axhline(ctx.fund_capital_sek, color=PALETTE["grant"], linewidth=0.6, linestyle=(0, (2, 2)))
        handles.append(Line2D([], [], color=PALETTE["grant"], linewidth=0.6, linestyle=(0, (2, 2))))
        labels.append(t(language, "fund_capital", value=money.text(ctx.fund_capital_sek, language)))
    project = shade_project(ax, ctx, annual=True)
    ax.yaxis.set_major_formatter(money.formatter(language))
    ax.set_ylabel(money.label(language, ctx.price_year))
    ax.set_xlabel(t(language, "year"))
    year_axis(ax)
    handles.append(band_handle())
    labels.append(t(language, "band"))
    if project:
        handles.append(project)
        labels.append(t(language, "project"))
    legend_above(ax, handles, labels, ncols=2)
    add_title(fig, t(language, "fund_title"))
    add_note(fig, ctx.note())
    return fig


def fund_balance(repayment: pd.DataFrame, language: str, folder: Path,
                 context: ChartContext | None = None) -> list[Path]:
    """The fund's cash at year end under each rule (median, P10–P90)."""
    return save(figure_fund_balance(repayment, language, context), folder, "fund_balance")


# --- sweeps ---------------------------------------------------------------------------------------

# columns of sweep_summary that are not a job's overrides (simulation/sweep.py RESERVED_COLUMNS)
SUMMARY_COLUMNS = ("job", "status", "rule", "metric", "mean", "p10", "p50", "p90", "error", "wall_time_s")


def swept_keys(sweep_summary: pd.DataFrame) -> list[str]:
    """Override columns that take more than one value across the jobs."""
    keys = [c for c in sweep_summary.columns if c not in SUMMARY_COLUMNS]
    return [k for k in keys if sweep_summary[k].dropna().astype(str).nunique() > 1]


def completed(sweep_summary: pd.DataFrame) -> pd.DataFrame:
    """Rows of jobs that finished ("ok"); failed, stale or missing jobs carry no numbers."""
    if "status" in sweep_summary.columns:
        return sweep_summary[sweep_summary["status"].astype(str) == "ok"]
    return sweep_summary


def _as_number(value: Any) -> float | None:
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def same_value(a: Any, b: Any) -> bool:
    """Equal as numbers when both are numbers ("0.5" == 0.5), else as text."""
    x, y = _as_number(a), _as_number(b)
    if x is not None and y is not None:
        return math.isclose(x, y, rel_tol=1e-9, abs_tol=1e-12)
    return str(a) == str(b)


def sorted_levels(values: pd.Series) -> list[Any]:
    levels = list(dict.fromkeys(values.dropna().tolist()))
    if all(_as_number(v) is not None for v in levels):
        return sorted(levels, key=lambda v: float(v))
    return sorted(levels, key=str)


def fmt_level(value: Any, language: str) -> str:
    x = _as_number(value)
    if x is None:
        return str(value)
    if float(x).is_integer():
        return fmt_number(x, language, 0)
    decimals = max(1, min(4, -int(math.floor(math.log10(abs(x)))) + 1)) if x else 1
    return fmt_number(x, language, decimals).rstrip("0").rstrip(",.") if decimals > 1 else fmt_number(x, language, decimals)


def sweep_note(sweep_summary: pd.DataFrame, language: str, stat: str = "mean",
               replications: int | None = None) -> str:
    jobs = sweep_summary["job"].nunique() if "job" in sweep_summary.columns else len(sweep_summary)
    n = replications
    if n is None and "replications" in sweep_summary.columns and sweep_summary["replications"].nunique() == 1:
        n = sweep_summary["replications"].iloc[0]
    stat_text = {"mean": {"en": "mean", "sv": "medelvärde"}, "p50": {"en": "median", "sv": "median"},
                 "p10": {"en": "P10", "sv": "P10"}, "p90": {"en": "P90", "sv": "P90"}}[stat][language]
    text = t(language, "note_sweep", jobs=jobs, n=n, stat=stat_text) if n is not None else \
        t(language, "note_sweep_no_n", jobs=jobs, stat=stat_text)
    return wrap(text, NOTE_CHARS)


@styled
def figure_sweep_heatmap(sweep_summary: pd.DataFrame, x_key: str, y_key: str, language: str,
                         rule: str | None = None, rule_labels: Mapping[str, str] | None = None,
                         replications: int | None = None) -> Figure:
    """P(full repayment) (the mean over replications) over two swept keys; one panel per rule."""
    frame = completed(sweep_summary)
    frame = frame[frame["metric"] == "p_full_repayment"]
    rules = [rule] if rule is not None else list(dict.fromkeys(frame["rule"].tolist()))
    if not rules:
        raise ValueError("sweep_summary has no p_full_repayment rows to draw")
    xs, ys = sorted_levels(frame[x_key]), sorted_levels(frame[y_key])
    others = [k for k in swept_keys(frame) if k not in (x_key, y_key)]
    n = len(rules)
    ncols = 1 if n == 1 else 2
    nrows = math.ceil(n / ncols)
    cell_w = (WIDTH_IN - 0.9) / ncols
    fig = new_figure(nrows * max(1.2, min(2.4, cell_w * len(ys) / max(len(xs), 1) + 0.5)) + 0.9)
    axes = np.atleast_1d(fig.subplots(nrows, ncols, squeeze=False)).ravel()
    image = None
    for i, r in enumerate(rules):
        ax = axes[i]
        sub = frame[frame["rule"] == r]
        grid = np.full((len(ys), len(xs)), np.nan)
        for iy, yv in enumerate(ys):
            for ix, xv in enumerate(xs):
                cell = sub[sub[x_key].map(lambda v: same_value(v, xv)) & sub[y_key].map(lambda v: same_value(v, yv))]
                if len(cell):
                    grid[iy, ix] = float(cell["mean"].mean())
        image = ax.imshow(grid, origin="lower", cmap="cividis", vmin=0.0, vmax=1.0, aspect="auto")
        for iy in range(len(ys)):
            for ix in range(len(xs)):
                value = grid[iy, ix]
                text = "—" if np.isnan(value) else fmt_number(100 * value, language)
                ax.text(ix, iy, text, ha="center", va="center", fontsize=5.5,
                        color="#000000" if (not np.isnan(value) and value > 0.55) else "#ffffff")
        ax.set_xticks(range(len(xs)), [fmt_level(v, language) for v in xs])
        ax.set_yticks(range(len(ys)), [fmt_level(v, language) for v in ys])
        ax.set_xlabel(key_name(x_key, language), fontsize=6)
        ax.set_ylabel(key_name(y_key, language), fontsize=6)
        ax.grid(False)
        ax.tick_params(labelsize=6, length=0)
        for spine in ax.spines.values():
            spine.set_visible(False)
        ax.set_title(rule_title(r, rule_labels, language), fontsize=7)
    for ax in axes[n:]:
        ax.set_axis_off()
    cbar = fig.colorbar(image, ax=list(axes[:n]), location="bottom", shrink=0.6, aspect=30)
    cbar.set_label(t(language, "heatmap_cbar") + " (%)", fontsize=6)
    cbar.ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _p: fmt_number(100 * v, language)))
    cbar.ax.tick_params(labelsize=6)
    add_title(fig, t(language, "heatmap_title"))
    note = sweep_note(frame, language, "mean", replications)
    if others:
        note += "\n" + wrap(t(language, "heatmap_mean_over") + ": " +
                            ", ".join(key_name(k, language) for k in others), NOTE_CHARS)
    add_note(fig, note)
    return fig


def sweep_heatmap(sweep_summary: pd.DataFrame, x_key: str, y_key: str, language: str, folder: Path,
                  rule: str | None = None, rule_labels: Mapping[str, str] | None = None) -> list[Path]:
    """Heatmap of P(full repayment) over two swept keys; saved as ``sweep_heatmap[_RULE].png/.svg``."""
    stem = "sweep_heatmap" if rule is None else f"sweep_heatmap_{rule}"
    fig = figure_sweep_heatmap(sweep_summary, x_key, y_key, language, rule=rule, rule_labels=rule_labels)
    return save(fig, folder, stem)


@dataclass(frozen=True)
class Swing:
    key: str
    low_level: Any          # the key's lowest swept value …
    low_value: float        # … and the metric there
    high_level: Any
    high_value: float

    @property
    def width(self) -> float:
        return abs(self.high_value - self.low_value)


def swings(sweep_summary: pd.DataFrame, baseline_overrides: Mapping[str, Any], metric: str,
           rule: str, stat: str = "mean") -> tuple[float, list[Swing]]:
    """One-at-a-time swings: each key moved over its levels with every other key at its baseline.

    Returns the metric at the baseline (NaN if the grid lacks that point) and the swings,
    widest first.
    """
    frame = completed(sweep_summary)
    frame = frame[(frame["metric"] == metric) & (frame["rule"] == rule)]
    keys = [k for k in baseline_overrides if k in frame.columns]

    def at_baseline(rows: pd.DataFrame, except_key: str | None) -> pd.Series:
        mask = pd.Series(True, index=rows.index)
        for k in keys:
            if k != except_key:
                mask &= rows[k].map(lambda v, b=baseline_overrides[k]: same_value(v, b))
        return mask

    base_rows = frame[at_baseline(frame, None)]
    base = float(base_rows[stat].mean()) if len(base_rows) else float("nan")
    out = []
    for key in keys:
        rows = frame[at_baseline(frame, key)].dropna(subset=[stat])
        levels = sorted_levels(rows[key])
        if len(levels) < 2:
            continue
        lo = rows[rows[key].map(lambda v: same_value(v, levels[0]))][stat].mean()
        hi = rows[rows[key].map(lambda v: same_value(v, levels[-1]))][stat].mean()
        out.append(Swing(key, levels[0], float(lo), levels[-1], float(hi)))
    out.sort(key=lambda s: (-s.width, s.key))
    return base, out


@styled
def figure_tornado(sweep_summary: pd.DataFrame, baseline_overrides: Mapping[str, Any], language: str,
                   metric: str = "p_full_repayment", rule: str | None = None, stat: str = "mean",
                   rule_labels: Mapping[str, str] | None = None, replications: int | None = None) -> Figure:
    """Tornado: how far the metric moves when one key at a time goes to its lowest and highest value."""
    frame = completed(sweep_summary)
    rules = [rule] if rule is not None else list(dict.fromkeys(frame.loc[frame["metric"] == metric, "rule"]))
    if not rules:
        raise ValueError(f"sweep_summary has no rows for metric {metric!r}")
    results = {r: swings(frame, baseline_overrides, metric, r, stat) for r in rules}
    n_keys = max((len(s) for _, s in results.values()), default=0)
    is_share = OUTCOMES.get(metric) is not None and OUTCOMES[metric].unit in ("share", "probability")
    all_values = [v for base, ss in results.values() for s in ss for v in (s.low_value, s.high_value)] + \
                 [base for base, _ in results.values()]
    money = None if is_share or OUTCOMES.get(metric) is None or OUTCOMES[metric].unit != "SEK" \
        else money_scale(all_values, language)
    panel_h = 0.28 * max(n_keys, 1) + 0.55
    fig = new_figure(len(rules) * panel_h + 1.2)
    legend_ax, axes = panels_with_legend_row(fig, len(rules), 1, 0.35, panel_h, sharex=True)
    for ax, r in zip(axes, rules):
        base, ss = results[r]
        ss = ss[::-1]  # widest on top
        for y, s in enumerate(ss):
            ref = base if not np.isnan(base) else (s.low_value + s.high_value) / 2
            ax.barh(y, s.low_value - ref, left=ref, color=PALETTE["low"], height=0.6)
            ax.barh(y, s.high_value - ref, left=ref, color=PALETTE["high"], height=0.6)
            # each end labelled with the key's value there; on a tie the lowest level goes left, the
            # highest right, so two labels never print on top of each other
            pad = 0.01 if is_share else 0.0
            low_right = s.low_value > ref or (s.low_value == ref and s.high_value < ref)
            high_right = s.high_value > ref or (s.high_value == ref and not low_right)
            for value, level, right in ((s.low_value, s.low_level, low_right), (s.high_value, s.high_level, high_right)):
                ax.text(value + (pad if right else -pad), y, fmt_level(level, language),
                        ha="left" if right else "right", va="center", fontsize=5.5)
        if not np.isnan(base):
            ax.axvline(base, color="#000000", linewidth=0.7)
        ax.set_yticks(range(len(ss)), [key_name(s.key, language) for s in ss])
        ax.set_ylim(-0.6, max(len(ss), 1) - 0.4)
        ax.tick_params(axis="y", length=0)
        ax.grid(axis="y", visible=False)
        ax.grid(axis="x", color="#dddddd", linewidth=0.5)
        ax.set_title(rule_title(r, rule_labels, language), fontsize=7)
        if is_share:
            ax.set_xlim(-0.12, 1.12)
            ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _p: fmt_percent(v, language)))
        elif money is not None:
            ax.xaxis.set_major_formatter(money.formatter(language))
    for ax in axes[:-1]:
        ax.tick_params(axis="x", labelbottom=False)
    xlabel = metric_name(metric, language)
    if money is not None:
        xlabel += f" ({money.label(language, None)})"
    axes[-1].set_xlabel(xlabel)
    handles = [Patch(color=PALETTE["low"]), Patch(color=PALETTE["high"]),
               Line2D([], [], color="#000000", linewidth=0.7)]
    legend_ax.legend(handles, [t(language, "tornado_low"), t(language, "tornado_high"), t(language, "tornado_base")],
                     loc="center left", ncols=1, fontsize=6, borderaxespad=0.0)
    add_title(fig, t(language, "tornado_title", metric=metric_name(metric, language)))
    add_note(fig, sweep_note(frame, language, stat, replications))
    return fig


def tornado(sweep_summary: pd.DataFrame, baseline_overrides: Mapping[str, Any], language: str, folder: Path,
            metric: str = "p_full_repayment", rule: str | None = None, stat: str = "mean",
            rule_labels: Mapping[str, str] | None = None) -> list[Path]:
    """Tornado of one-at-a-time swings around ``baseline_overrides``; saved as ``tornado_METRIC``."""
    stem = f"tornado_{metric}" if rule is None else f"tornado_{metric}_{rule}"
    fig = figure_tornado(sweep_summary, baseline_overrides, language, metric=metric, rule=rule, stat=stat,
                         rule_labels=rule_labels)
    return save(fig, folder, stem)


# --- the run's chart set ------------------------------------------------------------------------------

RUN_CHARTS = ("repayment_timeline", "repayment_waterfall", "who_saves", "eb_caseload", "children_placed",
              "fund_balance")


def run_charts(tables: Mapping[str, pd.DataFrame], context: ChartContext, folder: Path) -> dict[str, list[Path]]:
    """Every chart of a run, from its tables, into ``folder``; {chart name: [png, svg]}."""
    lang = context.language
    out: dict[str, list[Path]] = {}
    out["repayment_timeline"] = repayment_timeline(tables["repayment"], tables["years"], tables["per_replication"],
                                                   lang, folder, context)
    out["repayment_waterfall"] = repayment_waterfall(tables["per_replication"], lang, folder, context)
    out["who_saves"] = who_saves(tables["ledger"], lang, folder, context)
    out["eb_caseload"] = eb_caseload(tables["population"], lang, folder, context)
    out["children_placed"] = children_placed(tables["population"], lang, folder, context)
    out["fund_balance"] = fund_balance(tables["repayment"], lang, folder, context)
    return out
