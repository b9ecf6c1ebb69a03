"""The report in a real browser: Debian's headless Chromium renders it at 1 024 and 1 280 px (and at
the width of an A4 page's text) without a table running past its column, and prints it so that the
one-page summary is exactly one A4 page and the assumptions start on a page of their own.

Chromium is installed by `make test` (.ci/install-chromium); where it cannot be, these tests skip
and say why (tests/present/browser.py).
"""

from __future__ import annotations

import re
import shutil
import unicodedata

import pytest

from tests.present import browser
from tests.present.fixtures import built_reports, run_folder  # noqa: F401

A4_TEXT_WIDTH_PX = 703          # 210 mm − 2 × 12 mm of margin at 96 px per inch
WIDE_TABLE = ('<table id="too-wide"><tr><td style="white-space:nowrap">'
              + "x" * 400 + "</td></tr></table>")


def pdf_pages(path):
    from pypdf import PdfReader
    return [page.extract_text() or "" for page in PdfReader(str(path)).pages]


def squash(text: str) -> str:
    text = unicodedata.normalize("NFKC", text)      # the PDF's ligatures (ﬁ) as letters
    return re.sub(r"\s+", " ", text.replace("\u00ad", "").replace("\u00a0", " ")).strip()


@pytest.fixture(scope="module")
def work(tmp_path_factory):
    browser.chromium()   # skip the module where the browser cannot be installed
    folder = tmp_path_factory.mktemp("browser")
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


def overflowing(measured: dict) -> list[dict]:
    return [t for t in measured["tables"]
            if t["right"] > t["container_right"] + 1 or t["scroll"] > t["client"] + 1]


@pytest.mark.parametrize("width_px", [1024, 1280, A4_TEXT_WIDTH_PX])
def test_no_table_overflows_at_the_window_width(built_reports, work, width_px):  # noqa: F811
    measured = browser.measure(built_reports["sv"] / "report.html", width_px, work)
    assert measured["inner"] == width_px                      # the window had the width asked for
    ids = {t["id"] for t in measured["tables"]}
    assert {"headline", "key-figures"} <= ids and len(measured["tables"]) >= 5
    assert overflowing(measured) == [], f"tables wider than their column at {width_px} px"
    assert measured["doc"] <= width_px, "the page scrolls sideways"


def test_the_measurement_sees_an_overflowing_table(built_reports, work):  # noqa: F811
    """The check above can fail: a table that cannot wrap is caught."""
    page = browser.with_insert(built_reports["sv"] / "report.html", work / "wide.html",
                               body_end=WIDE_TABLE)
    measured = browser.measure(page, 1024, work)
    assert [t["id"] for t in overflowing(measured)] == ["too-wide"]


@pytest.mark.parametrize("lang", ["sv", "en"])
def test_the_one_page_summary_prints_on_one_a4_page(built_reports, work, lang):  # noqa: F811
    report = built_reports[lang] / "report.html"
    # the one-pager alone: exactly one page
    alone = browser.with_insert(report, work / f"one_page_{lang}.html",
                                head="<style>body>section:not(#one-page){display:none}</style>")
    pages = pdf_pages(browser.print_pdf(alone, work / f"one_page_{lang}.pdf", work))
    assert len(pages) == 1, f"the one-page summary prints on {len(pages)} pages"
    from pypdf import PdfReader
    box = PdfReader(str(work / f"one_page_{lang}.pdf")).pages[0].mediabox
    assert (round(float(box.width)), round(float(box.height))) == (595, 842)     # A4 in points

    # the whole report: the summary fills page 1 (ending with the command that reproduces it) …
    pages = [squash(p) for p in pdf_pages(browser.print_pdf(report, work / f"report_{lang}.pdf", work))]
    first = pages[0]
    reproduce = {"sv": "Återskapa: sifsim", "en": "Reproduce: sifsim"}[lang]
    assert reproduce in first and "sifsim seed=" in first
    for heading in {"sv": ("Nyckeltal per återbetalningsregel", "Tre förbehåll"),
                    "en": ("Key figures by repayment rule", "Three caveats")}[lang]:
        assert heading in first
    # … every rule's row is on it, its last column (the chance of full repayment) included …
    assert first.count("[") >= 5
    # … the next section starts on page 2, and the assumptions start on a page of their own
    assert pages[1].startswith({"sv": "Sammanfattning", "en": "Summary"}[lang])
    appendix = {"sv": "Antaganden och källor", "en": "Assumptions and their sources"}[lang]
    starts = [i for i, p in enumerate(pages) if p.startswith(appendix)]
    assert starts and all(appendix not in p for p in pages[:starts[0]])
