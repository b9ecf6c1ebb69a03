"""Validation before any work: a corpus of bad configs, each refused naming exactly its keys.

The corpus (tests/bad_configs/corpus.yaml) is run through the real entry point
``simulation.app.cli.main`` in a scratch working directory: exit code 2, every
expected key named, no other problem, and nothing written (Hydra never starts).
A few cases go through the console command in a subprocess; the data-loss
cases (a failed run into a folder sifsim did not create) are in test_run_folder.py.
"""

from __future__ import annotations

import dataclasses
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from scenarios.validation import ConfigError, collect_problems
from simulation.app import cli, grid, task
from simulation.app import config as app_config
from tests.support import make_config

CORPUS = {name: case for f in ("corpus.yaml", "corpus_issue9.yaml")
          for name, case in yaml.safe_load((Path(__file__).parent / "bad_configs" / f).read_text()).items()}


def problem_lines(text: str) -> list[str]:
    return [line.strip()[2:] for line in text.splitlines() if line.strip().startswith("- ")]


def names_key(line: str, key: str) -> bool:
    """The message begins with the key itself (then '=', ':', '[' or '/'), not merely mentions it."""
    return line.startswith(key) and len(line) > len(key) and line[len(key)] in "=:[/"


def run_main(argv: list[str], cwd: Path, monkeypatch, capsys) -> tuple[int, str, str]:
    monkeypatch.chdir(cwd)
    monkeypatch.setattr(sys, "argv", ["sifsim", *argv])
    with pytest.raises(SystemExit) as exit_info:
        cli.main()
    out, err = capsys.readouterr()
    return exit_info.value.code, out, err


def test_corpus_is_large_enough():
    assert len(CORPUS) >= 20


@pytest.mark.parametrize("case", sorted(CORPUS), ids=str)
def test_bad_config_is_refused_naming_its_keys(case, tmp_path, monkeypatch, capsys):
    assert_refused_naming_its_keys(CORPUS[case], tmp_path, monkeypatch, capsys)


def assert_refused_naming_its_keys(spec: dict, tmp_path: Path, monkeypatch, capsys) -> None:
    """A corpus case: exit 2, every key of ``spec["keys"]`` named and no other, nothing written, no traceback."""
    code, out, err = run_main(spec["overrides"], tmp_path, monkeypatch, capsys)
    problems = problem_lines(err)
    assert code == 2, (out, err)
    for key in spec["keys"]:
        assert any(names_key(p, key) for p in problems), f"{key!r} not named in:\n{err}"
    assert len(problems) == len(spec["keys"]), f"expected only {spec['keys']}, got:\n{err}"
    assert list(tmp_path.iterdir()) == [], "something was written"
    assert "Traceback" not in err


def test_issue9_corpus_covers_every_class_with_several_cases():
    issue9 = yaml.safe_load((Path(__file__).parent / "bad_configs" / "corpus_issue9.yaml").read_text())
    assert len(issue9) >= 25


def test_messages_say_what_is_allowed(tmp_path, monkeypatch, capsys):
    _, _, err = run_main(["repayment=foo", "+replication=3", "economy.discount_rate=1.5",
                          "charts=maybe"], tmp_path, monkeypatch, capsys)
    problems = {p.split("=")[0]: p for p in problem_lines(err)}
    assert "allowed: all, budget_model, malmo_2012" in problems["repayment"]
    assert "did you mean replications?" in problems["replication"]
    assert "[0.0, 1.0)" in problems["economy.discount_rate"]
    assert "expected bool" in problems["charts"]


def test_plus_typo_reaches_the_typed_config_and_is_caught_there():
    """Hydra accepts +typo on our structured root; OmegaConf.to_object sets it as an attribute."""
    cfg = make_config("+typo=1", "+intervention.caseload.foo=2")
    assert cfg.typo == 1 and cfg.intervention.caseload.foo == 2
    problems = collect_problems(cfg)
    assert len(problems) == 2
    assert problems[0].startswith("typo=1: unknown key")
    assert problems[1].startswith("intervention.caseload.foo=2: unknown key")


