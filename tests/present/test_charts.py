"""Charts: each builds from a small saved run, carries its labels in the run's language, and draws
the numbers of the tables (checked against values computed here, independently of the chart code)."""

from __future__ import annotations

import itertools
import re

import matplotlib.image as mpimg
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.lines import Line2D

from simulation.present import charts, labels
from simulation.present.charts import CHARTS, charts_of
from tests.present.fixtures import REPLICATIONS, run_config, run_folder, tables  # noqa: F401

LANGS = ("sv", "en")
RUN_CHARTS = [c.name for c in charts_of("run")]


def norm(text: str) -> str:
    return re.sub(r"\s+", " ", text.replace("\u00a0", " ")).strip()


def figure_texts(fig) -> dict[str, list[str]]:
    """Every piece of text a reader sees, by role, whitespace-normalised (wrapped lines joined)."""
    out = {"title": [norm(fig.get_suptitle())], "note": [norm(fig.get_supxlabel())], "axes_title": [],
           "xlabel": [], "ylabel": [], "legend": [], "text": []}
    legends = list(fig.legends)
    for ax in fig.axes:
        for loc in ("left", "center", "right"):
            if ax.get_title(loc):
                out["axes_title"].append(norm(ax.get_title(loc)))
        out["xlabel"].append(norm(ax.get_xlabel()))
        out["ylabel"].append(norm(ax.get_ylabel()))
        out["text"] += [norm(t.get_text()) for t in ax.texts]
        if ax.get_legend() is not None:
            legends.append(ax.get_legend())
    for legend in legends:
        out["legend"] += [norm(t.get_text()) for t in legend.get_texts()]
    return out


def title(ax) -> str:
    """An axes' title wherever it sits (the house style puts titles on the left)."""
    return next((ax.get_title(loc) for loc in ("left", "center", "right") if ax.get_title(loc)), "")


def all_text(fig) -> str:
    return " | ".join(itertools.chain.from_iterable(figure_texts(fig).values()))


@pytest.fixture(scope="module")
def contexts(run_config):  # noqa: F811
    return {lang: charts.ChartContext.from_config(run_config, lang) for lang in LANGS}


