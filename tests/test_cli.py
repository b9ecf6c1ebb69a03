"""The command line for the people who use it (issues 9 and 14): help, version, refusals with a message.

Each refusal goes through the real entry point (``simulation.app.cli.main``) in a scratch
working directory: exit 2, one message naming the key (or file and line), no traceback,
nothing written. The cases of ``tests/bad_configs/corpus_cli.yaml`` follow the contract of
the other corpora (tests/test_validation.py).
"""

from __future__ import annotations

import dataclasses
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from scenarios.schema import SifsimConfig
from simulation.app import cli, grid
from tests.test_validation import assert_refused_naming_its_keys, problem_lines, run_main

CLI_CORPUS = yaml.safe_load((Path(__file__).parent / "bad_configs" / "corpus_cli.yaml").read_text())


# --- --help and --version ------------------------------------------------------------------

def test_help_lists_every_subcommand_and_every_top_level_key(tmp_path, monkeypatch, capsys):
    # a subcommand registered later (another helper's `explore`) appears without touching the help
    monkeypatch.setitem(cli.COMMANDS, "explore", cli.Command("explore a parameter space", lambda a: 0))
    code, out, err = run_main(["--help"], tmp_path, monkeypatch, capsys)
    assert code == 0, err
    lines = out.splitlines()
    for name, command in cli.COMMANDS.items():
        assert any(re.match(rf"\s+{name}\s+{re.escape(command.summary)}$", line) for line in lines), name
    for field in dataclasses.fields(SifsimConfig):
        matching = [line for line in lines if re.match(rf"\s+{field.name}\s+\S", line)]
        assert len(matching) == 1, f"{field.name}: {matching}"
        assert "no description" not in matching[0]
    # the meaning comes from conf/config.yaml's parameter record, the options from conf/<group>/
    assert any("master seed of every random stream" in line for line in lines if line.split()[:1] == ["seed"])
    muni = next(line for line in lines if line.split()[:1] == ["municipality"])
    assert all(option in muni for option in ("malmo", "sodertalje", "stockholm", "norrkoping"))
    assert len(lines) < 60, "a summary, not a dump of the resolved config"
    assert list(tmp_path.iterdir()) == []


def test_help_lists_the_options_of_a_config_dir(tmp_path, monkeypatch, capsys):
    own = tmp_path / "own"
    (own / "municipality").mkdir(parents=True)
    (own / "municipality" / "orebro.yaml").write_text("name: orebro\nlabel: Örebro\n")
    code, out, _ = run_main(["--config-dir", str(own), "--help"], tmp_path, monkeypatch, capsys)
    assert code == 0
    muni = next(line for line in out.splitlines() if line.split()[:1] == ["municipality"])
    assert "orebro" in muni and "malmo" in muni


def test_version_is_the_package_version_and_the_git_revision(tmp_path, monkeypatch, capsys):
    from simulation import __version__
    code, out, _ = run_main(["--version"], tmp_path, monkeypatch, capsys)
    assert code == 0
    rev = subprocess.run(["git", "rev-parse", "HEAD"], cwd=Path(__file__).parent, capture_output=True,
                         text=True).stdout.strip()
    assert out.strip() == f"sifsim {__version__} (git {rev[:12] if rev else 'unknown'})"
    assert "Hydra" not in out


def test_version_says_unknown_outside_a_git_checkout(monkeypatch):
    from simulation.app import help as app_help, outputs
    monkeypatch.setattr(outputs, "git_revision", lambda: None)
    assert app_help.version_text().endswith("(git unknown)")


# --- the bad-input corpus of this issue --------------------------------------------------------

def test_the_cli_corpus_has_cases_of_every_kind():
    assert len(CLI_CORPUS) >= 12
    assert sum("hydra.run.dir" in c["keys"] or "hydra.sweep.dir" in c["keys"] for c in CLI_CORPUS.values()) >= 3


@pytest.mark.parametrize("case", sorted(CLI_CORPUS), ids=str)
def test_cli_corpus_case_is_refused_naming_its_keys(case, tmp_path, monkeypatch, capsys):
    assert_refused_naming_its_keys(CLI_CORPUS[case], tmp_path, monkeypatch, capsys)


