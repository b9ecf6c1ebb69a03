"""The outputs' work done while the replications run (simulation/app/prepare.py, issue 15).

The assumptions table made in the preparation thread must be the one the report collects from the
run folder's own ``config.yaml``; a failure there must leave the report to collect it itself.
"""

from __future__ import annotations

import sys

import pandas as pd

from simulation.app.outputs import write_run_tables
from simulation.app.prepare import CHART_MODULES, MODULES, Preparation
from simulation.core.runner import run
from simulation.present.files import read_config
from simulation.present.report import ASSUMPTIONS_FILE, collect_assumptions, load_or_capture_assumptions
from tests.support import make_config


def test_the_prepared_assumptions_are_the_folders_own(tmp_path):
    config = make_config("replications=2", "horizon_years=3", "seed=7", "repayment=malmo_2012")
    preparation = Preparation(config, charts=True)
    results = run(config)
    write_run_tables(results, tmp_path, csv=False)
    prepared = preparation.assumptions()
    assert prepared is not None and len(prepared) > 50
    pd.testing.assert_frame_equal(prepared, collect_assumptions(read_config(tmp_path)), check_exact=True)
    assert all(name in sys.modules for name in (*MODULES, *CHART_MODULES))
    # the report takes it when the folder has no assumptions.csv yet, and writes that file from it
    assert load_or_capture_assumptions(tmp_path, read_config(tmp_path), prepared) is prepared
    assert (tmp_path / ASSUMPTIONS_FILE).is_file()


def test_without_charts_the_chart_modules_are_not_imported():
    """A sweep's job with charts=false leaves its core to the replications: in a fresh interpreter
    the preparation imports the table modules only."""
    import subprocess
    code = ("import sys; from simulation.app.prepare import Preparation, CHART_MODULES, MODULES\n"
            "from tests.support import make_config\n"
            "Preparation(make_config('replications=1', 'horizon_years=1'), charts=False).join()\n"
            "print(all(m in sys.modules for m in MODULES), any(m in sys.modules for m in CHART_MODULES))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["True", "False"]


def test_without_charts_or_after_a_failure_there_is_no_prepared_table():
    config = make_config("replications=1", "horizon_years=1")
    assert Preparation(config, charts=False).assumptions() is None
    broken = Preparation(object(), charts=True)        # not a config: config.yaml cannot be made
    assert broken.assumptions() is None and broken._failed is not None