def test_a_valid_config_has_no_problems():
    assert collect_problems(make_config()) == []


def test_execute_on_a_config_problem_removes_only_a_folder_this_process_created(tmp_path, monkeypatch,
                                                                               capsys):
    """The check inside the Hydra task: a fresh folder (claimed by RunFolderGuard) goes, with the
    parents it created; a folder that existed before keeps every file."""
    from hydra import compose, initialize_config_dir

    from simulation.app.run_folder import claim_new_folder
    monkeypatch.chdir(tmp_path)
    with initialize_config_dir(config_dir=app_config.CONF_DIR, version_base="1.3"):
        cfg = compose("config", overrides=["seed=-1", "+typo=1"])
    fresh = tmp_path / "results" / "runs" / "x"
    assert claim_new_folder(fresh)
    (fresh / ".hydra").mkdir()
    (fresh / ".hydra" / "config.yaml").write_text("seed: -1\n")   # what Hydra writes next
    (fresh / "sifsim.log").write_text("")
    assert task.execute(cfg, fresh) == 2
    assert list(tmp_path.iterdir()) == [], "results/ should be gone with the run folder"
    err = capsys.readouterr().err
    assert any(names_key(p, "seed") for p in problem_lines(err))
    assert any(names_key(p, "typo") for p in problem_lines(err))

    earlier = tmp_path / "earlier_run"
    (earlier / ".hydra").mkdir(parents=True)
    (earlier / "ledger.csv").write_text("keep me")
    (earlier / ".hydra" / "config.yaml").write_text("seed: 1\n")
    assert not claim_new_folder(earlier)
    assert task.execute(cfg, earlier) == 2
    assert (earlier / "ledger.csv").read_text() == "keep me"
    assert (earlier / ".hydra" / "config.yaml").read_text() == "seed: 1\n"
    with pytest.raises(ConfigError):
        task.execute(cfg, tmp_path / "job", in_sweep=True)


def _sifsim(*args: str, cwd: Path, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "simulation", *args], cwd=cwd, text=True,
                          capture_output=True, env={**os.environ, **(env or {})}, timeout=300)


def test_console_command_refuses_plus_typo_and_writes_nothing(tmp_path):
    proc = _sifsim("+typo=1", "economy.discount_rate=2", cwd=tmp_path)
    assert proc.returncode == 2, proc.stderr
    problems = problem_lines(proc.stderr)
    assert [p.split("=")[0] for p in problems] == ["typo", "economy.discount_rate"]
    assert list(tmp_path.iterdir()) == []


def test_console_command_with_hydra_flags_is_checked_before_hydra_starts(tmp_path):
    """`-cn config` no longer skips the pre-check: Hydra never creates a folder."""
    proc = _sifsim("-cn", "config", "+typo=1", "seed=-1", cwd=tmp_path)
    assert proc.returncode == 2, proc.stderr
    keys = [p.split("=")[0] for p in problem_lines(proc.stderr)]
    assert keys == ["typo", "seed"]
    assert list(tmp_path.iterdir()) == [], "nothing may be written"


# --- sifsim validate: a whole grid -----------------------------------------------------

def test_validate_checks_every_job_of_a_grid(capsys):
    code = grid.validate_main(["-m", "language=sv,de", "replications=1,0"])
    out = capsys.readouterr().out
    assert code == 2
    lines = out.splitlines()
    assert lines[0] == "job 0 [language=sv replications=1]: OK"
    assert lines[1] == "job 1 [language=sv replications=0]: 1 problem"
    assert names_key(lines[2].strip()[2:], "replications")
    assert "job 2 [language=de replications=1]: 1 problem" in lines
    assert "job 3 [language=de replications=0]: 2 problems" in lines
    assert lines[-1] == "4 jobs checked: 3 with problems"


