"""Swedish as municipal documents write it (docs/glossary.md): the terms offices use, none of the
ones they do not, and no raw identifiers in the Swedish report's text; the console speaks the
run's language with readable payer names."""

from __future__ import annotations

import re

import pandas as pd

from simulation.present import labels
from tests.present.fixtures import built_reports, run_folder  # noqa: F401

# words the glossary replaces, and with what
AVOID = {"parade replikeringar": "simuleringar med och utan insatsen", "budgettryck": "påfrestning på budgeten",
         "insatsarm": "med insatsen", "kontrollarm": "kontrollgrupp", "nyckel ": "parameter",
         "nyckeln": "parametern", "barn- och ungdomsmyndighet": "myndighetsutövning barn och unga",
         "replikering": "simulering", "svep": "parameterstudie"}


def sv_texts() -> str:
    return "\n".join(labels.paths("sv").values()).lower()


def test_swedish_labels_use_the_offices_terms():
    text = sv_texts()
    for word, instead in AVOID.items():
        assert word not in text, f"sv.yaml says {word!r}; the glossary says {instead!r}"
    for word in ("försörjningsstöd", "kontrollgrupp", "myndighetsutövning barn och unga"):
        assert word in text
    assert labels.names("sv", "payers")["child_authority"] == "myndighetsutövning barn och unga"


def visible_text(raw: str) -> str:
    """The report's words a reader sees as text: not code, styles or the English conf comments."""
    raw = re.sub(r"<(code|style)\b.*?</\1>", " ", raw, flags=re.S)
    raw = re.sub(r'<span lang="en"[^>]*>.*?</span>', " ", raw, flags=re.S)
    return re.sub(r"<[^>]+>", " ", raw)


def test_the_swedish_report_has_no_raw_identifiers(built_reports):  # noqa: F811
    text = visible_text((built_reports["sv"] / "report.html").read_text(encoding="utf-8"))
    for raw in ("budget_model", "sweden_2017", "attributable", "hela_familjen_oster", "child_authority"):
        assert raw not in text, raw
    assert re.findall(r"\b[a-z]+_[a-z0-9_]+\b", text) == []
    for word in ("parade replikeringar", "budgettryck", "kontrollarm"):
        assert word not in text.lower()


def test_console_summary_speaks_the_runs_language():
    from simulation.app.task import format_summary
    from tests.support import make_config
    summary = pd.DataFrame([
        {"rule": r, "metric": m, "mean": v, "p10": v, "p50": v, "p90": v}
        for r in ("budget_model", "sodertalje_2015")
        for m, v in (("attributable_saving_pv_sek", 17e6), ("attributable_saving_project_years_sek", 5.8e6),
                     ("attributable_saving_sek", 21.1e6), ("written_off_sek", 8.7e6), ("repaid_share", 0.5),
                     ("p_full_repayment", 0.25), ("peak_budget_pressure_sek", 1.7e6),
                     ("peak_budget_pressure_posts", 2.9), ("attributable_saving_in_window_sek", 6.5e6))])
    payers = pd.DataFrame({"payer": ["ks", "child_authority", "open_care"], "p10": [1e6] * 3,
                           "p50": [2e6] * 3, "p90": [3e6] * 3})
    sv = format_summary(summary, payers, config=make_config("language=sv"))
    assert sv.splitlines()[0].startswith("Hänförbar besparing") and "nuvärde" in sv and "17,0" in sv
    assert "kommunstyrelsen (KS)" in sv and "myndighetsutövning barn och unga" in sv
    assert not re.search(r"^\s+(ks|open_care|child_authority)\b", sv, re.M)
    budget = next(line for line in sv.splitlines() if line.startswith("Budgetmodell"))
    assert "8,7" not in budget and "—" in budget          # nothing owed, nothing written off
    row = next(line for line in sv.splitlines() if line.startswith("Södertälje 2015"))
    assert "8,7" in row and "0,25" in row
    en = format_summary(summary, payers, config=make_config("language=en"))
    assert "present value" in en and "executive board (KS)" in en and "17.0" in en