def test_an_output_dir_that_can_be_created_passes_and_leaves_nothing(tmp_path):
    target = tmp_path / "deep" / "runs" / "x"
    assert grid.output_dir_problem([f"hydra.run.dir={target}"], multirun=False) is None
    assert grid.output_dir_problem([f"hydra.sweep.dir={tmp_path}/s_${{now:%H}}"], multirun=True) is None
    assert list(tmp_path.iterdir()) == [], "the probe folder is removed"
    (tmp_path / "file").write_text("x")
    message = grid.output_dir_problem([f"hydra.sweep.dir={tmp_path}/file/s_${{now:%H}}"], multirun=True)
    assert message.startswith(f"hydra.sweep.dir={tmp_path}/file/s_${{now:%H}}: cannot create")
    assert (tmp_path / "file").read_text() == "x"


# --- malformed YAML under --config-dir ----------------------------------------------------------

MALFORMED = {
    "bad_indentation": ("name: orebro\nlabel: Örebro\n  fund_capital_sek: 5\n", 3),
    "a_tab": ("name: orebro\nunits:\n\t- {name: eb_unit}\n", 3),
    "unclosed_bracket": ("name: orebro\nlabel: Örebro\nreorganisations: [{unit: eb_unit, to_body: ks\n", 4),
    "unclosed_quote": ("name: orebro\nlabel: \"Örebro\n", 2),
}


@pytest.mark.parametrize("case", sorted(MALFORMED), ids=str)
def test_malformed_yaml_under_config_dir_is_named_by_file_and_line(case, tmp_path, monkeypatch, capsys):
    text, line = MALFORMED[case]
    own = tmp_path / "own"
    (own / "municipality").mkdir(parents=True)
    path = own / "municipality" / "orebro.yaml"
    path.write_text(text)
    work = tmp_path / "work"
    work.mkdir()
    code, out, err = run_main(["--config-dir", str(own), "municipality=orebro"], work, monkeypatch, capsys)
    problems = problem_lines(err)
    assert code == 2, (out, err)
    assert len(problems) == 1, err
    assert re.match(rf"{re.escape(str(path))}:{line}:\d+: not valid YAML", problems[0]), problems[0]
    if case == "a_tab":
        assert "tab" in problems[0]
    assert "Traceback" not in err
    assert list(work.iterdir()) == []
    # validate says the same, on stdout
    monkeypatch.setattr(sys, "argv", ["sifsim"])
    assert grid.validate_main(["--config-dir", str(own), "municipality=orebro"]) == 2
    assert f"{path}:{line}:" in capsys.readouterr().out


def test_a_config_dir_that_does_not_exist_is_named(tmp_path, monkeypatch, capsys):
    code, _, err = run_main(["--config-dir", str(tmp_path / "nope"), "replications=1"], tmp_path, monkeypatch,
                            capsys)
    assert code == 2
    assert err.strip().startswith(f"--config-dir={tmp_path / 'nope'}: no such folder")
    assert list(tmp_path.iterdir()) == []


# --- year keys and typos in YAML -----------------------------------------------------------------

def own_intervention(root: Path, body: str, name: str = "mine") -> Path:
    (root / "intervention").mkdir(parents=True, exist_ok=True)
    path = root / "intervention" / f"{name}.yaml"
    path.write_text("defaults:\n  - hela_familjen_oster\n  - _self_\n" + body, encoding="utf-8")
    return path


def test_integer_year_keys_work_in_files_and_on_the_command_line(tmp_path):
    from simulation import load_config
    own_intervention(tmp_path / "ints", "cost_sek_by_year: {2014: 100, 2015: 200, 2016: 300, 2017: 400}\n")
    own_intervention(tmp_path / "strs", 'cost_sek_by_year: {"2014": 100, "2015": 200, "2016": 300, "2017": 400}\n')
    block = own_intervention(tmp_path / "block", "cost_sek_by_year:\n  2014: 100\n  2015: 200\n"
                                                  "  2016: 300\n  2017: 400\n")
    ints = load_config(["intervention=mine"], config_dir=tmp_path / "ints")
    strs = load_config(["intervention=mine"], config_dir=tmp_path / "strs")
    blocks = load_config(["intervention=mine"], config_dir=block.parents[1])
    assert ints.intervention.cost_sek_by_year == {"2014": 100, "2015": 200, "2016": 300, "2017": 400}
    assert ints == strs == blocks
    line = load_config(["intervention.cost_sek_by_year={2014:1,2015:2,2016:3,2017:4}"])
    assert line.intervention.cost_sek_by_year == {"2014": 1, "2015": 2, "2016": 3, "2017": 4}
    # an int key from a file and a str key from the command line are one key: the command line wins
    both = load_config(["intervention=mine", "intervention.cost_sek_by_year.2015=7"], config_dir=tmp_path / "ints")
    assert both.intervention.cost_sek_by_year == {"2014": 100, "2015": 7, "2016": 300, "2017": 400}
    # and the pre-check agrees: no problem
    checks = grid.check_grid(["intervention=mine"], multirun=False, extra_dirs=[str(tmp_path / "ints")])
    assert checks[0].problems == []