def test_validate_expands_an_experiments_sweeper_params(capsys):
    assert grid.validate_main(["+experiment=effect_vs_displacement"]) == 0
    out = capsys.readouterr().out
    assert out.splitlines()[-1] == "12 jobs checked: all OK"
    # the command line replaces one dimension of the experiment's grid
    assert grid.validate_main(["+experiment=effect_vs_displacement", "population.inflow_trend_per_year=0,2"]) == 2
    out = capsys.readouterr().out
    assert out.splitlines()[-1] == "8 jobs checked: 4 with problems"


def test_validate_reports_group_errors_per_job(capsys):
    assert grid.validate_main(["repayment=all,nope"]) == 2
    out = capsys.readouterr().out
    assert "job 0 [repayment=all]: OK" in out
    assert "  - repayment=nope: no such option in config group 'repayment'; allowed: all," in out


def test_preflight_refuses_a_sweep_with_one_bad_job_before_anything_starts(tmp_path, monkeypatch, capsys):
    code, _, err = run_main(["-m", "replications=1", "horizon_years=4", "language=sv,de",
                             f"hydra.sweep.dir={tmp_path / 'sweep'}"], tmp_path, monkeypatch, capsys)
    assert code == 2
    assert err.startswith("sweep not started")
    assert "job 1 [replications=1 horizon_years=4 language=de]: 1 problem" in err
    assert list(tmp_path.iterdir()) == []


def test_value_overrides_applied_on_a_copy_match_a_full_compose():
    """GridChecker composes each group selection once and applies values itself: same result."""
    from hydra import compose
    from omegaconf import OmegaConf
    overrides = ["+experiment=effect_vs_displacement", "intervention.effect_scale=0.5",
                 "economy.discount_rate=0.25", "population.composition_shares.single_adult=0.5",
                 "+intervention.cost_sek_by_year.2030=5", "~intervention.cost_sek_by_year.2014",
                 "repayment=malmo_2012", "intervention.family_treatment.intensive_hours_by_month=[1,2]"]
    with grid.checker() as chk:
        fast, override_problems = chk.build(overrides)
        problems = chk.check(overrides)
        full = compose("config", overrides=overrides)
    assert override_problems == []
    assert OmegaConf.to_yaml(fast) == OmegaConf.to_yaml(full)
    assert any(names_key(p, "population.composition_shares") for p in problems)


def test_expand_grid_matches_hydras_basic_sweeper():
    from hydra._internal.core_plugins.basic_sweeper import BasicSweeper  # reference only
    params = {"intervention.effect_scale": "0,0.5,1", "economy.discount_rate": "0,0.5",
              "seed": 1}
    arguments = ["economy.discount_rate=0.25,0.75", "+experiment=effect_vs_displacement",
                 "horizon_years=range(1,3)", "hydra.sweep.dir=x"]
    lines = [f"{k}={v}" for k, v in params.items()] + [a for a in arguments if not a.startswith("hydra.")]
    expected = BasicSweeper.split_arguments(grid.parse_overrides(lines), None)[0]
    assert grid.expand_grid(params, arguments) == expected
    assert len(expected) == 3 * 2 * 2


def test_the_retired_displacement_key_points_to_the_new_keys(tmp_path, monkeypatch, capsys):
    """Issue 12: economy.displacement is gone; naming it (plain or with +) says where its meaning went."""
    for override in ("economy.displacement=0.3", "+economy.displacement=0.3"):
        code, _, err = run_main([override], tmp_path, monkeypatch, capsys)
        assert code == 2
        (problem,) = problem_lines(err)
        assert problem.startswith("economy.displacement=0.3: retired in issue 12")
        assert "population.inflow_shocks" in problem and "municipality.budget.rule" in problem
    assert list(tmp_path.iterdir()) == []


def test_unknown_attribute_message_lists_allowed_keys():
    cfg = make_config()
    object.__setattr__(cfg.economy, "discount_rat", 0.3)
    (problem,) = collect_problems(cfg)
    assert problem.startswith("economy.discount_rat=0.3: unknown key (added with +?); "
                              "did you mean economy.discount_rate?")
    assert "hvb_sek_per_day" in problem
    assert dataclasses.is_dataclass(cfg.economy)