EXPECTED = {
    "repayment_timeline": {
        "sv": {"title": "Bidrag, återbetalning och lånande nämnds besparing, per regel",
               "legend": ["utbetalt bidrag, kumulativt", "återbetalt till fonden, kumulativt",
                          "hänförbar besparing hos lånande nämnd, kumulativt", "år då fullt återbetalt (median)",
                          "P10–P90"],
               "axes_title": ["Budgetmodell", "Malmö 2012", "Södertälje 2015", "Stockholm 2016", "Norrköping 2010"],
               "ylabel": ["mkr, 2017 års priser"], "xlabel": ["år"]},
        "en": {"title": "Grant, repayment and the borrower's saving, by rule",
               "legend": ["grant paid out, cumulative", "repaid to the fund, cumulative",
                          "attributable saving to the borrowing committee, cumulative",
                          "year fully repaid (median)", "P10–P90"],
               "axes_title": ["Budget model", "Malmö 2012", "Södertälje 2015", "Stockholm 2016", "Norrköping 2010"],
               "ylabel": ["MSEK, 2017 prices"], "xlabel": ["year"]},
    },
    "repayment_waterfall": {
        "sv": {"title": "Från påstådd besparing till återbetalning",
               "text": ["påstådd utan kontrollgrupp (projektåren)", "hänförbar besparing, alla betalare, samma år",
                        "hänförbar besparing, alla betalare, hela horisonten (känslighet)", "besparing för kommunen",
                        "besparing för lånande nämnd", "kontant besparing för lånande nämnd",
                        "återbetalt: Södertälje 2015"],
               "xlabel": ["mkr, 2017 års priser"]},
        "en": {"title": "From claimed saving to repayment",
               "text": ["claimed without control group (project years)",
                        "attributable saving, all payers, the same years",
                        "attributable saving, all payers, whole horizon (sensitivity)", "saving to the municipality", "saving to the borrowing committee",
                        "cash saving to the borrowing committee", "repaid: Södertälje 2015"],
               "xlabel": ["MSEK, 2017 prices"]},
    },
    "budget_pressure": {
        "sv": {"title": "Påfrestning på lånande nämnds budget, per regel och år",
               "legend": ["Budgetmodell", "Södertälje 2015", "P10–P90", "projekttid"],
               "ylabel": ["mkr, 2017 års priser"], "xlabel": ["år"]},
        "en": {"title": "Budget pressure on the borrowing committee, by rule and year",
               "legend": ["Budget model", "Södertälje 2015", "P10–P90", "project period"],
               "ylabel": ["MSEK, 2017 prices"], "xlabel": ["year"]},
    },
    "budget_frames": {
        "sv": {"title": "EB-enheten mot sin budgetram: överskott (ram − utfall), båda armarna",
               "legend": ["kontrollgrupp", "med insatsen", "P10–P90", "projekttid"],
               "ylabel": ["mkr, 2017 års priser"], "xlabel": ["år"]},
        "en": {"title": "The EB unit against its budget frame: surplus (frame − outturn), both arms",
               "legend": ["control arm", "intervention arm", "P10–P90", "project period"],
               "ylabel": ["MSEK, 2017 prices"], "xlabel": ["year"]},
    },
    "who_saves": {
        "sv": {"title": "Vem sparar: hänförbar besparing per betalare och år",
               "legend": ["kommunstyrelsen (KS)", "netto, alla betalare (median)", "projekttid"],
               "xlabel": ["år"]},
        "en": {"title": "Who saves: attributable saving by payer and year",
               "legend": ["executive board (KS)", "net, all payers (median)", "project period"],
               "xlabel": ["year"]},
    },
    "eb_caseload": {
        "sv": {"title": "Hushåll med försörjningsstöd: med insatsen och kontrollgrupp",
               "legend": ["kontrollgrupp", "med insatsen", "P10–P90", "projekttid", "hushåll med försörjningsstöd",
                          "avslutade försörjningsstöd, kumulativt"],
               "ylabel": ["hushåll med försörjningsstöd", "insatsen − kontrollgrupp"], "xlabel": ["år"]},
        "en": {"title": "Households on social assistance (EB): intervention vs control",
               "legend": ["control arm", "intervention arm", "P10–P90", "project period", "households on EB",
                          "exits from EB, cumulative"],
               "ylabel": ["households on EB", "intervention − control"], "xlabel": ["year"]},
    },
    "children_placed": {
        "sv": {"title": "Placerade barn (HVB eller familjehem)",
               "legend": ["kontrollgrupp", "med insatsen", "skillnad, medelvärde (band: P10–P90)"],
               "ylabel": ["placerade barn", "insatsen − kontrollgrupp"], "xlabel": ["år"]},
        "en": {"title": "Children placed in care (residential or family home)",
               "legend": ["control arm", "intervention arm", "difference, mean (band: P10–P90)"],
               "ylabel": ["children placed", "intervention − control"], "xlabel": ["year"]},
    },
    "fund_balance": {
        "sv": {"title": "Fondens kassa vid årets slut, per återbetalningsregel",
               "legend": ["Södertälje 2015", "fondkapital 100 mkr", "P10–P90"],
               "ylabel": ["mkr, 2017 års priser"], "xlabel": ["år"]},
        "en": {"title": "Fund cash at year end, by repayment rule",
               "legend": ["Södertälje 2015", "fund capital 100 MSEK", "P10–P90"],
               "ylabel": ["MSEK, 2017 prices"], "xlabel": ["year"]},
    },
}
NOTE = {"sv": [f"{REPLICATIONS} simuleringar med och utan insatsen", "2017 års priser", "Hela familjen Öster"],
        "en": [f"{REPLICATIONS} paired replications", "2017 prices", "Hela familjen Öster"]}
OTHER = {"sv": "en", "en": "sv"}


def build(name: str, tables, ctx):  # noqa: F811
    return CHARTS[name].draw(tables, ctx)


