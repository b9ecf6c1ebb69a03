"""What a chart worker process needs imported, by name (no imports here: light enough for
``sifsim``'s first lines, which start the workers' fork server: :mod:`simulation.app.warm`)."""

from __future__ import annotations

import sys

#: what a chart worker imports (simulation/present/charts/parallel.py draws from it)
CHART_PRELOAD = ("simulation.present.charts.parallel", "simulation.present.charts.context",
                 "simulation.present.files")


def main_module_imports() -> list[str]:
    """What a worker imports again when it prepares its ``__main__`` (as a spawned process does):
    the main module when Python was started with ``-m``; for a script (the ``sifsim`` console
    script) the ``simulation`` modules its functions come from (``simulation.app.cli``)."""
    main = sys.modules.get("__main__")
    if main is None:
        return []
    spec = getattr(main, "__spec__", None)
    if spec is not None and spec.name not in ("__main__", "__mp_main__"):
        return [spec.name]
    return sorted({str(v.__module__) for v in vars(main).values()
                   if callable(v) and str(getattr(v, "__module__", "")).startswith("simulation.")})