def test_a_year_written_both_as_number_and_text_is_a_duplicate_named_by_line(tmp_path, monkeypatch, capsys):
    path = own_intervention(tmp_path / "own", 'cost_sek_by_year: {2014: 100, "2014": 200}\n')
    work = tmp_path / "work"
    work.mkdir()
    code, _, err = run_main(["--config-dir", str(tmp_path / "own"), "intervention=mine"], work, monkeypatch, capsys)
    assert code == 2
    (problem,) = problem_lines(err)
    assert problem.startswith(f"{path}:4:") and "duplicate key 2014" in problem


def test_a_typo_in_a_config_dir_file_gets_did_you_mean_with_file_and_line(tmp_path, monkeypatch, capsys):
    path = own_intervention(tmp_path / "own", "caseload:\n  enabeld: true\n")
    muni = tmp_path / "own" / "municipality" / "orebro.yaml"
    muni.parent.mkdir()
    muni.write_text("name: orebro\nlabel: Örebro\nfund_capitol_sek: 5000000\n", encoding="utf-8")
    work = tmp_path / "work"
    work.mkdir()
    code, _, err = run_main(["--config-dir", str(tmp_path / "own"), "intervention=mine", "municipality=orebro"],
                            work, monkeypatch, capsys)
    assert code == 2
    problems = problem_lines(err)
    assert len(problems) == 2, err
    assert problems[0].startswith(f"intervention.caseload.enabeld: unknown key in {path}:5; "
                                  "did you mean intervention.caseload.enabled?")
    assert problems[1].startswith(f"municipality.fund_capitol_sek: unknown key in {muni}:3; "
                                  "did you mean municipality.fund_capital_sek?")
    # the same words as the same typo on the command line
    _, _, line_err = run_main(["intervention.caseload.enabeld=true"], work, monkeypatch, capsys)
    assert "did you mean intervention.caseload.enabled?" in line_err
    assert list(work.iterdir()) == []


def test_a_typo_in_conf_itself_gets_did_you_mean(tmp_path, monkeypatch, capsys):
    import shutil
    from simulation.app.config import CONF_DIR
    conf = tmp_path / "conf"
    shutil.copytree(CONF_DIR, conf)
    malmo = conf / "municipality" / "malmo.yaml"
    malmo.write_text(malmo.read_text(encoding="utf-8").replace("fund_capital_sek:", "fund_capitl_sek:"),
                     encoding="utf-8")
    work = tmp_path / "work"
    work.mkdir()
    code, _, err = run_main(["--config-path", str(conf), "replications=1"], work, monkeypatch, capsys)
    assert code == 2
    (problem,) = problem_lines(err)
    assert problem.startswith(f"municipality.fund_capitl_sek: unknown key in {malmo}:4; "
                              "did you mean municipality.fund_capital_sek?"), problem
    assert list(work.iterdir()) == []


# --- sifsim.log ----------------------------------------------------------------------------------

def test_the_log_says_what_ran_its_hash_seed_phases_and_files(tmp_path):
    import json
    import os
    from simulation import __version__
    folder = tmp_path / "run"
    proc = subprocess.run([sys.executable, "-m", "simulation", "intervention=none", "replications=1",
                           "horizon_years=1", "charts=false", "progress=false", "workers=1", "seed=7",
                           f"hydra.run.dir={folder}"], cwd=tmp_path, capture_output=True, text=True,
                          env=dict(os.environ), timeout=600)
    assert proc.returncode == 0, proc.stderr
    log = (folder / "sifsim.log").read_text(encoding="utf-8")
    manifest = json.loads((folder / "manifest.json").read_text())
    assert f"sifsim {__version__} (git " in log
    assert "overrides: intervention=none replications=1 horizon_years=1 charts=false" in log
    assert f"config hash {manifest['config_hash']}; master seed 7; 1 paired replications" in log
    for phase, seconds in manifest["wall_time_s"].items():
        assert f"phase {phase}: {seconds:.2f} s" in log
    written = re.search(r"(\d+) files written in .*?: (.*)$", log, re.M)
    assert written, log
    names = written.group(2).split(", ")
    assert int(written.group(1)) == len(names)
    assert {"ledger.parquet", "summary.csv", "manifest.json", "population.csv"} <= set(names)
    assert all((folder / n).is_file() for n in names)