def test_every_run_chart_has_its_expected_labels():
    """A chart added to the registry needs its expected title and labels here (in both languages)."""
    assert sorted(EXPECTED) == sorted(RUN_CHARTS)
    assert all(set(EXPECTED[name]) == set(LANGS) for name in EXPECTED)


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("name", RUN_CHARTS)
def test_chart_carries_labels_in_its_language(name, lang, tables, contexts):  # noqa: F811
    fig = build(name, tables, contexts[lang])
    found = figure_texts(fig)
    expected = EXPECTED[name][lang]
    assert found["title"] == [expected["title"]]
    for role in ("legend", "axes_title", "xlabel", "ylabel", "text"):
        for label in expected.get(role, []):
            assert label in found[role], f"{name}/{lang}: {label!r} not among the {role}s {found[role]}"
    for piece in NOTE[lang]:
        assert piece in found["note"][0], f"{name}/{lang}: note {found['note'][0]!r} lacks {piece!r}"
    # nothing of the other language's title or legend leaks in
    other = EXPECTED[name][OTHER[lang]]
    text = all_text(fig)
    assert other["title"] not in text
    for label in other.get("legend", []) + other.get("text", []):
        if label not in expected.get("legend", []) + expected.get("text", []) + expected.get("axes_title", []):
            assert label not in found["legend"] + found["text"], f"{name}/{lang}: {label!r} from {OTHER[lang]}"


@pytest.mark.parametrize("name", RUN_CHARTS)
def test_chart_fits_half_a4_and_its_text_stays_inside(name, tables, contexts):  # noqa: F811
    fig = build(name, tables, contexts["sv"])
    width_cm = fig.get_size_inches()[0] * 2.54
    assert width_cm == pytest.approx(8.5, abs=0.01)
    canvas = FigureCanvasAgg(fig)  # the figures are made outside pyplot: give one a canvas to measure on
    canvas.draw()
    renderer = canvas.get_renderer()
    bounds = fig.bbox
    for ax in [*fig.axes, *(child for a in fig.axes for child in a.child_axes)]:  # with secondary axes
        ticks = []
        for axis, (lo, hi) in ((ax.xaxis, sorted(ax.get_xlim())), (ax.yaxis, sorted(ax.get_ylim()))):
            # labels of ticks outside the view are never drawn
            ticks += [label for loc, label in zip(axis.get_majorticklocs(), axis.get_majorticklabels())
                      if lo <= loc <= hi]
        for text in [ax.title, ax.xaxis.label, ax.yaxis.label, *ax.texts, *ticks]:
            if not text.get_visible() or not text.get_text():
                continue
            box = text.get_window_extent(renderer)
            assert box.x0 >= bounds.x0 - 1 and box.x1 <= bounds.x1 + 1, \
                f"{name}: {text.get_text()!r} runs off the figure ({box.x0:.0f}–{box.x1:.0f} of {bounds.x1:.0f})"
    for text in (fig.get_suptitle(), fig.get_supxlabel()):
        assert text
    legends = list(fig.legends) + [ax.get_legend() for ax in fig.axes if ax.get_legend() is not None]
    for artist in [t for t in fig.texts] + legends:
        box = artist.get_window_extent(renderer)
        assert box.x1 <= bounds.x1 + 1, f"{name}: a legend or figure text runs off the right edge"


def test_run_charts_write_png_and_svg_for_every_registered_chart(tables, contexts, tmp_path):  # noqa: F811
    ctx = contexts["en"]
    paths = charts.run_charts(tables, ctx, tmp_path)
    assert list(paths) == RUN_CHARTS
    for name, files in paths.items():
        assert [p.name for p in files] == [f"{name}.png", f"{name}.svg", f"{name}.csv"]
        image = mpimg.imread(files[0])
        assert image.shape[1] == round(8.5 / 2.54 * charts.DPI), f"{name}: PNG width {image.shape[1]} px"
        svg = files[1].read_text(encoding="utf-8")
        assert "<dc:date>" not in svg and "Matplotlib v" not in svg, f"{name}: SVG carries a date or version"


def test_a_chart_draws_from_its_declared_tables_without_a_context(tables, tmp_path):  # noqa: F811
    """The eb_caseload chart from the population table alone: the note's replications from the table."""
    fig = charts.figure_eb_caseload(tables["population"], "sv")
    assert f"{REPLICATIONS} simuleringar med och utan insatsen" in norm(fig.get_supxlabel())
    paths = CHARTS["eb_caseload"].save({"population": tables["population"]}, charts.ChartContext(language="sv"),
                                       tmp_path)
    assert [p.name for p in paths] == ["eb_caseload.png", "eb_caseload.svg", "eb_caseload.csv"]
    assert all(p.stat().st_size > 0 for p in paths)
    with pytest.raises(KeyError, match="repayment"):
        CHARTS["fund_balance"].draw({"population": tables["population"]}, charts.ChartContext(language="sv"))


