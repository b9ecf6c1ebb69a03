"""The report: valid, self-contained HTML in the run's language, with every chart, every rule's key
figures and the assumptions' sources; rebuilt from a folder's tables it is byte-identical."""

from __future__ import annotations

import base64
import re
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import pandas as pd
import pytest

from simulation.present import charts, report
from tests.present.fixtures import built_reports, copy_run, run_config, run_folder  # noqa: F401
from tests.present.test_charts import synthetic_sweep

VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}


class Checker(HTMLParser):
    """Balanced tags, and what the tests look for: images, rows, links, scripts."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.stack, self.problems, self.tags = [], [], []
        self.images, self.rows, self.attrs_seen = {}, {}, []
        self.figure, self.row, self.cell, self.cells = None, None, None, []
        self.text = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        self.tags.append(tag)
        self.attrs_seen += [(tag, k, v or "") for k, v in attrs.items()]
        if tag not in VOID:
            self.stack.append(tag)
        if tag == "figure":
            self.figure = attrs.get("id")
        if tag == "img" and self.figure:
            self.images[self.figure] = attrs.get("src", "")
        if tag == "tr" and "data-rule" in attrs:
            self.row, self.cells = attrs["data-rule"], []
        if tag == "td" and self.row:
            self.cell = []

    def handle_endtag(self, tag):
        if tag in VOID:
            return
        if not self.stack or self.stack[-1] != tag:
            self.problems.append(f"</{tag}> closes <{self.stack[-1] if self.stack else None}>")
            return
        self.stack.pop()
        if tag == "td" and self.row is not None and self.cell is not None:
            self.cells.append("".join(self.cell).strip())
            self.cell = None
        if tag == "tr" and self.row is not None:
            self.rows[self.row] = self.cells
            self.row = None
        if tag == "figure":
            self.figure = None

    def handle_data(self, data):
        self.text.append(data)
        if self.cell is not None:
            self.cell.append(data)


def parse(path: Path) -> Checker:
    checker = Checker()
    text = path.read_text(encoding="utf-8")
    checker.feed(text)
    checker.close()
    checker.raw = text
    return checker


@pytest.mark.parametrize("lang", ["sv", "en"])
def test_report_is_valid_html(built_reports, lang):  # noqa: F811
    page = parse(built_reports[lang] / "report.html")
    assert page.raw.startswith("<!DOCTYPE html>")
    assert not page.problems, page.problems[:5]
    assert not page.stack, f"unclosed: {page.stack}"
    for tag in ("html", "head", "body", "title"):
        assert page.tags.count(tag) == 1, tag
    assert ("html", "lang", lang) in page.attrs_seen
    assert ("meta", "charset", "utf-8") in page.attrs_seen


@pytest.mark.parametrize("lang", ["sv", "en"])
def test_report_embeds_every_chart(built_reports, lang):  # noqa: F811
    folder = built_reports[lang]
    page = parse(folder / "report.html")
    run_charts = [c.name for c in charts.charts_of("run")]
    assert [f[len("chart-"):] for f in page.images] == run_charts  # in the registry's order
    for name in run_charts:
        src = page.images.get(f"chart-{name}")
        assert src and src.startswith("data:image/png;base64,"), name
        assert base64.b64decode(src.split(",", 1)[1]) == (folder / "charts" / f"{name}.png").read_bytes(), name
        assert (folder / "charts" / f"{name}.svg").exists()


@pytest.mark.parametrize("lang", ["sv", "en"])
def test_report_opens_offline(built_reports, lang):  # noqa: F811
    raw = (built_reports[lang] / "report.html").read_text(encoding="utf-8")
    assert not re.search(r"https?://|//[a-z0-9.-]+\.[a-z]{2,}/", raw, re.I), "a URL in the report"
    page = parse(built_reports[lang] / "report.html")
    assert "script" not in page.tags and "link" not in page.tags and "iframe" not in page.tags
    assert "@import" not in raw and "@font-face" not in raw and "url(" not in raw
    for tag, attr, value in page.attrs_seen:
        if attr in ("src", "href"):
            assert value.startswith("data:"), f"<{tag} {attr}={value[:40]!r}> is not embedded"


def percent(share: float, lang: str) -> str:
    return f"{round(100 * share)}\u00a0%" if lang == "sv" else f"{round(100 * share)}%"


@pytest.mark.parametrize("lang", ["sv", "en"])
def test_report_has_every_rules_key_figures(built_reports, run_config, lang):  # noqa: F811
    folder = built_reports[lang]
    summary = pd.read_parquet(folder / "summary.parquet")
    page = parse(folder / "report.html")
    rules = list(dict.fromkeys(summary["rule"]))
    assert list(page.rows) == rules
    not_owed = {"sv": "inget att betala", "en": "nothing owed"}[lang]
    for rule in rules:
        cells = page.rows[rule]
        spec = run_config["repayment"]["rules"][rule]
        label = charts.rule_label(spec["label"], lang)
        assert cells[0] == label
        value = lambda m, col: float(summary[(summary.rule == rule) & (summary.metric == m)][col].iloc[0])  # noqa: E731
        if spec["amount_basis"] == "none":
            # the budget model: nothing is owed, so nothing is repaid, due or written off
            assert cells[2] == cells[3] == cells[4] == cells[7] == not_owed, (rule, cells)
            continue
        # P(full repayment): the mean over replications, as a percentage, then its interval
        assert cells[7].startswith(percent(value("p_full_repayment", "mean"), lang)), (rule, cells[7])
        assert "[" in cells[7] and percent(value("p_full_repayment", "p90"), lang) in cells[7]
        # year fully repaid: a year or "never"
        year = value("year_fully_repaid", "p50")
        never = {"sv": "aldrig", "en": "never"}[lang]
        assert cells[3].startswith(never if pd.isna(year) else str(int(year))), (rule, cells[3])
        # written off: the median in millions
        written = value("written_off_sek", "p50") / 1e6
        unit = {"sv": "mkr", "en": "MSEK"}[lang]
        assert unit in cells[4] and (cells[4].startswith("0") if round(written, 2) == 0 else True)


def test_report_language_is_consistent(built_reports):  # noqa: F811
    sv = (built_reports["sv"] / "report.html").read_text(encoding="utf-8")
    en = (built_reports["en"] / "report.html").read_text(encoding="utf-8")
    for word in ("Sammanfattning", "Nyckeltal per återbetalningsregel", "Förbehåll", "Antaganden och källor"):
        assert word in sv and word not in en
    for word in ("Summary", "Key figures by repayment rule", "Caveats", "Assumptions and their sources"):
        assert word in en and word not in sv


@pytest.mark.parametrize("lang,heads", [
    ("sv", ["Undvikna kostnader är inte kontanter.", "Effekterna kommer sent.",
            "Hänförbarhet kräver en kontrollgrupp.", "Fel ficka och omorganisationer."]),
    ("en", ["Cost avoidance is not cash.", "Effects come late.", "Attribution needs a control group.",
            "Wrong pocket and reorganisations."]),
])
def test_report_carries_the_seeds_caveats(built_reports, lang, heads):  # noqa: F811
    raw = (built_reports[lang] / "report.html").read_text(encoding="utf-8")
    section = raw[raw.index('<section id="caveats">'):]
    section = section[:section.index("</section>")]
    for head in heads:
        assert f"<strong>{head}</strong>" in section


def test_assumptions_table_carries_the_conf_source_labels(built_reports):  # noqa: F811
    frame = pd.read_csv(built_reports["en"] / "assumptions.csv", keep_default_na=False, dtype=str)
    rows = frame.set_index("key")
    # conf/economy/sweden_2017.yaml: "discount_rate: 0.035  # real social discount rate per year; pub: ASEK practice (M)"
    assert rows.loc["economy.discount_rate", "label"] == "pub"
    assert rows.loc["economy.discount_rate", "confidence"] == "M"
    # "therapist_sek_per_hour: 295  # seed 004 (H)"
    assert (rows.loc["economy.therapist_sek_per_hour", ["label", "confidence"]] == ["seed", "H"]).all()
    # every group the run used is there, the repayment rules with their header's source
    assert set(frame["group"]) == {"economy", "municipality", "population", "intervention", "repayment"}
    assert rows.loc["repayment.rules.norrkoping_2010", "label"] == "reading"
    raw = (built_reports["en"] / "report.html").read_text(encoding="utf-8")
    section = raw[raw.index('<section id="assumptions"'):]
    assert "<code>economy.discount_rate</code>" in section and "published" in section


def test_source_labels_and_comment_parsing(tmp_path):
    """The table reads scenarios.provenance records (one grammar), not a regex guess over free comments."""
    from scenarios import provenance
    conf = tmp_path / "demo.yaml"
    conf.write_text(
        "# Demo file. Seeds 000, 001.\n"
        "a: 1            # meaning a | unit: SEK | source: seed 004 | confidence: H\n"
        "b: 2            # meaning b | unit: share | source: assumption: seed 004 wording, value assumed | confidence: L\n"
        "c: \"x # y\"     # meaning c | unit: name | source: reading: no number in the seeds | confidence: L-M\n"
        "block:          # a section: free text\n"
        "  inner: 3      # h0 | unit: per month | source: derived: fitted | confidence: M\n"
        "  pub_key: 4    # meaning | unit: SEK | source: pub: Socialstyrelsen | confidence: M–H\n", encoding="utf-8")
    parsed = provenance.parse_file(conf, tmp_path)
    assert parsed.header == "Demo file. Seeds 000, 001." and parsed.problems == ()
    assert [r.key for r in parsed.records] == ["a", "b", "c", "block.inner", "block.pub_key"]
    assert [(r.source_label, r.confidence) for r in parsed.records] == [
        ("seed", "H"), ("assumption", "L"), ("reading", "L–M"), ("derived", "M"), ("pub", "M–H")]
    assert parsed.record("c").value == "x # y"
    assert provenance.split_comment('"x # y"     # reading') == ('"x # y"', "reading")


def test_assumptions_flag_a_value_changed_from_the_default(run_config):  # noqa: F811
    import copy
    config = copy.deepcopy(run_config)
    config["economy"]["discount_rate"] = 0.3
    frame = report.collect_assumptions(config).set_index("key")
    assert bool(frame.loc["economy.discount_rate", "changed"]) is True
    assert frame.loc["economy.discount_rate", "value"] == "0.3"
    assert bool(frame.loc["economy.hvb_sek_per_day", "changed"]) is False


def test_regenerating_gives_byte_identical_files(run_folder, tmp_path):  # noqa: F811
    """First build (as at the end of a run), then `python -m simulation report FOLDER` in a new process."""
    folder = copy_run(run_folder, tmp_path / "run")
    paths = report.build_report(folder)
    first = {p.relative_to(folder): p.read_bytes() for p in paths}
    assert Path("report.html") in first and Path("charts/repayment_timeline.svg") in first
    done = subprocess.run([sys.executable, "-m", "simulation", "report", str(folder)], capture_output=True,
                          text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert sorted(Path(line).relative_to(folder) for line in done.stdout.split()) == sorted(first)
    for rel, data in first.items():
        assert (folder / rel).read_bytes() == data, f"{rel} differs after regenerating"


def test_report_language_override(run_folder, tmp_path):  # noqa: F811
    folder = copy_run(run_folder, tmp_path / "run")
    assert report.report_main([str(folder), "--language", "en"]) == 0
    raw = (folder / "report.html").read_text(encoding="utf-8")
    assert '<html lang="en">' in raw and "Key figures by repayment rule" in raw


def test_report_main_refuses_a_folder_that_is_not_a_run(tmp_path):
    with pytest.raises(SystemExit) as exc:
        report.report_main([str(tmp_path)])
    assert exc.value.code == 2


# --- sweeps -------------------------------------------------------------------------------------------------

def make_sweep_folder(folder: Path) -> Path:
    folder.mkdir(parents=True)
    table = synthetic_sweep()
    table.to_csv(folder / "sweep_summary.csv", index=False)
    (folder / "0").mkdir()
    (folder / "0" / "config.yaml").write_text(
        "language: en\nrepayment:\n  rules:\n    a: {label: Regel A / Rule A}\n    b: {label: Rule B}\n",
        encoding="utf-8")
    return folder


@pytest.mark.parametrize("lang", ["sv", "en"])
def test_sweep_report(tmp_path, lang):
    folder = make_sweep_folder(tmp_path / "sweep")
    paths = report.build_sweep_report(folder, lang)
    names = sorted(p.name for p in paths)
    assert "report.html" in names and "sweep_heatmap.png" in names and "tornado_p_full_repayment.png" in names
    page = parse(folder / "report.html")
    assert not page.problems and not page.stack
    assert {"chart-sweep_heatmap", "chart-tornado_p_full_repayment", "chart-tornado_repaid_share"} <= set(page.images)
    text = " ".join(page.text)
    assert "ValueError: boom" in text  # the failed job is listed with its error
    assert {"sv": "Regel A", "en": "Rule A"}[lang] in text
    assert not re.search(r"https?://", page.raw)


def test_sweep_report_through_the_cli_and_byte_identical(tmp_path):
    folder = make_sweep_folder(tmp_path / "sweep")
    assert report.report_main([str(folder)]) == 0  # language from the jobs' config: en
    first = (folder / "report.html").read_bytes()
    assert b'<html lang="en">' in first
    assert report.report_main([str(folder)]) == 0
    assert (folder / "report.html").read_bytes() == first


def test_sweep_charts_drawn_in_worker_processes_are_the_same_files(tmp_path, monkeypatch):
    """The sweep's charts drawn by two processes (charts/parallel.draw_sweep_charts): the same
    paths in the same order, byte for byte; and not by this process's serial path."""
    from simulation.present.charts import registry
    serial = make_sweep_folder(tmp_path / "serial" / "sweep")
    workers = make_sweep_folder(tmp_path / "workers" / "sweep")
    serial_paths = report.build_sweep_report(serial, "en", workers=1)

    def not_here(*args):
        raise AssertionError("drawn serially in the test's process")
    monkeypatch.setattr(registry, "sweep_charts", not_here)
    worker_paths = report.build_sweep_report(workers, "en", workers=2)
    rel = [p.relative_to(serial) for p in serial_paths]
    assert rel == [p.relative_to(workers) for p in worker_paths]
    assert sum(1 for r in rel if r.suffix == ".png") >= 3
    for r in rel:
        assert (serial / r).read_bytes() == (workers / r).read_bytes(), f"{r} differs when drawn in workers"


