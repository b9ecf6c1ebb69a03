"""User text in charts is drawn as written: no mathtext from a label (issue 9)."""

from __future__ import annotations

import dataclasses

from matplotlib.text import Text

from simulation.present import charts
from simulation.present.charts import CHARTS
from tests.present.fixtures import run_config, run_folder, tables  # noqa: F401

#: labels users write: money with dollars, TeX that is not valid mathtext, sub/superscripts
HOSTILE = {
    "intervention": r"Cost $5$ for $\undefinedcommand{x}$",
    "municipality": r"Örebro $a^$ _{b}",
    "rule": r"Regel $\frac{1}{$",
}


def test_every_run_chart_draws_labels_with_dollars_as_plain_text(tables, run_config, tmp_path):  # noqa: F811
    base = charts.ChartContext.from_config(run_config, "en")
    ctx = dataclasses.replace(base, intervention=HOSTILE["intervention"], municipality=HOSTILE["municipality"],
                              rule_labels={name: HOSTILE["rule"] for name in base.rule_labels})
    paths = charts.run_charts(tables, ctx, tmp_path)         # raises if mathtext parses any of them
    assert set(paths) == {c.name for c in charts.charts_of("run") if c.name in paths} and paths
    seen = []
    for name in paths:
        fig = CHARTS[name].draw(tables, ctx)
        for text in fig.findobj(Text):
            content = text.get_text()
            if "$" in content:
                _, is_math = text._preprocess_math(content)
                assert is_math is False, f"{name}: {content!r} would be parsed as mathtext"
                seen.append(content)
    # the hostile labels did reach the charts (else the test proves nothing)
    assert any("$5$" in s or r"$\frac" in s for s in seen), seen
    for files in paths.values():
        assert all(p.stat().st_size > 0 for p in files)
