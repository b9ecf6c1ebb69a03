"""``sifsim explore`` on a tiny design: the table, resume after an interruption, refusal before any run."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from simulation.explore.command import explore_main, run_study
from simulation.explore.evaluate import CHUNK_DIR, PointBuilder, run_chunk
from simulation.explore.study import load_study

#: 3 factors + the dummy, one Morris trajectory = 5 points, 2 replications, 4 years, 2 points a chunk
TINY = ["+uncertainty=smoke", "explore.design=morris", "explore.trajectories=1", "explore.replications=2",
        "explore.chunk_points=2", "explore.workers=1", "explore.break_even.iterations=1",
        "explore.break_even.high=2.0", "horizon_years=4", "language=en"]


class Interrupted(Exception):
    pass


def stop_after_first_chunk(done: int, total: int) -> None:
    raise Interrupted(f"stopped after chunk {done} of {total}")


def test_explore_writes_the_table_and_resumes_without_rerunning_finished_chunks(tmp_path, capsys):
    folder = tmp_path / "study"
    args = [*TINY, f"explore.output_dir={folder}"]
    study = load_study(args)
    with PointBuilder(study) as builder, pytest.raises(Interrupted):
        run_study(study, builder, folder, on_chunk=stop_after_first_chunk)      # a simulated interruption
    [first] = list((folder / CHUNK_DIR).glob("chunk_*.parquet"))
    stamp = (first.stat().st_mtime_ns, first.stat().st_ino)

    assert explore_main(args) == 0
    record = json.loads((folder / "study.json").read_text())
    assert record["stop"]["points"] == 5
    assert record["stop"]["points_reused"] == 2 and record["stop"]["points_run"] == 3   # only what was missing
    assert (first.stat().st_mtime_ns, first.stat().st_ino) == stamp                    # not rewritten
    assert len(list((folder / CHUNK_DIR).glob("chunk_*.parquet"))) == 3

    table = pd.read_parquet(folder / "explore_points.parquet")
    assert (folder / "explore_points.csv").is_file()
    assert {"effect_scale", "reentry_duration_memory", "discount_rate", "seed", "rule", "outcome", "mean",
            "mc_se"} <= set(table.columns)
    assert table["point"].nunique() == 5 and table["replications"].eq(2).all()
    pv = table[table["outcome"] == "attributable_saving_pv_sek"]
    assert pv["mean"].notna().all() and pv["mc_se"].notna().all()
    # the dummy moves the seed only: exactly one step of the trajectory changes it
    seeds = table.drop_duplicates("point").sort_values("point")["seed"]
    assert seeds.nunique() == 2

    indices = pd.read_csv(folder / "explore_indices.csv")
    assert set(indices["outcome"]) == set(study.outcomes)
    assert {"mu_star", "sigma", "noise", "mc_se_median", "mc_noise_share"} <= set(indices.columns)
    assert (folder / "explore_break_even.csv").is_file() and (folder / "report.html").is_file()
    html = (folder / "report.html").read_text(encoding="utf-8")
    assert "Which assumptions decide?" in html and "Morris" in html
    assert list((folder / "charts").glob("explore_morris_*.png"))
    sv = (folder / "explore_boxes_sv.txt").read_text(encoding="utf-8")
    en = (folder / "explore_boxes_en.txt").read_text(encoding="utf-8")
    assert "regeln fungerar" in sv and "the rule works" in en
    assert "Explore folder" in capsys.readouterr().out

    # the same point (config and seed) gives the same outcomes when run again
    again = run_chunk([(study_point.config_hash, study_point.config) for study_point in [first_point(study)]])
    stored = table[table["point"] == 0].set_index(["rule", "outcome"])["mean"]
    fresh = again.set_index(["rule", "outcome"])["mean"].reindex(stored.index)
    pd.testing.assert_series_equal(fresh, stored, check_names=False)


def first_point(study):
    from simulation.explore import designs
    from simulation.explore.evaluate import points_of
    problem = designs.unit_problem(study.factor_names + ["seed"])
    unit = designs.morris_design(problem, study.trajectories, study.levels, study.seed)
    with PointBuilder(study) as builder:
        return builder.point(points_of(study, unit, builder.base_seed())[0])


@pytest.mark.parametrize("bad, expected", [
    ("uncertainty.factors.discount_rate.low=-0.5",
     "uncertainty.factors.discount_rate.low=-0.5: outside the range economy.discount_rate allows; "
     "allowed: a number in [0.0, 1.0)"),
    ("uncertainty.factors.effect_scale.key=intervention.label",
     "intervention.label: not a number (the schema says str); allowed: a key whose value is a float or an int"),
    ("explore.replications=1", "explore.replications=1: not allowed; allowed: an integer >= 2"),
    ("horizon_years=0", "horizon_years=0: expected a number in [1, 80]"),      # the model's own check
    ("explore.max_runs=3", "explore.max_runs=3: the design's first stage needs 10 runs"),
])
def test_explore_refuses_a_bad_study_with_exit_2_before_any_run(tmp_path, capsys, bad, expected):
    folder = tmp_path / "never"
    assert explore_main([*TINY, f"explore.output_dir={folder}", bad]) == 2
    err = capsys.readouterr().err
    assert expected in err
    assert not folder.exists()


def test_the_command_line_dispatches_explore(tmp_path, monkeypatch, capsys):
    from simulation.app import cli
    monkeypatch.setattr("sys.argv", ["sifsim", "explore", *TINY, f"explore.output_dir={tmp_path / 'x'}",
                                     "explore.design=latin"])
    with pytest.raises(SystemExit) as exit_:
        cli.main()
    assert exit_.value.code == 2
    assert "explore.design='latin': not allowed; allowed: one of morris, sobol, none" in capsys.readouterr().err