@pytest.mark.parametrize("name", RUN_CHARTS)
def test_charts_are_byte_identical_when_rebuilt(name, tables, contexts, tmp_path):  # noqa: F811
    first = CHARTS[name].save(tables, contexts["sv"], tmp_path / "a")
    # whatever the process did to matplotlib's settings (a library, a notebook style) does not leak in
    with plt.rc_context({"font.size": 20, "axes.facecolor": "#ff0000", "lines.linewidth": 5,
                         "svg.hashsalt": None}):
        second = CHARTS[name].save(tables, contexts["sv"], tmp_path / "b")
    for a, b in zip(first, second):
        assert a.read_bytes() == b.read_bytes(), f"{a.name} differs between two builds"


# --- the numbers drawn are the numbers of the tables ---------------------------------------------------

def test_waterfall_bars_are_the_medians_of_the_tables(tables, contexts):  # noqa: F811
    per = tables["per_replication"]
    fig = charts.figure_repayment_waterfall(per, "en", contexts["en"])
    ax = fig.axes[0]
    widths = [p.get_width() for p in ax.patches]
    first_rule = per["rule"].iloc[0]
    shared = per[per["rule"] == first_rule]
    # the methods over the same years (the project years), then the horizon's chain (issue 11 item 6)
    expected = [float(np.median(shared[m])) for m in ("naive_claim_sek", "attributable_saving_project_years_sek",
                                                       "attributable_saving_sek", "municipal_saving_sek", "borrower_saving_sek",
                                                       "cash_saving_sek")]
    expected += [float(np.median(g["repaid_sek"])) for _, g in per.groupby("rule", sort=False)]
    assert widths[:len(expected)] == pytest.approx(expected)
    grant = float(np.median(shared["intervention_cost_sek"]))
    assert any(isinstance(line, Line2D) and line.get_xdata()[0] == pytest.approx(grant) for line in ax.lines)


def test_who_saves_net_dots_are_control_minus_intervention(tables, contexts):  # noqa: F811
    ledger = tables["ledger"]
    effects = ledger[~ledger["category"].isin(["intervention_posts", "fund_grant"])
                     & (ledger["perspective"] == "budget")]      # the saving is the budget perspective
    sign = np.where(effects["arm"] == "control", 1.0, -1.0)
    per_year = (effects.assign(s=effects["amount_sek"] * sign)
                .groupby(["year", "replication"], observed=True)["s"].sum().unstack())
    expected = per_year.median(axis=1)
    fig = charts.figure_who_saves(ledger, "en", contexts["en"])
    dots = [line for line in fig.axes[0].lines if line.get_marker() == "o"]
    assert len(dots) == 1
    assert list(dots[0].get_xdata()) == list(expected.index)
    assert dots[0].get_ydata() == pytest.approx(expected.to_numpy())


def test_timeline_repaid_curve_ends_at_the_median_total_repaid(tables, contexts):  # noqa: F811
    repayment = tables["repayment"]
    fig = charts.figure_repayment_timeline(repayment, tables["years"], tables["per_replication"], "en",
                                           contexts["en"])
    panels = {title(ax): ax for ax in fig.axes if title(ax)}
    owing = [rule for rule in repayment["rule"].unique() if rule not in contexts["en"].rules_not_owed]
    assert owing and len(owing) < repayment["rule"].nunique()     # the run has both kinds of rule
    for rule, g in repayment[repayment["rule"].isin(owing)].groupby("rule", sort=False):
        panel = panels[contexts["en"].rule(rule)]
        line = next(ln for ln in panel.get_lines() if ln.get_label() == "repaid to the fund, cumulative")
        expected = float(np.median(g.groupby("replication")["repaid_sek"].sum()))
        assert line.get_ydata()[-1] == pytest.approx(expected), rule


