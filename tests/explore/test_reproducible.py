"""Same study, same seeds: identical indices, tables and boxes, end to end (issue 13's "done when")."""

from __future__ import annotations

from simulation.explore.command import explore_main
from tests.explore.test_command import TINY


def test_the_same_study_twice_gives_identical_indices_and_tables(tmp_path, capsys):
    args = [*TINY, "explore.break_even.enabled=false"]
    first, second = tmp_path / "first", tmp_path / "second"
    assert explore_main([*args, f"explore.output_dir={first}"]) == 0
    assert explore_main([*args, f"explore.output_dir={second}"]) == 0
    for name in ("explore_indices.csv", "explore_points.csv", "explore_boxes.csv", "explore_boxes_en.txt"):
        assert (first / name).read_bytes() == (second / name).read_bytes(), name
    # another design seed: another Morris design, so other indices
    third = tmp_path / "third"
    assert explore_main([*args, "explore.seed=2", f"explore.output_dir={third}"]) == 0
    assert (third / "explore_indices.csv").read_bytes() != (first / "explore_indices.csv").read_bytes()
    capsys.readouterr()
