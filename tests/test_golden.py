"""Golden master of the default scenario (small): catches any unintended change in results.

On an intended change of the model or its defaults, regenerate and review the diff:

    SIFSIM_REGENERATE_GOLDEN=1 .venv/bin/python -m pytest tests/test_golden.py
    git diff tests/golden/
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pandas as pd

from simulation.core.runner import run
from tests.support import make_config

GOLDEN = Path(__file__).parent / "golden" / "default_summary.csv"
OVERRIDES = ("replications=3", "horizon_years=8")


def test_default_scenario_matches_the_golden_master():
    summary = run(make_config(*OVERRIDES)).summary
    if os.environ.get("SIFSIM_REGENERATE_GOLDEN"):
        GOLDEN.parent.mkdir(exist_ok=True)
        summary.to_csv(GOLDEN, index=False, float_format="%.10g")
    golden = pd.read_csv(GOLDEN)
    message = ("the default scenario's summary changed; if intended, regenerate with "
               "SIFSIM_REGENERATE_GOLDEN=1 .venv/bin/python -m pytest tests/test_golden.py and review "
               "`git diff tests/golden/`")
    assert list(summary[["rule", "metric"]].itertuples(index=False)) == \
        list(golden[["rule", "metric"]].itertuples(index=False)), message
    for col in ("mean", "p10", "p50", "p90"):
        # relative 1e-9: room for last-digit differences of vectorised exp/log between CPUs, not more
        assert np.allclose(summary[col].to_numpy(float), golden[col].to_numpy(float), rtol=1e-9,
                           atol=1e-6, equal_nan=True), f"{col}: {message}"
