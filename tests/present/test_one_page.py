"""The one-page summary's numbers and words: ties named, the budget model owes nothing, the
headline leads with PV and project years, per-perspective figures slot in when present, caveats
come from the run, and the page says how to reproduce it."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest

from simulation.present import one_page
from simulation.present.charts import ChartContext
from tests.present.fixtures import built_reports, run_config, run_folder, tables  # noqa: F401

RULES = {"budget_model": {"label": "Budgetmodell / budget model", "trigger": "none", "amount_basis": "none"},
         "a": {"label": "Regel A / rule A", "trigger": "after_project", "amount_basis": "measured_saving"},
         "b": {"label": "Regel B / rule B", "trigger": "fixed_year", "amount_basis": "fixed_instalment"},
         "c": {"label": "Regel C / rule C", "trigger": "fixed_year", "amount_basis": "fixed_instalment"}}
CONFIG = {"repayment": {"rules": RULES}, "seed": 7, "replications": 10, "horizon_years": 25, "evaluation": "attributable",
          "intervention": {"label": "Insats X", "start_year": 2014, "end_year": 2017,
                           "ordinary_practice": {"enabled": False}}}


def summary_of(values: dict[tuple[str, str], float]) -> pd.DataFrame:
    rows = [{"rule": r, "metric": m, "mean": v, "p10": v, "p50": v, "p90": v} for (r, m), v in values.items()]
    return pd.DataFrame(rows)


def test_a_tie_names_every_rule_and_the_budget_model_is_not_a_candidate():
    summary = summary_of({("budget_model", "p_full_repayment"): 0.9, ("a", "p_full_repayment"): 0.2,
                          ("b", "p_full_repayment"): 0.4, ("c", "p_full_repayment"): 0.4})
    p, best = one_page.best_rules(summary, list(RULES), CONFIG)
    assert p == 0.4 and best == ["b", "c"]
    assert not one_page.rule_owes(CONFIG, "budget_model") and one_page.rule_owes(CONFIG, "a")
    ctx = ChartContext.from_config(CONFIG, "sv")
    text = one_page.decision_text(CONFIG, ctx, summary, list(RULES))
    assert "Störst chans har Regel B och Regel C" in text and "lika för 2 regler" in text
    assert "Budgetmodell" not in text


def test_the_budget_model_row_says_nothing_is_owed():
    summary = summary_of({("budget_model", "written_off_sek"): 8.7e6, ("budget_model", "repaid_sek"): 0.0,
                          ("budget_model", "p_full_repayment"): 0.0, ("a", "written_off_sek"): 8.7e6})
    ctx = ChartContext.from_config(CONFIG, "sv")
    rows = dict(one_page.rule_rows(CONFIG, ctx, summary, ["budget_model", "a"]))
    assert rows["budget_model"][2:5] == ["inget att betala"] * 3 and rows["budget_model"][7] == "inget att betala"
    assert "8,7" not in "".join(rows["budget_model"])     # the old "avskrivet 8,7 mkr"
    assert rows["a"][4].startswith("8,7")                 # a rule that owes shows its write-off


def test_net_of_the_grant_and_perspectives_slot_in_when_present():
    per = pd.DataFrame({"rule": ["a"] * 3, "attributable_saving_pv_sek": [10e6, 20e6, 30e6],
                        "intervention_cost_sek": [8e6, 8e6, 8e6]})
    net = one_page.net_of_grant(per, "a")
    assert net.p50 == pytest.approx(12e6)
    assert one_page.net_of_grant(None, "a").missing
    assert one_page.net_of_grant(per.drop(columns="intervention_cost_sek"), "a").missing
    summary = summary_of({("a", "net_benefit_pv_sek_municipality"): 3e6, ("a", "net_benefit_pv_sek_society"): 5e6,
                          ("a", "attributable_saving_pv_sek"): 1e6})
    assert {k: v.p50 for k, v in one_page.perspectives(summary, "a").items()} == {"municipality": 3e6, "society": 5e6}
    assert one_page.perspectives(summary_of({("a", "attributable_saving_pv_sek"): 1.0}), "a") == {}


def test_reproduce_command_uses_hydras_overrides(tmp_path):
    (tmp_path / ".hydra").mkdir()
    (tmp_path / ".hydra" / "overrides.yaml").write_text("- replications=20\n- hydra.run.dir=x\n- language=en\n")
    assert one_page.reproduce_command(tmp_path, CONFIG) == "sifsim replications=20 language=en"
    assert one_page.reproduce_command(tmp_path / "none", CONFIG) == "sifsim seed=7 replications=10 horizon_years=25"


@pytest.mark.parametrize("lang", ["sv", "en"])
def test_the_report_leads_with_the_one_page_summary(built_reports, run_config, lang):  # noqa: F811
    folder = built_reports[lang]
    raw = (folder / "report.html").read_text(encoding="utf-8")
    body = raw[raw.index("<body>"):]
    assert body.index('<section id="one-page"') < body.index('<section id="summary"') \
        < body.index('<section id="about"') < body.index('<section id="assumptions"')
    section = body[:body.index("</section>")]
    summary = pd.read_parquet(folder / "summary.parquet")
    first = summary["rule"].iloc[0]
    headline = re.findall(r'<tr><th scope="row">(.*?)</th><td class="num">(.*?)</td></tr>', section)
    assert len(headline) >= 4
    # PV first, then the project years, then the nominal horizon total labelled as a sensitivity
    assert {"sv": "nuvärde", "en": "present value"}[lang] in headline[0][0]
    assert {"sv": "projektåren", "en": "project years"}[lang] in headline[1][0]
    assert {"sv": "känslighet", "en": "sensitivity"}[lang] in headline[2][0]
    pv = float(summary[(summary.rule == first) & (summary.metric == "attributable_saving_pv_sek")]["p50"].iloc[0])
    number = f"{pv / 1e6:.1f}".replace(".", "," if lang == "sv" else ".")
    assert headline[0][1].startswith(number), headline[0]
    assert {"sv": "brutto", "en": "gross"}[lang] in section
    assert len(re.findall(r"<li><strong>", section[section.index('id="top-caveats"'):])) == 3
    assert 'id="reproduce"' in section and "sifsim seed=" in section


def test_caveats_come_from_the_run(run_config, tables):  # noqa: F811
    ctx = ChartContext.from_config(run_config, "en")
    rules = list(dict.fromkeys(tables["summary"]["rule"]))
    caveats = one_page.top_caveats(run_config, ctx, tables["summary"], tables["ledger"], rules)
    assert [h for h, _ in caveats] == ["What would have happened anyway.", "Saving after the rule's window.",
                                       "The evaluation method."]
    path = run_config["intervention"]["ordinary_practice"]
    share = one_page.share_before(tables["ledger"], path["start_year"])
    assert f"{round(100 * share)}%" in caveats[0][1]
    off = {**run_config, "intervention": {**run_config["intervention"], "ordinary_practice": {"enabled": False}}}
    assert "never gets the method" in one_page.top_caveats(off, ctx, tables["summary"], tables["ledger"], rules)[0][1]
