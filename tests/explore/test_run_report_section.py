"""The run report's section "Which assumptions decide?": the studies in RUN/explore/<name>/, from their tables."""

from __future__ import annotations

import base64
import json
import re

import pandas as pd
import pytest
import yaml

from simulation.explore.command import explore_main
from simulation.explore.report import run_report_section
from simulation.explore.run_folder import run_overrides
from tests.explore.test_command import TINY

PNG = base64.b64decode("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==")


def morris_rows(above: str, below: str) -> pd.DataFrame:
    """A Morris index table of one outcome: ``above`` clears the dummy's floor, ``below`` does not."""
    base = {"method": "morris", "outcome": "attributable_saving_pv_sek", "rule": "all", "mu": 0.0,
            "mc_se_median": 1.0e6, "mc_noise_share": 0.19, "constant": False}
    return pd.DataFrame([
        {**base, "factor": above, "mu_star": 14.6e6, "mu_star_conf": 4.6e6, "sigma": 9.0e6, "noise_floor": 7.2e6,
         "noise": False},
        {**base, "factor": below, "mu_star": 2.4e6, "mu_star_conf": 1.0e6, "sigma": 1.0e6, "noise_floor": 7.2e6,
         "noise": True},
        {**base, "factor": "seed", "mu_star": 4.6e6, "mu_star_conf": 2.6e6, "sigma": 3.0e6, "noise_floor": 7.2e6,
         "noise": True},
    ])


def write_study(folder, indices: pd.DataFrame, boxes: pd.DataFrame) -> None:
    (folder / "charts").mkdir(parents=True)
    (folder / "study.json").write_text(json.dumps({
        "study": {"explore": {"replications": 4, "ci_target": 0.1}}, "model_overrides": ["horizon_years=10"],
        "stop": {"design": "morris", "reason": "design complete", "points": 56, "runs": 224, "discovery": "done"}}))
    indices.to_csv(folder / "explore_indices.csv", index=False)
    boxes.to_csv(folder / "explore_boxes.csv", index=False)
    (folder / "charts" / "explore_morris_attributable_saving_pv_sek.png").write_bytes(PNG)
    (folder / "charts" / "explore_prim_full_repayment_stockholm_2016_tradeoff.png").write_bytes(PNG[::-1])


BOXES = pd.DataFrame([
    {"success": "full_repayment", "rule": "stockholm_2016", "share_of_points_working": 0.25, "coverage": 0.857,
     "density": 0.9, "mass": 0.2, "conditions": "effect_scale >= 1.2; discount_rate <= 0.03"},
    {"success": "full_repayment", "rule": "sodertalje_2015", "share_of_points_working": 1.0, "coverage": None,
     "density": None, "mass": None, "conditions": None},
])
CONFIG = {"repayment": {"rules": {"stockholm_2016": {"label": "Stockholm 2016"},
                                  "sodertalje_2015": {"label": "Södertälje 2015"}}}}


def text_of(section: list[str]) -> str:
    return re.sub(r"<[^>]+>", " ", "\n".join(section))


def test_no_study_in_the_run_folder_gives_no_section(tmp_path):
    assert run_report_section(tmp_path, "en", CONFIG) == []
    (tmp_path / "explore" / "unfinished").mkdir(parents=True)          # a study that never wrote study.json
    assert run_report_section(tmp_path, "sv", CONFIG) == []
    assert run_report_section(None, "en") == []


def test_the_section_follows_the_study_tables(tmp_path):
    study = tmp_path / "explore" / "2026-12-01_10-00-00"
    write_study(study, morris_rows("caseload_exit_elasticity", "discount_rate"), BOXES)
    section = run_report_section(tmp_path, "en", CONFIG)
    html, text = "\n".join(section), text_of(section)
    assert section[0].startswith('<section id="explore"><h2>Which assumptions decide?</h2>')
    assert "Study 2026-12-01_10-00-00: Morris screening, 56 design points × 4 paired replications" in text
    assert "horizon_years=10" in text and "explore/2026-12-01_10-00-00/report.html" in text
    # the ranking: the factor above the noise floor, then the dummy (the floor); the one below is left out
    ranking = text_of([html[html.index("<table>"):html.index("</table>")]])
    assert "caseload elasticity" in ranking and "random seeds (dummy)" in ranking and "discount rate" not in ranking
    assert "14,600,000" in ranking and "± 4,600,000" in ranking
    # the boxes as sentences, from explore_boxes.csv
    assert ("Stockholm 2016: the rule works (fully repaid in at least half the replications) in 90% of cases when "
            "effect scale is at least 1.20 and discount rate is at most 0.030; the region holds 86% of all cases "
            "where it works (14 of 56 design points).") in text
    assert "Södertälje 2015: the rule works (fully repaid in at least half the replications) at every design point." in text
    # the study's charts, embedded (the report opens offline)
    images = re.findall(r'src="data:image/png;base64,([^"]+)"', html)
    assert [base64.b64decode(i) for i in images] == [PNG, PNG[::-1]]

    # another table, another section: swap which factor clears the floor
    (study / "explore_indices.csv").write_text(morris_rows("discount_rate", "caseload_exit_elasticity").to_csv(index=False))
    swapped = "\n".join(run_report_section(tmp_path, "sv", CONFIG))
    ranking = text_of([swapped[swapped.index("<table>"):swapped.index("</table>")]])
    assert "Vilka antaganden avgör?" in swapped and "regeln fungerar" in swapped
    assert "diskonteringsränta" in ranking.lower() and "ärendemängdens elasticitet" not in ranking