def test_sweep_baseline_is_the_conf_default_when_swept():
    table = synthetic_sweep()
    baseline = report.sweep_baseline(charts.completed(table), ["intervention.effect_scale", "economy.discount_rate",
                                                               "horizon_years"])
    # conf: effect_scale 1 = "as configured"; discount rate 0.035 (economy/sweden_2017.yaml) is not a
    # swept level, so its middle level 0.25 is taken; the horizon default (conf/config.yaml) is one of
    # the swept levels 10, 25 or else the middle level is taken
    import yaml
    horizon = yaml.safe_load((report.CONF_DIR / "config.yaml").read_text(encoding="utf-8"))["horizon_years"]
    assert baseline == {"intervention.effect_scale": 1.0, "economy.discount_rate": 0.25,
                        "horizon_years": horizon if horizon in (10, 25) else 25}


def test_charts_drawn_in_worker_processes_are_the_same_files(run_folder, tmp_path):  # noqa: F811
    """`sifsim` draws the charts in `workers` processes (charts/parallel.py): same files, same bytes."""
    # the same folder name (the workbook's about sheet names it), in two places
    serial = copy_run(run_folder, tmp_path / "serial" / "run")
    parallel = copy_run(run_folder, tmp_path / "parallel" / "run")
    serial_paths = report.build_report(serial, workers=1)
    parallel_paths = report.build_report(parallel, workers=2)
    rel = [p.relative_to(serial) for p in serial_paths]
    assert rel == [p.relative_to(parallel) for p in parallel_paths]
    assert sum(1 for r in rel if r.suffix == ".png") == len(charts.charts_of("run")) >= 2
    for r in rel:
        assert (serial / r).read_bytes() == (parallel / r).read_bytes(), f"{r} differs when drawn in workers"
