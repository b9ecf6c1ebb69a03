"""The Python API a strategist uses from a notebook (README: "From Python")."""

from __future__ import annotations

import mesa
import numpy as np
import pandas as pd
import pytest

import simulation
from scenarios.validation import ConfigError
from tests.support import make_config


def test_load_config_is_what_the_command_runs():
    cfg = simulation.load_config(["charts=false", "progress=false", "workers=1", "horizon_years=3"])
    assert cfg == make_config("horizon_years=3")
    assert cfg.intervention.name == "hela_familjen_oster" and set(cfg.repayment.rules) >= {"malmo_2012"}


def test_load_config_refuses_bad_values_naming_the_key():
    with pytest.raises(ConfigError) as err:
        simulation.load_config(["horizon_years=500"])
    assert err.value.problems[0].startswith("horizon_years=500")


def test_load_config_reads_an_own_config_dir(tmp_path):
    (tmp_path / "municipality").mkdir()
    (tmp_path / "municipality" / "orebro.yaml").write_text("name: orebro\nlabel: Örebro\n")
    cfg = simulation.load_config(["municipality=orebro"], config_dir=tmp_path)
    assert (cfg.municipality.name, cfg.municipality.label) == ("orebro", "Örebro")


def test_the_model_runs_from_python_and_with_mesa_batch_run():
    cfg = simulation.load_config(["horizon_years=2", "progress=false", "workers=1"])
    model = simulation.SifsimModel(cfg).run()
    series = model.datacollector.get_model_vars_dataframe()
    assert len(series) == model.n_months
    assert (series["households_on_eb_intervention"] <= series["households_on_eb_control"] + 50).all()
    household = model.households.household(0, arm=1)
    assert household.arm == "control" and household.replication == 0
    out = mesa.batch_run(simulation.SifsimModel, parameters={"config": [cfg], "replication": [0, 1]},
                         rng=[cfg.seed], max_steps=6, number_processes=1, display_progress=False)
    frame = pd.DataFrame(out)
    assert sorted(frame["replication"].unique()) == [0, 1]
    last = frame[frame["Step"] == frame["Step"].max()]
    assert not np.array_equal(*[last[last["replication"] == r]["households_on_eb_control"].to_numpy()
                                for r in (0, 1)])


def test_a_model_without_config_runs_the_default_scenario():
    model = simulation.SifsimModel()
    assert model.config.intervention.name == "hela_familjen_oster"
    assert model.replications == [0]