def test_a_study_of_a_run_starts_from_its_overrides_and_adds_the_section_to_its_report(tmp_path, capsys):
    from hydra import compose, initialize_config_dir

    from scenarios.registry import register_configs
    from simulation.app.config import CONF_DIR, to_typed
    from simulation.app.outputs import write_run
    from simulation.core.runner import run
    from simulation.present.report import build_report

    run_dir = tmp_path / "run"
    register_configs()
    overrides = ["replications=2", "horizon_years=4", "language=en", "progress=false"]
    with initialize_config_dir(config_dir=CONF_DIR, version_base="1.3"):
        cfg = compose("config", overrides=[*overrides, "charts=false"])
    write_run(run(to_typed(cfg), progress=False), run_dir)
    (run_dir / ".hydra").mkdir()
    (run_dir / ".hydra" / "overrides.yaml").write_text(yaml.safe_dump([*overrides, "hydra.run.dir=x"]))
    build_report(run_dir)
    assert 'id="explore"' not in (run_dir / "report.html").read_text(encoding="utf-8")
    assert run_overrides(run_dir) == ["horizon_years=4", "language=en"]      # not hydra's, not run settings

    tiny = [a for a in TINY if not a.startswith(("horizon_years=", "language="))]
    assert explore_main([*tiny, "explore.break_even.enabled=false", f"explore.run_folder={run_dir}"]) == 0
    [study] = [p.parent for p in (run_dir / "explore").glob("*/study.json")]
    record = json.loads((study / "study.json").read_text())
    assert record["model_overrides"][:2] == ["horizon_years=4", "language=en"]
    assert record["study"]["explore"]["run_folder"] == str(run_dir)
    report = (run_dir / "report.html").read_text(encoding="utf-8")
    assert '<section id="explore"><h2>Which assumptions decide?</h2>' in report
    indices = pd.read_csv(study / "explore_indices.csv")
    assert f"Study {study.name}: Morris screening, 5 design points × 2 paired replications" in report
    assert report.count("random seeds (dummy)") >= (~indices["constant"]).groupby(
        [indices["outcome"], indices["rule"]]).any().sum()                  # the floor of every ranked outcome
    assert "Run report with the section" in capsys.readouterr().out


@pytest.mark.parametrize("bad, expected", [
    ("explore.run_folder={tmp}/nothing", "explore.run_folder='{tmp}/nothing': not a run folder"),
    ("explore.output_dir={tmp}/elsewhere", "explore.output_dir={tmp}/elsewhere: not a study folder of explore.run_folder="),
])
def test_a_bad_run_folder_is_refused_before_any_run(tmp_path, capsys, bad, expected):
    run_dir = tmp_path / "run"
    run_dir.mkdir()
    (run_dir / "config.yaml").write_text("seed: 1\n")
    (run_dir / "summary.csv").write_text("rule,metric\n")
    args = [*TINY, bad.format(tmp=tmp_path)]
    if "output_dir" in bad:
        args.append(f"explore.run_folder={run_dir}")
    assert explore_main(args) == 2
    assert expected.format(tmp=tmp_path) in capsys.readouterr().err
    assert not (tmp_path / "elsewhere").exists() and not (run_dir / "explore").exists()


def test_a_sobol_stop_with_nothing_above_the_noise_floor_says_so(tmp_path):
    study = tmp_path / "explore" / "s"
    sobol = morris_rows("effect_scale", "discount_rate").rename(
        columns={"mu_star": "ST", "mu_star_conf": "ST_conf", "sigma": "S1"}).assign(method="sobol")
    write_study(study, sobol, BOXES)
    record = json.loads((study / "study.json").read_text())
    record["stop"].update(design="sobol", reason="converged", base_samples=8, points=120, runs=240, retained=0,
                          worst_ci_ratio=0.0)
    (study / "study.json").write_text(json.dumps(record))
    text = text_of(run_report_section(tmp_path, "en", CONFIG))
    assert "Sobol stopped at N = 8 (120 points, 240 replications) because no index was above the noise floor" in text
    assert "had a 95 % interval within" not in text
    record["stop"]["retained"] = 3
    (study / "study.json").write_text(json.dumps(record))
    assert "had a 95 % interval within ±10% of the index" in text_of(run_report_section(tmp_path, "en", CONFIG))