def test_timeline_says_nothing_is_owed_under_a_rule_that_asks_nothing_back(tables, contexts):  # noqa: F811
    """The budget model is an appropriation: its panel draws the grant and the saving, no repayment
    curve, no year or probability of full repayment; the rules that lend keep theirs."""
    assert contexts["en"].rules_not_owed == {"budget_model"}
    for lang, says in (("en", "nothing to pay back"), ("sv", "inget ska betalas tillbaka")):
        fig = charts.figure_repayment_timeline(tables["repayment"], tables["years"], tables["per_replication"],
                                               lang, contexts[lang])
        panels = {title(ax): ax for ax in fig.axes if title(ax)}
        budget = panels[contexts[lang].rule("budget_model")]
        texts = [norm(t.get_text()) for t in budget.texts]
        assert any(text.startswith(says) for text in texts), texts
        assert not any("P(" in text for text in texts)
        repaid = labels.text(lang, "charts.timeline_repaid")
        assert repaid not in [ln.get_label() for ln in budget.get_lines()]
        assert not [ln for ln in budget.get_lines() if ln.get_linestyle() == ":"]
        lender = panels[contexts[lang].rule("malmo_2012")]
        assert repaid in [ln.get_label() for ln in lender.get_lines()]
        assert any("P(" in norm(t.get_text()) for t in lender.texts)


def test_timeline_legend_drops_the_repayment_keys_when_no_rule_lends():
    repayment, years, per = synthetic_repayment()
    ctx = charts.ChartContext(language="en", horizon_years=5, rules_not_owed=frozenset({"demo"}))
    fig = charts.figure_repayment_timeline(repayment, years, per, "en", ctx)
    legend = [t.get_text() for ax in fig.axes if ax.get_legend() for t in ax.get_legend().get_texts()]
    assert legend and not any("repaid" in norm(text) for text in legend)
    lending = charts.figure_repayment_timeline(repayment, years, per, "en",
                                               charts.ChartContext(language="en", horizon_years=5))
    legend = [t.get_text() for ax in lending.axes if ax.get_legend() for t in ax.get_legend().get_texts()]
    assert any("repaid to the fund" in norm(text) for text in legend)


def test_rule_owes_reads_trigger_and_amount_basis():
    lend = {"trigger": "after_project", "amount_basis": "measured_saving"}
    config = {"repayment": {"rules": {"lend": lend, "grant": {**lend, "amount_basis": "none"},
                                      "never": {**lend, "trigger": "none"}}}}
    ctx = charts.ChartContext.from_config(config, "en")
    assert ctx.rules_not_owed == {"grant", "never"}


def synthetic_repayment() -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """One rule, two replications: 100 SEK out in 2014; back in 2016 + 2017 (rep 0) or never (rep 1)."""
    rows, years = [], []
    for rep, repaid in ((0, {2016: 50.0, 2017: 50.0}), (1, {})):
        outstanding = 0.0
        for year in range(2014, 2019):
            out = 100.0 if year == 2014 else 0.0
            back = repaid.get(year, 0.0)
            outstanding += out - back
            rows.append({"rule": "demo", "replication": rep, "year": year, "disbursed_sek": out,
                         "repaid_sek": back, "outstanding_sek": outstanding,
                         "fund_balance_sek": 1000.0 - 100.0 + sum(v for y, v in repaid.items() if y <= year)})
            years.append({"replication": rep, "year": year, "borrower_saving_sek": 30.0})
    per = pd.DataFrame({"rule": ["demo", "demo"], "replication": [0, 1], "year_fully_repaid": [2017.0, np.nan],
                        "p_full_repayment": [1.0, 0.0]})
    return pd.DataFrame(rows), pd.DataFrame(years), per


def test_timeline_marks_the_median_year_of_full_repayment():
    repayment, years, per = synthetic_repayment()
    # median of {2017, never} with "never" later than any year: inverted_cdf gives 2017
    ctx = charts.ChartContext(language="sv", replications=2, price_year=2017, horizon_years=5,
                              rule_labels={"demo": "Demo / demo"})
    fig = charts.figure_repayment_timeline(repayment, years, per, "sv", ctx)
    ax = next(a for a in fig.axes if title(a) == "Demo")
    marks = [ln for ln in ax.get_lines() if ln.get_linestyle() == ":" and len(set(ln.get_xdata())) == 1]
    assert [ln.get_xdata()[0] for ln in marks] == [2017]
    assert any("återbetalt 2017" in t.get_text() and "50 %" in norm(t.get_text()) for t in ax.texts)
    # the figure note names the replications, the price year is on the axis; amounts are small: tkr
    assert ax.get_ylabel() == "tkr, 2017 års priser"

    never = per.assign(year_fully_repaid=np.nan, p_full_repayment=0.0)
    fig = charts.figure_repayment_timeline(repayment, years, never, "en",
                                           charts.ChartContext(language="en", horizon_years=5))
    ax = next(a for a in fig.axes if title(a) == "Demo")
    assert not [ln for ln in ax.get_lines() if ln.get_linestyle() == ":"]
    assert any(norm(t.get_text()).startswith("not fully repaid within 5 years") for t in ax.texts)


