"""simulation.app: `sifsim validate` with Hydra's config flags, the manifest, the sweep's outcome record."""

from __future__ import annotations

import json
import os
from pathlib import Path

from hydra import compose, initialize_config_dir
from omegaconf import OmegaConf

from scenarios.registry import register_configs
from simulation.app import grid, sweep, task
from simulation.app.config import CONF_DIR


def extra_conf(tmp_path: Path) -> Path:
    """A config dir adding a municipality (as a user's own `--config-dir`)."""
    group = tmp_path / "my_conf" / "municipality"
    group.mkdir(parents=True)
    (group / "orebro.yaml").write_text("name: orebro\nlabel: Örebro\n")
    return tmp_path / "my_conf"


def test_validate_takes_config_dir_like_the_main_command(tmp_path, capsys):
    conf = extra_conf(tmp_path)
    assert grid.validate_main(["municipality=orebro"]) == 2         # not found without -cd
    assert "municipality=orebro: no such option" in capsys.readouterr().out
    for flag in ("-cd", "--config-dir"):
        assert grid.validate_main([flag, str(conf), "municipality=orebro", "seed=-1,1"]) == 2
        lines = capsys.readouterr().out.splitlines()
        assert lines[0] == "job 0 [municipality=orebro seed=-1]: 1 problem"
        assert lines[1].startswith("  - seed=-1")                   # orebro was found
        assert lines[2] == "job 1 [municipality=orebro seed=1]: OK"
        assert lines[-1] == "2 jobs checked: 1 with problems"


def test_validate_takes_config_name_and_refuses_other_flags(capsys):
    for flag in ("-cn", "--config-name"):
        assert grid.validate_main([flag, "config", "seed=1"]) == 0
        assert capsys.readouterr().out.splitlines()[-1] == "1 job checked: all OK"
    assert grid.validate_main(["-cn", "no_such_config", "seed=1"]) == 2
    assert "no_such_config" in capsys.readouterr().out
    assert grid.validate_main(["--cfg", "job"]) == 2
    assert "unknown option --cfg" in capsys.readouterr().err


def test_the_manifest_has_every_phase_and_the_report_cites_it(tmp_path, capsys):
    register_configs()
    with initialize_config_dir(config_dir=CONF_DIR, version_base="1.3"):
        cfg = compose("config", overrides=["replications=1", "horizon_years=4", "progress=false",
                                           "workers=1", "language=en"])
    assert task.execute(cfg, tmp_path) == 0
    record = json.loads((tmp_path / "manifest.json").read_text())
    assert {"write_tables", "charts_and_report"} <= set(record["wall_time_s"])
    assert len(record["wall_time_s"]) > 2                           # the runner's phases too
    assert record["config_hash"] in (tmp_path / "report.html").read_text(encoding="utf-8")
    assert f"Run folder: {tmp_path}" in capsys.readouterr().out


def test_the_sweep_callback_records_its_outcome_where_sifsim_says(tmp_path):
    before = os.environ.get(sweep.OUTCOME_ENV)
    with sweep.outcome_file() as path:
        assert os.environ[sweep.OUTCOME_ENV] == str(path)
        register_configs()
        with initialize_config_dir(config_dir=CONF_DIR, version_base="1.3"):
            cfg = compose("config", overrides=[f"hydra.sweep.dir={tmp_path}"], return_hydra_config=True)
        callback_conf = cfg.hydra.callbacks.sweep_summary
        assert OmegaConf.select(callback_conf, "outcome_file") == str(path)   # from conf/config.yaml
        callback = sweep.SweepCallback(outcome_file=callback_conf.outcome_file)
        assert sweep.SweepOutcome.read(path) is None
        callback.on_multirun_start(cfg)
        assert sweep.SweepOutcome.read(path) == sweep.SweepOutcome(dir=str(tmp_path))
    assert os.environ.get(sweep.OUTCOME_ENV) == before and not path.exists()
    sweep.SweepCallback().on_multirun_start(cfg)                    # without sifsim: records nothing


def test_the_console_summary_leads_with_the_present_value_and_in_window_savings():
    """Issue 11 item 6: the decision's figures first; the nominal 25-year total as a sensitivity."""
    from simulation.app.task import format_summary
    from simulation.core.runner import run
    from tests.support import make_config
    results = run(make_config("replications=2", "horizon_years=6"))
    text = format_summary(results.summary).splitlines()
    assert text[0].startswith("Attributable saving, all payers")
    assert text[1].strip().startswith("present value") and "nominal" in text[3]
    pv = results.summary.set_index(["rule", "metric"]).loc[("budget_model", "attributable_saving_pv_sek"), "p50"]
    assert f"{pv / 1e6:,.1f}" in text[1]
    header = next(line for line in text if line.startswith("rule"))
    assert "saving in window" in header
    row = next(line for line in text if line.startswith("stockholm_2016"))
    window = results.summary.set_index(["rule", "metric"]).loc[
        ("stockholm_2016", "attributable_saving_in_window_sek"), "p50"]
    assert f"{window / 1e6:,.1f}" in row
