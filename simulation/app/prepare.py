"""The outputs' work that needs only the config, done while the replications run (issue 15).

While a run simulates, the command's own process only waits: for its workers, and at first for
the warm fork server (:mod:`simulation.app.warm`) to be ready to fork them. What comes after the
simulation in that process was serial before: the summary's first quantile interval imports
``scipy.special`` (≈ 0.2–0.4 s), starting the charts imports the report's modules (matplotlib and
the chart modules, ≈ 0.8 s), and the report collects the assumptions table from the comments of
``conf/`` (≈ 0.26 s). :class:`Preparation` does these in a thread started just before
:func:`simulation.core.runner.run`, so they overlap the wait; the command joins it before it
writes the run folder. The assumptions table is the one the report would have collected itself:
from the same ``config.yaml`` text (:func:`simulation.app.outputs.config_text`), read the same
way (:func:`simulation.present.files.read_config`'s loader), by the same function.

Nothing here changes a file: only when the work is done.
"""

from __future__ import annotations

import threading

import pandas as pd

#: imported in the thread: what the command's process imports after the simulation otherwise
MODULES = ("scipy.special", "pyarrow.parquet")
#: and, for a run with charts, the report's and the charts' modules (a sweep's jobs with
#: ``charts=false`` never import them: their process keeps its core for the replications)
CHART_MODULES = ("simulation.present.report", "simulation.present.charts.parallel")


class Preparation:
    """A thread that imports :data:`MODULES` and, for a run with charts, :data:`CHART_MODULES` and
    collects the assumptions table of ``config``; :meth:`assumptions` waits for it."""

    def __init__(self, config, *, charts: bool):
        self.config, self.charts = config, charts
        self._assumptions: pd.DataFrame | None = None
        self._failed: BaseException | None = None
        self._thread = threading.Thread(target=self._work, name="sifsim-prepare", daemon=True)
        self._thread.start()

    def _work(self) -> None:
        try:
            import importlib
            for name in (*MODULES, *(CHART_MODULES if self.charts else ())):
                importlib.import_module(name)
            if self.charts:
                import yaml
                from simulation.app.outputs import config_text
                from simulation.present.files import SAFE_LOADER
                from simulation.present.report import collect_assumptions
                plain = yaml.load(config_text(self.config), Loader=SAFE_LOADER) or {}
                self._assumptions = collect_assumptions(plain)
        except BaseException as exc:   # noqa: BLE001 - the report then collects the table itself
            self._failed = exc

    def join(self) -> None:
        self._thread.join()

    def assumptions(self) -> pd.DataFrame | None:
        """The run's assumptions table, or None (no charts, or it failed here: the report then
        collects it itself, and says what is wrong)."""
        self.join()
        return self._assumptions
