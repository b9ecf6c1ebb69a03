"""The house style: A4 half-width, type of at least 6 pt, the Okabe–Ito palette, and saving
PNG + SVG that are byte-for-byte the same from the same tables (fixed size and dpi, a fixed SVG
hash salt, no date or software stamps)."""

from __future__ import annotations

import contextlib
import functools
import textwrap
from pathlib import Path
from typing import Any, Callable

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from cycler import cycler  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from matplotlib.patches import Patch  # noqa: E402
from matplotlib.ticker import MaxNLocator  # noqa: E402

from simulation.present.files import atomic_write  # noqa: E402

# Okabe & Ito (2008), "Color Universal Design": distinguishable with protan, deutan and tritan vision.
OKABE_ITO = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000")
PALETTE = {"intervention": "#0072B2", "control": "#E69F00", "grant": "#555555", "repaid": "#009E73",
           "saving": "#CC79A7", "other": "#999999", "net": "#000000", "difference": "#0072B2",
           "exits": "#D55E00", "low": "#56B4E9", "high": "#D55E00"}
RULE_STYLES = ("-", "--", "-.", ":", (0, (5, 1, 1, 1)), (0, (1, 1)), (0, (8, 2)))
# one colour per rule on a white background (black and yellow are kept for marks and read badly as lines)
RULE_COLOURS = tuple(c for c in OKABE_ITO if c not in ("#000000", "#F0E442"))

WIDTH_IN = 8.5 / 2.54          # A4 half-width
DPI = 200                       # fixed: PNG size in pixels never depends on the machine
NOTE_CHARS = 72                 # characters per note line at 5.5 pt over WIDTH_IN (76 ran off with commas and capitals)
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
    # every text is plain: a user's label ("Kostnad $5$", a rule named "a_b^c") is drawn as written,
    # never parsed as mathtext (which would crash the charts after a whole simulation has run)
    "text.parse_math": False,
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
    """Write ``stem.png`` and ``stem.svg`` without date or version stamps; close the figure.

    The SVG is drawn with the layout the PNG's drawing made (the layout engine is then set to
    none): running the constrained layout again for the SVG renderer cost ≈ 0.45 s of CPU over
    a run's eight charts (issue 15), and as the two renderers measure text slightly differently
    it gave the SVG panels up to ≈ 4 pt wider than the PNG's (of the figure's 241 pt); now both
    files have one layout. The chart's CSV is read from the figure before either drawing, so
    it does not change.
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    with house_style():
        for ext, metadata in (("png", {"Software": None}),
                              ("svg", {"Date": None, "Creator": None})):
            path = folder / f"{stem}.{ext}"
            atomic_write(path, lambda p, ext=ext, metadata=metadata:  # a reader never sees half a chart
                         fig.savefig(p, dpi=DPI, format=ext, metadata=metadata))
            paths.append(path)
            if fig.get_layout_engine() is not None:
                fig.set_layout_engine("none")   # laid out by the PNG's drawing: keep it
    plt.close(fig)
    return paths


def new_figure(height_in: float, width_in: float = WIDTH_IN) -> Figure:
    """A figure outside pyplot's registry (no global state), laid out by constrained layout."""
    return Figure(figsize=(width_in, height_in), layout="constrained")


def wrap(text: str, width: int) -> str:
    return "\n".join(textwrap.wrap(text, width=width, break_long_words=False, break_on_hyphens=False))


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


def shade_project(ax, context: Any, annual: bool = False) -> Patch | None:
    """Grey the project years (``context.start_year`` … ``end_year``); ``annual``: x is a calendar
    year drawn as a category (a bar)."""
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
    width = 22 if ncols > 1 else 40
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