def test_fund_balance_uses_the_fund_rows_of_a_portfolio():
    repayment, _, _ = synthetic_repayment()
    grants = pd.concat([repayment.assign(grant="a"), repayment.assign(grant="b")])
    fund = repayment.assign(grant="fund", fund_balance_sek=repayment["fund_balance_sek"] - 100.0)
    fig = charts.figure_fund_balance(pd.concat([grants, fund]), "en", charts.ChartContext(language="en"))
    line = next(ln for ln in fig.axes[0].get_lines() if ln.get_label() == "Demo")
    expected = fund.groupby("year")["fund_balance_sek"].median()
    assert line.get_ydata() == pytest.approx(expected.to_numpy())


def test_budget_pressure_lines_are_the_yearly_medians_of_the_table(tables, contexts):  # noqa: F811
    repayment = tables["repayment"]
    ctx = contexts["en"]
    fig = charts.figure_budget_pressure(repayment, "en", ctx)
    ax = fig.axes[0]
    for rule, g in repayment.groupby("rule", sort=False):
        line = next(ln for ln in ax.get_lines() if ln.get_label() == ctx.rule(rule))
        expected = g.groupby("year")["budget_pressure_sek"].median()
        assert list(line.get_xdata()) == list(expected.index), rule
        assert line.get_ydata() == pytest.approx(expected.to_numpy()), rule
    # the zero line (above it the committee cuts elsewhere) and the project years shaded
    assert any(list(ln.get_ydata()) == [0, 0] and ln.get_color() == "#000000" for ln in ax.get_lines())
    assert any(p.get_x() == ctx.start_year - 0.5 for p in ax.patches if p.get_alpha() == pytest.approx(0.06))
    # the right axis shows the same pressure in posts: SEK over the cost of a post, from the table
    nonzero = repayment[repayment["budget_pressure_posts"] != 0]
    sek_per_post = (nonzero["budget_pressure_sek"] / nonzero["budget_pressure_posts"]).to_numpy()
    assert sek_per_post == pytest.approx(sek_per_post[0])
    (posts,) = ax.child_axes
    assert posts.get_ylabel() == "posts (full-time)"
    FigureCanvasAgg(fig).draw()
    assert posts.get_ylim() == pytest.approx(tuple(np.array(ax.get_ylim()) / sek_per_post[0]))


def test_budget_pressure_uses_the_fund_rows_of_a_portfolio():
    repayment, _, _ = synthetic_repayment()
    repayment = repayment.assign(budget_pressure_sek=10.0 * (repayment["year"] - 2015),
                                 budget_pressure_posts=(repayment["year"] - 2015) / 100.0)
    grants = pd.concat([repayment.assign(grant="a"), repayment.assign(grant="b")])
    fund = repayment.assign(grant="fund", budget_pressure_sek=2 * repayment["budget_pressure_sek"],
                            budget_pressure_posts=2 * repayment["budget_pressure_posts"])
    fig = charts.figure_budget_pressure(pd.concat([grants, fund]), "sv", charts.ChartContext(language="sv"))
    ax = fig.axes[0]
    line = next(ln for ln in ax.get_lines() if ln.get_label() == "Demo")
    assert line.get_ydata() == pytest.approx([-20.0, 0.0, 20.0, 40.0, 60.0])
    assert ax.get_ylabel() == "tkr"
    assert ax.child_axes[0].get_ylabel() == "årsarbetare"
    # a pressure that is zero throughout has no posts to convert: no right axis
    flat = repayment.assign(budget_pressure_sek=0.0, budget_pressure_posts=0.0)
    assert not charts.figure_budget_pressure(flat, "en", charts.ChartContext(language="en")).axes[0].child_axes


