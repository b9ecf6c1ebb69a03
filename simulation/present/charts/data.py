"""The data of a drawn chart, as a tidy table (``charts/<chart>.csv`` beside the PNG and SVG).

Read from the figure itself, so every chart of the registry gets its CSV with no code of its own
and the numbers are exactly those drawn: each line (a median, a mean, a cumulative series), each
band (its P10 and P90 edges), each bar, each cell of a heat map. Reference lines (``axhline``,
``axvline``, in axes coordinates) and shading are not data and are left out.

Columns: ``panel`` (the axes' y label, or its number), ``series`` (the legend label),
``statistic`` (``line``, ``p10``, ``p90``, ``bar``, ``bar_bottom``, ``cell``), ``x``, ``x_label``
(the category a bar or cell stands for, when the axis names it), ``y`` (a heat map cell's row)
and ``value``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.collections import FillBetweenPolyCollection, QuadMesh
from matplotlib.colors import to_rgb
from matplotlib.container import BarContainer
from matplotlib.figure import Figure
from matplotlib.image import AxesImage
from matplotlib.lines import Line2D

from simulation.present.files import atomic_write

COLUMNS = ["panel", "series", "statistic", "x", "x_label", "y", "value"]


def _tick_names(ax, axis: str) -> dict[float, str]:
    a = ax.xaxis if axis == "x" else ax.yaxis
    names = {}
    for tick in a.get_major_ticks():
        text = tick.label1.get_text()
        if text:
            names[round(float(tick.get_loc()), 9)] = text
    return names


def _is_data(artist) -> bool:
    """Drawn in data coordinates on both axes (not an axhline/axvline or a note)."""
    ax = artist.axes
    return ax is not None and artist.get_transform() == ax.transData


def chart_data(fig: Figure) -> pd.DataFrame:
    """Every plotted series of ``fig`` as rows of :data:`COLUMNS`."""
    rows: list[tuple] = []
    panels = [ax for ax in fig.axes if ax.get_label() != "<colorbar>"]
    for i, ax in enumerate(panels):
        panel = ax.get_ylabel() or f"panel {i + 1}"
        xnames, ynames = _tick_names(ax, "x"), _tick_names(ax, "y")
        lines = [ln for ln in ax.get_lines() if isinstance(ln, Line2D) and _is_data(ln) and len(ln.get_xdata()) > 1]
        colour_label = {to_rgb(ln.get_color()): ln.get_label() for ln in reversed(lines)
                        if not ln.get_label().startswith("_")}
        for k, ln in enumerate(lines):
            label = ln.get_label()
            series = label if not label.startswith("_") else f"line {k + 1}"
            for x, v in zip(np.asarray(ln.get_xdata(), dtype=float), np.asarray(ln.get_ydata(), dtype=float)):
                rows.append((panel, series, "line", x, xnames.get(round(x, 9), ""), np.nan, v))
        for k, band in enumerate(c for c in ax.collections if isinstance(c, FillBetweenPolyCollection)):
            vertices = band.get_paths()[0].vertices if band.get_paths() else np.empty((0, 2))
            n = (len(vertices) - 3) // 2
            if n < 1:
                continue
            edge1, edge2 = vertices[1:1 + n], vertices[n + 2:2 * n + 2][::-1]
            series = colour_label.get(to_rgb(band.get_facecolor()[0][:3]), f"band {k + 1}")
            lower = np.minimum(edge1[:, 1], edge2[:, 1])
            upper = np.maximum(edge1[:, 1], edge2[:, 1])
            for x, lo, hi in zip(edge1[:, 0], lower, upper):
                rows.append((panel, series, "p10", x, "", np.nan, lo))
                rows.append((panel, series, "p90", x, "", np.nan, hi))
        for k, container in enumerate(c for c in ax.containers if isinstance(c, BarContainer)):
            label = container.get_label() or ""
            series = label if label and not label.startswith("_") else f"bars {k + 1}"
            horizontal = getattr(container, "orientation", "vertical") == "horizontal"
            for bar in container.patches:
                if horizontal:
                    pos, start, size, names = bar.get_y() + bar.get_height() / 2, bar.get_x(), bar.get_width(), ynames
                else:
                    pos, start, size, names = bar.get_x() + bar.get_width() / 2, bar.get_y(), bar.get_height(), xnames
                rows.append((panel, series, "bar", pos, names.get(round(pos, 9), ""), np.nan, start + size))
                rows.append((panel, series, "bar_bottom", pos, names.get(round(pos, 9), ""), np.nan, start))
        for image in [c for c in ax.collections if isinstance(c, QuadMesh)] + \
                [im for im in ax.get_images() if isinstance(im, AxesImage)]:
            grid = np.ma.filled(np.ma.asarray(image.get_array(), dtype=float), np.nan)
            grid = grid.reshape(grid.shape[0], -1) if grid.ndim > 1 else grid[None, :]
            for r in range(grid.shape[0]):
                for c in range(grid.shape[1]):
                    rows.append((panel, "", "cell", float(c), xnames.get(float(c), ""), float(r), grid[r, c]))
    return pd.DataFrame(rows, columns=COLUMNS)


def write_chart_data(fig: Figure, folder: Path, stem: str) -> Path:
    """Write ``folder/<stem>.csv`` with the data of ``fig``."""
    path = Path(folder) / f"{stem}.csv"
    frame = chart_data(fig)
    atomic_write(path, lambda p: frame.to_csv(p, index=False, float_format="%.10g"))
    return path
