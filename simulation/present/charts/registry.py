"""The charts, each declared once: the run, the report and the tests iterate :data:`CHARTS`.

A chart is a figure builder plus its entry::

    @chart("fund_balance", tables=("repayment",), title="fund_title")
    def figure_fund_balance(repayment, ctx): ...

Adding one is that function, its entry and its labels (``labels/<language>.yaml``: the title and
note under ``charts:``, the report's caption under ``captions:``). The entry's file stem is
its name: ``charts/<name>.png``, ``.svg`` and ``.csv`` (the data drawn, :mod:`.data`).

Run charts are drawn from a run's tables: the decorated function is called
``figure(*tables, language, context=None)`` and its builder gets the tables it declared and a
:class:`ChartContext`; the registry adds the title and the note (the chart's own note, then the
run's assumptions). A builder may return ``(figure, remark)`` to add a remark about this drawing
under the note. Sweep charts are drawn from ``sweep_summary`` and a sweep context and carry their
own (parameterised) title and note.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Literal, Mapping

import pandas as pd
from matplotlib.figure import Figure

from simulation.present.charts.data import write_chart_data
from simulation.present.charts.context import ChartContext, context_or_default, t
from simulation.present.charts.style import NOTE_CHARS, add_note, add_title, house_style, save, styled, wrap

Kind = Literal["run", "sweep"]


@dataclass(frozen=True)
class Chart:
    """One chart: what it is called, what it reads, how it is drawn."""

    name: str                             # file stem and the report's figure id
    kind: Kind                            # "run": from a run's tables; "sweep": from sweep_summary
    title: str                            # label key (charts:) of the figure title
    note: str | None                      # label key (charts:) of the chart's own note, if any
    tables: tuple[str, ...]               # the tables the builder reads, in its argument order
    figure: Callable[..., Figure]         # figure(*tables, language, context) -> Figure
    applies: Callable[[Any], bool] | None = None   # drawn only when applies(context) (sweep charts)

    @property
    def caption(self) -> str:
        """Label key of the report's caption."""
        return f"captions.{self.name}"

    def wanted(self, context: Any) -> bool:
        return self.applies is None or bool(self.applies(context))

    def draw(self, tables: Mapping[str, pd.DataFrame], context: Any) -> Figure:
        """The figure from ``tables`` (only the ones declared are read)."""
        missing = [n for n in self.tables if n not in tables]
        if missing:
            raise KeyError(f"chart {self.name!r} reads the tables {', '.join(missing)}, which are not given")
        return self.figure(*(tables[n] for n in self.tables), context.language, context)

    def save(self, tables: Mapping[str, pd.DataFrame], context: Any, folder: Path) -> list[Path]:
        """Draw and write ``folder/<name>.png``, ``.svg`` and ``.csv`` (the data drawn, for a spreadsheet)."""
        fig = self.draw(tables, context)
        Path(folder).mkdir(parents=True, exist_ok=True)
        data = write_chart_data(fig, folder, self.name)
        return save(fig, folder, self.name) + [data]


CHARTS: dict[str, Chart] = {}


def chart(name: str, *, tables: tuple[str, ...], title: str, note: str | None = None, kind: Kind = "run",
          applies: Callable[[Any], bool] | None = None) -> Callable[[Callable[..., Any]], Callable[..., Figure]]:
    """Register the decorated builder as chart ``name``; returns the public ``figure`` function."""
    def register(builder: Callable[..., Any]) -> Callable[..., Figure]:
        if name in CHARTS:
            raise ValueError(f"chart {name!r} is registered twice")
        figure = styled(builder) if kind == "sweep" else _run_figure(builder, len(tables), title, note)
        CHARTS[name] = Chart(name, kind, title, note, tuple(tables), figure, applies)
        return figure
    return register


def _run_figure(builder: Callable[..., Any], n_tables: int, title: str, note: str | None) -> Callable[..., Figure]:
    @functools.wraps(builder)
    def figure(*args: Any, **kwargs: Any) -> Figure:
        frames, rest = args[:n_tables], list(args[n_tables:])
        language = rest.pop(0) if rest else kwargs.pop("language")
        context = rest.pop(0) if rest else kwargs.pop("context", None)
        ctx: ChartContext = context_or_default(context, language, int(frames[0]["replication"].nunique()))
        with house_style():
            built = builder(*frames, ctx)
            fig, remark = built if isinstance(built, tuple) else (built, "")
            add_title(fig, t(language, title))
            parts = [wrap(t(language, note, h=ctx.horizon_years or "?"), NOTE_CHARS)] if note else []
            parts += [ctx.note()] + ([wrap(remark, NOTE_CHARS)] if remark else [])
            add_note(fig, "\n".join(parts))
        return fig
    return figure


def charts_of(kind: Kind) -> list[Chart]:
    """The charts of one kind, in the order they were declared (the report's order)."""
    return [c for c in CHARTS.values() if c.kind == kind]


def run_charts(tables: Mapping[str, pd.DataFrame], context: ChartContext, folder: Path) -> dict[str, list[Path]]:
    """Every run chart, from a run's tables, into ``folder``; {chart name: [png, svg]}."""
    return {c.name: c.save(tables, context, folder) for c in charts_of("run")}


def sweep_charts(sweep_summary: pd.DataFrame, context: Any, folder: Path) -> dict[str, list[Path]]:
    """Every sweep chart that applies to this sweep, into ``folder``; {chart name: [png, svg]}."""
    tables = {"sweep_summary": sweep_summary}
    return {c.name: c.save(tables, context, folder) for c in charts_of("sweep") if c.wanted(context)}
