"""The label files: the same keys in every language, a clear error for a missing one, and they ship."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from simulation.present import labels
from simulation.present.charts import CHARTS

ROOT = Path(__file__).resolve().parents[2]


def test_both_languages_have_the_same_keys():
    sv, en = set(labels.paths("sv")), set(labels.paths("en"))
    assert sv - en == set(), f"only in sv.yaml: {sorted(sv - en)}"
    assert en - sv == set(), f"only in en.yaml: {sorted(en - sv)}"


@pytest.mark.parametrize("language", labels.LANGUAGES)
def test_placeholders_are_the_same_in_both_languages(language):
    import string
    other = "en" if language == "sv" else "sv"
    fields = lambda text: {f for _, f, _, _ in string.Formatter().parse(str(text)) if f}  # noqa: E731
    theirs = labels.paths(other)
    for path, text in labels.paths(language).items():
        assert fields(text) == fields(theirs.get(path, "")), path


def test_a_missing_key_names_the_key_and_the_file():
    with pytest.raises(labels.LabelError, match=r"'charts\.no_such_label'.*sv\.yaml"):
        labels.text("sv", "charts.no_such_label")
    with pytest.raises(labels.LabelError, match="no labels for language 'de'"):
        labels.text("de", "charts.year")
    with pytest.raises(labels.LabelError, match="is a table"):
        labels.text("en", "payers")


@pytest.mark.parametrize("language", labels.LANGUAGES)
def test_every_registered_chart_has_its_labels(language):
    for chart in CHARTS.values():
        assert labels.text(language, f"charts.{chart.title}")
        if chart.note:
            assert labels.text(language, f"charts.{chart.note}")
        assert labels.text(language, chart.caption)


def test_the_label_files_ship_with_the_package():
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    patterns = pyproject["tool"]["setuptools"]["package-data"]["simulation.present"]
    shipped = {p.name for pattern in patterns for p in (ROOT / "simulation" / "present").glob(pattern)}
    assert {f"{lang}.yaml" for lang in labels.LANGUAGES} <= shipped