def test_portfolio_population_is_summed_over_the_months_all_grants_share():
    rows = []
    for grant, months in (("a", range(1, 7)), ("b", range(4, 10))):
        for rep in (0, 1):
            for m in months:
                for arm, on_eb, exits in (("intervention", 90, 3), ("control", 100, 1)):
                    rows.append({"replication": rep, "arm": arm, "year": 2014, "month": m, "households_on_eb": on_eb,
                                 "eb_exits": exits, "eb_entries": 0, "children_placed": 0, "grant": grant})
    population = pd.DataFrame(rows)
    window, portfolio = charts.common_window(population)
    assert portfolio and sorted(window["month"].unique()) == [4, 5, 6]
    fig = charts.figure_eb_caseload(population, "en", charts.ChartContext(language="en", replications=2))
    top, bottom = fig.axes[:2]
    control = next(ln for ln in top.get_lines() if ln.get_label() == "control arm")
    assert list(control.get_ydata()) == [200, 200, 200]  # two areas of 100 households
    exits = next(ln for ln in bottom.get_lines() if ln.get_label() == "exits from EB, cumulative")
    # 2 extra exits a month, counted from each grant's own start: a has 3, 4, 5 months by April–June
    assert list(exits.get_ydata()) == [2 * 4 + 2 * 1, 2 * 5 + 2 * 2, 2 * 6 + 2 * 3]
    assert "Portfolio: summed over the grants' areas" in norm(fig.get_supxlabel())


# --- sweeps ----------------------------------------------------------------------------------------------

def p_full(e: float, d: float, h: float, rule: str) -> float:
    """A made-up response: rises with effect and horizon, falls with the discount rate."""
    return max(0.0, min(1.0, 0.3 * e - 0.6 * d + 0.02 * (h - 10) + (0.1 if rule == "b" else 0.0)))


def synthetic_sweep(failed_job: bool = True) -> pd.DataFrame:
    rows = []
    grid = list(itertools.product([0.0, 0.5, 1.0, 2.0], [0.0, 0.25, 0.5], [10, 25]))
    for job, (e, d, h) in enumerate(grid):
        for rule in ("a", "b"):
            for metric in ("p_full_repayment", "repaid_share"):
                value = p_full(e, d, h, rule)
                rows.append({"job": job, "status": "ok", "intervention.effect_scale": e,
                             "economy.discount_rate": d, "horizon_years": h, "replications": 20, "rule": rule,
                             "metric": metric, "mean": value, "p10": value, "p50": value, "p90": value,
                             "error": None})
    if failed_job:
        rows.append({"job": len(grid), "status": "failed", "intervention.effect_scale": 9.0,
                     "economy.discount_rate": 0.9, "horizon_years": 10, "replications": 20, "rule": None,
                     "metric": None, "mean": np.nan, "p10": np.nan, "p50": np.nan, "p90": np.nan,
                     "error": "ValueError: boom"})
    return pd.DataFrame(rows)


def test_swept_keys_are_the_override_columns_that_vary():
    assert charts.swept_keys(charts.completed(synthetic_sweep())) == \
        ["intervention.effect_scale", "economy.discount_rate", "horizon_years"]


@pytest.mark.parametrize("lang", LANGS)
def test_sweep_heatmap_cells_are_p_full_repayment(lang, tmp_path):
    table = synthetic_sweep()
    one_horizon = table[table["horizon_years"] == 25].drop(columns="horizon_years")
    fig = charts.figure_sweep_heatmap(one_horizon, "intervention.effect_scale", "economy.discount_rate", lang,
                                      rule_labels={"a": "Regel A / Rule A"})
    panels = [ax for ax in fig.axes if title(ax)]
    assert [title(ax) for ax in panels] == (["Regel A", "B"] if lang == "sv" else ["Rule A", "B"])
    ax = panels[0]
    cells = {(round(t.get_position()[0]), round(t.get_position()[1])): t.get_text() for t in ax.texts}
    for ix, e in enumerate([0.0, 0.5, 1.0, 2.0]):
        for iy, d in enumerate([0.0, 0.25, 0.5]):
            assert cells[(ix, iy)] == str(round(100 * p_full(e, d, 25, "a"))), (e, d)
    texts = figure_texts(fig)
    assert texts["title"] == [{"sv": "P(fullt återbetalt inom horisonten)",
                               "en": "P(full repayment within the horizon)"}[lang]]
    assert {"sv": "effektskala", "en": "effect scale"}[lang] in texts["xlabel"]
    assert {"sv": "diskonteringsränta", "en": "discount rate"}[lang] in texts["ylabel"]
    assert "20" in texts["note"][0]  # replications per job
    sweep = charts.SweepContext.from_summary(one_horizon, lang, baseline={})
    assert sweep.keys == ("intervention.effect_scale", "economy.discount_rate")
    paths = CHARTS["sweep_heatmap"].save({"sweep_summary": one_horizon}, sweep, tmp_path)
    assert [p.name for p in paths] == ["sweep_heatmap.png", "sweep_heatmap.svg", "sweep_heatmap.csv"]


