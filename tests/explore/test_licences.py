"""The PRIM package is GPL: an optional extra of this MIT project, with one clear note when it is missing."""

from __future__ import annotations

import json
import re
import tomllib
from importlib import metadata
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from simulation.explore import discovery
from simulation.explore.command import explore_main
from tests.explore.test_command import TINY

ROOT = Path(__file__).resolve().parents[2]


def requirement_names(requirements: list[str]) -> set[str]:
    return {re.split(r"[\[=<>!~ ;]", r, maxsplit=1)[0].lower() for r in requirements}


def test_a_gpl_package_is_an_optional_extra_not_a_dependency_of_the_mit_project():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    assert project["license"] == "MIT"
    licence = metadata.metadata("prim").get("License", "")
    assert "GENERAL PUBLIC LICENSE" in licence.upper()           # the installed metadata says GPL
    assert "prim" not in requirement_names(project["dependencies"])
    assert "prim" in requirement_names(project["optional-dependencies"]["discovery"])
    # what prim alone pulls in goes with it; SALib (MIT) stays a dependency
    assert "mplcursors" not in requirement_names(project["dependencies"])
    assert "salib" in requirement_names(project["dependencies"])


def test_find_box_without_prim_says_what_to_install(monkeypatch):
    monkeypatch.setattr(discovery, "prim_available", lambda: False)
    x = pd.DataFrame({"a": np.linspace(0, 1, 40)})
    with pytest.raises(discovery.PrimMissing) as err:
        discovery.find_box(x, (x["a"] > 0.5).to_numpy())
    assert "pip install -e '.[discovery]'" in str(err.value) and "GPL" in str(err.value)


def test_a_study_without_prim_runs_its_design_and_says_once_that_the_boxes_are_left_out(tmp_path, monkeypatch,
                                                                                       capsys):
    import simulation.explore.command as command
    monkeypatch.setattr(command, "prim_available", lambda: False)
    folder = tmp_path / "study"
    assert explore_main([*TINY, "explore.break_even.enabled=false", f"explore.output_dir={folder}"]) == 0
    err = capsys.readouterr().err
    assert err.count("scenario discovery (PRIM boxes) is left out") == 1
    assert err.index("left out") < err.index("chunk 1/")                    # said before the first run
    record = json.loads((folder / "study.json").read_text())
    assert record["stop"]["discovery"] == "prim_missing"
    assert (folder / "explore_indices.csv").is_file() and not (folder / "explore_boxes.csv").exists()
    html = (folder / "report.html").read_text(encoding="utf-8")
    assert "Left out: scenario discovery needs the optional package prim" in html
