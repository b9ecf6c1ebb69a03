"""What the main process of ``sifsim`` imports before it needs it (issue 15: start-up time).

The command line imports neither Mesa (the model is built in the replication workers), nor
matplotlib (the charts are drawn in chart workers and the report), nor openpyxl or numba; the
summary's Monte Carlo interval does not import ``scipy.stats`` (1.5 s). Each check runs in a
fresh interpreter, so that what this test process already imported does not hide an import.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

#: (what the fresh interpreter does, modules it must not have imported afterwards)
CASES = {
    "the command line": ("import simulation.app.cli",
                         ("mesa", "matplotlib", "openpyxl", "numba", "scipy.stats", "agents.units")),
    # the warm server starts in main()'s first lines: before then nothing heavy (simulation/app/warm.py)
    "the command line before its warm server starts": ("import simulation.app.cli",
                                                        ("pandas", "hydra", "omegaconf", "numpy")),
    "the runner": ("import simulation.core.runner",
                   ("mesa", "matplotlib", "numba", "scipy.stats")),
    "the config check's kernel choice": ("from simulation.app.task import kernel_problems; "
                                         "assert kernel_problems() == []",
                                         ("mesa", "agents.units", "numba", "matplotlib")),
    "the summary's interval": ("from simulation.core.runner import monte_carlo_interval; "
                               "assert monte_carlo_interval(3, 10) != (0.0, 1.0)",
                               ("scipy.stats", "mesa")),
}


def imported_after(code: str, names: tuple[str, ...]) -> list[str]:
    script = f"{code}\nimport json, sys\nprint(json.dumps([n for n in {list(names)!r} if n in sys.modules]))"
    out = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize("case", list(CASES))
def test_main_process_imports_stay_lazy(case):
    code, forbidden = CASES[case]
    assert imported_after(code, forbidden) == [], f"{case} imports what it does not need"


def test_the_check_sees_an_import():
    """The probe itself: a module that is imported is reported."""
    assert imported_after("import simulation.core.model", ("mesa",)) == ["mesa"]