def test_sweep_heatmap_averages_over_a_third_swept_key_and_says_so():
    fig = charts.figure_sweep_heatmap(synthetic_sweep(), "intervention.effect_scale", "economy.discount_rate",
                                      "en", rule="a")
    ax = next(a for a in fig.axes if title(a))
    cell = next(t for t in ax.texts if tuple(round(v) for v in t.get_position()) == (2, 0))
    expected = (p_full(1.0, 0.0, 10, "a") + p_full(1.0, 0.0, 25, "a")) / 2
    assert cell.get_text() == str(round(100 * expected))
    assert "horizon (years)" in norm(fig.get_supxlabel())


@pytest.mark.parametrize("lang", LANGS)
def test_tornado_swings_one_key_at_a_time_widest_first(lang, tmp_path):
    table = synthetic_sweep()
    baseline = {"intervention.effect_scale": 1.0, "economy.discount_rate": 0.25, "horizon_years": 25}
    base, swings = charts.swings(table, baseline, "p_full_repayment", "a")
    assert base == pytest.approx(p_full(1.0, 0.25, 25, "a"))
    expected = {
        "intervention.effect_scale": (p_full(0.0, 0.25, 25, "a"), p_full(2.0, 0.25, 25, "a")),
        "economy.discount_rate": (p_full(1.0, 0.0, 25, "a"), p_full(1.0, 0.5, 25, "a")),
        "horizon_years": (p_full(1.0, 0.25, 10, "a"), p_full(1.0, 0.25, 25, "a")),
    }
    assert {s.key for s in swings} == set(expected)
    for s in swings:
        assert (s.low_value, s.high_value) == pytest.approx(expected[s.key]), s.key
    widths = [s.width for s in swings]
    assert widths == sorted(widths, reverse=True)

    fig = charts.figure_tornado(table, baseline, lang, rule="a")
    ax = next(a for a in fig.axes if title(a))
    # drawn bottom-up, so the widest swing is the top tick label
    labels = [t.get_text() for t in ax.get_yticklabels()][::-1]
    assert labels == [charts.key_name(s.key, lang) for s in swings]
    texts = figure_texts(fig)
    assert texts["legend"] == {"sv": ["parametern på sitt lägsta värde", "parametern på sitt högsta värde", "standardvärde"],
                               "en": ["key at its lowest value", "key at its highest value", "default"]}[lang]
    assert texts["title"] == [{"sv": "Känslighet, en parameter i taget: P(fullt återbetalt inom horisonten)",
                               "en": "One-at-a-time swings: P(full repayment within horizon)"}[lang]]
    paths = CHARTS["tornado_p_full_repayment"].save({"sweep_summary": table},
                                                    charts.SweepContext.from_summary(table, lang, baseline), tmp_path)
    assert [p.name for p in paths] == ["tornado_p_full_repayment.png", "tornado_p_full_repayment.svg", "tornado_p_full_repayment.csv"]


def test_sweep_charts_match_string_valued_override_columns():
    """sweep_summary read back from CSV may hold the overrides as text: "0.5" is 0.5."""
    table = synthetic_sweep().astype({"intervention.effect_scale": str, "economy.discount_rate": str})
    base, swings = charts.swings(table, {"intervention.effect_scale": 1.0, "economy.discount_rate": 0.0,
                                         "horizon_years": 25}, "p_full_repayment", "b")
    assert base == pytest.approx(p_full(1.0, 0.0, 25, "b"))
    assert len(swings) == 3
